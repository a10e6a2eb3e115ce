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
from tui.store import JobStore

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def job(job_id: str, state: JobState, finished: datetime | None = None, account: str = "a") -> Job:
    return Job(account, ProviderName.METAFOLD, JobKind.JOB, job_id, f"job {job_id}", state.value, state,
               created_at=T0, finished_at=finished, parent_id="p1")


def test_snapshots_and_transitions(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    store = JobStore(tmp_path / "s.db", clock=clock)
    first = store.save_jobs("a", [job("1", JobState.QUEUED), job("2", JobState.RUNNING)])
    assert [(t.job_id, t.old_state, t.new_state) for t in first] == [("1", None, JobState.QUEUED), ("2", None, JobState.RUNNING)]
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
    again = [job(i, JobState.FAILED if i in {"0", "499", "500", "1233"} else JobState.RUNNING) for i in ids]
    changed = store.save_jobs("a", [*again, job("new", JobState.QUEUED)])
    assert sorted((t.job_id, t.old_state) for t in changed) == [
        ("0", JobState.RUNNING), ("1233", JobState.RUNNING), ("499", JobState.RUNNING),
        ("500", JobState.RUNNING), ("new", None),
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
    assert store.last_opened() is None
    store.mark_opened()
    assert store.last_opened() == T0


def test_ageing_rule_keeps_failures_longer_and_tracked_forever(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    store = JobStore(tmp_path / "s.db", clock=clock)
    old = T0 - timedelta(days=10)
    ancient = T0 - timedelta(days=40)
    store.save_jobs("a", [
        job("ok-old", JobState.SUCCEEDED, old),
        job("fail-old", JobState.FAILED, old),
        job("fail-ancient", JobState.FAILED, ancient),
        job("tracked-ancient", JobState.SUCCEEDED, ancient),
        job("running", JobState.RUNNING),
        job("ok-new", JobState.SUCCEEDED, T0 - timedelta(days=1)),
    ])
    store.add_tracked("a", ["tracked-ancient"])
    assert store.prune() == 2
    assert {j.id for j in store.load_jobs()} == {"fail-old", "tracked-ancient", "running", "ok-new"}
    assert {t.job_id for t in store.transitions()} == {"fail-old", "tracked-ancient", "running", "ok-new"}


WRITER = """
import sys
from tui.store import JobStore
from tui.models import Job, JobKind, JobState, ProviderName
store = JobStore(__import__("pathlib").Path(sys.argv[1]))
batch = 0
while True:
    jobs = [Job("a", ProviderName.ZOO, JobKind.DATASET_CONVERSION, f"{batch}-{i}", "n", "queued", JobState.QUEUED)
            for i in range(500)]
    store.save_jobs("a", jobs)
    store.add_tracked("a", [f"t{batch}"])
    print(batch, flush=True)
    batch += 1
"""


def test_kill_9_during_writes_loses_nothing_committed(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
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
