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
from tui.screens.jobs import JobsScreen
from tui.sim.server import SimServer
from tui.store import JobStore
from tui.sync import source as sync_source


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


async def test_zoo_is_refreshed_incrementally(
    sim: SimServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_source, "FULL_REFRESH_EVERY", 4)
    store = JobStore(":memory:")
    app = demo_app(sim, store)
    zoo = RecordingProvider(next(p for p in app.providers if p.account == "demo-zoo"))
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
            assert any(q.updated_since is None for q in queries[1 : 4 + 1])  # a full one every 4th
            full_requests = zoo.calls[0][1].requests
            assert all(
                result.requests <= full_requests
                for query, result in zoo.calls[1:]
                if query.updated_since is not None
            )
            assert any(result.incremental for _, result in zoo.calls[1:])
    finally:
        store.close()
