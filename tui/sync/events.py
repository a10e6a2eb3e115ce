"""What the engine reports: plain dataclasses a front end turns into its own messages.

The dashboard posts them as Textual messages; a headless runner may log or forward them.
No Textual here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from tui.errors import ProviderError
from tui.job_index.index import PendingUpdate
from tui.models import JobState, Transition
from tui.store import ChangeSummary, OpenMark
from tui.sync.health import SourceHealth


@dataclass(frozen=True, slots=True)
class RefreshStarted:
    """A source's refresh has been running a while (`SyncEngine.show_refreshing_after`)."""

    account: str
    health: SourceHealth


@dataclass(frozen=True, slots=True)
class JobsChanged:
    """A refresh (or one batch of a listing in several) succeeded; `update` holds only
    what changed against the index."""

    account: str
    update: PendingUpdate
    fetched_at: datetime
    transitions: list[Transition]
    health: SourceHealth
    """The source's health after this refresh (or batch)."""
    tracked_errors: int = 0
    saved_seq: int | None = None
    """The store's newest transition number after this was saved (None if not)."""
    newest_update: datetime | None = None
    """The newest `updated_at` of a listing that saw every change (the watermark moved)."""
    store_error: str | None = None
    """Why the store could not save this (then `transitions` come from the index)."""
    summarised: bool = False
    """The since-last-open summary counts these transitions: do not notify them one by one."""
    loaded: int = 0
    """Jobs received so far in this run."""
    total: int | None = None
    """How many the server has for what was asked, when it says."""
    more: bool = False
    """More batches of this listing follow at once (`ListResult.resume`)."""
    note: str | None = None
    """The listing is not whole yet, or a cap cut it: one line about it."""
    counts: Mapping[JobState, int] | None = None
    """While a listing loads: the server's counts per state for the whole of it."""
    stuck: frozenset[tuple[str, str]] | None = None
    """The source's running jobs past their kind's typical run time, once this update is
    applied (None: not looked for)."""


@dataclass(frozen=True, slots=True)
class RefreshFailed:
    """A source's refresh failed; its last good rows stay."""

    account: str
    error: ProviderError
    failed_at: datetime
    next_try_at: datetime
    health: SourceHealth
    note: str | None = None
    """Why the next try waits longer than an interval (a refused credential, Retry-After)."""


@dataclass(frozen=True, slots=True)
class SummaryReady:
    """What changed since the app was last open, counted once every source's first
    refresh arrived (or `SUMMARY_WAIT` passed)."""

    summary: ChangeSummary
    mark: OpenMark
    unchecked: dict[str, str]
    """Sources the summary could not compare, and why ("failing", "no answer yet")."""


SyncEvent = RefreshStarted | JobsChanged | RefreshFailed | SummaryReady
"""Anything the engine reports."""
