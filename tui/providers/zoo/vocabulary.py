"""Zoo's words: the status and phase lists of its two surfaces, their meanings, and how
each status maps to the normalized state.

Both the seed's enum sets (11 phases, 7 statuses) and the current ones (12 phases, 10
statuses) are known (the phase lists live in `tui.models`, which checks stored phases);
unknown values are `unknown`, and every `error_*` dataset status, including ones added
later, is a failure.
"""

from __future__ import annotations

from tui.models import ZOO_PHASES, ZOO_SEED_PHASES, JobKind, JobState

_ASYNC = {
    "queued": JobState.QUEUED,
    "uploaded": JobState.QUEUED,
    "in_progress": JobState.RUNNING,
    "completed": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
}
_DATASET = {
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

ZOO_ASYNC_STATUSES = tuple(_ASYNC)
ZOO_DATASET_STATUSES = tuple(_DATASET)
ZOO_DATASET_SEED_STATUSES = (
    "queued",
    "canceled",
    "in_progress",
    "success",
    "error_user",
    "error_unsupported",
    "error_internal",
)
CURRENT_ONLY_STATUSES = frozenset(
    {"error_geometry_mismatch", "error_execution", "error_connection"}
)
"""The dataset statuses the seed's set lacks."""

STATUS_MEANINGS: dict[str, str] = {
    "queued": "Pending conversion.",
    "in_progress": "The file is currently being converted.",
    "canceled": "The file will not be converted.",
    "success": "Conversion finished successfully.",
    "error_user": "Conversion failed because the file is broken, for example empty.",
    "error_geometry_mismatch": "The raw KCL geometry differs from the source beyond the threshold.",
    "error_execution": "The generated KCL failed to execute.",
    "error_connection": "A required service or connection was unavailable.",
    "error_unsupported": "No converter handles this file; retry with a new converter version.",
    "error_internal": "An unrecoverable internal error; retry with a new converter version.",
}
"""The documented meaning of each dataset conversion status (current and seed sets)."""

STATUSES = {
    JobKind.ASYNC_OPERATION.value: ZOO_ASYNC_STATUSES,
    JobKind.DATASET_CONVERSION.value: ZOO_DATASET_STATUSES,
}


def map_state(kind: str, status: object, *, has_errors: bool = False) -> JobState:
    """A Zoo status word as the normalized state; the dataset conversion surface has its
    own words, every other kind reads as an async operation."""
    word = status if isinstance(status, str) else ""
    if kind == JobKind.DATASET_CONVERSION:
        if word.startswith("error_"):
            return JobState.FAILED
        return _DATASET.get(word, JobState.UNKNOWN)
    return _ASYNC.get(word, JobState.UNKNOWN)


__all__ = [
    "CURRENT_ONLY_STATUSES",
    "STATUSES",
    "STATUS_MEANINGS",
    "ZOO_ASYNC_STATUSES",
    "ZOO_DATASET_SEED_STATUSES",
    "ZOO_DATASET_STATUSES",
    "ZOO_PHASES",
    "ZOO_SEED_PHASES",
    "map_state",
]
