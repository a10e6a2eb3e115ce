"""The dashboard's track key: an id the provider knows is tracked, persisted and refreshed;
an unknown id is refused with the provider's answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.widgets import Input, Static

from tests.ui.test_demo import demo_app
from tests.ui.test_jobs_screen import SIZE
from tests.waiting import wait_for
from tui.screens.jobs import JobsScreen
from tui.screens.track import TrackScreen
from tui.sim.server import SimServer
from tui.store import JobStore
from tui.sync.health import Health


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with SimServer(jobs=60, seed=3) as server:
        yield server


async def test_track_key_adds_a_known_id_and_refuses_an_unknown_one(sim: SimServer) -> None:
    store = JobStore(":memory:")
    app = demo_app(sim, store)
    tracked_by_demo = set(sim.tracked_ids()["hdrjpg"])
    untracked = next(
        sim.state.hdrjpg.uuid(index)
        for index in range(60)
        if sim.state.hdrjpg.uuid(index) not in tracked_by_demo
    )
    try:
        async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
            screen = app.screen
            assert isinstance(screen, JobsScreen)
            await wait_for(pilot, lambda: screen.source_health("demo-hdrjpg").health == Health.OK)
            hdr_view = 1 + [p.account for p in screen.providers].index("demo-hdrjpg")
            await pilot.press(str(hdr_view + 1), "t")
            assert isinstance(app.screen, TrackScreen)
            modal = app.screen
            await pilot.press(*"00000000-0000-4000-8000-000000000000", "enter")
            await wait_for(
                pilot,
                lambda: "was not added" in str(modal.query_one("#track-message", Static).content),
            )
            message = str(modal.query_one("#track-message", Static).content)
            assert "not found" in message.lower()
            assert store.tracked_ids("demo-hdrjpg") == []
            modal.query_one("#track-id", Input).value = untracked
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, JobsScreen))
            await wait_for(pilot, lambda: store.tracked_ids("demo-hdrjpg") == [untracked])
            await wait_for(
                pilot,
                lambda: any(job.id == untracked for job in screen.jobs_in_view()),
            )
    finally:
        store.close()
