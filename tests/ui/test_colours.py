"""The dashboard reads on 256- and 16-colour terminals, not only in truecolour.

Textual hands Rich truecolour styles, and Rich downgrades each colour to the terminal's
colour system (`Color.downgrade`). These tests take the colours the job table really
paints with (theme plus `styles/jobs.tcss`), downgrade them as Rich does, and check that
what must differ still differs: the six states, the text, the background, the header,
the row cursor and the flash of a changed row.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from rich._palettes import EIGHT_BIT_PALETTE
from rich.color import Color, ColorSystem
from textual.pilot import Pilot

from tests.ui.conftest import settings_for
from tests.ui.fakes import FakeProvider, make_job
from tests.waiting import wait_for
from tui.app import JobsApp
from tui.clock import FrozenClock
from tui.formatting import STATE_GLYPHS
from tui.models import JobState
from tui.store import JobStore
from tui.theme import THEMES
from tui.widgets.job_table import JobTable

SIZE = (120, 16)
SYSTEMS = (ColorSystem.STANDARD, ColorSystem.EIGHT_BIT)
ALL_STATES = tuple(JobState)


def one_of_each(account: str = "zoo-prod") -> list[Any]:
    """One job per state (the failed one first, so it is not under the cursor later)."""
    return [make_job(account, n, state) for n, state in enumerate(ALL_STATES)]


async def wait_for_rows(pilot: Pilot[Any], table: JobTable, rows: int) -> None:
    await wait_for(pilot, lambda: table.row_count >= rows, "the table to fill")


async def painted_colours(pilot: Pilot[Any], table: JobTable) -> dict[str, Color]:
    """Every colour the table paints with, by role, read from the styles it renders."""
    table.focus()
    await pilot.pause()
    base = table.rich_style
    header = next(iter(table.render_line(0))).style
    assert base.color and base.bgcolor and header and header.color and header.bgcolor
    colours: dict[str, Color] = {
        "text": base.color,
        "background": base.bgcolor,
        "header-text": header.color,
        "header": header.bgcolor,
    }
    for state in ALL_STATES:
        _row, cell = table._row_styles(state, stale=False, flash=False, cursor=False)
        assert cell.color is not None
        colours[f"state-{state.value}"] = cell.color
    flash, _cell = table._row_styles(JobState.RUNNING, stale=False, flash=True, cursor=False)
    cursor, _cell = table._row_styles(JobState.RUNNING, stale=False, flash=False, cursor=True)
    assert flash.bgcolor and cursor.bgcolor
    colours["flash"] = flash.bgcolor
    colours["cursor"] = cursor.bgcolor
    table.screen.set_focus(None)
    await pilot.pause()
    assert not table.has_focus
    blurred, _cell = table._row_styles(JobState.RUNNING, stale=False, flash=False, cursor=True)
    assert blurred.bgcolor is not None
    colours["cursor-blurred"] = blurred.bgcolor
    return colours


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda s: s.name)
@pytest.mark.parametrize("theme", [t.name for t in THEMES])
async def test_painted_colours_stay_apart_when_downgraded(
    theme: str, system: ColorSystem, store: JobStore, clock: FrozenClock
) -> None:
    app = JobsApp(settings_for("zoo-prod"), [FakeProvider("zoo-prod", one_of_each())], store, clock)
    async with app.run_test(size=SIZE) as pilot:
        app.theme = theme
        table = app.screen.query_one(JobTable)
        await wait_for_rows(pilot, table, len(ALL_STATES))
        colours = await painted_colours(pilot, table)
    down = {role: colour.downgrade(system).number for role, colour in colours.items()}
    states = [f"state-{state.value}" for state in ALL_STATES]
    highlights = ("cursor", "cursor-blurred", "flash")

    def apart(first: str, second: str) -> None:
        assert down[first] != down[second], (
            f"{theme} on {system.name}: {first} {colours[first].triplet} and {second} "
            f"{colours[second].triplet} both become colour {down[first]}"
        )

    for first, second in itertools.combinations(states, 2):
        apart(first, second)
    for state in states:
        apart(state, "text")
        apart(state, "background")
        for highlight in highlights:
            apart(state, highlight)  # the state cell stays readable on a highlighted row
    for highlight in highlights:
        apart(highlight, "background")
        apart(highlight, "text")
    apart("cursor", "flash")
    apart("cursor", "header")  # a cursor on the first row does not merge into the header
    apart("cursor-blurred", "header")
    apart("header", "background")
    apart("header-text", "header")
    apart("text", "background")


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
def test_theme_colours_are_xterm_256_entries(theme: Any) -> None:
    """Each theme colour is in the xterm 256-colour palette, so 256 colours look as designed."""
    palette = {tuple(EIGHT_BIT_PALETTE[number]) for number in range(16, 256)}
    fields = (
        "primary",
        "secondary",
        "accent",
        "warning",
        "error",
        "success",
        "foreground",
        "background",
        "surface",
        "panel",
    )
    values = [getattr(theme, name) for name in fields] + list(theme.variables.values())
    for value in values:
        assert tuple(Color.parse(value).get_truecolor()) in palette, f"{theme.name}: {value}"


async def test_sixteen_colour_terminal_draws_states_cursor_and_flash_apart(
    store: JobStore, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started under `TERM=xterm-16color`, the rendered rows differ where they must."""
    import textual.constants

    monkeypatch.setenv("TERM", "xterm-16color")
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "auto")
    jobs = one_of_each()
    app = JobsApp(settings_for("zoo-prod"), [FakeProvider("zoo-prod", jobs)], store, clock)
    async with app.run_test(size=SIZE) as pilot:
        assert app.console.color_system == "standard"
        table = app.screen.query_one(JobTable)
        table.focus()
        await wait_for_rows(pilot, table, len(jobs))

        def drawn(y: int) -> tuple[str, int, int]:
            """(state glyph, state cell colour, row background) of line `y`, on 16 colours."""
            segments = list(table.render_line(y))
            state_cell, rest = segments[0].style, segments[1].style
            assert state_cell and state_cell.color and rest and rest.bgcolor
            assert state_cell.bgcolor == rest.bgcolor  # the whole row is highlighted
            state_colour = state_cell.color.downgrade(ColorSystem.STANDARD).number
            background = rest.bgcolor.downgrade(ColorSystem.STANDARD).number
            assert state_colour is not None and background is not None
            return segments[0].text[0], state_colour, background

        lines = {y: drawn(y) for y in range(1, len(jobs) + 1)}
        by_glyph = {glyph: colour for glyph, colour, _bg in lines.values()}
        glyphs = {state: STATE_GLYPHS[state] for state in ALL_STATES}
        assert set(by_glyph) == set(glyphs.values())
        assert by_glyph[glyphs[JobState.FAILED]] != by_glyph[glyphs[JobState.SUCCEEDED]]
        assert len(set(by_glyph.values())) == len(ALL_STATES), by_glyph

        cursor_y = table.cursor_row + 1
        plain_y = next(y for y in lines if y != cursor_y)
        plain_background = lines[plain_y][2]
        assert lines[cursor_y][2] != plain_background

        table.rows_changed(flash=[table.index[plain_y - 1].key])
        flashed = drawn(plain_y)
        assert flashed[2] != plain_background
        assert flashed[2] != lines[cursor_y][2]
        assert flashed[1] == lines[plain_y][1]  # the state keeps its colour while flashing
