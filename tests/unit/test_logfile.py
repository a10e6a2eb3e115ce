"""The log file's formatter, levels and target: tokens masked, one clean line a record."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from tui.logfile import LOG_NAME, ScrubbingFormatter, log_target, start_logging, stop_logging

TOKEN = "tok-3vQ9xLm2Zr"


def record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise RuntimeError(f"refused {TOKEN}")
        except RuntimeError:
            import sys

            info = sys.exc_info()
    return logging.LogRecord("tui.providers", logging.WARNING, __file__, 1, message, args, info)


def test_tokens_are_masked_in_messages_arguments_and_tracebacks() -> None:
    formatter = ScrubbingFormatter([TOKEN, "ab", "tok-3vQ9"])
    text = formatter.format(record("header %s and %r", f"Bearer {TOKEN}", TOKEN, exc=True))
    assert TOKEN not in text and "tok-3vQ9" not in text
    assert "Bearer ***" in text and "refused ***" in text
    # too short to mask without garbling every line
    assert "header" in text


def test_every_record_is_one_line_without_escape_sequences() -> None:
    formatter = ScrubbingFormatter([])
    hostile = "line one\nline two \x1b[2J\x1b]52;c;aGk=\x07 end"
    text = formatter.format(record("%s", hostile, exc=True))
    assert "\n" not in text and "\x1b" not in text and "\x07" not in text
    assert "line one ⏎ line two" in text and "Traceback" in text


def test_target_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBTOP_STATE_DIR", str(tmp_path))
    assert log_target(None, None) is None
    assert log_target(None, "debug") == (tmp_path / LOG_NAME, "debug")
    assert log_target(tmp_path / "x.log", None) == (tmp_path / "x.log", "info")


def test_levels_filter_and_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "jobtop.log"
    handler = start_logging(path, "warning", [TOKEN])
    try:
        logging.getLogger("tui.providers").info("not this")
        logging.getLogger("tui.providers").warning("this, with %s", TOKEN)
        logging.getLogger("httpx").warning("nor a library's own logger")
    finally:
        stop_logging(handler)
    lines = path.read_text().splitlines()
    assert len(lines) == 1 and lines[0].endswith("WARNING tui.providers: this, with ***")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
