"""The simulator's admin endpoint: the run's secret, no cross-origin or browser-simple
requests, and fault parameters that are finite and bounded."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import REPO
from tests.sim.conftest import HEADERS
from tui.sim.app import ADMIN_SECRET_HEADER
from tui.sim.faults import FaultError, parse_fault_spec
from tui.sim.server import SimServer


@pytest.fixture
def fresh() -> Iterator[SimServer]:
    with SimServer(jobs=5, seed=3) as server:
        yield server


def faults_on(sim: SimServer) -> dict[str, dict[str, dict[str, object]]]:
    return {p: f for p, f in sim.state.faults.snapshot().items() if f}


def test_every_admin_endpoint_needs_the_runs_secret(fresh: SimServer) -> None:
    body = {"provider": "zoo", "fault": "http_500"}
    with httpx.Client(base_url=fresh.url, timeout=10) as client:
        for secret in (None, "", "guess", fresh.admin_secret[:-1]):
            headers = {} if secret is None else {ADMIN_SECRET_HEADER: secret}
            assert client.post("/_admin/faults", json=body, headers=headers).status_code == 401
            assert client.delete("/_admin/faults", headers=headers).status_code == 401
            assert client.get("/_admin/faults", headers=headers).status_code == 401
            assert client.get("/_admin/tracked", headers=headers).status_code == 401
            clock = client.post("/_admin/clock", json={"advance": 1}, headers=headers)
            assert clock.status_code == 401
        assert faults_on(fresh) == {}
        ok = client.post("/_admin/faults", json=body, headers=fresh.admin_headers())
        assert ok.status_code == 200 and faults_on(fresh) == {"zoo": {"http_500": {}}}
        by_query = client.delete("/_admin/faults", params={"secret": fresh.admin_secret})
        assert by_query.status_code == 200 and faults_on(fresh) == {}
    assert SimServer(jobs=1).admin_secret != fresh.admin_secret  # a new one each run


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": "https://127.0.0.1"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_a_cross_origin_request_is_refused_even_with_the_secret(
    fresh: SimServer, headers: dict[str, str]
) -> None:
    with httpx.Client(base_url=fresh.url, timeout=10) as client:
        response = client.post(
            "/_admin/faults",
            json={"provider": "all", "fault": "hang"},
            headers={**fresh.admin_headers(), **headers},
        )
    assert response.status_code == 403 and faults_on(fresh) == {}


def test_the_simulators_own_origin_is_served(fresh: SimServer) -> None:
    with httpx.Client(base_url=fresh.url, timeout=10) as client:
        response = client.get(
            "/_admin/tracked", headers={**fresh.admin_headers(), "Origin": fresh.url}
        )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_body_a_page_could_send_without_preflight_is_refused(
    fresh: SimServer, content_type: str
) -> None:
    body = b'{"provider": "all", "fault": "latency", "params": {"seconds": 30}}'
    with httpx.Client(base_url=fresh.url, timeout=10) as client:
        for headers in ({}, fresh.admin_headers()):
            response = client.post(
                "/_admin/faults", content=body, headers={**headers, "Content-Type": content_type}
            )
            assert response.status_code in (401, 415)
    assert faults_on(fresh) == {}


@pytest.mark.parametrize(
    ("fault", "params"),
    [
        ("latency", {"seconds": "inf"}),
        ("latency", {"seconds": 1e999}),
        ("latency", {"seconds": -1}),
        ("latency", {"seconds": 10_000}),
        ("latency", {"seconds": True}),
        ("latency", {"seconds": "1"}),
        ("latency", {"sleep": 1}),
        ("http_429", {"retry_after": "5\r\nSet-Cookie: x=1"}),
        ("http_429", {"retry_after": 1e9}),
        ("http_500", {"seconds": 1}),
    ],
)
def test_fault_parameters_must_be_finite_and_bounded(
    fresh: SimServer, fault: str, params: dict[str, object]
) -> None:
    import json

    raw = json.dumps({"provider": "zoo", "fault": fault, "params": params}).encode()
    raw = raw.replace(b"Infinity", b"1e999")  # what a hostile client sends: JSON has no inf
    with httpx.Client(base_url=fresh.url, timeout=10) as client:
        response = client.post(
            "/_admin/faults",
            content=raw,
            headers={**fresh.admin_headers(), "Content-Type": "application/json"},
        )
    assert response.status_code == 400 and faults_on(fresh) == {}
    with pytest.raises(FaultError):
        fresh.set_fault("zoo", fault, **params)


def test_an_infinite_latency_from_the_command_line_is_refused() -> None:
    specs = ("all:latency:seconds=inf", "zoo:latency:seconds=nan", "zoo:http_429:retry_after=-3")
    for spec in specs:
        with pytest.raises(FaultError):
            parse_fault_spec(spec)
    result = subprocess.run(
        [sys.executable, "-m", "tui", "sim", "--port", "0", "--fault", "all:latency:seconds=inf"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=30,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "latency" in result.stderr


def test_the_clock_step_must_be_finite(fresh: SimServer) -> None:
    from datetime import UTC, datetime

    from tui.clock import FrozenClock

    clock = FrozenClock(datetime(2026, 9, 1, tzinfo=UTC))
    with (
        SimServer(jobs=2, clock=clock) as sim,
        httpx.Client(base_url=sim.url, timeout=10, headers=sim.admin_headers()) as client,
    ):
        for raw in (
            b'{"advance": 1e999}',
            b'{"advance": -1e999}',
            b'{"advance": 1e12}',
            b'{"advance": true}',
            b'{"advance": NaN}',
        ):
            response = client.post(
                "/_admin/clock", content=raw, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 400, raw
        assert clock() == datetime(2026, 9, 1, tzinfo=UTC)


def test_jobtop_sim_prints_the_secret_that_opens_the_admin_endpoint() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "sim", "--port", "0", "--jobs", "3"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().rsplit(" ", 1)[1].strip()
        line = process.stdout.readline()
        assert line.startswith("jobtop sim admin secret: ") and ADMIN_SECRET_HEADER in line
        secret = line.split("admin secret:", 1)[1].split()[0]
        with httpx.Client(base_url=url, timeout=10) as client:
            assert client.get("/_admin/tracked").status_code == 401
            set_ok = client.post(
                "/_admin/faults",
                json={"provider": "zoo", "fault": "http_503"},
                headers={ADMIN_SECRET_HEADER: secret},
            )
            assert set_ok.status_code == 200
            assert client.get("/zoo/user/api-calls", headers=HEADERS["zoo"]).status_code == 503
    finally:
        process.terminate()
        process.communicate(timeout=15)
