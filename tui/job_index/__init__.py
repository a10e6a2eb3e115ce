"""A sorted, filtered index over every job the dashboard knows, free of Textual.

The table asks the index for "the n-th visible row" and nothing else, so showing 100,000
jobs costs one sort and one filter pass, never one widget per row. The parts:

- `search`: the `/` search language and its matching on jobs' search texts;
- `filters`: which jobs are visible (`JobFilter`, `StatusChoice`) and the value tests;
- `listing`: the rows one sort and filter show, found a slice at a time, and the block
  search over the whole listing (one test per block of rows, single rows only inside
  the blocks that match);
- `index`: `JobIndex`, the jobs in slots with their cached sort orders and listings.
"""

from __future__ import annotations

from tui.job_index.filters import JobFilter, JobKey, StatusChoice
from tui.job_index.index import Column, IndexChanges, JobIndex, PendingUpdate, PreparedIndex
from tui.job_index.search import (
    SEARCH_FIELDS,
    SearchQuery,
    SearchTerm,
    parse_search,
    search_count,
    search_fields,
    search_text,
)

__all__ = [
    "SEARCH_FIELDS",
    "Column",
    "IndexChanges",
    "JobFilter",
    "JobIndex",
    "JobKey",
    "PendingUpdate",
    "PreparedIndex",
    "SearchQuery",
    "SearchTerm",
    "StatusChoice",
    "parse_search",
    "search_count",
    "search_fields",
    "search_text",
]
