"""A vertical stepper for Zoo dataset conversion phases: every phase, done/current/pending.

It draws whichever phase list is in force (the seed's 11 phases or the current 12), and
marks each phase with a glyph and a word, so the meaning survives `NO_COLOR`.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from textual.content import Content
from textual.widget import Widget

from tui.models import JobState
from tui.sanitize import one_line


class PhaseMark(StrEnum):
    """Where a phase stands relative to the conversion's current phase."""

    DONE = "done"
    CURRENT = "current"
    FAILED = "failed"
    CANCELED = "canceled"
    PENDING = "pending"


GLYPHS: dict[PhaseMark, str] = {
    PhaseMark.DONE: "✓",
    PhaseMark.CURRENT: "▶",
    PhaseMark.FAILED: "✗",
    PhaseMark.CANCELED: "■",
    PhaseMark.PENDING: "·",
}


def phase_marks(count: int, current_index: int | None, state: JobState) -> list[PhaseMark]:
    """Mark every phase of a list of `count` phases.

    Args:
        count: How many phases the list in force has.
        current_index: The conversion's phase index, or None when its phase is unknown.
        state: The conversion's normalized state.

    Returns:
        One mark per phase: a succeeded conversion has every phase done; otherwise the
        phases before the current one are done, the current one is current (or failed,
        or canceled), and the rest are pending.
    """
    if state is JobState.SUCCEEDED:
        return [PhaseMark.DONE] * count
    if current_index is None or not 0 <= current_index < count:
        return [PhaseMark.PENDING] * count
    here = {
        JobState.FAILED: PhaseMark.FAILED,
        JobState.CANCELED: PhaseMark.CANCELED,
    }.get(state, PhaseMark.CURRENT)
    return [
        PhaseMark.DONE
        if index < current_index
        else here
        if index == current_index
        else PhaseMark.PENDING
        for index in range(count)
    ]


def stepper_content(
    phases: Sequence[str],
    current_index: int | None,
    state: JobState,
    current_phase: str | None = None,
) -> Content:
    """The stepper as content: one line per phase, `glyph index name  (mark)`.

    Args:
        phases: The phase names in order (their position is their index).
        current_index: The conversion's phase index, or None if unknown.
        state: The conversion's normalized state.
        current_phase: The phase name the server sent, shown when it is not in the list.

    Returns:
        Plain content whose styles are the `phase-stepper--<mark>` component classes.
    """
    marks = phase_marks(len(phases), current_index, state)
    width = len(str(max(len(phases) - 1, 0)))
    lines: list[Content] = []
    for index, (name, mark) in enumerate(zip(phases, marks, strict=True)):
        label = f"{GLYPHS[mark]} {index:>{width}}  {name}"
        suffix = "" if mark in (PhaseMark.DONE, PhaseMark.PENDING) else f"  ← {mark}"
        lines.append(Content.assemble((label + suffix, f".phase-stepper--{mark}")))
    if current_index is None and current_phase and state is not JobState.SUCCEEDED:
        lines.append(
            Content.assemble(("? ", ".phase-stepper--unknown"), "phase not in this list: ")
            + Content(one_line(current_phase))
        )
    return Content("\n").join(lines)


class PhaseStepper(Widget):
    """Every phase of a dataset conversion by name and index, with done/current/pending."""

    COMPONENT_CLASSES = {
        "phase-stepper--done",
        "phase-stepper--current",
        "phase-stepper--failed",
        "phase-stepper--canceled",
        "phase-stepper--pending",
        "phase-stepper--unknown",
    }

    DEFAULT_CSS = """
    PhaseStepper {
        width: auto;
        height: auto;
    }
    """

    def __init__(
        self,
        phases: Sequence[str] = (),
        current_index: int | None = None,
        state: JobState = JobState.UNKNOWN,
        current_phase: str | None = None,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._phases = tuple(phases)
        self._current_index = current_index
        self._state = state
        self._current_phase = current_phase

    @property
    def marks(self) -> list[PhaseMark]:
        """The current mark of every phase (for tests and accessibility)."""
        return phase_marks(len(self._phases), self._current_index, self._state)

    def show(
        self,
        phases: Sequence[str],
        current_index: int | None,
        state: JobState,
        current_phase: str | None = None,
    ) -> None:
        """Show a new position; repaints only if something changed."""
        new = (tuple(phases), current_index, state, current_phase)
        if new == (self._phases, self._current_index, self._state, self._current_phase):
            return
        self._phases, self._current_index, self._state, self._current_phase = new
        self.refresh(layout=True)

    def render(self) -> Content:
        return stepper_content(self._phases, self._current_index, self._state, self._current_phase)
