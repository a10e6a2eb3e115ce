"""FilterPanel: the state multi-select and the provider-status picker, side by side (a few
rows high, so the table keeps its rows).

Status values come from servers, so each option is a plain `Content`, never markup. Each
status is listed with its provider (two providers may use the same word, or words that
differ only in case, for different things).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Label, OptionList, SelectionList
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from tui.formatting import STATE_GLYPHS
from tui.job_index import StatusChoice
from tui.models import JobState
from tui.sanitize import clean, one_line
from tui.widgets.option_list import SafeOptionList, SafeSelectionList

ANY_STATUS = "\x00any"
"""Option id of "any status"."""
STATUS_WIDTH = 28
"""Cells a status takes in the list (a longer one is cut), so its provider shows after it."""


class StateList(SafeSelectionList[JobState]):
    """The panel's states; Space toggles one (listed here for the help screen)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "space",
            "select",
            "Toggle state",
            show=False,
            id="filters.toggle_state",
            tooltip="Show or hide jobs in the highlighted state",
        ),
    ]


class StatusList(SafeOptionList):
    """The panel's provider statuses; Enter picks one (listed here for the help screen)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select",
            "Pick status",
            show=False,
            id="filters.pick_status",
            tooltip="Show only the highlighted provider status, and close the panel",
        ),
    ]


class FilterPanel(Horizontal):
    """Pick the states and the raw status to show; Escape closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="filters.close", tooltip="Close the filter panel"),
        Binding(
            "tab",
            "app.focus_next",
            "Next list",
            show=False,
            id="filters.next",
            tooltip="Move between the state and status lists",
        ),
        Binding(
            "shift+tab",
            "app.focus_previous",
            "Previous list",
            show=False,
            id="filters.previous",
            tooltip="Move between the state and status lists",
        ),
    ]

    class StatesChanged(Message):
        """The set of states to show changed (empty: all)."""

        def __init__(self, states: frozenset[JobState]) -> None:
            super().__init__()
            self.states = states

    class StatusChosen(Message):
        """A provider's raw status was picked (None: any)."""

        def __init__(self, status: StatusChoice | None) -> None:
            super().__init__()
            self.status = status

    class Closed(Message):
        """The panel was closed."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._statuses: list[StatusChoice] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="filter-states-column", classes="filter-column"):
            yield Label("States (space toggles)", markup=False)
            yield StateList(
                *(
                    Selection(Content(f"{STATE_GLYPHS[state]} {state.value}"), state)
                    for state in JobState
                ),
                id="filter-states",
                compact=True,
            )
        with Vertical(id="filter-status-column", classes="filter-column"):
            yield Label("Provider status (enter picks)", markup=False)
            yield StatusList(id="filter-status", compact=True)

    def set_choices(
        self,
        states: frozenset[JobState],
        statuses: Iterable[StatusChoice],
        current: StatusChoice | None,
    ) -> None:
        """Fill the lists with the current filter and the statuses seen."""
        selection = self.query_one("#filter-states", SelectionList)
        with selection.prevent(SelectionList.SelectedChanged):
            selection.deselect_all()
            for state in states:
                selection.select(state)
        self._statuses = list(statuses)
        options = self.query_one("#filter-status", OptionList)
        options.clear_options()
        options.add_option(Option(Content("(any status)"), id=ANY_STATUS))
        labels = [_crop(status_label(choice), STATUS_WIDTH) for choice in self._statuses]
        width = max((cell_len(label) for label in labels), default=0)
        for position, (choice, text) in enumerate(zip(self._statuses, labels, strict=True)):
            marker = "● " if choice == current else "  "
            label = Content.assemble(
                marker + text + " " * (width - cell_len(text)) + "  ",
                (str(choice.provider), "$text-muted"),
            )
            options.add_option(Option(label, id=f"s{position}"))

    def on_selection_list_selected_changed(
        self, event: SelectionList.SelectedChanged[JobState]
    ) -> None:
        """Report the chosen states."""
        event.stop()
        self.post_message(self.StatesChanged(frozenset(event.selection_list.selected)))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Report the chosen status."""
        event.stop()
        option_id = event.option.id
        if option_id == ANY_STATUS or option_id is None:
            self.post_message(self.StatusChosen(None))
        else:
            self.post_message(self.StatusChosen(self._statuses[int(option_id[1:])]))

    def action_close(self) -> None:
        """Hide the panel."""
        self.post_message(self.Closed())


def status_label(choice: StatusChoice) -> str:
    """A status word as listed: cleaned, on one line, capped; "(empty)" for none."""
    return one_line(clean(choice.status, 80)) or "(empty)"


def _crop(text: str, width: int) -> str:
    """`text` in at most `width` cells, cut with an ellipsis."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1) + "…"
