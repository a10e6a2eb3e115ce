"""A real Prometheus scraping a real `jobtop serve` against the simulator, and promtool on
the shipped rules. Needs Debian's `prometheus` package (`.ci/run` installs it)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO
from tests.serve.conftest import Serve, free_port, wait_for
from tui.clock import FrozenClock
from tui.sim.server import SimServer

DEPLOY = REPO / "deploy" / "prometheus"
PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
pytestmark = [
    pytest.mark.prometheus,
    pytest.mark.skipif(
        PROMETHEUS is None or PROMTOOL is None,
        reason="Debian's prometheus package is not installed (.ci/run installs it)",
    ),
]


def test_promtool_checks_and_unit_tests_the_rules() -> None:
    assert PROMTOOL is not None
    for argv in (("check", "rules", "alerts.yml"), ("test", "rules", "alerts_test.yml")):
        result = subprocess.run(
            [PROMTOOL, *argv], cwd=DEPLOY, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stdout + result.stderr
    result = subprocess.run(
        [PROMTOOL, "check", "config", "prometheus.yml"],
        cwd=DEPLOY,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


class Prometheus:
    """A Prometheus on loopback, its data in a temp dir, scraping every second."""

    def __init__(self, tmp: Path, target: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = tmp / "prometheus.yml"
        shutil.copy(DEPLOY / "alerts.yml", tmp / "alerts.yml")
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "rule_files: [alerts.yml]\n"
            "scrape_configs:\n"
            f"  - job_name: jobtop\n    static_configs: [{{targets: ['{target}']}}]\n"
        )
        self.log = (tmp / "prometheus.log").open("w")
        assert PROMETHEUS is not None
        self.proc = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            stdout=self.log,
            stderr=self.log,
            cwd=tmp,
        )

    def query(self, promql: str) -> list[dict]:  # type: ignore[type-arg]
        try:
            answer = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5)
        except httpx.HTTPError:
            return []
        if answer.status_code != 200:
            return []
        return answer.json()["data"]["result"]  # type: ignore[no-any-return]

    def value(self, promql: str) -> float | None:
        result = self.query(promql)
        return float(result[0]["value"][1]) if result else None

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture
def prometheus(serve: Serve, tmp_path: Path) -> Iterator[Prometheus]:
    running = Prometheus(tmp_path, f"127.0.0.1:{serve.port}")
    try:
        yield running
    finally:
        running.stop()


def test_series_exist_and_move_through_prometheus(
    serve: Serve, sim: SimServer, prometheus: Prometheus
) -> None:
    up = 'jobtop_source_up{account="mf"}'
    wait_for(lambda: prometheus.value(up) == 1, timeout=40)
    for series in (
        "jobtop_jobs",
        "jobtop_source_health",
        "jobtop_source_requests_total",
        "jobtop_source_last_success_timestamp_seconds",
        "jobtop_source_refresh_duration_seconds_count",
    ):
        assert prometheus.query(series), series
    # Jobs failing: the simulator's world moves on until running jobs end, some failed;
    # the failure transitions go up (and only after the first listing: history is no change).
    failed = 'sum(jobtop_transitions_total{to_state="failed"})'
    first = wait_for(lambda: (v := prometheus.value(failed)) is not None and (v,), timeout=20)
    assert first == (0.0,)

    def moved() -> bool:
        if (prometheus.value(failed) or 0) > 0:
            return True
        clock = sim.state.clock
        assert isinstance(clock, FrozenClock)
        clock.advance(600)
        return False

    wait_for(moved, timeout=50, every=2.5)
    # A 503 fault drops up to 0; healing brings it back.
    sim.set_fault("metafold", "http_503")
    wait_for(lambda: prometheus.value(up) == 0, timeout=40)
    sim.clear_faults("metafold")
    wait_for(lambda: prometheus.value(up) == 1, timeout=40)
