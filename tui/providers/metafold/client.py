"""Metafold: project jobs, with `sort` and `q` pushed to the server.

Projects are discovered with `GET /projects` when the account says `projects = ["all"]`;
each project's `GET /projects/{pid}/jobs` is a bare array (no paging) and they are fetched
concurrently. Timestamps come as ISO 8601 or RFC 1123; params are strings that are often
JSON, decoded where they are.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime
from typing import Any, ClassVar

from tui.accounts import AccountConfig
from tui.errors import NotFoundError, ProviderError
from tui.models import Job, JobKind, ProviderName, utf8_text
from tui.providers.base import Capabilities, ListQuery, ListResult
from tui.providers.fields import (
    finite_tree,
    id_or,
    ident,
    integer,
    label,
    mapping,
    parse_one,
    path,
    require_id,
    status_word,
    string_id,
    text,
    timestamp,
    tree,
)
from tui.providers.http_provider import HttpProvider, gather_limited
from tui.providers.listing import (
    Streamed,
    StreamShapeError,
    cap_note,
    check_streamed,
    stream_items,
)
from tui.providers.metafold.details import Asset, MetafoldDetail, MetafoldIO, Param
from tui.providers.metafold.options import MetafoldOptions
from tui.providers.metafold.vocabulary import METAFOLD_STATES, map_state
from tui.sanitize import LONG_LIMIT, clean

_SORT_FIELDS = {
    "created_at": "created",
    "started_at": "started",
    "finished_at": "finished",
    "name": "name",
    "id": "id",
}
_SIMPLE_TEXT = re.compile(r"[A-Za-z0-9_.\-/]{1,100}")

ACTIVE_Q = "!state:success AND !state:failure AND !state:canceled"
"""`q` for the jobs that can still change (Metafold's `q`: `!` negates, `AND` joins)."""
MAX_ENDED_FETCHES = 200
"""More active jobs than this gone from the active list: a full listing instead."""


class MetafoldProvider(HttpProvider):
    """One Metafold account: the jobs of its projects."""

    provider: ClassVar[ProviderName] = ProviderName.METAFOLD
    capabilities = Capabilities(
        lists=True,
        server_filters=frozenset({"states", "status", "text"}),
        server_sorts=frozenset(_SORT_FIELDS),
    )

    def __init__(self, account: AccountConfig, **options: Any) -> None:
        """Args: as `HttpProvider` (transport, clock, policy)."""
        super().__init__(account, **options)
        own = account.options_as(MetafoldOptions)
        self._projects = own.projects
        self._project_of: dict[str, str] = {}
        """Which project a job id was last seen in (ids are unique across projects)."""
        self._full_every = account.full_listing_minutes * 60
        self._last_full: datetime | None = None
        """When the last full unfiltered listing was read (None: never)."""
        self._active: dict[str, str] = {}
        """Jobs that could still change at the last refresh: id -> project id."""

    async def list_jobs(self, query: ListQuery) -> ListResult:
        """Every watched project's jobs, fetched concurrently, with sort and q on the server.

        Metafold has no paging and no change feed, so a full listing moves the whole
        account. Between full listings (every `full_listing_minutes`), an unfiltered
        refresh asks each project only for the jobs that can still change (`q` on the
        non-terminal states) and fetches one by one the few it knew as active that left
        that list (they ended); it is `incremental`. A job created and ended between two
        refreshes shows at the next full listing.
        """
        params, applied = server_params(query)
        now = self._clock()
        steady = (
            not (query.states or query.status or query.text)
            and self._last_full is not None
            and (now - self._last_full).total_seconds() < self._full_every
        )
        if steady:
            params = {**params, "q": ACTIVE_Q}
        async with self._http.poll() as poll:
            projects = await self._project_ids()
            listed, errors = await gather_limited(
                projects, lambda pid: self._list_project(pid, params), self._http.policy.concurrency
            )
            if errors:
                raise next(iter(errors.values()))
            jobs: dict[str, Job] = {}
            seen = unreadable = 0
            for pid in projects:
                streamed = listed[pid]
                seen += streamed.seen
                unreadable += streamed.malformed
                for job in streamed.items:
                    if job.id not in jobs:
                        jobs[job.id] = job
                        self._project_of[job.id] = id_or(job.parent_id, pid)
            cap = self._http.policy.max_items
            capped = len(jobs) > cap or seen > sum(len(listed[p].items) for p in projects)
            if len(jobs) > cap:
                jobs = dict(list(jobs.items())[:cap])
            ended: dict[str, Job] = {}
            gone = [i for i in self._active if i not in jobs] if steady else []
            if len(gone) > MAX_ENDED_FETCHES:
                # Many ended at once: one full listing costs less than a GET for each.
                self._last_full = None
                return await self.list_jobs(query)
            if gone:
                ended, _ = await gather_limited(
                    gone,
                    lambda jid: self._fetch_job(jid, self._active.get(jid)),
                    self._http.policy.concurrency,
                )
            wanted = [
                i
                for i in dict.fromkeys([*self._tracked_config, *query.tracked_ids])
                if i not in query.skip_ids and i not in jobs and i not in ended
            ]
            tracked, tracked_errors = await gather_limited(
                wanted, self._fetch_job, self._http.policy.concurrency
            )
        listing = list(jobs.values())
        if not (query.states or query.status or query.text):
            if not steady:
                self._last_full = now
                self._active = {}
            for job in [*listing, *ended.values()]:
                if job.state.is_terminal:
                    self._active.pop(job.id, None)
                else:
                    self._active[job.id] = id_or(job.parent_id, self._project_of.get(job.id, ""))
        jobs.update(ended)
        for job in tracked.values():
            jobs[job.id] = job
        return ListResult(
            unreadable=unreadable,
            jobs=list(jobs.values()),
            applied=applied,
            complete=not capped,
            incremental=steady,
            tracked_errors=tracked_errors,
            requests=poll.requests,
            loaded=len(jobs),
            note=cap_note(min(len(listing), cap), seen, "jobs") if capped else None,
            capped=capped,
        )

    async def _list_project(self, pid: str, params: dict[str, str]) -> Streamed[Job]:
        """One project's job array, parsed element by element off the UI loop."""
        account, cap = self.account, self._http.policy.max_items

        def decode(body: bytes) -> Streamed[Job] | None:
            try:
                return stream_items(body, lambda i: parse_job(i, account, pid), max_items=cap)
            except StreamShapeError:
                return None

        streamed: Streamed[Job] | None = await self._http.get_json(
            path("projects", pid, "jobs"),
            params,
            max_bytes=self._http.policy.max_list_bytes,
            decode=decode,
        )
        if streamed is None:
            raise self._http.bad_shape(f"the jobs of project {pid} are not a list")
        check_streamed(self._http, streamed, "jobs")
        return streamed

    async def get_job(self, job_id: str, parent_id: str | None = None) -> MetafoldDetail:
        """One job with assets, decoded params and its `needs` resolved to upstream jobs."""
        async with self._http.poll():
            body, project_id = await self._find_job(job_id, parent_id)
            detail = parse_one(
                self._http, body, lambda b: parse_detail(b, self.account, project_id), "a job"
            )
            upstream_project = id_or(detail.project_id, project_id)
            upstream, _ = await gather_limited(
                list(detail.needs),
                lambda uid: self._fetch_job(uid, upstream_project),
                self._http.policy.concurrency,
            )
        return _with_upstream(detail, tuple(upstream.values()))

    async def _project_ids(self) -> list[str]:
        if tuple(self._projects) != ("all",):
            return list(dict.fromkeys(self._projects))
        body = await self._http.get_json("projects")
        if not isinstance(body, list):
            raise self._http.bad_shape("the project list is not a list")
        ids = list(
            dict.fromkeys(
                pid for p in body if isinstance(p, dict) and (pid := string_id(p, "id")) is not None
            )
        )
        if body and not ids:
            raise self._http.bad_shape("projects without a usable id")
        return ids

    async def _fetch_job(self, job_id: str, parent_id: str | None = None) -> Job:
        body, project_id = await self._find_job(job_id, parent_id)
        return parse_one(
            self._http, body, lambda b: parse_job(b, self.account, project_id), "a job"
        )

    async def _find_job(self, job_id: str, parent_id: str | None) -> tuple[dict[str, Any], str]:
        """GET the job from its project; without one, try each watched project."""
        require_id(job_id)
        candidates = [parent_id] if parent_id is not None else []
        known = self._project_of.get(job_id)
        if not candidates and known is not None:
            candidates = [known]
        if not candidates:
            candidates = await self._project_ids()
        last: ProviderError | None = None
        for project_id in candidates:
            try:
                body = await self._http.get_json(path("projects", project_id, "jobs", job_id))
            except NotFoundError as exc:
                last = exc
                continue
            if not isinstance(body, dict):
                raise self._http.bad_shape("a job that is not an object")
            self._project_of[job_id] = project_id
            return body, project_id
        raise last or NotFoundError(
            f"Metafold has no job {clean(job_id, 60)!r} in the watched projects.",
            account=self.account,
        )


def server_params(query: ListQuery) -> tuple[dict[str, str], frozenset[str]]:
    """`sort` and `q` for a query, and which parts of it they apply."""
    params: dict[str, str] = {}
    applied: set[str] = set()
    if query.sort_key in _SORT_FIELDS:
        params["sort"] = f"{_SORT_FIELDS[query.sort_key]}:{-1 if query.descending else 1}"
        applied.add("sort")
    terms: list[str] = []
    if query.status is not None:
        if query.status in METAFOLD_STATES:
            terms.append(f"state:{query.status}")
            applied.add("status")
    elif len(query.states) == 1:
        matching = [s for s in METAFOLD_STATES if map_state(JobKind.JOB, s) in query.states]
        if len(matching) == 1:
            terms.append(f"state:{matching[0]}")
            applied.add("states")
    if query.text and _SIMPLE_TEXT.fullmatch(query.text):
        terms.append(f"name:*{query.text}*")
        applied.add("text")
    if terms:
        params["q"] = " AND ".join(terms)
    return params, frozenset(applied)


def parse_job(data: dict[str, Any], account: str, project_id: str | None = None) -> Job | None:
    """One Metafold job as a normalized job (None without an id or status)."""
    job_id = string_id(data, "id")
    state = status_word(data, "state")
    if job_id is None or state is None:
        return None
    created = timestamp(data, "created")
    started = timestamp(data, "started")
    finished = timestamp(data, "finished")
    moments = [m for m in (created, started, finished) if m is not None]
    return Job.from_server(
        account=account,
        provider=ProviderName.METAFOLD,
        kind=JobKind.JOB,
        id=job_id,
        name=label(data, "name") or label(data, "type") or f"job {job_id}",
        status=state,
        state=map_state(JobKind.JOB, state),
        created_at=created,
        started_at=started,
        finished_at=finished,
        updated_at=max(moments) if moments else None,
        error=label(data, "error"),
        parent_id=id_or(ident(data, "project_id"), project_id),
    )


def parse_detail(
    data: dict[str, Any], account: str, project_id: str | None = None
) -> MetafoldDetail | None:
    """One job as a detail; `upstream` is left empty for the caller to resolve."""
    job = parse_job(data, account, project_id)
    if job is None:
        return None
    needs_raw = data.get("needs")
    needs = tuple(
        utf8_text(v) if isinstance(v, str) else str(v)
        for v in (needs_raw[:500] if isinstance(needs_raw, list) else [])
        if isinstance(v, str | int) and not isinstance(v, bool)
    )
    return MetafoldDetail(
        job=job,
        raw=finite_tree(data),
        type=text(data, "type", 200),
        project_id=job.parent_id,
        workflow_id=ident(data, "workflow_id"),
        inputs=_parse_io(mapping(data, "inputs")),
        outputs=_parse_io(mapping(data, "outputs")),
        needs=needs,
    )


def _with_upstream(detail: MetafoldDetail, upstream: tuple[Job, ...]) -> MetafoldDetail:
    return replace(detail, upstream=upstream)


def _parse_io(data: dict[str, Any] | None) -> MetafoldIO:
    if data is None:
        return MetafoldIO()
    assets_raw = mapping(data, "assets") or {}
    params_raw = mapping(data, "params") or {}
    assets = tuple(
        _parse_asset(clean(name, 200), value)
        for name, value in list(assets_raw.items())[:500]
        if isinstance(value, dict)
    )
    params = tuple(
        _parse_param(clean(name, 200), value) for name, value in list(params_raw.items())[:500]
    )
    return MetafoldIO(assets=assets, params=params)


def _parse_asset(name: str, data: dict[str, Any]) -> Asset:
    return Asset(
        name=name,
        id=ident(data, "id"),
        filename=text(data, "filename"),
        size=integer(data, "size"),
        checksum=text(data, "checksum", 200),
        created_at=timestamp(data, "created"),
        modified_at=timestamp(data, "modified"),
        project_id=ident(data, "project_id"),
        job_id=ident(data, "job_id"),
    )


def _parse_param(name: str, value: Any) -> Param:
    """A param value: JSON text is decoded, other text stays text."""
    if not isinstance(value, str):
        if value is None:
            return Param(name=name, text="null")
        value = tree(value)
        return Param(name=name, text=clean(json.dumps(value), LONG_LIMIT), decoded_json=value)
    decoded: Any = None
    stripped = value.strip()
    if stripped and len(stripped) <= 1_000_000:
        try:
            decoded = json.loads(stripped, parse_constant=lambda _: None)
        except (ValueError, RecursionError):
            decoded = None
    return Param(
        name=name,
        text=clean(value, LONG_LIMIT),
        decoded_json=tree(decoded) if decoded is not None else None,
    )


__all__ = ["MetafoldProvider", "parse_detail", "parse_job", "server_params"]
