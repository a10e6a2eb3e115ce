"""Stuck jobs: a running job past its kind's 95th percentile, from a history whose run
times are known, is marked in the list (a glyph and a word), counted in the source bar,
offered as a filter (`x`) and named once in a notification when it becomes stuck while
the dashboard watches (those stuck already at start are marked, not announced)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from textual.widgets import Static

from tests.ui.fakes import NOW, FakeProvider, known_history, make_job
from tests.ui.test_jobs_screen import SIZE, loaded, make_app, status_line, table_text
from tests.waiting import wait_for
from tui.clock import FrozenClock
from tui.models import Job, JobState
from tui.store import JobStore


def history() -> list[Job]:
    """40 succeeded conversions that ran 60..99 s (p95: 97 s), a running one 10 min in
    (stuck), one 30 s in (not), and a queued one created an hour ago (queued is not run)."""
    queued = replace(
        make_job("zoo-prod", 3, JobState.QUEUED),
        id="waiting",
        name="waiting.step",
        created_at=NOW - timedelta(hours=1),
    )
    runs = known_history(
        "zoo-prod",
        range(60, 100),
        {"slow-one": ("slow.step", 600), "fine-one": ("fine.step", 30)},
    )
    return [*runs, queued]


async def test_a_job_past_its_kinds_p95_is_marked_counted_filtered_and_told_once(
    store: JobStore, clock: FrozenClock
) -> None:
    source = FakeProvider("zoo-prod", history())
    app = make_app([source], store, clock)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await loaded(pilot, [source])
        await wait_for(pilot, lambda: screen.table.stuck == frozenset({("zoo-prod", "slow-one")}))
        await pilot.pause()
        rows = table_text(app)
        assert any("⧗ stuck" in row and "slow.step" in row for row in rows)
        assert not any("⧗ stuck" in row and "fine.step" in row for row in rows)
        assert "⧗ 1" in str(screen.query_one("#sources", Static).content)
        assert not [n for n in app._notifications if n.title == "Stuck"]  # stuck before we looked

        await pilot.press("x")
        await pilot.pause()
        assert [job.id for job in screen.jobs_in_view()] == ["slow-one"]
        assert "stuck only" in status_line(app)

        # The clock moves on: the fine one passes the p95 too; the first is not told again.
        clock.advance(120)
        await pilot.press("r")
        await wait_for(pilot, lambda: ("zoo-prod", "fine-one") in screen.table.stuck)
        assert {job.id for job in screen.jobs_in_view()} == {"slow-one", "fine-one"}
        told = [n for n in app._notifications if n.title == "Stuck"]
        assert (
            len(told) == 1 and "fine.step" in told[0].message and "slow.step" not in told[0].message
        )
        assert "Zoo assumes a conversion dropped once its started_at passes a threshold" in (
            told[0].message
        )
        await pilot.press("r")
        await pilot.pause(0.3)
        assert len([n for n in app._notifications if n.title == "Stuck"]) == 1  # once

        await pilot.press("escape")
        await pilot.pause()
        assert len(screen.jobs_in_view()) == 43
