"""Sorting from the keyboard: `s` steps through the columns left to right, each named as
its header names it, `S` reverses; both show the top of the new order."""

from __future__ import annotations

from rich.cells import cell_len

from tests.ui.fakes import FakeProvider, created
from tests.ui.test_jobs_screen import loaded, make_app, sorted_by, status_line, table_text
from tui.clock import FrozenClock
from tui.job_index.index import Column
from tui.store import JobStore
from tui.widgets.job_table import COLUMNS, JobTable, layout_columns

SIZE = (140, 32)


async def test_s_steps_through_the_columns_in_their_order(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot, two_sources)
        assert screen.index.sort_column == Column.AGE
        seen = []
        for _ in range(8):
            await pilot.press("s")
            seen.append(screen.index.sort_column)
        assert seen == [
            Column.DURATION,
            Column.PROGRESS,
            Column.STATE,
            Column.ACCOUNT,
            Column.ID,
            Column.NAME,
            Column.STATUS,
            Column.AGE,
        ]
        await pilot.press("2")  # one source: no Source column, and none in the cycle
        seen = []
        for _ in range(7):
            await pilot.press("s")
            seen.append(screen.index.sort_column)
        assert Column.ACCOUNT not in seen and seen[-1] == Column.AGE


async def test_duration_first_shows_the_longest_under_its_whole_header(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot, two_sources)
        await pilot.press("s")
        assert screen.index.sort_column == Column.DURATION and screen.index.descending
        assert "Duration ▼" in table_text(app)[0]
        assert "sort Duration ▼" in status_line(app)
        durations = [job.duration_seconds(clock()) or 0 for job in screen.jobs_in_view()]
        assert durations == sorted(durations, reverse=True)


async def test_the_status_line_names_each_column_as_its_header(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot, two_sources)
        assert "sort Age ▲" in status_line(app)
        while screen.index.sort_column != Column.ACCOUNT:
            await pilot.press("s")
        assert "Source ▲" in table_text(app)[0]
        assert "sort Source ▲" in status_line(app)
        assert "account" not in status_line(app)
        await pilot.press("a")  # the Age column shows times: its header says Created
        while sorted_by(screen) != Column.AGE:
            await pilot.press("s")
        assert "Created ▲" in table_text(app)[0] and "sort Created ▲" in status_line(app)
        await pilot.press("a")
        assert "Age ▲" in table_text(app)[0] and "sort Age ▲" in status_line(app)


async def test_reverse_shows_the_top_of_the_reversed_order(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=(140, 12)) as pilot:
        screen = await loaded(pilot, two_sources)
        table = screen.query_one(JobTable)
        await pilot.press("j", "j", "j")
        assert table.cursor_row == 3
        await pilot.press("S")
        newest_last = screen.jobs_in_view()
        assert screen.index.descending
        assert table.cursor_row == 0 and table.scroll_y == 0
        assert table.cursor_job == newest_last[0]
        assert created(newest_last[0]) == min(created(job) for job in newest_last)
        # the first rows on screen are the top of the reversed order
        assert newest_last[0].id[:8] in table_text(app)[1]
        await pilot.press("G", "s")  # from the last row, a new sort shows its top too
        assert table.cursor_row == 0 and table.scroll_y == 0


def test_a_sorted_header_is_never_cut() -> None:
    """Each column is at least as wide as its header with the sort arrow, when its
    content (the header included) needs it."""
    for spec in COLUMNS:
        if not spec.width:
            continue
        needed = cell_len(f"{spec.label} ▼")
        layout = {s.column: w for s, w in layout_columns(200, True, {spec.column: needed})}
        assert layout[spec.column] >= needed, spec.label
