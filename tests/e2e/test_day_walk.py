"""A user's day on the real `jobtop --demo` in tmux, every byte recorded; and the on-call
hour (`test_the_oncall_hour`): the failures of the last hour, one opened, its change in the
event log opened with Enter, its id copied from the list, quit.

Start; filter to failed; open an hdrjpg failure and read its reason; copy its id (OSC 52
in the bytes); go back; track an hdrjpg conversion the demo does not track yet; watch it
appear and finish; quit with `q` and exit status 0.

The expected texts come from the simulator's own world (same seed and size as the demo),
not from the app: the failure's reason and file name, and the untracked conversion's id
and timing. The demo tracks the hdrjpg conversions that exist when it starts (the seed
example plus the newest 24); conversion number `JOBS` arrives afterwards, so it is the
one to track. The seed is chosen so that it arrives and finishes soon after the start
(about 27 s and 41 s), keeping the walk under a minute on the real clock.
"""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.test_dashboard import wait_ended
from tests.e2e.tmux import TmuxSession, jobtop_command, process_alive, requires_tmux
from tui.sim.state import SimState

pytestmark = [pytest.mark.e2e, requires_tmux]

SEED = 1685
JOBS = 300
FINAL = ("Ready", "Delivered", "Failed", "Cancelled")
DETAIL_TITLE = "hdrjpg · conversion · demo-hdrjpg"


@dataclass(frozen=True, slots=True)
class Conversion:
    """What the simulator's world says about one hdrjpg conversion."""

    uuid: str
    name: str
    status: str
    reason: str | None


def _conversion(state: SimState, index: int, at_ms: int) -> Conversion:
    body = state.hdrjpg.conversion(index, at_ms)
    reasons = body["failDescriptions"] or [None]
    return Conversion(body["uuid"], body["sourceImageFileName"], body["status"], reasons[0])


def _plan() -> tuple[Conversion, Conversion, float, float]:
    """A failure the demo shows at start, the conversion to track, when it appears and ends (s)."""
    state = SimState(seed=SEED, jobs=JOBS)
    world = state.hdrjpg
    visible = world.timeline.visible(0)
    tracked = range(max(0, visible - 24), visible)
    failures = [c for i in tracked if (c := _conversion(state, i, 0)).status == "Failed"]
    assert failures, "the demo world has no hdrjpg failure at its start"
    arrives_ms = world.timeline.created_ms(visible)
    at = arrives_ms
    while _conversion(state, visible, at).status not in FINAL:
        at += 100
    newcomer = _conversion(state, visible, at)
    assert newcomer.uuid not in world.tracked_ids()
    assert newcomer.uuid not in {_conversion(state, i, 0).uuid for i in tracked}
    return failures[0], newcomer, arrives_ms / 1000, at / 1000


def _row(screen: str, text: str) -> str | None:
    """The first table row holding `text` (not the search box, drawn with `▊`)."""
    return next((line for line in screen.splitlines() if text in line and "▊" not in line), None)


def _wait_row(session: TmuxSession, name: str, words: tuple[str, ...], timeout: float) -> str:
    """Wait until the row of `name` holds one of `words`; return that row."""
    deadline = time.monotonic() + timeout
    row = None
    while time.monotonic() < deadline:
        row = _row(session.screen(), name)
        if row is not None and any(word in row for word in words):
            return row
        time.sleep(0.2)
    pytest.fail(
        f"the row of {name} never showed {words} in {timeout}s; "
        f"last row: {row!r}\n{session.screen()}"
    )


def _search(session: TmuxSession, text: str) -> None:
    """Search the list for `text`, typed only once the search box is open (a key sent
    early lands on the table, where letters are commands); retried if the list dropped it."""
    for _ in range(3):
        session.send("/")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and "▊▔" not in session.screen():
            time.sleep(0.1)
        time.sleep(0.3)
        session.send("C-u")
        session.send(text, literal=True)
        session.send("Enter")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if f'search "{text}"' in session.screen():
                return
            time.sleep(0.1)
    pytest.fail(f"the search for {text!r} never applied:\n{session.screen()}")


def test_a_users_day(tmp_path: Path) -> None:
    failure, newcomer, arrives_s, ends_s = _plan()
    assert ends_s < 45, f"seed {SEED}: the newcomer ends at {ends_s:.0f}s, too late for this test"
    record = tmp_path / "terminal.bin"
    started = time.monotonic()  # the demo's simulator starts after this: its epoch is later
    session = TmuxSession(
        jobtop_command("--demo", "--demo-jobs", str(JOBS), "--demo-seed", str(SEED)),
        workdir=tmp_path,
        env={"JOBTOP_STATE_DIR": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path)},
        width=140,
        height=40,
        record=record,
    )
    try:
        pid = session.pane_pid()
        session.wait_for("demo-hdrjpg", timeout=20)
        _wait_row(session, "5 demo-hdrjpg", ("● ok",), 20)

        # filter to failed, find the failure, read its reason in the list
        session.send("f")
        session.wait_for("states: failed")
        time.sleep(0.5)
        _search(session, failure.name)
        row = _wait_row(session, failure.name, ("✖ failed",), 10)
        assert failure.reason is not None
        assert f"{failure.name} — {failure.reason[:20]}" in row, row

        # open it: the detail screen shows the whole reason
        for _ in range(3):  # under load the list may still be rebuilding and drop a key
            session.send("Enter")
            try:
                session.wait_for(DETAIL_TITLE, timeout=5)
                break
            except pytest.fail.Exception:
                continue
        detail = session.wait_for(failure.reason, timeout=10)
        assert failure.uuid in detail

        # copy its id: the terminal gets OSC 52 with the id in base64
        session.send("c")
        session.wait_for(f"Copied job id {failure.uuid}")
        osc52 = b"\x1b]52;c;" + base64.b64encode(failure.uuid.encode())
        assert osc52 in session.recorded()

        # back to the list, then clear the search and the failed filter
        session.send("Escape")
        session.wait_gone(DETAIL_TITLE)
        time.sleep(0.5)
        for _ in range(3):
            session.send("Escape")
            time.sleep(0.5)
            if "states: failed" not in session.screen():
                break
        session.wait_gone("states: failed")

        # track the newcomer once the simulator has it (it arrives after the demo started)
        wait = arrives_s + 0.5 - (time.monotonic() - started)
        if wait > 0:
            time.sleep(wait)
        session.send("t")
        session.wait_for("Track a job id")
        session.wait_for("demo-hdrjpg")
        session.send(newcomer.uuid, literal=True)
        deadline = time.monotonic() + 15
        while True:
            session.send("Enter")
            time.sleep(1.0)
            screen = session.screen()
            if f"Tracking {newcomer.uuid}" in screen or "Track a job id" not in screen:
                break
            assert time.monotonic() < deadline, f"the id was never accepted:\n{screen}"
        session.wait_gone("Track a job id")

        # watch it appear, still under way, then reach its final state
        _search(session, newcomer.name)
        row = _wait_row(session, newcomer.name, ("queued", "running", "succeeded", "failed"), 10)
        assert "demo-hdrjpg" in row and newcomer.uuid[:8] in row
        under_way = "queued" in row or "running" in row
        remaining = ends_s - (time.monotonic() - started)
        final_row = _wait_row(session, newcomer.name, (newcomer.status,), max(remaining, 0) + 15)
        assert under_way, f"the newcomer was already final when it first showed: {row!r}"
        assert ("succeeded" if newcomer.status in ("Ready", "Delivered") else "") in final_row

        assert "Track a job id" not in session.screen()
        session.send("Escape")  # closes the search: the list has the keys, q is the app's
        session.wait_gone(f'search "{newcomer.name}"')
        session.send("q")
        assert wait_ended(session, pid, timeout=10) == 0
        deadline = time.monotonic() + 3
        while process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not process_alive(pid)
        print(
            f"day walk: {time.monotonic() - started:.1f}s, "
            f"tracked {newcomer.uuid} -> {newcomer.status}"
        )
    finally:
        session.close()


ONCALL_SEED = 171
"""A seed whose newest Zoo conversion of the first dataset is under way at the start and
fails about 17 s later (found from the simulator's world, checked by `_oncall_plan`)."""
ZOO_DETAIL_TITLE = "zoo · dataset_conversion · demo-zoo"


@dataclass(frozen=True, slots=True)
class ZooFailure:
    """A Zoo dataset conversion that fails while the dashboard watches."""

    id: str
    name: str
    status: str
    reason: str
    fails_s: float


def _oncall_plan() -> ZooFailure:
    """The conversion of `ONCALL_SEED`'s world that is running at the start and fails soon."""
    state = SimState(seed=ONCALL_SEED, jobs=JOBS)
    world = state.zoo
    index = world.datasets[0][1].n - 1
    first = world.conversion(0, index, 0, details=False)
    assert first["status"] == "in_progress", first["status"]
    at = 0
    while (body := world.conversion(0, index, at, details=False))["status"] == "in_progress":
        at += 100
    assert body["status"].startswith("error_") and body["status_message"], body
    return ZooFailure(
        body["id"], body["file_path"], body["status"], body["status_message"], at / 1000
    )


def _window(session: TmuxSession, wanted: str) -> None:
    """Press `w` until the status line names the time window `wanted`."""
    for _ in range(7):
        if f"changed in the last {wanted}" in session.screen():
            return
        before = session.screen()
        session.send("w")
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and session.screen() == before:
            time.sleep(0.1)
    session.wait_for(f"changed in the last {wanted}", timeout=1)


LOG_ENTRY = re.compile(r"^\s*\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
"""The first line of an event log entry: its time (a long entry wraps onto more lines)."""


def _open_from_log(session: TmuxSession, job_id: str) -> None:
    """Highlight the event log's entry of `job_id` (counting the entries above it) and
    press Enter; retried if the log was re-read in between and another job opened."""
    for _ in range(3):
        session.send("Home")
        time.sleep(0.3)
        lines = session.screen().splitlines()
        at = next(i for i, line in enumerate(lines) if job_id in line)
        starts = [i for i, line in enumerate(lines) if LOG_ENTRY.match(line)]
        above = starts.index(max(i for i in starts if i <= at))  # entries before its own
        for _ in range(above):
            session.send("Down")
        time.sleep(0.3)
        session.send("Enter")
        screen = session.wait_for(" · demo-", timeout=5)
        if job_id in screen.splitlines()[0] + screen.splitlines()[1]:
            return
        session.send("Escape")
        session.wait_for("newest first")
    pytest.fail(f"Enter in the event log never opened {job_id}:\n{session.screen()}")


def test_the_oncall_hour(tmp_path: Path) -> None:
    """Start; the failures of the last hour; open the one that fails while watching and
    read its reason; find it in the event log; copy its id from the list; quit."""
    failure = _oncall_plan()
    assert failure.fails_s < 25, f"seed {ONCALL_SEED}: it fails at {failure.fails_s:.0f}s"
    record = tmp_path / "terminal.bin"
    started = time.monotonic()
    session = TmuxSession(
        jobtop_command("--demo", "--demo-jobs", str(JOBS), "--demo-seed", str(ONCALL_SEED)),
        workdir=tmp_path,
        env={"JOBTOP_STATE_DIR": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path)},
        width=140,
        height=40,
        record=record,
    )
    try:
        pid = session.pane_pid()
        session.wait_for("demo-zoo", timeout=20)
        _wait_row(session, "2 demo-zoo", ("● ok",), 20)

        # the failures of the last hour, across every source
        session.send("f")
        session.wait_for("states: failed")
        _window(session, "1 h")
        _search(session, failure.name)
        assert "states: failed" in session.screen()
        row = _wait_row(session, failure.name, ("✖ failed",), failure.fails_s + 15)
        assert f"{failure.name} — {failure.reason[:20]}" in row, row

        # open it: the detail says why, whole
        for _ in range(3):  # under load the list may still be rebuilding and drop a key
            session.send("Enter")
            try:
                session.wait_for(ZOO_DETAIL_TITLE, timeout=5)
                break
            except pytest.fail.Exception:
                continue
        detail = session.wait_for(failure.reason, timeout=10)
        assert failure.id in detail and failure.status in detail
        session.send("Escape")
        session.wait_gone(ZOO_DETAIL_TITLE)

        # the event log has its change, with the provider's status, at an absolute time
        session.send("e")
        session.wait_for("newest first")
        log = session.wait_for(failure.id, timeout=10)
        assert "✖ failed" in log and failure.status in log, log
        # Enter on its change opens it; Escape comes back to the log
        _open_from_log(session, failure.id)
        session.send("Escape")
        session.wait_gone(ZOO_DETAIL_TITLE)
        session.wait_for("newest first")
        session.send("Escape")
        session.wait_gone("newest first")

        # back in the list, the failure is still highlighted: copy its id (OSC 52)
        session.send("c")
        session.wait_for(f"Copied job id {failure.id}")
        osc52 = b"\x1b]52;c;" + base64.b64encode(failure.id.encode())
        assert osc52 in session.recorded()

        # Escape clears the search and the filters (the toast may cover the search's quote
        # in the status line, not its start): then q is the app's
        assert "states: failed" in session.screen()
        session.send("Escape")
        session.wait_gone("states: failed")
        session.send("q")
        assert wait_ended(session, pid, timeout=10) == 0
        print(f"on-call hour: {time.monotonic() - started:.1f}s, {failure.id} {failure.status}")
    finally:
        session.close()
