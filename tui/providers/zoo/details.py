"""Zoo's details: a dataset conversion (phases, outputs, snapshots) and an async
operation (its per-type fields).

Every string was cleaned where it entered (`tui.sanitize.clean`); structured values
went through `clean_tree`. The unmodified response is kept only in `JobDetail.raw`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tui.models import JobDetail


@dataclass(frozen=True, slots=True)
class SnapshotImage:
    """One decoded snapshot image of a dataset conversion."""

    mime_type: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        """Bytes of the decoded image."""
        return len(self.data)


@dataclass(frozen=True, slots=True)
class ZooDatasetStats:
    """`GET /org/datasets/{id}/stats`."""

    dataset_id: str
    total: int | None = None
    successes: int | None = None
    failures: int | None = None
    by_status: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class ZooConversionDetail(JobDetail):
    """A Zoo org dataset conversion with its phase stepper, outputs and snapshots."""

    dataset_id: str | None = None
    phase: str | None = None
    phase_index: int | None = None
    """Position of `phase` in `phases`, None for an unknown phase."""
    phases: tuple[str, ...] = ()
    """The phase list in force (the seed's 11 or the current 12)."""
    status_meaning: str | None = None
    """The documented meaning of the status, None for an unknown status."""
    status_message: str | None = None
    file_path: str | None = None
    file_size: int | None = None
    file_etag: str | None = None
    scores: tuple[tuple[str, float], ...] = ()
    """Similarity scores present: ("raw_kcl", 0.97), ("salon_kcl", 0.91)."""
    metadata: dict[str, Any] | None = None
    importer_version: str | None = None
    completed_at: datetime | None = None
    manual_kcl_override_active: bool | None = None
    manual_kcl_override_updated_at: datetime | None = None
    output: str | None = None
    raw_kcl_output: str | None = None
    salon_kcl_output: str | None = None
    manual_kcl_override: str | None = None
    original_images: tuple[SnapshotImage, ...] = ()
    raw_kcl_images: tuple[SnapshotImage, ...] = ()
    salon_kcl_images: tuple[SnapshotImage, ...] = ()
    stats: ZooDatasetStats | None = None


@dataclass(frozen=True, slots=True)
class ZooOutputFile:
    """An output file of an async operation: name and decoded size."""

    name: str
    size: int | None


@dataclass(frozen=True, slots=True)
class ZooAsyncDetail(JobDetail):
    """A Zoo async operation with its per-type fields."""

    type: str | None = None
    worker: str | None = None
    attempts: int | None = None
    user_id: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    updated_at: datetime | None = None
    error: str | None = None
    src_format: str | None = None
    output_format: str | None = None
    src_format_options: Any = None
    output_format_options: Any = None
    output_unit: str | None = None
    material_density: float | None = None
    material_density_unit: str | None = None
    material_mass: float | None = None
    material_mass_unit: str | None = None
    volume: float | None = None
    mass: float | None = None
    density: float | None = None
    surface_area: float | None = None
    center_of_mass: tuple[float | None, float | None, float | None] | None = None
    prompt: str | None = None
    model: str | None = None
    model_version: str | None = None
    conversation_id: str | None = None
    code: str | None = None
    kcl_version: str | None = None
    feedback: str | None = None
    outputs: tuple[ZooOutputFile, ...] = ()
    input: Any = None
    """The list endpoint's `input` (cleaned structure)."""
    output: Any = None
    """The list endpoint's `output` (cleaned structure)."""
