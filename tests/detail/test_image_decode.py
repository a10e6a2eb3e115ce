"""Decoding hostile snapshot images: allowed formats only, bounded memory, cancellable."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import random
import stat
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import pytest
from PIL import EpsImagePlugin, Image

from tests.detail.conftest import (
    DetailApp,
    ScriptedProvider,
    wait_for_detail,
    zoo_conversion_payload,
)
from tui import image_decode
from tui.image_decode import DecodeCancelled, ImageDecodeError, open_flat
from tui.providers import zoo
from tui.providers.zoo.details import ZooConversionDetail
from tui.sim.images import snapshot_png
from tui.widgets.detail_zoo import ZooConversionDetailView
from tui.widgets.image_view import ImageView, decode_png

EPS = (
    b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 40 30\n%%EndComments\n"
    b"newpath 0 0 moveto 40 30 lineto stroke\nshowpage\n%%EOF\n"
)
"""PostScript that Pillow's EPS plugin would hand to Ghostscript."""


# --- a PNG writer with every filter type and interlacing (Pillow writes neither) -------------


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(body, zlib.crc32(kind)))
    )


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _filter(kind: int, row: bytes, above: bytes, stride: int) -> bytes:
    out = bytearray([kind])
    for i, value in enumerate(row):
        a = row[i - stride] if i >= stride else 0
        b = above[i]
        c = above[i - stride] if i >= stride else 0
        predictor = (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]
        out.append((value - predictor) & 0xFF)
    return bytes(out)


def _scanlines(rows: list[bytes], stride: int) -> bytes:
    """The rows filtered with each of PNG's five filter types in turn."""
    above = bytes(len(rows[0])) if rows else b""
    out = b""
    for index, row in enumerate(rows):
        out += _filter(index % 5, row, above, stride)
        above = row
    return out


CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def make_png(
    width: int,
    height: int,
    depth: int,
    colour_type: int,
    *,
    seed: int = 1,
    trns: bytes | None = None,
    interlaced: bool = False,
) -> bytes:
    """A PNG of random samples (palette indices within the palette)."""
    rng = random.Random(seed)
    bits = depth * CHANNELS[colour_type]
    stride = max(1, bits // 8)
    samples = width * CHANNELS[colour_type]
    top = (1 << depth) - 1
    grid = [[rng.randint(0, top) for _ in range(samples)] for _ in range(height)]
    palette = b""
    if colour_type == 3:
        palette = bytes(rng.randrange(256) for _ in range(3 * (1 << depth)))

    def pack(values: list[int]) -> bytes:
        if depth == 16:
            return b"".join(struct.pack(">H", v) for v in values)
        if depth == 8:
            return bytes(values)
        per = 8 // depth
        out = bytearray()
        for start in range(0, len(values), per):
            byte = 0
            for offset, value in enumerate(values[start : start + per]):
                byte |= value << (8 - depth * (offset + 1))
            out.append(byte)
        return bytes(out)

    if interlaced:
        data = b""
        passes = [
            (0, 0, 8, 8),
            (4, 0, 8, 8),
            (0, 4, 4, 8),
            (2, 0, 4, 4),
            (0, 2, 2, 4),
            (1, 0, 2, 2),
            (0, 1, 1, 2),
        ]
        channels = CHANNELS[colour_type]
        for x0, y0, dx, dy in passes:
            rows = [
                pack(
                    [
                        grid[y][x * channels + c]
                        for x in range(x0, width, dx)
                        for c in range(channels)
                    ]
                )
                for y in range(y0, height, dy)
            ]
            if rows and rows[0]:
                data += _scanlines(rows, stride)
    else:
        data = _scanlines([pack(row) for row in grid], stride)
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, int(interlaced))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + (_chunk(b"PLTE", palette) if palette else b"")
        + (_chunk(b"tRNS", trns) if trns is not None else b"")
        + _chunk(b"IDAT", zlib.compress(data, 9))
        + _chunk(b"IEND", b"")
    )


def whole(data: bytes, background: tuple[int, int, int]) -> Image.Image:
    """The reference: Pillow decodes the whole image, blended onto the background."""
    with Image.open(io.BytesIO(data)) as image:
        rgba = image.convert("RGBA")
    flat = Image.new("RGBA", rgba.size, (*background, 255))
    flat.alpha_composite(rgba)
    return flat.convert("RGB")


# --- formats ------------------------------------------------------------------------------


@pytest.fixture
def fake_ghostscript(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `gs` first on PATH that records every run; fails like a real render error."""
    marker = tmp_path / "gs-ran"
    script = tmp_path / "bin" / "gs"
    script.parent.mkdir()
    script.write_text(
        f'#!/bin/sh\necho "$@" >> "{marker}"\n[ "$1" = "--version" ] && exit 0\nexit 1\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setattr(EpsImagePlugin, "gs_binary", None)  # Pillow caches where gs is
    return marker


def zoo_detail_with(images: list[bytes], mime_type: str = "image/png") -> ZooConversionDetail:
    data = zoo_conversion_payload()
    data["original_snapshot_images"] = [
        {"mime_type": mime_type, "data_base64": base64.b64encode(image).decode()}
        for image in images
    ]
    data["raw_kcl_snapshot_images"] = []
    detail = zoo.parse_conversion_detail(data, "zoo", data["dataset_id"])
    assert isinstance(detail, ZooConversionDetail)
    return detail


def caption_of(app: DetailApp) -> str:
    return str(app.screen.query_one("#zoo-image-caption").render())


@pytest.mark.parametrize("mime_type", ["image/png", "application/postscript"])
async def test_eps_snapshot_never_runs_ghostscript_and_cannot_be_drawn(
    fake_ghostscript: Path, mime_type: str
) -> None:
    detail = zoo_detail_with([EPS, snapshot_png(1, 0)], mime_type)
    app = DetailApp(detail.job, ScriptedProvider({detail.job.id: [detail]}))
    async with app.run_test(size=(120, 60)) as pilot:
        screen = await wait_for_detail(pilot)
        assert screen.query_one(ZooConversionDetailView).shown_image == "original-0"
        caption = caption_of(app)
        assert "cannot draw: the image could not be decoded" in caption
        assert "decoding" not in caption
        assert screen.query_one("#zoo-image", ImageView).picture_size == (0, 0)
    assert not fake_ghostscript.exists()


def test_only_png_and_jpeg_are_opened(fake_ghostscript: Path) -> None:
    others = {}
    for name in ("GIF", "BMP", "TIFF", "WEBP"):
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), (1, 2, 3)).save(buffer, format=name)
        others[name] = buffer.getvalue()
    for data in [EPS, *others.values()]:
        with pytest.raises(ImageDecodeError, match="could not be decoded"):
            decode_png(data)
    jpeg = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 100, 50)).save(jpeg, format="JPEG", quality=95)
    assert abs(decode_png(jpeg.getvalue())[0][0][0] - 200) < 8
    assert not fake_ghostscript.exists()


async def test_any_decoder_failure_ends_as_cannot_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a decoder bug")

    monkeypatch.setattr("tui.widgets.detail_zoo.decode_png", broken)
    detail = zoo_detail_with([snapshot_png(1, 0)])
    app = DetailApp(detail.job, ScriptedProvider({detail.job.id: [detail]}))
    async with app.run_test(size=(120, 60)) as pilot:
        await wait_for_detail(pilot)
        caption = caption_of(app)
        assert "cannot draw: the image could not be decoded" in caption
        assert "a decoder bug" not in caption


def test_an_exception_inside_pillow_is_a_decode_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Image.Image) -> None:
        raise KeyError("inside a plugin")

    monkeypatch.setattr(Image.Image, "load", broken)
    with pytest.raises(ImageDecodeError, match="could not be decoded"):
        open_flat(snapshot_png(1, 0), (48, 28), (0, 0, 0))


# --- reduced while decoding ---------------------------------------------------------------

STRIP_CASES = [
    (1, 0, None),
    (2, 0, None),
    (4, 0, None),
    (8, 0, None),
    (16, 0, None),
    (8, 0, b"\x00\x07"),
    (8, 2, None),
    (8, 2, b"\x00\x01\x00\x02\x00\x03"),
    (1, 3, b"\x80"),
    (2, 3, b"\x00\x40"),
    (4, 3, bytes(range(0, 160, 20))),
    (8, 3, b"\x10" * 9),
    (8, 4, None),
    (16, 4, None),
    (8, 6, None),
]


@pytest.mark.parametrize(("depth", "colour_type", "trns"), STRIP_CASES)
def test_large_png_read_in_strips_equals_the_whole_image_reduced(
    monkeypatch: pytest.MonkeyPatch, depth: int, colour_type: int, trns: bytes | None
) -> None:
    # 37 is not a whole number of bytes at 1, 2 or 4 bits; 47 rows end in a part strip.
    # Strips of 6 rows start on rows filtered with Sub, Up, Average, Paeth and None.
    data = make_png(37, 47, depth, colour_type, trns=trns, seed=depth * 10 + colour_type)
    monkeypatch.setattr(image_decode, "FULL_DECODE_PIXELS", 0)
    monkeypatch.setattr(image_decode, "STRIP_BYTES", 37 * 4 * 6)
    background = (30, 60, 90)
    reduced, size = open_flat(data, (12, 15), background)  # factor 3
    assert size == (37, 47)
    expected = whole(data, background).reduce(3)
    assert reduced.size == expected.size == (13, 16)
    assert reduced.tobytes() == expected.tobytes()


def test_large_png_with_its_data_in_many_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    data = make_png(37, 47, 8, 6)
    start = data.index(b"IDAT") - 4
    (length,) = struct.unpack(">I", data[start : start + 4])
    body = data[start + 8 : start + 8 + length]
    pieces = b"".join(_chunk(b"IDAT", body[i : i + 7]) for i in range(0, len(body), 7))
    split = data[:start] + pieces + data[start + 12 + length :]
    monkeypatch.setattr(image_decode, "FULL_DECODE_PIXELS", 0)
    monkeypatch.setattr(image_decode, "STRIP_BYTES", 37 * 4 * 6)
    reduced, _ = open_flat(split, (12, 15), (0, 0, 0))
    assert reduced.tobytes() == whole(data, (0, 0, 0)).reduce(3).tobytes()


@pytest.mark.parametrize(("depth", "colour_type"), [(8, 2), (16, 6), (4, 3), (16, 0)])
def test_large_interlaced_png_is_drawn_from_its_first_pass(
    monkeypatch: pytest.MonkeyPatch, depth: int, colour_type: int
) -> None:
    data = make_png(37, 29, depth, colour_type, interlaced=True)
    full = whole(data, (0, 0, 0))
    monkeypatch.setattr(image_decode, "FULL_DECODE_PIXELS", 0)
    reduced, size = open_flat(data, (7, 9), (0, 0, 0))
    assert size == (37, 29) and reduced.size == (5, 4)
    assert all(
        reduced.getpixel((x, y)) == full.getpixel((8 * x, 8 * y))
        for x in range(5)
        for y in range(4)
    )


@pytest.mark.parametrize("colour_type", [2, 6])
def test_large_16_bit_colour_png_is_too_large_to_draw(
    monkeypatch: pytest.MonkeyPatch, colour_type: int
) -> None:
    data = make_png(20, 10, 16, colour_type)
    monkeypatch.setattr(image_decode, "FULL_DECODE_PIXELS", 0)
    with pytest.raises(ImageDecodeError, match="20×10 pixels is too large to draw"):
        open_flat(data, (7, 9), (0, 0, 0))


@pytest.mark.parametrize(
    "data",
    [
        make_png(37, 47, 8, 2)[:-40],  # IDAT cut short
        make_png(37, 47, 8, 2).replace(b"IDAT", b"IDAX"),  # no image data
    ],
    ids=["truncated", "no-idat"],
)
def test_broken_large_png_is_a_decode_error(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(image_decode, "FULL_DECODE_PIXELS", 0)
    with pytest.raises(ImageDecodeError, match="could not be decoded"):
        open_flat(data, (7, 9), (0, 0, 0))


def test_zlib_bomb_in_a_large_png_stops_at_the_image_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = b"".join(b"\x00" + bytes(60) for _ in range(40))
    packer = zlib.compressobj(9)
    bomb = packer.compress(rows)
    for _ in range(200):  # 200 MB of zeros beyond the image
        bomb += packer.compress(bytes(1 << 20))
    bomb += packer.flush()
    header = struct.pack(">IIBBBBB", 20, 40, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", bomb)
        + _chunk(b"IEND", b"")
    )
    monkeypatch.setattr(image_decode, "FULL_DECODE_PIXELS", 0)
    monkeypatch.setattr(image_decode, "STRIP_BYTES", 20 * 4 * 4)
    reduced, _ = open_flat(data, (4, 8), (0, 0, 0))
    assert reduced.size == (4, 8) and reduced.getextrema() == ((0, 0),) * 3


def test_large_jpeg_is_decoded_at_a_reduced_scale() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (4000, 3000), (200, 30, 40)).save(buffer, format="JPEG", quality=90)
    reduced, size = open_flat(buffer.getvalue(), (480, 280), (0, 0, 0))
    assert size == (4000, 3000)
    assert reduced.size == (500, 375)  # 1/8 scale, still covering the box


def test_progressive_jpeg_beyond_the_coefficient_budget_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (1, 2, 3)).save(buffer, format="JPEG", progressive=True)
    data = buffer.getvalue()
    assert open_flat(data, (48, 28), (0, 0, 0))[1] == (800, 600)
    # 4:2:0: Y 800×600 and two 400×300 planes, 2 bytes a coefficient.
    monkeypatch.setattr(image_decode, "MAX_JPEG_COEFFICIENT_BYTES", 800 * 600 * 3 - 1)
    with pytest.raises(ImageDecodeError, match="800×600 pixels is too large to draw"):
        open_flat(data, (48, 28), (0, 0, 0))


# --- cancelling ---------------------------------------------------------------------------


def test_a_cancelled_strip_decode_stops_at_the_next_strip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = make_png(37, 47, 8, 6)  # with alpha: every strip is flattened
    monkeypatch.setattr(image_decode, "FULL_DECODE_PIXELS", 0)
    monkeypatch.setattr(image_decode, "STRIP_BYTES", 37 * 4 * 5)
    cancel = threading.Event()
    strips = 0
    original = image_decode._flatten_whole

    def counting(image: Image.Image, background: tuple[int, int, int]) -> Image.Image:
        nonlocal strips
        strips += 1
        if strips == 2:
            cancel.set()
        return original(image, background)

    monkeypatch.setattr(image_decode, "_flatten_whole", counting)
    with pytest.raises(DecodeCancelled):
        open_flat(data, (7, 9), (0, 0, 0), cancel)
    assert strips == 2  # of 10


async def test_decodes_run_one_at_a_time_and_queued_ones_are_dropped() -> None:
    started: list[int] = []
    running = 0
    most = 0
    release = threading.Event()

    def slow(number: int, *, cancel: threading.Event) -> int:
        nonlocal running, most
        started.append(number)
        running += 1
        most = max(most, running)
        release.wait(5)
        running -= 1
        if cancel.is_set():
            raise DecodeCancelled
        return number

    tasks = [asyncio.create_task(image_decode.decode_off_loop(slow, n)) for n in range(6)]
    await asyncio.sleep(0.1)
    for task in tasks[:-1]:
        task.cancel()
    await asyncio.sleep(0.1)
    release.set()
    assert await tasks[-1] == 5
    assert most == 1
    assert started == [0, 5]
    assert all(task.cancelled() for task in tasks[:-1])


# --- memory of a whole response -----------------------------------------------------------


@pytest.mark.timeout(300)
def test_32_huge_snapshots_walked_with_down_stay_within_200_mb() -> None:
    """Real Zoo provider over loopback; measured in a fresh process (its peak RSS)."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "tests.detail.image_memory_probe", "32", "12"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["caption"].startswith("original #13 · image/png ·")
    assert "cannot draw" not in figures["caption"] and "decoding" not in figures["caption"]
    assert figures["peak"] - figures["rss_before"] < 200, figures
