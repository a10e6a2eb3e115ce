"""The `/` search language: parsing what was typed, and matching it on jobs' search texts.

A job's search fields (id, name, status, source, error, state) are folded to lower case
and joined by line breaks into one search text: a word on every field is one test per
row, a multi-line regex anchors each field, and a word on one field is one regex match
that finds its field by its place.
"""

from __future__ import annotations

import re
import re._parser as re_parser  # type: ignore[import-not-found]  # noqa: PLC2701 - which regexes span fields
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import compress, filterfalse, repeat
from operator import attrgetter, contains, is_, not_
from typing import Any

from tui.models import Job

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


_BLOCK_UNSAFE = re.compile(r"\\[AZz]|\(\?<[=!]|\(\?[=!]")
"""Regex parts that can match a lone row but not the same row inside a joined block
(string anchors and lookarounds, which see the neighbouring rows)."""


def search_texts(jobs: Sequence[Job | None]) -> list[str]:
    """The search texts of `jobs` by slot (a removed slot's is empty)."""
    empty = "\n" * (len(SEARCH_FIELDS) - 1)
    return [empty if job is None else search_text(job) for job in jobs]


def _contains_in(needle: str, text: str) -> bool:
    """`needle in text`, with the needle first (for `partial`)."""
    return needle in text
