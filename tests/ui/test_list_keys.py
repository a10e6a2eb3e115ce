"""Keys of the job list: the refresh interval under a second, the view keys of the sources
that exist (by name), `c` copying the highlighted id, tracked jobs marked and `u` untracking,
`t` preselecting the highlighted row's source."""

from __future__ import annotations

import base64
import re

from textual.widgets import Select, Static

from tests.ui.conftest import settings_for
from tests.ui.fakes import FakeProvider, changed, make_job, sample_jobs
from tests.ui.test_jobs_screen import loaded, make_app, status_line, table_text
from tests.waiting import wait_for
from tui.app import JobsApp
from tui.clock import FrozenClock
from tui.config import AccountConfig
from tui.screens.help import HelpScreen
from tui.screens.jobs import JobsScreen
from tui.screens.track import TrackScreen
from tui.store import JobStore
from tui.widgets.job_table import TRACKED_MARK, JobTable

SIZE = (120, 32)
OSC_52 = re.compile("\x1b\\]52;c;([A-Za-z0-9+/=]*)\x07")


async def test_an_interval_under_a_second_reads_as_such(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock, refresh=1)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await loaded(pilot, two_sources)
        assert "every 1s" in status_line(app)
        await pilot.press("plus")
        assert screen.interval == 0.5
        assert "every 0.5s" in status_line(app)
        assert [n.message for n in app._notifications][-1] == "Refresh every 0.5s"


async def test_only_the_views_that_exist_have_keys_named_after_their_source(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot, two_sources)
        await pilot.press("4")  # two sources: views 1-3 only
        assert screen.current_view == 0
        await pilot.press("3")
        assert screen.current_view == 2
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: bool(app.screen.query("#help-keys")))
        assert isinstance(app.screen, HelpScreen)
        lines = str(app.screen.query_one("#help-keys", Static).content).splitlines()
        views = [line.split()[0:2] for line in lines if re.match(r"\s+\d\s", line)]
        assert views == [["1", "All"], ["2", "zoo-prod"], ["3", "meta-lab"]]
        shown = "meta-lab — Show the jobs of meta-lab (metafold)"
        assert any(line.strip().startswith("3") and shown in line for line in lines)


async def test_c_copies_the_highlighted_jobs_id_on_one_line(
    store: JobStore, clock: FrozenClock
) -> None:
    hostile = changed(make_job("zoo-prod", 1), id="\x1b[31mab\x1b[0m echo hi;\ntouch /tmp/x")
    source = FakeProvider("zoo-prod", [make_job("zoo-prod", 0), hostile])
    app = make_app([source], store, clock)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await loaded(pilot, [source])
        written: list[str] = []
        driver = app._driver
        assert driver is not None
        write = driver.write

        def capture(data: str) -> None:
            written.append(data)
            write(data)

        driver.write = capture  # type: ignore[method-assign]
        await pilot.press("j")
        assert screen.query_one(JobTable).cursor_job == hostile
        await pilot.press("c")
        shown = "ab echo hi; ⏎ touch /tmp/x"
        await wait_for(pilot, lambda: any(OSC_52.search(data) for data in written))
        payloads = [base64.b64decode(f).decode() for d in written for f in OSC_52.findall(d)]
        assert payloads == [shown]
        assert app.clipboard == shown
        assert [n.message for n in app._notifications][-1] == f"Copied job id {shown}"


def _name_cell(app: JobsApp, job_name: str) -> str:
    return next(line for line in table_text(app) if job_name in line)


async def test_tracked_jobs_are_marked_and_u_untracks_them(
    store: JobStore, clock: FrozenClock
) -> None:
    jobs = sample_jobs("hdr", 4)
    source = FakeProvider("hdr", jobs)
    store.add_tracked("hdr", [jobs[1].id])
    settings = settings_for("hdr")
    settings = type(settings)(
        accounts=(
            AccountConfig(
                name="hdr",
                provider=settings.accounts[0].provider,
                base_url=settings.accounts[0].base_url,
                track=(jobs[2].id,),
            ),
        ),
        refresh=60.0,
    )
    app = JobsApp(settings, [source], store, clock)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await loaded(pilot, [source])
        table = screen.query_one(JobTable)
        marked = f"{TRACKED_MARK} {jobs[1].name}"
        await wait_for(pilot, lambda: marked in _name_cell(app, jobs[1].name))
        assert f"{TRACKED_MARK} {jobs[2].name}" in _name_cell(app, jobs[2].name)  # by the config
        assert TRACKED_MARK not in _name_cell(app, jobs[0].name)
        rows = [job.key for job in screen.jobs_in_view()]
        table.move_cursor(rows.index(jobs[1].key))
        await pilot.press("u")
        await wait_for(pilot, lambda: store.tracked_ids("hdr") == [])
        await wait_for(pilot, lambda: TRACKED_MARK not in _name_cell(app, jobs[1].name))
        said = [n.message for n in app._notifications][-1]
        assert said == f"No longer tracking {jobs[1].id} on hdr"
        table.move_cursor(rows.index(jobs[2].key))
        await pilot.press("u")  # tracked by the config file: it stays, and says where
        assert "config file" in [n.message for n in app._notifications][-1]
        assert TRACKED_MARK in _name_cell(app, jobs[2].name)


async def test_t_preselects_the_highlighted_rows_source(
    store: JobStore, clock: FrozenClock
) -> None:
    sources = [
        FakeProvider("zoo-prod", sample_jobs("zoo-prod", 3)),
        FakeProvider("meta-lab", sample_jobs("meta-lab", 3, offset=10)),
        FakeProvider("hdr", sample_jobs("hdr", 3, offset=20)),
    ]
    app = make_app(sources, store, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot, sources)
        assert isinstance(screen, JobsScreen)
        table = screen.query_one(JobTable)
        for row, job in enumerate(screen.jobs_in_view()):
            table.move_cursor(row)
            await pilot.press("t")
            await wait_for(pilot, lambda: isinstance(app.screen, TrackScreen))
            assert app.screen.query_one("#track-account", Select).value == job.account
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)


async def test_before_the_cursor_is_moved_it_stays_on_the_top_row_as_sources_load(
    store: JobStore, clock: FrozenClock
) -> None:
    """A source that answers first fills the list, then a slower one's newer jobs arrive
    above: the cursor, never moved yet, is on the top row (not on the first job that came),
    so `t` preselects the source of the row at the top."""
    fast = FakeProvider("hdr", sample_jobs("hdr", 3, offset=20))
    slow = FakeProvider("zoo-prod", sample_jobs("zoo-prod", 3), latency=0.3)
    app = make_app([slow, fast], store, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot, [fast, slow])
        table = screen.query_one(JobTable)
        top = screen.jobs_in_view()[0]
        assert top.account == "zoo-prod"
        assert table.cursor_row == 0 and table.cursor_job == top
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TrackScreen))
        assert app.screen.query_one("#track-account", Select).value == "zoo-prod"
        await pilot.press("escape")
        # once moved, the cursor stays on its job as others arrive
        await pilot.press("j")
        chosen = table.cursor_job
        slow.jobs = [make_job("zoo-prod", -1), *slow.jobs]
        await pilot.press("r")
        # The table takes the new row a frame after the index: wait for the cursor to follow.
        await wait_for(
            pilot,
            lambda: screen.index.row_count() == 7 and table.cursor_row == 2,
            "the cursor on its job's new row",
        )
        assert table.cursor_job == chosen


async def test_a_job_opened_stays_under_the_cursor_when_the_search_is_cleared(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot, two_sources)
        table = screen.query_one(JobTable)
        wanted = screen.jobs_in_view()[5]
        await pilot.press("slash", *wanted.id[:12], "enter")
        assert screen.jobs_in_view() == [wanted]
        await pilot.press("enter")  # opened from the cursor's first row
        await wait_for(pilot, lambda: app.screen is not screen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("escape")  # clears the search: the opened job keeps the cursor
        assert screen.index.row_count() == 20
        assert table.cursor_job == wanted and table.cursor_row == 5
