"""What a refresh of Zoo's async-operation list asks for, between full listings.

The list sorts by creation only and has no change feed, but it filters by status. So
between full listings (every `full_listing_minutes`) a refresh lists only the operations
that can still change (one listing per non-terminal status), the newest pages back to the
newest operation already seen (those created since, some of them ended already), and
fetches one by one the few it knew as active that left those lists: they ended. A full
listing also lets operations deleted upstream leave the dashboard.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tui.models import JobKind
from tui.providers.zoo.vocabulary import ZOO_ASYNC_STATUSES, map_state

ACTIVE_STATUSES = tuple(
    status
    for status in ZOO_ASYNC_STATUSES
    if not map_state(JobKind.ASYNC_OPERATION, status).is_terminal
)
"""The statuses an operation can still leave (queued, uploaded, in_progress)."""
MAX_ENDED_FETCHES = 200
"""More active operations than this gone from the active lists: a full listing instead."""
CREATED_MARGIN = timedelta(seconds=60)
"""How far behind the newest known creation time the new-operations scan still reads."""


@dataclass
class AsyncWatch:
    """One account's knowledge of its async operations between listings."""

    full_every: float
    """Seconds between full listings."""
    active: set[str] = field(default_factory=set)
    """Operations that could still change at the last refresh."""
    newest_created: datetime | None = None
    """The newest `created_at` listed so far."""
    full_at: datetime | None = None
    """When the last complete full listing started (None: never, or one is due)."""

    def steady(self, *, unfiltered: bool, incremental: bool, now: datetime) -> bool:
        """Whether this refresh may ask for only what can change.

        Only alongside an incremental listing of the conversions: a full listing of those
        lists the operations in full too, so one refresh sees the whole account and
        removes what was deleted upstream.
        """
        return (
            unfiltered
            and incremental
            and self.full_at is not None
            and self.newest_created is not None
            and (now - self.full_at).total_seconds() < self.full_every
        )

    def created_floor(self) -> datetime | None:
        """Operations created before this are known: the new-operations scan stops there."""
        return None if self.newest_created is None else self.newest_created - CREATED_MARGIN

    def listed(
        self,
        active: Iterable[str],
        ended: Iterable[str],
        newest_created: datetime | None,
        *,
        full: bool,
        started: datetime,
    ) -> None:
        """Take what a listing found: a full one replaces the active set; the steady lists
        plus the ended operations fetched one by one update it."""
        if full:
            self.active = set(active)
            self.full_at = started
        else:
            self.active.update(active)
        self.active.difference_update(ended)
        if newest_created is not None and (
            self.newest_created is None or newest_created > self.newest_created
        ):
            self.newest_created = newest_created

    def gone(self, seen: Iterable[str]) -> list[str] | None:
        """The active operations the steady lists no longer show (they ended), or None
        when so many left that one full listing costs less (the next refresh is one)."""
        left = sorted(self.active.difference(seen))
        if len(left) > MAX_ENDED_FETCHES:
            self.full_at = None
            return None
        return left

    def forget(self, job_ids: Iterable[str]) -> None:
        """Operations that no longer exist (404 when fetched)."""
        self.active.difference_update(job_ids)
