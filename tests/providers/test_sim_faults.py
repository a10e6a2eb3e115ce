"""Every simulator fault, for every provider, mapped to the right outcome and sentence."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from typing import Any

import httpx
import pytest

from tests.providers.conftest import SIM_TOKEN, TEST_POLICY, RecordingTransport
from tui.errors import (
    AuthError,
    BadResponseError,
    NotFoundError,
    ProviderError,
    RateLimitedError,
    UnavailableError,
)
from tui.models import JobState, ProviderName
from tui.providers.base import ListQuery
from tui.providers.listing import list_all
from tui.sanitize import is_clean
from tui.sim.server import SimServer

pytestmark = pytest.mark.timeout(120)

TITLES = {
    ProviderName.ZOO: "Zoo",
    ProviderName.METAFOLD: "Metafold",
    ProviderName.LETTRLABS: "LettrLabs",
    ProviderName.HDRJPG: "hdrjpg",
}

ERROR_FAULTS: list[tuple[str, dict[str, Any], type[ProviderError], str]] = [
    ("http_401", {}, AuthError, "{t} refused the token (HTTP 401 Unauthorized)"),
    ("http_403", {}, AuthError, "{t} says the token lacks permission (HTTP 403 Forbidden)"),
    ("http_404", {}, NotFoundError, "{t} has no such resource (HTTP 404 Not Found)"),
    (
        "http_429",
        {"retry_after": 30},
        RateLimitedError,
        "{t} is rate limiting requests (HTTP 429 Too Many Requests); it asks to wait 30 s",
    ),
    ("http_500", {}, UnavailableError, "{t} failed on its side (HTTP 500 Internal Server Error)"),
    ("http_503", {}, UnavailableError, "{t} failed on its side (HTTP 503 Service Unavailable)"),
    (
        "html",
        {},
        UnavailableError,
        "{t} failed on its side (HTTP 502 Bad Gateway): the answer was an HTML page, not JSON.",
    ),
    ("truncated_json", {}, BadResponseError, "{t} sent a response that is not valid JSON."),
    ("malformed_json", {}, BadResponseError, "{t} sent a response that is not valid JSON."),
    ("wrong_types", {}, BadResponseError, "{t} sent a response of an unexpected shape"),
    ("oversized", {}, BadResponseError, "{t} sent a response larger than 8 MB, which was refused."),
    ("reset", {}, UnavailableError, "{t} could not be reached"),
    ("hang", {}, UnavailableError, "{t} did not answer within 2 seconds."),
]
SINGLE_IDS = {
    ProviderName.ZOO: ("0ca1531a-ac9b-4e55-bff6-2ec246d5cc1d", None),
    ProviderName.METAFOLD: ("123", "123"),
    ProviderName.LETTRLABS: ("0", None),
    ProviderName.HDRJPG: ("88667411-3fb9-4c92-8488-8e277aed3021", None),
}


def tracked(sim: SimServer, provider: ProviderName) -> list[str]:
    return sim.tracked_ids().get(provider.value, [])[:3]


@pytest.mark.parametrize("provider", list(ProviderName))
@pytest.mark.parametrize(
    ("fault", "params", "error", "sentence"), ERROR_FAULTS, ids=[f[0] for f in ERROR_FAULTS]
)
async def test_fault_maps_to_error(
    sim: SimServer,
    make: Any,
    caplog: pytest.LogCaptureFixture,
    provider: ProviderName,
    fault: str,
    params: dict[str, Any],
    error: type[ProviderError],
    sentence: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    sim.set_fault(provider.value, fault, **params)
    source = make(provider)
    expected = sentence.format(t=TITLES[provider])
    job_id, parent = SINGLE_IDS[provider]
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        await source.get_job(job_id, parent)
    raised: list[ProviderError] = [caught.value]
    assert time.monotonic() - started < 3.0
    if provider is ProviderName.HDRJPG and error is NotFoundError:
        # a 404 on a tracked uuid is that job's problem, not the source's
        result = await source.list_jobs(ListQuery(tracked_ids=tracked(sim, provider)))
        assert result.jobs == [] and set(result.tracked_errors) == set(tracked(sim, provider))
        raised.extend(result.tracked_errors.values())
    else:
        with pytest.raises(ProviderError) as listed:
            await source.list_jobs(ListQuery(tracked_ids=tracked(sim, provider)))
        raised.append(listed.value)
    for exc in raised:
        assert type(exc) is error, (exc, type(exc))
        message = str(exc)
        assert message.startswith(expected) or (
            provider is ProviderName.ZOO
            and fault in ("http_403", "http_404")
            and message.startswith("Zoo does not let this token list async operations")
        ), message
        assert message.endswith(".") and "\n" not in message and is_clean(message)
        assert exc.account == f"test-{provider.value}"
        assert SIM_TOKEN not in message + repr(exc) + exc.sentence + str(exc.__cause__)
        if isinstance(exc, RateLimitedError):
            assert exc.retry_after == 30
    assert SIM_TOKEN not in caplog.text


@pytest.mark.parametrize("provider", list(ProviderName))
async def test_body_faults_that_still_parse(
    sim: SimServer, make: Any, provider: ProviderName
) -> None:
    # a fresh source per fault: hdrjpg would answer a repeat within 2 s from its cache
    source = make(provider)
    sim.set_fault(provider.value, "unknown_enums")
    result = await source.list_jobs(ListQuery(tracked_ids=tracked(sim, provider)))
    assert result.jobs and all(j.state is JobState.UNKNOWN for j in result.jobs)
    sim.clear_faults()
    sim.set_fault(provider.value, "hostile_strings")
    source = make(provider)
    result = await source.list_jobs(ListQuery(tracked_ids=tracked(sim, provider)))
    assert result.jobs
    for job in result.jobs:
        for value in (job.name, job.status, job.error or ""):
            assert is_clean(value) and len(value) <= 10_000
    job = result.jobs[0]
    detail = await source.get_job(job.id, job.parent_id)
    assert is_clean(detail.job.name)
    sim.clear_faults()
    sim.set_fault(provider.value, "latency", seconds=0.3)
    # a list and its tracked ids take several 0.3 s round trips: room for a loaded machine
    source = make(provider, policy=dataclasses.replace(TEST_POLICY, deadline=10.0))
    started = time.monotonic()
    assert (await source.list_jobs(ListQuery(tracked_ids=tracked(sim, provider)))).jobs
    assert time.monotonic() - started >= 0.3


class _TokenBlindTransport(RecordingTransport):
    """Sends cursor pages without the cycling token (the sim cannot decode "A" or "B")."""

    def __init__(self) -> None:
        super().__init__()
        self.cycled: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("page_token")
        if token in ("A", "B"):
            self.cycled.append(token)
            request.url = request.url.copy_remove_param("page_token")
        return await super().handle_async_request(request)


async def test_repeating_page_token_stopped(sim: SimServer, make: Any) -> None:
    sim.set_fault("zoo", "repeating_token")
    transport = _TokenBlindTransport()
    zoo = make(ProviderName.ZOO, transport=transport)
    result = await list_all(zoo, ListQuery())
    assert not result.complete
    assert len({j.id for j in result.jobs}) == len(result.jobs)
    assert transport.cycled and set(transport.cycled) == {"A"}
    # each list stops at its second page: the token came back the same
    lists = [r for r in transport.requests if r.url.path.endswith(("/conversions", "/operations"))]
    datasets = {r.url.path for r in lists}
    assert len(lists) == 2 * len(datasets)


async def test_retry_after_honoured_over_http(sim: SimServer, make: Any) -> None:
    lettr = make(ProviderName.LETTRLABS)
    sim.set_fault("lettrlabs", "http_429", retry_after=1)
    # Healed well before the 1 s wait ends, and late enough that the first request (sent
    # at once, on a loaded machine too) still meets the fault.
    heal = threading.Timer(0.6, sim.clear_faults)
    heal.start()
    started = time.monotonic()
    try:
        result = await lettr.list_jobs(ListQuery())
    finally:
        heal.cancel()
    elapsed = time.monotonic() - started
    assert result.jobs
    assert elapsed >= 1.0, (
        elapsed,
        result.requests,
        len(result.jobs),
    )  # waited what Retry-After asked
    # the list twice (429, then the answer), then one status per failure's reason
    assert result.requests == 2 + sum(1 for job in result.jobs if job.error)


async def test_fault_recovery_after_clear(sim: SimServer, make: Any) -> None:
    metafold = make(ProviderName.METAFOLD)
    sim.set_fault("metafold", "http_503")
    with pytest.raises(UnavailableError):
        await metafold.list_jobs(ListQuery())
    sim.clear_faults("metafold")
    assert (await metafold.list_jobs(ListQuery())).jobs


async def test_one_failing_source_does_not_stop_the_others(sim: SimServer, make: Any) -> None:
    sim.set_fault("zoo", "hang")
    sources = {p: make(p) for p in ProviderName}
    started = time.monotonic()
    outcomes = await asyncio.gather(
        *(s.list_jobs(ListQuery(tracked_ids=tracked(sim, p))) for p, s in sources.items()),
        return_exceptions=True,
    )
    by_provider = dict(zip(sources, outcomes, strict=True))
    assert isinstance(by_provider[ProviderName.ZOO], UnavailableError)
    for provider in (ProviderName.METAFOLD, ProviderName.LETTRLABS, ProviderName.HDRJPG):
        assert not isinstance(by_provider[provider], BaseException)
    assert time.monotonic() - started < 3.0


async def test_tracked_ids_polled_concurrently_with_a_bound(sim: SimServer, make: Any) -> None:
    ids = sim.tracked_ids()["hdrjpg"]
    assert len(ids) > 16
    sim.set_fault("hdrjpg", "latency", seconds=0.3)
    hdrjpg = make(ProviderName.HDRJPG)
    started = time.monotonic()
    result = await hdrjpg.list_jobs(ListQuery(tracked_ids=ids))
    assert (
        len(result.jobs) == len(ids) and time.monotonic() - started < 1.2
    )  # one round, not n x 0.3 s
    hdrjpg = make(ProviderName.HDRJPG, policy=dataclasses.replace(TEST_POLICY, concurrency=8))
    started = time.monotonic()
    result = await hdrjpg.list_jobs(ListQuery(tracked_ids=ids[:17]))
    assert len(result.jobs) == 17 and time.monotonic() - started >= 0.9  # at most 8 at once
