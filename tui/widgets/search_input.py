"""The `/` search box: an Input whose typing repaints it without re-arranging the screen."""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class SearchInput(Input):
    """A one-line Input of fixed size whose keystrokes never cost a screen layout.

    Input sets its `virtual_size` (the width of its text, for scrolling it sideways) on
    every keystroke, and `virtual_size` is a layout reactive: each key re-arranged and
    re-composited the whole screen, a quarter of a search keystroke's time at 100,000
    jobs. The box's own size never depends on its text, so a repaint is enough.
    """

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
