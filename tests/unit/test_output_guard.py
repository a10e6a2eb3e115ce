"""Textual's output thread dying on a hung-up terminal must not freeze the app."""

from __future__ import annotations

import io
import threading
import time

from textual.drivers._writer_thread import MAX_QUEUED_WRITES, WriterThread

from tui.terminal import guard_output_thread


class HungUpTerminal(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(5, "Input/output error")


def test_writes_and_stop_return_once_the_output_thread_is_dead() -> None:
    writer = WriterThread(HungUpTerminal())
    guard_output_thread(writer)
    original_hook = threading.excepthook
    threading.excepthook = lambda args: None  # the thread's EIO is expected here
    try:
        writer.start()
        writer.write("first frame")  # the thread dies on this write, as on a hung-up pty
        writer.join(timeout=2)
        assert not writer.is_alive()
        started = time.monotonic()
        for _ in range(MAX_QUEUED_WRITES * 3):
            writer.write("another frame")  # unguarded, the 31st put blocks for ever
        writer.stop()
        assert time.monotonic() - started < 5
    finally:
        threading.excepthook = original_hook


def test_nothing_is_dropped_while_the_terminal_lives() -> None:
    out = io.StringIO()
    writer = WriterThread(out)
    guard_output_thread(writer)
    writer.start()
    for index in range(500):
        writer.write(f"{index};")
    writer.stop()
    assert out.getvalue() == "".join(f"{index};" for index in range(500))
