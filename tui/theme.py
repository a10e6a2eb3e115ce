"""The jobtop theme: colours from the xterm 256-colour palette, for 256 and 16 colours.

Every colour here is an entry of the xterm 256-colour palette, so 256-colour terminals
show it as designed (Rich rounds a few light greys to the neighbouring grey). On a
16-colour terminal Rich maps each colour to its nearest ANSI colour
(`Color.downgrade(ColorSystem.STANDARD)`), and the colours are picked so that what must
differ still differs there: the six states, the text, the background, the header, the
row cursor and the changed-row flash (tests/ui/test_colours.py checks every pair). State
is never shown by colour alone (each state has its own glyph), and `NO_COLOR` is honoured
by Textual, which then renders in monochrome.

The ANSI colours each one becomes on 16 colours, dark theme / light theme:

| Variable | Dark | Light |
|---|---|---|
| background / text | black / white | bright white / black |
| header (`panel`) | bright black | white |
| state-failed | bright red | red |
| state-succeeded | bright green | green |
| state-running | bright cyan | blue |
| state-queued | bright magenta | magenta |
| state-canceled | bright black | bright black |
| state-unknown | bright yellow | yellow |
| cursor-background (focused / blurred) | blue / blue | cyan / bright cyan |
| flash-background | yellow | bright yellow |
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
        "state-queued": "#d787ff",
        "state-running": "#5fafff",
        "state-succeeded": "#5faf5f",
        "state-failed": "#ff5f5f",
        "state-canceled": "#767676",
        "state-unknown": "#ffd700",
        "cursor-background": "#000087",
        "cursor-blurred-background": "#00005f",
        "flash-background": "#5f5f00",
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
        "state-queued": "#8700af",
        "state-running": "#0000af",
        "state-succeeded": "#005f00",
        "state-failed": "#af0000",
        "state-canceled": "#585858",
        "state-unknown": "#875f00",
        "cursor-background": "#0087af",
        "cursor-blurred-background": "#87d7ff",
        "flash-background": "#ffff87",
        "footer-key-foreground": "#008787",
    },
)
"""Light theme for light terminals."""

THEMES = (JOBTOP_DARK, JOBTOP_LIGHT)
DEFAULT_THEME = JOBTOP_DARK.name


def theme_for(setting: str) -> str:
    """The registered theme's name for the `theme` setting (`dark` or `light`)."""
    return JOBTOP_LIGHT.name if setting == "light" else JOBTOP_DARK.name
