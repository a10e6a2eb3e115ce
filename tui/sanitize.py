"""Cleaning of untrusted text, once, where it enters (reliability.md section 1.5).

Every string that comes from a server passes through `clean` in the provider layer before
it reaches a `Job` or a detail. It drops C0 controls (except tab and newline), DEL, every
C1 control, bidi overrides and zero-width characters, and caps the length. ESC (0x1B) is
a C0 control, so no escape sequence survives. The UI additionally renders these strings
as plain text, never markup.
"""

from __future__ import annotations

from typing import Any

_BIDI_AND_INVISIBLE = (
    "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
_DROP: dict[int, None] = (
    {c: None for c in range(0x20) if c not in (0x09, 0x0A)}
    | {0x7F: None}
    | {c: None for c in range(0x80, 0xA0)}
    | {ord(c): None for c in _BIDI_AND_INVISIBLE}
)
_ONE_LINE = {0x09: " ", 0x0A: " ⏎ "}

DEFAULT_LIMIT = 500
"""Default cap for labels: names, statuses, file names."""
LONG_LIMIT = 10_000
"""Cap for long free text: error messages, descriptions."""
ELLIPSIS = "…"


def clean(value: object, limit: int = DEFAULT_LIMIT) -> str:
    """Return `value` as safe text: no control, C1, bidi or zero-width characters, capped.

    Args:
        value: Anything; non-strings are converted with `str` (None gives "").
        limit: The maximum length of the result, ellipsis included.

    Returns:
        The cleaned text. Tabs and newlines are kept; see `one_line` for table cells.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit * 4:
        text = text[: limit * 4]
    text = text.translate(_DROP)
    if len(text) > limit:
        text = text[: max(0, limit - 1)] + ELLIPSIS
    return text


def clean_optional(value: object, limit: int = DEFAULT_LIMIT) -> str | None:
    """`clean`, but None (or a non-string empty value) stays None."""
    if value is None:
        return None
    return clean(value, limit)


def one_line(text: str) -> str:
    """Flatten cleaned text onto one line for a table cell (newline becomes ⏎)."""
    return text.translate(_ONE_LINE) if ("\n" in text or "\t" in text) else text


def clean_tree(value: Any, limit: int = LONG_LIMIT, depth: int = 0) -> Any:
    """Clean every string (keys included) in decoded JSON, to a bounded depth.

    Used for metadata maps and params that the detail screens show as structure.
    """
    if depth > 32:
        return ELLIPSIS
    if isinstance(value, str):
        return clean(value, limit)
    if isinstance(value, dict):
        return {clean(k, 200): clean_tree(v, limit, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_tree(v, limit, depth + 1) for v in value]
    return value


def is_clean(text: str) -> bool:
    """True if `text` holds no character that `clean` would drop."""
    return not any(ord(ch) in _DROP for ch in text)
