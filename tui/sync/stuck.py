"""The running jobs of each source, kept from each update, so that stuck jobs are looked
for among those only (`TypicalDurations.stuck_keys`) instead of among every job known.

Kept in step with the index the screen applies the same updates to: time in proportion
to the changes, not to the jobs.
"""

from __future__ import annotations

from collections.abc import Iterable

from tui.models import Job, JobState

JobKey = tuple[str, str]


class RunningJobs:
    """Per source, the running jobs among those taken."""

    def __init__(self) -> None:
        self._jobs: dict[str, dict[str, Job]] = {}

    def take(self, jobs: Iterable[Job], removed: Iterable[JobKey] = ()) -> None:
        """Note new or changed jobs (a job no longer running leaves) and removed keys."""
        for job in jobs:
            if job.state == JobState.RUNNING:
                self._jobs.setdefault(job.account, {})[job.id] = job
            else:
                self._jobs.get(job.account, {}).pop(job.id, None)
        for account, job_id in removed:
            self._jobs.get(account, {}).pop(job_id, None)

    def of(self, account: str) -> list[Job]:
        """A source's running jobs."""
        return list(self._jobs.get(account, {}).values())

    def __len__(self) -> int:
        return sum(map(len, self._jobs.values()))
