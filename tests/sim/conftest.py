"""Fixtures for the simulator tests: real servers on loopback, on a frozen clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from tui.clock import FrozenClock
from tui.sim.server import SimServer

START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
HEADERS = {
    "zoo": {"Authorization": "Bearer test-token"},
    "metafold": {"Authorization": "Bearer test-token"},
    "lettrlabs": {"X-API-KEY": "test-token"},
    "hdrjpg": {"api-key": "test-token"},
}


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    """One simulator per module, 200 jobs per source, clock frozen at START."""
    with SimServer(jobs=200, seed=7, clock=FrozenClock(START)) as server:
        yield server


@pytest.fixture
def client(sim: SimServer) -> Iterator[httpx.Client]:
    """A plain client on the simulator's root URL."""
    with httpx.Client(base_url=sim.url, timeout=10) as c:
        yield c


def get(
    client: httpx.Client, provider: str, path: str, **params: str | int | float | bool | None
) -> httpx.Response:
    """GET `/{provider}{path}` with the provider's own auth header."""
    return client.get(f"/{provider}{path}", params=params, headers=HEADERS[provider])
