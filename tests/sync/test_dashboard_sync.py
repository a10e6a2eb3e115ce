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
from tui.models import Job, JobKind, JobState, ProviderName
from tui.store import JobStore
from tui.sync.dashboard import DashboardSync
from tui.sync.events import SyncEvent
from tui.sync.health import Health
from tui.sync.stuck import RunningJobs, limits, stuck_among
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
    assert engine.running.of(["zoo"]) == {"zoo": [stuck]}


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
        assert await engine.stuck_now() == {"zoo": frozenset()}
    finally:
        engine.close()
    await settle()


def test_the_running_jobs_follow_every_update() -> None:
    jobs = RunningJobs()
    one, two = running("one", 10), replace(running("two", 10), kind=JobKind.JOB)
    other = replace(running("three", 10), account="b", provider=ProviderName.ZOO)
    jobs.take([one, two, other, run("done", 3.0)])
    assert len(jobs) == 3
    assert set(jobs.kinds()) == {
        (ProviderName.METAFOLD, JobKind.JOB),
        (ProviderName.ZOO, JobKind.JOB),
    }
    jobs.take([replace(one, state=JobState.SUCCEEDED)], removed=[("b", "three")])
    assert jobs.of(["a", "b", "c"]) == {"a": [two], "b": [], "c": []}
    assert jobs.kinds() == [(ProviderName.METAFOLD, JobKind.JOB)]
    jobs.take(PendingUpdate([], [("a", "two")]).upserts, [("a", "two")])
    assert len(jobs) == 0 and jobs.kinds() == []


KINDS = st.sampled_from(
    [(ProviderName.METAFOLD, JobKind.JOB), (ProviderName.ZOO, JobKind.DATASET_CONVERSION)]
)

AGES = st.one_of(st.integers(93, 97), st.integers(0, 300))
"""Seconds run: often at the Metafold jobs' 95th percentile (95 s), where stuck begins."""


def a_job(number: int, kind: tuple[ProviderName, JobKind], state: JobState, age: int) -> Job:
    job = running(f"j{number}", age, provider=kind[0], kind=kind[1])
    return replace(job, state=state, account="ab"[number % 2])


@given(
    st.lists(st.tuples(KINDS, st.sampled_from(list(JobState)), AGES), max_size=40),
    st.integers(0, 40),
)
def test_stuck_among_the_running_says_what_is_stuck_says_of_every_job(
    drawn: list[tuple[tuple[ProviderName, JobKind], JobState, int]], finished_kinds: int
) -> None:
    jobs = [a_job(n, kind, state, age) for n, (kind, state, age) in enumerate(drawn)]
    typical = TypicalDurations(min_samples=20)
    typical.learn(history(100))  # Metafold jobs: p95 95 s; Zoo conversions: none
    typical.learn(
        replace(job, provider=ProviderName.ZOO, kind=JobKind.DATASET_CONVERSION, id=f"z{job.id}")
        for job in history(finished_kinds)
    )
    running_jobs = RunningJobs()
    running_jobs.take(jobs)
    found = stuck_among(running_jobs.of(["a", "b"]), limits(typical, running_jobs.kinds()), NOW)
    assert found["a"] | found["b"] == typical.stuck_keys(jobs, NOW)
    assert all(key[0] == account for account, keys in found.items() for key in keys)
