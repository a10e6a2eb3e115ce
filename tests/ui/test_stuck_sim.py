"""Stuck jobs and estimates on a simulator world whose history is known: the real Zoo
provider over loopback watches planted conversions move through their phases (the clock
steps 55 s between refreshes, shorter than any of their phases), the engine and the store
record what it sees, and the typical times, the stuck mark (with its phase) and the
estimate follow from those numbers, in this dashboard and in the next one that opens on
the same store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.widgets import Static

from tests.ui.fakes import NOW
from tests.ui.test_detail_estimate import estimate_line, open_detail
from tests.ui.test_jobs_screen import SIZE, screen_of, table_text
from tests.waiting import LONG, wait_for
from tui.app import JobsApp
from tui.clock import FrozenClock
from tui.config import AccountConfig, Settings
from tui.models import JobKind, ProviderName
from tui.providers import HttpPolicy, build_provider
from tui.providers.zoo.options import ZooOptions
from tui.secret import Secret
from tui.sim.planted import PlantedConversion
from tui.sim.server import SimServer
from tui.store import JobStore
from tui.sync.health import Health

ZOO = (ProviderName.ZOO, JobKind.DATASET_CONVERSION)
STEP = 55
"""Seconds between refreshes: shorter than every phase of the finished conversions."""
CHECK_AT = 990
"""Seconds after the start when the history is looked at."""


def planted() -> tuple[PlantedConversion, ...]:
    """20 conversions created together that queue 5 s, spend 60 s in every phase but
    `salon`, and 200 + 10 n s in `salon` (n = 0..19), so they run 740 + 10 n s: median
    830 s, p95 920 s, and in salon a median of 290 s and a p95 of 380 s. Then one created
    at 400 s that reaches salon at 475 s and stays there (at 990 s: in salon for 515 s,
    stuck in it, but running for 585 s only), and one created at 950 s that stays in its
    first phase (at 990 s: running for 35 s, 795 s to the median)."""
    done = tuple(
        PlantedConversion(-10 + n / 10, (5.0,) + (60.0,) * 7 + (200.0 + 10 * n,) + (60.0,) * 2)
        for n in range(20)
    )
    stuck = PlantedConversion(400, (5.0,) + (10.0,) * 7)
    fresh = PlantedConversion(950, (5.0,))
    return (*done, stuck, fresh)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def sim(clock: FrozenClock) -> Iterator[SimServer]:
    with SimServer(jobs=0, seed=5, clock=clock, zoo_planted=planted()) as server:
        yield server


def sim_app(sim: SimServer, store: JobStore, clock: FrozenClock) -> JobsApp:
    dataset = sim.state.zoo.planted_dataset_id
    assert dataset is not None
    account = AccountConfig(
        name="zoo-sim",
        provider=ProviderName.ZOO,
        base_url=sim.base_url("zoo"),
        token=Secret("sim-token"),
        options=ZooOptions(async_operations="tracked", datasets=(dataset,)),
    )
    policy = HttpPolicy(attempts=1, wait_initial=0.05, wait_max=0.1, deadline=10)
    provider = build_provider(account, policy=policy, clock=clock)
    return JobsApp(Settings(accounts=(account,), refresh=3600), [provider], store, clock)


def conversion_id(sim: SimServer, index: int) -> str:
    d = len(sim.state.zoo.datasets) - 1  # the planted dataset comes last
    return sim.state.zoo.conversion_id(d, index)


async def test_the_typical_times_stuck_mark_and_estimate_of_a_known_sim_history(
    sim: SimServer, clock: FrozenClock
) -> None:
    store = JobStore(":memory:", clock=clock)
    stuck_id, fresh_id = conversion_id(sim, 20), conversion_id(sim, 21)
    app = sim_app(sim, store, clock)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = screen_of(app)
        for elapsed in range(0, CHECK_AT + 1, STEP):
            if elapsed:
                clock.advance(STEP)
                await pilot.press("r")
            await wait_for(
                pilot,
                lambda: (
                    screen.source_health("zoo-sim").health == Health.OK
                    and screen.source_health("zoo-sim").last_ok_at == clock()
                ),
                timeout=LONG,
            )
        typical = screen.typical
        run = typical.of(*ZOO)
        assert run is not None and (run.samples, run.median, run.p95) == (20, 830.0, 920.0)
        salon = typical.of_phase(*ZOO, "salon")
        assert salon is not None and (salon.samples, salon.median, salon.p95) == (20, 290.0, 380.0)
        metadata = typical.of_phase(*ZOO, "zoo_generated_original_metadata")
        assert metadata is not None and metadata.p95 == 60.0

        # Stuck in salon (not by its whole run): marked, counted, named with its phase.
        await wait_for(pilot, lambda: screen.table.stuck == frozenset({("zoo-sim", stuck_id)}))
        await pilot.pause()
        name = screen.index.get(("zoo-sim", stuck_id))
        assert name is not None
        assert any("⧗ stuck" in row and name.name in row for row in table_text(app))
        assert "⧗ 1" in str(screen.query_one("#sources", Static).content)
        told = [n for n in app._notifications if n.title == "Stuck"]
        assert len(told) == 1 and "stuck in phase salon" in told[0].message

        detail = await open_detail(pilot, screen, stuck_id, account="zoo-sim")
        text = str(estimate_line(detail).content)
        assert text.startswith("⧗ stuck in phase salon: longer than 95 % of its kind's times")
        assert "Zoo assumes a conversion dropped once its started_at passes a threshold" in text
        assert text.endswith("(95 % of 20 zoo dataset conversions left salon within 6m 20s)")
        await pilot.press("escape")
        await pilot.pause()

        # 35 s into a run whose median is 830 s: an estimate, labelled as one.
        detail = await open_detail(pilot, screen, fresh_id, account="zoo-sim")
        assert str(estimate_line(detail).content) == (
            "est. 13m left (median of 20 zoo dataset conversions)"
        )
        await pilot.press("escape")
        await pilot.pause()

    # The next dashboard on the same store starts from the recorded history.
    again = sim_app(sim, store, clock)
    async with again.run_test(size=SIZE) as pilot:
        screen = screen_of(again)
        await wait_for(pilot, lambda: screen.table.stuck == frozenset({("zoo-sim", stuck_id)}))
        salon = screen.typical.of_phase(*ZOO, "salon")
        assert salon is not None and (salon.samples, salon.p95) == (20, 380.0)
        run = screen.typical.of(*ZOO)
        assert run is not None and (run.samples, run.median) == (20, 830.0)
    store.close()
