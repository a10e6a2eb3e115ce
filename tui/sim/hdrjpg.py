"""hdrjpg conversions: Pending -> Running (steps, progress, ETA) -> Ready/Failed.

hdrjpg has no list endpoint; clients poll `GET /status?conversionUuid=` for uuids they
track. Variants move through their own states (Pending, Prepared, Running, Completed,
Failed, Skipped) while the conversion converts them one after another.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tui.sim.api import Wire
from tui.sim.images import VARIANTS, photo_preview
from tui.sim.seeds import HDRJPG_SEED_UUID, seed
from tui.sim.world import (
    Timeline,
    WorldState,
    frac,
    h64,
    make_uuid,
    pick,
    spacing_for,
    uuid_index,
)


def iso_time(moment: datetime) -> str:
    """ISO 8601 with `+00:00` and whole seconds, as hdrjpg's docs show."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def error_body(status: int, message: str) -> dict[str, Any]:
    """hdrjpg's error body."""
    return {"errorDescription": message}


def api_key(headers: Mapping[str, str]) -> str:
    """The `api-key` header."""
    return headers.get("api-key", "")


WIRE = Wire(error_body=error_body, credential=api_key)

SALT = 0x4844
VARIANT_SALT = 0x4856
DAY_MS = 86_400_000
STEPS = ("Priming", "Preparing", "Converting", "Finalizing")
STEP_BOUNDS = (0.08, 0.22, 0.88, 1.0)
"""Fraction of the run at which each step ends."""
FORMATS = (
    ("jpeg-xt", ".jpg"),
    ("jpeg-xl", ".jxl"),
    ("avif", ".avif"),
    ("mp4", ".mp4"),
    ("jpeg", ".sdr.jpg"),
)
SOURCES = (
    "IMG_{n:04d}.heic",
    "sunset_pier_{n}.jpg",
    "render_{n:04d}.exr",
    "DSC{n:05d}.heic",
    "hdr_portrait_{n}.jpg",
)
FAILURES = (
    "The source image does not contain HDR information and onSdr is set to fail.",
    "Could not decode the source image: the HEIC container is corrupt.",
    "The source image exceeds the maximum of 100 megapixels.",
    "Encoding the gain map failed: out of memory while building the jpeg-xl variant.",
)
SKIP_WARNING = "The source image is not HDR; this variant was skipped (onSdr=skip)."


class HdrjpgWorld:
    """Generates hdrjpg conversions by index, as a pure function of the clock."""

    def __init__(self, state: WorldState) -> None:
        self.state = state
        n = state.jobs
        self.timeline = Timeline(
            seed=state.seed,
            salt=SALT,
            n=n,
            spacing_ms=spacing_for(n),
            arrival_ms=25_000,
            dmax_ms=200_000,
        )

    def uuid(self, index: int) -> str:
        """The uuid of conversion `index`."""
        return make_uuid(self.state.seed, SALT, index)

    def tracked_ids(self) -> list[str]:
        """The seed example plus the 24 newest conversions: what a demo would track."""
        visible = self.timeline.visible(self.state.now_ms())
        return [HDRJPG_SEED_UUID] + [self.uuid(i) for i in range(max(0, visible - 24), visible)]

    def lookup(self, text: str) -> dict[str, Any] | None:
        """The conversion entity for a uuid, or None if there is none (yet)."""
        if text.strip().lower() == HDRJPG_SEED_UUID:
            return seed("hdrjpg")
        index = uuid_index(self.state.seed, SALT, text.strip())
        now = self.state.now_ms()
        if index is None or index >= self.timeline.visible(now):
            return None
        return self.conversion(index, now)

    def conversion(self, index: int, now: int) -> dict[str, Any]:
        """Conversion `index` as it stands at `now` (ms since the epoch)."""
        st = self.state
        r = h64(st.seed, SALT, index)
        created = self.timeline.created_ms(index)
        queue = 2_000 + int(frac(r, 0) * 18_000)
        nvar = 1 + (r >> 16) % 3
        run = int((8_000 + frac(r, 20) * 40_000) * (0.6 + 0.4 * nvar))
        started = created + queue
        fate = frac(r, 36)
        failed = fate < 0.08
        cancelled = 0.08 <= fate < 0.10
        fail_at = 0.15 + frac(r, 44) * 0.8
        end = started + (int(run * fail_at) if failed else run)
        delivered_after = int(30_000 + frac(r, 52) * 600_000) if frac(r, 48) < 0.5 else None
        cancel_at = created + queue // 2
        number = 1000 + index
        source = pick(r, 8, SOURCES).format(n=number)
        blur, average = photo_preview(index % VARIANTS)
        status = "Pending"
        step: str | None = "Pending"
        progress, eta, elapsed = 0.0, int((queue + run) / 1000), 0.0
        dates: dict[str, int | None] = dict.fromkeys(
            ("started", "failed", "completed", "delivered", "expires")
        )
        f = 0.0
        if cancelled and now >= cancel_at:
            status, step = "Cancelled", None
        elif now >= started:
            dates["started"] = started
            f = min(1.0, (now - started) / run)
            if failed and now >= end:
                status, step, f = "Failed", None, fail_at
                dates["failed"] = end
                progress, eta = round(fail_at * 100, 1), 0
                elapsed = (end - started) / 1000
            elif not failed and now >= end:
                status, step, progress, eta = "Ready", None, 100.0, 0
                dates["completed"] = end
                dates["expires"] = end + 7 * DAY_MS
                elapsed = run / 1000
                if delivered_after is not None and now >= end + delivered_after:
                    status = "Delivered"
                    dates["delivered"] = end + delivered_after
            else:
                status = "Running"
                step = next(s for s, b in zip(STEPS, STEP_BOUNDS, strict=True) if f < b)
                progress = round(f * 100, 1)
                eta = max(1, int((run - (now - started)) / 1000))
                elapsed = (now - started) / 1000
        variants = [
            self._variant(index, v, nvar, r, created, started, run, now, status, f, failed, fail_at)
            for v in range(nvar)
        ]
        return {
            "uuid": self.uuid(index),
            "status": status,
            "step": step,
            "createdDate": iso_time(st.at(created)),
            "startedDate": _date(st, dates["started"]),
            "failedDate": _date(st, dates["failed"]),
            "failDescriptions": [pick(r, 56, FAILURES)] if status == "Failed" else None,
            "completedDate": _date(st, dates["completed"]),
            "deliveredDate": _date(st, dates["delivered"]),
            "deliveryExpirationDate": _date(st, dates["expires"]),
            "sourceImageFileName": source,
            "progressPercentage": progress,
            "conversionTime": round(elapsed, 1),
            "estimatedRemainingTime": 0 if status in ("Failed", "Cancelled") else eta,
            "blurHash": blur,
            "averageColor": average,
            "variants": variants,
        }

    def _variant(
        self,
        index: int,
        v: int,
        nvar: int,
        r: int,
        created: int,
        started: int,
        run: int,
        now: int,
        conv_status: str,
        f: float,
        failed: bool,
        fail_at: float,
    ) -> dict[str, Any]:
        st = self.state
        vr = h64(st.seed, VARIANT_SALT, index, v)
        fmt, ext = pick(vr, 0, FORMATS)
        width = pick(vr, 16, (1200, 1600, 2048, 3840, 800))
        height = int(width * 0.75)
        quality = pick(vr, 24, (80, 85, 90, 95))
        on_sdr = pick(vr, 32, ("fail", "fail", "skip", "continue"))
        begin = STEP_BOUNDS[1] + (STEP_BOUNDS[2] - STEP_BOUNDS[1]) * v / nvar
        finish = STEP_BOUNDS[1] + (STEP_BOUNDS[2] - STEP_BOUNDS[1]) * (v + 1) / nvar
        status = "Pending"
        failed_date = completed_date = None
        fails: list[str] | None = None
        warnings: list[str] | None = None
        vtime: float | None = None
        if conv_status == "Cancelled":
            status = "Skipped"
        elif conv_status != "Pending":
            if failed and fail_at <= f + 1e-9 and conv_status == "Failed":
                if fail_at < begin:
                    status = "Skipped"
                    warnings = ["Skipped because another variant failed."]
                elif fail_at < finish:
                    status = "Failed"
                    fails = [pick(r, 56, FAILURES)]
                    failed_date = started + int(run * fail_at)
                else:
                    status = "Completed"
                    completed_date = started + int(run * finish)
                    vtime = round(run * (finish - begin) / 1000, 2)
            elif f >= finish:
                if on_sdr == "skip" and (vr >> 40) % 4 == 0:
                    status = "Skipped"
                    warnings = [SKIP_WARNING]
                else:
                    status = "Completed"
                    completed_date = started + int(run * finish)
                    vtime = round(run * (finish - begin) / 1000, 2)
            elif f >= begin:
                status = "Running"
            elif f >= STEP_BOUNDS[0]:
                status = "Prepared"
        done = status == "Completed"
        size = int(width * height * (0.25 + frac(vr, 44) * 0.3))
        stem = pick(r, 8, SOURCES).format(n=1000 + index).rsplit(".", 1)[0]
        return {
            "uuid": make_uuid(st.seed, VARIANT_SALT, index * 8 + v),
            "status": status,
            "createdDate": iso_time(st.at(created)),
            "failedDate": _date(st, failed_date),
            "failDescriptions": fails,
            "warningDescriptions": warnings,
            "completedDate": _date(st, completed_date),
            "conversionTime": vtime,
            "fileName": None,
            "format": fmt,
            "outputImageFileName": f"{stem}_{width}q{quality}{ext}" if done else None,
            "outputImageFileSize": size if done else None,
            "outputImageWidth": width if done else None,
            "outputImageHeight": height if done else None,
            "outputImageMegapixels": round(width * height / 1e6, 2) if done else None,
            "outputImageAspectRatio": round(width / height, 6) if done else None,
            "outputImageCompressionRatio": round(width * height * 12 / size, 2) if done else None,
            "conversionParameters": {
                "width": width,
                "height": 0,
                "extrapolate": False,
                "baseQuality": quality,
                "gainmapQuality": quality if fmt == "jpeg-xt" else 0,
                "onSdr": on_sdr,
            },
        }


def _date(state: WorldState, rel: int | None) -> str | None:
    return None if rel is None else iso_time(state.at(rel))
