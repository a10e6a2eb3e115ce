"""The dashboard refreshes Zoo incrementally: after the first listing it asks only for
what changed since the newest `updated_at` it has seen, and lists everything again now
and then so deletions are noticed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ui.test_demo import demo_app
from tests.ui.test_jobs_screen import SIZE
from tests.waiting import LONG, wait_for
from tui.models import JobDetail
from tui.providers.base import JobProvider, ListQuery, ListResult
from tui.providers.zoo import ZooProvider
from tui.screens.jobs import JobsScreen
from tui.sim.server import SimServer
from tui.store import JobStore


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with SimServer(jobs=60, seed=3) as server:
        yield server


class RecordingProvider:
    """Delegates to a real provider and keeps every query and result."""

    def __init__(self, inner: JobProvider) -> None:
        self.inner = inner
        self.provider = inner.provider
        self.account = inner.account
        self.capabilities = inner.capabilities
        self.calls: list[tuple[ListQuery, ListResult]] = []

    async def list_jobs(self, query: ListQuery) -> ListResult:
        result = await self.inner.list_jobs(query)
        self.calls.append((query, result))
        return result

    async def get_job(self, job_id: str, parent_id: str | None = None) -> JobDetail:
        return await self.inner.get_job(job_id, parent_id)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_zoo_is_refreshed_incrementally(sim: SimServer) -> None:
    store = JobStore(":memory:")
    app = demo_app(sim, store)
    zoo = RecordingProvider(next(p for p in app.providers if p.account == "demo-zoo"))
    assert isinstance(zoo.inner, ZooProvider)
    zoo.inner._full_every = 1.6  # full_listing_minutes, shortened to a few refreshes
    app.providers[app.providers.index(zoo.inner)] = zoo
    try:
        async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
            screen = app.screen
            assert isinstance(screen, JobsScreen)
            screen._set_interval(0.5)
            await wait_for(pilot, lambda: len(zoo.calls) >= 5, timeout=LONG)
            queries = [query for query, _ in zoo.calls]
            assert queries[0].updated_since is None  # the first listing is full
            newest = max(j.updated_at for j in screen.index.jobs("demo-zoo") if j.updated_at)
            incremental = [q for q in queries[1:] if q.updated_since is not None]
            assert incremental
            assert all(
                q.updated_since is not None and q.updated_since <= newest for q in incremental
            )
            # Past full_listing_minutes the provider lists everything again (and says so).
            assert any(not result.incremental for _, result in zoo.calls[1:])
            full_requests = zoo.calls[0][1].requests
            assert all(
                result.requests <= full_requests
                for _, result in zoo.calls[1:]
                if result.incremental
            )
            assert any(result.incremental for _, result in zoo.calls[1:])
    finally:
        store.close()
