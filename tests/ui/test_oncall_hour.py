"""The on-call hour: the event log, the time window, and notification rules and placement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.notifications import Notification
from textual.widgets import OptionList

from tests.ui.fakes import FakeProvider, changed, make_job
from tests.ui.test_jobs_screen import SIZE, loaded, make_app, state_of, status_line
from tests.waiting import wait_for
from tui.app import JobsApp
from tui.clock import FrozenClock
from tui.errors import UnavailableError
from tui.models import JobState
from tui.screens.event_log import EventLogScreen
from tui.screens.job_detail import JobDetailScreen
from tui.store import EventKind, JobStore
from tui.sync.health import Health


def log_lines(app: JobsApp) -> list[str]:
    options = app.screen.query_one("#log-entries", OptionList)
    return [str(options.get_option_at_index(n).prompt) for n in range(options.option_count)]


async def test_the_event_log_lists_changes_and_source_problems_and_opens_a_job(
    store: JobStore, clock: FrozenClock
) -> None:
    running = make_job("zoo-prod", 1, JobState.RUNNING, name="bracket [b]x[/b].step")
    zoo = FakeProvider("zoo-prod", [running])
    meta = FakeProvider("meta-lab", [make_job("meta-lab", 2, JobState.RUNNING)])
    app = make_app([zoo, meta], store, clock)
    long_reason = (
        "the server answered 503: " + "the upstream queue is full, " * 12 + "[red]end[/red]"
    )
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = await loaded(pilot, [zoo, meta])
        clock.advance(60)
        zoo.jobs = [changed(running, state=JobState.FAILED, status="error_user")]
        meta.error = UnavailableError(long_reason, account="meta-lab")
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.source_health("meta-lab").health == Health.FAILING)
        await wait_for(pilot, lambda: state_of(screen, running) == JobState.FAILED)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EventLogScreen) and app.screen.loaded)
        log = app.screen
        assert isinstance(log, EventLogScreen)
        await wait_for(pilot, lambda: len(log.entries) == 2)
        kinds = {entry.kind for entry in log.entries}
        assert kinds == {EventKind.TRANSITION, EventKind.FAILING}
        lines = log_lines(app)
        text = "\n".join(lines)
        assert "2026-11-22 12:01:00Z" in text, "absolute times"
        failing = next(line for line in lines if "failing" in line)
        assert failing.endswith("[red]end[/red]"), "the whole sentence, as text, not markup"
        assert "\n" not in failing
        change = next(line for line in lines if "→" in line)
        assert "bracket [b]x[/b].step" in change and "running → failed" in change
        # Enter on the change opens its job; Esc comes back to the log.
        options = app.screen.query_one("#log-entries", OptionList)
        options.highlighted = next(
            n for n, entry in enumerate(log.entries) if entry.kind == EventKind.TRANSITION
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        detail = app.screen
        assert isinstance(detail, JobDetailScreen) and detail.job.key == running.key
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is log)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)


async def test_the_event_log_is_in_the_palette(store: JobStore, clock: FrozenClock) -> None:
    source = FakeProvider("zoo-prod", [make_job("zoo-prod", 1)])
    app = make_app([source], store, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot, [source])
        command = next(c for c in app.get_system_commands(screen) if c.title == "Event log")
        await command.callback()
        await wait_for(pilot, lambda: isinstance(app.screen, EventLogScreen) and app.screen.loaded)
        assert "Nothing happened yet." in log_lines(app)[0]


async def test_w_cycles_a_time_window_on_when_each_job_last_changed(
    store: JobStore, clock: FrozenClock
) -> None:
    from dataclasses import replace as copy

    from tests.ui.fakes import NOW

    jobs = [
        copy(make_job("zoo-prod", 1, JobState.RUNNING), updated_at=NOW - timedelta(minutes=5)),
        copy(make_job("zoo-prod", 2, JobState.FAILED), finished_at=NOW - timedelta(minutes=10)),
        copy(make_job("zoo-prod", 3, JobState.SUCCEEDED), finished_at=NOW - timedelta(minutes=40)),
        copy(make_job("zoo-prod", 4, JobState.FAILED), finished_at=NOW - timedelta(hours=3)),
        copy(
            make_job("zoo-prod", 5, JobState.QUEUED),
            updated_at=None,
            created_at=NOW - timedelta(hours=20),
        ),
        copy(make_job("zoo-prod", 6, JobState.FAILED), finished_at=NOW - timedelta(days=3)),
        copy(
            make_job("zoo-prod", 7, JobState.UNKNOWN),
            created_at=None,
            updated_at=None,
            started_at=None,
        ),
    ]
    source = FakeProvider("zoo-prod", jobs)
    app = make_app([source], store, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot, [source])

        def shown() -> set[int]:
            return {int(job.id[:4]) for job in screen.jobs_in_view()}

        assert shown() == {1, 2, 3, 4, 5, 6, 7}
        expected = {
            "15 min": {1, 2},
            "1 h": {1, 2, 3},
            "6 h": {1, 2, 3, 4},
            "24 h": {1, 2, 3, 4, 5},
            "7 d": {1, 2, 3, 4, 5, 6},
        }
        for label, ids in expected.items():
            await pilot.press("w")
            assert shown() == ids, label
            assert f"changed in the last {label}" in status_line(app)
        await pilot.press("w")
        assert shown() == {1, 2, 3, 4, 5, 6, 7} and "changed in the last" not in status_line(app)

        await pilot.press("w", "w")  # 1 h, with the other filters
        await pilot.press("f")
        assert shown() == {2}
        clock.advance(55 * 60)  # the window moves on with the clock
        screen._tick()
        assert shown() == set()
        await pilot.press("escape")  # Esc clears every filter, the window too
        assert shown() == {1, 2, 3, 4, 5, 6, 7} and "changed in the last" not in status_line(app)


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "unprepared"])
@pytest.mark.parametrize("search", [None, "part-1", "!part-1"])
def test_the_window_in_the_index_is_the_plain_filter_at_scale(
    prepared: bool, search: str | None
) -> None:
    """The index's window (alone and with a search, on prepared search texts or not) keeps
    exactly the jobs a plain test keeps, found in slices or whole."""
    from tests.ui.fakes import NOW
    from tests.unit.test_job_index import index_with
    from tui.job_index.filters import JobFilter
    from tui.job_index.index import Column
    from tui.job_index.search import parse_search

    index = index_with(("a", 12_000), ("b", 8_000))
    index.set_sort(Column.NAME, True)
    if prepared:
        index.install(index.prepare())
        index.install_search(index.prepare_search())
    everything = [index[row] for row in range(index.row_count())]
    since = NOW - timedelta(days=20)
    query = parse_search(search) if search else None
    job_filter = JobFilter(search=query, changed_since=since)
    expected = [
        job
        for job in everything
        if job.last_changed_at is not None and job.last_changed_at >= since
    ]
    if query is not None:
        index.set_filter(JobFilter(search=query))
        searched = {job.key for job in (index[row] for row in range(index.row_count()))}
        expected = [job for job in expected if job.key in searched]
    assert 0 < len(expected) < len(everything)
    index.set_filter(job_filter)
    assert index.rows_upto(40) == min(40, len(expected))
    while index.finish_step():
        pass
    assert [index[row] for row in range(index.row_count())] == expected


def job_notes(app: JobsApp) -> list[Notification]:
    """The notifications about jobs (titled "<source>: ..." by the dashboard)."""
    return [n for n in app._notifications if n.title.startswith("zoo-prod:")]


async def test_notification_rules_coalescing_and_the_bell(
    store: JobStore, clock: FrozenClock
) -> None:
    from dataclasses import replace as copy

    from tests.ui.conftest import settings_for
    from tui.app import JobsApp

    running = [make_job("zoo-prod", n, JobState.RUNNING) for n in range(1, 15)]
    source = FakeProvider("zoo-prod", running)
    app = JobsApp(copy(settings_for("zoo-prod"), bell=True), [source], store, clock)
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await loaded(pilot, [source])
        # Default: failures only. Twelve jobs succeeding say nothing and ring nothing.
        source.jobs = [changed(job, state=JobState.SUCCEEDED) for job in running[:12]] + running[
            12:
        ]
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.index.counts("zoo-prod")[JobState.SUCCEEDED] == 12)
        await pilot.pause(0.1)
        assert job_notes(app) == [] and bells == []
        # One failure: one notification naming it, one bell.
        source.jobs = [*source.jobs[:12], changed(running[12], state=JobState.FAILED), running[13]]
        await pilot.press("r")
        await wait_for(pilot, lambda: len(job_notes(app)) == 1)
        assert job_notes(app)[0].title == "zoo-prod: job failed" and bells == [1]
        # `n`: failures and cancellations, then every ending.
        await pilot.press("n")
        assert screen.notify_states == {JobState.FAILED, JobState.CANCELED}
        await pilot.press("n")
        assert screen.notify_states == {JobState.FAILED, JobState.CANCELED, JobState.SUCCEEDED}
        app.clear_notifications()
        # Twelve endings in one refresh: one notification, not twelve.
        again = [make_job("zoo-prod", n, JobState.RUNNING) for n in range(21, 33)]
        source.jobs = [*source.jobs, *again]
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.index.get(again[0].key) is not None)
        source.jobs = [
            *source.jobs[:14],
            *(changed(job, state=JobState.SUCCEEDED) for job in again),
        ]
        await pilot.press("r")
        await wait_for(pilot, lambda: len(job_notes(app)) == 1)
        await pilot.pause(0.1)
        notes = job_notes(app)
        assert len(notes) == 1 and notes[0].title == "zoo-prod: 12 jobs succeeded"
        assert notes[0].message.startswith("12 succeeded: ") and "and 9 more" in notes[0].message
        assert bells == [1, 1]
        # `n` again: none at all.
        await pilot.press("n")
        assert screen.notify_states == frozenset()


def cells_under_toasts(app: JobsApp, y: int) -> list[int]:
    """The columns of screen line `y` where a toast is drawn."""
    covered = []
    for x in range(app.screen.size.width):
        try:
            widget, _ = app.screen.get_widget_at(x, y)
        except Exception:  # noqa: BLE001 - nothing there
            continue
        if type(widget).__name__ == "Toast":
            covered.append(x)
    return covered


def toasts_drawn(app: JobsApp) -> list[str]:
    """The text of every toast drawn at least in part."""
    found = {}
    for y in range(app.screen.size.height):
        for x in range(app.screen.size.width):
            try:
                widget, _ = app.screen.get_widget_at(x, y)
            except Exception:  # noqa: BLE001 - nothing there
                continue
            if type(widget).__name__ == "Toast":
                found[id(widget)] = str(widget.render())
    return list(found.values())


async def test_toasts_never_cover_the_row_under_the_cursor_at_80x24(
    store: JobStore, clock: FrozenClock
) -> None:
    from tui.widgets.job_table import JobTable

    running = [make_job("zoo-prod", n, JobState.RUNNING) for n in range(1, 41)]
    source = FakeProvider("zoo-prod", running)
    app = make_app([source], store, clock)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await loaded(pilot, [source])
        table = screen.query_one(JobTable)
        body = table.scrollable_content_region
        failed = 0
        for row in (body.height - 2, 0, (body.height - 1) // 2, body.height - 2):
            table.move_cursor(row)
            await pilot.pause()
            for _ in range(3):  # three refreshes, three toasts stacked
                source.jobs = [
                    changed(job, state=JobState.FAILED) if n <= failed else job
                    for n, job in enumerate(running)
                ]
                failed += 1
                await pilot.press("r")
                await wait_for(pilot, lambda: len(job_notes(app)) >= 1)
                await pilot.pause(0.1)
            cursor_y = body.y + 1 + table.cursor_row - int(table.scroll_y)
            newest = running[failed - 1].name
            assert any(newest in text for text in toasts_drawn(app)), (row, "the newest is shown")
            assert cells_under_toasts(app, cursor_y) == [], (row, cursor_y)
            # The cursor moving to where the toasts are sends them to the other side.
            other = 0 if row > body.height // 2 else body.height - 2
            table.move_cursor(other)
            await pilot.pause()
            cursor_y = body.y + 1 + table.cursor_row - int(table.scroll_y)
            assert cells_under_toasts(app, cursor_y) == [], ("moved", other, cursor_y)
            app.clear_notifications()
            await pilot.pause()
        # Scrolling (the wheel) moves the cursor's row on screen without moving the
        # cursor: the toasts follow it.
        table.move_cursor(30)  # the table scrolls: the cursor is on its last line
        await pilot.pause()
        source.jobs = [changed(job, state=JobState.FAILED) for job in running]
        await pilot.press("r")
        await wait_for(pilot, lambda: len(job_notes(app)) >= 1)
        await pilot.pause(0.1)
        before = body.y + 1 + table.cursor_row - int(table.scroll_y)
        table.scroll_to(y=table.cursor_row - 2, animate=False, immediate=True)
        await pilot.pause()
        cursor_y = body.y + 1 + table.cursor_row - int(table.scroll_y)
        assert cursor_y <= before - 5 and toasts_drawn(app)
        assert cells_under_toasts(app, cursor_y) == [], ("scrolled", cursor_y)


def test_an_event_log_entry_is_one_clean_line_of_plain_text() -> None:
    from tests.ui.fakes import NOW
    from tui.screens.event_log import entry_content
    from tui.store import LogEntry

    hostile = "line one\nline two \x1b[31mred\x1b[0m [@click=app.quit]x[/] \x9b2J\u202eevil"
    source = entry_content(LogEntry(NOW, "acct\x1b]52;c;eA==\x07", EventKind.FAILING, hostile))
    change = entry_content(
        LogEntry(
            NOW,
            "a",
            EventKind.TRANSITION,
            job_id="id\n\x1b[2J",
            old_state=JobState.RUNNING,
            new_state=JobState.FAILED,
            status="error\r\nx",
        ),
        name="name\x1b[1m[b]bold[/b]",
    )
    for content in (source, change):
        text = content.plain
        assert "\n" not in text and "\r" not in text
        assert not any(ch in text for ch in ("\x1b", "\x9b", "\x07", "\u202e"))
        assert not any(span.style and "click" in str(span.style) for span in content.spans)
    assert "[@click=app.quit]x[/]" in source.plain and "[b]bold[/b]" in change.plain


async def test_a_job_that_failed_between_two_refreshes_notifies_but_an_old_failure_does_not(
    store: JobStore, clock: FrozenClock
) -> None:
    from dataclasses import replace as copy

    from tests.ui.fakes import NOW

    source = FakeProvider("zoo-prod", [make_job("zoo-prod", 1, JobState.RUNNING)])
    app = make_app([source], store, clock)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await loaded(pilot, [source])
        clock.advance(60)
        quick = copy(
            make_job("zoo-prod", 2, JobState.FAILED, name="quick.step"),
            created_at=NOW + timedelta(seconds=20),
            finished_at=NOW + timedelta(seconds=40),
        )
        old = copy(
            make_job("zoo-prod", 3, JobState.FAILED, name="old.step"),
            finished_at=NOW - timedelta(days=1),
        )
        source.jobs = [*source.jobs, quick, old]
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.index.get(old.key) is not None)
        await wait_for(pilot, lambda: len(job_notes(app)) == 1)
        await pilot.pause(0.1)
        notes = job_notes(app)
        assert len(notes) == 1 and notes[0].title == "zoo-prod: job failed"
        assert "quick.step" in notes[0].message and "old.step" not in notes[0].message
