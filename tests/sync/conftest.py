"""A fake monotonic clock for the engine's schedule, and a source whose calls the test gates."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import ClassVar

from tui.errors import ProviderError
from tui.models import Job, JobDetail, ProviderName
from tui.providers.base import Capabilities, ListQuery, ListResult


class FakeTicker:
    """Monotonic time that moves only when the test says (`advance`)."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def monotonic(self) -> float:
        return self.now

    async def wait(self, event: asyncio.Event, timeout: float) -> bool:
        deadline = self.now + timeout
        while not event.is_set():
            if self.now >= deadline:
                return False
            await asyncio.sleep(0)
        return True

    async def advance(self, seconds: float) -> None:
        """Move time on, then let every task that can run do so."""
        self.now += seconds
        await settle()


async def settle(turns: int = 50) -> None:
    """Let the event loop run every ready task a few times over."""
    for _ in range(turns):
        await asyncio.sleep(0)


class GatedProvider:
    """Serves scripted results; each call waits for the test to open the gate when `gated`."""

    provider: ClassVar[ProviderName] = ProviderName.ZOO

    def __init__(
        self,
        account: str,
        results: Sequence[ListResult | ProviderError] = (),
        *,
        capabilities: Capabilities | None = None,
        gated: bool = False,
    ) -> None:
        self.account = account
        self.capabilities = capabilities or Capabilities(lists=True)
        self.results = list(results)
        self.queries: list[ListQuery] = []
        self.gated = gated
        self.gate = asyncio.Event()
        self.in_flight = 0
        self.max_in_flight = 0

    async def list_jobs(self, query: ListQuery) -> ListResult:
        self.queries.append(query)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.gated:
                await self.gate.wait()
                self.gate.clear()
            result = self.results.pop(0) if len(self.results) > 1 else self.results[0]
            if isinstance(result, ProviderError):
                raise result
            return result
        finally:
            self.in_flight -= 1

    async def get_job(self, job_id: str, parent_id: str | None = None) -> JobDetail:
        raise ProviderError("not used")

    async def aclose(self) -> None:
        return None


def jobs_of(account: str, numbers: Sequence[int]) -> list[Job]:
    from tests.ui.fakes import make_job

    return [make_job(account, number) for number in numbers]
