"""A sorted, filtered index over every job the dashboard knows, free of Textual.

The table asks this index for "the n-th visible row" and nothing else, so showing
100,000 jobs costs one sort and one filter pass, never one widget per row.

Design, for speed at 100,000 jobs:

- jobs live in a dict keyed by `Job.key`;
- one ascending order per sort column is cached as a list of keys, and re-sorted in
  place after a refresh (Timsort is close to linear on an almost-sorted list);
  descending is the same list read backwards;
- sort keys are computed once per job and column and cached until the job changes;
- the search fields of each job (id, name, status, source, error, state) are folded to
  lower case once and cached, joined by line breaks: a word on every field is one test
  per row, a multi-line regex anchors each field, and a word on one field is one regex
  match that finds its field by its place; for the whole listing the rows are also
  joined into blocks of `SEARCH_BLOCK` rows, so a keystroke first tests ~1,600 blocks and
  looks at single rows only inside the blocks that match;
- a filter's listing is found a slice at a time: a keystroke looks only as far as the
  rows on screen need, and the rest (the count, the scrollbar) is finished in slices
  between frames, so no keystroke waits for a pass over all 100,000 rows;
- the last few complete row lists are kept, so going back (a backspace, failed-only off
  and on, the previous view) costs nothing.
"""

from __future__ import annotations

import re
import re._parser as re_parser  # type: ignore[import-not-found]  # noqa: PLC2701 - which regexes span fields
from bisect import insort
from collections import Counter, OrderedDict
from collections.abc import Callable, Container, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from itertools import compress, filterfalse, repeat
from operator import attrgetter, contains, is_, not_
from typing import Any

from tui.formatting import STATE_ORDER
from tui.models import Job, JobState, ProviderName

JobKey = tuple[str, str]
"""(account, id): the store key of a job."""

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
_SORT_KEYS: dict[Column, Callable[[Job, datetime], Any]] = {
    Column.STATE: lambda job, now: STATE_ORDER.get(job.state, 9),
    Column.ACCOUNT: lambda job, now: job.account,
    Column.ID: lambda job, now: job.id.rjust(24) if job.id.isdigit() else job.id,
    Column.NAME: lambda job, now: job.name.casefold(),
    Column.STATUS: lambda job, now: job.status.casefold(),
    # "age" ascending means youngest first: sort by creation time, newest first.
    Column.AGE: lambda job, now: -(job.created_at or _EPOCH).timestamp(),
    Column.DURATION: _duration_key,
    Column.PROGRESS: lambda job, now: -1.0 if job.progress is None else job.progress,
}


SEARCH_FIELDS = ("id", "name", "status", "source", "error", "state")
"""The fields a search looks in, in the order of a job's search texts. `source` is the
account; a bare word looks in every field."""

_FIELD_PLACE = {name: place for place, name in enumerate(SEARCH_FIELDS)}

_TOKEN = re.compile(r'(?:"[^"]*"?|[^\s"]+)+')
"""One term: a run of non-blanks, where a double-quoted part may hold blanks."""

_QUALIFIER = re.compile(r"([A-Za-z]+):")


@dataclass(frozen=True, slots=True)
class SearchTerm:
    """One word of a search: what it looks for, where, and whether it must be absent."""

    field: str | None
    """One of `SEARCH_FIELDS`, or None for every field."""
    value: str
    """The value as typed (quotes and `re:` removed): what a server may search for."""
    needle: str = ""
    """The casefolded substring (when not a pattern)."""
    pattern: re.Pattern[str] | None = None
    """A regex or glob, applied to each field on its own (`^` and `$` anchor a field)."""
    negate: bool = False
    by_field: bool = False
    """True for a pattern on every field that could match across two fields of a row's
    joined text (a line break, `\\A`, a lookaround): it is then checked field by field."""
    located: re.Pattern[str] | None = None
    """For a substring or glob on one field: the same test on a whole search text, the
    field found by its place (one C-level match per row)."""

    def implies(self, other: SearchTerm) -> bool:
        """True if every text this term keeps is kept by `other` (for typing on)."""
        if (self.field, self.negate, self.pattern) != (other.field, other.negate, other.pattern):
            return False
        if self.pattern is not None:
            return True
        return self.needle == other.needle or (not self.negate and other.needle in self.needle)

    def hit(self, fields: Sequence[str]) -> bool:
        """True if a job whose search fields are `fields` passes this term (the plain
        rule the index's faster paths must agree with)."""
        values = fields if self.field is None else (fields[_FIELD_PLACE[self.field]],)
        if self.pattern is not None:
            found = any(self.pattern.search(value) for value in values)
        else:
            found = any(self.needle in value for value in values)
        return found != self.negate

    def keep(self, places: Sequence[int], texts: list[str]) -> list[int]:
        """The members of `places` (indexes into `texts`, each a job's `search_text`)
        whose texts pass this term.

        A word on every field is one C-level test per text, and so is a substring or
        glob on one field (`located`). A regex on one field, or one on every field that
        could span two, is first tested on the whole text, which finds every row where it
        holds and a few more, then checked on the fields of those rows only.
        """
        rows = map(texts.__getitem__, places)
        if self.field is None and not self.by_field:
            return list(compress(places, self._hits(rows)))
        if self.located is not None:
            matches = map(self.located.match, rows)
            if self.negate:
                return list(compress(places, map(is_, matches, repeat(None))))
            return list(compress(places, matches))
        rough = self.block_test()
        candidates = places if rough is None else compress(places, map(rough, rows))
        found = [place for place in candidates if self._in_fields(texts[place])]
        if self.negate:
            return list(filterfalse(set(found).__contains__, places))
        return found

    def _in_fields(self, text: str) -> bool:
        """True if the word (negation aside) is found in the fields of one search text."""
        values = text.split("\n")
        if self.field is not None:
            values = [values[_FIELD_PLACE[self.field]]]
        if self.pattern is not None:
            return any(map(self.pattern.search, values))
        return any(map(contains, values, repeat(self.needle)))

    def _hits(self, texts: Iterable[str]) -> Iterator[object]:
        """Per text, something true when it passes (one C-level pass)."""
        if self.pattern is None:
            found: Iterator[object] = map(contains, texts, repeat(self.needle))
            return map(not_, found) if self.negate else found
        matches = map(self.pattern.search, texts)
        return map(is_, matches, repeat(None)) if self.negate else matches

    def block_test(self) -> Callable[[str], object] | None:
        """A test true for every block of joined rows holding a row with a hit, or None
        when the pattern can see past its row or field (string anchors, lookarounds)."""
        if self.pattern is None:
            return partial(_contains_in, self.needle)
        if _BLOCK_UNSAFE.search(self.pattern.pattern):
            return None
        return self.pattern.search


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A parsed `/` search: terms that must all pass (see `parse_search`)."""

    text: str
    """What the user typed."""
    terms: tuple[SearchTerm, ...] = ()
    error: str | None = None
    """Why a regex did not compile (it is then searched as plain text)."""

    @property
    def is_empty(self) -> bool:
        """True when the search matches everything."""
        return not self.terms

    @property
    def server_text(self) -> str | None:
        """The part a server may apply: a lone positive substring on every field only."""
        if len(self.terms) != 1:
            return None
        term = self.terms[0]
        if term.negate or term.pattern is not None or term.field is not None:
            return None
        return term.value

    @property
    def ordered(self) -> tuple[SearchTerm, ...]:
        """The terms in the order they are tested: those that must be present first."""
        return tuple(sorted(self.terms, key=attrgetter("negate")))

    def narrows(self, previous: SearchQuery) -> bool:
        """True if every job this search keeps, `previous` kept too (typing on)."""
        if len(self.terms) < len(previous.terms):
            return False
        return all(map(SearchTerm.implies, self.terms, previous.terms))

    def matches_fields(self, fields: Sequence[str]) -> bool:
        """True if a job with these search fields (`search_fields`) passes every term."""
        return all(term.hit(fields) for term in self.terms)

    def matches(self, job: Job) -> bool:
        """True if `job` passes every term."""
        return self.matches_fields(search_fields(job))

    def keep(self, places: Sequence[int], texts: list[str]) -> list[int]:
        """The members of `places` (indexes into `texts`) that pass every term, in order."""
        kept: Sequence[int] = places
        for term in self.ordered:
            kept = term.keep(kept, texts)
        return list(kept)


def parse_search(text: str) -> SearchQuery:
    """Parse what was typed after `/`.

    Words separated by blanks must all match (a double-quoted part may hold blanks). A word
    is a case-insensitive substring of any field; `field:word` looks in one field only
    (`id`, `name`, `status`, `source`, `error`, `state`); `*` and `?` make it a glob that
    must match the whole field (`status:error_*`); `re:…` or `/…/` make it a
    case-insensitive regex, applied to each field on its own so `^` and `$` anchor a
    field; `!` before a word (or after its `field:`) keeps the jobs it does not match.
    An invalid regex is searched as plain text and the error is kept for the UI to show.
    """
    terms: list[SearchTerm] = []
    error: str | None = None
    for token in _TOKEN.findall(text):
        term, problem = _parse_term(token)
        error = error or problem
        if term is not None:
            terms.append(term)
    return SearchQuery(text=text, terms=tuple(terms), error=error)


def _parse_term(token: str) -> tuple[SearchTerm | None, str | None]:
    """One word of a search (None when it asks for nothing yet, as `state:` being typed)."""
    negate = token.startswith("!")
    body = token[1:] if negate else token
    field = None
    qualifier = _QUALIFIER.match(body)
    if qualifier is not None and qualifier.group(1).lower() in _FIELD_PLACE:
        field = qualifier.group(1).lower()
        body = body[qualifier.end() :]
        if body.startswith("!"):
            negate, body = not negate, body[1:]
    regex: str | None = None
    if body.startswith("re:"):
        regex = _unquote(body[3:])
    elif len(body) >= 2 and body.startswith("/") and body.endswith("/"):
        regex = body[1:-1]
    value = _unquote(body) if regex is None else regex
    if not value:
        return None, None
    if regex is not None:
        try:
            pattern = re.compile(regex, re.IGNORECASE | re.MULTILINE)
        except re.error as exc:
            needle = _one_line(regex.casefold())
            return SearchTerm(field, regex, needle=needle, negate=negate), f"bad regex: {exc}"
        by_field = field is None and (
            _BLOCK_UNSAFE.search(regex) is not None or _can_match_line_break(pattern)
        )
        return SearchTerm(field, regex, pattern=pattern, negate=negate, by_field=by_field), None
    if "*" in value or "?" in value:
        glob = "".join(
            "[^\n]*" if char == "*" else "[^\n]" if char == "?" else re.escape(char)
            for char in _one_line(value.casefold())
        )
        pattern = re.compile(f"^{glob}$", re.IGNORECASE | re.MULTILINE)
        located = _located(field, f"{glob}$")
        return SearchTerm(field, value, pattern=pattern, negate=negate, located=located), None
    needle = _one_line(value.casefold())
    located = _located(field, f"[^\n]*?{re.escape(needle)}")
    return SearchTerm(field, value, needle=needle, negate=negate, located=located), None


def _located(field: str | None, regex: str) -> re.Pattern[str] | None:
    """`regex` (line-bound, on casefolded text) matched at `field`'s place in a search text."""
    if field is None:
        return None
    return re.compile(rf"\A(?:[^\n]*\n){{{_FIELD_PLACE[field]}}}{regex}", re.MULTILINE)


def search_count(found: int, looked: int, total: int) -> str:
    """The match count for the status line; while the listing is still being searched,
    how far the search got (a count, not a failure)."""
    noun = "match" if found == 1 else "matches"
    if looked >= total:
        return f"{found:,} {noun}"
    return f"{found:,} {noun} so far (searched {looked:,} of {total:,})"


def _unquote(value: str) -> str:
    """`"a b"` as `a b` (an unclosed quote runs to the end)."""
    if value.startswith('"'):
        value = value[1:]
        if value.endswith('"'):
            value = value[:-1]
    return value


def _one_line(text: str) -> str:
    """Line breaks as blanks: they separate fields and rows in the search texts."""
    return text.replace("\n", " ").replace("\r", " ")


def _can_match_line_break(pattern: re.Pattern[str]) -> bool:
    """True if `pattern` might match a line break (so could span two fields of a row's
    joined text); True too when unsure."""
    try:
        parsed = re_parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - a private parser: unsure means yes
        return True
    return _parsed_can_match_line_break(parsed, bool(pattern.flags & re.DOTALL))


_LINE_BREAK_CATEGORIES = frozenset(
    {
        "CATEGORY_SPACE",
        "CATEGORY_NOT_WORD",
        "CATEGORY_NOT_DIGIT",
        "CATEGORY_LINEBREAK",
        "CATEGORY_UNI_SPACE",
        "CATEGORY_UNI_NOT_WORD",
        "CATEGORY_UNI_NOT_DIGIT",
        "CATEGORY_UNI_LINEBREAK",
    }
)


def _parsed_can_match_line_break(items: Iterable[tuple[Any, Any]], dotall: bool) -> bool:
    newline = 10
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            if arg == newline:
                return True
        elif name == "NOT_LITERAL":
            if arg != newline:
                return True
        elif name == "ANY":
            if dotall:
                return True
        elif name == "AT":
            continue
        elif name == "IN":
            if _set_can_match_line_break(arg):
                return True
        elif name == "SUBPATTERN":
            _group, add, remove, sub = arg
            inner = (dotall or bool(add & re.DOTALL)) and not remove & re.DOTALL
            if _parsed_can_match_line_break(sub, inner):
                return True
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            if _parsed_can_match_line_break(arg[2], dotall):
                return True
        elif name == "ATOMIC_GROUP":
            if _parsed_can_match_line_break(arg, dotall):
                return True
        elif name == "BRANCH":
            if any(_parsed_can_match_line_break(sub, dotall) for sub in arg[1]):
                return True
        else:
            return True  # back-references, lookarounds, anything new: unsure
    return False


def _set_can_match_line_break(items: Iterable[tuple[Any, Any]]) -> bool:
    negated = False
    found = False
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            negated = True
        elif name == "LITERAL":
            found = found or arg == 10
        elif name == "RANGE":
            low, high = arg
            found = found or low <= 10 <= high
        elif name == "CATEGORY":
            found = found or str(arg) in _LINE_BREAK_CATEGORIES
        else:
            return True
    return found != negated


def search_fields(job: Job) -> list[str]:
    """A job's search texts, casefolded and one line each, in `SEARCH_FIELDS` order."""
    return search_text(job).split("\n")


def search_text(job: Job) -> str:
    """A job's search fields joined by line breaks (one join, one casefold for the usual
    job, whose texts hold no line break)."""
    error = job.error[:200] if job.error else ""
    values = (job.id, job.name, job.status, job.account, error, job.state.value)
    joined = "\n".join(values).casefold()
    if "\r" in joined:
        joined = joined.replace("\r", " ")
    if joined.count("\n") != len(values) - 1:  # a line break inside a field
        joined = "\n".join(_one_line(value.casefold()) for value in values)
    return joined


@dataclass(frozen=True, slots=True)
class StatusChoice:
    """One provider's own status word. Providers share words that mean different things
    (Zoo's `failed`, LettrLabs' and hdrjpg's `Failed`), so a status filter is the word and
    the provider, both matched exactly."""

    provider: ProviderName
    status: str


@dataclass(frozen=True, slots=True)
class JobFilter:
    """Which jobs are visible."""

    accounts: frozenset[str] = frozenset()
    """Only these sources (empty: every source, the All view)."""
    states: frozenset[JobState] = frozenset()
    """Only these normalized states (empty: all)."""
    status: StatusChoice | None = None
    """Only this provider's jobs with this raw status (both exact)."""
    search: SearchQuery | None = None
    changed_since: datetime | None = None
    """Only jobs that last changed at or after this time (`Job.changed_since`)."""
    keys: frozenset[JobKey] | None = None
    """Only these jobs (the stuck ones, say); None: no such limit."""

    @property
    def is_empty(self) -> bool:
        """True when nothing is filtered out."""
        return (
            not self.accounts
            and not self.states
            and self.status is None
            and (self.search is None or self.search.is_empty)
            and self.changed_since is None
            and self.keys is None
        )


@dataclass(frozen=True, slots=True)
class _KeyIn:
    """A value test (`ValueTests`) on the jobs themselves: one of `keys`."""

    keys: frozenset[JobKey]

    def __contains__(self, job: object) -> bool:
        return isinstance(job, Job) and (job.account, job.id) in self.keys


@dataclass(frozen=True, slots=True)
class _ChangedSince:
    """A value test (`ValueTests`) on the jobs themselves: changed at or after `threshold`."""

    threshold: datetime

    def __contains__(self, job: object) -> bool:
        return isinstance(job, Job) and job.changed_since(self.threshold)


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

SEARCH_BLOCK = 64
"""Rows per joined search block: ~5 kB of text, one C-level test each."""

RECENT_VIEWS = 16
"""How many visible row lists (per sort and filter) are kept for going back."""

_BLOCK_UNSAFE = re.compile(r"\\[AZz]|\(\?<[=!]|\(\?[=!]")
"""Regex parts that can match a lone row but not the same row inside a joined block
(string anchors and lookarounds, which see the neighbouring rows)."""

_ATTRS: dict[str, Callable[[Job], object]] = {
    "account": attrgetter("account"),
    "state": lambda job: job.state.value,  # a str: hashed in C, unlike the enum
    "status": attrgetter("status"),
    "provider": lambda job: job.provider.value,
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
        self._listing: _Listing | None = None
        self._narrowing: _Narrowing | None = None
        self._aligned_hay: tuple[tuple[object, ...], _SearchTexts] | None = None
        self._recent: OrderedDict[tuple[object, ...], _Listing] = OrderedDict()
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
            self._hay = _search_texts(self._jobs)
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

    def _filtering(self, rows: list[int]) -> _Listing:
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
                    frozenset({job_filter.status.provider.value})
                    if job_filter.status is not None
                    else frozenset(),
                ),
            )
            if wanted
        ]
        if job_filter.changed_since is not None:
            tests.append((self._jobs, _ChangedSince(job_filter.changed_since)))
        if job_filter.keys is not None:
            tests.append((self._jobs, _KeyIn(job_filter.keys)))
        search = job_filter.search
        if search is None or search.is_empty:
            return _Listing(rows, None, partial(_keep_values, tests))
        previous = self._narrowing
        if (
            previous is not None
            and previous.base_key == self._base_key()
            and search.narrows(previous.search)
        ):
            # Typing on: only the rows that matched so far can match now, and the values
            # were tested already.
            if previous.texts is None:
                return _Listing(
                    previous.rows, None, partial(_keep_searched, self._haystacks(), search, [])
                )
            return _Listing(
                previous.rows,
                previous.positions,
                partial(previous.texts.keep_positions, search),
                previous.texts,
            )
        texts = self._aligned_hay
        if texts is not None and texts[0] == self._rows_key() and len(rows) == len(self):
            return _Listing(
                rows, range(len(rows)), partial(texts[1].keep_range, search, tests), texts[1]
            )
        hay = self._haystacks()
        return _Listing(rows, None, partial(_keep_searched, hay, search, tests))

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

    def prepare_search(self) -> tuple[tuple[object, ...], _SearchTexts] | None:
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
            # In pieces: one C call over 100,000 rows would hold the GIL (and the UI) ~20 ms.
            texts += map(hay.__getitem__, rows[start : start + 5_000])
        return key, _SearchTexts(texts, rows)

    def install_search(self, prepared: tuple[tuple[object, ...], _SearchTexts] | None) -> bool:
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

        Meant for `asyncio.to_thread` after a big load, so the first sort by each column
        and the first search do not pay for it on a keystroke. `install` applies the
        result on the UI loop if the data did not change meanwhile.
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
        hay = _search_texts(jobs)
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

    def _current(self) -> _Listing:
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
                    listing = _Listing.whole(list(order) if rows is order else rows)
                else:
                    listing = self._filtering(rows)
            listing.key = key
            self._listing = listing
            self._if_complete(listing)
        return listing

    def _grow(self, listing: _Listing, wanted: int) -> list[int]:
        """The rows of `listing`, found at least up to `wanted` rows (or all there are)."""
        if len(listing.rows) < wanted and not listing.complete:
            listing.reach(wanted)
            self._if_complete(listing)
        return listing.rows

    def _if_complete(self, listing: _Listing) -> None:
        """Keep a listing that just became complete, for going back and for typing on."""
        if not listing.complete or listing.kept:
            return
        listing.kept = True
        self._recent[listing.key] = listing
        if len(self._recent) > RECENT_VIEWS:
            self._recent.popitem(last=False)
        self._note_search(listing)

    def _note_search(self, listing: _Listing) -> None:
        """Remember a complete searched listing as the one the next keystroke narrows."""
        job_filter = listing.key[3]
        assert isinstance(job_filter, JobFilter)
        if job_filter.search is not None and not job_filter.search.is_empty:
            self._narrowing = _Narrowing(
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
                pairs, key=lambda pair: (pair[1].casefold(), pair[1], pair[0].value)
            )
        ]


class _BulkChanges(IndexChanges):
    """The changes of a first bulk load: everything was added; keys built on demand."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return True


ValueTests = list[tuple[Sequence[object], Container[object]]]
"""Per-slot values (account, state or status, or the jobs themselves) and the values a row
must have among them."""

Kept = tuple[list[int], list[int] | None]
"""The rows a slice of a listing keeps, and their places in the listing's search texts."""


def _keep_values(tests: ValueTests, rows: Sequence[int], positions: Sequence[int] | None) -> Kept:
    """The rows (and their positions) whose values pass every test, in order."""
    kept = list(rows)
    places = None if positions is None else list(positions)
    for values, wanted in tests:
        passed = list(map(wanted.__contains__, map(values.__getitem__, kept)))
        kept = list(compress(kept, passed))
        if places is not None:
            places = list(compress(places, passed))
    return kept, places


def _keep_searched(
    hay: list[str],
    search: SearchQuery,
    tests: ValueTests,
    rows: Sequence[int],
    positions: Sequence[int] | None,
) -> Kept:
    """The rows that match `search` on the per-slot texts, then pass the value tests."""
    return _keep_values(tests, search.keep(rows, hay), None)[0], None


FIRST_STEP = 2_048
"""Rows of the listing looked at first for the rows on screen (a multiple of SEARCH_BLOCK)."""

FINISH_STEP = 8_192
"""Rows of the listing looked at per step while finishing it between frames (~2 ms)."""


class _Listing:
    """The rows one sort and filter show, found a slice at a time.

    A keystroke needs only the rows on screen: `reach` finds those, at the cost of the
    part of the listing that holds them, and `step` finishes the rest (for the count and
    the scrollbar) between frames. The source is the sorted whole, or the complete result
    of a search being typed on; `keep` says which rows of a slice of it stay.
    """

    __slots__ = (
        "_keep",
        "_next",
        "_source",
        "_source_positions",
        "key",
        "kept",
        "positions",
        "rows",
        "texts",
    )

    def __init__(
        self,
        source: Sequence[int],
        source_positions: Sequence[int] | None,
        keep: Callable[[Sequence[int], Sequence[int] | None], Kept] | None,
        texts: _SearchTexts | None = None,
    ) -> None:
        self._source = source
        self._source_positions = source_positions
        self._keep = keep if source else None
        """What stays of a slice of the source; None once the listing is complete."""
        self._next = 0
        self.rows: list[int] = []
        """The rows found so far, in order (only ever extended in place)."""
        self.positions: list[int] | None = [] if source_positions is not None else None
        """Their places in `texts`, when the listing was searched there (for typing on)."""
        self.texts = texts
        self.key: tuple[object, ...] = ()
        """(data version, sort, descending, filter): what the listing is of."""
        self.kept = False
        """True once the index has kept it (complete) for going back."""

    @classmethod
    def whole(cls, rows: list[int]) -> _Listing:
        """A complete listing of `rows`."""
        listing = cls((), None, None)
        listing.rows = rows
        return listing

    @property
    def complete(self) -> bool:
        """True when every row of the source has been looked at."""
        return self._keep is None

    def step(self, size: int) -> None:
        """Look at the next `size` rows of the source."""
        assert self._keep is not None
        start = self._next
        end = min(start + size, len(self._source))
        places = self._source_positions
        rows, positions = self._keep(
            self._source[start:end], None if places is None else places[start:end]
        )
        self.rows += rows
        if self.positions is not None and positions is not None:
            self.positions += positions
        self._next = end
        if end == len(self._source):
            # Complete: let go of the source (a kept listing must not hold a copy of the
            # whole order) and of what the slices were tested with.
            self._keep = None
            self._source = ()
            self._source_positions = None

    def reach(self, wanted: int) -> None:
        """Look on until `wanted` rows are found or the source ends (slices that grow)."""
        size = FIRST_STEP
        while len(self.rows) < wanted and not self.complete:
            self.step(size)
            size = min(size * 2, FINISH_STEP)

    def finish(self) -> None:
        """Look at the rest of the source."""
        while not self.complete:
            self.step(FINISH_STEP)

    def progress(self) -> tuple[int, int, int]:
        """(rows found, source rows looked at, source rows)."""
        found = len(self.rows)
        if self.complete:
            return found, found, found
        return found, self._next, len(self._source)

    def estimate(self) -> int:
        """The row count when complete; meanwhile, the found rows scaled to the whole."""
        found = len(self.rows)
        if self.complete or not self._next:
            return found
        return max(found, round(found * len(self._source) / self._next))


@dataclass(frozen=True, slots=True)
class _Narrowing:
    """The last complete search of the whole listing, for the next keystroke to narrow."""

    base_key: tuple[object, ...]
    """The data, sort and filters other than the search that it was made under."""
    search: SearchQuery
    rows: list[int]
    positions: list[int] | None
    """Where the rows sit in `texts` (when searched there)."""
    texts: _SearchTexts | None


def _search_texts(jobs: Sequence[Job | None]) -> list[str]:
    """The search texts of `jobs` by slot (a removed slot's is empty)."""
    empty = "\n" * (len(SEARCH_FIELDS) - 1)
    return [empty if job is None else search_text(job) for job in jobs]


class _SearchTexts:
    """The search texts of the whole listing, in row order, the rows joined in blocks.

    A row can match only if its block does, so one test per block of `SEARCH_BLOCK` rows
    rules out most of the listing at C speed; single rows are tested only in the blocks
    that match (for a negated word: blocks that do not match are kept whole). Fields and
    rows are both separated by line breaks, so a pattern (multi-line) anchors each field.
    When the last slice kept most rows (typing "assembly" where every name has it), the
    next one probably will too and the block tests would only add to the row tests: it
    goes straight to the rows. Results carry positions in the listing (`rows[position]`).
    """

    __slots__ = ("blocks", "dense", "rows", "texts")

    def __init__(self, texts: list[str], rows: list[int]) -> None:
        self.rows = list(rows)
        """The listing's rows (index slots), in order: what the texts belong to."""
        self.blocks = [
            "\n".join(texts[start : start + SEARCH_BLOCK])
            for start in range(0, len(texts), SEARCH_BLOCK)
        ]
        # The rows again, as new strings made in row order: side by side in memory, so a
        # pass over all of them reads memory in order (twice as fast as the originals,
        # which lie wherever each job was parsed). Fields hold no line breaks, so each
        # block splits into exactly its rows' fields.
        width = len(SEARCH_FIELDS)
        self.texts: list[str] = []
        for number, block in enumerate(self.blocks):
            pieces = block.split("\n")
            start = number * SEARCH_BLOCK
            original = texts[start : start + SEARCH_BLOCK]
            if len(pieces) == width * len(original):
                self.texts += map("\n".join, zip(*[iter(pieces)] * width, strict=True))
            else:
                self.texts += original
        self.dense = False
        """True when the last slice searched kept more than half of its rows."""

    def keep_positions(
        self, search: SearchQuery, rows: Sequence[int], positions: Sequence[int] | None
    ) -> Kept:
        """The rows (at `positions` in the listing) that match `search`, row by row."""
        assert positions is not None
        found = search.keep(positions, self.texts)
        self.dense = 2 * len(found) > len(positions)
        return list(map(self.rows.__getitem__, found)), found

    def keep_range(
        self,
        search: SearchQuery,
        tests: ValueTests,
        rows: Sequence[int],
        positions: Sequence[int] | None,
    ) -> Kept:
        """The rows of a slice of the listing (`positions`, a range starting on a block
        boundary) that match `search` and pass the value tests.

        The first term (one that must be present, if any) is tested on the blocks; the
        others only on the rows it kept.
        """
        assert isinstance(positions, range) and positions.start % SEARCH_BLOCK == 0
        start, end = positions.start, positions.stop
        first, *others = search.ordered
        block_test = None if self.dense else first.block_test()
        found: list[int]
        if block_test is None:
            found = first.keep(positions, self.texts)
        else:
            size = SEARCH_BLOCK
            found = []
            first_block = start // size
            blocks = self.blocks[first_block : (end + size - 1) // size]
            for number, block_hit in enumerate(map(block_test, blocks), first_block):
                low = number * size
                high = min(low + size, end)
                if block_hit:
                    found += first.keep(range(low, high), self.texts)
                elif first.negate:
                    found += range(low, high)
        self.dense = 2 * len(found) > len(positions)
        for term in others:
            found = term.keep(found, self.texts)
        kept = list(map(self.rows.__getitem__, found))
        return _keep_values(tests, kept, found) if tests else (kept, found)


def _contains_in(needle: str, text: str) -> bool:
    """`needle in text`, with the needle first (for `partial`)."""
    return needle in text
