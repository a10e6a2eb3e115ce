"""JobsScreen: the main screen. Views per source and All, the job table, the actions.

Data flow: refreshing is the sync engine's (`tui.sync.dashboard.DashboardSync`: schedule,
policy, query, diff, save, health, the since-last-open summary, tracked ids, stuck jobs).
Workers of this screen run the engine's calls and post what they return as messages
(`JobsLoaded`, `RefreshFailed`, `StartupLoaded`, ...); the handlers here own every piece
of UI state, the index and the view's state (`JobsView`) included, and update the widgets.
"""

from __future__ import annotations

import asyncio
import gc
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import partial
from time import monotonic
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static

from tui.clock import Clock
from tui.config import Settings
from tui.formatting import fmt_duration, fmt_interval
from tui.job_index.index import Column, JobIndex
from tui.messages import (
    JobsLoaded,
    OpenJobRequested,
    RefreshFailed,
    RefreshStarted,
    StartupLoaded,
    SummaryReady,
    TrackingChanged,
    from_engine,
)
from tui.models import Job, JobState, Transition
from tui.providers.base import JobProvider
from tui.sanitize import clean, one_line
from tui.screens.job_detail import JobDetailScreen
from tui.screens.jobs_keys import (
    FIRST_DESCENDING,
    JOBS_BINDINGS,
    next_sort,
    sort_columns,
    view_bindings,
)
from tui.screens.jobs_view import JobsView, apply_in_slices
from tui.screens.notices import Notice, Notices, source_label
from tui.screens.status_line import status_line
from tui.screens.store_problem import show_store_problem, store_unreadable
from tui.screens.toasts import place_toasts
from tui.store import JobStore
from tui.sync import events
from tui.sync.dashboard import DashboardSync
from tui.sync.health import Health, SourceHealth
from tui.sync.policy import age_tick, failure_sentence, faster, slower
from tui.sync.source import ViewQuery
from tui.widgets.filter_panel import FilterPanel
from tui.widgets.footer import KeysFooter
from tui.widgets.job_table import SHORT_SOURCE_WIDTH, JobTable
from tui.widgets.search_input import SearchInput
from tui.widgets.source_bar import SourceBar

LARGE_UPDATE = 10_000
"""An update this big moves the new jobs out of the cyclic GC's way (`gc.freeze`)."""

APPLY_SLICE = 2_000
"""Jobs of a large update the index takes per turn of the UI loop (tens of milliseconds
each with every sort key prepared)."""

SERVER_QUERY_SETTLE = 0.6
"""Seconds of quiet in the search box (or the state multi-select) before a server that
filters is asked again; Enter, `f`, a status and closing the panel ask at once."""


class JobsScreen(Screen[None]):
    """Every source's jobs, one view per source plus All."""

    AUTO_FOCUS = "JobTable"

    BINDINGS: ClassVar[list[BindingType]] = JOBS_BINDINGS

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
        self.view_state = JobsView.of(self.providers, self.interval, SHORT_SOURCE_WIDTH)
        """The view, its filters, each source's health and stuck jobs."""
        self.engine = DashboardSync(
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
        self._status_shown: Content | None = None
        self._toasts_ordered: set[str] = set()
        """The toasts `place_toasts` has put newest first already (by id)."""
        self.typical = self.engine.typical
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

    def view_bindings(self) -> list[Binding]:
        """The view keys of the sources configured (`jobs_keys.view_bindings`)."""
        return view_bindings(self.providers)

    @property
    def current_view(self) -> int:
        """0 is All; n is the n-th source."""
        return self.view_state.view

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
        self.table.source_labels = self.view_state.labels
        self._update_sources()
        self._update_status_line()
        self.set_interval(age_tick(self.settings.low_bandwidth), self._tick)
        # Scrolling (the wheel) moves the cursor's row on screen without moving the cursor.
        self.watch(self.table, "scroll_y", self._scrolled, init=False)
        self.load_and_start()

    @work(group="startup", exit_on_error=False)
    async def load_and_start(self) -> None:
        """Read the store's jobs (stale, with their age) and tracked ids for the handler,
        which shows them and starts the refreshes (`DashboardSync.load_start`)."""
        self.post_message(StartupLoaded(await self.engine.load_start()))

    @on(StartupLoaded)
    def _on_startup_loaded(self, message: StartupLoaded) -> None:
        """Open on the store's jobs, then refresh every source; the summary of what changed
        since the last open waits for each source's first refresh."""
        start = message.startup
        if start.error is not None:
            store_unreadable(self, start.error)
        if start.jobs:
            self.index.upsert(start.jobs)
            if len(start.jobs) >= LARGE_UPDATE:
                self._after_large_update()
        self.view_state.stored(start.stored_at)
        self.table.set_tracked(start.tracked)
        self._refresh_view(flash=())
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
        prepared = await self.engine.run_in_worker(self.index.prepare)
        if self.index.install(prepared):
            # The sort keys and orders just adopted are millions of references that the
            # cyclic GC would otherwise walk in every full collection (docs/design.md §6).
            gc.freeze()

    @on(SummaryReady)
    def _on_summary_ready(self, message: SummaryReady) -> None:
        self.tell(
            self.notices.summary(message.summary, message.mark, message.unchecked, self.clock())
        )

    # --- refresh loops --------------------------------------------------------------

    def _view_query(self) -> ViewQuery:
        """What this view asks the servers for: its filters and sort (`SyncEngine.view`)."""
        return self.view_state.view_query(self.index.sort_column, self.index.descending)

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

    def on_unmount(self) -> None:
        """Leave the open mark at the exit time, and let the worker thread go."""
        self.engine.mark_closed()
        self.engine.close()

    # --- messages -------------------------------------------------------------------

    @on(RefreshStarted)
    def _on_refresh_started(self, message: RefreshStarted) -> None:
        if self.engine.in_flight(message.account) and self.view_state.started(message.account):
            self._update_sources()

    @on(JobsLoaded)
    async def _on_jobs_loaded(self, message: JobsLoaded) -> None:
        if message.account not in self.view_state.health:
            return
        # In slices: a keystroke or a frame waits for one slice at most. The screen takes
        # its next message only after this one, so updates still apply in order.
        changes = await apply_in_slices(self.index, message.update, APPLY_SLICE)
        if len(message.update.upserts) >= LARGE_UPDATE:
            self._after_large_update()
        if message.stuck is not None:
            self._show_stuck({message.account: message.stuck})
        next_at = message.next_try_at or message.fetched_at
        health = self.view_state.loaded(
            message.account, message.fetched_at, next_at, message.note, message.counts
        )
        if changes or health.health != Health.OK:
            first = health.last_ok_at is None and health.health != Health.STALE
            self._refresh_view(flash=() if first else (changes.added | changes.changed))
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
        if message.account not in self.view_state.health:
            return
        sentence = one_line(clean(failure_sentence(message.error, message.note), 300))
        if not self.view_state.failed(message.account, sentence, message.next_try_at):
            self.tell(Notices.failing(message.account, sentence))
        self._refresh_view(flash=())

    def _notify_transitions(self, account: str, transitions: Sequence[Transition]) -> None:
        """Queue the job endings the rules ask for; every source's endings that arrive
        before the next screen refresh are told in one notification."""
        if self.notices.queue(transitions):
            self.call_after_refresh(self._tell_ended)

    def _tell_ended(self) -> None:
        self.tell(self.notices.ended())

    def _show_stuck(self, found: Mapping[str, frozenset[tuple[str, str]]]) -> None:
        """Mark the stuck jobs in the list and the source bar, and name the newly stuck
        ones in one notification. Only jobs the index holds count: a job the engine saw
        in a refresh whose report is still on its way is named once that report lands."""
        every = self.view_state.set_stuck(found, self.index.__contains__)
        if every is None:
            return
        self.table.stuck = every
        self.table.refresh()
        if self.view_state.stuck_only:
            self._apply_filter(tell_servers=False)
        self._update_sources()
        self.tell(self.notices.stuck(every))

    @on(TrackingChanged)
    def _on_tracking_changed(self, message: TrackingChanged) -> None:
        self.tell(Notices.tracking(message.change))
        if message.change.error is None:
            self.table.set_tracked(message.change.tracked)

    # --- where toasts go ------------------------------------------------------------

    def place_toasts(self) -> None:
        """Keep toasts off the row under the cursor (`toasts.place_toasts`)."""
        self._toasts_ordered = place_toasts(self, self.table, self._toasts_ordered)

    def on_resize(self) -> None:
        """Place the toasts again for the new size; collapse or expand the source bar."""
        self._update_sources()
        self.call_after_refresh(self.place_toasts)

    @on(JobTable.JobHighlighted)
    def _on_job_highlighted(self) -> None:
        self.place_toasts()

    def _scrolled(self) -> None:
        self.place_toasts()

    # --- widgets' messages ----------------------------------------------------------

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
        self.view_state.search = event.value
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
        self.view_state.states = event.states
        self._apply_filter(tell_servers=False)
        self._tell_servers_when_settled()

    @on(FilterPanel.StatusChosen)
    def _on_status_chosen(self, event: FilterPanel.StatusChosen) -> None:
        self.view_state.status = event.status
        self._apply_filter()
        self._close_filters()

    @on(FilterPanel.Closed)
    def _on_filters_closed(self) -> None:
        self._close_filters()
        self._tell_servers()

    # --- view updates ---------------------------------------------------------------

    def _apply_filter(self, *, tell_servers: bool = True) -> None:
        self.index.set_filter(self.view_state.job_filter(self.clock))
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
        table.stale_accounts = self.view_state.stale_accounts()
        table.empty_text = self.view_state.empty_text(self.index)
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
        state = self.view_state
        counts = [state.counts(account, self.index) for account in state.accounts]
        self.query_one(SourceBar).show(
            [state.health[account] for account in state.accounts],
            counts,
            sum(counts, Counter()),
            self.current_view,
            self.clock(),
            self.paused,
            stuck=state.stuck_counts(),
            collapsed=state.collapsed(self.app.size.height),
            labels=state.labels,
        )

    def _update_status_line(self) -> None:
        sort_name = self.table.column_name(self.index.sort_column)
        facts = self.view_state.status_facts(self.index, sort_name, self.interval, self.paused)
        content = status_line(facts)
        if content != self._status_shown:
            self._status_shown = content
            self.query_one("#status-line", Static).update(content, layout=False)

    def _tick(self) -> None:
        if self.view_state.window:
            self._apply_filter(tell_servers=False)  # the window moves on with the clock
        # Running jobs become stuck as the clock moves on (the engine looks at those only).
        self._show_stuck(self.engine.stuck_now())
        self.table.tick()
        self._update_sources()

    def _set_sort(self, column: Column, descending: bool) -> None:
        """Sort, and show the top of the new order with the cursor on its first row."""
        self.index.set_sort(column, descending)
        self._refresh_view(flash=(), top=True)
        if self._searching():
            self._prepare_search()

    def _close_filters(self) -> None:
        self.query_one(FilterPanel).display = False
        self.table.focus()

    @work(group="prepare-search", exclusive=True, exit_on_error=False)
    async def _prepare_search(self) -> None:
        """Build the listing's search texts in the thread while the user starts typing."""
        if self.index.search_ready():
            return
        prepared = await self.engine.run_in_worker(self.index.prepare_search)
        self.index.install_search(prepared)

    def _searching(self) -> bool:
        return bool(self.view_state.search.strip()) or self.query_one("#search", Input).display

    # --- actions --------------------------------------------------------------------

    def action_search(self) -> None:
        """Open the search box."""
        search = self.query_one("#search", Input)
        search.display = True
        # At once, not after the keys already queued: those are typed into the box
        # (see `JobsApp.on_key`).
        self.set_focus(search)
        self._prepare_search()

    def action_back(self) -> None:
        """Close the search box, the filter panel, or clear every filter."""
        search = self.query_one("#search", Input)
        if self.query_one(FilterPanel).display:
            self._close_filters()
        elif search.has_focus:
            search.value = ""
            search.display = False
            self.table.focus()
        elif self.view_state.filtered:
            self.view_state.clear_filters()
            search.value = ""
            search.display = False
            self._apply_filter()

    def action_toggle_sources(self) -> None:
        """Show the sources on one line, or one line each."""
        state = self.view_state
        state.collapsed_choice = not state.collapsed(self.app.size.height)
        self._update_sources()

    def action_failed_only(self) -> None:
        """Toggle showing only failed jobs."""
        self.view_state.toggle_failed()
        self._apply_filter()

    def action_stuck_only(self) -> None:
        """Toggle showing only running jobs past their kind's typical run time."""
        self.view_state.stuck_only = not self.view_state.stuck_only
        self._apply_filter(tell_servers=False)  # no server knows this

    def action_next_window(self) -> None:
        """Show only the jobs that changed in the next time window (15 min ... 7 d, all)."""
        self.view_state.next_window()
        self._apply_filter(tell_servers=False)  # no server filters on this

    def action_filters(self) -> None:
        """Open the state and status filters."""
        state = self.view_state
        panel = self.query_one(FilterPanel)
        statuses = self.index.status_values(state.accounts_in_view())
        panel.set_choices(state.states, statuses, state.status)
        panel.display = True
        panel.query_one("#filter-states").focus()

    def action_next_sort(self) -> None:
        """Sort by the next column to the right (after the last, the first)."""
        self._set_sort(*next_sort(self.index.sort_column, self.table.shown_columns()))

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
        for account in self.view_state.accounts_in_view():
            wait = self.engine.request_refresh(account, force=True)
            if wait >= 1.0:
                held.append(f"{source_label(account)} in {fmt_duration(wait)}")
        message = "Refreshing now" + ("; " + ", ".join(held) if held else "")
        self.notify(message, timeout=2 if not held else 4, markup=False)

    def action_track(self) -> None:
        """Ask for an id to track on the current source (or the highlighted job's source)."""
        from tui.screens.track import TrackScreen

        highlighted = self.table.cursor_job
        default = self.view_state.track_default(
            self.providers, highlighted.account if highlighted else None
        )
        if default is not None:
            screen = TrackScreen(self.view_state.accounts, default, self.engine.check_trackable)
            self.app.push_screen(screen, self._tracked)

    def _tracked(self, chosen: tuple[str, str] | None) -> None:
        if chosen is not None:
            self._change_tracking(*chosen, track=True)

    def action_untrack(self) -> None:
        """Stop tracking the highlighted job (an id tracked in the config stays: said so)."""
        job = self.table.cursor_job
        if job is None:
            return
        by = self.engine.tracked_by(job.account, job.id)
        if by == "store":
            self._change_tracking(job.account, job.id, track=False)
        else:
            self.tell(Notices.not_untracked(job.account, job.id, by_config=by == "config"))

    @work(group="track-store", exit_on_error=False)
    async def _change_tracking(self, account: str, job_id: str, *, track: bool) -> None:
        """Track or untrack an id in the store (`DashboardSync.track`, `untrack`)."""
        change = self.engine.track if track else self.engine.untrack
        self.post_message(TrackingChanged(await change(account, job_id)))

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
        self.view_state.set_interval(interval)
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
        self.view_state.view = view
        self._apply_filter(tell_servers=False)  # the view is never sent to a server

    def action_next_view(self) -> None:
        """Show the next view."""
        self.action_view((self.current_view + 1) % (len(self.providers) + 1))

    def action_previous_view(self) -> None:
        """Show the previous view."""
        self.action_view((self.current_view - 1) % (len(self.providers) + 1))

    def action_next_notify_rule(self) -> None:
        """Notify of the next set of job endings (failures only, ..., none)."""
        self.tell(self.notices.next_rule())

    def action_event_log(self) -> None:
        """Open the event log (read from the store)."""
        from tui.screens.event_log import EventLogScreen

        def name(account: str, job_id: str) -> str | None:
            job = self.index.get((account, job_id))
            return job.name if job is not None and job.name else None

        self.app.push_screen(EventLogScreen(self.store, self.open_job, name))

    # --- for the app, the palette and tests -----------------------------------------

    def open_job(self, account: str, job_id: str) -> bool:
        """Open a job's detail by key; False if the job is not known (any more)."""
        if self.index.get((account, job_id)) is None:
            return False
        self._on_open_job(OpenJobRequested(account, job_id))
        return True

    def source_health(self, account: str) -> SourceHealth:
        """One source's health (for tests and the palette)."""
        return self.view_state.health[account]

    def jobs_in_view(self) -> list[Job]:
        """The visible jobs, in order (for tests)."""
        return [self.index[row] for row in range(self.index.row_count())]

    def view_names(self) -> list[str]:
        """The views' names: All, then each source."""
        return ["All", *(provider.account for provider in self.providers)]

    def sort_columns(self) -> list[tuple[str, str]]:
        """Every sortable column: (its key for `sort_by`, its name as the header shows it)."""
        return sort_columns()
