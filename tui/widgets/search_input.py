"""The search boxes: Inputs whose typing repaints them without re-arranging the screen.

Their Enter and Escape are listed in `BINDINGS` (the same actions they had) so that the
help screen, built from bindings, says what the keys do in each box.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class SearchInput(Input):
    """The job list's `/` box: a one-line Input of fixed size whose keystrokes never cost
    a screen layout.

    Input sets its `virtual_size` (the width of its text, for scrolling it sideways) on
    every keystroke, and `virtual_size` is a layout reactive: each key re-arranged and
    re-composited the whole screen, a quarter of a search keystroke's time at 100,000
    jobs. The box's own size never depends on its text, so a repaint is enough.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Done", show=False, id="search.done",
                tooltip="Keep the search and go back to the list"),
        Binding("escape", "screen.back", "Clear", show=False, id="search.clear",
                tooltip="Clear the search and close the box"),
    ]

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)


class JsonSearchInput(SearchInput):
    """The detail screen's `/` box over the raw JSON."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Done", show=False, id="json_search.done",
                tooltip="Keep the matches and go to the raw JSON (n / N move between them)"),
        Binding("escape", "screen.back", "Close", show=False, id="json_search.close",
                tooltip="Close the search box; the matches stay marked"),
    ]
