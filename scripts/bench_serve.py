"""Benchmark: `jobtop serve` at volume: RSS, idle CPU with nothing changing, scrape time.

Starts the simulator on loopback (its clock frozen, so nothing changes after the first
listing) with JOBS jobs per source, runs the real `jobtop serve` against its four sources
in a temporary state dir, waits until every source has refreshed, then measures the serve
process alone: its resident memory, its CPU over an idle window (refreshes that find
nothing new), and the time of a `/metrics` scrape (budget: under 50 ms).

    .venv/bin/python scripts/bench_serve.py [--jobs 100000] [--interval 5] [--idle 20]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tui.clock import FrozenClock, utc_now  # noqa: E402
from tui.sim.server import SimServer  # noqa: E402

SCRAPE_BUDGET_MS = 50.0
TOKEN = "bench-token-0000"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(path: Path, sim: SimServer, interval: float) -> None:
    accounts = "".join(
        f'\n[[account]]\nname = "{name}"\nprovider = "{name}"\n'
        f'base_url = "{sim.base_url(name)}"\ntoken_env = "BENCH_TOKEN"\n'
        for name in ("zoo", "metafold", "lettrlabs", "hdrjpg")
    )
    path.write_text(f"refresh = {interval}\n{accounts}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def all_up(url: str) -> bool:
    try:
        text = httpx.get(f"{url}/metrics", timeout=10).text
    except httpx.HTTPError:
        return False
    ups = [line for line in text.splitlines() if line.startswith("jobtop_source_up{")]
    return bool(ups) and all(line.endswith(" 1.0") for line in ups)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000, help="jobs per source")
    parser.add_argument("--interval", type=float, default=5.0, help="serve's refresh interval")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of idle CPU measured")
    parser.add_argument("--scrapes", type=int, default=30)
    args = parser.parse_args()
    jobtop = Path(sys.executable).parent / "jobtop"
    with tempfile.TemporaryDirectory(prefix="jobtop-bench-serve-") as tmp_text:
        tmp = Path(tmp_text)
        sim = SimServer(jobs=args.jobs, seed=7, clock=FrozenClock(utc_now()))
        sim.start()
        try:
            config = tmp / "config.toml"
            write_config(config, sim, args.interval)
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            env = {**os.environ, "BENCH_TOKEN": TOKEN, "JOBTOP_STATE_DIR": str(tmp / "state")}
            started = time.monotonic()
            proc = subprocess.Popen(
                [str(jobtop), "serve", "--config", str(config), "--listen", f"127.0.0.1:{port}"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                while not all_up(url):
                    if proc.poll() is not None:
                        print(proc.stderr.read() if proc.stderr else "", file=sys.stderr)
                        return 1
                    if time.monotonic() - started > 900:
                        print("serve did not refresh every source within 15 minutes")
                        return 1
                    time.sleep(0.5)
                first = time.monotonic() - started
                time.sleep(args.interval * 2)  # the refreshes after the first, settled
                before = cpu_seconds(proc.pid)
                time.sleep(args.idle)
                idle = (cpu_seconds(proc.pid) - before) / args.idle * 100
                rss = rss_mb(proc.pid)
                scrapes = []
                with httpx.Client(timeout=10) as client:
                    size = len(client.get(f"{url}/metrics").content)
                    for _ in range(args.scrapes):
                        t0 = time.perf_counter()
                        client.get(f"{url}/metrics").raise_for_status()
                        scrapes.append((time.perf_counter() - t0) * 1000)
                        time.sleep(0.1)
            finally:
                proc.terminate()
                proc.wait(timeout=10)
        finally:
            sim.stop()
    scrapes.sort()
    p95 = scrapes[min(len(scrapes) - 1, int(len(scrapes) * 0.95))]
    total = args.jobs * 4
    print(
        f"jobtop serve, {args.jobs:,} jobs per source ({total:,} in all), "
        f"interval {args.interval:g} s"
    )
    print(f"  first refresh of every source:  {first:.1f} s")
    print(f"  RSS after it:                   {rss:.0f} MB")
    print(f"  idle CPU, nothing changing:     {idle:.2f} % of one core over {args.idle:g} s")
    print(
        f"  /metrics scrape ({size:,} bytes): median {statistics.median(scrapes):.1f} ms, "
        f"p95 {p95:.1f} ms (budget < {SCRAPE_BUDGET_MS:g} ms: "
        f"{'ok' if p95 < SCRAPE_BUDGET_MS else 'over'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
