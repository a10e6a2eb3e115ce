"""Bytes written to the terminal when refreshes change nothing (docs/design.md §4).

The real `jobtop` command runs in tmux with every byte it writes recorded (`pipe-pane`),
against a simulator on a frozen clock, so every refresh returns identical data. Two runs
counted over the same steady-state window, after the first paint and first refreshes have
settled: refreshing every second, and an idle screen (one refresh at start, then none:
`--interval 3600`). The refreshing run must write under 1.2x the idle one. `--low-bandwidth` is
measured the same way and must write no more than normal mode.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.tmux import TmuxSession, jobtop_command, requires_tmux
from tui.clock import FrozenClock
from tui.sim.server import SimServer

SETTLE = 5.0
"""Seconds from start before counting: the first paint and the first refreshes."""
WINDOW = 10.0
"""Seconds counted after that: the steady state, where refreshes change nothing."""
BUDGET = 1.2
TOKENS = {"ZOO_T": "bw-zoo", "MF_T": "bw-mf", "LL_T": "bw-ll", "HDR_T": "bw-hdr"}


@pytest.fixture(scope="module")
def frozen_sim() -> Iterator[SimServer]:
    from datetime import UTC, datetime

    with SimServer(
        jobs=60, seed=9, clock=FrozenClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    ) as server:
        yield server


def _config(path: Path, sim: SimServer) -> Path:
    hdr = ", ".join(f'"{i}"' for i in sim.tracked_ids()["hdrjpg"][:3])
    accounts = [
        ("zoo", "zoo", "ZOO_T", ""),
        ("mf", "metafold", "MF_T", ""),
        ("ll", "lettrlabs", "LL_T", ""),
        ("hdr", "hdrjpg", "HDR_T", f"track = [{hdr}]"),
    ]
    text = "refresh = 1\n"
    for name, provider, env, extra in accounts:
        text += (
            f'\n[[account]]\nname = "{name}"\nprovider = "{provider}"\n'
            f'base_url = "{sim.base_url(provider)}"\ntoken_env = "{env}"\n{extra}\n'
        )
    path.write_text(text)
    return path


def _measure(tmp_path: Path, sim: SimServer, label: str, *args: str) -> int:
    config = _config(tmp_path / f"{label}.toml", sim)
    record = tmp_path / f"{label}.bin"
    session = TmuxSession(
        jobtop_command("--config", str(config), *args),
        workdir=tmp_path,
        env={**TOKENS, "JOBTOP_STATE_DIR": str(tmp_path / f"state-{label}")},
        width=120,
        height=40,
        record=record,
    )
    try:
        start = time.monotonic()
        session.wait_for("hdr", timeout=20)
        time.sleep(max(0.0, SETTLE - (time.monotonic() - start)))
        settled = len(session.recorded())
        time.sleep(WINDOW)
        written = len(session.recorded()) - settled
        assert session.exit_status() is None, session.screen()
        assert "failing" not in session.screen()
    finally:
        session.close()
    return written


@requires_tmux
def test_refreshes_that_change_nothing_write_about_what_an_idle_screen_writes(
    tmp_path: Path, frozen_sim: SimServer
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    runs = {
        "idle": ("--interval", "3600"),
        "refresh": ("--interval", "1"),
        "low": ("--interval", "1", "--low-bandwidth"),
    }
    with ThreadPoolExecutor(len(runs)) as pool:  # three terminals side by side, same window
        futures = {
            label: pool.submit(_measure, tmp_path, frozen_sim, label, *args)
            for label, args in runs.items()
        }
        idle, refreshing, low_bandwidth = (futures[label].result() for label in runs)
    print(
        f"\nbytes over {WINDOW:.0f} s of steady state at 120x40: idle {idle:,}; "
        f"refresh every 1 s {refreshing:,}"
        f" ({refreshing / idle:.2f}x idle); --low-bandwidth {low_bandwidth:,}"
        f" ({low_bandwidth / idle:.2f}x idle)"
    )
    assert refreshing <= BUDGET * idle, f"{refreshing} bytes > {BUDGET} x {idle} idle"
    assert low_bandwidth <= max(refreshing, BUDGET * idle)
