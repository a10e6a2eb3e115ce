"""What the jobs screen shows besides its widgets, with no Textual: the view and every
filter in force, each source's health and stuck jobs, the counts, what the status line
states, and whether the sources take one line.

The screen's handlers change it and read from it what to put in the widgets; it is tested
without an app (`tests/unit/test_jobs_view.py`).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from tui.formatting import short_labels
from tui.job_index.filters import TIME_WINDOWS, JobFilter, StatusChoice, window_start
from tui.job_index.index import Column, IndexChanges, JobIndex, PendingUpdate
from tui.job_index.search import parse_search
from tui.models import JobState
from tui.providers.base import JobProvider
from tui.screens.notices import source_label
from tui.sync.health import Health, SourceHealth, health_after_failure, health_after_success
from tui.sync.source import ViewQuery

JobKey = tuple[str, str]

COLLAPSE_BELOW_ROWS = 30
"""A terminal shorter than this shows the sources on one line (Ctrl+E shows them all)."""

SERVER_SORT = {
    Column.AGE: "created_at",
    Column.NAME: "name",
    Column.STATUS: "status",
    Column.ID: "id",
}
"""The sort a server that sorts is asked for, per column."""


@dataclass(frozen=True, slots=True)
class StatusFacts:
    """What the status line states about the view."""

    shown: int | None
    """Rows in the listing; None while the listing is still being found."""
    in_view: int
    """Jobs of the view's sources, before any filter."""
    sort_name: str
    """The sort column's name, as its header shows it."""
    descending: bool
    progress: tuple[int, int, int]
    """How far the listing got (`JobIndex.progress`), for the search's match count."""
    interval: float
    states: frozenset[JobState] = frozenset()
    status: StatusChoice | None = None
    search: str = ""
    """The search box's text, as typed."""
    window: str | None = None
    """The time window's name (`1 h`), None for all."""
    stuck_only: bool = False
    paused: bool = False


@dataclass
class JobsView:
    """The view (0: All, n: the n-th source), its filters, and what each source shows."""

    accounts: list[str]
    """The sources, in view order."""
    health: dict[str, SourceHealth]
    labels: dict[str, str] = field(default_factory=dict)
    """Each source's short label, for a narrow table and the collapsed source bar."""
    view: int = 0
    search: str = ""
    """The search box's text, as typed."""
    states: frozenset[JobState] = frozenset()
    status: StatusChoice | None = None
    window: int = 0
    """The time window in force: an index into `TIME_WINDOWS` (0: all)."""
    stuck_only: bool = False
    stuck: dict[str, frozenset[JobKey]] = field(default_factory=dict)
    """Per source, its running jobs past their kind's typical run time."""
    collapsed_choice: bool | None = None
    """The source bar on one line (True) or one line per view (False), as Ctrl+E chose;
    None: one line when the terminal is under `COLLAPSE_BELOW_ROWS` rows."""

    @classmethod
    def of(cls, providers: Sequence[JobProvider], interval: float, label_width: int) -> JobsView:
        """Every source loading, no filter, the All view."""
        names = [source_label(p.account) for p in providers]
        labels = short_labels(names, label_width)
        return cls(
            [p.account for p in providers],
            {
                p.account: SourceHealth(p.account, str(p.provider), interval=interval)
                for p in providers
            },
            {p.account: labels[name] for p, name in zip(providers, names, strict=True)},
        )

    # --- the view and its filters ---------------------------------------------------

    def accounts_in_view(self) -> list[str]:
        return list(self.accounts) if self.view == 0 else [self.accounts[self.view - 1]]

    @property
    def filtered(self) -> bool:
        """Any filter is in force (Esc clears them)."""
        return bool(
            self.search or self.states or self.status is not None or self.window or self.stuck_only
        )

    def clear_filters(self) -> None:
        self.search, self.states, self.status, self.window = "", frozenset(), None, 0
        self.stuck_only = False

    def toggle_failed(self) -> None:
        """Only failed jobs, or every state again."""
        failed = frozenset({JobState.FAILED})
        self.states = frozenset() if self.states == failed else failed

    def next_window(self) -> None:
        self.window = (self.window + 1) % len(TIME_WINDOWS)

    def job_filter(self, now: Callable[[], datetime]) -> JobFilter:
        """The index's filter for the view and its filters (the window ends at `now`)."""
        return JobFilter(
            accounts=frozenset(self.accounts_in_view()) if self.view else frozenset(),
            states=self.states,
            status=self.status,
            search=parse_search(self.search) if self.search.strip() else None,
            changed_since=window_start(self.window, now),
            keys=frozenset().union(*self.stuck.values()) if self.stuck_only else None,
        )

    def view_query(self, sort_column: Column, descending: bool) -> ViewQuery:
        """What the servers are asked for: the filters they can apply, and the sort."""
        search = parse_search(self.search) if self.search else None
        return ViewQuery(
            states=self.states,
            # The word only: a server of another provider has no such status, or one that
            # is left out of this view by the provider test anyway.
            status=self.status.status if self.status is not None else None,
            text=search.server_text if search else None,
            sort_key=SERVER_SORT.get(sort_column),
            descending=not descending if sort_column == Column.AGE else descending,
        )

    # --- what the widgets show ------------------------------------------------------

    def counts(self, account: str, index: JobIndex) -> Counter[JobState]:
        """A source's jobs per state: the server's counts while its listing loads in parts
        (true before every page is in), else the rows'."""
        health = self.health.get(account)
        if health is not None and health.server_counts:
            return Counter(health.server_counts)
        return index.counts(account)

    def stuck_counts(self) -> list[int]:
        return [len(self.stuck.get(account, ())) for account in self.accounts]

    def stale_accounts(self) -> frozenset[str]:
        """The sources whose rows are not fresh: failing, or from the store."""
        stale = (Health.FAILING, Health.STALE)
        return frozenset(account for account, h in self.health.items() if h.health in stale)

    def empty_text(self, index: JobIndex) -> str:
        """What the table says with no row to show."""
        if not index.filter.is_empty and len(index):
            return "No jobs match the filter (Esc clears it)"
        in_view = self.accounts_in_view()
        if any(self.health[account].health == Health.LOADING for account in in_view):
            return "Loading…"
        return "No jobs"

    def status_facts(
        self, index: JobIndex, sort_name: str, interval: float, paused: bool
    ) -> StatusFacts:
        return StatusFacts(
            shown=None if index.pending else index.row_count(),
            in_view=sum(self.counts(a, index).total() for a in self.accounts_in_view()),
            sort_name=sort_name,
            descending=index.descending,
            # Only a search shows how far the listing got.
            progress=index.progress() if self.search.strip() else (0, 0, 0),
            interval=interval,
            states=self.states,
            status=self.status,
            search=self.search,
            window=TIME_WINDOWS[self.window][0] if self.window else None,
            stuck_only=self.stuck_only,
            paused=paused,
        )

    def collapsed(self, rows: int) -> bool:
        """The source bar shows one line (Ctrl+E's choice, else the terminal's height)."""
        if self.collapsed_choice is not None:
            return self.collapsed_choice
        return rows < COLLAPSE_BELOW_ROWS

    # --- what the handlers change ---------------------------------------------------

    def set_stuck(
        self, found: Mapping[str, frozenset[JobKey]], known: Callable[[JobKey], bool]
    ) -> frozenset[JobKey] | None:
        """Take each source's stuck keys (only those `known`: in the index); every stuck
        key now if that changed anything, else None."""
        stuck = {**self.stuck, **{a: frozenset(filter(known, keys)) for a, keys in found.items()}}
        if stuck == self.stuck:
            return None
        self.stuck = stuck
        return frozenset().union(*stuck.values())

    def stored(self, stored_at: Mapping[str, datetime | None]) -> None:
        """The rows of these sources come from the store (each refreshed at its time)."""
        for account, at in stored_at.items():
            self.health[account] = replace(self.health[account], health=Health.STALE, stored_at=at)

    def started(self, account: str) -> bool:
        """A source's refresh is taking a while; False for a source not shown."""
        health = self.health.get(account)
        if health is not None:
            self.health[account] = replace(health, refreshing=True)
        return health is not None

    def loaded(
        self,
        account: str,
        fetched_at: datetime,
        next_at: datetime,
        note: str | None,
        counts: Mapping[JobState, int] | None,
    ) -> SourceHealth:
        """A refresh (or one part of it) landed; the health it found the source in."""
        before = self.health[account]
        after = health_after_success(before, fetched_at, next_at)
        self.health[account] = replace(after, note=note, server_counts=counts)
        return before

    def failed(self, account: str, sentence: str, next_at: datetime) -> bool:
        """A refresh failed; True if the source was failing already."""
        before = self.health[account]
        self.health[account] = health_after_failure(before, sentence, next_at)
        return before.health == Health.FAILING

    def track_default(
        self, providers: Sequence[JobProvider], highlighted: str | None
    ) -> str | None:
        """The source `t` offers first: the view's, else the highlighted job's, else the
        first that only tracks ids (lists nothing), else the first; None with no source."""
        if not self.accounts:
            return None
        if self.view:
            return self.accounts[self.view - 1]
        trackers = [p.account for p in providers if not p.capabilities.lists]
        return highlighted or (trackers or self.accounts)[0]

    def set_interval(self, interval: float) -> None:
        for account, health in self.health.items():
            self.health[account] = replace(health, interval=interval)


async def apply_in_slices(index: JobIndex, update: PendingUpdate, step: int) -> IndexChanges:
    """`JobIndex.apply` in slices of `step` jobs, the event loop turning between two."""
    steps = index.apply_steps(update, step)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            changes: IndexChanges = done.value
            return changes
        await asyncio.sleep(0)
