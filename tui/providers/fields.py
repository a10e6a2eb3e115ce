"""Typed, tolerant reads of decoded JSON, and the URL paths built from ids.

Display texts are cleaned once here (`text`, `texts`, `tree`); the exact server strings a
`Job` keeps (`label`, `labels`, `status_word`) and ids (`ident`, `string_id`) are not
(but for a lone surrogate, which no UTF-8 output can hold: `utf8_text`):
`Job.from_server` cleans its texts and keeps the exact ones, and ids are keys. A text
whose cleaned form is blank (" ", or only control characters) counts as absent, so a
label falls back to the next candidate. No reader raises; `parse_items`, `parse_one` and
`require_object` turn what cannot be read into `BadResponseError`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from tui.errors import NotFoundError
from tui.models import finite_number, parse_timestamp, utf8_text
from tui.providers.client import ApiClient, logger
from tui.sanitize import LONG_LIMIT, clean, clean_tree

T = TypeVar("T")
D = TypeVar("D")


def path(*segments: object) -> str:
    """A relative URL path with every segment percent-encoded (ids cannot climb out).

    A segment of dots only (`.`, `..`) has its dots encoded too: `quote` leaves them, and
    httpx (like any URL resolver) would remove or climb such a segment, so `..` as an id
    would ask for the parent resource instead of a job named `..`.
    """
    return "/".join(_segment(str(segment)) for segment in segments)


def require_id(segment: str) -> None:
    """Refuse an empty URL segment: `jobs/` is the list's own URL, not a job.

    Raises:
        NotFoundError: `segment` is empty (before any request is made).
    """
    if not segment:
        raise NotFoundError("an empty id names no job here (its URL would be the list's)")


def _segment(segment: str) -> str:
    if segment and not segment.strip("."):
        return "%2E" * len(segment)
    return quote(segment, safe="")


def _scalar_text(value: Any) -> str | None:
    """A string field's value, or a number's text; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return utf8_text(value)
    if isinstance(value, int | float):
        return str(value)
    return None


def _blank(value: str) -> bool:
    """True if nothing visible is left of `value` once cleaned."""
    return not clean(value, LONG_LIMIT).strip()


def text(data: Mapping[str, Any], key: str, limit: int = 500) -> str | None:
    """A cleaned string field; numbers become text; anything else, or blank text, is None."""
    value = _scalar_text(data.get(key))
    if value is None:
        return None
    cleaned = clean(value, limit)
    return cleaned if cleaned.strip() else None


def long_text(data: Mapping[str, Any], key: str) -> str | None:
    """A cleaned free-text field (errors, KCL code), capped at the long limit."""
    return text(data, key, LONG_LIMIT)


def label(data: Mapping[str, Any], key: str) -> str | None:
    """A label candidate for a job's name or error, exact (numbers as text); None when
    absent, of another type, or blank once cleaned, so the next candidate is used."""
    value = _scalar_text(data.get(key))
    return None if value is None or _blank(value) else value


def labels(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """The exact non-blank strings of a list-of-strings field (a lone string counts as one)."""
    value = data.get(key)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return ()
    return tuple(utf8_text(v) for v in value[:200] if isinstance(v, str) and not _blank(v))


def ident(data: Mapping[str, Any], key: str) -> str | None:
    """An id field, string or integer, as the server's exact text (an integer in decimal);
    any other type is None. "" and " " are ids like any other."""
    value = data.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return utf8_text(value)
    if isinstance(value, int):
        return str(value)
    return None


def string_id(data: Mapping[str, Any], key: str) -> str | None:
    """A string id field (uuids, Metafold ids), exact; any other type is None."""
    value = data.get(key)
    return utf8_text(value) if isinstance(value, str) else None


def id_or(value: str | None, default: D) -> str | D:
    """The id `value` unless it is None ("" is an id like any other, so not `or`)."""
    return default if value is None else value


def status_word(data: Mapping[str, Any], key: str) -> str | None:
    """A status field, exact; it must be a string (a number there means a broken payload)."""
    value = data.get(key)
    return utf8_text(value) if isinstance(value, str) else None


def parse_items(
    client: ApiClient, items: Sequence[Any], parse: Callable[[dict[str, Any]], T | None], what: str
) -> list[T]:
    """Parse list items, leaving out (and logging) those that cannot be read: not an
    object, no usable id, or a value the parser could not handle. One such item never
    stops the page; the caller counts them as `len(items) - len(result)`.

    Raises:
        BadResponseError: The list held items and not one of them could be read.
    """
    parsed: list[T] = []
    failures: list[str] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        try:
            job = parse(item)
        except Exception as exc:  # one unreadable item must not stop the listing
            failures.append(type(exc).__name__)
            continue
        if job is not None:
            parsed.append(job)
    if items and not parsed:
        raise client.bad_shape(f"none of the {len(items)} {what} has a usable id and status")
    if len(parsed) < len(items):
        logger.warning(
            "%s: %d of %d %s could not be read and were left out%s",
            client.account,
            len(items) - len(parsed),
            len(items),
            what,
            f" ({', '.join(sorted(set(failures)))})" if failures else "",
        )
    return parsed


def parse_one(
    client: ApiClient, body: Any, parse: Callable[[dict[str, Any]], T | None], what: str
) -> T:
    """Parse one object (a single GET), or raise `BadResponseError` naming `what`.

    A value the parser could not handle is reported like a wrong shape, in one sentence,
    rather than as a traceback.
    """
    if not isinstance(body, dict):
        raise client.bad_shape(f"{what} that is not an object")
    try:
        parsed = parse(body)
    except Exception as exc:  # reported to the user as one sentence
        logger.warning("%s: %s could not be read (%s)", client.account, what, type(exc).__name__)
        raise client.bad_shape(f"{what} that could not be read") from None
    if parsed is None:
        raise client.bad_shape(f"{what} without a usable id and status")
    return parsed


def integer(data: Mapping[str, Any], key: str) -> int | None:
    """An integer field; integral floats are accepted, anything else is None."""
    value = data.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def number(data: Mapping[str, Any], key: str) -> float | None:
    """A finite number field, else None."""
    return finite_number(data.get(key))


def boolean(data: Mapping[str, Any], key: str) -> bool | None:
    """A boolean field, else None."""
    value = data.get(key)
    return value if isinstance(value, bool) else None


def timestamp(data: Mapping[str, Any], key: str) -> datetime | None:
    """An ISO 8601 or RFC 1123 timestamp field, else None."""
    return parse_timestamp(data.get(key))


def texts(data: Mapping[str, Any], key: str, limit: int = LONG_LIMIT) -> tuple[str, ...]:
    """A list-of-strings field, cleaned; non-strings and blank strings in it are dropped."""
    return tuple(clean(v, limit) for v in labels(data, key))


def mapping(data: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    """An object field, else None."""
    value = data.get(key)
    return value if isinstance(value, dict) else None


def tree(value: Any) -> Any:
    """Decoded JSON with every string cleaned and every non-finite number (a JSON `1e999`)
    None (for metadata, options, params)."""
    return clean_tree(finite_tree(value))


def finite_tree(value: Any) -> Any:
    """`value` with NaN and infinities (a JSON `1e999`) replaced by None, the same object
    if it has none: a detail's `raw` never holds a number that JSON cannot write."""
    if not _has_non_finite(value):
        return value
    # JSON writes them as NaN/Infinity, read back as None; as deep as the decoder went
    return json.loads(json.dumps(value), parse_constant=lambda _: None)


def _has_non_finite(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def require_object(client: ApiClient, body: Any, what: str) -> dict[str, Any]:
    """The body as an object, or `BadResponseError` naming what was expected."""
    if isinstance(body, dict):
        return body
    raise client.bad_shape(what)
