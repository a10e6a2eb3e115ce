"""Refreshes asked for while the loop is busy or waiting: `r` during a run, filters the
server applies, the incremental watermark under such filters, and a store that fails."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from time import monotonic

import pytest
from textual.widgets import Static

from tests.ui.fakes import NOW, FakeProvider, changed, make_job, sample_jobs
from tests.ui.test_jobs_screen import SIZE, loaded, make_app, state_of
from tests.waiting import wait_for
from tui.clock import FrozenClock
from tui.errors import RateLimitedError
from tui.models import Job, JobState, Transition
from tui.providers.base import Capabilities, ListQuery, ListResult
from tui.screens import jobs as jobs_module
from tui.store import JobStore


def minutes(count: int) -> timedelta:
    """`count` minutes."""
    return timedelta(minutes=count)


SERVER_FILTERS = frozenset({"states", "status", "text"})


class ServerSideProvider(FakeProvider):
    """A fake whose "server" applies the states, status and text filters and
    `updated_since`, as Zoo's conversion listing does."""

    def __init__(self, account: str, jobs: Sequence[Job], *, latency: float = 0.0) -> None:
        super().__init__(
            account,
            jobs,
            capabilities=Capabilities(lists=True, server_filters=SERVER_FILTERS, incremental=True),
            latency=latency,
        )

    async def list_jobs(self, query: ListQuery) -> ListResult:
        result = await super().list_jobs(query)
        since = query.updated_since
        jobs = [
            job
            for job in result.jobs
            if (not query.states or job.state in query.states)
            and (query.status is None or job.status == query.status)
            and (query.text is None or query.text.casefold() in job.name.casefold())
            and (since is None or (job.updated_at is not None and job.updated_at >= since))
        ]
        asked = (("states", query.states), ("status", query.status), ("text", query.text))
        applied = frozenset(name for name, value in asked if value)
        return replace(result, jobs=jobs, applied=applied, incremental=since is not None)


# --- 1. `r` while a refresh runs ------------------------------------------------------


async def test_r_during_a_refresh_runs_another_right_after_it(
    store: JobStore, clock: FrozenClock
) -> None:
    slow = FakeProvider("slow", sample_jobs("slow", 3), latency=1.0)
    app = make_app([slow], store, clock, refresh=60)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await loaded(pilot, [slow])
        await pilot.press("r")
        await wait_for(pilot, lambda: len(slow.started) == 2)
        assert slow.in_flight == 1
        await pilot.press("r")  # while the second listing is in flight
        await wait_for(pilot, lambda: len(slow.started) == 3)  # not 60 s later
        assert slow.started[2] >= slow.ended[1]  # after it, never beside it
        assert slow.started[2] - slow.ended[1] < 1.0
        await wait_for(pilot, lambda: len(slow.ended) == 3)
        await pilot.pause(0.8)
        assert len(slow.started) == 3  # one more run, not a loop
        assert slow.max_in_flight == 1


async def test_r_during_a_refresh_still_waits_for_the_providers_floor(
    store: JobStore, clock: FrozenClock
) -> None:
    floor = 1.0
    source = FakeProvider(
        "hdr",
        sample_jobs("hdr", 3),
        latency=0.8,
        capabilities=Capabilities(lists=True, min_poll_interval=floor),
    )
    app = make_app([source], store, clock, refresh=60)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await loaded(pilot, [source])
        await pilot.press("r")  # right after the first run: held until the floor has passed
        await wait_for(pilot, lambda: len(source.started) == 2)
        await pilot.press("r")
        await wait_for(pilot, lambda: len(source.started) == 3)
        assert source.started[1] - source.ended[0] >= floor - 0.05
        assert source.started[2] - source.ended[1] >= floor - 0.05
        assert source.started[2] - source.ended[1] < floor + 1.0
        assert source.max_in_flight == 1


async def test_r_during_a_rate_limited_refresh_waits_out_retry_after(
    store: JobStore, clock: FrozenClock
) -> None:
    source = FakeProvider("zoo-prod", sample_jobs("zoo-prod", 3), latency=0.8)
    app = make_app([source], store, clock, refresh=60)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, [source])
        source.error = RateLimitedError("slow down", retry_after=1.5, account="zoo-prod")
        await pilot.press("r")
        await wait_for(pilot, lambda: len(source.started) == 2)
        await pilot.press("r")  # asked again while the refused listing is in flight
        await wait_for(pilot, lambda: screen.source_health("zoo-prod").failures == 1)
        source.error = None
        # the source says when it tries next: after the rate limit's wait, not an interval
        health = screen.source_health("zoo-prod")
        assert health.next_try_at is not None
        assert (health.next_try_at - clock()).total_seconds() == pytest.approx(1.5)
        sources = str(screen.query_one("#sources", Static).content)
        assert "next try in" in sources
        await wait_for(pilot, lambda: len(source.started) == 3)
        assert source.started[2] - source.ended[1] >= 1.5 - 0.05
        assert source.started[2] - source.ended[1] < 1.5 + 1.0
        assert source.max_in_flight == 1


async def test_r_while_retry_after_holds_says_when(store: JobStore, clock: FrozenClock) -> None:
    source = FakeProvider("zoo-prod", sample_jobs("zoo-prod", 3))
    app = make_app([source], store, clock, refresh=60)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, [source])
        source.error = RateLimitedError("slow down", retry_after=30, account="zoo-prod")
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.source_health("zoo-prod").failures == 1)
        calls = len(source.queries)
        await pilot.press("r")
        await pilot.pause(0.5)
        assert len(source.queries) == calls  # Retry-After holds a hand-made refresh too
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("Refreshing now; zoo-prod in ") for m in messages), messages


# --- 2. the incremental watermark under server-side filters ---------------------------


async def test_filtered_listings_do_not_move_the_incremental_watermark(
    store: JobStore, clock: FrozenClock
) -> None:
    running = changed(make_job("zoo-prod", 1, JobState.RUNNING), updated_at=NOW - minutes(30))
    failed = changed(make_job("zoo-prod", 2, JobState.FAILED), updated_at=NOW - minutes(40))
    source = ServerSideProvider("zoo-prod", [running, failed])
    app = make_app([source], store, clock, refresh=60)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, [source])
        await pilot.press("n", "n")  # notify of every job that ends, successes too
        assert state_of(screen, running) == JobState.RUNNING
        # with failed-only on: the running job succeeds, and a newer job fails
        await pilot.press("f")
        succeeded = changed(
            running,
            state=JobState.SUCCEEDED,
            status="success",
            finished_at=NOW - minutes(10),
            updated_at=NOW - minutes(10),
        )
        newer = changed(make_job("zoo-prod", 3, JobState.FAILED), updated_at=NOW - minutes(2))
        source.jobs = [succeeded, failed, newer]
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.index.get(newer.key) is not None)
        assert source.queries[-1].states == frozenset({JobState.FAILED})
        assert state_of(screen, running) == JobState.RUNNING  # not listed: filtered
        # the filter off: the next incremental refresh still reaches the success
        await pilot.press("f")
        await pilot.press("r")
        await wait_for(pilot, lambda: state_of(screen, running) == JobState.SUCCEEDED)
        unfiltered = [q for q in source.queries if not q.states]
        since = unfiltered[-1].updated_since
        assert since is not None  # it was an incremental one
        assert succeeded.updated_at is not None and since <= succeeded.updated_at
        await wait_for(pilot, lambda: any("job succeeded" in n.title for n in app._notifications))


# --- 3. a change of the server-side filters wakes the sources it concerns --------------


async def test_a_server_side_filter_change_refreshes_at_once(
    store: JobStore, clock: FrozenClock
) -> None:
    served = ServerSideProvider("zoo-prod", sample_jobs("zoo-prod", 12))
    local = FakeProvider("meta-lab", sample_jobs("meta-lab", 6))  # its server filters nothing
    app = make_app([served, local], store, clock, refresh=60)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await loaded(pilot, [served, local])
        assert len(served.queries) == 1
        await pilot.press("f")
        await wait_for(pilot, lambda: len(served.queries) == 2)
        assert served.queries[-1].states == frozenset({JobState.FAILED})
        # local-only changes (sort, view) ask no server
        await pilot.press("s", "2", "1")
        await pilot.pause(0.4)
        assert len(served.queries) == 2
        await pilot.press("f")
        await wait_for(pilot, lambda: len(served.queries) == 3)
        assert served.queries[-1].states == frozenset()
        await pilot.pause(0.3)
        assert len(served.queries) == 3
        assert len(local.queries) == 1  # nothing changed for a source that filters nothing


async def test_search_asks_the_server_after_a_pause_in_typing_or_on_enter(
    store: JobStore, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    settle = 2.0
    monkeypatch.setattr(jobs_module, "SERVER_QUERY_SETTLE", settle)
    served = ServerSideProvider("zoo-prod", sample_jobs("zoo-prod", 12))
    app = make_app([served], store, clock, refresh=60)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, [served])
        typed = monotonic()
        await pilot.press("slash", *"part-00")
        assert len(served.queries) == 1  # no query per keystroke
        await wait_for(pilot, lambda: len(served.queries) == 2)
        assert served.started[1] - typed >= settle - 0.05
        assert served.queries[-1].text == "part-00"
        await pilot.pause(settle + 0.3)
        assert len(served.queries) == 2  # once, when typing paused
        # a regex stays local: the server-side text is dropped, so it is asked once more
        await pilot.press("escape")  # clears the search box
        await pilot.press("slash", *"re:x$", "enter")
        await wait_for(pilot, lambda: len(served.queries) == 3)
        assert served.queries[-1].text is None
        await pilot.press("escape")  # clears every filter: nothing new for the server
        await pilot.press("slash", *"part-001", "enter")
        await wait_for(pilot, lambda: len(served.queries) == 4)
        assert served.queries[-1].text == "part-001"
        assert served.started[3] < screen._typed_at + settle  # Enter did not wait for the pause
        await pilot.pause(settle + 0.3)
        assert len(served.queries) == 4


async def test_a_filter_change_while_paused_waits_for_resume(
    store: JobStore, clock: FrozenClock
) -> None:
    served = ServerSideProvider("zoo-prod", sample_jobs("zoo-prod", 12))
    app = make_app([served], store, clock, refresh=60)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await loaded(pilot, [served])
        await pilot.press("p", "f")
        await pilot.pause(0.5)
        assert len(served.queries) == 1
        await pilot.press("p")
        await wait_for(pilot, lambda: len(served.queries) == 2)
        assert served.queries[-1].states == frozenset({JobState.FAILED})


async def test_a_filter_change_during_a_refresh_is_sent_right_after_it(
    store: JobStore, clock: FrozenClock
) -> None:
    served = ServerSideProvider("zoo-prod", sample_jobs("zoo-prod", 12), latency=1.0)
    app = make_app([served], store, clock, refresh=60)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await loaded(pilot, [served])
        await pilot.press("r")
        await wait_for(pilot, lambda: len(served.started) == 2)
        assert served.in_flight == 1
        await pilot.press("f")  # the listing in flight was asked without it
        await wait_for(pilot, lambda: len(served.started) == 3)
        assert served.queries[-1].states == frozenset({JobState.FAILED})
        assert served.started[2] >= served.ended[1]
        assert served.max_in_flight == 1


# --- a store that cannot be written -----------------------------------------------------


async def test_jobs_that_end_are_notified_when_the_store_fails(
    store: JobStore, clock: FrozenClock
) -> None:
    first = make_job("zoo-prod", 1, JobState.RUNNING, name="first.step")
    second = make_job("zoo-prod", 2, JobState.RUNNING, name="second.step")
    source = FakeProvider("zoo-prod", [first, second])
    app = make_app([source], store, clock)
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        screen = await loaded(pilot, [source])
        await pilot.press("n", "n")  # notify of every job that ends, successes too

        def broken(*_: object, **__: object) -> list[Transition]:
            raise sqlite3.OperationalError("disk I/O error")

        store.save_jobs = broken  # type: ignore[method-assign]
        source.jobs = [changed(first, state=JobState.FAILED, status="error_user"), second]
        await pilot.press("r")
        await wait_for(pilot, lambda: any("job failed" in n.title for n in app._notifications))
        note = next(n for n in app._notifications if "job failed" in n.title)
        assert "first.step" in note.message
        source.jobs = [source.jobs[0], changed(second, state=JobState.SUCCEEDED, status="success")]
        await pilot.press("r")
        await wait_for(pilot, lambda: any("job succeeded" in n.title for n in app._notifications))
        assert state_of(screen, second) == JobState.SUCCEEDED
        # The failure is a warning line that stays on the list (one, not one per refresh).
        from tui.screens.store_problem import StoreNotice

        notices = list(screen.query(StoreNotice))
        assert len(notices) == 1
        assert "could not be written" in str(notices[0].render())
        assert "OperationalError" in str(notices[0].render())


# --- the pure parts ---------------------------------------------------------------------


def test_shortest_delay_is_the_floor_or_retry_after() -> None:
    from tui.errors import UnavailableError
    from tui.sync.policy import RefreshPolicy

    policy = RefreshPolicy(interval=60, min_interval=2)
    assert policy.shortest_delay() == 2
    assert policy.shortest_delay(UnavailableError("down")) == 2
    assert policy.shortest_delay(RateLimitedError("slow", retry_after=30)) == 30
    assert policy.shortest_delay(RateLimitedError("slow", retry_after=0.5)) == 2
    assert RefreshPolicy(interval=5).shortest_delay() == 0


def test_index_transitions_are_changes_of_state_of_known_jobs() -> None:
    from tui.sync.source import index_transitions

    running = make_job("zoo-prod", 1, JobState.RUNNING)
    queued = make_job("zoo-prod", 2, JobState.QUEUED)
    known = {running.key: running, queued.key: queued}
    fresh = make_job("zoo-prod", 3, JobState.FAILED)
    jobs = [
        changed(running, state=JobState.FAILED, status="error_user"),
        changed(queued, name="renamed"),  # changed, but not its state
        fresh,  # first seen: no transition to notify
    ]
    transitions = index_transitions("zoo-prod", known.get, jobs, NOW)
    assert [(t.job_id, t.old_state, t.new_state, t.status) for t in transitions] == [
        (running.id, JobState.RUNNING, JobState.FAILED, "error_user")
    ]
    assert transitions[0].at == NOW
