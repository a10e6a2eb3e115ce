"""The detail screen on the real providers over loopback HTTP to the simulator."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from textual.widgets import OptionList

from tests.detail.conftest import DetailApp, wait_for_detail
from tui.clock import FrozenClock
from tui.config import AccountConfig
from tui.models import Job, JobKind, JobState, ProviderName
from tui.providers import build_provider
from tui.providers.base import JobProvider
from tui.providers.hdrjpg.details import HdrjpgDetail
from tui.providers.metafold.details import MetafoldDetail
from tui.providers.zoo.details import ZooAsyncDetail
from tui.providers.zoo.options import ZooOptions
from tui.screens.job_detail import JobDetailScreen
from tui.secret import Secret
from tui.sim.server import SimServer
from tui.widgets.detail_common import Fields

START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with SimServer(jobs=40, seed=1, clock=FrozenClock(START)) as server:
        yield server


@pytest.fixture
async def provider_for(sim: SimServer) -> AsyncIterator[Any]:
    made: list[JobProvider] = []

    def make(provider: ProviderName) -> JobProvider:
        account = AccountConfig(
            name=f"sim-{provider.value}",
            provider=provider,
            base_url=sim.base_url(provider.value),
            token=Secret("sim-token"),
            options=ZooOptions(async_operations="tracked"),
        )
        client = build_provider(account, clock=FrozenClock(START))
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


def placeholder(provider: ProviderName, kind: JobKind, job_id: str, parent: str | None) -> Job:
    """The job as the list would hand it over before any detail was fetched."""
    return Job(
        account=f"sim-{provider.value}",
        provider=provider,
        kind=kind,
        id=job_id,
        name=job_id,
        status="",
        state=JobState.UNKNOWN,
        parent_id=parent,
    )


async def test_metafold_seed_job_needs_navigation_over_http(provider_for: Any) -> None:
    provider = provider_for(ProviderName.METAFOLD)
    job = placeholder(ProviderName.METAFOLD, JobKind.JOB, "123", "123")
    app = DetailApp(job, provider, FrozenClock(START))
    async with app.run_test(size=(120, 60), notifications=True, tooltips=True) as pilot:
        first = await wait_for_detail(pilot)
        assert isinstance(first.detail, MetafoldDetail)
        inputs = first.query_one("#metafold-inputs", Fields).plain
        outputs = first.query_one("#metafold-outputs", Fields).plain
        assert "part.stl" in inputs
        assert "18ac5faec0625a35.bin" in outputs
        assert '"size": [2.0, 2.0, 2.0]' in outputs and '"max": [1.0, 1.0, 1.0]' in outputs
        needs = first.query_one("#metafold-needs", OptionList)
        assert [needs.get_option_at_index(i).id for i in range(needs.option_count)] == ["1", "2"]
        needs.focus()
        await pilot.press("enter")
        upstream = await wait_for_detail(pilot)
        assert upstream is not first and upstream.job.id == "1"
        assert isinstance(upstream.detail, MetafoldDetail)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is first


async def test_hdrjpg_seed_conversion_over_http(provider_for: Any) -> None:
    provider = provider_for(ProviderName.HDRJPG)
    uuid = "88667411-3fb9-4c92-8488-8e277aed3021"
    app = DetailApp(
        placeholder(ProviderName.HDRJPG, JobKind.CONVERSION, uuid, None),
        provider,
        FrozenClock(START),
    )
    async with app.run_test(size=(120, 60), notifications=True, tooltips=True) as pilot:
        screen = await wait_for_detail(pilot)
        assert isinstance(screen.detail, HdrjpgDetail)
        variant = screen.query_one("#hdrjpg-variant", Fields).plain
        assert "test_1200q80.jpg" in variant and "jpeg-xt" in variant
        assert "1600" in variant and "1200" in variant
        assert screen.poll_interval >= 2.0


async def test_zoo_async_seed_operation_over_http(provider_for: Any) -> None:
    provider = provider_for(ProviderName.ZOO)
    op = "0ca1531a-ac9b-4e55-bff6-2ec246d5cc1d"
    app = DetailApp(
        placeholder(ProviderName.ZOO, JobKind.ASYNC_OPERATION, op, None),
        provider,
        FrozenClock(START),
    )
    async with app.run_test(size=(120, 60), notifications=True, tooltips=True) as pilot:
        screen = await wait_for_detail(pilot)
        assert isinstance(screen.detail, ZooAsyncDetail)
        summary = screen.query_one("#zoo-async-summary", Fields).plain
        assert "file_center_of_mass" in summary and "WPVfuf6GvdhG6a7oMb" in summary
        await app.workers.wait_for_complete()
        assert not screen.is_polling  # failed: the job has ended
        assert isinstance(app.screen, JobDetailScreen)


async def _lettrlabs_failure(provider: JobProvider) -> Job:
    """A failed conversion as the list hands it to the detail screen."""
    from tui.providers.base import ListQuery

    listed = await provider.list_jobs(ListQuery())
    return next(job for job in listed.jobs if job.state is JobState.FAILED and job.error)


async def test_the_detail_paints_the_row_at_once_while_the_provider_is_slow(
    sim: SimServer, provider_for: Any
) -> None:
    """With the status call held by the simulator, the screen already shows the row's
    name, state and reason; the fetch only adds to them."""
    provider = provider_for(ProviderName.LETTRLABS)
    row = await _lettrlabs_failure(provider)
    sim.set_fault("lettrlabs", "latency", seconds=8)
    try:
        app = DetailApp(row, provider, FrozenClock(START))
        async with app.run_test(size=(120, 40), notifications=True, tooltips=True) as pilot:
            for _ in range(3):
                await pilot.pause()
            screen = app.screen
            assert isinstance(screen, JobDetailScreen)
            assert screen.fetches == 1 and screen.detail is None and screen.error is None
            summary = screen.query_one("#job-summary", Fields).plain
            assert row.name in summary and "failed" in summary and row.error in summary  # type: ignore[operator]
            assert "loading" in str(screen.query_one("#detail-loading").render())
    finally:
        sim.clear_faults()


async def test_with_the_provider_down_the_stored_job_shows_marked_stale(
    sim: SimServer, provider_for: Any
) -> None:
    """A failing status call before any detail: the job as the store last saw it, with a
    visible stale mark and when it was seen, instead of an empty screen."""
    from tui.providers.client import HttpPolicy
    from tui.store import JobStore

    stored = await _lettrlabs_failure(provider_for(ProviderName.LETTRLABS))
    seen = datetime(2026, 9, 1, 11, 40, tzinfo=UTC)
    store = JobStore(":memory:", clock=FrozenClock(seen))
    store.save_jobs(stored.account, [stored])
    account = AccountConfig(
        name=stored.account,
        provider=ProviderName.LETTRLABS,
        base_url=sim.base_url("lettrlabs"),
        token=Secret("sim-token"),
    )
    provider = build_provider(
        account,
        clock=FrozenClock(START),
        policy=HttpPolicy(attempts=1, wait_initial=0.05, wait_max=0.1, deadline=10),
    )
    # The row as the list knew it before any refresh: the id only.
    row = dataclasses.replace(
        placeholder(ProviderName.LETTRLABS, JobKind.CONVERSION, stored.id, None),
        account=stored.account,
    )
    sim.set_fault("lettrlabs", "http_503")
    try:
        app = DetailApp(
            row,
            provider,
            FrozenClock(START),
            stored=lambda: store.load_job(stored.account, stored.id),
        )
        async with app.run_test(size=(120, 40), notifications=True, tooltips=True) as pilot:
            screen = await wait_for_detail(pilot)
            assert screen.detail is None and screen.error and "503" in screen.error
            for _ in range(100):
                if "stored" in str(screen.query_one("#detail-loading").render()):
                    break
                await pilot.pause()
            mark = screen.query_one("#detail-loading")
            assert str(mark.render()).startswith("◔ stale") and mark.has_class("-stale")
            assert "last seen 2026-09-01 11:40" in str(mark.render())
            summary = screen.query_one("#job-summary", Fields).plain
            assert stored.name in summary and "failed" in summary and stored.error in summary  # type: ignore[operator]
            assert screen.stale and screen.job == stored
            assert "✖" in str(screen.query_one("#detail-status").render())
    finally:
        sim.clear_faults()
        await provider.aclose()
        store.close()
