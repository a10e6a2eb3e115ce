"""hdrjpg: tracked conversion uuids polled through `GET /status?conversionUuid=`.

hdrjpg has no list endpoint, so every job comes from a tracked uuid. Its SDK refuses to
poll one conversion faster than every 2 s; so does this provider: a uuid asked for sooner
is answered from the last fetch (kept per uuid, timed with the injected clock).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from tui.accounts import AccountConfig
from tui.models import Job, JobKind, ProviderName, clamp_progress
from tui.providers.base import Capabilities, ListQuery, ListResult
from tui.providers.fields import (
    boolean,
    finite_tree,
    ident,
    integer,
    label,
    labels,
    mapping,
    number,
    parse_one,
    status_word,
    string_id,
    text,
    texts,
    timestamp,
)
from tui.providers.hdrjpg.details import HdrjpgDetail, HdrjpgParameters, HdrjpgVariant
from tui.providers.hdrjpg.vocabulary import map_state
from tui.providers.http_provider import HttpProvider, gather_limited, tracked_failure

MIN_POLL_INTERVAL = 2.0
"""Seconds between two fetches of one conversion."""

_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")


class HdrjpgProvider(HttpProvider):
    """One hdrjpg account: polls tracked conversion uuids."""

    provider: ClassVar[ProviderName] = ProviderName.HDRJPG
    capabilities = Capabilities(lists=False, min_poll_interval=MIN_POLL_INTERVAL)

    def __init__(self, account: AccountConfig, **options: Any) -> None:
        """Args: as `HttpProvider` (transport, clock, policy)."""
        super().__init__(account, **options)
        self._cache: dict[str, tuple[datetime, HdrjpgDetail]] = {}

    async def list_jobs(self, query: ListQuery) -> ListResult:
        """Poll every tracked uuid (config and query) not in `skip_ids`, a few at once."""
        ids = [
            uuid
            for uuid in dict.fromkeys([*self._tracked_config, *query.tracked_ids])
            if uuid not in query.skip_ids
        ]
        self._forget_older_than(60.0)
        async with self._http.poll() as poll:
            details, errors = await gather_limited(ids, self._fetch, self._http.policy.concurrency)
        failure = tracked_failure(errors, len(ids))
        if failure is not None:
            raise failure
        return ListResult(
            jobs=[detail.job for detail in details.values()],
            tracked_errors=errors,
            requests=poll.requests,
        )

    async def get_job(self, job_id: str, parent_id: str | None = None) -> HdrjpgDetail:
        """The conversion `job_id` (from the last fetch if it is under 2 s old)."""
        async with self._http.poll():
            return await self._fetch(job_id)

    def _forget_older_than(self, seconds: float) -> None:
        """Drop cached conversions fetched longer ago than `seconds` (bounded memory)."""
        now = self._clock()
        stale = [u for u, (at, _) in self._cache.items() if (now - at).total_seconds() > seconds]
        for uuid in stale:
            del self._cache[uuid]

    async def _fetch(self, uuid: str) -> HdrjpgDetail:
        now = self._clock()
        cached = self._cache.get(uuid)
        if cached is not None and (now - cached[0]).total_seconds() < MIN_POLL_INTERVAL:
            return cached[1]
        body = await self._http.get_json("status", {"conversionUuid": uuid})
        conversion = _first_conversion(body)
        if conversion is None:
            raise self._http.bad_shape("no conversion in the 'conversions' wrapper")
        detail = parse_one(
            self._http,
            conversion,
            lambda c: parse_conversion(c, self.account, raw=body),
            "a conversion",
        )
        self._cache[uuid] = (self._clock(), detail)
        return detail


def _first_conversion(body: Any) -> dict[str, Any] | None:
    """The SDK takes the first element of `conversions` (an array or a uuid-keyed object)."""
    if not isinstance(body, dict):
        return None
    conversions = body.get("conversions")
    if isinstance(conversions, list):
        first = conversions[0] if conversions else None
    elif isinstance(conversions, dict):
        first = next(iter(conversions.values()), None) if "uuid" not in conversions else conversions
    elif "uuid" in body:
        first = body
    else:
        first = None
    return first if isinstance(first, dict) else None


def parse_conversion(data: dict[str, Any], account: str, raw: Any = None) -> HdrjpgDetail | None:
    """One conversion entity as a normalized job and its detail (None without a uuid or
    status)."""
    uuid = string_id(data, "uuid")
    status = status_word(data, "status")
    if uuid is None or status is None:
        return None
    fail_descriptions = texts(data, "failDescriptions")
    created = timestamp(data, "createdDate")
    started = timestamp(data, "startedDate")
    completed = timestamp(data, "completedDate")
    failed = timestamp(data, "failedDate")
    delivered = timestamp(data, "deliveredDate")
    percentage = number(data, "progressPercentage")
    progress = clamp_progress(percentage / 100) if percentage is not None else None
    moments = [m for m in (created, started, completed, failed, delivered) if m is not None]
    job = Job.from_server(
        account=account,
        provider=ProviderName.HDRJPG,
        kind=JobKind.CONVERSION,
        id=uuid,
        name=label(data, "sourceImageFileName") or uuid,
        status=status,
        state=map_state(JobKind.CONVERSION, status),
        created_at=created,
        started_at=started,
        finished_at=completed or failed,
        updated_at=max(moments) if moments else None,
        progress=progress,
        error="; ".join(labels(data, "failDescriptions")) or None,
    )
    color = text(data, "averageColor", 20)
    raw_variants = data.get("variants")
    if isinstance(raw_variants, dict):
        raw_variants = list(raw_variants.values())
    variants = tuple(
        variant
        for variant in (
            _parse_variant(v) for v in (raw_variants if isinstance(raw_variants, list) else [])
        )
        if variant is not None
    )
    return HdrjpgDetail(
        job=job,
        raw=finite_tree(raw if raw is not None else data),
        step=text(data, "step", 100),
        progress=progress,
        eta_seconds=number(data, "estimatedRemainingTime"),
        conversion_time=number(data, "conversionTime"),
        created_at=created,
        started_at=started,
        completed_at=completed,
        failed_at=failed,
        delivered_at=delivered,
        delivery_expires_at=timestamp(data, "deliveryExpirationDate"),
        fail_descriptions=fail_descriptions,
        source_file_name=text(data, "sourceImageFileName"),
        blur_hash=text(data, "blurHash", 200),
        average_color=color if color and _COLOR.fullmatch(color) else None,
        variants=variants,
    )


def _parse_variant(data: Any) -> HdrjpgVariant | None:
    if not isinstance(data, dict):
        return None
    params = mapping(data, "conversionParameters") or {}
    return HdrjpgVariant(
        uuid=ident(data, "uuid") or "",
        status=text(data, "status", 100) or "",
        format=text(data, "format", 100),
        created_at=timestamp(data, "createdDate"),
        failed_at=timestamp(data, "failedDate"),
        completed_at=timestamp(data, "completedDate"),
        fail_descriptions=texts(data, "failDescriptions"),
        warning_descriptions=texts(data, "warningDescriptions"),
        conversion_time=number(data, "conversionTime"),
        file_name=text(data, "fileName"),
        output_file_name=text(data, "outputImageFileName"),
        output_file_size=integer(data, "outputImageFileSize"),
        output_width=integer(data, "outputImageWidth"),
        output_height=integer(data, "outputImageHeight"),
        output_megapixels=number(data, "outputImageMegapixels"),
        output_aspect_ratio=number(data, "outputImageAspectRatio"),
        output_compression_ratio=number(data, "outputImageCompressionRatio"),
        parameters=HdrjpgParameters(
            width=integer(params, "width"),
            height=integer(params, "height"),
            extrapolate=boolean(params, "extrapolate"),
            base_quality=integer(params, "baseQuality"),
            gainmap_quality=integer(params, "gainmapQuality"),
            quality=integer(params, "quality"),
            on_sdr=text(params, "onSdr", 50),
        ),
    )


__all__ = ["MIN_POLL_INTERVAL", "HdrjpgProvider", "parse_conversion"]
