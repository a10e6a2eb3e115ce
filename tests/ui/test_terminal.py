"""Terminal set-up: low-bandwidth environment before Textual loads, NO_COLOR, theme."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.ui.conftest import settings_for
from tests.ui.fakes import FakeProvider, sample_jobs
from tests.waiting import wait_for
from tui.clock import FrozenClock
from tui.store import JobStore
from tui.terminal import configure_environment
from tui.widgets.job_table import JobTable


def test_low_bandwidth_sets_fps_and_animations_without_overriding_the_user() -> None:
    env: dict[str, str] = {}
    configure_environment(True, env)
    assert env == {"TEXTUAL_FPS": "10", "TEXTUAL_ANIMATIONS": "none"}
    env = {"TEXTUAL_FPS": "5"}
    configure_environment(True, env)
    assert env["TEXTUAL_FPS"] == "5"
    env = {}
    configure_environment(False, env)
    assert env == {}


def test_low_bandwidth_reaches_textual_when_configured_before_import() -> None:
    code = (
        "from tui.terminal import configure_environment; configure_environment(True);"
        "import textual.constants as c; print(c.MAX_FPS, c.TEXTUAL_ANIMATIONS)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    ).stdout.split()
    assert out == ["10", "none"]


async def test_no_color_renders_without_colour(
    store: JobStore, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.app import JobsApp

    monkeypatch.setenv("NO_COLOR", "1")
    source = FakeProvider("zoo-prod", sample_jobs("zoo-prod", 6))
    app = JobsApp(settings_for("zoo-prod"), [source], store, clock)
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.screen.query_one(JobTable)
        await wait_for(pilot, lambda: table.row_count == 6)
        assert app.no_color
        svg = app.export_screenshot()
    # Monochrome: no state colour from the theme survives.
    for colour in ("#ff5f5f", "#5faf5f", "#5fafff"):
        assert colour not in svg.lower()
    assert "✖" in svg or "&#10006;" in svg


async def test_theme_is_registered_and_low_bandwidth_slows_age_ticks(
    store: JobStore, clock: FrozenClock
) -> None:
    from dataclasses import replace

    from tui.app import JobsApp
    from tui.sync.policy import age_tick

    settings = replace(settings_for("zoo-prod"), low_bandwidth=True)
    app = JobsApp(settings, [FakeProvider("zoo-prod", [])], store, clock)
    async with app.run_test(size=(100, 20)):
        assert app.theme == "jobtop-dark"
        assert "jobtop-light" in app.available_themes
    assert age_tick(True) > age_tick(False)
