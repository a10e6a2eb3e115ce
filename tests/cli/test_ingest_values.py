"""Odd but valid server values, through the real `jobtop list/show --json` over loopback.

A loopback server (tests/providers/canned_server.py) answers for all four providers with
hand-written payloads: times outside years 1-9999 and leap seconds, ids that are empty,
blank, end in a newline or run long, a status holding an escape sequence, blank labels,
a number JSON cannot hold as a float (`1e999`) and an item that cannot be read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from tests.cli.conftest import run_jobtop
from tests.providers.canned_server import CannedServer

HDR = "88667411-3fb9-4c92-8488-8e277aed3021"
OUT_OF_RANGE = ("9999-12-31T23:30:00-01:00", "0001-01-01T00:30:00+01:00")
LEAP = "1998-12-31T23:59:60Z"
ODD_IDS = ("", " ", "123\n", "123", "x" * 300)
HOSTILE_STATUS = "\x1b[31merror_teleport"


def strict_json(text: str) -> Any:
    """Parse like a strict parser: `Infinity` and `NaN` are errors."""

    def refuse(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def server() -> Iterator[CannedServer]:
    with CannedServer() as canned:
        yield canned


def config_for(tmp_path: Path, server: CannedServer) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[[account]]
name = "zoo"
provider = "zoo"
base_url = "{server.url}/zoo"
token_env = "ZOO_TOKEN"

[[account]]
name = "mf"
provider = "metafold"
base_url = "{server.url}/metafold"
token_env = "METAFOLD_TOKEN"
projects = ["p1"]

[[account]]
name = "ll"
provider = "lettrlabs"
base_url = "{server.url}/lettrlabs"
token_env = "LETTR_TOKEN"

[[account]]
name = "hdr"
provider = "hdrjpg"
base_url = "{server.url}/hdrjpg"
token_env = "HDR_TOKEN"
track = ["{HDR}"]
"""
    )
    return path


def routes(
    *,
    operations: list[dict[str, Any]] = (),  # type: ignore[assignment]
    conversions: list[Any] = (),  # type: ignore[assignment]
    metafold: list[dict[str, Any]] = (),  # type: ignore[assignment]
    lettrlabs: list[dict[str, Any]] = (),  # type: ignore[assignment]
    hdrjpg: dict[str, Any] | None = None,
    details: dict[tuple[str, str], Any] | None = None,
) -> Callable[[str, dict[str, str]], Any]:
    """An answer function: the lists given, and single GETs by (provider, exact id) from
    `details`."""
    single = details or {}
    conversion = hdrjpg if hdrjpg is not None else {"status": "Running"}

    def answer(path: str, query: dict[str, str]) -> Any:
        parts = [unquote(p) for p in path.split("/")]
        if path == "/zoo/async/operations":
            return {"items": list(operations), "next_page": None}
        if path == "/zoo/org/datasets":
            return {"items": [{"id": "ds1"}], "next_page": None}
        if path == "/zoo/org/datasets/ds1/conversions":
            return {"items": list(conversions), "next_page": None}
        if parts[:6] == ["", "zoo", "org", "datasets", "ds1", "conversions"] and len(parts) == 7:
            return single.get(("zoo", parts[6]))
        if path == "/zoo/org/datasets/ds1/stats":
            return {"dataset_id": "ds1", "total": 0}
        if path == "/metafold/projects/p1/jobs":
            return list(metafold)
        if parts[:5] == ["", "metafold", "projects", "p1", "jobs"] and len(parts) == 6:
            return single.get(("metafold", parts[5]))
        if path == "/lettrlabs/v1/conversions":
            return {"payload": list(lettrlabs), "errors": [], "hasErrors": False}
        if path == "/hdrjpg/status":
            return {"conversions": [{**conversion, "uuid": query.get("conversionUuid", HDR)}]}
        return None

    return answer


def list_json(config: Path) -> tuple[list[dict[str, Any]], str]:
    result = run_jobtop("list", "--json", config=config)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    jobs = strict_json(result.stdout)
    assert isinstance(jobs, list)
    return jobs, result.stderr


def show_json(config: Path, account: str, job_id: str) -> dict[str, Any]:
    result = run_jobtop("show", account, job_id, "--json", config=config)
    assert result.returncode == 0, result.stderr
    document = strict_json(result.stdout)
    assert isinstance(document, dict)
    return document


def by_id(jobs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(j["account"], j["id"]): j for j in jobs}


@pytest.mark.parametrize("moment", OUT_OF_RANGE)
def test_a_time_outside_years_1_to_9999_does_not_stop_any_listing(
    tmp_path: Path, server: CannedServer, moment: str
) -> None:
    """Item 12: every surface lists its jobs; the time that cannot be held is unknown."""
    fine = "2026-01-02T03:04:05Z"
    server.answer = routes(
        operations=[
            {
                "id": "op1",
                "status": "completed",
                "type": "file_mass",
                "created_at": moment,
                "updated_at": fine,
            },
            {"id": "op2", "status": "queued", "type": "file_mass", "created_at": fine},
        ],
        conversions=[
            {
                "id": "cv1",
                "status": "success",
                "file_path": "a.step",
                "created_at": moment,
                "updated_at": fine,
            },
            {"id": "cv2", "status": "queued", "file_path": "b.step", "created_at": fine},
        ],
        metafold=[
            {"id": "m1", "state": "success", "name": "one", "created": moment, "started": fine},
            {"id": "m2", "state": "pending", "name": "two", "created": fine},
        ],
        lettrlabs=[
            {"id": 1, "status": "done", "uploadDate": moment},
            {"id": 2, "status": "pending", "uploadDate": fine},
        ],
        hdrjpg={"status": "Ready", "createdDate": moment, "completedDate": fine},
    )
    jobs, _ = list_json(config_for(tmp_path, server))
    found = by_id(jobs)
    assert set(found) == {
        ("zoo", "op1"),
        ("zoo", "op2"),
        ("zoo", "cv1"),
        ("zoo", "cv2"),
        ("mf", "m1"),
        ("mf", "m2"),
        ("ll", "1"),
        ("ll", "2"),
        ("hdr", HDR),
    }
    for key in (("zoo", "op1"), ("zoo", "cv1"), ("mf", "m1"), ("ll", "1"), ("hdr", HDR)):
        assert found[key]["created_at"] is None
    assert found[("zoo", "op1")]["updated_at"] == fine
    assert found[("mf", "m1")]["started_at"] == fine
    assert found[("hdr", HDR)]["finished_at"] == fine
    for key in (("zoo", "op2"), ("zoo", "cv2"), ("mf", "m2"), ("ll", "2")):
        assert found[key]["created_at"] == fine


def test_leap_seconds_are_read(tmp_path: Path, server: CannedServer) -> None:
    """Item 13: `23:59:60` is the second after `23:59:59`, in every timestamp field."""
    after = "1999-01-01T00:00:00Z"
    server.answer = routes(
        operations=[
            {
                "id": "op",
                "status": "completed",
                "type": "file_mass",
                "created_at": LEAP,
                "started_at": LEAP,
                "completed_at": LEAP,
                "updated_at": LEAP,
            }
        ],
        conversions=[{"id": "cv", "status": "success", "created_at": LEAP, "completed_at": LEAP}],
        metafold=[{"id": "m", "state": "success", "created": "Thu, 31 Dec 1998 23:59:60 GMT"}],
        lettrlabs=[{"id": 3, "status": "done", "uploadDate": LEAP}],
        hdrjpg={
            "status": "Failed",
            "createdDate": LEAP,
            "completedDate": LEAP,
            "failedDate": "2001-01-01T00:00:00Z",
        },
    )
    found = by_id(list_json(config_for(tmp_path, server))[0])
    operation = found[("zoo", "op")]
    assert [operation[k] for k in ("created_at", "started_at", "finished_at", "updated_at")] == [
        after
    ] * 4
    assert found[("zoo", "cv")]["finished_at"] == after
    assert found[("mf", "m")]["created_at"] == after
    assert found[("ll", "3")]["created_at"] == after
    # the completed date is read, so it is not replaced by the failed date
    assert found[("hdr", HDR)]["finished_at"] == after


def test_odd_ids_are_kept_exact(tmp_path: Path, server: CannedServer) -> None:
    """Item 14: empty, blank, newline-ended and long ids are distinct jobs with exact ids,
    and `show` finds each of them."""
    conversions = [
        {"id": job_id, "status": "queued", "file_path": f"file {n}"}
        for n, job_id in enumerate(ODD_IDS)
    ]
    server.answer = routes(
        conversions=conversions,
        metafold=[{"id": "123\n", "state": "success"}, {"id": "123", "state": "failure"}],
        hdrjpg={"status": "Running"},
        details={("zoo", c["id"]): {**c, "dataset_id": "ds1"} for c in conversions}
        | {("metafold", "123\n"): {"id": "123\n", "state": "success"}},
    )
    config = config_for(tmp_path, server)
    found = by_id(list_json(config)[0])
    assert {job_id for account, job_id in found if account == "zoo"} == set(ODD_IDS)
    assert found[("mf", "123\n")]["state"] == "succeeded"
    assert found[("mf", "123")]["state"] == "failed"
    for job_id in (" ", "123\n", "x" * 300):
        shown = show_json(config, "zoo", job_id)
        assert shown["id"] == job_id and shown["name"] == f"file {ODD_IDS.index(job_id)}"
    assert show_json(config, "mf", "123\n")["id"] == "123\n"
    assert show_json(config, "hdr", "")["id"] == ""


def test_a_lone_surrogate_is_the_only_change_to_an_exact_string(
    tmp_path: Path, server: CannedServer
) -> None:
    """A JSON `\\ud800` escape without its pair cannot be written as UTF-8 (terminal, store):
    it becomes U+FFFD in the id and the exact texts, and the listing and store go on."""
    answer = routes()
    body = (
        b'{"items": [{"id": "a\\ud800", "status": "queued\\udfff", "file_path": "\\ud83d.step"}]}'
    )
    server.answer = lambda path, query: (
        body if path == "/zoo/org/datasets/ds1/conversions" else answer(path, query)
    )
    config = config_for(tmp_path, server)
    for _ in range(2):  # the second run reads the first run's store
        jobs, _ = list_json(config)
        job = by_id(jobs)[("zoo", "a\ufffd")]
        assert (job["status"], job["name"]) == ("queued\ufffd", "\ufffd.step")
    table = run_jobtop("list", config=config)
    assert table.returncode == 0 and "a\ufffd" in table.stdout


def test_json_carries_the_servers_exact_strings(tmp_path: Path, server: CannedServer) -> None:
    """Item 16: `--json` has the status exactly as sent (JSON escapes ESC); the table does
    not carry the escape character."""
    conversion = {
        "id": "cv",
        "status": HOSTILE_STATUS,
        "file_path": "part\x1b[2J.step",
        "status_message": "bad\x07 file",
    }
    server.answer = routes(
        conversions=[conversion], details={("zoo", "cv"): {**conversion, "dataset_id": "ds1"}}
    )
    config = config_for(tmp_path, server)
    result = run_jobtop("list", "--json", config=config)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\\u001b[31merror_teleport" in result.stdout
    listed = by_id(strict_json(result.stdout))[("zoo", "cv")]
    assert listed["status"] == HOSTILE_STATUS and listed["state"] == "unknown"
    assert listed["name"] == "part\x1b[2J.step"
    shown = show_json(config, "zoo", "cv")
    assert shown["status"] == HOSTILE_STATUS and shown["name"] == "part\x1b[2J.step"
    table = run_jobtop("list", config=config)
    assert table.returncode == 0 and "\x1b" not in table.stdout


def test_blank_labels_fall_back_to_the_next_candidate(tmp_path: Path, server: CannedServer) -> None:
    """Item 17: a label of spaces (or only control characters) counts as absent."""
    server.answer = routes(
        operations=[
            {
                "id": "op",
                "status": "failed",
                "type": "text_to_cad",
                "prompt": " ",
                "error": " \x1b ",
            }
        ],
        conversions=[
            {"id": "cv", "status": "error_user", "file_path": "  ", "status_message": " "}
        ],
        metafold=[
            {"id": "m", "state": "failure", "name": " ", "type": "mesh/convert", "error": "\t"}
        ],
        lettrlabs=[{"id": 4, "status": "done", "fileName": " "}],
        hdrjpg={
            "status": "Failed",
            "sourceImageFileName": " ",
            "failDescriptions": [" ", "too dark"],
        },
    )
    found = by_id(list_json(config_for(tmp_path, server))[0])
    assert found[("zoo", "op")]["name"] == "text_to_cad"
    assert found[("zoo", "op")]["error"] is None
    assert found[("zoo", "cv")]["name"] == "cv"
    assert found[("zoo", "cv")]["error"] == (
        "Conversion failed because the file is broken, for example empty."
    )
    assert found[("mf", "m")]["name"] == "mesh/convert" and found[("mf", "m")]["error"] is None
    assert found[("ll", "4")]["name"] == "conversion 4"
    assert found[("hdr", HDR)]["name"] == HDR and found[("hdr", HDR)]["error"] == "too dark"


def test_no_infinity_in_json_output(tmp_path: Path, server: CannedServer) -> None:
    """Item 8: `1e999` decodes as infinity; no job, detail or raw value keeps it."""
    conversion = {
        "id": "cv",
        "status": "success",
        "raw_kcl_similarity_score": 1e999,
        "metadata": {"weight": -1e999},
    }
    server.answer = routes(
        conversions=[conversion],
        details={("zoo", "cv"): {**conversion, "dataset_id": "ds1"}},
        hdrjpg={"status": "Running", "progressPercentage": 1e999, "conversionTime": 1e999},
    )
    config = config_for(tmp_path, server)
    jobs, _ = list_json(config)
    assert by_id(jobs)[("hdr", HDR)]["progress"] is None
    shown = show_json(config, "hdr", HDR)
    assert shown["progress"] is None
    assert shown["raw"]["conversions"][0]["progressPercentage"] is None
    detail = show_json(config, "zoo", "cv")
    assert detail["raw"]["raw_kcl_similarity_score"] is None
    assert detail["raw"]["metadata"] == {"weight": None}


def test_an_unreadable_item_is_counted_and_the_rest_listed(
    tmp_path: Path, server: CannedServer
) -> None:
    """Item 12's rule: an item without a usable id is left out and counted, in one sentence."""
    server.answer = routes(
        conversions=[
            {"id": {"nested": 1}, "status": "queued"},
            "not an object",
            {"id": "ok", "status": "queued"},
        ],
    )
    jobs, stderr = list_json(config_for(tmp_path, server))
    assert ("zoo", "ok") in by_id(jobs)
    assert "jobtop: zoo: 2 jobs could not be read and were left out." in stderr
