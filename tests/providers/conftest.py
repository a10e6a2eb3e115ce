"""Fixtures: one simulator per module over real loopback HTTP, providers built against it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tui.config import AccountConfig, account_config
from tui.models import ProviderName
from tui.providers import build_provider
from tui.providers.base import JobProvider
from tui.providers.client import HttpPolicy
from tui.secret import Secret
from tui.sim.server import SimServer

SIM_TOKEN = "sim-SECRET-token-5e6f7a8b9c"
TEST_POLICY = HttpPolicy(
    attempts=2,
    wait_initial=0.01,
    wait_max=0.05,
    wait_jitter=0.0,
    read_timeout=1.5,
    deadline=2.0,
    max_list_bytes=8 * 1024 * 1024,
)
"""Short waits and deadline so fault tests stay fast; the simulator's `oversized` body
(11 MB) passes the real list cap, so lists get the 8 MB one here too."""


class RecordingTransport(httpx.AsyncBaseTransport):
    """A real HTTP transport that keeps every request it sent (to inspect query strings)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def params(self, path_suffix: str) -> list[dict[str, str]]:
        """The query parameters of each request whose path ends with `path_suffix`."""
        return [dict(r.url.params) for r in self.requests if r.url.path.endswith(path_suffix)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long schema profile runs only when asked for with `-m schema_long`."""
    if "schema_long" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="the long schema profile runs with -m schema_long")
    for item in items:
        if "schema_long" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    server = SimServer(jobs=400, seed=7, token=SIM_TOKEN)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _healed(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sim" in request.fixturenames:
        request.getfixturevalue("sim").clear_faults()


def account_for(sim: SimServer, provider: ProviderName, **overrides: Any) -> AccountConfig:
    settings: dict[str, Any] = {
        "name": f"test-{provider.value}",
        "provider": provider,
        "base_url": sim.base_url(provider.value),
        "token": Secret(SIM_TOKEN),
        **overrides,
    }
    return account_config(**settings)


@pytest.fixture
async def make(sim: SimServer) -> AsyncIterator[Any]:
    """`await make(provider, **account_overrides, transport=..., clock=..., policy=...)`."""
    built: list[JobProvider] = []

    def factory(
        provider: ProviderName,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: HttpPolicy = TEST_POLICY,
        **kwargs: Any,
    ) -> Any:
        build_kwargs: dict[str, Any] = {"transport": transport, "policy": policy}
        if "clock" in kwargs:
            build_kwargs["clock"] = kwargs.pop("clock")
        instance = build_provider(account_for(sim, provider, **kwargs), **build_kwargs)
        built.append(instance)
        return instance

    yield factory
    for instance in built:
        await instance.aclose()
