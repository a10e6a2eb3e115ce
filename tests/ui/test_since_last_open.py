"""Pilot tests of "what changed since the app was last open" and of stored data's age.

Each test runs the app more than once on one file-backed store, as a user closing and
reopening jobtop would; between runs the fake sources' jobs change.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.notifications import Notification
from textual.widgets import Static

from tests.ui.conftest import settings_for
from tests.ui.fakes import NOW, FakeProvider, changed, make_job
from tests.ui.test_jobs_screen import SIZE, loaded, screen_of
from tests.waiting import wait_for
from tui.app import JobsApp
from tui.clock import FrozenClock
from tui.errors import UnavailableError
from tui.models import Job, JobState
from tui.store import JobStore
from tui.sync.health import Health

TITLE = "Since you were last here"
HOURS = 3600.0


@pytest.fixture
def file_store(tmp_path: Path, clock: FrozenClock) -> Iterator[JobStore]:
    store = JobStore(tmp_path / "jobs.sqlite3", clock=clock)
    yield store
    store.close()


def make_app(providers: list[FakeProvider], store: JobStore, clock: FrozenClock) -> JobsApp:
    return JobsApp(settings_for(*(p.account for p in providers)), providers, store, clock)


def summaries(app: JobsApp) -> list[Notification]:
    return [note for note in app._notifications if note.title == TITLE]


async def run_once(providers: list[FakeProvider], store: JobStore, clock: FrozenClock) -> list[str]:
    """One run until every source refreshed (and the summary, if any, was shown).

    Returns:
        The messages of every notification the run raised.
    """
    app = make_app(providers, store, clock)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await loaded(pilot, providers)
        await wait_for(pilot, lambda: screen._marking)
        await pilot.pause(0.05)
        return [f"{note.title}: {note.message}" for note in app._notifications]


def running(account: str, count: int, first: int = 1) -> list[Job]:
    return [make_job(account, n, JobState.RUNNING) for n in range(first, first + count)]


def ended(job: Job, state: JobState) -> Job:
    status = {
        JobState.FAILED: "error_user",
        JobState.SUCCEEDED: "success",
        JobState.CANCELED: "canceled",
    }
    return changed(job, state=state, status=status[state])


async def test_second_run_counts_known_jobs_that_changed_while_closed(
    file_store: JobStore, clock: FrozenClock
) -> None:
    jobs = running("zoo-prod", 8)
    zoo = FakeProvider("zoo-prod", jobs)
    first_run = await run_once([zoo], file_store, clock)
    assert not [m for m in first_run if m.startswith(TITLE)]  # first use: nothing to compare with
    mark = file_store.open_mark()
    assert mark is not None and mark.at == NOW

    clock.advance(3 * HOURS)
    zoo.jobs = [
        ended(jobs[0], JobState.FAILED),
        ended(jobs[1], JobState.FAILED),
        ended(jobs[2], JobState.SUCCEEDED),
        ended(jobs[3], JobState.SUCCEEDED),
        ended(jobs[4], JobState.SUCCEEDED),
        ended(jobs[5], JobState.CANCELED),
        jobs[6],
        jobs[7],
        # new since the last run: never "changed", whatever their state
        make_job("zoo-prod", 20, JobState.FAILED),
        make_job("zoo-prod", 21, JobState.SUCCEEDED),
        make_job("zoo-prod", 22, JobState.RUNNING),
    ]
    app = make_app([zoo], file_store, clock)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: bool(summaries(app)))
        await pilot.pause(0.05)
        (note,) = summaries(app)
        lines = note.message.splitlines()
        assert lines[0] == (
            "6 known jobs changed since jobtop was last open (3 hours ago): "
            "2 failed, 1 canceled, 3 succeeded"
        )
        assert lines[1] == "Failed: part-002.step, part-001.step"
        assert note.severity == "error" and not note.markup
        # the first refresh's transitions are in the summary, not notified one by one
        assert not [n for n in app._notifications if "job failed" in n.title]
        assert [n.title for n in app._notifications] == [TITLE]
        assert screen_of(app).source_health("zoo-prod").health == Health.OK


async def test_a_run_with_nothing_changed_says_so(file_store: JobStore, clock: FrozenClock) -> None:
    zoo = FakeProvider("zoo-prod", running("zoo-prod", 4))
    await run_once([zoo], file_store, clock)
    clock.advance(20 * 60)
    messages = await run_once([zoo], file_store, clock)
    assert messages == [f"{TITLE}: Nothing changed since jobtop was last open (20 minutes ago)."]


async def test_changes_seen_while_open_are_not_summarised_again(
    file_store: JobStore, clock: FrozenClock
) -> None:
    """The mark is renewed while the app runs, so run 3 reports nothing run 2 saw."""
    jobs = running("zoo-prod", 3)
    zoo = FakeProvider("zoo-prod", jobs)
    await run_once([zoo], file_store, clock)
    clock.advance(HOURS)
    zoo.jobs = [ended(jobs[0], JobState.FAILED), *jobs[1:]]
    app = make_app([zoo], file_store, clock)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: bool(summaries(app)))
        assert summaries(app)[0].message.startswith("1 known job changed")
        screen = screen_of(app)
        await wait_for(pilot, lambda: screen._marking)
        # while open: a job fails, notified at once (not kept for the next summary)
        clock.advance(60)
        zoo.jobs = [ended(jobs[0], JobState.FAILED), ended(jobs[1], JobState.FAILED), jobs[2]]
        await pilot.press("r")
        await wait_for(pilot, lambda: any("job failed" in n.title for n in app._notifications))
        await pilot.pause(0.05)
        saved = file_store.open_mark()
        assert saved is not None and saved.at == clock()  # renewed by the save: a crash keeps it
        clock.advance(120)
    closed = file_store.open_mark()
    assert closed is not None and closed.at == clock()  # renewed at exit
    clock.advance(HOURS)
    messages = await run_once([zoo], file_store, clock)
    assert messages == [f"{TITLE}: Nothing changed since jobtop was last open (an hour ago)."]


async def test_twelve_hundred_changed_jobs_count_as_twelve_hundred(
    file_store: JobStore, clock: FrozenClock
) -> None:
    jobs = running("zoo-prod", 1_200)
    zoo = FakeProvider("zoo-prod", jobs)
    await run_once([zoo], file_store, clock)
    clock.advance(2 * HOURS)
    zoo.jobs = [
        ended(job, JobState.FAILED if n % 4 == 0 else JobState.SUCCEEDED)
        for n, job in enumerate(jobs)
    ] + running("zoo-prod", 50, first=2_000)
    app = make_app([zoo], file_store, clock)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: bool(summaries(app)))
        lines = summaries(app)[0].message.splitlines()
        assert lines[0] == (
            "1,200 known jobs changed since jobtop was last open (2 hours ago): "
            "300 failed, 900 succeeded"
        )
        assert lines[1].startswith("Failed: ") and lines[1].endswith(" and 297 more")
        assert [n.title for n in app._notifications] == [TITLE]


async def test_summary_per_source_and_what_the_cli_saw_while_closed(
    file_store: JobStore, clock: FrozenClock
) -> None:
    """Two sources: one changed through `jobtop watch` (the CLI) while the app was closed and
    fails at start; the other changes by its first refresh."""
    zoo_jobs, meta_jobs = running("zoo-prod", 3), running("meta-lab", 2)
    zoo, meta = FakeProvider("zoo-prod", zoo_jobs), FakeProvider("meta-lab", meta_jobs)
    await run_once([zoo, meta], file_store, clock)
    clock.advance(HOURS)
    file_store.save_jobs("zoo-prod", [ended(zoo_jobs[0], JobState.FAILED)])  # the CLI's save
    zoo.error = UnavailableError("the server answered 503", account="zoo-prod")
    meta.jobs = [ended(meta_jobs[0], JobState.SUCCEEDED), meta_jobs[1]]
    app = make_app([zoo, meta], file_store, clock)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: bool(summaries(app)))
        assert summaries(app)[0].message.splitlines() == [
            "2 known jobs changed since jobtop was last open (an hour ago): 1 failed, 1 succeeded",
            "zoo-prod: 1 failed",
            "meta-lab: 1 succeeded",
            "Failed: part-001.step",
            "Not checked yet: zoo-prod (failing)",
        ]


async def test_a_source_too_slow_for_the_summary_is_named_and_notifies_later(
    file_store: JobStore, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tui.sync.engine.SUMMARY_WAIT", 1.5)
    zoo_jobs, meta_jobs = running("zoo-prod", 2), running("meta-lab", 2)
    zoo, meta = FakeProvider("zoo-prod", zoo_jobs), FakeProvider("meta-lab", meta_jobs)
    await run_once([zoo, meta], file_store, clock)
    clock.advance(HOURS)
    zoo.jobs = [ended(zoo_jobs[0], JobState.FAILED), zoo_jobs[1]]
    zoo.latency = 4.0
    meta.jobs = [ended(meta_jobs[0], JobState.SUCCEEDED), meta_jobs[1]]
    app = make_app([zoo, meta], file_store, clock)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: bool(summaries(app)))
        assert summaries(app)[0].message.splitlines() == [
            "1 known job changed since jobtop was last open (an hour ago): 1 succeeded",
            "Not checked yet: zoo-prod (no answer yet)",
        ]
        # zoo-prod's first refresh comes after the summary: it notifies as any refresh does

        def titles() -> list[str]:
            return [n.title for n in app._notifications]

        await wait_for(pilot, lambda: "zoo-prod: job failed" in titles())


async def test_stored_source_failing_at_start_shows_its_data_age(
    file_store: JobStore, clock: FrozenClock
) -> None:
    jobs = running("zoo-prod", 3)
    zoo = FakeProvider("zoo-prod", jobs)
    await run_once([zoo], file_store, clock)
    clock.advance(3 * HOURS)
    zoo.error = UnavailableError("the server answered 503", account="zoo-prod")
    app = make_app([zoo], file_store, clock)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = screen_of(app)
        await wait_for(pilot, lambda: screen.source_health("zoo-prod").health == Health.FAILING)
        sources = str(screen.query_one("#sources", Static).content)
        assert "✖ failing" in sources
        assert "stored data from 3 hours ago" in sources
        assert screen.index.row_count() == 3  # the stored rows stay, marked stale
        await wait_for(pilot, lambda: bool(summaries(app)))
        assert summaries(app)[0].message.splitlines() == [
            "Could not check what changed since jobtop was last open (3 hours ago).",
            "Not checked yet: zoo-prod (failing)",
        ]
        clock.advance(2 * 86_400)
        screen._tick()
        sources = str(screen.query_one("#sources", Static).content)
        assert "stored data from Nov 22 12:00" in sources  # past a day: the date


async def test_stored_source_not_refreshed_yet_shows_its_data_age(
    file_store: JobStore, clock: FrozenClock
) -> None:
    zoo = FakeProvider("zoo-prod", running("zoo-prod", 3))
    await run_once([zoo], file_store, clock)
    clock.advance(45 * 60)
    zoo.latency = 5.0
    app = make_app([zoo], file_store, clock)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = screen_of(app)
        await wait_for(pilot, lambda: screen.source_health("zoo-prod").health == Health.STALE)
        await pilot.pause(0.05)
        sources = str(screen.query_one("#sources", Static).content)
        # "◔ stale", or "⟳ refreshing" once the refresh has taken a while: the age stays
        assert "stored data from 45 minutes ago" in sources
        assert screen.source_health("zoo-prod").health == Health.STALE


def test_health_text_gives_stored_data_its_age() -> None:
    from datetime import timedelta

    from tui.sync.health import SourceHealth
    from tui.widgets.source_bar import health_text

    stored = NOW - timedelta(hours=3)
    stale = SourceHealth("zoo-prod", "zoo", health=Health.STALE, stored_at=stored)
    assert str(health_text(stale, NOW, False)) == "◔ stale  · stored data from 3 hours ago"
    unknown = SourceHealth("zoo-prod", "zoo", health=Health.STALE)
    assert str(health_text(unknown, NOW, False)) == "◔ stale  · stored data, not refreshed yet"
    failing = SourceHealth(
        "zoo-prod",
        "zoo",
        health=Health.FAILING,
        stored_at=stored,
        error="503",
        next_try_at=NOW + timedelta(seconds=12),
    )
    assert str(health_text(failing, NOW, False)) == (
        "✖ failing  · next try in 12s  · stored data from 3 hours ago  · 503"
    )
    # once refreshed in this run, the run's own data age wins
    refreshed = SourceHealth(
        "zoo-prod",
        "zoo",
        health=Health.FAILING,
        stored_at=stored,
        error="503",
        last_ok_at=NOW - timedelta(minutes=10),
    )
    assert "data 10 minutes old" in str(health_text(refreshed, NOW, False))
