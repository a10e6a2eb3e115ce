"""The dashboard against the real simulator over loopback HTTP, with the real providers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.widgets import Static

from tests.ui.test_jobs_screen import SIZE, table_text
from tests.waiting import LONG, wait_for
from tui.app import JobsApp
from tui.clock import utc_now
from tui.config import demo_settings
from tui.models import JobState
from tui.providers import HttpPolicy, build_provider
from tui.screens.jobs import JobsScreen
from tui.sim.server import SimServer
from tui.store import JobStore
from tui.sync.health import Health


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with SimServer(jobs=60, seed=3) as server:
        yield server


def demo_app(sim: SimServer, store: JobStore) -> JobsApp:
    tracked = {name: tuple(ids) for name, ids in sim.tracked_ids().items()}
    settings = demo_settings(sim.url, refresh=30, track=tracked)
    policy = HttpPolicy(attempts=1, wait_initial=0.05, wait_max=0.1, deadline=10)
    providers = [build_provider(account, policy=policy) for account in settings.accounts]
    return JobsApp(settings, providers, store, utc_now)


async def test_demo_loads_every_source_and_filters(sim: SimServer) -> None:
    store = JobStore(":memory:")
    app = demo_app(sim, store)
    try:
        async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
            screen = app.screen
            assert isinstance(screen, JobsScreen)
            await wait_for(
                pilot,
                lambda: all(
                    screen.source_health(p.account).health == Health.OK for p in screen.providers
                ),
            )
            accounts = {job.account for job in screen.index.jobs()}
            assert accounts == {p.account for p in screen.providers}
            assert store.load_jobs(), "refreshes are persisted"
            total = screen.index.row_count()
            assert total > 50
            await pilot.press("f")
            failed = screen.jobs_in_view()
            assert all(job.state == JobState.FAILED for job in failed)
            await pilot.press("f", "s", "S")
            assert screen.index.row_count() == total
            hdr_view = 1 + [p.account for p in screen.providers].index("demo-hdrjpg")
            await pilot.press(str(hdr_view + 1))
            assert {job.account for job in screen.jobs_in_view()} == {"demo-hdrjpg"}
            assert any(job.id.startswith("88667411-") for job in screen.jobs_in_view())
            await pilot.press("slash", *"88667411")
            assert "88667411-" in "\n".join(table_text(app))
    finally:
        store.close()


async def test_demo_source_failing_keeps_rows_then_recovers(sim: SimServer) -> None:
    store = JobStore(":memory:")
    app = demo_app(sim, store)
    try:
        async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
            screen = app.screen
            assert isinstance(screen, JobsScreen)
            await wait_for(
                pilot,
                lambda: screen.source_health("demo-metafold").health == Health.OK,
            )
            rows = screen.index.counts("demo-metafold").total()
            assert rows > 0
            sim.set_fault("metafold", "http_500")
            try:
                view = 1 + [p.account for p in screen.providers].index("demo-metafold")
                await pilot.press(str(view + 1), "r")
                await wait_for(
                    pilot,
                    lambda: screen.source_health("demo-metafold").health == Health.FAILING,
                    timeout=LONG,
                )
                assert screen.index.counts("demo-metafold").total() == rows
                sources = str(screen.query_one("#sources", Static).content)
                assert "failing" in sources
            finally:
                sim.clear_faults()
            await pilot.press("r")
            await wait_for(
                pilot,
                lambda: screen.source_health("demo-metafold").health == Health.OK,
            )
    finally:
        store.close()


async def test_demo_hostile_strings_stay_plain_text(sim: SimServer) -> None:
    store = JobStore(":memory:")
    app = demo_app(sim, store)
    sim.set_fault("all", "hostile_strings")
    try:
        async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
            screen = app.screen
            assert isinstance(screen, JobsScreen)
            await wait_for(
                pilot,
                lambda: all(
                    screen.source_health(p.account).health != Health.LOADING
                    and not screen.source_health(p.account).refreshing
                    for p in screen.providers
                ),
                timeout=LONG,
            )
            lines = table_text(app)
            assert all(len(line) == len(lines[0]) for line in lines)
            assert not any("\x1b" in line for line in lines)
            for row in range(1, 8):
                await pilot.click("JobTable", offset=(45, row))
            await pilot.pause()
            assert app.is_running
    finally:
        sim.clear_faults()
        store.close()


def test_the_demo_store_starts_empty_on_every_run() -> None:
    """The demo's world starts again on each run: its store must not claim that the jobs of
    the last run changed since then ("15 known jobs changed since last open")."""
    from dataclasses import replace

    from tui.dashboard import open_store
    from tui.models import Job, JobKind, ProviderName
    from tui.store import EventKind

    demo = demo_settings("http://127.0.0.1:1", refresh=30)
    first, problem = open_store(demo)
    assert problem is None and first.path != ":memory:"
    job = Job("demo-zoo", ProviderName.ZOO, JobKind.JOB, "j1", "n", "running", JobState.RUNNING)
    first.save_jobs("demo-zoo", [job], refreshed_at=utc_now())
    first.mark_opened()
    first.add_event("demo-zoo", EventKind.FAILING, "down")
    first.close()

    second, problem = open_store(demo)
    assert problem is None
    assert second.load_jobs() == [] and second.open_mark() is None and second.event_log() == []
    second.close()

    real = replace(demo, demo=False)  # a real store keeps what it had
    kept, _ = open_store(real)
    kept.save_jobs("demo-zoo", [job])
    kept.close()
    again, _ = open_store(real)
    assert [j.id for j in again.load_jobs()] == ["j1"]
    again.close()
