"""A fake provider and fixed jobs for Pilot and snapshot tests (structurally a JobProvider)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from time import monotonic

from tui.errors import ProviderError
from tui.models import Job, JobDetail, JobKind, JobState, ProviderName
from tui.providers.base import Capabilities, ListQuery, ListResult

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
"""The frozen time every UI test runs at."""


KINDS = {
    ProviderName.ZOO: JobKind.DATASET_CONVERSION,
    ProviderName.METAFOLD: JobKind.JOB,
    ProviderName.LETTRLABS: JobKind.CONVERSION,
    ProviderName.HDRJPG: JobKind.CONVERSION,
}
"""The kind of job each fake provider serves (a surface each really has)."""

NATIVE_STATUS = {
    ProviderName.ZOO: {
        JobState.QUEUED: "queued",
        JobState.RUNNING: "in_progress",
        JobState.SUCCEEDED: "success",
        JobState.FAILED: "error_user",
        JobState.CANCELED: "canceled",
    },
    ProviderName.METAFOLD: {
        JobState.QUEUED: "pending",
        JobState.RUNNING: "started",
        JobState.SUCCEEDED: "success",
        JobState.FAILED: "failure",
        JobState.CANCELED: "canceled",
    },
    ProviderName.LETTRLABS: {
        JobState.QUEUED: "Received",
        JobState.RUNNING: "Processing",
        JobState.SUCCEEDED: "Completed",
        JobState.FAILED: "Failed",
        JobState.CANCELED: "Cancelled",
    },
    ProviderName.HDRJPG: {
        JobState.QUEUED: "Pending",
        JobState.RUNNING: "Running",
        JobState.SUCCEEDED: "Ready",
        JobState.FAILED: "Failed",
        JobState.CANCELED: "Cancelled",
    },
}
"""Each provider's own word for each state (tests/unit/test_fakes.py holds them to
`map_state`)."""


class FakeProvider:
    """Serves a list of jobs (or an error) and records every query."""

    def __init__(
        self,
        account: str,
        jobs: Sequence[Job] = (),
        *,
        capabilities: Capabilities | None = None,
        latency: float = 0.0,
        provider: ProviderName = ProviderName.ZOO,
    ) -> None:
        self.account = account
        self.provider = provider
        self.jobs = list(jobs)
        self.capabilities = capabilities or Capabilities(lists=True)
        self.latency = latency
        self.error: ProviderError | None = None
        self.queries: list[ListQuery] = []
        self.started: list[float] = []
        """`time.monotonic()` as each call began."""
        self.ended: list[float] = []
        """`time.monotonic()` as each call ended."""
        self.in_flight = 0
        self.max_in_flight = 0
        self.closed = False

    async def list_jobs(self, query: ListQuery) -> ListResult:
        self.queries.append(query)
        self.started.append(monotonic())
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            if self.error is not None:
                raise self.error
            return ListResult(jobs=list(self.jobs), requests=1)
        finally:
            self.in_flight -= 1
            self.ended.append(monotonic())

    async def get_job(self, job_id: str, parent_id: str | None = None) -> JobDetail:
        for job in self.jobs:
            if job.id == job_id:
                return JobDetail(job=job)
        raise ProviderError(f"no job {job_id}", account=self.account)

    async def aclose(self) -> None:
        self.closed = True


def make_job(
    account: str,
    number: int,
    state: JobState = JobState.SUCCEEDED,
    *,
    name: str | None = None,
    status: str | None = None,
    provider: ProviderName = ProviderName.ZOO,
    error: str | None = None,
    progress: float | None = None,
) -> Job:
    """A job created `number` × 7 minutes before NOW, in `provider`'s words."""
    created = NOW - timedelta(minutes=number * 7)
    finished = created + timedelta(seconds=30 + number * 11) if state.is_terminal else None
    started = created + timedelta(seconds=5) if state != JobState.QUEUED else None
    return Job(
        account=account,
        provider=provider,
        kind=KINDS[provider],
        id=f"{number:04d}-{account}-0000-0000-000000000000",
        name=name or f"part-{number:03d}.step",
        status=status or NATIVE_STATUS[provider].get(state, "mystery"),
        state=state,
        created_at=created,
        started_at=started,
        finished_at=finished,
        updated_at=finished or started or created,
        progress=progress
        if progress is not None
        else (1.0 if state == JobState.SUCCEEDED else None),
        error=error or ("Geometry could not be parsed" if state == JobState.FAILED else None),
    )


def known_history(
    account: str, run_seconds: Iterable[float], running: Mapping[str, tuple[str, float]]
) -> list[Job]:
    """A history whose typical run times are known: succeeded Zoo conversions `done-00`, ...
    that ran `run_seconds` (ending two hours before NOW), then per `running` item a running
    conversion with that id, named as given, started that many seconds before NOW."""
    start = NOW - timedelta(hours=2)
    done = [
        replace(
            make_job(account, n),
            id=f"done-{n:02d}",
            started_at=start,
            finished_at=start + timedelta(seconds=seconds),
        )
        for n, seconds in enumerate(run_seconds)
    ]
    under_way = [
        replace(
            make_job(account, n + 1, JobState.RUNNING),
            id=job_id,
            name=name,
            started_at=NOW - timedelta(seconds=seconds),
        )
        for n, (job_id, (name, seconds)) in enumerate(running.items())
    ]
    return done + under_way


STATE_CYCLE = (
    JobState.SUCCEEDED,
    JobState.RUNNING,
    JobState.FAILED,
    JobState.QUEUED,
    JobState.SUCCEEDED,
    JobState.CANCELED,
)


def sample_jobs(
    account: str, count: int, offset: int = 0, provider: ProviderName = ProviderName.ZOO
) -> list[Job]:
    """`count` jobs of one source with a fixed mix of states."""
    jobs = []
    for n in range(count):
        state = STATE_CYCLE[(n + offset) % len(STATE_CYCLE)]
        progress = 0.4 + 0.05 * (n % 5) if state == JobState.RUNNING else None
        jobs.append(make_job(account, n + offset, state, progress=progress, provider=provider))
    return jobs


def created(job: Job) -> datetime:
    """When `job` was created (every job made here has the time)."""
    assert job.created_at is not None
    return job.created_at


def changed(job: Job, **fields: object) -> Job:
    """A copy of `job` with fields replaced."""
    return replace(job, **fields)  # type: ignore[arg-type]
