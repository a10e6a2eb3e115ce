"""A raw JSON view: pretty, highlighted, searchable, and safe for hostile strings.

`json_lines` pretty-prints a decoded response and escapes every character that
`tui.sanitize` would drop (controls, C1, bidi, zero-width) as `\\uXXXX`, so the raw view
shows what the server sent without letting an escape sequence reach the terminal.
`JsonView` is a line-API scroll view: it renders only the visible lines, so a large
response costs nothing until it is looked at.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.sanitize import JSON_ESCAPES

MAX_LINE_CHARS = 2_000
"""Longer lines (base64 images, huge strings) are cut, with the number of characters left out."""

_TOKEN = re.compile(
    r'(?P<key>"(?:[^"\\]|\\.)*")(?=\s*:)'
    r'|(?P<string>"(?:[^"\\]|\\.)*"?)'
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<literal>\btrue\b|\bfalse\b|\bnull\b|\bNaN\b|-?\bInfinity\b)"
    r"|(?P<punct>[{}\[\],:])"
)


def json_lines(value: Any, *, indent: int = 2, max_line: int = MAX_LINE_CHARS) -> list[str]:
    """Pretty-print decoded JSON into display lines.

    Args:
        value: Decoded JSON (anything `json.dumps` takes; other objects via `str`).
        indent: Spaces per level.
        max_line: Lines longer than this are cut and say how much was left out.

    Returns:
        The lines, free of control, C1, bidi and zero-width characters (escaped as `\\uXXXX`).
    """
    text = json.dumps(value, indent=indent, ensure_ascii=False, default=str)
    text = text.translate(JSON_ESCAPES)
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if len(line) > max_line:
            lines[index] = f"{line[:max_line]}… (+{len(line) - max_line} characters)"
    return lines


def token_spans(line: str) -> list[tuple[int, int, str]]:
    """Where the JSON tokens of one pretty-printed line are: (start, end, kind)."""
    spans: list[tuple[int, int, str]] = []
    for match in _TOKEN.finditer(line):
        kind = match.lastgroup
        if kind is not None:
            spans.append((match.start(), match.end(), kind))
    return spans


@dataclass(frozen=True, slots=True)
class Match:
    """One search hit: a line and a character range in it."""

    line: int
    start: int
    end: int


MAX_MATCHES = 10_000
"""Searching stops after this many hits, so one keystroke stays cheap on a huge response."""


def fold_lines(lines: list[str]) -> list[str]:
    """Lower-cased lines for searching, each the same length as its original."""
    folded: list[str] = []
    for line in lines:
        low = line.casefold()
        folded.append(low if len(low) == len(line) else line.lower())
    return folded


def find_matches(
    lines: list[str],
    query: str,
    *,
    folded: list[str] | None = None,
    limit: int = MAX_MATCHES,
) -> list[Match]:
    """Case-insensitive occurrences of `query` in `lines`, in reading order, at most `limit`.

    Args:
        lines: The lines to search.
        query: The text to find.
        folded: `fold_lines(lines)`, when already computed.
        limit: Stop after this many hits.
    """
    if not query:
        return []
    needle = query.casefold()
    size = len(query)
    matches: list[Match] = []
    for number, line in enumerate(folded if folded is not None else fold_lines(lines)):
        if needle not in line:
            continue
        start = line.find(needle)
        while start != -1:
            matches.append(Match(number, start, start + size))
            if len(matches) >= limit:
                return matches
            start = line.find(needle, start + max(1, size))
    return matches


class JsonView(ScrollView, can_focus=True):
    """Pretty JSON with highlighting and search (`search`, `next_match`, `previous_match`)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "json-view--key",
        "json-view--string",
        "json-view--number",
        "json-view--literal",
        "json-view--punct",
        "json-view--match",
        "json-view--match-current",
    }

    def __init__(
        self,
        value: Any = None,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._lines: list[str] = []
        self._folded: list[str] | None = None
        self._query = ""
        self._matches: list[Match] = []
        self._current: int | None = None
        self._by_line: dict[int, list[int]] = {}
        if value is not None:
            self.set_lines(json_lines(value))

    @property
    def lines(self) -> list[str]:
        """The displayed lines (plain text)."""
        return self._lines

    @property
    def search_text(self) -> str:
        """The current search text ("" when not searching); not `query`, which would hide
        Textual's DOM query method."""
        return self._query

    @property
    def matches(self) -> list[Match]:
        """Every hit of the current search."""
        return self._matches

    @property
    def current_match(self) -> Match | None:
        """The hit the view is on, if any."""
        return None if self._current is None else self._matches[self._current]

    @property
    def match_summary(self) -> str:
        """`3/17 for "query"`, `no match for "query"`, or "" with no search."""
        if not self._query:
            return ""
        if not self._matches or self._current is None:
            return f'no match for "{self._query}"'
        more = "+" if len(self._matches) >= MAX_MATCHES else ""
        return f'{self._current + 1}/{len(self._matches)}{more} for "{self._query}"'

    def set_value(self, value: Any) -> None:
        """Show decoded JSON (pretty-printed here; use `set_lines` for precomputed lines)."""
        self.set_lines(json_lines(value))

    def set_lines(self, lines: list[str]) -> None:
        """Show precomputed `json_lines`; the scroll position and search are kept."""
        self._lines = lines
        self._folded = None
        width = max((cell_len(line) for line in lines), default=0)
        self.virtual_size = Size(width, len(lines))
        self._rematch(keep_position=True)
        self.refresh()

    def search(self, query: str) -> None:
        """Search for `query` and move to the first hit at or after the top of the view."""
        self._query = query
        self._rematch(keep_position=False)
        if self._matches:
            top = round(self.scroll_y)
            first = next((i for i, match in enumerate(self._matches) if match.line >= top), 0)
            self._move_to(first)
        self.refresh()

    def clear_search(self) -> None:
        """Forget the search and its highlights."""
        self.search("")

    def next_match(self) -> None:
        """Move to the next hit, wrapping at the end."""
        if self._matches:
            current = -1 if self._current is None else self._current
            self._move_to((current + 1) % len(self._matches))

    def previous_match(self) -> None:
        """Move to the previous hit, wrapping at the start."""
        if self._matches:
            current = 0 if self._current is None else self._current
            self._move_to((current - 1) % len(self._matches))

    def _rematch(self, *, keep_position: bool) -> None:
        previous = self.current_match if keep_position else None
        if self._query and self._folded is None:
            self._folded = fold_lines(self._lines)
        self._matches = find_matches(self._lines, self._query, folded=self._folded)
        self._by_line = {}
        for index, match in enumerate(self._matches):
            self._by_line.setdefault(match.line, []).append(index)
        self._current = None
        if self._matches:
            if previous is not None and previous in self._matches:
                self._current = self._matches.index(previous)
            else:
                self._current = 0

    def _move_to(self, index: int) -> None:
        self._current = index
        match = self._matches[index]
        height = max(1, self.scrollable_content_region.height)
        width = max(1, self.scrollable_content_region.width)
        target_y = max(0, match.line - height // 3)
        target_x = self.scroll_x
        if match.start < self.scroll_x or match.end > self.scroll_x + width:
            target_x = max(0, match.start - 4)
        self.scroll_to(x=target_x, y=target_y, animate=False, immediate=True)
        self.refresh()

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"json-view--{name}", partial=True)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        number = scroll_y + y
        width = self.size.width
        base = self.rich_style
        if not 0 <= number < len(self._lines):
            return Strip.blank(width, base)
        line = self._lines[number]
        text = Text(line, no_wrap=True, end="")
        for start, end, kind in token_spans(line):
            text.stylize(self._style(kind), start, end)
        for index in self._by_line.get(number, ()):
            match = self._matches[index]
            name = "match-current" if index == self._current else "match"
            text.stylize(self._style(name), match.start, match.end)
        text.stylize_before(base)
        strip = Strip(text.render(self.app.console), cell_len(line))
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_offsets(scroll_x, number)
