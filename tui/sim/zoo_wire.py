"""The simulated Zoo's wire conventions: its published enums (the phase and dataset
status lists of the seed, 11 phases and 7 statuses, and of the current API, 12 and 10),
its time format, its error body and its auth (`WIRE`).

The simulator is the vendor's side: it keeps its own copy of the words, and a test holds
them equal to the Zoo provider's vocabulary (`tui.providers.zoo.vocabulary`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

# Zoo's phases are defined once, with the normalized model; the wire names them from there.
from tui.models import ZOO_PHASES as ZOO_PHASES
from tui.models import ZOO_SEED_PHASES as ZOO_SEED_PHASES
from tui.sim.api import Wire, bearer

ZOO_DATASET_STATUSES = (
    "queued",
    "in_progress",
    "success",
    "canceled",
    "error_user",
    "error_geometry_mismatch",
    "error_execution",
    "error_connection",
    "error_unsupported",
    "error_internal",
)
ZOO_DATASET_SEED_STATUSES = (
    "queued",
    "canceled",
    "in_progress",
    "success",
    "error_user",
    "error_unsupported",
    "error_internal",
)


def zoo_time(moment: datetime) -> str:
    """RFC 3339 with milliseconds and `Z`, as Zoo's docs show."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def error_body(status: int, message: str) -> dict[str, Any]:
    """Zoo's error body: the message, a request id, and an error code for a 5xx."""
    body: dict[str, Any] = {"message": message, "request_id": str(uuid.uuid4())}
    if status >= 500:
        body["error_code"] = "internal_api"
    return body


def call_id() -> dict[str, str]:
    """Every Zoo answer carries a call id."""
    return {"X-Api-Call-Id": str(uuid.uuid4())}


WIRE = Wire(error_body=error_body, credential=bearer, headers=call_id)
