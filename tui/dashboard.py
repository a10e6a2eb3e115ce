"""Start the dashboard: the simulator for the demo, the store, the providers, the app.

Kept apart from `cli.py` so the command line stays light; this module is imported only
when the dashboard is actually opened.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from tui.config import Overrides, Settings, apply_overrides, demo_settings

if TYPE_CHECKING:
    from tui.sim.server import SimServer

DEMO_REFRESH = 2.0


@contextlib.contextmanager
def demo_simulator(*, jobs: int, seed: int, faults: Sequence[str] = ()) -> Iterator[SimServer]:
    """The simulator in-process on a free loopback port, stopped on exit.

    `faults` use the `jobtop sim --fault` syntax (the hidden `--demo-fault`, for tests).
    """
    from tui.sim.server import SimServer

    server = SimServer(jobs=jobs, seed=seed, faults=faults)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def run_dashboard(
    settings: Settings | None,
    overrides: Overrides,
    *,
    demo_jobs: int = 300,
    demo_seed: int = 7,
    demo_faults: Sequence[str] = (),
) -> int:
    """Open the dashboard; `settings=None` runs the demo. Returns the exit code."""
    low_bandwidth = bool(overrides.low_bandwidth or (settings and settings.low_bandwidth))
    from tui.terminal import configure_environment

    configure_environment(low_bandwidth)
    with contextlib.ExitStack() as stack:
        if settings is None:
            server = stack.enter_context(
                demo_simulator(jobs=demo_jobs, seed=demo_seed, faults=demo_faults)
            )
            tracked = {name: tuple(ids) for name, ids in server.tracked_ids().items()}
            settings = apply_overrides(
                demo_settings(server.url, refresh=DEMO_REFRESH, track=tracked), overrides
            )
        return _run(settings)


def _run(settings: Settings) -> int:
    from tui.app import run_app
    from tui.clock import utc_now
    from tui.providers import build_provider
    from tui.store import JobStore

    if settings.demo:
        from tui.paths import user_state_dir

        store = JobStore(user_state_dir() / "demo.sqlite3")
    else:
        store = JobStore.open_default()
    store.prune()
    providers = [build_provider(account) for account in settings.accounts]
    try:
        return run_app(settings, providers, store, utc_now)
    finally:
        store.close()
        sys.stdout.flush()
