"""LettrLabs: `GET /v1/conversions` and `GET /v1/conversions/{id}/status`, in their envelope.

Every answer is the envelope `{profile, payload, errors, hasErrors, warnings, hasWarnings,
metadata}`. The status values are undocumented: the obvious words map, anything else is
`unknown`, and `hasErrors` on a status answer counts as failure.

A failure's reason lives only in the status envelope's `errors`: the list's items are
status payloads (id, file name, source type, status, upload date) and its envelope's
`errors` are about the request. So a failed conversion first met in a full listing has its
status fetched once for the reason (a few per refresh, newest first); the sync engine keeps
a reason it knows while the listing brings none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar

from tui.accounts import AccountConfig
from tui.errors import NotFoundError
from tui.models import Job, JobKind, JobState, ProviderName
from tui.providers.base import Capabilities, ListQuery, ListResult
from tui.providers.fields import (
    boolean,
    finite_tree,
    ident,
    label,
    labels,
    mapping,
    parse_one,
    path,
    status_word,
    text,
    texts,
    timestamp,
    tree,
)
from tui.providers.http_provider import HttpProvider, gather_limited
from tui.providers.lettrlabs.details import LettrLabsDetail, LettrLabsProfile
from tui.providers.lettrlabs.vocabulary import map_state
from tui.providers.listing import (
    Streamed,
    StreamShapeError,
    cap_note,
    check_streamed,
    stream_items,
)

MAX_POLLED = 200
"""More active conversions than this: a full listing instead of one status call each."""
MAX_PROBES = 50
"""New conversion ids looked for one after another per refresh, at most."""
MAX_REASONS = 20
"""Failed conversions whose status is fetched for its reason, at most per refresh (newest
first; the others at the next refreshes)."""


_INTEGER = re.compile(r"-?[0-9]+")
"""A conversion id as the status endpoint takes it (the API's ids are integers)."""


class LettrLabsProvider(HttpProvider):
    """One LettrLabs account: the conversions list plus tracked conversion ids."""

    provider: ClassVar[ProviderName] = ProviderName.LETTRLABS
    capabilities = Capabilities(lists=True)

    def __init__(self, account: AccountConfig, **options: Any) -> None:
        """Args: as `HttpProvider` (transport, clock, policy)."""
        super().__init__(account, **options)
        self._full_every = account.full_listing_minutes * 60
        self._last_full: datetime | None = None
        self._active: set[str] = set()
        """Conversions that could still change at the last refresh."""
        self._newest = 0
        """The highest conversion id seen: new uploads are looked for after it."""
        self._reasons_asked: set[str] = set()
        """Failed conversions whose status was fetched for their reason already."""
        self._reasons_pending: list[str] = []
        """Failed conversions of the last full listing still to ask, newest first."""

    async def list_jobs(self, query: ListQuery) -> ListResult:
        """The conversions list, then the tracked ids it did not include, polled a few at once.

        The list has no paging or filter, so it is read whole (parsed element by element
        off the UI loop) at most every `full_listing_minutes`. In between, a refresh asks
        for the status of each conversion that could still change, and for the ids after
        the highest one seen (new uploads, while the ids count up); it is `incremental`.
        """
        now = self._clock()
        steady = (
            self._last_full is not None
            and (now - self._last_full).total_seconds() < self._full_every
            and len(self._active) <= MAX_POLLED
        )
        async with self._http.poll() as poll:
            jobs: dict[str, Job] = {}
            seen = unreadable = 0
            if steady:
                polled, failed = await gather_limited(
                    sorted(self._active), self._fetch, self._http.policy.concurrency
                )
                others = [e for e in failed.values() if not isinstance(e, NotFoundError)]
                if others:
                    raise others[0]
                if failed:
                    # An active conversion is gone: the whole list says what is left.
                    self._last_full = None
                    return await self.list_jobs(query)
                jobs.update((d.job.id, d.job) for d in polled.values())
                jobs.update((d.job.id, d.job) for d in await self._probe_new())
                jobs.update((d.job.id, d.job) for d in await self._reasons())
            else:
                streamed = await self._list_all()
                seen, unreadable = streamed.seen, streamed.malformed
                for job in streamed.items:
                    jobs.setdefault(job.id, job)
                jobs.update((d.job.id, d.job) for d in await self._reasons(jobs.values()))
            wanted = [
                i
                for i in dict.fromkeys([*self._tracked_config, *query.tracked_ids])
                if i not in query.skip_ids and i not in jobs
            ]
            details, errors = await gather_limited(
                wanted, self._fetch, self._http.policy.concurrency
            )
        if not steady:
            self._last_full = now
            self._active = set()
        for job in jobs.values():
            if job.state.is_terminal:
                self._active.discard(job.id)
            else:
                self._active.add(job.id)
            self._newest = max(self._newest, int(job.id))
        capped = seen > len(jobs)
        listed = len(jobs)
        for detail in details.values():
            jobs[detail.job.id] = detail.job
        return ListResult(
            unreadable=unreadable,
            jobs=list(jobs.values()),
            complete=not capped,
            incremental=steady,
            tracked_errors=errors,
            requests=poll.requests,
            loaded=len(jobs),
            note=cap_note(listed, seen, "conversions") if capped else None,
            capped=capped,
        )

    async def _list_all(self) -> Streamed[Job]:
        account, cap = self.account, self._http.policy.max_items

        def decode(body: bytes) -> Streamed[Job] | None:
            try:
                return stream_items(
                    body, lambda i: parse_status(i, account), key="payload", max_items=cap
                )
            except StreamShapeError:
                return None

        streamed: Streamed[Job] | None = await self._http.get_json(
            "v1/conversions", max_bytes=self._http.policy.max_list_bytes, decode=decode
        )
        if streamed is None:
            raise self._http.bad_shape("not the LettrLabs envelope")
        if not streamed.found:
            if streamed.rest.get("payload") is None and streamed.rest.get("hasErrors") is True:
                raise self._http.bad_shape(
                    "; ".join(texts(streamed.rest, "errors", 300)) or "hasErrors without a payload"
                )
            raise self._http.bad_shape("'payload' is not a list of conversions")
        check_streamed(self._http, streamed, "conversions")
        return streamed

    async def _reasons(self, listed: Iterable[Job] | None = None) -> list[LettrLabsDetail]:
        """The status of the newest failed conversions listed without a reason (the list
        carries none), `MAX_REASONS` per refresh, each asked once; one that cannot be
        fetched keeps its listed job (and is asked again later).

        Args:
            listed: A full listing's jobs: what is to be asked is taken from them anew.
        """
        if listed is not None:
            self._reasons_pending = sorted(
                (
                    job.id
                    for job in listed
                    if job.state is JobState.FAILED
                    and job.error is None
                    and job.id not in self._reasons_asked
                    and _INTEGER.fullmatch(job.id)
                ),
                key=int,
                reverse=True,
            )
        wanted = self._reasons_pending[:MAX_REASONS]
        del self._reasons_pending[:MAX_REASONS]
        if not wanted:
            return []
        found, failed = await gather_limited(wanted, self._fetch, self._http.policy.concurrency)
        self._reasons_asked.update(found)
        for job_id, error in failed.items():
            if isinstance(error, NotFoundError):
                self._reasons_asked.add(job_id)
            else:
                self._reasons_pending.append(job_id)
        return list(found.values())

    async def _probe_new(self) -> list[LettrLabsDetail]:
        """Conversions after the highest id seen, one by one until one is missing."""
        found: list[LettrLabsDetail] = []
        if self._newest <= 0:
            return found
        for next_id in range(self._newest + 1, self._newest + 1 + MAX_PROBES):
            try:
                found.append(await self._fetch(str(next_id)))
            except NotFoundError:
                break
        return found

    async def get_job(self, job_id: str, parent_id: str | None = None) -> LettrLabsDetail:
        """The status of conversion `job_id`, with errors, warnings, metadata and profile."""
        async with self._http.poll():
            return await self._fetch(job_id)

    async def _fetch(self, job_id: str) -> LettrLabsDetail:
        number = job_id.strip()
        if not _INTEGER.fullmatch(number):
            raise NotFoundError(
                f"LettrLabs conversion ids are numbers, and {job_id[:40]!r} is not one.",
                account=self.account,
            )
        body = await self._http.get_json(path("v1", "conversions", number, "status"))
        envelope = self._envelope(body)
        return parse_one(
            self._http,
            envelope,
            lambda e: parse_status_envelope(e, self.account, raw=body),
            "a conversion status",
        )

    def _envelope(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise self._http.bad_shape("not the LettrLabs envelope")
        return body


def parse_status(
    data: dict[str, Any], account: str, *, has_errors: bool = False, error: str | None = None
) -> Job | None:
    """One conversion payload as a normalized job (None without an id or status).

    Args:
        error: The exact error text (the envelope's errors), if the status has errors.
    """
    conversion_id = ident(data, "id")
    status = status_word(data, "status")
    if conversion_id is None or status is None:
        return None
    uploaded = timestamp(data, "uploadDate")
    return Job.from_server(
        account=account,
        provider=ProviderName.LETTRLABS,
        kind=JobKind.CONVERSION,
        id=conversion_id,
        name=label(data, "fileName") or f"conversion {conversion_id}",
        status=status,
        state=map_state(JobKind.CONVERSION, status, has_errors=has_errors),
        created_at=uploaded,
        updated_at=uploaded,
        error=error,
    )


def parse_status_envelope(
    envelope: dict[str, Any], account: str, raw: Any = None
) -> LettrLabsDetail | None:
    """The status envelope as a detail (None when its payload is not a conversion)."""
    payload = envelope.get("payload")
    if isinstance(payload, list) and payload and isinstance(payload[0], dict):
        payload = payload[0]
    if not isinstance(payload, dict):
        return None
    errors = texts(envelope, "errors")
    warnings = texts(envelope, "warnings")
    has_errors = boolean(envelope, "hasErrors")
    has_errors = bool(errors) if has_errors is None else has_errors
    has_warnings = boolean(envelope, "hasWarnings")
    has_warnings = bool(warnings) if has_warnings is None else has_warnings
    job = parse_status(
        payload,
        account,
        has_errors=has_errors,
        error=("; ".join(labels(envelope, "errors")) or "the status reports errors")
        if has_errors
        else None,
    )
    if job is None:
        return None
    metadata = mapping(envelope, "metadata")
    return LettrLabsDetail(
        job=job,
        raw=finite_tree(raw if raw is not None else envelope),
        file_name=text(payload, "fileName"),
        data_source_type=text(payload, "dataSourceType", 200),
        upload_date=timestamp(payload, "uploadDate"),
        errors=errors,
        warnings=warnings,
        has_errors=has_errors,
        has_warnings=has_warnings,
        metadata=tree(metadata) if metadata is not None else None,
        profile=_parse_profile(mapping(envelope, "profile")),
    )


def _parse_profile(data: dict[str, Any] | None) -> LettrLabsProfile | None:
    if data is None:
        return None
    return LettrLabsProfile(
        id=ident(data, "id"),
        email=text(data, "email", 320),
        first_name=text(data, "firstName", 200),
        last_name=text(data, "lastName", 200),
        company=text(data, "company", 200),
        created_at=timestamp(data, "created"),
    )


__all__ = ["LettrLabsProvider", "parse_status", "parse_status_envelope"]
