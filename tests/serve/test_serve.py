"""`jobtop serve` as a real process against the simulator: metrics, health, the store's
owner, clean stops, bad input; and viewers attached to its store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import run_jobtop
from tests.serve.conftest import Serve, env, free_port, sample, wait_for
from tui.clock import FrozenClock
from tui.models import Job
from tui.sim.server import SimServer
from tui.store import JobStore, StoredHealth


def state_dir() -> Path:
    return Path(os.environ["JOBTOP_STATE_DIR"])


def test_metrics_have_every_family_and_bounded_labels(serve: Serve) -> None:
    wait_for(lambda: sample(serve.metrics(), "jobtop_source_up", account="hdr") == 1)
    text = serve.metrics()
    for family in (
        "jobtop_jobs",
        "jobtop_transitions_total",
        "jobtop_source_up",
        "jobtop_source_health",
        "jobtop_source_last_success_timestamp_seconds",
        "jobtop_source_refresh_duration_seconds_bucket",
        "jobtop_source_requests_total",
        "jobtop_source_retry_after_wait_seconds_total",
        "jobtop_source_listing_incomplete",
        "jobtop_source_interval_seconds",
    ):
        assert f"\n{family}{{" in text, family
    assert (
        sample(text, "jobtop_source_requests_total", account="zoo", status_class="2xx") or 0
    ) >= 1
    assert sample(text, "jobtop_source_health", account="zoo", health="ok") == 1
    labels = {
        part.split("=")[0]
        for line in text.splitlines()
        if "{" in line and not line.startswith("#")
        for part in line[line.index("{") + 1 : line.index("}")].split(",")
    }
    allowed = {"account", "provider", "kind", "state", "to_state", "health", "status_class", "le"}
    assert labels <= allowed
    body = httpx.get(f"{serve.url}/healthz").text
    assert body.count("\n") == 1 and '"status":"ok"' in body


def test_a_failure_counts_and_503_drops_up_then_heals(serve: Serve, sim: SimServer) -> None:
    wait_for(lambda: sample(serve.metrics(), "jobtop_source_up", account="mf") == 1)
    sim.set_fault("metafold", "http_503")
    wait_for(lambda: sample(serve.metrics(), "jobtop_source_up", account="mf") == 0)
    text = serve.metrics()
    assert (
        sample(text, "jobtop_source_requests_total", account="mf", status_class="5xx") or 0
    ) >= 1
    sim.clear_faults("metafold")
    wait_for(lambda: sample(serve.metrics(), "jobtop_source_up", account="mf") == 1)
    log = serve.stderr()
    assert "source mf is failing" in log and "source mf recovered" in log
    for token in ("zoo-tok-Q7f3kZ", "mf-tok-W2p9xB", "ll-tok-K5s1vD", "hdr-tok-J8m4nC"):
        assert token not in log


def test_sigterm_and_sigint_stop_cleanly_and_free_the_store(
    config: Path, tmp_path: Path, sim: SimServer
) -> None:
    """Also with a request in flight that would never end (the `hang` fault)."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        running = Serve(config, tmp_path)
        running.wait_ready()
        sim.set_fault("metafold", "hang")
        asked = sim.requests().get("metafold", 0)
        wait_for(lambda asked=asked: sim.requests().get("metafold", 0) > asked)  # one hangs now
        assert running.stop(sig) == 0
        sim.clear_faults()
        assert "Traceback" not in running.stderr() and "stopped" in running.stderr()
    store = JobStore(state_dir() / "jobs.sqlite3")
    poller = store.poller()
    store.close()
    assert poller is not None and poller.pid == 0  # said stopped, for attached viewers


def test_a_second_serve_on_the_same_store_is_refused_with_the_pid(
    serve: Serve, config: Path
) -> None:
    result = run_jobtop("serve", "--listen", f"127.0.0.1:{free_port()}", config=config, timeout=30)
    assert result.returncode == 73
    assert f"pid {serve.proc.pid}" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_listen_that_cannot_be_bound(config: Path) -> None:
    with __import__("socket").socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_jobtop("serve", "--listen", f"127.0.0.1:{port}", config=config, timeout=30)
    assert result.returncode == 71, result.stderr
    assert "cannot listen on 127.0.0.1:" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_malformed_listen_is_a_usage_error(config: Path) -> None:
    for listen in ("9464", "localhost:http", "127.0.0.1:70000", ":9464"):
        result = run_jobtop("serve", "--listen", listen, config=config, timeout=30)
        assert result.returncode == 64, (listen, result.stderr)
        assert "is not HOST:PORT" in result.stderr and "Traceback" not in result.stderr


def test_a_store_that_cannot_be_used(config: Path) -> None:
    """A damaged file, then a directory where the file should be."""
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "jobs.sqlite3"
    path.write_bytes(b"this is not a database" * 100)

    def directory_instead() -> None:
        path.unlink()
        path.mkdir()

    for make_next in (directory_instead, lambda: None):
        result = run_jobtop(
            "serve", "--listen", f"127.0.0.1:{free_port()}", config=config, timeout=30
        )
        assert result.returncode == 74, result.stderr
        assert str(path) in result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        make_next()


def test_attach_to_a_store_no_poller_writes_says_how_old_its_data_is(config: Path) -> None:
    path = state_dir() / "jobs.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    store = JobStore(path)
    from datetime import timedelta

    from tui.clock import utc_now

    store.save_jobs("zoo", [], refreshed_at=utc_now() - timedelta(hours=2))
    store.save_poller(
        4242, utc_now() - timedelta(hours=2), 30.0, [StoredHealth("zoo", "zoo", "ok")]
    )
    store.close()
    for argv in (("list", "--attach"), ("show", "--attach", "zoo", "x"), ("--attach",)):
        result = run_jobtop(*argv, config=config, timeout=30)
        assert result.returncode == 79, (argv, result.stderr)
        assert "pid 4242" in result.stderr and "its data is 2h" in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_ten_attached_viewers_make_no_provider_request(
    serve: Serve, sim: SimServer, config: Path
) -> None:
    """Five dashboards and five `watch --attach` run on the poller's store; once the poller
    stops, the simulator receives nothing more while all ten keep running."""
    from tests.reliability.pty_harness import PtyProgram

    wait_for(lambda: sample(serve.metrics(), "jobtop_source_up", account="hdr") == 1)

    def running_job() -> Job | None:
        """A LettrLabs job the poller stored as still running (None before its save)."""
        stored = JobStore(state_dir() / "jobs.sqlite3")
        try:
            return next((j for j in stored.load_jobs(["ll"]) if not j.state.is_terminal), None)
        finally:
            stored.close()

    wait_for(lambda: running_job() is not None)
    job = running_job()
    assert job is not None
    jobtop = str(Path(sys.executable).parent / "jobtop")
    watchers = [
        subprocess.Popen(
            [jobtop, "watch", "--attach", "ll", job.id],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(5)
    ]
    dashboards = [PtyProgram([jobtop, "--attach"]) for _ in range(5)]
    try:
        for dashboard in dashboards:
            assert dashboard.wait_for(job.id.encode(), timeout=40), dashboard.run.output[-2000:]
        listed = run_jobtop("list", "--attach", "--json", config=config, timeout=30)
        assert listed.returncode == 0, listed.stderr
        assert job.id in listed.stdout
        assert serve.stop() == 0
        frozen = sim.requests()
        for _ in range(4):  # two of the viewers' read intervals and more
            for dashboard in dashboards:
                dashboard.read_for(0.3)
        assert all(w.poll() is None for w in watchers), "a viewer exited"
        assert all(d.run.status is None for d in dashboards), "a dashboard exited"
        assert sim.requests() == frozen
    finally:
        for watcher in watchers:
            watcher.terminate()
            watcher.wait(timeout=10)
        for dashboard in dashboards:
            dashboard.finish()


def test_attached_dashboard_shows_the_pollers_failure(serve: Serve, sim: SimServer) -> None:
    from tests.e2e.tmux import TmuxSession, jobtop_command, requires_tmux

    if requires_tmux.args[0]:
        pytest.skip("tmux is not installed (.ci/run installs it)")
    wait_for(lambda: sample(serve.metrics(), "jobtop_source_up", account="mf") == 1)
    sim.set_fault("metafold", "http_503")
    wait_for(lambda: sample(serve.metrics(), "jobtop_source_up", account="mf") == 0)
    stored = JobStore(state_dir() / "jobs.sqlite3")
    first_ids = [job.id[:8] for job in stored.load_jobs() if len(job.id) >= 8]
    stored.close()
    assert first_ids
    # tmux renders the screen, so a line is read whole however the program painted it.
    dashboard = TmuxSession(
        jobtop_command("--attach"),
        workdir=Path.cwd(),
        width=160,
        height=40,
        env={
            k: v
            for k, v in env().items()
            if k.startswith(("XDG_", "JOBTOP_")) or k.endswith("_TOKEN")
        },
    )
    try:
        dashboard.wait_for("jobtop serve", timeout=40)
        # Enter only once rows are on screen; before that it opens nothing.
        deadline = time.monotonic() + 40
        while not any(job_id in dashboard.screen() for job_id in first_ids):
            assert time.monotonic() < deadline, dashboard.screen()
            time.sleep(0.2)
        dashboard.send("Enter")  # the detail of the first row: the stored job, and what is not
        dashboard.wait_for("live details: run without --attach", timeout=30)
    finally:
        dashboard.close()


def test_watch_attach_prints_the_change_the_poller_stored(serve: Serve, sim: SimServer) -> None:
    wait_for(lambda: sample(serve.metrics(), "jobtop_source_up", account="ll") == 1)
    stored = JobStore(state_dir() / "jobs.sqlite3")
    job = next(j for j in stored.load_jobs(["ll"]) if not j.state.is_terminal)
    stored.close()
    jobtop = str(Path(sys.executable).parent / "jobtop")
    watcher = subprocess.Popen(
        [jobtop, "watch", "--attach", "ll", job.id, "--exit-status"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = watcher.stdout.readline() if watcher.stdout else ""

        def ended() -> bool:
            if watcher.poll() is not None:
                return True
            clock = sim.state.clock
            assert isinstance(clock, FrozenClock)
            clock.advance(900)
            return False

        wait_for(ended, timeout=60, every=1.5)
        out, err = watcher.communicate(timeout=10)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.communicate()
    lines = [first.rstrip("\n"), *out.splitlines()]
    assert len(lines) >= 2, (lines, err)
    assert job.state.value in lines[0]
    final = lines[-1].split()[4].rstrip(":")  # "<date> <time> UTC <id> <state> after …"
    assert final in ("succeeded", "failed", "canceled")
    assert watcher.returncode == {"succeeded": 0, "failed": 1, "canceled": 2}[final]


def test_list_attach_says_what_the_poller_reports_and_exits_3_if_incomplete(
    config: Path,
) -> None:
    from tui.clock import utc_now

    path = state_dir() / "jobs.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    store = JobStore(path)
    store.save_poller(
        os.getpid(),
        utc_now(),
        30.0,
        [
            StoredHealth("zoo", "zoo", "ok", incomplete=True, note="incomplete: first 10 of 90"),
            StoredHealth("mf", "metafold", "failing", error="Metafold failed on its side."),
        ],
    )
    store.close()
    result = run_jobtop("list", "--attach", config=config, timeout=30)
    assert result.returncode == 3, result.stderr
    assert "zoo: incomplete: first 10 of 90" in result.stderr
    assert "mf: jobtop serve says: Metafold failed on its side." in result.stderr
