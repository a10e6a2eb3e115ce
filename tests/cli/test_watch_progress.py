"""`jobtop watch` prints progress (hdrjpg percentage, Zoo phase), aligned, then the end.

A frozen simulator whose clock a thread moves forward while the real `jobtop watch` polls it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.cli.conftest import TOKENS, write_config
from tests.conftest import REPO
from tui.clock import FrozenClock
from tui.sim.server import SimServer


@pytest.fixture
def frozen() -> Iterator[tuple[SimServer, FrozenClock]]:
    clock = FrozenClock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    server = SimServer(jobs=60, seed=15, clock=clock)
    server.start()
    yield server, clock
    server.stop()


def watch(config: Path, clock: FrozenClock, step: float, *args: str) -> tuple[list[str], str, int]:
    """Run `jobtop watch ARGS` while the clock moves `step` seconds every quarter second."""
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "jobtop"), "watch", *args, "--config", str(config)],
        env={**os.environ, **TOKENS},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # the job as it is before the clock moves
    stop = threading.Event()

    def tick() -> None:
        while not stop.is_set():
            clock.advance(step)
            time.sleep(0.25)

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        out, err = process.communicate(timeout=100)
    finally:
        stop.set()
        ticker.join()
    return (first + out).splitlines(), err, process.returncode


def _running_span(server: SimServer, index: int) -> float:
    """Seconds an hdrjpg conversion stays Running (from the simulator's own timeline)."""
    conversions = server.state.hdrjpg
    created = conversions.timeline.created_ms(index)
    running = [
        t
        for t in range(0, 120)
        if conversions.conversion(index, created + t * 1000)["status"] == "Running"
    ]
    return float(len(running))


def test_hdrjpg_percentages_and_the_end(
    tmp_path: Path, frozen: tuple[SimServer, FrozenClock]
) -> None:
    server, clock = frozen
    conversions = server.state.hdrjpg
    first = conversions.timeline.first_at_or_after(1)
    index = next(i for i in range(first, first + 20) if _running_span(server, i) >= 16)
    clock.advance(conversions.timeline.created_ms(index) / 1000 + 0.5)  # it has just arrived
    job_id = conversions.uuid(index)
    config = write_config(tmp_path / "c.toml", server, hdr_track=[])
    lines, err, code = watch(config, clock, 0.5, "hdr", job_id, "--interval", "2", "--exit-status")
    assert "Traceback" not in err
    running = [line for line in lines if "  running  " in line]
    percents = [int(line.split("%")[0].split()[-1]) for line in running]
    assert len(set(percents)) >= 2 and percents == sorted(percents), lines
    assert len({line.index("%") for line in running}) == 1, lines  # one column for the percentage
    assert any(
        step in " ".join(running) for step in ("Priming", "Preparing", "Converting", "Finalizing")
    )
    final = lines[-1].split()
    assert final[3] == job_id and final[4] in ("succeeded", "failed")
    assert final[5] == "after" and final[6].rstrip(":").endswith("s")
    assert code == (0 if final[4] == "succeeded" else 1)


def test_zoo_phases(tmp_path: Path, frozen: tuple[SimServer, FrozenClock]) -> None:
    server, clock = frozen
    world = server.state.zoo
    config = write_config(tmp_path / "c.toml", server, hdr_track=[])
    listed = subprocess.run(
        [
            str(Path(sys.executable).parent / "jobtop"),
            "list",
            "--account",
            "zoo",
            "--state",
            "running",
            "--jq",
            '.[] | select(.kind == "dataset_conversion") | .id',
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **TOKENS},
        cwd=REPO,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    job_id = listed.stdout.split()[0]
    lines, err, _ = watch(config, clock, 2.0, "zoo", job_id, "--interval", "0.5")
    assert "Traceback" not in err
    phases = world.phases
    seen = [word for line in lines[:-1] for word in line.split() if word in phases]
    assert len(set(seen)) >= 2, lines
    assert seen == sorted(seen, key=phases.index)  # in the order of the stepper
    assert job_id in lines[-1]
