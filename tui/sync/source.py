"""One source's sync state, and the pure parts of one refresh: query shape, checks, diffs.

`SourceSync` is everything the engine keeps per account: the provider, its policy and
schedule, health, the incremental watermark and the last result. The functions below are
the refresh's pure steps, shared by every front end. No Textual here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tui.errors import ProviderError, RateLimitedError
from tui.models import Job, JobState, Transition
from tui.providers.base import Capabilities, JobProvider, ListQuery, ListResult
from tui.sync.health import SourceHealth
from tui.sync.policy import RefreshPolicy
from tui.sync.schedule import Schedule

INCREMENTAL_MARGIN = timedelta(seconds=60)
"""An incremental refresh reaches this far before the newest change already seen."""

ServerFilters = tuple[frozenset[JobState], str | None, str | None]
"""The part of a source's query its server applies: states, status, text."""


@dataclass(frozen=True, slots=True)
class ViewQuery:
    """What the viewer wants listed: filters and sort, before narrowing to one server.

    A headless engine asks for everything (the default).
    """

    states: frozenset[JobState] = frozenset()
    status: str | None = None
    text: str | None = None
    """A plain substring a server may search for (never a regex or a negation)."""
    sort_key: str | None = None
    descending: bool = True


def server_filters(capabilities: Capabilities, view: ViewQuery) -> ServerFilters:
    """The filters of `view` that a server with `capabilities` applies."""
    server = capabilities.server_filters
    return (
        view.states if "states" in server else frozenset(),
        view.status if "status" in server else None,
        view.text if "text" in server and view.text else None,
    )


@dataclass(slots=True)
class Progress:
    """How far a listing that comes in several batches (`ListResult.resume`) has got."""

    loaded: int = 0
    """Jobs received so far in this run."""
    total: int | None = None
    """How many exist server-side for what was asked, when the API says."""
    newest: datetime | None = None
    """The newest `updated_at` among the changes the batches so far brought."""
    tracked_errors: dict[str, ProviderError] = field(default_factory=dict)
    """Per tracked id, why it could not be fetched (every batch so far)."""
    unreadable: int = 0
    """Items the provider could not read and left out (every batch so far)."""


@dataclass(eq=False)
class SourceSync:
    """One account's sync state, owned by the engine."""

    provider: JobProvider
    schedule: Schedule
    health: SourceHealth
    interval: float
    failures: int = 0
    newest_update: datetime | None = None
    """The newest `updated_at` seen by a listing that saw every change: where an
    incremental refresh starts."""
    sent_filters: ServerFilters | None = None
    """The server-side filters the last query carried (None before the first)."""
    last_result: ListResult | None = None
    last_error: ProviderError | None = None
    progress: Progress | None = None
    """Set while a listing in several batches is loading."""
    config_tracked: tuple[str, ...] = ()
    """Ids the config file tracks on this account."""
    logged_problem: str | None = None
    """The problem last written to the event log ("failing", "rate limited"), until the
    source recovers: a run of failures is one event, not one per try."""
    logged_incomplete: bool = False
    """The event log already says this source's listing is cut short."""

    @property
    def account(self) -> str:
        """The account name."""
        return self.provider.account

    @property
    def policy(self) -> RefreshPolicy:
        """The poll policy at the current interval and the provider's floor."""
        return RefreshPolicy.for_source(self.interval, self.provider.capabilities)

    def incremental_since(self) -> datetime | None:
        """Where an incremental refresh may start, or None for a full listing.

        Only for providers that sort by `updated_at`; measured on the server's own
        timestamps (no clock skew), with a margin. The provider lists everything again
        when its `full_listing_minutes` say so (and says the listing is not incremental),
        so jobs deleted upstream leave the list too.
        """
        newest = self.newest_update
        if not self.provider.capabilities.incremental or newest is None:
            return None
        return newest - INCREMENTAL_MARGIN

    def note_newest(self, newest: datetime | None) -> None:
        """Move the incremental watermark forward to `newest` (never back)."""
        if newest is not None:
            known = self.newest_update
            self.newest_update = newest if known is None else max(known, newest)


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
