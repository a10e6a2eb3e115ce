"""LettrLabs' status words and how they map to the normalized state.

LettrLabs documents no status values: these are the obvious words, matched lower-cased
with the spaces around them stripped, and an envelope's `hasErrors` counts as failure.
"""

from __future__ import annotations

from tui.models import JobKind, JobState

_WORDS = {
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

LETTRLABS_WORDS = tuple(_WORDS)
STATUSES = {JobKind.CONVERSION.value: LETTRLABS_WORDS}


def map_state(kind: str, status: object, *, has_errors: bool = False) -> JobState:
    """A LettrLabs status word as the normalized state; `has_errors` is a failure."""
    if has_errors:
        return JobState.FAILED
    word = status if isinstance(status, str) else ""
    return _WORDS.get(word.strip().lower(), JobState.UNKNOWN)
