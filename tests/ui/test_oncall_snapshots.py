"""SVG snapshots of the on-call views at 80x24: the event log, and a time window."""

from __future__ import annotations

import random

from textual.pilot import Pilot

from tests.snapshots import SnapCompare
from tests.ui.conftest import settings_for
from tests.ui.fakes import NOW, FakeProvider, make_job, sample_jobs
from tests.ui.test_snapshots import settle
from tests.waiting import wait_for
from tui.app import JobsApp
from tui.clock import FrozenClock
from tui.models import JobState
from tui.screens.event_log import EventLogScreen
from tui.store import EventKind, JobStore


def app_with_history() -> JobsApp:
    """Two sources, and a store that remembers an hour of events."""
    clock = FrozenClock(NOW)
    store = JobStore(":memory:", clock=clock)
    zoo = sample_jobs("zoo-prod", 10)
    store.save_jobs("zoo-prod", [make_job("zoo-prod", 2, JobState.RUNNING)])
    clock.advance(-40 * 60)
    store.add_event(
        "meta-lab",
        EventKind.FAILING,
        "Provider unavailable: the server answered 503 Service Unavailable; the"
        " upstream queue is full and the next try is in 30s [b]not bold[/b]",
    )
    clock.advance(10 * 60)
    store.add_event("meta-lab", EventKind.RECOVERED, "refreshed successfully again")
    clock.advance(10 * 60)
    store.add_event("zoo-prod", EventKind.RATE_LIMITED, "Rate limited: slow down")
    clock.advance(10 * 60)
    store.add_event(
        "zoo-prod",
        EventKind.INCOMPLETE,
        "incomplete: first 200,000 of 250,000 jobs (the per-refresh cap)",
    )
    clock.advance(10 * 60)
    store.save_jobs("zoo-prod", [zoo[2]])  # running -> failed, now
    providers = [
        FakeProvider("zoo-prod", zoo),
        FakeProvider("meta-lab", sample_jobs("meta-lab", 6, offset=20)),
    ]
    return JobsApp(
        settings_for("zoo-prod", "meta-lab", refresh=60),
        providers,
        store,
        clock,
        rng=random.Random(7),
    )


class TestOnCallSnapshots:
    def test_event_log_80x24(self, snap_compare: SnapCompare) -> None:
        async def run_before(pilot: Pilot[int]) -> None:
            await settle(pilot, 2)
            await pilot.press("e")
            app = pilot.app
            await wait_for(
                pilot, lambda: isinstance(app.screen, EventLogScreen) and app.screen.loaded
            )
            await pilot.pause()

        assert snap_compare(app_with_history(), terminal_size=(80, 24), run_before=run_before)

    def test_window_of_one_hour_80x24(self, snap_compare: SnapCompare) -> None:
        async def run_before(pilot: Pilot[int]) -> None:
            await settle(pilot, 2)
            await pilot.press("w", "w")
            await pilot.pause()

        assert snap_compare(app_with_history(), terminal_size=(80, 24), run_before=run_before)
