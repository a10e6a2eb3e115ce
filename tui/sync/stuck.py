"""Stuck jobs found among the running jobs only, off the UI loop.

`RunningJobs` keeps, per source, the running jobs the index holds, from each update (time
in proportion to the changes); `stuck_among` compares them with their kind's 95th
percentile and is safe in a worker thread, as it reads only the copies and the limits
it is given (`TypicalDurations` is read on the event loop, by `limits`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from tui.models import Job, JobState
from tui.sync.typical import Kind, TypicalDurations

JobKey = tuple[str, str]


class RunningJobs:
    """Per source, the running jobs among those taken (the index's, kept in step)."""

    def __init__(self) -> None:
        self._jobs: dict[str, dict[str, Job]] = {}
        self._kinds: Counter[Kind] = Counter()

    def take(self, jobs: Iterable[Job], removed: Iterable[JobKey] = ()) -> None:
        """Note new or changed jobs (a job no longer running leaves) and removed keys."""
        for job in jobs:
            self._drop((job.account, job.id))
            if job.state == JobState.RUNNING:
                self._jobs.setdefault(job.account, {})[job.id] = job
                self._kinds[(job.provider, job.kind)] += 1
        for key in removed:
            self._drop(key)

    def _drop(self, key: JobKey) -> None:
        old = self._jobs.get(key[0], {}).pop(key[1], None)
        if old is not None:
            self._kinds[(old.provider, old.kind)] -= 1

    def of(self, accounts: Iterable[str]) -> dict[str, list[Job]]:
        """Each source's running jobs, as lists of their own (for a worker thread)."""
        return {account: list(self._jobs.get(account, {}).values()) for account in accounts}

    def kinds(self) -> list[Kind]:
        """The kinds of the running jobs."""
        return [kind for kind, count in self._kinds.items() if count > 0]

    def __len__(self) -> int:
        return sum(map(len, self._jobs.values()))


def limits(typical: TypicalDurations, kinds: Iterable[Kind]) -> dict[Kind, float]:
    """The 95th percentile of each kind that has a typical run time (on the event loop)."""
    found = {kind: typical.of(*kind) for kind in kinds}
    return {kind: known.p95 for kind, known in found.items() if known is not None}


def stuck_among(
    running: Mapping[str, Sequence[Job]], p95: Mapping[Kind, float], now: datetime
) -> dict[str, frozenset[JobKey]]:
    """Per source, the keys of its running jobs past their kind's 95th percentile: what
    `TypicalDurations.is_stuck` says of each, from the limits `limits` gave."""
    found: dict[str, frozenset[JobKey]] = {}
    for account, jobs in running.items():
        keys = set()
        for job in jobs:
            limit = p95.get((job.provider, job.kind))
            elapsed = job.duration_seconds(now)
            if job.state == JobState.RUNNING and limit is not None and elapsed is not None:
                if elapsed > limit:
                    keys.add((job.account, job.id))
        found[account] = frozenset(keys)
    return found
