"""The engine as the dashboard drives it, without Textual: the start-up load, the tracked
ids, and the stuck jobs found among the running ones."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.sync.conftest import settle
from tests.sync.test_engine import inline
from tests.sync.test_typical import NOW, history, run, running
from tests.ui.fakes import FakeProvider, make_job
from tui.clock import FrozenClock
from tui.errors import StoreError
from tui.job_index.index import JobIndex, PendingUpdate
from tui.models import JobKind, JobState, ProviderName
from tui.store import JobStore
from tui.sync.dashboard import DashboardSync
from tui.sync.events import SyncEvent
from tui.sync.health import Health
from tui.sync.stuck import RunningJobs
from tui.sync.typical import TypicalDurations


def engine_on(
    store: JobStore, providers: list[FakeProvider], events: list[SyncEvent] | None = None
) -> DashboardSync:
    return DashboardSync(
        providers,
        store,
        JobIndex(now=FrozenClock(NOW)),
        (events if events is not None else []).append,
        FrozenClock(NOW),
        interval=60.0,
        tracked={"zoo": ("from-config",)},
        rng=random.Random(1),
        blocking=inline,
    )


@pytest.fixture
def store() -> Iterator[JobStore]:
    job_store = JobStore(":memory:", clock=FrozenClock(NOW))
    yield job_store
    job_store.close()


async def test_the_start_reads_the_stored_jobs_their_age_and_the_tracked_ids(
    store: JobStore,
) -> None:
    stuck = replace(make_job("zoo", 1, JobState.RUNNING), started_at=NOW - timedelta(hours=1))
    store.save_jobs("zoo", [stuck, make_job("zoo", 2)], refreshed_at=NOW - timedelta(hours=2))
    store.save_jobs("gone", [make_job("gone", 3)])  # a source no longer configured
    store.add_tracked("zoo", ["by-hand"])
    store.mark_opened(NOW - timedelta(hours=1))
    engine = engine_on(store, [FakeProvider("zoo"), FakeProvider("mf")])
    try:
        start = await engine.load_start()
    finally:
        engine.close()
    assert start.error is None
    assert sorted(job.id for job in start.jobs) == sorted([stuck.id, make_job("zoo", 2).id])
    assert start.stored_at == {"zoo": NOW - timedelta(hours=2)}
    assert start.tracked == {("zoo", "from-config"), ("zoo", "by-hand")}
    assert engine.sources["zoo"].health.health == Health.STALE
    assert engine.sources["mf"].health.health == Health.LOADING
    assert engine.summary.awaiting == {"zoo", "mf"} and not engine.summary.marking
    assert engine.running.of("zoo") == [stuck]


class BrokenStore(JobStore):
    """A store whose every tracked-id read and write fails."""

    def all_tracked(self) -> dict[str, list[str]]:
        raise StoreError("the disk is on fire", problem="corrupt")

    def add_tracked(self, account: str, ids: Iterable[str]) -> list[str]:
        raise StoreError("the disk is on fire", problem="unwritable")


async def test_a_store_that_cannot_be_read_leaves_nothing_to_show_or_summarise() -> None:
    store = BrokenStore(":memory:", clock=FrozenClock(NOW))
    store.save_jobs("zoo", [make_job("zoo", 1)])
    engine = engine_on(store, [FakeProvider("zoo")])
    try:
        start = await engine.load_start()
        assert isinstance(start.error, StoreError) and start.jobs == []
        assert start.tracked == {("zoo", "from-config")}
        assert engine.summary.marking  # nothing to compare: the open mark starts now
        refused = await engine.track("zoo", "new-id")
        assert refused.error is not None and not refused.changed
        assert refused.tracked == {("zoo", "from-config")}
    finally:
        engine.close()
        store.close()


async def test_track_and_untrack_say_what_changed_and_which_list_tracks_an_id(
    store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_on(store, [FakeProvider("zoo", [make_job("zoo", 1)])])
    requested: list[tuple[str, bool]] = []

    def request_refresh(account: str, *, force: bool) -> float:
        requested.append((account, force))
        return 0.0

    monkeypatch.setattr(engine, "request_refresh", request_refresh)
    try:
        await engine.load_start()
        added = await engine.track("zoo", "by-hand")
        assert (added.track, added.changed, added.error) == (True, True, None)
        assert added.tracked == {("zoo", "from-config"), ("zoo", "by-hand")}
        assert store.tracked_ids("zoo") == ["by-hand"]
        assert requested == [("zoo", True)]  # refreshed at once
        again = await engine.track("zoo", "by-hand")
        assert again.error is None and not again.changed
        assert engine.tracked_by("zoo", "by-hand") == "store"
        assert engine.tracked_by("zoo", "from-config") == "config"
        assert engine.tracked_by("zoo", "other") is None
        removed = await engine.untrack("zoo", "by-hand")
        assert (removed.track, removed.changed) == (False, True)
        assert removed.tracked == {("zoo", "from-config")}
        assert store.tracked_ids("zoo") == [] and engine.tracked_by("zoo", "by-hand") is None
        assert requested == [("zoo", True), ("zoo", True)]  # untracking refreshes nothing
    finally:
        engine.close()


async def test_an_id_is_trackable_only_if_the_provider_knows_it(store: JobStore) -> None:
    job = make_job("zoo", 1)
    engine = engine_on(store, [FakeProvider("zoo", [job])])
    try:
        assert await engine.check_trackable("zoo", job.id) is None
        refused = await engine.check_trackable("zoo", "nope\nnope")
        assert refused is not None and refused.startswith("nope ⏎ nope was not added: ")
        assert "\n" not in refused
    finally:
        engine.close()


async def test_each_refresh_learns_run_times_and_reports_the_sources_stuck_jobs(
    store: JobStore,
) -> None:
    done = [replace(job, account="zoo") for job in history(100)]  # p95: 95 s
    slow = replace(running("slow", 500), account="zoo")
    quick = replace(running("quick", 5), account="zoo")
    provider = FakeProvider("zoo", [*done, slow, quick], provider=ProviderName.METAFOLD)
    engine = engine_on(store, [provider])
    try:
        await engine.load_start()
        changed, _ = await engine.refresh_now("zoo")
        assert changed.stuck == frozenset({("zoo", "slow")})
        typical = engine.typical.of(ProviderName.METAFOLD, JobKind.JOB)
        assert typical is not None and typical.samples == 100
        # The slow one ends: it leaves the running jobs, and the stuck ones, at once.
        engine.index.apply(changed.update)
        provider.jobs = [*done, replace(slow, state=JobState.FAILED), quick]
        ended, _ = await engine.refresh_now("zoo")
        assert ended.stuck == frozenset()
        assert engine.stuck_now() == {"zoo": frozenset()}
    finally:
        engine.close()
    await settle()


def test_the_running_jobs_follow_every_update() -> None:
    jobs = RunningJobs()
    one, two = running("one", 10), running("two", 10)
    other = replace(running("three", 10), account="b", provider=ProviderName.ZOO)
    jobs.take([one, two, other, run("done", 3.0)])
    assert len(jobs) == 3 and jobs.of("b") == [other]
    jobs.take([replace(one, state=JobState.SUCCEEDED)], removed=[("b", "three")])
    assert (jobs.of("a"), jobs.of("b"), jobs.of("c")) == ([two], [], [])
    jobs.take([], [("a", "two")])
    assert len(jobs) == 0


STATES = st.sampled_from(list(JobState))


@given(
    st.lists(
        st.tuples(st.integers(0, 9), st.sampled_from("ab"), STATES, st.booleans()),
        max_size=60,
    )
)
def test_the_running_jobs_are_the_running_jobs_of_an_index_taking_the_same_updates(
    steps: list[tuple[int, str, JobState, bool]],
) -> None:
    """Updates of random jobs (some removed): the running jobs kept are those the index
    holds, and the stuck ones among them are those a scan of every job finds."""
    index = JobIndex(now=FrozenClock(NOW))
    kept = RunningJobs()
    for number, account, state, remove in steps:
        job = replace(running(f"j{number}", 50 + 20 * number), account=account, state=state)
        update = PendingUpdate([], [(account, job.id)]) if remove else PendingUpdate([job], [])
        index.apply(update)
        kept.take(update.upserts, update.removals)
    for account in "ab":
        held = [job for job in index.jobs(account) if job.state == JobState.RUNNING]
        assert sorted(kept.of(account), key=str) == sorted(held, key=str)
    typical = TypicalDurations.from_jobs(history(100))  # p95: 95 s
    every = typical.stuck_keys(index.jobs(), NOW)
    assert typical.stuck_keys(kept.of("a") + kept.of("b"), NOW) == every
