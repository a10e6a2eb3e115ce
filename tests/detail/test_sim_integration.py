"""The detail screen on the real providers over loopback HTTP to the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from textual.widgets import OptionList

from tests.detail.conftest import DetailApp, wait_for_detail
from tui.clock import FrozenClock
from tui.config import AccountConfig
from tui.details import HdrjpgDetail, MetafoldDetail, ZooAsyncDetail
from tui.models import Job, JobKind, JobState, ProviderName
from tui.providers import build_provider
from tui.providers.base import JobProvider
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
            async_operations="tracked",
        )
        client = build_provider(account, clock=FrozenClock(START))
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


def placeholder(provider: ProviderName, kind: JobKind, job_id: str, parent: str | None) -> Job:
    """The job as the list would hand it over before any detail was fetched."""
    return Job(account=f"sim-{provider.value}", provider=provider, kind=kind, id=job_id,
               name=job_id, status="", state=JobState.UNKNOWN, parent_id=parent)


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
    app = DetailApp(placeholder(ProviderName.HDRJPG, JobKind.CONVERSION, uuid, None), provider,
                    FrozenClock(START))
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
    app = DetailApp(placeholder(ProviderName.ZOO, JobKind.ASYNC_OPERATION, op, None), provider,
                    FrozenClock(START))
    async with app.run_test(size=(120, 60), notifications=True, tooltips=True) as pilot:
        screen = await wait_for_detail(pilot)
        assert isinstance(screen.detail, ZooAsyncDetail)
        summary = screen.query_one("#zoo-async-summary", Fields).plain
        assert "file_center_of_mass" in summary and "WPVfuf6GvdhG6a7oMb" in summary
        await app.workers.wait_for_complete()
        assert not screen.is_polling  # failed: the job has ended
        assert isinstance(app.screen, JobDetailScreen)
