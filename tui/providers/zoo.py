"""Zoo: async operations and org dataset conversions of one account.

Async operations are listed with `GET /async/operations` (status, sort_by, limit, cursor
paging) where the token may list them (`async_operations = "list"`), and otherwise, like
every tracked id, polled one by one from `GET /async/operations/{id}`. Dataset conversions
come from `GET /org/datasets/{id}/conversions` (filter, sort_by, q, cursor paging) for the
configured datasets or, with `datasets = ["all"]`, those `GET /org/datasets` returns. Sorted
by `updated_at` descending, an incremental refresh reads only the pages it needs to see
what changed since the last one. Both the seed's enum sets (11 phases, 7 statuses) and
the current ones (12 phases, 10 statuses) parse; unknown values are `unknown`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, ClassVar

from tui.config import AccountConfig
from tui.details import (
    SnapshotImage,
    ZooAsyncDetail,
    ZooConversionDetail,
    ZooDatasetStats,
    ZooOutputFile,
)
from tui.errors import AuthError, NotFoundError, ProviderError
from tui.models import (
    ZOO_ASYNC_STATUSES,
    ZOO_DATASET_STATUSES,
    ZOO_PHASES,
    ZOO_SEED_PHASES,
    Job,
    JobKind,
    JobState,
    ProviderName,
    clamp_progress,
    map_state,
)
from tui.providers.base import Capabilities, ListQuery, ListResult
from tui.providers.client import QueryValue
from tui.providers.fields import (
    boolean,
    finite_tree,
    id_or,
    ident,
    integer,
    label,
    long_text,
    mapping,
    number,
    parse_one,
    path,
    require_id,
    status_word,
    string_id,
    text,
    timestamp,
    tree,
)
from tui.providers.http_provider import HttpProvider, gather_limited, tracked_failure
from tui.providers.listing import cap_note, parse_off_loop, progress_note
from tui.providers.zoo_async_watch import ACTIVE_STATUSES, AsyncWatch
from tui.sanitize import clean

PAGE_SIZE = 100
"""Items asked for per page."""
MAX_IMAGES = 32
"""Snapshot images decoded per list."""
MAX_IMAGE_BYTES = 4 * 1024 * 1024

STATUS_MEANINGS: dict[str, str] = {
    "queued": "Pending conversion.",
    "in_progress": "The file is currently being converted.",
    "canceled": "The file will not be converted.",
    "success": "Conversion finished successfully.",
    "error_user": "Conversion failed because the file is broken, for example empty.",
    "error_geometry_mismatch": "The raw KCL geometry differs from the source beyond the threshold.",
    "error_execution": "The generated KCL failed to execute.",
    "error_connection": "A required service or connection was unavailable.",
    "error_unsupported": "No converter handles this file; retry with a new converter version.",
    "error_internal": "An unrecoverable internal error; retry with a new converter version.",
}
"""The documented meaning of each dataset conversion status (current and seed sets)."""

_CURRENT_ONLY_STATUSES = frozenset(
    {"error_geometry_mismatch", "error_execution", "error_connection"}
)
_SORT_MODES = {"created_at": "created_at", "updated_at": "updated_at", "status": "status"}


class ZooProvider(HttpProvider):
    """One Zoo account: its async operations and its org dataset conversions."""

    provider: ClassVar[ProviderName] = ProviderName.ZOO
    capabilities = Capabilities(
        lists=True,
        server_filters=frozenset({"states", "status", "text"}),
        server_sorts=frozenset({"created_at", "updated_at", "status"}),
        incremental=True,
    )

    def __init__(self, account: AccountConfig, **options: Any) -> None:
        """Args: as `HttpProvider` (transport, clock, policy)."""
        super().__init__(account, **options)
        self._list_async = account.async_operations == "list"
        self._datasets = account.datasets
        self._dataset_of: dict[str, str] = {}
        """Dataset id of each conversion id seen in a listing."""
        self._full_every = account.full_listing_minutes * 60
        self._last_full: datetime | None = None
        """When the last full unfiltered listing started (None: never)."""
        self._async_watch = AsyncWatch(self._full_every)

    # --- listing ------------------------------------------------------------------------

    async def list_jobs(self, query: ListQuery) -> ListResult:
        """Dataset conversions and async operations (listed or tracked), surfaces at once.

        A listing comes in parts: the first call reads one page per surface (and each
        dataset's `/stats`, for totals and per-status counts), so the first rows show at
        once; it hands back a `resume` while pages remain, and each call with it reads up
        to the policy's page cap or `CHUNK_SECONDS` more per surface. Sorted by
        `updated_at` descending, an incremental listing stops where it reaches jobs older
        than `updated_since`; every `full_listing_minutes` it lists everything again, so
        jobs deleted upstream leave the list. Async operations in between: see
        `AsyncWatch`. Past `max_items` jobs in all it stops and says so.
        """
        async with self._http.poll() as poll:
            cursor = query.resume if isinstance(query.resume, _Cursor) else None
            first = cursor is None
            if cursor is None:
                cursor = await self._start(query)
            stats_task = None
            if first and cursor.want_stats:
                stats_task = asyncio.ensure_future(self._all_stats(cursor))
            try:
                jobs = await self._read_pages(cursor, query, first)
            except BaseException:
                if stats_task is not None:
                    stats_task.cancel()
                raise
            if stats_task is not None:
                await stats_task
            jobs.extend(await self._finish_async(cursor, jobs))
            listed = {job.id: job for job in jobs}
            errors: dict[str, ProviderError] = {}
            if first:
                wanted = [
                    i
                    for i in dict.fromkeys([*self._tracked_config, *query.tracked_ids])
                    if i not in query.skip_ids and i not in listed
                ]
                tracked, errors = await gather_limited(
                    wanted, self._fetch_async_job, self._http.policy.concurrency
                )
                if not cursor.scans:
                    failure = tracked_failure(errors, len(wanted))
                    if failure is not None:
                        raise failure
                for job in tracked.values():
                    cursor.others[job.state] += 1
                listed.update(tracked)
        result = cursor.result(list(listed.values()), errors, poll.requests)
        if result.resume is None and cursor.unfiltered and not cursor.incremental:
            self._last_full = cursor.started
        return result

    async def _start(self, query: ListQuery) -> _Cursor:
        """A new listing: its surfaces and their query parameters."""
        started = self._clock()
        datasets = await self._dataset_ids()
        fresh = (
            self._last_full is not None
            and (started - self._last_full).total_seconds() < self._full_every
        )
        params, applied, incremental = self._conversion_params(query, fresh=fresh)
        scans = [
            _Scan(dataset_id, path("org", "datasets", dataset_id, "conversions"), params)
            for dataset_id in datasets
        ]
        if incremental and query.limit is None:
            # Most refreshes find few changes: a small first page, full pages after it.
            for scan in scans:
                scan.page_size = int(str(scan.params["limit"]))
                scan.params = {**scan.params, "limit": INCREMENTAL_FIRST_PAGE}
        applied_all = [applied] if scans else []
        unfiltered = not (query.states or query.status or query.text)
        async_steady = False
        if self._list_async:
            watch = self._async_watch
            if watch.steady(unfiltered=unfiltered, incremental=incremental, now=started):
                async_steady = True
                scans.extend(_steady_async_scans(watch))
                applied_all.append(frozenset())
            else:
                async_params, async_applied = self._async_params(query)
                scans.append(_Scan(_ASYNC, "async/operations", async_params, is_async=True))
                applied_all.append(async_applied)
        status = params.get("filter")
        return _Cursor(
            started=started,
            unfiltered=unfiltered,
            async_steady=async_steady,
            scans=scans,
            applied=frozenset.intersection(*applied_all) if applied_all else frozenset(),
            incremental=incremental,
            since=query.updated_since,
            cap=query.limit or self._http.policy.max_items,
            asked_limit=query.limit is not None,
            status=str(status).partition(":")[2] if status else None,
            text_filtered="q" in params,
        )

    async def _all_stats(self, cursor: _Cursor) -> None:
        """Each dataset's `/stats` (a failure leaves that total unknown)."""
        datasets = [scan for scan in cursor.scans if not scan.is_async]
        stats, _ = await gather_limited(
            [scan.key for scan in datasets],
            self._stats_or_fail,
            self._http.policy.concurrency,
        )
        for scan in datasets:
            found = stats.get(scan.key)
            if found is None:
                continue
            scan.by_status = dict(found.by_status)
            if cursor.text_filtered:
                scan.total = None
            elif cursor.status is not None:
                scan.total = scan.by_status.get(cursor.status, 0)
            else:
                scan.total = found.total

    async def _stats_or_fail(self, dataset_id: str) -> ZooDatasetStats:
        stats = await self._stats(dataset_id)
        if stats is None:
            raise ProviderError("no stats", account=self.account)
        return stats

    async def _read_pages(self, cursor: _Cursor, query: ListQuery, first: bool) -> list[Job]:
        """The next pages of every unfinished surface, concurrently."""
        policy = self._http.policy
        until = None if first else asyncio.get_running_loop().time() + CHUNK_SECONDS
        since = cursor.since if cursor.incremental else None
        room = max(0, cursor.cap - cursor.loaded)

        def older_than_since(items: Sequence[Any]) -> bool:
            if since is None:
                return False
            for item in items:
                updated = timestamp(item, "updated_at") if isinstance(item, dict) else None
                if updated is not None and updated < since:
                    return True
            return False

        async def one(key: str) -> list[Job]:
            scan = cursor.scan(key)
            stop: Callable[[Sequence[Any]], bool] | None = (
                None if scan.is_async else older_than_since
            )
            if scan.created_floor is not None:
                stop = _created_before(scan.created_floor)
            try:
                page = await self._http.paginate(
                    scan.url,
                    scan.params,
                    max_pages=1 if first else policy.max_pages,
                    max_items=room,
                    stop=stop,
                    start_token=scan.token,
                    until=until,
                )
            except (AuthError, NotFoundError) as exc:
                if not scan.is_async or exc.status_code not in (403, 404):
                    raise
                raise AuthError(
                    f"Zoo does not let this token list async operations (HTTP {exc.status_code}); "
                    'set async_operations = "tracked" for this account '
                    "to poll tracked ids instead.",
                    account=self.account,
                    status_code=exc.status_code,
                ) from exc
            if scan.is_async:
                found = await parse_off_loop(
                    self._http,
                    page.items,
                    lambda i: parse_async_job(i, self.account),
                    "async operations",
                )
            else:
                found = await parse_off_loop(
                    self._http,
                    page.items,
                    lambda i: parse_conversion_job(i, self.account, key),
                    "dataset conversions",
                )
                for job in found:
                    self._dataset_of[job.id] = id_or(job.parent_id, key)
            cursor.unreadable += len(page.items) - len(found)
            scan.token = page.next_token
            scan.done = page.next_token is None
            scan.params = {**scan.params, "limit": scan.page_size}
            scan.cut = scan.cut or not (page.complete or page.stopped or page.next_token)
            scan.loaded += len(found)
            return found

        pending = [scan.key for scan in cursor.scans if not scan.done]
        results, errors = await gather_limited(pending, one, policy.concurrency)
        if errors:
            raise next(iter(errors.values()))
        jobs = [job for key in pending for job in results.get(key, [])]
        if cursor.loaded + len(jobs) > cursor.cap:
            jobs = jobs[: max(0, cursor.cap - cursor.loaded)]
            cursor.trimmed = True
        cursor.loaded += len(jobs)
        for job in jobs:
            if job.kind is not JobKind.DATASET_CONVERSION:
                cursor.others[job.state] += 1
                cursor.saw_async(job)
        return jobs

    async def _finish_async(self, cursor: _Cursor, jobs: list[Job]) -> list[Job]:
        """Once the async lists are read: the watch learns what they showed; in a steady
        refresh, the operations that left the active lists are fetched one by one."""
        async_scans = [scan for scan in cursor.scans if scan.is_async]
        if cursor.async_finished or not async_scans or any(not s.done for s in async_scans):
            return []
        cursor.async_finished = True
        watch = self._async_watch
        if not cursor.async_steady:
            if cursor.unfiltered:
                watch.listed(
                    cursor.async_active,
                    (),
                    cursor.async_newest,
                    full=True,
                    started=cursor.started,
                )
            return []
        gone = watch.gone(cursor.async_seen)
        ended: dict[str, Job] = {}
        if gone:
            ended, errors = await gather_limited(
                gone, self._fetch_async_job, self._http.policy.concurrency
            )
            watch.forget(i for i, e in errors.items() if isinstance(e, NotFoundError))
        for job in ended.values():
            cursor.saw_async(job)
        finished = [job.id for job in ended.values() if job.state.is_terminal]
        watch.listed(
            cursor.async_active, finished, cursor.async_newest, full=False, started=cursor.started
        )
        return list(ended.values())

    def _async_params(self, query: ListQuery) -> tuple[dict[str, QueryValue], frozenset[str]]:
        params: dict[str, QueryValue] = {
            "limit": min(query.limit or PAGE_SIZE, PAGE_SIZE),
            "sort_by": "created_at_ascending"
            if (query.sort_key == "created_at" and not query.descending)
            else "created_at_descending",
        }
        applied = {"sort"} if query.sort_key in (None, "created_at") else set()
        status, which = _single_status(query, ZOO_ASYNC_STATUSES, JobKind.ASYNC_OPERATION)
        if status is not None:
            params["status"] = status
            applied.add(which)
        return params, frozenset(applied)

    def _conversion_params(
        self, query: ListQuery, *, fresh: bool
    ) -> tuple[dict[str, QueryValue], frozenset[str], bool]:
        """Query parameters; incremental if the query has a watermark and the last full
        listing is `fresh` (under `full_listing_minutes` old)."""
        params: dict[str, QueryValue] = {"limit": min(query.limit or PAGE_SIZE, PAGE_SIZE)}
        applied: set[str] = set()
        incremental = query.updated_since is not None and fresh
        if incremental:
            params["sort_by"] = "updated_at_descending"
            if query.sort_key == "updated_at" and query.descending:
                applied.add("sort")
        elif query.sort_key in _SORT_MODES:
            direction = "descending" if query.descending else "ascending"
            params["sort_by"] = f"{_SORT_MODES[query.sort_key]}_{direction}"
            applied.add("sort")
        else:
            # Newest changes first: the first page is what moved last, and the watermark
            # of the next incremental refresh is read from it.
            params["sort_by"] = "updated_at_descending"
        status, which = _single_status(query, ZOO_DATASET_STATUSES, JobKind.DATASET_CONVERSION)
        if status is not None:
            params["filter"] = f"status:{status}"
            applied.add(which)
        if query.text:
            params["q"] = query.text
            applied.add("text")
        return params, frozenset(applied), incremental

    async def _dataset_ids(self) -> list[str]:
        if tuple(self._datasets) != ("all",):
            return list(dict.fromkeys(d for d in self._datasets if d))
        page = await self._http.paginate("org/datasets", {"limit": PAGE_SIZE})
        ids = list(
            dict.fromkeys(
                dataset_id
                for item in page.items
                if isinstance(item, dict) and (dataset_id := string_id(item, "id")) is not None
            )
        )
        if page.items and not ids:
            raise self._http.bad_shape("datasets without a usable id")
        return ids

    async def _fetch_async_job(self, job_id: str) -> Job:
        return (await self._fetch_async(job_id)).job

    async def _fetch_async(self, job_id: str) -> ZooAsyncDetail:
        require_id(job_id)
        body = await self._http.get_json(path("async", "operations", job_id))
        return parse_one(
            self._http, body, lambda b: parse_async_detail(b, self.account), "an async operation"
        )

    # --- detail -------------------------------------------------------------------------

    async def get_job(
        self, job_id: str, parent_id: str | None = None
    ) -> ZooAsyncDetail | ZooConversionDetail:
        """A dataset conversion (with its dataset's stats) when `parent_id` names a
        dataset or the id was listed in one; otherwise an async operation."""
        dataset_id = id_or(parent_id, self._dataset_of.get(job_id))
        async with self._http.poll():
            if dataset_id is None:
                return await self._fetch_async(job_id)
            require_id(job_id)
            body, stats = await asyncio.gather(
                self._http.get_json(path("org", "datasets", dataset_id, "conversions", job_id)),
                self._stats(dataset_id),
            )
        detail = parse_one(
            self._http,
            body,
            lambda b: parse_conversion_detail(b, self.account, dataset_id),
            "a conversion",
        )
        return replace(detail, stats=stats)

    async def _stats(self, dataset_id: str) -> ZooDatasetStats | None:
        """The dataset's conversion stats; a failure here leaves them out of the detail."""
        try:
            body = await self._http.get_json(path("org", "datasets", dataset_id, "stats"))
        except ProviderError:
            return None
        try:
            return parse_stats(body, dataset_id) if isinstance(body, dict) else None
        except Exception:  # the stats are optional; an unreadable body leaves them out
            return None


_ASYNC = "async"
"""The scan key of the async-operation list (the others are dataset ids)."""

INCREMENTAL_FIRST_PAGE = 10
"""Items on the first page of an incremental listing (a refresh that finds few changes)."""
CHUNK_SECONDS = 1.0
"""A continuation call starts no page after this long, so each part shows promptly."""


class _Scan:
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


class _Cursor:
    """A listing in progress, handed out as `ListResult.resume`."""

    def __init__(
        self,
        *,
        started: datetime,
        unfiltered: bool,
        async_steady: bool,
        scans: list[_Scan],
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

    def scan(self, key: str) -> _Scan:
        return next(scan for scan in self.scans if scan.key == key)

    def saw_async(self, job: Job) -> None:
        """Note one async operation this listing showed (for `AsyncWatch`)."""
        self.async_seen.add(job.id)
        if not job.state.is_terminal:
            self.async_active.add(job.id)
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
        conv_total = _sum_known([scan.total for scan in conversions])
        async_total = (
            sum(scan.loaded for scan in async_scans)
            if async_done and not self.async_steady
            else None
        )
        total = conv_total if not async_scans else _sum_known([conv_total, async_total])
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

    def _counts(self, conversions: list[_Scan]) -> dict[JobState, int] | None:
        """Per state: the datasets' server-side counts plus the async jobs listed so far."""
        if self.status is not None or self.text_filtered or not conversions:
            return None
        if any(scan.by_status is None for scan in conversions):
            return None
        counts: Counter[JobState] = Counter(self.others)
        for scan in conversions:
            for status, count in (scan.by_status or {}).items():
                state = map_state(ProviderName.ZOO, JobKind.DATASET_CONVERSION, status)
                counts[state] += count
        return dict(counts)


def _steady_async_scans(watch: AsyncWatch) -> list[_Scan]:
    """The async lists of a steady refresh: one per non-terminal status, and the newest
    operations back to the newest already seen."""
    scans = [
        _Scan(
            f"{_ASYNC}:{status}",
            "async/operations",
            {"limit": PAGE_SIZE, "sort_by": "created_at_descending", "status": status},
            is_async=True,
        )
        for status in ACTIVE_STATUSES
    ]
    new = _Scan(
        f"{_ASYNC}:new",
        "async/operations",
        {"limit": INCREMENTAL_FIRST_PAGE, "sort_by": "created_at_descending"},
        is_async=True,
    )
    new.page_size = PAGE_SIZE
    new.created_floor = watch.created_floor()
    return [*scans, new]


def _created_before(floor: datetime) -> Callable[[Sequence[Any]], bool]:
    """A `paginate` stop: a page holding an item created before `floor`."""

    def stop(items: Sequence[Any]) -> bool:
        for item in items:
            created = timestamp(item, "created_at") if isinstance(item, dict) else None
            if created is not None and created < floor:
                return True
        return False

    return stop


def _sum_known(values: Sequence[int | None]) -> int | None:
    """The sum, or None if any part is unknown."""
    if any(value is None for value in values):
        return None
    return sum(value for value in values if value is not None)


def _single_status(
    query: ListQuery, statuses: Sequence[str], kind: JobKind
) -> tuple[str | None, str]:
    """The one raw status a query selects, if it selects exactly one (and which part)."""
    if query.status is not None:
        return (query.status, "status") if query.status in statuses else (None, "status")
    if len(query.states) == 1:
        matching = [s for s in statuses if map_state(ProviderName.ZOO, kind, s) in query.states]
        if len(matching) == 1:
            return matching[0], "states"
    return None, "states"


# --- parsing: async operations ------------------------------------------------------------


def parse_async_job(data: dict[str, Any], account: str) -> Job | None:
    """An async operation (list item or single GET) as a normalized job (None without an
    id or status)."""
    job_id = string_id(data, "id")
    status = status_word(data, "status")
    if job_id is None or status is None:
        return None
    state = map_state(ProviderName.ZOO, JobKind.ASYNC_OPERATION, status)
    completed = timestamp(data, "completed_at")
    return Job.from_server(
        account=account,
        provider=ProviderName.ZOO,
        kind=JobKind.ASYNC_OPERATION,
        id=job_id,
        name=_async_name(data) or job_id,
        status=status,
        state=state,
        created_at=timestamp(data, "created_at"),
        started_at=timestamp(data, "started_at"),
        finished_at=completed,
        updated_at=timestamp(data, "updated_at"),
        progress=1.0 if state is JobState.SUCCEEDED else None,
        error=label(data, "error") if state is JobState.FAILED else None,
    )


def _async_name(data: dict[str, Any]) -> str | None:
    """The exact label of an async operation: its prompt (text-to-CAD), else its type with
    the formats it converts between."""
    kind = label(data, "type")
    if kind and kind.startswith("text_to_cad"):
        return label(data, "prompt") or kind
    src, out = label(data, "src_format"), label(data, "output_format")
    if kind and src and out:
        return f"{kind} ({src} → {out})"
    if kind and src:
        return f"{kind} ({src})"
    return kind


def parse_async_detail(data: dict[str, Any], account: str) -> ZooAsyncDetail | None:
    """An `AsyncApiCallOutput` (any type) or list item as a detail with every per-type field."""
    job = parse_async_job(data, account)
    if job is None:
        return None
    kind = text(data, "type", 100)
    feedback = data.get("feedback")
    return ZooAsyncDetail(
        job=job,
        raw=finite_tree(data),
        type=kind,
        worker=text(data, "worker", 200),
        attempts=integer(data, "attempts"),
        user_id=ident(data, "user_id"),
        created_at=job.created_at,
        started_at=job.started_at,
        completed_at=job.finished_at,
        updated_at=job.updated_at,
        error=long_text(data, "error"),
        src_format=text(data, "src_format", 50),
        output_format=text(data, "output_format", 50),
        src_format_options=tree(data.get("src_format_options")),
        output_format_options=tree(data.get("output_format_options")),
        output_unit=text(data, "output_unit", 50),
        material_density=number(data, "material_density"),
        material_density_unit=text(data, "material_density_unit", 50),
        material_mass=number(data, "material_mass"),
        material_mass_unit=text(data, "material_mass_unit", 50),
        volume=number(data, "volume"),
        mass=number(data, "mass"),
        density=number(data, "density"),
        surface_area=number(data, "surface_area"),
        center_of_mass=_point(data.get("center_of_mass")),
        prompt=long_text(data, "prompt"),
        model=text(data, "model", 100),
        model_version=text(data, "model_version", 100),
        conversation_id=ident(data, "conversation_id"),
        code=long_text(data, "code"),
        kcl_version=text(data, "kcl_version", 100),
        feedback=clean(feedback, 100) if isinstance(feedback, str) else None,
        outputs=_output_files(
            data.get("outputs"), base64_values=kind != "text_to_cad_multi_file_iteration"
        ),
        input=tree(data.get("input")),
        output=tree(data.get("output")),
    )


def _point(value: Any) -> tuple[float | None, float | None, float | None] | None:
    if not isinstance(value, dict):
        return None
    return (number(value, "x"), number(value, "y"), number(value, "z"))


def _output_files(value: Any, *, base64_values: bool) -> tuple[ZooOutputFile, ...]:
    """(file name, decoded size) of each output; the contents are not kept."""
    if not isinstance(value, dict):
        return ()
    files = []
    for name, content in list(value.items())[:500]:
        size: int | None = None
        if isinstance(content, str):
            if base64_values:
                stripped = content.strip()
                size = len(stripped) * 3 // 4 - (len(stripped) - len(stripped.rstrip("=")))
            else:
                size = len(content.encode("utf-8", "replace"))
        files.append(ZooOutputFile(name=clean(name), size=size))
    return tuple(files)


# --- parsing: dataset conversions ----------------------------------------------------------


def phases_for(data: dict[str, Any]) -> tuple[str, ...]:
    """The phase list in force for a conversion payload.

    `manual_kcl_override` (a phase and a required field) came with the 12-phase list, as
    did the newer error statuses; without any of them it is the seed's 11-phase list.
    """
    status = data.get("status")
    if (
        "manual_kcl_override_active" in data
        or data.get("phase") == "manual_kcl_override"
        or status in _CURRENT_ONLY_STATUSES
    ):
        return ZOO_PHASES
    return ZOO_SEED_PHASES


def _flatten(data: dict[str, Any]) -> dict[str, Any]:
    """The 2025 detail shape `{conversion: {...}, output}` flattened like the current one."""
    inner = data.get("conversion")
    if isinstance(inner, dict) and "id" not in data:
        return {**inner, **{k: v for k, v in data.items() if k != "conversion"}}
    return data


def parse_conversion_job(
    data: dict[str, Any], account: str, dataset_id: str | None = None
) -> Job | None:
    """A dataset conversion summary (or details) as a normalized job (None without an id
    or status)."""
    data = _flatten(data)
    job_id = string_id(data, "id")
    status = status_word(data, "status")
    if job_id is None or status is None:
        return None
    state = map_state(ProviderName.ZOO, JobKind.DATASET_CONVERSION, status)
    phases = phases_for(data)
    phase = data.get("phase")
    progress = None
    if isinstance(phase, str) and phase in phases:
        progress = clamp_progress(phases.index(phase) / (len(phases) - 1))
    error = None
    if state is JobState.FAILED:
        error = label(data, "status_message") or STATUS_MEANINGS.get(status) or status
    return Job.from_server(
        account=account,
        provider=ProviderName.ZOO,
        kind=JobKind.DATASET_CONVERSION,
        id=job_id,
        name=label(data, "file_path") or job_id,
        status=status,
        state=state,
        created_at=timestamp(data, "created_at"),
        started_at=timestamp(data, "started_at"),
        finished_at=timestamp(data, "completed_at") if state.is_terminal else None,
        updated_at=timestamp(data, "updated_at"),
        progress=progress,
        error=error,
        parent_id=id_or(ident(data, "dataset_id"), dataset_id),
        phase=phase if isinstance(phase, str) and phase in phases else None,
    )


def parse_conversion_detail(
    data: dict[str, Any], account: str, dataset_id: str | None = None
) -> ZooConversionDetail | None:
    """`OrgDatasetFileConversionDetails` as a detail, snapshot images decoded."""
    flat = _flatten(data)
    job = parse_conversion_job(flat, account, dataset_id)
    if job is None:
        return None
    phases = phases_for(flat)
    phase = text(flat, "phase", 100)
    exact_phase = flat.get("phase")
    scores = tuple(
        (label, score)
        for label, key in (
            ("raw_kcl", "raw_kcl_similarity_score"),
            ("salon_kcl", "salon_kcl_similarity_score"),
        )
        if (score := number(flat, key)) is not None
    )
    metadata = mapping(flat, "metadata")
    return ZooConversionDetail(
        job=job,
        raw=finite_tree(data),
        dataset_id=job.parent_id,
        phase=phase,
        phase_index=phases.index(exact_phase) if exact_phase in phases else None,
        phases=phases,
        status_meaning=STATUS_MEANINGS.get(job.exact_text("status") or ""),
        status_message=long_text(flat, "status_message"),
        file_path=text(flat, "file_path", 2000),
        file_size=integer(flat, "file_size"),
        file_etag=text(flat, "file_etag", 200),
        scores=scores,
        metadata=tree(metadata) if metadata is not None else None,
        importer_version=text(flat, "importer_version", 100),
        completed_at=timestamp(flat, "completed_at"),
        manual_kcl_override_active=boolean(flat, "manual_kcl_override_active"),
        manual_kcl_override_updated_at=timestamp(flat, "manual_kcl_override_updated_at"),
        output=_kcl(flat, "output"),
        raw_kcl_output=_kcl(flat, "raw_kcl_output"),
        salon_kcl_output=_kcl(flat, "salon_kcl_output"),
        manual_kcl_override=_kcl(flat, "manual_kcl_override"),
        original_images=_images(flat.get("original_snapshot_images")),
        raw_kcl_images=_images(flat.get("raw_kcl_snapshot_images")),
        salon_kcl_images=_images(flat.get("salon_kcl_snapshot_images")),
    )


def _kcl(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return clean(value, 200_000) if isinstance(value, str) and value else None


def _images(value: Any) -> tuple[SnapshotImage, ...]:
    """Snapshot images decoded from base64; undecodable or oversized ones are dropped."""
    if not isinstance(value, list):
        return ()
    images = []
    for entry in value[:MAX_IMAGES]:
        if not isinstance(entry, dict):
            continue
        encoded = entry.get("data_base64")
        if not isinstance(encoded, str) or len(encoded) > MAX_IMAGE_BYTES * 4 // 3 + 4:
            continue
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        images.append(SnapshotImage(mime_type=text(entry, "mime_type", 100) or "", data=data))
    return tuple(images)


def parse_stats(data: dict[str, Any], dataset_id: str) -> ZooDatasetStats:
    """`OrgDatasetConversionStatsResponse`."""
    by_status = mapping(data, "by_status") or {}
    return ZooDatasetStats(
        dataset_id=id_or(ident(data, "dataset_id"), dataset_id),
        total=integer(data, "total"),
        successes=integer(data, "successes"),
        failures=integer(data, "failures"),
        by_status=tuple(
            (clean(name, 100), count)
            for name, count in by_status.items()
            if isinstance(count, int) and not isinstance(count, bool)
        ),
    )


__all__ = [
    "STATUS_MEANINGS",
    "ZooProvider",
    "parse_async_detail",
    "parse_async_job",
    "parse_conversion_detail",
    "parse_conversion_job",
    "parse_stats",
    "phases_for",
]
