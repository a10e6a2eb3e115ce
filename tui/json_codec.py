"""JSON in and out, fast where that changes nothing: orjson, with the standard library's
reading wherever the two would differ.

orjson decodes a page several times faster than `json` and shares the strings of repeated
keys, but it reads a few bodies differently: an integer of 19 digits or more becomes a
float (an id must stay exact), and it refuses what `json` accepts (lone surrogate
escapes, `NaN`, numbers past a float's range, UTF-16 bodies). Those bodies go to `json`,
so every body is read exactly as `json.loads` reads it, non-finite constants as None.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_LONG_INTEGER = re.compile(rb"[0-9]{19}")
_LONG_INTEGER_TEXT = re.compile(r"[0-9]{19}")
"""A digit run orjson might read as a float (beyond 64 bits)."""


def _reject_constant(name: str) -> None:
    """JSON `NaN`/`Infinity` decode as None: never a non-finite number downstream."""
    return None


def loads(body: bytes | str) -> Any:
    """Decode JSON as `json.loads` does (constants as None), quickly where orjson agrees.

    Raises:
        ValueError: Not JSON (`json.JSONDecodeError`).
        RecursionError: Nested too deep for `json`.
    """
    long_integer = (
        _LONG_INTEGER_TEXT.search(body) if isinstance(body, str) else _LONG_INTEGER.search(body)
    )
    if long_integer is None:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass  # json decides: it reads some of what orjson refuses
    return json.loads(body, parse_constant=_reject_constant)


def dumps(value: Any) -> str:
    """Compact JSON text, non-ASCII kept as it is (the store's snapshots)."""
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):  # e.g. a lone surrogate or a huge integer
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
