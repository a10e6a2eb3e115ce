"""Screens of jobtop."""

from __future__ import annotations

__all__ = ["HelpScreen", "JobsScreen"]

from tui.screens.help import HelpScreen
from tui.screens.jobs import JobsScreen
