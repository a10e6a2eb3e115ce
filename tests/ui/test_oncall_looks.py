"""What the on-call hour needs to read at a glance: compact ages and absolute times,
columns sized by their content, counts that do not run together, a visible stale mark,
failed as strong as the rest under NO_COLOR, and a theme chosen in the config."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest
from rich.cells import cell_len
from rich.style import Style
from textual.app import InvalidThemeError
from textual.color import Color
from textual.filter import monochrome_style
from textual.pilot import Pilot

from tests.ui.conftest import settings_for
from tests.ui.fakes import NOW, FakeProvider, make_job, sample_jobs
from tests.waiting import wait_for
from tui.app import JobsApp
from tui.clock import FrozenClock
from tui.config import Settings
from tui.errors import UnavailableError
from tui.models import JobState
from tui.screens.jobs import JobsScreen
from tui.store import JobStore
from tui.sync.health import Health
from tui.widgets import source_bar
from tui.widgets.job_table import JobTable
from tui.widgets.source_bar import SourceBar

WIDE = (140, 30)


def make_app(
    providers: list[FakeProvider],
    store: JobStore,
    clock: FrozenClock,
    settings: Settings | None = None,
) -> JobsApp:
    settings = settings or settings_for(*(p.account for p in providers))
    return JobsApp(settings, providers, store, clock)


async def loaded(pilot: Pilot[int], providers: list[FakeProvider]) -> JobsScreen:
    screen = pilot.app.screen
    assert isinstance(screen, JobsScreen)
    await wait_for(
        pilot, lambda: all(screen.source_health(p.account).health == Health.OK for p in providers)
    )
    await pilot.pause()
    return screen


def lines(app: JobsApp) -> list[str]:
    table = app.screen.query_one(JobTable)
    return [table.render_line(y).text for y in range(table.size.height)]


def column(header: str, rows: list[str], label: str) -> tuple[int, int]:
    """(start, end) of a column in the header: from its label to the next label."""
    start = header.index(label)
    rest = header[start + len(label) :]
    gap = len(rest) - len(rest.lstrip(" "))
    return start, start + len(label) + gap


@pytest.fixture
def local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local zone set to New York (UTC-5 in November)."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def test_ages_are_compact_and_a_switches_to_local_times(
    store: JobStore, clock: FrozenClock, local_zone: None
) -> None:
    providers = [FakeProvider("zoo-prod", sample_jobs("zoo-prod", 30))]
    app = make_app(providers, store, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, providers)
        text = lines(app)
        header, rows = text[0], text[1:]
        assert "Age" in header
        # job n was created n*7 minutes before NOW: 0s, 7m, 14m, ... 56m, 1h, ...
        assert " 0s " in rows[0] and " 7m " in rows[1] and " 56m " in rows[8]
        assert " 1h " in rows[9] and "minute" not in "".join(rows)
        await pilot.press("a")
        text = lines(app)
        assert "Created" in text[0] and "Age" not in text[0]
        # 12:00 UTC on Nov 22 is 07:00 in New York; job 1 was made 7 minutes earlier
        assert " 06:53:00 " in text[2]
        assert " 07:00:00 " in text[1]
        await pilot.press("a")
        text = lines(app)
        assert "Age" in text[0] and " 7m " in text[2]


async def test_columns_take_their_width_from_their_content(
    store: JobStore, clock: FrozenClock
) -> None:
    providers = [
        FakeProvider("demo-hdrjpg", [make_job("demo-hdrjpg", 0, JobState.SUCCEEDED)]),
        FakeProvider("z", [make_job("z", 1, JobState.FAILED), make_job("z", 2, JobState.RUNNING)]),
    ]
    app = make_app(providers, store, clock)
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot, providers)
        text = lines(app)
        header = text[0]
        succeeded = next(row for row in text if "succeeded" in row)
        # A state glyph drawn two cells wide (emoji fonts) still leaves a space before
        # the source: the state column keeps one cell free after its widest label.
        assert succeeded.startswith("✔ succeeded  demo-hdrjpg ")
        start, end = column(header, text, "Source")
        assert end - start == cell_len("demo-hdrjpg") + 1
        # the age column is as wide as its header or its widest value, not 12 cells
        age_start, age_end = column(header, text, "Age")
        assert age_end - age_start <= len("Age ▼") + 1


async def test_state_column_narrows_to_the_states_present(
    store: JobStore, clock: FrozenClock
) -> None:
    jobs = [make_job("z", 1, JobState.FAILED), make_job("z", 2, JobState.QUEUED)]
    providers = [FakeProvider("z", jobs)]
    app = make_app(providers, store, clock)
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot, providers)
        header = lines(app)[0]
        start, end = column(header, [], "State")
        assert end - start == cell_len("✖ failed") + 1 + 1


async def test_stale_rows_carry_a_visible_mark(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=WIDE) as pilot:
        screen = await loaded(pilot, two_sources)
        assert not any("◔" in row for row in lines(app))
        two_sources[0].error = UnavailableError("the server answered 503", account="zoo-prod")
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.source_health("zoo-prod").health == Health.FAILING)
        await pilot.pause()
        rows = [row for row in lines(app)[1:] if row.strip()]
        for row in rows:
            assert ("◔" in row) == (" zoo-prod " in row), row
            if "◔" in row:
                assert "…" not in row.split("◔")[0], row  # the mark does not crop the state
        table = app.screen.query_one(JobTable)
        stale = table.render_line(next(i for i, r in enumerate(lines(app)) if "zoo-prod" in r))
        mark = next(segment for segment in stale if "◔" in segment.text)
        # the mark is drawn in the warning colour, not just in a slightly greyer text
        assert mark.style and mark.style.color
        shown = Color.from_rich_color(mark.style.color)
        warning = app.current_theme.to_color_system().warning
        assert warning is not None
        assert max(abs(a - b) for a, b in zip(shown.rgb, warning.rgb, strict=True)) <= 2


async def test_failed_is_not_dimmer_than_succeeded_under_no_color(
    store: JobStore, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    jobs = [
        make_job("z", 1, JobState.FAILED),
        make_job("z", 2, JobState.SUCCEEDED),
        make_job("z", 3, JobState.QUEUED),
    ]
    providers = [FakeProvider("z", jobs)]
    app = make_app(providers, store, clock)
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot, providers)
        assert app.no_color
        table = app.screen.query_one(JobTable)
        table.screen.set_focus(None)
        await pilot.pause()

        def grey(state: JobState) -> tuple[float, Style]:
            _row, cell = table._row_styles(state, stale=False, flash=False, cursor=False)
            shown = monochrome_style(cell)  # what Textual's NO_COLOR filter paints
            assert shown.color is not None
            return Color.from_rich_color(shown.color).brightness, shown

        failed, failed_style = grey(JobState.FAILED)
        for other in (JobState.SUCCEEDED, JobState.QUEUED, JobState.RUNNING):
            brightness, _style = grey(other)
            assert failed >= brightness, (
                f"failed {failed:.2f} is dimmer than {other} {brightness:.2f}"
            )
        assert failed_style.bold


def test_counts_line_up_and_stay_two_spaces_apart() -> None:
    total = Counter(
        {JobState.FAILED: 112, JobState.RUNNING: 6, JobState.QUEUED: 10, JobState.CANCELED: 2}
    )
    one = Counter({JobState.FAILED: 3, JobState.QUEUED: 1})
    widths = source_bar.count_widths([total, one])
    counts_text = source_bar.counts_text
    first, second = str(counts_text(total, widths)), str(counts_text(one, widths))
    assert first == "✖ 112  ▶ 6  ◌ 10  ⊘ 2"
    assert second == "✖ 3         ◌ 1      "
    assert len(first) == len(second)
    assert str(counts_text(Counter(), widths)) == "no jobs".ljust(len(first))
    assert str(counts_text(one)) == "✖ 3  ◌ 1"


async def test_source_bar_columns_align_at_140(store: JobStore, clock: FrozenClock) -> None:
    providers = [
        FakeProvider("zoo-prod", sample_jobs("zoo-prod", 14)),
        FakeProvider("hdr", [make_job("hdr", 40, JobState.SUCCEEDED)]),
    ]
    app = make_app(providers, store, clock)
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot, providers)
        bar = app.screen.query_one(SourceBar)
        text = [bar.render_line(y).text for y in range(bar.size.height)]
        assert "  ▶ " in text[0] and "  ◌ " in text[0] and "   2 sources" in text[0]
        # the health of every source starts in the same column
        assert len({line.index("● ok") for line in text[1:]}) == 1


async def test_theme_from_settings_and_only_jobtop_themes(
    store: JobStore, clock: FrozenClock
) -> None:
    providers = [FakeProvider("zoo-prod", sample_jobs("zoo-prod", 3))]
    from dataclasses import replace

    settings = replace(settings_for("zoo-prod"), theme="light")
    app = make_app(providers, store, clock, settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, providers)
        assert app.theme == "jobtop-light"
        assert set(app.available_themes) == {"jobtop-dark", "jobtop-light"}
        # a built-in theme lacks jobtop's colours: it cannot be chosen (picked in the
        # palette, it would stop the app with a CSS error)
        with pytest.raises(InvalidThemeError):
            app.theme = "nord"
        app.theme = "jobtop-dark"
        await pilot.pause()
        assert app.is_running and app.theme == "jobtop-dark"
    assert NOW  # the frozen clock every table above is drawn at
