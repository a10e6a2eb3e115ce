"""Building blocks shared by the per-provider detail views.

`Fields` shows rows of plain-text cells in an aligned grid whose last column wraps, so a
long or multi-line server value never breaks the layout. Every cell is a Rich `Text`
built from data (never markup), cleaned once more as it is drawn (ids reach the views as
the server sent them); styles come from the `fields--*` component classes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal

import humanize
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import DataTable

from tui.clock import Clock
from tui.formatting import (
    MISSING,
    elapsed_seconds,
    fmt_duration,
    fmt_percent,
    fmt_timestamp,
    state_label,
)
from tui.models import Job, JobDetail, JobState
from tui.sanitize import clean, one_line

Role = Literal["label", "ok", "warning", "error", "dim", "accent", "plain"]
"""How a cell is styled; each role is the `fields--<role>` component class."""

Cell = str | tuple[str, Role] | Text | None
"""A cell: plain text, text with a role, a prebuilt `Text` (swatches), or None (`—`)."""

STATE_ROLES: dict[JobState, Role] = {
    JobState.QUEUED: "dim",
    JobState.RUNNING: "accent",
    JobState.SUCCEEDED: "ok",
    JobState.FAILED: "error",
    JobState.CANCELED: "warning",
    JobState.UNKNOWN: "warning",
}

_MAX_CELL = 4_000
"""Cells longer than this are cut (the raw JSON view still has everything)."""


def fmt_relative(moment: datetime | None, now: datetime) -> str:
    """`3 hours ago`, `in 6 days`, `just now`, or `—`."""
    delta = elapsed_seconds(moment, now)
    if delta is None:
        return MISSING
    if abs(delta) < 1:
        return "just now"
    try:
        words = humanize.naturaldelta(abs(delta))
    except (ValueError, TypeError, OverflowError):
        return MISSING
    return f"{words} ago" if delta > 0 else f"in {words}"


def state_cell(state: JobState, status: str) -> Cell:
    """The state glyph and word with the provider's own status, styled by state."""
    label = state_label(state)
    text = label if status == state.value else f"{label} · {status}"
    return (text, STATE_ROLES.get(state, "plain"))


def time_rows(pairs: Iterable[tuple[str, datetime | None]], now: datetime) -> list[list[Cell]]:
    """Rows `label | relative | exact UTC` for every timestamp (missing ones show `—`)."""
    return [
        [label, fmt_relative(moment, now), (fmt_timestamp(moment), "dim")]
        for label, moment in pairs
    ]


def duration_cell(start: datetime | None, end: datetime | None) -> Cell:
    """The time between two moments, or `—`."""
    return fmt_duration(elapsed_seconds(start, end))


def run_time_cell(job: Job, now: datetime) -> Cell:
    """How long the job ran (`Job.duration_seconds`, the table's figure), or `—`."""
    return fmt_duration(job.duration_seconds(now))


def number_cell(value: float | int | None, digits: int = 4) -> Cell:
    """A number without needless zeros, or `—`."""
    if value is None:
        return None
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}g}"


def pretty_json(value: Any, indent: int = 0) -> str:
    """Indented JSON of an already-cleaned structure; lists of scalars stay on one line.

    Used for params, options and metadata, where `[2.0, 2.0, 2.0]` reads better whole.
    """
    pad = " " * (indent + 2)
    if isinstance(value, dict) and value:
        items = [
            f"{pad}{json.dumps(str(key), ensure_ascii=False)}: {pretty_json(item, indent + 2)}"
            for key, item in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(value, list) and value:
        if all(not isinstance(item, dict | list) for item in value):
            return json.dumps(value, ensure_ascii=False, default=str)
        items = [f"{pad}{pretty_json(item, indent + 2)}" for item in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    return json.dumps(value, ensure_ascii=False, default=str)


def progress_bar(fraction: float | None, width: int = 30) -> str:
    """`██████▌░░░░░  45%`: a bar with a visible track, then the percentage."""
    if fraction is None:
        return MISSING
    value = min(1.0, max(0.0, fraction))
    eighths = round(value * width * 8)
    full, partial = divmod(eighths, 8)
    bar = "█" * full + (" ▏▎▍▌▋▊▉"[partial] if partial and full < width else "")
    return f"{bar}{'░' * (width - len(bar))} {fmt_percent(value):>4}"


def id_cell(value: str | None, role: Role = "plain") -> Cell:
    """An id as shown: on one line (a server's id may hold a line break), or `—`."""
    if not value:
        return None
    return (one_line(value), role)


def list_cell(items: Sequence[str], role: Role = "plain") -> Cell:
    """Items one per line with a bullet, or `—` for none."""
    if not items:
        return None
    return ("\n".join(f"• {item}" for item in items), role)


class Fields(Widget):
    """Aligned rows of plain-text cells; the first column is a label, the last one wraps."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "fields--label",
        "fields--ok",
        "fields--warning",
        "fields--error",
        "fields--dim",
        "fields--accent",
    }

    DEFAULT_CSS = """
    Fields {
        height: auto;
    }
    """

    def __init__(
        self,
        rows: Sequence[Sequence[Cell]] = (),
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._rows: list[list[Cell]] = [list(row) for row in rows]

    @property
    def rows(self) -> list[list[Cell]]:
        """The rows shown."""
        return self._rows

    @property
    def plain(self) -> str:
        """The rows as plain text, cells joined by two spaces (for tests and copying)."""
        return "\n".join(
            "  ".join(self._cell_text(cell).plain for cell in row) for row in self._rows
        )

    def show(self, rows: Sequence[Sequence[Cell]]) -> None:
        """Replace the rows; repaints only when they changed."""
        new_rows = [list(row) for row in rows]
        self.display = bool(new_rows)
        if new_rows == self._rows:
            return
        self._rows = new_rows
        self.refresh(layout=True)

    def _cell_text(self, cell: Cell, role: Role = "plain") -> Text:
        if isinstance(cell, Text):
            return cell
        if cell is None:
            return Text(MISSING, end="")
        if isinstance(cell, tuple):
            value, role = cell
        else:
            value = cell
        if len(value) > _MAX_CELL:
            value = f"{value[:_MAX_CELL]}… (+{len(value) - _MAX_CELL} characters)"
        value = clean(value, len(value) + 1)
        style = (
            self.get_component_rich_style(f"fields--{role}", partial=True)
            if role != "plain"
            else ""
        )
        return Text(value, style=style, end="")

    def render(self) -> RenderableType:
        table = Table.grid(padding=(0, 2))
        columns = max((len(row) for row in self._rows), default=0)
        for index in range(columns):
            table.add_column(no_wrap=index < columns - 1, overflow="fold")
        for row in self._rows:
            cells = [
                self._cell_text(cell, "label" if index == 0 else "plain")
                for index, cell in enumerate(row)
            ]
            cells += [Text("")] * (columns - len(cells))
            table.add_row(*cells)
        return table


def sync_table(table: DataTable[Any], rows: Sequence[tuple[str, Sequence[Text]]]) -> None:
    """Update a DataTable in place, keyed by row key: remove, update changed cells, add.

    The cursor stays on its row when the row survives.
    """
    wanted = {key for key, _ in rows}
    for row_key in list(table.rows):
        if row_key.value not in wanted:
            table.remove_row(row_key)
    column_keys = list(table.columns)
    for key, cells in rows:
        if key in table.rows:
            current = table.get_row(key)
            for column, (old, new) in enumerate(zip(current, cells, strict=False)):
                if isinstance(old, Text) and old.plain == new.plain and old.style == new.style:
                    continue
                table.update_cell(key, column_keys[column], new)
        else:
            table.add_row(*cells, key=key)


class JobFieldsView(Vertical):
    """The normalized job alone: for details without a provider-specific view."""

    def __init__(self, clock: Clock, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="detail-view")
        self._clock = clock

    def compose(self) -> ComposeResult:
        yield Fields(id="job-summary")
        yield Fields(id="job-times")

    def update_detail(self, detail: JobDetail) -> None:
        """Show the job's normalized fields."""
        self.query_one("#job-summary", Fields).show(job_rows(detail.job))
        job = detail.job
        self.query_one("#job-times", Fields).show(
            time_rows(
                [
                    ("created", job.created_at),
                    ("started", job.started_at),
                    ("finished", job.finished_at),
                    ("updated", job.updated_at),
                ],
                self._clock(),
            )
        )


def job_rows(job: Job) -> list[list[Cell]]:
    """The normalized job's own fields: status, name, progress, error."""
    return [
        ["status", state_cell(job.state, job.status)],
        ["name", job.name],
        ["progress", fmt_percent(job.progress) if job.progress is not None else None],
        ["error", (job.error, "error") if job.error else None],
    ]
