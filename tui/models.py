"""The normalized job: the one model everything above the provider layer sees.

Frozen dataclasses, a `StrEnum` for the normalized state and timezone-aware datetimes
(docs/design.md §1). Each provider maps its own status words to `JobState` in its package
(`tui.providers.<name>.vocabulary`, reached through `tui.providers.registry.map_state`);
unknown values map to `JobState.UNKNOWN`, never to an exception. Zoo's phase words stay
here: a stored job's phase is checked against them, and the typical times follow them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_tz
from enum import StrEnum
from typing import Any

from tui.sanitize import DEFAULT_LIMIT, LONG_LIMIT, clean


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
    """The four built-in providers. A job's or an account's provider is any registered
    name (`tui.providers.registry`); the built-ins' are these members."""

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
"""The keys of a job in `--json` output, in order (docs/design.md §1)."""

TEXT_LIMITS = {"name": DEFAULT_LIMIT, "status": 100, "error": LONG_LIMIT}
"""The display texts of a job and the length each is cleaned to."""


@dataclass(frozen=True, slots=True)
class Job:
    """One job of one source, normalized.

    Ids are keys: `id` and `parent_id` hold the server's exact string (nothing stripped,
    cut or cleaned; "" and " " are ids like any other; only a lone surrogate becomes U+FFFD,
    see `utf8_text`), so every display must escape them (`tui.sanitize.one_line`), and
    requests percent-encode them.

    The display texts `name`, `status` and `error` are cleaned (`tui.sanitize.clean`, capped
    at `TEXT_LIMITS`), so they hold no control or bidi characters and the UI can draw them
    as they are. Where the server's text differs from its cleaned form, `exact` keeps the
    server's text by field name (None in the usual case, when none differs); `to_json` emits
    the exact texts, so `--json` and the store carry server strings unchanged. Build jobs
    from server texts with `from_server`, which does both.
    """

    account: str
    """The configured account (source) name."""
    provider: str
    """The registered provider name (a `ProviderName` member for the built-ins)."""
    kind: JobKind
    id: str
    """The provider's id, exactly as the server sent it (an integer id as its decimal text)."""
    name: str
    """The most useful human label: file name, job name, or type (cleaned)."""
    status: str
    """The provider's own status word, cleaned (the exact word is in `exact` if it differs)."""
    state: JobState
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime | None = None
    progress: float | None = None
    """0..1 where the provider says, else None; never NaN or infinite."""
    error: str | None = None
    parent_id: str | None = None
    """The container the id lives in: the Zoo dataset id or the Metafold project id (exact)."""
    phase: str | None = None
    """The step of its pipeline the job is at, where the provider names one from a known list
    (a Zoo conversion's `phase`); not a `--json` key, the store keeps it beside them."""
    exact: Mapping[str, str] | None = field(default=None, hash=False)
    """The server's exact text of `name`, `status` or `error` where it differs from the
    cleaned field; None when none differs."""

    @classmethod
    def from_server(
        cls,
        *,
        name: str,
        status: str,
        error: str | None = None,
        **fields: Any,
    ) -> Job:
        """A job from the server's exact texts: the display fields cleaned, `exact` kept.

        Args:
            name: The exact label (a server string, or one composed of server strings).
            status: The exact status word.
            error: The exact error text, if any.
            fields: Every other `Job` field except `exact`.
        """
        texts = {
            "name": utf8_text(name),
            "status": utf8_text(status),
            "error": None if error is None else utf8_text(error),
        }
        shown = {key: _shown(key, value) for key, value in texts.items()}
        differing = {
            key: value for key, value in texts.items() if value is not None and shown[key] != value
        }
        return cls(
            name=shown["name"] or "",
            status=shown["status"] or "",
            error=shown["error"],
            exact=differing or None,
            **fields,
        )

    def exact_text(self, key: str) -> str | None:
        """The server's exact `name`, `status` or `error` (the field itself when it was clean)."""
        if self.exact is not None and key in self.exact:
            return self.exact[key]
        value: str | None = getattr(self, key)
        return value

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

    def changed_since(self, threshold: datetime) -> bool:
        """True if the job last changed at or after `threshold` (`last_changed_at`); a job
        with no time at all is never recent. The dashboard's time window and the command
        line's `--since` both ask this."""
        changed = self.last_changed_at
        return changed is not None and changed >= threshold

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
        """The job as the `--json` object, with exactly the keys of `JSON_KEYS`.

        Strings are the server's exact ones (JSON escapes control characters); numbers are
        finite, so the object is valid strict JSON.
        """
        return {
            "account": self.account,
            "provider": str(self.provider),
            "kind": str(self.kind),
            "id": self.id,
            "name": self.exact_text("name"),
            "status": self.exact_text("status"),
            "state": str(self.state),
            "created_at": format_timestamp(self.created_at),
            "started_at": format_timestamp(self.started_at),
            "finished_at": format_timestamp(self.finished_at),
            "updated_at": format_timestamp(self.updated_at),
            "progress": clamp_progress(self.progress),
            "error": self.exact_text("error"),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], parent_id: str | None = None) -> Job:
        """Rebuild a job from `to_json` output (used by the store, which adds `phase`).

        The object is read like server input, since the store file may have been edited:
        texts are cleaned again (exact ones kept), times and progress are validated.

        Raises:
            ValueError: A key is missing or holds the wrong type.
        """
        try:
            account, job_id, name, status = (
                data["account"],
                data["id"],
                data["name"],
                data["status"],
            )
            provider = provider_name(data["provider"])
            kind = JobKind(data["kind"])
            state = JobState(data["state"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a stored job ({exc!r})") from None
        error = data.get("error")
        if not all(isinstance(v, str) for v in (account, job_id, name, status)):
            raise ValueError("a stored job's account, id, name and status must be text")
        if error is not None and not isinstance(error, str):
            raise ValueError("a stored job's error must be text")
        if parent_id is not None and not isinstance(parent_id, str):
            raise ValueError("a stored job's parent id must be text")
        return cls.from_server(
            account=clean(account),
            provider=provider,
            kind=kind,
            id=utf8_text(job_id),
            name=name,
            status=status,
            state=state,
            created_at=parse_timestamp(data.get("created_at")),
            started_at=parse_timestamp(data.get("started_at")),
            finished_at=parse_timestamp(data.get("finished_at")),
            updated_at=parse_timestamp(data.get("updated_at")),
            progress=clamp_progress(data.get("progress")),
            error=error,
            parent_id=parent_id,
            phase=_known_phase(data.get("phase")),
        )


def provider_name(value: object) -> str:
    """A stored provider name: the `ProviderName` member for a built-in, else the text.

    Raises:
        ValueError: It is not a non-empty string.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a provider name: {value!r}")
    try:
        return ProviderName(value)
    except ValueError:
        return value


def _known_phase(value: object) -> str | None:
    """A stored phase, if it is one of the known phase words (the store file may be edited)."""
    return value if isinstance(value, str) and value in ZOO_PHASES else None


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8_text(text: str) -> str:
    """`text` with each lone surrogate (a JSON `\\ud800` escape without its pair) replaced
    by U+FFFD: the only change made to an exact server string, since no UTF-8 output, file
    or database can hold one."""
    if text.isascii() or _LONE_SURROGATE.search(text) is None:
        return text
    return _LONE_SURROGATE.sub("\ufffd", text)


def _shown(key: str, value: str | None) -> str | None:
    """The display form of one of a job's texts."""
    return None if value is None else clean(value, TEXT_LIMITS[key])


@dataclass(frozen=True, slots=True)
class JobDetail:
    """A job with its provider-specific particulars.

    Providers subclass this (each in its package's `details`) with typed fields for their
    own surface.
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


@dataclass(frozen=True, slots=True)
class PhaseChange:
    """A job seen in a phase it was not seen in before: since when, and its state then."""

    account: str
    job_id: str
    provider: str
    kind: JobKind
    phase: str
    at: datetime
    state: JobState


def phase_change(job: Job, seen_at: datetime | None) -> PhaseChange | None:
    """`job` in its phase as a record (None without a phase, or without any time). Since
    when: its finish if it ended, else its `updated_at` (Zoo moves it as a conversion moves
    on), else `seen_at`."""
    at = (job.finished_at if job.state.is_terminal else None) or job.updated_at or seen_at
    if job.phase is None or at is None:
        return None
    return PhaseChange(job.account, job.id, job.provider, job.kind, job.phase, at, job.state)


# --- Zoo's phases ----------------------------------------------------------------------

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


# --- timestamps and numbers ------------------------------------------------------------

_ISO_FRACTION = re.compile(r"(\.\d+)")
_LEAP_SECOND = re.compile(r"(?<=[T ]\d\d:\d\d):60(?=\D|$)", re.IGNORECASE)
"""The seconds of a leap second (`23:59:60`), which `datetime` cannot hold."""


def parse_timestamp(value: object) -> datetime | None:
    """Parse an ISO 8601 (any offset) or RFC 1123 timestamp into an aware UTC datetime.

    Naive values are taken as UTC. Fractions finer than microseconds are truncated. A leap
    second (`23:59:60`) is read as the second after `:59`, as POSIX time counts it. A valid
    time whose UTC instant falls outside years 1-9999, and anything unparsable, give None,
    never an exception.
    """
    try:
        if isinstance(value, datetime):
            return _as_utc(value)
        if not isinstance(value, str):
            return None
        text = value.strip()
        if not text or len(text) > 64:
            return None
        if text[0].isascii() and text[0].isdigit():
            try:  # the common case, in C: a listing holds several per job
                parsed = datetime.fromisoformat(text)
            except ValueError:
                return _parse_iso(text)
            return parsed if parsed.tzinfo is UTC else _as_utc(parsed)
        return _parse_rfc1123(text)
    except (ValueError, OverflowError):
        return None


def _parse_iso(text: str) -> datetime:
    iso = text.replace(" ", "T", 1) if "T" not in text and "t" not in text else text
    iso = _ISO_FRACTION.sub(lambda m: m.group(1)[:7], iso, count=1)
    if iso.endswith(("Z", "z")):
        iso = iso[:-1] + "+00:00"
    iso, leap = _LEAP_SECOND.subn(":59", iso, count=1)
    parsed = _as_utc(datetime.fromisoformat(iso))
    return parsed + timedelta(seconds=1) if leap else parsed


def _parse_rfc1123(text: str) -> datetime:
    parts = parsedate_tz(text)
    if parts is None:
        raise ValueError("not an RFC 1123 date")
    year, month, day, hour, minute, second = parts[:6]
    leap = second == 60
    offset = parts[9]
    moment = datetime(year, month, day, hour, minute, 59 if leap else second, tzinfo=UTC)
    if offset:
        moment -= timedelta(seconds=offset)
    return moment + timedelta(seconds=1) if leap else moment


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
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat().replace("+00:00", "Z")


def clamp_progress(value: object) -> float | None:
    """A finite number clamped into 0..1, or None."""
    number = finite_number(value)
    return None if number is None else min(1.0, max(0.0, number))


def finite_number(value: object) -> float | None:
    """The value as a finite float, or None for anything else (NaN, inf, integers too large
    for a float, strings, bools)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None
