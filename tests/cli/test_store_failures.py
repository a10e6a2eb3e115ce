"""The commands with a store that cannot be used: one sentence, exit 74, what was fetched
printed anyway; and ids read back from a tampered store printed as one clean line."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import TOKENS, run_jobtop
from tests.unit.test_store_failures import write_lock_held
from tui import cli, store
from tui.sim.server import SimServer
from tui.store import JobStore

EXIT_STORE = 74


def state_dir() -> Path:
    return Path(os.environ["JOBTOP_STATE_DIR"])


def corrupt_store() -> Path:
    path = state_dir() / "jobs.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database at all\n" * 40)
    return path


def one_sentence(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_list_prints_what_it_fetched_from_a_corrupt_store_and_exits_74(config: Path) -> None:
    path = corrupt_store()
    result = run_jobtop("list", "--json", config=config)
    assert result.returncode == EXIT_STORE, result.stderr
    jobs = json.loads(result.stdout)
    assert {job["provider"] for job in jobs} == {"zoo", "metafold", "lettrlabs", "hdrjpg"}
    line = one_sentence(result.stderr)
    assert line.startswith("jobtop: job store error: ") and str(path) in line
    assert path.read_bytes() == b"not a database at all\n" * 40  # left as it was


def test_show_prints_the_job_from_a_corrupt_store_and_exits_74(
    config: Path, sim: SimServer
) -> None:
    corrupt_store()
    job_id = sim.tracked_ids()["hdrjpg"][0]
    result = run_jobtop("show", "hdr", job_id, "--json", config=config)
    assert result.returncode == EXIT_STORE, result.stderr
    assert json.loads(result.stdout)["id"] == job_id
    one_sentence(result.stderr)


def test_track_add_on_a_corrupt_store_is_one_sentence(config: Path) -> None:
    corrupt_store()
    result = run_jobtop("track", "add", "hdr", "some-id", "--no-check", config=config)
    assert result.returncode == EXIT_STORE and result.stdout == ""
    assert "is damaged or is not a jobtop store" in one_sentence(result.stderr)


def test_a_store_path_that_is_a_directory_is_one_sentence(config: Path) -> None:
    (state_dir() / "jobs.sqlite3").mkdir(parents=True)
    result = run_jobtop("list", "--json", config=config)
    assert result.returncode == EXIT_STORE and json.loads(result.stdout)
    assert "is a directory" in one_sentence(result.stderr)


def test_list_while_another_process_holds_the_write_lock(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In-process, so the busy timeout can be short; the lock is another process's."""
    monkeypatch.setattr(store, "BUSY_TIMEOUT", 0.3)
    for name, value in TOKENS.items():
        monkeypatch.setenv(name, value)
    path = state_dir() / "jobs.sqlite3"
    JobStore(path).close()
    with write_lock_held(path):
        code = cli.run(["list", "--json", "--config", str(config)])
    out, err = capsys.readouterr()
    assert code == EXIT_STORE
    assert len(json.loads(out)) > 0
    assert "locked by another program" in one_sentence(err)


def test_exit_code_74_is_documented_in_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tui", "--help"], capture_output=True, text=True, timeout=30
    )
    assert "74  the local job store cannot be used" in result.stdout
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "| 74 | the local job store cannot be used" in readme


def test_track_list_prints_stored_ids_as_one_clean_line(config: Path) -> None:
    path = state_dir() / "jobs.sqlite3"
    JobStore(path).close()
    hostile = "evil\x1b]52;c;cm0gLXJmIC8K\x07id\nsecond\tline\u202e"
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO tracked (account, id, added_at) VALUES ('hdr', ?, '2026-11-01T00:00:00Z')",
            (hostile,),
        )
    db.close()
    result = run_jobtop("track", "list", "hdr", config=config)
    assert result.returncode == 0, result.stderr
    stored = [line for line in result.stdout.splitlines() if line.endswith("\tstore")]
    assert len(stored) == 1 and stored[0].count("\t") == 2
    shown = stored[0].split("\t")[1]
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert shown.startswith("evil") and "second" in shown


def test_watch_prints_the_transition_from_a_corrupt_store_and_exits_74(config: Path) -> None:
    listed = run_jobtop("list", "--json", "--account", "mf", "--state", "succeeded", config=config)
    job_id = json.loads(listed.stdout)[0]["id"]
    corrupt_store()
    result = run_jobtop("watch", "mf", job_id, config=config)
    assert result.returncode == EXIT_STORE, result.stderr
    assert "succeeded" in result.stdout
    one_sentence(result.stderr)
    with_status = run_jobtop("watch", "mf", job_id, "--exit-status", config=config)
    assert with_status.returncode == 0  # the job's outcome first, as scripts expect
