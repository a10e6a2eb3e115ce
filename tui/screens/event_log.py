"""EventLogScreen: what happened, newest first, read from the store (so it survives a restart).

Every change of state of a known job and every source problem (failing, rate limited,
recovered, incomplete listing), each with its absolute time (UTC) and the whole sentence
the source gave, wrapped rather than cut. Enter on a job's change opens that job.

Everything shown comes from servers or the store file: each entry is cleaned to one line
and rendered as plain `Content`, never markup.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.errors import StoreError
from tui.formatting import fmt_timestamp, state_label
from tui.models import JobState
from tui.sanitize import clean, one_line
from tui.store import EventKind, JobStore, LogEntry
from tui.widgets.footer import KeysFooter
from tui.widgets.option_list import SafeOptionList

LOG_LIMIT = 1_000
"""Entries shown (the newest): the list is rebuilt whole when one arrives, which takes
time in proportion (docs/design.md §6)."""

RELOAD_EVERY = 5.0
"""Seconds between re-reads of the store while the log is open."""

SENTENCE_LIMIT = 2_000
"""A source's sentence is shown whole up to this many characters."""

_KIND_STYLE: dict[EventKind, tuple[str, str]] = {
    EventKind.FAILING: ("✖ failing", "$error"),
    EventKind.RATE_LIMITED: ("⏸ rate limited", "$warning"),
    EventKind.RECOVERED: ("✔ recovered", "$success"),
    EventKind.INCOMPLETE: ("⚠ incomplete", "$warning"),
}

_STATE_STYLE: dict[JobState, str] = {
    JobState.FAILED: "$state-failed",
    JobState.SUCCEEDED: "$state-succeeded",
    JobState.CANCELED: "$state-canceled",
    JobState.RUNNING: "$state-running",
    JobState.QUEUED: "$state-queued",
}


def entry_content(entry: LogEntry, name: str | None = None) -> Content:
    """One entry as plain text: time, source, what happened (the job's name if known)."""
    parts: list[Content | tuple[str, str] | str] = [
        (fmt_timestamp(entry.at), "$text-muted"),
        "  ",
        (one_line(clean(entry.account, 64)), "bold"),
        "  ",
    ]
    if entry.kind == EventKind.TRANSITION and entry.new_state is not None:
        old = entry.old_state.value if entry.old_state is not None else "new"
        parts.append((state_label(entry.new_state), _STATE_STYLE.get(entry.new_state, "")))
        label = one_line(clean(name, 120)) if name else ""
        job_id = one_line(clean(entry.job_id or "", 120))
        parts.append(Content(f"  {label} ({job_id})" if label else f"  {job_id}"))
        parts.append(Content(f"  {old} → {entry.new_state.value}"))
        if entry.status:
            parts.append((f" · {one_line(clean(entry.status, 80))}", "$text-muted"))
    else:
        label, style = _KIND_STYLE.get(entry.kind, (entry.kind.value, ""))
        parts.append((label, style))
        parts.append(Content("  " + one_line(clean(entry.text, SENTENCE_LIMIT))))
    return Content.assemble(*parts)


class EventLogScreen(Screen[None]):
    """The event log, newest first; Enter on a job's change opens it."""

    AUTO_FOCUS = "#log-entries"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,e", "close", "Back", id="log.close", tooltip="Back to the job list"),
        Binding("r", "reload", "Reload", id="log.reload", tooltip="Read the log again now"),
    ]

    def __init__(
        self,
        store: JobStore,
        open_job: Callable[[str, str], bool],
        job_name: Callable[[str, str], str | None] = lambda account, job_id: None,
        *,
        reload_every: float = RELOAD_EVERY,
    ) -> None:
        """Args:
        store: Where the log is read from.
        open_job: Opens a job's detail by (account, id); False if the job is not known.
        job_name: A job's name by (account, id), if known.
        reload_every: Seconds between re-reads while the log is shown.
        """
        super().__init__()
        self.store = store
        self._open_job = open_job
        self._job_name = job_name
        self._reload_every = reload_every
        self.entries: list[LogEntry] = []
        """What the list shows, in order (for Enter and tests)."""
        self.loaded = False
        """True once the store was read (for tests)."""

    def compose(self) -> ComposeResult:
        yield Static(
            Content.assemble(
                ("Event log", "bold"),
                ("   newest first · times in UTC · Enter opens a job · Esc back", "$text-muted"),
            ),
            id="log-title",
        )
        yield SafeOptionList(id="log-entries")
        yield KeysFooter()

    def on_mount(self) -> None:
        """Read the log now and every `reload_every` seconds."""
        self.reload()
        self.set_interval(self._reload_every, self.reload)

    def action_close(self) -> None:
        """Back to the job list."""
        self.dismiss(None)

    def action_reload(self) -> None:
        """Read the log again."""
        self.reload()

    @work(group="event-log", exclusive=True, exit_on_error=False)
    async def reload(self) -> None:
        """Read the newest entries from the store (off the UI loop) and show them."""
        try:
            entries = await asyncio.to_thread(self.store.event_log, LOG_LIMIT)
        except StoreError as error:
            self._show([], f"The event log could not be read: {error.message}")
            return
        self._show(entries, None)

    def _show(self, entries: list[LogEntry], problem: str | None) -> None:
        if self.loaded and entries == self.entries and problem is None:
            return
        self.loaded = True
        options = self.query_one("#log-entries", OptionList)
        highlighted = options.highlighted
        kept = (
            self.entries[highlighted]
            if highlighted is not None and highlighted < len(self.entries)
            else None
        )
        prompts: list[Option] = [
            Option(entry_content(entry, self._entry_name(entry))) for entry in entries
        ]
        self.entries = entries
        if problem is not None:
            prompts = [Option(Content(one_line(clean(problem, 500))), disabled=True)]
        elif not prompts:
            prompts = [Option(Content("Nothing happened yet."), disabled=True)]
        options.set_options(prompts)
        if kept is not None and kept in entries:
            options.highlighted = entries.index(kept)
        elif entries:
            options.highlighted = 0

    def _entry_name(self, entry: LogEntry) -> str | None:
        if entry.kind != EventKind.TRANSITION or entry.job_id is None:
            return None
        return self._job_name(entry.account, entry.job_id)

    @on(OptionList.OptionSelected, "#log-entries")
    def _on_selected(self, event: OptionList.OptionSelected) -> None:
        if not 0 <= event.option_index < len(self.entries):
            return
        entry = self.entries[event.option_index]
        if entry.kind != EventKind.TRANSITION or entry.job_id is None:
            return
        if not self._open_job(entry.account, entry.job_id):
            self.notify(
                f"{one_line(clean(entry.job_id, 120))} is no longer in the list",
                severity="warning",
                timeout=4,
                markup=False,
            )
