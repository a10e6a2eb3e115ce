"""Faults over a real loopback socket: slow drip, hang, reset, 10 MB body, foreign redirect."""

from __future__ import annotations

import time

import pytest

from tests.providers.fault_server import FaultServer
from tui.config import AccountConfig
from tui.errors import BadResponseError, UnavailableError
from tui.models import ProviderName
from tui.providers.client import ApiClient, HttpPolicy
from tui.secret import Secret

TOKEN = "sock-TOKEN-9f8e7d6c5b4a"
pytestmark = pytest.mark.timeout(30)


def client_for(
    url: str, provider: ProviderName = ProviderName.LETTRLABS, **policy: float
) -> ApiClient:
    settings = {
        "attempts": 2,
        "wait_initial": 0.01,
        "wait_max": 0.02,
        "wait_jitter": 0.0,
        "read_timeout": 1.0,
        "deadline": 1.5,
        **policy,
    }
    account = AccountConfig(name="src", provider=provider, base_url=url, token=Secret(TOKEN))
    return ApiClient(account, policy=HttpPolicy(**settings))  # type: ignore[arg-type]


async def test_slow_drip_is_cut_by_the_poll_deadline() -> None:
    async with FaultServer(drip=0.25) as server:
        client = client_for(server.url)
        started = time.monotonic()
        try:
            with pytest.raises(UnavailableError) as caught:
                await client.get_json("slow_drip")
        finally:
            await client.aclose()
    elapsed = time.monotonic() - started
    # each byte arrives well inside the 1 s read timeout; only the deadline stops it
    assert 1.4 <= elapsed < 2.0
    assert str(caught.value) == "LettrLabs did not answer within 1.5 seconds."


async def test_hang_is_cut_by_read_timeout_and_deadline() -> None:
    async with FaultServer() as server:
        client = client_for(server.url, read_timeout=0.3, deadline=3.0)
        started = time.monotonic()
        try:
            with pytest.raises(UnavailableError, match="LettrLabs timed out"):
                await client.get_json("hang")
        finally:
            await client.aclose()
    assert time.monotonic() - started < 1.5
    assert len(server.requests) == 2  # retried once (attempts=2)


async def test_reset_connection_is_retried_then_unavailable() -> None:
    async with FaultServer() as server:
        client = client_for(server.url)
        try:
            with pytest.raises(UnavailableError, match="could not be reached"):
                await client.get_json("reset")
        finally:
            await client.aclose()
    assert len(server.requests) == 2


@pytest.mark.parametrize("route", ["big", "big_declared"])
async def test_ten_megabyte_body_refused(route: str) -> None:
    async with FaultServer() as server:
        client = client_for(server.url, deadline=10.0)
        try:
            with pytest.raises(BadResponseError) as caught:
                await client.get_json(route)
        finally:
            await client.aclose()
    assert str(caught.value) == "LettrLabs sent a response larger than 8 MB, which was refused."


@pytest.mark.parametrize("provider", list(ProviderName))
async def test_cross_origin_redirect_never_carries_the_token(provider: ProviderName) -> None:
    async with FaultServer() as origin, FaultServer(host="127.0.0.1") as foreign:
        foreign_url = foreign.url.replace("127.0.0.1", "localhost") + "/steal"
        client = client_for(origin.url, provider)
        try:
            with pytest.raises(BadResponseError) as caught:
                await client.get_json("redirect", {"to": foreign_url})
        finally:
            await client.aclose()
    assert "redirect" in str(caught.value) and TOKEN not in str(caught.value)
    assert foreign.requests == []
    ((path, headers),) = origin.requests
    assert TOKEN in " ".join(headers.values())  # it did reach its own origin
