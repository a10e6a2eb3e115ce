"""Typical times per phase (Zoo conversions), from phase changes whose times are known: as
they are seen, and as the store records and replays them."""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.sync.test_typical import run
from tui.clock import FrozenClock
from tui.models import Job, JobKind, JobState, ProviderName, phase_change
from tui.store import JobStore
from tui.sync.typical import TypicalDurations, follows

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ZOO = (ProviderName.ZOO, JobKind.DATASET_CONVERSION)


def conversion(job_id: str, phase: str, at: datetime, state: JobState = JobState.RUNNING) -> Job:
    """A Zoo conversion seen in `phase`, updated (entered it) at `at`."""
    return Job(
        "zoo",
        ProviderName.ZOO,
        JobKind.DATASET_CONVERSION,
        job_id,
        job_id,
        "success" if state == JobState.SUCCEEDED else "in_progress",
        state,
        created_at=T0,
        started_at=T0,
        finished_at=at if state.is_terminal else None,
        updated_at=at,
        phase=phase,
    )


def walk(job_id: str, salon_seconds: float) -> list[Job]:
    """A conversion seen in `convert_raw_kcl` at T0, `zoo_generated_raw_kcl_metadata` at
    +10 s, `snapshot_raw_kcl` at +20 s, `salon` at +30 s and
    `zoo_generated_salon_kcl_metadata` `salon_seconds` later."""
    salon_end = T0 + timedelta(seconds=30 + salon_seconds)
    return [
        conversion(job_id, "convert_raw_kcl", T0),
        conversion(job_id, "zoo_generated_raw_kcl_metadata", T0 + timedelta(seconds=10)),
        conversion(job_id, "snapshot_raw_kcl", T0 + timedelta(seconds=20)),
        conversion(job_id, "salon", T0 + timedelta(seconds=30)),
        conversion(job_id, "zoo_generated_salon_kcl_metadata", salon_end),
    ]


def seen_one_by_one(typical: TypicalDurations, jobs: list[Job]) -> None:
    """Each job as a refresh would bring it: one batch each."""
    for job in jobs:
        typical.add(typical.runs_of([job]))


def test_the_time_in_a_phase_is_from_entering_it_to_entering_the_next() -> None:
    typical = TypicalDurations()
    for n in range(20):
        seen_one_by_one(typical, walk(f"c{n}", 100.0 + n))  # salon: 100..119 s
    salon = typical.of_phase(*ZOO, "salon")
    assert salon is not None and (salon.samples, salon.median, salon.p95) == (20, 109.0, 118.0)
    raw = typical.of_phase(*ZOO, "convert_raw_kcl")
    assert raw is not None and (raw.median, raw.p95) == (10.0, 10.0)
    assert typical.of_phase(*ZOO, "queued") is None  # never seen left


def test_a_running_conversion_past_its_phases_p95_is_stuck_in_that_phase() -> None:
    typical = TypicalDurations()
    for n in range(20):
        seen_one_by_one(typical, walk(f"c{n}", 100.0 + n))
    slow = walk("slow", 0)[:4]  # in salon since T0 + 30 s
    seen_one_by_one(typical, slow)
    job = slow[-1]
    entered = T0 + timedelta(seconds=30)
    assert typical.phase_since(job) == entered
    assert not typical.is_stuck(job, entered + timedelta(seconds=118))
    now = entered + timedelta(seconds=119)
    assert typical.is_stuck(job, now)
    assert typical.stuck_phase(job, now) is not None
    assert typical.stuck_since(job) == (entered + timedelta(seconds=118), "salon")
    assert typical.stuck_keys([job], now) == {("zoo", "slow")}
    note = typical.run_note(job, now)
    assert note is not None and note.stuck
    assert note.text.startswith(
        "⧗ stuck in phase salon: longer than 95 % of its kind's times in that phase; Zoo assumes"
    )
    assert note.text.endswith("(95 % of 20 zoo dataset conversions left salon within 1m 58s)")
    assert typical.stuck_note(job).startswith("stuck in phase salon")


def test_a_conversion_seen_two_phases_on_or_failing_teaches_nothing() -> None:
    typical = TypicalDurations(min_samples=1)
    skipped = walk("s", 100.0)
    seen_one_by_one(typical, [skipped[0], skipped[2]])  # metadata phase never seen
    assert typical.of_phase(*ZOO, "convert_raw_kcl") is None
    failed = walk("f", 100.0)
    failed[4] = replace(failed[4], state=JobState.FAILED, status="error_execution")
    seen_one_by_one(typical, failed[3:])
    assert typical.of_phase(*ZOO, "salon") is None  # its time in salon is not a typical one
    assert typical.phase_since(failed[4]) is None  # and it is followed no further


def test_the_seed_list_skips_the_manual_override_phase() -> None:
    assert follows(ZOO, "user_provided_metadata", "convert_raw_kcl")
    assert follows(ZOO, "user_provided_metadata", "manual_kcl_override")
    assert not follows(ZOO, "snapshot_original", "convert_raw_kcl")
    assert not follows(ZOO, "salon", "convert_raw_kcl")
    assert not follows((ProviderName.METAFOLD, JobKind.JOB), "a", "b")


def test_a_success_ends_the_last_phase_and_the_following() -> None:
    typical = TypicalDurations(min_samples=1)
    last = conversion("d", "snapshot_salon_kcl", T0)
    done = conversion("d", "completed", T0 + timedelta(seconds=7), JobState.SUCCEEDED)
    seen_one_by_one(typical, [last, done])
    learnt = typical.of_phase(*ZOO, "snapshot_salon_kcl")
    assert learnt is not None and learnt.median == 7.0
    assert typical.phase_since(done) is None


def test_the_followed_jobs_are_bounded() -> None:
    typical = TypicalDurations(followed=5)
    seen_one_by_one(typical, [conversion(f"c{n}", "salon", T0) for n in range(50)])
    assert len(typical._phase_now) == 5
    assert typical.phase_since(conversion("c49", "salon", T0)) == T0  # the latest kept


def test_the_store_records_phase_changes_and_they_replay_to_the_same_times(
    tmp_path: Path,
) -> None:
    clock = FrozenClock(T0)
    store = JobStore(tmp_path / "s.db", clock=clock)
    walks = [walk(f"c{n}", 100.0 + n) for n in range(20)]
    for step in range(5):
        clock.advance(5)
        store.save_jobs("zoo", [steps[step] for steps in walks])
        store.save_jobs("zoo", [steps[step] for steps in walks])  # seen again: no new row
    slow = walk("slow", 0)[:4]
    for job in slow:
        store.save_jobs("zoo", [job])
    store.close()

    reopened = JobStore(tmp_path / "s.db", clock=clock)
    history = reopened.phase_history(["zoo"])
    assert len(history) == 20 * 5 + 4
    assert [change.phase for change in history if change.job_id == "slow"] == [
        "convert_raw_kcl",
        "zoo_generated_raw_kcl_metadata",
        "snapshot_raw_kcl",
        "salon",
    ]
    assert reopened.phase_history(["other"]) == []
    stored = reopened.load_jobs(["zoo"])
    assert {job.phase for job in stored if job.id == "slow"} == {"salon"}

    typical = TypicalDurations.from_jobs(stored, phases=history)
    salon = typical.of_phase(*ZOO, "salon")
    assert salon is not None and (salon.median, salon.p95) == (109.0, 118.0)
    slow_job = next(job for job in stored if job.id == "slow")
    assert typical.phase_since(slow_job) == T0 + timedelta(seconds=30)
    assert typical.is_stuck(slow_job, T0 + timedelta(seconds=30 + 119))

    # Phase rows go with their job.
    clock.advance(8 * 86_400)
    done = [replace(steps[4], state=JobState.SUCCEEDED, finished_at=T0) for steps in walks]
    reopened.save_jobs("zoo", done)
    assert reopened.prune() == 20
    assert {change.job_id for change in reopened.phase_history()} == {"slow"}


def test_a_stored_snapshot_that_is_not_json_does_not_stop_a_save(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "s.db", clock=FrozenClock(T0))
    store.save_jobs("zoo", [conversion("c", "salon", T0)])
    store._db.execute("UPDATE jobs SET data = 'not json'")  # an edited or damaged row
    store.save_jobs("zoo", [conversion("c", "salon", T0)])
    assert [change.phase for change in store.phase_history()] == ["salon", "salon"]
    assert [job.phase for job in store.load_jobs()] == ["salon"]


def test_the_stored_history_is_adopted_as_older_than_what_was_learnt_since() -> None:
    live = TypicalDurations(keep=30)
    live.learn(run(f"new{i}", 10.0) for i in range(20))
    seen_one_by_one(live, [conversion("moving", "salon", T0 + timedelta(seconds=50))])
    older = [run(f"old{i}", 1000.0) for i in range(20)] + [run("new0", 10.0)]
    stored_phases = [phase_change(job, None) for job in walk("walked", 100.0)]
    stored_phases.append(phase_change(conversion("moving", "snapshot_raw_kcl", T0), None))
    stored = TypicalDurations.from_jobs(
        older, min_samples=1, phases=[c for c in stored_phases if c is not None]
    )
    live.adopt(stored)
    learnt = live.of(ProviderName.METAFOLD, JobKind.JOB)
    # 20 stored, new0 once, 20 live: the 10 oldest stored go (keep 30)
    assert learnt is not None and (learnt.samples, learnt.median, learnt.p95) == (30, 10.0, 1000.0)
    kept = {("a", f"old{i}") for i in range(10, 20)} | {("a", f"new{i}") for i in range(20)}
    assert live._seen == kept
    assert live.learn([run("old0", 1.0)]) == 1  # dropped with its run time: learnt again
    assert live.phase_since(conversion("moving", "salon", T0)) == T0 + timedelta(seconds=50)
    assert live._phase_runs[(ZOO, "salon")] == deque([100.0])


def test_the_store_records_an_end_in_the_same_phase_and_nothing_for_jobs_met_ended(
    tmp_path: Path,
) -> None:
    store = JobStore(tmp_path / "s.db", clock=FrozenClock(T0))
    later = T0 + timedelta(minutes=5)
    store.save_jobs("zoo", [conversion("c", "salon", T0)])
    store.save_jobs("zoo", [conversion("c", "salon", later, JobState.FAILED)])
    store.save_jobs("zoo", [conversion("old", "completed", T0, JobState.SUCCEEDED)])
    history = store.phase_history()
    assert [(c.job_id, c.phase, c.state) for c in history] == [
        ("c", "salon", JobState.RUNNING),
        ("c", "salon", JobState.FAILED),
    ]
    # Replayed at start, the failed conversion is followed no further: were it retried
    # under its id and seen running in salon again, it would not count from before.
    typical = TypicalDurations.from_jobs([], phases=history)
    assert typical.phase_since(conversion("c", "salon", later + timedelta(hours=1))) is None
    store.close()
