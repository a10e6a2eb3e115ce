"""Every seed payload parsed into the right normalized job and detail, field by field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui.models import JobKind, JobState, ProviderName
from tui.providers.hdrjpg import parse_conversion
from tui.providers.lettrlabs import parse_status_envelope
from tui.providers.metafold import parse_detail, parse_job
from tui.providers.zoo import (
    parse_async_detail,
    parse_async_job,
    parse_conversion_detail,
    parse_conversion_job,
)
from tui.providers.zoo.vocabulary import ZOO_PHASES, ZOO_SEED_PHASES

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def utc(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


def test_zoo_async_operation_seed() -> None:
    page = load("zoo_async_operations_page.json")
    item = page["items"][0]
    job = parse_async_job(item, "zoo-a")
    assert job is not None
    assert job.account == "zoo-a"
    assert job.provider is ProviderName.ZOO
    assert job.kind is JobKind.ASYNC_OPERATION
    assert job.id == "0ca1531a-ac9b-4e55-bff6-2ec246d5cc1d"
    assert job.name == "file_center_of_mass"
    assert job.status == "failed"
    assert job.state is JobState.FAILED
    assert job.created_at == utc(2024, 4, 29, 19, 58, 23, 472000)
    assert job.started_at == utc(2024, 4, 29, 19, 58, 23, 473000)
    assert job.finished_at == utc(2024, 4, 29, 19, 58, 23, 472000)
    assert job.updated_at == utc(2024, 4, 29, 19, 58, 23, 473000)
    assert job.error == "hgSg2J3xPWMTAvWTSpmcxyiSdKiZ"
    assert job.progress is None
    detail = parse_async_detail(item, "zoo-a")
    assert detail is not None
    assert detail.job == job
    assert detail.type == "file_center_of_mass"
    assert detail.worker == "WPVfuf6GvdhG6a7oMb"
    assert detail.user_id == "550908b9-1249-4b96-a0ad-5bbe9dde4395"
    assert detail.attempts is None
    assert detail.input == "{}" and detail.output == "{}"
    assert detail.raw is item


def test_zoo_async_per_type_fields() -> None:
    base = {
        "id": "11111111-1111-4111-8111-111111111111",
        "user_id": "u",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:01:00Z",
        "status": "completed",
    }
    conversion = parse_async_detail(
        {
            **base,
            "type": "file_conversion",
            "src_format": "step",
            "output_format": "stl",
            "output_format_options": {"type": "stl", "units": "mm"},
            "outputs": {"out/part.stl": "aGVsbG8=", "b.stl": "aGVsbG8gd29ybGQ="},
        },
        "z",
    )
    assert conversion is not None
    assert conversion.job.name == "file_conversion (step → stl)"
    assert conversion.job.progress == 1.0
    assert [(f.name, f.size) for f in conversion.outputs] == [("out/part.stl", 5), ("b.stl", 11)]
    assert conversion.output_format_options == {"type": "stl", "units": "mm"}
    com = parse_async_detail(
        {
            **base,
            "type": "file_center_of_mass",
            "src_format": "obj",
            "output_unit": "mm",
            "center_of_mass": {"x": 1.5, "y": -2, "z": 0},
        },
        "z",
    )
    assert com is not None and com.center_of_mass == (1.5, -2.0, 0.0) and com.output_unit == "mm"
    mass = parse_async_detail(
        {
            **base,
            "type": "file_mass",
            "src_format": "stl",
            "output_unit": "kg",
            "material_density": 7.8,
            "material_density_unit": "kg:m3",
            "mass": 12.25,
        },
        "z",
    )
    assert mass is not None
    assert (mass.mass, mass.material_density, mass.material_density_unit) == (12.25, 7.8, "kg:m3")
    for kind, key in (
        ("file_volume", "volume"),
        ("file_surface_area", "surface_area"),
        ("file_density", "density"),
    ):
        detail = parse_async_detail({**base, "type": kind, "src_format": "stl", key: 3.25}, "z")
        assert detail is not None and getattr(detail, key) == 3.25
    t2c = parse_async_detail(
        {
            **base,
            "type": "text_to_cad",
            "prompt": "a gear\nwith 12 teeth",
            "model": "kcl",
            "model_version": "v2",
            "code": "gear()",
            "output_format": "step",
            "conversation_id": "c-1",
            "feedback": "thumbs_up",
        },
        "z",
    )
    assert t2c is not None
    # the prompt as it is, cleaned; every display flattens it onto one line
    assert t2c.job.name == "a gear\nwith 12 teeth"
    assert (t2c.prompt, t2c.model, t2c.code, t2c.feedback) == (
        "a gear\nwith 12 teeth",
        "kcl",
        "gear()",
        "thumbs_up",
    )
    multi = parse_async_detail(
        {**base, "type": "text_to_cad_multi_file_iteration", "outputs": {"main.kcl": "abc"}}, "z"
    )
    assert multi is not None and multi.outputs[0].size == 3


def test_zoo_dataset_conversion_seed_enums() -> None:
    data = load("zoo_dataset_conversion_seed_enums.json")
    job = parse_conversion_job(data, "zoo-a")
    assert job is not None
    assert job.kind is JobKind.DATASET_CONVERSION
    assert job.id == "5f0c5a3e-2b1d-4c6e-9a8f-0d1e2f3a4b5c"
    assert job.parent_id == "a1b2c3d4-0000-4000-8000-000000000001"
    assert job.name == "parts/bracket.step"
    assert job.status == "in_progress" and job.state is JobState.RUNNING
    assert job.progress == 4 / 10  # convert_raw_kcl is index 4 of the seed's 0..10
    assert job.finished_at is None and job.error is None
    detail = parse_conversion_detail(data, "zoo-a")
    assert detail is not None
    assert detail.phases == ZOO_SEED_PHASES and len(detail.phases) == 11
    assert (detail.phase, detail.phase_index) == ("convert_raw_kcl", 4)
    assert detail.status_meaning == "The file is currently being converted."
    assert detail.file_size == 48213 and detail.importer_version == "1.4.2"
    assert detail.metadata == {"source": "cad-export", "units": "mm"}
    assert len(detail.original_images) == 1
    image = detail.original_images[0]
    assert image.mime_type == "image/png" and image.data.startswith(b"\x89PNG") and image.size > 20
    assert detail.raw_kcl_images == () and detail.salon_kcl_images == ()
    assert detail.scores == ()


def test_zoo_dataset_conversion_current_enums() -> None:
    data = load("zoo_dataset_conversion_current_enums.json")
    detail = parse_conversion_detail(data, "zoo-a")
    assert detail is not None
    assert detail.phases == ZOO_PHASES and len(detail.phases) == 12
    assert detail.phase_index == 4
    assert detail.job.progress == 4 / 11
    assert detail.job.state is JobState.FAILED
    assert detail.job.error == "raw KCL volume differs by 12%"
    assert detail.job.finished_at == utc(2026, 8, 2, 9)
    assert detail.scores == (("raw_kcl", 0.42),)
    assert detail.manual_kcl_override_active is True
    assert detail.manual_kcl_override == "// manual"
    assert detail.raw_kcl_output == "sketch001 = startSketchOn(XY)"
    assert len(detail.raw_kcl_images) == 2


def test_zoo_unknown_values_are_unknown_not_errors() -> None:
    data = dict(
        load("zoo_dataset_conversion_current_enums.json"),
        status="paused_by_admin",
        phase="quantum_phase",
    )
    detail = parse_conversion_detail(data, "z")
    assert detail is not None
    assert detail.job.state is JobState.UNKNOWN and detail.job.status == "paused_by_admin"
    assert detail.phase_index is None and detail.job.progress is None
    assert detail.status_meaning is None
    job = parse_async_job({"id": "x", "status": "cancelled", "type": "new_thing"}, "z")
    assert job is not None and job.state is JobState.UNKNOWN


def test_zoo_old_wrapped_detail_shape() -> None:
    inner = load("zoo_dataset_conversion_seed_enums.json")
    detail = parse_conversion_detail({"conversion": inner, "output": "kcl text"}, "z")
    assert detail is not None and detail.job.id == inner["id"] and detail.output == "kcl text"


def test_metafold_seed_job() -> None:
    data = load("metafold_job.json")
    job = parse_job(data, "mf")
    assert job is not None
    assert (job.id, job.name, job.status, job.state) == (
        "123",
        "sample-mesh",
        "success",
        JobState.SUCCEEDED,
    )
    assert job.kind is JobKind.JOB and job.provider is ProviderName.METAFOLD
    assert job.created_at == utc(2006, 1, 2, 22, 4, 5)
    assert job.started_at == utc(2006, 1, 2, 22, 4, 10)
    assert job.finished_at == utc(2006, 1, 2, 22, 4, 40)
    assert job.updated_at == job.finished_at
    assert job.parent_id == "123" and job.error is None
    detail = parse_detail(data, "mf")
    assert detail is not None
    assert detail.type == "implicit/from-mesh"
    assert detail.project_id == "123" and detail.workflow_id == "123"
    assert detail.needs == ("1", "2")
    mesh = detail.inputs.assets[0]
    assert (mesh.name, mesh.id, mesh.filename, mesh.size) == ("mesh", "1", "part.stl", 262144)
    assert (
        mesh.checksum == "sha256:2d063a84b13e5b23730a509cbb6ba42534acde451249a0b7409172a4f8814ef0"
    )
    assert mesh.created_at == utc(2006, 1, 2, 22, 4, 5) and mesh.modified_at == mesh.created_at
    assert detail.outputs.assets[0].filename == "18ac5faec0625a35.bin"
    (resolution,) = detail.inputs.params
    assert (resolution.name, resolution.text, resolution.decoded_json) == ("resolution", "256", 256)
    params = {p.name: p for p in detail.outputs.params}
    assert params["patch"].decoded_json == {
        "size": [2.0, 2.0, 2.0],
        "offset": [-1.0, -1.0, -1.0],
        "resolution": [256, 256, 256],
    }
    assert params["bounds"].decoded_json == {"min": [-1.0, -1.0, -1.0], "max": [1.0, 1.0, 1.0]}
    assert params["face_count"].decoded_json == 1000
    assert params["patch"].text.startswith('{"size"')


def test_metafold_rfc1123_and_text_params() -> None:
    data = dict(
        load("metafold_job.json"),
        created="Mon, 01 Jan 2024 00:00:00 GMT",
        started=None,
        finished=None,
        state="started",
        name=None,
    )
    data["inputs"] = {"assets": None, "params": {"mode": "fast and {loose", "flag": True}}
    detail = parse_detail(data, "mf")
    assert detail is not None
    assert detail.job.created_at == utc(2024, 1, 1)
    assert detail.job.started_at is None and detail.job.state is JobState.RUNNING
    assert detail.job.name == "implicit/from-mesh"
    params = {p.name: p for p in detail.inputs.params}
    assert params["mode"].text == "fast and {loose" and params["mode"].decoded_json is None
    assert params["flag"].decoded_json is True
    assert detail.inputs.assets == ()


def test_lettrlabs_seed_status() -> None:
    envelope = load("lettrlabs_status.json")
    detail = parse_status_envelope(envelope, "ll")
    assert detail is not None
    job = detail.job
    assert (job.id, job.name, job.status) == ("0", "string", "string")
    assert job.state is JobState.FAILED  # hasErrors: true counts as failure
    assert job.error == "string"
    assert job.created_at == utc(2019, 8, 24, 14, 15, 22)
    assert detail.file_name == "string" and detail.data_source_type == "string"
    assert detail.upload_date == utc(2019, 8, 24, 14, 15, 22)
    assert detail.errors == ("string",) and detail.warnings == ("string",)
    assert detail.has_errors is True and detail.has_warnings is True
    assert detail.metadata == {"property1": None, "property2": None}
    assert detail.profile is not None
    assert (detail.profile.company, detail.profile.email) == ("string", "string")
    assert "1cbad290" not in repr(detail.profile)  # no aadId kept


def test_lettrlabs_undocumented_status_is_unknown() -> None:
    envelope = dict(load("lettrlabs_status.json"), hasErrors=False, errors=[])
    envelope["payload"] = dict(envelope["payload"], status="Reticulating")
    detail = parse_status_envelope(envelope, "ll")
    assert detail is not None and detail.job.state is JobState.UNKNOWN and detail.job.error is None
    envelope["payload"] = dict(envelope["payload"], status="Processed")
    detail = parse_status_envelope(envelope, "ll")
    assert detail is not None and detail.job.state is JobState.SUCCEEDED


def test_hdrjpg_seed_conversion() -> None:
    data = load("hdrjpg_conversion.json")
    detail = parse_conversion(data, "hj")
    assert detail is not None
    job = detail.job
    assert job.id == "88667411-3fb9-4c92-8488-8e277aed3021"
    assert (job.name, job.status, job.state) == ("test.heic", "Pending", JobState.QUEUED)
    assert job.kind is JobKind.CONVERSION and job.provider is ProviderName.HDRJPG
    assert job.created_at == utc(2024, 10, 12, 7, 18, 40)
    assert job.started_at == utc(2024, 10, 12, 7, 19, 40)
    assert job.finished_at is None and job.error is None
    assert job.progress == 0.0 and job.updated_at == job.started_at
    assert detail.step is None and detail.eta_seconds == 0 and detail.conversion_time == 10
    assert detail.blur_hash == "elMj?o;JW3H1R%D%~AxfUCt7?bt7M{WBRkIBE2t1rcofWBayfRayf7"
    assert detail.average_color == "#9B9B9B"
    assert detail.delivery_expires_at is None and detail.fail_descriptions == ()
    (variant,) = detail.variants
    assert variant.uuid == "83b58e48-96bc-4a9c-be18-c0b737ef8bdc"
    assert (variant.status, variant.format) == ("Pending", "jpeg-xt")
    assert variant.output_file_name == "test_1200q80.jpg"
    assert variant.output_file_size == 844367
    assert (variant.output_width, variant.output_height) == (1600, 1200)
    assert variant.output_megapixels == 1.92
    assert variant.output_aspect_ratio == 1.333333
    assert variant.output_compression_ratio == 114.76
    assert variant.conversion_time is None and variant.file_name is None
    params = variant.parameters
    assert (params.width, params.height, params.extrapolate) == (100, 0, False)
    assert (params.base_quality, params.gainmap_quality, params.on_sdr) == (0, 0, "fail")


def test_hdrjpg_failed_with_step_and_delivery() -> None:
    data = dict(
        load("hdrjpg_conversion.json"),
        status="Failed",
        step="Priming",
        failedDate="2024-10-12T07:20:00+00:00",
        failDescriptions=["source is not HDR"],
        progressPercentage=250,
        averageColor="red; [bold]",
    )
    detail = parse_conversion(data, "hj")
    assert detail is not None
    assert detail.job.state is JobState.FAILED and detail.job.error == "source is not HDR"
    assert detail.job.finished_at == utc(2024, 10, 12, 7, 20)
    assert detail.step == "Priming" and detail.progress == 1.0
    assert detail.average_color is None


def test_strings_are_cleaned_at_ingest_raw_kept() -> None:
    hostile = "evil\x1b]52;c;aGk=\x07name\u202e[bold red]x\x9b"
    data = dict(
        load("hdrjpg_conversion.json"),
        sourceImageFileName=hostile,
        failDescriptions=["a\x00b" * 5000],
    )
    detail = parse_conversion(data, "hj")
    assert detail is not None
    assert detail.job.name == "evilname[bold red]x"
    assert detail.raw["sourceImageFileName"] == hostile
    assert detail.job.error is not None and len(detail.job.error) <= 10_000
    assert "\x00" not in detail.job.error


def test_separators_invisibles_and_lone_surrogates_are_cleaned_at_ingest() -> None:
    """Zero-width to Rich, drawn or a line break to a terminal; JSON `\\ud800` escapes."""
    hostile = json.loads(r'"a\u2028b\u2029c\u0085d\u00ade\u3164f\ufe0fg\udb40\udc41h\ud800"')
    data = dict(
        load("hdrjpg_conversion.json"), sourceImageFileName=hostile, failDescriptions=[hostile]
    )
    detail = parse_conversion(data, "hj")
    assert detail is not None
    assert detail.job.name == "a\nb\ncdefgh\ufffd"
    assert detail.raw["sourceImageFileName"] == hostile
    assert detail.job.error is not None and detail.job.error.encode()


def test_wrong_types_do_not_crash() -> None:
    job = parse_job(
        {"id": "7", "name": ["x"], "state": "mystery", "created": 12, "needs": "1"}, "mf"
    )
    assert (
        job is not None and job.id == "7" and job.name == "job 7" and job.state is JobState.UNKNOWN
    )
    assert job.created_at is None
    # an id or status of the wrong type makes the item unusable (the list reports it)
    assert parse_job({"id": 7, "state": "success"}, "mf") is None
    assert parse_job({"id": "7", "state": 3}, "mf") is None
    assert parse_conversion({"uuid": None, "status": "Pending"}, "hj") is None
    detail = parse_conversion(
        {"uuid": "u", "status": "Running", "variants": "nope", "progressPercentage": "50"}, "hj"
    )
    assert detail is not None and detail.variants == () and detail.progress is None
