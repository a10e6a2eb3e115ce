"""Widgets of jobtop."""

from __future__ import annotations

__all__ = ["FilterPanel", "JobTable", "SourceBar"]

from tui.widgets.filter_panel import FilterPanel
from tui.widgets.job_table import JobTable
from tui.widgets.source_bar import SourceBar
