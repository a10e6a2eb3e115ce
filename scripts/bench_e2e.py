"""Benchmark the real path at volume: `jobtop sim`, the real providers, the real dashboard.

Usage: `.venv/bin/python scripts/bench_e2e.py [--jobs 100000] [--interval 5] [--steady-seconds 60]`

Starts `jobtop sim --jobs N --frozen-clock` (every surface; the world stands still, so the
steady state changes nothing and every count is exact), then, each in its own child
process so memory and CPU are not mixed up:

- the floor: plain httpx fetching and JSON-decoding the same pages the providers ask for
  in a full listing (same page size, each list's pages in turn, lists at once);
- the dashboard, headless (`App.run_test`) with the demo accounts' real providers over
  loopback: first rows, everything loaded, the UI loop's worst block, keystrokes while
  full refreshes of the unpaged sources run, RSS above the empty app, then the steady
  state (CPU, bytes per refresh per source beside a full listing's);
- `jobtop list --json` over the same accounts: wall time and peak RSS.

Prints a markdown table, each figure beside its budget and the floor from the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

SIZE = (120, 40)
PAGE = 100
"""The page size the Zoo provider asks for (`tui.providers.zoo.PAGE_SIZE`)."""


def say(text: str) -> None:
    """Progress on stderr (the figures go to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the simulator ------------------------------------------------------------------------


class Simulator:
    """`jobtop sim` in a child process (its own GIL)."""

    def __init__(self, jobs: int) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tui",
                "sim",
                "--port",
                "0",
                "--jobs",
                str(jobs),
                "--frozen-clock",
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "listening on" not in line:
            self.stop()
            raise RuntimeError(f"the simulator did not start: {line!r}")
        self.url = line.rsplit(" ", 1)[-1].strip()
        secret_line = self.process.stdout.readline()
        if "admin secret:" not in secret_line:
            self.stop()
            raise RuntimeError(f"the simulator printed no admin secret: {secret_line!r}")
        self.admin_secret = secret_line.split("admin secret:", 1)[1].split()[0]

    def tracked_ids(self) -> dict[str, list[str]]:
        """The hdrjpg ids the world knows (hdrjpg has no list call: jobtop tracks them)."""
        import httpx

        from tui.sim.app import ADMIN_SECRET_HEADER

        response = httpx.get(
            f"{self.url}/_admin/tracked", headers={ADMIN_SECRET_HEADER: self.admin_secret}
        )
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def run_child(role: str, url: str, options: dict[str, Any]) -> dict[str, Any]:
    """Run this script as `--child ROLE` and read the JSON it prints last."""
    process = subprocess.run(
        [sys.executable, __file__, "--child", role, "--url", url, "--options", json.dumps(options)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    lines = [line for line in process.stdout.splitlines() if line.startswith("{")]
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"{role} failed ({process.returncode}): {process.stderr[-3000:]}")
    return json.loads(lines[-1])  # type: ignore[no-any-return]


# --- the floor: plain httpx ---------------------------------------------------------------


async def floor(url: str, tracked: dict[str, list[str]]) -> dict[str, Any]:
    """Fetch and decode a full listing's pages with plain httpx; no parsing, no UI."""
    import httpx

    headers = {
        "Authorization": "Bearer demo-token",
        "X-API-KEY": "demo-token",
        "api-key": "demo-token",
    }
    first_page: list[float] = []
    counts: dict[str, int] = {}
    nbytes: dict[str, int] = {}
    started = time.perf_counter()
    async with httpx.AsyncClient(
        base_url=url, headers=headers, timeout=120, limits=httpx.Limits(max_connections=32)
    ) as client:

        async def get(source: str, path: str, params: dict[str, Any] | None = None) -> Any:
            response = await client.get(path, params=params)
            response.raise_for_status()
            nbytes[source] = nbytes.get(source, 0) + len(response.content)
            body = json.loads(response.content)
            if not first_page:
                first_page.append(time.perf_counter() - started)
            return body

        async def pages(source: str, path: str, params: dict[str, Any]) -> int:
            total, token = 0, None
            while True:
                query = {**params, **({"page_token": token} if token else {})}
                body = await get(source, path, query)
                total += len(body["items"])
                token = body.get("next_page")
                if not token:
                    return total

        async def zoo() -> None:
            datasets = (await get("zoo", "/zoo/org/datasets", {"limit": PAGE}))["items"]
            ids = [d["id"] for d in datasets]
            stats = [get("zoo", f"/zoo/org/datasets/{i}/stats") for i in ids]
            lists = [
                pages(
                    "zoo",
                    f"/zoo/org/datasets/{i}/conversions",
                    {"limit": PAGE, "sort_by": "updated_at_descending"},
                )
                for i in ids
            ]
            lists.append(
                pages(
                    "zoo",
                    "/zoo/async/operations",
                    {"limit": PAGE, "sort_by": "created_at_descending"},
                )
            )
            found = await asyncio.gather(*stats, *lists)
            counts["zoo"] = sum(found[len(ids) :])

        async def metafold() -> None:
            projects = await get("metafold", "/metafold/projects")
            bodies = await asyncio.gather(
                *(get("metafold", f"/metafold/projects/{p['id']}/jobs") for p in projects)
            )
            counts["metafold"] = sum(len(b) for b in bodies)

        async def lettrlabs() -> None:
            body = await get("lettrlabs", "/lettrlabs/v1/conversions")
            counts["lettrlabs"] = len(body["payload"])

        async def hdrjpg() -> None:
            ids = tracked.get("hdrjpg", [])
            await asyncio.gather(
                *(get("hdrjpg", "/hdrjpg/status", {"conversionUuid": i}) for i in ids)
            )
            counts["hdrjpg"] = len(ids)

        await asyncio.gather(zoo(), metafold(), lettrlabs(), hdrjpg())
    return {
        "first_page_s": first_page[0],
        "all_s": time.perf_counter() - started,
        "counts": counts,
        "bytes": nbytes,
    }


# --- the dashboard ------------------------------------------------------------------------


class ByteCounter(logging.Handler):
    """Counts response bytes per account from the HTTP layer's debug line."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.bytes: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("%s GET /%s -> %s (%d bytes") and record.args:
            account, _, _, size, _ = record.args  # type: ignore[misc]
            self.bytes[account] = self.bytes.get(account, 0) + int(size)


async def dashboard(url: str, options: dict[str, Any]) -> dict[str, Any]:
    """The real dashboard over the real providers: load, keys, memory, steady state."""
    from tui.app import JobsApp
    from tui.clock import utc_now
    from tui.config import Settings, demo_settings
    from tui.providers import build_provider
    from tui.store import JobStore

    expected: int = options["expected"]
    interval: float = options["interval"]
    tracked = {name: tuple(ids) for name, ids in options["tracked"].items()}
    state_dir = Path(tempfile.mkdtemp(prefix="bench-e2e-"))

    # The empty app: the baseline for memory.
    empty_store = JobStore(str(state_dir / "empty.db"))
    empty = JobsApp(Settings(accounts=(), refresh=interval), [], empty_store, utc_now)
    async with empty.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        empty_rss = rss_mb()
    say(f"empty app: {empty_rss:.0f} MB")

    counter = ByteCounter()
    provider_log = logging.getLogger("tui.providers")
    provider_log.addHandler(counter)
    provider_log.setLevel(logging.DEBUG)
    settings = demo_settings(url, refresh=interval, track=tracked)
    providers = [build_provider(account) for account in settings.accounts]
    calls: dict[str, int] = {p.account: 0 for p in providers}
    for provider in providers:
        real = provider.list_jobs

        async def counted(query: Any, real: Any = real, account: str = provider.account) -> Any:
            calls[account] += 1
            return await real(query)

        provider.list_jobs = counted  # type: ignore[method-assign]
    store = JobStore(str(state_dir / "jobs.db"))
    app = JobsApp(settings, providers, store, utc_now)

    result: dict[str, Any] = {"empty_rss_mb": empty_rss}
    async with app.run_test(size=SIZE) as pilot:
        try:
            await measure(
                app, pilot, providers, calls, counter, expected, interval, options, result
            )
        except BaseException:
            import traceback

            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)
    store.close()
    return result


async def measure(
    app: Any,
    pilot: Any,
    providers: list[Any],
    calls: dict[str, int],
    counter: ByteCounter,
    expected: int,
    interval: float,
    options: dict[str, Any],
    result: dict[str, Any],
) -> None:
    """The dashboard's figures, into `result`."""
    from bench import key_to_frame, next_frame

    from tui.sync.health import Health

    lags: list[float] = []
    probing = True

    async def probe() -> None:
        last = time.perf_counter()
        while probing:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            lags.append(now - last - 0.005)
            last = now

    screen = app.screen
    started = time.perf_counter()
    probe_task = asyncio.ensure_future(probe())
    while len(screen.index) == 0:
        await asyncio.sleep(0.002)
    await next_frame(app)
    result["first_rows_s"] = time.perf_counter() - started
    result["startup_block_max_ms"] = max(lags, default=0.0) * 1000
    lags.clear()
    say(f"first rows after {result['first_rows_s']:.2f} s")

    def loaded() -> bool:
        return len(screen.index) >= expected and all(
            screen.source_health(p.account).health == Health.OK
            and screen.source_health(p.account).note is None
            for p in providers
        )

    said = time.perf_counter()
    while not loaded():
        await asyncio.sleep(0.01)
        if time.perf_counter() - said > 5:
            said = time.perf_counter()
            say(
                f"{len(screen.index)} of {expected}: "
                + ", ".join(
                    f"{p.account} {screen.source_health(p.account).health.value}"
                    f" {screen.source_health(p.account).note or ''}"
                    for p in providers
                )
            )
        if time.perf_counter() - started > options["timeout"]:
            raise TimeoutError(f"loaded {len(screen.index)} of {expected} jobs")
    await next_frame(app)
    result["all_loaded_s"] = time.perf_counter() - started
    result["jobs"] = len(screen.index)
    result["load_bytes"] = dict(counter.bytes)
    say(f"every job loaded after {result['all_loaded_s']:.1f} s")
    await pilot.pause(1.0)
    result["full_rss_mb"] = rss_mb()

    # Keystrokes while the unpaged sources list everything again (their full listing).
    timings: list[float] = []
    for provider in providers:
        # The unpaged sources list everything again (Zoo's paged full listing is not
        # what this measures, and would still be paging through the steady state).
        if hasattr(provider, "_last_full") and not provider.capabilities.incremental:
            provider._last_full = None
    await pilot.press("r")
    refresh_started = time.perf_counter()
    keys = [
        "s",
        "s",
        "S",
        "S",
        "f",
        "f",
        "2",
        "1",
        "/",
        "1",
        "2",
        "backspace",
        "backspace",
        "escape",
    ]
    while time.perf_counter() - refresh_started < 30:
        for key in keys:
            await asyncio.sleep(0.08)
            if key in ("/", "escape"):
                # Opening and closing the search box changes no rows: not timed.
                await pilot.press("slash" if key == "/" else key)
                continue
            shown, _ = await key_to_frame(app, screen, key)
            timings.append(shown)
        if (
            all(calls[p.account] >= 2 for p in providers)
            and not any(screen.source_health(p.account).refreshing for p in providers)
            and len(timings) >= 40
        ):
            break
    while not loaded():  # no listing still in parts when the steady state begins
        await asyncio.sleep(0.1)
    ordered = sorted(timings)
    result["keys_p95_ms"] = ordered[int(0.95 * (len(ordered) - 1))] * 1000
    result["keys_median_ms"] = statistics.median(ordered) * 1000
    result["keys_n"] = len(ordered)
    say(f"keys p95 {result['keys_p95_ms']:.0f} ms over {len(ordered)}")
    await pilot.pause(interval * 2)
    result["loop_block_max_ms"] = max(lags) * 1000
    result["loop_block_p99_ms"] = sorted(lags)[int(0.99 * (len(lags) - 1))] * 1000

    # Steady state: nothing changes in the world; CPU and bytes per refresh.
    say("steady state")
    before_calls = dict(calls)
    before_bytes = dict(counter.bytes)
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    await asyncio.sleep(options["steady_seconds"])
    cpu1, wall1 = cpu_seconds(), time.perf_counter()
    probing = False
    await probe_task
    result["steady_cpu_pct"] = (cpu1 - cpu0) / (wall1 - wall0) * 100
    per_refresh = {}
    for provider in providers:
        account = provider.account
        refreshes = calls[account] - before_calls[account]
        moved = counter.bytes.get(account, 0) - before_bytes.get(account, 0)
        per_refresh[account] = (moved / refreshes) if refreshes else None
    result["steady_bytes_per_refresh"] = per_refresh
    result["steady_refreshes"] = {a: calls[a] - before_calls[a] for a in calls}


# --- jobtop list --------------------------------------------------------------------------


def list_run(url: str, tracked: dict[str, list[str]]) -> dict[str, Any]:
    """`jobtop list --json` over the demo accounts: wall time and the child's peak RSS."""
    with tempfile.TemporaryDirectory(prefix="bench-e2e-list-") as tmp:
        config = Path(tmp) / "config.toml"
        lines = []
        for provider in ("zoo", "metafold", "lettrlabs", "hdrjpg"):
            ids = ", ".join(f'"{i}"' for i in tracked.get(provider, []))
            lines.append(
                f'[[account]]\nname = "demo-{provider}"\nprovider = "{provider}"\n'
                f'base_url = "{url}/{provider}"\ntoken_env = "BENCH_TOKEN"\ntrack = [{ids}]\n'
            )
        config.write_text("\n".join(lines))
        env = {
            **os.environ,
            "BENCH_TOKEN": "demo-token",
            "JOBTOP_STATE_DIR": str(Path(tmp) / "state"),
        }
        out_path, err_path = Path(tmp) / "out.json", Path(tmp) / "err.txt"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            started = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-m", "tui", "list", "--json", "--config", str(config)],
                stdout=out,
                stderr=err,
                env=env,
                cwd=REPO,
            )
            # wait4, not wait: the child's own peak RSS comes with its exit status.
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        process.returncode = code
        stderr = err_path.read_text(errors="replace").strip()
        if code not in (0, 3):
            raise RuntimeError(f"jobtop list failed ({code}): {stderr[-2000:]}")
        jobs = len(json.loads(out_path.read_bytes()))
    return {
        "wall_s": wall,
        "jobs": jobs,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "exit": code,
        "stderr": stderr,
    }


# --- the report ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000, help="simulated jobs per source")
    parser.add_argument("--interval", type=float, default=5.0, help="refresh interval (s)")
    parser.add_argument(
        "--steady-seconds", type=float, default=60.0, help="steady-state window (s)"
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="give up loading after (s)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--url", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        options = json.loads(args.options)
        if args.child == "floor":
            print(json.dumps(asyncio.run(floor(args.url, options["tracked"]))))
        else:
            try:
                print(json.dumps(asyncio.run(dashboard(args.url, options))))
            except BaseException:
                import traceback

                traceback.print_exc()
                sys.stderr.flush()
                os._exit(1)
        return 0

    sim = Simulator(args.jobs)
    try:
        tracked = sim.tracked_ids()
        base = run_child("floor", sim.url, {"tracked": tracked})
        expected = sum(base["counts"].values())
        board = run_child(
            "dashboard",
            sim.url,
            {
                "tracked": tracked,
                "expected": expected,
                "interval": args.interval,
                "steady_seconds": args.steady_seconds,
                "timeout": args.timeout,
            },
        )
        listed = list_run(sim.url, tracked)
        again = run_child("floor", sim.url, {"tracked": tracked})
    finally:
        sim.stop()
    report(args, base, again, board, listed, expected)
    return 0


def report(
    args: argparse.Namespace,
    base: dict[str, Any],
    again: dict[str, Any],
    board: dict[str, Any],
    listed: dict[str, Any],
    expected: int,
) -> None:
    """The markdown table: each figure beside its floor or budget from this run."""
    floor_all = min(base["all_s"], again["all_s"])
    floor_first = min(base["first_page_s"], again["first_page_s"])
    above = board["full_rss_mb"] - board["empty_rss_mb"]
    per_job_kb = above * 1024 / max(1, board["jobs"])

    def row(what: str, measured: str, budget: str, ok: bool | None, extra: str = "") -> None:
        verdict = "" if ok is None else ("✅" if ok else "❌")
        print(f"| {what} | {measured} | {budget} | {verdict}{extra} |")

    steady = []
    for provider in ("zoo", "metafold", "lettrlabs", "hdrjpg"):
        account = f"demo-{provider}"
        per = board["steady_bytes_per_refresh"].get(account)
        full = board["load_bytes"].get(account) or 0
        shown = f"{per:,.0f}" if per is not None else "no refresh"
        steady.append(f"{provider} {shown} B vs {full:,} B full")
    print(
        f"`scripts/bench_e2e.py --jobs {args.jobs:,}`: {expected:,} jobs over four sources "
        f"(sim --frozen-clock), interval {args.interval:g} s.\n"
    )
    print("| what | measured | floor / budget | result |")
    print("|---|---|---|---|")
    first, loaded = board["first_rows_s"], board["all_loaded_s"]
    row(
        "first rows on screen",
        f"{first * 1000:,.0f} ms",
        f"first page {floor_first * 1000:,.0f} ms + 300 ms",
        first <= floor_first + 0.3,
    )
    row(
        f"every job loaded ({board['jobs']:,})",
        f"{loaded:.1f} s",
        f"floor {floor_all:.1f} s × 1.3 = {floor_all * 1.3:.1f} s",
        loaded <= floor_all * 1.3,
        f" {loaded / floor_all:.2f}×",
    )
    block = board["loop_block_max_ms"]
    row(
        "UI loop blocked, worst, load and refreshes",
        f"{block:.0f} ms (p99 {board['loop_block_p99_ms']:.0f} ms; start-up "
        f"{board['startup_block_max_ms']:.0f} ms)",
        "< 50 ms",
        block < 50,
    )
    keys = board["keys_p95_ms"]
    row(
        f"keystroke p95 during full refreshes ({board['keys_n']} keys)",
        f"{keys:.0f} ms (median {board['keys_median_ms']:.0f})",
        "< 50 ms",
        keys < 50,
    )
    row(
        "RSS at full volume above the empty app",
        f"{above:.0f} MB ({per_job_kb:.2f} KB/job; empty {board['empty_rss_mb']:.0f} MB)",
        "≤ 1.5 KB/job",
        per_job_kb <= 1.5,
    )
    cpu = board["steady_cpu_pct"]
    row(
        f"steady state, {args.steady_seconds:g} s, nothing changing: CPU",
        f"{cpu:.1f} % of a core",
        "< 3 %",
        cpu < 3,
    )
    row(
        "steady state: bytes per refresh per source",
        "; ".join(steady),
        "beside a full listing",
        None,
    )
    wall = listed["wall_s"]
    row(
        f"`jobtop list --json` ({listed['jobs']:,} jobs, exit {listed['exit']})",
        f"{wall:.1f} s, peak RSS {listed['peak_rss_mb']:.0f} MB",
        f"floor {floor_all:.1f} s × 1.5 = {floor_all * 1.5:.1f} s",
        wall <= floor_all * 1.5,
        f" {wall / floor_all:.2f}×",
    )
    if listed["stderr"]:
        print(f"\n`jobtop list` said: {listed['stderr']}")


if __name__ == "__main__":
    raise SystemExit(main())
