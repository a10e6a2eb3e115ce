"""The on-call hour: the event log, the time window, and notification rules and placement."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import OptionList

from tests.ui.fakes import FakeProvider, changed, make_job
from tests.ui.test_jobs_screen import SIZE, loaded, make_app, screen_of, status_line, wait_for
from tui.errors import UnavailableError
from tui.models import JobState
from tui.screens.event_log import EventLogScreen
from tui.screens.job_detail import JobDetailScreen
from tui.store import EventKind
from tui.sync.health import Health


def log_lines(app) -> list[str]:
    options = app.screen.query_one("#log-entries", OptionList)
    return [str(options.get_option_at_index(n).prompt) for n in range(options.option_count)]


async def test_the_event_log_lists_changes_and_source_problems_and_opens_a_job(store, clock) -> None:
    running = make_job("zoo-prod", 1, JobState.RUNNING, name="bracket [b]x[/b].step")
    zoo = FakeProvider("zoo-prod", [running])
    meta = FakeProvider("meta-lab", [make_job("meta-lab", 2, JobState.RUNNING)])
    app = make_app([zoo, meta], store, clock)
    long_reason = "the server answered 503: " + "the upstream queue is full, " * 12 + "[red]end[/red]"
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = await loaded(pilot, [zoo, meta])
        clock.advance(60)
        zoo.jobs = [changed(running, state=JobState.FAILED, status="error_user")]
        meta.error = UnavailableError(long_reason, account="meta-lab")
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.source_health("meta-lab").health == Health.FAILING)
        await wait_for(pilot, lambda: screen.index.get(running.key).state == JobState.FAILED)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EventLogScreen) and app.screen.loaded)
        log = app.screen
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
        assert app.screen.job.key == running.key
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is log)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)


async def test_the_event_log_is_in_the_palette(store, clock) -> None:
    source = FakeProvider("zoo-prod", [make_job("zoo-prod", 1)])
    app = make_app([source], store, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot, [source])
        command = next(c for c in app.get_system_commands(screen) if c.title == "Event log")
        await command.callback()
        await wait_for(pilot, lambda: isinstance(app.screen, EventLogScreen) and app.screen.loaded)
        assert "Nothing happened yet." in log_lines(app)[0]
