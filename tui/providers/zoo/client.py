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
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, ClassVar

from tui.accounts import AccountConfig
from tui.errors import AuthError, NotFoundError, ProviderError
from tui.models import Job, JobKind, ProviderName
from tui.providers.base import Capabilities, ListQuery, ListResult
from tui.providers.client import QueryValue
from tui.providers.fields import id_or, parse_one, path, require_id, string_id, timestamp
from tui.providers.http_provider import HttpProvider, gather_limited, tracked_failure
from tui.providers.listing import parse_off_loop
from tui.providers.zoo.async_watch import AsyncWatch
from tui.providers.zoo.details import ZooAsyncDetail, ZooConversionDetail, ZooDatasetStats
from tui.providers.zoo.options import ZooOptions
from tui.providers.zoo.parsing import (
    parse_async_detail,
    parse_async_job,
    parse_conversion_detail,
    parse_conversion_job,
    parse_stats,
)
from tui.providers.zoo.scans import (
    ASYNC_KEY,
    CHUNK_SECONDS,
    INCREMENTAL_FIRST_PAGE,
    PAGE_SIZE,
    Cursor,
    Scan,
    created_before,
    single_status,
    steady_async_scans,
)
from tui.providers.zoo.vocabulary import ZOO_ASYNC_STATUSES, ZOO_DATASET_STATUSES

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
        own = account.options_as(ZooOptions)
        self._list_async = own.async_operations == "list"
        self._datasets = own.datasets
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
            cursor = query.resume if isinstance(query.resume, Cursor) else None
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

    async def _start(self, query: ListQuery) -> Cursor:
        """A new listing: its surfaces and their query parameters."""
        started = self._clock()
        datasets = await self._dataset_ids()
        fresh = (
            self._last_full is not None
            and (started - self._last_full).total_seconds() < self._full_every
        )
        params, applied, incremental = self._conversion_params(query, fresh=fresh)
        scans = [
            Scan(dataset_id, path("org", "datasets", dataset_id, "conversions"), params)
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
                scans.extend(steady_async_scans(watch))
                applied_all.append(frozenset())
            else:
                async_params, async_applied = self._async_params(query)
                scans.append(Scan(ASYNC_KEY, "async/operations", async_params, is_async=True))
                applied_all.append(async_applied)
        status = params.get("filter")
        return Cursor(
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

    async def _all_stats(self, cursor: Cursor) -> None:
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

    async def _read_pages(self, cursor: Cursor, query: ListQuery, first: bool) -> list[Job]:
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
                stop = created_before(scan.created_floor)
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

    async def _finish_async(self, cursor: Cursor, jobs: list[Job]) -> list[Job]:
        """Once the async lists are read: the watch learns what they showed; in a steady
        refresh, the operations that left the active lists are fetched one by one."""
        async_scans = [scan for scan in cursor.scans if scan.is_async]
        if cursor.async_finished or not async_scans or any(not s.done for s in async_scans):
            return []
        cursor.async_finished = True
        watch = self._async_watch
        if not cursor.async_steady:
            if not cursor.unfiltered:
                return []
            if cursor.trimmed or any(scan.cut for scan in async_scans):
                watch.full_at = None  # a partial list cannot be watched: list all again
                return []
            watch.listed(
                cursor.async_active, (), cursor.async_newest, full=True, started=cursor.started
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
        watch.listed(
            cursor.async_active,
            cursor.async_ended,
            cursor.async_newest,
            full=False,
            started=cursor.started,
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
        status, which = single_status(query, ZOO_ASYNC_STATUSES, JobKind.ASYNC_OPERATION)
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
        status, which = single_status(query, ZOO_DATASET_STATUSES, JobKind.DATASET_CONVERSION)
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
