"""App-level data messages: what refresh workers post for the screen to handle.

Workers compute and post; handlers on `JobsScreen` own the state (docs/design.md §1).
`from_engine` turns each of the sync engine's reports into its message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from textual.message import Message

from tui.errors import ProviderError
from tui.job_index.index import PendingUpdate
from tui.models import JobState, Transition
from tui.store import ChangeSummary, OpenMark
from tui.sync import events
from tui.sync.dashboard import Startup, TrackChange
from tui.sync.events import SyncEvent


@dataclass
class RefreshStarted(Message):
    """A source began a refresh."""

    account: str


@dataclass
class JobsLoaded(Message):
    """A source's refresh succeeded; `update` holds only what changed."""

    account: str
    update: PendingUpdate
    fetched_at: datetime
    transitions: list[Transition]
    tracked_errors: int = 0
    saved_seq: int | None = None
    """The store's newest transition number after this refresh was saved (None if not)."""
    newest_update: datetime | None = None
    """The newest `updated_at` of a listing that saw every change (no server-side filter,
    not cut short): where the next incremental refresh may start. None moves nothing."""
    store_error: str | None = None
    """Why the store could not save this refresh (then `transitions` come from the index)."""
    note: str | None = None
    """The listing is not whole yet, or a cap cut it: the provider's one line about it."""
    counts: Mapping[JobState, int] | None = None
    """While a listing loads: the server's counts per state for the whole of it."""
    next_try_at: datetime | None = None
    """When the source refreshes next (None: not known)."""
    summarised: bool = False
    """The since-last-open summary counts these transitions: not notified one by one."""
    stuck: frozenset[tuple[str, str]] | None = None
    """The source's stuck jobs once `update` is applied (None: not looked for)."""


@dataclass
class RefreshFailed(Message):
    """A source's refresh failed; its last good rows stay, marked stale."""

    account: str
    error: ProviderError
    failed_at: datetime
    next_try_at: datetime
    note: str | None = None
    """Why the next try waits longer than an interval (a refused credential, Retry-After)."""


@dataclass
class SummaryReady(Message):
    """What changed since the app was last open (`tui.sync.events.SummaryReady`)."""

    summary: ChangeSummary
    mark: OpenMark
    unchecked: dict[str, str]


@dataclass
class StartupLoaded(Message):
    """The store's jobs, refresh times and tracked ids, read at start."""

    startup: Startup


@dataclass
class TrackingChanged(Message):
    """An id was tracked or untracked (`t`, `u`), or the store refused."""

    change: TrackChange


@dataclass
class OpenJobRequested(Message):
    """The user asked to open a job's detail."""

    account: str
    job_id: str


def from_engine(event: SyncEvent) -> Message | None:
    """The message a screen posts for one of the engine's reports (`tui.sync.events`),
    None for a report no screen takes."""
    if isinstance(event, events.RefreshStarted):
        return RefreshStarted(event.account)
    if isinstance(event, events.JobsChanged):
        return JobsLoaded(
            event.account,
            event.update,
            event.fetched_at,
            event.transitions,
            event.tracked_errors,
            saved_seq=event.saved_seq,
            newest_update=event.newest_update,
            store_error=event.store_error,
            note=event.note,
            counts=event.counts,
            next_try_at=None if event.more else event.health.next_try_at,
            summarised=event.summarised,
            stuck=event.stuck,
        )
    if isinstance(event, events.RefreshFailed):
        return RefreshFailed(
            event.account, event.error, event.failed_at, event.next_try_at, event.note
        )
    if isinstance(event, events.SummaryReady):
        return SummaryReady(event.summary, event.mark, event.unchecked)
    return None
