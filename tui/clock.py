"""An injectable clock, so the simulator, snapshots and tests can fix the time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]
"""A function returning the current aware UTC time."""


def utc_now() -> datetime:
    """The real current time, aware, in UTC."""
    return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until advanced; callable like `utc_now`."""

    def __init__(self, start: datetime) -> None:
        self.now = start if start.tzinfo else start.replace(tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += timedelta(seconds=seconds)


class OffsetClock:
    """Real time, shifted so that it started at `start` (a demo that begins at a fixed date)."""

    def __init__(self, start: datetime, real: Clock = utc_now) -> None:
        self._offset = start - real()
        self._real = real

    def __call__(self) -> datetime:
        return self._real() + self._offset
