"""One source's health, as the source bar shows it, and how a refresh changes it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from tui.models import JobState


class Health(StrEnum):
    """How a source is doing, as the source bar shows it."""

    LOADING = "loading"
    """Never refreshed yet in this run (rows, if any, come from the store)."""
    OK = "ok"
    REFRESHING = "refreshing"
    STALE = "stale"
    """Rows from the store, not yet refreshed in this run."""
    FAILING = "failing"
    """The last refresh failed; the last good rows stay, with their age."""


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """One source's refresh state."""

    account: str
    provider: str
    health: Health = Health.LOADING
    refreshing: bool = False
    last_ok_at: datetime | None = None
    """When the rows shown were last fetched successfully."""
    error: str | None = None
    """The last failure as one sentence (cleaned text from the provider layer)."""
    failures: int = 0
    next_try_at: datetime | None = None
    interval: float = 0.0
    stored_at: datetime | None = None
    """When the rows loaded from the store at start were last refreshed (an earlier run)."""
    note: str | None = None
    """The listing is loading in parts ("loading 12,400 of 60,000 conversions") or a cap
    cut it ("incomplete: first N of M jobs"): shown beside the health."""
    server_counts: Mapping[JobState, int] | None = None
    """While a listing loads: the server's counts per state, shown instead of the rows'."""


def health_after_success(current: SourceHealth, at: datetime, next_at: datetime) -> SourceHealth:
    """The state after a refresh succeeded."""
    return replace(
        current,
        health=Health.OK,
        refreshing=False,
        last_ok_at=at,
        error=None,
        failures=0,
        next_try_at=next_at,
    )


def health_after_failure(current: SourceHealth, error: str, next_at: datetime) -> SourceHealth:
    """The state after a refresh failed; the rows already shown stay."""
    return replace(
        current,
        health=Health.FAILING,
        refreshing=False,
        error=error,
        failures=current.failures + 1,
        next_try_at=next_at,
    )
