"""When one source refreshes: never two runs at once, the next one after the last ends.

`Schedule` holds one source's timing state; its owner runs the loop

    await schedule.wait_for_turn(); schedule.started(); ...run...; schedule.ended(...)

A refresh asked for while one runs (`r`, a newly tracked id, a filter the server applies)
runs once more right after it, instead of being lost to the next interval; none starts
before the provider allows (its floor after the last run, or a server's `Retry-After`).
Time comes from a `Ticker`, so the whole schedule runs on a fake clock in tests. No Textual.
"""

from __future__ import annotations

import asyncio
from time import monotonic
from typing import Protocol


class Ticker(Protocol):
    """Monotonic time and a timed wait: the real clock, or a fake one in tests."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...

    async def wait(self, event: asyncio.Event, timeout: float) -> bool:
        """Wait until `event` is set (True) or `timeout` seconds have passed (False)."""
        ...


class RealTicker:
    """`time.monotonic` and `asyncio.wait_for`."""

    def monotonic(self) -> float:
        """`time.monotonic()`."""
        return monotonic()

    async def wait(self, event: asyncio.Event, timeout: float) -> bool:
        """Wait for `event` at most `timeout` seconds."""
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True


class Schedule:
    """One source's schedule: when it is due, whether it is paused, and asked-for runs."""

    def __init__(self, ticker: Ticker | None = None) -> None:
        self.ticker = ticker or RealTicker()
        self.due = self.ticker.monotonic()
        """When the next run starts (monotonic seconds)."""
        self.earliest = 0.0
        """No run starts before this, even one asked for: the provider's floor after the
        last run, or a server's `Retry-After`."""
        self.paused = False
        self.running = False
        self._force = False
        """Asked to run even while paused (`r`, a newly tracked id)."""
        self._again = False
        """Asked to run while a run was in flight: it runs again once that ends."""
        self._wake = asyncio.Event()

    def request(self, *, force: bool) -> float:
        """Ask for a run as soon as the provider allows.

        Asked while a run is in flight, the source runs again right after it ends.

        Args:
            force: Run even while paused.

        Returns:
            Seconds until the run may start; 0 at once or after the one in flight.
        """
        if force:
            self._force = True
        if self.running:
            self._again = True
            return 0.0
        now = self.ticker.monotonic()
        start = max(now, self.earliest)
        self.due = min(self.due, start)
        self._wake.set()
        return start - now

    def set_paused(self, paused: bool) -> None:
        """Pause or resume automatic runs (a forced one still runs while paused)."""
        self.paused = paused
        if not paused:
            self._wake.set()

    def sooner(self, delay: float) -> None:
        """Bring the next run forward to `delay` seconds from now if that is sooner
        (a shorter interval), still no sooner than the provider allows."""
        soonest = max(self.ticker.monotonic() + delay, self.earliest)
        if soonest < self.due:
            self.due = soonest
            self._wake.set()

    def started(self) -> None:
        """A run begins."""
        self.running = True

    def ended(self, delay: float, shortest: float) -> float:
        """A run ended: schedule the next one.

        Args:
            delay: Seconds until the next run by the policy.
            shortest: The least wait before any run, even one asked for.

        Returns:
            Seconds until the next run: `delay`, or `shortest` when a run was asked for
            while this one was in flight.
        """
        self.running = False
        ended = self.ticker.monotonic()
        self.earliest = ended + shortest
        if self._again:
            self._again = False
            delay = shortest
        self.due = ended + delay
        return delay

    def remaining(self) -> float:
        """Seconds until the next run is due (0 if it is)."""
        return max(0.0, self.due - self.ticker.monotonic())

    async def wait_for_turn(self) -> None:
        """Return when the source is due and not paused (or a forced run was asked for)."""
        while True:
            await self._wait_until_due()
            if not self.paused or self._force:
                self._force = False
                return
            self._wake.clear()
            await self._wake.wait()

    async def _wait_until_due(self) -> None:
        while True:
            remaining = self.due - self.ticker.monotonic()
            if remaining <= 0:
                return
            self._wake.clear()
            if not await self.ticker.wait(self._wake, remaining):
                return
