"""Soak: the real app, headless, refreshing every second against the simulator for a long time.

Runs `JobsApp` under Textual's Pilot against `jobtop sim` in a child process (real HTTP, real
providers, a real SQLite store on disk) with the simulator's clock running, so jobs arrive,
run and end all the time. Faults come and go on a schedule (set through the simulator, then
healed), and a detail screen is opened and closed now and then. Every sample records RSS,
`tracemalloc`, workers, threads, asyncio tasks and the size of every collection that could
grow (job index and its slots, table caches, notifications, DOM nodes, store rows).

At the end it prints the samples as a table and exits 1 if anything grew without bound:
memory past its allowance after warm-up, or a collection that should be bounded trending up.

    .venv/bin/python scripts/soak.py              # 30 minutes
    .venv/bin/python scripts/soak.py --minutes 2  # a short run
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

FAULT_SCHEDULE: tuple[tuple[str, str, dict[str, object]], ...] = (
    ("zoo", "http_500", {}),
    ("metafold", "latency", {"seconds": 0.4}),
    ("lettrlabs", "http_429", {"retry_after": 2}),
    ("hdrjpg", "reset", {}),
    ("zoo", "truncated_json", {}),
    ("metafold", "unknown_enums", {}),
    ("lettrlabs", "html", {}),
    ("all", "http_503", {}),
    ("zoo", "wrong_types", {}),
    ("metafold", "repeating_token", {}),
    ("hdrjpg", "http_401", {}),
    ("lettrlabs", "malformed_json", {}),
)
"""Faults set in turn, each for `fault_on` seconds, then healed."""

BOUNDED = (
    "workers",
    "threads",
    "tasks",
    "notifications",
    "dom_nodes",
    "screens",
    "flash",
    "dead_slots",
)
"""Metrics that must not trend upward once the app is warm."""

NOISY = {"tasks": 60.0, "dom_nodes": 60.0}
"""Metrics that swing with what is in flight at the moment of sampling (up to 32 tracked
polls per source, timers, retries; a detail screen open or not), and the swing they are
allowed before it counts."""


@dataclass(slots=True)
class Sample:
    """One measurement of the running app."""

    t: float
    rss_mb: float
    traced_mb: float
    values: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class SoakReport:
    """Every sample, and what grew without bound (empty when the run passed)."""

    samples: list[Sample]
    problems: list[str]
    faults_set: int
    details_opened: int
    refreshes: int
    top_growth: list[str] = field(default_factory=list)
    """The allocation sites that grew most after warm-up (tracemalloc), for finding a leak."""
    warmup: int = 1
    """Leading samples the judge ignored (caches filling, first loads)."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def table(self) -> str:
        """The samples as a plain-text table."""
        names = list(self.samples[0].values) if self.samples else []
        header = ["t(s)", "RSS MB", "traced MB", *names]
        rows = [
            [
                f"{s.t:.0f}",
                f"{s.rss_mb:.1f}",
                f"{s.traced_mb:.2f}",
                *(str(s.values[n]) for n in names),
            ]
            for s in self.samples
        ]
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
        lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        return "\n".join(lines)

    def summary(self) -> str:
        """Start/end figures in a few lines."""
        if not self.samples:
            return "no samples"
        first, last = self.samples[0], self.samples[-1]
        warm = self.samples[min(len(self.samples) - 1, self.warmup)]
        return (
            f"RSS {first.rss_mb:.1f} MB at start, {warm.rss_mb:.1f} MB warm (t={warm.t:.0f} s),"
            f" {last.rss_mb:.1f} MB at end"
            f" ({last.rss_mb - warm.rss_mb:+.1f} MB after warm-up); traced {warm.traced_mb:.2f} ->"
            f" {last.traced_mb:.2f} MB ({last.traced_mb - warm.traced_mb:+.2f} MB); workers"
            f" {last.values.get('workers')}; {self.refreshes} refreshes, {self.faults_set} faults,"
            f" {self.details_opened} detail screens over {last.t:.0f} s"
        )


class SimProcess:
    """`jobtop sim` in a child process, so the app's memory is measured alone."""

    def __init__(self, *, jobs: int, seed: int) -> None:
        self.jobs = jobs
        self.seed = seed
        self.url = ""
        self.admin_secret = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> SimProcess:
        command = [
            sys.executable,
            "-m",
            "tui",
            "sim",
            "--port",
            "0",
            "--jobs",
            str(self.jobs),
            "--seed",
            str(self.seed),
        ]
        self._process = subprocess.Popen(
            command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if "listening on" not in line:
            self.__exit__(None, None, None)
            raise RuntimeError(f"jobtop sim did not start: {line!r}")
        self.url = line.rsplit(" ", 1)[1].strip()
        secret_line = self._process.stdout.readline()
        if "admin secret:" not in secret_line:
            self.__exit__(None, None, None)
            raise RuntimeError(f"jobtop sim printed no admin secret: {secret_line!r}")
        self.admin_secret = secret_line.split("admin secret:", 1)[1].split()[0]
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None

    def _admin(self, method: str, path: str, body: dict[str, object] | None = None) -> object:
        import httpx

        from tui.sim.app import ADMIN_SECRET_HEADER

        headers = {ADMIN_SECRET_HEADER: self.admin_secret}
        with httpx.Client(base_url=self.url, timeout=10, headers=headers) as client:
            response = client.request(method, path, json=body)
            response.raise_for_status()
            return response.json() if response.content else None

    def tracked_ids(self) -> dict[str, list[str]]:
        return self._admin("GET", "/_admin/tracked")  # type: ignore[return-value]

    def set_fault(self, provider: str, fault: str, **params: object) -> None:
        self._admin(
            "POST", "/_admin/faults", {"provider": provider, "fault": fault, "params": params}
        )

    def clear_faults(self) -> None:
        self._admin("DELETE", "/_admin/faults")


def rss_mb() -> float:
    """This process's resident set size in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _store_rows(path: Path) -> tuple[int, int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        jobs = db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
        transitions = db.execute("SELECT COUNT(*) FROM transitions").fetchone()[0]
    db.close()
    return int(jobs), int(transitions)


def _import_everything() -> None:
    """Import every module of `tui`, Pillow's image plugins and the lexer the KCL view asks
    Pygments for, as the soak's warm-up: otherwise the first image or detail of a kind
    imports its modules after warm-up, and tracemalloc counts that one-off load as growth."""
    import importlib
    import pkgutil

    from PIL import Image
    from pygments.lexers import get_lexer_by_name

    import tui

    Image.init()

    from tui.widgets.detail_zoo import KCL_LEXER

    for module in pkgutil.walk_packages(tui.__path__, "tui."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    get_lexer_by_name(KCL_LEXER)


def judge(samples: list[Sample], *, warmup: int, traced_allowance_mb: float = 4.0) -> list[str]:
    """What grew without bound, as sentences (empty if nothing did).

    Args:
        samples: Every sample, in order.
        warmup: How many leading samples to ignore (caches filling, first loads).
        traced_allowance_mb: Traced growth allowed after warm-up (at least; 15 % of the
            warm figure if that is more).
    """
    steady = samples[warmup:]
    if len(steady) < 3:
        return [f"too few samples after warm-up ({len(steady)}) to judge growth"]
    third = max(1, len(steady) // 3)
    early, late = steady[:third], steady[-third:]
    problems: list[str] = []

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    # Troughs against troughs: samples alternate between a detail screen open and closed,
    # and what an open screen holds is not growth; a leak raises the troughs too.
    traced_base = min(s.traced_mb for s in early)
    traced_end = min(s.traced_mb for s in late)
    allowance = max(traced_allowance_mb, 0.15 * traced_base)
    if traced_end - traced_base > allowance:
        problems.append(
            f"traced memory grew {traced_end - traced_base:.2f} MB after warm-up"
            f" (allowed {allowance:.2f} MB)"
        )
    rss_base = min(s.rss_mb for s in early)
    rss_end = mean([s.rss_mb for s in late])
    rss_allowance = max(30.0, 0.25 * rss_base)
    if rss_end - rss_base > rss_allowance:
        problems.append(
            f"RSS grew {rss_end - rss_base:.1f} MB after warm-up (allowed {rss_allowance:.1f} MB)"
        )
    for name in BOUNDED:
        first = max(s.values[name] for s in early)
        last = mean([float(s.values[name]) for s in late])
        slack = max(3.0, 0.2 * first)
        if name in NOISY:
            slack = max(slack, NOISY[name])
        if last - first > slack:
            problems.append(f"{name} keeps growing: {first} early, {last:.0f} late")
    from tui.widgets.job_table import STRIP_CACHE_LIMIT

    # The row cache follows the rows on screen (more as jobs arrive and fill it): it is
    # bounded by its limit, not flat.
    if any(s.values.get("strip_cache", 0) > STRIP_CACHE_LIMIT + 1 for s in samples):
        problems.append(f"table row cache past its limit of {STRIP_CACHE_LIMIT:,}")
    for s in samples:
        if s.values["slots"] > 2 * s.values["index"] + 1_100:
            problems.append(
                f"job index slots not compacted: {s.values['slots']} for {s.values['index']} jobs"
            )
            break
    return problems


async def soak(
    seconds: float,
    *,
    sample_every: float = 30.0,
    fault_every: float = 20.0,
    fault_on: float = 8.0,
    detail_every: float = 15.0,
    refresh: float = 1.0,
    jobs: int = 200,
    seed: int = 7,
    warmup_samples: int | None = None,
    on_sample: Callable[[Sample], None] | None = None,
    traced_allowance_mb: float = 4.0,
) -> SoakReport:
    """Run the app headless for `seconds` and measure it; see the module docstring."""
    from tui.app import JobsApp
    from tui.clock import utc_now
    from tui.config import demo_settings
    from tui.providers import build_provider
    from tui.screens.job_detail import JobDetailScreen
    from tui.screens.jobs import JobsScreen
    from tui.store import JobStore
    from tui.widgets.job_table import JobTable

    rng = random.Random(seed)
    samples: list[Sample] = []
    top_growth: list[str] = []
    faults_set = details_opened = 0
    with (
        tempfile.TemporaryDirectory(prefix="jobtop-soak-") as tmp,
        SimProcess(jobs=jobs, seed=seed) as sim,
    ):
        db_path = Path(tmp) / "soak.sqlite3"
        store = JobStore(db_path)
        tracked = {name: tuple(ids) for name, ids in sim.tracked_ids().items()}
        settings = demo_settings(sim.url, refresh=refresh, track=tracked)
        providers = [build_provider(account) for account in settings.accounts]
        app = JobsApp(settings, providers, store, utc_now, rng=random.Random(seed))
        refreshes = 0
        try:
            async with app.run_test(size=(120, 36), notifications=True) as pilot:
                screen = app.screen
                assert isinstance(screen, JobsScreen)
                original_post = screen.post_message

                def counting_post(message):  # type: ignore[no-untyped-def]
                    nonlocal refreshes
                    if type(message).__name__ == "RefreshStarted":
                        refreshes += 1
                    return original_post(message)

                screen.post_message = counting_post  # type: ignore[method-assign]
                _import_everything()  # a module first imported mid-soak is not growth
                tracemalloc.start(8)
                warm_at = (
                    (warmup_samples or 0) + 1
                    if warmup_samples
                    else max(2, int(seconds / sample_every) // 4)
                )
                warm_snapshot = None
                start = time.monotonic()
                next_sample = start
                next_fault = start + fault_every / 2
                fault_clear_at: float | None = None
                next_detail = start + detail_every
                detail_close_at: float | None = None
                fault_index = 0
                while True:
                    now = time.monotonic()
                    elapsed = now - start
                    if fault_clear_at is not None and now >= fault_clear_at:
                        await asyncio.to_thread(sim.clear_faults)
                        fault_clear_at = None
                    if (
                        fault_clear_at is None
                        and now >= next_fault
                        and elapsed < seconds - fault_on
                    ):
                        provider, fault, params = FAULT_SCHEDULE[fault_index % len(FAULT_SCHEDULE)]
                        fault_index += 1
                        await asyncio.to_thread(sim.set_fault, provider, fault, **params)
                        faults_set += 1
                        fault_clear_at = now + fault_on
                        next_fault = now + fault_every
                    if detail_close_at is not None and now >= detail_close_at:
                        if isinstance(app.screen, JobDetailScreen):
                            app.pop_screen()
                        detail_close_at = None
                    elif detail_close_at is None and now >= next_detail and app.screen is screen:
                        visible = screen.jobs_in_view()
                        if visible:
                            job = rng.choice(visible[:200])
                            provider_obj = next(p for p in providers if p.account == job.account)
                            app.push_screen(JobDetailScreen(job, provider_obj, utc_now))
                            details_opened += 1
                            detail_close_at = now + 4.0
                        next_detail = now + detail_every
                    if now >= next_sample or elapsed >= seconds:
                        table = screen.query_one(JobTable)
                        # Counted before the collection below, which can hold the loop for
                        # a second on a loaded machine: flashes ending meanwhile are not stuck.
                        overdue_flashes = sum(
                            1 for until in table._flash.values() if until < time.monotonic() - 1.0
                        )
                        gc.collect()
                        index = screen.index
                        jobs_rows, transition_rows = await asyncio.to_thread(_store_rows, db_path)
                        sample = Sample(
                            t=elapsed,
                            rss_mb=rss_mb(),
                            traced_mb=tracemalloc.get_traced_memory()[0] / 2**20,
                            values={
                                "workers": len(app.workers),
                                "threads": threading.active_count(),
                                "tasks": len(asyncio.all_tasks()),
                                "notifications": len(app._notifications),
                                "dom_nodes": sum(
                                    len(list(s.walk_children(with_self=True)))
                                    for s in app.screen_stack
                                ),
                                "screens": len(app.screen_stack),
                                "strip_cache": len(table._strips),
                                # flashes overdue by a second: a burst of changes is not a leak
                                "flash": overdue_flashes,
                                "index": len(index),
                                "slots": len(index._jobs),
                                "dead_slots": len(index._jobs) - len(index),
                                "store_jobs": jobs_rows,
                                "transitions": transition_rows,
                            },
                        )
                        samples.append(sample)
                        if len(samples) == warm_at:
                            warm_snapshot = tracemalloc.take_snapshot()
                        if on_sample is not None:
                            on_sample(sample)
                        next_sample = now + sample_every
                        if elapsed >= seconds:
                            break
                    await pilot.pause(0.25)
                if fault_clear_at is not None:
                    await asyncio.to_thread(sim.clear_faults)
                if warm_snapshot is not None:
                    gc.collect()
                    stats = tracemalloc.take_snapshot().compare_to(warm_snapshot, "traceback")
                    for stat in stats[:6]:
                        frames = [
                            f"{Path(f.filename).name}:{f.lineno}"
                            for f in stat.traceback
                            if "site-packages/textual/_" not in f.filename
                        ][:4]
                        top_growth.append(
                            f"{stat.size_diff / 1024:+.0f} KiB ({stat.count_diff:+d}) "
                            + " <- ".join(frames)
                        )
                if not app.is_running:
                    return SoakReport(
                        samples,
                        ["the app stopped during the soak"],
                        faults_set,
                        details_opened,
                        refreshes,
                    )
        finally:
            tracemalloc.stop()
            store.close()
    warm = warmup_samples if warmup_samples is not None else max(1, len(samples) // 4)
    problems = judge(samples, warmup=warm, traced_allowance_mb=traced_allowance_mb)
    if refreshes < seconds / refresh / 2:
        problems.append(f"only {refreshes} refreshes in {seconds:.0f} s: refresh loops stalled")
    return SoakReport(samples, problems, faults_set, details_opened, refreshes, top_growth, warm)


def main(argv: list[str] | None = None) -> int:
    """Run the soak; exit 0 if nothing grew without bound, 1 otherwise."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to run (default 30)")
    parser.add_argument("--sample-every", type=float, default=None, help="seconds between samples")
    parser.add_argument("--jobs", type=int, default=200, help="initial jobs per simulated source")
    args = parser.parse_args(argv)
    seconds = args.minutes * 60
    sample_every = args.sample_every or max(5.0, min(60.0, seconds / 30))
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

    def show(sample: Sample) -> None:
        print(
            f"  t={sample.t:6.0f}s RSS {sample.rss_mb:6.1f} MB traced {sample.traced_mb:6.2f} MB "
            f"workers {sample.values['workers']} index {sample.values['index']}",
            flush=True,
        )

    print(
        f"soak: {args.minutes:g} minutes, refresh 1 s, faults every 20 s, "
        f"sample every {sample_every:g} s"
    )
    report = asyncio.run(soak(seconds, sample_every=sample_every, jobs=args.jobs, on_sample=show))
    print(report.table())
    print(report.summary())
    print("largest growth after warm-up (tracemalloc):")
    for line in report.top_growth:
        print(f"  {line}")
    for problem in report.problems:
        print(f"FAIL: {problem}")
    print("PASS: nothing grew without bound" if report.ok else "FAIL")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
