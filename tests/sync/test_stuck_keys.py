"""The keys of the stuck jobs among a source's jobs: what the list marks and counts."""

from __future__ import annotations

from dataclasses import replace

from tests.sync.test_typical import NOW, history, run, running
from tui.models import JobState
from tui.sync.typical import TypicalDurations


def test_only_running_jobs_past_the_95th_percentile_are_keyed() -> None:
    typical = TypicalDurations.from_jobs(history(100))  # p95: 95 s
    past = running("past", 96)
    other_source = replace(running("far", 500), account="b")
    jobs = [
        running("within", 95),
        past,
        other_source,
        replace(running("was-running", 500), state=JobState.FAILED),
        run("done", 500.0),
    ]
    assert typical.stuck_keys(jobs, NOW) == {("a", "past"), ("b", "far")}
    assert typical.stuck_keys([], NOW) == frozenset()
    assert TypicalDurations().stuck_keys(jobs, NOW) == frozenset()  # nothing typical yet
