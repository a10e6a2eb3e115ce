"""The job store: snapshots, tracked ids, transitions, ageing, and durability under kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tui.clock import FrozenClock
from tui.models import Job, JobKind, JobState, ProviderName
from tui.store import SCHEMA_VERSION, JobStore, OpenMark

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def job(job_id: str, state: JobState, finished: datetime | None = None, account: str = "a") -> Job:
    return Job(
        account,
        ProviderName.METAFOLD,
        JobKind.JOB,
        job_id,
        f"job {job_id}",
        state.value,
        state,
        created_at=T0,
        finished_at=finished,
        parent_id="p1",
    )


def test_snapshots_and_transitions(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    store = JobStore(tmp_path / "s.db", clock=clock)
    first = store.save_jobs("a", [job("1", JobState.QUEUED), job("2", JobState.RUNNING)])
    assert [(t.job_id, t.old_state, t.new_state) for t in first] == [
        ("1", None, JobState.QUEUED),
        ("2", None, JobState.RUNNING),
    ]
    clock.advance(60)
    assert store.save_jobs("a", [job("1", JobState.QUEUED)]) == []
    changed = store.save_jobs("a", [job("1", JobState.FAILED, T0)])
    assert [(t.old_state, t.new_state) for t in changed] == [(JobState.QUEUED, JobState.FAILED)]
    store.close()
    reopened = JobStore(tmp_path / "s.db", clock=clock)
    jobs = {j.id: j for j in reopened.load_jobs()}
    assert jobs["1"].state is JobState.FAILED and jobs["1"].parent_id == "p1"
    assert len(reopened.transitions()) == 3
    assert [t.job_id for t in reopened.transitions(since=T0 + timedelta(seconds=30))] == ["1"]
    assert reopened.load_jobs(["other"]) == []


def test_transitions_of_a_large_save_span_every_lookup_chunk(tmp_path: Path) -> None:
    """States are looked up for the saved ids only, in chunks; none is missed or repeated."""
    store = JobStore(tmp_path / "s.db", clock=FrozenClock(T0))
    ids = [str(n) for n in range(1_234)]
    assert len(store.save_jobs("a", [job(i, JobState.RUNNING) for i in ids])) == 1_234
    store.save_jobs("b", [job(i, JobState.QUEUED, account="b") for i in ids[:10]])
    again = [
        job(i, JobState.FAILED if i in {"0", "499", "500", "1233"} else JobState.RUNNING)
        for i in ids
    ]
    changed = store.save_jobs("a", [*again, job("new", JobState.QUEUED)])
    assert sorted((t.job_id, t.old_state) for t in changed) == [
        ("0", JobState.RUNNING),
        ("1233", JobState.RUNNING),
        ("499", JobState.RUNNING),
        ("500", JobState.RUNNING),
        ("new", None),
    ]
    store.close()


def test_tracked_ids_persist(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "s.db")
    assert store.add_tracked("hdr", ["u1", "u2", "u1"]) == ["u1", "u2"]
    assert store.remove_tracked("hdr", ["u1", "zz"]) == ["u1"]
    store.close()
    assert JobStore(tmp_path / "s.db").tracked_ids("hdr") == ["u2"]


def test_file_is_private(tmp_path: Path) -> None:
    JobStore(tmp_path / "d" / "s.db").close()
    assert (tmp_path / "d" / "s.db").stat().st_mode & 0o077 == 0


def test_last_opened(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "s.db", clock=FrozenClock(T0))
    assert store.last_opened() is None and store.open_mark() is None
    store.save_jobs("a", [job("1", JobState.QUEUED), job("2", JobState.QUEUED)])
    store.mark_opened()
    assert store.last_opened() == T0
    assert store.open_mark() == OpenMark(T0, 2)  # every transition so far was seen
    later = T0 + timedelta(minutes=5)
    store.save_jobs("a", [job("1", JobState.RUNNING)])
    store.save_jobs("a", [job("2", JobState.RUNNING)], opened_at=later)
    assert store.open_mark() == OpenMark(later, 4)  # renewed in the save's transaction


def test_changes_since_counts_known_jobs_once_under_their_last_state(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    store = JobStore(tmp_path / "s.db", clock=clock)
    store.save_jobs("a", [job(str(n), JobState.RUNNING) for n in range(6)])
    store.save_jobs("b", [job("b1", JobState.RUNNING, account="b")])
    store.mark_opened()
    after = store.open_mark()
    assert after is not None
    store.save_jobs("a", [job("0", JobState.FAILED, T0), job("1", JobState.SUCCEEDED, T0)])
    store.save_jobs("a", [job("0", JobState.RUNNING), job("2", JobState.QUEUED)])  # retried
    store.save_jobs("a", [job("0", JobState.SUCCEEDED, T0), job("2", JobState.RUNNING)])  # back
    store.save_jobs("a", [job("3", JobState.CANCELED, T0), job("new", JobState.FAILED, T0)])
    store.save_jobs("a", [job("new", JobState.SUCCEEDED, T0)])  # first seen after the mark
    store.save_jobs("b", [job("b1", JobState.FAILED, T0, account="b")])
    upto = store.last_seq()
    store.save_jobs("a", [job("4", JobState.FAILED, T0)])  # after the window: not counted
    summary = store.changes_since(after.seq, {"a": upto, "b": upto})
    assert summary.by_state("a") == {
        JobState.SUCCEEDED: 2,
        JobState.CANCELED: 1,  # 0 (via failed, running), 1; 3
    }
    assert summary.by_state("b") == {JobState.FAILED: 1}
    assert summary.total == 4
    assert summary.failed == (("b", "b1"),)
    assert store.changes_since(after.seq, {"a": upto}).total == 3  # only the accounts asked for
    assert store.changes_since(after.seq, {"a": after.seq}).total == 0
    assert store.changes_since(after.seq, {}).total == 0


def test_changes_since_has_no_cap(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "s.db", clock=FrozenClock(T0))
    ids = [str(n) for n in range(5_000)]
    store.save_jobs("a", [job(i, JobState.RUNNING) for i in ids])
    store.mark_opened()
    mark = store.open_mark()
    assert mark is not None
    store.save_jobs("a", [job(i, JobState.FAILED, T0) for i in ids])
    summary = store.changes_since(mark.seq, {"a": store.last_seq()})
    assert summary.counts == (("a", JobState.FAILED, 5_000),)
    assert len(summary.failed) == 3


def test_refreshed_at_per_account(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    store = JobStore(tmp_path / "s.db", clock=clock)
    store.save_jobs("a", [job("1", JobState.QUEUED)], refreshed_at=T0)
    store.save_jobs("b", [job("1", JobState.QUEUED, account="b")])  # a single job (CLI show)
    store.save_jobs("c", [], refreshed_at=T0 + timedelta(minutes=1))  # an empty listing
    store.save_jobs("a", [], refreshed_at=T0 + timedelta(minutes=2))  # nothing changed
    assert store.refreshed_at() == {"a": T0 + timedelta(minutes=2), "c": T0 + timedelta(minutes=1)}
    assert store.refreshed_at(["a", "b"]) == {"a": T0 + timedelta(minutes=2)}


OLD_SCHEMA = """
CREATE TABLE jobs (account TEXT NOT NULL, id TEXT NOT NULL, parent_id TEXT, state TEXT NOT NULL,
    finished_at TEXT, seen_at TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (account, id));
CREATE TABLE tracked (account TEXT NOT NULL, id TEXT NOT NULL, added_at TEXT NOT NULL,
    PRIMARY KEY (account, id));
CREATE TABLE transitions (seq INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL,
    id TEXT NOT NULL, old_state TEXT, new_state TEXT NOT NULL, status TEXT NOT NULL,
    at TEXT NOT NULL);
CREATE INDEX transitions_at ON transitions (at);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def test_a_store_from_the_first_release_is_migrated(tmp_path: Path) -> None:
    """Schema 0 (no `sources`, a start-up `last_opened`) opens, is upgraded, keeps its data."""
    import json
    import sqlite3

    path = tmp_path / "s.db"
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    data = json.dumps(job("1", JobState.RUNNING).to_json())
    rows = [  # the newest is 12:00:00Z, which sorts before 11:59:59.5Z as text
        ("a", "1", "2026-11-01T11:59:59.500000Z"),
        ("a", "2", "2026-11-01T12:00:00Z"),
        ("b", "1", "2026-11-01T10:00:00Z"),
    ]
    for account, job_id, seen in rows:
        db.execute(
            "INSERT INTO jobs VALUES (?, ?, NULL, 'running', NULL, ?, ?)",
            (account, job_id, seen, data),
        )
        db.execute(
            "INSERT INTO transitions (account, id, old_state, new_state, status, at)"
            " VALUES (?, ?, NULL, 'running', 'started', ?)",
            (account, job_id, seen),
        )
    db.execute("INSERT INTO meta VALUES ('last_opened', '2026-11-01T09:00:00Z')")
    db.commit()
    db.close()

    store = JobStore(path, clock=FrozenClock(T0))
    assert store.refreshed_at() == {"a": T0, "b": T0 - timedelta(hours=2)}
    assert store.open_mark() == OpenMark(T0 - timedelta(hours=3), 3)
    assert len(store.load_jobs()) == 3
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    store.save_jobs("a", [job("1", JobState.FAILED, T0)], refreshed_at=T0 + timedelta(hours=1))
    store.close()
    again = JobStore(path, clock=FrozenClock(T0))  # opening a migrated store changes nothing
    assert again.refreshed_at()["a"] == T0 + timedelta(hours=1)
    assert again.changes_since(3, {"a": again.last_seq()}).counts == (("a", JobState.FAILED, 1),)
    again.close()


def test_ageing_rule_keeps_failures_longer_and_tracked_forever(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    store = JobStore(tmp_path / "s.db", clock=clock)
    old = T0 - timedelta(days=10)
    ancient = T0 - timedelta(days=40)
    store.save_jobs(
        "a",
        [
            job("ok-old", JobState.SUCCEEDED, old),
            job("fail-old", JobState.FAILED, old),
            job("fail-ancient", JobState.FAILED, ancient),
            job("tracked-ancient", JobState.SUCCEEDED, ancient),
            job("running", JobState.RUNNING),
            job("ok-new", JobState.SUCCEEDED, T0 - timedelta(days=1)),
        ],
    )
    store.add_tracked("a", ["tracked-ancient"])
    assert store.prune() == 2
    assert {j.id for j in store.load_jobs()} == {"fail-old", "tracked-ancient", "running", "ok-new"}
    assert {t.job_id for t in store.transitions()} == {
        "fail-old",
        "tracked-ancient",
        "running",
        "ok-new",
    }


WRITER = """
import sys
from tui.store import SCHEMA_VERSION, JobStore, OpenMark
from tui.models import Job, JobKind, JobState, ProviderName
store = JobStore(__import__("pathlib").Path(sys.argv[1]))
batch = 0
while True:
    jobs = [Job("a", ProviderName.ZOO, JobKind.DATASET_CONVERSION, f"{batch}-{i}", "n",
                "queued", JobState.QUEUED) for i in range(500)]
    store.save_jobs("a", jobs)
    store.add_tracked("a", [f"t{batch}"])
    print(batch, flush=True)
    batch += 1
"""


def test_kill_9_during_writes_loses_nothing_committed(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    committed = -1
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    while committed < 20 and time.monotonic() < deadline:
        committed = int(process.stdout.readline())
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stdout.close()
    assert committed >= 20
    store = JobStore(path)
    ids = {j.id for j in store.load_jobs()}
    tracked = set(store.tracked_ids("a"))
    for batch in range(committed + 1):
        assert f"t{batch}" in tracked
        assert {f"{batch}-{i}" for i in range(500)} <= ids
    assert store.transitions(limit=10**7)  # the history survived too
    store.close()
