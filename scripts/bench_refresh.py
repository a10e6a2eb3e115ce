"""Benchmark: one refresh of four sources whose latencies are 50/100/200/400 ms.

Starts the simulator on loopback, gives each provider a `latency` fault, and times one
refresh of all four sources run concurrently (as the dashboard does) beside the slowest
latency and beside the slowest source refreshed alone. Budget (docs/design.md §6):
under 1.2x the slowest. Two refreshes are timed: the first (nothing known yet) and a
steady one (ended tracked ids skipped, Zoo conversions fetched incrementally).

    .venv/bin/python scripts/bench_refresh.py [--jobs 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tui.config import demo_settings  # noqa: E402
from tui.models import Job, ProviderName  # noqa: E402
from tui.providers import build_provider  # noqa: E402
from tui.providers.base import JobProvider, ListQuery, ListResult  # noqa: E402

LATENCIES = {
    ProviderName.ZOO: 0.050,
    ProviderName.METAFOLD: 0.100,
    ProviderName.LETTRLABS: 0.200,
    ProviderName.HDRJPG: 0.400,
}
BUDGET = 1.2


def queries(
    tracked: dict[str, list[str]], known: dict[ProviderName, list[Job]], since: datetime | None
) -> dict[ProviderName, ListQuery]:
    """The query per source: tracked ids, minus the ones known to have ended."""
    result = {}
    for provider in ProviderName:
        ended = frozenset(j.id for j in known.get(provider, []) if j.state.is_terminal)
        result[provider] = ListQuery(
            tracked_ids=tracked.get(provider.value, []),
            skip_ids=ended,
            updated_since=since if provider is ProviderName.ZOO else None,
        )
    return result


async def refresh(
    sources: dict[ProviderName, JobProvider], plan: dict[ProviderName, ListQuery]
) -> tuple[float, dict[ProviderName, ListResult]]:
    """All sources at once; returns the wall time and each source's result."""
    started = time.perf_counter()
    results = await asyncio.gather(*(sources[p].list_jobs(plan[p]) for p in sources))
    return time.perf_counter() - started, dict(zip(sources, results, strict=True))


async def solo(source: JobProvider, query: ListQuery) -> float:
    started = time.perf_counter()
    await source.list_jobs(query)
    return time.perf_counter() - started


class Simulator:
    """`jobtop sim` in a child process (its own GIL), with a latency fault per provider."""

    def __init__(self, jobs: int) -> None:
        faults = [f"--fault={p.value}:latency:seconds={s}" for p, s in LATENCIES.items()]
        code = "import sys; from tui.sim.cli import main; raise SystemExit(main(sys.argv[1:]))"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, "--port", "0", "--jobs", str(jobs), *faults],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
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
        from tui.sim.app import ADMIN_SECRET_HEADER

        headers = {ADMIN_SECRET_HEADER: self.admin_secret}
        response = httpx.get(f"{self.url}/_admin/tracked", headers=headers)
        return response.json()  # type: ignore[no-any-return]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


async def run(jobs: int, repeat: int) -> int:
    sim = Simulator(jobs)
    try:
        return await measure(sim, repeat)
    finally:
        sim.stop()


async def measure(sim: Simulator, repeat: int) -> int:
    """Time `repeat` first and steady refreshes; 0 if the steady ones are within budget."""
    tracked = sim.tracked_ids()
    settings = demo_settings(sim.url)
    slowest = max(LATENCIES.values())
    worst_ratio = 0.0
    print(
        f"{'refresh':<8} {'wall':>8} {'slowest latency':>16} {'ratio':>6}"
        "   per source (requests, jobs)"
    )
    for attempt in range(repeat):
        sources = {a.provider: build_provider(a) for a in settings.accounts}
        try:
            first_plan = queries(tracked, {}, None)
            since = datetime.now().astimezone()
            wall, results = await refresh(sources, first_plan)
            known = {p: r.jobs for p, r in results.items()}
            rows = [("first", wall, results)]
            await asyncio.sleep(2.05)  # hdrjpg's per-conversion spacing
            steady_wall, steady = await refresh(sources, queries(tracked, known, since))
            rows.append(("steady", steady_wall, steady))
            for label, seconds, res in rows:
                ratio = seconds / slowest
                if label == "steady":
                    worst_ratio = max(worst_ratio, ratio)
                detail = ", ".join(
                    f"{p.value} {LATENCIES[p] * 1000:.0f}ms ({r.requests}, {len(r.jobs)})"
                    for p, r in res.items()
                )
                print(
                    f"{label:<8} {seconds * 1000:>6.0f}ms {slowest * 1000:>14.0f}ms "
                    f"{ratio:>5.2f}x   {detail}"
                )
            if attempt == 0:
                await asyncio.sleep(2.05)
                plan = queries(tracked, known, since)
                alone = {p: await solo(s, plan[p]) for p, s in sources.items()}
                print(
                    "alone:   "
                    + ", ".join(f"{p.value} {t * 1000:.0f}ms" for p, t in alone.items())
                    + f"; sum {sum(alone.values()) * 1000:.0f}ms (a serial refresh)"
                )
        finally:
            for source in sources.values():
                await source.aclose()
    verdict = "within" if worst_ratio < BUDGET else "OVER"
    print(
        f"steady refresh: worst {worst_ratio:.2f}x the slowest latency "
        f"({verdict} the {BUDGET}x budget)"
    )
    return 0 if worst_ratio < BUDGET else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200, help="simulated jobs per source")
    parser.add_argument("--repeat", type=int, default=3, help="refreshes to time")
    args = parser.parse_args(argv)
    return asyncio.run(run(args.jobs, args.repeat))


if __name__ == "__main__":
    raise SystemExit(main())
