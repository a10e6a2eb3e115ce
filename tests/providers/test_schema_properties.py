"""Responses generated from the vendors' schemas, served over loopback to the real providers.

For every endpoint jobtop reads, hypothesis-jsonschema builds bodies that the vendor's
published schema allows (tests/contracts/, see its README), a loopback HTTP server sends
them, and the real provider class lists or fetches them. Whatever the values, every job
comes through with its exact id, the state its status maps to, its times read exactly
(leap seconds included; instants outside years 1-9999 as unknown), no listing aborts,
nothing raises, no number is NaN or infinite, every display text is clean and the
`--json` object is strict JSON carrying the server's exact strings.

The default run draws a few dozen bodies per endpoint; `-m schema_long` runs the long
profile (hundreds per endpoint, every object also given extra keys of any JSON type).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_tz
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from tests.providers.canned_server import CannedServer
from tui.config import AccountConfig, account_config
from tui.models import Job, JobKind, JobState, ProviderName
from tui.providers import build_provider
from tui.providers.base import ListQuery, ListResult
from tui.providers.client import HttpPolicy
from tui.providers.metafold.details import MetafoldDetail
from tui.providers.registry import map_state
from tui.sanitize import is_clean
from tui.secret import Secret

pytestmark = pytest.mark.timeout(900)

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts"
POLICY = HttpPolicy(attempts=1, read_timeout=10.0, deadline=20.0)
"""One attempt (a loopback answer never needs a retry); generous waits for a loaded machine."""
SUPPRESSED = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.large_base_example,
]
PROFILES = {
    "fast": settings(max_examples=25, deadline=None, suppress_health_check=SUPPRESSED),
    "long": settings(max_examples=300, deadline=None, suppress_health_check=SUPPRESSED),
}
ID_FIELDS = frozenset(
    {
        "id",
        "uuid",
        "user_id",
        "conversation_id",
        "workflow_id",
        "project_id",
        "job_id",
        "dataset_id",
        "needs",
        "parent_id",
    }
)
"""Detail fields that hold exact server ids (keys, escaped by every display), not texts."""


# --- schemas and formats ------------------------------------------------------------------


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CONTRACTS / name).read_text())
    return data


def _adapted(value: Any, *, narrow: bool) -> Any:
    """The schema as the generator reads it: date-times drawn by `TIMES` (leap seconds and
    lower case included, which the library's own date-time strategy never draws), the
    Metafold/hdrjpg `x-datetime` hint honoured; `narrow` caps arrays at 3 items and gives
    objects with declared properties no extra keys (fast runs)."""
    if isinstance(value, list):
        return [_adapted(v, narrow=narrow) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _adapted(v, narrow=narrow) for k, v in value.items() if k != "properties"}
    if "properties" in value:
        out["properties"] = {
            name: _adapted(schema, narrow=narrow) for name, schema in value["properties"].items()
        }
    if value.get("format") == "date-time":
        out["format"] = "jobtop-rfc3339"
    elif value.get("x-datetime"):
        out["format"] = "jobtop-datetime"
    if narrow:
        types = value.get("type")
        if types == "array" or (isinstance(types, list) and "array" in types):
            out.setdefault("maxItems", 3)
        if "properties" in value and "additionalProperties" not in value:
            out["additionalProperties"] = False
    return out


def openapi_body(file: str, endpoint: str, *, narrow: bool) -> dict[str, Any]:
    """One endpoint's response schema from an extract made by scripts/extract_contract.py."""
    data = _load(file)
    schema = {"definitions": data["definitions"], **data["endpoints"][endpoint]}
    return dict(_adapted(schema, narrow=narrow))


def defs_body(file: str, name: str, *, narrow: bool, **overrides: Any) -> dict[str, Any]:
    """The schema `$defs/name` of a JSON Schema file, with `overrides` merged into `$defs`."""
    data = _load(file)
    schema = {"$defs": {**data["$defs"], **overrides}, "$ref": f"#/$defs/{name}"}
    return dict(_adapted(schema, narrow=narrow))


EDGE_DATES = (date.min, date.max, date(1998, 12, 31))


@st.composite
def rfc3339(draw: st.DrawFn) -> str:
    """Any RFC 3339 date-time: years 1-9999, any offset, leap second, fraction, `t`/`z`;
    the first and last days of the range and a leap second drawn often."""
    day = draw(st.one_of(st.dates(), st.sampled_from(EDGE_DATES)))
    hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    second = draw(st.one_of(st.integers(0, 60), st.just(60)))
    fraction = draw(st.one_of(st.just(""), st.from_regex(r"\.[0-9]{1,9}", fullmatch=True)))
    offset = draw(
        st.one_of(
            st.sampled_from(["Z", "z"]),
            st.builds(
                "{}{:02d}:{:02d}".format,
                st.sampled_from("+-"),
                st.integers(0, 23),
                st.integers(0, 59),
            ),
        )
    )
    separator = draw(st.sampled_from("Tt"))
    return f"{day.isoformat()}{separator}{hour:02d}:{minute:02d}:{second:02d}{fraction}{offset}"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@st.composite
def rfc1123(draw: st.DrawFn) -> str:
    """An RFC 1123 date (Metafold sends these too), leap second and numeric zones included."""
    day = draw(st.dates(min_value=date(1900, 1, 1)))
    hour, minute, second = (
        draw(st.integers(0, 23)),
        draw(st.integers(0, 59)),
        draw(st.integers(0, 60)),
    )
    zone = draw(
        st.one_of(
            st.just("GMT"),
            st.builds(
                "{}{:02d}{:02d}".format,
                st.sampled_from("+-"),
                st.integers(0, 23),
                st.integers(0, 59),
            ),
        )
    )
    return (
        f"{_DAYS[day.weekday()]}, {day.day:02d} {_MONTHS[day.month - 1]} {day.year} "
        f"{hour:02d}:{minute:02d}:{second:02d} {zone}"
    )


FORMATS = {
    "uuid": st.uuids().map(str),
    "jobtop-rfc3339": rfc3339(),
    "jobtop-datetime": st.one_of(rfc3339(), rfc1123()),
}

_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([Zz])|([+-])(\d\d):(\d\d))"
)


def expected_time(value: Any) -> datetime | None:
    """The UTC instant a generated time stands for, worked out apart from the code under
    test: a leap second is the second after :59; an instant outside years 1-9999 is None."""
    if not isinstance(value, str):
        return None
    match = _RFC3339.fullmatch(value)
    try:
        if match:
            year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
            micro = int((match.group(7) or "0")[:6].ljust(6, "0"))
            offset = 0
            if match.group(9):
                sign = 1 if match.group(9) == "+" else -1
                offset = sign * (int(match.group(10)) * 60 + int(match.group(11))) * 60
        else:
            parts = parsedate_tz(value)
            assert parts is not None, value
            year, month, day, hour, minute, second = parts[:6]
            micro, offset = 0, parts[9] or 0
        moment = datetime(year, month, day, hour, minute, min(second, 59), micro, tzinfo=UTC)
        return moment + timedelta(seconds=1 if second == 60 else 0) - timedelta(seconds=offset)
    except OverflowError:
        return None


def strategy(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    return from_schema(schema, custom_formats=FORMATS)


# --- the server and the providers ----------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[CannedServer]:
    with CannedServer() as canned:
        yield canned


def account(server: CannedServer, provider: ProviderName, **overrides: Any) -> AccountConfig:
    return account_config(
        name=f"prop-{provider.value}",
        provider=provider,
        base_url=f"{server.url}/{provider.value}",
        token=Secret("prop-token-4b1d"),
        **overrides,
    )


def run(server: CannedServer, answer: Callable[[str, dict[str, str]], Any], scenario: Any) -> Any:
    """Serve `answer` and run the coroutine function `scenario` against it."""
    server.answer = answer
    return asyncio.run(scenario())


def segments(path: str) -> list[str]:
    return [unquote(part) for part in path.split("/")]


def pages(first: Any) -> Callable[[dict[str, str]], Any]:
    """A cursor-paged list: `first`, then (for any page token) an empty last page."""
    return lambda query: {"items": [], "next_page": None} if "page_token" in query else first


# --- what every job and detail must satisfy ------------------------------------------------


def check_job(job: Job, item: dict[str, Any], *, status: str, times: dict[str, Any]) -> None:
    """A job read from `item`: exact id and texts in JSON, cleaned texts on screen, the
    state its status maps to, the times `expected_time` works out, finite progress."""
    assert job.exact_text("status") == item[status]
    assert job.state is map_state(job.provider, job.kind, item[status]) or (
        job.provider is ProviderName.LETTRLABS and job.state is JobState.FAILED
    )
    for text in (job.name, job.status, job.error or ""):
        assert is_clean(text)
    for field, value in times.items():
        assert getattr(job, field) == expected_time(value), (field, value)
    assert job.progress is None or 0.0 <= job.progress <= 1.0
    document = job.to_json()
    assert json.loads(json.dumps(document, allow_nan=False)) == document
    assert document["id"] == job.id and document["status"] == item[status]


def check_listing(
    result: ListResult,
    items: list[Any],
    id_of: Callable[[dict[str, Any]], str],
    check: Callable[[Job, dict[str, Any]], None],
) -> None:
    """Every listed item is a job (the first of each id), and none was left out."""
    assert result.unreadable == 0
    first: dict[str, dict[str, Any]] = {}
    for item in items:
        first.setdefault(id_of(item), item)
    jobs = {job.id: job for job in result.jobs}
    assert set(jobs) == set(first)
    for job_id, item in first.items():
        check(jobs[job_id], item)


def check_detail(value: Any, name: str = "detail") -> None:
    """No NaN or infinity anywhere (raw included); every text but ids is clean."""
    if isinstance(value, float):
        assert math.isfinite(value), name
    elif isinstance(value, str):
        assert name in ID_FIELDS or is_clean(value), (name, value)
    elif isinstance(value, Job):
        for text in (value.name, value.status, value.error or ""):
            assert is_clean(text)
        assert value.progress is None or math.isfinite(value.progress)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            child = getattr(value, field.name)
            if field.name == "raw":
                json.dumps(child, allow_nan=False)
            else:
                check_detail(child, field.name)
    elif isinstance(value, dict):
        for key, child in value.items():
            check_detail(key, "key")
            check_detail(child, name)
    elif isinstance(value, list | tuple):
        for child in value:
            check_detail(child, name)


def run_property(
    profile: str, strategies: st.SearchStrategy[Any], test: Callable[[Any], None]
) -> None:
    given(strategies)(PROFILES[profile](test))()


PROFILE_PARAMS = [
    pytest.param("fast", id="fast"),
    pytest.param("long", id="long", marks=pytest.mark.schema_long),
]


def _zoo_times(item: dict[str, Any], *, terminal: bool = True) -> dict[str, Any]:
    return {
        "created_at": item.get("created_at"),
        "started_at": item.get("started_at"),
        "updated_at": item.get("updated_at"),
        "finished_at": item.get("completed_at") if terminal else None,
    }


def _check_zoo_async(job: Job, item: dict[str, Any]) -> None:
    assert job.kind is JobKind.ASYNC_OPERATION and job.state is not JobState.UNKNOWN
    check_job(job, item, status="status", times=_zoo_times(item))


def _check_zoo_conversion(job: Job, item: dict[str, Any]) -> None:
    assert job.kind is JobKind.DATASET_CONVERSION and job.state is not JobState.UNKNOWN
    assert job.parent_id == item["dataset_id"]
    terminal = job.state.is_terminal
    check_job(job, item, status="status", times=_zoo_times(item, terminal=terminal))


def _check_metafold(job: Job, item: dict[str, Any]) -> None:
    assert job.state is not JobState.UNKNOWN and job.parent_id == item["project_id"]
    check_job(
        job,
        item,
        status="state",
        times={
            "created_at": item.get("created"),
            "started_at": item.get("started"),
            "finished_at": item.get("finished"),
        },
    )


def _check_lettrlabs(job: Job, item: dict[str, Any]) -> None:
    check_job(
        job,
        item,
        status="status",
        times={
            "created_at": item.get("uploadDate"),
            "updated_at": item.get("uploadDate"),
        },
    )


def _check_hdrjpg(job: Job, item: dict[str, Any]) -> None:
    assert job.state is not JobState.UNKNOWN
    completed = expected_time(item.get("completedDate"))
    finished = item.get("completedDate") if completed is not None else item.get("failedDate")
    check_job(
        job,
        item,
        status="status",
        times={
            "created_at": item.get("createdDate"),
            "started_at": item.get("startedDate"),
            "finished_at": finished,
        },
    )


# --- Zoo -----------------------------------------------------------------------------------

ZOO_NOW = "zoo-35fb2820.schema.json"
ZOO_LISTED = "zoo-ae0d59ee.schema.json"


@pytest.mark.parametrize("profile", PROFILE_PARAMS)
def test_zoo_async_operation_list(server: CannedServer, profile: str) -> None:
    narrow = profile == "fast"
    bodies = strategy(openapi_body(ZOO_LISTED, "GET /async/operations", narrow=narrow))

    def test(page: dict[str, Any]) -> None:
        answer_page = pages(page)

        def answer(path: str, query: dict[str, str]) -> Any:
            return answer_page(query) if path == "/zoo/async/operations" else None

        async def scenario() -> ListResult:
            source = build_provider(account(server, ProviderName.ZOO, datasets=()), policy=POLICY)
            try:
                return await source.list_jobs(ListQuery())
            finally:
                await source.aclose()

        result = run(server, answer, scenario)
        check_listing(result, page["items"], lambda i: i["id"], _check_zoo_async)

    run_property(profile, bodies, test)


@pytest.mark.parametrize("profile", PROFILE_PARAMS)
def test_zoo_async_operation_get(server: CannedServer, profile: str) -> None:
    narrow = profile == "fast"
    bodies = strategy(openapi_body(ZOO_NOW, "GET /async/operations/{id}", narrow=narrow))

    def test(body: dict[str, Any]) -> None:
        def answer(path: str, query: dict[str, str]) -> Any:
            return body if path.startswith("/zoo/async/operations/") else None

        async def scenario() -> tuple[Any, ListResult]:
            config = account(
                server, ProviderName.ZOO, datasets=(), async_operations="tracked", track=("op",)
            )
            source = build_provider(config, policy=POLICY)
            try:
                return await source.get_job("op"), await source.list_jobs(ListQuery())
            finally:
                await source.aclose()

        detail, listed = run(server, answer, scenario)
        assert detail.job.id == body["id"]
        _check_zoo_async(detail.job, body)
        check_detail(detail)
        assert listed.jobs == [detail.job] and not listed.tracked_errors

    run_property(profile, bodies, test)


@pytest.mark.parametrize("profile", PROFILE_PARAMS)
def test_zoo_dataset_conversion_list(server: CannedServer, profile: str) -> None:
    narrow = profile == "fast"
    bodies = st.tuples(
        strategy(openapi_body(ZOO_NOW, "GET /org/datasets", narrow=narrow)),
        strategy(openapi_body(ZOO_NOW, "GET /org/datasets/{id}/conversions", narrow=narrow)),
    )

    def test(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
        datasets, conversions = pair
        dataset_page, conversion_page = pages(datasets), pages(conversions)

        def answer(path: str, query: dict[str, str]) -> Any:
            parts = segments(path)
            if path == "/zoo/org/datasets":
                return dataset_page(query)
            if parts[:4] == ["", "zoo", "org", "datasets"] and parts[-1] == "conversions":
                return conversion_page(query)
            return None

        async def scenario() -> ListResult:
            config = account(server, ProviderName.ZOO, async_operations="tracked")
            source = build_provider(config, policy=POLICY)
            try:
                return await source.list_jobs(ListQuery())
            finally:
                await source.aclose()

        result = run(server, answer, scenario)
        items = conversions["items"] if datasets["items"] else []
        check_listing(result, items, lambda i: i["id"], _check_zoo_conversion)

    run_property(profile, bodies, test)


@pytest.mark.parametrize("profile", PROFILE_PARAMS)
def test_zoo_dataset_conversion_get(server: CannedServer, profile: str) -> None:
    narrow = profile == "fast"
    bodies = st.tuples(
        strategy(
            openapi_body(
                ZOO_NOW, "GET /org/datasets/{id}/conversions/{conversion_id}", narrow=narrow
            )
        ),
        strategy(openapi_body(ZOO_NOW, "GET /org/datasets/{id}/stats", narrow=narrow)),
    )

    def test(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
        body, stats = pair

        def answer(path: str, query: dict[str, str]) -> Any:
            if path == "/zoo/org/datasets/ds/stats":
                return stats
            return body if path == "/zoo/org/datasets/ds/conversions/cv" else None

        async def scenario() -> Any:
            source = build_provider(account(server, ProviderName.ZOO), policy=POLICY)
            try:
                return await source.get_job("cv", "ds")
            finally:
                await source.aclose()

        detail = run(server, answer, scenario)
        assert detail.job.id == body["id"]
        _check_zoo_conversion(detail.job, body)
        assert detail.stats is not None
        check_detail(detail)

    run_property(profile, bodies, test)


# --- Metafold ------------------------------------------------------------------------------

METAFOLD = "metafold.schema.json"


@pytest.mark.parametrize("profile", PROFILE_PARAMS)
def test_metafold_job_list(server: CannedServer, profile: str) -> None:
    narrow = profile == "fast"
    bodies = st.tuples(
        strategy(openapi_body(METAFOLD, "GET /projects", narrow=narrow)),
        strategy(openapi_body(METAFOLD, "GET /projects/{projectId}/jobs", narrow=narrow)),
    )

    def test(pair: tuple[list[Any], list[Any]]) -> None:
        projects, jobs = pair

        def answer(path: str, query: dict[str, str]) -> Any:
            if path == "/metafold/projects":
                return projects
            return jobs if path.startswith("/metafold/") and path.endswith("/jobs") else None

        async def scenario() -> ListResult:
            source = build_provider(account(server, ProviderName.METAFOLD), policy=POLICY)
            try:
                return await source.list_jobs(ListQuery())
            finally:
                await source.aclose()

        result = run(server, answer, scenario)
        check_listing(result, jobs if projects else [], lambda i: i["id"], _check_metafold)

    run_property(profile, bodies, test)


@pytest.mark.parametrize("profile", PROFILE_PARAMS)
def test_metafold_job_get(server: CannedServer, profile: str) -> None:
    narrow = profile == "fast"
    bodies = strategy(
        openapi_body(METAFOLD, "GET /projects/{projectId}/jobs/{jobId}", narrow=narrow)
    )

    def test(body: dict[str, Any]) -> None:
        def answer(path: str, query: dict[str, str]) -> Any:
            parts = segments(path)
            return body if parts[:3] == ["", "metafold", "projects"] and "jobs" in parts else None

        async def scenario() -> MetafoldDetail:
            source = build_provider(account(server, ProviderName.METAFOLD), policy=POLICY)
            try:
                detail = await source.get_job("job", "project")
                assert isinstance(detail, MetafoldDetail)
                return detail
            finally:
                await source.aclose()

        detail = run(server, answer, scenario)
        assert detail.job.id == body["id"]
        _check_metafold(detail.job, body)
        assert detail.needs == tuple(body["needs"][:500])
        check_detail(detail)

    run_property(profile, bodies, test)


# --- LettrLabs -----------------------------------------------------------------------------

LETTRLABS = "lettrlabs.schema.json"


@pytest.mark.parametrize("profile", PROFILE_PARAMS)
def test_lettrlabs_status_get(server: CannedServer, profile: str) -> None:
    bodies = strategy(defs_body(LETTRLABS, "statusEnvelope", narrow=profile == "fast"))

    def test(envelope: dict[str, Any]) -> None:
        def answer(path: str, query: dict[str, str]) -> Any:
            if path == "/lettrlabs/v1/conversions":
                return {"payload": [], "errors": [], "hasErrors": False}
            return envelope if path.startswith("/lettrlabs/v1/conversions/") else None

        async def scenario() -> tuple[Any, ListResult]:
            config = account(server, ProviderName.LETTRLABS, track=("7",))
            source = build_provider(config, policy=POLICY)
            try:
                return await source.get_job("7"), await source.list_jobs(ListQuery())
            finally:
                await source.aclose()

        detail, listed = run(server, answer, scenario)
        payload = envelope["payload"]
        assert detail.job.id == str(payload["id"])
        assert detail.job.state is map_state(
            ProviderName.LETTRLABS,
            JobKind.CONVERSION,
            payload["status"],
            has_errors=envelope["hasErrors"],
        )
        _check_lettrlabs(detail.job, payload)
        check_detail(detail)
        assert listed.jobs == [detail.job] and not listed.tracked_errors

    run_property(profile, bodies, test)


@pytest.mark.parametrize("profile", PROFILE_PARAMS)
def test_lettrlabs_conversion_list(server: CannedServer, profile: str) -> None:
    # The list's payload shape is not published; its items are read as status payloads.
    listed_payload = {"type": "array", "items": {"$ref": "#/$defs/statusPayload"}}
    envelope = _load(LETTRLABS)["$defs"]["statusEnvelope"]
    list_envelope = {
        **envelope,
        "properties": {**envelope["properties"], "payload": listed_payload},
    }
    bodies = strategy(
        defs_body(LETTRLABS, "listEnvelope", narrow=profile == "fast", listEnvelope=list_envelope)
    )

    def test(body: dict[str, Any]) -> None:
        def answer(path: str, query: dict[str, str]) -> Any:
            return body if path == "/lettrlabs/v1/conversions" else None

        async def scenario() -> ListResult:
            source = build_provider(account(server, ProviderName.LETTRLABS), policy=POLICY)
            try:
                return await source.list_jobs(ListQuery())
            finally:
                await source.aclose()

        result = run(server, answer, scenario)
        check_listing(result, body["payload"], lambda i: str(i["id"]), _check_lettrlabs)

    run_property(profile, bodies, test)


# --- hdrjpg --------------------------------------------------------------------------------

HDRJPG = "hdrjpg.schema.json"


@pytest.mark.parametrize("profile", PROFILE_PARAMS)
def test_hdrjpg_status_get(server: CannedServer, profile: str) -> None:
    bodies = strategy(defs_body(HDRJPG, "statusResponse", narrow=profile == "fast"))

    def test(body: dict[str, Any]) -> None:
        def answer(path: str, query: dict[str, str]) -> Any:
            return body if path == "/hdrjpg/status" else None

        async def scenario() -> tuple[Any, ListResult]:
            config = account(server, ProviderName.HDRJPG, track=("tracked-uuid",))
            source = build_provider(config, policy=POLICY)
            try:
                return await source.get_job("asked-uuid"), await source.list_jobs(ListQuery())
            finally:
                await source.aclose()

        detail, listed = run(server, answer, scenario)
        conversion = body["conversions"][0]
        assert detail.job.id == conversion["uuid"]
        _check_hdrjpg(detail.job, conversion)
        check_detail(detail)
        assert listed.jobs == [detail.job] and not listed.tracked_errors

    run_property(profile, bodies, test)


def test_an_empty_dataset_id_is_a_dataset(server: CannedServer) -> None:
    """`get_job(id, "")`: "" names a dataset (ids are exact), not "no dataset given"."""
    body = {"id": "cv", "status": "success", "dataset_id": ""}

    def answer(path: str, query: dict[str, str]) -> Any:
        return body if path == "/zoo/org/datasets//conversions/cv" else None

    async def scenario() -> Any:
        source = build_provider(account(server, ProviderName.ZOO), policy=POLICY)
        try:
            return await source.get_job("cv", "")
        finally:
            await source.aclose()

    detail = run(server, answer, scenario)
    assert detail.job.kind is JobKind.DATASET_CONVERSION and detail.job.parent_id == ""
