"""Listings at volume over loopback: Zoo's listing in parts with totals and progress, the
item cap said, Metafold's and LettrLabs' small steady state, and streamed arrays."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.providers.conftest import SIM_TOKEN, RecordingTransport
from tui.clock import FrozenClock
from tui.config import account_config
from tui.errors import BadResponseError
from tui.models import JobKind, JobState, ProviderName
from tui.providers import build_provider
from tui.providers.base import ListQuery
from tui.providers.client import HttpPolicy
from tui.providers.lettrlabs import MAX_REASONS
from tui.providers.listing import StreamError, StreamShapeError, list_all, stream_items
from tui.providers.metafold import ACTIVE_Q
from tui.providers.zoo import INCREMENTAL_FIRST_PAGE
from tui.providers.zoo.async_watch import ACTIVE_STATUSES as ACTIVE_ASYNC_STATUSES
from tui.secret import Secret
from tui.sim.server import SimServer

POLICY = HttpPolicy(attempts=2, wait_initial=0.01, wait_max=0.05, wait_jitter=0.0, deadline=30.0)
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
JOBS = 10_000
"""Conversions over the three simulated datasets: 6,000, 3,000 and 1,000."""


@pytest.fixture(scope="module")
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture(scope="module")
def big_sim(clock: FrozenClock) -> Iterator[SimServer]:
    """A simulator whose clock stands still, so its stats and its pages agree."""
    server = SimServer(jobs=JOBS, seed=3, token=SIM_TOKEN, clock=clock)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def build(
    sim: SimServer,
    provider: ProviderName,
    *,
    policy: HttpPolicy = POLICY,
    transport: Any = None,
    clock: Any = None,
    **overrides: Any,
) -> Any:
    account = account_config(
        name=f"vol-{provider.value}",
        provider=provider,
        base_url=sim.base_url(provider.value),
        token=Secret(SIM_TOKEN),
        **overrides,
    )
    options: dict[str, Any] = {"transport": transport, "policy": policy}
    if clock is not None:
        options["clock"] = clock
    return build_provider(account, **options)


async def test_zoo_loads_every_conversion_in_parts_with_totals_and_progress(
    big_sim: SimServer,
) -> None:
    zoo = build(big_sim, ProviderName.ZOO, async_operations="tracked")
    try:
        first = await zoo.list_jobs(ListQuery())
        # The first part: one page per dataset, at once, with the totals from /stats.
        assert first.resume is not None and not first.complete
        assert len(first.jobs) == 300
        assert first.total == JOBS
        assert first.note == f"loading 300 of {JOBS:,} conversions"
        assert first.counts is not None and sum(first.counts.values()) >= JOBS
        seen = {job.id for job in first.jobs}
        loaded = [first.loaded]
        result = first
        while result.resume is not None:
            result = await zoo.list_jobs(ListQuery(resume=result.resume))
            seen.update(job.id for job in result.jobs)
            loaded.append(result.loaded)
            if result.resume is not None:
                assert result.note is not None and result.note.startswith("loading ")
                assert result.note.endswith(f" of {JOBS:,} conversions")
        assert loaded == sorted(loaded) and len(loaded) > 2
        assert result.complete and not result.capped and result.note is None
        conversions = seen - set(zoo._tracked_config)
        assert len(conversions) == JOBS == result.total
    finally:
        await zoo.aclose()


async def test_zoo_async_list_without_stats_says_loaded_and_more(big_sim: SimServer) -> None:
    zoo = build(big_sim, ProviderName.ZOO, async_operations="list", datasets=[])
    try:
        first = await zoo.list_jobs(ListQuery())
        assert first.resume is not None and first.total is None
        assert first.note == "100 async operations loaded, more…"
        whole = await list_all(zoo, ListQuery())
        assert whole.complete and whole.total == len(whole.jobs) == JOBS
    finally:
        await zoo.aclose()


async def test_zoo_async_steady_state_asks_only_for_what_can_change(
    big_sim: SimServer,
) -> None:
    transport = RecordingTransport()
    clock = FrozenClock(START)
    zoo = build(
        big_sim,
        ProviderName.ZOO,
        transport=transport,
        clock=clock,
        async_operations="list",
        datasets=[],
        full_listing_minutes=10,
    )
    try:
        full = await list_all(zoo, ListQuery())
        assert full.complete and not full.incremental and len(full.jobs) == JOBS
        active = {j.id for j in full.jobs if not j.state.is_terminal}
        assert active and len(active) < len(full.jobs) / 5
        full_pages = len(transport.params("/async/operations"))

        # Between full listings: the lists of what can still change, and the newest page.
        transport.requests.clear()
        clock.advance(60)
        steady = await list_all(zoo, ListQuery(updated_since=START))
        lists = transport.params("/async/operations")
        assert steady.incremental
        by_status = [p["status"] for p in lists if "status" in p]
        assert set(by_status) == set(ACTIVE_ASYNC_STATUSES)
        newest = [p for p in lists if "status" not in p]
        assert newest and newest[0]["limit"] == str(INCREMENTAL_FIRST_PAGE)
        assert len(newest) <= 2  # the world stood still: nothing new past the newest known
        assert len(lists) < full_pages / 5
        assert active <= {j.id for j in steady.jobs}
        assert not [r for r in transport.requests if "/async/operations/" in r.url.path]

        # An operation that was active and left the active lists ended: fetched alone.
        ended = min(
            (j for j in full.jobs if j.state.is_terminal and j.created_at is not None),
            key=lambda j: j.created_at or START,
        )
        zoo._async_watch.active.add(ended.id)
        transport.requests.clear()
        again = await list_all(zoo, ListQuery(updated_since=START))
        singles = [r.url.path for r in transport.requests if "/async/operations/" in r.url.path]
        assert singles == [f"/zoo/async/operations/{ended.id}"]
        assert ended.id in {j.id for j in again.jobs}
        assert ended.id not in zoo._async_watch.active

        # Past full_listing_minutes: the whole list again, once.
        transport.requests.clear()
        clock.advance(10 * 60)
        whole = await list_all(zoo, ListQuery(updated_since=START))
        assert not whole.incremental and len(whole.jobs) == JOBS
        assert all("status" not in p for p in transport.params("/async/operations"))
    finally:
        await zoo.aclose()


async def test_zoo_item_cap_is_said_not_silent(big_sim: SimServer) -> None:
    zoo = build(
        big_sim,
        ProviderName.ZOO,
        async_operations="tracked",
        policy=dataclasses.replace(POLICY, max_items=1_500),
    )
    try:
        result = await list_all(zoo, ListQuery())
        assert result.capped and not result.complete and result.resume is None
        assert len([j for j in result.jobs if j.kind is JobKind.DATASET_CONVERSION]) == 1_500
        assert result.note == f"incomplete: first 1,500 of {JOBS:,} jobs (the per-refresh cap)"
    finally:
        await zoo.aclose()


async def test_metafold_steady_state_asks_only_for_what_can_change(big_sim: SimServer) -> None:
    transport = RecordingTransport()
    clock = FrozenClock(START)
    metafold = build(
        big_sim, ProviderName.METAFOLD, transport=transport, clock=clock, full_listing_minutes=10
    )
    try:
        full = await metafold.list_jobs(ListQuery())
        lists = transport.params("/jobs")
        assert lists and all("q" not in p for p in lists)
        assert not full.incremental
        active = {j.id: j for j in full.jobs if not j.state.is_terminal}
        assert active and len(active) < len(full.jobs)

        transport.requests.clear()
        clock.advance(60)
        steady = await metafold.list_jobs(ListQuery())
        lists = transport.params("/jobs")
        assert lists and all(p.get("q") == ACTIVE_Q for p in lists)
        assert steady.incremental
        assert {j.id for j in steady.jobs} == set(active)  # the world's clock stood still
        assert all(not j.state.is_terminal for j in steady.jobs)
        singles = [r for r in transport.requests if "/jobs/" in r.url.path]
        assert not singles  # none left the active list, so none was fetched alone

        # A job that was active and left the active list is fetched alone.
        gone = next(iter(active))
        metafold._active[gone + "0"] = metafold._active[gone]
        transport.requests.clear()
        await metafold.list_jobs(ListQuery())
        paths = [r.url.path for r in transport.requests if "/jobs/" in r.url.path]
        assert paths == [f"/metafold/projects/{metafold._active[gone]}/jobs/{gone}0"]

        # Past full_listing_minutes: the whole account again, once.
        transport.requests.clear()
        clock.advance(10 * 60)
        again = await metafold.list_jobs(ListQuery())
        assert not again.incremental
        assert all("q" not in p for p in transport.params("/jobs"))
        assert len(again.jobs) == len(full.jobs)
    finally:
        await metafold.aclose()


async def test_metafold_filtered_refresh_is_a_full_listing(big_sim: SimServer) -> None:
    transport = RecordingTransport()
    metafold = build(big_sim, ProviderName.METAFOLD, transport=transport)
    try:
        await metafold.list_jobs(ListQuery())
        transport.requests.clear()
        result = await metafold.list_jobs(ListQuery(states=frozenset({JobState.FAILED})))
        assert not result.incremental
        assert all(p.get("q") == "state:failure" for p in transport.params("/jobs"))
    finally:
        await metafold.aclose()


async def test_lettrlabs_steady_state_polls_active_ids_and_looks_for_new_ones(
    big_sim: SimServer,
) -> None:
    transport = RecordingTransport()
    clock = FrozenClock(START)
    lettr = build(big_sim, ProviderName.LETTRLABS, transport=transport, clock=clock)
    try:
        full = await lettr.list_jobs(ListQuery())
        assert len(full.jobs) == JOBS and not full.incremental
        active = {j.id for j in full.jobs if not j.state.is_terminal}
        newest = max(int(j.id) for j in full.jobs)
        transport.requests.clear()
        clock.advance(30)
        steady = await lettr.list_jobs(ListQuery())
        paths = [r.url.path for r in transport.requests]
        assert "/lettrlabs/v1/conversions" not in paths
        expected = [f"/lettrlabs/v1/conversions/{i}/status" for i in active] + [
            f"/lettrlabs/v1/conversions/{newest + 1}/status"
        ]
        # Beside them, the next few failed conversions are asked for their reason (the
        # list carries none): at most MAX_REASONS a refresh, each a failed job of the list.
        extra = list(paths)
        for wanted in expected:
            extra.remove(wanted)
        failed = {j.id for j in full.jobs if j.state == JobState.FAILED}
        assert len(extra) <= MAX_REASONS
        asked = {p.split("/")[-2] for p in extra}
        assert asked <= failed and all(p.endswith("/status") for p in extra)
        assert steady.incremental and {j.id for j in steady.jobs} == active | asked
    finally:
        await lettr.aclose()


# --- streamed arrays ----------------------------------------------------------------------


def _parse(item: dict[str, Any]) -> str | None:
    return item.get("id") if isinstance(item.get("id"), str) else None


def test_stream_items_reads_a_bare_array_and_counts_past_the_cap() -> None:
    body = json.dumps([{"id": str(i)} for i in range(10)] + [7, {"no": 1}]).encode()
    streamed = stream_items(body, _parse, max_items=4)
    assert streamed.items == ["0", "1", "2", "3"]
    assert streamed.seen == 12 and streamed.capped
    whole = stream_items(body, _parse, max_items=100)
    assert whole.items == [str(i) for i in range(10)] and whole.malformed == 2
    assert not whole.capped


def test_stream_items_reads_the_array_inside_an_envelope() -> None:
    body = json.dumps(
        {
            "profile": {"id": 1},
            "payload": [{"id": "a"}, {"id": "b"}],
            "errors": [],
            "hasErrors": False,
        }
    ).encode()
    streamed = stream_items(body, _parse, key="payload", max_items=10)
    assert streamed.found and streamed.items == ["a", "b"]
    assert streamed.rest == {"profile": {"id": 1}, "errors": [], "hasErrors": False}
    missing = stream_items(
        b'{"payload": null, "hasErrors": true}', _parse, key="payload", max_items=10
    )
    assert not missing.found and missing.rest["payload"] is None


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'[{"id": "a"}, ', StreamError),
        (b'[{"id": "a"}] x', StreamError),
        (b"<html>", StreamError),
        (b'{"id": "a"}', StreamShapeError),
        (b'[{"id": "a"} {"id": "b"}]', StreamError),
    ],
)
def test_stream_items_refuses_what_is_not_an_array(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        stream_items(body, _parse, max_items=10)


# --- large bodies: their own cap, decoded off the UI loop ---------------------------------


async def test_a_list_over_8_mb_is_read_under_its_own_cap_off_the_loop(
    big_sim: SimServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LettrLabs' list padded past 11 MB (the `oversized` fault) is read whole, under the
    list cap, and decoded in a worker thread; the 8 MB body cap still refuses it."""
    import tui.providers.lettrlabs.client as lettrlabs_module
    import tui.providers.listing as listing_module

    threads: list[int] = []
    real = listing_module.stream_items

    def spy(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(lettrlabs_module, "stream_items", spy)
    big_sim.set_fault("lettrlabs", "oversized")
    lettr = build(big_sim, ProviderName.LETTRLABS)
    small = build(
        big_sim,
        ProviderName.LETTRLABS,
        policy=dataclasses.replace(POLICY, max_list_bytes=8 * 1024 * 1024),
    )
    try:
        result = await lettr.list_jobs(ListQuery())
        with pytest.raises(BadResponseError, match="larger than 8 MB"):
            await small.list_jobs(ListQuery())
    finally:
        big_sim.clear_faults()
        await lettr.aclose()
        await small.aclose()
    assert len(result.jobs) == JOBS and result.complete
    assert threads and threads[0] != threading.get_ident()
