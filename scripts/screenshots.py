"""Screenshots of the demo for the README: `screenshots/*.svg`, the same bytes every run.

The real dashboard (`JobsApp`, the real providers over loopback HTTP) runs headless at
140x40 against an in-process `SimServer` whose world stands still (a `FrozenClock` and a
fixed seed), with the app on the same frozen clock, so ages, progress and ids never move.
Shots: the main view, the All view filtered to failed, one detail screen of each kind
(hdrjpg, Zoo dataset conversion with snapshot images, Zoo async operation, Metafold,
LettrLabs), a failing source (HTTP 503 on Metafold), and the on-call view at 80x24: an
hour later (the simulator's clock moved on with the app's, so jobs arrived and ended), the
All view filtered to the failures of the last hour. `--write-readme` puts the gallery
between the README's screenshot markers.

    .venv/bin/python scripts/screenshots.py                  # writes screenshots/*.svg
    .venv/bin/python scripts/screenshots.py --out DIR --write-readme
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

README = ROOT / "README.md"
BEGIN, END = "<!-- screenshots -->", "<!-- /screenshots -->"
SIZE = (140, 40)
SMALL = (80, 24)
"""The on-call shot's terminal: the smallest the dashboard is made for."""
SEED = 7
JOBS = 300
START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
"""The frozen moment of every shot (the simulator's epoch and the app's clock)."""
HDRJPG_SEED = "88667411-3fb9-4c92-8488-8e277aed3021"
ZOO_ASYNC_SEED = "0ca1531a-ac9b-4e55-bff6-2ec246d5cc1d"
METAFOLD_SEED = "123"
STEP_TIMEOUT = 30.0
REFRESH = 30.0
"""The refresh interval: long enough that no refresh lands between a shot's steps."""
STALE_AFTER = 300.0
"""Seconds the app's clock moves on before the failing-source shot, so its rows are old."""
HOUR_LATER = 3600.0
"""Seconds both clocks move on before the on-call shot, so the last hour has failures."""
ONE_HOUR = "1 h"
"""The time window of the on-call shot, as `w` names it."""


@dataclass(frozen=True, slots=True)
class Shot:
    """One screenshot: its file stem and README caption."""

    name: str
    caption: str


SHOTS: tuple[Shot, ...] = (
    Shot("main", "Every source in one list (the All view)"),
    Shot("failed", "The All view filtered to failed jobs (f), with each failure's reason"),
    Shot("detail-hdrjpg", "hdrjpg conversion: steps, dates and every variant"),
    Shot(
        "detail-zoo-conversion", "Zoo dataset conversion: phases, KCL outputs and snapshot images"
    ),
    Shot("detail-zoo-async", "Zoo async operation: type, worker, timings and results"),
    Shot("detail-metafold", "Metafold job: inputs, outputs and the jobs it needs"),
    Shot("detail-lettrlabs", "LettrLabs conversion: file, data source, errors and profile"),
    Shot(
        "failing-source",
        "A failing source (HTTP 503 on Metafold): its health says why, its rows stay, marked stale",
    ),
    Shot(
        "oncall-80x24",
        "On call at 80x24: every source, failed only (f), changed in the last hour (w)",
    ),
)


class ShotError(Exception):
    """A step of the script did not happen in time."""


async def _until(
    pilot: Any, condition: Callable[[], bool], what: str, timeout: float = STEP_TIMEOUT
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            await pilot.pause(0.1)
            return
        await pilot.pause(0.05)
    raise ShotError(f"timed out after {timeout:g} s waiting for {what}")


SHORT_WORKERS = frozenset({"startup", "prepare", "snapshot-image", "track-store"})
"""Worker groups that end on their own (refresh loops and detail polls never do)."""


async def _settle(pilot: Any) -> None:
    """Let the short workers finish and the screen repaint."""
    app = pilot.app

    def quiet() -> bool:
        return not any(w.group in SHORT_WORKERS and not w.is_finished for w in app.workers)

    await _until(pilot, quiet, "the workers to finish")
    await pilot.pause(0.3)
    await _until(pilot, quiet, "the workers to finish")


def _save(app: Any, out: Path, shot: Shot) -> Path:
    path = out / f"{shot.name}.svg"
    path.write_text(app.export_screenshot(title=f"jobtop — {shot.caption}"), encoding="utf-8")
    return path


async def _detail(pilot: Any, job: Any, provider: Any, clock: Any) -> None:
    """Open the detail screen of `job` and wait until it shows its result and images."""
    from tui.screens.job_detail import JobDetailScreen

    app = pilot.app
    screen = JobDetailScreen(job, provider, clock, refresh_interval=3600.0)
    await app.push_screen(screen)

    def ready() -> bool:
        return (
            app.screen is screen
            and screen.fetches >= 1
            and (screen.detail is not None or screen.error is not None)
            and bool(screen.query("#detail-view, #detail-loading"))
            and not any(w.group == "snapshot-image" and not w.is_finished for w in app.workers)
        )

    await _until(pilot, ready, f"the detail of {job.id}")
    if screen.error is not None:
        raise ShotError(f"the detail of {job.id} failed: {screen.error}")
    await _settle(pilot)
    images = screen.query("#zoo-image-counts")
    if images:  # the snapshot images are below the fold: bring them up
        images.first().scroll_visible(top=True, animate=False, immediate=True)
        await _settle(pilot)


async def _zoo_conversion_with_images(screen: Any, provider: Any) -> Any:
    """The newest Zoo dataset conversion whose detail carries snapshot images."""
    from tui.models import JobKind

    candidates = sorted(
        (job for job in screen.index.jobs("demo-zoo") if job.kind == JobKind.DATASET_CONVERSION),
        key=lambda job: (job.created_at or START, job.id),
        reverse=True,
    )
    for job in candidates[:60]:
        detail = await provider.get_job(job.id, job.parent_id)
        if getattr(detail, "original_images", ()) and getattr(detail, "raw_kcl_images", ()):
            return job
    raise ShotError("no Zoo dataset conversion with snapshot images in the demo")


def _job(screen: Any, account: str, job_id: str) -> Any:
    job = screen.index.get((account, job_id))
    if job is None:
        raise ShotError(f"{account} has no job {job_id} in the list")
    return job


async def take(out: Path) -> list[Path]:
    """Run the demo headless and write every shot into `out`; return the files."""
    from textual.widgets import Static

    from tui.app import JobsApp
    from tui.clock import FrozenClock
    from tui.config import demo_settings
    from tui.job_index.filters import TIME_WINDOWS
    from tui.providers import build_provider
    from tui.screens.jobs import JobsScreen
    from tui.sim.server import SimServer
    from tui.store import JobStore
    from tui.sync.health import Health

    out.mkdir(parents=True, exist_ok=True)
    shots = {shot.name: shot for shot in SHOTS}
    written: list[Path] = []
    clock = FrozenClock(START)
    sim_clock = FrozenClock(START)
    with SimServer(jobs=JOBS, seed=SEED, clock=sim_clock) as sim:
        tracked = {name: tuple(ids) for name, ids in sim.tracked_ids().items()}
        settings = demo_settings(sim.url, refresh=REFRESH, track=tracked)
        providers = [build_provider(account, clock=clock) for account in settings.accounts]
        by_account = {provider.account: provider for provider in providers}
        store = JobStore(":memory:", clock=clock)
        app = JobsApp(settings, providers, store, clock, rng=random.Random(SEED))  # fixed jitter
        try:
            async with app.run_test(size=SIZE) as pilot:
                screen = app.screen
                assert isinstance(screen, JobsScreen)
                accounts = list(by_account)
                await _until(
                    pilot,
                    lambda: all(screen.source_health(n).health == Health.OK for n in accounts),
                    "every source ok",
                )
                await _settle(pilot)
                written.append(_save(app, out, shots["main"]))

                await pilot.press("f")
                await _settle(pilot)
                written.append(_save(app, out, shots["failed"]))
                await pilot.press("f")
                await _settle(pilot)

                details = (
                    ("detail-hdrjpg", _job(screen, "demo-hdrjpg", HDRJPG_SEED)),
                    (
                        "detail-zoo-conversion",
                        await _zoo_conversion_with_images(screen, by_account["demo-zoo"]),
                    ),
                    ("detail-zoo-async", _job(screen, "demo-zoo", ZOO_ASYNC_SEED)),
                    ("detail-metafold", _job(screen, "demo-metafold", METAFOLD_SEED)),
                    ("detail-lettrlabs", _newest_failed(screen, "demo-lettrlabs")),
                )
                for name, job in details:
                    await _detail(pilot, job, by_account[job.account], clock)
                    written.append(_save(app, out, shots[name]))
                    app.pop_screen()
                    await _settle(pilot)

                # later: Metafold answers 503, the others refresh fine
                clock.advance(STALE_AFTER)
                sim.set_fault("metafold", "http_503")
                await pilot.press("r")
                now = clock()

                def failed_alone() -> bool:
                    health = {name: screen.source_health(name) for name in accounts}
                    return health["demo-metafold"].health == Health.FAILING and all(
                        h.health == Health.OK and h.last_ok_at == now
                        for name, h in health.items()
                        if name != "demo-metafold"
                    )

                await _until(pilot, failed_alone, "Metafold to fail while the others refresh")
                await pilot.press("3")
                await _settle(pilot)
                written.append(_save(app, out, shots["failing-source"]))
                sim.clear_faults()

                # an hour later, on call at 80x24: what failed in the last hour, everywhere
                sim_clock.advance(STALE_AFTER + HOUR_LATER)
                clock.advance(HOUR_LATER)
                await pilot.press("r")
                later = clock()
                await _until(
                    pilot,
                    lambda: all(
                        screen.source_health(n).health == Health.OK
                        and screen.source_health(n).last_ok_at == later
                        for n in accounts
                    ),
                    "every source to refresh an hour later",
                )
                await pilot.press("1", "f")
                status = screen.query_one("#status-line", Static)
                for _ in TIME_WINDOWS:  # `w` steps through the windows: up to one hour
                    if f"changed in the last {ONE_HOUR}" in str(status.content):
                        break
                    await pilot.press("w")
                else:
                    raise ShotError(f"w never set the {ONE_HOUR} window")
                await pilot.resize_terminal(*SMALL)
                await _settle(pilot)
                written.append(_save(app, out, shots["oncall-80x24"]))
        finally:
            store.close()
            for provider in providers:
                await provider.aclose()
    return written


def _newest_failed(screen: Any, account: str) -> Any:
    """The newest failed job of `account` (its detail shows the errors)."""
    from tui.models import JobState

    failed = [job for job in screen.index.jobs(account) if job.state == JobState.FAILED]
    if not failed:
        raise ShotError(f"{account} has no failed job")
    return max(failed, key=lambda job: (job.created_at or START, job.id))


def readme_section(shots: tuple[Shot, ...] = SHOTS) -> str:
    """The README's screenshot gallery, markers included."""
    lines = [
        BEGIN,
        "## Screenshots",
        "",
        "The demo (`jobtop --demo`) at 140x40 (the last one at 80x24), made by "
        "`scripts/screenshots.py` (a frozen simulator and clock, so every run gives the "
        "same images).",
        "",
    ]
    for shot in shots:
        lines += [f"![{shot.caption}](screenshots/{shot.name}.svg)", ""]
    lines.append(END)
    return "\n".join(lines)


def write_readme(path: Path = README) -> bool:
    """Put the gallery between the markers, or after the Quick start section; True if changed."""
    text = path.read_text(encoding="utf-8")
    section = readme_section()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        new = head + section + rest.split(END, 1)[1]
    else:
        marker = "\n## Quick start"
        start = text.find(marker)
        after = text.find("\n## ", start + len(marker)) if start >= 0 else -1
        if after < 0:
            new = text.rstrip("\n") + "\n\n" + section + "\n"
        else:
            new = text[: after + 1] + section + "\n\n" + text[after + 1 :]
    if new == text:
        return False
    path.write_text(new, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "screenshots", help="directory for the SVG files"
    )
    parser.add_argument("--write-readme", action="store_true", help="update the README's gallery")
    args = parser.parse_args(argv)
    try:
        written = asyncio.run(take(args.out))
    except ShotError as error:
        print(f"screenshots: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    if args.write_readme:
        print("README updated" if write_readme() else "README unchanged")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
