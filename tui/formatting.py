"""Pure formatters for the UI: ages, durations, sizes, progress, ids and state glyphs.

Every `fmt_*` helper takes whatever a provider handed over (None, NaN, inf, a huge
number, a naive or future datetime, even a string) and returns a short string, never
raising: humanize itself raises on NaN (ValueError), None (TypeError) and huge values
(OverflowError), docs/design.md §2. No Textual here.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

import humanize
from rich.cells import cell_len, set_cell_size

from tui.models import JobState
from tui.sanitize import one_line

MISSING = "—"
"""What a cell shows when there is no value."""

_MAX_SECONDS = 100 * 365 * 86_400.0
"""Anything longer than a century is nonsense from a server, shown as missing."""

STATE_GLYPHS: dict[JobState, str] = {
    JobState.QUEUED: "◌",
    JobState.RUNNING: "▶",
    JobState.SUCCEEDED: "✔",
    JobState.FAILED: "✖",
    JobState.CANCELED: "⊘",
    JobState.UNKNOWN: "?",
}
"""One distinct glyph per state, so the state reads without colour (NO_COLOR)."""

STATE_ORDER: dict[JobState, int] = {
    JobState.FAILED: 0,
    JobState.RUNNING: 1,
    JobState.QUEUED: 2,
    JobState.UNKNOWN: 3,
    JobState.CANCELED: 4,
    JobState.SUCCEEDED: 5,
}
"""Sort rank of states: what needs attention first."""


def _seconds(value: object) -> float | None:
    """A finite, bounded number of seconds, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    if not math.isfinite(number) or abs(number) > _MAX_SECONDS:
        return None
    return number


def _aware(moment: object) -> datetime | None:
    if not isinstance(moment, datetime):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def elapsed_seconds(start: object, end: object) -> float | None:
    """Seconds from `start` to `end` (datetimes), or None if either is missing."""
    first, last = _aware(start), _aware(end)
    if first is None or last is None:
        return None
    try:
        return (last - first).total_seconds()
    except OverflowError:
        return None


def fmt_duration(seconds: object) -> str:
    """A compact duration: `45s`, `3m 07s`, `2h 05m`, `4d 03h`; negative counts as 0.

    Args:
        seconds: Any value; non-numbers, NaN, inf and absurd values give `—`.
    """
    value = _seconds(seconds)
    if value is None:
        return MISSING
    total = int(max(0.0, value))
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def fmt_interval(seconds: float) -> str:
    """A refresh interval: `fmt_duration`, with tenths under a second (`0.5s`, not `0s`)."""
    if 0 < seconds < 1:
        return f"{seconds:.1f}s"
    return fmt_duration(seconds)


def fmt_age(moment: object, now: datetime) -> str:
    """How long ago `moment` was, humanized (`4 minutes`), or a date past one day.

    A moment in the future (server clock ahead of ours) reads `just now`. Naive
    datetimes are taken as UTC.
    """
    when = _aware(moment)
    if when is None:
        return MISSING
    delta = elapsed_seconds(when, now)
    if delta is None:
        return MISSING
    if delta < 1:
        return "just now"
    if delta < 86_400:
        try:
            return str(humanize.naturaldelta(delta))
        except (ValueError, TypeError, OverflowError):
            return MISSING
    return fmt_date(when, now)


_AGE_UNITS = (("y", 365 * 86_400), ("d", 86_400), ("h", 3_600), ("m", 60))


def compact_age(seconds: object) -> str:
    """An age in at most four cells, as k9s shows it: `45s`, `3m`, `2h`, `4d`, `3y`.

    Whole units, rounded down; a negative age (a server clock ahead of ours) is `0s`.

    Args:
        seconds: Any value; non-numbers, NaN, inf and absurd values give `—`.
    """
    value = _seconds(seconds)
    if value is None:
        return MISSING
    total = int(max(0.0, value))
    for suffix, size in _AGE_UNITS:
        if total >= size:
            return f"{total // size}{suffix}"
    return f"{total}s"


def fmt_local_time(moment: object, now: datetime, zone: tzinfo | None = None) -> str:
    """An absolute local time: `14:03:27` today, `Nov 20 14:03` this year, else `2025-11-20`.

    Args:
        moment: The time to show; naive datetimes are taken as UTC.
        now: Decides "today" and "this year" (in the same zone).
        zone: The zone to show it in; None is the system's local zone.
    """
    when, current = _aware(moment), _aware(now)
    if when is None or current is None:
        return MISSING
    try:
        when, current = when.astimezone(zone), current.astimezone(zone)
    except (OverflowError, ValueError, OSError):
        return MISSING
    if when.date() == current.date():
        return when.strftime("%H:%M:%S")
    if when.year == current.year:
        return when.strftime("%b %d %H:%M")
    return f"{when.year:04d}-{when.month:02d}-{when.day:02d}"


def fmt_ago(moment: object, now: datetime) -> str:
    """When `moment` was, as a phrase: `3 hours ago`, `just now`, or a date past one day."""
    age = fmt_age(moment, now)
    delta = elapsed_seconds(moment, now)
    if age in (MISSING, "just now") or delta is None or delta >= 86_400:
        return age
    return f"{age} ago"


def fmt_date(moment: object, now: datetime | None = None) -> str:
    """An absolute UTC time: `Nov 20 14:03` this year, `2025-11-20` before."""
    when = _aware(moment)
    if when is None:
        return MISSING
    try:
        when = when.astimezone(UTC)
    except (OverflowError, ValueError):
        return MISSING
    if now is not None and when.year == now.year:
        return when.strftime("%b %d %H:%M")
    return f"{when.year:04d}-{when.month:02d}-{when.day:02d}"


def fmt_timestamp(moment: object) -> str:
    """A full UTC timestamp, `2026-11-22 12:34:56Z`, or `—`."""
    when = _aware(moment)
    if when is None:
        return MISSING
    try:
        when = when.astimezone(UTC)
    except (OverflowError, ValueError):
        return MISSING
    return f"{when.year:04d}-{when.month:02d}-{when.day:02d} {when:%H:%M:%S}Z"


def fmt_size(size: object) -> str:
    """A humanized byte size (`1.2 MB`), or `—` for anything that is not a sane number."""
    value = _seconds(size)
    if value is None or value < 0:
        return MISSING
    try:
        return str(humanize.naturalsize(value))
    except (ValueError, TypeError, OverflowError):
        return MISSING


def fmt_percent(fraction: object) -> str:
    """`42%` for 0.42; clamps into 0..100; `—` for non-numbers."""
    value = _seconds(fraction)
    if value is None:
        return MISSING
    return f"{round(min(1.0, max(0.0, value)) * 100):d}%"


_EIGHTHS = " ▏▎▍▌▋▊▉"


def fmt_progress(fraction: object, width: int = 10) -> str:
    """A progress bar with its percentage, `███▌   35%`, exactly `width` cells wide.

    Args:
        fraction: 0..1 (clamped); anything else gives `—` padded to the width.
        width: Total cells; the bar takes what the percentage leaves.
    """
    value = _seconds(fraction)
    width = max(0, width)
    if value is None:
        return MISSING.ljust(width)[:width] if width else ""
    value = min(1.0, max(0.0, value))
    percent = fmt_percent(value).rjust(4)
    bar_width = width - len(percent) - 1
    if bar_width < 2:
        return percent.rjust(width)[-width:] if width else ""
    eighths = round(value * bar_width * 8)
    full, partial = divmod(eighths, 8)
    bar = "█" * full + (_EIGHTHS[partial] if partial and full < bar_width else "")
    return f"{bar.ljust(bar_width)} {percent}"


def short_id(job_id: str, width: int = 8) -> str:
    """The id shortened for a table: the first `width` characters of a long id, with `…`."""
    text = one_line(job_id)
    if len(text) <= width:
        return text
    return text[: max(1, width - 1)] + "…"


def state_label(state: JobState) -> str:
    """Glyph and word, `✖ failed`."""
    return f"{STATE_GLYPHS.get(state, '?')} {state.value}"


_WORD_BREAK = re.compile(r"[-_.:/ ]")
"""What separates the words of a source's name (`demo-zoo`, `acme_prod`)."""


def short_labels(names: Sequence[str], width: int) -> dict[str, str]:
    """Each source's name in at most `width` cells, the sources still told apart.

    The words every name starts or ends with are left out (`demo-zoo` and `demo-hdrjpg`
    read `zoo` and `hdrjpg`); a name still too long is cut with `…`, or, when that would
    read like another's, keeps its start and its end (`acme…prod`).

    Args:
        names: Every source's name (cleaned, on one line).
        width: The most cells a label takes (at least 2).

    Returns:
        Each name's label.
    """
    width = max(2, width)
    distinct = list(dict.fromkeys(names))
    words = {name: name for name in distinct}
    if len(distinct) > 1:
        start = len(_shared_start(distinct))
        end = len(_shared_start([name[::-1] for name in distinct]))
        if all(start + end < len(name) for name in distinct):
            words = {name: name[start : len(name) - end] for name in distinct}
    labels = {name: _cut(word, width) for name, word in words.items()}
    read = Counter(labels.values())
    for name, label in labels.items():
        if read[label] > 1:
            labels[name] = _cut_middle(words[name], width)
    return labels


def _shared_start(names: Sequence[str]) -> str:
    """The whole words (each with the separator after it) every name starts with."""
    shared = os.path.commonprefix(list(names))
    breaks = [match.end() for match in _WORD_BREAK.finditer(shared)]
    return shared[: breaks[-1]] if breaks else ""


def _cut(text: str, width: int) -> str:
    """`text` in at most `width` cells, cut with `…`."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1) + "…"


def _cut_middle(text: str, width: int) -> str:
    """`text` in at most `width` cells, its middle replaced by `…`."""
    if cell_len(text) <= width:
        return text
    head = (width - 1) // 2
    tail = width - 1 - head
    end = text[-tail:] if tail else ""
    while cell_len(end) > tail:
        end = end[1:]
    return set_cell_size(text, head) + "…" + end
