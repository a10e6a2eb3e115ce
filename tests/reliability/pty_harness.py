"""Run a command in a pseudo-terminal and keep every byte it writes.

Used by the hostile-string and secrets tests to scan what reaches the terminal. Every
run is bounded: the program is asked to quit with `q`, then sent SIGTERM, then SIGKILL,
always by the pid this harness forked.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
JOBTOP = Path(sys.executable).parent / "jobtop"

OSC = re.compile(rb"\x1b\](\d+)")
C1 = re.compile(rb"\xc2[\x80-\x9f]")
"""C1 controls as UTF-8 (a raw 0x80-0x9f byte is also a UTF-8 continuation byte)."""


@dataclass
class PtyRun:
    """What a program wrote to the terminal, and how it ended."""

    output: bytes = b""
    status: int | None = None
    """The exit status (negative: killed by that signal), None if it had to be killed."""
    marks: dict[str, int] = field(default_factory=dict)
    """Output length at each named step (for "after this key" checks)."""

    def osc_numbers(self) -> set[int]:
        """Every OSC command number in the output."""
        return {int(m.group(1)) for m in OSC.finditer(self.output)}

    def has_c1(self) -> bool:
        """True if a C1 control character reached the terminal."""
        return C1.search(self.output) is not None


class PtyProgram:
    """A program in a pty of a fixed size; read its output while sending keys."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        width: int = 120,
        height: int = 40,
    ) -> None:
        self.run = PtyRun()
        environment = {
            **os.environ,
            "TERM": "xterm-256color",
            "COLORTERM": "truecolor",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            **(env or {}),
        }
        pid, fd = pty.fork()
        if pid == 0:  # the child: never returns
            try:
                os.chdir(REPO)
                os.execve(argv[0], list(argv), environment)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
        os.kill(pid, signal.SIGWINCH)

    def read_for(self, seconds: float) -> None:
        """Collect output for `seconds` (or until the program closes the terminal)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if not ready:
                if self._reap():
                    return
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.run.output += chunk

    def wait_for(self, needle: bytes, timeout: float) -> bool:
        """Read until `needle` was written (True) or `timeout` passed (False)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if needle in self.run.output:
                return True
            self.read_for(0.1)
            if self.run.status is not None:
                break
        return needle in self.run.output

    def wait_for_any(self, needles: Sequence[bytes], timeout: float) -> bool:
        """Read until any of `needles` was written (True) or `timeout` passed (False)."""
        end = time.monotonic() + timeout
        while not any(needle in self.run.output for needle in needles):
            if time.monotonic() >= end or self.run.status is not None:
                return False
            self.read_for(0.1)
        return True

    def send(self, keys: bytes, mark: str | None = None) -> None:
        """Type `keys`."""
        if mark:
            self.run.marks[mark] = len(self.run.output)
        os.write(self.fd, keys)

    def _reap(self) -> bool:
        if self.run.status is not None:
            return True
        done, status = os.waitpid(self.pid, os.WNOHANG)
        if done == 0:
            return False
        self.run.status = os.waitstatus_to_exitcode(status)
        return True

    def finish(self, quit_keys: bytes = b"q", timeout: float = 10.0) -> PtyRun:
        """Ask the program to quit, collect the rest, and make sure it ended."""
        if self.run.status is None:
            try:
                os.write(self.fd, quit_keys)
            except OSError:
                pass
            end = time.monotonic() + timeout
            while time.monotonic() < end and not self._reap():
                self.read_for(0.2)
            if self.run.status is None:
                for sig in (signal.SIGTERM, signal.SIGKILL):
                    try:
                        os.kill(self.pid, sig)
                    except ProcessLookupError:
                        break
                    time.sleep(1.0)
                    if self._reap():
                        break
                if self.run.status is not None and self.run.status < 0:
                    self.run.status = None  # it had to be killed
        self.read_for(0.2)
        try:
            os.close(self.fd)
        except OSError:
            pass
        return self.run
