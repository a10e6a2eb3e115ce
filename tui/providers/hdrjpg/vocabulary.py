"""hdrjpg's conversion, step and variant statuses, and how a conversion's status maps to
the normalized state."""

from __future__ import annotations

from tui.models import JobKind, JobState

_STATUSES = {
    "Pending": JobState.QUEUED,
    "Running": JobState.RUNNING,
    "Ready": JobState.SUCCEEDED,
    "Delivered": JobState.SUCCEEDED,
    "Failed": JobState.FAILED,
    "Cancelled": JobState.CANCELED,
    "Deleted": JobState.CANCELED,
}

HDRJPG_STATUSES = tuple(_STATUSES)
HDRJPG_STEPS = ("Pending", "Priming", "Preparing", "Converting", "Finalizing")
HDRJPG_VARIANT_STATUSES = ("Pending", "Prepared", "Running", "Failed", "Skipped", "Completed")
STATUSES = {JobKind.CONVERSION.value: HDRJPG_STATUSES}


def map_state(kind: str, status: object, *, has_errors: bool = False) -> JobState:
    """An hdrjpg status as the normalized state (case matters, as the API spells them)."""
    return _STATUSES.get(status if isinstance(status, str) else "", JobState.UNKNOWN)
