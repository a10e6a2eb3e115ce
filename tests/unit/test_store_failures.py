"""The store's failures, each produced for real: one `StoreError` sentence, never a traceback.

How each failure is made, as root too (the tests run as root, where chmod stops nothing):
- corrupt: garbage bytes, and a real store truncated to half its size;
- locked: another process holds `BEGIN IMMEDIATE` longer than the busy timeout;
- full disk: a 256 KiB tmpfs (skipped where mounting is not allowed), and
  `RLIMIT_FSIZE` in a child process (EFBIG, SIGXFSZ ignored), which needs no privilege;
- unwritable: the database path is a directory, and a tmpfs remounted read-only (EROFS
  stops root; skipped where mounting is not allowed);
- unsafe: a dangling symlink planted where a store file goes, a directory others may
  write to owned by another user (`chown` as root) or sticky (shared, as /tmp).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import REPO
from tui.errors import StoreError
from tui.models import Job, JobKind, JobState, ProviderName
from tui.store import JobStore, move_aside

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def jobs(count: int, account: str = "a", size: int = 500) -> list[Job]:
    return [
        Job(
            account,
            ProviderName.METAFOLD,
            JobKind.JOB,
            str(n),
            "x" * size,
            "running",
            JobState.RUNNING,
            created_at=T0,
        )
        for n in range(count)
    ]


def one_sentence(error: StoreError) -> str:
    text = str(error)
    assert text and "\n" not in text and "Traceback" not in text
    return text


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "256k") -> Iterator[Path]:
    """A tiny tmpfs at `path` (private), unmounted afterwards; skips where not allowed."""
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip("mounting a tmpfs is not allowed here")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


# --- corrupt -------------------------------------------------------------------------------


def test_garbage_file_is_one_sentence_naming_it_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    path.write_bytes(b"this is not SQLite\n" * 50)
    with pytest.raises(StoreError) as caught:
        JobStore(path)
    assert caught.value.corrupt and str(path) in one_sentence(caught.value)
    assert "not a database" in str(caught.value)


def test_truncated_store_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    store = JobStore(path)
    store.save_jobs("a", jobs(2_000))
    store.close()
    with path.open("r+b") as file:
        file.truncate(path.stat().st_size // 2)
    with pytest.raises(StoreError) as caught:
        store = JobStore(path)
        store.load_jobs()
    assert caught.value.problem == "corrupt"
    one_sentence(caught.value)


def test_move_aside_keeps_the_corrupt_file_and_a_fresh_store_opens(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    path.write_bytes(b"garbage" * 100)
    with pytest.raises(StoreError):
        JobStore(path)
    Path(f"{path}-wal").write_bytes(b"stale wal")
    moved = move_aside(path, T0)
    assert moved.name == "jobs.sqlite3.corrupt-20261101T120000Z"
    assert moved.read_bytes() == b"garbage" * 100
    assert Path(f"{moved}-wal").read_bytes() == b"stale wal"
    assert not path.exists() and not Path(f"{path}-wal").exists()
    fresh = JobStore(path)
    fresh.save_jobs("a", jobs(3))
    assert len(fresh.load_jobs()) == 3
    fresh.close()


# --- locked --------------------------------------------------------------------------------

HOLD_LOCK = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
db.execute("ROLLBACK")
"""


@contextlib.contextmanager
def write_lock_held(path: Path) -> Iterator[None]:
    """Another process holds the store's write lock until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(10)
        assert holder.stdout is not None
        holder.stdout.close()


def test_a_write_lock_held_by_another_process_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    store = JobStore(path, busy_timeout=0.3)
    store.save_jobs("a", jobs(2))
    with write_lock_held(path):
        with pytest.raises(StoreError) as caught:
            store.save_jobs("a", jobs(5))
        assert caught.value.problem == "locked"
        assert "locked by another program" in one_sentence(caught.value)
        with pytest.raises(StoreError):
            store.add_tracked("a", ["x"])
        assert len(store.load_jobs()) == 2  # WAL: reading goes on while another writes
    store.save_jobs("a", jobs(5))  # and writing again once the lock is let go
    assert len(store.load_jobs()) == 5
    store.close()


# --- full disk ---------------------------------------------------------------------------------


def test_full_disk_is_one_sentence_and_the_store_stays_usable(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "fs") as mount:
        path = mount / "jobs.sqlite3"
        store = JobStore(path)
        store.save_jobs("a", jobs(3))
        with pytest.raises(StoreError) as caught:
            store.save_jobs("a", jobs(3_000))
        assert caught.value.problem == "full" and "disk is full" in one_sentence(caught.value)
        # The cause is the write that failed, not a ROLLBACK that failed after it.
        cause = caught.value.__cause__
        assert isinstance(cause, sqlite3.OperationalError) and "full" in str(cause)
        assert len(store.load_jobs()) == 3  # the failed save left nothing half-written
        store.close()


FILE_SIZE_LIMIT = """
import json, resource, signal, sys
from pathlib import Path
from tests.unit.test_store_failures import jobs
from tui.errors import StoreError
from tui.store import JobStore

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
store = JobStore(Path(sys.argv[1]))
store.save_jobs("a", jobs(3))
resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
try:
    store.save_jobs("a", jobs(3_000))
    print(json.dumps({"raised": None}))
except StoreError as error:
    print(json.dumps({"raised": error.problem, "message": str(error),
                      "cause": repr(error.__cause__), "kept": len(store.load_jobs())}))
"""


def test_file_size_limit_is_one_sentence_without_privilege(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    result = subprocess.run(
        [sys.executable, "-c", FILE_SIZE_LIMIT, str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["raised"] == "unwritable", outcome
    assert "\n" not in outcome["message"] and "disk I/O error" in outcome["cause"]
    assert outcome["kept"] == 3


# --- unwritable ------------------------------------------------------------------------------


def test_a_directory_where_the_database_goes_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    path.mkdir()
    with pytest.raises(StoreError) as caught:
        JobStore(path)
    assert caught.value.problem == "unwritable" and "is a directory" in one_sentence(caught.value)


def test_a_state_dir_that_cannot_be_created_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError) as caught:
        JobStore(tmp_path / "file" / "state" / "jobs.sqlite3")
    assert caught.value.problem == "unwritable"
    one_sentence(caught.value)


def test_read_only_filesystem_is_one_sentence(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "fs") as mount:
        state = mount / "state"
        JobStore(state / "jobs.sqlite3").close()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        for name in ("jobs.sqlite3", "other.sqlite3"):
            with pytest.raises(StoreError) as caught:
                JobStore(state / name)
            assert caught.value.problem == "unwritable"
            assert "Read-only file system" in one_sentence(caught.value)


# --- local files: modes and links ---------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_every_store_file_and_the_directory_are_private_from_the_first_open(
    tmp_path: Path,
) -> None:
    os.umask(0o022)
    state = tmp_path / "state"
    path = state / "jobs.sqlite3"
    store = JobStore(path)
    store.save_jobs("a", jobs(3))
    assert mode(state) == 0o700
    for name in ("jobs.sqlite3", "jobs.sqlite3-wal", "jobs.sqlite3-shm"):
        assert mode(state / name) == 0o600, name
    store.close()


def test_existing_loose_files_are_tightened(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    store = JobStore(path)
    store.save_jobs("a", jobs(3))
    for name in ("jobs.sqlite3", "jobs.sqlite3-wal", "jobs.sqlite3-shm"):
        (tmp_path / name).chmod(0o644)
    other = JobStore(path)  # the first store still holds the -wal and -shm open
    for name in ("jobs.sqlite3", "jobs.sqlite3-wal", "jobs.sqlite3-shm"):
        assert mode(tmp_path / name) == 0o600, name
    other.close()
    store.close()


def test_our_state_dir_writable_by_others_is_tightened(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(0o777)
    JobStore(state / "jobs.sqlite3").close()
    assert mode(state) == 0o700


def test_someone_elses_writable_state_dir_is_refused(tmp_path: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("giving a directory to another user needs root")
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(0o777)
    os.chown(state, 54_321, -1)
    with pytest.raises(StoreError) as caught:
        JobStore(state / "jobs.sqlite3")
    assert caught.value.problem == "unsafe"
    assert "writable by other users" in one_sentence(caught.value)
    assert list(state.iterdir()) == [] and mode(state) == 0o777


def test_a_shared_sticky_state_dir_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "shared"
    state.mkdir()
    state.chmod(0o1777)
    with pytest.raises(StoreError) as caught:
        JobStore(state / "jobs.sqlite3")
    assert caught.value.problem == "unsafe"
    assert list(state.iterdir()) == [] and mode(state) == 0o1777


@pytest.mark.parametrize("name", ["jobs.sqlite3", "jobs.sqlite3-wal", "jobs.sqlite3-shm"])
def test_a_planted_dangling_symlink_is_refused_and_its_target_never_created(
    tmp_path: Path, name: str
) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    elsewhere = tmp_path / "victim" / "file"
    elsewhere.parent.mkdir()
    (state / name).symlink_to(elsewhere)
    with pytest.raises(StoreError) as caught:
        store = JobStore(state / "jobs.sqlite3")
        store.save_jobs("a", jobs(3))
    assert caught.value.problem == "unsafe" and "symbolic link" in one_sentence(caught.value)
    assert not elsewhere.exists() and list(elsewhere.parent.iterdir()) == []
    assert (state / name).is_symlink()


def test_a_symlink_to_an_existing_file_is_not_followed(tmp_path: Path) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    precious.chmod(0o644)
    (tmp_path / "jobs.sqlite3").symlink_to(precious)
    with pytest.raises(StoreError):
        JobStore(tmp_path / "jobs.sqlite3")
    assert precious.read_text() == "keep me" and mode(precious) == 0o644
