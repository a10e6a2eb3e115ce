"""`JobIndex`: every job the dashboard knows, sorted and filtered, free of Textual.

Jobs live in numbered slots; one ascending order per sort column is cached and re-sorted
in place after a refresh (Timsort is close to linear on an almost-sorted list);
descending is the same list read backwards; sort keys and search texts are computed once
per job and cached until the job changes. The visible rows come from a `Listing`, the
last few complete ones kept so going back costs nothing.
"""

from __future__ import annotations

from bisect import insort
from collections import Counter, OrderedDict
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache, partial
from itertools import compress
from operator import attrgetter
from typing import Any

from tui.formatting import STATE_ORDER
from tui.job_index.filters import (
    ChangedSince,
    JobFilter,
    JobKey,
    KeyIn,
    StatusChoice,
    ValueTests,
    keep_searched,
    keep_values,
)
from tui.job_index.listing import FINISH_STEP, Listing, Narrowing, SearchTexts
from tui.job_index.search import search_text, search_texts
from tui.models import Job, JobState

_EPOCH = datetime(1, 1, 1, tzinfo=UTC)


class Column(StrEnum):
    """The columns of the job table; each can be a sort key."""

    STATE = "state"
    ACCOUNT = "account"
    ID = "id"
    NAME = "name"
    STATUS = "status"
    AGE = "age"
    DURATION = "duration"
    PROGRESS = "progress"


def _duration_key(job: Job, now: datetime) -> float:
    seconds = job.duration_seconds(now)
    return -1.0 if seconds is None else seconds


# Sort keys are compared only with keys of the same column (ints, floats, strings, tuples).
def _folded(text: str) -> str:
    """`text.casefold()`, or `text` itself where folding changes nothing (no second copy
    of every name in the sort keys)."""
    folded = text.casefold()
    return text if folded == text else folded


@lru_cache(maxsize=4096)
def _folded_word(word: str) -> str:
    """A status word folded, one copy per distinct word."""
    return _folded(word)


_SORT_KEYS: dict[Column, Callable[[Job, datetime], Any]] = {
    Column.STATE: lambda job, now: STATE_ORDER.get(job.state, 9),
    Column.ACCOUNT: lambda job, now: job.account,
    Column.ID: lambda job, now: job.id.rjust(24) if job.id.isdigit() else job.id,
    Column.NAME: lambda job, now: _folded(job.name),
    Column.STATUS: lambda job, now: _folded_word(job.status),
    # "age" ascending means youngest first: sort by creation time, newest first.
    Column.AGE: lambda job, now: -(job.created_at or _EPOCH).timestamp(),
    Column.DURATION: _duration_key,
    Column.PROGRESS: lambda job, now: -1.0 if job.progress is None else job.progress,
}


@dataclass(slots=True)
class IndexChanges:
    """What an update did, by key."""

    added: set[JobKey] = field(default_factory=set)
    changed: set[JobKey] = field(default_factory=set)
    removed: set[JobKey] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


@dataclass(frozen=True, slots=True)
class PendingUpdate:
    """The changes a refresh brings, computed off the UI loop by `JobIndex.diff`."""

    upserts: list[Job]
    """New or changed jobs."""
    removals: list[JobKey]
    """Jobs gone from a complete listing."""
    seen: int = 0
    """How many jobs the refresh fetched."""


@dataclass(frozen=True, slots=True)
class PreparedIndex:
    """Sort orders and search texts computed off the UI loop by `JobIndex.prepare`."""

    version: int
    keys: dict[Column, list[object]]
    orders: dict[Column, list[int]]
    hay: list[str]
    values: dict[str, list[object]]


FEW_NEW = 200
"""Up to this many new jobs are inserted into a sorted order one by one (no re-sort)."""

RECENT_VIEWS = 16
"""How many visible row lists (per sort and filter) are kept for going back."""

_ATTRS: dict[str, Callable[[Job], object]] = {
    "account": attrgetter("account"),
    "state": lambda job: job.state.value,  # a str: hashed in C, unlike the enum
    "status": attrgetter("status"),
    "provider": lambda job: str(job.provider),
}


class JobIndex:
    """Every known job, with one sorted and filtered view of them.

    Jobs sit in numbered slots; every per-job value (sort keys, search text, state) is a
    list indexed by slot, so sorting and filtering run as C-level `sort`, `map` and
    `compress` passes instead of Python loops. Removed slots are left empty and compacted
    once they outnumber the live ones.

    Args:
        now: When "now" is, for the duration of running jobs.
    """

    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self._now = now or (lambda: datetime.now(UTC))
        self._sort = Column.AGE
        self._descending = False
        self._filter = JobFilter()
        self._reset([])

    def _reset(self, jobs: list[Job | None]) -> None:
        self._jobs: list[Job | None] = jobs
        self._slots_cache: dict[JobKey, int] | None = None
        self._dead = 0
        self._keys: dict[Column, list[Any]] = {}
        self._values: dict[str, list[object]] = {}
        self._hay: list[str] | None = None
        self._orders: dict[Column, list[int]] = {}
        self._unsorted: set[Column] = set()
        self._orders_with_dead: set[Column] = set()
        self._counts: Counter[tuple[str, JobState]] | None = None
        self._listing: Listing | None = None
        self._narrowing: Narrowing | None = None
        self._aligned_hay: tuple[tuple[object, ...], SearchTexts] | None = None
        self._recent: OrderedDict[tuple[object, ...], Listing] = OrderedDict()
        self.version = getattr(self, "version", 0) + 1
        """Bumped on every change of data, sort or filter."""
        self._data_version = getattr(self, "_data_version", 0) + 1

    # --- data ----------------------------------------------------------------------

    @property
    def _slots(self) -> dict[JobKey, int]:
        if self._slots_cache is None:
            keys = map(attrgetter("account", "id"), self._jobs)
            self._slots_cache = (
                {key: slot for slot, key in enumerate(keys) if self._jobs[slot] is not None}
                if self._dead
                else dict(zip(keys, range(len(self._jobs)), strict=True))
            )
        return self._slots_cache

    def __len__(self) -> int:
        return len(self._jobs) - self._dead

    def __contains__(self, key: object) -> bool:
        return key in self._slots

    def get(self, key: JobKey) -> Job | None:
        """The job with this key, if known."""
        slot = self._slots.get(key)
        return None if slot is None else self._jobs[slot]

    def jobs(self, account: str | None = None) -> Iterator[Job]:
        """Every job (of one source), unsorted."""
        for job in self._jobs:
            if job is not None and (account is None or job.account == account):
                yield job

    def upsert(self, jobs: Iterable[Job]) -> IndexChanges:
        """Add or replace jobs by key; unchanged jobs cost one comparison."""
        if not len(self):
            return self._load(list(jobs))
        changes = IndexChanges()
        slots = self._slots
        store = self._jobs
        changed_slots: list[tuple[int, Job | None, Job]] = []  # slot, old job, new job
        new_jobs: list[Job] = []
        for job in jobs:
            key = (job.account, job.id)
            slot = slots.get(key)
            if slot is None:
                changes.added.add(key)
                slots[key] = len(store) + len(new_jobs)
                new_jobs.append(job)
                continue
            old = store[slot]
            if old == job:
                continue
            changes.changed.add(key)
            store[slot] = job
            changed_slots.append((slot, old, job))
        if not changes:
            return changes
        first_new = len(store)
        store.extend(new_jobs)
        now = self._now()
        moved: set[Column] = set()
        for column, values in self._keys.items():
            compute = _SORT_KEYS[column]
            for slot, _old, new in changed_slots:
                sort_key = compute(new, now)
                if sort_key != values[slot]:
                    values[slot] = sort_key
                    moved.add(column)
            values.extend(compute(job, now) for job in new_jobs)
        for name, values in self._values.items():
            getter = _ATTRS[name]
            for slot, _old, new in changed_slots:
                values[slot] = getter(new)
            values.extend(map(getter, new_jobs))
        if self._hay is not None:
            for slot, _old, new in changed_slots:
                self._hay[slot] = search_text(new)
            self._hay.extend(map(search_text, new_jobs))
        if self._counts is not None:
            for _slot, old, new in changed_slots:
                if old is not None:
                    self._counts[(old.account, old.state)] -= 1
                self._counts[(new.account, new.state)] += 1
            self._counts.update(map(attrgetter("account", "state"), new_jobs))
        new_slots = range(first_new, len(store))
        for column, order in self._orders.items():
            if column in moved or column in self._unsorted or len(new_slots) > FEW_NEW:
                order.extend(new_slots)
                self._unsorted.add(column)
            else:
                # A few new jobs go straight to their place; the rest did not move.
                key_of = self._keys[column].__getitem__
                for slot in new_slots:
                    insort(order, slot, key=key_of)
        self._changed(data=True)
        return changes

    def _load(self, jobs: list[Job | None]) -> IndexChanges:
        """The first load: no per-job Python work beyond what the first paint needs."""
        self._reset(jobs)
        self._changed(data=True)
        return IndexChanges(added=set(self._slots)) if len(jobs) < 5_000 else _BulkChanges()

    def diff(
        self,
        jobs: Sequence[Job],
        *,
        account: str | None = None,
        keep_ids: Iterable[str] = (),
    ) -> PendingUpdate:
        """What applying `jobs` would change, computed without changing anything.

        Only reads, and `apply` checks each job again, so the index may change between
        this and `apply`.

        Args:
            jobs: A source's fetched jobs.
            account: When given, `jobs` is that source's complete listing and its other
                jobs are to be removed.
            keep_ids: Ids not fetched on purpose (finished tracked jobs): never removed.
        """
        steps = self.diff_steps(jobs, account=account, keep_ids=keep_ids, step=max(1, len(jobs)))
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]

    def diff_steps(
        self,
        jobs: Sequence[Job],
        *,
        account: str | None = None,
        keep_ids: Iterable[str] = (),
        step: int = 1_000,
    ) -> Generator[None, None, PendingUpdate]:
        """`diff` in steps of `step` jobs: yields between them, returns the update.

        The dashboard runs it on the UI loop and lets other work run at each yield.
        """
        changed: list[Job] = []
        known = 0
        for start in range(0, len(jobs), step):
            more, found = self.changed_jobs(jobs[start : start + step])
            changed += more
            known += found
            yield
        removed = self.missing(account, jobs, keep_ids, known) if account is not None else []
        return PendingUpdate(upserts=changed, removals=removed, seen=len(jobs))

    def changed_jobs(self, jobs: Iterable[Job]) -> tuple[list[Job], int]:
        """The jobs that are new or differ from the index, and how many were known."""
        get = self._slots.get
        store = self._jobs
        changed: list[Job] = []
        known = 0
        for job in jobs:
            slot = get((job.account, job.id))
            if slot is None:
                changed.append(job)
                continue
            known += 1
            if store[slot] != job:
                changed.append(job)
        return changed, known

    def missing(
        self,
        account: str,
        jobs: Sequence[Job],
        keep_ids: Iterable[str] = (),
        known: int | None = None,
    ) -> list[JobKey]:
        """Keys of `account`'s jobs absent from its complete listing `jobs` (and `keep_ids`).

        Args:
            known: How many of `jobs` the index holds (from `changed_jobs`): when that is
                all of the account's jobs, nothing is missing and no scan is needed.
        """
        present = {job.id for job in jobs}
        every_known_listed = known is not None and known >= self.counts(account).total()
        if every_known_listed and len(present) == len(jobs):
            return []
        present.update(keep_ids)
        return [(account, job_id) for job_id in self._account_ids(account) if job_id not in present]

    def apply(self, update: PendingUpdate) -> IndexChanges:
        """Apply a `diff` result; costs time in proportion to the changes only."""
        changes = self.upsert(update.upserts)
        if update.removals:
            changes.removed |= self.remove(update.removals).removed
        return changes

    def apply_steps(
        self, update: PendingUpdate, step: int = 2_000
    ) -> Generator[None, None, IndexChanges]:
        """`apply` in steps of `step` jobs: yields between them, returns what changed.

        Each step leaves the index whole (a repaint between two reads a consistent
        index); only the first load of an empty index is taken at once, as it is cheap.
        """
        if not len(self) or len(update.upserts) <= step:
            return self.apply(update)
        changes = IndexChanges()
        upserts = update.upserts
        for start in range(0, len(upserts), step):
            part = self.upsert(upserts[start : start + step])
            changes.added |= part.added
            changes.changed |= part.changed
            yield
        if update.removals:
            changes.removed |= self.remove(update.removals).removed
        return changes

    def _account_ids(self, account: str) -> list[str]:
        return [key[1] for key in list(self._slots) if key[0] == account]

    def remove(self, keys: Iterable[JobKey]) -> IndexChanges:
        """Forget jobs by key."""
        changes = IndexChanges()
        slots = self._slots
        for key in keys:
            slot = slots.pop(key, None)
            if slot is None:
                continue
            old = self._jobs[slot]
            self._jobs[slot] = None
            self._dead += 1
            changes.removed.add(key)
            if self._counts is not None and old is not None:
                self._counts[(old.account, old.state)] -= 1
        if changes:
            self._orders_with_dead.update(self._orders)
            if self._dead > 1_000 and self._dead > len(self):
                self._compact()
            self._changed(data=True)
        return changes

    def _compact(self) -> None:
        live: list[Job | None] = [job for job in self._jobs if job is not None]
        self._reset(live)

    def _changed(self, data: bool = False) -> None:
        self._listing = None
        self.version += 1
        if data:
            self._data_version += 1
            self._recent.clear()

    # --- per-slot values -----------------------------------------------------------

    def _sort_keys(self, column: Column) -> list[object]:
        values = self._keys.get(column)
        if values is None and column == Column.AGE and not self._dead:
            # The default sort, on the first paint: no per-job function call.
            epoch = _EPOCH
            values = [-(d or epoch).timestamp() for d in map(attrgetter("created_at"), self._jobs)]
            self._keys[column] = values
        if values is None:
            compute = _SORT_KEYS[column]
            now = self._now()
            values = [None if job is None else compute(job, now) for job in self._jobs]
            self._keys[column] = values
        return values

    def _column(self, name: str) -> list[object]:
        values = self._values.get(name)
        if values is None:
            getter = _ATTRS[name]
            values = [None if job is None else getter(job) for job in self._jobs]
            self._values[name] = values
        return values

    def _haystacks(self) -> list[str]:
        if self._hay is None:
            self._hay = search_texts(self._jobs)
        return self._hay

    # --- sort ----------------------------------------------------------------------

    @property
    def sort_column(self) -> Column:
        """The column rows are sorted by."""
        return self._sort

    @property
    def descending(self) -> bool:
        """True when the sort is reversed."""
        return self._descending

    def set_sort(self, column: Column, descending: bool) -> None:
        """Sort by `column`; cheap when that column's order is cached."""
        if (column, descending) == (self._sort, self._descending):
            return
        self._sort, self._descending = column, descending
        self._changed()

    def _order(self, column: Column) -> list[int]:
        order = self._orders.get(column)
        if order is not None and column in self._orders_with_dead:
            order = list(compress(order, map(self._jobs.__getitem__, order)))
            self._orders[column] = order
        self._orders_with_dead.discard(column)
        if order is None:
            if self._dead:
                order = [slot for slot, job in enumerate(self._jobs) if job is not None]
            else:
                order = list(range(len(self._jobs)))
            self._orders[column] = order
            self._unsorted.add(column)
        if column in self._unsorted:
            order.sort(key=self._sort_keys(column).__getitem__)  # type: ignore[arg-type]
            self._unsorted.discard(column)
        return order

    # --- filter --------------------------------------------------------------------

    @property
    def filter(self) -> JobFilter:
        """The filter in force."""
        return self._filter

    def set_filter(self, job_filter: JobFilter) -> None:
        """Show only jobs that pass `job_filter`."""
        if job_filter == self._filter:
            return
        self._filter = job_filter
        self._changed()

    def _filtering(self, rows: list[int]) -> Listing:
        """The listing of `rows` (the sorted whole) under the filter, not yet searched.

        Three ways, fastest first: typing on narrows the last search's complete result
        (a longer needle can only keep fewer rows); the listing's search texts, in row
        order and in blocks, serve a search of the whole; before they are prepared, rows
        are tested one by one on the per-slot search texts.
        """
        job_filter = self._filter
        tests: ValueTests = [
            (self._column(name), wanted)
            for name, wanted in (
                ("account", job_filter.accounts),
                ("state", frozenset(state.value for state in job_filter.states)),
                (
                    "status",
                    frozenset({job_filter.status.status})
                    if job_filter.status is not None
                    else frozenset(),
                ),
                (
                    "provider",
                    frozenset({str(job_filter.status.provider)})
                    if job_filter.status is not None
                    else frozenset(),
                ),
            )
            if wanted
        ]
        if job_filter.changed_since is not None:
            tests.append((self._jobs, ChangedSince(job_filter.changed_since)))
        if job_filter.keys is not None:
            tests.append((self._jobs, KeyIn(job_filter.keys)))
        search = job_filter.search
        if search is None or search.is_empty:
            return Listing(rows, None, partial(keep_values, tests))
        previous = self._narrowing
        if (
            previous is not None
            and previous.base_key == self._base_key()
            and search.narrows(previous.search)
        ):
            # Typing on: only the rows that matched so far can match now, and the values
            # were tested already.
            if previous.texts is None:
                return Listing(
                    previous.rows, None, partial(keep_searched, self._haystacks(), search, [])
                )
            return Listing(
                previous.rows,
                previous.positions,
                partial(previous.texts.keep_positions, search),
                previous.texts,
            )
        texts = self._aligned_hay
        if texts is not None and texts[0] == self._rows_key() and len(rows) == len(self):
            return Listing(
                rows, range(len(rows)), partial(texts[1].keep_range, search, tests), texts[1]
            )
        hay = self._haystacks()
        return Listing(rows, None, partial(keep_searched, hay, search, tests))

    def _base_key(self) -> tuple[object, ...]:
        """What a listing depends on apart from the search."""
        return (*self._rows_key(), replace(self._filter, search=None))

    def _passes(self, slot: int) -> bool:
        """True if the job in `slot` passes the filter: one job's test, no listing."""
        job = self._jobs[slot]
        if job is None:
            return False
        job_filter = self._filter
        if job_filter.accounts and job.account not in job_filter.accounts:
            return False
        if job_filter.states and job.state not in job_filter.states:
            return False
        if job_filter.status is not None and (
            job.status != job_filter.status.status or job.provider != job_filter.status.provider
        ):
            return False
        if job_filter.changed_since is not None and not job.changed_since(job_filter.changed_since):
            return False
        if job_filter.keys is not None and (job.account, job.id) not in job_filter.keys:
            return False
        search = job_filter.search
        if search is None or search.is_empty:
            return True
        if self._hay is not None:
            return search.matches_fields(self._hay[slot].split("\n"))
        return search.matches(job)

    def prepare_search(self) -> tuple[tuple[object, ...], SearchTexts] | None:
        """The search texts of the whole listing in the current order, for a thread.

        Only reads (None when an order is not ready to be read); `install_search` adopts
        the result if the data and sort did not change meanwhile. Building them takes
        tens of milliseconds at 100,000 jobs; until they are adopted, a search tests rows
        one by one on the per-slot texts (slower, and typing on cannot narrow).
        """
        column = self._sort
        order = self._orders.get(column)
        hay = self._hay
        if order is None or hay is None:
            return None
        if column in self._unsorted or column in self._orders_with_dead:
            return None
        key = self._rows_key()
        rows = order[::-1] if self._descending else list(order)
        texts: list[str] = []
        for start in range(0, len(rows), 5_000):
            # In pieces: one C call over every row holds the GIL (and the UI) too long.
            texts += map(hay.__getitem__, rows[start : start + 5_000])
        return key, SearchTexts(texts, rows)

    def install_search(self, prepared: tuple[tuple[object, ...], SearchTexts] | None) -> bool:
        """Adopt a `prepare_search` result; False (nothing done) if it is out of date."""
        if prepared is None or prepared[0] != self._rows_key():
            return False
        current = self._aligned_hay
        if current is None or current[0] != prepared[0]:
            self._aligned_hay = prepared
        return True

    def search_ready(self) -> bool:
        """True when a search of the whole listing needs no preparation."""
        return self._aligned_hay is not None and self._aligned_hay[0] == self._rows_key()

    def _rows_key(self) -> tuple[object, ...]:
        return (self._data_version, self._sort, self._descending)

    # --- warming up --------------------------------------------------------------------

    def prepare(self) -> PreparedIndex:
        """Compute every sort order and the search texts, without changing the index.

        Meant for a worker thread (`SyncEngine.run_in_worker`) after a big load, so the
        first sort by each column and the first search do not pay for it on a keystroke.
        `install` applies the result on the UI loop if the data did not change meanwhile.
        """
        version = self._data_version
        jobs = list(self._jobs)
        now = self._now()
        keys: dict[Column, list[object]] = {}
        orders: dict[Column, list[int]] = {}
        live = [slot for slot, job in enumerate(jobs) if job is not None]
        for column, compute in _SORT_KEYS.items():
            values = [None if job is None else compute(job, now) for job in jobs]
            order = list(live)
            order.sort(key=values.__getitem__)  # type: ignore[arg-type]
            keys[column] = values
            orders[column] = order
        hay = search_texts(jobs)
        values_by_name = {
            name: [None if job is None else getter(job) for job in jobs]
            for name, getter in _ATTRS.items()
        }
        return PreparedIndex(version, keys, orders, hay, values_by_name)

    @property
    def prepared(self) -> bool:
        """True when every column's order and the search texts are ready."""
        return (
            self._hay is not None
            and all(column in self._orders for column in Column)
            and not self._unsorted
        )

    def install(self, prepared: PreparedIndex) -> bool:
        """Adopt a `prepare` result; False (and nothing done) if the data changed since."""
        if prepared.version != self._data_version:
            return False
        for column in Column:
            if column not in self._orders or column in self._unsorted:
                self._keys[column] = prepared.keys[column]
                self._orders[column] = prepared.orders[column]
                self._unsorted.discard(column)
                self._orders_with_dead.discard(column)
        self._hay = prepared.hay
        self._values.update(prepared.values)
        return True

    # --- the visible rows ----------------------------------------------------------

    def _current(self) -> Listing:
        """The listing of the current sort and filter, perhaps not complete yet."""
        listing = self._listing
        if listing is None:
            key = (self._data_version, self._sort, self._descending, self._filter)
            kept = self._recent.get(key)
            if kept is not None:
                self._recent.move_to_end(key)
                listing = kept
                self._note_search(listing)
            else:
                order = self._order(self._sort)
                rows = order[::-1] if self._descending else order
                if self._filter.is_empty:
                    listing = Listing.whole(list(order) if rows is order else rows)
                else:
                    listing = self._filtering(rows)
            listing.key = key
            self._listing = listing
            self._if_complete(listing)
        return listing

    def _grow(self, listing: Listing, wanted: int) -> list[int]:
        """The rows of `listing`, found at least up to `wanted` rows (or all there are)."""
        if len(listing.rows) < wanted and not listing.complete:
            listing.reach(wanted)
            self._if_complete(listing)
        return listing.rows

    def _if_complete(self, listing: Listing) -> None:
        """Keep a listing that just became complete, for going back and for typing on."""
        if not listing.complete or listing.kept:
            return
        listing.kept = True
        self._recent[listing.key] = listing
        if len(self._recent) > RECENT_VIEWS:
            self._recent.popitem(last=False)
        self._note_search(listing)

    def _note_search(self, listing: Listing) -> None:
        """Remember a complete searched listing as the one the next keystroke narrows."""
        job_filter = listing.key[3]
        assert isinstance(job_filter, JobFilter)
        if job_filter.search is not None and not job_filter.search.is_empty:
            self._narrowing = Narrowing(
                self._base_key(), job_filter.search, listing.rows, listing.positions, listing.texts
            )

    def _visible(self) -> list[int]:
        listing = self._current()
        if not listing.complete:
            listing.finish()
            self._if_complete(listing)
        return listing.rows

    def __getitem__(self, row: int) -> Job:
        rows = self._grow(self._current(), row + 1) if row >= 0 else self._visible()
        job = self._jobs[rows[row]]
        assert job is not None
        return job

    def row_count(self) -> int:
        """How many rows are visible (finishes the listing if it is not complete)."""
        return len(self._visible())

    def rows_upto(self, count: int) -> int:
        """`min(row_count(), count)`, finding only the rows needed to tell.

        What the table asks for the rows on screen: after a keystroke it costs the slice
        of the listing that holds them, not a pass over all 100,000.
        """
        return min(count, len(self._grow(self._current(), count)))

    @property
    def pending(self) -> bool:
        """True while the listing is incomplete: the rows on screen are final, the count not."""
        return not self._current().complete

    def row_estimate(self) -> int:
        """The row count, or while the listing is incomplete a guess from its found part."""
        return self._current().estimate()

    def progress(self) -> tuple[int, int, int]:
        """(rows found, rows looked at, rows to look at) of the listing: while it is
        incomplete, how far the filter got; once complete, the count three times."""
        return self._current().progress()

    def finish_step(self) -> bool:
        """Find one more slice of an incomplete listing; True while more remains."""
        listing = self._current()
        if listing.complete:
            return False
        listing.step(FINISH_STEP)
        self._if_complete(listing)
        return not listing.complete

    def key_at(self, row: int) -> JobKey:
        """The key of the visible row `row`."""
        job = self[row]
        return (job.account, job.id)

    def position(self, key: JobKey, hint: int | None = None) -> int | None:
        """The visible row of `key`, or None when it is filtered out or unknown.

        On an incomplete listing, a job the filter rejects is known to be absent at once;
        one it keeps is looked for only as far as it lies.

        Args:
            key: The job.
            hint: Where it probably is (the cursor's row); checked first, in O(1).
        """
        slot = self._slots.get(key)
        if slot is None:
            return None
        listing = self._current()
        rows = listing.rows
        if not listing.complete and not self._passes(slot):
            return None
        if hint is not None and 0 <= hint < len(rows) and rows[hint] == slot:
            return hint
        start = 0
        while True:
            try:
                return rows.index(slot, start)
            except ValueError:
                if listing.complete:
                    return None
                start = len(rows)
                listing.step(FINISH_STEP)
                self._if_complete(listing)

    def counts(self, account: str | None = None) -> Counter[JobState]:
        """Jobs per state, for one source or all."""
        if self._counts is None:
            self._counts = Counter(map(attrgetter("account", "state"), filter(None, self._jobs)))
        result: Counter[JobState] = Counter()
        for (job_account, state), count in self._counts.items():
            if count and (account is None or job_account == account):
                result[state] += count
        return result

    def status_values(self, accounts: Iterable[str] = ()) -> list[StatusChoice]:
        """The distinct raw statuses seen (of some sources), each with its provider, sorted
        by the word (the same word of two providers side by side)."""
        wanted = frozenset(accounts)
        pairs = {
            (job.provider, job.status) for job in self.jobs() if not wanted or job.account in wanted
        }
        return [
            StatusChoice(provider, status)
            for provider, status in sorted(
                pairs, key=lambda pair: (pair[1].casefold(), pair[1], str(pair[0]))
            )
        ]


class _BulkChanges(IndexChanges):
    """The changes of a first bulk load: everything was added; keys built on demand."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return True
