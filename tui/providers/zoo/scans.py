"""A Zoo listing in progress: each surface's place (`Scan`: a dataset's conversions or an
async-operation list) and the listing's (`Cursor`, handed out as `ListResult.resume`),
with the helpers that plan and total them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from tui.errors import ProviderError
from tui.models import Job, JobKind, JobState
from tui.providers.base import ListQuery, ListResult
from tui.providers.client import QueryValue
from tui.providers.fields import timestamp
from tui.providers.listing import cap_note, progress_note
from tui.providers.zoo.async_watch import ACTIVE_STATUSES, AsyncWatch
from tui.providers.zoo.vocabulary import map_state

PAGE_SIZE = 100
"""Items asked for per page."""

ASYNC_KEY = "async"
"""The scan key of the async-operation list (the others are dataset ids)."""

INCREMENTAL_FIRST_PAGE = 10
"""Items on the first page of an incremental listing (a refresh that finds few changes)."""
CHUNK_SECONDS = 1.0
"""A continuation call starts no page after this long, so each part shows promptly."""


class Scan:
    """One surface's place in a listing: a dataset's conversions or an async list."""

    __slots__ = (
        "by_status",
        "created_floor",
        "cut",
        "done",
        "is_async",
        "key",
        "loaded",
        "page_size",
        "params",
        "token",
        "total",
        "url",
    )

    def __init__(
        self, key: str, url: str, params: dict[str, QueryValue], *, is_async: bool = False
    ) -> None:
        self.key = key
        self.url = url
        self.params = params
        self.is_async = is_async
        """An async-operation list (else a dataset's conversions)."""
        self.created_floor: datetime | None = None
        """Paging stops at items created before this (the steady new-operations scan)."""
        self.page_size = params.get("limit")
        """The page size after the first page."""
        self.token: str | None = None
        """The next page's cursor (None before the first page and at the end)."""
        self.done = False
        self.cut = False
        """Paging ended before the list's end (a repeated token)."""
        self.loaded = 0
        self.total: int | None = None
        """How many the server has for the query (from `/stats`; None: unknown)."""
        self.by_status: dict[str, int] | None = None


class Cursor:
    """A listing in progress, handed out as `ListResult.resume`."""

    def __init__(
        self,
        *,
        started: datetime,
        unfiltered: bool,
        async_steady: bool,
        scans: list[Scan],
        applied: frozenset[str],
        incremental: bool,
        since: Any,
        cap: int,
        asked_limit: bool,
        status: str | None,
        text_filtered: bool,
    ) -> None:
        self.started = started
        self.unfiltered = unfiltered
        self.async_steady = async_steady
        self.async_finished = False
        self.async_seen: set[str] = set()
        self.async_active: set[str] = set()
        self.async_ended: set[str] = set()
        self.async_newest: datetime | None = None
        self.scans = scans
        self.applied = applied
        self.incremental = incremental
        self.since = since
        self.cap = cap
        self.asked_limit = asked_limit
        self.status = status
        self.text_filtered = text_filtered
        self.loaded = 0
        self.trimmed = False
        """Jobs read past the cap were dropped."""
        self.others: Counter[JobState] = Counter()
        """States of the listed async operations and tracked jobs (no stats for them)."""
        self.unreadable = 0
        """Items of this part that could not be read (reported once, by `result`)."""
        self.want_stats = not incremental and any(not scan.is_async for scan in scans)

    def scan(self, key: str) -> Scan:
        return next(scan for scan in self.scans if scan.key == key)

    def saw_async(self, job: Job) -> None:
        """Note one async operation this listing showed (for `AsyncWatch`)."""
        self.async_seen.add(job.id)
        # Only what the status lists can show again is watched (not an unknown status).
        if job.state.is_active:
            self.async_active.add(job.id)
        else:
            self.async_ended.add(job.id)
        created = job.created_at
        if created is not None and (self.async_newest is None or created > self.async_newest):
            self.async_newest = created

    def result(
        self, jobs: list[Job], errors: dict[str, ProviderError], requests: int
    ) -> ListResult:
        """This part of the listing as a `ListResult`."""
        remaining = [scan for scan in self.scans if not scan.done]
        capped = (bool(remaining) or self.trimmed) and self.loaded >= self.cap
        more = bool(remaining) and not capped
        conversions = [scan for scan in self.scans if not scan.is_async]
        async_scans = [scan for scan in self.scans if scan.is_async]
        async_done = all(scan.done for scan in async_scans)
        conv_total = sum_known([scan.total for scan in conversions])
        async_total = (
            sum(scan.loaded for scan in async_scans)
            if async_done and not self.async_steady
            else None
        )
        total = conv_total if not async_scans else sum_known([conv_total, async_total])
        note = None
        if capped and not self.asked_limit:
            note = cap_note(self.loaded, total, "jobs")
        elif more:
            parts = []
            if any(not scan.done for scan in conversions):
                loaded = sum(scan.loaded for scan in conversions)
                parts.append(progress_note(loaded, conv_total, "conversions"))
            if not async_done:
                loaded = sum(scan.loaded for scan in async_scans)
                parts.append(progress_note(loaded, None, "async operations"))
            note = " · ".join(parts)
        unreadable, self.unreadable = self.unreadable, 0
        return ListResult(
            unreadable=unreadable,
            jobs=jobs,
            applied=self.applied,
            complete=not remaining
            and not self.trimmed
            and not any(scan.cut for scan in self.scans),
            incremental=self.incremental,
            tracked_errors=errors,
            requests=requests,
            total=total,
            resume=self if more else None,
            counts=self._counts(conversions),
            loaded=self.loaded,
            note=note,
            capped=capped and not self.asked_limit,
        )

    def _counts(self, conversions: list[Scan]) -> dict[JobState, int] | None:
        """Per state: the datasets' server-side counts plus the async jobs listed so far."""
        if self.status is not None or self.text_filtered or not conversions:
            return None
        if any(scan.by_status is None for scan in conversions):
            return None
        counts: Counter[JobState] = Counter(self.others)
        for scan in conversions:
            for status, count in (scan.by_status or {}).items():
                state = map_state(JobKind.DATASET_CONVERSION, status)
                counts[state] += count
        return dict(counts)


def steady_async_scans(watch: AsyncWatch) -> list[Scan]:
    """The async lists of a steady refresh: one per non-terminal status, and the newest
    operations back to the newest already seen."""
    scans = [
        Scan(
            f"{ASYNC_KEY}:{status}",
            "async/operations",
            {"limit": PAGE_SIZE, "sort_by": "created_at_descending", "status": status},
            is_async=True,
        )
        for status in ACTIVE_STATUSES
    ]
    new = Scan(
        f"{ASYNC_KEY}:new",
        "async/operations",
        {"limit": INCREMENTAL_FIRST_PAGE, "sort_by": "created_at_descending"},
        is_async=True,
    )
    new.page_size = PAGE_SIZE
    new.created_floor = watch.created_floor()
    return [*scans, new]


def created_before(floor: datetime) -> Callable[[Sequence[Any]], bool]:
    """A `paginate` stop: a page holding an item created before `floor`."""

    def stop(items: Sequence[Any]) -> bool:
        for item in items:
            created = timestamp(item, "created_at") if isinstance(item, dict) else None
            if created is not None and created < floor:
                return True
        return False

    return stop


def sum_known(values: Sequence[int | None]) -> int | None:
    """The sum, or None if any part is unknown."""
    if any(value is None for value in values):
        return None
    return sum(value for value in values if value is not None)


def single_status(
    query: ListQuery, statuses: Sequence[str], kind: JobKind
) -> tuple[str | None, str]:
    """The one raw status a query selects, if it selects exactly one (and which part)."""
    if query.status is not None:
        return (query.status, "status") if query.status in statuses else (None, "status")
    if len(query.states) == 1:
        matching = [s for s in statuses if map_state(kind, s) in query.states]
        if len(matching) == 1:
            return matching[0], "states"
    return None, "states"
