"""The jobs screen's sort key `s`: the next column on screen, the first after the last."""

from __future__ import annotations

from tui.job_index.index import Column
from tui.screens.jobs_keys import FIRST_DESCENDING, SORT_CYCLE, next_sort, sort_columns


def test_s_steps_right_through_the_columns_on_screen_and_wraps() -> None:
    shown = list(SORT_CYCLE)
    steps = [SORT_CYCLE[0]]
    for _ in SORT_CYCLE:
        column, descending = next_sort(steps[-1], shown)
        assert descending == (column in FIRST_DESCENDING)
        steps.append(column)
    assert steps == [*SORT_CYCLE, SORT_CYCLE[0]]


def test_a_column_not_on_screen_is_skipped() -> None:
    narrow = [SORT_CYCLE[0], SORT_CYCLE[2]]
    assert next_sort(SORT_CYCLE[0], narrow)[0] == SORT_CYCLE[2]
    assert next_sort(SORT_CYCLE[1], narrow)[0] == SORT_CYCLE[2]  # sorted by a hidden one
    assert next_sort(SORT_CYCLE[2], narrow)[0] == SORT_CYCLE[0]
    # Nothing known on screen yet: every column is in the cycle.
    assert next_sort(Column.AGE, []) == (Column.DURATION, True)
    assert next_sort(Column.PROGRESS, []) == (Column.STATE, False)


def test_every_column_is_offered_by_its_key_and_header_name() -> None:
    offered = sort_columns()
    assert [key for key, _ in offered] == [column.value for column in SORT_CYCLE]
    assert all(name for _, name in offered)
