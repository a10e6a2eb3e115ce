"""The simulated Zoo's published enums: the phase and dataset status lists of the seed
(11 phases, 7 statuses) and of the current API (12 phases, 10 statuses).

The simulator is the vendor's side: it keeps its own copy of the words, and a test holds
them equal to the Zoo provider's vocabulary (`tui.providers.zoo.vocabulary`).
"""

from __future__ import annotations

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
ZOO_SEED_PHASES = tuple(p for p in ZOO_PHASES if p != "manual_kcl_override")
"""The seed's list, before `manual_kcl_override` was inserted at index 4."""
