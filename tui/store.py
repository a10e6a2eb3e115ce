"""The job store: last snapshot of every job, tracked ids, and state transitions.

SQLite in WAL mode under the user state dir, one transaction per write, so a `kill -9`
in the middle of a refresh loses nothing committed before it; one lock around one
connection, so large writes run in a worker thread. It also keeps what the dashboard needs
across runs: the open mark behind "since you were last here", each account's last
successful refresh, the poller's health for `jobtop serve`'s viewers, source events for the
event log, and the phase changes typical times are learnt from. Jobs that ended long ago
age out (`prune`); every failure is a one-sentence `StoreError`; the state directory and
files are private, and a symbolic link in their place is refused. The rules, the schema
versions and the reasons: docs/design.md §7.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import stat
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from tui import json_codec
from tui.clock import Clock, utc_now
from tui.errors import StoreError
from tui.models import (
    Job,
    JobKind,
    JobState,
    PhaseChange,
    ProviderName,
    Transition,
    format_timestamp,
    parse_timestamp,
    phase_change,
)

SUCCEEDED_RETENTION = timedelta(days=7)
"""Succeeded and canceled jobs are kept this long after they ended."""
FAILED_RETENTION = timedelta(days=30)
"""Failed jobs are kept longer: they are what on-call people come back for."""
MAX_TRANSITIONS = 200_000
"""Upper bound on stored transitions; the oldest go first."""
EVENT_RETENTION = timedelta(days=30)
"""Source events (failing, recovered, ...) are kept this long."""
MAX_EVENTS = 20_000
"""Upper bound on stored source events; the oldest go first."""
MAX_PHASES = 100_000
"""Upper bound on stored phase changes; the oldest go first."""
PHASES_READ = 40_000
"""The most recent phase changes `phase_history` reads by default: enough for the latest
`tui.sync.typical.KEEP` times of every phase, in a few megabytes at start."""

BUSY_TIMEOUT = 5.0
"""Seconds a write waits for another program's write lock before it fails (`StoreError`)."""

SIDE_SUFFIXES = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside the database."""

_IDS_PER_QUERY = 500
"""Ids per `IN (...)` lookup: well under SQLite's limit on bound parameters."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    parent_id TEXT,
    state TEXT NOT NULL,
    finished_at TEXT,
    seen_at TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (account, id)
);
CREATE TABLE IF NOT EXISTS tracked (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (account, id)
);
CREATE TABLE IF NOT EXISTS transitions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    old_state TEXT,
    new_state TEXT NOT NULL,
    status TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transitions_at ON transitions (at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    account TEXT PRIMARY KEY,
    refreshed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS source_health (
    account TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    health TEXT NOT NULL,
    error TEXT,
    last_ok_at TEXT,
    next_try_at TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    note TEXT,
    incomplete INTEGER NOT NULL DEFAULT 0,
    written_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    account TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_at ON events (at);
CREATE TABLE IF NOT EXISTS phases (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    provider TEXT NOT NULL,
    kind TEXT NOT NULL,
    phase TEXT NOT NULL,
    state TEXT NOT NULL,
    at TEXT NOT NULL
);
"""

SCHEMA_VERSION = 4
"""`PRAGMA user_version` of the schema above (see the module docstring)."""

FAILED_EXAMPLES = 3
"""How many failed jobs `changes_since` names."""


@dataclass(frozen=True, slots=True)
class OpenMark:
    """When the dashboard was last open, and the last transition it had seen then."""

    at: datetime
    seq: int


class EventKind(StrEnum):
    """What an event log entry is about."""

    TRANSITION = "transition"
    """A known job changed state (from `transitions`)."""
    FAILING = "failing"
    """A source's refresh failed (the first failure of a run of them)."""
    RATE_LIMITED = "rate limited"
    """A source's server asked to slow down."""
    RECOVERED = "recovered"
    """A failing source refreshed again."""
    INCOMPLETE = "incomplete"
    """A source's listing was cut short (a cap)."""


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One line of the event log (`JobStore.event_log`)."""

    at: datetime
    account: str
    kind: EventKind
    text: str = ""
    """A source event's sentence, as stored (untrusted: the screen cleans it)."""
    job_id: str | None = None
    old_state: JobState | None = None
    new_state: JobState | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class StoredHealth:
    """One source's health as the poller (`jobtop serve`) last wrote it."""

    account: str
    provider: str
    health: str
    """A `tui.sync.Health` value."""
    error: str | None = None
    last_ok_at: datetime | None = None
    next_try_at: datetime | None = None
    failures: int = 0
    note: str | None = None
    incomplete: bool = False


@dataclass(frozen=True, slots=True)
class PollerState:
    """Who writes the store and how recently (`JobStore.poller`)."""

    pid: int
    heartbeat: datetime
    """When the poller last wrote (it does at least once per interval)."""
    interval: float
    sources: dict[str, StoredHealth]


@dataclass(frozen=True, slots=True)
class ChangeSummary:
    """Known jobs whose state changed in a window of transitions (`JobStore.changes_since`).

    Attributes:
        counts: `(account, state the job is in now, number of jobs)`, one per pair.
        failed: Up to `FAILED_EXAMPLES` `(account, id)` of jobs that failed, newest first.
    """

    counts: tuple[tuple[str, JobState, int], ...] = ()
    failed: tuple[tuple[str, str], ...] = ()

    @property
    def total(self) -> int:
        """Jobs that changed, over every account."""
        return sum(count for _, _, count in self.counts)

    def by_state(self, account: str | None = None) -> dict[JobState, int]:
        """Jobs per state they changed to (of one account, or of all)."""
        result: dict[JobState, int] = {}
        for name, state, count in self.counts:
            if account is None or name == account:
                result[state] = result.get(state, 0) + count
        return result


class JobStore:
    """Persistent jobs, tracked ids and transitions (see the module docstring)."""

    def __init__(
        self,
        path: Path | str = ":memory:",
        *,
        clock: Clock = utc_now,
        busy_timeout: float | None = None,
    ) -> None:
        """Open (or create) the store.

        Args:
            path: The database file, or ":memory:".
            clock: Where "now" comes from.
            busy_timeout: Seconds to wait for another program's write lock
                (default `BUSY_TIMEOUT`).

        Raises:
            StoreError: The file cannot be used (see the module docstring).
        """
        if isinstance(path, str) and path != ":memory:":
            path = Path(path)  # a file gets the same checks whichever way it is named
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._origin_cache: dict[str, float] | None = None
        """Per account, when this store first listed it (`_origins`)."""
        timeout = BUSY_TIMEOUT if busy_timeout is None else busy_timeout
        self._busy_timeout = timeout
        with self._errors():
            if isinstance(path, Path):
                _prepare_file(path)
            self._db = sqlite3.connect(
                str(path), check_same_thread=False, isolation_level=None, timeout=timeout
            )
        try:
            with self._lock, self._errors():
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(_SCHEMA)
                self._migrate()
                if isinstance(path, Path):
                    _make_private(path)
        except BaseException:
            self._db.close()
            raise

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn `sqlite3` and file errors into one `StoreError` sentence."""
        try:
            yield
        except StoreError:
            raise
        except (sqlite3.Error, OSError) as exc:
            raise store_error(exc, self.path, busy_timeout=self._busy_timeout) from exc

    def _rollback(self) -> None:
        """Undo the open transaction; a failure here must not replace the error that
        caused it (on a full disk SQLite may have rolled back already)."""
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("ROLLBACK")

    def _migrate(self) -> None:
        """Bring an older store up to `SCHEMA_VERSION` (the tables exist already)."""
        if self._db.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while this one waited for the lock.
            if self._db.execute("PRAGMA user_version").fetchone()[0] < 1:
                # julianday() orders the ISO texts whatever their fraction digits.
                self._db.execute(
                    "INSERT OR IGNORE INTO sources (account, refreshed_at)"
                    " SELECT account, seen_at FROM"
                    " (SELECT account, seen_at, MAX(julianday(seen_at)) FROM jobs GROUP BY account)"
                )
                self._db.execute(
                    "INSERT OR IGNORE INTO meta (key, value)"
                    " SELECT 'open_seq',"
                    " CAST(COALESCE((SELECT MAX(seq) FROM transitions), 0) AS TEXT)"
                    " WHERE EXISTS (SELECT 1 FROM meta WHERE key = 'last_opened')"
                )
            # 2 -> 3: `events` is new and starts empty (the schema script created it).
            # 3 -> 4: so is `phases`.
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    @classmethod
    def open_default(cls, *, clock: Clock = utc_now) -> JobStore:
        """The store at `<user state dir>/jobs.sqlite3` (`JOBTOP_STATE_DIR` overrides)."""
        from tui.paths import user_state_dir

        return cls(user_state_dir() / "jobs.sqlite3", clock=clock)

    def close(self) -> None:
        """Close the database; safe to call twice."""
        with self._lock, self._errors():
            try:
                self._db.close()
            except sqlite3.ProgrammingError:
                pass

    # --- jobs ---------------------------------------------------------------------------

    def load_jobs(self, accounts: Iterable[str] | None = None) -> list[Job]:
        """The last snapshot of every job (of the given accounts, or of all)."""
        with self._lock, self._errors():
            if accounts is None:
                rows = self._db.execute("SELECT data, parent_id FROM jobs").fetchall()
            else:
                names = list(accounts)
                marks = ",".join("?" * len(names))
                rows = self._db.execute(
                    f"SELECT data, parent_id FROM jobs WHERE account IN ({marks})", names
                ).fetchall()
        jobs = []
        for data, parent_id in rows:
            try:
                jobs.append(Job.from_json(json_codec.loads(data), parent_id=parent_id))
            except (ValueError, KeyError, TypeError):
                continue
        return jobs

    def load_job(self, account: str, job_id: str) -> tuple[Job, datetime | None] | None:
        """One job's last snapshot and when a refresh last saw it (None if not stored)."""
        with self._lock, self._errors():
            row = self._db.execute(
                "SELECT data, parent_id, seen_at FROM jobs WHERE account = ? AND id = ?",
                (account, job_id),
            ).fetchone()
        if row is None:
            return None
        data, parent_id, seen_at = row
        try:
            job = Job.from_json(json_codec.loads(data), parent_id=parent_id)
        except (ValueError, KeyError, TypeError):
            return None
        return job, parse_timestamp(seen_at)

    def save_jobs(
        self,
        account: str,
        jobs: Sequence[Job],
        *,
        refreshed_at: datetime | None = None,
        opened_at: datetime | None = None,
    ) -> list[Transition]:
        """Upsert the snapshots of `jobs` and record every change of state.

        Args:
            account: The source the jobs belong to.
            jobs: Snapshots to store (only what changed need be passed).
            refreshed_at: The account was refreshed successfully at this time: its stored
                data is current as of then (`refreshed_at()`), even if `jobs` is empty.
            opened_at: The dashboard saves this while open: renew the open mark in the
                same transaction (`mark_opened`).

        Returns:
            The transitions recorded (a job seen for the first time records one from None).
            A job seen in another phase than its stored one records a phase change.
        """
        now = self._clock()
        now_text = format_timestamp(now)
        transitions: list[Transition] = []
        with self._lock, self._errors():
            known = self._known_states(account, [job.id for job in jobs]) if jobs else {}
            rows = []
            transition_rows = []
            phase_rows = []
            for job in jobs:
                old, old_phase = known.get(job.id, (None, None))
                # A job first met ended teaches nothing (typical.runs_of does not follow
                # it); one that ends in its phase records the end, so a replay at start
                # follows it no further.
                ended_now = job.state.is_terminal and (
                    old is not None and not JobState(old).is_terminal
                )
                first_met_ended = old is None and job.state.is_terminal
                change = (
                    phase_change(job, now)
                    if not first_met_ended and (job.phase != old_phase or ended_now)
                    else None
                )
                if change is not None:
                    phase_rows.append(
                        (
                            account,
                            job.id,
                            str(change.provider),
                            change.kind.value,
                            change.phase,
                            change.state.value,
                            format_timestamp(change.at),
                        )
                    )
                if old != job.state.value:
                    old_state = JobState(old) if old is not None else None
                    transitions.append(
                        Transition(account, job.id, old_state, job.state, job.status, now)
                    )
                    transition_rows.append(
                        (account, job.id, old, job.state.value, job.status, now_text)
                    )
                rows.append(
                    (
                        account,
                        job.id,
                        job.parent_id,
                        job.state.value,
                        format_timestamp(job.finished_at),
                        now_text,
                        json_codec.dumps(_stored_data(job)),
                    )
                )
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT INTO jobs (account, id, parent_id, state, finished_at, seen_at, data)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (account, id) DO UPDATE SET parent_id = excluded.parent_id,"
                    " state = excluded.state, finished_at = excluded.finished_at,"
                    " seen_at = excluded.seen_at, data = excluded.data",
                    rows,
                )
                self._db.executemany(
                    "INSERT INTO transitions (account, id, old_state, new_state, status, at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    transition_rows,
                )
                self._db.executemany(
                    "INSERT INTO phases (account, id, provider, kind, phase, state, at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    phase_rows,
                )
                if refreshed_at is not None:
                    self._db.execute(
                        "INSERT INTO sources (account, refreshed_at) VALUES (?, ?)"
                        " ON CONFLICT (account) DO UPDATE SET refreshed_at = excluded.refreshed_at",
                        (account, format_timestamp(refreshed_at)),
                    )
                if opened_at is not None:
                    self._write_open_mark(opened_at)
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        return transitions

    def _known_states(self, account: str, ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        """The stored state and phase of each of `ids` that is stored (only those rows are read).

        Not the whole account: at 25,000 jobs that is tens of milliseconds of Python on
        every refresh, holding the GIL against the UI loop (docs/design.md §6).
        """
        known: dict[str, tuple[str, str | None]] = {}
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[start : start + _IDS_PER_QUERY]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                "SELECT id, state, CASE WHEN json_valid(data) THEN json_extract(data, '$.phase')"
                " END FROM jobs"  # noqa: S608 - only "?" marks
                f" WHERE account = ? AND id IN ({marks})",
                (account, *chunk),
            )
            known.update((job_id, (state, phase)) for job_id, state, phase in rows)
        return known

    # --- tracked ids --------------------------------------------------------------------

    def tracked_ids(self, account: str) -> list[str]:
        """Tracked ids of one account, in the order they were added."""
        with self._lock, self._errors():
            rows = self._db.execute(
                "SELECT id FROM tracked WHERE account = ? ORDER BY added_at, rowid", (account,)
            ).fetchall()
        return [row[0] for row in rows]

    def all_tracked(self) -> dict[str, list[str]]:
        """Tracked ids of every account."""
        with self._lock, self._errors():
            rows = self._db.execute(
                "SELECT account, id FROM tracked ORDER BY account, added_at, rowid"
            ).fetchall()
        result: dict[str, list[str]] = {}
        for account, job_id in rows:
            result.setdefault(account, []).append(job_id)
        return result

    def add_tracked(self, account: str, ids: Iterable[str]) -> list[str]:
        """Track ids; returns the ones that were not tracked already."""
        now_text = format_timestamp(self._clock())
        added = []
        with self._lock, self._errors():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for job_id in ids:
                    cursor = self._db.execute(
                        "INSERT OR IGNORE INTO tracked (account, id, added_at) VALUES (?, ?, ?)",
                        (account, job_id, now_text),
                    )
                    if cursor.rowcount:
                        added.append(job_id)
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        return added

    def remove_tracked(self, account: str, ids: Iterable[str]) -> list[str]:
        """Stop tracking ids; returns the ones that were tracked."""
        removed = []
        with self._lock, self._errors():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for job_id in ids:
                    cursor = self._db.execute(
                        "DELETE FROM tracked WHERE account = ? AND id = ?", (account, job_id)
                    )
                    if cursor.rowcount:
                        removed.append(job_id)
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        return removed

    # --- history ------------------------------------------------------------------------

    def transitions(
        self,
        *,
        account: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[Transition]:
        """Recorded transitions, oldest first (the last `limit` of them)."""
        clauses: list[str] = []
        params: list[str | None] = []
        if account is not None:
            clauses.append("account = ?")
            params.append(account)
        if since is not None:
            clauses.append("at > ?")
            params.append(format_timestamp(since))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._lock, self._errors():
            rows = self._db.execute(
                "SELECT account, id, old_state, new_state, status, at FROM transitions"
                f" {where} ORDER BY seq DESC LIMIT ?",
                (*params, limit),
            ).fetchall()
        result = []
        for account_name, job_id, old, new, status, at in reversed(rows):
            moment = parse_timestamp(at)
            if moment is None:
                continue
            result.append(
                Transition(
                    account_name,
                    job_id,
                    JobState(old) if old else None,
                    JobState(new),
                    status,
                    moment,
                )
            )
        return result

    def phase_history(
        self, accounts: Iterable[str] | None = None, limit: int = PHASES_READ
    ) -> list[PhaseChange]:
        """The recorded phase changes (of `accounts`, or all), oldest first (the last `limit`)."""
        names = None if accounts is None else list(accounts)
        where = "" if names is None else f"WHERE account IN ({','.join('?' * len(names))})"
        with self._lock, self._errors():
            rows = self._db.execute(
                "SELECT account, id, provider, kind, phase, state, at FROM phases"  # noqa: S608 - only "?" marks
                f" {where} ORDER BY seq DESC LIMIT ?",
                (*(names or ()), limit),
            ).fetchall()
        changes = []
        for account, job_id, provider, kind, phase, state, at in reversed(rows):
            moment = parse_timestamp(at)
            if moment is None:
                continue
            try:
                found = (ProviderName(provider), JobKind(kind), JobState(state))
            except ValueError:
                continue
            changes.append(
                PhaseChange(account, job_id, found[0], found[1], phase, moment, found[2])
            )
        return changes

    def add_event(
        self, account: str, kind: EventKind, text: str, at: datetime | None = None
    ) -> None:
        """Record a source event (not `EventKind.TRANSITION`: those are `transitions`)."""
        with self._lock, self._errors():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO events (at, account, kind, text) VALUES (?, ?, ?, ?)",
                    (format_timestamp(at or self._clock()), account, kind.value, text),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise

    def event_log(self, limit: int = 2000) -> list[LogEntry]:
        """The newest `limit` events, newest first: source events, the state changes of
        known jobs, and the jobs first seen failed that failed after their source's first
        stored refresh (a job that failed between two refreshes; the failures already
        there when a source was first listed are history, not events)."""
        with self._lock, self._errors():
            origins = self._origins()
            bounds = " UNION ALL ".join("SELECT ?, ?" for _ in origins) or "SELECT NULL, NULL"
            params: list[object] = [value for pair in origins.items() for value in pair]
            changes = self._db.execute(
                f"WITH origin (account, first_at) AS ({bounds})"  # noqa: S608 - only "?" marks
                " SELECT t.account, t.id, t.old_state, t.new_state, t.status, t.at"
                " FROM transitions t"
                " LEFT JOIN jobs j ON j.account = t.account AND j.id = t.id"
                " LEFT JOIN origin o ON o.account = t.account"
                " WHERE (t.old_state IS NOT NULL AND t.old_state != t.new_state)"
                "   OR (t.old_state IS NULL AND t.new_state = 'failed'"
                "       AND julianday(j.finished_at) > o.first_at)"
                " ORDER BY t.seq DESC LIMIT ?",
                (*params, limit),
            ).fetchall()
            sources = self._db.execute(
                "SELECT account, kind, text, at FROM events ORDER BY seq DESC LIMIT ?", (limit,)
            ).fetchall()
        entries: list[tuple[datetime, int, LogEntry]] = []
        for number, (account, job_id, old, new, status, at) in enumerate(changes):
            moment = parse_timestamp(at)
            try:
                old_state, new_state = JobState(old) if old else None, JobState(new)
            except ValueError:
                continue
            if moment is not None:
                entry = LogEntry(
                    moment,
                    str(account),
                    EventKind.TRANSITION,
                    job_id=str(job_id),
                    old_state=old_state,
                    new_state=new_state,
                    status=str(status),
                )
                entries.append((moment, -number, entry))
        for number, (account, kind, text, at) in enumerate(sources):
            moment = parse_timestamp(at)
            try:
                event_kind = EventKind(kind)
            except ValueError:
                continue
            if moment is not None:
                entries.append(
                    (moment, -number, LogEntry(moment, str(account), event_kind, str(text)))
                )
        # Newest first; within one table, the later row first when two share a time.
        entries.sort(key=lambda item: (item[0], item[1]), reverse=True)
        return [entry for _, _, entry in entries[:limit]]

    def _origins(self) -> dict[str, float]:
        """When each account was first listed in this store (the julian day of its oldest
        transition), found once per account; the caller holds the lock."""
        cache: dict[str, float] | None = getattr(self, "_origin_cache", None)
        if cache is None:
            cache = self._origin_cache = {}
        accounts = {row[0] for row in self._db.execute("SELECT account FROM sources")}
        if not cache or not accounts <= cache.keys():
            cache.clear()
            cache.update(
                (str(account), float(first))
                for account, first in self._db.execute(
                    "SELECT account, MIN(julianday(at)) FROM transitions GROUP BY account"
                )
                if first is not None
            )
        return cache

    def clear(self) -> None:
        """Forget everything: jobs, tracked ids, transitions, events, marks (a fresh store)."""
        with self._lock, self._errors():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for table in (
                    "jobs",
                    "tracked",
                    "transitions",
                    "phases",
                    "meta",
                    "sources",
                    "source_health",
                    "events",
                ):
                    self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
                self._db.execute("COMMIT")
                self._origin_cache = None
            except BaseException:
                self._rollback()
                raise

    def last_seq(self) -> int:
        """The number of the newest transition recorded (0 if none)."""
        with self._lock, self._errors():
            row = self._db.execute("SELECT MAX(seq) FROM transitions").fetchone()
        return int(row[0] or 0)

    def last_opened(self) -> datetime | None:
        """When the dashboard was last open (None on first use)."""
        mark = self.open_mark()
        return mark.at if mark else None

    def open_mark(self) -> OpenMark | None:
        """When the dashboard was last open and the last transition it had seen then."""
        with self._lock, self._errors():
            rows = dict(
                self._db.execute(
                    "SELECT key, value FROM meta WHERE key IN ('last_opened', 'open_seq')"
                ).fetchall()
            )
        at = parse_timestamp(rows.get("last_opened"))
        if at is None:
            return None
        try:
            seq = int(rows.get("open_seq", ""))
        except ValueError:
            seq = self.last_seq()
        return OpenMark(at, seq)

    def mark_opened(self, at: datetime | None = None) -> None:
        """Record that the dashboard is open now (or at `at`) and has seen every transition."""
        with self._lock, self._errors():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._write_open_mark(at or self._clock())
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise

    def _write_open_mark(self, at: datetime) -> None:
        """The open mark's two rows; the caller holds the lock inside a transaction."""
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES ('last_opened', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (format_timestamp(at),),
        )
        self._db.execute(
            "INSERT INTO meta (key, value)"
            " VALUES ('open_seq', CAST(COALESCE((SELECT MAX(seq) FROM transitions), 0) AS TEXT))"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        )

    def refreshed_at(self, accounts: Iterable[str] | None = None) -> dict[str, datetime]:
        """When each account (of `accounts`, or every one) was last refreshed successfully."""
        with self._lock, self._errors():
            rows = self._db.execute("SELECT account, refreshed_at FROM sources").fetchall()
        wanted = None if accounts is None else set(accounts)
        result = {}
        for account, text in rows:
            moment = parse_timestamp(text)
            if moment is not None and (wanted is None or account in wanted):
                result[account] = moment
        return result

    def save_poller(
        self, pid: int, at: datetime, interval: float, sources: Iterable[StoredHealth]
    ) -> None:
        """The poller's heartbeat and its sources' health, in one transaction."""
        at_text = format_timestamp(at)
        rows = [
            (
                h.account,
                h.provider,
                h.health,
                h.error,
                format_timestamp(h.last_ok_at),
                format_timestamp(h.next_try_at),
                h.failures,
                h.note,
                int(h.incomplete),
                at_text,
            )
            for h in sources
        ]
        meta = [
            ("poller_pid", str(pid)),
            ("poller_heartbeat", at_text),
            ("poller_interval", repr(float(interval))),
        ]
        with self._lock, self._errors():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO source_health (account, provider, health, error,"
                    " last_ok_at, next_try_at, failures, note, incomplete, written_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                self._db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", meta)
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise

    def poller(self) -> PollerState | None:
        """The poller's last heartbeat and sources' health; None if no poller ever wrote."""
        with self._lock, self._errors():
            meta = dict(
                self._db.execute(
                    "SELECT key, value FROM meta WHERE key IN"
                    " ('poller_pid', 'poller_heartbeat', 'poller_interval')"
                ).fetchall()
            )
            rows = self._db.execute(
                "SELECT account, provider, health, error, last_ok_at, next_try_at, failures,"
                " note, incomplete FROM source_health"
            ).fetchall()
        heartbeat = parse_timestamp(meta.get("poller_heartbeat"))
        if heartbeat is None:
            return None
        try:
            pid = int(meta.get("poller_pid", "0"))
            interval = float(meta.get("poller_interval", "0"))
        except ValueError:
            pid, interval = 0, 0.0
        sources = {
            row[0]: StoredHealth(
                account=str(row[0]),
                provider=str(row[1]),
                health=str(row[2]),
                error=None if row[3] is None else str(row[3]),
                last_ok_at=parse_timestamp(row[4]),
                next_try_at=parse_timestamp(row[5]),
                failures=int(row[6] or 0),
                note=None if row[7] is None else str(row[7]),
                incomplete=bool(row[8]),
            )
            for row in rows
        }
        return PollerState(pid, heartbeat, interval, sources)

    def changes_since(self, after_seq: int, upto: Mapping[str, int]) -> ChangeSummary:
        """Jobs already known before transition `after_seq` whose state changed after it.

        Per account, the transitions numbered `after_seq + 1 .. upto[account]` are read. A
        job counts once, under the state of its last transition there, if its first one
        there started from a stored state (not a first sighting) and it did not end where
        it began. Counted in SQL: no cap, however many jobs changed.

        Args:
            after_seq: The last transition seen (the open mark's `seq`).
            upto: The last transition to count, per account; other accounts are left out.
        """
        if not upto:
            return ChangeSummary()
        bounds = " UNION ALL ".join("SELECT ?, ?" for _ in upto)
        params: list[object] = []
        for account, last in upto.items():
            params.extend((account, int(last)))
        window = (
            f"WITH bounds (account, upto) AS ({bounds}),"
            " spans AS (SELECT t.account, t.id, MIN(t.seq) AS first_seq, MAX(t.seq) AS last_seq"
            "   FROM transitions t JOIN bounds b ON b.account = t.account"
            "   WHERE t.seq > ? AND t.seq <= b.upto GROUP BY t.account, t.id),"
            " changed AS (SELECT w.account, w.id, w.last_seq, l.new_state FROM spans w"
            "   JOIN transitions f ON f.seq = w.first_seq"
            "   JOIN transitions l ON l.seq = w.last_seq"
            "   WHERE f.old_state IS NOT NULL AND f.old_state != l.new_state)"
        )
        params.append(int(after_seq))
        with self._lock, self._errors():
            # Found once into a temporary table, then counted and sampled from it.
            self._db.execute("DROP TABLE IF EXISTS temp.changed_jobs")
            self._db.execute(
                f"CREATE TEMP TABLE changed_jobs AS {window}"  # noqa: S608 - only "?" marks
                " SELECT account, id, last_seq, new_state FROM changed",
                params,
            )
            try:
                counted = self._db.execute(
                    "SELECT account, new_state, COUNT(*) FROM temp.changed_jobs"
                    " GROUP BY account, new_state ORDER BY account, new_state"
                ).fetchall()
                failed = self._db.execute(
                    "SELECT account, id FROM temp.changed_jobs WHERE new_state = 'failed'"
                    " ORDER BY last_seq DESC LIMIT ?",
                    (FAILED_EXAMPLES,),
                ).fetchall()
            finally:
                self._db.execute("DROP TABLE IF EXISTS temp.changed_jobs")
        counts = []
        for account, state, count in counted:
            try:
                counts.append((account, JobState(state), int(count)))
            except ValueError:
                continue
        return ChangeSummary(tuple(counts), tuple((a, i) for a, i in failed))

    def prune(self, now: datetime | None = None) -> int:
        """Drop jobs that ended long ago (see the module docstring); returns how many."""
        now = now or self._clock()
        succeeded_before = format_timestamp(now - SUCCEEDED_RETENTION)
        failed_before = format_timestamp(now - FAILED_RETENTION)
        with self._lock, self._errors():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._db.execute(
                    "DELETE FROM jobs WHERE finished_at IS NOT NULL"
                    " AND NOT EXISTS (SELECT 1 FROM tracked t"
                    "   WHERE t.account = jobs.account AND t.id = jobs.id)"
                    " AND ((state IN ('succeeded', 'canceled') AND finished_at < ?)"
                    "   OR (state = 'failed' AND finished_at < ?))",
                    (succeeded_before, failed_before),
                )
                dropped = cursor.rowcount
                self._db.execute(
                    "DELETE FROM transitions WHERE NOT EXISTS (SELECT 1 FROM jobs j"
                    " WHERE j.account = transitions.account AND j.id = transitions.id)"
                )
                self._db.execute(
                    "DELETE FROM transitions WHERE seq <= (SELECT MAX(seq) FROM transitions) - ?",
                    (MAX_TRANSITIONS,),
                )
                self._db.execute(
                    "DELETE FROM phases WHERE NOT EXISTS (SELECT 1 FROM jobs j"
                    " WHERE j.account = phases.account AND j.id = phases.id)"
                )
                self._db.execute(
                    "DELETE FROM phases WHERE seq <= (SELECT MAX(seq) FROM phases) - ?",
                    (MAX_PHASES,),
                )
                self._db.execute(
                    "DELETE FROM events WHERE julianday(at) < julianday(?)",
                    (format_timestamp(now - EVENT_RETENTION),),
                )
                self._db.execute(
                    "DELETE FROM events WHERE seq <= (SELECT MAX(seq) FROM events) - ?",
                    (MAX_EVENTS,),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        return dropped


def _stored_data(job: Job) -> dict[str, object]:
    """A job's snapshot as stored: its `--json` object, and its phase where it has one."""
    data: dict[str, object] = job.to_json()
    if job.phase is not None:
        data["phase"] = job.phase
    return data


# --- failures and local files -------------------------------------------------------------

_CORRUPT = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
_LOCKED = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_UNWRITABLE = (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM)


def store_error(
    exc: BaseException, path: Path | str, *, busy_timeout: float = BUSY_TIMEOUT
) -> StoreError:
    """The one-sentence `StoreError` for a `sqlite3` or file error on the store at `path`."""
    where = str(path)
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        primary = code & 0xFF if isinstance(code, int) else None
        detail = str(exc) or type(exc).__name__
        if primary in _CORRUPT:
            return StoreError(
                f"{where} is damaged or is not a jobtop store ({detail}); move it aside to"
                " start a fresh one",
                problem="corrupt",
                path=where,
            )
        if primary in _LOCKED:
            return StoreError(
                f"{where} is locked by another program (a write waited more than"
                f" {busy_timeout:g} s); try again once it is done",
                problem="locked",
                path=where,
            )
        if primary == sqlite3.SQLITE_FULL:
            return StoreError(
                f"{where} cannot grow: the disk is full ({detail})", problem="full", path=where
            )
        if primary == sqlite3.SQLITE_IOERR:
            return StoreError(
                f"{where} could not be read or written ({detail}): the disk may be full or"
                " failing, or the file too large",
                problem="unwritable",
                path=where,
            )
        if primary in _UNWRITABLE:
            return StoreError(
                f"{where} cannot be opened for writing ({detail})", problem="unwritable", path=where
            )
        return StoreError(f"{where} cannot be used ({detail})", problem="unwritable", path=where)
    if isinstance(exc, OSError):
        reason = exc.strerror or type(exc).__name__
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return StoreError(
                f"{where} cannot grow: the disk is full ({reason})", problem="full", path=where
            )
        return StoreError(
            f"{where} cannot be opened for writing ({reason})", problem="unwritable", path=where
        )
    return StoreError(f"{where} cannot be used ({type(exc).__name__})", problem="unwritable")


def _unsafe(message: str, path: Path) -> StoreError:
    return StoreError(message, problem="unsafe", path=str(path))


def _check_directory(directory: Path) -> None:
    """Refuse a state directory others may write to, unless it is ours: then tighten it.

    Raises:
        StoreError: Not a directory, or writable by others and not ours to tighten
            (another user's, or a shared sticky directory such as /tmp).
    """
    info = directory.stat()
    if not stat.S_ISDIR(info.st_mode):
        raise StoreError(
            f"the state directory {directory} is not a directory",
            problem="unwritable",
            path=str(directory),
        )
    if not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return
    if info.st_uid != os.getuid() or info.st_mode & stat.S_ISVTX:
        raise _unsafe(
            f"the state directory {directory} is writable by other users; point"
            " JOBTOP_STATE_DIR at a directory only you can write to",
            directory,
        )
    directory.chmod(0o700)


def _prepare_file(path: Path) -> None:
    """Create the state directory (0700) and the database file (0600), following no link.

    SQLite gives its `-wal` and `-shm` files the mode of the database, so creating the
    database here, private, keeps them private too.

    Raises:
        StoreError: A symlink in place of a store file, an unsafe directory, or a file
            that cannot be created.
    """
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    _check_directory(directory)
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in SIDE_SUFFIXES)):
        if candidate.is_symlink():
            raise _unsafe(
                f"{candidate} is a symbolic link, which jobtop does not follow for its"
                " store; remove it",
                candidate,
            )
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _unsafe(
                f"{path} is a symbolic link, which jobtop does not follow for its store; remove it",
                path,
            ) from None
        if exc.errno == errno.EISDIR:
            raise StoreError(
                f"{path} is a directory, not a database file", problem="unwritable", path=str(path)
            ) from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise StoreError(f"{path} is not a regular file", problem="unwritable", path=str(path))
    finally:
        os.close(fd)


def _make_private(path: Path) -> None:
    """Make the database and its side files 0600 (ours only: another user's stays as is)."""
    uid = os.getuid()
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in SIDE_SUFFIXES)):
        try:
            info = candidate.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISREG(info.st_mode) and info.st_uid == uid and info.st_mode & 0o077:
            candidate.chmod(0o600)


def move_aside(path: Path, at: datetime) -> Path:
    """Rename a corrupt store (and its side files) to `<name>.corrupt-<UTC time>`.

    The store must be closed. The side files go with it: a stale `-wal` left beside a
    fresh database would be replayed into it.

    Returns:
        The new path of the database file.

    Raises:
        StoreError: A file could not be renamed.
    """
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    try:
        for suffix in SIDE_SUFFIXES:
            side = Path(f"{path}{suffix}")
            if side.exists() or side.is_symlink():
                side.rename(Path(f"{target}{suffix}"))
        path.rename(target)
    except OSError as exc:
        raise store_error(exc, path) from exc
    return target
