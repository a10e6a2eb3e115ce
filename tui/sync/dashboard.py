"""The sync engine as the dashboard drives it, still with no UI: the start-up load from the
store, the ids tracked by hand (`t` and `u`), and the typical run times and stuck jobs
found with every refresh.

Each call returns plain data; the screen's workers post it as messages and its handlers
show it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Literal, Protocol

from tui.errors import ProviderError, StoreError
from tui.job_index.index import PendingUpdate
from tui.models import Job, JobState, PhaseChange
from tui.providers.base import JobProvider
from tui.sanitize import clean, one_line
from tui.store import OpenMark
from tui.sync.engine import SyncEngine, SyncStore
from tui.sync.stuck import JobKey, RunningJobs
from tui.sync.typical import TypicalDurations

log = logging.getLogger("jobtop.sync")


class DashboardStore(SyncStore, Protocol):
    """What the dashboard also reads and writes in the store (`tui.store.JobStore`)."""

    def load_jobs(self, accounts: Iterable[str] | None = None) -> list[Job]: ...

    def refreshed_at(self, accounts: Iterable[str] | None = None) -> dict[str, datetime]: ...

    def open_mark(self) -> OpenMark | None: ...

    def all_tracked(self) -> dict[str, list[str]]: ...

    def phase_history(self, accounts: Iterable[str] | None = None) -> list[PhaseChange]: ...

    def add_tracked(self, account: str, ids: Iterable[str]) -> list[str]: ...

    def remove_tracked(self, account: str, ids: Iterable[str]) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class Startup:
    """What the store holds at start, for the screen to show before any refresh."""

    jobs: list[Job]
    """The stored jobs of the sources configured (stale until each source refreshes)."""
    stored_at: dict[str, datetime | None] = field(default_factory=dict)
    """The sources whose rows come from the store, each with its last refresh (if known)."""
    tracked: frozenset[JobKey] = frozenset()
    """Every tracked job's key, the config's and the store's."""
    error: Exception | None = None
    """Why the store could not be read (then nothing came from it)."""


@dataclass(frozen=True, slots=True)
class TrackChange:
    """What `track` or `untrack` did: one id added to or removed from the store's list."""

    account: str
    job_id: str
    track: bool
    """True: `t` (track); False: `u` (untrack)."""
    changed: bool = False
    """The id was added (not tracked already), or removed."""
    error: StoreError | None = None
    """The store refused; nothing changed."""
    tracked: frozenset[JobKey] = frozenset()
    """Every tracked job's key now."""


@dataclass(frozen=True, slots=True)
class _Read:
    """What `DashboardSync.load_start` reads from the store."""

    jobs: list[Job]
    accounts: set[str]
    """The sources with stored jobs."""
    running: list[Job]
    refreshed: dict[str, datetime]
    mark: OpenMark | None
    start_seq: int
    tracked: dict[str, list[str]]
    typical: TypicalDurations
    """The run and phase times the stored history teaches."""


class DashboardSync(SyncEngine):
    """`SyncEngine` with the dashboard's store calls, its tracked ids and its stuck jobs.

    Args:
        store: The job store, with the reads the start-up needs.
        *args, **kwargs: As `SyncEngine`'s.
    """

    def __init__(
        self, providers: Sequence[JobProvider], store: DashboardStore, *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(providers, store, *args, **kwargs)
        self.dashboard_store = store
        self.typical = TypicalDurations()
        """Run times of the jobs seen succeed, per provider and kind (the stuck marks)."""
        self.running = RunningJobs()
        """Each source's running jobs, in step with the index the screen keeps."""
        self.store_tracked: dict[str, frozenset[str]] = {}
        """Per source, the ids tracked in the store (`t` adds, `u` removes)."""

    # --- start-up ---------------------------------------------------------------------

    async def load_start(self) -> Startup:
        """Read the store's jobs, refresh times, tracked ids and open mark (off the loop),
        and start the since-last-open summary from that mark.

        A store that cannot be read leaves nothing shown and nothing to summarise.
        """
        try:
            read = await self._off_loop(partial(self._read_start, list(self.sources)))
        except Exception as exc:  # noqa: BLE001 - the store is optional for viewing
            self.begin_summary(None, 0)
            return Startup([], tracked=self.tracked_keys(), error=exc)
        stored_at: dict[str, datetime | None] = {}
        for account in read.accounts | set(read.refreshed):
            if account in self.sources:
                stored_at[account] = read.refreshed.get(account)
                self.mark_stored(account, read.refreshed.get(account))
        self.store_tracked = {account: frozenset(ids) for account, ids in read.tracked.items()}
        try:
            self.typical.adopt(read.typical)  # older than what refreshes taught since
            self.running.take(read.running)
        except Exception:  # the refreshes must start all the same
            log.exception("typical run times from the store could not be adopted")
        # No mark (first use): nothing to summarise, the open mark starts now.
        self.begin_summary(read.mark, read.start_seq)
        return Startup(read.jobs, stored_at, self.tracked_keys())

    def _read_start(self, accounts: list[str]) -> _Read:
        """The store's reads at start, the jobs sorted out and the typical times learnt
        from the stored history (in a thread: 100,000s of jobs)."""
        store = self.dashboard_store
        jobs = [job for job in store.load_jobs(accounts) if job.account in self.sources]
        tracked = store.all_tracked()
        phases = store.phase_history(accounts)
        try:
            typical = TypicalDurations.from_jobs(jobs, phases=phases)
        except Exception:  # learning is a nicety: the stored jobs still show
            log.exception("typical run times could not be learnt from the store")
            typical = TypicalDurations()
        return _Read(
            jobs,
            {job.account for job in jobs},
            [job for job in jobs if job.state == JobState.RUNNING],
            store.refreshed_at(accounts),
            store.open_mark(),
            store.last_seq(),
            tracked,
            typical,
        )

    # --- tracked ids ------------------------------------------------------------------

    def tracked_keys(self) -> frozenset[JobKey]:
        """Every tracked job's key: the config's track lists and the store's."""
        return frozenset(
            (account, job_id)
            for account, source in self.sources.items()
            for job_id in (*source.config_tracked, *self.store_tracked.get(account, ()))
        )

    def tracked_by(self, account: str, job_id: str) -> Literal["store", "config"] | None:
        """Which list tracks an id: the store's (`u` may remove it), the config's, or none."""
        if job_id in self.store_tracked.get(account, frozenset()):
            return "store"
        source = self.sources.get(account)
        if source is not None and job_id in source.config_tracked:
            return "config"
        return None

    async def check_trackable(self, account: str, job_id: str) -> str | None:
        """None if the source's provider knows `job_id`, else its answer as a sentence."""
        try:
            await self.sources[account].provider.get_job(job_id, None)
        except ProviderError as error:
            return one_line(clean(f"{job_id} was not added: {error.title}: {error}", 300))
        return None

    async def track(self, account: str, job_id: str) -> TrackChange:
        """Track an id in the store, then refresh its source at once."""
        try:
            added = await self._off_loop(
                partial(self.dashboard_store.add_tracked, account, [job_id])
            )
        except StoreError as error:
            return TrackChange(account, job_id, True, error=error, tracked=self.tracked_keys())
        ids = self.store_tracked.get(account, frozenset())
        self.store_tracked[account] = ids | {job_id}
        self.request_refresh(account, force=True)
        return TrackChange(account, job_id, True, bool(added), tracked=self.tracked_keys())

    async def untrack(self, account: str, job_id: str) -> TrackChange:
        """Stop tracking an id the store tracks (the config's stay)."""
        try:
            removed = await self._off_loop(
                partial(self.dashboard_store.remove_tracked, account, [job_id])
            )
        except StoreError as error:
            return TrackChange(account, job_id, False, error=error, tracked=self.tracked_keys())
        self.store_tracked[account] = self.store_tracked.get(account, frozenset()) - {job_id}
        return TrackChange(account, job_id, False, bool(removed), tracked=self.tracked_keys())

    # --- typical run times and stuck jobs ---------------------------------------------

    async def _observed(self, account: str, update: PendingUpdate) -> frozenset[JobKey] | None:
        """Learn the run and phase times the update shows (found on the worker thread),
        keep the running jobs, and find the source's stuck jobs (reported with it)."""
        try:
            if update.upserts:
                learnt = await self.run_in_worker(partial(self.typical.runs_of, update.upserts))
                self.typical.add(learnt)
            self.running.take(update.upserts, update.removals)
            return self.stuck_now([account])[account]
        except Exception:  # the update is saved already: it must still be reported
            log.exception("typical run times of %s could not be updated", account)
            return None

    def stuck_now(self, accounts: Iterable[str] | None = None) -> dict[str, frozenset[JobKey]]:
        """Per source (of `accounts`, or all), its running jobs past their kind's typical
        run time, or their phase's, now: among the running jobs only. On the event loop,
        where `typical` is read and written (it is not safe to read beside a write)."""
        now = self.clock()
        return {
            account: self.typical.stuck_keys(self.running.of(account), now)
            for account in (self.sources if accounts is None else accounts)
        }
