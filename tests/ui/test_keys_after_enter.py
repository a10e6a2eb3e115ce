"""Keys sent in one burst after Enter or Escape in a search box (over SSH, a paste, a slow
machine) belong to whatever has the focus after it, never to the box."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from tests.ui.fakes import FakeProvider, sample_jobs
from tests.ui.test_jobs_screen import loaded, make_app
from tests.waiting import wait_for
from tui.app import JobsApp
from tui.clock import FrozenClock
from tui.models import JobDetail
from tui.screens.job_detail import JobDetailScreen
from tui.store import JobStore
from tui.widgets.job_table import JobTable
from tui.widgets.json_view import JsonView

SIZE = (120, 32)

_NAMES = {"/": "slash", "-": "minus", " ": "space"}


def burst(app: JobsApp, *keys: str) -> None:
    """Post every key at once, with no pause for the app to handle any of them: a word is
    its characters, "enter" and "escape" are those keys."""
    for key in keys:
        if key in ("enter", "escape"):
            app.post_message(events.Key(key, None))
            continue
        for character in key:
            app.post_message(events.Key(_NAMES.get(character, character), character))


async def test_keys_after_enter_in_one_burst_move_the_cursor(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot, two_sources)
        table = screen.query_one(JobTable)
        search = screen.query_one("#search", Input)
        burst(app, "/part", "enter", "jj")
        await wait_for(pilot, lambda: table.has_focus and table.cursor_row == 2)
        await pilot.pause()
        assert search.value == "part"
        assert table.cursor_row == 2


async def test_keys_after_enter_with_the_box_already_open(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    """The box has the focus before the burst: the keys reach it, not the table, first."""
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot, two_sources)
        table = screen.query_one(JobTable)
        search = screen.query_one("#search", Input)
        await pilot.press("slash")
        assert search.has_focus
        burst(app, "part", "enter", "jjj")
        await wait_for(pilot, lambda: table.has_focus and table.cursor_row == 3)
        await pilot.pause()
        assert search.value == "part"
        assert table.cursor_row == 3


async def test_q_right_after_escape_closes_the_search_quits(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, two_sources)
        burst(app, "/part", "escape", "q")
        await wait_for(pilot, lambda: app._exit)


async def test_q_after_escape_with_the_box_already_open_quits(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot, two_sources)
        await pilot.press("slash", *"zz")
        assert screen.query_one("#search", Input).value == "zz"
        burst(app, "escape", "q")
        await wait_for(pilot, lambda: app._exit)


class RawProvider(FakeProvider):
    """Details with raw JSON where "e" occurs on many lines."""

    async def get_job(self, job_id: str, parent_id: str | None = None) -> JobDetail:
        detail = await super().get_job(job_id, parent_id)
        return JobDetail(job=detail.job, raw={f"key{n}": "value" for n in range(8)})


async def test_keys_after_enter_in_the_detail_json_search_go_to_the_matches(
    store: JobStore, clock: FrozenClock
) -> None:
    sources = [RawProvider("zoo-prod", sample_jobs("zoo-prod", 4))]
    app = make_app(sources, store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, sources)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        detail = app.screen
        raw = detail.query_one("#detail-raw", JsonView)
        search = detail.query_one("#detail-search", Input)
        await wait_for(pilot, lambda: len(raw.lines) > 3)
        burst(app, "/e", "enter", "nn")
        await wait_for(pilot, lambda: raw.has_focus and raw.current_match is not None)
        await pilot.pause()
        assert search.value == "e"
        assert len(raw.matches) > 3
        assert raw.current_match == raw.matches[2]
