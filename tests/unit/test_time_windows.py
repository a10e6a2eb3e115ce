"""The time windows `w` steps through: where each starts, on the clock given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tui.job_index.filters import TIME_WINDOWS, window_start

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def test_each_window_starts_its_span_before_now_and_all_has_no_start() -> None:
    calls: list[datetime] = []

    def clock() -> datetime:
        calls.append(NOW)
        return NOW

    assert window_start(0, clock) is None and calls == []  # "all" needs no clock
    starts = [window_start(n, clock) for n in range(1, len(TIME_WINDOWS))]
    assert starts == [
        NOW - timedelta(minutes=15),
        NOW - timedelta(hours=1),
        NOW - timedelta(hours=6),
        NOW - timedelta(hours=24),
        NOW - timedelta(days=7),
    ]
    assert [name for name, _ in TIME_WINDOWS] == ["all", "15 min", "1 h", "6 h", "24 h", "7 d"]
