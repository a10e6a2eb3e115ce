"""Typical run times per provider and kind, learnt from the jobs that finished.

A running job past its kind's 95th percentile is *stuck*: worth a look, not yet failed.
Where a provider gives no ETA, the median gives an *estimate* of the time left. Both are
said as such on screen (a glyph and a word, "est."), never passed off as the provider's.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tui.formatting import compact_age, fmt_duration
from tui.models import Job, JobKind, JobState, ProviderName

MIN_SAMPLES = 20
"""Fewer succeeded jobs of a kind than this say nothing typical about it."""

KEEP = 2000
"""The most recent run times kept per kind: the typical of now, in bounded memory."""

Kind = tuple[str, JobKind]


@dataclass(frozen=True, slots=True)
class Typical:
    """The run times of one kind of job: how many, the median and the 95th percentile."""

    samples: int
    median: float
    p95: float


@dataclass(frozen=True, slots=True)
class RunNote:
    """What the typical run times say of one running job, in words: an estimate of the time
    left, or that it is stuck."""

    text: str
    stuck: bool


def kind_plural(provider: str, kind: JobKind) -> str:
    """`zoo dataset conversions`, `metafold jobs`: a kind of job, counted."""
    return f"{provider} {kind.replace('_', ' ')}s"


def _percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list (not empty)."""
    rank = max(1, round(fraction * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


class TypicalDurations:
    """Run times of succeeded jobs per (provider, kind), and what they say of running ones."""

    def __init__(self, min_samples: int = MIN_SAMPLES, keep: int = KEEP) -> None:
        self.min_samples = min_samples
        self.keep = keep
        self._runs: dict[Kind, deque[float]] = {}
        self._seen: set[tuple[str, str]] = set()
        self._cache: dict[Kind, Typical | None] = {}

    @classmethod
    def from_jobs(cls, jobs: Iterable[Job], min_samples: int = MIN_SAMPLES) -> TypicalDurations:
        """Learnt from `jobs` (the store's history, say), oldest finish first."""
        typical = cls(min_samples)
        ended = [job for job in jobs if job.finished_at is not None]
        ended.sort(key=lambda job: job.finished_at)  # type: ignore[arg-type, return-value]
        typical.learn(ended)
        return typical

    def learn(self, jobs: Iterable[Job]) -> int:
        """Add the run time of each succeeded job not learnt before; how many were added."""
        return self.add(self.runs_of(jobs))

    def runs_of(self, jobs: Iterable[Job]) -> list[tuple[Kind, tuple[str, str], float]]:
        """The new run times among `jobs`, changing nothing (safe in a worker thread)."""
        found = []
        for job in jobs:
            if job.state != JobState.SUCCEEDED or job.finished_at is None:
                continue
            seconds = job.duration_seconds(job.finished_at)
            key = (job.account, job.id)
            if seconds is None or seconds < 0 or key in self._seen:
                continue
            found.append(((job.provider, job.kind), key, seconds))
        return found

    def add(self, runs: Iterable[tuple[Kind, tuple[str, str], float]]) -> int:
        """Take run times found by `runs_of`; how many were new."""
        added = 0
        for kind, key, seconds in runs:
            if key in self._seen:
                continue
            self._seen.add(key)
            self._runs.setdefault(kind, deque(maxlen=self.keep)).append(seconds)
            self._cache.pop(kind, None)
            added += 1
        return added

    def of(self, provider: str, kind: JobKind) -> Typical | None:
        """The typical run time of a kind, or None until it has `min_samples` runs."""
        key = (provider, kind)
        if key not in self._cache:
            runs = self._runs.get(key)
            if runs is None or len(runs) < self.min_samples:
                self._cache[key] = None
            else:
                ordered = sorted(runs)
                self._cache[key] = Typical(
                    len(ordered), _percentile(ordered, 0.5), _percentile(ordered, 0.95)
                )
        return self._cache[key]

    def is_stuck(self, job: Job, now: datetime) -> bool:
        """True for a running job that has run longer than 95 % of its kind's runs."""
        if job.state != JobState.RUNNING:
            return False
        typical = self.of(job.provider, job.kind)
        elapsed = job.duration_seconds(now)
        return typical is not None and elapsed is not None and elapsed > typical.p95

    def stuck_keys(self, jobs: Iterable[Job], now: datetime) -> frozenset[tuple[str, str]]:
        """The keys of the jobs among `jobs` that are stuck now (`is_stuck`)."""
        return frozenset(
            (job.account, job.id)
            for job in jobs
            if job.state == JobState.RUNNING and self.is_stuck(job, now)
        )

    def estimate_left(self, job: Job, now: datetime) -> float | None:
        """Seconds a running job may still take, from its kind's median; None past it."""
        if job.state != JobState.RUNNING:
            return None
        typical = self.of(job.provider, job.kind)
        elapsed = job.duration_seconds(now)
        if typical is None or elapsed is None or elapsed >= typical.median:
            return None
        return typical.median - elapsed

    def run_note(self, job: Job, now: datetime) -> RunNote | None:
        """For a running job of a kind with a typical run time: the time it may still take
        (`est.`, from the median), that it is due, or that it is stuck; None otherwise."""
        if job.state != JobState.RUNNING:
            return None
        typical = self.of(job.provider, job.kind)
        if typical is None or job.duration_seconds(now) is None:
            return None
        runs = f"{typical.samples:,} {kind_plural(job.provider, job.kind)}"
        if self.is_stuck(job, now):
            took = fmt_duration(typical.p95)
            return RunNote(f"⧗ {stuck_note(job)} (95 % of {runs} took {took} or less)", True)
        left = self.estimate_left(job, now)
        if left is None:
            median = fmt_duration(typical.median)
            return RunNote(f"est. due now: past the median run time ({median}) of {runs}", False)
        words = "under 1m" if left < 60 else compact_age(left)
        return RunNote(f"est. {words} left (median of {runs})", False)


def stuck_note(job: Job) -> str:
    """What a stuck job's marker says, in words."""
    if job.provider == ProviderName.ZOO and job.kind == JobKind.DATASET_CONVERSION:
        return (
            "stuck: past 95 % of its kind's run times; Zoo retries a conversion it assumes dropped"
        )
    return "stuck: running longer than 95 % of its kind's run times"
