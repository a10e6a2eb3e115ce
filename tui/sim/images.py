"""Real images for the simulator: PNG snapshots of a part, and real blurHashes.

Renders are small and cached by variant number, so serving a detail costs no drawing.
"""

from __future__ import annotations

import io
import math
from functools import lru_cache

import blurhash  # type: ignore[import-untyped]  # no stubs or py.typed
from PIL import Image, ImageDraw, ImageStat

SNAPSHOT_SIZE = (96, 72)
VARIANTS = 12
"""How many distinct renders exist; jobs pick one by hash."""

_PART_COLORS = ((176, 180, 190), (214, 160, 60), (90, 140, 210), (200, 90, 80), (120, 190, 120))
_SCENES = (
    ((255, 170, 90), (40, 60, 120), (30, 40, 30)),
    ((120, 190, 250), (250, 250, 255), (60, 120, 50)),
    ((20, 20, 50), (240, 200, 120), (10, 10, 20)),
    ((250, 220, 180), (200, 120, 160), (90, 70, 60)),
)


def _render_part(variant: int, stage: int) -> Image.Image:
    """A flanged bracket with bolt holes, seen at an angle; `stage` shades it differently."""
    w, h = SNAPSHOT_SIZE
    img = Image.new("RGB", (w, h), (238, 240, 244) if stage != 1 else (30, 34, 40))
    draw = ImageDraw.Draw(img)
    color = _PART_COLORS[variant % len(_PART_COLORS)]
    angle = (variant * 29) % 360 * math.pi / 180
    cx, cy, r = w / 2, h / 2 + 4, min(w, h) * 0.34
    ring = [
        (
            cx + r * math.cos(angle + k * math.pi / 3) * 1.2,
            cy + r * 0.6 * math.sin(angle + k * math.pi / 3),
        )
        for k in range(6)
    ]
    shadow = tuple(max(0, c - 70) for c in color)
    draw.polygon([(x, y + 6) for x, y in ring], fill=shadow)
    draw.polygon(ring, fill=color, outline=(40, 40, 40))
    boss = (cx - r * 0.45, cy - r * 0.9, cx + r * 0.45, cy - r * 0.1)
    draw.rectangle(boss, fill=tuple(min(255, c + 30) for c in color), outline=(40, 40, 40))
    draw.ellipse((cx - r * 0.2, cy - r * 0.65, cx + r * 0.2, cy - r * 0.35), fill=(20, 20, 20))
    for x, y in ring[::2]:
        draw.ellipse(
            (x - 3 + (cx - x) * 0.25, y - 2, x + 3 + (cx - x) * 0.25, y + 2), fill=(25, 25, 25)
        )
    if stage == 2:
        draw.line((4, h - 6, w - 4, h - 6), fill=(90, 90, 90))
    return img


@lru_cache(maxsize=VARIANTS * 3)
def snapshot_png(variant: int, stage: int = 0) -> bytes:
    """PNG bytes of a part render (stage 0 original, 1 raw KCL, 2 salon KCL)."""
    buf = io.BytesIO()
    _render_part(variant % VARIANTS, stage).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _render_scene(variant: int) -> Image.Image:
    """A small photo-like scene: a sky gradient, a sun and hills."""
    w, h = 32, 24
    top, sun, ground = _SCENES[variant % len(_SCENES)]
    img = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(img)
    for y in range(h):
        t = y / (h - 1)
        draw.line(
            (0, y, w, y),
            fill=tuple(int(a + (b - a) * t) for a, b in zip(top, (255, 255, 255), strict=True)),
        )
    sx = 6 + (variant * 7) % 20
    draw.ellipse((sx - 4, 3, sx + 4, 11), fill=sun)
    draw.polygon(
        [(0, h), (0, 15), (10, 12 + variant % 3), (20, 16), (32, 13), (32, h)], fill=ground
    )
    return img


@lru_cache(maxsize=VARIANTS)
def photo_preview(variant: int) -> tuple[str, str]:
    """(blurHash, "#RRGGBB" average colour) of the same real image."""
    img = _render_scene(variant % VARIANTS)
    pixels = [[img.getpixel((x, y)) for x in range(img.width)] for y in range(img.height)]
    code = blurhash.encode(pixels, 4, 3)
    mean = ImageStat.Stat(img).mean
    return code, "#{:02X}{:02X}{:02X}".format(*(round(c) for c in mean[:3]))


def scene_image(variant: int) -> Image.Image:
    """The image behind `photo_preview(variant)` (for tests that check the average)."""
    return _render_scene(variant % VARIANTS)
