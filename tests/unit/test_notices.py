"""The jobs screen's notifications as plain values: the rules, endings told together, stuck
jobs named once, the since-last-open summary, and where the toasts go (no app needed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tui.errors import StoreError
from tui.models import Job, JobKind, JobState, ProviderName, Transition
from tui.screens.notices import (
    NOTIFY_RULES,
    Notice,
    Notices,
    ToastPlace,
    state_counts,
    toast_place,
)
from tui.store import ChangeSummary, OpenMark
from tui.sync.dashboard import TrackChange
from tui.sync.typical import TypicalDurations

OPENED = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
FAILED = frozenset({JobState.FAILED})
EVERY_ENDING = frozenset({JobState.FAILED, JobState.CANCELED, JobState.SUCCEEDED})


def job(
    account: str,
    job_id: str,
    name: str = "",
    *,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
) -> Job:
    state = JobState.FAILED if finished_at else JobState.RUNNING
    return Job(
        account,
        ProviderName.METAFOLD,
        JobKind.JOB,
        job_id,
        name,
        state.value,
        state,
        created_at=OPENED - timedelta(hours=1),
        started_at=started_at,
        finished_at=finished_at,
    )


def ended(
    account: str, job_id: str, new: JobState, old: JobState | None = JobState.RUNNING
) -> Transition:
    return Transition(account, job_id, old, new, f"{new.value} [b]x[/b]\nnext", OPENED)


def notices(
    jobs: Sequence[Job] = (),
    states: frozenset[JobState] = EVERY_ENDING,
    bell: bool = True,
    typical: TypicalDurations | None = None,
) -> Notices:
    known = {(j.account, j.id): j for j in jobs}
    return Notices(
        known.get,
        typical or TypicalDurations(),
        states=states,
        opened_at=OPENED,
        bell=bell,
        accounts=["zoo", "mf"],
    )


def test_n_cycles_through_the_rules_and_says_the_bell() -> None:
    told = notices(states=FAILED, bell=True)
    said = [told.next_rule() for _ in NOTIFY_RULES]
    assert [n.message for n in said] == [
        "Notify of: failures and cancellations (and the bell)",
        "Notify of: every job that ends (and the bell)",
        "Notify of: none (and the bell)",
        "Notify of: failures only (and the bell)",
    ]
    assert told.states == FAILED and said[0].title == "Notifications" and said[0].timeout == 3
    assert notices(bell=False).next_rule().message == "Notify of: none"


def test_one_ending_is_told_by_name_on_one_line_and_rings_when_configured() -> None:
    told = notices([job("zoo", "j1", "render\n[red]a[/red]")], bell=True)
    assert told.queue([ended("zoo", "j1", JobState.FAILED)]) is True
    notice = told.ended()
    assert notice == Notice(
        "render ⏎ [red]a[/red] (j1): failed [b]x[/b] ⏎ next",
        title="zoo: job failed",
        severity="error",
        bell=True,
    )
    assert told.ended() is None  # the queue was emptied
    quiet = notices([job("zoo", "j1")], bell=False)
    quiet.queue([ended("zoo", "j1", JobState.SUCCEEDED)])
    assert quiet.ended() == Notice(
        "j1: succeeded [b]x[/b] ⏎ next", title="zoo: job succeeded", severity="information"
    )


def test_endings_queued_before_the_tell_make_one_notice_failures_first() -> None:
    told = notices()
    assert told.queue([ended("zoo", f"s{n}", JobState.SUCCEEDED) for n in range(5)]) is True
    # a second batch joins the queue: no second tell is scheduled
    assert told.queue([ended("mf", "f1", JobState.FAILED)]) is False
    notice = told.ended()
    assert notice is not None
    assert notice.title == "2 sources: 6 jobs ended (1 failed, 5 succeeded)"
    assert notice.message.splitlines() == ["1 failed: f1", "5 succeeded: s0, s1, s2 and 2 more"]
    assert notice.severity == "error" and notice.bell


def test_only_the_endings_the_rule_asks_for_and_that_happened_while_open() -> None:
    old_failure = job("zoo", "old", finished_at=OPENED - timedelta(minutes=1))
    new_failure = job("zoo", "new", finished_at=OPENED + timedelta(minutes=1))
    told = notices([old_failure, new_failure], states=FAILED)
    assert not told.queue(
        [
            ended("zoo", "ok", JobState.SUCCEEDED),  # not asked for
            ended("zoo", "same", JobState.FAILED, old=JobState.FAILED),  # no change
            ended("zoo", "old", JobState.FAILED, old=None),  # failed before the screen opened
            ended("zoo", "gone", JobState.FAILED, old=None),  # not known
        ]
    )
    assert told.queue([ended("zoo", "new", JobState.FAILED, old=None)])
    notice = told.ended()
    assert notice is not None and notice.title == "zoo: job failed"


def test_a_stuck_job_is_named_once_and_only_if_it_got_stuck_while_open() -> None:
    typical = TypicalDurations(min_samples=1)
    succeeded = Job(
        "mf",
        ProviderName.METAFOLD,
        JobKind.JOB,
        "done",
        "done",
        "success",
        JobState.SUCCEEDED,
        created_at=OPENED - timedelta(days=1),
        started_at=OPENED - timedelta(days=1),
        finished_at=OPENED - timedelta(days=1) + timedelta(seconds=600),
    )
    typical.learn([succeeded])  # p95: 600 s
    early = job("mf", "early", "early", started_at=OPENED - timedelta(hours=1))
    late = job("mf", "late", "late\nrun", started_at=OPENED - timedelta(seconds=60))
    told = notices([early, late], typical=typical)
    keys = frozenset({early.key, late.key})
    notice = told.stuck(keys)
    assert notice is not None and notice.title == "Stuck" and notice.severity == "warning"
    assert notice.message.startswith("⧗ 1 running job past the typical run time: late ⏎ run (mf).")
    assert "early" not in notice.message and not notice.bell
    assert told.stuck(keys) is None  # each is named once


def test_a_failing_source_is_named_plainly() -> None:
    notice = Notices.failing("zoo\n[b]prod[/b]", "timed out")
    assert notice == Notice("timed out", title="zoo ⏎ [b]prod[/b] is failing", severity="error")


def test_the_summary_counts_per_source_names_failures_and_rings() -> None:
    now = OPENED + timedelta(hours=2)
    mark = OpenMark(OPENED, 10)
    summary = ChangeSummary(
        counts=(
            ("mf", JobState.SUCCEEDED, 3),
            ("zoo", JobState.FAILED, 4),
            ("zoo", JobState.SUCCEEDED, 1),
        ),
        failed=(("zoo", "f1"), ("zoo", "f2")),
    )
    told = notices([job("zoo", "f1", "first\nfailure")])
    notice = told.summary(summary, mark, {}, now)
    assert notice.message.splitlines() == [
        "8 known jobs changed since jobtop was last open (2 hours ago): 4 failed, 4 succeeded",
        "zoo: 4 failed, 1 succeeded",
        "mf: 3 succeeded",
        "Failed: first ⏎ failure, f2 and 2 more",
    ]
    assert notice.title == "Since you were last here"
    assert (notice.severity, notice.timeout, notice.bell) == ("error", 15, True)
    calm = told.summary(ChangeSummary(counts=(("mf", JobState.SUCCEEDED, 1),)), mark, {}, now)
    assert (
        calm.message == "1 known job changed since jobtop was last open (2 hours ago): 1 succeeded"
    )
    assert (calm.severity, calm.bell) == ("information", False)


def test_the_summary_says_what_could_not_be_checked() -> None:
    now = OPENED + timedelta(minutes=5)
    mark = OpenMark(OPENED, 10)
    told = notices()
    nothing = told.summary(ChangeSummary(), mark, {}, now)
    assert nothing == Notice(
        "Nothing changed since jobtop was last open (5 minutes ago).",
        title="Since you were last here",
        timeout=6,
    )
    some = told.summary(ChangeSummary(), mark, {"mf": "timed out"}, now)
    assert some.message.splitlines() == [
        "Nothing changed since jobtop was last open (5 minutes ago) on the other sources.",
        "Not checked yet: mf (timed out)",
    ]
    assert (some.severity, some.timeout) == ("warning", 10)
    none = told.summary(ChangeSummary(), mark, {"zoo": "401", "mf": "503"}, now)
    assert none.message.splitlines() == [
        "Could not check what changed since jobtop was last open (5 minutes ago).",
        "Not checked yet: zoo (401), mf (503)",
    ]


def test_state_counts_put_failures_first_and_skip_zeros() -> None:
    counts = {JobState.SUCCEEDED: 1200, JobState.CANCELED: 0, JobState.FAILED: 2}
    assert state_counts(counts) == "2 failed, 1,200 succeeded"


def test_toasts_go_on_the_side_of_the_cursor_with_more_room() -> None:
    # table rows on lines 3..20 (header on 3), a 24-line screen with the footer on 23
    assert toast_place(3, 21, None, 24) == ToastPlace("bottom", 0, 1, None)
    assert toast_place(3, 21, 25, 24) == ToastPlace("bottom", 0, 1, None)  # scrolled away
    assert toast_place(3, 21, 5, 24) == ToastPlace("bottom", 0, 1, 17)  # lines 6..22
    assert toast_place(3, 21, 18, 24) == ToastPlace("top", 3, 0, 15)  # lines 3..17


def test_what_track_and_untrack_did_is_said_plainly() -> None:
    change = TrackChange("zoo-prod", "id\x1b[31m1", track=True, changed=True)
    assert Notices.tracking(change) == Notice("Tracking id1 on zoo-prod", timeout=4)
    again = replace(change, changed=False)
    assert Notices.tracking(again).message == "Already tracking id1 on zoo-prod"
    gone = replace(change, track=False)
    assert Notices.tracking(gone).message == "No longer tracking id1 on zoo-prod"
    error = StoreError("the store is read-only", problem="unwritable")
    refused = Notices.tracking(replace(gone, changed=False, error=error))
    assert (refused.message, refused.title, refused.severity) == (
        "id1 could not be untracked: the store is read-only",
        "Store",
        "error",
    )
    by_config = Notices.not_untracked("zoo-prod", "x", by_config=True)
    assert by_config.message == (
        "x is tracked by the config file (zoo-prod's track list); remove it there"
    )
    assert Notices.not_untracked("zoo-prod", "x", by_config=False).message == "x is not tracked"
