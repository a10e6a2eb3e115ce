"""`jobtop serve`'s Prometheus metrics, fed from the sync engine's events.

Every series is built with `prometheus_client` on a registry of its own; labels are only
account, provider, kind, state, health and status class: bounded whatever the jobs say
(no job id, name, status or error text ever becomes a label).
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from tui.models import Job, JobState
from tui.sync.events import JobsChanged, RefreshFailed, SyncEvent
from tui.sync.health import Health
from tui.sync.policy import retry_after_seconds

REFRESH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
"""Seconds: a refresh of a few hundred jobs to one of 100,000 in pages."""

STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")


class ServeMetrics:
    """The metric families and how each engine event moves them."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        source = ["account", "provider"]
        self.jobs = Gauge(
            "jobtop_jobs",
            "Jobs known, by account, provider, kind and normalized state.",
            [*source, "kind", "state"],
            registry=r,
        )
        self.transitions = Counter(
            "jobtop_transitions",
            "Changes of a job's normalized state seen by the poller.",
            [*source, "to_state"],
            registry=r,
        )
        self.up = Gauge(
            "jobtop_source_up",
            "1 if the source's last refresh succeeded, else 0.",
            source,
            registry=r,
        )
        self.health = Gauge(
            "jobtop_source_health",
            "1 for the source's current health, 0 for the others.",
            [*source, "health"],
            registry=r,
        )
        self.last_success = Gauge(
            "jobtop_source_last_success_timestamp_seconds",
            "When the source was last refreshed successfully (Unix time).",
            source,
            registry=r,
        )
        self.down_since = Gauge(
            "jobtop_source_down_since_timestamp_seconds",
            "When the source's current run of failures began (Unix time; 0 while up).",
            source,
            registry=r,
        )
        self.interval = Gauge(
            "jobtop_source_interval_seconds",
            "Seconds between the source's refreshes.",
            source,
            registry=r,
        )
        self.failures = Gauge(
            "jobtop_source_consecutive_failures",
            "Refreshes failed in a row.",
            source,
            registry=r,
        )
        self.duration = Histogram(
            "jobtop_source_refresh_duration_seconds",
            "How long one refresh took (every part of a listing in parts).",
            source,
            buckets=REFRESH_BUCKETS,
            registry=r,
        )
        self.requests = Counter(
            "jobtop_source_requests",
            "HTTP answers from the provider, by status class.",
            [*source, "status_class"],
            registry=r,
        )
        self.rate_limited = Counter(
            "jobtop_source_rate_limited",
            "HTTP 429 answers from the provider.",
            source,
            registry=r,
        )
        self.retry_after = Counter(
            "jobtop_source_retry_after_wait_seconds",
            "Seconds waited because the provider asked to (Retry-After).",
            source,
            registry=r,
        )
        self.incomplete = Gauge(
            "jobtop_source_listing_incomplete",
            "1 if the source's last listing stopped short of every job (a cap).",
            source,
            registry=r,
        )
        self._providers: dict[str, str] = {}
        self._job_keys: dict[str, set[tuple[str, str]]] = {}
        self._first_done: set[str] = set()
        self._down: set[str] = set()

    def add_source(self, account: str, provider: str, interval: float) -> None:
        """Create the source's series at zero, so a first increment is a visible change."""
        self._providers[account] = provider
        self.up.labels(account, provider).set(0)
        self.interval.labels(account, provider).set(interval)
        self.failures.labels(account, provider).set(0)
        self.incomplete.labels(account, provider).set(0)
        self.down_since.labels(account, provider).set(0)
        self.rate_limited.labels(account, provider)
        self.retry_after.labels(account, provider)
        for state in JobState:
            self.transitions.labels(account, provider, state.value)
        for status_class in STATUS_CLASSES:
            self.requests.labels(account, provider, status_class)
        self.set_health(account, Health.LOADING)

    def set_health(self, account: str, health: Health) -> None:
        """Set the one-hot health series of `account`."""
        provider = self._providers[account]
        for value in Health:
            self.health.labels(account, provider, value.value).set(1 if value == health else 0)

    def count_jobs(self, account: str, jobs: Iterable[Job]) -> None:
        """Set the jobs gauge of `account` from every job known for it now."""
        provider = self._providers[account]
        tally = Tally((str(job.kind), job.state.value) for job in jobs)
        previous = self._job_keys.get(account, set())
        for kind, state in previous - set(tally):
            self.jobs.labels(account, provider, kind, state).set(0)
        for (kind, state), count in tally.items():
            self.jobs.labels(account, provider, kind, state).set(count)
        self._job_keys[account] = previous | set(tally)

    def on_response(self, account: str, status: int) -> None:
        """One HTTP answer from `account`'s provider."""
        provider = self._providers[account]
        self.requests.labels(account, provider, f"{min(max(status // 100, 1), 5)}xx").inc()
        if status == 429:
            self.rate_limited.labels(account, provider).inc()

    def on_retry_wait(self, account: str, seconds: float) -> None:
        """The provider asked to wait `seconds` (Retry-After) and the poller does."""
        self.retry_after.labels(account, self._providers[account]).inc(max(seconds, 0.0))

    def observe_refresh(self, account: str, seconds: float) -> None:
        """One refresh's duration, successful or not."""
        self.duration.labels(account, self._providers[account]).observe(seconds)

    def on_event(self, event: SyncEvent, jobs: Iterable[Job] | None = None) -> None:
        """Move the series an engine event concerns.

        Args:
            event: What the engine reported.
            jobs: For a finished refresh, every job now known for its account.
        """
        if isinstance(event, JobsChanged):
            account = event.account
            provider = self._providers[account]
            # A job first seen with the initial listing is history, not a change.
            first_listing = account not in self._first_done
            for transition in event.transitions:
                if transition.old_state is None and first_listing:
                    continue
                self.transitions.labels(account, provider, transition.new_state.value).inc()
            if jobs is not None:
                self.count_jobs(account, jobs)
            if event.more:
                return
            self._first_done.add(account)
            self._down.discard(account)
            health = event.health
            self.up.labels(account, provider).set(1)
            self.down_since.labels(account, provider).set(0)
            self.failures.labels(account, provider).set(0)
            if health.last_ok_at is not None:
                self.last_success.labels(account, provider).set(health.last_ok_at.timestamp())
            self.set_health(account, Health.OK)
        elif isinstance(event, RefreshFailed):
            account = event.account
            provider = self._providers[account]
            if account not in self._down:
                self._down.add(account)
                self.down_since.labels(account, provider).set(event.failed_at.timestamp())
            self.up.labels(account, provider).set(0)
            self.failures.labels(account, provider).set(event.health.failures)
            self.set_health(account, Health.FAILING)
            if retry_after_seconds(event.error) is not None:
                waited = (event.next_try_at - event.failed_at).total_seconds()
                self.on_retry_wait(account, waited)

    def set_incomplete(self, account: str, incomplete: bool) -> None:
        """Whether `account`'s last listing stopped short."""
        self.incomplete.labels(account, self._providers[account]).set(1 if incomplete else 0)
