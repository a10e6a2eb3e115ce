"""The jobtop theme: colours chosen from the xterm 256-colour cube and its 16 basics.

Every colour here is an exact xterm-256 entry and sits near one of the 16 ANSI colours,
so it survives the downgrade on 256- and 16-colour terminals. State is never shown by
colour alone (each state has its own glyph), and `NO_COLOR` is honoured by Textual,
which then renders in monochrome.
"""

from __future__ import annotations

from textual.theme import Theme

JOBTOP_DARK = Theme(
    name="jobtop-dark",
    primary="#5f87d7",
    secondary="#5f5f87",
    accent="#5fafaf",
    warning="#d7af00",
    error="#d75f5f",
    success="#5faf5f",
    foreground="#d0d0d0",
    background="#121212",
    surface="#1c1c1c",
    panel="#303030",
    dark=True,
    variables={
        "state-queued": "#87afd7",
        "state-running": "#5fafff",
        "state-succeeded": "#5faf5f",
        "state-failed": "#ff5f5f",
        "state-canceled": "#8a8a8a",
        "state-unknown": "#d7af00",
        "flash-background": "#3a3a00",
        "footer-key-foreground": "#5fafaf",
    },
)
"""Dark theme, the default."""

JOBTOP_LIGHT = Theme(
    name="jobtop-light",
    primary="#005f87",
    secondary="#5f5f87",
    accent="#008787",
    warning="#875f00",
    error="#af0000",
    success="#005f00",
    foreground="#1c1c1c",
    background="#eeeeee",
    surface="#e4e4e4",
    panel="#d0d0d0",
    dark=False,
    variables={
        "state-queued": "#005f87",
        "state-running": "#0000af",
        "state-succeeded": "#005f00",
        "state-failed": "#af0000",
        "state-canceled": "#585858",
        "state-unknown": "#875f00",
        "flash-background": "#ffffaf",
        "footer-key-foreground": "#008787",
    },
)
"""Light theme for light terminals."""

THEMES = (JOBTOP_DARK, JOBTOP_LIGHT)
DEFAULT_THEME = JOBTOP_DARK.name
