"""A job store that cannot be used: a warning line that stays, and the offer to move a
corrupt store aside.

The dashboard runs on live data whatever the store's state: `tui.dashboard` falls back to
an in-memory store when the file cannot be opened, and `JobsScreen` keeps showing what it
fetched when a save fails. `show_store_problem` puts one line at the top of the job list
saying so (a toast would be gone in seconds); `MoveStoreAsideScreen` asks whether to
rename a corrupt store to `<name>.corrupt-<UTC time>` and start a fresh one.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui.errors import StoreError
from tui.sanitize import clean, one_line


class StoreNotice(Static):
    """One warning line at the top of the job list, there until the store works again."""

    DEFAULT_CSS = """
    StoreNotice {
        dock: top;
        height: auto;
        max-height: 3;
        padding: 0 1;
        background: $warning 25%;
        color: $text;
    }
    """

    def __init__(self) -> None:
        super().__init__("", markup=False, id="store-notice")


def store_notice_text(sentence: str) -> str:
    """The notice's text for a store problem given as one sentence."""
    return one_line(clean(f"⚠ {sentence}. Jobs are shown live but not saved.", 400))


def show_store_problem(screen: Screen[Any], sentence: str) -> None:
    """Show (or update) the store warning line on `screen`."""
    text = store_notice_text(sentence)
    found = screen.query(StoreNotice)
    if found:
        found.first().update(text)
        return
    notice = StoreNotice()
    notice.update(text)
    screen.mount(notice)


def store_unreadable(screen: Screen[Any], error: Exception) -> None:
    """Say the store could not be read at start: through the app's `report_store_problem`
    for a `StoreError` (a line that stays, and for a corrupt store the offer to move it),
    else as a line naming the error's kind."""
    report = getattr(screen.app, "report_store_problem", None)
    if isinstance(error, StoreError) and report is not None:
        report(error)
    else:
        show_store_problem(
            screen, f"The local job store could not be read ({type(error).__name__})"
        )


def clear_store_problem(screen: Screen[Any]) -> None:
    """Remove the store warning line from `screen`, if it is there."""
    screen.query(StoreNotice).remove()


class MoveStoreAsideScreen(ModalScreen[bool]):
    """Asks whether to move a corrupt store aside; dismisses with True to move it.

    Its two keys are read here rather than declared as bindings: the dialog shows them
    itself, and it is not a place the help screen or the command palette should offer.
    """

    DEFAULT_CSS = """
    MoveStoreAsideScreen {
        align: center middle;
    }
    MoveStoreAsideScreen > Vertical {
        width: 72;
        height: auto;
        padding: 1 2;
        border: thick $warning;
        background: $surface;
    }
    """

    def __init__(self, sentence: str, path: str) -> None:
        super().__init__()
        self.sentence = sentence
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content.styled("The job store is corrupt", "bold"))
            yield Static(Content(one_line(clean(self.sentence, 400))))
            yield Static(
                Content(
                    f"y: rename it to {one_line(clean(self.path, 300))}.corrupt-<time> and"
                    " start a fresh store.   n: keep it and run without saving."
                )
            )

    def on_key(self, event: events.Key) -> None:
        """`y` moves the store aside; `n` or Escape keeps it. Other keys wait for an answer."""
        if event.key in ("y", "n", "escape"):
            event.stop()
            event.prevent_default()
            self.dismiss(event.key == "y")
