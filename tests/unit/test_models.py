"""The normalized model: state mapping for every documented status, and timestamps."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import SEEDS_DIR
from tui.models import (
    JSON_KEYS,
    Job,
    JobKind,
    JobState,
    ProviderName,
    clamp_progress,
    finite_number,
    parse_timestamp,
)
from tui.providers.hdrjpg.vocabulary import HDRJPG_STATUSES
from tui.providers.metafold.vocabulary import METAFOLD_STATES
from tui.providers.registry import map_state
from tui.providers.zoo.vocabulary import (
    ZOO_ASYNC_STATUSES,
    ZOO_DATASET_SEED_STATUSES,
    ZOO_DATASET_STATUSES,
    ZOO_PHASES,
    ZOO_SEED_PHASES,
)
from tui.sanitize import clean, is_clean

Q, R, S, F, C, U = (
    JobState.QUEUED,
    JobState.RUNNING,
    JobState.SUCCEEDED,
    JobState.FAILED,
    JobState.CANCELED,
    JobState.UNKNOWN,
)

EXPECTED = [
    # Zoo async operations (ApiCallStatus)
    (
        "zoo",
        "async_operation",
        {"queued": Q, "uploaded": Q, "in_progress": R, "completed": S, "failed": F},
    ),
    # Zoo dataset conversions: current 10 values, the seed's 7 are a subset
    (
        "zoo",
        "dataset_conversion",
        {
            "queued": Q,
            "in_progress": R,
            "success": S,
            "canceled": C,
            "error_user": F,
            "error_geometry_mismatch": F,
            "error_execution": F,
            "error_connection": F,
            "error_unsupported": F,
            "error_internal": F,
        },
    ),
    ("metafold", "job", {"pending": Q, "started": R, "success": S, "failure": F, "canceled": C}),
    (
        "hdrjpg",
        "conversion",
        {
            "Pending": Q,
            "Running": R,
            "Ready": S,
            "Delivered": S,
            "Failed": F,
            "Cancelled": C,
            "Deleted": C,
        },
    ),
]


@pytest.mark.parametrize(
    ("provider", "kind", "status", "state"),
    [(p, k, status, state) for p, k, table in EXPECTED for status, state in table.items()],
)
def test_every_documented_status_maps(
    provider: str, kind: str, status: str, state: JobState
) -> None:
    assert map_state(ProviderName(provider), JobKind(kind), status) is state


def test_tables_cover_every_documented_value() -> None:
    assert set(ZOO_ASYNC_STATUSES) == set(EXPECTED[0][2])
    assert set(ZOO_DATASET_STATUSES) == set(EXPECTED[1][2])
    assert set(ZOO_DATASET_SEED_STATUSES) <= set(ZOO_DATASET_STATUSES)
    assert set(METAFOLD_STATES) == set(EXPECTED[2][2])
    assert set(HDRJPG_STATUSES) == set(EXPECTED[3][2])


@pytest.mark.parametrize("provider", list(ProviderName))
@pytest.mark.parametrize("status", ["cancelled_by_gremlins", "", None, "Queued!", "Pending\x1b[2J"])
def test_unknown_values_map_to_unknown(provider: ProviderName, status: str | None) -> None:
    kind = JobKind.DATASET_CONVERSION if provider == ProviderName.ZOO else JobKind.CONVERSION
    assert map_state(provider, kind, status) is U


def test_future_zoo_error_values_are_failures() -> None:
    assert map_state("zoo", "dataset_conversion", "error_new_kind_added_later") is F
    assert map_state("zoo", "async_operation", "error_something") is U


def test_lettrlabs_words_and_has_errors() -> None:
    assert map_state("lettrlabs", "conversion", "Processing") is R
    assert map_state("lettrlabs", "conversion", "Completed") is S
    assert map_state("lettrlabs", "conversion", "string") is U
    assert map_state("lettrlabs", "conversion", "Completed", has_errors=True) is F


def test_phase_lists() -> None:
    assert len(ZOO_PHASES) == 12 and ZOO_PHASES.index("manual_kcl_override") == 4
    assert len(ZOO_SEED_PHASES) == 11 and ZOO_SEED_PHASES[-1] == "completed"
    seed_text = (SEEDS_DIR / "000_a8ce33f995309dee.txt").read_text()
    indexed = re.findall(r"(\w+): Phase index `(\d+)`", seed_text)
    assert [name for name, _ in indexed] == list(ZOO_SEED_PHASES)
    assert [int(i) for _, i in indexed] == list(range(11))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-07-22T17:50:31.606Z", datetime(2025, 7, 22, 17, 50, 31, 606000, UTC)),
        ("2024-10-12T07:18:40+00:00", datetime(2024, 10, 12, 7, 18, 40, tzinfo=UTC)),
        ("2006-01-02T22:04:05+02:00", datetime(2006, 1, 2, 20, 4, 5, tzinfo=UTC)),
        ("2006-01-02T22:04:05-07:30", datetime(2006, 1, 3, 5, 34, 5, tzinfo=UTC)),
        ("2024-04-29T19:58:23.472123456Z", datetime(2024, 4, 29, 19, 58, 23, 472123, UTC)),
        ("2024-04-29 19:58:23", datetime(2024, 4, 29, 19, 58, 23, tzinfo=UTC)),
        ("2024-04-29T19:58:23", datetime(2024, 4, 29, 19, 58, 23, tzinfo=UTC)),
        ("Mon, 01 Jan 2024 00:00:00 GMT", datetime(2024, 1, 1, tzinfo=UTC)),
        ("Tue, 15 Nov 1994 08:12:31 +0100", datetime(1994, 11, 15, 7, 12, 31, tzinfo=UTC)),
    ],
)
def test_timestamps_parse_to_aware_utc(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "junk", ["", "yesterday", "2024-13-45T00:00:00Z", "Mon, 99 Foo", 17, None, [], "9" * 5000]
)
def test_unparsable_timestamps_give_none(junk: object) -> None:
    assert parse_timestamp(junk) is None


@given(st.text(max_size=80))
def test_parse_timestamp_never_raises(text: str) -> None:
    result = parse_timestamp(text)
    assert result is None or result.tzinfo is not None


TIMESTAMP = re.compile(r'"(\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:\d\d))"')


@pytest.mark.parametrize("seed", sorted(SEEDS_DIR.glob("*.txt")), ids=lambda p: p.name[:3])
def test_every_seed_timestamp_parses(seed: object) -> None:
    text = seed.read_text()  # type: ignore[attr-defined]
    stamps = TIMESTAMP.findall(text)
    for stamp in stamps:
        parsed = parse_timestamp(stamp)
        assert parsed is not None and parsed.tzinfo is not None, stamp


def test_seed_statuses_map() -> None:
    """The status words that appear in the seed examples themselves."""
    assert map_state("zoo", "async_operation", "failed") is F  # the listed operation
    assert map_state("metafold", "job", "success") is S  # job 123
    assert map_state("hdrjpg", "conversion", "Pending") is Q  # 88667411-…
    assert map_state("lettrlabs", "conversion", "string", has_errors=True) is F  # envelope example


def test_job_json_has_exactly_the_documented_keys() -> None:
    job = Job(
        account="a",
        provider=ProviderName.METAFOLD,
        kind=JobKind.JOB,
        id="123",
        name="sample-mesh",
        status="success",
        state=S,
        created_at=parse_timestamp("2006-01-02T22:04:05+00:00"),
        progress=1.0,
        parent_id="123",
    )
    data = job.to_json()
    assert tuple(data) == JSON_KEYS
    assert data["created_at"] == "2006-01-02T22:04:05Z"
    assert Job.from_json(data, parent_id="123") == job


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "0.5", True, None])
def test_progress_rejects_non_numbers(value: object) -> None:
    assert clamp_progress(value) is None


def test_progress_clamps() -> None:
    assert clamp_progress(1.7) == 1.0 and clamp_progress(-3) == 0.0 and clamp_progress(0.25) == 0.25


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1998-12-31T23:59:60Z", datetime(1999, 1, 1, tzinfo=UTC)),
        ("1998-12-31t23:59:60.25z", datetime(1999, 1, 1, 0, 0, 0, 250000, UTC)),
        ("1999-01-01T05:29:60+05:30", datetime(1999, 1, 1, tzinfo=UTC)),
        ("Thu, 31 Dec 1998 23:59:60 GMT", datetime(1999, 1, 1, tzinfo=UTC)),
    ],
)
def test_leap_seconds_are_the_second_after_59(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31T23:30:00-01:00",
        "0001-01-01T00:30:00+01:00",
        "9999-12-31T23:59:60Z",
        "Fri, 31 Dec 9999 23:59:59 -0100",
    ],
)
def test_valid_times_outside_years_1_to_9999_are_unknown(text: str) -> None:
    assert parse_timestamp(text) is None


def test_integers_too_large_for_a_float_are_not_numbers() -> None:
    assert finite_number(10**400) is None and clamp_progress(10**400) is None
    assert finite_number(10**20) == 1e20


def _job(**texts: str | None) -> Job:
    fields: dict[str, object] = {"name": "part.step", "status": "queued", "error": None, **texts}
    return Job.from_server(
        account="a",
        provider=ProviderName.ZOO,
        kind=JobKind.DATASET_CONVERSION,
        id="\x1b[1m 7\n",
        state=JobState.QUEUED,
        parent_id="",
        **fields,  # type: ignore[arg-type]
    )


def test_display_texts_are_clean_and_json_carries_the_exact_ones() -> None:
    clean_job = _job()
    assert clean_job.exact is None
    job = _job(name="a\x1b[31mb", status="\x1b[31merror_x", error="e" * 20_000)
    assert (job.name, job.status) == (clean("a\x1b[31mb"), clean("\x1b[31merror_x", 100))
    assert "\x1b" not in job.name + job.status
    assert job.error is not None and len(job.error) == 10_000
    assert dict(job.exact or {}) == {
        "name": "a\x1b[31mb",
        "status": "\x1b[31merror_x",
        "error": "e" * 20_000,
    }
    data = job.to_json()
    assert (data["id"], data["name"], data["status"], data["error"]) == (
        "\x1b[1m 7\n",
        "a\x1b[31mb",
        "\x1b[31merror_x",
        "e" * 20_000,
    )
    assert Job.from_json(data, parent_id="") == job
    assert hash(job) == hash(_job(name="a\x1b[31mb", status="\x1b[31merror_x", error="e" * 20_000))


def test_a_tampered_store_object_is_read_like_server_input() -> None:
    data = _job().to_json() | {
        "name": "evil\x1b]52;c;cm0=\x07name",
        "status": "queued\u202e",
        "error": "\x9b31m",
        "created_at": "9999-12-31T23:30:00-01:00",
        "progress": float("inf"),
    }
    job = Job.from_json(data)
    assert (job.name, job.status, job.error) == (
        clean(data["name"]),
        clean(data["status"]),
        clean(data["error"], 10_000),
    )
    assert is_clean(job.name + job.status + (job.error or ""))
    assert job.created_at is None and job.progress is None
    assert job.to_json()["name"] == data["name"]
    for broken in ({"name": 5}, {"id": None}, {"state": "exploded"}, {"error": ["x"]}):
        with pytest.raises(ValueError):
            Job.from_json(data | broken)
    with pytest.raises(ValueError):
        Job.from_json({"account": "a"})


def test_json_progress_is_always_finite() -> None:
    job = Job(
        "a",
        ProviderName.HDRJPG,
        JobKind.CONVERSION,
        "u",
        "n",
        "Running",
        JobState.RUNNING,
        progress=float("inf"),
    )
    assert job.to_json()["progress"] is None
