"""A job store that cannot be used: a warning line that stays, and the offer to move a
corrupt store aside.

The dashboard runs on live data whatever the store's state: `tui.dashboard` falls back to
an in-memory store when the file cannot be opened, and `JobsScreen` keeps showing what it
fetched when a save fails. `show_store_problem` puts one line at the top of the job list
saying so (a toast would be gone in seconds); `MoveStoreAsideScreen` asks whether to
rename a corrupt store to `<name>.corrupt-<UTC time>` and start a fresh one.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

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


def show_store_problem(screen: Screen[object], sentence: str) -> None:
    """Show (or update) the store warning line on `screen`."""
    text = store_notice_text(sentence)
    found = screen.query(StoreNotice)
    if found:
        found.first().update(text)
        return
    notice = StoreNotice()
    notice.update(text)
    screen.mount(notice)


def clear_store_problem(screen: Screen[object]) -> None:
    """Remove the store warning line from `screen`, if it is there."""
    screen.query(StoreNotice).remove()


class MoveStoreAsideScreen(ModalScreen[bool]):
    """Asks whether to move a corrupt store aside; dismisses with True to move it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Move it aside", id="store.move",
                tooltip="Rename the corrupt store and start a fresh one"),
        Binding("n,escape", "answer(False)", "Keep it", id="store.keep",
                tooltip="Leave the file as it is and run without saving"),
    ]

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

    def action_answer(self, move: bool) -> None:
        """Close the dialog with the answer."""
        self.dismiss(move)
