"""The sync engine: runs every source's refresh loop on asyncio, with no UI at all.

Per source (`SourceSync`): the schedule (never overlapping, the next run after the last
ends, a refresh asked for during a run runs once more after it, pause), the poll policy,
the refresh itself (query with server-side filters and the incremental watermark, list,
diff against the index, save, transitions), health, and the since-last-open summary.

It reports through one callback taking plain dataclasses (`tui.sync.events`); the
dashboard posts them as Textual messages and its handlers own every piece of UI state,
including the index: the engine only reads the index (to diff and to skip finished
tracked ids) unless it runs headless with `apply_updates=True`.

A listing that comes in batches (`ListResult.resume`) is continued at once within the same
run, each batch reported as it lands with how many are loaded so far; a refresh asked for
meanwhile runs after the whole listing, never beside it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol, TypeVar

from tui.errors import BadResponseError, ProviderError, RateLimitedError, StoreError
from tui.job_index.index import JobIndex, PendingUpdate
from tui.models import Job, JobState, Transition
from tui.providers.base import SORT_KEYS, JobProvider, ListQuery, ListResult
from tui.store import ChangeSummary, EventKind, OpenMark
from tui.sync.events import JobsChanged, RefreshFailed, RefreshStarted, SummaryReady, SyncEvent
from tui.sync.health import (
    Health,
    SourceHealth,
    health_after_failure,
    health_after_success,
)
from tui.sync.policy import failure_sentence, wait_note
from tui.sync.schedule import Schedule, Ticker
from tui.sync.source import (
    Progress,
    ServerFilters,
    SourceSync,
    ViewQuery,
    finished_tracked_ids,
    index_transitions,
    raise_if_nothing_fetched,
    server_filters,
)

T = TypeVar("T")

log = logging.getLogger("jobtop.sync")

DIFF_SLICE = 1_000
"""Jobs compared with the index per turn of the event loop (a few milliseconds each)."""

SUMMARY_WAIT = 20.0
"""Seconds the start-up summary waits for every source's first refresh; a source slower
than this is left out of it (its first refresh then notifies as any other does)."""

SHOW_REFRESHING_AFTER = 0.3
"""Seconds a refresh runs before its source says "refreshing"."""


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Read a dropped future's outcome, so its error is not reported as never retrieved."""
    if not future.cancelled():
        future.exception()


def keep_reasons(jobs: list[Job], known: Callable[[tuple[str, str]], Job | None]) -> list[Job]:
    """`jobs`, where a failed job listed without a reason keeps the one already known.

    Some lists carry no failure reason (LettrLabs has it only in a conversion's status):
    the reason learned from a status call, or stored, stays while the job is still failed
    with the same status.
    """
    kept = jobs
    for place, job in enumerate(jobs):
        if job.error is not None or job.state is not JobState.FAILED:
            continue
        old = known((job.account, job.id))
        if old is None or not old.error or (old.state, old.status) != (job.state, job.status):
            continue
        if kept is jobs:
            kept = list(jobs)
        exact = {**(job.exact or {})}
        if old.exact is not None and "error" in old.exact:
            exact["error"] = old.exact["error"]  # the server's text, as stored
        kept[place] = replace(job, error=old.error, exact=exact or None)
    return kept


def progress_note(progress: Progress) -> str:
    """ "loading 12,400 of 60,000" (or "loading 12,400" when the total is unknown)."""
    if progress.total is None:
        return f"loading {progress.loaded:,}"
    return f"loading {progress.loaded:,} of {progress.total:,}"


class SinceLastOpen:
    """Which sources' first refreshes the since-last-open summary still waits for.

    The summary counts, per source, the store's transitions up to that source's first
    refresh in this run (`JobStore.changes_since`); once it is shown, every save renews
    the open mark (`marking`).
    """

    def __init__(self) -> None:
        self.mark: OpenMark | None = None
        """The previous run's open mark (None: nothing to summarise)."""
        self.start_seq = 0
        """The store's newest transition when this run started."""
        self.awaiting: set[str] = set()
        self.upto: dict[str, int] = {}
        self.unchecked: dict[str, str] = {}
        self.marking = False
        """True once the summary is done: from then on every save renews the open mark."""
        self.settled = asyncio.Event()
        """Set once nothing is awaited any more."""

    def begin(self, mark: OpenMark | None, start_seq: int, accounts: Iterable[str]) -> None:
        """Wait for `accounts`' first refreshes, or (no mark: first use) mark at once."""
        accounts = set(accounts)
        if mark is not None and accounts:
            self.mark = mark
            self.start_seq = start_seq
            self.awaiting = accounts
        else:
            self.marking = True
            self.settled.set()

    def first_refresh_done(self, account: str, saved_seq: int | None, *, failed: bool) -> bool:
        """Note a source's first refresh; True when that was the last one awaited."""
        if account not in self.awaiting:
            return False
        self.awaiting.discard(account)
        self.upto[account] = max(saved_seq or 0, self.start_seq)
        if failed:
            self.unchecked[account] = "failing"
        return not self.awaiting

    def timed_out(self) -> bool:
        """Give up on the sources not heard from; True if any was still awaited."""
        if not self.awaiting:
            return False
        for account in self.awaiting:
            self.upto[account] = self.start_seq
            self.unchecked[account] = "no answer yet"
        self.awaiting.clear()
        return True


class SyncStore(Protocol):
    """What the engine reads and writes in the job store: `tui.store.JobStore`, or the
    command line's wrapper of it that reports a failure once and goes on."""

    def tracked_ids(self, account: str) -> list[str]:
        """The ids tracked by hand on an account."""
        ...

    def save_jobs(
        self,
        account: str,
        jobs: Sequence[Job],
        *,
        refreshed_at: datetime | None = None,
        opened_at: datetime | None = None,
    ) -> list[Transition]:
        """Save one refresh's jobs; the state changes it recorded."""
        ...

    def last_seq(self) -> int:
        """The newest transition's number."""
        ...

    def changes_since(self, after_seq: int, upto: Mapping[str, int]) -> ChangeSummary:
        """What changed after a transition number (the summary since the last open)."""
        ...

    def mark_opened(self, at: datetime | None = None) -> None:
        """Record that the dashboard is open and has seen every transition."""
        ...

    def add_event(
        self, account: str, kind: EventKind, text: str, at: datetime | None = None
    ) -> None:
        """Record a source event in the event log."""
        ...


class SyncEngine:
    """Every source's sync, runnable with or without a UI.

    Args:
        providers: One per account.
        store: Where refreshes are saved and tracked ids come from.
        index: The jobs known so far; each refresh is diffed against it.
        emit: Called with every `SyncEvent`, on the event loop.
        clock: Wall-clock time for fetch stamps.
        interval: Seconds between refreshes (the dashboard's current interval).
        default_interval: The configured global interval: while `interval` equals it, an
            account's own `refresh` wins.
        account_intervals: Per account, its configured `refresh`, if any.
        tracked: Per account, the ids the config file tracks.
        view: What the viewer wants listed (filters the server may apply, sort);
            a headless engine lists everything.
        apply_updates: Apply each update to `index` here (headless); a UI applies them in
            its handlers instead.
        rng: Jitter source (tests pass a seeded one).
        ticker: Monotonic time and timed waits (a fake one in tests).
        show_refreshing_after: Seconds a run lasts before `RefreshStarted` is reported.
        blocking: Runs the store's blocking calls; by default in a thread (the saves on
            the engine's one worker thread). Tests pass one that runs them inline, so a
            fake clock sees every step.
        tracked_only_fails: A run that listed nothing and failed on every tracked id
            fails as a whole (the dashboard); False leaves those as per-id errors
            (`SourceSync.progress.tracked_errors`, the CLI's `list`).
    """

    def __init__(
        self,
        providers: Sequence[JobProvider],
        store: SyncStore,
        index: JobIndex,
        emit: Callable[[SyncEvent], None],
        clock: Callable[[], datetime],
        *,
        interval: float,
        default_interval: float | None = None,
        account_intervals: Mapping[str, float | None] | None = None,
        tracked: Mapping[str, Sequence[str]] | None = None,
        view: Callable[[], ViewQuery] | None = None,
        apply_updates: bool = False,
        rng: random.Random | None = None,
        ticker: Ticker | None = None,
        show_refreshing_after: float = SHOW_REFRESHING_AFTER,
        blocking: Callable[[Callable[[], Any]], Awaitable[Any]] | None = None,
        tracked_only_fails: bool = True,
    ) -> None:
        self.store = store
        self.index = index
        self.emit = emit
        self.clock = clock
        self.interval = interval
        self.default_interval = interval if default_interval is None else default_interval
        self.account_intervals = dict(account_intervals or {})
        self.view = view or ViewQuery
        self.apply_updates = apply_updates
        self.rng = rng or random.Random()
        self.show_refreshing_after = show_refreshing_after
        self.paused = False
        self.summary = SinceLastOpen()
        self.sources: dict[str, SourceSync] = {}
        for provider in providers:
            account = provider.account
            self.sources[account] = SourceSync(
                provider=provider,
                schedule=Schedule(ticker),
                health=SourceHealth(
                    account=account, provider=str(provider.provider), interval=interval
                ),
                interval=self._interval_for(account),
                config_tracked=tuple((tracked or {}).get(account, ())),
            )
        self._diff_turn = asyncio.Lock()
        """One source diffs at a time: four sources slicing at once would each take a
        slice per turn of the loop, and a keystroke would wait for all four."""
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobtop-index")
        self._blocking = blocking
        self._tracked_only_fails = tracked_only_fails

    # --- control ----------------------------------------------------------------------

    def _interval_for(self, account: str) -> float:
        own = self.account_intervals.get(account)
        if own is not None and self.interval == self.default_interval:
            return own
        return self.interval

    def request_refresh(self, account: str, *, force: bool) -> float:
        """Ask for a refresh of `account` as soon as its provider allows.

        Returns:
            Seconds until it may start; 0 at once or right after the run in flight.
        """
        source = self.sources.get(account)
        return 0.0 if source is None else source.schedule.request(force=force)

    def set_paused(self, paused: bool) -> None:
        """Pause or resume automatic refresh of every source."""
        self.paused = paused
        for source in self.sources.values():
            source.schedule.set_paused(paused)

    def set_interval(self, interval: float) -> None:
        """Refresh every `interval` seconds from now on; a sooner next run comes forward."""
        self.interval = interval
        for source in self.sources.values():
            source.interval = self._interval_for(source.account)
            source.health = replace(source.health, interval=interval)
            source.schedule.sooner(source.policy.next_delay(source.health.failures, None, self.rng))

    def mark_stored(self, account: str, stored_at: datetime | None) -> None:
        """The rows shown for `account` come from the store (refreshed at `stored_at`)."""
        source = self.sources.get(account)
        if source is not None:
            source.health = replace(source.health, health=Health.STALE, stored_at=stored_at)

    def in_flight(self, account: str) -> bool:
        """True while `account` refreshes."""
        source = self.sources.get(account)
        return source is not None and source.schedule.running

    def sent_filters(self, account: str) -> ServerFilters | None:
        """The server-side filters `account`'s last query carried."""
        source = self.sources.get(account)
        return None if source is None else source.sent_filters

    def server_filters(self, account: str) -> ServerFilters:
        """The server-side filters `account`'s next query would carry."""
        return server_filters(self.sources[account].provider.capabilities, self.view())

    def filters_changed(self) -> None:
        """Refresh the sources whose server-side filters differ from their last query's.

        A source whose server filters nothing, or whose filters did not change (a
        local-only regex), is left alone. While refresh is paused, the sources take the
        new filters when it resumes.
        """
        for account, source in self.sources.items():
            sent = source.sent_filters
            if sent is not None and sent != self.server_filters(account):
                source.schedule.request(force=False)

    def begin_summary(self, mark: OpenMark | None, start_seq: int) -> None:
        """Start waiting for each source's first refresh to say what changed since `mark`."""
        self.summary.begin(mark, start_seq, self.sources)

    async def run_in_worker(self, function: Callable[[], T]) -> T:
        """Run CPU-heavy work on the engine's one worker thread.

        One thread, not one per source: several CPU-bound threads would take turns with
        the UI thread for the GIL and stall it for tens of milliseconds at a time.
        """
        if self._blocking is not None:
            return await self._blocking(function)  # type: ignore[no-any-return]
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, function)

    async def _off_loop(self, function: Callable[[], T]) -> T:
        """A blocking store call in a thread (the store's lock may be held by a save)."""
        if self._blocking is not None:
            return await self._blocking(function)  # type: ignore[no-any-return]
        return await asyncio.to_thread(function)

    def close(self) -> None:
        """Let the worker thread go (pending work is dropped)."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    # --- running ----------------------------------------------------------------------

    async def run(self) -> None:
        """Run every source's loop and the summary's deadline until cancelled."""
        await asyncio.gather(
            self.summary_deadline(), *(self.run_source(account) for account in self.sources)
        )

    async def summary_deadline(self) -> None:
        """Summarise without the sources that have not answered within `SUMMARY_WAIT`."""
        try:
            await asyncio.wait_for(self.summary.settled.wait(), SUMMARY_WAIT)
        except TimeoutError:
            if self.summary.timed_out():
                await self._summarise()

    async def refresh_now(self, account: str) -> tuple[JobsChanged, Progress]:
        """One run of `account` at once, outside its schedule (the CLI's `list`).

        Every part of a listing in parts is read. Returns the last part's report and the
        run's progress (jobs loaded, total, per-id errors).

        Raises:
            ProviderError: The listing failed.
        """
        source = self.sources[account]
        event = await self._run_once(source)
        assert source.progress is not None
        return event, source.progress

    async def run_source(self, account: str) -> None:
        """Refresh one source forever: wait for its turn, run, report, schedule the next."""
        source = self.sources[account]
        loop = asyncio.get_running_loop()
        while True:
            await source.schedule.wait_for_turn()
            source.schedule.started()
            # Say "refreshing" only if it takes a while: a quick refresh repaints nothing.
            shown = loop.call_later(self.show_refreshing_after, self._show_refreshing, source)
            error: ProviderError | None = None
            last: JobsChanged | None = None
            try:
                last = await self._run_once(source)
            except asyncio.CancelledError:
                raise
            except ProviderError as exc:
                error = exc
            except Exception as exc:  # noqa: BLE001 - one source must never stop the rest
                log.warning("refresh of %s failed: %s", account, type(exc).__name__)
                error = BadResponseError(
                    f"unexpected {type(exc).__name__} while refreshing", account=account
                )
            finally:
                shown.cancel()
                source.progress = None
            source.failures = 0 if error is None else source.failures + 1
            source.last_error = error
            policy = source.policy
            delay = policy.next_delay(source.failures, error, self.rng)
            delay = source.schedule.ended(delay, policy.shortest_delay(error))
            if error is not None:
                now = self.clock()
                next_at = now + timedelta(seconds=delay)
                note = wait_note(error, delay)
                sentence = failure_sentence(error, note)
                source.health = health_after_failure(source.health, sentence, next_at)
                await self._log_failure(source, error, sentence, now)
                self.emit(RefreshFailed(account, error, now, next_at, source.health, note))
                if self.summary.first_refresh_done(account, None, failed=True):
                    await self._summarise()
            elif last is not None:
                next_at = last.fetched_at + timedelta(seconds=delay)
                source.health = replace(
                    health_after_success(source.health, last.fetched_at, next_at),
                    note=last.note,
                    server_counts=None,
                )
                await self._log_success(source, last)
                summarised = account in self.summary.awaiting
                self.emit(replace(last, health=source.health, summarised=summarised))
                if self.summary.first_refresh_done(account, last.saved_seq, failed=False):
                    await self._summarise()

    async def _log_failure(
        self, source: SourceSync, error: ProviderError, sentence: str, at: datetime
    ) -> None:
        """Write a source's problem to the event log once per run of failures (again if it
        turns from failing to rate limited or back)."""
        kind = EventKind.RATE_LIMITED if isinstance(error, RateLimitedError) else EventKind.FAILING
        if source.logged_problem == kind:
            return
        source.logged_problem = kind
        await self._log_event(source.account, kind, sentence, at)

    async def _log_success(self, source: SourceSync, last: JobsChanged) -> None:
        """Write a recovery, or a listing newly cut short, to the event log."""
        if source.logged_problem is not None:
            source.logged_problem = None
            await self._log_event(
                source.account, EventKind.RECOVERED, "refreshed successfully again", last.fetched_at
            )
        capped = bool(source.last_result is not None and source.last_result.capped)
        if capped and not source.logged_incomplete:
            text = last.note or "the listing was cut short"
            await self._log_event(source.account, EventKind.INCOMPLETE, text, last.fetched_at)
        source.logged_incomplete = capped

    async def _log_event(self, account: str, kind: EventKind, text: str, at: datetime) -> None:
        try:
            await self._off_loop(partial(self.store.add_event, account, kind, text, at))
        except StoreError as exc:  # the log is not worth stopping a refresh
            log.warning("store event failed: %s", type(exc).__name__)

    def _show_refreshing(self, source: SourceSync) -> None:
        if source.schedule.running:
            source.health = replace(source.health, refreshing=True)
            self.emit(RefreshStarted(source.account, source.health))

    async def _run_once(self, source: SourceSync) -> JobsChanged:
        """One run: the listing and, while it says there is more, its next batches at once.

        Every batch but the last is reported as it lands; the last is returned for the
        loop to report with the source's new health. The next batch downloads while the
        last one is diffed and saved.
        """
        query = await self._query(source)
        progress = source.progress = Progress()
        seen: set[str] = set()
        result = await source.provider.list_jobs(query)
        while True:
            ahead: asyncio.Future[ListResult] | None = None
            if result.resume is not None:
                ahead = asyncio.ensure_future(
                    source.provider.list_jobs(replace(query, resume=result.resume))
                )
            try:
                event = await self._absorb(source, query, result, progress, seen)
                if ahead is None:
                    return event
                source.health = replace(source.health, note=event.note, server_counts=event.counts)
                self.emit(
                    replace(
                        event,
                        health=source.health,
                        more=True,
                        summarised=source.account in self.summary.awaiting,
                    )
                )
            except BaseException:
                if ahead is not None:
                    ahead.cancel()
                    ahead.add_done_callback(_retrieve)
                raise
            query = replace(query, resume=result.resume)
            result = await ahead

    async def _query(self, source: SourceSync) -> ListQuery:
        account = source.account
        tracked = list(source.config_tracked)
        try:
            # Off the event loop: the store's lock may be held by another source's save.
            tracked.extend(await self._off_loop(partial(self.store.tracked_ids, account)))
        except StoreError as exc:  # a broken store must not stop refresh
            log.warning("store tracked ids failed: %s", exc.problem)
        tracked = list(dict.fromkeys(tracked))
        known = (self.index.get((account, job_id)) for job_id in tracked)
        skip = finished_tracked_ids(tracked, (job for job in known if job is not None))
        view = self.view()
        filters = source.sent_filters = server_filters(source.provider.capabilities, view)
        states, status, text = filters
        return ListQuery(
            states=states,
            status=status,
            text=text,
            sort_key=view.sort_key if view.sort_key in SORT_KEYS else None,
            descending=view.descending,
            tracked_ids=tuple(tracked),
            skip_ids=skip,
            updated_since=source.incremental_since(),
        )

    async def _absorb(
        self,
        source: SourceSync,
        query: ListQuery,
        result: ListResult,
        progress: Progress,
        seen: set[str],
    ) -> JobsChanged:
        """What one `list_jobs` call returned: check, diff, save, transitions.

        Args:
            query: The query that call was given.
            seen: Ids the run's earlier batches listed (kept from removal by the last).
        """
        account = source.account
        source.last_result = result
        progress.tracked_errors.update(result.tracked_errors)
        progress.unreadable += result.unreadable
        if query.resume is None and self._tracked_only_fails:
            raise_if_nothing_fetched(query, result)
        fetched_at = self.clock()
        jobs = keep_reasons([job for job in result.jobs if job.account == account], self.index.get)
        progress.loaded += len(jobs)
        progress.total = result.total if result.total is not None else progress.total
        # A listing asked to filter server-side is partial even where the provider does
        # not report the filter as applied (one surface may apply it, another not).
        filtered = bool(query.states or query.status or query.text) or bool(
            result.applied & {"states", "status", "text"}
        )
        last = result.resume is None
        complete = last and result.complete and not result.incremental and not filtered
        # Only a complete listing removes jobs, so only its last batch needs what to keep.
        keep = set(query.skip_ids) | seen if complete else ()
        update = await self._diff_in_slices(jobs, account if complete else None, keep)
        if not last:
            seen.update(job.id for job in jobs)
        # Only a listing that saw every change may move the incremental watermark: one
        # narrowed by a server-side filter, or an incremental one cut short, leaves out
        # changes older than its newest that the next incremental refresh must still ask for.
        batch_newest = max((j.updated_at for j in update.upserts if j.updated_at), default=None)
        if batch_newest is not None:
            progress.newest = max(progress.newest or batch_newest, batch_newest)
        newest = None
        if last and not filtered and (result.complete or not result.incremental):
            newest = progress.newest
            source.note_newest(newest)
        transitions: list[Transition] = []
        saved_seq: int | None = None
        store_error: str | None = None
        # Only what changed is written (unchanged jobs are already stored), but every
        # refresh is: the account's refresh time, and the open mark once it is renewed.
        marking = self.summary.marking
        try:
            transitions, saved_seq = await self.run_in_worker(
                lambda: self._save(
                    account,
                    update.upserts,
                    refreshed_at=None if filtered or not last else fetched_at,
                    opened_at=fetched_at if marking else None,
                )
            )
        except Exception as exc:  # noqa: BLE001 - keep showing data if the store fails
            store_error = exc.message if isinstance(exc, StoreError) else type(exc).__name__
            log.warning("store save failed: %s", store_error)
            # The index takes this update only after this report, so it still holds each
            # job's state from before it: notifications do not depend on the store.
            transitions = index_transitions(account, self.index.get, update.upserts, fetched_at)
        stuck = await self._observed(account, update)
        if self.apply_updates:
            self.index.apply(update)
        event = JobsChanged(
            account,
            update,
            fetched_at,
            transitions,
            source.health,
            tracked_errors=len(result.tracked_errors),
            saved_seq=saved_seq,
            newest_update=newest,
            store_error=store_error,
            loaded=progress.loaded,
            total=progress.total,
            more=not last,
            note=result.note or (None if last else progress_note(progress)),
            counts=None if last else result.counts,
            stuck=stuck,
        )
        return event

    async def _observed(
        self, account: str, update: PendingUpdate
    ) -> frozenset[tuple[str, str]] | None:
        """A look at each update before it is reported; the source's stuck jobs, or None
        when not looked for (`tui.sync.dashboard.DashboardSync` looks)."""
        return None

    def _save(
        self,
        account: str,
        jobs: Sequence[Job],
        *,
        refreshed_at: datetime | None,
        opened_at: datetime | None,
    ) -> tuple[list[Transition], int]:
        """Save one refresh (in the worker thread); also the newest transition's number."""
        transitions = self.store.save_jobs(
            account, jobs, refreshed_at=refreshed_at, opened_at=opened_at
        )
        return transitions, self.store.last_seq()

    async def _diff_in_slices(
        self, jobs: list[Job], complete_for: str | None, keep_ids: Iterable[str]
    ) -> PendingUpdate:
        """`JobIndex.diff` on the event loop, `DIFF_SLICE` jobs at a time.

        Comparing 25,000 jobs is tens of milliseconds of pure Python, which a thread would
        run holding the GIL against the UI thread; in slices, a keystroke or a frame waits
        for one slice at most (docs/design.md §6).
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

    async def _summarise(self) -> None:
        """Count what changed since the last open mark, report it once, then start
        renewing the mark.

        Counted by the store (`JobStore.changes_since`): jobs known at the previous run's
        open mark whose state changed after it, up to each source's first refresh here.
        """
        summary = self.summary
        summary.settled.set()
        mark = summary.mark
        if mark is not None:
            try:
                counted = await self._off_loop(
                    partial(self.store.changes_since, mark.seq, dict(summary.upto))
                )
            except StoreError as exc:  # a summary is not worth a crash
                log.warning("store summary failed: %s", exc.problem)
            else:
                self.emit(SummaryReady(counted, mark, dict(summary.unchecked)))
        summary.marking = True
        try:
            await self._off_loop(partial(self.store.mark_opened, self.clock()))
        except StoreError as exc:  # the next save tries again
            log.warning("store open mark failed: %s", exc.problem)

    def mark_closed(self) -> None:
        """Leave the open mark at the exit time (once the summary was shown)."""
        if not self.summary.marking:
            return
        try:
            self.store.mark_opened(self.clock())
        except StoreError as exc:  # the last save's mark stays
            log.warning("store open mark failed: %s", exc.problem)
