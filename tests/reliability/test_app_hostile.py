"""Hostile server strings through the whole app: list, views, every detail kind, notifications.

The simulator's `hostile_strings` fault puts markup (`[bold red]`, `[@click=app.quit]`,
`[/x]`, `[link=…]`), ANSI CSI, OSC 8/52/0, C1, bidi, zero-width, NUL, 10,000-character
and multi-line values into every string field of every provider. The app must raise
nothing, show the text literally, ignore clicks on `[@click=…]`, and send the terminal
no escape sequence that came from the data (checked on the raw bytes of a real run).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot

from tests.reliability.pty_harness import JOBTOP, PtyProgram
from tests.waiting import wait_for
from tui.app import JobsApp
from tui.clock import utc_now
from tui.config import demo_settings
from tui.errors import UnavailableError
from tui.messages import OpenJobRequested, RefreshFailed
from tui.models import Job, JobKind, JobState, Transition
from tui.providers import build_provider
from tui.screens.job_detail import JobDetailScreen
from tui.screens.jobs import JobsScreen
from tui.sim.faults import HOSTILE_STRINGS
from tui.sim.server import SimServer
from tui.store import JobStore
from tui.sync.health import Health

pytestmark = pytest.mark.timeout(120)

SIZE = (140, 50)
MARKUP = (
    "[bold red]pwned[/bold red]",
    "[@click=app.quit]click me[/]",
    "unbalanced [/x] closing",
    "[link=https://evil.example/]",
)
"""Markup payloads that must appear literally when their field is on screen."""
FORBIDDEN = (
    "\x1b",
    "\x9b",
    "\x9d",
    "\x9c",
    "\x00",
    "\u202e",
    "\u2066",
    "\u200b",
    "\ufeff",
    "\u2028",
    "\u2029",
    "\x85",
    "\x0b",
    "\x0c",
    "\u00ad",
    "\u3164",
    "\ufe0f",
    "\U000e0041",
    "\U0001f3fd",
)
PAYLOAD_SEQUENCES = (
    b"\x1b[2J\x1b[31mANSI",
    b"\x1b[31mANSI",
    b"\x1b]8;;https://evil.example/",
    b"\x1b]52;c;",
    b"\x1b]0;new window title",
    b"\x07clipboard write",
    b"\x07title",
    b"\xc2\x9b31m",
    b"\xc2\x9d0;t",
    b"\xe2\x80\xae",
    b"\xe2\x81\xa6",
    b"\x00byte",
    b"\xe2\x80\xa8",
    b"\xe2\x80\xa9",
    b"\xc2\x85",
    b"\xc2\xad",
    b"\xe3\x85\xa4",
    b"\xef\xb8\x8f",
    b"\xf3\xa0\x81\x81",
    b"\xf0\x9f\x8f\xbd",
)
"""The payloads' own escape sequences (and C1/bidi as UTF-8), as they would reach a terminal."""


@pytest.fixture(scope="module")
def hostile_sim() -> Iterator[SimServer]:
    with SimServer(jobs=40, seed=9, faults=["all:hostile_strings"]) as server:
        yield server


def screen_text(app: App[Any]) -> str:
    """Everything on screen now, as text."""
    update = app.screen._compositor.render_full_update()
    return "\n".join("".join(segment.text for segment in strip) for strip in update.strips)


def assert_clean(text: str) -> None:
    found = sorted({repr(ch) for ch in text if ch in FORBIDDEN or 0x80 <= ord(ch) <= 0x9F})
    assert not found, f"unsafe characters on screen: {found}"


async def click_payloads(pilot: Pilot[Any], app: App[Any]) -> int:
    """Click every on-screen cell that shows `[@click=`; return how many were clicked."""
    clicked = 0
    for y, line in enumerate(screen_text(app).split("\n")):
        x = line.find("[@click")
        if x >= 0:
            await pilot.click(offset=(x + 3, y))
            clicked += 1
    await pilot.pause()
    return clicked


def hostile_app(sim: SimServer, store: JobStore) -> JobsApp:
    tracked = {name: tuple(ids[:6]) for name, ids in sim.tracked_ids().items()}
    settings = demo_settings(sim.url, refresh=30, track=tracked)
    return JobsApp(settings, [build_provider(a) for a in settings.accounts], store, utc_now)


async def loaded(pilot: Pilot[Any], app: JobsApp) -> JobsScreen:
    screen = app.screen
    assert isinstance(screen, JobsScreen)
    await wait_for(
        pilot,
        lambda: all(screen.source_health(p.account).health == Health.OK for p in screen.providers),
        "every source to load the hostile jobs",
    )
    return screen


async def test_list_views_show_hostile_text_literally_and_clicks_do_nothing(
    hostile_sim: SimServer,
) -> None:
    store = JobStore(":memory:")
    app = hostile_app(hostile_sim, store)
    quits: list[str] = []
    try:
        async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:

            async def quit_asked() -> None:
                quits.append("quit")

            app.action_quit = quit_asked  # type: ignore[method-assign]
            screen = await loaded(pilot, app)
            clicked = 0
            seen_markup: set[str] = set()
            for view in range(len(screen.providers) + 1):
                await pilot.press(str(view + 1))
                await pilot.pause()
                text = screen_text(app)
                assert_clean(text)
                seen_markup |= {m for m in MARKUP if m[:14] in text}
                lines = text.split("\n")
                assert len(lines) == SIZE[1], "a multi-line value broke the layout"
                clicked += await click_payloads(pilot, app)
                assert app.is_running and app.screen is screen
            assert clicked > 0, "no [@click=…] cell was on screen to click"
            assert len(seen_markup) >= 2, f"markup not shown literally: {seen_markup}"
            assert quits == []
            # the search box and the source names stay plain text too
            await pilot.press("slash")
            for ch in "[/x]":
                await pilot.press(ch if ch != "/" else "slash")
            await pilot.pause()
            assert_clean(screen_text(app))
            assert app.is_running
    finally:
        store.close()


def _detail_targets(screen: JobsScreen) -> dict[str, Job]:
    """One job of each detail kind."""
    targets: dict[str, Job] = {}
    for job in screen.index.jobs():
        kind = f"{job.provider}:{job.kind}"
        targets.setdefault(kind, job)
    return targets


async def test_every_detail_kind_shows_hostile_text_literally(hostile_sim: SimServer) -> None:
    store = JobStore(":memory:")
    app = hostile_app(hostile_sim, store)
    quits: list[str] = []
    try:
        async with app.run_test(size=(140, 80), notifications=True, tooltips=True) as pilot:

            async def quit_asked() -> None:
                quits.append("quit")

            app.action_quit = quit_asked  # type: ignore[method-assign]
            screen = await loaded(pilot, app)
            targets = _detail_targets(screen)
            kinds = {kind.split(":")[1] for kind in targets}
            assert {
                JobKind.ASYNC_OPERATION,
                JobKind.DATASET_CONVERSION,
                JobKind.JOB,
                JobKind.CONVERSION,
            } <= kinds, targets.keys()
            assert len(targets) == 5, targets.keys()  # Zoo has two kinds
            for kind, job in sorted(targets.items()):
                screen.post_message(OpenJobRequested(job.account, job.id))
                await wait_for(
                    pilot, lambda: isinstance(app.screen, JobDetailScreen), f"{kind} opens"
                )
                detail = app.screen
                assert isinstance(detail, JobDetailScreen)

                def fetched(d: JobDetailScreen = detail) -> bool:
                    return d.detail is not None or d.error is not None

                await wait_for(pilot, fetched, f"{kind} detail to load")
                assert detail.error is None, (kind, detail.error)
                await pilot.pause(0.1)
                text = screen_text(app)
                assert_clean(text)
                assert any(m[:14] in text for m in MARKUP) or "AAAAAAAAAA" in text, (
                    kind,
                    text[:2000],
                )
                await click_payloads(pilot, app)
                assert app.is_running and app.screen is detail, kind
                await pilot.press("y")  # the raw JSON view
                await pilot.pause(0.1)
                raw = screen_text(app)
                assert_clean(raw)
                assert "\\u001b" in raw or "\\u202e" in raw or "[@click" in raw, kind
                await click_payloads(pilot, app)
                assert app.is_running and app.screen is detail, kind
                await pilot.press("escape")
                if isinstance(app.screen, JobDetailScreen):
                    await pilot.press("escape")
                await wait_for(pilot, lambda: app.screen is screen, f"back from {kind}")
            assert quits == []
    finally:
        store.close()


async def test_notifications_of_hostile_failures_are_plain(hostile_sim: SimServer) -> None:
    store = JobStore(":memory:")
    app = hostile_app(hostile_sim, store)
    try:
        async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
            screen = await loaded(pilot, app)
            # a job "fails" with a hostile name and status (the transition path)
            jobs = [job for job in screen.index.jobs() if "[" in job.name][:2]
            assert jobs, "no job with a markup name"
            now = utc_now()
            transitions = [
                Transition(
                    job.account,
                    job.id,
                    JobState.RUNNING,
                    JobState.FAILED,
                    HOSTILE_STRINGS[1] + HOSTILE_STRINGS[4],
                    now,
                )
                for job in jobs
            ]
            screen._notify_transitions(jobs[0].account, transitions)
            # a source fails with a hostile error sentence (the health path)
            account = screen.providers[0].account
            error = UnavailableError(" ".join(HOSTILE_STRINGS[:9]), account=account)
            screen.post_message(RefreshFailed(account, error, now, now + timedelta(seconds=30)))
            await pilot.pause(0.3)
            assert app.is_running
            titles = [n.title for n in app._notifications]
            assert any("failed" in t for t in titles) and any("failing" in t for t in titles)
            text = screen_text(app)
            assert_clean(text)
            assert "[@click=app.quit]" in text or "[bold red]" in text
            await click_payloads(pilot, app)
            assert app.is_running
            health = screen.source_health(account)
            assert health.health == Health.FAILING and "[bold red]pwned" in (health.error or "")
            assert "\n" not in (health.error or "") and all(
                ch not in (health.error or "") for ch in FORBIDDEN
            )
    finally:
        store.close()


def test_raw_terminal_bytes_carry_no_escape_from_the_data(tmp_path: Path) -> None:
    """The real `jobtop --demo` with hostile strings, in a pty: scan every byte written."""
    program = PtyProgram(
        [str(JOBTOP), "--demo", "--demo-jobs", "40", "--demo-fault", "all:hostile_strings"],
        env={"JOBTOP_STATE_DIR": str(tmp_path / "state")},
        width=140,
        height=45,
    )
    try:
        # A hostile name on screen, literally (its column may cut it: match the start).
        assert program.wait_for(b"[bold red]pw", 60), program.run.output[-3000:]
        program.read_for(2)
        for keys in (b"2", b"3", b"4", b"5", b"1"):
            program.send(keys)
            program.read_for(0.6)
        program.send(b"\r", mark="detail")  # open the job under the cursor
        program.read_for(2.5)
        program.send(b"y")  # raw JSON
        program.read_for(1.0)
        program.send(b"\x1b")
        program.read_for(1.0)
        program.send(b"\x1b")
        program.read_for(1.0)
    finally:
        run = program.finish()
    out = run.output
    assert run.status == 0, f"exit status {run.status}"
    assert b"Traceback" not in out
    assert run.osc_numbers() <= {22}, f"OSC commands reached the terminal: {run.osc_numbers()}"
    assert not run.has_c1(), "a C1 control reached the terminal"
    for sequence in PAYLOAD_SEQUENCES:
        assert sequence not in out, f"payload sequence {sequence!r} reached the terminal"
    assert b"\x1b]0;" not in out and b"\x1b]2;" not in out  # no title set at all
    assert b"[@click=app" in out and b"[bold red]pw" in out  # shown literally
