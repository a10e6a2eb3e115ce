"""The dashboard at 80x24: column priorities, short source labels, the source bar on one
line (Ctrl+E), a filter panel beside the table's rows rather than over them, whole keys
in the footer."""

from __future__ import annotations

import re

from textual.widgets import OptionList
from textual.widgets._footer import FooterKey

from tests.ui.fakes import FakeProvider, make_job, sample_jobs
from tests.ui.test_jobs_screen import loaded, make_app, table_text
from tests.waiting import wait_for
from tui.clock import FrozenClock
from tui.formatting import short_labels
from tui.job_index import Column
from tui.models import JobState
from tui.store import JobStore
from tui.widgets.filter_panel import FilterPanel
from tui.widgets.job_table import NAME_WANTED, JobTable, layout_columns
from tui.widgets.source_bar import SourceBar

SMALL = (80, 24)
REASON = "Geometry could not be parsed: the STEP file ends early"


def demo_sources() -> list[FakeProvider]:
    """Four sources named as the demo names them; one failed job with a long reason."""
    zoo = sample_jobs("demo-zoo", 6)
    zoo[0] = make_job("demo-zoo", 0, JobState.FAILED, name="bracket-v2.step", error=REASON)
    return [
        FakeProvider("demo-zoo", zoo),
        FakeProvider("demo-metafold", sample_jobs("demo-metafold", 4, offset=10)),
        FakeProvider("demo-lettrlabs", sample_jobs("demo-lettrlabs", 3, offset=20)),
        FakeProvider("demo-hdrjpg", sample_jobs("demo-hdrjpg", 3, offset=30)),
    ]


def bar_text(app: object) -> str:
    from textual.app import App

    assert isinstance(app, App)
    return str(app.screen.query_one(SourceBar).content)


def header_columns(header: str) -> list[str]:
    return header.replace("▲", "").replace("▼", "").split()


async def test_all_view_at_80_columns_shows_state_source_name_with_reason_and_age(
    store: JobStore, clock: FrozenClock
) -> None:
    providers = demo_sources()
    app = make_app(providers, store, clock)
    async with app.run_test(size=SMALL) as pilot:
        await loaded(pilot, providers)
        text = table_text(app)
        columns = header_columns(text[0])
        assert columns[:3] == ["State", "Source", "Name"] and "Age" in columns
        failed = next(row for row in text if "✖ failed" in row)
        # the failed job's reason, after its name
        assert "bracket-v2.step — Geometry could not be parsed" in failed
        # sources by their short labels: the words every name shares are left out
        sources = {row.split()[2] for row in text[1:] if row.strip()}
        assert sources == {"zoo", "metafold", "lettrlabs", "hdrjpg"}
        assert "demo-" not in "".join(text)
        # wide enough again: every column, and the sources by their full names
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        text = table_text(app)
        assert header_columns(text[0]) == [
            "State",
            "Source",
            "ID",
            "Name",
            "Status",
            "Age",
            "Duration",
            "Progress",
        ]
        assert "demo-metafold" in "".join(text)


def test_column_priorities() -> None:
    """State, source, name and age first; each other column only where the name keeps
    `NAME_WANTED` cells; a very narrow table keeps state and name."""
    widths = {
        Column.STATE: 12,
        Column.ACCOUNT: 9,
        Column.ID: 10,
        Column.STATUS: 11,
        Column.AGE: 5,
        Column.DURATION: 8,
        Column.PROGRESS: 10,
    }

    def shown(width: int, show_account: bool = True) -> list[Column]:
        return [spec.column for spec, _ in layout_columns(width, show_account, widths)]

    def name_width(width: int) -> int:
        return dict((spec.column, w) for spec, w in layout_columns(width, True, widths))[
            Column.NAME
        ]

    assert shown(80) == [Column.STATE, Column.ACCOUNT, Column.NAME, Column.AGE]
    assert name_width(80) >= NAME_WANTED
    assert shown(100) == [
        Column.STATE,
        Column.ACCOUNT,
        Column.NAME,
        Column.STATUS,
        Column.AGE,
        Column.DURATION,
    ]
    assert shown(200) == [
        Column.STATE,
        Column.ACCOUNT,
        Column.ID,
        Column.NAME,
        Column.STATUS,
        Column.AGE,
        Column.DURATION,
        Column.PROGRESS,
    ]
    assert Column.AGE in shown(44) and Column.ACCOUNT in shown(44)
    assert shown(20) == [Column.STATE, Column.NAME]
    # one source's view: no source column, room for the duration too
    assert shown(80, show_account=False) == [Column.STATE, Column.NAME, Column.AGE, Column.DURATION]


def test_short_labels() -> None:
    names = ["demo-zoo", "demo-metafold", "demo-lettrlabs", "demo-hdrjpg"]
    assert short_labels(names, 10) == {
        "demo-zoo": "zoo",
        "demo-metafold": "metafold",
        "demo-lettrlabs": "lettrlabs",
        "demo-hdrjpg": "hdrjpg",
    }
    # shared last words go too; what is left and still too long is cut
    assert short_labels(["acme-production-eu", "acme-staging-eu"], 8) == {
        "acme-production-eu": "product…",
        "acme-staging-eu": "staging",
    }
    # cut the same way, two names keep their ends to stay apart
    labels = short_labels(["lettrlabs-production", "lettrlabs-preview", "zoo"], 8)
    assert labels == {
        "lettrlabs-production": "let…tion",
        "lettrlabs-preview": "let…view",
        "zoo": "zoo",
    }
    # a name that is all shared words keeps them; one source keeps its name
    assert short_labels(["zoo", "zoo-eu"], 10) == {"zoo": "zoo", "zoo-eu": "zoo-eu"}
    assert short_labels(["demo-zoo"], 10) == {"demo-zoo": "demo-zoo"}
    assert short_labels(["a-very-long-source-name"], 10) == {
        "a-very-long-source-name": "a-very-lo…"
    }


async def test_source_bar_is_one_line_on_a_short_terminal_and_ctrl_e_toggles_it(
    store: JobStore, clock: FrozenClock
) -> None:
    providers = demo_sources()
    providers[0].jobs = sample_jobs("demo-zoo", 130)  # three-digit counts
    app = make_app(providers, store, clock)
    async with app.run_test(size=SMALL) as pilot:
        screen = await loaded(pilot, providers)
        await pilot.pause()
        bar = screen.query_one(SourceBar)
        line = bar_text(app)
        assert "\n" not in line and bar.outer_size.height == 1  # no border under it
        assert line.startswith("▸ All  ✖ ")
        assert " · zoo ● · metafold ● · lettrlabs ● · hdrjpg ●" in line
        # one space between counts: none runs into the next
        counts = line.split(" · ")[0]
        assert re.search(r"\d[✖▶◌✔⊘?]", counts) is None
        assert len(re.findall(r" [✖▶◌✔⊘] \d[\d,]*", counts)) == 5

        await pilot.press("ctrl+e")
        await pilot.pause()
        lines = bar_text(app).split("\n")
        assert len(lines) == 5 and lines[1].startswith("  2 demo-zoo")
        assert bar.outer_size.height == 6  # and the border
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert "\n" not in bar_text(app)

        # a source's view: its name, health and counts first, then the other sources
        await pilot.press("3")
        await pilot.pause()
        line = bar_text(app)
        assert line.startswith("▸ metafold ●  ") and line.count("metafold") == 1
        assert line.endswith(" · zoo ● · lettrlabs ● · hdrjpg ●")
        # a click on a source's name shows its view
        x = bar_text(app).index("lettrlabs ●")
        await pilot.click(SourceBar, offset=(1 + x, 0))
        await wait_for(pilot, lambda: screen.current_view == 3)

        # a tall terminal shows one line per view; Ctrl+E still chose one line here
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert "\n" not in bar_text(app)


async def test_the_source_bar_follows_the_terminal_height_until_ctrl_e_chooses(
    store: JobStore, clock: FrozenClock
) -> None:
    providers = demo_sources()
    app = make_app(providers, store, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, providers)

        async def bar_lines(size: tuple[int, int] | None = None, *keys: str) -> int:
            if size is not None:
                await pilot.resize_terminal(*size)
            await pilot.press(*keys)
            await pilot.pause()
            return len(bar_text(app).split("\n"))

        assert await bar_lines() == 5
        assert await bar_lines(SMALL) == 1  # under 30 rows: one line on its own
        assert await bar_lines((120, 40)) == 5
        assert await bar_lines(None, "ctrl+e") == 1
        assert await bar_lines(SMALL) == 1
        assert await bar_lines(None, "ctrl+e") == 5  # the key works on a short terminal too
        assert await bar_lines((120, 29)) == 5  # Ctrl+E's choice stays


async def test_the_filter_panel_leaves_the_table_its_rows_at_80x24(
    store: JobStore, clock: FrozenClock
) -> None:
    providers = demo_sources()
    providers[0].jobs = sample_jobs("demo-zoo", 40)
    app = make_app(providers, store, clock)
    async with app.run_test(size=SMALL) as pilot:
        screen = await loaded(pilot, providers)
        table = screen.query_one(JobTable)
        await pilot.press("j", "j", "j")
        await pilot.press("m")
        await pilot.pause()
        panel = screen.query_one(FilterPanel)
        assert panel.display and panel.region.height > 0
        assert not panel.region.overlaps(table.region)
        # the table keeps at least ten job rows, the cursor's among them
        assert table.region.height - 1 >= 10
        body_top = table.region.y + 1
        cursor_y = body_top + table.cursor_row - int(table.scroll_y)
        assert body_top <= cursor_y < table.region.bottom
        # both lists show: every state, and the statuses seen
        states = panel.query_one("#filter-states")
        statuses = panel.query_one("#filter-status")
        assert states.region.height == 6 and statuses.region.height >= 1
        assert not states.region.overlaps(statuses.region)


async def test_footer_keys_are_never_cut(store: JobStore, clock: FrozenClock) -> None:
    providers = demo_sources()
    app = make_app(providers, store, clock)
    async with app.run_test(size=SMALL) as pilot:
        await loaded(pilot, providers)
        await pilot.pause()

        def keys() -> tuple[list[FooterKey], FooterKey]:
            every = list(app.screen.query(FooterKey))
            palette = next(key for key in every if key.has_class("-command-palette"))
            return [key for key in every if key is not palette and key.display], palette

        shown, palette = keys()
        assert {key.key for key in shown} >= {"enter", "slash", "f", "question_mark"}
        for key in shown:
            # the description's trailing space may sit under the palette's border
            assert key.region.right - 1 <= palette.region.x, key.description
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        shown, _ = keys()
        assert {"r", "p", "t", "q", "question_mark"} <= {key.key for key in shown}


async def test_a_long_status_is_cut_in_the_filter_panel_and_its_provider_shows(
    store: JobStore, clock: FrozenClock
) -> None:
    long_status = "a very long provider status word " * 4
    jobs = [*sample_jobs("demo-zoo", 3), make_job("demo-zoo", 9, status=long_status)]
    providers = [FakeProvider("demo-zoo", jobs)]
    app = make_app(providers, store, clock)
    async with app.run_test(size=SMALL) as pilot:
        screen = await loaded(pilot, providers)
        await pilot.press("m")
        await pilot.pause()
        statuses = screen.query_one("#filter-status", OptionList)
        lines = [str(statuses.get_option_at_index(n).prompt) for n in range(1, 5)]
        assert all(line.rstrip().endswith("  zoo") for line in lines), lines
        assert any("a very long provider status…" in line for line in lines), lines
        # picked, it still filters on the whole status
        await pilot.press("tab")
        statuses.highlighted = next(
            n for n, line in enumerate(lines, 1) if "a very long provider status…" in line
        )
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: [job.status for job in screen.jobs_in_view()] == [long_status]
        )
