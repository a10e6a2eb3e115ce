"""End to end: the real `jobtop --demo` in tmux; keys typed, the pane read, clean exits."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.tmux import TmuxSession, jobtop_command, process_alive, requires_tmux

pytestmark = [pytest.mark.e2e, requires_tmux]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[TmuxSession]:
    session = TmuxSession(
        jobtop_command("--demo"),
        workdir=REPO,
        env={"JOBTOP_STATE_DIR": str(tmp_path / "state")},
        width=130,
        height=40,
    )
    try:
        session.wait_for("Status", timeout=30)
        session.wait_for("● ok", timeout=30)
        yield session
    finally:
        session.close()


def wait_ended(session: TmuxSession, pid: int, timeout: float) -> int:
    """The program's exit code once it ended.

    tmux sometimes leaves an exited pane process unreaped (a zombie) for a long while;
    its exit code is then read from `/proc/PID/stat` (Linux 3.5+), as waitpid would.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = session.exit_status()
        if status is not None:
            return status
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            fields = []
        if fields and fields[0] == "Z":
            return os.waitstatus_to_exitcode(int(fields[-1]))
        time.sleep(0.05)
    pytest.fail(f"the program did not exit within {timeout}s; screen:\n{session.screen()}")


def status_line(session: TmuxSession) -> str:
    lines = [line for line in session.screen().split("\n") if " jobs · sort " in line]
    assert lines, session.screen()
    return lines[-1]


def test_demo_keys_filter_sort_search_pause_help_and_quit(demo: TmuxSession) -> None:
    demo.send("f")
    demo.wait_for("states: failed")
    screen = demo.screen()
    table = screen.split("State ")[1]
    rows = [line for line in table.split("\n")[1:] if line.strip() and " jobs · sort " not in line]
    assert rows and all("✖ failed" in row for row in rows[:5] if "│" not in row), screen
    demo.send("f")
    demo.wait_gone("states: failed")
    demo.send("s")
    demo.wait_for("sort Duration ▼")
    demo.send("S")
    demo.wait_for("sort Duration ▲")
    demo.send("/")
    demo.send("88667411", literal=True)
    demo.wait_for('search "88667411": ')
    assert "88667411-" in demo.screen()
    demo.send("Enter")
    demo.send("Escape")
    demo.wait_gone('search "88667411"')
    demo.send("p")
    demo.wait_for("PAUSED")
    demo.send("p")
    demo.wait_gone("PAUSED")
    demo.send("?")
    demo.wait_for("jobtop keys")
    demo.wait_for("Failed only")
    demo.send("Escape")
    demo.wait_gone("jobtop keys")
    pid = demo.pane_pid()
    demo.send("q")
    assert wait_ended(demo, pid, 10) == 0


def test_keys_sent_in_one_burst_after_enter_and_escape_leave_the_search(
    demo: TmuxSession,
) -> None:
    """`/word`, Enter and `jj` in one send-keys (one read on the terminal, as over SSH):
    the search is the word, the `j`s are the table's; then `/x`, Enter and `q` at once quit.

    (Escape and `q` in one burst are the bytes of Alt+Q to any terminal program; the Pilot
    tests send that pair as keys.)"""
    demo.send("/demo", "Enter", "jj")
    demo.wait_for('search "demo": ')
    time.sleep(0.5)
    assert "demojj" not in demo.screen()
    assert 'search "demo": ' in status_line(demo)
    pid = demo.pane_pid()
    demo.send("/x", "Enter", "q")
    assert wait_ended(demo, pid, 10) == 0


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGHUP, 129), (signal.SIGTERM, 143)])
def test_demo_exits_cleanly_on_hangup_and_terminate(
    demo: TmuxSession, signum: int, code: int
) -> None:
    pid = demo.pane_pid()
    os.kill(pid, signum)
    assert wait_ended(demo, pid, 5) == code
    deadline = time.monotonic() + 3
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process_alive(pid)


def test_80x24_ages_key_a_light_theme_and_log_file(tmp_path: Path) -> None:
    """Real keys at 80x24: compact ages, `a` for local times and back; `--theme light`
    and `--log-file` from the command line; the demo's token never in the log."""
    import re
    import stat

    log = tmp_path / "jobtop.log"
    session = TmuxSession(
        jobtop_command(
            "--demo", "--theme", "light", "--log-file", str(log), "--log-level", "debug"
        ),
        workdir=REPO,
        env={"JOBTOP_STATE_DIR": str(tmp_path / "state"), "TZ": "Asia/Tokyo"},
        width=80,
        height=24,
    )
    try:
        session.wait_for("zoo ●", timeout=30)  # the sources on one line below 30 rows
        screen = session.wait_for("Age")
        header = next(line for line in screen.split("\n") if line.startswith("State"))
        assert "Age" in header and "Created" not in header
        assert not re.search(r"\b\d+ (seconds?|minutes?|hours?)\b", screen)
        # the light theme's background (#eeeeee) is what the terminal was told to paint
        painted = session._tmux("capture-pane", "-p", "-e", "-t", session.name).stdout
        assert "48;2;238;238;238" in painted
        session.send("a")
        screen = session.wait_for("Created")
        rows = screen.split("\n")
        start = next(i for i, line in enumerate(rows) if line.startswith("State"))
        local_time = re.compile(r" (\d\d:\d\d:\d\d|\w{3} \d\d \d\d:\d\d) ")
        assert any(local_time.search(row) for row in rows[start + 1 :])
        session.send("a")
        session.wait_gone("Created")
        session.send("q")
        assert session.wait_exit(timeout=15) == 0
    finally:
        session.close()
    text = log.read_text()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert "started: 4 source(s)" in text and " DEBUG tui.providers: demo-zoo GET /" in text
    assert "demo-token" not in text
