"""The help screen lists every key of every context, and the palette offers every action
of the screen it was opened on.

Both are checked against the bindings the `tui` package really declares, found by
walking the package, so a binding added to a new widget or screen without a place in the
help (or a palette command) fails here.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.command import Command, CommandList, CommandPalette
from textual.dom import DOMNode
from textual.pilot import Pilot
from textual.screen import Screen
from textual.types import IgnoreReturnCallbackType
from textual.widget import Widget
from textual.widgets import Input, Static

import tui
from tests.ui.fakes import FakeProvider
from tests.ui.test_jobs_screen import SIZE, loaded, make_app
from tests.waiting import wait_for
from tui.app import PALETTE_EXCLUDED, JobsApp, PlainSystemCommands
from tui.clock import FrozenClock
from tui.screens.event_log import EventLogScreen
from tui.screens.help import HelpScreen, key_display
from tui.screens.job_detail import JobDetailScreen
from tui.screens.jobs import JobsScreen
from tui.screens.track import TrackScreen
from tui.store import JobStore
from tui.widgets.job_table import JobTable
from tui.widgets.json_view import JsonView


@cache
def classes_with_bindings() -> tuple[type[DOMNode], ...]:
    """Every App, Screen and Widget class of the `tui` package that declares BINDINGS."""
    found: dict[str, type[DOMNode]] = {}
    for module_info in pkgutil.walk_packages(tui.__path__, "tui."):
        if module_info.name.endswith("__main__"):
            continue  # running it would start the command line
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, App | Screen | Widget)
                and value.__module__.startswith("tui.")
                and "BINDINGS" in value.__dict__
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return tuple(found.values())


def declared(node_class: type[DOMNode]) -> list[Binding]:
    bindings = node_class.__dict__["BINDINGS"]
    assert all(isinstance(b, Binding) for b in bindings), node_class
    return list(bindings)


def test_the_walk_finds_the_known_contexts() -> None:
    names = {node_class.__name__ for node_class in classes_with_bindings()}
    assert {
        "JobsApp",
        "JobsScreen",
        "JobTable",
        "SearchInput",
        "FilterPanel",
        "StateList",
        "StatusList",
        "TrackScreen",
        "TrackIdInput",
        "JobDetailScreen",
        "JsonSearchInput",
        "UpstreamList",
        "VariantTable",
        "ImageList",
        "HelpScreen",
    } <= names


async def test_help_screen_shows_every_binding_of_every_class(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, two_sources)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: bool(app.screen.query("#help-keys")))
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        text = str(help_screen.query_one("#help-keys", Static).content)
        lines = text.splitlines()
        missing = [
            f"{node_class.__name__}: {binding.key} {binding.description}"
            for node_class in classes_with_bindings()
            for binding in declared(node_class)
            if not any(
                key_display(binding.key) in line
                and binding.description in line
                and (binding.tooltip or "") in line
                for line in lines
            )
        ]
        assert missing == []
        # the keys read as a user types them, and each context has its heading
        for shown in ("Esc", "Enter", "Space", "PgUp", "Shift+Tab", "?"):
            assert shown in text
        for heading in (
            "Everywhere",
            "Job list",
            "Search box",
            "Filter panel",
            "Job detail",
            "Searching the raw JSON",
            "Lists in a detail",
            "Tracking an id",
        ):
            assert any(line.startswith(heading) for line in lines), heading
        # the search's query language: qualifiers, negation, globs, anchors per field
        assert any(line.startswith("Search (/)") for line in lines)
        for example in ("state:failed", "!succeeded", "status:error_*", "re:^", 'name:"two words"'):
            assert any(line.lstrip().startswith(example) for line in lines), example
        await pilot.press("escape")
        assert app.screen is screen


def palette_classes(screen: Screen[Any]) -> tuple[type[DOMNode], ...]:
    """Whose bindings the palette must offer on `screen` (every screen class is here)."""
    extra: tuple[type[DOMNode], ...] = (JobTable,) if type(screen) is JobsScreen else ()
    return (type(screen), *extra, JobsApp)


async def palette_hits(screen: Screen[Any]) -> dict[str, IgnoreReturnCallbackType]:
    """The palette's discovery list on `screen`, run through the app's provider."""
    provider = PlainSystemCommands(screen)
    provider._post_init()
    return {str(hit.text): hit.command async for hit in provider._search("")}


async def assert_palette_complete(
    screen: Screen[Any], seen: set[type[Screen[Any]]]
) -> dict[str, IgnoreReturnCallbackType]:
    """Every binding of the screen's classes (bar `PALETTE_EXCLUDED`) has a command."""
    hits = await palette_hits(screen)
    assert not any("screenshot" in title.lower() for title in hits)
    for node_class in palette_classes(screen):
        for binding in declared(node_class):
            if binding.id in PALETTE_EXCLUDED:
                continue
            assert binding.description in hits, (type(screen).__name__, binding.id)
    seen.add(type(screen))
    return hits


async def test_palette_offers_every_action_of_every_screen(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock)
    seen: set[type[Screen[Any]]] = set()
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, two_sources)
        hits = await assert_palette_complete(screen, seen)
        assert {"View: All", "View: zoo-prod", "View: meta-lab", "Sort by Age", "Keys"} <= set(hits)
        assert "View 1" not in hits  # offered by name instead (PALETTE_EXCLUDED)

        table = screen.query_one(JobTable)
        await hits["Last row"]()
        assert table.cursor_row == screen.index.row_count() - 1
        await hits["First row"]()
        assert table.cursor_row == 0

        await pilot.press("question_mark")
        await assert_palette_complete(app.screen, seen)
        await pilot.press("escape")

        await pilot.press("t")
        track = app.screen
        assert isinstance(track, TrackScreen)
        await assert_palette_complete(track, seen)
        await pilot.press("escape")

        await hits["Open"]()
        detail = await detail_shown(pilot)
        detail_hits = await assert_palette_complete(detail, seen)
        assert "Sort by Age" not in detail_hits  # the list's commands stay with the list

        raw = detail.query_one(JsonView)
        assert not raw.display
        await detail_hits["Raw JSON"]()
        assert raw.display
        await detail_hits["Back"]()
        await wait_for(pilot, lambda: app.screen is screen)

        await hits["Event log"]()
        await wait_for(pilot, lambda: isinstance(app.screen, EventLogScreen))
        log_hits = await assert_palette_complete(app.screen, seen)
        await log_hits["Back"]()
        await wait_for(pilot, lambda: app.screen is screen)

    screens = {c for c in classes_with_bindings() if issubclass(c, Screen)}
    assert screens <= seen, "a screen the palette test never opened"


async def detail_shown(pilot: Pilot[int]) -> JobDetailScreen:
    """Wait until a detail screen is up and has shown its first fetch."""
    app = pilot.app
    await wait_for(
        pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen.detail is not None
    )
    detail = app.screen
    assert isinstance(detail, JobDetailScreen)
    return detail


async def run_from_palette(pilot: Pilot[int], title: str) -> None:
    """Open the palette with Ctrl+P, type `title`, and run it once it is the first hit."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
    palette = app.screen
    await pilot.press(*title.lower())

    def first_hit_is_title() -> bool:
        commands = palette.query_one(CommandList)
        if commands.highlighted != 0:
            return False
        option = commands.get_option_at_index(0)
        return isinstance(option, Command) and option.hit.text == title

    await wait_for(pilot, first_hit_is_title)
    await pilot.press("enter")
    await wait_for(pilot, lambda: app.screen is not palette)


async def test_palette_commands_run_on_the_detail_screen(
    two_sources: list[FakeProvider], store: JobStore, clock: FrozenClock
) -> None:
    app = make_app(two_sources, store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await loaded(pilot, two_sources)
        await pilot.press("enter")
        detail = await detail_shown(pilot)
        raw = detail.query_one(JsonView)
        assert not raw.display
        await run_from_palette(pilot, "Raw JSON")
        await wait_for(pilot, lambda: raw.display)
        assert app.screen is detail
        search = detail.query_one("#detail-search", Input)
        await run_from_palette(pilot, "Search")
        await wait_for(pilot, lambda: search.display and search.has_focus)
        await pilot.press("escape")
        assert not search.display and raw.display
        await run_from_palette(pilot, "Raw JSON")
        await wait_for(pilot, lambda: not raw.display)
        await run_from_palette(pilot, "Back")
        await wait_for(pilot, lambda: not isinstance(app.screen, JobDetailScreen))


def test_every_palette_exclusion_names_a_binding_and_a_reason() -> None:
    ids = {b.id for node_class in classes_with_bindings() for b in declared(node_class)}
    for binding_id, reason in PALETTE_EXCLUDED.items():
        assert binding_id in ids and reason.strip(), binding_id
