"""`jobtop list` on a terminal and the dashboard's table print the same duration for a job.

Both run against one frozen simulator: the real `jobtop list` in a pseudo-terminal, and the
real dashboard (real providers over loopback) driven by Pilot. Jobs that ended are compared
(their duration does not depend on when each program looked).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.cli.conftest import write_config
from tests.cli.test_hostile_output import in_pty
from tests.ui.test_jobs_screen import SIZE
from tests.waiting import wait_for
from tui.app import JobsApp
from tui.clock import FrozenClock
from tui.config import demo_settings
from tui.job_index.index import Column
from tui.models import ProviderName
from tui.providers import HttpPolicy, build_provider
from tui.screens.jobs import JobsScreen
from tui.sim.server import SimServer
from tui.store import JobStore
from tui.sync.health import Health
from tui.widgets.job_table import JobTable


@pytest.fixture(scope="module")
def frozen() -> Iterator[tuple[SimServer, FrozenClock]]:
    clock = FrozenClock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    with SimServer(jobs=40, seed=21, clock=clock) as server:
        yield server, clock


def cli_durations(config: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(provider account, id) -> (state, duration) as `jobtop list` prints them on a terminal."""
    lines = in_pty("list", config=config).splitlines()
    header = lines[0]
    columns = ["STATE", "ACCOUNT", "ID", "NAME", "STATUS", "AGE", "DURATION", "PROGRESS"]
    starts = [header.index(c) for c in columns]
    cells = {}
    for line in lines[1:]:
        row = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
        cells[row[1], row[2]] = (row[0], row[6])
    return cells


async def test_list_and_dashboard_print_the_same_duration(
    tmp_path: Path, frozen: tuple[SimServer, FrozenClock]
) -> None:
    server, clock = frozen
    tracked = server.tracked_ids()
    config = write_config(tmp_path / "c.toml", server, hdr_track=tracked["hdrjpg"])
    printed = cli_durations(config)
    names = {"zoo": "demo-zoo", "mf": "demo-metafold", "ll": "demo-lettrlabs", "hdr": "demo-hdrjpg"}

    settings = demo_settings(
        server.url, refresh=600, track={k: tuple(v) for k, v in tracked.items()}
    )
    policy = HttpPolicy(attempts=1, wait_initial=0.05, wait_max=0.1, deadline=10)
    providers = [build_provider(account, policy=policy) for account in settings.accounts]
    store = JobStore(":memory:")
    app = JobsApp(settings, providers, store, clock)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            assert isinstance(screen, JobsScreen)
            await wait_for(
                pilot,
                lambda: all(
                    screen.source_health(p.account).health == Health.OK for p in screen.providers
                ),
            )
            table = screen.query_one(JobTable)
            shown = {
                (job.account, job.id): (job, table._cell_text(job, Column.DURATION, 8))
                for job in screen.index.jobs()
            }
    finally:
        store.close()

    compared = 0
    lettrlabs_ended = 0
    for (account, job_id), (state, duration) in printed.items():
        if state not in ("succeeded", "failed", "canceled"):
            continue
        job, cell = shown[names[account], job_id]
        assert duration == cell, (account, job_id)
        compared += 1
        if job.provider == ProviderName.LETTRLABS:
            assert job.started_at is None and duration == "—"  # no start time: no duration
            lettrlabs_ended += 1
    assert compared > 20 and lettrlabs_ended > 0
    assert any(d not in ("—", "0s") for s, d in printed.values() if s == "succeeded")
