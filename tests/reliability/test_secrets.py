"""Tokens never leave the HTTP layer: not on screen, in logs, exports, errors or tracebacks.

Each provider gets its own distinctive token. The app runs through normal use (refresh,
every detail kind, the raw JSON view) and every simulator fault; the CLI runs `list`,
`show --json`, `watch` and its error paths; and a forced parse error runs the real app in
a pty, where Textual's crash traceback (which prints locals) would show a token.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import TOKENS, run_jobtop, write_config
from tests.reliability.conftest import load_fault_matrix
from tests.reliability.pty_harness import REPO, PtyProgram
from tests.waiting import wait_for
from tui.app import JobsApp
from tui.clock import utc_now
from tui.config import AccountConfig, Settings
from tui.messages import OpenJobRequested
from tui.models import ProviderName
from tui.providers import build_provider
from tui.screens.job_detail import JobDetailScreen
from tui.screens.jobs import JobsScreen
from tui.secret import Secret
from tui.sim.server import SimServer
from tui.store import JobStore
from tui.sync.health import Health

pytestmark = pytest.mark.timeout(240)

APP_TOKENS = {
    "zoo": "zoo-SECRET-7c1e9a55d2",
    "metafold": "mf-SECRET-40b8e2f61a",
    "lettrlabs": "ll-SECRET-93d7c0ab84",
    "hdrjpg": "hdr-SECRET-1f6a2d9e07",
}
matrix = load_fault_matrix()


def leaks(text: str | bytes, tokens: Any = None) -> list[str]:
    """The tokens (or their distinctive halves) found in `text`."""
    values = list((tokens or APP_TOKENS).values())
    data = text.encode() if isinstance(text, str) else text
    found = []
    for token in values:
        for piece in (token, token[-10:]):
            if piece.encode() in data:
                found.append(piece)
    return found


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with SimServer(jobs=30, seed=12) as server:
        yield server


def secret_app(sim: SimServer, store: JobStore) -> JobsApp:
    tracked = sim.tracked_ids()
    accounts = tuple(
        AccountConfig(
            name=f"acct-{provider}",
            provider=ProviderName(provider),
            base_url=sim.base_url(provider),
            token=Secret(token),
            track=tuple(tracked.get(provider, [])[:4]),
        )
        for provider, token in APP_TOKENS.items()
    )
    settings = Settings(accounts=accounts, refresh=1.0)
    providers = [build_provider(a, policy=matrix.POLICY) for a in accounts]
    return JobsApp(settings, providers, store, utc_now)


async def test_app_use_and_every_fault_show_no_token(
    sim: SimServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = JobStore(":memory:")
    app = secret_app(sim, store)
    captures: list[str] = []
    try:
        async with app.run_test(size=(140, 50), notifications=True, tooltips=True) as pilot:
            assert isinstance(app.screen, JobsScreen)
            screen: JobsScreen = app.screen
            accounts = [p.account for p in screen.providers]
            await wait_for(
                pilot,
                lambda: all(screen.source_health(a).health == Health.OK for a in accounts),
                "every source ok",
            )
            captures.append(app.export_screenshot())
            # every detail kind, and its raw JSON
            kinds: dict[str, Any] = {}
            for job in screen.index.jobs():
                kinds.setdefault(f"{job.provider}:{job.kind}", job)
            assert len(kinds) == 5
            for job in kinds.values():
                screen.post_message(OpenJobRequested(job.account, job.id))
                await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen), "detail")
                detail = app.screen
                assert isinstance(detail, JobDetailScreen)

                def fetched(d: JobDetailScreen = detail) -> bool:
                    return d.detail is not None or d.error is not None

                await wait_for(pilot, fetched, "load")
                captures.append(app.export_screenshot())
                await pilot.press("y")
                await pilot.pause(0.1)
                captures.append(app.export_screenshot())
                await pilot.press("escape")
                if app.screen is not screen:
                    await pilot.press("escape")
                await wait_for(pilot, lambda: app.screen is screen, "back")
            # every fault on every source at once
            for fault in matrix.FAULTS:
                sim.set_fault("all", fault.name, **fault.params)
                started = app.clock()

                def failing_or_refreshed(started: datetime = started) -> bool:
                    return all(
                        screen.source_health(a).health == Health.FAILING
                        or (screen.source_health(a).last_ok_at or started) > started
                        for a in accounts
                    )

                await wait_for(pilot, failing_or_refreshed, f"a refresh under {fault.name}")
                captures.append(app.export_screenshot())
                sim.clear_faults()
            # the palette offers no screenshot, and the action is disabled
            titles = [c.title for c in app.get_system_commands(screen)]
            assert titles and not any("screenshot" in t.lower() for t in titles)
            health = [screen.source_health(a).error or "" for a in accounts]
            notes = [f"{n.title} {n.message}" for n in app._notifications]
            assert app.is_running
    finally:
        sim.clear_faults()
        store.close()
    assert len(captures) > 20
    for capture in captures:
        assert not leaks(capture), "a token is on screen"
    assert not leaks("\n".join(health + notes))
    assert not leaks(caplog.text), "a token is in the log"
    assert caplog.records, "nothing was logged: the log check proves nothing"


def test_cli_output_and_errors_show_no_token(tmp_path: Path, sim: SimServer) -> None:
    config = write_config(tmp_path / "c.toml", sim, hdr_track=sim.tracked_ids()["hdrjpg"][:2])
    outputs: list[str] = []

    def run(*args: str, ok: bool = True) -> Any:
        result = run_jobtop(*args, config=config, timeout=90)
        outputs.extend([result.stdout, result.stderr])
        if ok:
            assert result.returncode == 0, result.stderr
        return result

    listed = run("list", "--json").stdout
    import json

    jobs = json.loads(listed)
    run("list")
    by_account: dict[str, Any] = {}
    for job in jobs:
        by_account.setdefault(job["account"], job)
    for job in by_account.values():
        run("show", job["account"], str(job["id"]), "--json")
        run("show", job["account"], str(job["id"]))
    ended = next(j for j in jobs if j["state"] in ("succeeded", "failed", "canceled"))
    run("watch", ended["account"], str(ended["id"]), "--interval", "0.5", ok=False)
    for fault in ("http_401", "http_500", "html", "hang", "wrong_types"):
        sim.set_fault("all", fault)
        try:
            result = run("list", ok=False)
            assert result.stderr.strip(), f"{fault}: no error was reported"
            if fault != "hang":  # one hang (the 30 s deadline) is enough
                run("show", "mf", "123", ok=False)
        finally:
            sim.clear_faults()
    run("show", "mf", "no-such-job", ok=False)
    run("list", "--account", "nope", ok=False)
    joined = "\n".join(outputs)
    assert not leaks(joined, TOKENS), "a token reached the CLI's output"
    assert "Traceback" not in joined
    state = Path(run_jobtop_state_dir())
    for path in state.rglob("*") if state.exists() else []:
        if path.is_file():
            assert not leaks(path.read_bytes(), TOKENS), f"a token is stored in {path}"


def run_jobtop_state_dir() -> str:
    import os

    return os.environ["JOBTOP_STATE_DIR"]


def test_forced_worker_error_keeps_the_app_up_and_prints_no_token(tmp_path: Path) -> None:
    """A parse step raising TypeError (token in its locals), the real app in a pty."""
    env = {
        "ZOO_TOKEN": APP_TOKENS["zoo"],
        "METAFOLD_TOKEN": APP_TOKENS["metafold"],
        "LETTR_TOKEN": APP_TOKENS["lettrlabs"],
        "HDR_TOKEN": APP_TOKENS["hdrjpg"],
        "JOBTOP_STATE_DIR": str(tmp_path / "state"),
        "PYTHONPATH": str(REPO),
    }
    program = PtyProgram([sys.executable, "-m", "tests.reliability.crash_runner"], env=env)
    try:
        assert program.wait_for(b"acct-metafold", 30), "the app never drew its sources"
        program.read_for(4)  # several refreshes fail in the parse step
        program.send(b"5")  # the hdrjpg view
        program.read_for(1)
        program.send(b"1")
        program.send(b"\r")  # open a job: its detail worker parses too
        program.read_for(3)
        program.send(b"\x1b")
        program.read_for(1)
        alive = program.run.status is None
    finally:
        run = program.finish()
    assert alive, f"the app exited early with {run.status}"
    assert run.status == 0, f"exit status {run.status}"
    out = run.output
    # Items that cannot be read are left out and counted; when none can, the source says
    # the response had an unexpected shape instead of stopping.
    assert b"Metafold sent a response of an unexpected" in out
    assert b"Traceback" not in out
    assert not leaks(out), "a token reached the terminal"
