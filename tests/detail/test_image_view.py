"""The half-block renderer: PNG and BlurHash to coloured `▀` cells."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from rich.color import Color

from tui.image_decode import ImageDecodeError
from tui.widgets.image_view import (
    UPPER_HALF,
    blurhash_pixels,
    decode_png,
    halfblock_lines,
    halfblock_text,
    parse_hex_colour,
)

SEED_BLURHASH = "elMj?o;JW3H1R%D%~AxfUCt7?bt7M{WBRkIBE2t1rcofWBayfRayf7"


def png_bytes(width: int, height: int, colour: tuple[int, ...], mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_two_pixel_rows_per_line_upper_is_foreground() -> None:
    red, blue, green, white = (255, 0, 0), (0, 0, 255), (0, 255, 0), (255, 255, 255)
    lines = halfblock_lines([[red, green], [blue, white]])
    assert len(lines) == 1
    first, second = lines[0]
    assert first.text == UPPER_HALF
    assert first.style is not None
    assert first.style.color == Color.from_rgb(255, 0, 0)
    assert first.style.bgcolor == Color.from_rgb(0, 0, 255)
    assert second.style is not None
    assert second.style.color == Color.from_rgb(0, 255, 0)
    assert second.style.bgcolor == Color.from_rgb(255, 255, 255)


def test_odd_last_row_has_no_background() -> None:
    grey = (9, 9, 9)
    lines = halfblock_lines([[grey], [grey], [grey]])
    assert len(lines) == 2
    last_style = lines[1][0].style
    assert last_style is not None and last_style.bgcolor is None


def test_empty_grid_gives_no_lines() -> None:
    assert halfblock_lines([]) == []
    assert halfblock_text([]).plain == ""


def test_decode_png_downscales_keeping_aspect() -> None:
    pixels = decode_png(png_bytes(400, 100, (10, 20, 30)), max_columns=40, max_rows=10)
    assert len(pixels[0]) == 40
    assert len(pixels) == 10  # 400x100 -> 40x10 pixels -> 5 lines
    assert pixels[3][7] == (10, 20, 30)
    assert len(halfblock_lines(pixels)) == 5


def test_decode_png_never_upscales() -> None:
    pixels = decode_png(png_bytes(3, 2, (1, 2, 3)), max_columns=40, max_rows=10)
    assert (len(pixels[0]), len(pixels)) == (3, 2)


def test_transparency_is_blended_onto_background() -> None:
    data = png_bytes(2, 2, (255, 255, 255, 0), mode="RGBA")
    assert decode_png(data, background=(0, 0, 0))[0][0] == (0, 0, 0)
    assert decode_png(data, background=(40, 50, 60))[0][0] == (40, 50, 60)


@pytest.mark.parametrize(
    "data",
    [b"", b"not a png", png_bytes(4, 4, (0, 0, 0))[:30], b"\x89PNG\r\n\x1a\n" + b"\x00" * 50],
)
def test_corrupt_images_raise_decode_error(data: bytes) -> None:
    with pytest.raises(ImageDecodeError):
        decode_png(data)


def test_huge_dimensions_are_refused_before_decoding() -> None:
    # A 1-bit 10000x10000 PNG is tiny encoded but would be 100 M pixels decoded.
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, format="PNG")
    with pytest.raises(ImageDecodeError, match="too large"):
        decode_png(buffer.getvalue())


def test_blurhash_decodes_the_seed_to_the_requested_size() -> None:
    pixels = blurhash_pixels(SEED_BLURHASH, columns=12, rows=4)
    assert len(pixels) == 8 and all(len(row) == 12 for row in pixels)
    assert all(0 <= channel <= 255 for row in pixels for pixel in row for channel in pixel)
    # A real picture, not a flat colour.
    assert len({pixel for row in pixels for pixel in row}) > 10


@pytest.mark.parametrize("bad", ["", "x", "[/x]", "elMj?o;JW3H1R", "é" * 30, "A" * 500])
def test_invalid_blurhash_raises_decode_error(bad: str) -> None:
    with pytest.raises(ImageDecodeError):
        blurhash_pixels(bad)


def test_halfblock_text_has_one_line_per_two_rows() -> None:
    text = halfblock_text(blurhash_pixels(SEED_BLURHASH, columns=5, rows=3))
    assert text.plain == "\n".join([UPPER_HALF * 5] * 3)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("#9B9B9B", (155, 155, 155)),
        ("00ff10", (0, 255, 16)),
        ("#12345", None),
        ("#GGGGGG", None),
        (None, None),
        ("[red]", None),
    ],
)
def test_parse_hex_colour(value: str | None, expected: tuple[int, int, int] | None) -> None:
    assert parse_hex_colour(value) == expected
