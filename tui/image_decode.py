"""Decoding untrusted snapshot images within a memory budget, one at a time, cancellably.

Only PNG and JPEG are opened: they are the formats Zoo exports snapshots in (its OpenAPI
`ImageFormat` enum), and naming them keeps Pillow from handing server bytes to any other
plugin, some of which run external programs (EPS runs Ghostscript).

A large image is never held whole. JPEG is decoded at a reduced DCT scale (`draft`). PNG,
which Pillow can only decode whole, is read here a strip of rows at a time: each strip is
unfiltered by Pillow (as a small PNG carrying the row above it), flattened and averaged
down before the next one is read. An interlaced PNG is drawn from its first Adam7 pass,
which is already the image at 1/8 scale. So the memory used stays near the size drawn.

Decodes run on one worker thread (`decode_off_loop`): one at a time, a decode that is no
longer wanted is dropped before it starts, and a running one stops at its next strip.
"""

from __future__ import annotations

import asyncio
import functools
import io
import math
import struct
import threading
import warnings
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from PIL import Image, ImageFile

Pixel = tuple[int, int, int]
"""An sRGB colour, 0..255 per channel."""

ALLOWED_FORMATS = ("PNG", "JPEG")
"""Pillow formats a snapshot may be in; no other decoder ever sees the bytes."""
MAX_SOURCE_BYTES = 20_000_000
"""Encoded images larger than this are refused."""
MAX_SOURCE_PIXELS = 40_000_000
"""Images larger than this (by their header) are refused before decoding."""
MAX_SIDE = 20_000
"""Images wider or taller than this are refused (it bounds one row of a strip)."""
FULL_DECODE_PIXELS = 4_000_000
"""Images up to this many pixels are decoded whole (a few 16 MB copies at most)."""
STRIP_BYTES = 4_000_000
"""About how much RGBA one strip of a large PNG holds while it is reduced."""
MAX_JPEG_COEFFICIENT_BYTES = 128_000_000
"""A progressive or multi-scan JPEG keeps every DCT coefficient while decoding; above
this it is refused."""

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
"""PNG colour type → samples per pixel."""
_SAME_STRIDE = {1: 0, 2: 4, 3: 2, 4: 6}
"""Bytes per pixel (as PNG filters count them) → an 8-bit colour type with that stride."""


class ImageDecodeError(ValueError):
    """The bytes are not an image we can draw (corrupt, unknown format or too large)."""


class DecodeCancelled(Exception):
    """The decode was cancelled: its result is no longer wanted."""


def open_flat(
    data: bytes,
    box: tuple[int, int],
    background: Pixel,
    cancel: threading.Event | None = None,
) -> tuple[Image.Image, tuple[int, int]]:
    """Decode untrusted bytes, blended onto `background`, reduced towards `box` when large.

    Args:
        data: The encoded image (PNG or JPEG).
        box: The largest size (width, height) the picture will be drawn at, in pixels.
        background: Colour that transparent pixels are blended onto.
        cancel: Set when the result is no longer wanted.

    Returns:
        An RGB image (the whole image when small, else no smaller than `box` where the image
        is) and the image's own size.

    Raises:
        ImageDecodeError: The bytes cannot be decoded, or the image is too large.
        DecodeCancelled: `cancel` was set.
    """
    _check(cancel)
    if len(data) > MAX_SOURCE_BYTES:
        raise ImageDecodeError(f"image of {len(data)} bytes is too large to draw")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as image:
                size = image.size  # before `draft` changes it
                return _decode(data, image, box, background, cancel), size
    except (ImageDecodeError, DecodeCancelled):
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ImageDecodeError("the image is too large to draw") from error
    except Exception as error:  # noqa: BLE001 - any failure of a decoder means "cannot draw"
        raise ImageDecodeError("the image could not be decoded") from error


def _decode(
    data: bytes,
    image: ImageFile.ImageFile,
    box: tuple[int, int],
    background: Pixel,
    cancel: threading.Event | None,
) -> Image.Image:
    width, height = image.size
    too_large = ImageDecodeError(f"image of {width}×{height} pixels is too large to draw")
    if width <= 0 or height <= 0:
        raise ImageDecodeError("the image could not be decoded")
    if width * height > MAX_SOURCE_PIXELS or max(width, height) > MAX_SIDE:
        raise too_large
    if image.format in ("JPEG", "MPO"):  # MPO: a JPEG with more pictures after it
        if _jpeg_coefficient_bytes(data, image) > MAX_JPEG_COEFFICIENT_BYTES:
            raise too_large
        image.draft("RGB", box)
        return _flatten_whole(image, background)
    if width * height <= FULL_DECODE_PIXELS:
        return _flatten_whole(image, background)
    png = _read_png(data)
    if png.interlaced:
        return _flatten_whole(_first_pass(png), background)
    if png.bytes_per_pixel not in _SAME_STRIDE:
        raise too_large
    return _reduce_in_strips(png, image, box, background, cancel)


def _flatten_whole(image: Image.Image, background: Pixel) -> Image.Image:
    image.load()
    rgba = image.convert("RGBA")
    flat = Image.new("RGBA", rgba.size, (*background, 255))
    flat.alpha_composite(rgba)
    return flat.convert("RGB")


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise DecodeCancelled


# --- JPEG -----------------------------------------------------------------------------------


def _jpeg_coefficient_bytes(data: bytes, image: Image.Image) -> int:
    """Memory libjpeg holds for a progressive or multi-scan image (0 for one scan).

    Scans are counted by their 0xFFDA markers, which entropy-coded data cannot contain (its
    0xFF bytes are stuffed); an embedded thumbnail's scan counts too, erring on the safe side.
    """
    if data.count(b"\xff\xda") <= 1:
        return 0
    layers = getattr(image, "layer", None) or [("", 1, 1, 0)] * 4
    h_max = max(max(layer[1] for layer in layers), 1)
    v_max = max(max(layer[2] for layer in layers), 1)
    width, height = image.size
    total = 0
    for _, h_samp, v_samp, _ in layers:
        columns = math.ceil(math.ceil(width * h_samp / h_max) / 8)
        rows = math.ceil(math.ceil(height * v_samp / v_max) / 8)
        total += columns * rows * 64 * 2
    return total


# --- PNG ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Png:
    data: memoryview
    width: int
    height: int
    depth: int
    colour_type: int
    interlaced: bool
    palette: bytes
    transparency: bytes | None
    idat_at: int
    """Where the first IDAT chunk starts; the image data is that chunk and those after it."""

    @property
    def bits_per_pixel(self) -> int:
        return self.depth * _CHANNELS[self.colour_type]

    @property
    def bytes_per_pixel(self) -> int:
        return max(1, self.bits_per_pixel // 8)

    @property
    def ancillary(self) -> bytes:
        """PLTE and tRNS chunks, for a PNG made of part of this one."""
        return (_chunk(b"PLTE", self.palette) if self.palette else b"") + (
            _chunk(b"tRNS", self.transparency) if self.transparency is not None else b""
        )

    def row_bytes(self, width: int) -> int:
        return (width * self.bits_per_pixel + 7) // 8

    def idat(self) -> Iterator[memoryview]:
        """The bodies of the consecutive IDAT chunks, read as they are needed."""
        position = self.idat_at
        while position + 12 <= len(self.data):
            length, kind = struct.unpack(">I4s", self.data[position : position + 8])
            if kind != b"IDAT":
                return
            yield self.data[position + 8 : position + 8 + length]
            position += 12 + length


def _read_png(data: bytes) -> _Png:
    """The header, palette and transparency of a PNG (they come before its image data)."""
    view = memoryview(data)
    if bytes(view[:8]) != PNG_SIGNATURE:
        raise ImageDecodeError("the image could not be decoded")
    position = 8
    header: tuple[int, ...] | None = None
    palette = b""
    transparency: bytes | None = None
    while position + 12 <= len(view):
        length, kind = struct.unpack(">I4s", view[position : position + 8])
        if kind == b"IDAT":
            break
        body = view[position + 8 : position + 8 + length]
        if kind == b"IHDR" and len(body) == 13:
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = bytes(body)
        elif kind == b"tRNS":
            transparency = bytes(body)
        position += 12 + length
    else:
        raise ImageDecodeError("the image could not be decoded")
    if header is None or header[3] not in _CHANNELS:
        raise ImageDecodeError("the image could not be decoded")
    width, height, depth, colour_type, _, _, interlace = header
    return _Png(
        view, width, height, depth, colour_type, interlace == 1, palette, transparency, position
    )


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(body, zlib.crc32(kind)))
    )


class _Inflater:
    """Reads the decompressed IDAT stream, never more than asked for (a zlib bomb ends early)."""

    def __init__(self, chunks: Iterable[memoryview]) -> None:
        self._chunks: Iterator[memoryview] = iter(chunks)
        self._zlib = zlib.decompressobj()
        self._pending: bytes | memoryview = b""

    def read(self, size: int) -> bytes:
        """`size` bytes.

        Raises:
            ImageDecodeError: The stream ends (or is corrupt) before `size` bytes.
        """
        out = bytearray()
        while len(out) < size and not self._zlib.eof:
            if not self._pending:
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._pending = chunk
            out += self._zlib.decompress(self._pending, size - len(out))
            self._pending = self._zlib.unconsumed_tail
        if len(out) < size:
            raise ImageDecodeError("the image could not be decoded")
        return bytes(out)


def _png_bytes(
    width: int, height: int, depth: int, colour_type: int, ancillary: bytes, scanlines: bytes
) -> bytes:
    """A PNG of the given filtered scanlines, stored uncompressed."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + ancillary
        + _chunk(b"IDAT", zlib.compress(scanlines, 0))
        + _chunk(b"IEND", b"")
    )


def _first_pass(png: _Png) -> Image.Image:
    """Adam7's first pass (every 8th pixel of every 8th row) as an image of its own."""
    width, height = math.ceil(png.width / 8), math.ceil(png.height / 8)
    scanlines = _Inflater(png.idat()).read(height * (1 + png.row_bytes(width)))
    data = _png_bytes(width, height, png.depth, png.colour_type, png.ancillary, scanlines)
    return Image.open(io.BytesIO(data), formats=["PNG"])


def _reduce_in_strips(
    png: _Png,
    image: ImageFile.ImageFile,
    box: tuple[int, int],
    background: Pixel,
    cancel: threading.Event | None,
) -> Image.Image:
    """The image averaged down by a whole factor to at least `box`, read a strip at a time."""
    factor = max(1, min(png.width // max(1, box[0]), png.height // max(1, box[1])))
    rows_per_strip = max(1, STRIP_BYTES // (png.width * 4) // factor) * factor
    row_bytes = png.row_bytes(png.width)
    stride = png.bytes_per_pixel
    carrier = _SAME_STRIDE[stride]
    rawmode = image.tile[0].args if image.tile else None
    if not isinstance(rawmode, str):
        raise ImageDecodeError("the image could not be decoded")
    palette = _rgba_palette(png) if image.mode == "P" else None
    opaque = image.mode in ("1", "L", "RGB") and "transparency" not in image.info
    canvas = Image.new("RGB", (math.ceil(png.width / factor), math.ceil(png.height / factor)))
    inflater = _Inflater(png.idat())
    above: bytes | None = None
    for top in range(0, png.height, rows_per_strip):
        _check(cancel)
        count = min(rows_per_strip, png.height - top)
        filtered = inflater.read(count * (1 + row_bytes))
        # Unfiltering needs the row above, so the strip starts with it, stored unfiltered.
        # A carrier image of 8-bit samples with the same bytes per pixel unfilters the
        # bytes exactly as the real colour type would, whatever its depth.
        scanlines = filtered if above is None else b"\x00" + above + filtered
        carried = _png_bytes(
            row_bytes // stride, count + (above is not None), 8, carrier, b"", scanlines
        )
        with Image.open(io.BytesIO(carried), formats=["PNG"]) as unfiltered:
            raw = unfiltered.tobytes()
        del scanlines, carried, filtered
        if above is not None:
            raw = raw[row_bytes:]
        above = raw[-row_bytes:]
        strip = Image.frombytes(image.mode, (png.width, count), raw, "raw", rawmode)
        del raw
        if palette is not None:
            strip.putpalette(palette, "RGBA")
        elif "transparency" in image.info:
            strip.info["transparency"] = image.info["transparency"]
        flat = strip.convert("RGB") if opaque else _flatten_whole(strip, background)
        canvas.paste(flat.reduce(factor), (0, top // factor))
    return canvas


def _rgba_palette(png: _Png) -> bytes:
    """PLTE with tRNS's alphas (opaque where tRNS stops), as RGBA entries."""
    alphas = png.transparency or b""
    entries = len(png.palette) // 3
    return b"".join(
        png.palette[3 * index : 3 * index + 3]
        + bytes([alphas[index] if index < len(alphas) else 255])
        for index in range(entries)
    )


# --- one decode at a time -------------------------------------------------------------------

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()

R = TypeVar("R")


def _decoder() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="image-decode")
        return _executor


async def decode_off_loop(function: Callable[..., R], *args: object) -> R:
    """Run `function(*args, cancel=event)` on the single image-decoding thread.

    When the awaiting task is cancelled, a decode still queued never starts and a running
    one is told to stop (`event` is set); its memory goes with it.
    """
    cancel = threading.Event()
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(_decoder(), functools.partial(function, *args, cancel=cancel))
    try:
        return await future
    except asyncio.CancelledError:
        cancel.set()
        raise
