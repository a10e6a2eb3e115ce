"""End to end: the real `jobtop --demo` in tmux opens one detail of each kind and goes back."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.tmux import TmuxSession, jobtop_command, requires_tmux

pytestmark = [pytest.mark.e2e, requires_tmux]

REPO = Path(__file__).resolve().parents[2]


def switch_to(session: TmuxSession, key: str, source: str) -> None:
    """Select a source view and let the table settle before the next key."""
    session.send(key)
    session.wait_for(f"▸ {key} {source}")
    time.sleep(1.0)  # the view rebuilds its rows after the switch; keys sent earlier are lost


def wait_quietly(session: TmuxSession, text: str, timeout: float) -> bool:
    """True once `text` is on the screen, False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in session.screen():
            return True
        time.sleep(0.1)
    return False


def wait_for_raw_json(session: TmuxSession, timeout: float = 10.0) -> None:
    """Wait until the raw JSON view's first line, a lone `{`, is under the title."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = session.screen().split("\n")
        if any(line.strip() == "{" for line in lines[2:5]):
            return
        time.sleep(0.1)
    pytest.fail(f"the raw JSON view did not appear; the screen was:\n{session.screen()}")


def open_and_check(session: TmuxSession, title: str, section: str) -> None:
    """Enter on the highlighted row, check the detail, the raw JSON, then go back."""
    for _ in range(3):  # under load the list may still be rebuilding and drop a key
        session.send("Enter")
        if wait_quietly(session, title, 5.0):
            break
    session.wait_for(title)
    session.wait_for(section)
    session.wait_for("y Raw JSON")
    session.send("y")
    wait_for_raw_json(session)
    session.send("y")
    session.wait_for(section)
    session.send("Escape")
    session.wait_gone(title)


def test_demo_opens_one_detail_of_each_kind(tmp_path: Path) -> None:
    session = TmuxSession(
        jobtop_command("--demo"),
        workdir=REPO,
        env={"JOBTOP_STATE_DIR": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path)},
        width=120,
        height=40,
    )
    try:
        session.wait_for("demo-hdrjpg")
        switch_to(session, "3", "demo-metafold")
        open_and_check(session, "metafold · job · demo-metafold", "workflow")
        switch_to(session, "4", "demo-lettrlabs")
        open_and_check(session, "lettrlabs · conversion · demo-lettrlabs", "data source")
        switch_to(session, "5", "demo-hdrjpg")
        open_and_check(session, "hdrjpg · conversion · demo-hdrjpg", "download window")
        switch_to(session, "2", "demo-zoo")
        session.send("/")
        session.send(".step", literal=True)
        session.send("Enter")
        time.sleep(1.0)
        open_and_check(session, "zoo · dataset_conversion · demo-zoo", "meaning")
        time.sleep(1.0)  # focus returns to the list after the detail closes
        session.send("/")
        time.sleep(0.5)
        session.send("C-u")
        session.send("text_to_cad", literal=True)
        session.wait_for("text_to_cad")
        session.send("Enter")
        time.sleep(1.0)
        open_and_check(session, "zoo · async_operation · demo-zoo", "worker")
        assert session.exit_status() is None
    finally:
        session.close()
