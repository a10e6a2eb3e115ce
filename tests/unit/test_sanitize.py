"""`clean` and `one_line`: nothing a terminal acts on, breaks a line at, or draws at another
width than Rich measures, reaches the screen (docs/design.md §2)."""

from __future__ import annotations

import io
import json
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from tui.commands import dump_json
from tui.sanitize import JSON_ESCAPES, NEWLINE_MARK, UNSAFE, clean, is_clean, one_line

SEPARATORS = {"\u2028": "LINE SEPARATOR", "\u2029": "PARAGRAPH SEPARATOR"}
INVISIBLE = {
    "\x0b": "VT",
    "\x0c": "FF",
    "\r": "CR",
    "\x85": "NEL",
    "\x1b": "ESC",
    "\x00": "NUL",
    "\x7f": "DEL",
    "\x9b": "CSI",
    "\u00ad": "SOFT HYPHEN",
    "\u034f": "COMBINING GRAPHEME JOINER",
    "\u061c": "ARABIC LETTER MARK",
    "\u0600": "ARABIC NUMBER SIGN",
    "\u115f": "HANGUL CHOSEONG FILLER",
    "\u1160": "HANGUL JUNGSEONG FILLER",
    "\u180e": "MONGOLIAN VOWEL SEPARATOR",
    "\u180b": "MONGOLIAN FREE VARIATION SELECTOR ONE",
    "\u200b": "ZERO WIDTH SPACE",
    "\u200c": "ZWNJ",
    "\u200d": "ZWJ",
    "\u200e": "LRM",
    "\u200f": "RLM",
    "\u202a": "LRE",
    "\u202e": "RLO",
    "\u2060": "WORD JOINER",
    "\u2061": "FUNCTION APPLICATION",
    "\u2066": "LRI",
    "\u2069": "PDI",
    "\u206f": "NOMINAL DIGIT SHAPES",
    "\u3164": "HANGUL FILLER",
    "\ufe0e": "VS15",
    "\ufe0f": "VS16",
    "\ufeff": "BOM",
    "\uffa0": "HALFWIDTH HANGUL FILLER",
    "\ufff9": "INTERLINEAR ANNOTATION ANCHOR",
    "\U000110bd": "KAITHI NUMBER SIGN",
    "\U0001d173": "MUSICAL SYMBOL BEGIN BEAM",
    "\U0001f3fd": "SKIN TONE MODIFIER",
    "\U000e0001": "LANGUAGE TAG",
    "\U000e0041": "TAG LATIN CAPITAL A",
    "\U000e0100": "VARIATION SELECTOR-17",
}
SURROGATES = {chr(0xD800): "HIGH SURROGATE", chr(0xDFFF): "LOW SURROGATE"}
HAZARDS = {**SEPARATORS, **INVISIBLE, **SURROGATES}
BANNED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def joins_previous(ch: str) -> bool:
    """A character a terminal draws in the cell of the one before it (width 0 by design)."""
    code = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Mc", "Me", "Cn")  # Cn: marks newer than this UCD
        or 0x1160 <= code <= 0x11FF  # conjoining Hangul vowels and finals
        or 0xD7B0 <= code <= 0xD7FF
    )


def assert_drawn_as_measured(text: str) -> None:
    """Rich's width of `text` is what a terminal draws: each character, in its own cells."""
    assert not {unicodedata.category(ch) for ch in text} & BANNED_CATEGORIES, ascii(text)
    assert is_clean(text), ascii(text)
    assert text.splitlines() in ([text], []), f"a line break survived: {ascii(text)}"
    widths = [cell_len(ch) for ch in text]
    assert cell_len(text) == sum(widths), f"width depends on a joiner or selector: {ascii(text)}"
    hidden = [
        ch for ch, width in zip(text, widths, strict=True) if width == 0 and not joins_previous(ch)
    ]
    assert not hidden, f"zero-width characters survived: {ascii(hidden)}"


@pytest.mark.parametrize("ch", list(SEPARATORS), ids=list(SEPARATORS.values()))
def test_line_and_paragraph_separators_become_line_breaks(ch: str) -> None:
    assert cell_len(f"a{ch}b") == 2  # Rich measures the separator as nothing
    assert clean(f"one{ch}two") == "one\ntwo"
    assert one_line(f"one{ch}two") == f"one{NEWLINE_MARK}two"  # as a newline shows
    assert one_line(clean(f"one{ch}two")) == f"one{NEWLINE_MARK}two"
    assert one_line("a\r\nb\u2028c\u2029d\te") == "a ⏎ b ⏎ c ⏎ d e"


@pytest.mark.parametrize("ch", list(INVISIBLE), ids=list(INVISIBLE.values()))
def test_invisible_and_control_characters_are_dropped(ch: str) -> None:
    # "ß" can end no escape sequence (after ESC or CSI, "b" would be its final byte).
    assert clean(f"a{ch}ß") == "aß"
    assert one_line(f"a{ch}ß") == "aß"
    assert not is_clean(f"a{ch}ß") and ord(ch) in UNSAFE


SEQUENCES = {
    "CSI colour": ("\x1b[31merror_teleport", "error_teleport"),
    "CSI clear, colour, reset": ("\x1b[2J\x1b[31mred\x1b[0m", "red"),
    "CSI private mode": ("a\x1b[?1049hb", "ab"),
    "CSI with intermediate": ("a\x1b[1 qb", "ab"),
    "CSI with a newline inside": ("a\x1b[3\n1mb", "ab"),
    "CSI cut short by CAN": ("a\x1b[31\x18mb", "amb"),
    "8-bit CSI": ("a\x9b31mb", "ab"),
    "OSC 52 ended by BEL": ("a\x1b]52;c;cm0gLXJmIC8K\x07b", "ab"),
    "OSC 0 ended by ST": ("a\x1b]0;title\x1b\\b", "ab"),
    "OSC 8 link": ("\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\", "link"),
    "8-bit OSC and ST": ("a\x9d0;t\x9cb", "ab"),
    "OSC cut short by another escape": ("a\x1b]0;t\x1b[31mb", "ab"),
    "OSC never ended": ("a\x1b]0;new window title", "a"),
    "DCS": ("a\x1bPq#0;2;0;0;0#0~~\x1b\\b", "ab"),
    "8-bit DCS": ("a\x90q\x9cb", "ab"),
    "APC": ("a\x1b_Gf=100;AAAA\x1b\\b", "ab"),
    "8-bit APC": ("a\x9fGf=1\x9cb", "ab"),
    "PM": ("a\x1b^private\x1b\\b", "ab"),
    "SOS": ("a\x1bXstring\x1b\\b", "ab"),
    "ESC c (reset)": ("a\x1bcb", "ab"),
    "ESC ( B (character set)": ("a\x1b(Bb", "ab"),
    "ESC # 8 (screen test)": ("a\x1b#8b", "ab"),
    "ESC 7 (save cursor)": ("a\x1b7b", "ab"),
    "ESC alone at the end": ("a\x1b", "a"),
}


@pytest.mark.parametrize(("text", "left"), list(SEQUENCES.values()), ids=list(SEQUENCES))
def test_escape_sequences_are_removed_whole(text: str, left: str) -> None:
    """Never just the ESC: `\\x1b[31merror` must not show as `[31merror`."""
    assert clean(text) == left
    assert one_line(text) == left


@pytest.mark.parametrize("ch", list(SURROGATES), ids=list(SURROGATES.values()))
def test_lone_surrogates_become_the_replacement_character(ch: str) -> None:
    """JSON may carry `\\ud800`; such a string cannot even be encoded for the terminal."""
    with pytest.raises(UnicodeEncodeError):
        f"a{ch}b".encode()
    assert clean(f"a{ch}b") == "a\ufffdb" == one_line(f"a{ch}b")
    assert clean(f"a{ch}b").encode() == "a\ufffdb".encode()


def test_every_hazard_in_one_hostile_row_keeps_its_width() -> None:
    row = "name" + "".join(HAZARDS) + "end\n✔\ufe0f 👍\U0001f3fd 한\u3164글"
    flat = one_line(clean(row, 10_000))
    assert_drawn_as_measured(flat)
    assert flat.startswith("name") and "end ⏎ ✔ 👍 한글" in flat
    assert cell_len(flat) == len(flat) + 3  # 👍 한 글 are two cells each, the rest one


def test_ordinary_text_passes_unchanged() -> None:
    for text in (
        "part-001.step",
        "Größe: 10\u00a0MB",
        "漢字 かな",
        "café",
        "cafe\u0301",
        "नमस्ते",
        "한글",
        "👍 ✔ ⏎",
        "\ue000 private use",
        "tab\there",
    ):
        assert clean(text) == text
        assert one_line(text) == text.replace("\t", " ")


def test_every_control_format_and_separator_character_of_this_unicode_is_covered() -> None:
    """Checked against this Python's own Unicode database, whatever its version."""
    missing = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in BANNED_CATEGORIES
        and code not in UNSAFE
        and code not in (0x09, 0x0A)
    ]
    assert not missing


def test_is_clean_agrees_with_clean() -> None:
    for ch in HAZARDS:
        assert not is_clean(ch)
        assert is_clean(clean(ch))
    assert is_clean("a\tb\nc")


def test_raw_json_escapes_every_unsafe_character_and_still_decodes() -> None:
    """`jobtop show --json` and the raw view print server JSON as it came, made visible."""
    # (apart: a high and a low surrogate side by side would decode as one pair)
    document = {"raw": "a|" + "|".join(HAZARDS) + "|b", "key\u2028": [chr(0xD800), "\U000e0041"]}
    out = io.StringIO()
    dump_json(document, out)
    printed = out.getvalue()
    assert is_clean(printed) and printed.encode()
    assert json.loads(printed) == document
    assert "\\u2028" in printed and "\\udb40\\udc41" in printed and "\\ud800" in printed
    assert set(JSON_ESCAPES) == UNSAFE


ANY_CHARACTER = st.characters(exclude_categories=())
"""Every code point, surrogates and unassigned ones included."""
HAZARD = st.sampled_from(sorted(HAZARDS) + ["\n", "\t", "\u2028", "\u2029"])
PRINTABLE_ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
HOSTILE_TEXT = st.text(st.one_of(ANY_CHARACTER, HAZARD), max_size=60)


@settings(max_examples=400, deadline=None)
@given(HOSTILE_TEXT)
def test_one_line_of_any_input_is_drawn_as_rich_measures_it(text: str) -> None:
    flat = one_line(text)
    assert_drawn_as_measured(flat)
    assert flat == one_line(clean(text, len(text) + 1))
    assert_drawn_as_measured(one_line(clean(text, 20)))
    assert len(clean(text, 20)) <= 20


@settings(max_examples=300, deadline=None)
@given(st.text(st.one_of(PRINTABLE_ASCII, HAZARD), max_size=60))
def test_one_line_cell_length_is_the_number_of_characters_drawn(text: str) -> None:
    """ASCII among every hazard: each character left is drawn, one cell each."""
    flat = one_line(text)
    assert cell_len(flat) == len(flat)
    assert flat == one_line(clean(text, len(text) + 1))


def _outside_sequences(ch: str) -> bool:
    return ch != "\x1b" and not 0x80 <= ord(ch) <= 0x9F


def _text(alphabet: st.SearchStrategy[str], size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet, max_size=size)


_CODES = st.characters
_ESC_FINAL = _CODES(min_codepoint=0x30, max_codepoint=0x7E)
_INTERMEDIATES = _text(_CODES(min_codepoint=0x20, max_codepoint=0x2F), 3)
_STRING_BODY = _text(
    ANY_CHARACTER.filter(lambda ch: _outside_sequences(ch) and ch not in "\x07\x18\x1a"), 20
)
_CSI = st.tuples(
    st.sampled_from(["\x1b[", "\x9b"]),
    _text(_CODES(min_codepoint=0x30, max_codepoint=0x3F), 8),
    _INTERMEDIATES,
    _CODES(min_codepoint=0x40, max_codepoint=0x7E),
).map("".join)
_OSC = st.tuples(
    st.sampled_from(["\x1b]", "\x9d"]), _STRING_BODY, st.sampled_from(["\x07", "\x1b\\", "\x9c"])
).map("".join)
_STRING_INTRO = st.sampled_from(
    ["\x1bP", "\x90", "\x1bX", "\x98", "\x1b^", "\x9e", "\x1b_", "\x9f"]
)
_CONTROL_STRING = st.tuples(_STRING_INTRO, _STRING_BODY, st.sampled_from(["\x1b\\", "\x9c"])).map(
    "".join
)
_OTHER_ESCAPE = (
    st.tuples(st.just("\x1b"), _INTERMEDIATES, _ESC_FINAL)
    .map("".join)
    .filter(lambda seq: seq[:2] not in ("\x1b[", "\x1b]", "\x1bP", "\x1bX", "\x1b^", "\x1b_"))
)
SEQUENCE = st.one_of(_CSI, _OSC, _CONTROL_STRING, _OTHER_ESCAPE)
"""One complete escape sequence, in its 7-bit or 8-bit form."""
UNENDED = st.one_of(
    st.just(""),
    st.tuples(st.sampled_from(["\x1b]", "\x9d"]), _STRING_BODY).map("".join),
    st.tuples(_STRING_INTRO, _STRING_BODY).map("".join),
)
"""Nothing, or a control string that never ends (a terminal swallows the rest)."""
OUTSIDE = _text(st.one_of(ANY_CHARACTER, HAZARD).filter(_outside_sequences), 12)
"""Hostile text that holds no sequence: no ESC, no C1."""


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(OUTSIDE, SEQUENCE), max_size=5), OUTSIDE, UNENDED)
def test_no_part_of_a_removed_sequence_is_left_behind(
    pieces: list[tuple[str, str]], last: str, unended: str
) -> None:
    """Text with sequences between its pieces cleans to the pieces alone, cleaned: no
    parameter, intermediate or final byte, no string payload of a sequence is left."""
    text = "".join(outside + sequence for outside, sequence in pieces) + last + unended
    outsides = [outside for outside, _ in pieces] + [last]
    big = len(text) + 1
    assert clean(text, big) == "".join(clean(outside, big) for outside in outsides)
    assert one_line(text) == "".join(one_line(outside) for outside in outsides)


@settings(max_examples=300, deadline=None)
@given(HOSTILE_TEXT)
def test_clean_of_any_input_is_clean_and_keeps_only_tab_and_newline(text: str) -> None:
    cleaned = clean(text, 10_000)
    assert is_clean(cleaned)
    assert cleaned.encode().decode() == cleaned  # writable to a UTF-8 terminal
    assert not {unicodedata.category(ch) for ch in cleaned if ch not in "\t\n"} & BANNED_CATEGORIES
    assert clean(cleaned, 10_000) == cleaned
