"""`watch` and `list` poll through the sync engine's policy, against the simulator.

`watch` is driven in-process with a recording sleep, so the waits it asks for are read
exactly instead of timed.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import TOKENS, write_config
from tui import commands
from tui.config import load_settings
from tui.models import JobState
from tui.providers import build_provider
from tui.providers.client import HttpPolicy
from tui.sim.server import SimServer
from tui.store import JobStore
from tui.sync.policy import AUTH_MIN_WAIT


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer(jobs=30, seed=21) as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, sim: SimServer, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in TOKENS.items():
        monkeypatch.setenv(name, value)
    # One attempt per request: the HTTP layer's own retries are not what is measured here.
    policy = HttpPolicy(attempts=1, wait_initial=0.05, wait_max=0.1, deadline=10)
    monkeypatch.setattr(
        commands, "_provider", lambda account: build_provider(account, policy=policy)
    )
    return load_settings(str(write_config(tmp_path / "c.toml", sim, hdr_track=[])))


def ended_job(sim: SimServer) -> str:
    world = sim.state.metafold
    return next(
        str(job["id"])
        for pid in world.project_ids()
        for job in world.list_jobs(pid, None, None) or []
        if job["state"] in ("success", "failure", "canceled")
    )


def watch_through(
    sim: SimServer, settings: Any, fault: str, **params: object
) -> tuple[list[float], str, Any]:
    """Watch an ended job while `fault` is on; the first wait heals the simulator."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        sim.clear_faults()

    job_id = ended_job(sim)
    sim.set_fault("metafold", fault, **params)
    store = JobStore(":memory:")
    err = io.StringIO()
    try:
        job = asyncio.run(
            commands._watch(
                settings.account("mf"), job_id, 1.0, store, io.StringIO(), err=err, sleep=sleep
            )
        )
    finally:
        store.close()
    return waits, err.getvalue(), job


def test_watch_backs_off_on_401_and_says_so(sim: SimServer, settings: Any) -> None:
    waits, said, job = watch_through(sim, settings, "http_401")
    assert waits == [AUTH_MIN_WAIT]  # not the 1 s interval, and not given up
    assert "credential was refused" in said and said.count("\n") == 1
    assert job.state.is_terminal


def test_watch_honours_retry_after_on_503(sim: SimServer, settings: Any) -> None:
    waits, said, job = watch_through(sim, settings, "http_503", retry_after=7)
    assert waits == [7.0]
    assert "asked to wait" in said
    assert job.state.is_terminal


def test_watch_polls_no_faster_than_the_providers_floor(sim: SimServer, settings: Any) -> None:
    """hdrjpg's 2 s floor comes from its capabilities, whatever --interval says."""
    waits: list[float] = []
    job_id = sim.tracked_ids()["hdrjpg"][0]

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) >= 2:
            raise asyncio.CancelledError

    store = JobStore(":memory:")
    try:
        with pytest.raises(asyncio.CancelledError):
            asyncio.run(
                commands._watch(
                    settings.account("hdr"), job_id, 0.5, store, io.StringIO(), sleep=sleep
                )
            )
    finally:
        store.close()
    assert waits and all(wait >= 2.0 for wait in waits)


def test_list_reads_every_part_of_a_listing_in_parts(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`list` runs the engine's refresh: a listing in parts is read to its end."""
    from tui.providers.base import ListQuery, ListResult

    real = commands._provider

    class InParts:
        def __init__(self, inner: Any) -> None:
            self.inner = inner
            self.provider = inner.provider
            self.account = inner.account
            self.capabilities = inner.capabilities
            self.queries: list[ListQuery] = []

        async def list_jobs(self, query: ListQuery) -> ListResult:
            self.queries.append(query)
            whole = await self.inner.list_jobs(ListQuery(tracked_ids=query.tracked_ids))
            start = int(query.resume or 0)  # type: ignore[call-overload]
            part = whole.jobs[start : start + 2]
            more = start + 2 < len(whole.jobs)
            return ListResult(jobs=part, resume=start + 2 if more else None, total=len(whole.jobs))

        async def get_job(self, job_id: str, parent_id: str | None = None) -> Any:
            return await self.inner.get_job(job_id, parent_id)

        async def aclose(self) -> None:
            await self.inner.aclose()

    made: list[InParts] = []

    def provider(account: Any) -> InParts:
        made.append(InParts(real(account)))
        return made[-1]

    monkeypatch.setattr(commands, "_provider", provider)
    store = JobStore(":memory:")
    try:
        jobs, errors = asyncio.run(commands.refresh_once([settings.account("mf")], store))
        assert not errors
        assert len(made[0].queries) > 2  # several parts, one run
        assert len(jobs) == len({job.id for job in jobs}) > 4
        assert len(store.load_jobs(["mf"])) == len(jobs)
        assert all(job.state in JobState for job in jobs)
    finally:
        store.close()


def test_list_saves_through_the_commands_store(settings: Any) -> None:
    """The engine's save (refresh time, transitions, last_seq) goes through `CommandStore`."""
    store = commands.CommandStore(settings)
    try:
        jobs, errors = asyncio.run(commands.refresh_once([settings.account("mf")], store))
        assert not errors and jobs
        assert store.failed is None
        assert len(store.load_jobs(["mf"])) == len(jobs)
    finally:
        store.close()
