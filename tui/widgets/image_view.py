"""Pictures drawn with half blocks: two pixels per cell, upper in the foreground colour.

The half-block rendering works in every terminal with colour, over SSH, with no graphics
protocol. The pure functions (`decode_png`, `blurhash_pixels`, `halfblock_lines`,
`halfblock_text`) do the work and are tested alone; `ImageView` only displays their lines.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import blurhash  # type: ignore[import-untyped]  # no stubs or py.typed
from PIL import Image
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from tui.image_decode import ImageDecodeError, Pixel, open_flat

PixelGrid = Sequence[Sequence[Pixel]]
"""Rows of pixels, top to bottom; every row the same length."""

UPPER_HALF = "\u2580"
"""▀: the foreground paints the upper pixel, the background the lower one."""


def decode_png(
    data: bytes,
    max_columns: int = 48,
    max_rows: int = 16,
    background: Pixel = (0, 0, 0),
    *,
    cancel: threading.Event | None = None,
) -> list[list[Pixel]]:
    """Decode a PNG or JPEG image and downscale it to fit in cells.

    Args:
        data: The encoded image.
        max_columns: Width limit in terminal cells (one pixel per cell across).
        max_rows: Height limit in terminal cells (two pixels per cell down).
        background: Colour that transparent pixels are blended onto.
        cancel: Set when the result is no longer wanted.

    Returns:
        RGB rows, at most `max_columns` wide and `2 * max_rows` high, aspect kept.

    Raises:
        ImageDecodeError: The bytes cannot be decoded, or the image is too large.
        DecodeCancelled: `cancel` was set.
    """
    box = (max(1, max_columns), max(1, max_rows) * 2)
    flat, size = open_flat(data, box, background, cancel)
    target = _fit(size, *box)
    small = flat.resize(target, Image.Resampling.BOX)
    raw = small.tobytes()
    columns, rows = target
    pixels: list[list[Pixel]] = []
    for y in range(rows):
        start = y * columns * 3
        pixels.append(
            [(raw[i], raw[i + 1], raw[i + 2]) for i in range(start, start + columns * 3, 3)]
        )
    return pixels


def decode_picture(
    data: bytes,
    max_width: int,
    max_height: int,
    background: Pixel = (0, 0, 0),
    *,
    cancel: threading.Event | None = None,
) -> Image.Image:
    """Decode an image for a pixel protocol (Kitty, Sixel): the same checks as `decode_png`.

    Args:
        data: The encoded image.
        max_width: Width limit in pixels.
        max_height: Height limit in pixels.
        background: Colour that transparent pixels are blended onto.
        cancel: Set when the result is no longer wanted.

    Returns:
        An RGB image scaled down (never up) to fit the box, aspect kept.

    Raises:
        ImageDecodeError: The bytes cannot be decoded, or the image is too large.
        DecodeCancelled: `cancel` was set.
    """
    box = (max(1, max_width), max(1, max_height))
    flat, size = open_flat(data, box, background, cancel)
    return flat.resize(_fit(size, *box), Image.Resampling.LANCZOS)


def _fit(size: tuple[int, int], max_width: int, max_height: int) -> tuple[int, int]:
    """Scale (width, height) down (never up) to fit the box, keeping the aspect."""
    width, height = size
    scale = min(1.0, max_width / width, max_height / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def blurhash_pixels(blur_hash: str, columns: int = 16, rows: int = 6) -> list[list[Pixel]]:
    """Decode a BlurHash into a small picture.

    Args:
        blur_hash: The BlurHash string.
        columns: Width in cells (pixels).
        rows: Height in cells (two pixels each).

    Returns:
        RGB rows, `columns` wide and `2 * rows` high.

    Raises:
        ImageDecodeError: The string is not a valid BlurHash.
    """
    if not blur_hash or len(blur_hash) > 200:
        raise ImageDecodeError("not a valid BlurHash")
    try:
        decoded = blurhash.decode(blur_hash, max(1, columns), max(1, rows) * 2)
    except (ValueError, IndexError, KeyError, TypeError) as error:
        raise ImageDecodeError("not a valid BlurHash") from error
    return [[_clamp_pixel(pixel) for pixel in row] for row in decoded]


def _clamp_pixel(pixel: Sequence[float]) -> Pixel:
    red, green, blue = (max(0, min(255, int(round(channel)))) for channel in pixel[:3])
    return (red, green, blue)


def parse_hex_colour(value: str | None) -> Pixel | None:
    """`#RRGGBB` (or `RRGGBB`) as a pixel; None for anything else."""
    if not value:
        return None
    text = value.strip().removeprefix("#")
    if len(text) != 6:
        return None
    try:
        number = int(text, 16)
    except ValueError:
        return None
    return ((number >> 16) & 0xFF, (number >> 8) & 0xFF, number & 0xFF)


def halfblock_lines(pixels: PixelGrid) -> list[list[Segment]]:
    """Turn pixel rows into lines of `▀` cells, two pixel rows per line.

    An odd last row is drawn with the foreground only (the cell's lower half stays
    the terminal's background).

    Args:
        pixels: RGB rows, top to bottom.

    Returns:
        One list of segments per terminal line; each segment is one cell.
    """
    lines: list[list[Segment]] = []
    for top_index in range(0, len(pixels), 2):
        top = pixels[top_index]
        bottom = pixels[top_index + 1] if top_index + 1 < len(pixels) else None
        line: list[Segment] = []
        for x, upper in enumerate(top):
            lower = bottom[x] if bottom is not None and x < len(bottom) else None
            style = Style(
                color=Color.from_rgb(*upper),
                bgcolor=Color.from_rgb(*lower) if lower is not None else None,
            )
            line.append(Segment(UPPER_HALF, style))
        lines.append(line)
    return lines


def halfblock_text(pixels: PixelGrid) -> Text:
    """The half-block picture as one Rich `Text`, lines joined by newlines."""
    text = Text(no_wrap=True, overflow="crop", end="")
    for index, line in enumerate(halfblock_lines(pixels)):
        if index:
            text.append("\n")
        for segment in line:
            text.append(segment.text, segment.style)
    return text


def swatch_text(colour: Pixel, width: int = 4) -> Text:
    """A solid block of one colour, `width` cells wide, for colour swatches."""
    return Text(" " * width, style=Style(bgcolor=Color.from_rgb(*colour)), end="")


class ImageView(Widget):
    """Shows a half-block picture; its size is the picture's size in cells."""

    DEFAULT_CSS = """
    ImageView {
        width: auto;
        height: auto;
    }
    """

    def __init__(
        self,
        pixels: PixelGrid = (),
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._lines: list[Strip] = []
        self._columns = 0
        self.set_pixels(pixels)

    @property
    def picture_size(self) -> Size:
        """The picture's size in cells (columns, lines)."""
        return Size(self._columns, len(self._lines))

    def set_pixels(self, pixels: PixelGrid) -> None:
        """Replace the picture (an empty grid shows nothing)."""
        segment_lines = halfblock_lines(pixels)
        self._columns = max((len(line) for line in segment_lines), default=0)
        self._lines = [Strip(line, len(line)) for line in segment_lines]
        self.refresh(layout=True)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self._columns

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if 0 <= y < len(self._lines):
            return self._lines[y].crop_extend(0, width, self.rich_style)
        return Strip.blank(width, self.rich_style)
