"""SourceBar: one line per view (All, then each source) with health and counts, or all
of it on one line (collapsed).

It is also the view switcher: the current view is highlighted, and a click on a line
(collapsed: on a source's name) selects it. Every piece of text is assembled as plain
`Content` parts, so an error message or account name is never parsed as markup.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len
from textual import events
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from tui.formatting import STATE_GLYPHS, fmt_age, fmt_ago, fmt_duration
from tui.models import JobState
from tui.sanitize import clean, one_line
from tui.sync.health import Health, SourceHealth

COUNT_ORDER = (
    JobState.FAILED,
    JobState.RUNNING,
    JobState.QUEUED,
    JobState.SUCCEEDED,
    JobState.CANCELED,
    JobState.UNKNOWN,
)

FRESH_SECONDS = 5.0
"""An ok source's data younger than this (or three intervals) is shown as fresh."""

HEALTH_GLYPHS = {
    Health.LOADING: "…",
    Health.OK: "●",
    Health.REFRESHING: "⟳",
    Health.STALE: "◔",
    Health.FAILING: "✖",
}


def health_text(source: SourceHealth, now: datetime, paused: bool) -> Content:
    """The health part of a source's line, e.g. `✖ failing: … · next try in 12s`."""
    if source.refreshing:
        glyph, word, style = HEALTH_GLYPHS[Health.REFRESHING], "refreshing", "$accent"
    else:
        glyph, word = HEALTH_GLYPHS[source.health], source.health.value
        style = {
            Health.OK: "$success",
            Health.FAILING: "$error",
            Health.STALE: "$warning",
            Health.LOADING: "$text-muted",
            Health.REFRESHING: "$accent",
        }[source.health]
    parts: list[Content | tuple[str, str] | str] = [(f"{glyph} {word}", style)]
    if paused:
        parts.append(("  · paused", "$warning"))
    elif source.health == Health.FAILING and source.next_try_at is not None:
        wait = max(0.0, (source.next_try_at - now).total_seconds())
        parts.append((f"  · next try in {fmt_duration(wait)}", "$text-muted"))
    if source.last_ok_at is not None and source.health in (Health.OK, Health.FAILING, Health.STALE):
        age = fmt_age(source.last_ok_at, now)
        # An ok source refreshed within a few intervals is "fresh": a per-second age would
        # repaint this bar on every refresh of any source (bytes to the terminal, section 7).
        recent = (now - source.last_ok_at).total_seconds() < max(FRESH_SECONDS, 3 * source.interval)
        fresh = age == "just now" or (source.health == Health.OK and recent)
        parts.append(("  · data " + ("fresh" if fresh else f"{age} old"), "$text-muted"))
    elif source.stored_at is not None and source.health in (Health.FAILING, Health.STALE):
        # Rows from the store, not refreshed in this run: their age is the last refresh
        # that saved them (an earlier run, or the CLI).
        parts.append(("  · stored data from " + fmt_ago(source.stored_at, now), "$text-muted"))
    elif source.health == Health.STALE:
        parts.append(("  · stored data, not refreshed yet", "$text-muted"))
    if source.note:
        parts.append(("  · ", "$text-muted"))
        parts.append((one_line(clean(source.note, 120)), "$warning"))
    if source.health == Health.FAILING and source.error:
        parts.append(("  · ", "$text-muted"))
        parts.append(Content(one_line(clean(source.error, 200))))
    return Content.assemble(*parts)


COUNT_GAP = "  "
"""Between two counts: emoji fonts draw some glyphs (`▶`, `✔`) two cells wide, which
would cover a single space."""


def count_widths(lines: Sequence[Counter[JobState]]) -> dict[JobState, int]:
    """The cells each state's count takes on every line: its glyph, a space and the
    widest number any line shows for it; states no line has are left out."""
    widths: dict[JobState, int] = {}
    for state in COUNT_ORDER:
        widest = max(
            (len(f"{counts.get(state, 0):,}") for counts in lines if counts.get(state)), default=0
        )
        if widest:
            widths[state] = len(STATE_GLYPHS[state]) + 1 + widest
    return widths


def _stuck_text(count: int) -> Content:
    """`⧗ 3` after the counts (stuck jobs; the list says the word), or nothing."""
    return Content.styled(f" ⧗ {count:,}", "$warning") if count else Content("")


def counts_text(
    counts: Counter[JobState], widths: dict[JobState, int] | None = None, gap: str = COUNT_GAP
) -> Content:
    """`✖ 2  ▶ 5  ◌ 1 …`, each count in its state's colour, `gap` apart.

    Args:
        counts: Jobs per state.
        widths: Each state's field (`count_widths` of every line), so that counts line
            up in columns and a state this line lacks leaves its field blank (so what
            follows lines up too); None puts the non-zero counts side by side.
        gap: Between two counts.
    """
    if widths is None:
        widths = count_widths([counts])
    if not any(counts.get(state, 0) for state in widths):
        span = sum(widths.values()) + len(gap) * (len(widths) - 1)
        return Content.styled("no jobs".ljust(span), "$text-muted")
    parts: list[Content | tuple[str, str] | str] = []
    for state, width in widths.items():
        count = counts.get(state, 0)
        if parts:
            parts.append(gap)
        text = f"{STATE_GLYPHS[state]} {count:,}" if count else ""
        parts.append((text.ljust(width), f"$state-{state.value}"))
    return Content.assemble(*parts)


HEALTH_MARKS = {
    Health.LOADING: ("…", "$text-muted"),
    Health.OK: ("●", "$success"),
    Health.REFRESHING: ("⟳", "$accent"),
    Health.STALE: ("◔ stale", "$warning"),
    Health.FAILING: ("✖ failing", "$error"),
}
"""A source's health on the collapsed line: a glyph, and a word when it needs a look."""


class SourceBar(Static):
    """The list of views with each source's health and counts per state."""

    DEFAULT_CSS = """
    SourceBar { height: auto; }
    """

    class ViewClicked(Message):
        """A view's line was clicked."""

        def __init__(self, view: int) -> None:
            super().__init__()
            self.view = view

    ALL_LABEL: ClassVar[str] = "All"

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__("", id=id, markup=False)
        self._lines = 0
        self._shown: Content | None = None
        self._spans: list[tuple[int, int, int]] = []
        """Collapsed: (first cell, end cell, view) of each view's name on the line."""

    def show(
        self,
        sources: Sequence[SourceHealth],
        counts: Sequence[Counter[JobState]],
        total: Counter[JobState],
        current_view: int,
        now: datetime,
        paused: bool,
        stuck: Sequence[int] = (),
        *,
        collapsed: bool = False,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        """Redraw every line.

        Args:
            sources: Each source's health, in view order (view 1 onwards).
            counts: Each source's counts per state, same order.
            total: Counts over every source (the All view).
            current_view: 0 for All, n for the n-th source.
            now: The time ages are measured against.
            paused: Refresh is paused.
            stuck: Each source's running jobs past their kind's typical run time, same
                order (empty: none known).
            collapsed: One line: the current view's counts, then each source's short
                label and health.
            labels: Each source's short label for the collapsed line (default: its name).
        """
        stuck = list(stuck) or [0] * len(sources)
        if collapsed:
            lines = [self._one_line(sources, counts, total, current_view, paused, stuck, labels)]
        else:
            lines = self._lines_per_view(sources, counts, total, current_view, now, paused, stuck)
            self._spans = []
        self.set_class(collapsed, "-collapsed")
        content = Content("\n").join(lines)
        if content == self._shown:
            return
        same_height = self._lines == len(lines)
        self._lines = len(lines)
        self._shown = content
        self.update(content, layout=not same_height)

    def _lines_per_view(
        self,
        sources: Sequence[SourceHealth],
        counts: Sequence[Counter[JobState]],
        total: Counter[JobState],
        current_view: int,
        now: datetime,
        paused: bool,
        stuck: Sequence[int],
    ) -> list[Content]:
        """All, then one line per source: counts in aligned columns, then health."""
        width = max((len(source.account) for source in sources), default=3)
        width = min(max(width, len(self.ALL_LABEL)), 24)
        widths = count_widths([total, *counts])
        lines: list[Content] = []
        marker = "▸ " if current_view == 0 else "  "
        summary = f"{len(sources)} source" + ("" if len(sources) == 1 else "s")
        if paused:
            summary += " · paused"
        lines.append(
            Content.assemble(
                (f"{marker}1 {self.ALL_LABEL.ljust(width)}  ", "bold" if current_view == 0 else ""),
                counts_text(total, widths),
                _stuck_text(sum(stuck)),
                (f"   {summary}", "$text-muted"),
            )
        )
        for position, (source, source_counts) in enumerate(zip(sources, counts, strict=True), 1):
            selected = position == current_view
            key = str(position + 1) if position < 9 else " "
            name = one_line(clean(source.account, 64))
            name = name[:width].ljust(width)
            lines.append(
                Content.assemble(
                    (f"{'▸ ' if selected else '  '}{key} ", "bold" if selected else ""),
                    (name, "bold" if selected else ""),
                    "  ",
                    counts_text(source_counts, widths),
                    _stuck_text(stuck[position - 1]),
                    "   ",
                    health_text(source, now, paused),
                )
            )
        return lines

    def _one_line(
        self,
        sources: Sequence[SourceHealth],
        counts: Sequence[Counter[JobState]],
        total: Counter[JobState],
        current_view: int,
        paused: bool,
        stuck: Sequence[int],
        labels: Mapping[str, str] | None,
    ) -> Content:
        """`▸ All  ✖ 6 ▶ 5 ◌ 5 · zoo ● · mf ✖ failing`: the current view (a source's with
        its health) and its counts one space apart, then every other source's short label
        and health."""
        labels = labels or {}

        def label(account: str) -> str:
            return one_line(clean(labels.get(account, account), 64))

        def mark(source: SourceHealth) -> tuple[str, str]:
            return HEALTH_MARKS[Health.REFRESHING if source.refreshing else source.health]

        head = f"▸ {self.ALL_LABEL}"
        parts: list[Content | tuple[str, str] | str] = []
        view_counts, view_stuck = total, sum(stuck)
        if 0 < current_view <= len(sources):
            source = sources[current_view - 1]
            head = f"▸ {label(source.account)}"
            parts = [(head, "bold"), (" " + mark(source)[0], mark(source)[1])]
            view_counts, view_stuck = counts[current_view - 1], stuck[current_view - 1]
        else:
            parts = [(head, "bold")]
        spans = [(0, cell_len(head), current_view)]
        parts += ["  ", counts_text(view_counts, gap=" "), _stuck_text(view_stuck)]
        if paused:
            parts.append(("  · paused", "$warning"))
        x = Content.assemble(*parts).cell_length
        for position, source in enumerate(sources, 1):
            if position == current_view:
                continue
            name = label(source.account)
            glyph, style = mark(source)
            parts += [(" · ", "$text-muted"), name, (f" {glyph}", style)]
            spans.append((x + 3, x + 3 + cell_len(name), position))
            x += 3 + cell_len(name) + 1 + cell_len(glyph)
        self._spans = spans
        return Content.assemble(*parts)

    def on_click(self, event: events.Click) -> None:
        """Select the view whose line (collapsed: whose name) was clicked."""
        offset = event.get_content_offset(self)
        if offset is None or not 0 <= offset.y < self._lines:
            return
        if self._spans:
            for start, end, view in self._spans:
                if start <= offset.x < end:
                    self.post_message(self.ViewClicked(view))
            return
        self.post_message(self.ViewClicked(offset.y))
