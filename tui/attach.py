"""Viewers attached to the store a `jobtop serve` writes: they make no provider request.

`ReadOnlyStore` opens the job store read-only (SQLite WAL lets readers run beside the
poller's writes); `StoreProvider` stands in for an account's provider and "lists" what the
poller stored, failing with the poller's own sentence while the poller says the source
fails. The dashboard, `list`, `show` and `watch` run on them with `--attach`.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from tui.clock import Clock, utc_now
from tui.config import AccountConfig
from tui.errors import NotFoundError, StoreError, UnavailableError
from tui.formatting import fmt_duration
from tui.models import Job, JobDetail, JobState, PhaseChange, Transition, parse_timestamp
from tui.providers.base import Capabilities, ListQuery, ListResult
from tui.store import PHASES_READ, EventKind, JobStore, PollerState

ATTACH_READ_EVERY = 2.0
"""Seconds between an attached viewer's reads of the store (cheap: only changed rows)."""

FULL_READ_EVERY = 30
"""Every this many reads, an attached source reads all its rows (jobs pruned leave)."""

LIVE_FETCH_NOTE = (
    "Attached to the store of jobtop serve: this is the stored job. The provider's own "
    "particulars (phases, snapshots, the raw answer) need a live fetch, which an attached "
    "viewer never makes; run without --attach for them."
)


def heartbeat_every(interval: float) -> float:
    """Seconds between the poller's heartbeats at `interval`."""
    return max(0.5, min(interval, 5.0))


def stale_after(interval: float) -> float:
    """A heartbeat older than this means no poller is writing the store."""
    return max(3 * heartbeat_every(interval), 15.0)


class PollerReportedError(UnavailableError):
    """The poller's own failure of a source, passed on as it said it (its sentence)."""

    title = "jobtop serve"


class NoPollerError(Exception):
    """Nothing is polling into the store an attached viewer reads; `str()` says since when."""


def poller_problem(
    state: PollerState | None, now: datetime, refreshed: datetime | None
) -> str | None:
    """Why no poller writes the store (one sentence), or None while one does.

    Args:
        state: What the store says of its poller.
        now: The current time.
        refreshed: The newest successful refresh stored, to say how old the data is.
    """

    def age(moment: datetime | None) -> str:
        if moment is None:
            return "it holds no refreshed data"
        return f"its data is {fmt_duration(max((now - moment).total_seconds(), 0))} old"

    if state is None:
        return f"no jobtop serve has written this store; {age(refreshed)}"
    last = max(refreshed, state.heartbeat) if refreshed else state.heartbeat
    if state.pid == 0:
        return f"the jobtop serve that wrote this store has stopped; {age(last)}"
    silent = (now - state.heartbeat).total_seconds()
    if silent > stale_after(state.interval):
        return (
            f"jobtop serve (pid {state.pid}) has not written this store for "
            f"{fmt_duration(silent)}; {age(last)}"
        )
    return None


class ReadOnlyStore(JobStore):
    """The job store opened read-only: reads as `JobStore`, never writes.

    A save reports the transitions the poller recorded since this viewer last looked (what
    the viewer's own save would have found), so notifications work as when polling.
    """

    def __init__(self, path: Path, *, clock: Clock = utc_now) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._busy_timeout = 5.0
        if not path.is_file():
            raise NoPollerError(f"there is no job store at {path}; start jobtop serve first")
        with self._errors():
            self._db = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro",
                uri=True,
                check_same_thread=False,
                isolation_level=None,
                timeout=5.0,
            )
        self._seen_seq: dict[str, int] = {}
        self._start_seq = self.last_seq()

    def poller(self) -> PollerState | None:
        """The poller's state; None also for a store from before `source_health` existed."""
        try:
            return super().poller()
        except StoreError:
            return None

    def phase_history(
        self, accounts: Iterable[str] | None = None, limit: int = PHASES_READ
    ) -> list[PhaseChange]:
        """The recorded phase changes; none from a store from before `phases` existed."""
        try:
            return super().phase_history(accounts, limit)
        except StoreError:
            return []

    def check_poller(self) -> None:
        """Raise `NoPollerError` unless a poller writes this store now."""
        refreshed = self.refreshed_at()
        newest = max(refreshed.values(), default=None)
        problem = poller_problem(self.poller(), self._clock(), newest)
        if problem is not None:
            raise NoPollerError(problem)

    def load_changed(self, account: str, since: str | None) -> tuple[list[Job], str | None]:
        """Jobs of `account` stored at or after `since` (all when None), and the newest
        stored time among them (where the next read starts)."""
        with self._lock, self._errors():
            if since is None:
                rows = self._db.execute(
                    "SELECT data, parent_id, seen_at FROM jobs WHERE account = ?", (account,)
                ).fetchall()
            else:
                rows = self._db.execute(
                    "SELECT data, parent_id, seen_at FROM jobs WHERE account = ? AND seen_at >= ?",
                    (account, since),
                ).fetchall()
        jobs = []
        newest = since
        for data, parent_id, seen_at in rows:
            newest = seen_at if newest is None or seen_at > newest else newest
            try:
                jobs.append(Job.from_json(json.loads(data), parent_id=parent_id))
            except (ValueError, KeyError, TypeError):
                continue
        return jobs, newest

    def save_jobs(
        self,
        account: str,
        jobs: Sequence[Job],
        *,
        refreshed_at: datetime | None = None,
        opened_at: datetime | None = None,
    ) -> list[Transition]:
        """No write: the transitions of `account` the poller recorded since the last call."""
        after = self._seen_seq.get(account, self._start_seq)
        found = self.transitions_after(account, after)
        if found:
            self._seen_seq[account] = found[-1][0]
        return [transition for _, transition in found]

    def transitions_after(self, account: str, after_seq: int) -> list[tuple[int, Transition]]:
        """The stored transitions of `account` numbered after `after_seq`, oldest first."""
        with self._lock, self._errors():
            rows = self._db.execute(
                "SELECT seq, id, old_state, new_state, status, at FROM transitions"
                " WHERE account = ? AND seq > ? ORDER BY seq",
                (account, after_seq),
            ).fetchall()
        result = []
        for seq, job_id, old, new, status, at in rows:
            try:
                old_state = JobState(old) if old is not None else None
                moment = parse_timestamp(at) or self._clock()
                transition = Transition(account, job_id, old_state, JobState(new), status, moment)
            except ValueError:
                continue
            result.append((seq, transition))
        return result

    def mark_opened(self, at: datetime | None = None) -> None:
        """No write: the open mark is the poller's store's, not this viewer's."""

    def add_event(
        self, account: str, kind: EventKind, text: str, at: datetime | None = None
    ) -> None:
        """No write: the poller logs its sources' events; the viewer reads them."""

    def prune(self, now: datetime | None = None) -> int:
        """No write."""
        return 0

    def add_tracked(self, account: str, ids: Iterable[str]) -> list[str]:
        """Refused: the store is the poller's."""
        raise StoreError(
            "the job store belongs to jobtop serve while attached; track ids there",
            problem="unwritable",
            path=str(self.path),
        )

    def remove_tracked(self, account: str, ids: Iterable[str]) -> list[str]:
        """Refused: the store is the poller's."""
        raise StoreError(
            "the job store belongs to jobtop serve while attached; track ids there",
            problem="unwritable",
            path=str(self.path),
        )


class StoreProvider:
    """One account as the poller stored it: lists and details from the store only."""

    def __init__(self, account: AccountConfig, store: ReadOnlyStore) -> None:
        self.account = account.name
        self.provider = account.provider
        self.capabilities = Capabilities(lists=True)
        self.detail_note = "stored by jobtop serve · live details: run without --attach"
        """Said on the detail screen, beside when the stored job was read: the provider's
        particulars (phases, snapshots, the raw answer) need a live fetch."""
        self._store = store
        self._since: str | None = None
        self._reads = 0

    async def list_jobs(self, query: ListQuery) -> ListResult:
        """What the poller stored since the last read; fails as the poller's source fails."""
        return await asyncio.to_thread(self._read)

    def _read(self) -> ListResult:
        state = self._store.poller()
        now = self._store._clock()
        problem = poller_problem(state, now, state.heartbeat if state else None)
        if problem is not None or state is None:
            raise UnavailableError(
                problem or "no jobtop serve writes this store", account=self.account
            )
        health = state.sources.get(self.account)
        if health is None:
            raise UnavailableError(
                f"jobtop serve (pid {state.pid}) does not poll account {self.account!r}",
                account=self.account,
            )
        if health.health == "failing":
            raise PollerReportedError(health.error or "the source is failing", account=self.account)
        self._reads += 1
        full = self._since is None or self._reads % FULL_READ_EVERY == 0
        jobs, newest = self._store.load_changed(self.account, None if full else self._since)
        self._since = newest or self._since
        return ListResult(
            jobs,
            complete=not health.incomplete,
            incremental=not full,
            note=health.note,
            capped=health.incomplete,
        )

    async def get_job(self, job_id: str, parent_id: str | None = None) -> JobDetail:
        """The stored job, with a note that the provider's particulars need a live fetch."""
        return await asyncio.to_thread(self._detail, job_id)

    def _detail(self, job_id: str) -> JobDetail:
        stored = self._store.load_job(self.account, job_id)
        job = stored[0] if stored is not None else None
        if job is None:
            raise NotFoundError(f"the store has no job {job_id}", account=self.account)
        raw: dict[str, Any] = {"stored": job.to_json(), "note": LIVE_FETCH_NOTE}
        return JobDetail(job, raw)

    async def aclose(self) -> None:
        """Nothing to close (the store is the viewer's)."""
