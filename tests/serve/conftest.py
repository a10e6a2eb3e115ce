"""A simulator on loopback, a config pointing at it, and the real `jobtop serve`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import TOKENS, write_config
from tests.conftest import REPO
from tui.clock import FrozenClock, utc_now
from tui.sim.server import SimServer

JOBTOP = Path(sys.executable).parent / "jobtop"


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env() -> dict[str, str]:
    """The test's environment (its own state dir) plus the accounts' tokens."""
    return {**os.environ, **TOKENS}


@pytest.fixture
def sim() -> Iterator[SimServer]:
    """The simulator on a frozen clock (a test moves its world forward to make jobs end)."""
    with SimServer(jobs=40, seed=11, clock=FrozenClock(utc_now())) as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, sim: SimServer) -> Path:
    tracked = sim.tracked_ids().get("hdrjpg", [])[:4]
    return write_config(tmp_path / "config.toml", sim, hdr_track=tracked)


class Serve:
    """One `jobtop serve` process; its stderr goes to a file."""

    def __init__(self, config: Path, tmp: Path, *extra: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"serve-{self.port}.log"
        self._err = self.log.open("w")
        self.proc = subprocess.Popen(
            [
                str(JOBTOP),
                "serve",
                "--config",
                str(config),
                "--listen",
                f"127.0.0.1:{self.port}",
                *extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=self._err,
            cwd=REPO,
            env=env(),
        )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.stderr()
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"serve did not answer /healthz: {self.stderr()}")

    def metrics(self) -> str:
        return httpx.get(f"{self.url}/metrics", timeout=5).text

    def stderr(self) -> str:
        if not self._err.closed:
            self._err.flush()
        return self.log.read_text()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=10)
        finally:
            self._err.close()


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in the Prometheus text format, or None."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        head, _, value = line.rpartition(" ")
        if all(f'{key}="{val}"' in head for key, val in labels.items()):
            if name + "{" in head or not labels:
                return float(value)
    return None


def wait_for(check, timeout: float = 30, every: float = 0.2):  # type: ignore[no-untyped-def]
    """Call `check` until it returns something truthy; that value, or fail."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(every)


@pytest.fixture
def serve(config: Path, tmp_path: Path) -> Iterator[Serve]:
    running = Serve(config, tmp_path)
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()
