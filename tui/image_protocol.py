"""Which graphics protocol draws snapshot images: a pure choice from the setting and terminal.

Half blocks work everywhere (colour cells, over SSH, in tmux). Kitty's graphics protocol
and Sixel draw real pixels, but only in terminals that speak them, and a multiplexer
(tmux, screen) swallows or garbles them unless passthrough is set up, which cannot be
seen from inside. So `auto` picks a sharp protocol only for a terminal known by its
environment to support it, outside any multiplexer, on a real terminal, and not in
low-bandwidth mode (a sharp image is tens of kilobytes per draw). This module must not
import Textual: `tui.dashboard` calls it before the app starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class ImageProtocol(StrEnum):
    """How pictures are drawn (the `image_protocol` setting)."""

    AUTO = "auto"
    """Kitty or Sixel when the terminal is known to support it, else half blocks."""
    KITTY = "kitty"
    """Kitty's terminal graphics protocol, with Unicode placeholders."""
    SIXEL = "sixel"
    """DEC Sixel graphics."""
    HALFBLOCK = "halfblock"
    """Coloured `▀` cells, two pixels per cell: works in every colour terminal."""

    @property
    def is_sharp(self) -> bool:
        """True for the pixel protocols (Kitty, Sixel)."""
        return self in (ImageProtocol.KITTY, ImageProtocol.SIXEL)


KITTY_TERMINALS = frozenset({"kitty", "ghostty"})
"""`TERM_PROGRAM` values (lower case) of terminals that draw Kitty Unicode placeholders."""
SIXEL_TERMINALS = frozenset({"wezterm", "foot", "mlterm", "contour", "iterm.app"})
"""`TERM_PROGRAM` values (lower case) of terminals that draw Sixel."""
SIXEL_TERM_PREFIXES = ("foot", "mlterm", "contour", "yaft")
"""`TERM` values of Sixel terminals that set no `TERM_PROGRAM`."""


def parse_image_protocol(value: str) -> ImageProtocol:
    """The protocol named by `value` (case and spaces ignored).

    Raises:
        ValueError: `value` names no protocol.
    """
    return ImageProtocol(value.strip().lower())


def in_multiplexer(environ: Mapping[str, str]) -> bool:
    """True inside tmux or GNU screen (their variables, or a `TERM` they set)."""
    term = environ.get("TERM", "").lower()
    return bool(environ.get("TMUX") or environ.get("STY") or term.startswith(("tmux", "screen")))


def terminal_graphics(environ: Mapping[str, str]) -> ImageProtocol:
    """The sharp protocol this terminal is known by its environment to draw, else HALFBLOCK.

    Only positive signs count: Kitty sets `KITTY_WINDOW_ID` and `TERM=xterm-kitty`,
    Ghostty `TERM=xterm-ghostty`; the Sixel terminals are recognised by `TERM_PROGRAM`
    or `TERM`. Anything unknown (xterm, VTE, VS Code, …) gets half blocks.
    """
    term = environ.get("TERM", "").lower()
    program = environ.get("TERM_PROGRAM", "").lower()
    if environ.get("KITTY_WINDOW_ID") or term in ("xterm-kitty", "xterm-ghostty"):
        return ImageProtocol.KITTY
    if program in KITTY_TERMINALS:
        return ImageProtocol.KITTY
    if program in SIXEL_TERMINALS or term.startswith(SIXEL_TERM_PREFIXES):
        return ImageProtocol.SIXEL
    return ImageProtocol.HALFBLOCK


def choose_image_protocol(
    setting: ImageProtocol,
    environ: Mapping[str, str],
    *,
    is_tty: bool,
    low_bandwidth: bool,
) -> ImageProtocol:
    """The protocol to draw with: never AUTO.

    Args:
        setting: What the user asked for; KITTY, SIXEL and HALFBLOCK are taken as given.
        environ: The process environment.
        is_tty: Whether standard output (and input) are a terminal.
        low_bandwidth: The low-bandwidth setting.

    Returns:
        For AUTO: the terminal's sharp protocol when it is a known one, on a tty, outside
        tmux/screen and not in low-bandwidth mode; HALFBLOCK otherwise.
    """
    if setting is not ImageProtocol.AUTO:
        return setting
    if not is_tty or low_bandwidth or in_multiplexer(environ):
        return ImageProtocol.HALFBLOCK
    return terminal_graphics(environ)
