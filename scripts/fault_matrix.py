"""The fault matrix: every simulator fault on every source, against the real dashboard.

Each case runs `JobsApp` headless (`run_test` with notifications and tooltips on) with
the real providers over loopback HTTP to a `SimServer`, then: waits until every source
is ok, turns one fault on for one source, checks what the dashboard shows, heals the
fault, and measures how long the source takes to recover by itself.

What a case checks (docs/design.md §5):
- the app stays up (no exception, still running);
- the faulty source's health is `failing` and its error is one sentence (one line,
  ends with a full stop, clean text, naming the provider);
- its last good rows stay in the table, marked stale (the stale mark and style are on its rows);
- the other sources keep refreshing (their last-refresh time moves past the fault);
- after `clear_faults` it is ok again within its recovery bound (below).
`unknown_enums` (and `hostile_strings`) are not failures: the source stays ok and its
rows show the server's values with the state `unknown`.

"One interval" after heal: a source retries on its own schedule, which it announces on
its line ("next try in 2s"). The recovery bound is that announced wait (at least one
refresh interval), plus one poll's deadline for a poll already in flight when the fault
cleared, plus `SLACK` seconds for the poll that succeeds.

    .venv/bin/python scripts/fault_matrix.py            # run all cases, print the table
    .venv/bin/python scripts/fault_matrix.py --write-readme
    .venv/bin/python scripts/fault_matrix.py --from DIR --write-readme   # from a pytest run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tui.models import JobState  # noqa: E402
from tui.providers.client import HttpPolicy  # noqa: E402
from tui.sanitize import is_clean  # noqa: E402

README = ROOT / "README.md"
BEGIN, END = "<!-- fault-matrix -->", "<!-- /fault-matrix -->"

SOURCES: tuple[str, ...] = ("zoo", "metafold", "lettrlabs", "hdrjpg")
"""The four demo sources, by provider; the account is `demo-<provider>`."""

TITLES = {"zoo": "Zoo", "metafold": "Metafold", "lettrlabs": "LettrLabs", "hdrjpg": "hdrjpg"}

INTERVAL = 1.0
"""The refresh interval of the matrix (hdrjpg's floor is 2 s)."""

POLICY = HttpPolicy(
    connect_timeout=1.0,
    read_timeout=1.0,
    write_timeout=1.0,
    pool_timeout=1.0,
    deadline=2.0,
    attempts=2,
    wait_initial=0.05,
    wait_max=0.2,
    wait_jitter=0.0,
    retry_after_cap=5.0,
    max_list_bytes=8 * 1024 * 1024,
)
"""Short timeouts and deadline, so a hung or slow source fails in about 2 s; unpaged lists
capped like every body, so the 11 MB `oversized` body is refused there too."""

SLACK = 3.0
"""Seconds allowed for the poll that succeeds after heal (a loaded 2-core machine)."""

STEP_TIMEOUT = 20.0
"""No single wait of a case may take longer than this."""


@dataclass(frozen=True, slots=True)
class Fault:
    """One simulator fault as the matrix applies it."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    fails: bool = True
    """False for faults the source must shrug off (it stays ok)."""
    label: str = ""
    harmless_on: frozenset[str] = frozenset()
    """Sources for which this fault is not a source failure."""
    note: str = ""

    def fails_on(self, source: str) -> bool:
        """True if the source must report this fault as failing."""
        return self.fails and source not in self.harmless_on

    @property
    def title(self) -> str:
        """The row label of the table."""
        return self.label or self.name


FAULTS: tuple[Fault, ...] = (
    Fault("latency", {"seconds": 4.0}, label="latency 4 s (past the 2 s deadline)"),
    Fault("hang"),
    Fault("reset"),
    Fault("http_401"),
    Fault("http_403"),
    Fault(
        "http_404",
        note="hdrjpg has no list endpoint: one missing tracked id is that job's problem, "
        "but when every tracked id fails the source reports it as failing",
    ),
    Fault("http_429", {"retry_after": 2}, label="http_429 (Retry-After: 2)"),
    Fault("http_500"),
    Fault("http_503"),
    Fault("html"),
    Fault("truncated_json"),
    Fault("malformed_json"),
    Fault("wrong_types"),
    Fault("unknown_enums", fails=False),
    Fault("repeating_token", fails=False),
    Fault("oversized"),
)
"""Every simulator fault but `hostile_strings` (its own tests: test_app_hostile.py)."""

FAULT_BY_NAME = {fault.name: fault for fault in FAULTS}


@dataclass
class Outcome:
    """What one fault × source case showed."""

    fault: str
    source: str
    expected_failure: bool
    health: str = ""
    """The source's health while the fault was on (`failing` or `ok`)."""
    sentence: str = ""
    """The source's error line while failing."""
    rows_kept: bool = False
    stale_marked: bool = False
    others_refreshed: bool = False
    announced_wait: float | None = None
    """Seconds to the next try the source announced when the fault was healed."""
    recovery: float | None = None
    """Seconds from heal to the source being ok again."""
    bound: float | None = None
    note: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when nothing was wrong."""
        return not self.problems

    def to_json(self) -> str:
        """The outcome as JSON (pytest workers write these for the summary)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Outcome:
        """Read an outcome written by `to_json`."""
        return cls(**json.loads(text))


# --- running one case ------------------------------------------------------------------


class CaseError(AssertionError):
    """A wait of the case ran out of time."""


async def _until(
    pilot: Any, condition: Callable[[], bool], what: str, timeout: float = STEP_TIMEOUT
) -> float:
    """Let the app run until `condition` holds; return the monotonic time it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        await pilot.pause(0.02)
    raise CaseError(f"timed out after {timeout:g} s waiting for {what}")


def build_app(
    sim: Any, store: Any, *, interval: float = INTERVAL, policy: HttpPolicy = POLICY
) -> Any:
    """The real dashboard on the demo's four accounts against `sim`."""
    from tui.app import JobsApp
    from tui.clock import utc_now
    from tui.config import demo_settings
    from tui.providers import build_provider

    tracked = {name: tuple(ids[:6]) for name, ids in sim.tracked_ids().items()}
    settings = demo_settings(sim.url, refresh=interval, track=tracked)
    providers = [build_provider(account, policy=policy) for account in settings.accounts]
    return JobsApp(settings, providers, store, utc_now)


def _sentence_problems(sentence: str, source: str) -> list[str]:
    problems = []
    if not sentence:
        return ["the failing source shows no error"]
    if "\n" in sentence or not is_clean(sentence):
        problems.append("the error is not one clean line")
    body = sentence.split(": ", 1)[-1]
    if not body.rstrip().endswith("."):
        problems.append(f"the error is not a sentence: {sentence!r}")
    if body.count(". ") > 1:
        problems.append(f"the error is more than one sentence: {sentence!r}")
    if TITLES[source].lower() not in sentence.lower():
        problems.append(f"the error does not name {TITLES[source]}: {sentence!r}")
    if len(sentence) > 300:
        problems.append("the error is longer than 300 characters")
    return problems


def _stale_marked(app: Any, account: str) -> bool:
    """True if the table marks the account stale and its rows are drawn in that style.

    Call it in the account's own view (every row is the account's).
    """
    from tui.widgets.job_table import STALE_MARK, JobTable

    table = app.screen.query_one(JobTable)
    if account not in table.stale_accounts:
        return False
    stale = table.get_component_rich_style("jobtable--stale")
    marked = unmarked = 0
    for y in range(1, min(table.size.height, 8)):
        strip = table.render_line(y)
        cells = [s for s in strip if s.text.strip() and s.style]
        if not cells:
            continue
        # the state cell and the stale mark have their own colours; every other cell is
        # drawn in the stale colour, and the mark is on the row
        others = [s.style for s in cells[1:] if STALE_MARK not in s.text]
        has_mark = any(STALE_MARK in s.text for s in strip)
        if has_mark and all(style.color == stale.color for style in others):
            marked += 1
        else:
            unmarked += 1
    # the cursor row has the cursor's colours instead
    return marked > 0 and unmarked <= 1


async def run_case(
    sim: Any, fault: Fault, source: str, *, size: tuple[int, int] = (140, 40)
) -> Outcome:
    """Run one fault × source case against the real app and report what it showed."""
    from tui.screens.jobs import JobsScreen
    from tui.store import JobStore
    from tui.sync.health import Health

    account = f"demo-{source}"
    fails = fault.fails_on(source)
    outcome = Outcome(fault.name, source, fails)
    if not fails and fault.note:
        outcome.note = fault.note
    sim.clear_faults()
    store = JobStore(":memory:")
    app = build_app(sim, store)
    try:
        async with app.run_test(size=size, notifications=True, tooltips=True) as pilot:
            screen = app.screen
            assert isinstance(screen, JobsScreen)
            accounts = [provider.account for provider in screen.providers]
            others = [name for name in accounts if name != account]

            def health(name: str) -> Any:
                return screen.source_health(name)

            await _until(
                pilot,
                lambda: all(health(n).health == Health.OK for n in accounts),
                "every source ok",
            )
            rows_before = screen.index.counts(account).total()
            if rows_before == 0:
                outcome.problems.append("the source had no rows before the fault")
            sim.set_fault(source, fault.name, **fault.params)
            fault_at = app.clock()
            if fails:
                await _until(
                    pilot, lambda: health(account).health == Health.FAILING, "the source to fail"
                )
                failing = health(account)
                outcome.health = failing.health.value
                outcome.sentence = failing.error or ""
                outcome.problems += _sentence_problems(outcome.sentence, source)
                await pilot.pause(0.05)
                outcome.rows_kept = screen.index.counts(account).total() == rows_before
                if not outcome.rows_kept:
                    outcome.problems.append(
                        f"rows changed from {rows_before} to {screen.index.counts(account).total()}"
                    )
                view = str(accounts.index(account) + 2)  # key 1 is All, 2 the first source
                await pilot.press(view)
                await pilot.pause(0.05)
                outcome.stale_marked = _stale_marked(app, account)
                await pilot.press("1")
                if not outcome.stale_marked:
                    outcome.problems.append("the source's rows are not marked stale")
                bar = str(screen.query_one("#sources").content)
                if "failing" not in bar:
                    outcome.problems.append("the source bar does not say failing")
            else:
                await _until(
                    pilot,
                    lambda: (
                        (health(account).last_ok_at or fault_at) > fault_at
                        or health(account).health == Health.FAILING
                    ),
                    "a refresh under the fault",
                )
                outcome.health = health(account).health.value
                outcome.problems += _harmless_fault_problems(screen, fault, source, account)
            try:
                await _until(
                    pilot,
                    lambda: all((health(n).last_ok_at or fault_at) > fault_at for n in others),
                    "the other sources to refresh",
                )
                outcome.others_refreshed = True
            except CaseError as exc:
                outcome.problems.append(f"other sources stopped: {exc}")
            if any(health(n).health != Health.OK for n in others):
                outcome.problems.append("another source is not ok")
            # heal, and time the recovery against what the source announced
            state = health(account)
            now = app.clock()
            announced = 0.0
            if state.health == Health.FAILING and state.next_try_at is not None:
                announced = max(0.0, (state.next_try_at - now).total_seconds())
            outcome.announced_wait = round(announced, 2)
            refreshing = screen.engine.in_flight(account)
            in_flight = POLICY.deadline if refreshing else 0.0
            interval = max(
                INTERVAL, screen.providers[accounts.index(account)].capabilities.min_poll_interval
            )
            outcome.bound = round(max(announced, interval) + in_flight + SLACK, 2)
            healed_at = app.clock()
            heal_started = time.monotonic()
            sim.clear_faults(source)
            try:
                recovered = await _until(
                    pilot,
                    lambda: (
                        health(account).health == Health.OK
                        and (health(account).last_ok_at or healed_at) > healed_at
                    ),
                    "recovery after heal",
                    timeout=max(STEP_TIMEOUT, outcome.bound + 5),
                )
                outcome.recovery = round(recovered - heal_started, 2)
                if outcome.recovery > outcome.bound:
                    outcome.problems.append(
                        f"recovered in {outcome.recovery:.1f} s, "
                        f"over the {outcome.bound:.1f} s bound"
                    )
            except CaseError as exc:
                outcome.problems.append(f"no recovery: {exc}")
            if not app.is_running:
                outcome.problems.append("the app is not running")
    except CaseError as exc:
        outcome.problems.append(str(exc))
    except Exception as exc:  # noqa: BLE001 - an app crash is this case's outcome
        outcome.problems.append(f"the app raised {type(exc).__name__}: {exc}"[:300])
    finally:
        sim.clear_faults()
        store.close()
    return outcome


def _harmless_fault_problems(screen: Any, fault: Fault, source: str, account: str) -> list[str]:
    """A fault the source must shrug off: it stays ok and shows the values it got."""
    from tui.sync.health import Health

    health = screen.source_health(account)
    problems = []
    if health.health != Health.OK:
        problems.append(f"the source is {health.health.value}: {health.error}")
    if fault.name == "unknown_enums":
        jobs = [job for job in screen.index.jobs() if job.account == account]
        unknown = [job for job in jobs if job.state == JobState.UNKNOWN]
        if not unknown:
            problems.append("no row shows the state unknown")
        elif not all(job.status for job in unknown):
            problems.append("a row in state unknown lost the server's status value")
    return problems


# --- the table -------------------------------------------------------------------------


def _cell(outcome: Outcome | None) -> str:
    if outcome is None:
        return "not run"
    if outcome.problems:
        return "**FAIL**: " + "; ".join(outcome.problems)[:120]
    if not outcome.expected_failure:
        word = "stays ok" if outcome.health == "ok" else outcome.health
    else:
        word = "failing, stale rows kept"
    recovery = f", back in {outcome.recovery:.1f} s" if outcome.recovery is not None else ""
    return f"{word}{recovery}"


def markdown_table(outcomes: Iterable[Outcome]) -> str:
    """The fault × source table, then the sentence each failing source showed."""
    by_key = {(o.fault, o.source): o for o in outcomes}
    header = "| fault | " + " | ".join(f"demo-{s}" for s in SOURCES) + " |"
    lines = [header, "|" + " --- |" * (len(SOURCES) + 1)]
    faults = [f for f in FAULTS if any((f.name, s) in by_key for s in SOURCES)]
    for fault in faults:
        cells = [_cell(by_key.get((fault.name, source))) for source in SOURCES]
        lines.append(f"| {fault.title} | " + " | ".join(cells) + " |")
    ran = list(by_key.values())
    passed = sum(o.passed for o in ran)
    recoveries = [o.recovery for o in ran if o.recovery is not None]
    lines.append("")
    lines.append(
        f"{passed} of {len(ran)} cases passed. Refresh interval {INTERVAL:g} s (hdrjpg 2 s), "
        f"poll deadline {POLICY.deadline:g} s; recovery after heal: "
        + (
            f"median {sorted(recoveries)[len(recoveries) // 2]:.1f} s, max {max(recoveries):.1f} s."
            if recoveries
            else "not measured."
        )
    )
    sentences: dict[str, str] = {}
    for fault in faults:
        outcome = by_key.get((fault.name, "metafold")) or next(
            (by_key[(fault.name, s)] for s in SOURCES if (fault.name, s) in by_key), None
        )
        if outcome and outcome.sentence:
            sentences[fault.title] = outcome.sentence
    notes = sorted({f"{o.source} × {o.fault}: {o.note}" for o in ran if o.note})
    if notes:
        lines.append("")
        lines.extend(f"Note: {note}." for note in notes)
    if sentences:
        lines.append("")
        lines.append(
            "What the source line says (Metafold's wording; the others name their provider):"
        )
        lines.append("")
        for title, sentence in sentences.items():
            lines.append(f"- {title}: {sentence}")
    return "\n".join(lines) + "\n"


def write_readme(table: str, path: Path = README) -> bool:
    """Put the table into `path` between the fault-matrix markers (added at the end if absent).

    Returns:
        True if the file changed.
    """
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    section = (
        f"{BEGIN}\n## Fault matrix\n\n"
        "Every simulator fault on every demo source, against the real dashboard "
        "(`tests/reliability/test_fault_matrix.py`, regenerated by `scripts/fault_matrix.py`). "
        "A source must stay up, say what is wrong in one sentence, keep its last rows marked "
        "stale, leave the other sources refreshing, and recover by itself after the fault is "
        "healed within the wait it announced (at least one interval) plus one poll.\n\n"
        f"{table}{END}"
    )
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        new = head + section + tail
    else:
        new = text.rstrip("\n") + "\n\n" + section + "\n"
    if new == text:
        return False
    path.write_text(new, encoding="utf-8")
    return True


def read_outcomes(directory: Path) -> list[Outcome]:
    """Outcomes written by pytest workers (one JSON file per case)."""
    return [Outcome.from_json(p.read_text()) for p in sorted(directory.glob("*.json"))]


RESULTS_ENV = "FAULT_MATRIX_RESULTS"
"""Set by the pytest run (before xdist starts its workers) to that run's own directory."""

RESULTS_DIR = ROOT / ".pytest_cache" / "fault-matrix"
"""Where outcomes go when no run set `FAULT_MATRIX_RESULTS`."""


def results_dir() -> Path:
    """The directory this run's cases write their outcomes to."""
    return Path(os.environ.get(RESULTS_ENV) or RESULTS_DIR)


async def run_all(faults: Iterable[Fault], sources: Iterable[str]) -> list[Outcome]:
    """Every case, one after another, on one simulator."""
    from tui.sim.server import SimServer

    outcomes = []
    with SimServer(jobs=60, seed=5) as sim:
        for fault in faults:
            for source in sources:
                outcome = await run_case(sim, fault, source)
                print(f"{fault.name:16} {source:10} {_cell(outcome)}", file=sys.stderr, flush=True)
                outcomes.append(outcome)
    return outcomes


def main(argv: list[str] | None = None) -> int:
    """Run the matrix (or read a pytest run's results), print it, optionally update README."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--from", dest="source_dir", type=Path, help="read outcomes from this directory"
    )
    parser.add_argument("--write-readme", action="store_true", help="replace the README section")
    parser.add_argument("--fault", action="append", help="run only these faults")
    parser.add_argument("--source", action="append", help="run only these sources")
    args = parser.parse_args(argv)
    if args.source_dir is not None:
        outcomes = read_outcomes(args.source_dir)
    else:
        os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
        faults = [FAULT_BY_NAME[name] for name in args.fault] if args.fault else list(FAULTS)
        outcomes = asyncio.run(run_all(faults, args.source or SOURCES))
    table = markdown_table(outcomes)
    print(table)
    if args.write_readme:
        changed = write_readme(table)
        print("README.md updated" if changed else "README.md already up to date", file=sys.stderr)
    return 0 if outcomes and all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
