"""Option lists that survive a terminal too narrow to hold one cell of text.

Textual 8.2.8's `OptionList` (and `SelectionList`, built on it) asks Rich to wrap each
option into `width - padding` cells; when that is zero, Rich's `chop_cells` raises
`ValueError: range() arg 3 must not be zero` and the app crashes on a resize to a
1-3 column terminal. These subclasses never wrap into fewer than one cell.
"""

from __future__ import annotations

from typing import Generic

from textual.geometry import Size
from textual.widgets import OptionList, SelectionList
from textual.widgets.selection_list import SelectionType


def _padding_width(option_list: OptionList) -> int:
    return option_list.get_component_styles("option-list--option").padding.width


def _usable_width(option_list: OptionList) -> int:
    return (
        option_list.scrollable_content_region.width
        - option_list._get_left_gutter_width()
        - _padding_width(option_list)
    )


class SafeOptionList(OptionList):
    """`OptionList` that does not crash at widths of 0-3 cells."""

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return super().get_content_height(container, viewport, max(width, _padding_width(self) + 1))

    def _update_lines(self) -> None:
        if _usable_width(self) < 1:
            return  # nothing fits; the lines are rebuilt on the next resize
        super()._update_lines()


class SafeSelectionList(SelectionList[SelectionType], Generic[SelectionType]):
    """`SelectionList` that does not crash at widths of 0-3 cells."""

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return super().get_content_height(container, viewport, max(width, _padding_width(self) + 1))

    def _update_lines(self) -> None:
        if _usable_width(self) < 1:
            return  # nothing fits; the lines are rebuilt on the next resize
        super()._update_lines()
