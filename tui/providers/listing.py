"""Listings at volume: item parsing off the UI loop, streamed arrays, and the item cap.

A listing of 100,000 jobs is seconds of pure Python to parse. Done on the event loop it
freezes the dashboard, and the poll deadline cannot interrupt it; so a page of many items
is parsed in a worker thread (`parse_off_loop`), and a large unpaged body (Metafold's job
arrays, LettrLabs' conversion list) is decoded one array element at a time in a thread
(`stream_items`): each element becomes a `Job` and its decoded dict is dropped at once,
so the whole response tree is never held. Every listing stops at `HttpPolicy.max_items`
per refresh and says so (`cap_note`), never silently.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from tui.providers.base import JobProvider, ListQuery, ListResult
from tui.providers.client import ApiClient, logger
from tui.providers.fields import parse_items

T = TypeVar("T")

OFF_LOOP_ITEMS = 1_000
"""A page with at least this many items is parsed in a worker thread."""

_DECODER = json.JSONDecoder(parse_constant=lambda _name: None)
_SPACE = " \t\n\r"


async def parse_off_loop(
    client: ApiClient,
    items: Sequence[Any],
    parse: Callable[[dict[str, Any]], T | None],
    what: str,
) -> list[T]:
    """`parse_items`, in a worker thread when the page is large (the UI loop stays free)."""
    if len(items) >= OFF_LOOP_ITEMS:
        return await asyncio.to_thread(parse_items, client, items, parse, what)
    return parse_items(client, items, parse, what)


@dataclass(slots=True)
class Streamed(Generic[T]):
    """What `stream_items` read from one body."""

    items: list[T] = field(default_factory=list)
    """The parsed items, at most `max_items`."""
    seen: int = 0
    """Array elements in the body (all of them, also those past the cap)."""
    malformed: int = 0
    """Elements within the cap that did not parse (not objects, or `parse` said None)."""
    found: bool = False
    """The array was there (at the top level, or under `key`)."""
    rest: dict[str, Any] = field(default_factory=dict)
    """The other top-level members when the body is an object (the envelope)."""

    @property
    def capped(self) -> bool:
        """True when elements past `max_items` were left out."""
        return self.seen > len(self.items) + self.malformed


class StreamError(ValueError):
    """The body is not valid JSON."""


class StreamShapeError(StreamError):
    """The body is JSON, but not an array (or an object holding one) where one is expected."""


def stream_items(
    body: bytes,
    parse: Callable[[dict[str, Any]], T | None],
    *,
    key: str | None = None,
    max_items: int,
) -> Streamed[T]:
    """Parse a JSON array one element at a time (call it in a worker thread).

    Args:
        body: The response body.
        parse: Turns one element (a dict) into an item, or None when malformed.
        key: None when the body is the array; else the member of the top-level object
            that holds it (the other members are decoded whole, into `rest`).
        max_items: Elements past this many are counted, not parsed.

    Raises:
        StreamShapeError: Not an array (or not an object, with `key`).
        StreamError: Not valid JSON.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StreamError("not UTF-8") from exc
    out: Streamed[T] = Streamed()
    pos = _skip(text, 0)
    if key is None:
        if not text.startswith("[", pos):
            _value(text, pos)  # invalid JSON says so first
            raise StreamShapeError("not an array")
        end = _array(text, pos, parse, max_items, out)
    else:
        if not text.startswith("{", pos):
            _value(text, pos)
            raise StreamShapeError("not an object")
        end = _object(text, pos, key, parse, max_items, out)
    if _skip(text, end) != len(text):
        raise StreamError("extra data after the JSON value")
    return out


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _SPACE:
        pos += 1
    return pos


def _value(text: str, pos: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, pos)
    except (ValueError, RecursionError) as exc:
        raise StreamError("invalid JSON") from exc


def _array(
    text: str, pos: int, parse: Callable[[dict[str, Any]], T | None], cap: int, out: Streamed[T]
) -> int:
    """Read the array at `pos` (its `[`) into `out`; returns the position after `]`."""
    out.found = True
    pos = _skip(text, pos + 1)
    if text.startswith("]", pos):
        return pos + 1
    while True:
        element, pos = _value(text, pos)
        out.seen += 1
        if len(out.items) + out.malformed < cap:
            try:
                parsed = parse(element) if isinstance(element, dict) else None
            except Exception:  # one unreadable element must not stop the listing
                parsed = None
            if parsed is None:
                out.malformed += 1
            else:
                out.items.append(parsed)
        del element
        pos = _skip(text, pos)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
            continue
        if text.startswith("]", pos):
            return pos + 1
        raise StreamError("invalid JSON array")


def _object(
    text: str,
    pos: int,
    key: str,
    parse: Callable[[dict[str, Any]], T | None],
    cap: int,
    out: Streamed[T],
) -> int:
    """Read the object at `pos`, streaming the array under `key`; returns the end."""
    pos = _skip(text, pos + 1)
    if text.startswith("}", pos):
        return pos + 1
    while True:
        name, pos = _value(text, pos)
        if not isinstance(name, str):
            raise StreamError("invalid JSON object")
        pos = _skip(text, pos)
        if not text.startswith(":", pos):
            raise StreamError("invalid JSON object")
        pos = _skip(text, pos + 1)
        if name == key and text.startswith("[", pos) and not out.found:
            pos = _array(text, pos, parse, cap, out)
        else:
            out.rest[name], pos = _value(text, pos)
        pos = _skip(text, pos)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
            continue
        if text.startswith("}", pos):
            return pos + 1
        raise StreamError("invalid JSON object")


def check_streamed(client: ApiClient, streamed: Streamed[Any], what: str) -> None:
    """Like `parse_items`: every element malformed is a bad response; some are logged.

    Raises:
        BadResponseError: The array held elements and not one of them could be read.
    """
    read = len(streamed.items) + streamed.malformed
    if read and not streamed.items:
        raise client.bad_shape(f"none of the {read} {what} has a usable id and status")
    if streamed.malformed:
        logger.warning(
            "%s: %d of %d %s were malformed and left out",
            client.account,
            streamed.malformed,
            read,
            what,
        )


def cap_note(shown: int, total: int | None, what: str) -> str:
    """The sentence a capped listing shows: "incomplete: first N of M <what> …"."""
    of = f"{total:,}" if total is not None else "more"
    return f"incomplete: first {shown:,} of {of} {what} (the per-refresh cap)"


def progress_note(loaded: int, total: int | None, what: str) -> str:
    """ "loading 12,400 of 60,000 <what>", or "12,400 <what> loaded, more…" without a total."""
    if total is not None:
        return f"loading {loaded:,} of {max(total, loaded):,} {what}"
    return f"{loaded:,} {what} loaded, more…"


async def list_all(provider: JobProvider, query: ListQuery) -> ListResult:
    """A whole listing: `list_jobs`, then again with each `resume` until there is none.

    Returns:
        Every part's jobs (one per id, the latest part winning), the first part's tracked
        errors, the requests summed, and the last part's completeness, total, counts and
        note (which says so when a cap stopped it).
    """
    result = await provider.list_jobs(query)
    jobs = {job.id: job for job in result.jobs}
    errors = dict(result.tracked_errors)
    requests = result.requests
    while result.resume is not None:
        result = await provider.list_jobs(replace(query, resume=result.resume))
        jobs.update((job.id, job) for job in result.jobs)
        errors.update(result.tracked_errors)
        requests += result.requests
    return replace(result, jobs=list(jobs.values()), tracked_errors=errors, requests=requests)
