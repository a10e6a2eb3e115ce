"""The optional log file: what jobtop's own loggers (`tui.*`) report, with levels.

Off unless asked for (`--log-file`, `--log-level`, `JOBTOP_LOG` or `log_file =` in the
config). The file is created readable by its owner only (0600) and appended to. Every
line is one record on one line, cleaned of escape sequences and control characters, and
every configured token is replaced by `***` before it is written, tracebacks included.
Only the `tui` logger tree is written: the HTTP libraries' own loggers are not, so a
request's headers never reach the file. No Textual here.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

from tui import __version__
from tui.errors import ConfigError
from tui.sanitize import clean, one_line
from tui.secret import Secret

LOG_LEVELS = ("debug", "info", "warning")
"""What `JOBTOP_LOG` and `--log-level` accept, most detailed first."""
DEFAULT_LEVEL = "info"
"""The level when a log file is asked for without one."""
LOG_NAME = "jobtop.log"
"""The file's name in the state directory, where it goes unless a path is given."""
ROOT_LOGGER = "tui"
MIN_SECRET = 4
"""Shorter tokens are not replaced: `***` in place of every `ab` would garble the file."""
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def parse_level(value: str, where: str) -> str:
    """`value` as one of `LOG_LEVELS` (any case).

    Raises:
        ConfigError: It names no level; `where` says which setting it came from.
    """
    level = value.strip().lower()
    if level not in LOG_LEVELS:
        raise ConfigError(f"{where} must be one of {', '.join(LOG_LEVELS)}, not {value!r}")
    return level


class ScrubbingFormatter(logging.Formatter):
    """Formats a record, then puts it on one clean line with every secret masked."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__(_FORMAT)
        # Longest first, so a token that contains another is masked whole.
        self._secrets = sorted(
            {secret for secret in secrets if len(secret) >= MIN_SECRET}, key=len, reverse=True
        )

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return one_line(clean(text, 20_000))


def open_log_file(path: Path) -> int:
    """Open `path` for appending, created 0600 (its directory 0700); an existing file
    readable by others is narrowed to 0600. Returns the descriptor.

    Raises:
        ConfigError: The file cannot be created or opened.
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        reason = exc.strerror or exc
        raise ConfigError(f"{path}: the log file cannot be opened ({reason})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise ConfigError(f"{path}: the log file is not a regular file")
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            os.fchmod(fd, 0o600)
    except OSError as exc:
        os.close(fd)
        reason = exc.strerror or exc
        raise ConfigError(f"{path}: the log file cannot be opened ({reason})") from None
    return fd


def start_logging(path: Path, level: str, secrets: Iterable[str]) -> logging.Handler:
    """Write the `tui` loggers' records at `level` and above to `path`.

    Args:
        path: The log file (created 0600 if missing).
        level: One of `LOG_LEVELS`.
        secrets: Every token in use, masked wherever it would appear.

    Returns:
        The handler (`stop_logging` removes and closes it).

    Raises:
        ConfigError: The file cannot be opened.
    """
    fd = open_log_file(path)
    stream = os.fdopen(fd, "a", encoding="utf-8", errors="replace", buffering=1)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(ScrubbingFormatter(secrets))
    handler.setLevel(level.upper())
    logger = logging.getLogger(ROOT_LOGGER)
    logger.addHandler(handler)
    logger.setLevel(min(logger.level or logging.WARNING, handler.level))
    return handler


def stop_logging(handler: logging.Handler) -> None:
    """Detach and close a handler from `start_logging`."""
    logging.getLogger(ROOT_LOGGER).removeHandler(handler)
    handler.close()
    stream = getattr(handler, "stream", None)
    if stream is not None:
        stream.close()


def log_target(log_file: Path | None, log_level: str | None) -> tuple[Path, str] | None:
    """Where and from which level to log, or None when no log was asked for: a level
    alone logs to `<state dir>/jobtop.log`, a file alone logs at `DEFAULT_LEVEL`."""
    if log_file is None and log_level is None:
        return None
    if log_file is None:
        from tui.paths import user_state_dir

        log_file = user_state_dir() / LOG_NAME
    return log_file, log_level or DEFAULT_LEVEL


class _Source(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def token(self) -> Secret | None: ...


class LogSettings(Protocol):
    """What `logging_to` reads of the settings (`tui.config.Settings`, which imports this
    module for the level names)."""

    @property
    def log_file(self) -> Path | None: ...

    @property
    def log_level(self) -> str | None: ...

    @property
    def accounts(self) -> Sequence[_Source]: ...


@contextlib.contextmanager
def logging_to(settings: LogSettings) -> Iterator[Path | None]:
    """Log to the file the settings ask for (if any) while the block runs.

    Yields:
        The log file's path, or None when logging is off.

    Raises:
        ConfigError: The file cannot be opened.
    """
    target = log_target(settings.log_file, settings.log_level)
    if target is None:
        yield None
        return
    path, level = target
    secrets = [account.token.reveal() for account in settings.accounts if account.token]
    handler = start_logging(path, level, secrets)
    log = logging.getLogger(ROOT_LOGGER)
    try:
        log.info(
            "jobtop %s started: %d source(s): %s",
            __version__,
            len(settings.accounts),
            ", ".join(account.name for account in settings.accounts) or "none",
        )
        yield path
    finally:
        log.info("jobtop stopped")
        stop_logging(handler)
