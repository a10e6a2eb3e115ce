"""The parts of `jobtop serve` and `--attach` in process: metrics from engine events, the
store's health table and its migration, the read-only store, the provider that reads it,
and the HTTP layer's Retry-After hook (over loopback, against the simulator)."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from tests.unit.test_store import job
from tui.attach import ReadOnlyStore, StoreProvider, poller_problem
from tui.clock import FrozenClock
from tui.config import AccountConfig
from tui.errors import RateLimitedError, StoreError, UnavailableError
from tui.job_index.index import PendingUpdate
from tui.metrics import ServeMetrics
from tui.models import JobState, ProviderName, Transition
from tui.providers.base import ListQuery
from tui.providers.client import ApiClient, HttpPolicy
from tui.secret import Secret
from tui.sim.server import SimServer
from tui.store import SCHEMA_VERSION, EventKind, JobStore, StoredHealth
from tui.sync.events import JobsChanged, RefreshFailed
from tui.sync.health import Health, SourceHealth

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def value(metrics: ServeMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def changed(transitions: list[Transition], *, more: bool = False) -> JobsChanged:
    health = SourceHealth("a", "metafold", Health.OK, last_ok_at=T0)
    return JobsChanged("a", PendingUpdate([], []), T0, transitions, health, more=more)


def test_first_listing_is_history_later_sightings_and_changes_count() -> None:
    metrics = ServeMetrics()
    metrics.add_source("a", "metafold", 30.0)
    failed = "jobtop_transitions_total"
    labels = {"account": "a", "provider": "metafold", "to_state": "failed"}
    assert value(metrics, failed, **labels) == 0
    seen = Transition("a", "1", None, JobState.FAILED, "failed", T0)
    metrics.on_event(changed([seen], more=True))
    metrics.on_event(changed([seen]))
    assert value(metrics, failed, **labels) == 0
    assert value(metrics, "jobtop_source_up", account="a", provider="metafold") == 1
    ended = Transition("a", "2", JobState.RUNNING, JobState.FAILED, "x", T0)
    metrics.on_event(changed([seen, ended]))
    assert value(metrics, failed, **labels) == 2


def test_failure_sets_down_since_once_and_counts_retry_after() -> None:
    metrics = ServeMetrics()
    metrics.add_source("a", "metafold", 30.0)
    health = SourceHealth("a", "metafold", Health.FAILING, failures=1)
    error = RateLimitedError("slow down", retry_after=20.0, account="a")
    for seconds in (0, 40):
        at = T0 + timedelta(seconds=seconds)
        metrics.on_event(RefreshFailed("a", error, at, at + timedelta(seconds=25), health))
    source = {"account": "a", "provider": "metafold"}
    assert value(metrics, "jobtop_source_up", **source) == 0
    assert value(metrics, "jobtop_source_down_since_timestamp_seconds", **source) == T0.timestamp()
    assert value(metrics, "jobtop_source_retry_after_wait_seconds_total", **source) == 50
    assert value(metrics, "jobtop_source_health", health="failing", **source) == 1
    assert value(metrics, "jobtop_source_health", health="ok", **source) == 0
    metrics.on_response("a", 429)
    metrics.on_response("a", 204)
    assert value(metrics, "jobtop_source_requests_total", status_class="4xx", **source) == 1
    assert value(metrics, "jobtop_source_requests_total", status_class="2xx", **source) == 1
    assert value(metrics, "jobtop_source_rate_limited_total", **source) == 1


def test_job_gauge_goes_to_zero_for_a_state_no_job_is_in_any_more() -> None:
    metrics = ServeMetrics()
    metrics.add_source("a", "metafold", 30.0)
    metrics.count_jobs("a", [job("1", JobState.RUNNING), job("2", JobState.RUNNING)])
    metrics.count_jobs("a", [job("1", JobState.SUCCEEDED), job("2", JobState.RUNNING)])
    labels = {"account": "a", "provider": "metafold", "kind": "job"}
    assert value(metrics, "jobtop_jobs", state="running", **labels) == 1
    assert value(metrics, "jobtop_jobs", state="succeeded", **labels) == 1
    text = generate_latest(metrics.registry).decode()
    assert "job 1" not in text and '"1"' not in text  # no job id or name as a label


def test_a_version_1_store_gains_the_health_table(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE sources (account TEXT PRIMARY KEY, refreshed_at TEXT NOT NULL);"
        "PRAGMA user_version = 1;"
    )
    old.close()
    store = JobStore(path, clock=FrozenClock(T0))
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    assert store.poller() is None
    store.save_poller(77, T0, 30.0, [StoredHealth("a", "metafold", "failing", error="down.")])
    state = store.poller()
    assert state is not None and (state.pid, state.heartbeat, state.interval) == (77, T0, 30.0)
    assert state.sources["a"].error == "down." and state.sources["a"].health == "failing"
    store.close()


def test_read_only_store_never_writes_and_reports_the_pollers_transitions(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    path = tmp_path / "s.db"
    writer = JobStore(path, clock=clock)
    writer.save_jobs("a", [job("1", JobState.RUNNING)])
    reader = ReadOnlyStore(path, clock=clock)
    writer.save_jobs("a", [job("1", JobState.FAILED, T0)])
    seen = reader.save_jobs("a", [])
    assert [(t.job_id, t.old_state, t.new_state) for t in seen] == [
        ("1", JobState.RUNNING, JobState.FAILED)
    ]
    assert reader.save_jobs("a", []) == []
    with pytest.raises(StoreError):
        reader.add_tracked("a", ["x"])
    writer.add_event("a", EventKind.FAILING, "the poller's sentence")
    reader.add_event("a", EventKind.FAILING, "the viewer's")  # no write, no error
    assert [e.text for e in reader.event_log() if e.kind == EventKind.FAILING] == [
        "the poller's sentence"
    ]
    with pytest.raises(sqlite3.Error):
        reader._db.execute("DELETE FROM jobs")
    assert [j.state for j in writer.load_jobs()] == [JobState.FAILED]
    reader.close()
    writer.close()


async def test_store_provider_lists_what_is_stored_and_fails_as_the_poller_says(
    tmp_path: Path,
) -> None:
    clock = FrozenClock(T0)
    path = tmp_path / "s.db"
    writer = JobStore(path, clock=clock)
    writer.save_jobs("a", [job("1", JobState.RUNNING)])
    writer.save_poller(9, T0, 30.0, [StoredHealth("a", "metafold", "ok")])
    reader = ReadOnlyStore(path, clock=clock)
    account = AccountConfig("a", ProviderName.METAFOLD, "attached:")
    provider = StoreProvider(account, reader)
    first = await provider.list_jobs(ListQuery())
    assert [j.id for j in first.jobs] == ["1"] and not first.incremental
    clock.advance(5)
    writer.save_jobs("a", [job("2", JobState.QUEUED)])
    writer.save_poller(9, clock(), 30.0, [StoredHealth("a", "metafold", "failing", error="boom.")])
    with pytest.raises(UnavailableError) as failed:
        await provider.list_jobs(ListQuery())
    assert failed.value.sentence == "a: jobtop serve: boom."
    writer.save_poller(9, clock(), 30.0, [StoredHealth("a", "metafold", "ok")])
    later = await provider.list_jobs(ListQuery())
    assert "2" in {j.id for j in later.jobs} and later.incremental
    clock.advance(5)
    writer.save_jobs("a", [job("3", JobState.QUEUED)])
    # Only rows stored since the last read (at or after its newest time).
    assert {j.id for j in (await provider.list_jobs(ListQuery())).jobs} == {"2", "3"}
    detail = await provider.get_job("1")
    assert detail.job.id == "1" and "live fetch" in detail.raw["note"]
    clock.advance(3600)
    with pytest.raises(UnavailableError, match=r"pid 9\) has not written this store for 1h"):
        await provider.list_jobs(ListQuery())
    reader.close()
    writer.close()


def test_poller_problem_sentences() -> None:
    from tui.store import PollerState

    assert poller_problem(None, T0, None) == (
        "no jobtop serve has written this store; it holds no refreshed data"
    )
    stopped = PollerState(0, T0, 30.0, {})
    later = T0 + timedelta(minutes=10)
    assert "has stopped; its data is 10m" in (poller_problem(stopped, later, None) or "")
    alive = PollerState(5, T0, 30.0, {})
    assert poller_problem(alive, T0 + timedelta(seconds=5), None) is None


async def test_http_layer_tells_each_retry_after_wait() -> None:
    with SimServer(jobs=5, seed=3) as sim:
        sim.set_fault("zoo", "http_429", retry_after=0.05)
        token = Secret("t-123456")
        account = AccountConfig("z", ProviderName.ZOO, sim.base_url("zoo"), token=token)
        client = ApiClient(account, policy=replace(HttpPolicy(), attempts=3, deadline=10.0))
        waits: list[float] = []
        client.on_retry_wait = waits.append
        try:
            with pytest.raises(RateLimitedError):
                await client.get_json("async/operations")
        finally:
            await client.aclose()
        assert waits == [0.05, 0.05]
        await asyncio.sleep(0)


async def test_healthz_answers_503_and_the_log_names_the_source_when_its_loop_dies() -> None:
    """Over loopback HTTP: 200 while every poll loop runs; one loop ended makes it 503,
    names that source "stopped" in the body and says so once on stderr."""
    import io
    import json

    import httpx

    from tui.config import demo_settings
    from tui.providers import build_provider
    from tui.serve import Poller, _Log, _serving, bind_http, make_app

    with SimServer(jobs=10, seed=2) as sim:
        settings = demo_settings(sim.url, refresh=1.0)
        providers = [build_provider(account) for account in settings.accounts]
        store = JobStore(":memory:")
        lines = io.StringIO()
        poller = Poller(settings, providers, store, _Log(lines))
        server = bind_http("127.0.0.1", 0, make_app(poller.metrics, poller.healthz))
        url = f"http://127.0.0.1:{server.server_address[1]}/healthz"
        try:
            with _serving(server):
                poller.start_loops()
                await asyncio.sleep(0.2)
                answer = await asyncio.to_thread(httpx.get, url)
                assert answer.status_code == 200, answer.text
                assert json.loads(answer.text)["status"] == "ok"
                dying = "demo-metafold"
                poller.tasks[dying].cancel()
                await asyncio.sleep(0.1)
                answer = await asyncio.to_thread(httpx.get, url)
                body = json.loads(answer.text)
                assert answer.status_code == 503
                assert body["status"] == "down" and body["sources"][dying] == "stopped"
                assert all(
                    state != "stopped" for name, state in body["sources"].items() if name != dying
                )
                logged = lines.getvalue()
                assert logged.count("its poll loop stopped") == 1 and dying in logged
        finally:
            poller.stopping = True
            for task in poller.tasks.values():
                task.cancel()
            await asyncio.gather(*poller.tasks.values(), return_exceptions=True)
            for provider in providers:
                await provider.aclose()
            poller.engine.close()
            store.close()


def test_read_only_store_reports_a_broken_store_as_a_store_error(tmp_path: Path) -> None:
    """A read of the poller's store that SQLite refuses is a `StoreError` (one sentence, the
    store's exit code), not a bare sqlite3 error."""
    path = tmp_path / "s.db"
    writer = JobStore(path, clock=FrozenClock(T0))
    writer.save_jobs("a", [job("1", JobState.RUNNING)])
    reader = ReadOnlyStore(path, clock=FrozenClock(T0))
    with sqlite3.connect(path) as db:  # the poller's file changes under the reader
        db.execute("DROP TABLE jobs")
        db.execute("DROP TABLE transitions")
    with pytest.raises(StoreError):
        reader.load_changed("a", None)
    with pytest.raises(StoreError):
        reader.load_job("a", "1")
    with pytest.raises(StoreError):
        reader.transitions_after("a", 0)
    reader.close()
    writer.close()
