"""Every fault produces what it should, per provider, and heals when cleared; and scale."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tui.sim.faults import HOSTILE_STRINGS, FaultError, parse_fault_spec
from tui.sim.server import SimServer

from .conftest import HEADERS

PATHS = {
    "zoo": "/zoo/async/operations?limit=3",
    "metafold": "/metafold/projects/200/jobs",
    "lettrlabs": "/lettrlabs/v1/conversions/1/status",
    "hdrjpg": None,  # filled from tracked ids
}
ERROR_KEY = {
    "zoo": "message",
    "metafold": "description",
    "lettrlabs": "errors",
    "hdrjpg": "errorDescription",
}


def _path(sim: SimServer, provider: str) -> str:
    if provider == "hdrjpg":
        return f"/hdrjpg/status?conversionUuid={sim.tracked_ids()['hdrjpg'][-1]}"
    return PATHS[provider]  # type: ignore[return-value]


def _fetch(client: httpx.Client, sim: SimServer, provider: str) -> httpx.Response:
    return client.get(_path(sim, provider), headers=HEADERS[provider])


@pytest.mark.parametrize("provider", ["zoo", "metafold", "lettrlabs", "hdrjpg"])
def test_every_fault_then_heal(sim: SimServer, client: httpx.Client, provider: str) -> None:
    healthy = _fetch(client, sim, provider)
    assert healthy.status_code == 200
    for name, status in (
        ("http_401", 401),
        ("http_403", 403),
        ("http_404", 404),
        ("http_500", 500),
        ("http_503", 503),
    ):
        sim.set_fault(provider, name)
        r = _fetch(client, sim, provider)
        assert r.status_code == status and ERROR_KEY[provider] in r.json()
        sim.clear_faults(provider)
    sim.set_fault(provider, "http_429", retry_after=5)
    r = _fetch(client, sim, provider)
    assert (
        r.status_code == 429 and r.headers["Retry-After"] == "5" and ERROR_KEY[provider] in r.json()
    )
    sim.clear_faults(provider)
    sim.set_fault(provider, "html")
    r = _fetch(client, sim, provider)
    assert (
        r.status_code == 502
        and r.headers["content-type"].startswith("text/html")
        and "<html>" in r.text
    )
    sim.clear_faults(provider)

    for name in ("truncated_json", "malformed_json"):
        sim.set_fault(provider, name)
        r = _fetch(client, sim, provider)
        assert r.status_code == 200
        with pytest.raises(ValueError):
            json.loads(r.content)
        sim.clear_faults(provider)

    sim.set_fault(provider, "wrong_types")
    body = _fetch(client, sim, provider).json()
    sim.clear_faults(provider)
    good = _fetch(client, sim, provider).json()
    assert type(body) is type(good)
    first_bad = body[0] if isinstance(body, list) else body
    first_good = good[0] if isinstance(good, list) else good
    assert set(first_bad) == set(first_good) and first_bad != first_good

    sim.set_fault(provider, "unknown_enums")
    text = _fetch(client, sim, provider).text
    assert any(word in text for word in ("on_hold", "suspended", "Quarantined", "Throttled"))
    sim.set_fault(provider, "hostile_strings")
    hostile = _fetch(client, sim, provider).json()
    flat = json.dumps(hostile, ensure_ascii=False)
    assert any(json.dumps(s, ensure_ascii=False)[1:-1] in flat for s in HOSTILE_STRINGS)
    sim.clear_faults(provider)

    sim.set_fault(provider, "oversized")
    big = _fetch(client, sim, provider)
    assert big.status_code == 200 and len(big.content) > 10 * 1024 * 1024
    json.loads(big.content)
    sim.clear_faults(provider)

    sim.set_fault(provider, "latency", seconds=0.3)
    t = time.perf_counter()
    assert _fetch(client, sim, provider).status_code == 200
    assert time.perf_counter() - t >= 0.3
    sim.clear_faults(provider)

    sim.set_fault(provider, "hang")
    with pytest.raises(httpx.ReadTimeout):
        client.get(_path(sim, provider), headers=HEADERS[provider], timeout=0.5)
    sim.clear_faults(provider)

    sim.set_fault(provider, "reset")
    with httpx.Client(base_url=sim.url, timeout=3) as fresh, pytest.raises(httpx.TransportError):
        fresh.get(_path(sim, provider), headers=HEADERS[provider])
    sim.clear_faults(provider)
    healed = _fetch(client, sim, provider)
    assert healed.status_code == 200 and healed.json() == healthy.json()


def test_repeating_token_cycles(sim: SimServer, client: httpx.Client) -> None:
    sim.set_fault("zoo", "repeating_token")
    tokens = []
    token = None
    for _ in range(4):
        params = {"limit": 5, **({"page_token": token} if token else {})}
        page = client.get("/zoo/async/operations", params=params, headers=HEADERS["zoo"]).json()
        token = page["next_page"]
        tokens.append(token)
    assert tokens == ["A", "B", "A", "B"]
    sim.clear_faults()
    assert (
        client.get(
            "/zoo/async/operations", params={"page_token": "A"}, headers=HEADERS["zoo"]
        ).status_code
        == 400
    )


def test_faults_from_the_admin_endpoint_and_all(sim: SimServer, client: httpx.Client) -> None:
    admin = sim.admin_headers()
    r = client.post("/_admin/faults", json={"provider": "all", "fault": "http_503"}, headers=admin)
    assert r.status_code == 200 and all("http_503" in f for f in r.json().values())
    for provider in ("zoo", "metafold", "lettrlabs", "hdrjpg"):
        assert _fetch(client, sim, provider).status_code == 503
    assert (
        client.delete("/_admin/faults", params={"provider": "zoo"}, headers=admin).status_code
        == 200
    )
    assert _fetch(client, sim, "zoo").status_code == 200
    assert _fetch(client, sim, "metafold").status_code == 503
    assert client.get("/_admin/faults", headers=admin).json()["metafold"] == {"http_503": {}}
    client.delete("/_admin/faults", headers=admin)
    assert _fetch(client, sim, "metafold").status_code == 200
    explode = {"provider": "zoo", "fault": "explode"}
    assert client.post("/_admin/faults", json=explode, headers=admin).status_code == 400


def test_fault_specs_parse_like_the_cli() -> None:
    assert parse_fault_spec("all:latency:seconds=0.2") == ("all", "latency", {"seconds": 0.2})
    assert parse_fault_spec("hdrjpg:http_429:retry_after=5") == (
        "hdrjpg",
        "http_429",
        {"retry_after": 5},
    )
    for bad in ("zoo", "nobody:http_500", "zoo:explode", "zoo:latency:seconds"):
        with pytest.raises(FaultError):
            parse_fault_spec(bad)
    with SimServer(jobs=5, faults=["metafold:http_500"]) as s, httpx.Client(base_url=s.url) as c:
        assert c.get("/metafold/projects", headers=HEADERS["metafold"]).status_code == 500


def test_100k_jobs_start_and_page_time() -> None:
    t0 = time.perf_counter()
    with SimServer(jobs=100_000, seed=2) as sim:
        started = time.perf_counter() - t0
        with httpx.Client(base_url=sim.url, timeout=60, headers=HEADERS["zoo"]) as c:
            ds = c.get("/zoo/org/datasets").json()["items"][0]["id"]
            path = f"/zoo/org/datasets/{ds}/conversions"
            t = time.perf_counter()
            first = c.get(path, params={"limit": 100, "sort_by": "updated_at_descending"})
            first_ms = (time.perf_counter() - t) * 1000
            assert first.status_code == 200 and len(first.json()["items"]) == 100
            timings = []
            for sort in (
                "created_at_descending",
                "status_ascending",
                "phase_descending",
                "updated_at_ascending",
            ):
                t = time.perf_counter()
                page = c.get(
                    path, params={"limit": 100, "sort_by": sort, "filter": "status:success"}
                )
                nxt = c.get(path, params={"page_token": page.json()["next_page"], "limit": 100})
                timings.append((time.perf_counter() - t) * 500)
                assert nxt.status_code == 200 and len(nxt.json()["items"]) == 100
            t = time.perf_counter()
            ops = c.get("/zoo/async/operations", params={"limit": 100})
            async_ms = (time.perf_counter() - t) * 1000
            assert len(ops.json()["items"]) == 100
    print(
        f"\n100k jobs/source: start {started * 1000:.0f} ms; "
        f"first conversions page {first_ms:.0f} ms "
        "(includes index build if not yet warm); "
        f"later pages {min(timings):.0f}-{max(timings):.0f} ms; "
        f"async ops page {async_ms:.0f} ms"
    )
