"""The jobs screen's keys: `JOBS_BINDINGS`, one view key per source configured, and the
columns `s` steps through."""

from __future__ import annotations

from collections.abc import Sequence

from textual.binding import Binding, BindingType

from tui.job_index.index import Column
from tui.providers.base import JobProvider
from tui.screens.jobs_view import COLLAPSE_BELOW_ROWS
from tui.screens.notices import source_label
from tui.widgets.job_table import COLUMNS, TRACKED_MARK, column_label

SORT_CYCLE: tuple[Column, ...] = tuple(spec.column for spec in COLUMNS)
"""The order `s` steps through sort columns: the table's, left to right (skipping the
columns not on screen)."""

FIRST_DESCENDING = frozenset({Column.DURATION})
"""Columns whose first sort is descending: the longest durations first."""

JOBS_BINDINGS: list[BindingType] = [
    Binding(
        "slash",
        "search",
        "Search",
        id="jobs.search",
        tooltip="Search: words, field:word, !negation, globs, re:regex (see below)",
    ),
    Binding(
        "f",
        "failed_only",
        "Failed only",
        id="jobs.failed_only",
        tooltip="Show only failed jobs, or everything again",
    ),
    Binding(
        "m",
        "filters",
        "States/status",
        id="jobs.filters",
        tooltip="Choose states and the provider's status to show",
    ),
    Binding(
        "s",
        "next_sort",
        "Sort",
        id="jobs.sort",
        tooltip="Sort by the next column to the right, and show the top",
    ),
    Binding(
        "S",
        "reverse_sort",
        "Reverse",
        show=False,
        id="jobs.reverse_sort",
        tooltip="Reverse the sort order, and show the top",
    ),
    Binding(
        "r",
        "refresh",
        "Refresh",
        id="jobs.refresh",
        tooltip="Refresh the sources of this view now",
    ),
    Binding("p", "pause", "Pause", id="jobs.pause", tooltip="Pause or resume automatic refresh"),
    Binding(
        "t",
        "track",
        "Track id",
        id="jobs.track",
        tooltip="Track a job id on a source (checked with the provider first)",
    ),
    Binding(
        "u",
        "untrack",
        "Untrack",
        show=False,
        id="jobs.untrack",
        tooltip=f"Stop tracking the highlighted job (tracked jobs show {TRACKED_MARK})",
    ),
    Binding(
        "c",
        "copy_id",
        "Copy id",
        show=False,
        id="jobs.copy_id",
        tooltip="Copy the highlighted job's id to the clipboard (OSC 52, works over SSH)",
    ),
    Binding(
        "plus,equals_sign",
        "faster",
        "Faster",
        show=False,
        id="jobs.faster",
        tooltip="Refresh more often",
    ),
    Binding(
        "minus", "slower", "Slower", show=False, id="jobs.slower", tooltip="Refresh less often"
    ),
    Binding(
        "tab",
        "next_view",
        "Next view",
        show=False,
        id="jobs.next_view",
        tooltip="Show the next source",
    ),
    Binding(
        "shift+tab",
        "previous_view",
        "Previous view",
        show=False,
        id="jobs.previous_view",
        tooltip="Show the previous source",
    ),
    Binding(
        "escape",
        "back",
        "Back",
        show=False,
        id="jobs.back",
        tooltip="Close search or clear the filters",
    ),
    Binding(
        "n",
        "next_notify_rule",
        "Notifications",
        show=False,
        id="jobs.notify_rule",
        tooltip="Which job endings notify: failures only, and cancellations, every ending, or none",
    ),
    Binding(
        "w",
        "next_window",
        "Window",
        show=False,
        id="jobs.window",
        tooltip="Show only jobs that changed in the last 15 min, 1 h, 6 h, 24 h, 7 d, or all",
    ),
    Binding(
        "e",
        "event_log",
        "Event log",
        show=False,
        id="jobs.event_log",
        tooltip="Event log: every job's change and source problem, newest first",
    ),
    Binding(
        "x",
        "stuck_only",
        "Stuck only",
        show=False,
        id="jobs.stuck_only",
        tooltip="Show only running jobs past their kind's typical run time (again: all)",
    ),
    Binding(
        "ctrl+e",
        "toggle_sources",
        "Sources",
        show=False,
        id="jobs.toggle_sources",
        tooltip="Sources on one line, or one line each (one line below"
        f" {COLLAPSE_BELOW_ROWS} rows)",
    ),
]
"""Every key of the job list but the view digits (`view_bindings`)."""


def view_bindings(providers: Sequence[JobProvider]) -> list[Binding]:
    """`1` for All, then one digit per source (up to `9`), each named after its view;
    only the views that exist (more sources: Tab)."""
    views = [("All sources", "Show every source's jobs")] + [
        (source_label(p.account), f"Show the jobs of {source_label(p.account)} ({p.provider})")
        for p in providers
    ]
    return [
        Binding(
            str(number),
            f"view({number - 1})",
            name,
            show=False,
            id=f"jobs.view_{number}",
            tooltip=tooltip,
        )
        for number, (name, tooltip) in enumerate(views[:9], start=1)
    ]


def next_sort(current: Column, shown: Sequence[Column]) -> tuple[Column, bool]:
    """The column `s` sorts by after `current` (the next one on screen to the right, after
    the last the first), and whether that sort starts descending."""
    cycle = [column for column in SORT_CYCLE if column in shown] or list(SORT_CYCLE)
    after = SORT_CYCLE[SORT_CYCLE.index(current) + 1 :] if current in SORT_CYCLE else ()
    column = next((c for c in after if c in cycle), cycle[0])
    return column, column in FIRST_DESCENDING


def sort_columns() -> list[tuple[str, str]]:
    """Every sortable column: (its key for `sort_by`, its name as the header shows it)."""
    return [(column.value, column_label(column)) for column in SORT_CYCLE]
