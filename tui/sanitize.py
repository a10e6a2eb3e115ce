"""Cleaning of untrusted text, once, where it enters (docs/design.md §2).

Every string that comes from a server passes through `clean` in the provider layer before
it reaches a `Job` or a detail. It drops every character that a terminal may act on or
draw differently from how Rich measures it, and caps the length:

- escape sequences, whole: CSI (`ESC [` or U+009B, parameters, final byte), OSC (`ESC ]`
  or U+009D, up to BEL or ST), DCS, SOS, PM and APC strings (up to ST), and the other
  `ESC` sequences (intermediates and a final byte, `ESC c`, `ESC ( B`). Dropping only the
  ESC would leave `[31m` behind; the rest of a sequence that never ends is dropped too,
  as a terminal would swallow it;
- control characters (Unicode category Cc): C0 except tab and newline, DEL, and every C1
  control, NEL (U+0085) included;
- format characters (Cf): bidi embeddings, overrides and isolates, zero-width space and
  joiners, word joiner, soft hyphen, BOM, interlinear annotation and tag characters;
- the other default-ignorable characters, invisible but not Cf: variation selectors, the
  Hangul fillers (U+3164 is drawn two cells wide by terminals, zero by Rich), the
  combining grapheme joiner and the unassigned code points kept for such use; and the
  emoji skin-tone modifiers, which Rich and terminals measure differently;
- lone surrogates (Cs), which JSON's `\\ud800` escapes can produce and which cannot be
  written to a UTF-8 terminal: each becomes U+FFFD.

Line and paragraph separators (Zl U+2028, Zp U+2029) become a newline: Rich measures them
as zero cells and some terminals draw them or break the line there. `one_line` then turns
each newline into a visible ⏎, so a table row keeps the width Rich measured. The UI
additionally renders these strings as plain text, never markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_RANGES: tuple[tuple[int, int], ...] = (
    # Cc: C0 except tab (0x09) and newline (0x0A), DEL and C1 (NEL 0x85 included).
    (0x00, 0x08),
    (0x0B, 0x1F),
    (0x7F, 0x9F),
    # Cf: format characters.
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    # Other default-ignorable code points: combining grapheme joiner, Hangul fillers,
    # Khmer inherent vowels, Mongolian and standard variation selectors, and the
    # reserved blocks (tags and variation selectors supplement included).
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0xE0000, 0xE0FFF),
    # Emoji skin-tone modifiers: zero cells to Rich, two to a terminal when they stand
    # alone, two or four after an emoji (terminals differ). The emoji itself stays.
    (0x1F3FB, 0x1F3FF),
)
_SEPARATORS = (0x2028, 0x2029)
"""Line separator (Zl) and paragraph separator (Zp)."""
_SURROGATES = (0xD800, 0xDFFF)
REPLACEMENT = "\ufffd"
NEWLINE_MARK = " ⏎ "
"""What `one_line` shows for a line break."""

_DROP: dict[int, str | None] = {
    code: None for first, last in _RANGES for code in range(first, last + 1)
}
_CLEAN: dict[int, str | None] = (
    _DROP
    | {code: "\n" for code in _SEPARATORS}
    | {code: REPLACEMENT for code in range(_SURROGATES[0], _SURROGATES[1] + 1)}
)
_ONE_LINE: dict[int, str | None] = _CLEAN | {
    0x09: " ",
    0x0A: NEWLINE_MARK,
    **{code: NEWLINE_MARK for code in _SEPARATORS},
}
UNSAFE: frozenset[int] = frozenset(_CLEAN)
"""Every code point `clean` drops or replaces."""


def _json_escape(code: int) -> str:
    """The JSON escape of one code point (a surrogate pair above U+FFFF)."""
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"


JSON_ESCAPES: dict[int, str] = {code: _json_escape(code) for code in UNSAFE}
"""`str.translate` table for JSON text shown raw (the raw view, `show --json`): every
unsafe character becomes its visible JSON escape, so the text still decodes the same."""


_STRING_END = "\x18\x1a\x1b\x80-\x9f"
"""What ends a control string early: CAN, SUB, ESC and every C1 control (U+009C is ST)."""
_SEQUENCE = re.compile(
    # CSI: parameters and intermediates (C0 controls inside are executed by a terminal
    # and do not end the sequence, CAN/SUB/ESC do), then the final byte if there is one.
    "(?:\x1b\\[|\x9b)[\x00-\x17\x19\x1c-\x3f\x7f]*[\x40-\x7e]?"
    # OSC: up to BEL or ST (ESC \ or U+009C); CAN, SUB, another ESC or C1 control cuts
    # it short, and one never ended runs to the end of the text.
    f"|(?:\x1b\\]|\x9d)[^\x07{_STRING_END}]*(?:\x07|\x1b\\\\|\x9c)?"
    # DCS, SOS, PM, APC: the same, up to ST.
    f"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^{_STRING_END}]*(?:\x1b\\\\|\x9c)?"
    # Any other escape: intermediates, then a final byte.
    "|\x1b[\x20-\x2f]*[\x30-\x7e]?"
)
"""One escape sequence (ECMA-48 and its 8-bit C1 forms), as a terminal would parse it."""
_C1_INTRODUCER = re.compile("[\x90\x98\x9b\x9d\x9e\x9f]")
"""The 8-bit forms of the introducers (DCS, SOS, CSI, OSC, PM, APC)."""


def _drop_sequences(text: str) -> str:
    """`text` without its escape sequences.

    Most text holds none: an ESC is looked for first (and a C1 introducer only in
    non-ASCII text), as `_SEQUENCE` alone costs a hundred times more on long text.
    """
    if "\x1b" not in text and (text.isascii() or _C1_INTRODUCER.search(text) is None):
        return text
    return _SEQUENCE.sub("", text)


def char_class_ranges(codes: Sequence[int]) -> str:
    """`codes` (sorted) as the inside of a regex character class, written as ranges."""
    parts: list[str] = []
    start = previous = codes[0]
    for code in [*codes[1:], -1]:
        if code == previous + 1:
            previous = code
            continue
        first = f"\\U{start:08x}"
        parts.append(first if start == previous else f"{first}-\\U{previous:08x}")
        start = previous = code
    return "".join(parts)


def _pattern(codes: list[int]) -> re.Pattern[str]:
    """A regex matching any one of `codes` (sorted), written as ranges."""
    return re.compile(f"[{char_class_ranges(codes)}]")


_PRINTABLE_UNSAFE = _pattern(sorted(code for code in UNSAFE if chr(code).isprintable()))
"""The few unsafe characters `str.isprintable` passes: variation selectors, Hangul fillers."""


def _is_plain(text: str) -> bool:
    """True if neither `clean` nor `one_line` would change `text` (the fast path).

    `str.isprintable` is false for every control, format, separator, surrogate and tab or
    newline; what it lets through is checked by a short pattern, and not for ASCII.
    """
    if not text.isprintable():
        return False
    return text.isascii() or _PRINTABLE_UNSAFE.search(text) is None


DEFAULT_LIMIT = 500
"""Default cap for labels: names, statuses, file names."""
LONG_LIMIT = 10_000
"""Cap for long free text: error messages, descriptions."""
ELLIPSIS = "…"


def clean(value: object, limit: int = DEFAULT_LIMIT) -> str:
    """Return `value` as safe text: no control, format, invisible or separator character, capped.

    Args:
        value: Anything; non-strings are converted with `str` (None gives "").
        limit: The maximum length of the result, ellipsis included.

    Returns:
        The cleaned text. Tabs and newlines are kept (line and paragraph separators become
        newlines); see `one_line` for table cells.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit * 4:
        text = text[: limit * 4]
    if not _is_plain(text):
        text = _drop_sequences(text).translate(_CLEAN)
    if len(text) > limit:
        text = text[: max(0, limit - 1)] + ELLIPSIS
    return text


def clean_optional(value: object, limit: int = DEFAULT_LIMIT) -> str | None:
    """`clean`, but None (or a non-string empty value) stays None."""
    if value is None:
        return None
    return clean(value, limit)


def one_line(text: str) -> str:
    """Flatten text onto one line for a table cell: every line break becomes ⏎, tabs spaces.

    Whatever `clean` would remove is removed here too (escape sequences whole), so the
    result is safe for a cell even if `text` was never cleaned, and Rich's width of it is
    what a terminal draws.
    """
    return text if _is_plain(text) else _drop_sequences(text).translate(_ONE_LINE)


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
    """True if `text` holds no character that `clean` would drop or replace."""
    return text.translate(_CLEAN) == text
