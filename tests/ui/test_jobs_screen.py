"""Pilot tests of the main screen: views, filters, sorts, cursor, refresh, pause, failures."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from rich.cells import cell_len
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from tests.ui.conftest import settings_for
from tests.ui.fakes import FakeProvider, changed, created, make_job, sample_jobs
from tests.waiting import wait_for
from tui.app import JobsApp
from tui.clock import FrozenClock
from tui.errors import RateLimitedError, UnavailableError
from tui.job_index.filters import JobFilter
from tui.job_index.index import Column
from tui.job_index.search import parse_search
from tui.models import Job, JobDetail, JobState
from tui.screens.jobs import JobsScreen
from tui.store import JobStore
from tui.sync.health import Health
from tui.widgets.job_table import JobTable

SIZE = (120, 32)


def make_app(
    providers: Sequence[FakeProvider], store: JobStore, clock: FrozenClock, refresh: float = 60.0
) -> JobsApp:
    settings = settings_for(
        *(p.account for p in providers),
        refresh=refresh,
        providers={p.account: p.provider for p in providers},
    )
    return JobsApp(settings, providers, store, clock)


def screen_of(app: JobsApp) -> JobsScreen:
    screen = app.get_screen("_default") if False else app.screen
    assert isinstance(screen, JobsScreen)
    return screen


def table_text(app: JobsApp) -> list[str]:
    """The table's visible lines as plain text."""
    table = app.screen.query_one(JobTable)
    return [table.render_line(y).text for y in range(table.size.height)]


def state_of(screen: JobsScreen, job: Job) -> JobState | None:
    """The state the screen's index holds for `job` (None while it is not listed)."""
    held = screen.index.get(job.key)
    return held.state if held is not None else None


def sorted_by(screen: JobsScreen) -> Column:
    """The index's sort column, read afresh (a call, so a type checker does not carry an
    earlier comparison's narrowing past the keys that change it)."""
    return screen.index.sort_column


def status_line(app: JobsApp) -> str:
    return str(app.screen.query_one("#status-line", Static).content)


async def loaded(pilot: Pilot[int], providers: Sequence[FakeProvider]) -> JobsScreen:
    screen = screen_of(pilot.app)  # type: ignore[arg-type]
    await wait_for(
        pilot,
        lambda: all(screen.source_health(p.account).health == Health.OK for p in providers),
    )
    return screen


async def test_all_view_merges_sources_and_views_switch(
    provider_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    prod, lab = provider_sources
    app = make_app(provider_sources, store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, provider_sources)
        assert screen.index.row_count() == 20
        assert "Source" in table_text(app)[0]
        await pilot.press("2")
        assert {job.account for job in screen.jobs_in_view()} == {prod.account}
        assert "Source" not in table_text(app)[0]
        await pilot.press("tab")
        assert {job.account for job in screen.jobs_in_view()} == {lab.account}
        await pilot.press("tab")
        assert screen.current_view == 0 and screen.index.row_count() == 20
        sources = str(screen.query_one("#sources", Static).content)
        assert prod.account in sources and "● ok" in sources and "✖ 2" in sources


async def test_failed_only_toggle_and_escape_clears(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, two_sources)
        await pilot.press("f")
        jobs = screen.jobs_in_view()
        assert jobs and all(job.state == JobState.FAILED for job in jobs)
        assert "states: failed" in status_line(app)
        await pilot.press("f")
        assert screen.index.row_count() == 20
        await pilot.press("f", "escape")
        assert screen.index.row_count() == 20


async def test_search_substring_negation_regex_and_count(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, two_sources)
        await pilot.press("slash")
        search = screen.query_one("#search", Input)
        assert search.has_focus
        await pilot.press(*"part-00")
        names = {job.name for job in screen.jobs_in_view()}
        assert names and all(name.startswith("part-00") for name in names)
        assert f'search "part-00": {len(screen.jobs_in_view())} matches' in status_line(app)
        search.value = "!meta"
        await pilot.pause()
        assert {job.account for job in screen.jobs_in_view()} == {"zoo-prod"}
        search.value = "re:part-01[01]"
        await pilot.pause()
        assert sorted({job.name for job in screen.jobs_in_view()}) == [
            "part-010.step",
            "part-011.step",
        ]
        search.value = "/part-0(0[0-3])/"
        await pilot.pause()
        assert {job.name for job in screen.jobs_in_view()} <= {f"part-00{n}.step" for n in range(4)}
        # Field qualifiers: the state and the source are searchable; the query is quoted.
        search.value = "state:failed source:zoo"
        await pilot.pause()
        failed = [job for job in screen.jobs_in_view()]
        assert failed and all(
            job.state == JobState.FAILED and job.account == "zoo-prod" for job in failed
        )
        assert f'search "state:failed source:zoo": {len(failed)} matches' in status_line(app)
        search.value = "!failed"
        await pilot.pause()
        assert len(screen.jobs_in_view()) == 20 - sum(
            job.state == JobState.FAILED for job in screen.index.jobs()
        )
        search.value = "re:(["
        await pilot.pause()
        assert "bad regex" in status_line(app)
        await pilot.press("enter")
        assert screen.query_one(JobTable).has_focus
        await pilot.press("escape")
        assert screen.index.row_count() == 20


async def test_state_multiselect_and_status_filter(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, two_sources)
        await pilot.press("m")
        # select "running" and "queued" with the keyboard: states listed in JobState order
        await pilot.press("space")  # queued (first)
        await pilot.press("down", "space")  # running
        states = {job.state for job in screen.jobs_in_view()}
        assert states == {JobState.QUEUED, JobState.RUNNING}
        await pilot.press("escape")
        assert not screen.query_one("#filters").display
        await pilot.press("escape")  # clears
        assert screen.index.row_count() == 20
        await pilot.press("m", "tab")
        # the status list: (any), then the statuses seen, sorted; pick "canceled"
        options = screen.query_one("#filter-status", OptionList)
        assert options.has_focus
        options.highlighted = 1
        await pilot.press("enter")
        jobs = screen.jobs_in_view()
        assert jobs and {job.status for job in jobs} == {"canceled"}
        assert "status: canceled" in status_line(app)


async def test_sort_keys_reverse_and_header_click(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, two_sources)
        assert screen.index.sort_column == Column.AGE
        assert "Age ▲" in table_text(app)[0]
        ages = [created(job) for job in screen.jobs_in_view()]
        assert ages == sorted(ages, reverse=True)
        await pilot.press("s", "s", "s")  # duration, progress, state: the columns' order
        assert sorted_by(screen) == Column.STATE
        assert screen.jobs_in_view()[0].state == JobState.FAILED
        await pilot.press("S")
        assert "State ▼" in table_text(app)[0]
        assert screen.jobs_in_view()[-1].state == JobState.FAILED
        name_x = table_text(app)[0].index("Name")
        await pilot.click(JobTable, offset=(name_x + 1, 0))
        assert sorted_by(screen) == Column.NAME and not screen.index.descending
        names = [job.name.casefold() for job in screen.jobs_in_view()]
        assert names == sorted(names)
        await pilot.click(JobTable, offset=(name_x + 1, 0))
        assert screen.index.descending
        assert "Name ▼" in table_text(app)[0]


async def test_cursor_stays_on_its_job_across_refresh_and_resort(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, two_sources)
        table = screen.query_one(JobTable)
        await pilot.press("j", "j", "j")
        chosen = table.cursor_job
        assert chosen is not None and table.cursor_row == 3
        # five new, younger jobs arrive at the top and the chosen job changes status
        zoo = two_sources[0]
        zoo.jobs = [make_job("zoo-prod", -n - 1, JobState.QUEUED) for n in range(5)] + [
            changed(job, status="in_progress", state=JobState.RUNNING, finished_at=None)
            if job.key == chosen.key
            else job
            for job in zoo.jobs
        ]
        calls = len(zoo.queries)
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.index.row_count() == 25)
        assert len(zoo.queries) == calls + 1
        assert table.cursor_key == chosen.key
        assert table.cursor_row == 8
        assert chosen.key in table._flash  # the changed row flashes
        await pilot.press("s")  # a new order shows its top, the cursor on its first row
        assert table.cursor_row == 0
        assert table.cursor_key == screen.jobs_in_view()[0].key


async def test_failing_source_keeps_stale_rows_and_says_why(
    provider_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(provider_sources, store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, provider_sources)
        failing = provider_sources[0]
        failing.error = UnavailableError(
            "the server answered 503 [/x] [@click=app.quit]", account=failing.account
        )
        await pilot.press("r")
        await wait_for(
            pilot, lambda: screen.source_health(failing.account).health == Health.FAILING
        )
        assert screen.index.row_count() == 20
        health = screen.source_health(failing.account)
        assert "503 [/x] [@click=app.quit]" in (health.error or "")
        sources = str(screen.query_one("#sources", Static).content)
        assert (
            "✖ failing" in sources and "next try in" in sources and "[@click=app.quit]" in sources
        )
        assert failing.account in "".join(n.title for n in app._notifications)
        assert failing.account in screen.query_one(JobTable).stale_accounts
        failing.error = None
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.source_health(failing.account).health == Health.OK)
        assert failing.account not in screen.query_one(JobTable).stale_accounts


async def test_rate_limit_backs_off_at_least_retry_after(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock, refresh=0.5)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, two_sources)
        zoo = two_sources[0]
        zoo.error = RateLimitedError("slow down", retry_after=30, account="zoo-prod")
        await wait_for(pilot, lambda: screen.source_health("zoo-prod").health == Health.FAILING)
        health = screen.source_health("zoo-prod")
        assert health.next_try_at is not None
        assert (health.next_try_at - clock()).total_seconds() >= 30
        calls = len(zoo.queries)
        await pilot.pause(1.2)
        assert len(zoo.queries) == calls  # still waiting out Retry-After


async def test_pause_stops_refresh_and_says_so(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock, refresh=0.5)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await loaded(pilot, two_sources)
        zoo = two_sources[0]
        await wait_for(pilot, lambda: len(zoo.queries) >= 2)
        await pilot.press("p")
        assert "PAUSED" in status_line(app)
        assert "paused" in str(app.screen.query_one("#sources", Static).content)
        await pilot.pause(0.6)
        calls = len(zoo.queries)
        await pilot.pause(1.2)
        assert len(zoo.queries) == calls
        await pilot.press("r")  # one refresh even while paused
        await wait_for(pilot, lambda: len(zoo.queries) == calls + 1)
        await pilot.press("p")
        assert "PAUSED" not in status_line(app)
        await wait_for(pilot, lambda: len(zoo.queries) >= calls + 3)


async def test_refresh_never_overlaps_when_slower_than_interval(
    store: JobStore, clock: FrozenClock
) -> None:
    slow = FakeProvider("slow", sample_jobs("slow", 3), latency=0.4)
    app = make_app([slow], store, clock, refresh=0.5)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await pilot.press("minus")  # interval changes at run time
        await pilot.press("plus", "plus", "plus")
        assert screen_of(app).interval == 0.5
        await wait_for(pilot, lambda: len(slow.queries) >= 3)
        assert slow.max_in_flight == 1


async def test_interval_keys_change_interval(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock, refresh=5)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, two_sources)
        await pilot.press("minus")
        assert screen.interval == 10
        assert "every 10s" in status_line(app)
        await pilot.press("plus", "plus")
        assert screen.interval == 3


async def test_finished_tracked_jobs_are_skipped(store: JobStore, clock: FrozenClock) -> None:
    done = make_job("hdr", 1, JobState.SUCCEEDED)
    running = make_job("hdr", 2, JobState.RUNNING)
    source = FakeProvider("hdr", [done, running])
    store.add_tracked("hdr", [done.id, running.id])
    app = make_app([source], store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await loaded(pilot, [source])
        source.jobs = [running]  # the finished one is not fetched again
        await pilot.press("r")
        await wait_for(pilot, lambda: len(source.queries) == 2)
        await pilot.pause(0.1)
        query = source.queries[-1]
        assert set(query.tracked_ids) == {done.id, running.id}
        assert query.skip_ids == frozenset({done.id})
        assert screen_of(app).index.get(done.key) is not None


async def test_notifies_when_a_job_fails_or_finishes(store: JobStore, clock: FrozenClock) -> None:
    running = make_job("zoo-prod", 1, JobState.RUNNING, name="bracket [/x] [b]bold[/b].step")
    source = FakeProvider("zoo-prod", [running])
    app = make_app([source], store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await loaded(pilot, [source])
        source.jobs = [changed(running, state=JobState.FAILED, status="error_user")]
        await pilot.press("r")
        await wait_for(pilot, lambda: any("failed" in n.title for n in app._notifications))
        note = next(n for n in app._notifications if "failed" in n.title)
        assert "bracket [/x] [b]bold[/b].step" in note.message
        assert not note.markup
        await pilot.pause(0.1)
        assert app.is_running


async def test_summary_of_changes_since_last_open(clock: FrozenClock) -> None:
    """A change the CLI saved while the app was closed is summed up at start, once the
    first refresh has answered (here: failed, so the stored rows stay)."""
    store = JobStore(":memory:", clock=clock)
    try:
        job = make_job("zoo-prod", 1, JobState.RUNNING)
        store.save_jobs("zoo-prod", [job], refreshed_at=clock())
        store.mark_opened(clock())
        clock.advance(60)
        store.save_jobs("zoo-prod", [changed(job, state=JobState.FAILED, status="error_user")])
        clock.advance(60)
        source = FakeProvider("zoo-prod", [])
        source.error = UnavailableError("the server answered 503", account="zoo-prod")
        app = make_app([source], store, clock)
        async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
            await wait_for(
                pilot,
                lambda: any(n.title == "Since you were last here" for n in app._notifications),
            )
            note = next(n for n in app._notifications if n.title == "Since you were last here")
            assert note.message.startswith("1 known job changed since jobtop was last open")
            assert "1 failed" in note.message and not note.markup
            screen = screen_of(app)
            assert screen.index.get(job.key) is not None
            assert screen.source_health("zoo-prod").health == Health.FAILING
            assert "stored data from 2 minutes ago" in str(
                screen.query_one("#sources", Static).content
            )
    finally:
        store.close()


async def test_hostile_names_render_as_text_and_clicks_run_nothing(
    store: JobStore, clock: FrozenClock
) -> None:
    hostile = [
        "[@click=app.quit]Click here[/]",
        "[/x] closing",
        "[link=https://evil.example/x]see[/link]",
        "line one\nline two\nline three",
        "x" * 5000,
        "[$accent]styled[/] [B]bold[/B] x [/",
        "sep\u2028line\u2029para\x85nel soft\u00adhy\u3164 ✔\ufe0f 👍\U0001f3fd tag\U000e0041",
    ]
    jobs = [
        make_job("evil", n, JobState.FAILED, name=name, error=name)
        for n, name in enumerate(hostile)
    ]
    source = FakeProvider("evil", jobs)
    app = make_app([source], store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await loaded(pilot, [source])
        lines = table_text(app)
        assert any("[@click=app.quit]Click here[/]" in line for line in lines)
        assert any("line one ⏎ line two" in line for line in lines)
        assert any("sep ⏎ line ⏎ paranel softhy ✔ 👍" in line for line in lines)
        # Every row is the table's width, as drawn: no character is measured as zero cells
        # (separators, soft hyphen, fillers, selectors, tags) or counted apart from its
        # neighbours (a skin tone after an emoji).
        width = app.screen.query_one(JobTable).scrollable_content_region.width
        assert {cell_len(line) for line in lines} == {width}
        assert all(cell_len(line) == sum(cell_len(ch) for ch in line) for line in lines)
        assert all(cell_len(ch) > 0 for line in lines for ch in line)
        for row in range(1, len(hostile) + 1):
            await pilot.click(JobTable, offset=(40, row))
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_enter_posts_open_and_pushes_detail(
    provider_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    from tui.messages import OpenJobRequested

    seen: list[OpenJobRequested] = []
    app = make_app(provider_sources, store, clock)
    async with app.run_test(
        size=SIZE,
        notifications=True,
        tooltips=True,
        message_hook=lambda m: seen.append(m) if isinstance(m, OpenJobRequested) else None,
    ) as pilot:
        screen = await loaded(pilot, provider_sources)
        job = screen.query_one(JobTable).cursor_job
        assert job is not None
        await pilot.press("enter")
        await pilot.pause()
        assert seen and (seen[0].account, seen[0].job_id) == job.key
        assert app.screen is not screen  # the detail screen is shown
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)


async def test_enter_paints_the_row_at_once_and_the_stored_job_when_the_provider_fails(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    """The detail shows the row's name and state before its fetch answers; when the fetch
    fails, it shows the job as the store last saw it, marked stale."""
    import asyncio

    from tui.errors import UnavailableError
    from tui.screens.job_detail import JobDetailScreen
    from tui.widgets.detail_common import Fields

    gate = asyncio.Event()
    provider = two_sources[0]

    async def held(job_id: str, parent_id: str | None = None) -> JobDetail:
        await gate.wait()
        raise UnavailableError("the server answered 503", account=provider.account)

    provider.get_job = held  # type: ignore[method-assign]
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, two_sources)
        await pilot.press("2")  # the held source's view
        await pilot.pause()
        job = screen.query_one(JobTable).cursor_job
        assert job is not None and job.account == provider.account
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, JobDetailScreen) and detail.detail is None
        summary = detail.query_one("#job-summary", Fields).plain
        assert job.name in summary and job.status in summary
        gate.set()
        await wait_for(pilot, lambda: "stored" in str(detail.query_one("#detail-loading").render()))
        mark = detail.query_one("#detail-loading")
        assert str(mark.render()).startswith("◔ stale") and mark.has_class("-stale")
        assert job.name in detail.query_one("#job-summary", Fields).plain
        assert "503" in str(detail.query_one("#detail-status").render())


async def test_resize_storm_and_tiny_terminals(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await loaded(pilot, two_sources)
        for size in [(1, 1), (2, 1), (10, 3), (40, 10), (300, 100), (80, 24)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
        assert app.is_running


@pytest.mark.parametrize("empty", [True])
async def test_empty_source_says_no_jobs(store: JobStore, clock: FrozenClock, empty: bool) -> None:
    source = FakeProvider("quiet", [])
    app = make_app([source], store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await loaded(pilot, [source])
        assert "No jobs" in table_text(app)[1]


async def test_server_side_filters_are_sent_and_never_drop_other_rows(
    store: JobStore, clock: FrozenClock
) -> None:
    from tui.providers.base import Capabilities

    jobs = sample_jobs("zoo-prod", 12)
    source = FakeProvider(
        "zoo-prod",
        jobs,
        capabilities=Capabilities(lists=True, server_filters=frozenset({"states", "text"})),
    )
    app = make_app([source], store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, [source])
        source.jobs = [job for job in jobs if job.state == JobState.FAILED]  # the server filters
        await pilot.press("f")  # the server is asked at once
        await wait_for(pilot, lambda: len(source.queries) == 2)
        await pilot.pause(0.2)
        assert source.queries[-1].states == frozenset({JobState.FAILED})
        await pilot.press("slash", *"part-00", "enter")
        await wait_for(pilot, lambda: len(source.queries) == 3)
        assert source.queries[-1].text == "part-00"
        await pilot.pause(0.2)
        source.jobs = jobs  # unfiltered, the server lists everything again
        await pilot.press("escape")
        assert screen.index.row_count() == 12  # nothing was removed by the filtered listings


async def test_table_repaints_exactly_when_the_rows_on_screen_change(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    """A filter that leaves the same jobs on screen needs no repaint; any visible change does."""
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, two_sources)
        table = screen.query_one(JobTable)
        index = screen.index
        repaints: list[int] = []
        original = table.refresh

        def counting_refresh(*regions: Region, **kwargs: Any) -> JobTable:
            repaints.append(1)
            return original(*regions, **kwargs)

        table.refresh = counting_refresh  # type: ignore[method-assign]

        async def change(apply: Callable[[], object]) -> int:
            await pilot.pause()
            repaints.clear()
            apply()
            table.rows_changed()
            return len(repaints)

        # every job matches: what is painted is what would be painted
        await change(lambda: index.set_filter(JobFilter(search=parse_search("-"))))
        assert table._window_state() == table._painted
        # other rows
        assert await change(lambda: index.set_filter(JobFilter(search=parse_search("part-00"))))
        # a visible job changes in place (same key, new status), no flash asked
        shown = index[0]
        assert await change(lambda: index.upsert([changed(shown, status="zq-new")]))
        # only the header's sort arrow changes (one row shown)
        await change(lambda: index.set_filter(JobFilter(search=parse_search(shown.id))))
        assert index.row_count() == 1
        assert await change(lambda: index.set_sort(index.sort_column, not index.descending))


async def test_a_search_at_scale_shows_its_rows_first_and_its_count_after(
    store: JobStore, clock: FrozenClock
) -> None:
    """At 30,000 jobs a search finds the rows on screen at once and says it is counting;
    the rest is found between frames, then the exact count and the scrollbar follow."""
    providers = [FakeProvider("zoo-prod", sample_jobs("zoo-prod", 30_000))]
    app = make_app(providers, store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, providers)
        await wait_for(pilot, lambda: screen.index.prepared)
        table = screen.query_one(JobTable)
        await pilot.press("slash")
        await pilot.pause()
        everything = [job for job in screen.jobs_in_view()]
        expected = [job for job in everything if "part-1" in job.name]
        screen.view_state.search = "part-1"
        screen._apply_filter()  # what a keystroke in the search box runs, without the frame
        assert screen.index.pending
        found, looked, total = screen.index.progress()
        assert looked < total == 30_000
        assert (
            f'search "part-1": {found:,} matches so far (searched {looked:,} of 30,000)'
            in status_line(app)
        )
        rows_on_screen = table.size.height - 1
        assert [screen.index[row] for row in range(rows_on_screen)] == expected[:rows_on_screen]
        assert table.cursor_job == expected[0]
        await wait_for(pilot, lambda: not screen.index.pending)
        await pilot.pause()
        assert f'search "part-1": {len(expected):,} matches' in status_line(app)
        assert "so far" not in status_line(app)
        assert table.virtual_size.height == len(expected) + 1
        assert screen.jobs_in_view() == expected


async def test_search_typed_with_the_cursor_at_the_end_and_data_changing_meanwhile(
    store: JobStore, clock: FrozenClock
) -> None:
    """Keys typed with the cursor on the last of 30,000 rows: while its job matches, the
    cursor stays on it (at the end); once the search leaves it out, the cursor goes to the
    first match. A refresh that lands while a listing is being finished is shown in it.
    A refresh does not pull back a view scrolled away from the cursor."""
    jobs = sample_jobs("zoo-prod", 30_000)
    providers = [FakeProvider("zoo-prod", jobs)]
    app = make_app(providers, store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, providers)
        await wait_for(pilot, lambda: screen.index.prepared)
        table = screen.query_one(JobTable)
        await pilot.press("G")
        last = table.cursor_job
        assert last is not None and last == screen.index[29_999]
        await pilot.press("slash", *"step")  # every job matches: the cursor stays
        await wait_for(pilot, lambda: not screen.index.pending)
        assert table.cursor_job == last and table.cursor_row == 29_999
        assert table.scroll_y <= table.cursor_row < table.scroll_y + table.size.height
        for _ in "step":
            await pilot.press("backspace")
        await pilot.press(*"part-1")  # leaves the last job out: to the first match
        await wait_for(pilot, lambda: not screen.index.pending)
        await pilot.pause()
        matches = [job for job in screen.jobs_in_view()]
        assert matches and all("part-1" in job.name for job in matches)
        assert last not in matches and table.cursor_job == matches[0]
        assert table.cursor_row == 0 and table.scroll_y == 0
        assert f'search "part-1": {len(matches):,} matches' in status_line(app)

        # data changes while the next listing is being finished
        screen.view_state.search = "part-2"
        screen._apply_filter()
        assert screen.index.pending
        renamed = changed(jobs[20_000], name="part-2-renamed.step")
        gone = changed(jobs[25_000], name="other.step")
        screen.index.upsert([renamed, gone])
        screen._refresh_view(flash=set())
        await wait_for(pilot, lambda: not screen.index.pending)
        shown = screen.jobs_in_view()
        assert renamed in shown and gone not in shown
        assert all("part-2" in job.name for job in shown)

        # scrolled away with the wheel, the view stays through a refresh
        table.focus()
        await pilot.press("g")
        assert table.cursor_row == 0
        table.scroll_to(y=500, animate=False, immediate=True)
        screen.index.upsert([changed(shown[3], status="zq-new")])
        screen._refresh_view(flash=set())
        await pilot.pause()
        assert table.scroll_y == 500 and table.cursor_row == 0


async def test_a_word_typed_in_one_burst_after_slash_goes_to_the_search(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    """`/` and a word sent at once, as over SSH or a paste: the digits are search text,
    not view keys, and they arrive in order."""
    from textual import events

    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, two_sources)
        burst = [events.Key("slash", "/")] + [events.Key(c, c) for c in "0011-zoo"]
        for event in burst:
            app.post_message(event)
        await wait_for(pilot, lambda: screen.query_one("#search", Input).value == "0011-zoo")
        await pilot.pause()
        assert screen.current_view == 0
        assert [job.id[:8] for job in screen.jobs_in_view()] == ["0011-zoo"]
