"""Benchmark the dashboard against the budgets of docs/design.md §6, in one run.

Usage: `python scripts/bench.py [--jobs 100000] [--idle-seconds 20] [--datatable-cap 120]`

Each scenario runs in its own child process (so memory and CPU figures are not mixed
up), headless through `App.run_test`, with a fake in-process provider: this measures
the dashboard, not HTTP. The demo start-up row runs the real `jobtop --demo` in a
pseudo-terminal. Prints a markdown table, each figure beside its budget or baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pty
import random
import select
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tui.models import Job, JobKind, JobState, ProviderName  # noqa: E402

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SIZE = (120, 40)
ACCOUNTS = ("zoo-prod", "meta-lab", "letters", "hdr")
STATUSES = {
    JobState.QUEUED: "queued",
    JobState.RUNNING: "in_progress",
    JobState.SUCCEEDED: "success",
    JobState.FAILED: "error_user",
    JobState.CANCELED: "canceled",
}


def make_jobs(count: int, seed: int = 1) -> list[Job]:
    """`count` jobs spread over four sources, deterministic for a seed."""
    rng = random.Random(seed)
    states = list(STATUSES)
    jobs = []
    for n in range(count):
        state = rng.choice(states)
        created = NOW - timedelta(seconds=rng.randrange(3_000_000))
        jobs.append(
            Job(
                account=ACCOUNTS[n % 4],
                provider=ProviderName.ZOO,
                kind=JobKind.DATASET_CONVERSION,
                id=f"{rng.getrandbits(128):032x}",
                name=f"assembly-{rng.randrange(10**6):06d}-"
                f"{rng.choice(['bracket', 'gear', 'hinge', 'mount'])}.step",
                status=STATUSES[state],
                state=state,
                created_at=created,
                started_at=created + timedelta(seconds=3),
                finished_at=created + timedelta(seconds=60) if state.is_terminal else None,
                updated_at=created + timedelta(seconds=60),
                progress=rng.random() if state == JobState.RUNNING else None,
                error="Geometry could not be parsed" if state == JobState.FAILED else None,
            )
        )
    return jobs


class StaticProvider:
    """A provider that serves whatever list it holds, instantly."""

    provider = ProviderName.ZOO

    def __init__(self, account: str, jobs: list[Job]) -> None:
        from tui.providers.base import Capabilities

        self.account = account
        self.jobs = jobs
        self.capabilities = Capabilities(lists=True)
        self.calls = 0

    async def list_jobs(self, query: Any) -> Any:
        from tui.providers.base import ListResult

        self.calls += 1
        return ListResult(jobs=list(self.jobs))

    async def get_job(self, job_id: str, parent_id: str | None = None) -> Any:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def next_frame(app: Any) -> None:
    """Wait until the screen has been refreshed (painted) once more."""
    done = asyncio.Event()
    app.call_after_refresh(done.set)
    await done.wait()


def build_app(providers: list[Any], refresh: float, store_path: str = ":memory:") -> Any:
    from tui.app import JobsApp
    from tui.clock import FrozenClock
    from tui.config import AccountConfig, Settings
    from tui.store import JobStore

    clock = FrozenClock(NOW)
    settings = Settings(
        accounts=tuple(
            AccountConfig(name=p.account, provider=ProviderName.ZOO, base_url="http://127.0.0.1:1")
            for p in providers
        ),
        refresh=refresh,
    )
    return JobsApp(settings, providers, JobStore(store_path, clock=clock), clock)


async def wait_healthy(app: Any, pilot: Any, timeout: float = 120) -> None:
    """Wait for every source's first refresh, and for the index's background preparation."""
    from tui.sync.health import Health

    screen = app.screen
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(screen.source_health(p.account).health == Health.OK for p in screen.providers):
            break
        await pilot.pause(0.05)
    else:
        raise TimeoutError("sources never became healthy")
    while time.monotonic() < deadline and not screen.index.prepared:
        await pilot.pause(0.05)


async def key_to_frame(app: Any, screen: Any, key: str) -> tuple[float, float]:
    """Send one key as the terminal would; seconds until the changed frame is painted,
    and until the frame that also shows the complete count.

    Pilot's `press` also waits for the app to go idle, which would add its own
    overhead; here the clock stops when the index shows the key's effect and the next
    screen refresh has run. A filter's listing is found as far as the screen shows it,
    and finished between the next frames: the second figure waits for that too.
    """
    from textual import events
    from textual.keys import _character_to_key

    name = _character_to_key(key) if len(key) == 1 and not key.isalnum() else key
    char = key if len(key) == 1 else None
    event = events.Key(name, char)
    event.set_sender(app)
    version = screen.index.version
    start = time.perf_counter()
    app._driver.send_message(event)
    deadline = start + 10
    while screen.index.version == version and time.perf_counter() < deadline:
        await asyncio.sleep(0)
    await next_frame(app)
    shown = time.perf_counter() - start
    while screen.index.pending and time.perf_counter() < deadline:
        await asyncio.sleep(0)
    await next_frame(app)
    return shown, time.perf_counter() - start


# --- scenarios (each runs in a child process) --------------------------------------------


async def scenario_first_paint(jobs: int, datatable_cap: float) -> dict[str, Any]:
    """100,000 jobs handed to JobTable vs DataTable, to the first painted frame."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from tui.formatting import fmt_age, fmt_duration, fmt_progress, short_id
    from tui.job_index.index import JobIndex
    from tui.widgets.job_table import JobTable

    data = make_jobs(jobs)

    class TableApp(App[None]):
        def compose(self) -> ComposeResult:
            yield JobTable(JobIndex(now=lambda: NOW), clock=lambda: NOW)

    ours = TableApp()
    async with ours.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = ours.query_one(JobTable)
        start = time.perf_counter()
        table.index.upsert(data)
        table.rows_changed()
        await next_frame(ours)
        ours_seconds = time.perf_counter() - start
        assert table.render_line(1).text.strip(), "a row was painted"

    rows = [
        (
            f"{job.state.value}",
            job.account,
            short_id(job.id, 10),
            job.name,
            job.status,
            fmt_age(job.created_at, NOW),
            fmt_duration(60),
            fmt_progress(job.progress, 10),
        )
        for job in data
    ]

    class DataTableApp(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

    theirs = DataTableApp()
    timed_out = False
    async with theirs.run_test(size=SIZE) as pilot:
        table_widget = theirs.query_one(DataTable)
        table_widget.add_columns(
            "State", "Source", "ID", "Name", "Status", "Age", "Duration", "Progress"
        )
        await pilot.pause()
        start = time.perf_counter()
        table_widget.add_rows(rows)
        try:
            await asyncio.wait_for(next_frame(theirs), datatable_cap)
        except TimeoutError:
            timed_out = True
        theirs_seconds = time.perf_counter() - start
    return {
        "jobtable_s": ours_seconds,
        "datatable_s": theirs_seconds,
        "datatable_capped": timed_out,
    }


KEY_GAP = 0.08
"""Seconds between keystrokes: brisk typing (about 150 words a minute). Keys sent back to
back would also measure Textual's frame pacing: it paints at most 60 times a second, so
a key arriving just after a frame waits up to 17 ms for the next one. That figure is
reported too (`keystrokes_b2b`)."""


async def scenario_keystrokes(jobs: int, gap: float = KEY_GAP) -> dict[str, Any]:
    """Filter, search and sort keystrokes at 100,000 jobs: time to the repainted frame."""
    data = make_jobs(jobs)
    providers = [StaticProvider(a, [j for j in data if j.account == a]) for a in ACCOUNTS]
    app = build_app(providers, refresh=3600)
    timings: dict[str, list[float]] = {"sort": [], "filter": [], "search": []}
    counted: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        await wait_healthy(app, pilot)
        await pilot.pause(0.5)

        screen = app.screen

        async def timed(kind: str, *keys: str) -> None:
            for key in keys:
                if gap:
                    await asyncio.sleep(gap)
                shown, complete = await key_to_frame(app, screen, key)
                timings[kind].append(shown)
                counted.append(complete)

        for _ in range(2):
            await timed("sort", *"s" * 8)
            await timed("sort", "S", "S")
        for _ in range(5):
            await timed("filter", "f", "f")
        for view in "23451":
            await timed("filter", view)
        await pilot.press("slash")
        for word in ("assembly-12", "gear", "!hinge", "re:-0[0-4]"):
            await timed("search", *word)
            await timed("search", *["backspace"] * len(word))
        await pilot.press("escape")
        # The cursor deep in the listing: its job is followed into each new order, and a
        # search it still matches is looked through down to it.
        await pilot.press("G")
        await timed("sort", "s", "s", "S", "S")
        await timed("filter", "f", "f", "2", "1")
        await pilot.press("G", "slash")
        await timed("search", *"step")
        await timed("search", *["backspace"] * 4)
        await pilot.press("escape")
    result: dict[str, Any] = {}
    everything = [t for values in timings.values() for t in values]
    for kind, values in [*timings.items(), ("all", everything), ("counted", counted)]:
        ordered = sorted(values)
        result[f"{kind}_p95_ms"] = ordered[int(0.95 * (len(ordered) - 1))] * 1000
        result[f"{kind}_median_ms"] = statistics.median(ordered) * 1000
        result[f"{kind}_n"] = len(ordered)
    return result


async def scenario_refresh(jobs: int) -> dict[str, Any]:
    """A refresh that changes 1,000 of 100,000 jobs: the longest the UI loop is blocked."""
    data = make_jobs(jobs)
    providers = [StaticProvider(a, [j for j in data if j.account == a]) for a in ACCOUNTS]
    app = build_app(providers, refresh=3600)
    async with app.run_test(size=SIZE) as pilot:
        await wait_healthy(app, pilot)
        await pilot.pause(0.5)
        rng = random.Random(5)
        changed_total = 0
        for provider in providers:
            picks = rng.sample(range(len(provider.jobs)), 250)
            jobs_copy = list(provider.jobs)
            for i in picks:
                jobs_copy[i] = replace(
                    jobs_copy[i], status="error_internal", state=JobState.FAILED, updated_at=NOW
                )
            provider.jobs = jobs_copy
            changed_total += len(picks)
        lags: list[float] = []
        stop = asyncio.Event()

        async def probe() -> None:
            last = time.perf_counter()
            while not stop.is_set():
                await asyncio.sleep(0.002)
                now = time.perf_counter()
                lags.append(now - last - 0.002)
                last = now

        probe_task = asyncio.create_task(probe())
        calls = [p.calls for p in providers]
        start = time.perf_counter()
        await pilot.press("r")
        screen = app.screen
        while True:
            counts = screen.index.counts()
            if all(p.calls > c for p, c in zip(providers, calls, strict=True)) and not any(
                screen.source_health(p.account).refreshing for p in providers
            ):
                break
            await asyncio.sleep(0.01)
        await next_frame(app)
        total = time.perf_counter() - start
        stop.set()
        await probe_task
        del counts
    return {
        "changed": changed_total,
        "max_blocked_ms": max(lags) * 1000,
        "p99_blocked_ms": sorted(lags)[int(0.99 * (len(lags) - 1))] * 1000,
        "refresh_total_s": total,
    }


async def scenario_idle(jobs: int, seconds: float) -> dict[str, Any]:
    """10,000 jobs, refresh every 2 s, nothing changing: process CPU over `seconds`."""
    data = make_jobs(jobs)
    providers = [StaticProvider(a, [j for j in data if j.account == a]) for a in ACCOUNTS]
    app = build_app(providers, refresh=2.0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_healthy(app, pilot)
        await pilot.pause(3)
        calls = sum(p.calls for p in providers)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        refreshes = sum(p.calls for p in providers) - calls
    return {"cpu_percent": 100 * cpu / wall, "seconds": wall, "refreshes": refreshes}


async def scenario_rss(jobs: int, store_dir: str) -> dict[str, Any]:
    """Resident memory with 100,000 jobs shown (and persisted to a SQLite file)."""
    data = make_jobs(jobs)
    providers = [StaticProvider(a, [j for j in data if j.account == a]) for a in ACCOUNTS]
    del data
    app = build_app(providers, refresh=3600, store_path=str(Path(store_dir) / "bench.sqlite3"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_healthy(app, pilot)
        await pilot.press("s", "s", "slash", *"gear", "escape")
        await pilot.pause(0.5)
        rss = rss_mb()
    return {"rss_mb": rss}


def scenario_demo_start(timeout: float = 30.0) -> dict[str, Any]:
    """Start `jobtop --demo` in a pseudo-terminal; seconds until the job table is drawn."""
    env = dict(os.environ)
    env.update(TERM="xterm-256color", COLUMNS="120", LINES="40")
    env["JOBTOP_STATE_DIR"] = env.get("BENCH_STATE_DIR", "/tmp/jobtop-bench-state")
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execve(sys.executable, [sys.executable, "-m", "tui", "--demo"], env)
    output = b""
    first_frame = None
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
                if first_frame is None and b"Progress" in output:
                    first_frame = time.perf_counter() - start
                    break
        os.write(fd, b"q")
        deadline = time.perf_counter() + 10
        code = None
        while time.perf_counter() < deadline:
            try:
                ready, _, _ = select.select([fd], [], [], 0.05)
                if ready:
                    os.read(fd, 65536)
            except OSError:
                pass
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                code = os.waitstatus_to_exitcode(status)
                break
        if code is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    finally:
        os.close(fd)
    return {"first_frame_s": first_frame, "exit_code": code}


def version_time() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tui", "--version"], capture_output=True, check=True)
    return time.perf_counter() - start


# --- driver --------------------------------------------------------------------------------


def run_child(name: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        name,
        "--jobs",
        str(args.jobs),
        "--idle-seconds",
        str(args.idle_seconds),
        "--datatable-cap",
        str(args.datatable_cap),
    ]
    print(f"running {name}…", file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=900)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def child(name: str, args: argparse.Namespace) -> None:
    import tempfile

    if name == "first_paint":
        result = asyncio.run(scenario_first_paint(args.jobs, args.datatable_cap))
    elif name == "keystrokes":
        result = asyncio.run(scenario_keystrokes(args.jobs))
    elif name == "keystrokes_b2b":
        result = asyncio.run(scenario_keystrokes(args.jobs, gap=0.0))
    elif name == "refresh":
        result = asyncio.run(scenario_refresh(args.jobs))
    elif name == "idle":
        result = asyncio.run(scenario_idle(10_000, args.idle_seconds))
    elif name == "rss":
        with tempfile.TemporaryDirectory() as directory:
            result = asyncio.run(scenario_rss(args.jobs, directory))
    elif name == "demo":
        with tempfile.TemporaryDirectory() as directory:
            os.environ["BENCH_STATE_DIR"] = directory
            result = scenario_demo_start()
            result["version_s"] = version_time()
    else:
        raise SystemExit(f"unknown scenario {name}")
    print(json.dumps(result))


def fmt(value: Any, digits: int = 1, unit: str = "") -> str:
    if value is None or isinstance(value, str):
        return str(value)
    return f"{value:,.{digits}f}{unit}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument(
        "--datatable-cap",
        type=float,
        default=120.0,
        help="stop waiting for DataTable after this many seconds",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--only", nargs="*", default=None, help="run only these scenarios")
    args = parser.parse_args()
    if args.child:
        child(args.child, args)
        return 0
    names = args.only or [
        "first_paint",
        "keystrokes",
        "keystrokes_b2b",
        "refresh",
        "idle",
        "rss",
        "demo",
    ]
    results = {name: run_child(name, args) for name in names}
    n = f"{args.jobs:,}"
    rows: list[tuple[str, str, str, str]] = []
    if "first_paint" in results:
        r = results["first_paint"]
        if "error" in r:
            rows.append((f"{n} jobs to first paint", "error", "≥ 100× DataTable", r["error"]))
        else:
            ratio = r["datatable_s"] / r["jobtable_s"]
            capped = " (DataTable capped: ratio is a lower bound)" if r["datatable_capped"] else ""
            rows.append(
                (
                    f"{n} jobs to first paint",
                    f"JobTable {fmt(r['jobtable_s'] * 1000, 0, ' ms')}; "
                    f"DataTable {fmt(r['datatable_s'], 1, ' s')}{capped}",
                    "≥ 100× faster than DataTable",
                    f"{'✅' if ratio >= 100 else '❌'} {ratio:,.0f}×",
                )
            )
    if "keystrokes" in results:
        r = results["keystrokes"]
        if "error" in r:
            rows.append((f"filter/sort keystroke at {n}", "error", "p95 < 50 ms", r["error"]))
        else:
            detail = ", ".join(
                f"{k} p95 {fmt(r[f'{k}_p95_ms'], 0)} ms "
                f"(median {fmt(r[f'{k}_median_ms'], 0)}, n={r[f'{k}_n']})"
                for k in ("sort", "filter", "search")
            )
            ok = r["all_p95_ms"] < 50
            rows.append(
                (
                    f"filter/sort keystroke to repaint at {n} (keys {KEY_GAP * 1000:.0f} ms apart)",
                    f"p95 {fmt(r['all_p95_ms'], 0)} ms; {detail}",
                    "p95 < 50 ms",
                    "✅" if ok else "❌",
                )
            )
            rows.append(
                (
                    "the same keys, until the match count and scrollbar are final too",
                    f"p95 {fmt(r['counted_p95_ms'], 0)} ms "
                    f"(median {fmt(r['counted_median_ms'], 0)})",
                    "(for reference)",
                    "",
                )
            )
    if "keystrokes_b2b" in results:
        r = results["keystrokes_b2b"]
        if "error" not in r:
            rows.append(
                (
                    "the same keys back to back (each waits for the next 60 fps frame)",
                    f"p95 {fmt(r['all_p95_ms'], 0)} ms (median {fmt(r['all_median_ms'], 0)})",
                    "(for reference)",
                    "",
                )
            )
    if "refresh" in results:
        r = results["refresh"]
        if "error" in r:
            rows.append(("refresh changing 1,000", "error", "< 50 ms", r["error"]))
        else:
            ok = r["max_blocked_ms"] < 50
            rows.append(
                (
                    f"refresh changing {r['changed']:,} of {n}",
                    f"UI loop blocked at most {fmt(r['max_blocked_ms'], 0)} ms "
                    f"(p99 {fmt(r['p99_blocked_ms'], 0)} ms); "
                    f"whole refresh {fmt(r['refresh_total_s'], 2)} s",
                    "blocked < 50 ms",
                    "✅" if ok else "❌",
                )
            )
    if "idle" in results:
        r = results["idle"]
        if "error" in r:
            rows.append(("idle CPU", "error", "< 3 %", r["error"]))
        else:
            ok = r["cpu_percent"] < 3
            rows.append(
                (
                    "idle: 10,000 jobs, 2 s refresh, nothing changing",
                    f"{fmt(r['cpu_percent'], 2)} % of one core over {fmt(r['seconds'], 0)} s "
                    f"({r['refreshes']} refreshes)",
                    "< 3 % of one core",
                    "✅" if ok else "❌",
                )
            )
    if "rss" in results:
        r = results["rss"]
        if "error" in r:
            rows.append(("RSS", "error", "< 250 MB", r["error"]))
        else:
            ok = r["rss_mb"] < 250
            rows.append(
                (
                    f"memory at {n} jobs",
                    f"{fmt(r['rss_mb'], 0)} MB RSS",
                    "< 250 MB",
                    "✅" if ok else "❌",
                )
            )
    if "demo" in results:
        r = results["demo"]
        if "error" in r:
            rows.append(("start to first frame (demo)", "error", "< 1.5 s", r["error"]))
        else:
            first = r.get("first_frame_s")
            ok = first is not None and first < 1.5
            rows.append(
                (
                    "start to first frame, `jobtop --demo`",
                    f"{fmt(first, 2, ' s')} (exit code after q: {r.get('exit_code')})",
                    "< 1.5 s",
                    "✅" if ok else "❌",
                )
            )
            rows.append(
                (
                    "`jobtop --version`",
                    f"{fmt(r['version_s'], 2, ' s')}",
                    "< 0.2 s",
                    "✅" if r["version_s"] < 0.2 else "❌",
                )
            )
    print(
        f"\nBenchmark, {datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}\n"
    )
    print("| what | measured | budget | result |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
