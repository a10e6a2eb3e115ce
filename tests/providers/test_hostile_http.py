"""A hostile server against the HTTP layer, over loopback, through the real providers and CLI.

Decompression bombs (memory measured in a child process), a token echoed across the cut of
an error message or spaced out, a 60,000-character reason phrase, 503 with `Retry-After`,
and ids made of dots.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from tests.cli.conftest import run_jobtop
from tests.conftest import REPO
from tests.providers.conftest import TEST_POLICY
from tests.providers.fault_server import FaultServer
from tui.config import AccountConfig
from tui.errors import AuthError, NotFoundError, ProviderError, UnavailableError
from tui.models import ProviderName
from tui.providers import build_provider
from tui.providers.base import ListQuery
from tui.secret import Secret
from tui.sim.server import SimServer

pytestmark = pytest.mark.timeout(120)

TOKEN = "zq7-Hx2Kp9-Wv4Lm8Tr3Nb6"
ENV = {"HOSTILE_TOKEN": TOKEN}


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with SimServer(jobs=30, seed=5) as server:
        yield server


def provider_for(server: FaultServer, provider: ProviderName, **policy: Any) -> Any:
    """The real provider class, its base URL on the hostile server (same path as the sim's)."""
    account = AccountConfig(
        name="src",
        provider=provider,
        base_url=f"{server.url}/{provider.value}",
        token=Secret(TOKEN),
    )
    return build_provider(account, policy=dataclasses.replace(TEST_POLICY, **policy))


def config_for(tmp_path: Path, server: FaultServer, provider: ProviderName) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[[account]]\nname = "src"\nprovider = "{provider.value}"\n'
        f'base_url = "{server.url}/{provider.value}"\ntoken_env = "HOSTILE_TOKEN"\n'
    )
    return path


async def jobtop(*args: str, config: Path, timeout: float = 60) -> tuple[int, str, str]:
    """`run_jobtop` off the event loop, so the hostile server in this loop keeps serving."""
    result = await asyncio.to_thread(run_jobtop, *args, config=config, timeout=timeout, env=ENV)
    return result.returncode, result.stdout, result.stderr


def token_pieces(text: str) -> list[str]:
    """Every five-character piece of the token found in `text`, whitespace taken out."""
    flat = re.sub(r"[\s⏎]", "", text)
    return [TOKEN[i : i + 5] for i in range(len(TOKEN) - 4) if TOKEN[i : i + 5] in flat]


# --- decompression bombs ----------------------------------------------------------------

MEMORY_PROBE = """
import asyncio, json, sys
from tui.config import AccountConfig
from tui.errors import ProviderError
from tui.models import ProviderName
from tui.providers import HttpPolicy, build_provider
from tui.providers.base import ListQuery
from tui.secret import Secret

def peak_kb():
    with open("/proc/self/status") as status:
        return int(next(l for l in status if l.startswith("VmHWM:")).split()[1])

async def main():
    account = AccountConfig(name="src", provider=ProviderName.LETTRLABS,
                            base_url=sys.argv[1], token=Secret("probe-token-1234"))
    # The list's own cap (sized to 100,000 conversions) set to the body cap: the bomb
    # must be refused as it inflates, at whichever cap applies.
    provider = build_provider(account, policy=HttpPolicy(max_list_bytes=8 * 1024 * 1024))
    before = peak_kb()
    error = None
    try:
        await provider.list_jobs(ListQuery())
    except ProviderError as exc:
        error = str(exc)
    except MemoryError:
        error = "MemoryError"
    finally:
        await provider.aclose()
    print(json.dumps({"before": before, "after": peak_kb(), "error": error}))

asyncio.run(main())
"""


@pytest.mark.parametrize(
    ("route", "says"),
    [
        (
            "bomb_stacked",
            "LettrLabs sent a response compressed more than once (gzip, gzip), which was refused.",
        ),
        ("bomb", "LettrLabs sent a response larger than 8 MB, which was refused."),
        ("bomb_deflate", "LettrLabs sent a response larger than 8 MB, which was refused."),
    ],
)
async def test_decompression_bomb_is_refused_while_inflating(route: str, says: str) -> None:
    async with FaultServer(fault=route) as server:
        probe = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            MEMORY_PROBE,
            f"{server.url}/lettrlabs",
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(probe.communicate(), 90)
    assert probe.returncode == 0, err.decode()
    report = json.loads(out)
    assert report["error"] == says
    grown_mb = (report["after"] - report["before"]) / 1024
    assert grown_mb < 50, f"peak RSS grew by {grown_mb:.0f} MB"


async def test_cli_list_refuses_a_stacked_bomb_in_one_sentence(tmp_path: Path) -> None:
    async with FaultServer(fault="bomb_stacked") as server:
        code, out, err = await jobtop("list", config=config_for(tmp_path, server, ProviderName.ZOO))
    assert code != 0 and len(out.splitlines()) <= 1  # at most the table's header
    assert "compressed more than once (gzip, gzip), which was refused." in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


# --- secrets in error messages ----------------------------------------------------------


@pytest.mark.parametrize("route", ["straddle", "spaced"])
async def test_echoed_token_never_leaks_a_piece(route: str) -> None:
    async with FaultServer(fault=route) as server:
        lettr = provider_for(server, ProviderName.LETTRLABS)
        try:
            with pytest.raises(AuthError) as caught:
                await lettr.list_jobs(ListQuery())
        finally:
            await lettr.aclose()
    message = str(caught.value)
    assert "***" in message
    assert not token_pieces(message + caught.value.sentence)
    if route == "straddle":  # scrubbed before the cut, which falls after the mark
        assert "x*** was r" in message


@pytest.mark.parametrize("route", ["straddle", "spaced", "reason"])
async def test_cli_error_shows_no_piece_of_the_token(tmp_path: Path, route: str) -> None:
    async with FaultServer(fault=route) as server:
        config = config_for(tmp_path, server, ProviderName.LETTRLABS)
        code, out, err = await jobtop("show", "src", "123", config=config)
    assert code != 0 and out == ""
    assert len(server.requests) == 1
    assert len(err.strip().splitlines()) == 1 and len(err) < 600, f"{len(err)} characters"
    assert not token_pieces(err)


async def test_huge_reason_phrase_is_capped() -> None:
    async with FaultServer(fault="reason") as server:
        lettr = provider_for(server, ProviderName.LETTRLABS)
        try:
            with pytest.raises(ProviderError) as caught:
                await lettr.list_jobs(ListQuery())
        finally:
            await lettr.aclose()
    message = str(caught.value)
    assert message.startswith("LettrLabs refused the request (HTTP 499 Gone Fishing")
    assert len(message) < 200, f"{len(message)} characters"
    assert not token_pieces(message)


# --- Retry-After on every retried status ------------------------------------------------


@pytest.mark.parametrize("provider", [ProviderName.ZOO, ProviderName.HDRJPG])
async def test_retry_after_on_503_is_honoured(sim: SimServer, provider: ProviderName) -> None:
    job_id = sim.tracked_ids()[provider.value][0]
    async with FaultServer(fault="unavailable", times=1, upstream=sim.url) as server:
        source = provider_for(server, provider, deadline=5.0)
        try:
            detail = await source.get_job(job_id)
        finally:
            await source.aclose()
    assert detail.job.id == job_id
    first, second = server.arrivals[:2]
    assert second - first >= 1.0, "retried before the 1 s the server asked for"


async def test_a_503_error_carries_its_retry_after() -> None:
    async with FaultServer(fault="unavailable") as server:
        hdr = provider_for(server, ProviderName.HDRJPG, deadline=0.8)
        try:
            with pytest.raises(UnavailableError) as caught:
                await hdr.get_job("6d1f6f5e-51a4-4c52-9d7e-3c1b6e0c9a11")
        finally:
            await hdr.aclose()
    assert caught.value.retry_after == 1
    assert len(server.requests) == 1  # the wait asked for outlasts the deadline: no retry
    assert str(caught.value) == (
        "hdrjpg failed on its side (HTTP 503 Service Unavailable); it asks to wait 1 s: overloaded."
    )


async def test_cli_show_waits_out_a_503_retry_after(tmp_path: Path, sim: SimServer) -> None:
    job_id = sim.tracked_ids()["zoo"][0]
    async with FaultServer(fault="unavailable", times=1, upstream=sim.url, retry_after=2) as server:
        code, out, err = await jobtop(
            "show", "src", job_id, "--json", config=config_for(tmp_path, server, ProviderName.ZOO)
        )
    assert code == 0, err
    assert json.loads(out)["id"] == job_id
    assert server.arrivals[1] - server.arrivals[0] >= 2.0


# --- ids made of dots -------------------------------------------------------------------


@pytest.mark.parametrize("job_id", ["..", ".", "...", "a/../b"])
@pytest.mark.parametrize("provider", [ProviderName.ZOO, ProviderName.METAFOLD])
async def test_dot_ids_reach_the_server_as_one_segment(
    sim: SimServer, provider: ProviderName, job_id: str
) -> None:
    async with FaultServer(upstream=sim.url) as server:
        source = provider_for(server, provider)
        try:
            with pytest.raises(NotFoundError):
                await source.get_job(job_id, "201" if provider == ProviderName.METAFOLD else None)
        finally:
            await source.aclose()
    targets = [target for target, _ in server.requests]
    asked = [t for t in targets if job_id in map(unquote, t.split("/"))]
    assert asked, f"the id never reached the server as one segment: {targets}"
    for target in targets:  # nothing else was asked for: no list, no parent
        assert target in asked or target.endswith(("/projects", "/projects?")), target


async def test_cli_show_of_dot_dot_asks_for_that_job(tmp_path: Path, sim: SimServer) -> None:
    async with FaultServer(upstream=sim.url) as server:
        config = config_for(tmp_path, server, ProviderName.ZOO)
        code, out, err = await jobtop("show", "src", "..", config=config)
    assert code != 0 and out == ""
    assert [target for target, _ in server.requests] == ["/zoo/async/operations/%2E%2E"]
    assert os.linesep not in err.strip()
