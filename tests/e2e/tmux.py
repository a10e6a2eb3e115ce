"""Drive the real `jobtop` command in a real terminal: tmux, send-keys, capture-pane.

Each session gets its own tmux server socket (`-L`), so tests never touch a user's tmux
and parallel tests never see each other. `pipe-pane` records every byte the program
writes to the terminal, for the escape-sequence and bandwidth checks.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")
requires_tmux = pytest.mark.skipif(
    TMUX is None, reason="tmux is not installed (.ci/run installs it)"
)


class TmuxSession:
    """One program running in a detached tmux pane of a fixed size."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        workdir: Path,
        env: Mapping[str, str] | None = None,
        width: int = 120,
        height: int = 36,
        record: Path | None = None,
    ) -> None:
        assert TMUX is not None
        self.socket = f"jobtop-test-{uuid.uuid4().hex[:10]}"
        self.name = "t"
        self.record = record
        environment = {
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "COLORTERM": "truecolor",
            **(env or {}),
        }
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in environment.items())
        # `exec` so the program is the pane's process; `; sleep` is not used, so the pane
        # closes when it exits and `is_alive` can tell.
        # `-u COLUMNS -u LINES`: under pytest they arrive as 80 and 24, and Textual takes
        # them over the pane's real size (shutil.get_terminal_size reads them first)
        shell_command = (
            f"cd {shlex.quote(str(workdir))} && "
            f"exec env -u COLUMNS -u LINES {exports} {shlex.join(command)}"
        )
        self._tmux(
            "new-session",
            "-d",
            "-s",
            self.name,
            "-x",
            str(width),
            "-y",
            str(height),
            "bash",
            "--norc",
            "--noprofile",
            "-c",
            shell_command,
        )
        self._tmux("set-option", "-t", self.name, "remain-on-exit", "on")
        if record is not None:
            self._tmux("pipe-pane", "-t", self.name, "-o", f"cat >> {shlex.quote(str(record))}")

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        assert TMUX is not None
        return subprocess.run(
            [TMUX, "-L", self.socket, *args], capture_output=True, text=True, check=check
        )

    def send(self, *keys: str, literal: bool = False) -> None:
        """Type keys (tmux key names such as `Enter`, `Escape`, `C-c`, or text with literal)."""
        args = ["send-keys", "-t", self.name]
        if literal:
            args.append("-l")
        self._tmux(*args, *keys)

    def screen(self) -> str:
        """The visible text of the pane now."""
        return self._tmux("capture-pane", "-p", "-t", self.name, "-J").stdout

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        """Wait until `text` is on screen; return the screen. Fails the test on timeout."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        pytest.fail(f"{text!r} did not appear within {timeout}s; the screen was:\n{screen}")

    def wait_gone(self, text: str, timeout: float = 20.0) -> str:
        """Wait until `text` is no longer on screen."""
        deadline = time.monotonic() + timeout
        screen = self.screen()
        while time.monotonic() < deadline:
            screen = self.screen()
            if text not in screen:
                return screen
            time.sleep(0.1)
        pytest.fail(f"{text!r} was still on screen after {timeout}s:\n{screen}")

    def pane_pid(self) -> int:
        """The pid of the program in the pane."""
        return int(
            self._tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").stdout.strip()
        )

    def exit_status(self) -> int | None:
        """The program's exit status once it ended, else None."""
        result = self._tmux(
            "display-message",
            "-p",
            "-t",
            self.name,
            "#{pane_dead} #{pane_dead_status}",
            check=False,
        )
        parts = result.stdout.split()
        if len(parts) == 2 and parts[0] == "1":
            return int(parts[1])
        self._reap_if_zombie()
        return None

    def _reap_if_zombie(self) -> None:
        """Nudge tmux when the program has exited but tmux has not reaped it.

        tmux 3.3a sometimes misses the SIGCHLD of a pane's process: the program is a
        zombie and the pane never reads as dead. A SIGCHLD sent to the server makes it
        reap the child and record the real exit status.
        """
        try:
            pid = self.pane_pid()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, ValueError, IndexError, subprocess.CalledProcessError):
            return
        if state == "Z":
            server = self._tmux("display-message", "-p", "#{pid}", check=False).stdout.strip()
            if server.isdigit():
                os.kill(int(server), signal.SIGCHLD)

    def wait_exit(self, timeout: float = 10.0) -> int:
        """Wait for the program to end; return its exit status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.exit_status()
            if status is not None:
                return status
            time.sleep(0.05)
        pytest.fail(f"the program did not exit within {timeout}s; screen:\n{self.screen()}")

    def recorded(self) -> bytes:
        """Every byte written to the terminal so far (when started with `record`)."""
        return self.record.read_bytes() if self.record and self.record.exists() else b""

    def close(self) -> None:
        """Kill the tmux server of this session (and the program, if still running)."""
        self._tmux("kill-server", check=False)


def jobtop_command(*args: str) -> list[str]:
    """The installed `jobtop` console script of this virtual environment."""
    import sys

    script = Path(sys.executable).parent / "jobtop"
    return [str(script), *args]


def process_alive(pid: int) -> bool:
    """True if a process with this pid exists (and is not a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    if status.exists():
        return status.read_text().split()[2] != "Z"
    return True
