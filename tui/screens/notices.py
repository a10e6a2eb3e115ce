"""What the jobs screen tells in notifications, as plain `Notice` values (no Textual here).

The rules `n` cycles through, job endings coalesced into one notification, the newly stuck
jobs, a failing source, the since-last-open summary, and where the toasts go so they stay
off the cursor's row. The screen calls these from its handlers and shows what they return.
Every server string is cleaned and put on one line; a `Notice` is shown with markup off.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tui.formatting import STATE_ORDER, fmt_ago
from tui.models import Job, JobState, Transition
from tui.sanitize import clean, one_line
from tui.store import ChangeSummary, OpenMark
from tui.sync.dashboard import TrackChange
from tui.sync.typical import TypicalDurations

NOTIFY_RULES: tuple[tuple[str, frozenset[JobState]], ...] = (
    ("failures only", frozenset({JobState.FAILED})),
    ("failures and cancellations", frozenset({JobState.FAILED, JobState.CANCELED})),
    ("every job that ends", frozenset({JobState.FAILED, JobState.CANCELED, JobState.SUCCEEDED})),
    ("none", frozenset()),
)
"""What `n` cycles through: which job endings raise a notification (and ring the bell)."""

NAMES_PER_NOTIFICATION = 3
"""A notification summing up several jobs names this many of each state at most."""

Severity = Literal["information", "warning", "error"]
JobKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification: plain text (shown with markup off), and whether the bell rings."""

    message: str
    title: str = ""
    severity: Severity = "information"
    timeout: float | None = None
    """Seconds on screen; None: the app's default."""
    bell: bool = False


def source_label(account: str) -> str:
    """A source's name as shown in a sentence or a title: plain, on one line, capped."""
    return one_line(clean(account, 64))


def state_counts(counts: dict[JobState, int]) -> str:
    """`2 failed, 1 succeeded`: the states that need attention first."""
    ordered = sorted(counts.items(), key=lambda item: STATE_ORDER.get(item[0], 9))
    return ", ".join(f"{count:,} {state.value}" for state, count in ordered if count)


class Notices:
    """The screen's notifications: which endings to tell, and each one's words."""

    def __init__(
        self,
        job: Callable[[JobKey], Job | None],
        typical: TypicalDurations,
        *,
        states: frozenset[JobState],
        opened_at: datetime,
        bell: bool,
        accounts: Sequence[str],
    ) -> None:
        """`job` finds a known job by key (for its name); `opened_at` is when the screen
        started watching; `bell`: the config rings the terminal bell on failures."""
        self._job = job
        self._typical = typical
        self.states = states
        """Which job endings raise a notification (config `[notifications]`, then `n`)."""
        self._opened_at = opened_at
        self._bell = bell
        self._accounts = list(accounts)
        self._ended: list[Transition] = []
        """Job endings waiting to be told, in one notification."""
        self._stuck_told: set[JobKey] = set()
        """Stuck jobs already named in a notification (each is named once)."""

    # --- job endings ----------------------------------------------------------------

    def next_rule(self) -> Notice:
        """Notify of the next set of job endings (failures only, ..., none), and say so."""
        rules = [states for _, states in NOTIFY_RULES]
        position = rules.index(self.states) if self.states in rules else -1
        label, self.states = NOTIFY_RULES[(position + 1) % len(NOTIFY_RULES)]
        bell = " (and the bell)" if self._bell else ""
        return Notice(f"Notify of: {label}{bell}", title="Notifications", timeout=3)

    def queue(self, transitions: Sequence[Transition]) -> bool:
        """Queue the job endings the rules ask for; True when the queue was empty before
        (the caller then schedules `ended` once, so endings arriving meanwhile join it)."""
        wanted = self.states
        ended = [t for t in transitions if t.new_state in wanted and self._ended_now(t)]
        if not ended:
            return False
        first = not self._ended
        self._ended.extend(ended)
        return first

    def _ended_now(self, transition: Transition) -> bool:
        """True for a known job that ended, or a job first seen failed that failed while
        jobtop was open (between two refreshes); not an old failure a listing brings."""
        if transition.old_state is not None:
            return transition.new_state.is_terminal and transition.old_state != transition.new_state
        if transition.new_state != JobState.FAILED:
            return False
        job = self._job((transition.account, transition.job_id))
        finished = job.finished_at if job is not None else None
        return finished is not None and finished >= self._opened_at

    def ended(self) -> Notice | None:
        """One notification for the endings queued (and empties the queue): one job by
        name, or "12 jobs succeeded" (per state, failures first, a few named)."""
        ended, self._ended = self._ended, []
        if not ended:
            return None
        failed = any(t.new_state == JobState.FAILED for t in ended)
        severity: Severity = "error" if failed else "information"
        accounts = list(dict.fromkeys(t.account for t in ended))
        where = source_label(accounts[0]) if len(accounts) == 1 else f"{len(accounts)} sources"
        if len(ended) == 1:
            transition = ended[0]
            return Notice(
                f"{self._job_label(transition)}: {one_line(clean(transition.status, 80))}",
                title=f"{where}: job {transition.new_state.value}",
                severity=severity,
                bell=self._bell,
            )
        by_state: dict[JobState, list[Transition]] = {}
        for transition in ended:
            by_state.setdefault(transition.new_state, []).append(transition)
        counts = {state: len(items) for state, items in by_state.items()}
        if len(by_state) == 1:
            title = f"{where}: {len(ended):,} jobs {ended[0].new_state.value}"
        else:
            title = f"{where}: {len(ended):,} jobs ended ({state_counts(counts)})"
        lines = []
        for state in sorted(by_state, key=lambda s: STATE_ORDER.get(s, 9)):
            items = by_state[state]
            names = [self._job_label(t) for t in items[:NAMES_PER_NOTIFICATION]]
            more = len(items) - len(names)
            rest = f" and {more:,} more" if more > 0 else ""
            lines.append(f"{len(items):,} {state.value}: " + ", ".join(names) + rest)
        return Notice("\n".join(lines), title=title, severity=severity, bell=self._bell)

    def _job_label(self, transition: Transition) -> str:
        """`name (id)` of a job in a notification, plain and on one line."""
        job = self._job((transition.account, transition.job_id))
        job_id = one_line(clean(transition.job_id, 120))
        if job is None or not job.name:
            return job_id
        return f"{one_line(clean(job.name, 120))} ({job_id})"

    # --- stuck jobs and failing sources ---------------------------------------------

    def stuck(self, every: frozenset[JobKey]) -> Notice | None:
        """Name the jobs of `every` (all the stuck ones now) not named before, if any became
        stuck while the screen watched: those already past their kind's run times at start
        are marked and counted, not announced."""
        new = [key for key in sorted(every) if key not in self._stuck_told]
        self._stuck_told.update(new)
        jobs = [job for job in map(self._job, new) if job is not None and self._stuck_later(job)]
        if not jobs:
            return None
        names = ", ".join(f"{one_line(clean(job.name, 40))} ({job.account})" for job in jobs[:3])
        more = f" and {len(jobs) - 3} more" if len(jobs) > 3 else ""
        return Notice(
            f"⧗ {len(jobs)} running {'job' if len(jobs) == 1 else 'jobs'} past the typical "
            f"run time: {names}{more}. {self._typical.stuck_note(jobs[0])}.",
            title="Stuck",
            severity="warning",
        )

    def _stuck_later(self, job: Job) -> bool:
        """True for a job that passed its kind's typical run time (or its phase's) after the
        screen opened."""
        since = self._typical.stuck_since(job)
        return since is not None and since[0] >= self._opened_at

    # --- tracked ids ----------------------------------------------------------------

    @staticmethod
    def tracking(change: TrackChange) -> Notice:
        """What `t` or `u` did to an id, or why the store refused."""
        shown = one_line(clean(change.job_id, 200))
        where = source_label(change.account)
        if change.error is not None:
            verb = "tracked" if change.track else "untracked"
            message = f"{shown} could not be {verb}: {change.error.message}"
            return Notice(message, title="Store", severity="error", timeout=10)
        if not change.track:
            return Notice(f"No longer tracking {shown} on {where}", timeout=4)
        verb = "Tracking" if change.changed else "Already tracking"
        return Notice(f"{verb} {shown} on {where}", timeout=4)

    @staticmethod
    def not_untracked(account: str, job_id: str, by_config: bool) -> Notice:
        """Why `u` leaves an id tracked: the config file tracks it, or nothing does."""
        shown = one_line(clean(job_id, 200))
        if by_config:
            return Notice(
                f"{shown} is tracked by the config file ({source_label(account)}'s track"
                " list); remove it there",
                timeout=6,
            )
        return Notice(f"{shown} is not tracked", timeout=3)

    @staticmethod
    def failing(account: str, sentence: str) -> Notice:
        """A source that just started failing, with why (a sentence already cleaned)."""
        return Notice(sentence, title=f"{source_label(account)} is failing", severity="error")

    # --- since you were last here ---------------------------------------------------

    def summary(
        self, summary: ChangeSummary, mark: OpenMark, unchecked_why: dict[str, str], now: datetime
    ) -> Notice:
        """One notification: counts per outcome (and per source), the latest failures by
        name, and the sources whose first refresh could not be compared."""
        title = "Since you were last here"
        when = fmt_ago(mark.at, now)
        unchecked = [
            f"{source_label(account)} ({unchecked_why[account]})"
            for account in self._accounts
            if account in unchecked_why
        ]
        waiting = ["Not checked yet: " + ", ".join(unchecked)] if unchecked else []
        total = summary.total
        if not total:
            if len(unchecked) == len(self._accounts):
                first = f"Could not check what changed since jobtop was last open ({when})."
            elif unchecked:
                first = f"Nothing changed since jobtop was last open ({when}) on the other sources."
            else:
                first = f"Nothing changed since jobtop was last open ({when})."
            return Notice(
                "\n".join([first, *waiting]),
                title=title,
                severity="warning" if unchecked else "information",
                timeout=10 if unchecked else 6,
            )
        by_state = summary.by_state()
        noun = "job" if total == 1 else "jobs"
        lines = [
            f"{total:,} known {noun} changed since jobtop was last open ({when}): "
            + state_counts(by_state)
        ]
        order = {account: n for n, account in enumerate(self._accounts)}
        accounts = sorted(
            {account for account, _, _ in summary.counts}, key=lambda a: order.get(a, 0)
        )
        if len(accounts) > 1:
            lines.extend(
                f"{source_label(account)}: {state_counts(summary.by_state(account))}"
                for account in accounts
            )
        failed = by_state.get(JobState.FAILED, 0)
        if summary.failed:
            names = []
            for account, job_id in summary.failed:
                job = self._job((account, job_id))
                names.append(one_line(clean(job.name if job and job.name else job_id, 60)))
            more = failed - len(names)
            rest = f" and {more:,} more" if more > 0 else ""
            lines.append("Failed: " + ", ".join(names) + rest)
        return Notice(
            "\n".join([*lines, *waiting]),
            title=title,
            severity="error" if failed else "information",
            timeout=15,
            bell=bool(failed) and self._bell,
        )


@dataclass(frozen=True, slots=True)
class ToastPlace:
    """Where the toast rack goes: docked at the top or the bottom, its margins, and its
    greatest height (None: no limit)."""

    dock: Literal["top", "bottom"]
    margin_top: int
    margin_bottom: int
    max_height: int | None


def toast_place(body_top: int, body_bottom: int, cursor_y: int | None, height: int) -> ToastPlace:
    """Keep toasts off the cursor's row: on the side of the table with more room (below the
    cursor, or above it from the table's top), never taller than that room.

    `body_top` and `body_bottom` bound the table's rows on screen (its header is the line at
    `body_top`), `cursor_y` is the cursor row's line (None: no job under the cursor), and
    `height` the screen's; the last line is the footer's.
    """
    if cursor_y is None or not body_top < cursor_y < body_bottom:
        return ToastPlace("bottom", 0, 1, None)
    below = height - 1 - (cursor_y + 1)  # down to the line above the footer
    above = cursor_y - body_top  # from the table's header down to the cursor
    if below >= above:
        return ToastPlace("bottom", 0, 1, max(0, below))
    return ToastPlace("top", body_top, 0, max(0, above))
