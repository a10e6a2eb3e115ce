"""Typical run times from a history whose numbers are known, and what they say of running jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tui.models import Job, JobKind, JobState, ProviderName
from tui.sync.typical import RunNote, TypicalDurations, stuck_note

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=1)


def run(
    job_id: str,
    seconds: float | None,
    *,
    state: JobState = JobState.SUCCEEDED,
    provider: ProviderName = ProviderName.METAFOLD,
    kind: JobKind = JobKind.JOB,
    started: datetime | None = T0,
) -> Job:
    finished = None if seconds is None or started is None else started + timedelta(seconds=seconds)
    if state == JobState.SUCCEEDED and finished is None:
        finished = T0 + timedelta(hours=1)
    return Job(
        "a",
        provider,
        kind,
        job_id,
        job_id,
        state.value,
        state,
        created_at=T0,
        started_at=started,
        finished_at=finished,
    )


def running(
    job_id: str,
    for_seconds: float,
    provider: ProviderName = ProviderName.METAFOLD,
    kind: JobKind = JobKind.JOB,
) -> Job:
    return Job(
        "a",
        provider,
        kind,
        job_id,
        job_id,
        "running",
        JobState.RUNNING,
        created_at=T0,
        started_at=NOW - timedelta(seconds=for_seconds),
    )


def history(n: int = 100) -> list[Job]:
    """Succeeded Metafold jobs that ran 1, 2, ..., n seconds."""
    return [run(f"s{i}", float(i)) for i in range(1, n + 1)]


def test_median_and_p95_of_a_known_history() -> None:
    typical = TypicalDurations.from_jobs(history(100)).of(ProviderName.METAFOLD, JobKind.JOB)
    assert typical is not None
    assert (typical.samples, typical.median, typical.p95) == (100, 50.0, 95.0)


def test_only_succeeded_runs_with_a_start_count_and_each_job_once() -> None:
    jobs = history(30) + [
        run("f", 5000.0, state=JobState.FAILED),  # a failure's time says nothing typical
        run("c", 5000.0, state=JobState.CANCELED),
        run("nostart", None, started=None),  # ended without saying when it started
    ]
    typical = TypicalDurations.from_jobs(jobs)
    assert typical.learn(history(30)) == 0  # seen already
    learnt = typical.of(ProviderName.METAFOLD, JobKind.JOB)
    assert learnt is not None and learnt.samples == 30 and learnt.p95 == 29.0


def test_too_few_runs_say_nothing() -> None:
    typical = TypicalDurations.from_jobs(history(19))
    assert typical.of(ProviderName.METAFOLD, JobKind.JOB) is None
    assert not typical.is_stuck(running("r", 10_000), NOW)
    assert typical.estimate_left(running("r", 1), NOW) is None


def test_kinds_are_kept_apart() -> None:
    zoo = [
        run(f"z{i}", 1000.0 + i, provider=ProviderName.ZOO, kind=JobKind.DATASET_CONVERSION)
        for i in range(40)
    ]
    typical = TypicalDurations.from_jobs(history(100) + zoo)
    assert not typical.is_stuck(
        running("z", 500, provider=ProviderName.ZOO, kind=JobKind.DATASET_CONVERSION), NOW
    )
    assert typical.is_stuck(running("m", 500), NOW)


def test_stuck_is_past_the_95th_percentile_of_running_jobs_only() -> None:
    typical = TypicalDurations.from_jobs(history(100))
    assert not typical.is_stuck(running("r", 90), NOW)
    assert not typical.is_stuck(running("r", 95), NOW)
    assert typical.is_stuck(running("r", 96), NOW)
    queued = Job(
        "a",
        ProviderName.METAFOLD,
        JobKind.JOB,
        "q",
        "q",
        "pending",
        JobState.QUEUED,
        created_at=T0 - timedelta(days=3),
    )
    assert not typical.is_stuck(queued, NOW)  # queued time is not run time


def test_estimate_is_the_median_less_the_time_run_and_none_past_it() -> None:
    typical = TypicalDurations.from_jobs(history(100))
    assert typical.estimate_left(running("r", 20), NOW) == 30.0
    assert typical.estimate_left(running("r", 50), NOW) is None
    assert typical.estimate_left(run("done", 10.0), NOW) is None


def test_the_window_keeps_the_most_recent_runs() -> None:
    typical = TypicalDurations(min_samples=5, keep=10)
    typical.learn(run(f"old{i}", 1000.0) for i in range(10))
    typical.learn(run(f"new{i}", 10.0) for i in range(10))
    learnt = typical.of(ProviderName.METAFOLD, JobKind.JOB)
    assert learnt is not None and learnt.samples == 10 and learnt.p95 == 10.0


def test_zoo_conversions_say_zoo_retries_what_it_assumes_dropped() -> None:
    zoo = running("z", 1, provider=ProviderName.ZOO, kind=JobKind.DATASET_CONVERSION)
    said = (
        "Zoo assumes a conversion dropped once its started_at passes a threshold it does not"
        " publish, and retries it"
    )
    assert stuck_note(zoo).endswith(f"; {said}")
    assert "dropped" not in stuck_note(running("m", 1))


def test_the_learnt_keys_are_bounded_like_the_run_times() -> None:
    typical = TypicalDurations(min_samples=5, keep=10)
    assert typical.learn(run(f"r{i}", float(i)) for i in range(100)) == 100
    assert len(typical._seen) == 10  # the keys of the 10 run times kept, no more
    assert typical.learn([run("r99", 99.0)]) == 0  # a kept one is still known


def test_the_run_note_estimates_then_says_due_then_stuck() -> None:
    typical = TypicalDurations.from_jobs(history(100) + [run(f"t{i}", 600.0) for i in range(100)])
    # 200 runs: 1..100 s and 100 at 600 s; median 100 s, p95 600 s
    assert typical.run_note(running("r", 50), NOW) == RunNote(
        "est. under 1m left (median of 200 metafold jobs)", False
    )
    due = typical.run_note(running("r", 150), NOW)
    assert due == RunNote(
        "est. due now: past the median run time (1m 40s) of 200 metafold jobs", False
    )
    stuck = typical.run_note(running("r", 601), NOW)
    assert stuck is not None and stuck.stuck
    assert stuck.text == (
        "⧗ stuck: running longer than 95 % of its kind's run times"
        " (95 % of 200 metafold jobs took 10m 00s or less)"
    )
    assert typical.run_note(run("done", 10.0), NOW) is None  # ended: nothing to estimate
    assert TypicalDurations.from_jobs(history(19)).run_note(running("r", 1), NOW) is None


def test_a_long_estimate_reads_in_whole_units() -> None:
    typical = TypicalDurations.from_jobs([run(f"h{i}", 7_200.0 + i) for i in range(40)])
    note = typical.run_note(running("r", 60), NOW)
    assert note is not None and note.text == "est. 1h left (median of 40 metafold jobs)"
