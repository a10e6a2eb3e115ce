"""The pure refresh policy: how long a source waits before its next refresh.

The dashboard runs one long-lived loop per source: fetch, post, then sleep for
`next_delay(...)`. The next run is scheduled only after the last one ended, so runs never
overlap (reliability.md section 4.2). After errors the wait grows with jitter up to the
policy's `max_backoff`. The dashboard sets that cap to the interval: a failing source is
retried every interval plus up to 20 % jitter, never after a growing wait, so it recovers
within about one interval once the fault clears (product.md section 8). A rate limit's
`Retry-After` is always honoured, and `shortest_delay` holds even a refresh asked for by
hand. No Textual here.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from tui.errors import AuthError, ConfigError, ProviderError, RateLimitedError
from tui.models import Job, JobState, Transition
from tui.providers.base import ListQuery, ListResult

INTERVAL_STEPS: tuple[float, ...] = (0.5, 1, 2, 3, 5, 10, 15, 30, 60, 120, 300, 600)
"""The intervals `+` and `-` step through."""

MAX_BACKOFF = 300.0
"""The default cap on the wait after errors (5 minutes); the dashboard caps at its interval."""

MAX_RETRY_AFTER = 900.0
"""The longest `Retry-After` obeyed; a server asking for more gets this."""


@dataclass(frozen=True, slots=True)
class RefreshPolicy:
    """How often one source is refreshed.

    Args:
        interval: Seconds between successful refreshes.
        min_interval: The provider's floor (hdrjpg: 2 s); never polled faster.
        jitter: Fraction of random spread added to error backoff (0.2 = up to +20 %).
        max_backoff: The cap on the wait after errors. The dashboard passes its interval
            (`JobsScreen._policy`), so its error waits do not grow past one interval.
    """

    interval: float
    min_interval: float = 0.0
    jitter: float = 0.2
    max_backoff: float = MAX_BACKOFF

    @property
    def effective_interval(self) -> float:
        """The interval with the provider's floor applied."""
        return max(self.interval, self.min_interval, 0.1)

    def next_delay(
        self,
        failures: int = 0,
        error: ProviderError | None = None,
        rng: random.Random | None = None,
    ) -> float:
        """Seconds to wait before the next refresh.

        Args:
            failures: Consecutive failed refreshes so far (0 after a success).
            error: The last error, if the last refresh failed.
            rng: Source of jitter (tests pass a seeded one).

        Returns:
            The interval after a success. After failures, the interval doubled per
            failure plus up to `jitter` of it, held under `max_backoff` (plus its jitter);
            with the dashboard's cap of one interval that is the interval plus jitter,
            never a growing wait. Never less than a rate limit's `Retry-After`.
        """
        base = self.effective_interval
        if failures <= 0:
            return base
        delay = backoff(failures, base, self.max_backoff, self.jitter, rng)
        if isinstance(error, AuthError | ConfigError):
            delay = max(delay, min(self.max_backoff, 60.0))
        retry_after = retry_after_seconds(error)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay

    def shortest_delay(self, error: ProviderError | None = None) -> float:
        """The least wait after a refresh before the next, even one asked for (`r`).

        Args:
            error: The last refresh's error, if it failed.

        Returns:
            The provider's floor, or a rate limit's `Retry-After` if that is longer.
        """
        return max(self.min_interval, retry_after_seconds(error) or 0.0)


def backoff(
    failures: int,
    base: float,
    cap: float = MAX_BACKOFF,
    jitter: float = 0.2,
    rng: random.Random | None = None,
) -> float:
    """Exponential backoff with jitter: `base * 2**(failures-1)`, capped, plus up to `jitter`."""
    exponent = min(max(failures - 1, 0), 20)
    delay = min(cap, base * (2**exponent))
    spread = (rng or random).random() * jitter * delay
    return min(cap * (1 + jitter), delay + spread)


def retry_after_seconds(error: ProviderError | None) -> float | None:
    """The wait an error's `Retry-After` asked for (a 429, a 503...), bounded to
    `MAX_RETRY_AFTER`, or None."""
    if error is None or error.retry_after is None:
        return None
    try:
        value = float(error.retry_after)
    except (TypeError, ValueError):
        return None
    if value != value or value < 0:
        return None
    return min(value, MAX_RETRY_AFTER)


def faster(interval: float) -> float:
    """The next shorter interval step (`-` key... `+` speeds up: shorter wait)."""
    shorter = [step for step in INTERVAL_STEPS if step < interval - 1e-9]
    return shorter[-1] if shorter else INTERVAL_STEPS[0]


def slower(interval: float) -> float:
    """The next longer interval step."""
    longer = [step for step in INTERVAL_STEPS if step > interval + 1e-9]
    return longer[0] if longer else INTERVAL_STEPS[-1]


def finished_tracked_ids(tracked_ids: Iterable[str], jobs: Iterable[Job]) -> frozenset[str]:
    """Tracked ids whose known job has ended: `ListQuery.skip_ids`, never re-fetched."""
    tracked = set(tracked_ids)
    return frozenset(job.id for job in jobs if job.id in tracked and job.state.is_terminal)


def index_transitions(
    account: str,
    before: Callable[[tuple[str, str]], Job | None],
    jobs: Iterable[Job],
    at: datetime,
) -> list[Transition]:
    """The changes of state `jobs` bring to known jobs, read from what `before` holds.

    What the store's save would have reported for them, for when the store cannot be
    written: the screen still notifies of jobs that ended. Jobs `before` does not know are
    left out (a first sighting is no transition to notify).

    Args:
        account: The source.
        before: Looks a job up by key as it was before this refresh (`JobIndex.get`).
        jobs: The refresh's new or changed jobs.
        at: When the refresh fetched them.
    """
    transitions: list[Transition] = []
    for job in jobs:
        old = before(job.key)
        if old is not None and old.state != job.state:
            transitions.append(Transition(account, job.id, old.state, job.state, job.status, at))
    return transitions


def age_tick(low_bandwidth: bool) -> float:
    """Seconds between repaints of relative ages (slower over a thin link)."""
    return 30.0 if low_bandwidth else 10.0


class Health(StrEnum):
    """How a source is doing, as the source bar shows it."""

    LOADING = "loading"
    """Never refreshed yet in this run (rows, if any, come from the store)."""
    OK = "ok"
    REFRESHING = "refreshing"
    STALE = "stale"
    """Rows from the store, not yet refreshed in this run."""
    FAILING = "failing"
    """The last refresh failed; the last good rows stay, with their age."""


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """One source's refresh state."""

    account: str
    provider: str
    health: Health = Health.LOADING
    refreshing: bool = False
    last_ok_at: datetime | None = None
    """When the rows shown were last fetched successfully."""
    error: str | None = None
    """The last failure as one sentence (cleaned text from the provider layer)."""
    failures: int = 0
    next_try_at: datetime | None = None
    interval: float = 0.0
    stored_at: datetime | None = None
    """When the rows loaded from the store at start were last refreshed (an earlier run)."""
    note: str | None = None
    """The listing is loading in parts ("loading 12,400 of 60,000 conversions") or a cap
    cut it ("incomplete: first N of M jobs"): shown beside the health."""
    server_counts: Mapping[JobState, int] | None = None
    """While a listing loads: the server's counts per state, shown instead of the rows'."""


def health_after_success(current: SourceHealth, at: datetime, next_at: datetime) -> SourceHealth:
    """The state after a refresh succeeded."""
    return replace(
        current,
        health=Health.OK,
        refreshing=False,
        last_ok_at=at,
        error=None,
        failures=0,
        next_try_at=next_at,
    )


def health_after_failure(
    current: SourceHealth, error: str, next_at: datetime
) -> SourceHealth:
    """The state after a refresh failed; the rows already shown stay."""
    return replace(
        current,
        health=Health.FAILING,
        refreshing=False,
        error=error,
        failures=current.failures + 1,
        next_try_at=next_at,
    )


def raise_if_nothing_fetched(query: ListQuery, result: ListResult) -> None:
    """Treat a refresh as failed when every tracked id failed and nothing was listed.

    A source that only tracks ids (hdrjpg) would otherwise read "ok" while none of its
    jobs can be fetched; one missing id among others stays a per-job problem.

    Raises:
        ProviderError: The first tracked id's error, reworded to say all of them failed.
    """
    wanted = [job_id for job_id in query.tracked_ids if job_id not in query.skip_ids]
    if result.jobs or not wanted or len(result.tracked_errors) < len(wanted):
        return
    first = next(iter(result.tracked_errors.values()))
    if isinstance(first, RateLimitedError):
        raise first
    noun = "the tracked id" if len(wanted) == 1 else f"all {len(wanted)} tracked ids"
    raise type(first)(
        f"{noun} failed; the first answer was: {first}",
        account=first.account,
        status_code=first.status_code,
        retry_after=first.retry_after,
    )
