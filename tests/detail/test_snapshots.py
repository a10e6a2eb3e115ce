"""SVG snapshots of every detail screen: seed payloads, and simulator jobs in each state.

The simulator jobs are fetched with the real providers over loopback HTTP first (the
simulator runs on a frozen clock), then shown through a scripted provider, so the picture
depends only on the data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.detail.conftest import (
    NOW,
    DetailApp,
    ScriptedProvider,
    hdrjpg_seed_detail,
    lettrlabs_seed_detail,
    metafold_seed_detail,
    metafold_upstream_detail,
    variants_with_notes,
    wait_for_detail,
    zoo_async_seed_detail,
    zoo_conversion_detail,
)
from tests.snapshots import SnapCompare
from tui.clock import FrozenClock
from tui.config import AccountConfig
from tui.errors import ProviderError
from tui.models import JobDetail, JobKind, JobState, ProviderName
from tui.providers import build_provider
from tui.providers.base import ListQuery
from tui.providers.hdrjpg.details import HdrjpgDetail
from tui.providers.metafold.details import MetafoldDetail
from tui.providers.zoo.options import ZooOptions
from tui.secret import Secret
from tui.sim.server import SimServer

SIZE = (120, 60)
SIM_START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
STATES = (JobState.RUNNING, JobState.FAILED, JobState.SUCCEEDED)
SURFACES = (
    (ProviderName.HDRJPG, JobKind.CONVERSION),
    (ProviderName.ZOO, JobKind.DATASET_CONVERSION),
    (ProviderName.ZOO, JobKind.ASYNC_OPERATION),
    (ProviderName.METAFOLD, JobKind.JOB),
    (ProviderName.LETTRLABS, JobKind.CONVERSION),
)


def app_for(detail: JobDetail, clock: FrozenClock | None = None, **extra: Any) -> DetailApp:
    script: dict[str, Sequence[JobDetail | ProviderError]] = {detail.job.id: [detail]}
    if isinstance(detail, MetafoldDetail):
        for job in detail.upstream:
            script[job.id] = [metafold_upstream_detail(job)]
    return DetailApp(detail.job, ScriptedProvider(script), clock or FrozenClock(NOW), **extra)


async def loaded(pilot: Any) -> None:
    await wait_for_detail(pilot)


class TestSeedSnapshots:
    """The documentation examples, as the spec names them."""

    def test_hdrjpg_seed(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(app_for(hdrjpg_seed_detail()), terminal_size=SIZE, run_before=loaded)

    def test_hdrjpg_variant_notes_before_parameters(self, snap_compare: SnapCompare) -> None:
        """At 100 columns the warnings and failures show, ahead of the wide columns."""
        detail = hdrjpg_seed_detail()
        assert isinstance(detail, HdrjpgDetail)
        assert snap_compare(
            app_for(variants_with_notes(detail)), terminal_size=(100, 60), run_before=loaded
        )

    def test_metafold_seed(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(app_for(metafold_seed_detail()), terminal_size=SIZE, run_before=loaded)

    def test_zoo_async_seed(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(app_for(zoo_async_seed_detail()), terminal_size=SIZE, run_before=loaded)

    def test_lettrlabs_seed(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(app_for(lettrlabs_seed_detail()), terminal_size=SIZE, run_before=loaded)

    def test_zoo_conversion_running(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(
            app_for(zoo_conversion_detail()), terminal_size=(120, 80), run_before=loaded
        )

    def test_zoo_conversion_error_unsupported(self, snap_compare: SnapCompare) -> None:
        detail = zoo_conversion_detail(status="error_unsupported", phase="salon")
        assert snap_compare(app_for(detail), terminal_size=(120, 40), run_before=loaded)

    def test_raw_json_search(self, snap_compare: SnapCompare) -> None:
        async def search(pilot: Any) -> None:
            await wait_for_detail(pilot)
            await pilot.press("y", "slash", *"sha256", "enter", "n")
            await pilot.pause()

        assert snap_compare(
            app_for(metafold_seed_detail()), terminal_size=(100, 30), run_before=search
        )


# --- simulator jobs ---------------------------------------------------------------------


async def _fetch_sim_details(sim: SimServer) -> dict[tuple[str, str, str], JobDetail]:
    clock = FrozenClock(SIM_START)
    tracked = sim.tracked_ids()
    found: dict[tuple[str, str, str], JobDetail] = {}
    for provider in ProviderName:
        ids = tuple(tracked.get(provider.value, ()))
        account = AccountConfig(
            name=f"sim-{provider.value}",
            provider=provider,
            base_url=sim.base_url(provider.value),
            token=Secret("sim-token"),
            track=ids,
            options=ZooOptions(async_operations="tracked"),
        )
        client = build_provider(account, clock=clock)
        try:
            result = await client.list_jobs(ListQuery(tracked_ids=ids))
            for job in sorted(result.jobs, key=lambda j: j.id):
                key = (provider.value, job.kind.value, job.state.value)
                if job.state in STATES and key not in found:
                    found[key] = await client.get_job(job.id, job.parent_id)
        finally:
            await client.aclose()
    return found


@pytest.fixture(scope="module")
def sim_details() -> Iterator[dict[tuple[str, str, str], JobDetail]]:
    with SimServer(jobs=100, seed=1, clock=FrozenClock(SIM_START)) as sim:
        yield asyncio.run(_fetch_sim_details(sim))


@pytest.mark.parametrize("state", STATES, ids=[s.value for s in STATES])
@pytest.mark.parametrize(
    ("provider", "kind"), SURFACES, ids=[f"{p.value}-{k.value}" for p, k in SURFACES]
)
def test_simulator_job(
    snap_compare: SnapCompare,
    sim_details: dict[tuple[str, str, str], JobDetail],
    provider: ProviderName,
    kind: JobKind,
    state: JobState,
) -> None:
    detail = sim_details.get((provider.value, kind.value, state.value))
    assert detail is not None, f"the simulator has no {state} {provider} {kind} job"
    assert detail.job.state is state
    height = 80 if kind is JobKind.DATASET_CONVERSION else 60
    assert snap_compare(
        app_for(detail, FrozenClock(SIM_START)), terminal_size=(120, height), run_before=loaded
    )
