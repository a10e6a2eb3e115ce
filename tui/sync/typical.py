"""Typical run times per provider and kind, learnt from the jobs that finished, and typical
times per phase where the provider names the phase a job is at (Zoo conversions).

A running job past its kind's 95th percentile, or in a phase for longer than 95 % of the
times its kind spent in that phase, is *stuck*: worth a look, not yet failed. Where a
provider gives no ETA, the median gives an *estimate* of the time left. Both are said as
such on screen (a glyph and a word, "est."), never passed off as the provider's.

A phase's time is learnt from a job seen in it and then seen in the phase that follows
it (from when it entered the one to when it entered the next). A job seen two phases on
says nothing of either: the time covers both. Nothing here imports Textual.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tui.formatting import compact_age, fmt_duration
from tui.models import ZOO_PHASES, Job, JobKind, JobState, PhaseChange, ProviderName, phase_change

MIN_SAMPLES = 20
"""Fewer succeeded jobs of a kind (or times in a phase) than this say nothing typical."""

KEEP = 2000
"""The most recent run times kept per kind, and times per phase: the typical of now, in
bounded memory."""

FOLLOWED = 20_000
"""The most jobs whose current phase is followed at once (the least recently moved go)."""

Kind = tuple[str, JobKind]
Key = tuple[str, str]

PHASE_ORDERS: dict[Kind, tuple[str, ...]] = {
    (ProviderName.ZOO, JobKind.DATASET_CONVERSION): ZOO_PHASES,
}
"""The phases of each kind that has them, in order."""

SKIPPABLE = frozenset({"manual_kcl_override"})
"""Phases a job may pass over: the seed's list has no `manual_kcl_override`, and a
conversion without an override may not stop in it."""

ZOO_DROPPED = (
    "Zoo assumes a conversion dropped once its started_at passes a threshold it does not "
    "publish, and retries it"
)
"""What Zoo's API description says of an `in_progress` conversion that runs too long."""


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


@dataclass(slots=True)
class Learnt:
    """What `TypicalDurations.runs_of` found in a batch of jobs, for `add` to take."""

    runs: list[tuple[Kind, Key, float]] = field(default_factory=list)
    """New run times of succeeded jobs."""
    phases: list[PhaseChange] = field(default_factory=list)
    """Jobs seen in another phase than before, or ended."""


def kind_plural(provider: str, kind: JobKind) -> str:
    """`zoo dataset conversions`, `metafold jobs`: a kind of job, counted."""
    return f"{provider} {kind.replace('_', ' ')}s"


def _percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list (not empty)."""
    rank = max(1, round(fraction * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def _typical(samples: Iterable[float], min_samples: int) -> Typical | None:
    ordered = sorted(samples)
    if len(ordered) < min_samples:
        return None
    return Typical(len(ordered), _percentile(ordered, 0.5), _percentile(ordered, 0.95))


def follows(kind: Kind, before: str, after: str) -> bool:
    """True if phase `after` comes right after `before` in the kind's order (skipping only
    `SKIPPABLE` phases)."""
    order = PHASE_ORDERS.get(kind)
    if order is None or before not in order or after not in order:
        return False
    start, end = order.index(before), order.index(after)
    return start < end and all(phase in SKIPPABLE for phase in order[start + 1 : end])


class TypicalDurations:
    """Run times of succeeded jobs per (provider, kind), times per phase, and what they say
    of running jobs."""

    def __init__(
        self, min_samples: int = MIN_SAMPLES, keep: int = KEEP, followed: int = FOLLOWED
    ) -> None:
        self.min_samples = min_samples
        self.keep = keep
        self.followed = followed
        self._runs: dict[Kind, deque[tuple[Key, float]]] = {}
        self._seen: set[Key] = set()
        """The jobs whose run time is among `_runs` (bounded with them)."""
        self._cache: dict[Kind, Typical | None] = {}
        self._phase_runs: dict[tuple[Kind, str], deque[float]] = {}
        self._phase_cache: dict[tuple[Kind, str], Typical | None] = {}
        self._phase_now: dict[Key, PhaseChange] = {}
        """Each followed job's current phase, since when (least recently moved first)."""

    @classmethod
    def from_jobs(
        cls,
        jobs: Iterable[Job],
        min_samples: int = MIN_SAMPLES,
        phases: Iterable[PhaseChange] = (),
    ) -> TypicalDurations:
        """Learnt from `jobs` (the store's history, say), oldest finish first, and from the
        phase changes recorded (`JobStore.phase_history`), oldest first."""
        typical = cls(min_samples)
        ended = [job for job in jobs if job.finished_at is not None]
        ended.sort(key=lambda job: job.finished_at)  # type: ignore[arg-type, return-value]
        found = typical.runs_of(ended)
        found.phases = list(phases)
        typical.add(found)
        return typical

    def adopt(self, older: TypicalDurations) -> None:
        """Take what `older` learnt (the stored history, learnt in a worker thread) as
        older than what this one learnt itself, within the same bounds; quick, for the UI
        loop."""
        for kind in older._runs.keys() | self._runs.keys():
            mine = self._runs.get(kind, deque())
            known = {key for key, _ in mine}
            runs: deque[tuple[Key, float]] = deque(maxlen=self.keep)
            runs.extend(run for run in older._runs.get(kind, ()) if run[0] not in known)
            runs.extend(mine)
            self._runs[kind] = runs
        self._seen = {key for runs in self._runs.values() for key, _ in runs}
        for at in older._phase_runs.keys() | self._phase_runs.keys():
            times: deque[float] = deque(older._phase_runs.get(at, ()), maxlen=self.keep)
            times.extend(self._phase_runs.get(at, ()))
            self._phase_runs[at] = times
        followed = dict(older._phase_now)
        for key, change in self._phase_now.items():
            followed.pop(key, None)
            followed[key] = change
        while len(followed) > self.followed:
            del followed[next(iter(followed))]
        self._phase_now = followed
        self._cache.clear()
        self._phase_cache.clear()

    def learn(self, jobs: Iterable[Job]) -> int:
        """Add the run time of each succeeded job not learnt before; how many were added."""
        return self.add(self.runs_of(jobs))

    def runs_of(self, jobs: Iterable[Job], seen_at: datetime | None = None) -> Learnt:
        """The new run times among `jobs`, and the jobs in a new phase (changing nothing,
        safe in a worker thread). `seen_at` times a phase where a job gives no time."""
        found = Learnt()
        for job in jobs:
            key = (job.account, job.id)
            if job.phase is not None:
                now = self._phase_now.get(key)
                if now is None and job.state.is_terminal:
                    pass  # ended before it was followed: nothing to learn or to forget
                elif now is None or now.phase != job.phase or job.state.is_terminal:
                    change = phase_change(job, seen_at)
                    if change is not None:
                        found.phases.append(change)
            if job.state != JobState.SUCCEEDED or job.finished_at is None:
                continue
            seconds = job.duration_seconds(job.finished_at)
            if seconds is None or seconds < 0 or key in self._seen:
                continue
            found.runs.append(((job.provider, job.kind), key, seconds))
        return found

    def add(self, learnt: Learnt) -> int:
        """Take what `runs_of` found; how many run times were new."""
        added = 0
        for kind, key, seconds in learnt.runs:
            if key in self._seen:
                continue
            runs = self._runs.setdefault(kind, deque(maxlen=self.keep))
            if len(runs) == runs.maxlen:
                self._seen.discard(runs[0][0])  # the oldest run time goes, and its key
            self._seen.add(key)
            runs.append((key, seconds))
            self._cache.pop(kind, None)
            added += 1
        for change in learnt.phases:
            self._follow(change)
        return added

    def _follow(self, change: PhaseChange) -> None:
        """Move a job to the phase it was seen in; learn the time of the phase it left if
        the new one follows it. An ended job is followed no further."""
        key = (change.account, change.job_id)
        kind = (change.provider, change.kind)
        before = self._phase_now.pop(key, None)
        if before is not None and before.phase == change.phase:
            if not change.state.is_terminal:
                self._phase_now[key] = before  # the same phase: still since it was entered
            return
        ended_well = change.state == JobState.SUCCEEDED or not change.state.is_terminal
        if before is not None and ended_well and follows(kind, before.phase, change.phase):
            seconds = (change.at - before.at).total_seconds()
            if seconds >= 0:
                at = (kind, before.phase)
                self._phase_runs.setdefault(at, deque(maxlen=self.keep)).append(seconds)
                self._phase_cache.pop(at, None)
        if change.state.is_terminal:
            return
        self._phase_now[key] = change
        while len(self._phase_now) > self.followed:
            del self._phase_now[next(iter(self._phase_now))]

    def of(self, provider: str, kind: JobKind) -> Typical | None:
        """The typical run time of a kind, or None until it has `min_samples` runs."""
        key = (provider, kind)
        if key not in self._cache:
            runs = self._runs.get(key, ())
            self._cache[key] = _typical((seconds for _, seconds in runs), self.min_samples)
        return self._cache[key]

    def of_phase(self, provider: str, kind: JobKind, phase: str) -> Typical | None:
        """The typical time a kind spends in `phase`, or None until it has `min_samples`."""
        key = ((provider, kind), phase)
        if key not in self._phase_cache:
            times = self._phase_runs.get(key, ())
            self._phase_cache[key] = _typical(times, self.min_samples)
        return self._phase_cache[key]

    def phase_since(self, job: Job) -> datetime | None:
        """When a followed job entered the phase it is in, if known."""
        now = self._phase_now.get((job.account, job.id))
        return now.at if now is not None and now.phase == job.phase else None

    def stuck_phase(self, job: Job, now: datetime) -> tuple[str, Typical] | None:
        """The phase a running job has been in for longer than 95 % of its kind's times in
        it, with those times; None if it is not stuck in its phase (or nothing is known)."""
        if job.state != JobState.RUNNING or job.phase is None:
            return None
        since = self.phase_since(job)
        typical = self.of_phase(job.provider, job.kind, job.phase)
        if since is None or typical is None:
            return None
        if (now - since).total_seconds() > typical.p95:
            return job.phase, typical
        return None

    def stuck_since(self, job: Job) -> tuple[datetime, str | None] | None:
        """When a running job passes the 95th percentile of its kind's run times or of its
        phase's times (the earlier), and that phase if it is its phase's; None if its
        history says nothing."""
        if job.state != JobState.RUNNING:
            return None
        moments: list[tuple[datetime, str | None]] = []
        since = self.phase_since(job)
        in_phase = self.of_phase(job.provider, job.kind, job.phase) if job.phase else None
        if since is not None and in_phase is not None:
            moments.append((since + timedelta(seconds=in_phase.p95), job.phase))
        typical = self.of(job.provider, job.kind)
        if typical is not None and job.started_at is not None:
            moments.append((job.started_at + timedelta(seconds=typical.p95), None))
        return min(moments, key=lambda moment: moment[0], default=None)

    def is_stuck(self, job: Job, now: datetime) -> bool:
        """True for a running job that has run longer than 95 % of its kind's runs, or been
        in its phase longer than 95 % of its kind's times in that phase."""
        if job.state != JobState.RUNNING:
            return False
        if self.stuck_phase(job, now) is not None:
            return True
        typical = self.of(job.provider, job.kind)
        elapsed = job.duration_seconds(now)
        return typical is not None and elapsed is not None and elapsed > typical.p95

    def stuck_keys(self, jobs: Iterable[Job], now: datetime) -> frozenset[Key]:
        """The keys of the jobs among `jobs` that are stuck now (`is_stuck`)."""
        return frozenset(
            (job.account, job.id)
            for job in jobs
            if job.state == JobState.RUNNING and self.is_stuck(job, now)
        )

    def stuck_note(self, job: Job) -> str:
        """What a stuck job's marker says, in words (the phase it is stuck in, if it is)."""
        since = self.stuck_since(job)
        return stuck_note(job, since[1] if since is not None else None)

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
        (`est.`, from the median), that it is due, or that it is stuck (in its phase, or in
        all); None otherwise."""
        if job.state != JobState.RUNNING:
            return None
        stuck = self.stuck_phase(job, now)
        if stuck is not None:
            phase, in_phase = stuck
            took = fmt_duration(in_phase.p95)
            times = f"{in_phase.samples:,} {kind_plural(job.provider, job.kind)}"
            return RunNote(
                f"⧗ {stuck_note(job, phase)} (95 % of {times} left {phase} within {took})", True
            )
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


def stuck_note(job: Job, phase: str | None = None) -> str:
    """What a stuck job's marker says, in words: stuck in `phase` if given, else in all."""
    if phase is not None:
        note = f"stuck in phase {phase}: longer than 95 % of its kind's times in that phase"
    else:
        note = "stuck: running longer than 95 % of its kind's run times"
    if job.provider == ProviderName.ZOO and job.kind == JobKind.DATASET_CONVERSION:
        return f"{note}; {ZOO_DROPPED}"
    return note
