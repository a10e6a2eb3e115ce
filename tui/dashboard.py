"""Start the dashboard: the simulator for the demo, the store, the providers, the app.

Kept apart from `cli.py` so the command line stays light; this module is imported only
when the dashboard is actually opened.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from tui.clock import utc_now
from tui.config import (
    Overrides,
    Settings,
    apply_overrides,
    demo_settings,
    env_image_protocol,
    env_log_level,
    env_theme,
)
from tui.errors import StoreError
from tui.image_protocol import ImageProtocol, choose_image_protocol
from tui.logfile import logging_to
from tui.paths import user_state_dir
from tui.store import JobStore
from tui.terminal import configure_environment

if TYPE_CHECKING:
    from tui.sim.server import SimServer

DEMO_REFRESH = 2.0


@contextlib.contextmanager
def demo_simulator(*, jobs: int, seed: int, faults: Sequence[str] = ()) -> Iterator[SimServer]:
    """The simulator in-process on a free loopback port, stopped on exit.

    `faults` use the `jobtop sim --fault` syntax (the hidden `--demo-fault`, for tests).
    """
    from tui.sim.server import SimServer  # start-up speed: the real dashboard needs no simulator

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
    attach: bool = False,
) -> int:
    """Open the dashboard; `settings=None` runs the demo. Returns the exit code.

    With `attach`, it shows the store a `jobtop serve` writes and makes no provider request.
    """
    low_bandwidth = bool(overrides.low_bandwidth or (settings and settings.low_bandwidth))
    configure_environment(low_bandwidth)
    with contextlib.ExitStack() as stack:
        if settings is None:
            server = stack.enter_context(
                demo_simulator(jobs=demo_jobs, seed=demo_seed, faults=demo_faults)
            )
            tracked = {name: tuple(ids) for name, ids in server.tracked_ids().items()}
            demo = demo_settings(server.url, refresh=DEMO_REFRESH, track=tracked)
            demo = replace(
                demo,
                image_protocol=env_image_protocol(os.environ) or demo.image_protocol,
                theme=env_theme(os.environ) or demo.theme,
                log_level=env_log_level(os.environ),
            )
            settings = apply_overrides(demo, overrides)
        protocol = resolve_image_protocol(
            settings.image_protocol,
            os.environ,
            is_tty=sys.stdin.isatty() and sys.stdout.isatty(),
            low_bandwidth=low_bandwidth,
        )
        with logging_to(settings):
            return _run(replace(settings, image_protocol=protocol), attach=attach)


def _run_attached(settings: Settings) -> int:
    """The dashboard on the store a `jobtop serve` writes: the poller's sources, read from
    the store every `ATTACH_READ_EVERY` seconds, with the poller's health."""
    # Start-up speed: Textual and httpx load only when the dashboard opens, not when the
    # command line imports this module for the demo's simulator.
    from tui.app import run_app
    from tui.attach import ATTACH_READ_EVERY, StoreProvider
    from tui.attach_cli import attached_settings, open_attached

    store = open_attached()
    try:
        settings = attached_settings(settings, store)
        settings = replace(settings, refresh=min(settings.refresh, ATTACH_READ_EVERY))
        providers = [StoreProvider(account, store) for account in settings.accounts]
        return run_app(settings, providers, store, utc_now)
    finally:
        store.close()
        sys.stdout.flush()


def resolve_image_protocol(
    setting: ImageProtocol, environ: Mapping[str, str], *, is_tty: bool, low_bandwidth: bool
) -> ImageProtocol:
    """The protocol the app draws snapshot images with; called before Textual starts.

    A sharp choice loads textual-image now, while its terminal queries (cell size, and
    for `auto` whether the terminal really answers to the protocol) can still be read:
    once the app runs, Textual owns standard input. Half blocks load nothing.
    """
    protocol = choose_image_protocol(setting, environ, is_tty=is_tty, low_bandwidth=low_bandwidth)
    if not protocol.is_sharp:
        return protocol
    try:
        # Start-up speed: textual-image loads only for a sharp protocol (and may be missing).
        from tui.widgets.pixel_image_view import prepare_terminal

        return prepare_terminal(protocol, confirm=setting is ImageProtocol.AUTO)
    except _terminal_errors() as error:
        print(f"jobtop: drawing images with half blocks ({error})", file=sys.stderr)
        return ImageProtocol.HALFBLOCK


def _terminal_errors() -> tuple[type[BaseException], ...]:
    """What a terminal query can raise: a garbled answer, a closed or odd terminal."""
    errors: tuple[type[BaseException], ...] = (ImportError, OSError, ValueError)
    try:  # optional: textual-image may be missing
        from textual_image._terminal import TerminalError
    except ImportError:
        return errors
    errors = (*errors, TerminalError)
    try:  # POSIX only
        import termios
    except ImportError:
        return errors
    return (*errors, termios.error)


def open_store(settings: Settings) -> tuple[JobStore, StoreError | None]:
    """The job store, or an in-memory one and why when the file cannot be used.

    The dashboard runs on live data whatever the store's state; the app shows the problem
    (and offers to move a corrupt store aside). Ageing out old jobs is skipped when the
    store is locked by another program.

    The demo's store starts empty on every run: its simulated world starts again each
    time, so nothing from a previous run (jobs, the open mark, events) is carried over as
    if it were the same world.
    """
    name = "demo.sqlite3" if settings.demo else "jobs.sqlite3"
    try:
        store = JobStore(user_state_dir() / name)
    except StoreError as error:
        return JobStore(":memory:"), error
    try:
        if settings.demo:
            store.clear()
        store.prune()
    except StoreError as error:
        # A lock may be let go soon: the saves will say so if it is not.
        return store, None if error.problem == "locked" else error
    return store, None


def _run(settings: Settings, *, attach: bool = False) -> int:
    from tui.app import run_app  # start-up speed, as in `_run_attached`
    from tui.providers import build_provider

    if attach:
        return _run_attached(settings)
    store, problem = open_store(settings)
    providers = [build_provider(account) for account in settings.accounts]
    try:
        return run_app(settings, providers, store, utc_now, store_problem=problem)
    finally:
        store.close()
        sys.stdout.flush()
