"""The normalized model: state mapping for every documented status, and timestamps."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import SEEDS_DIR
from tui.models import (
    HDRJPG_STATUSES,
    JSON_KEYS,
    METAFOLD_STATES,
    ZOO_ASYNC_STATUSES,
    ZOO_DATASET_SEED_STATUSES,
    ZOO_DATASET_STATUSES,
    ZOO_PHASES,
    ZOO_SEED_PHASES,
    Job,
    JobKind,
    JobState,
    ProviderName,
    clamp_progress,
    map_state,
    parse_timestamp,
)

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
    ("zoo", "async_operation", {"queued": Q, "uploaded": Q, "in_progress": R, "completed": S, "failed": F}),
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
        {"Pending": Q, "Running": R, "Ready": S, "Delivered": S, "Failed": F, "Cancelled": C, "Deleted": C},
    ),
]


@pytest.mark.parametrize(
    ("provider", "kind", "status", "state"),
    [(p, k, status, state) for p, k, table in EXPECTED for status, state in table.items()],
)
def test_every_documented_status_maps(provider: str, kind: str, status: str, state: JobState) -> None:
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


@pytest.mark.parametrize("junk", ["", "yesterday", "2024-13-45T00:00:00Z", "Mon, 99 Foo", 17, None, [], "9" * 5000])
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
