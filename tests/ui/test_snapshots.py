"""SVG snapshots of the main screen's states: loading, populated, filtered, failing, empty.

Deterministic: a frozen clock, fixed jobs, a seeded jitter source, and refresh intervals
long enough that only the first refresh (or none) happens before the picture.
"""

from __future__ import annotations

import random
from dataclasses import replace

from textual.pilot import Pilot

from tests.snapshots import SnapCompare
from tests.ui.conftest import settings_for
from tests.ui.fakes import NOW, FakeProvider, make_job, sample_jobs
from tests.waiting import wait_for
from tui.app import JobsApp
from tui.clock import FrozenClock
from tui.errors import UnavailableError
from tui.models import JobState
from tui.screens.jobs import JobsScreen
from tui.store import JobStore
from tui.sync.health import Health

SIZE = (120, 30)


def build(providers: list[FakeProvider], theme: str = "dark") -> JobsApp:
    clock = FrozenClock(NOW)
    store = JobStore(":memory:", clock=clock)
    return JobsApp(
        replace(settings_for(*(p.account for p in providers), refresh=60), theme=theme),
        providers,
        store,
        clock,
        rng=random.Random(7),
    )


def populated_sources() -> list[FakeProvider]:
    zoo = sample_jobs("zoo-prod", 14)
    zoo[4] = make_job(
        "zoo-prod",
        4,
        JobState.FAILED,
        name="a very long file name " * 6,
        error="line one\nline two [/x] [@click=app.quit]",
    )
    return [
        FakeProvider("zoo-prod", zoo),
        # Distinct creation times across sources: rows with equal sort keys would be
        # ordered by which source answered first.
        FakeProvider("meta-lab", sample_jobs("meta-lab", 9, offset=20)),
        FakeProvider("hdr", sample_jobs("hdr", 4, offset=37)),
    ]


async def settle(pilot: Pilot[int], healthy: int) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, JobsScreen)

    def done() -> int:
        return sum(
            1
            for p in screen.providers
            if screen.source_health(p.account).health != Health.LOADING
            and not screen.source_health(p.account).refreshing
        )

    await wait_for(pilot, lambda: done() >= healthy)
    await pilot.pause()


class TestJobsScreenSnapshots:
    def test_loading(self, snap_compare: SnapCompare) -> None:
        providers = [FakeProvider(name, [], latency=30) for name in ("zoo-prod", "meta-lab")]

        async def run_before(pilot: Pilot[int]) -> None:
            screen = pilot.app.screen
            assert isinstance(screen, JobsScreen)
            await wait_for(
                pilot, lambda: all(screen.source_health(p.account).refreshing for p in providers)
            )
            await pilot.pause()

        assert snap_compare(build(providers), terminal_size=SIZE, run_before=run_before)

    def test_populated(self, snap_compare: SnapCompare) -> None:
        async def run_before(pilot: Pilot[int]) -> None:
            await settle(pilot, 3)
            await pilot.press("j", "j")

        assert snap_compare(build(populated_sources()), terminal_size=SIZE, run_before=run_before)

    def test_filtered(self, snap_compare: SnapCompare) -> None:
        async def run_before(pilot: Pilot[int]) -> None:
            await settle(pilot, 3)
            await pilot.press("f", "slash", *"part-00", "enter")

        assert snap_compare(build(populated_sources()), terminal_size=SIZE, run_before=run_before)

    def test_source_failing(self, snap_compare: SnapCompare) -> None:
        providers = populated_sources()

        async def run_before(pilot: Pilot[int]) -> None:
            await settle(pilot, 3)
            providers[1].error = UnavailableError(
                "the server answered 503 Service Unavailable", account="meta-lab", status_code=503
            )
            await pilot.press("r")
            screen = pilot.app.screen
            assert isinstance(screen, JobsScreen)
            await wait_for(pilot, lambda: screen.source_health("meta-lab").health == Health.FAILING)
            await pilot.pause()

        assert snap_compare(build(providers), terminal_size=SIZE, run_before=run_before)

    def test_empty(self, snap_compare: SnapCompare) -> None:
        providers = [FakeProvider("zoo-prod", []), FakeProvider("meta-lab", [])]

        async def run_before(pilot: Pilot[int]) -> None:
            await settle(pilot, 2)

        assert snap_compare(build(providers), terminal_size=SIZE, run_before=run_before)

    def test_help(self, snap_compare: SnapCompare) -> None:
        async def run_before(pilot: Pilot[int]) -> None:
            await settle(pilot, 3)
            await pilot.press("question_mark")

        assert snap_compare(build(populated_sources()), terminal_size=SIZE, run_before=run_before)

    def test_populated_140_columns(self, snap_compare: SnapCompare) -> None:
        """Counts of one to three digits in aligned columns, two spaces apart; the state
        column one cell wider than `✔ succeeded`; compact ages."""
        providers = [
            FakeProvider("demo-zoo", sample_jobs("demo-zoo", 130)),
            FakeProvider("demo-hdrjpg", sample_jobs("demo-hdrjpg", 12, offset=131)),
            FakeProvider("demo-lettrlabs", sample_jobs("demo-lettrlabs", 3, offset=150)),
        ]

        async def run_before(pilot: Pilot[int]) -> None:
            await settle(pilot, 3)

        assert snap_compare(build(providers), terminal_size=(140, 30), run_before=run_before)

    def test_populated_80x24(self, snap_compare: SnapCompare) -> None:
        async def run_before(pilot: Pilot[int]) -> None:
            await settle(pilot, 3)

        assert snap_compare(
            build(populated_sources()), terminal_size=(80, 24), run_before=run_before
        )

    def test_light_theme(self, snap_compare: SnapCompare) -> None:
        """`theme = "light"` in the config."""

        async def run_before(pilot: Pilot[int]) -> None:
            await settle(pilot, 3)

        assert snap_compare(
            build(populated_sources(), theme="light"), terminal_size=SIZE, run_before=run_before
        )
