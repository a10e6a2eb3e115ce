"""Zoo's responses read into jobs and details: async operations (list items and single
GETs), dataset conversions (phases, outputs, snapshot images) and dataset stats.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from tui.models import Job, JobKind, JobState, ProviderName, clamp_progress
from tui.providers.fields import (
    boolean,
    finite_tree,
    id_or,
    ident,
    integer,
    label,
    long_text,
    mapping,
    number,
    status_word,
    string_id,
    text,
    timestamp,
    tree,
)
from tui.providers.zoo.details import (
    SnapshotImage,
    ZooAsyncDetail,
    ZooConversionDetail,
    ZooDatasetStats,
    ZooOutputFile,
)
from tui.providers.zoo.vocabulary import (
    CURRENT_ONLY_STATUSES,
    STATUS_MEANINGS,
    ZOO_PHASES,
    ZOO_SEED_PHASES,
    map_state,
)
from tui.sanitize import clean

MAX_IMAGES = 32
"""Snapshot images decoded per list."""
MAX_IMAGE_BYTES = 4 * 1024 * 1024


# --- parsing: async operations ------------------------------------------------------------


def parse_async_job(data: dict[str, Any], account: str) -> Job | None:
    """An async operation (list item or single GET) as a normalized job (None without an
    id or status)."""
    job_id = string_id(data, "id")
    status = status_word(data, "status")
    if job_id is None or status is None:
        return None
    state = map_state(JobKind.ASYNC_OPERATION, status)
    completed = timestamp(data, "completed_at")
    return Job.from_server(
        account=account,
        provider=ProviderName.ZOO,
        kind=JobKind.ASYNC_OPERATION,
        id=job_id,
        name=_async_name(data) or job_id,
        status=status,
        state=state,
        created_at=timestamp(data, "created_at"),
        started_at=timestamp(data, "started_at"),
        finished_at=completed,
        updated_at=timestamp(data, "updated_at"),
        progress=1.0 if state is JobState.SUCCEEDED else None,
        error=label(data, "error") if state is JobState.FAILED else None,
    )


def _async_name(data: dict[str, Any]) -> str | None:
    """The exact label of an async operation: its prompt (text-to-CAD), else its type with
    the formats it converts between."""
    kind = label(data, "type")
    if kind and kind.startswith("text_to_cad"):
        return label(data, "prompt") or kind
    src, out = label(data, "src_format"), label(data, "output_format")
    if kind and src and out:
        return f"{kind} ({src} → {out})"
    if kind and src:
        return f"{kind} ({src})"
    return kind


def parse_async_detail(data: dict[str, Any], account: str) -> ZooAsyncDetail | None:
    """An `AsyncApiCallOutput` (any type) or list item as a detail with every per-type field."""
    job = parse_async_job(data, account)
    if job is None:
        return None
    kind = text(data, "type", 100)
    feedback = data.get("feedback")
    return ZooAsyncDetail(
        job=job,
        raw=finite_tree(data),
        type=kind,
        worker=text(data, "worker", 200),
        attempts=integer(data, "attempts"),
        user_id=ident(data, "user_id"),
        created_at=job.created_at,
        started_at=job.started_at,
        completed_at=job.finished_at,
        updated_at=job.updated_at,
        error=long_text(data, "error"),
        src_format=text(data, "src_format", 50),
        output_format=text(data, "output_format", 50),
        src_format_options=tree(data.get("src_format_options")),
        output_format_options=tree(data.get("output_format_options")),
        output_unit=text(data, "output_unit", 50),
        material_density=number(data, "material_density"),
        material_density_unit=text(data, "material_density_unit", 50),
        material_mass=number(data, "material_mass"),
        material_mass_unit=text(data, "material_mass_unit", 50),
        volume=number(data, "volume"),
        mass=number(data, "mass"),
        density=number(data, "density"),
        surface_area=number(data, "surface_area"),
        center_of_mass=_point(data.get("center_of_mass")),
        prompt=long_text(data, "prompt"),
        model=text(data, "model", 100),
        model_version=text(data, "model_version", 100),
        conversation_id=ident(data, "conversation_id"),
        code=long_text(data, "code"),
        kcl_version=text(data, "kcl_version", 100),
        feedback=clean(feedback, 100) if isinstance(feedback, str) else None,
        outputs=_output_files(
            data.get("outputs"), base64_values=kind != "text_to_cad_multi_file_iteration"
        ),
        input=tree(data.get("input")),
        output=tree(data.get("output")),
    )


def _point(value: Any) -> tuple[float | None, float | None, float | None] | None:
    if not isinstance(value, dict):
        return None
    return (number(value, "x"), number(value, "y"), number(value, "z"))


def _output_files(value: Any, *, base64_values: bool) -> tuple[ZooOutputFile, ...]:
    """(file name, decoded size) of each output; the contents are not kept."""
    if not isinstance(value, dict):
        return ()
    files = []
    for name, content in list(value.items())[:500]:
        size: int | None = None
        if isinstance(content, str):
            if base64_values:
                stripped = content.strip()
                size = len(stripped) * 3 // 4 - (len(stripped) - len(stripped.rstrip("=")))
            else:
                size = len(content.encode("utf-8", "replace"))
        files.append(ZooOutputFile(name=clean(name), size=size))
    return tuple(files)


# --- parsing: dataset conversions ----------------------------------------------------------


def phases_for(data: dict[str, Any]) -> tuple[str, ...]:
    """The phase list in force for a conversion payload.

    `manual_kcl_override` (a phase and a required field) came with the 12-phase list, as
    did the newer error statuses; without any of them it is the seed's 11-phase list.
    """
    status = data.get("status")
    if (
        "manual_kcl_override_active" in data
        or data.get("phase") == "manual_kcl_override"
        or status in CURRENT_ONLY_STATUSES
    ):
        return ZOO_PHASES
    return ZOO_SEED_PHASES


def _flatten(data: dict[str, Any]) -> dict[str, Any]:
    """The 2025 detail shape `{conversion: {...}, output}` flattened like the current one."""
    inner = data.get("conversion")
    if isinstance(inner, dict) and "id" not in data:
        return {**inner, **{k: v for k, v in data.items() if k != "conversion"}}
    return data


def parse_conversion_job(
    data: dict[str, Any], account: str, dataset_id: str | None = None
) -> Job | None:
    """A dataset conversion summary (or details) as a normalized job (None without an id
    or status)."""
    data = _flatten(data)
    job_id = string_id(data, "id")
    status = status_word(data, "status")
    if job_id is None or status is None:
        return None
    state = map_state(JobKind.DATASET_CONVERSION, status)
    phases = phases_for(data)
    phase = data.get("phase")
    progress = None
    if isinstance(phase, str) and phase in phases:
        progress = clamp_progress(phases.index(phase) / (len(phases) - 1))
    error = None
    if state is JobState.FAILED:
        error = label(data, "status_message") or STATUS_MEANINGS.get(status) or status
    return Job.from_server(
        account=account,
        provider=ProviderName.ZOO,
        kind=JobKind.DATASET_CONVERSION,
        id=job_id,
        name=label(data, "file_path") or job_id,
        status=status,
        state=state,
        created_at=timestamp(data, "created_at"),
        started_at=timestamp(data, "started_at"),
        finished_at=timestamp(data, "completed_at") if state.is_terminal else None,
        updated_at=timestamp(data, "updated_at"),
        progress=progress,
        error=error,
        parent_id=id_or(ident(data, "dataset_id"), dataset_id),
        phase=phase if isinstance(phase, str) and phase in phases else None,
    )


def parse_conversion_detail(
    data: dict[str, Any], account: str, dataset_id: str | None = None
) -> ZooConversionDetail | None:
    """`OrgDatasetFileConversionDetails` as a detail, snapshot images decoded."""
    flat = _flatten(data)
    job = parse_conversion_job(flat, account, dataset_id)
    if job is None:
        return None
    phases = phases_for(flat)
    phase = text(flat, "phase", 100)
    exact_phase = flat.get("phase")
    scores = tuple(
        (label, score)
        for label, key in (
            ("raw_kcl", "raw_kcl_similarity_score"),
            ("salon_kcl", "salon_kcl_similarity_score"),
        )
        if (score := number(flat, key)) is not None
    )
    metadata = mapping(flat, "metadata")
    return ZooConversionDetail(
        job=job,
        raw=finite_tree(data),
        dataset_id=job.parent_id,
        phase=phase,
        phase_index=phases.index(exact_phase) if exact_phase in phases else None,
        phases=phases,
        status_meaning=STATUS_MEANINGS.get(job.exact_text("status") or ""),
        status_message=long_text(flat, "status_message"),
        file_path=text(flat, "file_path", 2000),
        file_size=integer(flat, "file_size"),
        file_etag=text(flat, "file_etag", 200),
        scores=scores,
        metadata=tree(metadata) if metadata is not None else None,
        importer_version=text(flat, "importer_version", 100),
        completed_at=timestamp(flat, "completed_at"),
        manual_kcl_override_active=boolean(flat, "manual_kcl_override_active"),
        manual_kcl_override_updated_at=timestamp(flat, "manual_kcl_override_updated_at"),
        output=_kcl(flat, "output"),
        raw_kcl_output=_kcl(flat, "raw_kcl_output"),
        salon_kcl_output=_kcl(flat, "salon_kcl_output"),
        manual_kcl_override=_kcl(flat, "manual_kcl_override"),
        original_images=_images(flat.get("original_snapshot_images")),
        raw_kcl_images=_images(flat.get("raw_kcl_snapshot_images")),
        salon_kcl_images=_images(flat.get("salon_kcl_snapshot_images")),
    )


def _kcl(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return clean(value, 200_000) if isinstance(value, str) and value else None


def _images(value: Any) -> tuple[SnapshotImage, ...]:
    """Snapshot images decoded from base64; undecodable or oversized ones are dropped."""
    if not isinstance(value, list):
        return ()
    images = []
    for entry in value[:MAX_IMAGES]:
        if not isinstance(entry, dict):
            continue
        encoded = entry.get("data_base64")
        if not isinstance(encoded, str) or len(encoded) > MAX_IMAGE_BYTES * 4 // 3 + 4:
            continue
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        images.append(SnapshotImage(mime_type=text(entry, "mime_type", 100) or "", data=data))
    return tuple(images)


def parse_stats(data: dict[str, Any], dataset_id: str) -> ZooDatasetStats:
    """`OrgDatasetConversionStatsResponse`."""
    by_status = mapping(data, "by_status") or {}
    return ZooDatasetStats(
        dataset_id=id_or(ident(data, "dataset_id"), dataset_id),
        total=integer(data, "total"),
        successes=integer(data, "successes"),
        failures=integer(data, "failures"),
        by_status=tuple(
            (clean(name, 100), count)
            for name, count in by_status.items()
            if isinstance(count, int) and not isinstance(count, bool)
        ),
    )
