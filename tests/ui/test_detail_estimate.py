"""The detail's estimate of the time left: where the provider gives no ETA, the median of the
kind's run times (learnt by the list from the jobs it saw succeed) less the time run,
labelled `est.`; past the median it says the job is due, past the 95th percentile that it
is stuck. A kind without enough history shows no line at all."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from textual.pilot import Pilot
from textual.widgets import Static

from tests.ui.fakes import NOW, FakeProvider, known_history, make_job
from tests.ui.test_jobs_screen import SIZE, loaded, make_app
from tests.waiting import wait_for
from tui.clock import FrozenClock
from tui.models import Job, JobKind, JobState
from tui.screens.job_detail import JobDetailScreen
from tui.screens.jobs import JobsScreen
from tui.store import JobStore


def history() -> list[Job]:
    """40 succeeded conversions that ran 200, 205, ..., 395 s (median 295 s, p95 385 s), a
    conversion running for 60 s, one running for 10 min (stuck), and a running async
    operation, a kind with no history."""
    other = replace(
        make_job("zoo-prod", 3, JobState.RUNNING),
        id="an-operation",
        kind=JobKind.ASYNC_OPERATION,
        started_at=NOW - timedelta(seconds=60),
    )
    runs = known_history(
        "zoo-prod",
        range(200, 400, 5),
        {"under-way": ("under.step", 60), "slow-one": ("slow.step", 600)},
    )
    return [*runs, other]


def estimate_line(screen: JobDetailScreen) -> Static:
    return screen.query_one("#detail-estimate", Static)


async def open_detail(
    pilot: Pilot[int], screen: JobsScreen, job_id: str, account: str = "zoo-prod"
) -> JobDetailScreen:
    assert screen.open_job(account, job_id)
    await wait_for(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, JobDetailScreen)
            and pilot.app.screen.job.id == job_id
            and pilot.app.screen.detail is not None
        ),
    )
    await pilot.pause()
    detail = pilot.app.screen
    assert isinstance(detail, JobDetailScreen)
    return detail


async def test_the_detail_estimates_the_time_left_from_the_kinds_history(
    store: JobStore, clock: FrozenClock
) -> None:
    source = FakeProvider("zoo-prod", history())
    app = make_app([source], store, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot, [source])
        await wait_for(pilot, lambda: screen.table.stuck == frozenset({("zoo-prod", "slow-one")}))

        # 295 s typical, 60 s run: about 4 minutes left, said as an estimate
        detail = await open_detail(pilot, screen, "under-way")
        line = estimate_line(detail)
        assert line.display
        assert str(line.content) == "est. 3m left (median of 40 zoo dataset conversions)"
        assert not line.has_class("-stuck")

        # the time passes the median: due, still an estimate, not yet stuck
        clock.advance(250)
        # the screen's one-second tick re-reads the clock
        await wait_for(pilot, lambda: str(line.content).startswith("est. due"))
        assert str(line.content).startswith("est. due now: past the median run time (4m 55s)")
        await pilot.press("escape")
        await pilot.pause()

        # past the 95th percentile: stuck, in words, with Zoo's own note
        detail = await open_detail(pilot, screen, "slow-one")
        line = estimate_line(detail)
        assert line.display and line.has_class("-stuck")
        text = str(line.content)
        assert text.startswith("⧗ stuck: running longer than 95 % of its kind's run times")
        assert "Zoo assumes a conversion dropped once its started_at passes a threshold" in text
        assert "95 % of 40 zoo dataset conversions took 6m 25s or less" in text
        await pilot.press("escape")
        await pilot.pause()

        # a kind with no history: no estimate, no empty line
        detail = await open_detail(pilot, screen, "an-operation")
        assert not estimate_line(detail).display
        assert detail.run_note is None
