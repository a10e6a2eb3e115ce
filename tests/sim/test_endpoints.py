"""Every endpoint, field by field, against the providers' documented fields, over loopback HTTP."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from tests.conftest import SEEDS_DIR
from tui.providers.hdrjpg.vocabulary import HDRJPG_STATUSES, HDRJPG_STEPS, HDRJPG_VARIANT_STATUSES
from tui.providers.metafold.vocabulary import METAFOLD_STATES
from tui.providers.zoo.vocabulary import ZOO_ASYNC_STATUSES, ZOO_DATASET_STATUSES, ZOO_PHASES
from tui.sim.server import SimServer

from .conftest import HEADERS, get

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ZOO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
HDR_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
RFC1123 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$"
)
SEEDS = SEEDS_DIR


def check_fields(obj: dict[str, Any], spec: dict[str, tuple[type, ...]]) -> None:
    """Every field in `spec` is present with one of its types; null is written as type(None)."""
    for name, types in spec.items():
        assert name in obj, f"missing {name}"
        assert isinstance(obj[name], types), f"{name}={obj[name]!r} is not {types}"
        if isinstance(obj[name], bool) and bool not in types:
            raise AssertionError(f"{name} is a bool")


S, INT, F, B, N, L, D = str, int, (int, float), bool, type(None), list, dict


def time_or_none(value: object, pattern: re.Pattern[str]) -> None:
    assert value is None or (isinstance(value, str) and pattern.match(value)), value


# -- auth ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("provider", "path", "shape"),
    [
        ("zoo", "/async/operations", {"message", "request_id"}),
        ("metafold", "/projects", {"code", "name", "description"}),
        (
            "lettrlabs",
            "/v1/conversions",
            {"profile", "payload", "errors", "hasErrors", "warnings", "hasWarnings", "metadata"},
        ),
        ("hdrjpg", "/status?conversionUuid=x", {"errorDescription"}),
    ],
)
def test_missing_credential_is_401_in_the_providers_shape(
    client: httpx.Client, provider: str, path: str, shape: set[str]
) -> None:
    r = client.get(f"/{provider}{path}")
    assert r.status_code == 401
    body = r.json()
    assert shape <= set(body)
    if provider == "metafold":
        assert body["code"] == 401 and body["name"] == "Unauthorized"
    if provider == "lettrlabs":
        assert body["hasErrors"] is True and body["errors"] and body["payload"] is None
    if provider == "zoo":
        assert r.headers["X-Api-Call-Id"]
    # the wrong header for this provider does not count either
    wrong = {"api-key": "x"} if provider != "hdrjpg" else {"Authorization": "Bearer x"}
    assert client.get(f"/{provider}{path}", headers=wrong).status_code == 401


def test_token_restricts_every_provider() -> None:
    with SimServer(jobs=10, token="s3cret") as sim, httpx.Client(base_url=sim.url) as c:
        assert (
            c.get("/zoo/org/datasets", headers={"Authorization": "Bearer nope"}).status_code == 401
        )
        assert (
            c.get("/zoo/org/datasets", headers={"Authorization": "Bearer s3cret"}).status_code
            == 200
        )
        assert (
            c.get("/lettrlabs/v1/conversions", headers={"X-API-KEY": "s3cret"}).status_code == 200
        )
        r = c.get("/hdrjpg/status", params={"conversionUuid": "x"}, headers={"api-key": "bad"})
        assert r.status_code == 401 and "errorDescription" in r.json()


@pytest.mark.parametrize(
    ("provider", "path", "status", "key"),
    [
        ("zoo", "/async/operations/00000000-0000-4000-8000-000000000000", 404, "message"),
        ("zoo", "/async/operations?limit=0", 400, "message"),
        ("zoo", "/async/operations?sort_by=sideways", 400, "message"),
        ("metafold", "/projects/999999/jobs", 404, "description"),
        ("metafold", "/projects/123/jobs?q=colour:red", 400, "description"),
        ("metafold", "/projects/123/jobs?sort=size:1", 400, "description"),
        ("lettrlabs", "/v1/conversions/99999999/status", 404, "errors"),
        ("lettrlabs", "/v1/conversions/abc/status", 400, "errors"),
        ("hdrjpg", "/status", 400, "errorDescription"),
        (
            "hdrjpg",
            "/status?conversionUuid=00000000-0000-4000-8000-000000000000",
            404,
            "errorDescription",
        ),
        ("hdrjpg", "/nowhere", 404, "errorDescription"),
    ],
)
def test_errors_use_the_providers_shape(
    client: httpx.Client, provider: str, path: str, status: int, key: str
) -> None:
    r = client.get(f"/{provider}{path}", headers=HEADERS[provider])
    assert r.status_code == status
    assert key in r.json()
    if provider == "metafold":
        assert r.json()["code"] == status


# -- seeds ----------------------------------------------------------------------------------
def _seed_json(name_part: str, start: str, end_marker: str | None = None) -> Any:
    text = next(p for p in SEEDS.glob("*.txt") if name_part in p.read_text()).read_text()
    at = text.index(start)
    return json.JSONDecoder().raw_decode(text[at:])[0]


def test_seed_examples_served_verbatim(client: httpx.Client) -> None:
    hdr = get(
        client, "hdrjpg", "/status", conversionUuid="88667411-3fb9-4c92-8488-8e277aed3021"
    ).json()
    conv = hdr["conversions"][0]
    text = next(p for p in SEEDS.glob("*.txt") if "88667411" in p.read_text()).read_text()
    assert isinstance(conv["variants"], list) and len(conv["variants"]) == 1
    for key in (
        "uuid",
        "status",
        "createdDate",
        "startedDate",
        "sourceImageFileName",
        "blurHash",
        "averageColor",
    ):
        assert (
            f'"{key}": {json.dumps(conv[key])}' in text
            or f'"{key}": {json.dumps(conv[key])} ,' in text
        )
    variant = conv["variants"][0]
    seed_variant = json.JSONDecoder().raw_decode(text[text.index('{\n"uuid": "83b58e48') :])[0]
    assert variant == seed_variant

    mf = get(client, "metafold", "/projects/123/jobs/123").json()
    assert mf == _seed_json("sample-mesh", '{\n  "id": "123"')
    zoo_op = get(client, "zoo", "/async/operations/0ca1531a-ac9b-4e55-bff6-2ec246d5cc1d").json()
    listed = _seed_json("0ca1531a", '{\n  "items"')["items"][0]
    assert zoo_op == listed
    ll = get(client, "lettrlabs", "/v1/conversions/0/status").json()
    assert ll == _seed_json("aadId", '{ "profile"')
    # the seed job's upstream jobs exist and succeeded
    for jid in ("1", "2"):
        up = get(client, "metafold", f"/projects/123/jobs/{jid}").json()
        assert up["state"] == "success" and up["project_id"] == "123"


# -- hdrjpg ------------------------------------------------------------------------------------
def test_hdrjpg_conversion_fields(sim: SimServer, client: httpx.Client) -> None:
    seen_status = set()
    for ident in sim.tracked_ids()["hdrjpg"][1:]:
        r = get(client, "hdrjpg", "/status", conversionUuid=ident)
        assert r.status_code == 200
        body = r.json()
        assert list(body) == ["conversions"] and len(body["conversions"]) == 1
        c = body["conversions"][0]
        check_fields(
            c,
            {
                "uuid": (S,),
                "status": (S,),
                "step": (S, N),
                "createdDate": (S,),
                "startedDate": (S, N),
                "failedDate": (S, N),
                "failDescriptions": (L, N),
                "completedDate": (S, N),
                "deliveredDate": (S, N),
                "deliveryExpirationDate": (S, N),
                "sourceImageFileName": (S,),
                "progressPercentage": F,
                "conversionTime": F,
                "estimatedRemainingTime": (INT,),
                "blurHash": (S, N),
                "averageColor": (S, N),
                "variants": (L,),
            },
        )
        assert c["uuid"] == ident and UUID.match(ident)
        assert c["status"] in HDRJPG_STATUSES
        assert c["step"] is None or c["step"] in HDRJPG_STEPS
        assert (c["step"] is not None) == (c["status"] in ("Pending", "Running"))
        for key in (
            "createdDate",
            "startedDate",
            "failedDate",
            "completedDate",
            "deliveredDate",
            "deliveryExpirationDate",
        ):
            time_or_none(c[key], HDR_TIME)
        assert 0 <= c["progressPercentage"] <= 100
        assert re.match(r"^#[0-9A-F]{6}$", c["averageColor"])
        if c["status"] == "Failed":
            assert c["failDescriptions"] and all(isinstance(s, str) for s in c["failDescriptions"])
        if c["status"] in ("Ready", "Delivered"):
            assert c["deliveryExpirationDate"] and c["completedDate"]
        seen_status.add(c["status"])
        for v in c["variants"]:
            check_fields(
                v,
                {
                    "uuid": (S,),
                    "status": (S,),
                    "createdDate": (S,),
                    "failedDate": (S, N),
                    "failDescriptions": (L, N),
                    "warningDescriptions": (L, N),
                    "completedDate": (S, N),
                    "conversionTime": (*F, N),
                    "fileName": (S, N),
                    "format": (S,),
                    "outputImageFileName": (S, N),
                    "outputImageFileSize": (INT, N),
                    "outputImageWidth": (INT, N),
                    "outputImageHeight": (INT, N),
                    "outputImageMegapixels": (*F, N),
                    "outputImageAspectRatio": (*F, N),
                    "outputImageCompressionRatio": (*F, N),
                    "conversionParameters": (D,),
                },
            )
            assert v["status"] in HDRJPG_VARIANT_STATUSES
            assert v["format"] in ("jpeg-xt", "jpeg-xl", "avif", "mp4", "jpeg")
            check_fields(
                v["conversionParameters"],
                {
                    "width": (INT,),
                    "height": (INT,),
                    "extrapolate": (B,),
                    "baseQuality": (INT,),
                    "gainmapQuality": (INT,),
                    "onSdr": (S,),
                },
            )
            assert v["conversionParameters"]["onSdr"] in ("fail", "skip", "continue")
            if v["status"] == "Completed":
                assert v["outputImageFileSize"] > 0 and v["completedDate"]
    assert len(seen_status) >= 2


# -- Metafold -----------------------------------------------------------------------------------
JOB_FIELDS = {
    "id": (S,),
    "name": (S, N),
    "type": (S,),
    "state": (S,),
    "created": (S,),
    "started": (S, N),
    "finished": (S, N),
    "error": (S, N),
    "inputs": (D,),
    "outputs": (D,),
    "needs": (L,),
    "project_id": (S,),
    "workflow_id": (S, N),
    "parameters": (D,),
    "meta": (D, N),
}


def test_metafold_projects_and_jobs(client: httpx.Client) -> None:
    projects = get(client, "metafold", "/projects").json()
    assert isinstance(projects, list) and len(projects) >= 4
    ids = [p["id"] for p in projects]
    assert ids == sorted(ids, key=int, reverse=True)  # default: descending by id
    for p in projects:
        check_fields(
            p,
            {
                "id": (S,),
                "user": (S,),
                "name": (S,),
                "access": (S,),
                "created": (S,),
                "modified": (S,),
            },
        )
        assert p["access"] in ("private", "public", "org")
    all_ids: set[str] = set()
    for pid in ids:
        jobs = get(client, "metafold", f"/projects/{pid}/jobs").json()
        assert isinstance(jobs, list) and jobs
        assert [j["id"] for j in jobs] == sorted((j["id"] for j in jobs), key=int, reverse=True)
        for j in jobs:
            if pid == "123" and j["id"] == "123":
                # the seed example, verbatim: it omits error, parameters and meta
                check_fields(
                    j,
                    {
                        k: v
                        for k, v in JOB_FIELDS.items()
                        if k not in ("error", "parameters", "meta")
                    },
                )
                continue
            check_fields(j, JOB_FIELDS)
            assert j["state"] in METAFOLD_STATES and j["project_id"] == pid
            assert set(j["inputs"]) == {"assets", "params"} and set(j["outputs"]) == {
                "assets",
                "params",
            }
            assert all(isinstance(n, str) for n in j["needs"])
            if pid != "123":
                assert RFC1123.match(j["created"])
                time_or_none(j["started"], RFC1123)
                time_or_none(j["finished"], RFC1123)
            assert (j["error"] is not None) == (j["state"] == "failure")
            assert j["id"] not in all_ids
            all_ids.add(j["id"])
        one = get(client, "metafold", f"/projects/{pid}/jobs/{jobs[-1]['id']}").json()
        assert one == jobs[-1]
    other = next(p for p in ids if p not in ("123", projects[0]["id"]))
    job_elsewhere = get(client, "metafold", f"/projects/{other}/jobs").json()[0]["id"]
    assert (
        get(client, "metafold", f"/projects/{projects[0]['id']}/jobs/{job_elsewhere}").status_code
        == 404
    )


def test_metafold_sort_and_q(client: httpx.Client) -> None:
    jobs = get(client, "metafold", "/projects/200/jobs").json()
    by_created = get(client, "metafold", "/projects/200/jobs", sort="created:1").json()
    stamps = [parsedate_to_datetime(j["created"]) for j in by_created]
    assert stamps == sorted(stamps)
    by_name = get(client, "metafold", "/projects/200/jobs", sort="name:-1").json()
    names = [j["name"] for j in by_name if j["name"] is not None]
    assert names == sorted(names, reverse=True)

    def q(expr: str) -> list[dict[str, Any]]:
        r = get(client, "metafold", "/projects/200/jobs", q=expr)
        assert r.status_code == 200, r.text
        listed: list[dict[str, Any]] = r.json()
        return listed

    assert {j["id"] for j in q("state:success")} == {
        j["id"] for j in jobs if j["state"] == "success"
    }
    assert {j["id"] for j in q("!state:success")} == {
        j["id"] for j in jobs if j["state"] != "success"
    }
    wild = q("type:mesh/*")
    assert wild and {j["id"] for j in wild} == {
        j["id"] for j in jobs if j["type"].startswith("mesh/")
    }
    both = q('type:"mesh/*" AND state:success')
    assert {j["id"] for j in both} == {
        j["id"] for j in jobs if j["type"].startswith("mesh/") and j["state"] == "success"
    }
    first = jobs[0]
    assert [j["id"] for j in q(f"id:{first['id']}")] == [first["id"]]
    assert (
        get(
            client, "metafold", "/projects/200/jobs", q="state:success OR state:failure"
        ).status_code
        == 400
    )


# -- Zoo ------------------------------------------------------------------------------------------
ASYNC_COMMON = {
    "id": (S,),
    "type": (S,),
    "status": (S,),
    "user_id": (S,),
    "created_at": (S,),
    "updated_at": (S,),
    "started_at": (S, N),
    "completed_at": (S, N),
    "error": (S, N),
}
SUMMARY = {
    "id": (S,),
    "dataset_id": (S,),
    "file_path": (S,),
    "file_etag": (S,),
    "file_size": (INT,),
    "phase": (S,),
    "status": (S,),
    "status_message": (S, N),
    "created_at": (S,),
    "updated_at": (S,),
    "started_at": (S, N),
    "completed_at": (S, N),
    "importer_version": (S, N),
    "metadata": (D, N),
    "manual_kcl_override_active": (B,),
    "manual_kcl_override_updated_at": (S, N),
    "raw_kcl_similarity_score": (*F, N),
    "salon_kcl_similarity_score": (*F, N),
}


def walk_pages(
    client: httpx.Client, path: str, **params: str | int | float | bool | None
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = get(client, "zoo", path, **params).json()
    for _ in range(100):
        assert set(page) == {"items", "next_page"}
        items.extend(page["items"])
        if page["next_page"] is None:
            return items
        page = get(
            client, "zoo", path, page_token=page["next_page"], limit=params.get("limit", 100)
        ).json()
    raise AssertionError("pages never ended")


def test_zoo_async_operations(sim: SimServer, client: httpx.Client) -> None:
    items = walk_pages(client, "/async/operations", limit=37)
    assert len(items) == 200 and len({i["id"] for i in items}) == 200
    created = [i["created_at"] for i in items]
    assert created == sorted(created, reverse=True)
    asc = walk_pages(client, "/async/operations", limit=50, sort_by="created_at_ascending")
    assert [i["id"] for i in asc] == [i["id"] for i in reversed(items)]
    for item in items:
        check_fields(item, {**ASYNC_COMMON, "input": (D, S, N), "worker": (S,), "attempts": (INT,)})
        assert item["status"] in ZOO_ASYNC_STATUSES and ZOO_TIME.match(item["created_at"])
        assert ("output" in item) == (item["type"] != "file_conversion")
        assert (item["error"] is not None) == (item["status"] == "failed")
    for status in ("completed", "failed", "in_progress"):
        only = walk_pages(client, "/async/operations", status=status)
        assert {i["id"] for i in only} == {i["id"] for i in items if i["status"] == status}
    per_type: dict[str, dict[str, tuple[type, ...]]] = {
        "file_conversion": {"src_format": (S,), "output_format": (S,), "outputs": (D,)},
        "file_volume": {"src_format": (S,), "output_unit": (S,), "volume": (*F, N)},
        "file_center_of_mass": {"src_format": (S,), "output_unit": (S,), "center_of_mass": (D, N)},
        "file_mass": {
            "src_format": (S,),
            "output_unit": (S,),
            "material_density_unit": (S,),
            "material_density": F,
            "mass": (*F, N),
        },
        "file_density": {
            "src_format": (S,),
            "output_unit": (S,),
            "material_mass_unit": (S,),
            "material_mass": F,
            "density": (*F, N),
        },
        "file_surface_area": {"src_format": (S,), "output_unit": (S,), "surface_area": (*F, N)},
        "text_to_cad": {
            "conversation_id": (S,),
            "model": (S,),
            "model_version": (S,),
            "output_format": (S,),
            "prompt": (S,),
            "code": (S, N),
        },
        "text_to_cad_iteration": {
            "code": (S,),
            "conversation_id": (S,),
            "model": (S,),
            "original_source_code": (S,),
            "source_ranges": (L,),
        },
        "text_to_cad_multi_file_iteration": {
            "conversation_id": (S,),
            "model": (S,),
            "source_ranges": (L,),
            "outputs": (D,),
        },
    }
    seen = set()
    for item in items:
        one = get(client, "zoo", f"/async/operations/{item['id']}").json()
        check_fields(one, {**ASYNC_COMMON, **per_type[one["type"]]})
        assert one["status"] == item["status"]
        if one["type"] == "file_conversion" and one["status"] == "completed":
            assert all(base64.b64decode(v) for v in one["outputs"].values())
        seen.add(one["type"])
    assert len(seen) >= 6
    assert set(sim.tracked_ids()["zoo"][1:]) <= {i["id"] for i in items}


def _datasets(client: httpx.Client) -> list[dict[str, Any]]:
    return walk_pages(client, "/org/datasets", limit=2)


def test_zoo_datasets_and_stats(client: httpx.Client) -> None:
    datasets = _datasets(client)
    assert len(datasets) == 3
    for ds in datasets:
        check_fields(
            ds,
            {
                "id": (S,),
                "org_id": (S,),
                "name": (S,),
                "description": (S, N),
                "source_uri": (S,),
                "storage_provider": (S,),
                "access_role_arn": (S,),
                "status": (S,),
                "lookup_enabled": (B,),
                "require_raw_kcl_similarity_score_for_success": (B,),
                "last_sync_error": (S, N),
                "last_sync_error_at": (S, N),
                "created_at": (S,),
                "updated_at": (S,),
            },
        )
        assert ds["storage_provider"] in ("s3", "zoo_managed")
        assert ds["status"] in ("active", "paused", "deleting", "errored")
        assert get(client, "zoo", f"/org/datasets/{ds['id']}").json() == ds
        stats = get(client, "zoo", f"/org/datasets/{ds['id']}/stats").json()
        check_fields(
            stats,
            {
                "dataset_id": (S,),
                "total": (INT,),
                "successes": (INT,),
                "failures": (INT,),
                "by_status": (D,),
            },
        )
        conversions = walk_pages(client, f"/org/datasets/{ds['id']}/conversions")
        assert stats["total"] == len(conversions) == sum(stats["by_status"].values())
        assert stats["successes"] == sum(c["status"] == "success" for c in conversions)
        assert stats["failures"] == sum(c["status"].startswith("error_") for c in conversions)


def test_zoo_conversions_fields_and_every_sort(client: httpx.Client) -> None:
    ds = _datasets(client)[0]["id"]
    path = f"/org/datasets/{ds}/conversions"
    base = walk_pages(client, path, limit=25)
    assert len({c["id"] for c in base}) == len(base) > 50
    for c in base:
        check_fields(c, SUMMARY)
        assert c["status"] in ZOO_DATASET_STATUSES and c["phase"] in ZOO_PHASES
        assert c["dataset_id"] == ds and ZOO_TIME.match(c["updated_at"])
        assert "raw_kcl_output" not in c and "original_snapshot_images" not in c
        if c["status"] == "success":
            assert c["phase"] == "completed" and c["completed_at"]
    rank = {s: k for k, s in enumerate(ZOO_DATASET_STATUSES)}
    keys: dict[str, Callable[[dict[str, Any]], tuple[Any, ...]]] = {
        "created_at": lambda c: (c["created_at"],),
        "updated_at": lambda c: (c["updated_at"],),
        "status": lambda c: (rank[c["status"]],),
        "phase": lambda c: (ZOO_PHASES.index(c["phase"]),),
    }
    for field, key in keys.items():
        for direction in ("ascending", "descending"):
            items = walk_pages(client, path, limit=30, sort_by=f"{field}_{direction}")
            assert sorted(c["id"] for c in items) == sorted(c["id"] for c in base)
            values = [key(c) for c in items]
            assert values == sorted(values, reverse=direction == "descending"), field
    succ = walk_pages(client, path, filter="status:success", sort_by="updated_at_descending")
    assert succ and {c["id"] for c in succ} == {c["id"] for c in base if c["status"] == "success"}
    errs = walk_pages(client, path, phase="snapshot_original")
    assert {c["id"] for c in errs} == {c["id"] for c in base if c["phase"] == "snapshot_original"}
    target = base[5]
    found = walk_pages(client, path, q=target["file_path"])
    assert target["id"] in {c["id"] for c in found}
    assert [c["id"] for c in walk_pages(client, path, q=target["id"])] == [target["id"]]
    assert get(client, "zoo", path, filter="colour:red").status_code == 400
    assert get(client, "zoo", path, page_token="garbage!").status_code == 400


def test_zoo_conversion_details_with_real_pngs(client: httpx.Client) -> None:
    from io import BytesIO

    from PIL import Image

    ds = _datasets(client)[0]["id"]
    items = walk_pages(client, f"/org/datasets/{ds}/conversions", filter="status:success", limit=3)
    one = get(client, "zoo", f"/org/datasets/{ds}/conversions/{items[0]['id']}").json()
    check_fields(
        one,
        {
            **SUMMARY,
            "output": (S, N),
            "raw_kcl_output": (S, N),
            "salon_kcl_output": (S, N),
            "manual_kcl_override": (S, N),
            "original_snapshot_images": (L,),
            "raw_kcl_snapshot_images": (L,),
            "salon_kcl_snapshot_images": (L,),
        },
    )
    assert {k: one[k] for k in SUMMARY} == items[0]
    assert one["raw_kcl_output"] and one["salon_kcl_output"]
    for key in ("original_snapshot_images", "raw_kcl_snapshot_images", "salon_kcl_snapshot_images"):
        assert one[key]
        for image in one[key]:
            assert set(image) == {"mime_type", "data_base64"} and image["mime_type"] == "image/png"
            png = Image.open(BytesIO(base64.b64decode(image["data_base64"])))
            assert png.format == "PNG" and png.size[0] >= 32


def test_lettrlabs_list_and_status(client: httpx.Client) -> None:
    body = get(client, "lettrlabs", "/v1/conversions").json()
    check_fields(
        body,
        {
            "profile": (D,),
            "payload": (L,),
            "errors": (L,),
            "hasErrors": (B,),
            "warnings": (L,),
            "hasWarnings": (B,),
            "metadata": (D,),
        },
    )
    check_fields(
        body["profile"],
        {
            "id": (INT,),
            "aadId": (S,),
            "email": (S,),
            "firstName": (S,),
            "lastName": (S,),
            "company": (S,),
            "created": (S,),
            "shouldProcessQrCodes": (B,),
        },
    )
    assert len(body["payload"]) == 200
    for item in body["payload"][:40]:
        check_fields(
            item,
            {
                "id": (INT,),
                "fileName": (S,),
                "dataSourceType": (S,),
                "status": (S,),
                "uploadDate": (S,),
            },
        )
        datetime.fromisoformat(item["uploadDate"])
        one = get(client, "lettrlabs", f"/v1/conversions/{item['id']}/status").json()
        assert one["payload"] == item
        assert one["hasErrors"] == bool(one["errors"]) == (item["status"] == "Failed")
