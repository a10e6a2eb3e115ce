"""Where the jobs screen's toasts go: off the row under the cursor (`notices.toast_place`
says where), the newest first."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen

from tui.screens.notices import toast_place
from tui.widgets.job_table import JobTable


def place_toasts(screen: Screen[Any], table: JobTable, ordered: set[str]) -> set[str]:
    """Keep toasts off the row under the cursor: they stack on the side of the table with
    more room (below the cursor, or above it from the table's top), never taller than that
    room; the newest show when they do not all fit.

    `ordered` holds the toasts put newest first already (by id); returns the new set.
    """
    racks = screen.query("#textual-toastrack")
    if not racks:
        return ordered
    rack = racks.first()
    # Newest first: a stack taller than its room is cut at its far end, where the oldest
    # toasts are (new ones are mounted last, so each moves to the front once).
    holders = list(rack.children)
    for holder in holders:
        if holder.id is not None and holder.id not in ordered:
            rack.move_child(holder, before=0)
    body = table.scrollable_content_region
    cursor_y = body.y + 1 + table.cursor_row - int(table.scroll_y)
    place = toast_place(
        body.y, body.bottom, None if table.cursor_job is None else cursor_y, screen.size.height
    )
    rack.styles.dock = place.dock
    rack.styles.margin = (place.margin_top, 0, place.margin_bottom, 0)
    rack.styles.max_height = place.max_height
    return {holder.id for holder in holders if holder.id is not None}
