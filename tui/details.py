"""Typed details: each provider's particulars beside the normalized job.

Every string here was cleaned where it entered (`tui.sanitize.clean`); structured values
(metadata, params, per-type options) went through `clean_tree`. The unmodified response
is kept only in `JobDetail.raw`, for the raw JSON view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tui.models import Job, JobDetail

# --- hdrjpg -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HdrjpgParameters:
    """The conversion parameters of one variant, as the API echoes them."""

    width: int | None = None
    height: int | None = None
    extrapolate: bool | None = None
    base_quality: int | None = None
    gainmap_quality: int | None = None
    quality: int | None = None
    on_sdr: str | None = None


@dataclass(frozen=True, slots=True)
class HdrjpgVariant:
    """One output file a conversion produces."""

    uuid: str
    status: str
    format: str | None = None
    created_at: datetime | None = None
    failed_at: datetime | None = None
    completed_at: datetime | None = None
    fail_descriptions: tuple[str, ...] = ()
    warning_descriptions: tuple[str, ...] = ()
    conversion_time: float | None = None
    """Seconds the variant took."""
    file_name: str | None = None
    output_file_name: str | None = None
    output_file_size: int | None = None
    """Bytes."""
    output_width: int | None = None
    output_height: int | None = None
    output_megapixels: float | None = None
    output_aspect_ratio: float | None = None
    output_compression_ratio: float | None = None
    parameters: HdrjpgParameters = field(default_factory=HdrjpgParameters)


@dataclass(frozen=True, slots=True)
class HdrjpgDetail(JobDetail):
    """An hdrjpg conversion with its step, timings, preview and variants."""

    step: str | None = None
    progress: float | None = None
    """0..1, from `progressPercentage`."""
    eta_seconds: float | None = None
    """`estimatedRemainingTime`."""
    conversion_time: float | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    failed_at: datetime | None = None
    delivered_at: datetime | None = None
    delivery_expires_at: datetime | None = None
    fail_descriptions: tuple[str, ...] = ()
    source_file_name: str | None = None
    blur_hash: str | None = None
    average_color: str | None = None
    """`#RRGGBB`, or None when absent or not a colour."""
    variants: tuple[HdrjpgVariant, ...] = ()


# --- Zoo --------------------------------------------------------------------------------


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


# --- Metafold ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Asset:
    """A Metafold asset attached to a job's inputs or outputs."""

    name: str
    """The key in the asset mapping (e.g. "mesh")."""
    id: str | None = None
    filename: str | None = None
    size: int | None = None
    checksum: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None
    project_id: str | None = None
    job_id: str | None = None


@dataclass(frozen=True, slots=True)
class Param:
    """A Metafold param: the text as sent, and its JSON value where it is JSON."""

    name: str
    text: str
    decoded_json: Any = None
    """The decoded value when `text` is JSON, else None."""

    @property
    def is_json(self) -> bool:
        """True when the text decoded as JSON."""
        return self.decoded_json is not None


@dataclass(frozen=True, slots=True)
class MetafoldIO:
    """The inputs or outputs of a job."""

    assets: tuple[Asset, ...] = ()
    params: tuple[Param, ...] = ()


@dataclass(frozen=True, slots=True)
class MetafoldDetail(JobDetail):
    """A Metafold project job with its assets, params and upstream jobs."""

    type: str | None = None
    project_id: str | None = None
    workflow_id: str | None = None
    inputs: MetafoldIO = field(default_factory=MetafoldIO)
    outputs: MetafoldIO = field(default_factory=MetafoldIO)
    needs: tuple[str, ...] = ()
    upstream: tuple[Job, ...] = ()
    """The jobs of `needs` that could be fetched."""


# --- LettrLabs --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LettrLabsProfile:
    """The account profile of the envelope (the aadId is kept out on purpose)."""

    id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LettrLabsDetail(JobDetail):
    """A LettrLabs conversion status with its envelope."""

    file_name: str | None = None
    data_source_type: str | None = None
    upload_date: datetime | None = None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    has_errors: bool = False
    has_warnings: bool = False
    metadata: dict[str, Any] | None = None
    profile: LettrLabsProfile | None = None
