"""JobsScreen: the main screen. Views per source and All, the job table, the actions.

Data flow: refreshing is `tui.sync.SyncEngine`'s (schedule, policy, query, diff, save,
health, the since-last-open summary). One worker per source runs the engine's loop for
it; the engine's reports are posted as messages (`JobsLoaded`, `RefreshFailed`, ...), and
the handlers here own every piece of UI state, the index included, and update the widgets.
"""

from __future__ import annotations

import asyncio
import gc
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from time import monotonic
from typing import ClassVar, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static

from tui.clock import Clock
from tui.config import Settings
from tui.errors import ProviderError, StoreError
from tui.formatting import fmt_duration, fmt_interval, short_labels
from tui.job_index.filters import TIME_WINDOWS, JobFilter, StatusChoice, window_start
from tui.job_index.index import Column, JobIndex
from tui.job_index.search import parse_search
from tui.messages import (
    JobsLoaded,
    OpenJobRequested,
    RefreshFailed,
    RefreshStarted,
    SummaryReady,
    from_engine,
)
from tui.models import Job, JobState, Transition
from tui.providers.base import JobProvider
from tui.sanitize import clean, one_line
from tui.screens.job_detail import JobDetailScreen
from tui.screens.notices import Notice, Notices, source_label, toast_place
from tui.screens.status_line import StatusFacts, status_line
from tui.screens.store_problem import show_store_problem
from tui.store import JobStore
from tui.sync import events
from tui.sync.engine import SyncEngine
from tui.sync.health import Health, SourceHealth, health_after_failure, health_after_success
from tui.sync.policy import age_tick, failure_sentence, faster, slower
from tui.sync.source import ViewQuery
from tui.sync.typical import TypicalDurations
from tui.widgets.filter_panel import FilterPanel
from tui.widgets.footer import KeysFooter
from tui.widgets.job_table import (
    COLUMNS,
    SHORT_SOURCE_WIDTH,
    TRACKED_MARK,
    JobTable,
    column_label,
)
from tui.widgets.search_input import SearchInput
from tui.widgets.source_bar import SourceBar

T = TypeVar("T")

SORT_CYCLE: tuple[Column, ...] = tuple(spec.column for spec in COLUMNS)
"""The order `s` steps through sort columns: the table's, left to right (skipping the
columns not on screen)."""

FIRST_DESCENDING = frozenset({Column.DURATION})
"""Columns whose first sort is descending: the longest durations first."""

_SERVER_SORT = {
    Column.AGE: "created_at",
    Column.NAME: "name",
    Column.STATUS: "status",
    Column.ID: "id",
}

LARGE_UPDATE = 10_000
"""An update this big moves the new jobs out of the cyclic GC's way (`gc.freeze`)."""

APPLY_SLICE = 2_000
"""Jobs of a large update the index takes per turn of the UI loop (tens of milliseconds
each with every sort key prepared)."""

COLLAPSE_BELOW_ROWS = 30
"""A terminal shorter than this shows the sources on one line (Ctrl+E shows them all)."""

SERVER_QUERY_SETTLE = 0.6
"""Seconds of quiet in the search box (or the state multi-select) before a server that
filters is asked again; Enter, `f`, a status and closing the panel ask at once."""


class JobsScreen(Screen[None]):
    """Every source's jobs, one view per source plus All."""

    AUTO_FOCUS = "JobTable"

    BINDINGS: ClassVar[list[BindingType]] = [
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
        Binding(
            "p", "pause", "Pause", id="jobs.pause", tooltip="Pause or resume automatic refresh"
        ),
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
            tooltip="Which job endings notify: failures only, and cancellations, every"
            " ending, or none",
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

    def __init__(
        self,
        settings: Settings,
        providers: Sequence[JobProvider],
        store: JobStore,
        clock: Clock,
        *,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.providers = list(providers)
        for binding in self.view_bindings():
            self._bindings.key_to_bindings[binding.key] = [binding]
        self.store = store
        self.clock = clock
        self.index = JobIndex(now=clock)
        self.interval = settings.refresh
        self.paused = False
        self.current_view = 0
        """0 is All; n is the n-th source."""
        self._health: dict[str, SourceHealth] = {
            provider.account: SourceHealth(
                account=provider.account,
                provider=str(provider.provider),
                interval=self.interval,
            )
            for provider in self.providers
        }
        self.engine = SyncEngine(
            self.providers,
            store,
            self.index,
            self._engine_event,
            clock,
            interval=self.interval,
            default_interval=settings.refresh,
            account_intervals={account.name: account.refresh for account in settings.accounts},
            tracked={account.name: tuple(account.track) for account in settings.accounts},
            view=self._view_query,
            rng=rng,
        )
        """Every source's refresh: schedule, policy, query, diff, save, summary."""
        self._typed_at = 0.0
        self._settle: Timer | None = None
        self._store_warned = False
        self._search_text = ""
        self._states: frozenset[JobState] = frozenset()
        self._status: StatusChoice | None = None
        self._status_shown: Content | None = None
        self._config_tracked: dict[str, frozenset[str]] = {
            account.name: frozenset(account.track) for account in settings.accounts
        }
        self._store_tracked: dict[str, frozenset[str]] = {}
        """Per source, the ids tracked in the store (`t` adds, `u` removes)."""
        self._window = 0
        """The time window in force: an index into `TIME_WINDOWS` (0: all)."""
        self._toasts_ordered: set[str] = set()
        """The toasts `place_toasts` has put newest first already (by id)."""
        self.typical = TypicalDurations()
        """Run times of the jobs seen succeed, per provider and kind (the stuck marks)."""
        self.notices = Notices(
            self.index.get,
            self.typical,
            states=frozenset(JobState(state) for state in settings.notify),
            opened_at=clock(),
            bell=settings.bell,
            accounts=[provider.account for provider in self.providers],
        )
        """What the notifications say: endings (coalesced), stuck jobs, the summary."""
        self._stuck: dict[str, frozenset[tuple[str, str]]] = {}
        """Per source, its running jobs past their kind's typical run time."""
        self._stuck_only = False
        self._sources_collapsed: bool | None = None
        """The source bar on one line (True) or one line per view (False), as Ctrl+E
        chose; None: one line when the terminal is under `COLLAPSE_BELOW_ROWS` rows."""
        labels = short_labels([source_label(p.account) for p in self.providers], SHORT_SOURCE_WIDTH)
        self._source_labels = {p.account: labels[source_label(p.account)] for p in self.providers}
        """Each source's short label, for a narrow table and the collapsed source bar."""

    def view_bindings(self) -> list[Binding]:
        """`1` for All, then one digit per source (up to `9`), each named after its view;
        only the views that exist (more sources: Tab)."""
        views = [("All sources", "Show every source's jobs")] + [
            (source_label(p.account), f"Show the jobs of {source_label(p.account)} ({p.provider})")
            for p in self.providers
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

    @property
    def notify_states(self) -> frozenset[JobState]:
        """Which job endings raise a notification (config `[notifications]`, then `n`)."""
        return self.notices.states

    def tell(self, notice: Notice | None) -> None:
        """Show a notification (plain text), and ring the bell if it asks."""
        if notice is None:
            return
        self.notify(
            notice.message,
            title=notice.title,
            severity=notice.severity,
            timeout=notice.timeout,
            markup=False,
        )
        if notice.bell:
            self.app.bell()

    @property
    def _marking(self) -> bool:
        """True once the since-last-open summary is done (every save renews the open mark)."""
        return self.engine.summary.marking

    # --- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield SourceBar(id="sources")
        yield SearchInput(placeholder="search: text, !not, re:regex, /regex/", id="search")
        yield FilterPanel(id="filters")
        yield JobTable(self.index, clock=self.clock, id="jobs", empty_text="Loading…")
        yield Static("", id="status-line", markup=False)
        yield KeysFooter()

    @property
    def table(self) -> JobTable:
        """The job table."""
        return self.query_one(JobTable)

    def on_mount(self) -> None:
        """Load the last known jobs, then start one refresh loop per source."""
        self.query_one("#search", Input).display = False
        self.query_one(FilterPanel).display = False
        self.table.show_account = True
        self.table.source_labels = self._source_labels
        self._update_sources()
        self._update_status_line()
        self.set_interval(age_tick(self.settings.low_bandwidth), self._tick)
        # Scrolling (the wheel) moves the cursor's row on screen without moving the cursor.
        self.watch(self.table, "scroll_y", self._scrolled, init=False)
        self.load_and_start()

    @work(group="startup", exit_on_error=False)
    async def load_and_start(self) -> None:
        """Open on the store's jobs (stale, with their age), then refresh every source.

        The previous run's open mark is read before anything is saved; the summary of
        what changed since then waits for each source's first refresh.
        """
        accounts = [provider.account for provider in self.providers]
        try:
            stored = await asyncio.to_thread(self.store.load_jobs, accounts)
            refreshed = await asyncio.to_thread(self.store.refreshed_at, accounts)
            mark = await asyncio.to_thread(self.store.open_mark)
            start_seq = await asyncio.to_thread(self.store.last_seq)
            tracked = await asyncio.to_thread(self.store.all_tracked)
            phases = await asyncio.to_thread(self.store.phase_history, accounts)
        except Exception as exc:  # noqa: BLE001 - the store is optional for viewing
            stored, refreshed, mark, start_seq, tracked, phases = [], {}, None, 0, {}, []
            report = getattr(self.app, "report_store_problem", None)
            if isinstance(exc, StoreError) and report is not None:
                report(exc)  # a line that stays, and for a corrupt store the offer to move it
            else:
                show_store_problem(
                    self, f"The local job store could not be read ({type(exc).__name__})"
                )
        # The typical run and phase times start from the stored history.
        learnt = partial(TypicalDurations.from_jobs, stored, phases=phases)
        self.typical.adopt(await asyncio.to_thread(learnt))
        if stored:
            self.index.upsert(job for job in stored if job.account in self._health)
            if len(stored) >= LARGE_UPDATE:
                self._after_large_update()
        for account in {job.account for job in stored} | set(refreshed):
            if account in self._health:
                self._health[account] = replace(
                    self._health[account], health=Health.STALE, stored_at=refreshed.get(account)
                )
                self.engine.mark_stored(account, refreshed.get(account))
        self._store_tracked = {account: frozenset(ids) for account, ids in tracked.items()}
        self._show_tracked()
        self._refresh_view(flash=())
        # No mark (first use, or no store): nothing to summarise, the open mark starts now.
        self.engine.begin_summary(mark, start_seq)
        self.run_worker(
            self.engine.summary_deadline(), group="summary-deadline", exit_on_error=False
        )
        for provider in self.providers:
            self.refresh_loop(provider.account)

    def _after_large_update(self) -> None:
        # Tens of thousands of long-lived, acyclic Job objects: keep the cyclic GC from
        # scanning them on every collection (they are still freed by refcount).
        gc.freeze()
        self.prepare_index()

    @work(group="prepare", exclusive=True, exit_on_error=False)
    async def prepare_index(self) -> None:
        """Compute every sort order and the search texts in a thread, then adopt them."""
        await asyncio.sleep(0.2)
        prepared = await self._in_worker_thread(self.index.prepare)
        if self.index.install(prepared):
            # The sort keys and orders just adopted are millions of references that the
            # cyclic GC would otherwise walk in every full collection (30 ms at 100,000).
            gc.freeze()

    # --- since you were last here -------------------------------------------------

    @on(SummaryReady)
    def _on_summary_ready(self, message: SummaryReady) -> None:
        self.tell(
            self.notices.summary(message.summary, message.mark, message.unchecked, self.clock())
        )

    # --- refresh loops --------------------------------------------------------------

    def _view_query(self) -> ViewQuery:
        """What this view asks the servers for: its filters and sort (`SyncEngine.view`)."""
        search = parse_search(self._search_text) if self._search_text else None
        sort_key = _SERVER_SORT.get(self.index.sort_column)
        descending = self.index.descending
        return ViewQuery(
            states=self._states,
            # The word only: a server of another provider has no such status, or one that
            # is left out of this view by the provider test anyway.
            status=self._status.status if self._status is not None else None,
            text=search.server_text if search else None,
            sort_key=sort_key,
            descending=not descending if self.index.sort_column == Column.AGE else descending,
        )

    def refresh_loop(self, account: str) -> None:
        """Run the engine's refresh loop for one source in a worker of this screen."""
        self.run_worker(
            self.engine.run_source(account), group=f"refresh-{account}", exit_on_error=False
        )

    def _engine_event(self, event: events.SyncEvent) -> None:
        """Post one of the engine's reports as a message; the handlers below take it."""
        message = from_engine(event)
        if message is not None:
            self.post_message(message)

    async def _in_worker_thread(self, function: Callable[[], T]) -> T:
        """Run CPU-heavy work on the engine's one worker thread."""
        return await self.engine.run_in_worker(function)

    def on_unmount(self) -> None:
        """Leave the open mark at the exit time, and let the worker thread go."""
        self.engine.mark_closed()
        self.engine.close()

    def _accounts_all(self) -> list[str]:
        return [provider.account for provider in self.providers]

    def _accounts_in_view(self) -> list[str]:
        if self.current_view == 0:
            return [provider.account for provider in self.providers]
        return [self.providers[self.current_view - 1].account]

    # --- messages -------------------------------------------------------------------

    @on(RefreshStarted)
    def _on_refresh_started(self, message: RefreshStarted) -> None:
        health = self._health.get(message.account)
        if health is not None and self.engine.in_flight(message.account):
            self._health[message.account] = replace(health, refreshing=True)
            self._update_sources()

    @on(JobsLoaded)
    async def _on_jobs_loaded(self, message: JobsLoaded) -> None:
        health = self._health.get(message.account)
        if health is None:
            return
        first = health.last_ok_at is None and health.health != Health.STALE
        # In slices: a keystroke or a frame waits for one slice at most. The screen takes
        # its next message only after this one, so updates still apply in order.
        steps = self.index.apply_steps(message.update, APPLY_SLICE)
        while True:
            try:
                next(steps)
            except StopIteration as done:
                changes = done.value
                break
            await asyncio.sleep(0)
        if len(message.update.upserts) >= LARGE_UPDATE:
            self._after_large_update()
        if message.update.upserts:
            upserts = message.update.upserts
            self.typical.add(await self._in_worker_thread(partial(self.typical.runs_of, upserts)))
        self._update_stuck([message.account])
        next_at = message.next_try_at or message.fetched_at
        self._health[message.account] = replace(
            health_after_success(health, message.fetched_at, next_at),
            note=message.note,
            server_counts=message.counts,
        )
        if changes or health.health != Health.OK:
            flash = () if first else (changes.added | changes.changed)
            self._refresh_view(flash=flash)
            if changes and self._searching():
                self._prepare_search()
        else:
            # Nothing changed: only the source bar may need a repaint (it skips no-ops).
            self._update_sources()
        if message.store_error is not None and not self._store_warned:
            self._store_warned = True
            show_store_problem(
                self, f"The local job store could not be written ({message.store_error})"
            )
        if not message.summarised:
            # What a first refresh found changed while the app was closed is counted by
            # the start-up summary instead of one notification per refresh.
            self._notify_transitions(message.account, message.transitions)

    @on(RefreshFailed)
    def _on_refresh_failed(self, message: RefreshFailed) -> None:
        health = self._health.get(message.account)
        if health is None:
            return
        sentence = one_line(clean(failure_sentence(message.error, message.note), 300))
        was_failing = health.health == Health.FAILING
        self._health[message.account] = health_after_failure(health, sentence, message.next_try_at)
        if not was_failing:
            self.tell(Notices.failing(message.account, sentence))
        self._refresh_view(flash=())

    def _notify_transitions(self, account: str, transitions: Sequence[Transition]) -> None:
        """Queue the job endings the rules ask for; every source's endings that arrive
        before the next screen refresh are told in one notification."""
        if self.notices.queue(transitions):
            self.call_after_refresh(self._tell_ended)

    def _tell_ended(self) -> None:
        self.tell(self.notices.ended())

    def action_next_notify_rule(self) -> None:
        """Notify of the next set of job endings (failures only, ..., none)."""
        self.tell(self.notices.next_rule())

    # --- where toasts go ------------------------------------------------------------

    def place_toasts(self) -> None:
        """Keep toasts off the row under the cursor: they stack on the side of the table
        with more room (below the cursor, or above it from the table's top), never taller
        than that room; the newest show when they do not all fit."""
        racks = self.query("#textual-toastrack")
        if not racks:
            return
        rack = racks.first()
        # Newest first: a stack taller than its room is cut at its far end, where the
        # oldest toasts are (new ones are mounted last, so each moves to the front once).
        holders = list(rack.children)
        for holder in holders:
            if holder.id is not None and holder.id not in self._toasts_ordered:
                rack.move_child(holder, before=0)
        self._toasts_ordered = {holder.id for holder in holders if holder.id is not None}
        table = self.table
        body = table.scrollable_content_region
        cursor_y = body.y + 1 + table.cursor_row - int(table.scroll_y)
        place = toast_place(
            body.y, body.bottom, None if table.cursor_job is None else cursor_y, self.size.height
        )
        rack.styles.dock = place.dock
        rack.styles.margin = (place.margin_top, 0, place.margin_bottom, 0)
        rack.styles.max_height = place.max_height

    def on_resize(self) -> None:
        """Place the toasts again for the new size; collapse or expand the source bar."""
        self._update_sources()
        self.call_after_refresh(self.place_toasts)

    @on(JobTable.JobHighlighted)
    def _on_job_highlighted(self) -> None:
        self.place_toasts()

    def _scrolled(self) -> None:
        self.place_toasts()

    @on(JobTable.JobSelected)
    def _on_job_selected(self, event: JobTable.JobSelected) -> None:
        self.post_message(OpenJobRequested(event.job.account, event.job.id))

    @on(OpenJobRequested)
    def _on_open_job(self, message: OpenJobRequested) -> None:
        job = self.index.get((message.account, message.job_id))
        provider = next((p for p in self.providers if p.account == message.account), None)
        if job is None or provider is None:
            return
        detail = JobDetailScreen(
            job,
            provider,
            self.clock,
            refresh_interval=self.interval,
            image_protocol=self.settings.image_protocol,
            stored=partial(self.store.load_job, job.account, job.id),
            typical=self.typical,
        )
        self.app.push_screen(detail)

    @on(JobTable.HeaderClicked)
    def _on_header_clicked(self, event: JobTable.HeaderClicked) -> None:
        if event.column == self.index.sort_column:
            self._set_sort(event.column, not self.index.descending)
        else:
            self._set_sort(event.column, event.column in FIRST_DESCENDING)

    @on(JobTable.TimesToggled)
    def _on_times_toggled(self) -> None:
        self._update_status_line()  # it names the sort column as the header does

    @on(SourceBar.ViewClicked)
    def _on_view_clicked(self, event: SourceBar.ViewClicked) -> None:
        self.action_view(event.view)

    @on(Input.Changed, "#search")
    def _on_search_changed(self, event: Input.Changed) -> None:
        self._search_text = event.value
        self._apply_filter(tell_servers=False)
        self._tell_servers_when_settled()

    @on(Input.Submitted, "#search")
    def _on_search_submitted(self, event: Input.Submitted) -> None:
        if not event.value:
            self.query_one("#search", Input).display = False
        self.table.focus()
        self._tell_servers()

    @on(FilterPanel.StatesChanged)
    def _on_states_changed(self, event: FilterPanel.StatesChanged) -> None:
        self._states = event.states
        self._apply_filter(tell_servers=False)
        self._tell_servers_when_settled()

    @on(FilterPanel.StatusChosen)
    def _on_status_chosen(self, event: FilterPanel.StatusChosen) -> None:
        self._status = event.status
        self._apply_filter()
        self._close_filters()

    @on(FilterPanel.Closed)
    def _on_filters_closed(self) -> None:
        self._close_filters()
        self._tell_servers()

    # --- view updates ---------------------------------------------------------------

    def _apply_filter(self, *, tell_servers: bool = True) -> None:
        accounts = frozenset(self._accounts_in_view()) if self.current_view else frozenset()
        search = parse_search(self._search_text) if self._search_text.strip() else None
        self.index.set_filter(
            JobFilter(
                accounts=accounts,
                states=self._states,
                status=self._status,
                search=search,
                changed_since=window_start(self._window, self.clock),
                keys=frozenset().union(*self._stuck.values()) if self._stuck_only else None,
            )
        )
        self._refresh_view(flash=(), refiltered=True)
        if tell_servers:
            self._tell_servers()

    def _tell_servers(self) -> None:
        """Refresh the sources whose server-side filters changed (`SyncEngine.filters_changed`)."""
        self.engine.filters_changed()

    def _tell_servers_when_settled(self) -> None:
        """`_tell_servers` once typing or toggling pauses for `SERVER_QUERY_SETTLE`.

        A keystroke only notes its time; one timer at most is pending, and it looks again
        when it fires.
        """
        self._typed_at = monotonic()
        if self._settle is None:
            self._settle = self.set_timer(SERVER_QUERY_SETTLE, self._settled)

    def _settled(self) -> None:
        quiet = monotonic() - self._typed_at
        if quiet < SERVER_QUERY_SETTLE:
            self._settle = self.set_timer(SERVER_QUERY_SETTLE - quiet, self._settled)
            return
        self._settle = None
        self._tell_servers()

    def _refresh_view(self, flash: object, refiltered: bool = False, top: bool = False) -> None:
        """Show the index's rows again, after its data, sort or filter (`refiltered`) changed;
        `top`: from the first row (a new sort order)."""
        table = self.table
        table.show_account = self.current_view == 0
        table.stale_accounts = frozenset(
            account
            for account, health in self._health.items()
            if health.health in (Health.FAILING, Health.STALE)
        )
        waiting = any(
            self._health[account].health == Health.LOADING for account in self._accounts_in_view()
        )
        if not self.index.filter.is_empty and len(self.index):
            table.empty_text = "No jobs match the filter (Esc clears it)"
        elif waiting:
            table.empty_text = "Loading…"
        else:
            table.empty_text = "No jobs"
        table.rows_changed(
            flash=flash if isinstance(flash, set) else (), refiltered=refiltered, top=top
        )
        self._update_sources()
        self._update_status_line()
        if self.index.pending:
            # The rows on screen are found; the count and the scrollbar follow, after the
            # frame that shows them.
            self.call_after_refresh(self._finish_listing)
        self.call_after_refresh(self.place_toasts)  # the cursor's row may have moved

    @work(group="finish-listing", exclusive=True, exit_on_error=False)
    async def _finish_listing(self) -> None:
        """Find the rest of the filtered listing in slices between frames, then show its
        count and scrollbar (a keystroke arriving meanwhile runs between two slices)."""
        index = self.index
        while index.finish_step():
            await asyncio.sleep(0)
        self.table.listing_finished()
        self._update_status_line()

    def _update_sources(self) -> None:
        sources = [self._health[provider.account] for provider in self.providers]
        counts = [self._source_counts(health.account) for health in sources]
        self.query_one(SourceBar).show(
            sources,
            counts,
            sum(counts, Counter()),
            self.current_view,
            self.clock(),
            self.paused,
            stuck=[len(self._stuck.get(health.account, ())) for health in sources],
            collapsed=self.sources_collapsed,
            labels=self._source_labels,
        )

    @property
    def sources_collapsed(self) -> bool:
        """The source bar shows one line (Ctrl+E's choice, else the terminal's height)."""
        if self._sources_collapsed is not None:
            return self._sources_collapsed
        return self.app.size.height < COLLAPSE_BELOW_ROWS

    def _source_counts(self, account: str) -> Counter[JobState]:
        """A source's jobs per state: the server's counts while its listing loads in parts
        (true before every page is in), else the rows'."""
        health = self._health.get(account)
        if health is not None and health.server_counts:
            return Counter(health.server_counts)
        return self.index.counts(account)

    def _update_status_line(self) -> None:
        index = self.index
        searching = bool(self._search_text.strip())
        content = status_line(
            StatusFacts(
                shown=None if index.pending else index.row_count(),
                in_view=sum(self._source_counts(a).total() for a in self._accounts_in_view()),
                sort_name=self.table.column_name(index.sort_column),
                descending=index.descending,
                # Only a search shows how far the listing got.
                progress=index.progress() if searching else (0, 0, 0),
                interval=self.interval,
                states=self._states,
                status=self._status,
                search=self._search_text,
                window=TIME_WINDOWS[self._window][0] if self._window else None,
                stuck_only=self._stuck_only,
                paused=self.paused,
            )
        )
        if content != self._status_shown:
            self._status_shown = content
            self.query_one("#status-line", Static).update(content, layout=False)

    def _tick(self) -> None:
        if self._window:
            self._apply_filter(tell_servers=False)  # the window moves on with the clock
        self._update_stuck()  # running jobs become stuck as the clock moves on
        self.table.tick()
        self._update_sources()

    def _update_stuck(self, accounts: Sequence[str] | None = None) -> None:
        """Find the running jobs past their kind's typical run time (of `accounts`, or all);
        mark them in the list and the source bar, and name the newly stuck ones in one
        notification."""
        now = self.clock()
        stuck = dict(self._stuck)
        for account in accounts if accounts is not None else self._accounts_all():
            stuck[account] = self.typical.stuck_keys(self.index.jobs(account), now)
        if stuck == self._stuck:
            return
        self._stuck = stuck
        every = frozenset().union(*stuck.values())
        self.table.stuck = every
        self.table.refresh()
        if self._stuck_only:
            self._apply_filter(tell_servers=False)
        self._update_sources()
        self.tell(self.notices.stuck(every))

    def _set_sort(self, column: Column, descending: bool) -> None:
        """Sort, and show the top of the new order with the cursor on its first row."""
        self.index.set_sort(column, descending)
        self._refresh_view(flash=(), top=True)
        if self._searching():
            self._prepare_search()

    def _close_filters(self) -> None:
        self.query_one(FilterPanel).display = False
        self.table.focus()

    # --- actions --------------------------------------------------------------------

    def action_search(self) -> None:
        """Open the search box."""
        search = self.query_one("#search", Input)
        search.display = True
        # At once, not after the keys already queued: those are typed into the box
        # (see `JobsApp.on_key`).
        self.set_focus(search)
        self._prepare_search()

    @work(group="prepare-search", exclusive=True, exit_on_error=False)
    async def _prepare_search(self) -> None:
        """Build the listing's search texts in the thread while the user starts typing."""
        if self.index.search_ready():
            return
        prepared = await self._in_worker_thread(self.index.prepare_search)
        self.index.install_search(prepared)

    def _searching(self) -> bool:
        return bool(self._search_text.strip()) or self.query_one("#search", Input).display

    def action_back(self) -> None:
        """Close the search box, the filter panel, or clear every filter."""
        search = self.query_one("#search", Input)
        panel = self.query_one(FilterPanel)
        if panel.display:
            self._close_filters()
            return
        if search.has_focus:
            search.value = ""
            search.display = False
            self.table.focus()
            return
        if (
            self._search_text
            or self._states
            or self._status is not None
            or self._window
            or self._stuck_only
        ):
            self._search_text = ""
            search.value = ""
            search.display = False
            self._states = frozenset()
            self._status = None
            self._window = 0
            self._stuck_only = False
            self._apply_filter()

    def action_toggle_sources(self) -> None:
        """Show the sources on one line, or one line each."""
        self._sources_collapsed = not self.sources_collapsed
        self._update_sources()

    def action_failed_only(self) -> None:
        """Toggle showing only failed jobs."""
        failed = frozenset({JobState.FAILED})
        self._states = frozenset() if self._states == failed else failed
        self._apply_filter()

    def action_stuck_only(self) -> None:
        """Toggle showing only running jobs past their kind's typical run time."""
        self._stuck_only = not self._stuck_only
        self._apply_filter(tell_servers=False)  # no server knows this

    def action_next_window(self) -> None:
        """Show only the jobs that changed in the next time window (15 min ... 7 d, all)."""
        self._window = (self._window + 1) % len(TIME_WINDOWS)
        self._apply_filter(tell_servers=False)  # no server filters on this

    def action_filters(self) -> None:
        """Open the state and status filters."""
        panel = self.query_one(FilterPanel)
        panel.set_choices(
            self._states, self.index.status_values(self._accounts_in_view()), self._status
        )
        panel.display = True
        panel.query_one("#filter-states").focus()

    def action_next_sort(self) -> None:
        """Sort by the next column to the right (after the last, the first)."""
        shown = set(self.table.shown_columns())
        cycle = [column for column in SORT_CYCLE if column in shown] or list(SORT_CYCLE)
        current = self.index.sort_column
        after = SORT_CYCLE[SORT_CYCLE.index(current) + 1 :] if current in SORT_CYCLE else ()
        column = next((c for c in after if c in cycle), cycle[0])
        self._set_sort(column, column in FIRST_DESCENDING)

    def action_reverse_sort(self) -> None:
        """Reverse the sort order."""
        self._set_sort(self.index.sort_column, not self.index.descending)

    def action_sort_by(self, column: str, descending: bool | None = None) -> None:
        """Sort by a column (command palette), in its first direction unless told."""
        chosen = Column(column)
        self._set_sort(chosen, chosen in FIRST_DESCENDING if descending is None else descending)

    def action_refresh(self) -> None:
        """Refresh the sources of this view now (even when paused).

        A source refreshing already runs again once that refresh ends; none is asked
        sooner than its provider allows (its floor, a rate limit's `Retry-After`).
        """
        held = []
        for account in self._accounts_in_view():
            wait = self._request_refresh(account, force=True)
            if wait >= 1.0:
                held.append(f"{source_label(account)} in {fmt_duration(wait)}")
        message = "Refreshing now" + ("; " + ", ".join(held) if held else "")
        self.notify(message, timeout=2 if not held else 4, markup=False)

    def _request_refresh(self, account: str, *, force: bool) -> float:
        """Ask the engine for a refresh of `account` as soon as its provider allows
        (`SyncEngine.request_refresh`); returns the seconds until it may start."""
        return self.engine.request_refresh(account, force=force)

    def action_track(self) -> None:
        """Ask for an id to track on the current source (or the highlighted job's source)."""
        from tui.screens.track import TrackScreen

        accounts = [provider.account for provider in self.providers]
        if not accounts:
            return
        if self.current_view:
            default = accounts[self.current_view - 1]
        else:
            highlighted = self.table.cursor_job
            trackers = [p.account for p in self.providers if not p.capabilities.lists]
            default = highlighted.account if highlighted else (trackers or accounts)[0]
        self.app.push_screen(TrackScreen(accounts, default, self._check_trackable), self._tracked)

    async def _check_trackable(self, account: str, job_id: str) -> str | None:
        """None if the source's provider knows `job_id`, else its answer as a sentence."""
        provider = next(p for p in self.providers if p.account == account)
        try:
            await provider.get_job(job_id, None)
        except ProviderError as error:
            return one_line(clean(f"{job_id} was not added: {error.title}: {error}", 300))
        return None

    def _tracked(self, chosen: tuple[str, str] | None) -> None:
        if chosen is None:
            return
        account, job_id = chosen
        self._track_in_store(account, job_id)

    @work(group="track-store", exit_on_error=False)
    async def _track_in_store(self, account: str, job_id: str) -> None:
        try:
            added = await asyncio.to_thread(self.store.add_tracked, account, [job_id])
        except StoreError as error:
            self.notify(
                f"{job_id} could not be tracked: {error.message}",
                title="Store",
                severity="error",
                timeout=10,
                markup=False,
            )
            return
        verb = "Tracking" if added else "Already tracking"
        self.notify(
            f"{verb} {one_line(clean(job_id, 200))} on {source_label(account)}",
            timeout=4,
            markup=False,
        )
        self._store_tracked[account] = self._store_tracked.get(account, frozenset()) | {job_id}
        self._show_tracked()
        self._request_refresh(account, force=True)

    def _show_tracked(self) -> None:
        """Give the table every tracked job's key, for its mark."""
        self.table.set_tracked(
            frozenset(
                (account, job_id)
                for tracked in (self._config_tracked, self._store_tracked)
                for account, ids in tracked.items()
                for job_id in ids
            )
        )

    def action_untrack(self) -> None:
        """Stop tracking the highlighted job (an id tracked in the config stays: said so)."""
        job = self.table.cursor_job
        if job is None:
            return
        shown = one_line(clean(job.id, 200))
        if job.id in self._store_tracked.get(job.account, frozenset()):
            self._untrack_in_store(job.account, job.id)
        elif job.id in self._config_tracked.get(job.account, frozenset()):
            self.notify(
                f"{shown} is tracked by the config file ({source_label(job.account)}'s track"
                " list); remove it there",
                timeout=6,
                markup=False,
            )
        else:
            self.notify(f"{shown} is not tracked", timeout=3, markup=False)

    @work(group="track-store", exit_on_error=False)
    async def _untrack_in_store(self, account: str, job_id: str) -> None:
        try:
            await asyncio.to_thread(self.store.remove_tracked, account, [job_id])
        except StoreError as error:
            self.notify(
                f"{one_line(clean(job_id, 200))} could not be untracked: {error.message}",
                title="Store",
                severity="error",
                timeout=10,
                markup=False,
            )
            return
        self._store_tracked[account] = self._store_tracked.get(account, frozenset()) - {job_id}
        self._show_tracked()
        self.notify(
            f"No longer tracking {one_line(clean(job_id, 200))} on {source_label(account)}",
            timeout=4,
            markup=False,
        )

    def action_copy_id(self) -> None:
        """Copy the highlighted job's id to the clipboard (OSC 52, works over SSH).

        The id as shown, on one line: a server's id may hold a line break or an escape
        sequence, which a paste into a shell would run.
        """
        job = self.table.cursor_job
        if job is None:
            return
        job_id = one_line(job.id)
        self.app.copy_to_clipboard(job_id)
        self.notify(f"Copied job id {job_id}", title="Copied", markup=False)

    def action_pause(self) -> None:
        """Pause or resume automatic refresh."""
        self.paused = not self.paused
        self.engine.set_paused(self.paused)
        if self.paused:
            self.notify("Refresh paused; p resumes, r refreshes once", timeout=3, markup=False)
        else:
            self.notify("Refresh resumed", timeout=2, markup=False)
        self._update_sources()
        self._update_status_line()

    def _set_interval(self, interval: float) -> None:
        self.interval = interval
        for provider in self.providers:
            account = provider.account
            self._health[account] = replace(self._health[account], interval=interval)
        self.engine.set_interval(interval)
        self.notify(f"Refresh every {fmt_interval(interval)}", timeout=2, markup=False)
        self._update_status_line()

    def action_faster(self) -> None:
        """Refresh more often."""
        self._set_interval(faster(self.interval))

    def action_slower(self) -> None:
        """Refresh less often."""
        self._set_interval(slower(self.interval))

    def action_view(self, view: int) -> None:
        """Show view `view` (0: All, n: the n-th source)."""
        if not 0 <= view <= len(self.providers):
            return
        self.current_view = view
        self._apply_filter(tell_servers=False)  # the view is never sent to a server

    def action_next_view(self) -> None:
        """Show the next view."""
        self.action_view((self.current_view + 1) % (len(self.providers) + 1))

    def action_previous_view(self) -> None:
        """Show the previous view."""
        self.action_view((self.current_view - 1) % (len(self.providers) + 1))

    def action_event_log(self) -> None:
        """Open the event log (read from the store)."""
        from tui.screens.event_log import EventLogScreen

        def name(account: str, job_id: str) -> str | None:
            job = self.index.get((account, job_id))
            return job.name if job is not None and job.name else None

        self.app.push_screen(EventLogScreen(self.store, self.open_job, name))

    def open_job(self, account: str, job_id: str) -> bool:
        """Open a job's detail by key; False if the job is not known (any more)."""
        if self.index.get((account, job_id)) is None:
            return False
        self._on_open_job(OpenJobRequested(account, job_id))
        return True

    def source_health(self, account: str) -> SourceHealth:
        """One source's health (for tests and the palette)."""
        return self._health[account]

    def jobs_in_view(self) -> list[Job]:
        """The visible jobs, in order (for tests)."""
        return [self.index[row] for row in range(self.index.row_count())]

    def view_names(self) -> list[str]:
        """The views' names: All, then each source."""
        return ["All", *(provider.account for provider in self.providers)]

    def sort_columns(self) -> list[tuple[str, str]]:
        """Every sortable column: (its key for `sort_by`, its name as the header shows it)."""
        return [(column.value, column_label(column)) for column in SORT_CYCLE]
