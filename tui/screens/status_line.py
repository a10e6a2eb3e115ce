"""The jobs screen's status line: the rows shown, the sort, every filter in force, the
refresh interval and pause, assembled as plain `Content` parts (a search or a server's
status word is never parsed as markup)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content

from tui.formatting import fmt_interval
from tui.job_index.filters import StatusChoice
from tui.job_index.search import parse_search, search_count
from tui.models import JobState
from tui.sanitize import clean, one_line


@dataclass(frozen=True, slots=True)
class StatusFacts:
    """What the status line states about the view."""

    shown: int | None
    """Rows in the listing; None while the listing is still being found."""
    in_view: int
    """Jobs of the view's sources, before any filter."""
    sort_name: str
    """The sort column's name, as its header shows it."""
    descending: bool
    progress: tuple[int, int, int]
    """How far the listing got (`JobIndex.progress`), for the search's match count."""
    interval: float
    states: frozenset[JobState] = frozenset()
    status: StatusChoice | None = None
    search: str = ""
    """The search box's text, as typed."""
    window: str | None = None
    """The time window's name (`1 h`), None for all."""
    stuck_only: bool = False
    paused: bool = False


def status_line(facts: StatusFacts) -> Content:
    """`12 of 340 jobs · sort Age ▼ · states: failed · every 5s`, each part styled."""
    shown = "…" if facts.shown is None else f"{facts.shown:,}"
    arrow = "▼" if facts.descending else "▲"
    parts: list[Content | tuple[str, str] | str] = [
        (f"{shown} of {facts.in_view:,} jobs", "bold"),
        f" · sort {facts.sort_name} {arrow}",
    ]
    if facts.states:
        states = ",".join(sorted(state.value for state in facts.states))
        parts.append((f" · states: {states}", "$warning"))
    if facts.status is not None:
        parts.append((" · status: ", "$warning"))
        parts.append(Content(one_line(clean(facts.status.status, 60))))
        parts.append((f" ({str(facts.status.provider)})", "$warning"))
    if facts.search.strip():
        search = parse_search(facts.search)
        parts.append(" · search ")
        parts.append(Content(f'"{one_line(facts.search.strip()[:60])}"'))
        parts.append((f": {search_count(*facts.progress)}", "$accent"))
        if search.error:
            parts.append((f" · {search.error}", "$error"))
    if facts.window is not None:
        parts.append((f" · changed in the last {facts.window}", "$warning"))
    if facts.stuck_only:
        parts.append((" · ⧗ stuck only", "$warning"))
    parts.append(f" · every {fmt_interval(facts.interval)}")
    if facts.paused:
        parts.append((" · PAUSED (p resumes)", "bold $warning"))
    return Content.assemble(*parts)
