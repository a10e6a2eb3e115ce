"""The jobs screen's status line: the rows shown, the sort, every filter in force, the
refresh interval and pause, assembled as plain `Content` parts (a search or a server's
status word is never parsed as markup)."""

from __future__ import annotations

from textual.content import Content

from tui.formatting import fmt_interval
from tui.job_index.search import parse_search, search_count
from tui.sanitize import clean, one_line
from tui.screens.jobs_view import StatusFacts

__all__ = ["StatusFacts", "status_line"]


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
