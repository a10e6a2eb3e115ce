"""JobsScreen: the main screen. Views per source and All, the job table, refresh loops.

Data flow (style.md rule 10): one long-lived async worker per source fetches, saves to
the store and diffs against the index off the UI loop, then posts `JobsLoaded` or
`RefreshFailed`; the handlers here own every piece of state and update the widgets.
"""

from __future__ import annotations

import asyncio
import gc
import random
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
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
from tui.errors import BadResponseError, ProviderError, StoreError
from tui.formatting import STATE_ORDER, fmt_ago, fmt_duration
from tui.job_index import Column, JobFilter, JobIndex, PendingUpdate, parse_search
from tui.messages import JobsLoaded, OpenJobRequested, RefreshFailed, RefreshStarted
from tui.models import Job, JobState, Transition
from tui.providers.base import SORT_KEYS, JobProvider, ListQuery, ListResult
from tui.refresh import (
    Health,
    RefreshPolicy,
    SourceHealth,
    age_tick,
    faster,
    finished_tracked_ids,
    health_after_failure,
    health_after_success,
    index_transitions,
    raise_if_nothing_fetched,
    slower,
)
from tui.sanitize import clean, one_line
from tui.screens.job_detail import JobDetailScreen
from tui.screens.store_problem import show_store_problem
from tui.store import ChangeSummary, JobStore, OpenMark
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

SHOW_REFRESHING_AFTER = 0.3
"""Seconds a refresh runs before its source says "refreshing"."""

LARGE_UPDATE = 10_000
"""An update this big moves the new jobs out of the cyclic GC's way (`gc.freeze`)."""

DIFF_SLICE = 1_000
"""Jobs compared with the index per turn of the UI loop (a few milliseconds each)."""
FULL_REFRESH_EVERY = 10
"""Every this many refreshes of an incremental source, list everything again."""
INCREMENTAL_MARGIN = timedelta(seconds=60)
"""An incremental refresh reaches this far before the newest change already seen."""

NOTIFY_EACH_UP_TO = 3
"""More transitions than this in one refresh are summed up in one notification."""

SUMMARY_WAIT = 20.0
"""Seconds the start-up summary waits for every source's first refresh; a source slower
than this is left out of it (its first refresh then notifies as any other does)."""

SERVER_QUERY_SETTLE = 0.6
"""Seconds of quiet in the search box (or the state multi-select) before a server that
filters is asked again; Enter, `f`, a status and closing the panel ask at once."""

ServerFilters = tuple[frozenset[JobState], str | None, str | None]
"""The part of a source's query its server applies: states, status, text."""


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
        self._rng = rng or random.Random()
        self._health: dict[str, SourceHealth] = {
            provider.account: SourceHealth(
                account=provider.account,
                provider=str(provider.provider),
                interval=self.interval,
            )
            for provider in self.providers
        }
        self._due: dict[str, float] = {}
        """Per account, the monotonic time its next refresh starts."""
        self._earliest: dict[str, float] = {}
        """Per account, no refresh starts before this, even one asked for: the provider's
        floor after the last run, or a rate limit's `Retry-After`."""
        self._wake: dict[str, asyncio.Event] = {}
        self._force: set[str] = set()
        """Accounts asked to refresh even while paused (`r`, a newly tracked id)."""
        self._again: set[str] = set()
        """Accounts asked to refresh while a refresh ran: they run again once it ends."""
        self._in_flight: set[str] = set()
        self._sent_filters: dict[str, ServerFilters] = {}
        """Per account, the server-side filters its last query carried."""
        self._typed_at = 0.0
        self._settle: Timer | None = None
        self._store_warned = False
        self._diff_turn = asyncio.Lock()
        """One source diffs at a time: four sources slicing at once would each take a
        slice per turn of the loop, and a keystroke would wait for all four."""
        self._loaded_from_store = False
        self._newest_update: dict[str, datetime] = {}
        """Per account, the newest `updated_at` seen: where an incremental refresh starts."""
        self._refreshes: Counter[str] = Counter()
        self._search_text = ""
        self._states: frozenset[JobState] = frozenset()
        self._status: str | None = None
        self._status_shown: Content | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobtop-index")
        # "Since you were last here" (see `_summarize_since_last_open`).
        self._open_mark: OpenMark | None = None
        """The previous run's open mark, read at start (None: nothing to summarise)."""
        self._start_seq = 0
        """The store's newest transition when this run started."""
        self._awaiting_first: set[str] = set()
        """Sources whose first refresh the summary still waits for."""
        self._summary_upto: dict[str, int] = {}
        """Per source, the last transition the summary counts (its first refresh's save)."""
        self._unchecked: dict[str, str] = {}
        """Sources whose first refresh found nothing for the summary, and why."""
        self._summary_timer: Timer | None = None
        self._marking = False
        """True once the summary is shown: from then on every save renews the open mark."""

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
        self._loaded_from_store = True
        self._refresh_view(flash=())
        if mark is not None and accounts:
            self._open_mark = mark
            self._start_seq = start_seq
            self._awaiting_first = set(accounts)
            self._summary_timer = self.set_timer(SUMMARY_WAIT, self._summary_timed_out)
        else:
            # First use (or no store): nothing to summarise, the open mark starts now.
            self._marking = True
        for provider in self.providers:
            self._wake[provider.account] = asyncio.Event()
            self._due[provider.account] = monotonic()
            self.refresh_loop(provider)

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

    def _first_refresh_done(
        self, account: str, saved_seq: int | None, *, failed: bool = False
    ) -> None:
        """A source's first refresh arrived (or failed): the summary counts up to it."""
        if account not in self._awaiting_first:
            return
        self._awaiting_first.discard(account)
        self._summary_upto[account] = max(saved_seq or 0, self._start_seq)
        if failed:
            self._unchecked[account] = "failing"
        if not self._awaiting_first:
            self._summarize_since_last_open()

    def _summary_timed_out(self) -> None:
        """Summarise without the sources that have not answered yet."""
        if not self._awaiting_first:
            return
        for account in self._awaiting_first:
            self._summary_upto[account] = self._start_seq
            self._unchecked[account] = "no answer yet"
        self._awaiting_first.clear()
        self._summarize_since_last_open()

    @work(group="summary", exit_on_error=False)
    async def _summarize_since_last_open(self) -> None:
        """Say what changed while the app was closed, once, then start renewing the mark.

        Counted by the store (`JobStore.changes_since`): jobs known at the previous run's
        open mark whose state changed after it, up to each source's first refresh here.
        That is what the CLI saw while the app was closed plus what the first refreshes
        found against the stored snapshot; a first sighting is new, never "changed".
        """
        if self._summary_timer is not None:
            self._summary_timer.stop()
        mark = self._open_mark
        if mark is not None:
            try:
                summary = await asyncio.to_thread(
                    self.store.changes_since, mark.seq, dict(self._summary_upto)
                )
            except Exception as exc:  # noqa: BLE001 - a summary is not worth a crash
                self.log.warning(f"store summary failed: {type(exc).__name__}")
            else:
                self._show_summary(summary, mark)
        self._marking = True
        try:
            await asyncio.to_thread(self.store.mark_opened, self.clock())
        except Exception as exc:  # noqa: BLE001 - the next save tries again
            self.log.warning(f"store open mark failed: {type(exc).__name__}")

    def _show_summary(self, summary: ChangeSummary, mark: OpenMark) -> None:
        """One plain-text notification: counts per outcome (and per source), the latest
        failures by name, and the sources whose first refresh could not be compared."""
        when = fmt_ago(mark.at, self.clock())
        unchecked = [
            f"{_label(p.account)} ({self._unchecked[p.account]})"
            for p in self.providers
            if p.account in self._unchecked
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

    def _policy(self, provider: JobProvider) -> RefreshPolicy:
        account_interval = None
        for account in self.settings.accounts:
            if account.name == provider.account:
                account_interval = account.refresh
        interval = account_interval if account_interval is not None else self.interval
        if account_interval is not None and self.interval != self.settings.refresh:
            interval = self.interval
        # A failing source is retried at its interval, not after a growing backoff, so it
        # recovers within one interval once the fault clears (product.md section 8). A
        # failing poll stops at its first failed request, so this never asks more of a
        # server than refreshing does; Retry-After is still obeyed, and the HTTP layer
        # spaces its own retries.
        return RefreshPolicy(
            interval=interval,
            min_interval=provider.capabilities.min_poll_interval,
            max_backoff=max(interval, provider.capabilities.min_poll_interval),
        )

    async def _query(self, provider: JobProvider) -> ListQuery:
        account = provider.account
        tracked: list[str] = []
        for config in self.settings.accounts:
            if config.name == account:
                tracked.extend(config.track)
        try:
            # Off the UI loop: the store's lock may be held by another source's save.
            tracked.extend(await asyncio.to_thread(self.store.tracked_ids, account))
        except Exception as exc:  # noqa: BLE001 - a broken store must not stop refresh
            self.log.warning(f"store tracked ids failed: {type(exc).__name__}")
        tracked = list(dict.fromkeys(tracked))
        known = (self.index.get((account, job_id)) for job_id in tracked)
        skip = finished_tracked_ids(tracked, (job for job in known if job is not None))
        filters = self._sent_filters[account] = self._server_filters(provider)
        states, status, text = filters
        sort_key = _SERVER_SORT.get(self.index.sort_column)
        return ListQuery(
            states=states,
            status=status,
            text=text,
            sort_key=sort_key if sort_key in SORT_KEYS else None,
            descending=not self.index.descending
            if self.index.sort_column == Column.AGE
            else self.index.descending,
            tracked_ids=tuple(tracked),
            skip_ids=skip,
            updated_since=self._incremental_since(provider),
        )

    def _server_filters(self, provider: JobProvider) -> ServerFilters:
        """The filters `provider`'s server applies, as the current view asks for them."""
        server = provider.capabilities.server_filters
        search = parse_search(self._search_text) if "text" in server and self._search_text else None
        return (
            self._states if "states" in server else frozenset(),
            self._status if "status" in server else None,
            search.server_text if search else None,
        )

    def _incremental_since(self, provider: JobProvider) -> datetime | None:
        """Where an incremental refresh may start, or None for a full listing.

        Only for providers that sort by `updated_at`; measured on the server's own
        timestamps (no clock skew), with a margin, and every `FULL_REFRESH_EVERY`
        refreshes a full listing so jobs deleted upstream leave the list too.
        """
        account = provider.account
        self._refreshes[account] += 1
        newest = self._newest_update.get(account)
        if not provider.capabilities.incremental or newest is None:
            return None
        if self._refreshes[account] % FULL_REFRESH_EVERY == 0:
            return None
        return newest - INCREMENTAL_MARGIN

    @work(exit_on_error=False)
    async def refresh_loop(self, provider: JobProvider) -> None:
        """Refresh one source forever: fetch, post, then sleep after the run ends."""
        account = provider.account
        failures = 0
        while True:
            await self._wait_for_turn(account)
            # Say "refreshing" only if it takes a while: a quick refresh repaints nothing.
            started = self.set_timer(
                SHOW_REFRESHING_AFTER, partial(self.post_message, RefreshStarted(account))
            )
            error: ProviderError | None = None
            self._in_flight.add(account)
            try:
                await self._refresh_once(provider)
                failures = 0
            except asyncio.CancelledError:
                raise
            except ProviderError as exc:
                error = exc
            except Exception as exc:  # noqa: BLE001 - one source must never stop the app
                error = BadResponseError(
                    f"unexpected {type(exc).__name__} while refreshing", account=account
                )
            finally:
                started.stop()
                self._in_flight.discard(account)
            if error is not None:
                failures += 1
            policy = self._policy(provider)
            delay = policy.next_delay(failures, error, self._rng)
            ended = monotonic()
            self._earliest[account] = ended + policy.shortest_delay(error)
            if account in self._again:
                # Asked for while this run was in flight (`r`, a filter the server applies):
                # run again as soon as the provider allows, not a whole interval later.
                self._again.discard(account)
                delay = self._earliest[account] - ended
            self._due[account] = ended + delay
            if error is not None:
                now = self.clock()
                self.post_message(
                    RefreshFailed(account, error, now, now + timedelta(seconds=delay))
                )

    async def _refresh_once(self, provider: JobProvider) -> None:
        """One refresh of one source; everything heavy runs in threads, off the UI loop."""
        account = provider.account
        query = await self._query(provider)
        result: ListResult = await provider.list_jobs(query)
        raise_if_nothing_fetched(query, result)
        earlier: list[Job] = []
        while True:
            await self._refresh_part(provider, query, result, earlier)
            if result.resume is None:
                return
            # A listing in parts: each part shows as it comes; the next is asked at once.
            result = await provider.list_jobs(replace(query, resume=result.resume))

    async def _refresh_part(
        self, provider: JobProvider, query: ListQuery, result: ListResult, earlier: list[Job]
    ) -> None:
        """Diff, save and post one part of a listing (`earlier`: the parts before it)."""
        account = provider.account
        fetched_at = self.clock()
        jobs = [job for job in result.jobs if job.account == account]
        # A listing asked to filter server-side is partial even where the provider does
        # not report the filter as applied (one surface may apply it, another not).
        filtered = bool(query.states or query.status or query.text) or bool(
            result.applied & {"states", "status", "text"}
        )
        complete = (
            result.complete and result.resume is None and not result.incremental and not filtered
        )
        if complete and earlier:
            # The last part of a whole listing: removals are judged against every part.
            earlier.extend(jobs)
            jobs, earlier[:] = earlier[:], []
        elif result.resume is not None:
            earlier.extend(jobs)
        update = await self._diff_in_slices(jobs, account if complete else None, query.skip_ids)
        # Only a listing that saw every change may move the incremental watermark: one
        # narrowed by a server-side filter, or an incremental one cut short, leaves out
        # changes older than its newest that the next incremental refresh must still ask for.
        newest = None
        if not filtered and (result.complete or not result.incremental):
            newest = max((j.updated_at for j in update.upserts if j.updated_at), default=None)
        transitions: list[Transition] = []
        saved_seq: int | None = None
        store_error: str | None = None
        # Only what changed is written (unchanged jobs are already stored), but every
        # refresh is: the account's refresh time, and the open mark once it is renewed.
        save = partial(
            self._save,
            account,
            update.upserts,
            refreshed_at=None if filtered else fetched_at,
            opened_at=fetched_at if self._marking else None,
        )
        try:
            transitions, saved_seq = await self._in_worker_thread(save)
        except Exception as exc:  # noqa: BLE001 - keep showing data if the store fails
            store_error = exc.message if isinstance(exc, StoreError) else type(exc).__name__
            self.log.warning(f"store save failed: {store_error}")
            # The index takes this update only in the handler, so it still holds each
            # job's state from before it: notifications do not depend on the store.
            transitions = index_transitions(account, self.index.get, update.upserts, fetched_at)
        self.post_message(
            JobsLoaded(
                account, update, fetched_at, transitions, len(result.tracked_errors),
                saved_seq=saved_seq, newest_update=newest, store_error=store_error,
                note=result.note, counts=result.counts if result.resume is not None else None,
            )
        )

    def _save(
        self,
        account: str,
        jobs: Sequence[Job],
        *,
        refreshed_at: datetime | None,
        opened_at: datetime | None,
    ) -> tuple[list[Transition], int]:
        """Save one refresh (in the worker thread); also returns the newest transition's number."""
        transitions = self.store.save_jobs(
            account, jobs, refreshed_at=refreshed_at, opened_at=opened_at
        )
        return transitions, self.store.last_seq()

    async def _diff_in_slices(
        self, jobs: list[Job], complete_for: str | None, keep_ids: Sequence[str]
    ) -> PendingUpdate:
        """`JobIndex.diff` on the UI loop, `DIFF_SLICE` jobs at a time.

        Comparing 25,000 jobs is tens of milliseconds of pure Python. In a thread it held
        the GIL against the UI thread, so a repaint running meanwhile took two or three
        times as long; in slices, a keystroke or a frame waits for one slice at most.
        """
        steps = self.index.diff_steps(
            jobs, account=complete_for, keep_ids=keep_ids, step=DIFF_SLICE
        )
        async with self._diff_turn:
            while True:
                try:
                    next(steps)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]
                await asyncio.sleep(0)

    async def _in_worker_thread(self, function: Callable[[], T]) -> T:
        """Run CPU-heavy work on the screen's one worker thread.

        One thread, not one per source: several CPU-bound threads would take turns with
        the UI thread for the GIL and stall it for tens of milliseconds at a time.
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, function)

    def on_unmount(self) -> None:
        """Leave the open mark at the exit time, and let the worker thread go."""
        if self._marking:
            try:
                self.store.mark_opened(self.clock())
            except Exception as exc:  # noqa: BLE001 - the last save's mark stays
                self.log.warning(f"store open mark failed: {type(exc).__name__}")
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _wait_for_turn(self, account: str) -> None:
        """Return when the source is due and not paused (or `r` forced one refresh)."""
        while True:
            await self._wait_until_due(account)
            if not self.paused or account in self._force:
                self._force.discard(account)
                return
            wake = self._wake[account]
            await wake.wait()
            wake.clear()

    async def _wait_until_due(self, account: str) -> None:
        while True:
            remaining = self._due.get(account, 0.0) - monotonic()
            if remaining <= 0:
                return
            wake = self._wake[account]
            try:
                await asyncio.wait_for(wake.wait(), remaining)
            except TimeoutError:
                return
            wake.clear()

    def _accounts_in_view(self) -> list[str]:
        if self.current_view == 0:
            return [provider.account for provider in self.providers]
        return [self.providers[self.current_view - 1].account]

    # --- messages -------------------------------------------------------------------

    @on(RefreshStarted)
    def _on_refresh_started(self, message: RefreshStarted) -> None:
        health = self._health.get(message.account)
        if health is not None and message.account in self._in_flight:
            self._health[message.account] = replace(health, refreshing=True)
            self._update_sources()

    @on(JobsLoaded)
    def _on_jobs_loaded(self, message: JobsLoaded) -> None:
        health = self._health.get(message.account)
        if health is None:
            return
        first = health.last_ok_at is None and health.health != Health.STALE
        changes = self.index.apply(message.update)
        newest = message.newest_update
        if newest is not None:
            known = self._newest_update.get(message.account)
            self._newest_update[message.account] = newest if known is None else max(known, newest)
        if len(message.update.upserts) >= LARGE_UPDATE:
            self._after_large_update()
        due = self._due.get(message.account, monotonic()) - monotonic()
        next_at = message.fetched_at + timedelta(seconds=max(0.0, due))
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
        if message.account in self._awaiting_first:
            # What the first refresh found changed while the app was closed: the
            # start-up summary counts it instead of one notification per refresh.
            self._first_refresh_done(message.account, message.saved_seq)
        else:
            self._notify_transitions(message.account, message.transitions)

    @on(RefreshFailed)
    def _on_refresh_failed(self, message: RefreshFailed) -> None:
        health = self._health.get(message.account)
        if health is None:
            return
        sentence = one_line(clean(f"{message.error.title}: {message.error}", 300))
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
        self._first_refresh_done(message.account, None, failed=True)

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
        """Refresh the sources whose server-side filters differ from their last query's.

        A source whose server filters nothing, or whose filters did not change (a
        local-only regex), is left alone. While refresh is paused, the sources take the
        new filters when it resumes.
        """
        for provider in self.providers:
            sent = self._sent_filters.get(provider.account)
            if sent is not None and sent != self._server_filters(provider):
                self._request_refresh(provider.account, force=False)

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
        """Ask `account`'s loop for a refresh as soon as its provider allows.

        Runs never overlap: asked while one is in flight, the loop runs again right after
        it ends (`_again`), instead of the request being lost to the next interval.

        Args:
            account: The source.
            force: Run even while refresh is paused.

        Returns:
            Seconds until the refresh may start; 0 at once or after the one in flight.
        """
        if account not in self._wake:
            return 0.0  # the first refresh is about to start anyway
        if force:
            self._force.add(account)
        if account in self._in_flight:
            self._again.add(account)
            return 0.0
        now = monotonic()
        start = max(now, self._earliest.get(account, 0.0))
        self._due[account] = min(self._due[account], start)
        self._wake[account].set()
        return start - now

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
        if self.paused:
            self.notify("Refresh paused; p resumes, r refreshes once", timeout=3, markup=False)
        else:
            for wake in self._wake.values():
                wake.set()
            self.notify("Refresh resumed", timeout=2, markup=False)
        self._update_sources()
        self._update_status_line()

    def _set_interval(self, interval: float) -> None:
        self.interval = interval
        for provider in self.providers:
            account = provider.account
            health = self._health[account]
            self._health[account] = replace(health, interval=interval)
            if account in self._due:
                delay = self._policy(provider).next_delay(health.failures, None, self._rng)
                soonest = max(monotonic() + delay, self._earliest.get(account, 0.0))
                self._due[account] = min(self._due[account], soonest)
                self._wake[account].set()
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

    @property
    def now(self) -> datetime:
        """The screen's clock reading."""
        return self.clock()

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
