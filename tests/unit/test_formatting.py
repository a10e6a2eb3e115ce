"""The `fmt_*` helpers never raise and always return a short string (docs/design.md §2)."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tests.ui.fakes import NOW, make_job
from tui.errors import AuthError, RateLimitedError, UnavailableError
from tui.formatting import (
    MISSING,
    fmt_age,
    fmt_date,
    fmt_duration,
    fmt_percent,
    fmt_progress,
    fmt_size,
    fmt_timestamp,
    short_id,
)
from tui.models import JobState
from tui.sync.policy import RefreshPolicy, backoff, faster, slower
from tui.sync.source import finished_tracked_ids

HOSTILE = [None, math.nan, math.inf, -math.inf, -5, 10**20, 10**400, "12", True, object(), 1e308]


def test_duration_and_size_and_percent_on_hostile_values() -> None:
    for value in HOSTILE:
        for formatter in (fmt_duration, fmt_size, fmt_percent):
            text = formatter(value)
            assert isinstance(text, str) and 0 < len(text) <= 12
    assert fmt_duration(None) == MISSING
    assert fmt_duration(-5) == "0s"
    assert fmt_duration(187) == "3m 07s"
    assert fmt_duration(7500) == "2h 05m"
    assert fmt_duration(4 * 86400 + 3 * 3600) == "4d 03h"
    assert fmt_size(12345) == "12.3 kB"
    assert fmt_size(-1) == MISSING
    assert fmt_percent(0.424) == "42%" and fmt_percent(7) == "100%"


def test_age_handles_future_naive_missing_and_old() -> None:
    assert fmt_age(None, NOW) == MISSING
    assert fmt_age("2026-01-01", NOW) == MISSING
    assert fmt_age(NOW + timedelta(seconds=90), NOW) == "just now"
    assert fmt_age(NOW - timedelta(minutes=4), NOW) == "4 minutes"
    naive = (NOW - timedelta(hours=2)).replace(tzinfo=None)
    assert fmt_age(naive, NOW) == "2 hours"
    assert fmt_age(NOW - timedelta(days=3), NOW) == "Nov 19 12:00"
    assert fmt_age(datetime(2020, 5, 1, tzinfo=UTC), NOW) == "2020-05-01"
    assert fmt_age(datetime.min.replace(tzinfo=UTC), NOW) == "0001-01-01"
    assert fmt_date(None) == MISSING and fmt_timestamp(math.nan) == MISSING
    assert fmt_timestamp(NOW) == "2026-11-22 12:00:00Z"


@given(
    st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.text())
)
def test_progress_is_always_exactly_its_width(value: object) -> None:
    for width in (0, 1, 3, 5, 10, 20):
        assert len(fmt_progress(value, width)) == width


def test_progress_bar_shape() -> None:
    assert fmt_progress(0.35, 10) == "█▊     35%"
    assert fmt_progress(1.0, 10) == "█████ 100%"
    assert fmt_progress(None, 10).startswith(MISSING)


def test_short_id() -> None:
    assert short_id("88667411-3fb9-4c92-8488-8e277aed3021", 10) == "88667411-…"
    assert short_id("123", 10) == "123"
    assert short_id("a\nb", 10) == "a ⏎ b"


def test_refresh_policy_backoff_and_retry_after() -> None:
    rng = random.Random(1)
    policy = RefreshPolicy(interval=5, min_interval=2)
    assert policy.next_delay(0) == 5
    assert RefreshPolicy(interval=0.5, min_interval=2).next_delay(0) == 2  # hdrjpg floor
    delays = [policy.next_delay(n, UnavailableError("x"), rng) for n in range(1, 12)]
    assert delays[0] >= 5 and delays[1] >= 10 and delays[2] >= 20
    assert all(d <= 300 * 1.2 for d in delays)
    assert max(delays) >= 300
    assert policy.next_delay(1, RateLimitedError("x", retry_after=120), rng) >= 120
    assert policy.next_delay(1, RateLimitedError("x", retry_after=10**9), rng) == 900
    assert policy.next_delay(1, AuthError("x"), rng) >= 60
    spread = {round(backoff(3, 1, rng=random.Random(seed)), 3) for seed in range(20)}
    assert len(spread) > 5  # jitter


def test_interval_steps_and_skip_ids() -> None:
    assert faster(5) == 3 and slower(5) == 10 and faster(0.5) == 0.5 and slower(600) == 600
    assert slower(4) == 5 and faster(4) == 3
    done = make_job("a", 1, JobState.SUCCEEDED)
    running = make_job("a", 2, JobState.RUNNING)
    untracked = make_job("a", 3, JobState.FAILED)
    assert finished_tracked_ids([done.id, running.id], [done, running, untracked]) == {done.id}


def test_compact_age_units_and_bounds() -> None:
    from tui.formatting import compact_age

    cases = {
        0: "0s",
        45: "45s",
        59.9: "59s",
        60: "1m",
        119: "1m",
        3_599: "59m",
        3_600: "1h",
        86_399: "23h",
        86_400: "1d",
        4 * 86_400: "4d",
        364 * 86_400: "364d",
        365 * 86_400: "1y",
        -5: "0s",
    }
    for seconds, text in cases.items():
        assert compact_age(seconds) == text, seconds
    for bad in (None, math.nan, math.inf, 1e300, True, "60"):
        assert compact_age(bad) == "—"


@given(st.floats(min_value=-1e6, max_value=100 * 365 * 86_400.0))
def test_compact_age_fits_four_cells(seconds: float) -> None:
    from tui.formatting import compact_age

    assert 2 <= len(compact_age(seconds)) <= 4


def test_local_time_today_this_year_and_before() -> None:
    from zoneinfo import ZoneInfo

    from tui.formatting import fmt_local_time

    tokyo = ZoneInfo("Asia/Tokyo")  # NOW is 21:00 there, on Nov 22
    assert fmt_local_time(NOW - timedelta(hours=2), NOW, tokyo) == "19:00:00"
    assert fmt_local_time(NOW - timedelta(hours=22), NOW, tokyo) == "Nov 21 23:00"
    assert fmt_local_time(datetime(2020, 5, 1, tzinfo=UTC), NOW, tokyo) == "2020-05-01"
    assert fmt_local_time(None, NOW, tokyo) == "—"
    assert fmt_local_time(datetime.min.replace(tzinfo=UTC), NOW, tokyo) in ("—", "0001-01-01")
