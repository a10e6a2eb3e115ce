"""The jobs screen's view state without an app: the view and its filters, each source's
health, counts and stuck jobs, what the table and the status line say, and the sources'
one-line layout."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.ui.fakes import NOW, FakeProvider, make_job
from tui.clock import FrozenClock
from tui.job_index.filters import StatusChoice
from tui.job_index.index import Column, JobIndex, PendingUpdate
from tui.job_index.search import parse_search
from tui.models import JobState, ProviderName
from tui.providers.base import Capabilities
from tui.screens.jobs_view import COLLAPSE_BELOW_ROWS, JobsView, apply_in_slices
from tui.sync.health import Health

ACCOUNTS = ["zoo-prod", "meta-lab"]


def view() -> JobsView:
    return JobsView.of([FakeProvider(account) for account in ACCOUNTS], 5.0, 12)


def index_of(*jobs_per_account: int) -> JobIndex:
    index = JobIndex(now=FrozenClock(NOW))
    jobs = [
        make_job(account, n, JobState.FAILED if n == 0 else JobState.SUCCEEDED)
        for account, count in zip(ACCOUNTS, jobs_per_account, strict=True)
        for n in range(count)
    ]
    index.apply(PendingUpdate(jobs, []))
    return index


def test_every_source_starts_loading_in_the_all_view_with_no_filter() -> None:
    state = view()
    assert state.accounts_in_view() == ACCOUNTS and not state.filtered
    assert [h.health for h in state.health.values()] == [Health.LOADING, Health.LOADING]
    assert {h.interval for h in state.health.values()} == {5.0}
    assert set(state.labels) == set(ACCOUNTS)
    state.view = 2
    assert state.accounts_in_view() == ["meta-lab"]


def test_the_filters_make_the_index_filter_and_esc_clears_them() -> None:
    state = view()
    clock = FrozenClock(NOW)
    state.view = 1
    state.toggle_failed()
    state.search = "part-1 "
    state.next_window()
    state.stuck = {"zoo-prod": frozenset({("zoo-prod", "a")}), "meta-lab": frozenset()}
    state.stuck_only = True
    made = state.job_filter(clock)
    assert made.accounts == {"zoo-prod"} and made.states == {JobState.FAILED}
    assert made.search == parse_search("part-1 ")
    assert made.changed_since == NOW - timedelta(minutes=15)
    assert made.keys == frozenset({("zoo-prod", "a")})
    assert state.filtered
    state.toggle_failed()
    assert state.states == frozenset()
    state.clear_filters()
    assert not state.filtered and state.job_filter(clock).is_empty is False  # the view stays
    state.view = 0
    assert state.job_filter(clock).is_empty


def test_the_servers_are_asked_for_what_they_can_filter_and_sort() -> None:
    state = view()
    state.states = frozenset({JobState.RUNNING})
    state.status = StatusChoice(ProviderName.ZOO, "in_progress")
    state.search = "part re:x$"
    query = state.view_query(Column.AGE, descending=False)
    assert (query.states, query.status) == (frozenset({JobState.RUNNING}), "in_progress")
    assert query.text == parse_search("part re:x$").server_text
    assert (query.sort_key, query.descending) == ("created_at", True)  # oldest = latest first
    by_duration = state.view_query(Column.DURATION, descending=True)
    assert (by_duration.sort_key, by_duration.descending) == (None, True)


def test_counts_come_from_the_server_while_a_listing_loads_in_parts() -> None:
    state, index = view(), index_of(3, 2)
    assert state.counts("zoo-prod", index) == {JobState.FAILED: 1, JobState.SUCCEEDED: 2}
    state.loaded("zoo-prod", NOW, NOW, "loading 3 of 900", {JobState.RUNNING: 900})
    assert state.counts("zoo-prod", index) == {JobState.RUNNING: 900}
    facts = state.status_facts(index, "Age", 5.0, paused=True)
    assert (facts.shown, facts.in_view, facts.paused, facts.window) == (5, 902, True, None)


def test_health_follows_each_refresh_and_says_what_the_table_shows() -> None:
    state, index = view(), index_of(0, 0)
    assert state.empty_text(index) == "Loading…"
    state.stored({"meta-lab": NOW - timedelta(hours=1)})
    assert state.stale_accounts() == {"meta-lab"}
    assert state.started("zoo-prod") and state.health["zoo-prod"].refreshing
    assert not state.started("unknown")
    before = state.loaded("zoo-prod", NOW, NOW + timedelta(seconds=5), None, None)
    assert before.health == Health.LOADING and before.refreshing
    after = state.health["zoo-prod"]
    assert (after.health, after.refreshing, after.last_ok_at) == (Health.OK, False, NOW)
    assert not state.failed("meta-lab", "down", NOW)
    assert state.failed("meta-lab", "down again", NOW)  # failing already: told once
    assert state.health["meta-lab"].failures == 2
    assert state.stale_accounts() == {"meta-lab"}
    assert state.empty_text(index) == "No jobs"
    index = index_of(2, 0)
    index.set_filter(state.job_filter(FrozenClock(NOW)))
    assert state.empty_text(index) == "No jobs"
    state.toggle_failed()
    state.view = 2
    index.set_filter(state.job_filter(FrozenClock(NOW)))
    assert state.empty_text(index) == "No jobs match the filter (Esc clears it)"
    state.set_interval(10.0)
    assert {h.interval for h in state.health.values()} == {10.0}


def test_stuck_keys_change_only_when_they_differ_and_only_known_ones_count() -> None:
    state = view()
    known = {("zoo-prod", "a"), ("meta-lab", "b")}
    found = {"zoo-prod": frozenset({("zoo-prod", "a"), ("zoo-prod", "not-yet")})}
    assert state.set_stuck(found, known.__contains__) == frozenset({("zoo-prod", "a")})
    assert state.set_stuck(found, known.__contains__) is None  # nothing new
    both = state.set_stuck({"meta-lab": frozenset({("meta-lab", "b")})}, known.__contains__)
    assert both == frozenset({("zoo-prod", "a"), ("meta-lab", "b")})
    assert state.stuck_counts() == [1, 1]


def test_the_sources_take_one_line_on_a_short_terminal_unless_told() -> None:
    state = view()
    assert state.collapsed(COLLAPSE_BELOW_ROWS - 1) and not state.collapsed(COLLAPSE_BELOW_ROWS)
    state.collapsed_choice = False
    assert not state.collapsed(10)


def test_t_offers_the_views_source_else_the_highlighted_jobs_else_a_tracker() -> None:
    tracker = FakeProvider("hdr", capabilities=Capabilities(lists=False))
    providers = [FakeProvider("zoo-prod"), tracker]
    state = JobsView.of(providers, 5.0, 12)
    assert state.track_default(providers, None) == "hdr"  # it only tracks ids
    assert state.track_default(providers, "zoo-prod") == "zoo-prod"
    state.view = 1
    assert state.track_default(providers, "hdr") == "zoo-prod"
    assert JobsView.of([], 5.0, 12).track_default([], None) is None
    lists_only = [FakeProvider("a"), FakeProvider("b")]
    assert JobsView.of(lists_only, 5.0, 12).track_default(lists_only, None) == "a"


async def test_a_large_update_is_applied_in_slices_with_what_changed() -> None:
    index = index_of(1, 0)
    jobs = [make_job("meta-lab", n) for n in range(25)]
    turns = 0

    async def count_turns() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    counting = asyncio.ensure_future(count_turns())
    gone = make_job("zoo-prod", 0).key
    changes = await apply_in_slices(index, PendingUpdate(jobs, [gone]), 10)
    counting.cancel()
    assert changes.added == {job.key for job in jobs}
    assert changes.removed == {gone}
    assert len(index) == 25 and turns >= 2  # the loop ran between the slices
