"""Snapshot images with a pixel protocol (Kitty graphics, Sixel) and how the protocol is chosen."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
from typing import Any

import pytest
from PIL import Image
from rich.console import Console
from textual.geometry import Region

from tests.conftest import REPO
from tests.detail.conftest import (
    DetailApp,
    ScriptedProvider,
    wait_for_detail,
    zoo_conversion_payload,
)
from tui.dashboard import resolve_image_protocol
from tui.image_decode import ImageDecodeError
from tui.image_protocol import ImageProtocol, choose_image_protocol, parse_image_protocol
from tui.providers import zoo
from tui.providers.zoo.details import ZooConversionDetail
from tui.sim.images import snapshot_png
from tui.widgets.detail_zoo import PICTURE_COLUMNS, PICTURE_ROWS, ZooConversionDetailView
from tui.widgets.image_view import ImageView, decode_picture, decode_png
from tui.widgets.pixel_image_view import PixelImageView, cells_for, prepare_terminal

AUTO, KITTY, SIXEL, HALFBLOCK = (
    ImageProtocol.AUTO,
    ImageProtocol.KITTY,
    ImageProtocol.SIXEL,
    ImageProtocol.HALFBLOCK,
)
TGP_START = "\x1b_G"
PLACEHOLDER = chr(0x10EEEE)
"""Kitty's Unicode placeholder: the cells a Kitty image is drawn on."""


# --- choosing the protocol ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"TERM": "xterm-kitty"}, KITTY),
        ({"TERM": "xterm-256color", "KITTY_WINDOW_ID": "3"}, KITTY),
        ({"TERM": "xterm-ghostty", "TERM_PROGRAM": "ghostty"}, KITTY),
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"}, SIXEL),
        ({"TERM": "foot"}, SIXEL),
        ({"TERM": "mlterm"}, SIXEL),
        ({"TERM": "xterm-256color"}, HALFBLOCK),
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "vscode"}, HALFBLOCK),
        ({"TERM": "linux"}, HALFBLOCK),
        ({}, HALFBLOCK),
    ],
)
def test_auto_picks_from_the_terminal_environment(
    environ: dict[str, str], expected: ImageProtocol
) -> None:
    assert choose_image_protocol(AUTO, environ, is_tty=True, low_bandwidth=False) is expected


@pytest.mark.parametrize(
    "environ",
    [
        {"TERM": "tmux-256color", "TMUX": "/tmp/tmux-0/default,1,0", "KITTY_WINDOW_ID": "1"},
        {"TERM": "screen-256color", "KITTY_WINDOW_ID": "1"},  # tmux's TERM, Kitty's variable
        {"TERM": "xterm-kitty", "TMUX": "/tmp/tmux-0/default,1,0"},
        {"TERM": "xterm-kitty", "STY": "1234.pts-0.host"},  # GNU screen
        {"TERM": "foot", "TMUX": "/tmp/tmux-0/default,1,0"},
    ],
)
def test_auto_uses_half_blocks_inside_a_multiplexer(environ: dict[str, str]) -> None:
    assert choose_image_protocol(AUTO, environ, is_tty=True, low_bandwidth=False) is HALFBLOCK


def test_auto_uses_half_blocks_with_no_tty_or_low_bandwidth() -> None:
    kitty = {"TERM": "xterm-kitty", "KITTY_WINDOW_ID": "1"}
    assert choose_image_protocol(AUTO, kitty, is_tty=True, low_bandwidth=False) is KITTY
    assert choose_image_protocol(AUTO, kitty, is_tty=False, low_bandwidth=False) is HALFBLOCK
    assert choose_image_protocol(AUTO, kitty, is_tty=True, low_bandwidth=True) is HALFBLOCK


@pytest.mark.parametrize("forced", [KITTY, SIXEL, HALFBLOCK])
def test_a_forced_protocol_is_taken_as_given(forced: ImageProtocol) -> None:
    tmux = {"TERM": "tmux-256color", "TMUX": "/tmp/tmux-0/default,1,0"}
    assert choose_image_protocol(forced, tmux, is_tty=False, low_bandwidth=True) is forced
    kitty = {"TERM": "xterm-kitty"}
    assert choose_image_protocol(forced, kitty, is_tty=True, low_bandwidth=False) is forced


def test_parse_image_protocol() -> None:
    assert parse_image_protocol(" Kitty ") is KITTY
    assert parse_image_protocol("halfblock") is HALFBLOCK
    with pytest.raises(ValueError):
        parse_image_protocol("iterm")


def test_resolving_auto_in_tmux_or_without_a_tty_never_loads_textual_image() -> None:
    """The library queries the terminal when imported; half-block runs must not load it."""
    code = (
        "import sys\n"
        "from tui.dashboard import resolve_image_protocol\n"
        "from tui.image_protocol import ImageProtocol\n"
        "kitty_in_tmux = {'TERM': 'xterm-kitty', 'TMUX': '/tmp/t,1,0'}\n"
        "kitty = {'TERM': 'xterm-kitty', 'KITTY_WINDOW_ID': '1'}\n"
        "a = resolve_image_protocol(ImageProtocol.AUTO, kitty_in_tmux, is_tty=True,"
        " low_bandwidth=False)\n"
        "b = resolve_image_protocol(ImageProtocol.AUTO, kitty, is_tty=False,"
        " low_bandwidth=False)\n"
        "import tui.app\n"
        "print(a.value, b.value, 'textual_image' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.split() == ["halfblock", "halfblock", "False"]


def test_confirming_auto_without_a_terminal_falls_back_to_half_blocks() -> None:
    # Under pytest standard input and output are not a terminal: nothing can answer.
    assert prepare_terminal(KITTY, confirm=True) is HALFBLOCK
    assert prepare_terminal(SIXEL, confirm=True) is HALFBLOCK
    assert prepare_terminal(KITTY, confirm=False) is KITTY
    assert resolve_image_protocol(SIXEL, {}, is_tty=False, low_bandwidth=False) is SIXEL


# --- decoding for a pixel protocol --------------------------------------------------------


def test_decode_picture_keeps_more_pixels_than_half_blocks() -> None:
    data = snapshot_png(1, 0)
    grid = decode_png(data, PICTURE_COLUMNS, PICTURE_ROWS)
    picture = decode_picture(data, PICTURE_COLUMNS * 10, PICTURE_ROWS * 20)
    assert picture.mode == "RGB"
    assert picture.size == Image.open(io.BytesIO(data)).size == (96, 72)
    assert picture.width * picture.height > 2 * len(grid[0]) * len(grid)


def test_decode_picture_scales_down_to_the_box() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (2000, 1000), (1, 2, 3)).save(buffer, format="PNG")
    assert decode_picture(buffer.getvalue(), 480, 280).size == (480, 240)


@pytest.mark.parametrize("bomb_mode", ["1", "L"])
def test_decode_picture_refuses_huge_and_corrupt_images(bomb_mode: str) -> None:
    buffer = io.BytesIO()
    Image.new(bomb_mode, (10_000, 10_000)).save(buffer, format="PNG")
    with pytest.raises(ImageDecodeError, match="too large"):
        decode_picture(buffer.getvalue(), 480, 280)
    with pytest.raises(ImageDecodeError):
        decode_picture(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, 480, 280)


def test_cells_cover_what_half_blocks_would() -> None:
    # 96x72 px on 10x20 px cells in a 48x14 box: 37x14 cells, as decode_png gives 37x28 px.
    assert cells_for((96, 72), (10, 20), 48, 14) == (37, 14)
    assert len(decode_png(snapshot_png(1, 0), 48, 14)[0]) == 37
    assert cells_for((4000, 10), (10, 20), 48, 14) == (48, 1)
    assert cells_for((1, 1), (10, 20), 48, 14).height == 14


# --- the library's renderables on a real simulator PNG --------------------------------------


@pytest.fixture
def terminal_out(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """What textual-image writes straight to the terminal (Kitty image data goes there)."""
    out = io.StringIO()
    monkeypatch.setattr(sys, "__stdout__", out)
    return out


def render_to_text(renderable: Any, width: int = 40, height: int = 10) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=width, height=height)
    console.print(renderable)
    return buffer.getvalue()


def test_kitty_renderable_sends_the_png_and_draws_placeholders(terminal_out: io.StringIO) -> None:
    from textual_image.renderable.tgp import Image as TGPRenderable

    picture = decode_picture(snapshot_png(1, 0), 480, 280)
    text = render_to_text(TGPRenderable(picture, width=10, height=4))
    sent = terminal_out.getvalue()
    assert sent.startswith(TGP_START) and "f=100" in sent  # f=100: PNG data follows
    assert f"{TGP_START}a=p," in sent and "U=1" in sent  # a placement on placeholders
    payload = sent.split(";", 1)[1].split("\x1b\\", 1)[0]
    assert base64.b64decode(payload[:12]).startswith(b"\x89PNG")
    assert text.count(PLACEHOLDER) == 10 * 4


def test_sixel_renderable_writes_a_sixel_sequence() -> None:
    from textual_image.renderable.sixel import Image as SixelRenderable

    picture = decode_picture(snapshot_png(2, 1), 480, 280)
    text = render_to_text(SixelRenderable(picture, width=10, height=4))
    start = text.index("\x1bP")
    assert text.index("q", start) < start + 12  # DCS P1;P2;P3 q: sixel data
    assert text.index("\x1b\\", start) > start + 100
    assert TGP_START not in text


# --- the Zoo view with a protocol forced --------------------------------------------------


def zoo_detail(images: list[bytes] | None = None) -> ZooConversionDetail:
    data = zoo_conversion_payload()
    if images is not None:
        data["original_snapshot_images"] = [
            {"mime_type": "image/png", "data_base64": base64.b64encode(image).decode()}
            for image in images
        ]
        data["raw_kcl_snapshot_images"] = []
    detail = zoo.parse_conversion_detail(data, "zoo", data["dataset_id"])
    assert isinstance(detail, ZooConversionDetail)
    return detail


def host(detail: ZooConversionDetail, protocol: ImageProtocol) -> DetailApp:
    provider = ScriptedProvider({detail.job.id: [detail]})
    return DetailApp(detail.job, provider, image_protocol=protocol)


async def test_kitty_forced_draws_the_snapshot_with_kitty_graphics(
    terminal_out: io.StringIO,
) -> None:
    app = host(zoo_detail(), KITTY)
    async with app.run_test(size=(120, 60)) as pilot:
        screen = await wait_for_detail(pilot)
        assert not screen.query(ImageView)
        view = screen.query_one("#zoo-image", PixelImageView)
        assert view.picture is not None and view.picture.size == (96, 72)
        assert view.picture_size == (37, 14)
        await pilot.pause()
        assert view.library_image.size == (37, 14)
        lines = view.library_image.render_lines(Region(0, 0, 37, 14))
        drawn = "".join(segment.text for line in lines for segment in line)
        assert drawn.count(PLACEHOLDER) == 37 * 14
        sent = terminal_out.getvalue()
        assert TGP_START in sent and "a=p" in sent
        caption = str(screen.query_one("#zoo-image-caption").render())
        assert caption.startswith("original #1 · image/png ·") and "cannot draw" not in caption


async def test_sixel_forced_draws_the_snapshot_with_sixels(terminal_out: io.StringIO) -> None:
    app = host(zoo_detail(), SIXEL)
    async with app.run_test(size=(120, 60)) as pilot:
        screen = await wait_for_detail(pilot)
        view = screen.query_one("#zoo-image", PixelImageView)
        await pilot.pause()
        (sixel_widget,) = view.library_image.children
        width, height = sixel_widget.size
        assert (width, height) == view.picture_size == (37, 14)
        lines = sixel_widget.render_lines(Region(0, 0, width, height))
        drawn = "".join(segment.text for line in lines for segment in line)
        start = drawn.index("\x1bP")
        assert drawn.index("q", start) < start + 12
        assert "\x1b\\" in drawn[start:]
        assert TGP_START not in terminal_out.getvalue()


def bomb_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("protocol", [KITTY, SIXEL])
@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not a png at all", "could not be decoded"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "could not be decoded"),
        (bomb_png(), "too large"),
    ],
    ids=["not-a-png", "broken-png", "decompression-bomb"],
)
async def test_hostile_images_cannot_be_drawn_with_a_pixel_protocol(
    protocol: ImageProtocol, data: bytes, reason: str, terminal_out: io.StringIO
) -> None:
    app = host(zoo_detail([data, snapshot_png(1, 0)]), protocol)
    async with app.run_test(size=(120, 60)) as pilot:
        screen = await wait_for_detail(pilot)
        view = screen.query_one(ZooConversionDetailView)
        assert view.shown_image == "original-0"
        caption = str(screen.query_one("#zoo-image-caption").render())
        assert "cannot draw" in caption and reason in caption
        picture = screen.query_one("#zoo-image", PixelImageView)
        assert picture.picture is None and picture.picture_size == (0, 0)
        assert TGP_START not in terminal_out.getvalue()
        # The next, good image still draws.
        screen.query_one("#zoo-images").focus()
        await pilot.press("down")
        await wait_for_detail(pilot)
        assert view.shown_image == "original-1"
        assert picture.picture is not None
        assert "cannot draw" not in str(screen.query_one("#zoo-image-caption").render())


@pytest.mark.parametrize("protocol", [AUTO, HALFBLOCK])
async def test_auto_and_halfblock_views_draw_half_blocks(protocol: ImageProtocol) -> None:
    app = host(zoo_detail(), protocol)
    async with app.run_test(size=(120, 60)) as pilot:
        screen = await wait_for_detail(pilot)
        assert not screen.query(PixelImageView)
        assert screen.query_one("#zoo-image", ImageView).picture_size == (37, 14)


# --- the setting ----------------------------------------------------------------------------


def test_image_protocol_setting_precedence_cli_env_file() -> None:
    from tui.config import Overrides, apply_overrides, env_overrides, parse_config

    from_file = parse_config({"image_protocol": "sixel"}, environ={})
    assert from_file.image_protocol is SIXEL
    assert parse_config({}, environ={}).image_protocol is AUTO
    env = env_overrides({"JOBTOP_IMAGE_PROTOCOL": "HalfBlock"})
    assert apply_overrides(from_file, env).image_protocol is HALFBLOCK
    cli = Overrides(image_protocol=KITTY)
    assert apply_overrides(from_file, env, cli).image_protocol is KITTY


def test_bad_image_protocol_values_are_refused_by_name() -> None:
    from tui.config import env_overrides, parse_config
    from tui.errors import ConfigError

    with pytest.raises(ConfigError, match="image_protocol must be one of auto, kitty"):
        parse_config({"image_protocol": "png"}, environ={})
    with pytest.raises(ConfigError, match="image_protocol"):
        parse_config({"image_protocol": True}, environ={})
    with pytest.raises(ConfigError, match="JOBTOP_IMAGE_PROTOCOL"):
        env_overrides({"JOBTOP_IMAGE_PROTOCOL": "iterm2"})


def test_command_line_flag() -> None:
    from tui.cli import build_parser

    args = build_parser().parse_args(["--image-protocol", "sixel"])
    assert args.image_protocol == "sixel"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--image-protocol", "png"])
