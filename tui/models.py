"""The normalized job: the one model everything above the provider layer sees.

Frozen dataclasses, a `StrEnum` for the normalized state, timezone-aware datetimes, and
the mapping from every provider's own status words to `JobState` (product.md section 2).
Unknown status values map to `JobState.UNKNOWN`, never to an exception: providers add
values over time (Zoo grew from 7 to 10 conversion statuses).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any


class JobState(StrEnum):
    """Normalized life-cycle state shared by every provider."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        """True once the job can no longer change state."""
        return self in _TERMINAL_STATES

    @property
    def is_active(self) -> bool:
        """True while the job is waiting or running."""
        return self in (JobState.QUEUED, JobState.RUNNING)


_TERMINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELED})


class ProviderName(StrEnum):
    """The four supported providers."""

    ZOO = "zoo"
    METAFOLD = "metafold"
    LETTRLABS = "lettrlabs"
    HDRJPG = "hdrjpg"


class JobKind(StrEnum):
    """Which provider surface a job comes from."""

    ASYNC_OPERATION = "async_operation"
    DATASET_CONVERSION = "dataset_conversion"
    JOB = "job"
    CONVERSION = "conversion"


JSON_KEYS = (
    "account",
    "provider",
    "kind",
    "id",
    "name",
    "status",
    "state",
    "created_at",
    "started_at",
    "finished_at",
    "updated_at",
    "progress",
    "error",
)
"""The keys of a job in `--json` output, in order (product.md section 2)."""


@dataclass(frozen=True, slots=True)
class Job:
    """One job of one source, normalized.

    Every string field has already been cleaned at the provider boundary
    (`tui.sanitize.clean`), so it holds no control or bidi characters.
    """

    account: str
    """The configured account (source) name."""
    provider: ProviderName
    kind: JobKind
    id: str
    """The provider's id, as a string."""
    name: str
    """The most useful human label: file name, job name, or type."""
    status: str
    """The provider's own status word, unchanged apart from cleaning."""
    state: JobState
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime | None = None
    progress: float | None = None
    """0..1 where the provider says, else None."""
    error: str | None = None
    parent_id: str | None = None
    """The container the id lives in: the Zoo dataset id or the Metafold project id."""

    @property
    def key(self) -> tuple[str, str]:
        """The store key: (account, id)."""
        return (self.account, self.id)

    # The derived figures, defined once for the table, the detail and the command line.

    @property
    def is_finished(self) -> bool:
        """True once the job ended (succeeded, failed or canceled)."""
        return self.state.is_terminal

    @property
    def last_changed_at(self) -> datetime | None:
        """When the job last changed: finished, else updated, else created."""
        return self.finished_at or self.updated_at or self.created_at

    def age_seconds(self, now: datetime) -> float | None:
        """Seconds since the job was created, or None without a creation time."""
        return _seconds_between(self.created_at, now)

    def duration_seconds(self, now: datetime) -> float | None:
        """Run time: from its start to its finish, or to `now` while it runs.

        None when it never said it started or is still queued (time spent queued is not run
        time), and when it ended without saying when: no figure is made up from other
        timestamps.
        """
        if self.finished_at is not None:
            end = self.finished_at
        elif self.state == JobState.RUNNING:
            end = now
        else:
            return None
        return _seconds_between(self.started_at, end)

    def to_json(self) -> dict[str, Any]:
        """The job as the `--json` object, with exactly the keys of `JSON_KEYS`."""
        return {
            "account": self.account,
            "provider": str(self.provider),
            "kind": str(self.kind),
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "state": str(self.state),
            "created_at": format_timestamp(self.created_at),
            "started_at": format_timestamp(self.started_at),
            "finished_at": format_timestamp(self.finished_at),
            "updated_at": format_timestamp(self.updated_at),
            "progress": self.progress,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], parent_id: str | None = None) -> Job:
        """Rebuild a job from `to_json` output (used by the store)."""
        return cls(
            account=str(data["account"]),
            provider=ProviderName(data["provider"]),
            kind=JobKind(data["kind"]),
            id=str(data["id"]),
            name=str(data["name"]),
            status=str(data["status"]),
            state=JobState(data["state"]),
            created_at=parse_timestamp(data.get("created_at")),
            started_at=parse_timestamp(data.get("started_at")),
            finished_at=parse_timestamp(data.get("finished_at")),
            updated_at=parse_timestamp(data.get("updated_at")),
            progress=clamp_progress(data.get("progress")),
            error=data.get("error"),
            parent_id=parent_id,
        )


@dataclass(frozen=True, slots=True)
class JobDetail:
    """A job with its provider-specific particulars.

    Providers subclass this (see `tui.details`) with typed fields for their own surface.
    """

    job: Job
    raw: Any = field(default=None, compare=False)
    """The unmodified decoded JSON of the last response, for the raw view only."""


@dataclass(frozen=True, slots=True)
class Transition:
    """A recorded change of a job's normalized state."""

    account: str
    job_id: str
    old_state: JobState | None
    new_state: JobState
    status: str
    at: datetime


# --- state mapping ---------------------------------------------------------------------

_ZOO_ASYNC = {
    "queued": JobState.QUEUED,
    "uploaded": JobState.QUEUED,
    "in_progress": JobState.RUNNING,
    "completed": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
}
_ZOO_DATASET = {
    "queued": JobState.QUEUED,
    "in_progress": JobState.RUNNING,
    "success": JobState.SUCCEEDED,
    "canceled": JobState.CANCELED,
    # every error_* value, including ones added later, is a failure (see map_state)
    "error_user": JobState.FAILED,
    "error_geometry_mismatch": JobState.FAILED,
    "error_execution": JobState.FAILED,
    "error_connection": JobState.FAILED,
    "error_unsupported": JobState.FAILED,
    "error_internal": JobState.FAILED,
}
_METAFOLD = {
    "pending": JobState.QUEUED,
    "started": JobState.RUNNING,
    "success": JobState.SUCCEEDED,
    "failure": JobState.FAILED,
    "canceled": JobState.CANCELED,
}
_HDRJPG = {
    "Pending": JobState.QUEUED,
    "Running": JobState.RUNNING,
    "Ready": JobState.SUCCEEDED,
    "Delivered": JobState.SUCCEEDED,
    "Failed": JobState.FAILED,
    "Cancelled": JobState.CANCELED,
    "Deleted": JobState.CANCELED,
}
_LETTRLABS_WORDS = {
    # LettrLabs documents no status values; these are the obvious words, lower-cased.
    "pending": JobState.QUEUED,
    "queued": JobState.QUEUED,
    "received": JobState.QUEUED,
    "uploaded": JobState.QUEUED,
    "new": JobState.QUEUED,
    "processing": JobState.RUNNING,
    "running": JobState.RUNNING,
    "in progress": JobState.RUNNING,
    "in_progress": JobState.RUNNING,
    "inprogress": JobState.RUNNING,
    "validating": JobState.RUNNING,
    "matching": JobState.RUNNING,
    "completed": JobState.SUCCEEDED,
    "complete": JobState.SUCCEEDED,
    "processed": JobState.SUCCEEDED,
    "success": JobState.SUCCEEDED,
    "succeeded": JobState.SUCCEEDED,
    "done": JobState.SUCCEEDED,
    "matched": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
    "failure": JobState.FAILED,
    "error": JobState.FAILED,
    "errored": JobState.FAILED,
    "rejected": JobState.FAILED,
    "invalid": JobState.FAILED,
    "canceled": JobState.CANCELED,
    "cancelled": JobState.CANCELED,
    "deleted": JobState.CANCELED,
    "pending deletion": JobState.CANCELED,
    "pendingdeletion": JobState.CANCELED,
}

ZOO_ASYNC_STATUSES = tuple(_ZOO_ASYNC)
ZOO_DATASET_STATUSES = tuple(_ZOO_DATASET)
ZOO_DATASET_SEED_STATUSES = (
    "queued",
    "canceled",
    "in_progress",
    "success",
    "error_user",
    "error_unsupported",
    "error_internal",
)
METAFOLD_STATES = tuple(_METAFOLD)
HDRJPG_STATUSES = tuple(_HDRJPG)
HDRJPG_STEPS = ("Pending", "Priming", "Preparing", "Converting", "Finalizing")
HDRJPG_VARIANT_STATUSES = ("Pending", "Prepared", "Running", "Failed", "Skipped", "Completed")

ZOO_PHASES = (
    "queued",
    "zoo_generated_original_metadata",
    "snapshot_original",
    "user_provided_metadata",
    "manual_kcl_override",
    "convert_raw_kcl",
    "zoo_generated_raw_kcl_metadata",
    "snapshot_raw_kcl",
    "salon",
    "zoo_generated_salon_kcl_metadata",
    "snapshot_salon_kcl",
    "completed",
)
"""The current 12-phase list (index = position)."""
ZOO_SEED_PHASES = tuple(p for p in ZOO_PHASES if p != "manual_kcl_override")
"""The seed's 11-phase list, before `manual_kcl_override` was inserted at index 4."""


def map_state(
    provider: ProviderName | str,
    kind: JobKind | str,
    status: str | None,
    *,
    has_errors: bool = False,
) -> JobState:
    """Map a provider's own status word to the normalized state.

    Args:
        provider: The provider name.
        kind: The surface (Zoo has two with different words).
        status: The raw status value; None or unknown values give `UNKNOWN`.
        has_errors: LettrLabs' envelope flag; it counts as failure.

    Returns:
        The normalized state. Never raises.
    """
    if not isinstance(status, str):
        status = ""
    if provider == ProviderName.ZOO:
        if kind == JobKind.DATASET_CONVERSION:
            if status.startswith("error_"):
                return JobState.FAILED
            return _ZOO_DATASET.get(status, JobState.UNKNOWN)
        return _ZOO_ASYNC.get(status, JobState.UNKNOWN)
    if provider == ProviderName.METAFOLD:
        return _METAFOLD.get(status, JobState.UNKNOWN)
    if provider == ProviderName.HDRJPG:
        return _HDRJPG.get(status, JobState.UNKNOWN)
    if provider == ProviderName.LETTRLABS:
        if has_errors:
            return JobState.FAILED
        return _LETTRLABS_WORDS.get(status.strip().lower(), JobState.UNKNOWN)
    return JobState.UNKNOWN


# --- timestamps and numbers ------------------------------------------------------------

_ISO_FRACTION = re.compile(r"(\.\d+)")


def parse_timestamp(value: object) -> datetime | None:
    """Parse an ISO 8601 (any offset) or RFC 1123 timestamp into an aware UTC datetime.

    Naive values are taken as UTC. Fractions finer than microseconds are truncated.
    Anything unparsable gives None, never an exception.
    """
    if isinstance(value, datetime):
        return _as_utc(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 64:
        return None
    if text[0].isdigit():
        iso = text.replace(" ", "T", 1) if "T" not in text and " " in text else text
        iso = _ISO_FRACTION.sub(lambda m: m.group(1)[:7], iso, count=1)
        if iso.endswith(("Z", "z")):
            iso = iso[:-1] + "+00:00"
        try:
            return _as_utc(datetime.fromisoformat(iso))
        except ValueError:
            return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return _as_utc(parsed) if parsed is not None else None


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    """Seconds from `start` to `end`, or None if either is missing or out of range."""
    if start is None or end is None:
        return None
    try:
        return (_as_utc(end) - _as_utc(start)).total_seconds()
    except (OverflowError, ValueError):
        return None


def format_timestamp(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, or None."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def clamp_progress(value: object) -> float | None:
    """A finite number clamped into 0..1, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    return min(1.0, max(0.0, number))


def finite_number(value: object) -> float | None:
    """The value as a finite float, or None for anything else (NaN, inf, strings, bools)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
