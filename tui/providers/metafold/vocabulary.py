"""Metafold's job states and how each maps to the normalized state."""

from __future__ import annotations

from tui.models import JobKind, JobState

_STATES = {
    "pending": JobState.QUEUED,
    "started": JobState.RUNNING,
    "success": JobState.SUCCEEDED,
    "failure": JobState.FAILED,
    "canceled": JobState.CANCELED,
}

METAFOLD_STATES = tuple(_STATES)
STATUSES = {JobKind.JOB.value: METAFOLD_STATES}


def map_state(kind: str, status: object, *, has_errors: bool = False) -> JobState:
    """A Metafold state as the normalized state (`unknown` for any other value)."""
    return _STATES.get(status if isinstance(status, str) else "", JobState.UNKNOWN)
