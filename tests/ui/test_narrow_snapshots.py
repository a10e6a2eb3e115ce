"""SVG snapshots of the main screen at 80x24: the All view, failed only, the filter panel,
a failing source's view with the sources on one line, and every source's line (Ctrl+E).

Sources named as the demo names them (`demo-zoo` ...), so the short labels show.
"""

from __future__ import annotations

from textual.pilot import Pilot

from tests.snapshots import SnapCompare
from tests.ui.fakes import FakeProvider, make_job, sample_jobs
from tests.ui.test_snapshots import build, settle
from tests.waiting import wait_for
from tui.errors import UnavailableError
from tui.models import JobState
from tui.screens.jobs import JobsScreen
from tui.sync.health import Health

SMALL = (80, 24)


def demo_sources() -> list[FakeProvider]:
    zoo = sample_jobs("demo-zoo", 14)
    zoo[2] = make_job(
        "demo-zoo",
        2,
        JobState.FAILED,
        name="bracket-v2.step",
        error="Geometry could not be parsed: the STEP file ends early",
    )
    return [
        FakeProvider("demo-zoo", zoo),
        FakeProvider("demo-metafold", sample_jobs("demo-metafold", 6, offset=20)),
        FakeProvider("demo-lettrlabs", sample_jobs("demo-lettrlabs", 4, offset=30)),
        FakeProvider("demo-hdrjpg", sample_jobs("demo-hdrjpg", 3, offset=40)),
    ]


class TestNarrowSnapshots:
    def test_all_view(self, snap_compare: SnapCompare) -> None:
        async def run_before(pilot: Pilot[int]) -> None:
            await settle(pilot, 4)

        assert snap_compare(build(demo_sources()), terminal_size=SMALL, run_before=run_before)

    def test_failed_only(self, snap_compare: SnapCompare) -> None:
        async def run_before(pilot: Pilot[int]) -> None:
            await settle(pilot, 4)
            await pilot.press("f")
            await pilot.pause()

        assert snap_compare(build(demo_sources()), terminal_size=SMALL, run_before=run_before)

    def test_filter_panel(self, snap_compare: SnapCompare) -> None:
        async def run_before(pilot: Pilot[int]) -> None:
            await settle(pilot, 4)
            await pilot.press("j", "j", "m")
            await pilot.pause()

        assert snap_compare(build(demo_sources()), terminal_size=SMALL, run_before=run_before)

    def test_failing_source_on_one_line(self, snap_compare: SnapCompare) -> None:
        providers = demo_sources()

        async def run_before(pilot: Pilot[int]) -> None:
            await settle(pilot, 4)
            providers[1].error = UnavailableError(
                "the server answered 503 Service Unavailable",
                account="demo-metafold",
                status_code=503,
            )
            await pilot.press("3", "r")
            screen = pilot.app.screen
            assert isinstance(screen, JobsScreen)
            await wait_for(
                pilot, lambda: screen.source_health("demo-metafold").health == Health.FAILING
            )
            pilot.app.clear_notifications()
            await pilot.pause()

        assert snap_compare(build(providers), terminal_size=SMALL, run_before=run_before)

    def test_every_source_with_ctrl_e(self, snap_compare: SnapCompare) -> None:
        async def run_before(pilot: Pilot[int]) -> None:
            await settle(pilot, 4)
            await pilot.press("ctrl+e")
            await pilot.pause()

        assert snap_compare(build(demo_sources()), terminal_size=SMALL, run_before=run_before)
