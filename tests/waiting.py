"""Waiting in Pilot tests for a condition to hold, not for a number of pauses.

The app runs between checks, so a condition that depends on workers, timers or messages
comes true as soon as the app gets there; the deadline only bounds how long a test that is
going to fail takes to say so, and is long enough for a loaded machine.
"""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic
from typing import Any

from textual.pilot import Pilot

DEADLINE = 30.0
"""Seconds a wait lasts before it fails the test: under the 60 s refresh interval of the
UI tests' settings, so a refresh a test asked for is not stood in for by the timer's."""

LONG = 60.0
"""For a wait on the simulator through retries and backoff (a source going failing)."""

STEP = 0.02
"""Seconds the app runs between two checks."""


async def wait_for(
    pilot: Pilot[Any],
    condition: Callable[[], object],
    what: str = "",
    *,
    timeout: float = DEADLINE,
) -> None:
    """Let the app run until `condition()` is true; fail the test after `timeout` seconds."""
    deadline = monotonic() + timeout
    while not condition():
        if monotonic() >= deadline:
            raise AssertionError(f"never came true: {what or getattr(condition, '__name__', '')}")
        await pilot.pause(STEP)
