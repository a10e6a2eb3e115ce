"""The search boxes: Inputs whose typing repaints them without re-arranging the screen.

Their Enter and Escape are listed in `BINDINGS` (submit, and the screen's `back`) so that the
help screen, built from bindings, says what the keys do in each box.

Enter and Escape end the typing: both move the focus away from the box, but only once their
action has run, after the keys sent in the same burst are queued for the box already. The
box holds those keys and hands them back to the app when it loses the focus, so they reach
what has the focus after Enter (the table's `j`, the app's `q`), in order.
"""

from __future__ import annotations

from collections import deque
from typing import ClassVar

from textual import events
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
        Binding(
            "enter",
            "submit",
            "Done",
            show=False,
            id="search.done",
            tooltip="Keep the search and go back to the list",
        ),
        Binding(
            "escape",
            "screen.back",
            "Clear",
            show=False,
            id="search.clear",
            tooltip="Clear the search and close the box",
        ),
    ]

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    ENDING_KEYS: ClassVar[frozenset[str]] = frozenset({"enter", "escape"})
    """Keys after which the box takes no more keys until it has the focus again."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._ended = False
        self._held: list[tuple[str, str | None]] = []
        self._passed: deque[events.Key] = deque(maxlen=32)

    def passed_up(self, event: events.Key) -> bool:
        """True if `event` is a key this box handled and let bubble up to the bindings
        (as opposed to one typed ahead elsewhere, `JobsApp.on_key`)."""
        for own in self._passed:
            if own is event:
                self._passed.remove(own)
                return True
        return False

    async def _on_key(self, event: events.Key) -> None:
        if self._ended:
            # Sent after Enter or Escape: for whatever has the focus next.
            event.stop()
            event.prevent_default()
            self._held.append((event.key, event.character))
            return
        if event.key in self.ENDING_KEYS:
            self._ended = True
        if not event.is_printable:
            self._passed.append(event)
        # Input's own key handler runs next (the box's typing).

    def _on_focus(self, event: events.Focus) -> None:
        self._ended = False

    def _on_blur(self, event: events.Blur) -> None:
        self._ended = False
        held, self._held = self._held, []
        for key, character in held:
            self.app.post_message(events.Key(key, character))


class JsonSearchInput(SearchInput):
    """The detail screen's `/` box over the raw JSON."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "submit",
            "Done",
            show=False,
            id="json_search.done",
            tooltip="Keep the matches and go to the raw JSON (n / N move between them)",
        ),
        Binding(
            "escape",
            "screen.back",
            "Close",
            show=False,
            id="json_search.close",
            tooltip="Close the search box; the matches stay marked",
        ),
    ]
