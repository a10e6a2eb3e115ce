"""The sync engine without Textual: schedule and policy on a fake clock, listings in
batches, and a refresh over the simulator."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import pytest

from tests.sync.conftest import FakeTicker, GatedProvider, jobs_of, settle
from tests.ui.fakes import NOW, make_job
from tui.clock import FrozenClock
from tui.errors import AuthError, UnavailableError
from tui.job_index.index import JobIndex
from tui.providers.base import Capabilities, ListResult
from tui.store import JobStore
from tui.sync.engine import SyncEngine
from tui.sync.events import JobsChanged, RefreshFailed, SyncEvent
from tui.sync.health import Health
from tui.sync.policy import AUTH_MIN_WAIT, RefreshPolicy


def job_store(engine: SyncEngine) -> JobStore:
    """The engine's store: the JobStore `running` gave it."""
    store = engine.store
    assert isinstance(store, JobStore)
    return store


@asynccontextmanager
async def running(
    providers: Sequence[Any], *, interval: float = 60.0, **kwargs: Any
) -> AsyncIterator[tuple[SyncEngine, FakeTicker, list[SyncEvent]]]:
    """A headless engine on a fake clock, its loops running; yields it, the clock, events."""
    ticker = FakeTicker()
    events: list[SyncEvent] = []
    store = JobStore(":memory:", clock=FrozenClock(NOW))
    engine = SyncEngine(
        providers,
        store,
        JobIndex(now=FrozenClock(NOW)),
        events.append,
        FrozenClock(NOW),
        interval=interval,
        apply_updates=True,
        rng=random.Random(1),
        ticker=ticker,
        show_refreshing_after=0,
        **{"blocking": inline, **kwargs},
    )
    task = asyncio.ensure_future(engine.run())
    try:
        await settle()
        yield engine, ticker, events
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        engine.close()
        store.close()


async def inline(function: Callable[[], Any]) -> Any:
    """Run the store's calls on the loop, so every step is seen without real time passing."""
    return function()


def of(kind: type, events: list[SyncEvent]) -> list[Any]:
    return [event for event in events if isinstance(event, kind)]


async def until(condition: Callable[[], bool], tries: int = 400) -> None:
    """Let the loop run until `condition` holds (real I/O may need real turns)."""
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


# --- the schedule ---------------------------------------------------------------------


async def test_r_during_a_run_runs_once_more_right_after_it_never_beside_it() -> None:
    source = GatedProvider("zoo", [ListResult(jobs=jobs_of("zoo", [1, 2]))], gated=True)
    async with running([source]) as (engine, ticker, events):
        assert len(source.queries) == 1 and engine.in_flight("zoo")
        assert engine.request_refresh("zoo", force=True) == 0.0
        assert engine.request_refresh("zoo", force=True) == 0.0  # twice: still once more
        await settle()
        assert len(source.queries) == 1  # not beside the run in flight
        source.gate.set()
        await settle()
        assert len(source.queries) == 2  # at once, with no time passing
        source.gate.set()
        await settle()
        await ticker.advance(59)
        assert len(source.queries) == 2  # one more run, not a loop
        await ticker.advance(1)
        assert len(source.queries) == 3  # the next one an interval after the last ended
        assert source.max_in_flight == 1


async def test_the_next_run_is_an_interval_after_the_last_one_ended() -> None:
    source = GatedProvider("zoo", [ListResult(jobs=[])], gated=True)
    async with running([source], interval=10) as (_, ticker, _events):
        await ticker.advance(25)  # the first listing takes 25 s
        source.gate.set()
        await settle()
        await ticker.advance(9.9)
        assert len(source.queries) == 1
        await ticker.advance(0.1)
        assert len(source.queries) == 2


async def test_a_requested_run_waits_for_the_providers_floor() -> None:
    source = GatedProvider(
        "hdr", [ListResult(jobs=[])], capabilities=Capabilities(lists=False, min_poll_interval=2)
    )
    async with running([source]) as (engine, ticker, _events):
        assert len(source.queries) == 1
        assert engine.request_refresh("hdr", force=True) == pytest.approx(2.0)
        await ticker.advance(1.9)
        assert len(source.queries) == 1
        await ticker.advance(0.1)
        assert len(source.queries) == 2


async def test_pause_holds_the_schedule_but_r_still_runs_once() -> None:
    source = GatedProvider("zoo", [ListResult(jobs=[])])
    async with running([source], interval=5) as (engine, ticker, _events):
        engine.set_paused(True)
        await ticker.advance(60)
        assert len(source.queries) == 1
        engine.request_refresh("zoo", force=True)
        await settle()
        assert len(source.queries) == 2
        await ticker.advance(60)
        assert len(source.queries) == 2
        engine.set_paused(False)
        await settle()
        assert len(source.queries) == 3  # overdue: at once on resume


# --- the policy ------------------------------------------------------------------------


async def test_retry_after_is_honoured_on_any_status() -> None:
    unavailable = UnavailableError("the server answered 503", account="zoo", status_code=503)
    unavailable.retry_after = 30
    source = GatedProvider("zoo", [unavailable, ListResult(jobs=[])])
    async with running([source], interval=5) as (engine, ticker, events):
        failed = of(RefreshFailed, events)
        assert len(failed) == 1
        assert (failed[0].next_try_at - failed[0].failed_at).total_seconds() == pytest.approx(30)
        assert failed[0].note == "as the server asked to wait, the next try is in 30s"
        assert engine.request_refresh("zoo", force=True) == pytest.approx(30)  # `r` too
        await ticker.advance(29.9)
        assert len(source.queries) == 1
        await ticker.advance(0.1)
        assert len(source.queries) == 2


async def test_a_refused_token_backs_off_several_intervals_and_says_so() -> None:
    refused = AuthError("the token was refused (HTTP 401)", account="zoo", status_code=401)
    source = GatedProvider("zoo", [refused])
    async with running([source], interval=2) as (engine, ticker, events):
        failed = of(RefreshFailed, events)
        wait = (failed[0].next_try_at - failed[0].failed_at).total_seconds()
        assert wait == pytest.approx(AUTH_MIN_WAIT)  # not every 2 s
        assert failed[0].note is not None and "credential was refused" in failed[0].note
        error = failed[0].health.error or ""
        assert "credential was refused" in error and error.endswith(".")  # one sentence
        await ticker.advance(AUTH_MIN_WAIT - 1)
        assert len(source.queries) == 1
        await ticker.advance(1)
        assert len(source.queries) == 2
        assert engine.sources["zoo"].health.health == Health.FAILING


def test_backoff_is_capped_at_the_interval_with_jitter_and_floors_come_from_capabilities() -> None:
    policy = RefreshPolicy.for_source(10, Capabilities(lists=True))
    rng = random.Random(3)
    delays = [policy.next_delay(n, UnavailableError("down"), rng) for n in range(1, 12)]
    assert all(10 <= delay <= 12 for delay in delays)
    assert len({round(delay, 3) for delay in delays}) > 5  # jittered, not in lockstep
    floored = RefreshPolicy.for_source(0.5, Capabilities(lists=False, min_poll_interval=2))
    assert floored.next_delay(0) == 2
    auth = RefreshPolicy.for_source(30, Capabilities(lists=True))
    assert auth.next_delay(1, AuthError("refused")) >= 6 * 30  # several intervals


# --- listings in batches ---------------------------------------------------------------


async def test_a_listing_in_batches_continues_at_once_and_reports_progress() -> None:
    batches = [
        ListResult(jobs=jobs_of("zoo", [1, 2]), total=6, resume="page-2"),
        ListResult(jobs=jobs_of("zoo", [3, 4]), total=6, resume="page-3"),
        ListResult(jobs=jobs_of("zoo", [5, 6]), total=6),
    ]
    source = GatedProvider("zoo", batches, gated=True)
    async with running([source]) as (engine, ticker, events):
        engine.index.upsert([make_job("zoo", 9)])  # known before, gone upstream
        source.gate.set()
        await settle()
        assert [q.resume for q in source.queries] == [None, "page-2"]  # no interval waited
        changed = of(JobsChanged, events)
        assert [(e.loaded, e.total, e.more) for e in changed] == [(2, 6, True)]
        assert engine.sources["zoo"].health.note == "loading 2 of 6"
        engine.request_refresh("zoo", force=True)  # during the continuation
        source.gate.set()
        await settle()
        source.gate.set()
        await settle()
        changed = of(JobsChanged, events)
        assert [(e.loaded, e.total, e.more) for e in changed] == [
            (2, 6, True),
            (4, 6, True),
            (6, 6, False),
        ]
        # the earlier batches' jobs stay, the one gone upstream leaves
        assert sorted(job.id[:4] for job in engine.index.jobs()) == [
            "0001",
            "0002",
            "0003",
            "0004",
            "0005",
            "0006",
        ]
        assert engine.sources["zoo"].health.note is None
        assert len(source.queries) == 4  # then the asked-for run, once, after the chain
        assert source.queries[3].resume is None
        assert source.max_in_flight == 1


async def test_the_next_batch_downloads_while_the_last_one_is_saved() -> None:
    batches = [
        ListResult(jobs=jobs_of("zoo", [1, 2]), total=4, resume="page-2"),
        ListResult(jobs=jobs_of("zoo", [3, 4]), total=4),
    ]
    source = GatedProvider("zoo", batches)
    release = asyncio.Event()

    async def saves_held(function: Callable[[], Any]) -> Any:
        if not isinstance(function, partial):  # the saves (the store's reads are partials)
            await release.wait()
        return function()

    async with running([source], blocking=saves_held) as (engine, ticker, events):
        await settle()
        # The first batch's save waits, and the second batch was asked for meanwhile.
        assert [q.resume for q in source.queries] == [None, "page-2"]
        assert not of(JobsChanged, events)
        release.set()
        await settle()
        assert [(e.loaded, e.more) for e in of(JobsChanged, events)] == [(2, True), (4, False)]
        assert len(list(engine.index.jobs())) == 4


# --- over the simulator -----------------------------------------------------------------


async def test_refresh_over_the_simulator_lists_saves_and_reports_failures() -> None:
    from tui.config import demo_settings
    from tui.providers import build_provider
    from tui.providers.client import HttpPolicy
    from tui.sim.server import SimServer

    with SimServer(jobs=40, seed=5) as sim:
        tracked = {name: tuple(ids) for name, ids in sim.tracked_ids().items()}
        settings = demo_settings(sim.url, refresh=30, track=tracked)
        policy = HttpPolicy(attempts=1, wait_initial=0.05, wait_max=0.1, deadline=10)
        providers = [build_provider(account, policy=policy) for account in settings.accounts]
        try:
            async with running(
                providers,
                interval=30,
                tracked={a.name: a.track for a in settings.accounts},
            ) as (engine, ticker, events):
                accounts = {p.account for p in providers}
                await until(lambda: {e.account for e in of(JobsChanged, events)} == accounts)
                assert not of(RefreshFailed, events)
                assert {job.account for job in engine.index.jobs()} == accounts
                store = engine.store
                assert isinstance(store, JobStore)
                assert len(store.load_jobs()) == len(engine.index)
                assert all(s.health.health == Health.OK for s in engine.sources.values())
                first = providers[0].account
                sim.set_fault("all", "http_503")
                engine.request_refresh(first, force=True)
                await until(lambda: bool(of(RefreshFailed, events)))
                failure = of(RefreshFailed, events)[0]
                assert failure.account == first and "503" in str(failure.error)
                assert engine.sources[first].health.health == Health.FAILING
                assert len(engine.index) == len(store.load_jobs())  # rows stay
        finally:
            await asyncio.gather(*(p.aclose() for p in providers))


async def test_a_failure_reason_known_stays_while_the_listing_brings_none() -> None:
    """A list without reasons (LettrLabs) does not wipe the reason a status call gave: it
    stays while the job is failed with the same status, and goes when the status changes."""
    from dataclasses import replace

    from tui.models import JobState

    failed = make_job("lettr", 1, JobState.FAILED, status="Failed", error="Row 203: revenue")
    unreasoned = replace(failed, error=None)
    retried = replace(failed, status="Errored", error=None)
    source = GatedProvider(
        "lettr",
        [ListResult(jobs=[failed]), ListResult(jobs=[unreasoned]), ListResult(jobs=[retried])],
        gated=True,
    )
    async with running([source]) as (engine, _ticker, _events):
        for expected in ("Row 203: revenue", "Row 203: revenue", None):
            source.gate.set()
            await settle()
            held = engine.index.get(failed.key)
            assert held is not None and held.error == expected
            assert job_store(engine).load_jobs()[0].error == expected
            engine.request_refresh("lettr", force=True)
            await settle()


# --- since last open --------------------------------------------------------------------


async def test_the_since_last_open_summary_counts_first_refreshes_headless() -> None:
    from dataclasses import replace as changed

    from tui.models import JobState
    from tui.sync.events import SummaryReady

    running_job = make_job("zoo", 1, JobState.RUNNING)
    store = JobStore(":memory:", clock=FrozenClock(NOW))
    store.save_jobs("zoo", [running_job])
    store.mark_opened(NOW)
    ok = GatedProvider("zoo", [ListResult(jobs=[changed(running_job, state=JobState.FAILED)])])
    down = GatedProvider("hdr", [UnavailableError("down", account="hdr")])
    events: list[SyncEvent] = []
    engine = SyncEngine(
        [ok, down],
        store,
        JobIndex(now=FrozenClock(NOW)),
        events.append,
        FrozenClock(NOW),
        interval=60,
        apply_updates=True,
        ticker=FakeTicker(),
        blocking=inline,
    )
    engine.begin_summary(store.open_mark(), store.last_seq())
    task = asyncio.ensure_future(engine.run())
    try:
        await settle()
        ready = of(SummaryReady, events)
        assert len(ready) == 1
        assert ready[0].summary.by_state() == {JobState.FAILED: 1}
        assert ready[0].unchecked == {"hdr": "failing"}
        assert [e.summarised for e in of(JobsChanged, events)] == [True]  # not notified twice
        assert engine.summary.marking  # every save renews the open mark from now on
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        engine.close()
        store.close()


async def test_source_problems_are_written_to_the_event_log_once_each() -> None:
    """Failing (once for a run of failures), rate limited, recovered, and a listing cut
    short (once while it stays cut) go to the store's event log, with the full sentence."""
    from tui.errors import RateLimitedError
    from tui.store import EventKind

    down = UnavailableError("the server answered 503 " + "and said more " * 30, account="zoo")
    limited = RateLimitedError("slow down", account="zoo", retry_after=5)
    capped = ListResult(
        jobs=[], capped=True, note="incomplete: first 2 of 5 jobs (the per-refresh cap)"
    )
    source = GatedProvider("zoo", [down, down, limited, capped, capped, ListResult(jobs=[])])
    async with running([source], interval=5) as (engine, ticker, events):
        for _ in range(5):
            await ticker.advance(6)
        assert len(source.queries) == 6
        log = list(reversed(job_store(engine).event_log()))
        assert [entry.kind for entry in log] == [
            EventKind.FAILING,
            EventKind.RATE_LIMITED,
            EventKind.RECOVERED,
            EventKind.INCOMPLETE,
        ]
        assert log[0].text.startswith("Provider unavailable: the server answered 503")
        assert log[0].text.endswith("and said more"), "the whole sentence, not cut"
        assert log[3].text == "incomplete: first 2 of 5 jobs (the per-refresh cap)"


# --- store failures ---------------------------------------------------------------------


class _MarkFails(JobStore):
    """A store whose open mark cannot be written, with `error`."""

    def __init__(self, error: Exception) -> None:
        super().__init__(":memory:", clock=FrozenClock(NOW))
        self.error = error

    def mark_opened(self, at: Any = None) -> None:
        raise self.error


def test_a_store_failure_is_logged_and_anything_else_is_not_swallowed() -> None:
    """Leaving the open mark tolerates the store failing (`StoreError`), and only that: a
    bug elsewhere is not hidden as if the store had failed."""
    from tui.errors import StoreError

    for error, raised in (
        (StoreError("disk full", problem="full"), False),
        (TypeError("bug"), True),
    ):
        store = _MarkFails(error)
        engine = SyncEngine(
            [],
            store,
            JobIndex(now=FrozenClock(NOW)),
            lambda _event: None,
            FrozenClock(NOW),
            interval=60,
            ticker=FakeTicker(),
            blocking=inline,
        )
        engine.summary.marking = True
        try:
            if raised:
                with pytest.raises(TypeError):
                    engine.mark_closed()
            else:
                engine.mark_closed()
        finally:
            engine.close()
            store.close()
