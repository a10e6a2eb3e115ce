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
from tui.formatting import STATE_ORDER, fmt_ago, fmt_duration
from tui.job_index import Column, JobFilter, JobIndex, parse_search
from tui.messages import (
    JobsLoaded,
    OpenJobRequested,
    RefreshFailed,
    RefreshStarted,
    SummaryReady,
)
from tui.models import Job, JobState, Transition
from tui.providers.base import JobProvider
from tui.sanitize import clean, one_line
from tui.screens.job_detail import JobDetailScreen
from tui.screens.store_problem import show_store_problem
from tui.store import ChangeSummary, JobStore, OpenMark
from tui.sync import events
from tui.sync.engine import SyncEngine
from tui.sync.health import Health, SourceHealth, health_after_failure, health_after_success
from tui.sync.policy import age_tick, failure_sentence, faster, slower
from tui.sync.source import ViewQuery
from tui.widgets.filter_panel import FilterPanel
from tui.widgets.footer import KeysFooter
from tui.widgets.job_table import JobTable
from tui.widgets.search_input import SearchInput
from tui.widgets.source_bar import SourceBar

T = TypeVar("T")

SORT_CYCLE: tuple[Column, ...] = (
    Column.AGE,
    Column.STATE,
    Column.NAME,
    Column.STATUS,
    Column.DURATION,
    Column.PROGRESS,
    Column.ID,
    Column.ACCOUNT,
)
"""The order `s` steps through sort columns."""

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

NOTIFY_EACH_UP_TO = 3
"""More transitions than this in one refresh are summed up in one notification."""

SERVER_QUERY_SETTLE = 0.6
"""Seconds of quiet in the search box (or the state multi-select) before a server that
filters is asked again; Enter, `f`, a status and closing the panel ask at once."""


class JobsScreen(Screen[None]):
    """Every source's jobs, one view per source plus All."""

    AUTO_FOCUS = "JobTable"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", id="jobs.search",
                tooltip="Search: text, !negation, re:regex or /regex/"),
        Binding("f", "failed_only", "Failed only", id="jobs.failed_only",
                tooltip="Show only failed jobs, or everything again"),
        Binding("m", "filters", "States/status", id="jobs.filters",
                tooltip="Choose states and the provider's status to show"),
        Binding("s", "next_sort", "Sort", id="jobs.sort",
                tooltip="Sort by the next column"),
        Binding("S", "reverse_sort", "Reverse", show=False, id="jobs.reverse_sort",
                tooltip="Reverse the sort order"),
        Binding("r", "refresh", "Refresh", id="jobs.refresh",
                tooltip="Refresh the sources of this view now"),
        Binding("p", "pause", "Pause", id="jobs.pause",
                tooltip="Pause or resume automatic refresh"),
        Binding("t", "track", "Track id", id="jobs.track",
                tooltip="Track a job id on a source (checked with the provider first)"),
        Binding("plus,equals_sign", "faster", "Faster", show=False, id="jobs.faster",
                tooltip="Refresh more often"),
        Binding("minus", "slower", "Slower", show=False, id="jobs.slower",
                tooltip="Refresh less often"),
        Binding("tab", "next_view", "Next view", show=False, id="jobs.next_view",
                tooltip="Show the next source"),
        Binding("shift+tab", "previous_view", "Previous view", show=False,
                id="jobs.previous_view", tooltip="Show the previous source"),
        *[
            Binding(str(number), f"view({number - 1})", f"View {number}", show=False,
                    id=f"jobs.view_{number}",
                    tooltip="Show all sources" if number == 1 else f"Show source {number - 1}")
            for number in range(1, 10)
        ],
        Binding("escape", "back", "Back", show=False, id="jobs.back",
                tooltip="Close search or clear the filters"),
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
        self._status: str | None = None
        self._status_shown: Content | None = None

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
        self._update_sources()
        self._update_status_line()
        self.set_interval(age_tick(self.settings.low_bandwidth), self._tick)
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
        except Exception as exc:  # noqa: BLE001 - the store is optional for viewing
            stored, refreshed, mark, start_seq = [], {}, None, 0
            report = getattr(self.app, "report_store_problem", None)
            if isinstance(exc, StoreError) and report is not None:
                report(exc)  # a line that stays, and for a corrupt store the offer to move it
            else:
                show_store_problem(
                    self, f"The local job store could not be read ({type(exc).__name__})"
                )
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
        self._show_summary(message.summary, message.mark, message.unchecked)

    def _show_summary(
        self, summary: ChangeSummary, mark: OpenMark, unchecked_why: dict[str, str]
    ) -> None:
        """One plain-text notification: counts per outcome (and per source), the latest
        failures by name, and the sources whose first refresh could not be compared."""
        when = fmt_ago(mark.at, self.clock())
        unchecked = [
            f"{_label(p.account)} ({unchecked_why[p.account]})"
            for p in self.providers
            if p.account in unchecked_why
        ]
        waiting = ["Not checked yet: " + ", ".join(unchecked)] if unchecked else []
        total = summary.total
        if not total:
            if len(unchecked) == len(self.providers):
                first = f"Could not check what changed since jobtop was last open ({when})."
            elif unchecked:
                first = f"Nothing changed since jobtop was last open ({when}) on the other sources."
            else:
                first = f"Nothing changed since jobtop was last open ({when})."
            self.notify(
                "\n".join([first, *waiting]),
                title="Since you were last here",
                severity="warning" if unchecked else "information",
                timeout=10 if unchecked else 6,
                markup=False,
            )
            return
        by_state = summary.by_state()
        noun = "job" if total == 1 else "jobs"
        lines = [
            f"{total:,} known {noun} changed since jobtop was last open ({when}): "
            + _state_counts(by_state)
        ]
        order = {provider.account: n for n, provider in enumerate(self.providers)}
        accounts = sorted(
            {account for account, _, _ in summary.counts}, key=lambda a: order.get(a, 0)
        )
        if len(accounts) > 1:
            lines.extend(
                f"{_label(account)}: {_state_counts(summary.by_state(account))}"
                for account in accounts
            )
        failed = by_state.get(JobState.FAILED, 0)
        if summary.failed:
            names = []
            for account, job_id in summary.failed:
                job = self.index.get((account, job_id))
                names.append(one_line(clean(job.name if job and job.name else job_id, 60)))
            more = failed - len(names)
            rest = f" and {more:,} more" if more > 0 else ""
            lines.append("Failed: " + ", ".join(names) + rest)
        self.notify(
            "\n".join([*lines, *waiting]),
            title="Since you were last here",
            severity="error" if failed else "information",
            timeout=15,
            markup=False,
        )
        if failed and self.settings.bell:
            self.app.bell()

    # --- refresh loops --------------------------------------------------------------

    def _view_query(self) -> ViewQuery:
        """What this view asks the servers for: its filters and sort (`SyncEngine.view`)."""
        search = parse_search(self._search_text) if self._search_text else None
        sort_key = _SERVER_SORT.get(self.index.sort_column)
        descending = self.index.descending
        return ViewQuery(
            states=self._states,
            status=self._status,
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
        if isinstance(event, events.RefreshStarted):
            self.post_message(RefreshStarted(event.account))
        elif isinstance(event, events.JobsChanged):
            self.post_message(
                JobsLoaded(
                    event.account, event.update, event.fetched_at, event.transitions,
                    event.tracked_errors, saved_seq=event.saved_seq,
                    newest_update=event.newest_update, store_error=event.store_error,
                    note=event.note, counts=event.counts,
                    next_try_at=None if event.more else event.health.next_try_at,
                    summarised=event.summarised,
                )
            )
        elif isinstance(event, events.RefreshFailed):
            self.post_message(
                RefreshFailed(
                    event.account, event.error, event.failed_at, event.next_try_at, event.note
                )
            )
        elif isinstance(event, events.SummaryReady):
            self.post_message(SummaryReady(event.summary, event.mark, event.unchecked))

    async def _in_worker_thread(self, function: Callable[[], T]) -> T:
        """Run CPU-heavy work on the engine's one worker thread."""
        return await self.engine.run_in_worker(function)

    def on_unmount(self) -> None:
        """Leave the open mark at the exit time, and let the worker thread go."""
        self.engine.mark_closed()
        self.engine.close()

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
        self._health[message.account] = health_after_failure(
            health, sentence, message.next_try_at
        )
        if not was_failing:
            self.notify(
                sentence,
                title=f"{_label(message.account)} is failing",
                severity="error",
                markup=False,
            )
        self._refresh_view(flash=())

    def _notify_transitions(self, account: str, transitions: Sequence[Transition]) -> None:
        ended = [
            t for t in transitions
            if t.old_state is not None and t.new_state.is_terminal and t.old_state != t.new_state
        ]
        if not ended:
            return
        failed = [t for t in ended if t.new_state == JobState.FAILED]
        if len(ended) <= NOTIFY_EACH_UP_TO:
            for transition in ended:
                job = self.index.get((transition.account, transition.job_id))
                name = one_line(clean(job.name if job else transition.job_id, 120))
                job_id = one_line(clean(transition.job_id, 120))
                self.notify(
                    f"{name} ({job_id}): {one_line(clean(transition.status, 80))}",
                    title=f"{_label(account)}: job {transition.new_state.value}",
                    severity="error" if transition.new_state == JobState.FAILED else "information",
                    markup=False,
                )
        else:
            self.notify(
                f"{len(ended)} jobs ended, {len(failed)} failed",
                title=_label(account),
                severity="error" if failed else "information",
                markup=False,
            )
        if self.settings.bell:
            self.app.bell()

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
            job, provider, self.clock, refresh_interval=self.interval,
            image_protocol=self.settings.image_protocol,
        )
        self.app.push_screen(detail)

    @on(JobTable.HeaderClicked)
    def _on_header_clicked(self, event: JobTable.HeaderClicked) -> None:
        if event.column == self.index.sort_column:
            self._set_sort(event.column, not self.index.descending)
        else:
            self._set_sort(event.column, False)

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
            JobFilter(accounts=accounts, states=self._states, status=self._status, search=search)
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

    def _refresh_view(self, flash: object, refiltered: bool = False) -> None:
        """Show the index's rows again, after its data, sort or filter (`refiltered`) changed."""
        table = self.table
        table.show_account = self.current_view == 0
        table.stale_accounts = frozenset(
            account for account, health in self._health.items()
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
        table.rows_changed(flash=flash if isinstance(flash, set) else (), refiltered=refiltered)
        self._update_sources()
        self._update_status_line()
        if self.index.pending:
            # The rows on screen are found; the count and the scrollbar follow, after the
            # frame that shows them.
            self.call_after_refresh(self._finish_listing)

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
            sources, counts, sum(counts, Counter()), self.current_view, self.clock(), self.paused
        )

    def _source_counts(self, account: str) -> Counter[JobState]:
        """A source's jobs per state: the server's counts while its listing loads in parts
        (true before every page is in), else the rows'."""
        health = self._health.get(account)
        if health is not None and health.server_counts:
            return Counter(health.server_counts)
        return self.index.counts(account)

    def _update_status_line(self) -> None:
        index = self.index
        counted = not index.pending
        shown = f"{index.row_count():,}" if counted else "…"
        in_view = sum(self._source_counts(a).total() for a in self._accounts_in_view())
        arrow = "▼" if index.descending else "▲"
        parts: list[Content | tuple[str, str] | str] = [
            (f"{shown} of {in_view:,} jobs", "bold"),
            f" · sort {index.sort_column.value} {arrow}",
        ]
        if self._states:
            states = ",".join(sorted(state.value for state in self._states))
            parts.append((f" · states: {states}", "$warning"))
        if self._status is not None:
            parts.append((" · status: ", "$warning"))
            parts.append(Content(one_line(clean(self._status, 60))))
        if self._search_text.strip():
            search = parse_search(self._search_text)
            parts.append(" · search ")
            parts.append(Content(one_line(self._search_text[:60])))
            parts.append((f" ({shown} matches)" if counted else " (counting…)", "$accent"))
            if search.error:
                parts.append((f" · {search.error}", "$error"))
        parts.append(f" · every {fmt_duration(self.interval)}")
        if self.paused:
            parts.append((" · PAUSED (p resumes)", "bold $warning"))
        content = Content.assemble(*parts)
        if content != self._status_shown:
            self._status_shown = content
            self.query_one("#status-line", Static).update(content, layout=False)

    def _tick(self) -> None:
        self.table.tick()
        self._update_sources()

    def _set_sort(self, column: Column, descending: bool) -> None:
        self.index.set_sort(column, descending)
        self._refresh_view(flash=())
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
        if self._search_text or self._states or self._status is not None:
            self._search_text = ""
            search.value = ""
            search.display = False
            self._states = frozenset()
            self._status = None
            self._apply_filter()

    def action_failed_only(self) -> None:
        """Toggle showing only failed jobs."""
        failed = frozenset({JobState.FAILED})
        self._states = frozenset() if self._states == failed else failed
        self._apply_filter()

    def action_filters(self) -> None:
        """Open the state and status filters."""
        panel = self.query_one(FilterPanel)
        panel.set_choices(
            self._states, self.index.status_values(self._accounts_in_view()), self._status
        )
        panel.display = True
        panel.query_one("#filter-states").focus()

    def action_next_sort(self) -> None:
        """Sort by the next column."""
        position = SORT_CYCLE.index(self.index.sort_column) if self.index.sort_column in SORT_CYCLE else -1
        self._set_sort(SORT_CYCLE[(position + 1) % len(SORT_CYCLE)], False)

    def action_reverse_sort(self) -> None:
        """Reverse the sort order."""
        self._set_sort(self.index.sort_column, not self.index.descending)

    def action_sort_by(self, column: str, descending: bool = False) -> None:
        """Sort by a named column (command palette)."""
        self._set_sort(Column(column), descending)

    def action_refresh(self) -> None:
        """Refresh the sources of this view now (even when paused).

        A source refreshing already runs again once that refresh ends; none is asked
        sooner than its provider allows (its floor, a rate limit's `Retry-After`).
        """
        held = []
        for account in self._accounts_in_view():
            wait = self._request_refresh(account, force=True)
            if wait >= 1.0:
                held.append(f"{_label(account)} in {fmt_duration(wait)}")
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
                title="Store", severity="error", timeout=10, markup=False,
            )
            return
        verb = "Tracking" if added else "Already tracking"
        self.notify(
            f"{verb} {one_line(clean(job_id, 200))} on {_label(account)}", timeout=4, markup=False
        )
        self._request_refresh(account, force=True)

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
        self.notify(f"Refresh every {fmt_duration(interval)}", timeout=2, markup=False)
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

    def source_health(self, account: str) -> SourceHealth:
        """One source's health (for tests and the palette)."""
        return self._health[account]

    def jobs_in_view(self) -> list[Job]:
        """The visible jobs, in order (for tests)."""
        return [self.index[row] for row in range(self.index.row_count())]

    def view_names(self) -> list[str]:
        """The views' names: All, then each source."""
        return ["All", *(provider.account for provider in self.providers)]

    def sort_columns(self) -> list[str]:
        """Every sortable column's name."""
        return [column.value for column in SORT_CYCLE]


def _label(account: str) -> str:
    """A source's name as shown in a sentence or a title: plain, on one line, capped."""
    return one_line(clean(account, 64))


def _state_counts(counts: dict[JobState, int]) -> str:
    """`2 failed, 1 succeeded`: the states that need attention first."""
    ordered = sorted(counts.items(), key=lambda item: STATE_ORDER.get(item[0], 9))
    return ", ".join(f"{count:,} {state.value}" for state, count in ordered if count)
