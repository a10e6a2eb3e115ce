"""Life cycle of the real `jobtop` command: hang-up, closed terminal, quit, worker errors, sizes.

The terminal tests drive the installed console script in tmux or in a pty (docs/design.md
§4): SIGHUP and a closed terminal must end the process within 2 s with its cleanup
run (exit status 129 from the handler path, the SQLite store closed so its WAL file is
gone), and `q` or Ctrl-C must leave the terminal sane (alternate screen left, mouse off).
The headless tests check that a worker's unexpected exception leaves the app up and that
no terminal size from 1x1 to 300x100 raises.
"""

from __future__ import annotations

import os
import pty
import random
import select
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.e2e.tmux import TmuxSession, jobtop_command, process_alive, requires_tmux
from tests.waiting import wait_for
from tui.app import JobsApp
from tui.clock import FrozenClock
from tui.config import demo_settings
from tui.exit_codes import EXIT_HANGUP
from tui.models import Job, JobDetail, JobKind, ProviderName
from tui.providers import build_provider
from tui.providers.base import JobProvider, ListQuery, ListResult
from tui.providers.hdrjpg.details import HdrjpgDetail
from tui.providers.lettrlabs.details import LettrLabsDetail
from tui.providers.metafold.details import MetafoldDetail
from tui.providers.zoo.details import ZooAsyncDetail, ZooConversionDetail
from tui.screens.job_detail import JobDetailScreen
from tui.screens.jobs import JobsScreen
from tui.sim.server import SimServer
from tui.store import JobStore
from tui.sync.health import Health

DEMO_ARGS = ("--demo", "--demo-jobs", "40", "--demo-seed", "5")
EXIT_DEADLINE = 2.0
"""Seconds the process may take to end after a hang-up or a closed terminal."""

ALT_SCREEN_ON, ALT_SCREEN_OFF = b"\x1b[?1049h", b"\x1b[?1049l"
MOUSE_MODES = (b"1000", b"1003", b"1006")


def _children(pid: int) -> list[int]:
    """Direct child processes of `pid` (from /proc)."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_gone(pid: int, timeout: float) -> float | None:
    """Seconds until `pid` is gone (or a zombie), None if it outlived `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if not process_alive(pid):
            return time.monotonic() - start
        time.sleep(0.02)
    return None


def _assert_terminal_restored(recorded: bytes) -> None:
    """The alternate screen was left and every mouse mode turned off after it was last turned on."""
    assert ALT_SCREEN_ON in recorded, "the app never entered the alternate screen"
    assert recorded.rfind(ALT_SCREEN_OFF) > recorded.rfind(ALT_SCREEN_ON), recorded[-400:]
    for mode in MOUSE_MODES:
        on, off = b"\x1b[?" + mode + b"h", b"\x1b[?" + mode + b"l"
        assert recorded.rfind(off) > recorded.rfind(on), f"mouse mode {mode!r} left on"
    assert recorded.rfind(b"\x1b[?25h") > recorded.rfind(b"\x1b[?25l"), "cursor left hidden"


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    path.mkdir()
    return path


def _start_demo(tmp_path: Path, state_dir: Path, *, record: bool = False) -> TmuxSession:
    session = TmuxSession(
        jobtop_command(*DEMO_ARGS),
        workdir=tmp_path,
        env={"JOBTOP_STATE_DIR": str(state_dir)},
        width=120,
        height=36,
        record=tmp_path / "terminal.bin" if record else None,
    )
    session.wait_for("demo-hdrjpg", timeout=20)
    session.wait_for("● ok", timeout=20)
    return session


# --- hang-up and closed terminal --------------------------------------------------------


@requires_tmux
def test_sighup_ends_the_process_within_two_seconds_with_cleanup(
    tmp_path: Path, state_dir: Path
) -> None:
    session = _start_demo(tmp_path, state_dir)
    try:
        pid = session.pane_pid()
        assert (state_dir / "demo.sqlite3-wal").exists(), "the store is open while running"
        os.kill(pid, signal.SIGHUP)
        took = _wait_gone(pid, EXIT_DEADLINE)
        assert took is not None, f"jobtop still running {EXIT_DEADLINE}s after SIGHUP"
        # tmux does not always record the status when the pty closes before the process is
        # reaped; the pty tests below check the exact status every time
        time.sleep(0.2)
        status = session.exit_status()
        assert status in (None, EXIT_HANGUP), (
            f"exit status {status}: the SIGHUP handler did not run"
        )
        # the store was closed: SQLite removes the WAL file when the last connection closes
        assert not (state_dir / "demo.sqlite3-wal").exists(), "the store was not closed"
        print(f"SIGHUP -> exit {status} in {took:.2f}s")
    finally:
        session.close()


@requires_tmux
def test_killing_the_terminal_leaves_no_process(tmp_path: Path, state_dir: Path) -> None:
    session = _start_demo(tmp_path, state_dir)
    pid = session.pane_pid()
    children = _children(pid)
    assert (state_dir / "demo.sqlite3-wal").exists(), "the store is open while running"
    session.close()  # kill-server: the pane's terminal goes away, as when a window is closed
    took = _wait_gone(pid, EXIT_DEADLINE)
    assert took is not None, f"jobtop still running {EXIT_DEADLINE}s after its terminal closed"
    assert not any(process_alive(child) for child in children)
    assert not (state_dir / "demo.sqlite3-wal").exists(), "the store was not closed"


def _pty_demo(state_dir: Path) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: become jobtop (pty.fork made it a session leader on the pty)
        try:
            os.environ.update(
                {"TERM": "xterm-256color", "JOBTOP_STATE_DIR": str(state_dir), "LANG": "C.UTF-8"}
            )
            argv = jobtop_command(*DEMO_ARGS)
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    return pid, fd


def _read_until(fd: int, needle: bytes, timeout: float) -> bytes:
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and needle not in out:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out


def _set_winsize(fd: int, rows: int, cols: int) -> None:
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def test_closing_the_pty_master_ends_jobtop_without_spinning(state_dir: Path) -> None:
    """sshd closes the pty master when a connection drops; jobtop must go, not spin."""
    pid, fd = _pty_demo(state_dir)
    try:
        _set_winsize(fd, 36, 120)
        out = _read_until(fd, b"hdrjpg", timeout=20)
        assert b"hdrjpg" in out, out[-500:]
        time.sleep(0.5)
        cpu_before = _cpu_seconds(pid)
        os.close(fd)
        fd = -1
        start = time.monotonic()
        status = None
        while time.monotonic() - start < EXIT_DEADLINE:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            cpu = _cpu_seconds(pid) - cpu_before
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(
                f"jobtop still running {EXIT_DEADLINE}s after the pty closed ({cpu:.2f} CPU-s)"
            )
        took = time.monotonic() - start
        assert status is not None
        code = os.waitstatus_to_exitcode(status)
        assert code == EXIT_HANGUP, f"exit {code}: hang-up handler did not run"
        assert not (state_dir / "demo.sqlite3-wal").exists(), "the store was not closed"
        print(f"pty closed -> exit {code} in {took:.2f}s")
    finally:
        if fd >= 0:
            os.close(fd)
        if process_alive(pid):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def test_sighup_ignored_still_exits_without_spinning(state_dir: Path) -> None:
    """With SIGHUP ignored (nohup), the watchdog ends jobtop and the input thread does not spin."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            os.environ.update({"TERM": "xterm-256color", "JOBTOP_STATE_DIR": str(state_dir)})
            argv = jobtop_command(*DEMO_ARGS)
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    try:
        _set_winsize(fd, 36, 120)
        out = _read_until(fd, b"hdrjpg", timeout=20)
        assert b"hdrjpg" in out
        time.sleep(0.5)
        cpu_before = _cpu_seconds(pid)
        os.close(fd)
        fd = -1
        start = time.monotonic()
        cpu_used = 0.0
        while time.monotonic() - start < 8.0:
            done, _status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            cpu_used = _cpu_seconds(pid) - cpu_before
            time.sleep(0.1)
        else:
            pytest.fail(f"jobtop outlived its terminal by 8 s (used {cpu_used:.2f} CPU-s)")
        elapsed = time.monotonic() - start
        print(f"SIGHUP ignored: gone after {elapsed:.1f}s using {cpu_used:.2f} CPU-s")
        # Shutting down costs some CPU; a spin is a process that stays and burns it.
        assert elapsed < EXIT_DEADLINE or cpu_used < 0.5 * elapsed, (
            f"spinning: {cpu_used:.2f} CPU-s in {elapsed:.1f}s"
        )
    finally:
        if fd >= 0:
            os.close(fd)
        if process_alive(pid):
            os.kill(pid, signal.SIGKILL)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


# --- quitting leaves the terminal sane ----------------------------------------------------


@requires_tmux
def test_q_leaves_the_terminal_sane(tmp_path: Path, state_dir: Path) -> None:
    session = _start_demo(tmp_path, state_dir, record=True)
    try:
        pid = session.pane_pid()
        session.send("q")
        assert _wait_gone(pid, 5) is not None
        assert session.exit_status() in (None, 0)
        time.sleep(0.2)
        _assert_terminal_restored(session.recorded())
        assert not (state_dir / "demo.sqlite3-wal").exists()
    finally:
        session.close()


@requires_tmux
def test_ctrl_c_quits_and_leaves_the_terminal_sane(tmp_path: Path, state_dir: Path) -> None:
    """Ctrl-C quits as in htop and k9s, runs the cleanup and leaves the terminal sane."""
    session = _start_demo(tmp_path, state_dir, record=True)
    try:
        pid = session.pane_pid()
        session.send("C-c")
        assert _wait_gone(pid, 5) is not None
        assert session.exit_status() in (None, 0)
        time.sleep(0.2)
        _assert_terminal_restored(session.recorded())
        assert not (state_dir / "demo.sqlite3-wal").exists()
    finally:
        session.close()


# --- headless: worker errors and terminal sizes ------------------------------------------


class ExplodingProvider:
    """Wraps a real provider; `list_jobs` and `get_job` raise an unexpected error on demand."""

    def __init__(self, inner: JobProvider) -> None:
        self.inner = inner
        self.account = inner.account
        self.provider = inner.provider
        self.capabilities = inner.capabilities
        self.explode = False

    async def list_jobs(self, query: ListQuery) -> ListResult:
        if self.explode:
            raise KeyError("boom")
        return await self.inner.list_jobs(query)

    async def get_job(self, job_id: str, parent_id: str | None = None) -> JobDetail:
        if self.explode:
            raise ZeroDivisionError("boom")
        return await self.inner.get_job(job_id, parent_id)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with SimServer(jobs=30, seed=4) as server:
        yield server


def _app(sim: SimServer, *, wrap: bool = False) -> tuple[JobsApp, JobStore]:
    tracked = {name: tuple(ids[:3]) for name, ids in sim.tracked_ids().items()}
    settings = demo_settings(sim.url, refresh=30, track=tracked)
    providers = [build_provider(account) for account in settings.accounts]
    if wrap:
        providers = [ExplodingProvider(provider) for provider in providers]
    store = JobStore(":memory:")
    return JobsApp(settings, providers, store, FrozenClock(sim.state.clock())), store


def _all_ok(screen: JobsScreen) -> bool:
    return all(screen.source_health(p.account).health == Health.OK for p in screen.providers)


async def test_a_worker_error_leaves_the_app_up(sim: SimServer) -> None:
    app, store = _app(sim, wrap=True)
    try:
        async with app.run_test(size=(120, 36), notifications=True, tooltips=True) as pilot:
            assert isinstance(app.screen, JobsScreen)
            screen: JobsScreen = app.screen
            await wait_for(pilot, lambda: _all_ok(screen))
            job = next(j for j in screen.index.jobs() if j.provider == ProviderName.ZOO)
            for provider in screen.providers:
                assert isinstance(provider, ExplodingProvider)
                provider.explode = True
            await pilot.press("r")
            await wait_for(
                pilot,
                lambda: all(
                    screen.source_health(p.account).health == Health.FAILING
                    for p in screen.providers
                ),
            )
            assert app.is_running
            assert len(screen.jobs_in_view()) > 0, "last good rows stay visible"
            reason = screen.source_health(screen.providers[0].account)
            assert "KeyError" in str(reason), reason
            # the detail screen's worker raising an unexpected error
            provider = next(p for p in screen.providers if p.account == job.account)
            await app.push_screen(JobDetailScreen(job, provider, app.clock))
            detail = app.screen
            assert isinstance(detail, JobDetailScreen)
            await wait_for(pilot, lambda: detail.error is not None)
            assert "ZeroDivisionError" in (detail.error or "")
            assert app.is_running
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, JobsScreen))
            for provider in screen.providers:
                assert isinstance(provider, ExplodingProvider)
                provider.explode = False
            await pilot.press("r")
            await wait_for(pilot, lambda: _all_ok(screen))
    finally:
        store.close()
    assert app.return_code in (None, 0)


SIZES = [(1, 1), (2, 1), (10, 3), (300, 100)]


def _sizes(count: int, seed: int) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    return SIZES + [(rng.randint(1, 300), rng.randint(1, 100)) for _ in range(count)]


def _pick_jobs(screen: JobsScreen) -> dict[type[JobDetail], Job]:
    """One job per detail kind from the loaded index."""
    wanted = {
        HdrjpgDetail: (ProviderName.HDRJPG, JobKind.CONVERSION),
        ZooConversionDetail: (ProviderName.ZOO, JobKind.DATASET_CONVERSION),
        ZooAsyncDetail: (ProviderName.ZOO, JobKind.ASYNC_OPERATION),
        MetafoldDetail: (ProviderName.METAFOLD, JobKind.JOB),
        LettrLabsDetail: (ProviderName.LETTRLABS, JobKind.CONVERSION),
    }
    picked: dict[type[JobDetail], Job] = {}
    for detail_type, (provider, kind) in wanted.items():
        picked[detail_type] = next(
            job for job in screen.index.jobs() if job.provider == provider and job.kind == kind
        )
    return picked


async def _resize_storm(pilot: Pilot[int], sizes: list[tuple[int, int]]) -> None:
    for width, height in sizes:
        await pilot.resize_terminal(width, height)
        await pilot.pause()
    await pilot.resize_terminal(120, 36)
    await pilot.pause()


async def test_terminal_sizes_from_1x1_to_300x100_raise_nothing(sim: SimServer) -> None:
    app, store = _app(sim)
    try:
        async with app.run_test(size=(120, 36), notifications=True, tooltips=True) as pilot:
            assert isinstance(app.screen, JobsScreen)
            screen: JobsScreen = app.screen
            await wait_for(pilot, lambda: _all_ok(screen))
            await _resize_storm(pilot, _sizes(20, seed=1))
            await pilot.press("f")
            await _resize_storm(pilot, _sizes(6, seed=2))
            await pilot.press("f", "m")  # the state/status filter panel (option lists)
            await _resize_storm(pilot, _sizes(6, seed=3))
            await pilot.press("escape")
            assert app.is_running and app.screen is screen
            for number, (detail_type, job) in enumerate(_pick_jobs(screen).items()):
                provider = next(p for p in screen.providers if p.account == job.account)
                await app.push_screen(JobDetailScreen(job, provider, app.clock))
                detail = app.screen
                assert isinstance(detail, JobDetailScreen)
                await wait_for(pilot, lambda d=detail: d.detail is not None)
                assert isinstance(detail.detail, detail_type)
                await _resize_storm(pilot, _sizes(4, seed=10 + number))
                await pilot.press("y")  # the raw JSON view too
                await _resize_storm(pilot, SIZES)
                assert app.is_running and app.screen is detail
                await pilot.press("escape")
                await wait_for(pilot, lambda: app.screen is screen)
    finally:
        store.close()
    assert app.return_code in (None, 0)
