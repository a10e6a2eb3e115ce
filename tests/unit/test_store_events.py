"""The store's event log: source events, state changes of known jobs, the migration from
schema 2 and the pruning of old events."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tui.clock import FrozenClock
from tui.models import Job, JobKind, JobState, ProviderName
from tui.store import EVENT_RETENTION, SCHEMA_VERSION, EventKind, JobStore

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def job(job_id: str, state: JobState, account: str = "a") -> Job:
    return Job(
        account,
        ProviderName.ZOO,
        JobKind.JOB,
        job_id,
        f"job {job_id}",
        state.value,
        state,
        created_at=T0,
    )


def test_the_log_holds_source_events_and_changes_of_known_jobs_newest_first(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    store = JobStore(tmp_path / "s.db", clock=clock)
    store.save_jobs("a", [job("1", JobState.RUNNING)])  # a first sighting: not in the log
    clock.advance(60)
    store.add_event("b", EventKind.FAILING, "Unavailable: the server answered 503 " + "x" * 400)
    clock.advance(60)
    store.save_jobs("a", [job("1", JobState.FAILED)])
    clock.advance(60)
    store.add_event("b", EventKind.RECOVERED, "refreshing again")
    store.close()

    again = JobStore(tmp_path / "s.db", clock=clock)  # it survives a restart
    log = again.event_log()
    assert [(e.kind, e.account) for e in log] == [
        (EventKind.RECOVERED, "b"),
        (EventKind.TRANSITION, "a"),
        (EventKind.FAILING, "b"),
    ]
    assert [e.at for e in log] == [T0 + timedelta(minutes=m) for m in (3, 2, 1)]
    change = log[1]
    assert (change.job_id, change.old_state, change.new_state) == (
        "1",
        JobState.RUNNING,
        JobState.FAILED,
    )
    assert log[2].text.endswith("x" * 400), "the whole sentence is kept"
    assert len(again.event_log(limit=2)) == 2
    again.close()


SCHEMA_2 = """
CREATE TABLE jobs (account TEXT NOT NULL, id TEXT NOT NULL, parent_id TEXT, state TEXT NOT NULL,
    finished_at TEXT, seen_at TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (account, id));
CREATE TABLE tracked (account TEXT NOT NULL, id TEXT NOT NULL, added_at TEXT NOT NULL,
    PRIMARY KEY (account, id));
CREATE TABLE transitions (seq INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL,
    id TEXT NOT NULL, old_state TEXT, new_state TEXT NOT NULL, status TEXT NOT NULL,
    at TEXT NOT NULL);
CREATE INDEX transitions_at ON transitions (at);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources (account TEXT PRIMARY KEY, refreshed_at TEXT NOT NULL);
CREATE TABLE source_health (account TEXT PRIMARY KEY, provider TEXT NOT NULL, health TEXT NOT NULL,
    error TEXT, last_ok_at TEXT, next_try_at TEXT, failures INTEGER NOT NULL DEFAULT 0, note TEXT,
    incomplete INTEGER NOT NULL DEFAULT 0, written_at TEXT NOT NULL);
PRAGMA user_version = 2;
"""


def test_a_schema_2_store_is_migrated_and_keeps_its_history(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_2)
    db.execute(
        "INSERT INTO transitions (account, id, old_state, new_state, status, at)"
        " VALUES ('a', '1', 'running', 'failed', 'error_user', '2026-11-01T11:00:00Z')"
    )
    db.execute("INSERT INTO meta VALUES ('last_opened', '2026-11-01T09:00:00Z')")
    db.execute("INSERT INTO meta VALUES ('open_seq', '1')")
    db.commit()
    db.close()

    store = JobStore(path, clock=FrozenClock(T0))
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    mark = store.open_mark()
    assert mark is not None and mark.seq == 1
    assert store.phase_history() == []  # the phase changes start empty
    store.add_event("a", EventKind.RATE_LIMITED, "Rate limited: slow down")
    log = store.event_log()
    assert [e.kind for e in log] == [EventKind.RATE_LIMITED, EventKind.TRANSITION]
    store.close()


def test_old_events_are_pruned_and_their_number_is_capped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui.store

    clock = FrozenClock(T0)
    store = JobStore(tmp_path / "s.db", clock=clock)
    store.add_event("a", EventKind.FAILING, "ancient", at=T0 - EVENT_RETENTION - timedelta(hours=1))
    store.add_event("a", EventKind.FAILING, "recent", at=T0 - EVENT_RETENTION + timedelta(hours=1))
    store.prune()
    assert [e.text for e in store.event_log()] == ["recent"]
    monkeypatch.setattr(tui.store, "MAX_EVENTS", 3)
    for n in range(5):
        store.add_event("a", EventKind.INCOMPLETE, f"n{n}")
    store.prune()
    assert [e.text for e in store.event_log()] == ["n4", "n3", "n2"]
    store.close()


def test_clear_forgets_everything(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "s.db", clock=FrozenClock(T0))
    store.save_jobs("a", [job("1", JobState.RUNNING)], refreshed_at=T0)
    store.mark_opened(T0)
    store.add_event("a", EventKind.FAILING, "x")
    store.add_tracked("a", ["1"])
    store.clear()
    assert store.load_jobs() == [] and store.open_mark() is None and store.event_log() == []
    assert store.refreshed_at() == {} and store.all_tracked() == {}
    store.close()


def test_a_job_that_failed_between_two_refreshes_is_in_the_log_but_old_failures_are_not(
    tmp_path: Path,
) -> None:
    from dataclasses import replace

    clock = FrozenClock(T0)
    store = JobStore(tmp_path / "s.db", clock=clock)
    old_failure = replace(job("old", JobState.FAILED), finished_at=T0 - timedelta(days=2))
    store.save_jobs("a", [old_failure, job("1", JobState.RUNNING)])  # the first listing
    clock.advance(60)
    # Found at a later refresh, already failed: created and failed in between...
    quick = replace(job("quick", JobState.FAILED), finished_at=T0 + timedelta(seconds=30))
    # ...and an old failure a later page brought (it failed before the source was listed).
    late_page = replace(job("late", JobState.FAILED), finished_at=T0 - timedelta(days=1))
    store.save_jobs("a", [quick, late_page, job("new-running", JobState.RUNNING)])
    log = store.event_log()
    assert [(e.job_id, e.old_state, e.new_state) for e in log] == [("quick", None, JobState.FAILED)]
    # A source listed for the first time after the log was read gets the same rule.
    store.save_jobs(
        "b", [replace(job("b-old", JobState.FAILED, "b"), finished_at=T0)], refreshed_at=clock()
    )
    clock.advance(60)
    quick_b = replace(
        job("b-quick", JobState.FAILED, "b"), finished_at=clock() - timedelta(seconds=5)
    )
    store.save_jobs("b", [quick_b], refreshed_at=clock())
    assert [e.job_id for e in store.event_log()] == ["b-quick", "quick"]
    store.close()
