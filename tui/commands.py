"""The scriptable commands: `list`, `show`, `watch` and `track`.

Each runs the real provider code once (or in a loop for `watch`) and prints plain text;
every string printed came through `tui.sanitize.clean` at the provider boundary, so no
escape sequence from a server reaches the terminal here either.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TextIO

from tui.config import AccountConfig, Settings
from tui.errors import ConfigError, ProviderError
from tui.models import JSON_KEYS, Job, JobDetail, JobState, ProviderName, format_timestamp
from tui.sanitize import JSON_ESCAPES, clean, one_line

EXIT_OK = 0
TABLE_COLUMNS = ("state", "account", "id", "name", "status", "age", "duration", "progress")


def dump_json(document: Any, out: TextIO) -> None:
    """Write JSON that is safe on a terminal: readable UTF-8, but every character `clean`
    would drop or replace (C1, DEL, bidi, zero-width, separators, lone surrogates...)
    escaped as `\\uXXXX` (C0 controls are escaped by JSON itself)."""
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    out.write(text.translate(JSON_ESCAPES))
    out.write("\n")


def _store() -> Any:
    from tui.store import JobStore

    return JobStore.open_default()


def _provider(account: AccountConfig) -> Any:
    if account.token is None:
        hint = f"set ${account.token_env}" if account.token_env else "add token_env to the account"
        raise ConfigError(f"account {account.name!r} has no token ({hint})")
    from tui.providers import build_provider

    return build_provider(account)


# --- list --------------------------------------------------------------------------------


def parse_sort(spec: str) -> tuple[str, bool]:
    """`KEY[:asc|:desc]` into (key, descending).

    Raises:
        ConfigError: Unknown key or direction.
    """
    key, _, direction = spec.partition(":")
    if key not in JSON_KEYS:
        raise ConfigError(f"--sort key {key!r} is not one of: {', '.join(JSON_KEYS)}")
    if direction not in ("", "asc", "desc"):
        raise ConfigError(f"--sort direction {direction!r} must be asc or desc")
    return key, direction != "asc"


def sort_jobs(jobs: Sequence[Job], key: str, descending: bool) -> list[Job]:
    """Jobs sorted by one JSON key; missing values always last."""
    present = [j for j in jobs if getattr(j, key) is not None]
    missing = [j for j in jobs if getattr(j, key) is None]

    def sort_value(job: Job) -> Any:
        value = getattr(job, key)
        return value.casefold() if isinstance(value, str) else value

    present.sort(key=sort_value, reverse=descending)
    return present + missing


def select_accounts(settings: Settings, names: Sequence[str], providers: Sequence[str]) -> list[AccountConfig]:
    """The accounts chosen by `--account` and `--provider` (all when neither is given)."""
    for provider in providers:
        if provider not in {p.value for p in ProviderName}:
            raise ConfigError(f"--provider {provider!r} is not one of: {', '.join(p.value for p in ProviderName)}")
    chosen = [settings.account(name) for name in names] if names else list(settings.accounts)
    if providers:
        chosen = [a for a in chosen if a.provider.value in providers]
    if not chosen:
        raise ConfigError("no configured account matches (see --account, --provider and the config file)")
    return chosen


async def refresh_once(
    accounts: Sequence[AccountConfig],
    store: Any,
    *,
    status: str | None = None,
    states: frozenset[JobState] = frozenset(),
    incomplete: list[str] | None = None,
) -> tuple[list[Job], list[ProviderError]]:
    """One concurrent refresh of the accounts; failures of some do not stop the others.

    The sync engine's refresh, run once per account (`SyncEngine.refresh_now`): the same
    query (config and store tracked ids, finished ones skipped), every part of a listing
    in parts, and the same save as the dashboard's. A listing that stops at a cap adds
    "<account>: <what was left out>" to `incomplete`.
    """
    from tui.clock import utc_now
    from tui.job_index import JobIndex
    from tui.sync.engine import SyncEngine
    from tui.sync.source import ViewQuery

    providers = [_provider(a) for a in accounts]
    engine = SyncEngine(
        providers, store, JobIndex(now=utc_now), lambda _event: None, utc_now,
        interval=0.0,  # one run each (`refresh_now`): no schedule
        tracked={a.name: tuple(a.track) for a in accounts},
        view=lambda: ViewQuery(states=states, status=status),
        apply_updates=True,
        tracked_only_fails=False,
    )
    try:
        results = await asyncio.gather(
            *(engine.refresh_now(a.name) for a in accounts), return_exceptions=True
        )
    finally:
        engine.close()
        await asyncio.gather(*(p.aclose() for p in providers), return_exceptions=True)
    jobs: list[Job] = []
    errors: list[ProviderError] = []
    for account, result in zip(accounts, results, strict=True):
        if isinstance(result, ProviderError):
            result.account = result.account or account.name
            errors.append(result)
        elif isinstance(result, BaseException):
            raise result
        else:
            _, progress = result
            jobs.extend(engine.index.jobs(account.name))
            last = engine.sources[account.name].last_result
            if last is not None and last.capped and incomplete is not None:
                incomplete.append(f"{account.name}: {last.note or 'the listing is incomplete'}")
            for job_id, error in progress.tracked_errors.items():
                error.account = error.account or account.name
                errors.append(_with_id(error, job_id))
    return jobs, errors


def _with_id(error: ProviderError, job_id: str) -> ProviderError:
    error.message = f"tracked id {job_id}: {error.message}"
    return error


def list_command(settings: Settings, args: argparse.Namespace) -> int:
    """`jobtop list`: one refresh, printed as a table (tty), TSV (pipe) or JSON."""
    states = frozenset(_parse_state(s) for s in args.state)
    sort_key, descending = parse_sort(args.sort)
    if args.limit is not None and args.limit < 0:
        raise ConfigError("--limit must be zero or more")
    accounts = select_accounts(settings, args.account, args.provider)
    store = _store()
    try:
        jobs, errors = asyncio.run(refresh_once(accounts, store, status=args.status, states=states))
    finally:
        store.close()
    jobs = [j for j in jobs if (not states or j.state in states) and (args.status is None or j.status == args.status)]
    jobs = sort_jobs(jobs, sort_key, descending)
    if args.limit is not None:
        jobs = jobs[: args.limit]
    out = sys.stdout
    if args.json:
        dump_json([j.to_json() for j in jobs], out)
    else:
        print_table(jobs, out, aligned=out.isatty())
    for error in errors:
        print(f"jobtop: {error.sentence}", file=sys.stderr)
    if errors:
        from tui.cli import exit_code_for

        return exit_code_for(errors[0])
    return EXIT_OK


def _parse_state(value: str) -> JobState:
    try:
        return JobState(value)
    except ValueError:
        raise ConfigError(f"--state {value!r} is not one of: {', '.join(s.value for s in JobState)}") from None


def table_row(job: Job, now: datetime) -> list[str]:
    """The printed cells of one job (see `TABLE_COLUMNS`)."""
    from tui.formatting import elapsed_seconds, fmt_age, fmt_duration, fmt_percent

    return [
        job.state.value,
        job.account,
        job.id,
        one_line(job.name),
        one_line(job.status),
        fmt_age(job.created_at, now),
        fmt_duration(elapsed_seconds(job.started_at, job.finished_at or now)),
        fmt_percent(job.progress),
    ]


def print_table(jobs: Sequence[Job], out: TextIO, *, aligned: bool) -> None:
    """Print jobs as an aligned table or as tab-separated lines with a header."""
    from tui.clock import utc_now

    now = utc_now()
    rows = [[c.upper() for c in TABLE_COLUMNS]] + [table_row(j, now) for j in jobs]
    if not aligned:
        for row in rows:
            out.write("\t".join(cell.replace("\t", " ") for cell in row) + "\n")
        return
    limits = [9, 20, 36, 48, 24, 12, 10, 8]
    rows = [[_crop(cell, limit) for cell, limit in zip(row, limits, strict=True)] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_COLUMNS))]
    for row in rows:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")


def _crop(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- show --------------------------------------------------------------------------------


def _known_parent(store: Any, account: str, job_id: str) -> str | None:
    for job in store.load_jobs([account]):
        if job.id == job_id:
            return job.parent_id
    return None


async def fetch_detail(account: AccountConfig, job_id: str, parent_id: str | None) -> JobDetail:
    """One `get_job` call with the client closed afterwards."""
    provider = _provider(account)
    try:
        detail: JobDetail = await provider.get_job(job_id, parent_id)
        return detail
    finally:
        await provider.aclose()


def show_command(settings: Settings, account_name: str, job_id: str, *, as_json: bool) -> int:
    """`jobtop show`: one job's detail as readable text, or JSON with a `raw` key."""
    account = settings.account(account_name)
    store = _store()
    try:
        parent_id = _known_parent(store, account.name, job_id)
        detail = asyncio.run(fetch_detail(account, job_id, parent_id))
        store.save_jobs(account.name, [detail.job])
    finally:
        store.close()
    if as_json:
        document = detail.job.to_json() | {"raw": detail.raw}
        dump_json(document, sys.stdout)
    else:
        sys.stdout.write("".join(f"{line}\n" for line in detail_lines(detail)))
    return EXIT_OK


def detail_lines(detail: JobDetail) -> list[str]:
    """A readable text rendering of a job and its provider particulars."""
    lines = []
    for key, value in detail.job.to_json().items():
        lines.append(f"{key + ':':<13} {_plain(value)}")
    extra = [f for f in dataclasses.fields(detail) if f.name not in ("job", "raw")]
    if extra:
        lines.append("")
    for field in extra:
        lines.extend(_value_lines(field.name, getattr(detail, field.name), indent=0))
    return lines


def _value_lines(name: str, value: Any, indent: int) -> list[str]:
    pad = "  " * indent
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        lines = [f"{pad}{name}:"]
        for field in dataclasses.fields(value):
            lines.extend(_value_lines(field.name, getattr(value, field.name), indent + 1))
        return lines
    if isinstance(value, tuple | list) and value and not all(isinstance(v, str | int | float) for v in value):
        lines = [f"{pad}{name}: ({len(value)})"]
        for index, item in enumerate(value):
            lines.extend(_value_lines(f"[{index}]", item, indent + 1))
        return lines
    if isinstance(value, dict) and value:
        lines = [f"{pad}{name}:"]
        for key, item in value.items():
            lines.extend(_value_lines(str(key), item, indent + 1))
        return lines
    text = _plain(value)
    if "\n" in text:
        body = "\n".join(f"{pad}  {line}" for line in text.splitlines())
        return [f"{pad}{name}:", body]
    return [f"{pad}{name}: {text}"]


def _plain(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, datetime):
        return format_timestamp(value) or "—"
    if isinstance(value, tuple | list):
        return ", ".join(_plain(v) for v in value) or "—"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return clean(value, 20_000)


# --- watch -------------------------------------------------------------------------------


def watch_command(
    settings: Settings, account_name: str, job_id: str, *, exit_status: bool, interval: float | None = None
) -> int:
    """`jobtop watch`: print each transition until the job ends (`interval` from --interval)."""
    account = settings.account(account_name)
    interval = interval or account.refresh or settings.refresh
    store = _store()
    try:
        final = asyncio.run(_watch(account, job_id, interval, store, sys.stdout))
    finally:
        store.close()
    if not exit_status:
        return EXIT_OK
    return {JobState.SUCCEEDED: 0, JobState.FAILED: 1, JobState.CANCELED: 2}.get(final.state, 1)


async def _watch(
    account: AccountConfig,
    job_id: str,
    interval: float,
    store: Any,
    out: TextIO,
    *,
    err: TextIO | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Job:
    """Poll one job by the dashboard's policy until it ends; a failed poll is said on
    `err` and tried again after the policy's wait (Retry-After on any status, several
    intervals after a refused token); a job that does not exist ends the watch."""
    from tui.errors import NotFoundError
    from tui.formatting import fmt_duration
    from tui.sync.policy import RefreshPolicy, wait_note

    provider = _provider(account)
    policy = RefreshPolicy.for_source(interval, provider.capabilities)
    parent_id = _known_parent(store, account.name, job_id)
    last: tuple[str, JobState] | None = None
    failures = 0
    try:
        while True:
            try:
                detail = await provider.get_job(job_id, parent_id)
            except NotFoundError:
                raise
            except ProviderError as error:
                failures += 1
                delay = policy.next_delay(failures, error)
                note = wait_note(error, delay) or f"the next try is in {fmt_duration(delay)}"
                stream = err or sys.stderr
                stream.write(f"jobtop: {one_line(error.sentence).rstrip('.')}; {note}.\n")
                stream.flush()
                await sleep(delay)
                continue
            failures = 0
            job = detail.job
            parent_id = job.parent_id or parent_id
            store.save_jobs(account.name, [job])
            if (job.status, job.state) != last:
                out.write(_transition_line(job, waiting=last is None and job.state == JobState.QUEUED))
                out.flush()
                last = (job.status, job.state)
            if job.state.is_terminal:
                return job
            await sleep(policy.effective_interval)
    finally:
        await provider.aclose()


def _transition_line(job: Job, *, waiting: bool) -> str:
    from tui.clock import utc_now

    stamp = utc_now().strftime("%Y-%m-%d %H:%M:%S UTC")
    extra = ""
    if job.progress is not None and not job.state.is_terminal:
        extra = f"  {job.progress:.0%}"
    if job.error and job.state == JobState.FAILED:
        extra += f"  {one_line(job.error)}"
    note = "  (waiting for it to start)" if waiting else ""
    return f"{stamp}  {job.state.value:<9}  {one_line(job.status)}{extra}{note}\n"


# --- track -------------------------------------------------------------------------------


def track_command(settings: Settings, args: argparse.Namespace) -> int:
    """`jobtop track add|remove|list`."""
    store = _store()
    try:
        if args.track_command == "list":
            accounts = [settings.account(args.account)] if args.account else list(settings.accounts)
            for account in accounts:
                for job_id in account.track:
                    print(f"{account.name}\t{job_id}\tconfig")
                for job_id in store.tracked_ids(account.name):
                    if job_id not in account.track:
                        print(f"{account.name}\t{job_id}\tstore")
            return EXIT_OK
        account = settings.account(args.account)
        if args.track_command == "add":
            if not args.no_check:
                asyncio.run(_check_ids(account, args.ids))
            added = store.add_tracked(account.name, args.ids)
            for job_id in args.ids:
                print(f"{'tracking' if job_id in added else 'already tracked'}: {account.name} {job_id}")
            return EXIT_OK
        removed = store.remove_tracked(account.name, args.ids)
        for job_id in args.ids:
            if job_id in removed:
                print(f"stopped tracking: {account.name} {job_id}")
            elif job_id in account.track:
                print(f"{account.name} {job_id} is tracked by the config file; remove it there", file=sys.stderr)
            else:
                print(f"not tracked: {account.name} {job_id}", file=sys.stderr)
        return EXIT_OK
    finally:
        store.close()


async def _check_ids(account: AccountConfig, ids: Iterable[str]) -> None:
    """Ask the provider for each id; the first that fails is refused with its answer."""
    provider = _provider(account)
    try:
        for job_id in ids:
            try:
                await provider.get_job(job_id, None)
            except ProviderError as error:
                error.message = f"{job_id} was not added: {error.message}"
                raise
    finally:
        await provider.aclose()
