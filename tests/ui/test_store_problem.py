"""The dashboard with a store that cannot be used: it starts, runs on live data from the real
simulator, keeps a warning line on screen, and offers to move a corrupt store aside."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.ui.test_jobs_screen import SIZE
from tests.unit.test_store_failures import write_lock_held
from tests.waiting import wait_for
from tui.app import JobsApp
from tui.clock import utc_now
from tui.config import demo_settings
from tui.dashboard import open_store
from tui.errors import StoreError
from tui.providers import HttpPolicy, build_provider
from tui.screens.jobs import JobsScreen
from tui.screens.store_problem import MoveStoreAsideScreen, StoreNotice
from tui.sim.server import SimServer
from tui.store import JobStore
from tui.sync.health import Health

GARBAGE = b"not a database, just bytes\n" * 64


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with SimServer(jobs=20, seed=5) as server:
        yield server


def state_dir() -> Path:
    return Path(os.environ["JOBTOP_STATE_DIR"])


def app_for(sim: SimServer, store: JobStore, problem: StoreError | None) -> JobsApp:
    settings = demo_settings(sim.url, refresh=30)
    policy = HttpPolicy(attempts=1, wait_initial=0.05, wait_max=0.1, deadline=10)
    providers = [build_provider(account, policy=policy) for account in settings.accounts]
    return JobsApp(settings, providers, store, utc_now, store_problem=problem)


def jobs_screen(app: JobsApp) -> JobsScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, JobsScreen)
    return screen


def all_ok(app: JobsApp) -> bool:
    screen = jobs_screen(app)
    return all(screen.source_health(p.account).health == Health.OK for p in screen.providers)


def notice_text(app: JobsApp) -> str | None:
    found = jobs_screen(app).query(StoreNotice)
    return str(found.first().render()) if found else None


def corrupt_demo_store() -> Path:
    path = state_dir() / "demo.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(GARBAGE)
    return path


async def test_a_corrupt_store_starts_on_live_data_and_can_be_moved_aside(sim: SimServer) -> None:
    path = corrupt_demo_store()
    store, problem = open_store(replace(demo_settings(sim.url), demo=True))
    assert problem is not None and problem.corrupt and store.path == ":memory:"
    app = app_for(sim, store, problem)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MoveStoreAsideScreen))
        await wait_for(pilot, lambda: all_ok(app))
        assert jobs_screen(app).index.row_count() > 0  # live data behind the dialog
        text = notice_text(app)
        assert text is not None and "cannot be used" in text and str(path) in text
        assert "not saved" in text and "\n" not in text
        await pilot.press("y")
        await wait_for(pilot, lambda: notice_text(app) is None)
        assert not isinstance(app.screen, MoveStoreAsideScreen)
        moved = [p for p in path.parent.iterdir() if p.name.startswith("demo.sqlite3.corrupt-")]
        assert len(moved) == 1 and moved[0].read_bytes() == GARBAGE
        assert app.store is not store and app.store.path == path
        assert jobs_screen(app).store is app.store
        # What this run fetched before the move is in the fresh store.
        assert len(app.store.load_jobs()) == jobs_screen(app).index.row_count()
    app.store.close()
    reopened = JobStore(path)
    assert reopened.load_jobs()
    reopened.close()


async def test_keeping_a_corrupt_store_leaves_it_and_the_warning_stays(sim: SimServer) -> None:
    path = corrupt_demo_store()
    store, problem = open_store(replace(demo_settings(sim.url), demo=True))
    app = app_for(sim, store, problem)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MoveStoreAsideScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: all_ok(app))
        await pilot.pause(0.3)
        assert notice_text(app) is not None and app.store is store
    assert path.read_bytes() == GARBAGE
    assert [p.name for p in path.parent.iterdir()] == ["demo.sqlite3"]


async def test_an_unusable_store_path_runs_with_a_warning_and_no_offer(sim: SimServer) -> None:
    (state_dir() / "demo.sqlite3").mkdir(parents=True)
    store, problem = open_store(replace(demo_settings(sim.url), demo=True))
    assert problem is not None and problem.problem == "unwritable"
    app = app_for(sim, store, problem)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: all_ok(app))
        text = notice_text(app)
        assert text is not None and "is a directory" in text
        assert not isinstance(app.screen, MoveStoreAsideScreen)
        assert jobs_screen(app).index.row_count() > 0


async def test_a_write_lock_held_elsewhere_shows_a_line_that_stays(
    sim: SimServer, tmp_path: Path
) -> None:
    path = tmp_path / "jobs.sqlite3"
    store = JobStore(path, busy_timeout=0.2)
    app = app_for(sim, store, None)
    with write_lock_held(path):
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: notice_text(app) is not None)
            await wait_for(pilot, lambda: all_ok(app))
            text = notice_text(app)
            assert text is not None and "locked by another program" in text
            assert jobs_screen(app).index.row_count() > 0
            await pilot.pause(0.5)
            assert notice_text(app) == text  # a line in the screen, not a toast
    store.close()


def test_the_real_demo_starts_on_a_corrupt_store_in_a_terminal(tmp_path: Path) -> None:
    """`jobtop --demo` in a pty with garbage for its store: the dialog, then a fresh store."""
    from tests.reliability.pty_harness import JOBTOP, PtyProgram

    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / "demo.sqlite3").write_bytes(GARBAGE)
    program = PtyProgram(
        [str(JOBTOP), "--demo", "--demo-jobs", "20"],
        env={"JOBTOP_STATE_DIR": str(state)},
        width=140,
        height=40,
    )
    try:
        assert program.wait_for(b"The job store is corrupt", 30), "no offer to move it aside"
        program.send(b"y")
        deadline = time.monotonic() + 30
        while not stored_jobs(state / "demo.sqlite3") and time.monotonic() < deadline:
            program.read_for(0.5)  # the first refresh saves into the fresh store
    finally:
        run = program.finish()
    assert run.status == 0, f"exit status {run.status}"
    assert b"Traceback" not in run.output
    moved = [p for p in state.iterdir() if p.name.startswith("demo.sqlite3.corrupt-")]
    assert len(moved) == 1 and moved[0].read_bytes() == GARBAGE
    assert stored_jobs(state / "demo.sqlite3")


def stored_jobs(path: Path) -> int:
    """How many jobs the store at `path` holds (0 while it is missing or unreadable)."""
    if not path.exists():
        return 0
    try:
        store = JobStore(path)
    except StoreError:
        return 0
    try:
        return len(store.load_jobs())
    finally:
        store.close()


async def test_tracking_an_id_when_the_store_is_locked_says_so(
    sim: SimServer, tmp_path: Path
) -> None:
    from textual.widgets import Input

    from tui.screens.track import TrackScreen

    path = tmp_path / "jobs.sqlite3"
    store = JobStore(path, busy_timeout=0.2)
    app = app_for(sim, store, None)
    wanted = sim.state.hdrjpg.uuid(1)
    with write_lock_held(path):
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            screen = jobs_screen(app)
            await wait_for(pilot, lambda: all_ok(app))
            hdr_view = 1 + [p.account for p in screen.providers].index("demo-hdrjpg")
            await pilot.press(str(hdr_view + 1), "t")
            assert isinstance(app.screen, TrackScreen)
            app.screen.query_one("#track-id", Input).value = wanted
            await pilot.press("enter")

            def said() -> list[str]:
                texts = [str(n.message) for n in app._notifications]
                return [text for text in texts if "could not be tracked" in text]

            await wait_for(pilot, lambda: bool(said()))
            message = said()[0]
            assert wanted in message and "locked by another program" in message
    assert store.tracked_ids("demo-hdrjpg") == []
    store.close()
