"""The filter model: which jobs are visible, and the per-slot value tests a listing runs."""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import compress

from tui.job_index.search import SearchQuery
from tui.models import Job, JobState

JobKey = tuple[str, str]
"""(account, id): the store key of a job."""


TIME_WINDOWS: tuple[tuple[str, timedelta | None], ...] = (
    ("all", None),
    ("15 min", timedelta(minutes=15)),
    ("1 h", timedelta(hours=1)),
    ("6 h", timedelta(hours=6)),
    ("24 h", timedelta(hours=24)),
    ("7 d", timedelta(days=7)),
)
"""The time windows `w` steps through, on when each job last changed (`Job.changed_since`)."""


def window_start(window: int, now: Callable[[], datetime]) -> datetime | None:
    """Where time window `window` (an index into `TIME_WINDOWS`) starts now; None for all."""
    span = TIME_WINDOWS[window][1]
    return None if span is None else now() - span


@dataclass(frozen=True, slots=True)
class StatusChoice:
    """One provider's own status word. Providers share words that mean different things
    (Zoo's `failed`, LettrLabs' and hdrjpg's `Failed`), so a status filter is the word and
    the provider, both matched exactly."""

    provider: str
    status: str


@dataclass(frozen=True, slots=True)
class JobFilter:
    """Which jobs are visible."""

    accounts: frozenset[str] = frozenset()
    """Only these sources (empty: every source, the All view)."""
    states: frozenset[JobState] = frozenset()
    """Only these normalized states (empty: all)."""
    status: StatusChoice | None = None
    """Only this provider's jobs with this raw status (both exact)."""
    search: SearchQuery | None = None
    changed_since: datetime | None = None
    """Only jobs that last changed at or after this time (`Job.changed_since`)."""
    keys: frozenset[JobKey] | None = None
    """Only these jobs (the stuck ones, say); None: no such limit."""

    @property
    def is_empty(self) -> bool:
        """True when nothing is filtered out."""
        return (
            not self.accounts
            and not self.states
            and self.status is None
            and (self.search is None or self.search.is_empty)
            and self.changed_since is None
            and self.keys is None
        )


@dataclass(frozen=True, slots=True)
class KeyIn:
    """A value test (`ValueTests`) on the jobs themselves: one of `keys`."""

    keys: frozenset[JobKey]

    def __contains__(self, job: object) -> bool:
        return isinstance(job, Job) and (job.account, job.id) in self.keys


@dataclass(frozen=True, slots=True)
class ChangedSince:
    """A value test (`ValueTests`) on the jobs themselves: changed at or after `threshold`."""

    threshold: datetime

    def __contains__(self, job: object) -> bool:
        return isinstance(job, Job) and job.changed_since(self.threshold)


ValueTests = list[tuple[Sequence[object], Container[object]]]
"""Per-slot values (account, state or status, or the jobs themselves) and the values a row
must have among them."""

Kept = tuple[list[int], list[int] | None]
"""The rows a slice of a listing keeps, and their places in the listing's search texts."""


def keep_values(tests: ValueTests, rows: Sequence[int], positions: Sequence[int] | None) -> Kept:
    """The rows (and their positions) whose values pass every test, in order."""
    kept = list(rows)
    places = None if positions is None else list(positions)
    for values, wanted in tests:
        passed = list(map(wanted.__contains__, map(values.__getitem__, kept)))
        kept = list(compress(kept, passed))
        if places is not None:
            places = list(compress(places, passed))
    return kept, places


def keep_searched(
    hay: list[str],
    search: SearchQuery,
    tests: ValueTests,
    rows: Sequence[int],
    positions: Sequence[int] | None,
) -> Kept:
    """The rows that match `search` on the per-slot texts, then pass the value tests."""
    return keep_values(tests, search.keep(rows, hay), None)[0], None
