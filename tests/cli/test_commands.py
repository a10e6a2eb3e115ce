"""`jobtop list/show/watch/track` run as the real command against the simulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.cli.conftest import TOKENS, run_jobtop, write_config
from tests.conftest import REPO
from tui.clock import FrozenClock
from tui.commands import TSV_COLUMNS
from tui.models import JSON_KEYS, JobState, parse_timestamp
from tui.sim.server import SimServer
from tui.sim.state import SimState
from tui.store import JobStore

HDR_SEED = "88667411-3fb9-4c92-8488-8e277aed3021"


def list_json(config: Path, *args: str) -> list[dict[str, object]]:
    result = run_jobtop("list", "--json", *args, config=config)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    return data


def test_json_shape(config: Path) -> None:
    jobs = list_json(config)
    assert {j["provider"] for j in jobs} == {"zoo", "metafold", "lettrlabs", "hdrjpg"}
    for job in jobs:
        assert tuple(job) == JSON_KEYS
        assert job["state"] in {s.value for s in JobState}
        for key in ("created_at", "started_at", "finished_at", "updated_at"):
            value = job[key]
            assert value is None or (
                isinstance(value, str) and value.endswith("Z") and parse_timestamp(value)
            )
        assert job["progress"] is None or 0 <= job["progress"] <= 1  # type: ignore[operator]
    assert any(j["id"] == HDR_SEED for j in jobs)


def test_filters_and_sorts(config: Path) -> None:
    failed = list_json(config, "--state", "failed")
    assert failed and all(j["state"] == "failed" for j in failed)
    two_states = list_json(config, "--state", "failed", "--state", "succeeded")
    assert {j["state"] for j in two_states} == {"failed", "succeeded"}
    metafold = list_json(config, "--provider", "metafold")
    assert metafold and {j["provider"] for j in metafold} == {"metafold"}
    status = list_json(config, "--account", "mf", "--status", "success")
    assert status and all(j["status"] == "success" for j in status)
    ascending = list_json(config, "--sort", "created_at:asc", "--provider", "zoo")
    stamps = [j["created_at"] for j in ascending if j["created_at"]]
    assert stamps == sorted(stamps)  # type: ignore[type-var]
    names = [
        str(j["name"]).casefold()
        for j in list_json(config, "--sort", "name:desc", "--account", "mf")
    ]
    assert names == sorted(names, reverse=True)
    assert len(list_json(config, "--limit", "5")) == 5


def test_piped_output_is_tab_separated(config: Path) -> None:
    result = run_jobtop("list", "--account", "mf", "--header", config=config)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split("\t") == [c.upper() for c in TSV_COLUMNS]
    assert all(len(line.split("\t")) == len(TSV_COLUMNS) for line in lines[1:])
    assert any(line.split("\t")[2] == "123" for line in lines[1:])


def test_bad_arguments_are_usage_errors(config: Path) -> None:
    result = run_jobtop("list", "--sort", "colour", config=config)
    assert result.returncode == 64 and "key 'colour'" in result.stderr
    assert result.stderr.startswith("usage: jobtop list")
    result = run_jobtop("list", "--state", "exploded", config=config)
    assert result.returncode == 64 and "Traceback" not in result.stderr


def test_show_text_and_json(config: Path) -> None:
    text = run_jobtop("show", "hdr", HDR_SEED, config=config)
    assert text.returncode == 0, text.stderr
    assert "test_1200q80.jpg" in text.stdout and "jpeg-xt" in text.stdout
    result = run_jobtop("show", "mf", "123", "--json", config=config)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert tuple(document)[: len(JSON_KEYS)] == JSON_KEYS and "raw" in document
    assert document["name"] == "sample-mesh"
    assert document["raw"]["inputs"]["assets"]["mesh"]["filename"] == "part.stl"


def test_show_without_account_finds_the_job_when_another_account_has_no_token(
    config: Path,
) -> None:
    """An account that cannot be used (no token: a configuration error, not a source's)
    does not stop the search of the others."""
    result = run_jobtop("show", HDR_SEED, config=config, env={"ZOO_TOKEN": ""})
    assert result.returncode == 0, result.stderr
    assert "test_1200q80.jpg" in result.stdout


def test_errors_have_distinct_codes(config: Path, sim: SimServer) -> None:
    result = run_jobtop("show", "nobody", "1", config=config)
    assert result.returncode == 78
    result = run_jobtop("show", "hdr", "00000000-0000-4000-8000-000000000000", config=config)
    assert result.returncode == 66, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    sim.set_fault("metafold", "http_503")
    try:
        down = run_jobtop("show", "mf", "123", config=config)
    finally:
        sim.clear_faults()
    assert down.returncode == 69 and "unavailable" in down.stderr
    sim.set_fault("lettrlabs", "http_401")
    try:
        refused = run_jobtop("list", "--account", "ll", config=config)
    finally:
        sim.clear_faults()
    assert refused.returncode == 77
    for token in TOKENS.values():
        for output in (result, down, refused):
            assert token not in output.stdout + output.stderr


def test_list_keeps_other_sources_when_one_fails(config: Path, sim: SimServer) -> None:
    sim.set_fault("zoo", "http_500")
    try:
        result = run_jobtop("list", "--json", config=config)
    finally:
        sim.clear_faults()
    assert result.returncode == 69
    jobs = json.loads(result.stdout)
    assert {j["provider"] for j in jobs} == {"metafold", "lettrlabs", "hdrjpg"}
    assert "zoo" in result.stderr


def test_tracking_across_restarts(config: Path, sim: SimServer) -> None:
    ids = sim.tracked_ids()["hdrjpg"]
    extra = [i for i in ids if i != HDR_SEED][-2:]
    added = run_jobtop("track", "add", "hdr", *extra, config=config)
    assert added.returncode == 0, added.stderr
    refused = run_jobtop(
        "track", "add", "hdr", "00000000-0000-4000-8000-000000000000", config=config
    )
    assert refused.returncode == 66 and "was not added" in refused.stderr
    listed = run_jobtop("track", "list", "hdr", config=config)
    store_lines = [
        line.split("\t")[1] for line in listed.stdout.splitlines() if line.endswith("\tstore")
    ]
    assert store_lines == extra
    jobs = list_json(config, "--account", "hdr")
    assert set(extra) <= {j["id"] for j in jobs}
    removed = run_jobtop("track", "remove", "hdr", extra[0], config=config)
    assert removed.returncode == 0
    listed = run_jobtop("track", "list", "hdr", config=config)
    assert extra[0] not in listed.stdout and extra[1] in listed.stdout


def test_kill_9_during_refresh_loses_no_tracked_id(config: Path, sim: SimServer) -> None:
    ids = sim.tracked_ids()["hdrjpg"][:3]
    assert run_jobtop("track", "add", "hdr", "--no-check", *ids, config=config).returncode == 0
    sim.set_fault("all", "latency", seconds=1.0)
    try:
        script = Path(sys.executable).parent / "jobtop"
        process = subprocess.Popen(
            [str(script), "list", "--config", str(config)],
            env={**os.environ, **TOKENS},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=REPO,
        )
        time.sleep(0.8)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    finally:
        sim.clear_faults()
    store = JobStore.open_default()
    try:
        assert set(ids) <= set(store.tracked_ids("hdr"))
    finally:
        store.close()


# --- watch -----------------------------------------------------------------------------


@pytest.fixture
def frozen_sim() -> Iterator[tuple[SimServer, FrozenClock]]:
    clock = FrozenClock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    server = SimServer(jobs=60, seed=15, clock=clock)
    server.start()
    yield server, clock
    server.stop()


def test_watch_exit_status_matches_the_outcome(
    tmp_path: Path, frozen_sim: tuple[SimServer, FrozenClock]
) -> None:
    """One job that will succeed, one that will fail and one that will be canceled."""
    sim, clock = frozen_sim
    config = write_config(tmp_path / "c.toml", sim, hdr_track=[])
    world = sim.state.metafold
    active = [
        (pid, str(job["id"]))
        for pid in world.project_ids()
        for job in world.list_jobs(pid, None, None) or []
        if job["state"] in ("pending", "started")
    ]
    # The same seed on a clock three days ahead tells how each active job will end.
    future_clock = FrozenClock(clock())
    future = SimState(seed=15, jobs=60, clock=future_clock)
    future_clock.advance(3 * 86_400)
    outcome = {
        job_id: (future.metafold.lookup(pid, job_id) or {})["state"] for pid, job_id in active
    }
    chosen: dict[str, str] = {}
    for job_id, final in outcome.items():
        chosen.setdefault(final, job_id)
    assert {"success", "failure", "canceled"} <= set(chosen), outcome
    script = Path(sys.executable).parent / "jobtop"
    watchers = {
        final: subprocess.Popen(
            [
                str(script),
                "watch",
                "mf",
                chosen[final],
                "--interval",
                "0.5",
                "--exit-status",
                "--config",
                str(config),
            ],
            env={**os.environ, **TOKENS},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for final in ("success", "failure", "canceled")
    }
    first_lines = {}
    for final, process in watchers.items():
        assert process.stdout is not None
        first_lines[final] = process.stdout.readline()  # each watcher saw the job still active
    stop = threading.Event()

    def tick() -> None:
        while not stop.is_set():
            clock.advance(120)
            time.sleep(0.25)

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        results = {}
        for final, process in watchers.items():
            out, err = process.communicate(timeout=90)
            results[final] = (first_lines[final] + out, err, process.returncode)
    finally:
        stop.set()
        ticker.join()
    expected = {"success": (0, "succeeded"), "failure": (1, "failed"), "canceled": (2, "canceled")}
    for final, (out, err, code) in results.items():
        assert code == expected[final][0], (final, out, err)
        lines = out.strip().splitlines()
        assert len(lines) >= 2, out  # it printed the transitions on the way, not only the end
        assert expected[final][1] in lines[-1] and "Traceback" not in err


def test_watch_ctrl_c_exits_cleanly(config: Path, sim: SimServer) -> None:
    active = [
        j for j in list_json(config, "--account", "zoo") if j["state"] in ("queued", "running")
    ]
    job_id = str(active[0]["id"]) if active else "0ca1531a-ac9b-4e55-bff6-2ec246d5cc1d"
    script = Path(sys.executable).parent / "jobtop"
    process = subprocess.Popen(
        [str(script), "watch", "zoo", job_id, "--interval", "5", "--config", str(config)],
        env={**os.environ, **TOKENS},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    time.sleep(2.5)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    if active:
        assert process.returncode == 130 and "Traceback" not in err
    else:
        assert process.returncode == 0


def test_list_says_when_a_cap_cut_a_listing(
    config: Path,
    sim: SimServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A listing stopped by the per-refresh item cap prints that first part, says on
    stderr what was left out, and exits 3 (the README's code for it)."""
    import dataclasses

    from tui import cli, commands
    from tui.exit_codes import EXIT_INCOMPLETE
    from tui.providers import build_provider
    from tui.providers.client import DEFAULT_POLICY

    policy = dataclasses.replace(DEFAULT_POLICY, max_items=5)
    monkeypatch.setattr(
        commands, "_provider", lambda account: build_provider(account, policy=policy)
    )
    for name, value in TOKENS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("JOBTOP_STATE_DIR", str(tmp_path / "state"))
    code = cli.run(["list", "--account", "zoo", "--json", "--config", str(config)])
    out, err = capsys.readouterr()
    assert code == EXIT_INCOMPLETE == 3
    assert len(json.loads(out)) == 5
    assert "jobtop: zoo: incomplete: first 5 of " in err
    assert err.rstrip().endswith("jobs (the per-refresh cap)")
