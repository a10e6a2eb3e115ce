"""Ids and names as a server or a config file may hold them, on the dashboard.

A job id is kept exactly as the server sent it (it is what the server is asked with), so
it may hold an escape sequence, a tab or a line break; a source's name comes from the
config and may look like markup (`[/x]`). Wherever either is shown (table, toasts,
palette, source bar, track screen) it must be one line of plain text, with no escape
sequence and no leftover of one (`[31m`), and never parsed as markup.
"""

from __future__ import annotations

from typing import Any

from textual.command import Command, CommandList, CommandPalette
from textual.widgets import Select, Static

from tests.ui.fakes import FakeProvider, changed, make_job
from tests.ui.test_jobs_screen import SIZE, loaded, make_app, table_text
from tests.waiting import wait_for
from tui.clock import FrozenClock
from tui.errors import UnavailableError
from tui.models import JobState
from tui.screens.track import TrackScreen
from tui.store import JobStore

HOSTILE_IDS = {
    "\x1b[31mred\x1b[0m\nrm -rf x": "red ⏎ rm",
    "\x1b]52;c;cm0gLXJmIC8K\x07osc\ttab": "osc tab",
    "\x9b2Jc1\r\nid": "c1 ⏎ id",
}
"""Hostile ids and how the table's id column (10 cells) starts showing them."""
LEFTOVERS = ("\x1b", "\x9b", "\x9d", "\x07", "\t", "[31m", "[0m", "]52;", "cm0gLXJmIC8K", "2Jc1")
"""What must not be on screen: the raw controls, and what is left of a sequence whose ESC
alone was dropped."""


def assert_no_leftovers(text: str) -> None:
    found = [piece for piece in LEFTOVERS if piece in text]
    assert not found, (found, text)


def hostile_jobs(account: str) -> list[Any]:
    return [
        changed(make_job(account, number, JobState.RUNNING), id=job_id)
        for number, job_id in enumerate(HOSTILE_IDS)
    ]


async def test_hostile_ids_are_one_clean_line_in_the_table(
    store: JobStore, clock: FrozenClock
) -> None:
    provider = FakeProvider("zoo-prod", hostile_jobs("zoo-prod"))
    app = make_app([provider], store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await loaded(pilot, [provider])
        await pilot.press("2")  # the source's own view: the id column is wider than "All"'s
        lines = table_text(app)
        rows = [line for line in lines[1:] if line.strip()]
        assert len(rows) == len(HOSTILE_IDS), rows  # three jobs, three rows: none forged
        for shown in HOSTILE_IDS.values():
            assert any(shown in row for row in rows), (shown, rows)
        assert_no_leftovers("\n".join(lines))


async def test_a_job_ending_with_a_hostile_id_notifies_on_one_clean_line(
    store: JobStore, clock: FrozenClock
) -> None:
    jobs = hostile_jobs("zoo-prod")
    provider = FakeProvider("zoo-prod", jobs)
    app = make_app([provider], store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await loaded(pilot, [provider])
        provider.jobs = [
            changed(job, state=JobState.FAILED, status="error_user", error="no") for job in jobs
        ]
        await pilot.press("r")
        # The three endings of one refresh are told in one notification, naming each.
        await wait_for(pilot, lambda: any("failed" in n.title for n in app._notifications))
        messages = [n.message for n in app._notifications if "failed" in n.title]
        assert len(messages) == 1
        for message in messages:
            assert "\n" not in message, message
            assert_no_leftovers(message)
        assert any("(red ⏎ rm -rf x)" in message for message in messages), messages


async def test_a_source_named_like_markup_is_plain_text_in_the_palette(
    store: JobStore, clock: FrozenClock
) -> None:
    providers = [
        FakeProvider("[/x]", [make_job("[/x]", 1)]),
        FakeProvider("[bold]b[/bold]", [make_job("[bold]b[/bold]", 2)]),
    ]
    app = make_app(providers, store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, providers)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        palette = app.screen

        def prompts() -> list[str]:
            commands = palette.query_one(CommandList)
            found = (commands.get_option_at_index(n) for n in range(commands.option_count))
            return [str(option.prompt) for option in found if isinstance(option, Command)]

        # Opened empty, the palette lists every command (Textual's discovery).
        await wait_for(pilot, lambda: "View: [/x]\nShow [/x]" in prompts())
        assert "View: [bold]b[/bold]\nShow [bold]b[/bold]" in prompts()
        await pilot.press(*"view x")  # a search: the matched letters are highlighted
        await wait_for(pilot, lambda: bool(prompts()) and prompts()[0] == "View: [/x]\nShow [/x]")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.current_view == 1 and app.is_running


async def test_a_source_name_with_escapes_is_one_clean_line_everywhere(
    store: JobStore, clock: FrozenClock
) -> None:
    name = "ops\x1b[31m\nblue\x1b]0;title\x07"
    provider = FakeProvider(name, [make_job(name, 1)])
    app = make_app([provider], store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, [provider])
        sources = str(screen.query_one("#sources", Static).content)
        assert "ops ⏎ blue" in sources
        assert_no_leftovers(sources + "\n".join(table_text(app)))
        provider.error = UnavailableError("down", account=name)
        await pilot.press("r")
        await wait_for(pilot, lambda: any("failing" in n.title for n in app._notifications))
        toasts = [(n.title, n.message) for n in app._notifications]
        for title, message in toasts:
            assert "\n" not in title, toasts
            assert_no_leftovers(title + message)
        assert ("ops ⏎ blue is failing", "Provider unavailable: down") in toasts
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TrackScreen))
        select = app.screen.query_one("#track-account", Select)
        assert select.value == name  # the source itself, as configured
        await pilot.press(*"abc", "enter")
        track_message = app.screen.query_one("#track-message", Static)
        await wait_for(pilot, lambda: "abc" in str(track_message.content))
        shown = str(select.query_one("SelectCurrent Static", Static).content)
        assert shown == "ops ⏎ blue", shown
        assert_no_leftovers(str(track_message.content) + shown)


async def test_every_toast_is_cleaned_by_the_app(store: JobStore, clock: FrozenClock) -> None:
    """Whatever a caller passes, no escape or control reaches a toast, and its title is one
    line (a summary's own line breaks stay)."""
    provider = FakeProvider("zoo-prod", [make_job("zoo-prod", 1)])
    app = make_app([provider], store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await loaded(pilot, [provider])
        app.notify("one\x1b[31m red\ntwo\x1b]52;c;cm0gLXJmIC8K\x07", title="t\x1b[0m\nx")
        await wait_for(pilot, lambda: any(n.title.startswith("t") for n in app._notifications))
        toasts = [(n.title, n.message) for n in app._notifications]
        assert toasts == [("t ⏎ x", "one red\ntwo")]
