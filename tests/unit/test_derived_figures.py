"""The derived figures defined once on `Job`, and the CLI's JSON writer and argument values."""

from __future__ import annotations

import argparse
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tui.arguments import since_arg, sort_arg
from tui.commands import dump_json, emit_json, filter_jobs, sort_jobs
from tui.job_index.index import _SORT_KEYS, Column
from tui.models import Job, JobKind, JobState, ProviderName

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
T0 = NOW - timedelta(hours=1)


def job(state: JobState, **fields: object) -> Job:
    base = Job(
        account="a",
        provider=ProviderName.METAFOLD,
        kind=JobKind.JOB,
        id="1",
        name="n",
        status=state.value,
        state=state,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def test_duration_is_run_time() -> None:
    finished = job(
        JobState.SUCCEEDED,
        created_at=T0,
        started_at=T0 + timedelta(minutes=5),
        finished_at=T0 + timedelta(minutes=8),
    )
    assert finished.duration_seconds(NOW) == 180
    running = job(JobState.RUNNING, created_at=T0, started_at=T0 + timedelta(minutes=30))
    assert running.duration_seconds(NOW) == 1800


def test_queued_time_is_not_run_time() -> None:
    assert job(JobState.QUEUED, created_at=T0).duration_seconds(NOW) is None
    assert job(JobState.RUNNING, created_at=T0).duration_seconds(NOW) is None
    # A provider that reports a start for a job it still calls queued: not running yet.
    assert job(JobState.QUEUED, created_at=T0, started_at=T0).duration_seconds(NOW) is None


def test_ended_without_a_start_or_an_end_has_no_duration() -> None:
    """LettrLabs reports no start time: an ended conversion has no duration, not 0s."""
    lettrlabs = job(
        JobState.SUCCEEDED,
        provider=ProviderName.LETTRLABS,
        kind=JobKind.CONVERSION,
        created_at=T0,
        updated_at=T0 + timedelta(minutes=2),
    )
    assert lettrlabs.duration_seconds(NOW) is None
    canceled = job(JobState.CANCELED, created_at=T0, started_at=T0, updated_at=NOW)
    assert canceled.duration_seconds(NOW) is None


def test_age_and_last_change() -> None:
    created = job(JobState.QUEUED, created_at=T0)
    assert created.age_seconds(NOW) == 3600 and created.last_changed_at == T0
    updated = replace(created, updated_at=T0 + timedelta(minutes=1))
    assert updated.last_changed_at == T0 + timedelta(minutes=1)
    finished = replace(updated, finished_at=T0 + timedelta(minutes=2), state=JobState.SUCCEEDED)
    assert finished.last_changed_at == T0 + timedelta(minutes=2) and finished.is_finished
    assert (
        job(JobState.UNKNOWN).last_changed_at is None
        and job(JobState.UNKNOWN).age_seconds(NOW) is None
    )


def test_dashboard_duration_sort_uses_the_same_figure() -> None:
    lettrlabs = job(JobState.SUCCEEDED, created_at=T0, updated_at=NOW)
    assert (
        _SORT_KEYS[Column.DURATION](lettrlabs, NOW) == -1.0
    )  # missing, not the created-to-updated span
    ran = job(JobState.SUCCEEDED, started_at=T0, finished_at=T0 + timedelta(seconds=42))
    assert _SORT_KEYS[Column.DURATION](ran, NOW) == 42


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_json_never_has_infinity_or_nan(value: float) -> None:
    out = io.StringIO()
    dump_json({"progress": value, "raw": {"list": [1.5, value], "nested": {"x": value}}}, out)
    text = out.getvalue()
    assert "Infinity" not in text and "NaN" not in text
    assert json.loads(text) == {
        "progress": None,
        "raw": {"list": [1.5, None], "nested": {"x": None}},
    }


def test_json_strings_stay_exact() -> None:
    exact = "id\nwith\ttab \x1b[31m \u202e"
    out = io.StringIO()
    dump_json({"id": exact}, out)
    assert "\x1b" not in out.getvalue() and "\u202e" not in out.getvalue()
    assert json.loads(out.getvalue())["id"] == exact


def test_jq_strings_print_on_one_line() -> None:
    import jq  # type: ignore[import-not-found]  # a compiled module with no stubs

    out = io.StringIO()
    emit_json([{"id": "a\nb", "n": 1}], None, jq.compile(".[] | .id, .n"), out)
    assert out.getvalue() == "a ⏎ b\n1\n"


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("1h", 3600), ("2d", 172800), ("1h30m", 5400), ("90s", 90)]
)
def test_since_spans(text: str, seconds: int) -> None:
    assert since_arg(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "5", "1y", "h", "-1h", "1h 30m", "1e3h"])
def test_bad_spans(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        since_arg(text)


def test_sort_and_filters() -> None:
    old = job(JobState.FAILED, id="old", created_at=T0, error="Disk FULL")
    new = job(
        JobState.SUCCEEDED,
        id="new",
        created_at=NOW - timedelta(minutes=5),
        started_at=NOW - timedelta(minutes=3),
        finished_at=NOW - timedelta(minutes=2, seconds=55),
    )
    bare = job(JobState.UNKNOWN, id="bare")
    assert [j.id for j in sort_jobs([old, new, bare], *sort_arg("age:asc"), NOW)] == [
        "new",
        "old",
        "bare",
    ]
    assert [j.id for j in sort_jobs([old, new, bare], *sort_arg("duration"), NOW)] == [
        "new",
        "old",
        "bare",
    ]
    # The dashboard's state order (failed first) is the ascending one.
    assert [j.id for j in sort_jobs([new, old], *sort_arg("state:asc"), NOW)] == ["old", "new"]
    kept = filter_jobs([old, new, bare], since=timedelta(minutes=30), now=NOW)
    assert [j.id for j in kept] == ["new"]
    assert [j.id for j in filter_jobs([old, new, bare], error="disk full", now=NOW)] == ["old"]


def test_parser_names_match_the_model() -> None:
    """The parser spells out the model's names (to stay light); they must not drift."""
    from tui.arguments import JOB_FIELDS, PROVIDERS, STATES
    from tui.models import JSON_KEYS

    assert JOB_FIELDS == JSON_KEYS
    assert STATES == tuple(s.value for s in JobState)
    assert PROVIDERS == tuple(p.value for p in ProviderName)
