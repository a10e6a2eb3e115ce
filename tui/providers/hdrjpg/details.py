"""hdrjpg's detail: a conversion with its step, timings, preview and variants.

Every string was cleaned where it entered (`tui.sanitize.clean`); structured values
went through `clean_tree`. The unmodified response is kept only in `JobDetail.raw`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tui.models import JobDetail


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
