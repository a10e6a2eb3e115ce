"""The log file, end to end: the real `jobtop` against the simulator with a real token.

A provider warning (a repeated page token) reaches the file; the file is 0600; the token
is never in it; levels filter; and a log that cannot be opened is one sentence.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import run_jobtop
from tui.models import ProviderName
from tui.sim.server import SimServer

TOKEN = "sk-live-9QeT4wXr2LmZ"
"""What the simulator accepts, and all the config's accounts send."""


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with SimServer(jobs=30, seed=5, token=TOKEN) as server:
        server.set_fault("zoo", "repeating_token")
        yield server


@pytest.fixture
def config(tmp_path: Path, sim: SimServer) -> Path:
    accounts = "".join(
        f"""
[[account]]
name = "{provider.value}-acct"
provider = "{provider.value}"
base_url = "{sim.base_url(provider.value)}"
token_env = "JOBTOP_TEST_TOKEN"
"""
        for provider in ProviderName
    )
    path = tmp_path / "config.toml"
    path.write_text(accounts)
    return path


def jobtop(  # type: ignore[no-untyped-def]
    *args: str, config: Path, state: Path, env: dict[str, str] | None = None
):
    return run_jobtop(
        *args,
        config=config,
        env={
            "JOBTOP_TEST_TOKEN": TOKEN,
            "JOBTOP_STATE_DIR": str(state),
            "JOBTOP_LOG": "",
            **(env or {}),
        },
    )


def test_provider_warning_reaches_the_log_without_the_token(tmp_path: Path, config: Path) -> None:
    log = tmp_path / "logs" / "jobtop.log"
    result = jobtop("list", "--log-file", str(log), config=config, state=tmp_path / "state")
    assert result.returncode == 0, result.stderr
    text = log.read_text()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert "zoo-acct: Zoo repeated a page token; paging stopped" in text
    assert " WARNING tui.providers: " in text
    assert "jobtop 0.1.0 started: 4 source(s)" in text
    assert TOKEN not in text and TOKEN not in result.stdout + result.stderr
    # info is the default level: the per-request debug lines are left out
    assert " DEBUG " not in text
    assert all(line.count(" tui") >= 1 for line in text.splitlines())


def test_jobtop_log_debug_writes_to_the_state_dir(tmp_path: Path, config: Path) -> None:
    state = tmp_path / "state"
    result = jobtop("list", config=config, state=state, env={"JOBTOP_LOG": "debug"})
    assert result.returncode == 0, result.stderr
    log = state / "jobtop.log"
    text = log.read_text()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert " DEBUG tui.providers: zoo-acct GET /" in text
    assert "repeated a page token" in text
    assert TOKEN not in text


def test_warning_level_keeps_only_warnings(tmp_path: Path, config: Path) -> None:
    log = tmp_path / "warn.log"
    log.write_text("")
    log.chmod(0o644)
    result = jobtop(
        "list",
        "--log-file",
        str(log),
        "--log-level",
        "warning",
        config=config,
        state=tmp_path / "state",
        env={"JOBTOP_LOG": "debug"},
    )
    assert result.returncode == 0, result.stderr
    text = log.read_text()
    assert "repeated a page token" in text
    assert " INFO " not in text and " DEBUG " not in text
    # an existing file others could read is narrowed to the owner
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_no_log_unless_asked(tmp_path: Path, config: Path) -> None:
    state = tmp_path / "state"
    result = jobtop("list", config=config, state=state)
    assert result.returncode == 0, result.stderr
    assert not (state / "jobtop.log").exists()


def test_bad_level_and_unopenable_file_are_one_sentence(tmp_path: Path, config: Path) -> None:
    result = jobtop("list", config=config, state=tmp_path, env={"JOBTOP_LOG": "loud"})
    assert result.returncode == 78
    assert result.stderr == (
        "jobtop: configuration error: JOBTOP_LOG must be one of debug, info, warning, not 'loud'\n"
    )
    result = jobtop("list", "--log-file", str(tmp_path), config=config, state=tmp_path)
    assert result.returncode == 78
    assert result.stderr.startswith(f"jobtop: configuration error: {tmp_path}: the log file ")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
