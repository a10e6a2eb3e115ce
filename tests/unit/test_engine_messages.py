"""Each of the engine's reports becomes the screen's message with every field carried."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta

from tui import messages
from tui.errors import UnavailableError
from tui.job_index.index import PendingUpdate
from tui.models import JobState, Transition
from tui.store import ChangeSummary, OpenMark
from tui.sync import events
from tui.sync.health import SourceHealth

AT = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
NEXT = AT + timedelta(seconds=30)
HEALTH = SourceHealth("zoo", "zoo", next_try_at=NEXT)


def test_a_refresh_that_started() -> None:
    message = messages.from_engine(events.RefreshStarted("zoo", HEALTH))
    assert isinstance(message, messages.RefreshStarted) and message.account == "zoo"


def test_jobs_changed_carries_every_field_and_the_next_try_unless_more_follows() -> None:
    update = PendingUpdate([], [("zoo", "gone")], seen=3)
    transition = Transition("zoo", "j1", JobState.RUNNING, JobState.FAILED, "failed", AT)
    event = events.JobsChanged(
        "zoo",
        update,
        AT,
        [transition],
        HEALTH,
        tracked_errors=2,
        saved_seq=41,
        newest_update=AT - timedelta(minutes=1),
        store_error="disk full",
        summarised=True,
        note="loading 10 of 20",
        counts={JobState.RUNNING: 7},
        stuck=frozenset({("zoo", "j1")}),
    )
    message = messages.from_engine(event)
    assert isinstance(message, messages.JobsLoaded)
    carried = {field.name: getattr(message, field.name) for field in fields(message)}
    assert carried == {
        "account": "zoo",
        "update": update,
        "fetched_at": AT,
        "transitions": [transition],
        "tracked_errors": 2,
        "saved_seq": 41,
        "newest_update": AT - timedelta(minutes=1),
        "store_error": "disk full",
        "note": "loading 10 of 20",
        "counts": {JobState.RUNNING: 7},
        "next_try_at": NEXT,
        "summarised": True,
        "stuck": frozenset({("zoo", "j1")}),
    }
    batch = messages.from_engine(events.JobsChanged("zoo", update, AT, [], HEALTH, more=True))
    assert isinstance(batch, messages.JobsLoaded) and batch.next_try_at is None


def test_a_failed_refresh_and_the_summary() -> None:
    error = UnavailableError("down", account="zoo")
    failed = messages.from_engine(
        events.RefreshFailed("zoo", error, AT, NEXT, HEALTH, note="Retry-After")
    )
    assert isinstance(failed, messages.RefreshFailed)
    assert (failed.account, failed.error, failed.failed_at, failed.next_try_at, failed.note) == (
        "zoo",
        error,
        AT,
        NEXT,
        "Retry-After",
    )
    summary, mark = ChangeSummary(counts=(("zoo", JobState.FAILED, 1),)), OpenMark(AT, 5)
    ready = messages.from_engine(events.SummaryReady(summary, mark, {"mf": "failing"}))
    assert isinstance(ready, messages.SummaryReady)
    assert (ready.summary, ready.mark, ready.unchecked) == (summary, mark, {"mf": "failing"})
