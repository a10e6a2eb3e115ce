"""The headless sync engine: schedule, poll policy, refresh, health, since-last-open summary.

Textual-free: the dashboard, the detail screen's poll and the CLI's `list` and `watch` all
poll through it, and it runs with no UI at all.
"""

from tui.sync.engine import SyncEngine
from tui.sync.events import JobsChanged, RefreshFailed, RefreshStarted, SummaryReady, SyncEvent
from tui.sync.health import Health, SourceHealth
from tui.sync.policy import RefreshPolicy
from tui.sync.schedule import RealTicker, Schedule, Ticker
from tui.sync.source import SourceSync, ViewQuery

__all__ = [
    "Health",
    "JobsChanged",
    "RealTicker",
    "RefreshFailed",
    "RefreshPolicy",
    "RefreshStarted",
    "Schedule",
    "SourceHealth",
    "SourceSync",
    "SummaryReady",
    "SyncEngine",
    "SyncEvent",
    "Ticker",
    "ViewQuery",
]
