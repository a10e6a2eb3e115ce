"""JobTable: a virtual job list on Textual's line API.

`DataTable` measures every cell of every row on the UI loop (docs/design.md §6), so this
table keeps no rows at all: it renders only the visible lines, asking a
`tui.job_index.JobIndex` for "the n-th row". The cursor is remembered by job key, so it
stays on its job across refreshes and re-sorts. Every server string is drawn as a plain
`Segment`, cleaned again and flattened to one line, then cropped to its column: it can
never be parsed as markup, carry an escape sequence, or break a row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from time import monotonic
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.clock import Clock, utc_now
from tui.formatting import (
    compact_age,
    fmt_duration,
    fmt_local_time,
    fmt_progress,
    short_id,
    state_label,
)
from tui.job_index import Column, JobIndex, JobKey
from tui.models import Job, JobState
from tui.sanitize import clean, one_line

STRIP_CACHE_LIMIT = 4_000
"""Rendered rows kept; the cache is emptied past this (it follows the rows on screen)."""
FLASH_SECONDS = 1.5
"""How long a changed row stays highlighted."""


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column of the table."""

    column: Column
    label: str
    width: int
    """Cells: the most the column takes (its content may ask for less); 0 means "take the
    room that is left"."""
    priority: int
    """Columns with the lowest priority are dropped first on a narrow terminal."""
    align_right: bool = False


COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(Column.STATE, "State", 14, 100),
    ColumnSpec(Column.ACCOUNT, "Source", 16, 95),
    ColumnSpec(Column.ID, "ID", 10, 50),
    ColumnSpec(Column.NAME, "Name", 0, 100),
    ColumnSpec(Column.STATUS, "Status", 14, 60),
    ColumnSpec(Column.AGE, "Age", 12, 90),
    ColumnSpec(Column.DURATION, "Duration", 8, 70, align_right=True),
    ColumnSpec(Column.PROGRESS, "Progress", 10, 40),
)
"""Every column, in display order."""

FIRST_PRIORITY = 90
"""Columns at this priority or above (state, source, name, age) come first: the others
are shown only where the name keeps `NAME_WANTED` cells."""
KEPT_PRIORITY = 100
"""Columns never dropped (state, name)."""
NAME_WANTED = 46
"""Cells the name gets, with a failed job's `— reason`, before the columns after the
first ones."""
NAME_MIN_WIDTH = 12
"""Below this, even the source and the age give way to the name."""
NARROW_WIDTH = 100
"""A table narrower than this shows each source by its short label (`source_labels`)."""
SHORT_SOURCE_WIDTH = 10
"""The most cells a short source label takes."""
GLYPH_SLACK = 1
"""A cell left free after a state glyph's cell: emoji fonts (and terminals that treat
ambiguous-width characters as wide) draw `✔`, `▶` or `⊘` two cells wide, which would
otherwise cover the space before the next column."""
STALE_MARK = " ◔"
"""After the state of a row whose source is failing or not refreshed yet (old data); the
source bar shows the same glyph for a stale source."""
TRACKED_MARK = "⌖"
"""Before the name of a tracked job (`t` tracks, `u` untracks); one cell wide everywhere."""
STUCK_LABEL = "⧗ stuck"
"""The state of a running job past its kind's typical run time: a glyph and a word."""
CREATED_LABEL = "Created"
"""The Age column's header while it shows absolute times."""
SORT_ARROW_CELLS = 2
"""A space and `▲`/`▼` after the sorted column's header."""


def _widest(spec: ColumnSpec) -> int:
    """The most cells a column takes: its own width, or its header with the sort arrow if
    that is wider (a sorted header is never cut)."""
    return max(spec.width, cell_len(spec.label) + SORT_ARROW_CELLS)


def column_label(column: Column) -> str:
    """A column's name as its header shows it (the status line and the palette use it too)."""
    return next(spec.label for spec in COLUMNS if spec.column == column)


def layout_columns(
    width: int, show_account: bool, widths: Mapping[Column, int] | None = None
) -> list[tuple[ColumnSpec, int]]:
    """Which columns fit in `width` cells, and how wide each is.

    State, source, name and age come first; each other column, from the highest
    priority down, is shown if the name still keeps `NAME_WANTED` cells (so at 80
    columns a failed job's reason shows). A terminal too narrow for even the first
    columns drops the age, then the source, before the name gets under
    `NAME_MIN_WIDTH`.

    Args:
        width: The table's width in cells.
        show_account: Include the source column (the All view).
        widths: What each column's content needs (header included), capped at the
            column's own width or its header with the sort arrow, whichever is wider; a
            column not named keeps its own width.

    Returns:
        (column, width) pairs in display order; one space separates columns.
    """
    widths = widths or {}
    specs = [
        replace(spec, width=max(1, min(_widest(spec), widths[spec.column])))
        if spec.width and spec.column in widths
        else spec
        for spec in COLUMNS
        if show_account or spec.column != Column.ACCOUNT
    ]

    def name_room(chosen: list[ColumnSpec]) -> int:
        fixed = sum(spec.width for spec in chosen if spec.width)
        return width - fixed - (len(chosen) - 1)

    chosen = [spec for spec in specs if spec.priority >= FIRST_PRIORITY]
    for spec in sorted(specs, key=lambda spec: -spec.priority):
        if spec.priority < FIRST_PRIORITY and name_room([*chosen, spec]) >= NAME_WANTED:
            chosen.append(spec)
    while name_room(chosen) < NAME_MIN_WIDTH:
        droppable = [spec for spec in chosen if spec.priority < KEPT_PRIORITY]
        if not droppable:
            break
        chosen.remove(min(droppable, key=lambda spec: spec.priority))
    chosen.sort(key=specs.index)
    name_width = max(1, name_room(chosen))
    return [(spec, spec.width or name_width) for spec in chosen]


class JobTable(ScrollView, can_focus=True):
    """A virtual, sortable job list over a `JobIndex`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="table.up", tooltip="Move up a row"),
        Binding(
            "down,j",
            "cursor_down",
            "Down",
            show=False,
            id="table.down",
            tooltip="Move down a row",
        ),
        Binding(
            "pageup,ctrl+b",
            "page_up",
            "Page up",
            show=False,
            id="table.page_up",
            tooltip="Move up a page",
        ),
        Binding(
            "pagedown,ctrl+f",
            "page_down",
            "Page down",
            show=False,
            id="table.page_down",
            tooltip="Move down a page",
        ),
        Binding(
            "home,g",
            "first",
            "First row",
            show=False,
            id="table.first",
            tooltip="Go to the first row",
        ),
        Binding(
            "end,G", "last", "Last row", show=False, id="table.last", tooltip="Go to the last row"
        ),
        Binding("enter", "select", "Open", id="table.open", tooltip="Open the job's detail"),
        Binding(
            "a",
            "toggle_times",
            "Times",
            show=False,
            id="table.times",
            tooltip="Show ages (3m) or absolute local times (14:03:27)",
        ),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "jobtable--header",
        "jobtable--sorted",
        "jobtable--cursor",
        "jobtable--flash",
        "jobtable--stale",
        "jobtable--stale-mark",
        "jobtable--queued",
        "jobtable--running",
        "jobtable--succeeded",
        "jobtable--failed",
        "jobtable--canceled",
        "jobtable--unknown",
        "jobtable--empty",
    }

    DEFAULT_CSS = """
    JobTable {
        overflow-x: hidden;
        overflow-y: auto;
        height: 1fr;
    }
    """

    cursor_row: reactive[int] = reactive(0, repaint=False, init=False)
    """The visible row the cursor is on; whoever moves it repaints (when anything shows it)."""

    class JobSelected(Message):
        """Enter (or a double click) on a job."""

        def __init__(self, table: JobTable, job: Job) -> None:
            super().__init__()
            self.table = table
            self.job = job

        @property
        def control(self) -> JobTable:
            """The table."""
            return self.table

    class JobHighlighted(Message):
        """The cursor moved onto a job."""

        def __init__(self, table: JobTable, job: Job | None) -> None:
            super().__init__()
            self.table = table
            self.job = job

        @property
        def control(self) -> JobTable:
            """The table."""
            return self.table

    class TimesToggled(Message):
        """The Age column switched between ages and absolute times (its header too)."""

    class HeaderClicked(Message):
        """A column header was clicked (the screen decides how to sort)."""

        def __init__(self, table: JobTable, column: Column) -> None:
            super().__init__()
            self.table = table
            self.column = column

        @property
        def control(self) -> JobTable:
            """The table."""
            return self.table

    def __init__(
        self,
        index: JobIndex,
        *,
        clock: Clock = utc_now,
        empty_text: str = "No jobs",
        name: str | None = None,
        id: str | None = None,  # noqa: A002
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.index = index
        self.clock = clock
        self.show_account = True
        self.empty_text = empty_text
        self.source_labels: Mapping[str, str] = {}
        """Each source's short label, shown when the table is narrower than `NARROW_WIDTH`
        (see `tui.formatting.short_labels`)."""
        self.stale_accounts: frozenset[str] = frozenset()
        """Sources whose rows are old data (drawn dimmed)."""
        self.tracked: frozenset[JobKey] = frozenset()
        """Jobs tracked by id (marked before their name); see `set_tracked`."""
        self.stuck: frozenset[JobKey] = frozenset()
        """Running jobs past their kind's typical run time (their state reads `⧗ stuck`)."""
        self._cursor_key: JobKey | None = None
        self._placed = False
        """The user moved the cursor (keys or a click) or opened its job: from then on it
        follows its job; before, it stays on the top row as rows arrive (it is on no job
        the user chose)."""
        self._flash: dict[JobKey, float] = {}
        self.absolute_times = False
        """The Age column shows local times of creation instead of ages."""
        self._layout: list[tuple[ColumnSpec, int]] = []
        self._layout_for: tuple[object, ...] = ()
        self._now: datetime = clock()
        self._widths: tuple[tuple[Column, int], ...] = ()
        """What the content on screen needs per column (see `_measure_widths`)."""
        self._styles: dict[tuple[str, bool, bool, bool], tuple[Style, Style]] = {}
        self._mark: Style | None = None
        self._strips: dict[tuple[object, ...], Strip] = {}
        self._base_style: Style | None = None
        self._painted: tuple[object, ...] | None = None
        """`_window_state()` at the last paint."""
        """`rich_style`, which walks the ancestors' CSS on every call: kept until styles change."""

    # --- data -----------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        """Visible rows."""
        return self.index.row_count()

    @property
    def cursor_key(self) -> JobKey | None:
        """The key of the job under the cursor."""
        return self._cursor_key

    @property
    def cursor_job(self) -> Job | None:
        """The job under the cursor, if any."""
        if self._cursor_key is None:
            return None
        row = self.cursor_row
        if 0 <= row < self.index.rows_upto(row + 1):
            job = self.index[row]
            if (job.account, job.id) == self._cursor_key:
                return job
        return self.index.get(self._cursor_key)

    def rows_changed(
        self, flash: Iterable[JobKey] = (), refiltered: bool = False, top: bool = False
    ) -> None:
        """Re-read the index after its data, sort or filter changed.

        Until the user moves it, the cursor stays on the top row. Then it follows its job.
        If a refresh removed that job, the cursor stays at the
        same row number; if a new filter leaves it out, the cursor goes to the first row
        (as in k9s, and without looking through the listing down to the old row number).
        Only rows on screen are repainted.

        Args:
            flash: Keys of jobs that changed, highlighted briefly.
            refiltered: The filter changed (not the data).
            top: Show the first rows, the cursor on the first (a new sort order).
        """
        index = self.index
        now = self.clock()
        if now != self._now:
            self._now = now
            self._strips.clear()
        row = 0 if top or not self._placed else None
        if row is None and self._cursor_key is not None:
            row = index.position(self._cursor_key, hint=self.cursor_row)
        if row is None and refiltered:
            row = 0
        elif row is None:
            row = min(self.cursor_row, max(0, index.rows_upto(self.cursor_row + 1) - 1))
        # While a filter's listing is still being finished (the rows on screen and the
        # cursor's are found), the scrollbar follows an estimate: `listing_finished` then.
        self._set_virtual_height(index.row_estimate() + 1)
        flash_keys = list(flash)
        if flash_keys:
            until = monotonic() + FLASH_SECONDS
            for key in flash_keys:
                self._flash[key] = until
            self.set_timer(FLASH_SECONDS + 0.05, self._end_flash)
        # Scroll only when the cursor moved: a refresh must not pull back a view that
        # was scrolled away from the cursor with the mouse wheel.
        moved = row != self.cursor_row or self._cursor_key != self._key_at(row)
        self._set_cursor(row, scroll=moved or top)
        self._widths = self._measure_widths()
        if flash_keys or self._window_state() != self._painted:
            self.refresh()
        # else: the rows on screen, the cursor and the header are what is painted already
        # (typing a search that every visible job still matches): only counts change.

    def listing_finished(self) -> None:
        """The filtered listing is complete: set the scrollbar from its exact length.

        The rows on screen and the cursor were final already, so neither moves.
        """
        self._set_virtual_height(self.index.row_count() + 1)

    def _key_at(self, row: int) -> JobKey | None:
        return self.index.key_at(row) if 0 <= row < self.index.rows_upto(row + 1) else None

    def _window_state(self) -> tuple[object, ...]:
        """Everything the visible lines are drawn from, to tell whether a repaint is needed."""
        index = self.index
        top = int(self.scroll_y)
        end = index.rows_upto(top + max(1, self.size.height))
        return (
            top,
            self.cursor_row,
            self._cursor_key,
            tuple(index[row] for row in range(top, end)),
            frozenset(self._flash),
            self._now,
            self._widths,
            self.absolute_times,
            self.show_account,
            self.stale_accounts,
            self.tracked,
            index.sort_column,
            index.descending,
            self.empty_text,
            self.size,
        )

    def render_lines(self, crop: Region) -> list[Strip]:
        """Paint, and remember what the painted lines were drawn from."""
        self._painted = self._window_state()
        return super().render_lines(crop)

    def _set_virtual_height(self, height: int) -> None:
        """Set the scrollable height without a screen layout when the scrollbar stays.

        `virtual_size` is a layout reactive: every change re-arranges the whole screen,
        which a filter keystroke at 100,000 rows cannot afford. Only showing or hiding the
        scrollbar changes the layout; otherwise the scrollbar is updated in place.
        """
        size = Size(self.size.width, height)
        if size == self.virtual_size:
            return
        window = self.container_size.height
        bar_before = self.virtual_size.height > window
        if not window or bar_before != (height > window) or size.width != self.virtual_size.width:
            self.virtual_size = size
            return
        self.set_reactive(JobTable.virtual_size, size)
        self._scroll_update(size)  # what Textual runs after a layout: scrollbar and clamp

    def _measure_widths(self) -> tuple[tuple[Column, int], ...]:
        """The cells each column's content needs: its header, and the values of the rows
        on screen (the state column: every state the sources hold, so it does not change
        width while scrolling). Each column's own width in `COLUMNS` caps it."""
        index = self.index
        top = int(self.scroll_y)
        jobs = [index[row] for row in range(top, index.rows_upto(top + max(1, self.size.height)))]
        sort_column = index.sort_column
        states = [state for state, count in index.counts().items() if count] or [JobState.QUEUED]
        values: dict[Column, list[str]] = {
            Column.STATE: [state_label(state) for state in states],
            Column.ACCOUNT: [self._source_text(job.account) for job in jobs],
            Column.STATUS: [_plain(job.status) for job in jobs],
            Column.AGE: [self._age_text(job) for job in jobs],
            Column.DURATION: [self._cell_text(job, Column.DURATION, 0) for job in jobs],
        }
        widths: list[tuple[Column, int]] = []
        for spec in COLUMNS:
            texts = values.get(spec.column)
            if texts is None:
                continue
            label = self._label(spec)
            header = cell_len(label) + (SORT_ARROW_CELLS if spec.column == sort_column else 0)
            widest = max(map(cell_len, texts), default=0)
            if spec.column == Column.STATE:
                widest += GLYPH_SLACK
                if any(job.account in self.stale_accounts for job in jobs):
                    widest += len(STALE_MARK)
            widths.append((spec.column, max(header, widest)))
        return tuple(widths)

    def _label(self, spec: ColumnSpec) -> str:
        if spec.column == Column.AGE and self.absolute_times:
            return CREATED_LABEL
        return spec.label

    def column_name(self, column: Column) -> str:
        """A column's name as its header shows it now (Age reads Created while the column
        shows absolute times)."""
        return self._label(next(spec for spec in COLUMNS if spec.column == column))

    def shown_columns(self) -> list[Column]:
        """The columns on screen, in display order (a narrow table drops some)."""
        return [spec.column for spec, _ in self._columns()]

    def _end_flash(self) -> None:
        now = monotonic()
        expired = [key for key, until in self._flash.items() if until <= now]
        for key in expired:
            del self._flash[key]
        if expired:
            self.refresh()

    def tick(self) -> None:
        """Repaint relative ages (called every few seconds, not every frame)."""
        now = self.clock()
        if now != self._now:
            self._now = now
            self._strips.clear()
            self._widths = self._measure_widths()
            self.refresh()

    def set_tracked(self, tracked: frozenset[JobKey]) -> None:
        """Mark these jobs as tracked (repaints when the set changed)."""
        if tracked != self.tracked:
            self.tracked = tracked
            self.refresh()

    def action_toggle_times(self) -> None:
        """Switch the Age column between ages and absolute local times."""
        self.absolute_times = not self.absolute_times
        self._strips.clear()
        self._widths = self._measure_widths()
        self.refresh()
        self.post_message(self.TimesToggled())

    # --- cursor -----------------------------------------------------------------------

    def _set_cursor(self, row: int, scroll: bool = True) -> None:
        count = self.index.rows_upto(max(0, row) + 1)
        row = max(0, min(row, count - 1)) if count else 0
        old = (self._cursor_key, self.cursor_row)
        self._cursor_key = self.index.key_at(row) if count else None
        self.cursor_row = row
        if scroll:
            self._scroll_cursor_into_view()
        if old != (self._cursor_key, self.cursor_row):
            # The screen keeps its toasts off the cursor's row.
            self.post_message(self.JobHighlighted(self, self.cursor_job))

    def move_cursor(self, row: int) -> None:
        """Put the cursor on a visible row (the user's choice: it follows its job from now)."""
        self._placed = True
        self._set_cursor(row)
        self.refresh()

    def _body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_cursor_into_view(self) -> None:
        body = self._body_height()
        top = int(self.scroll_y)
        row = self.cursor_row
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + body:
            self.scroll_to(y=row - body + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        """Move up a row."""
        self.move_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        """Move down a row."""
        self.move_cursor(self.cursor_row + 1)

    def action_page_up(self) -> None:
        """Move up a page."""
        self.move_cursor(self.cursor_row - self._body_height())

    def action_page_down(self) -> None:
        """Move down a page."""
        self.move_cursor(self.cursor_row + self._body_height())

    def action_first(self) -> None:
        """Go to the first row."""
        self.move_cursor(0)

    def action_last(self) -> None:
        """Go to the last row."""
        self.move_cursor(self.index.row_count() - 1)

    def action_select(self) -> None:
        """Ask to open the job under the cursor (a choice: the cursor follows it from now)."""
        job = self.cursor_job
        if job is not None:
            self._placed = True
            self.post_message(self.JobSelected(self, job))

    # --- mouse ------------------------------------------------------------------------

    def column_at(self, x: int) -> Column | None:
        """The column under cell `x` of the header."""
        left = 0
        for spec, width in self._columns():
            if left <= x < left + width + 1:
                return spec.column
            left += width + 1
        return None

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        event.stop()
        if offset.y == 0:
            column = self.column_at(offset.x)
            if column is not None:
                self.post_message(self.HeaderClicked(self, column))
            return
        row = int(self.scroll_y) + offset.y - 1
        if 0 <= row < self.index.rows_upto(row + 1):
            self.move_cursor(row)
            if event.chain >= 2:
                self.action_select()

    # --- rendering --------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base_style = None
        self._painted = None
        self._styles.clear()
        self._mark = None
        self._strips.clear()
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        """Keep the virtual width equal to the real one (no horizontal scrolling)."""
        self.virtual_size = Size(event.size.width, self.index.row_estimate() + 1)
        self._scroll_cursor_into_view()
        self._widths = self._measure_widths()  # sources read short below `NARROW_WIDTH`

    def _columns(self) -> list[tuple[ColumnSpec, int]]:
        width = self.scrollable_content_region.width
        key = (width, self.show_account, self._widths)
        if key != self._layout_for:
            self._layout = layout_columns(width, self.show_account, dict(self._widths))
            self._layout_for = key
        return self._layout

    def render_line(self, y: int) -> Strip:
        """One line: the header at y=0, else the job at that scrolled row."""
        width = self.scrollable_content_region.width
        base = self._base_style
        if base is None:
            base = self._base_style = self.rich_style
        if y == 0:
            return self._render_header(width, base)
        row = int(self.scroll_y) + y - 1
        count = self.index.rows_upto(row + 1)
        if row >= count:
            if count == 0 and y == 1:
                style = base + self.get_component_rich_style("jobtable--empty")
                return Strip([Segment(set_cell_size(self.empty_text, width), style)], width)
            return Strip.blank(width, base)
        job = self.index[row]
        return self._render_row(job, row, width, base)

    def _render_header(self, width: int, base: Style) -> Strip:
        header = base + self.get_component_rich_style("jobtable--header")
        sorted_style = header + self.get_component_rich_style("jobtable--sorted")
        segments: list[Segment] = []
        sort_column = self.index.sort_column
        arrow = "▼" if self.index.descending else "▲"
        for position, (spec, col_width) in enumerate(self._columns()):
            label = self._label(spec)
            is_sorted = spec.column == sort_column
            if is_sorted:
                label = f"{label} {arrow}"
            text = _fit(label, col_width, spec.align_right and not is_sorted)
            segments.append(Segment(text, sorted_style if is_sorted else header))
            if position:
                segments.insert(-1, Segment(" ", header))
        used = sum(segment.cell_length for segment in segments)
        if used < width:
            segments.append(Segment(" " * (width - used), header))
        return Strip(segments, width).crop(0, width)

    def _row_styles(
        self, state: JobState, stale: bool, flash: bool, cursor: bool
    ) -> tuple[Style, Style]:
        """(row style, state cell style), combined once per flag set and theme."""
        key = (state.value, stale, flash, cursor)
        styles = self._styles.get(key)
        if styles is None:
            style = self.rich_style
            if stale:
                style += self.get_component_rich_style("jobtable--stale")
            if flash:
                style += self.get_component_rich_style("jobtable--flash")
            if cursor:
                style += self.get_component_rich_style("jobtable--cursor")
            # Partial: the state sets the colour only, so the state cell keeps the row's
            # cursor or flash background.
            colour = self.get_component_rich_style(f"jobtable--{state.value}", partial=True)
            state_style = style + colour
            styles = (style, state_style)
            self._styles[key] = styles
        return styles

    def _mark_colour(self) -> Style:
        """The stale mark's colour (partial: the row keeps its cursor or flash background)."""
        if self._mark is None:
            self._mark = self.get_component_rich_style("jobtable--stale-mark", partial=True)
        return self._mark

    def _render_row(self, job: Job, row: int, width: int, base: Style) -> Strip:
        key = (job.account, job.id)
        stale = job.account in self.stale_accounts
        flash = key in self._flash
        cursor = row == self.cursor_row and self._cursor_key == key
        tracked = key in self.tracked
        stuck = key in self.stuck
        cache_key = (
            id(job),
            job,
            stale,
            flash,
            cursor,
            tracked,
            stuck,
            width,
            self.show_account,
            self._widths,
            self.absolute_times,
        )
        strip = self._strips.get(cache_key)
        if strip is not None:
            return strip
        style, state_style = self._row_styles(job.state, stale, flash, cursor)
        # Cells of one style are joined into one segment (two or three per row, not
        # sixteen): every segment costs again in Textual's line pipeline on each paint.
        segments: list[Segment] = []
        run: list[str] = []
        run_style = style
        for position, (spec, col_width) in enumerate(self._columns()):
            cell_style = state_style if spec.column == Column.STATE else style
            if cell_style is not run_style:
                if run:
                    segments.append(Segment("".join(run), run_style))
                run, run_style = [], cell_style
            if position:
                run.append(" ")
            text = self._cell_text(job, spec.column, col_width)
            if stuck and spec.column == Column.STATE:
                text = STUCK_LABEL
            if tracked and spec.column == Column.NAME:
                text = f"{TRACKED_MARK} {text}"
            if stale and spec.column == Column.STATE and col_width > len(STALE_MARK):
                # The mark after the state, in its own colour: old data reads as old
                # without telling two greys apart.
                run.append(_fit(text, col_width - len(STALE_MARK)))
                segments.append(Segment("".join(run), run_style))
                mark_style = style + self._mark_colour()
                segments.append(Segment(STALE_MARK, mark_style))
                run, run_style = [], mark_style
                continue
            run.append(_fit(text, col_width, spec.align_right))
        segments.append(Segment("".join(run), run_style))
        used = sum(segment.cell_length for segment in segments)
        if used < width:
            segments.append(Segment(" " * (width - used), style))
        strip = Strip(segments, width).crop(0, width) if used > width else Strip(segments, width)
        if len(self._strips) > STRIP_CACHE_LIMIT:
            self._strips.clear()
        self._strips[cache_key] = strip
        return strip

    def _cell_text(self, job: Job, column: Column, width: int) -> str:
        if column == Column.STATE:
            return state_label(job.state)
        if column == Column.ACCOUNT:
            return self._source_text(job.account)
        if column == Column.ID:
            return short_id(_plain(job.id), width)
        if column == Column.NAME:
            name = _plain(job.name)
            if job.state == JobState.FAILED and job.error:
                name = f"{name} — {_plain(job.error[:300])}"
            return name
        if column == Column.STATUS:
            return _plain(job.status)
        if column == Column.AGE:
            return self._age_text(job)
        if column == Column.DURATION:
            return fmt_duration(job.duration_seconds(self._now))
        if column == Column.PROGRESS:
            return fmt_progress(job.progress, width)
        return ""

    def _source_text(self, account: str) -> str:
        """A row's source: its short label when the table is narrow."""
        if self.scrollable_content_region.width < NARROW_WIDTH:
            return _crop(_plain(self.source_labels.get(account, account)), SHORT_SOURCE_WIDTH)
        return _plain(account)

    def _age_text(self, job: Job) -> str:
        if self.absolute_times:
            return fmt_local_time(job.created_at, self._now)
        return compact_age(job.age_seconds(self._now))


def _plain(text: str) -> str:
    """Server text made safe for one cell: cleaned again and on one line."""
    return one_line(clean(text, 1_000))


def _crop(text: str, width: int) -> str:
    """`text` in at most `width` cells, cut with an ellipsis."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1) + "…"


def _fit(text: str, width: int, align_right: bool = False) -> str:
    """Crop (with an ellipsis) or pad `text` to exactly `width` cells."""
    if width <= 0:
        return ""
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else "…"
    if align_right:
        return " " * (width - length) + text
    return text + " " * (width - length)
