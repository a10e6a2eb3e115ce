"""The dashboard loads a Zoo listing too large for one refresh, in parts, saying so."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.ui.test_jobs_screen import SIZE
from tui.app import JobsApp
from tui.clock import FrozenClock
from tui.config import AccountConfig, Settings
from tui.models import ProviderName
from tui.providers import HttpPolicy, build_provider
from tui.providers.zoo.options import ZooOptions
from tui.screens.jobs import JobsScreen
from tui.secret import Secret
from tui.sim.server import SimServer
from tui.store import JobStore
from tui.widgets.source_bar import SourceBar

JOBS = 4_400
"""Conversions: 2,640, 1,320 and 440 over the three datasets (past 20 pages of 100)."""


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    clock = FrozenClock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    with SimServer(jobs=JOBS, seed=5, clock=clock, faults=["zoo:latency:seconds=0.05"]) as server:
        yield server


async def test_dashboard_loads_every_conversion_and_shows_progress(sim: SimServer) -> None:
    account = AccountConfig(
        name="zoo-big",
        provider=ProviderName.ZOO,
        base_url=sim.base_url("zoo"),
        token=Secret("sim-token"),
        options=ZooOptions(async_operations="tracked"),
    )
    policy = HttpPolicy(attempts=1, deadline=30, max_pages=3)
    store = JobStore(":memory:")
    app = JobsApp(
        Settings(accounts=(account,), refresh=60),
        [build_provider(account, policy=policy)],
        store,
        FrozenClock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC)),
    )
    notes: list[str] = []
    bars: list[str] = []
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            assert isinstance(screen, JobsScreen)
            for _ in range(3000):
                note = screen.source_health("zoo-big").note
                if note:
                    notes.append(note)
                    bars.append(str(screen.query_one(SourceBar)._shown))
                if len(screen.index) == JOBS and note is None:
                    break
                await pilot.pause(0.02)
            assert len(screen.index) == JOBS
            assert screen.source_health("zoo-big").note is None
            assert screen.index.counts("zoo-big").total() == JOBS
    finally:
        store.close()
    assert notes and all(
        n.startswith("loading ") and n.endswith(f" of {JOBS:,} conversions") for n in notes
    )
    assert any(f" of {JOBS:,} conversions" in bar for bar in bars)
