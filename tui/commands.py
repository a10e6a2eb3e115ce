"""The scriptable commands: `list`, `show`, `watch`, `track` and `config`.

Each runs the real provider code once (or in a loop for `watch`) and prints plain text,
TSV or JSON. Text output never prints a server string raw: every cell goes through
`tui.sanitize.one_line` (ids are the server's exact strings, so they may hold anything);
JSON carries exact strings, escaped by the JSON writer.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import os
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

from rich.cells import cell_len, set_cell_size

from tui.arguments import (  # noqa: F401  (re-exported: the argument values of `list`/`show`)
    ALL_FIELDS,
    SHOW_FIELDS,
    SORT_KEYS,
    fields_arg,
    first_line,
    jq_arg,
    limit_arg,
    since_arg,
    sort_arg,
)
from tui.clock import utc_now
from tui.config import AccountConfig, Settings, find_config_file, load_settings
from tui.errors import ConfigError, NotFoundError, ProviderError, StoreError
from tui.exit_codes import (
    EXIT_CONFIG,
    EXIT_INCOMPLETE,
    EXIT_JOB_CANCELED,
    EXIT_JOB_FAILED,
    EXIT_OK,
    EXIT_STORE,
    exit_code_for,
)
from tui.formatting import STATE_ORDER, fmt_age, fmt_duration, fmt_percent, fmt_size
from tui.models import JSON_KEYS, Job, JobDetail, JobState, Transition, format_timestamp
from tui.paths import user_state_dir
from tui.sanitize import JSON_ESCAPES, clean, one_line
from tui.store import ChangeSummary, EventKind, JobStore

if TYPE_CHECKING:
    from tui.providers.base import JobProvider
    from tui.sync.engine import SyncStore

TABLE_COLUMNS = ("state", "account", "id", "name", "status", "age", "duration", "progress")
"""The columns of the table printed on a terminal (the dashboard's)."""
TSV_COLUMNS = (
    "state",
    "account",
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "finished_at",
    "duration",
    "progress",
    "error",
)
"""The columns of piped `list` output: times in ISO 8601 UTC, duration in seconds."""


class UsageError(Exception):
    """A command line that parses but cannot be followed (exit 64, one sentence)."""


def _finite(value: Any) -> Any:
    """`value` with every NaN or infinite float replaced by None (JSON has neither)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def dump_json(document: Any, out: TextIO, *, indent: int | None = 2) -> None:
    """Write valid JSON that is safe on a terminal.

    NaN and infinities become null (`allow_nan=False` guarantees none slips through);
    strings are exact, but every character `clean` would drop or replace (C1, DEL, bidi,
    zero-width, separators, lone surrogates...) is escaped as `\\uXXXX`, so the text still
    decodes to the same strings (C0 controls are escaped by JSON itself).
    """
    text = json.dumps(
        _finite(document), indent=indent, ensure_ascii=False, default=str, allow_nan=False
    )
    out.write(text.translate(JSON_ESCAPES))
    out.write("\n")


def _store(settings: Settings | None = None) -> JobStore:
    if settings is not None and settings.demo:
        return JobStore(user_state_dir() / "demo.sqlite3")
    return JobStore.open_default()


class CommandStore:
    """The job store as `list`, `show` and `watch` use it: only to remember what they fetch.

    A store that cannot be opened, read or written is reported once on stderr, as one
    sentence, and the command goes on with what it fetched; `failed` keeps the error for
    the exit code.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.failed: StoreError | None = None
        """The first store failure, if any."""
        self._store: JobStore | None = None
        try:
            self._store = _store(settings)
        except StoreError as error:
            self._failed(error)

    def _failed(self, error: StoreError) -> None:
        if self.failed is None:
            self.failed = error
            print(
                f"jobtop: {error.sentence}; what is fetched is shown but not saved",
                file=sys.stderr,
            )

    def tracked_ids(self, account: str) -> list[str]:
        """The store's tracked ids of an account (none when the store failed)."""
        if self._store is None:
            return []
        try:
            ids: list[str] = self._store.tracked_ids(account)
        except StoreError as error:
            self._failed(error)
            return []
        return ids

    def load_jobs(self, accounts: Sequence[str]) -> list[Job]:
        """The stored jobs of the accounts (none when the store failed)."""
        if self._store is None:
            return []
        try:
            jobs: list[Job] = self._store.load_jobs(accounts)
        except StoreError as error:
            self._failed(error)
            return []
        return jobs

    def save_jobs(
        self,
        account: str,
        jobs: Sequence[Job],
        *,
        refreshed_at: datetime | None = None,
        opened_at: datetime | None = None,
    ) -> list[Transition]:
        """Remember fetched jobs (`JobStore.save_jobs`); a failure is reported once and
        otherwise ignored. Returns the transitions saved."""
        if self._store is None:
            return []
        try:
            return self._store.save_jobs(
                account, jobs, refreshed_at=refreshed_at, opened_at=opened_at
            )
        except StoreError as error:
            self._failed(error)
            return []

    def last_seq(self) -> int:
        """The store's newest transition number (0 when the store failed)."""
        if self._store is None:
            return 0
        try:
            return self._store.last_seq()
        except StoreError as error:
            self._failed(error)
            return 0

    def changes_since(self, after_seq: int, upto: Mapping[str, int]) -> ChangeSummary:
        """`JobStore.changes_since` (nothing changed when the store failed)."""
        if self._store is None:
            return ChangeSummary()
        try:
            return self._store.changes_since(after_seq, upto)
        except StoreError as error:
            self._failed(error)
            return ChangeSummary()

    def add_event(
        self, account: str, kind: EventKind, text: str, at: datetime | None = None
    ) -> None:
        """`JobStore.add_event` (nothing when the store failed)."""
        if self._store is None:
            return
        try:
            self._store.add_event(account, kind, text, at)
        except StoreError as error:
            self._failed(error)

    def mark_opened(self, at: datetime | None = None) -> None:
        """`JobStore.mark_opened` (nothing when the store failed)."""
        if self._store is None:
            return
        try:
            self._store.mark_opened(at)
        except StoreError as error:
            self._failed(error)

    def close(self) -> None:
        """Close the store, if it opened."""
        if self._store is not None:
            self._store.close()

    def exit_code(self, code: int) -> int:
        """`code`, or the store's exit code when the command otherwise succeeded."""
        if code == EXIT_OK and self.failed is not None:
            return EXIT_STORE
        return code


def _provider(account: AccountConfig) -> JobProvider:
    if account.token is None:
        hint = f"set ${account.token_env}" if account.token_env else "add token_env to the account"
        raise ConfigError(f"account {account.name!r} has no token ({hint})")
    # Imported here, as the sync modules below: the HTTP clients load only for commands
    # that fetch (not for `config` or `track list`).
    from tui.providers import build_provider

    return build_provider(account)


def emit_json(document: Any, fields: tuple[str, ...] | None, program: Any, out: TextIO) -> None:
    """`--json [FIELDS]` and `--jq`: the chosen fields, filtered by jq if asked.

    jq results that are strings print as one line of text (as `gh --jq` does, with line
    breaks and control characters made visible); others as compact JSON.
    """
    if fields:
        if isinstance(document, list):
            document = [{key: item[key] for key in fields} for item in document]
        else:
            document = {key: document[key] for key in fields}
    if program is None:
        dump_json(document, out)
        return
    try:
        results = program.input_value(_finite(document)).all()
    except ValueError as error:
        raise UsageError(f"--jq: {first_line(error)}") from None
    for result in results:
        if isinstance(result, str):
            out.write(one_line(result) + "\n")
        else:
            dump_json(result, out, indent=None)


# --- list --------------------------------------------------------------------------------


def _sort_value(job: Job, key: str, now: datetime) -> Any:
    """The value `--sort KEY` orders by; the dashboard's column order where it has one."""
    if key == "state":
        return STATE_ORDER.get(job.state, 9)
    if key == "age":
        return job.age_seconds(now)
    if key == "duration":
        return job.duration_seconds(now)
    value = getattr(job, key)
    return value.casefold() if isinstance(value, str) else value


def sort_jobs(
    jobs: Sequence[Job], key: str, descending: bool, now: datetime | None = None
) -> list[Job]:
    """Jobs sorted by one key; missing values always last."""
    if now is None:
        now = utc_now()
    keyed = [(_sort_value(job, key, now), job) for job in jobs]
    present = [pair for pair in keyed if pair[0] is not None]
    missing = [job for value, job in keyed if value is None]
    present.sort(key=lambda pair: pair[0], reverse=descending)
    return [job for _, job in present] + missing


def select_accounts(
    settings: Settings, names: Sequence[str], providers: Sequence[str]
) -> list[AccountConfig]:
    """The accounts chosen by `--account` and `--provider` (all when neither is given)."""
    if not settings.accounts:
        path, _ = find_config_file(None, os.environ)
        raise ConfigError(
            f"no accounts configured (no config file at {path}); "
            "try the built-in simulator with `jobtop --demo list`"
        )
    chosen = [settings.account(name) for name in names] if names else list(settings.accounts)
    if providers:
        chosen = [a for a in chosen if str(a.provider) in providers]
    if not chosen:
        raise ConfigError(
            "no configured account matches (see --account, --provider and the config file)"
        )
    return chosen


async def refresh_once(
    accounts: Sequence[AccountConfig],
    store: SyncStore,
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
    from tui.job_index.index import JobIndex  # here for start-up: see `_provider`
    from tui.sync.engine import SyncEngine
    from tui.sync.source import ViewQuery

    providers = [_provider(a) for a in accounts]
    engine = SyncEngine(
        providers,
        store,
        JobIndex(now=utc_now),
        lambda _event: None,
        utc_now,
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
            errors.append(result.reworded(account=account.name))
        elif isinstance(result, BaseException):
            raise result
        else:
            _, progress = result
            jobs.extend(engine.index.jobs(account.name))
            if progress.unreadable:
                count = progress.unreadable
                print(
                    f"jobtop: {one_line(account.name)}: {count} job{'s' if count != 1 else ''}"
                    f" could not be read and {'were' if count != 1 else 'was'} left out.",
                    file=sys.stderr,
                )
            last = engine.sources[account.name].last_result
            if last is not None and last.capped and incomplete is not None:
                incomplete.append(f"{account.name}: {last.note or 'the listing is incomplete'}")
            for job_id, error in progress.tracked_errors.items():
                message = f"tracked id {one_line(job_id)}: {error.message}"
                errors.append(error.reworded(message, account=account.name))
    return jobs, errors


def filter_jobs(
    jobs: Iterable[Job],
    *,
    states: frozenset[JobState] = frozenset(),
    status: str | None = None,
    since: timedelta | None = None,
    error: str | None = None,
    now: datetime,
) -> list[Job]:
    """The jobs `list`'s filters keep: `--since` on when a job last changed (finished, else
    updated, else created; a job with no time at all is left out), `--error` a
    case-insensitive substring of the error."""
    needle = error.casefold() if error is not None else None
    threshold = now - since if since is not None else None
    kept = []
    for job in jobs:
        if states and job.state not in states:
            continue
        if status is not None and job.status != status:
            continue
        if threshold is not None and not job.changed_since(threshold):
            continue
        if needle is not None and (job.error is None or needle not in job.error.casefold()):
            continue
        kept.append(job)
    return kept


def print_jobs(jobs: Sequence[Job], args: argparse.Namespace, now: datetime) -> None:
    """`list`'s output of filtered jobs: sorted, limited, then JSON (`--json`/`--jq`), an
    aligned table on a terminal, or tab-separated lines in a pipe."""
    sort_key, descending = args.sort
    shown = sort_jobs(jobs, sort_key, descending, now)
    if args.limit is not None:
        shown = shown[: args.limit]
    out = sys.stdout
    if args.json is not None or args.jq is not None:
        emit_json([j.to_json() for j in shown], args.json, args.jq, out)
    elif out.isatty():
        print_table(shown, out, now=now)
    else:
        print_tsv(shown, out, header=args.header)
    out.flush()


def list_command(settings: Settings, args: argparse.Namespace) -> int:
    """`jobtop list`: one refresh, printed as a table (tty), TSV (pipe) or JSON."""
    states = frozenset(JobState(s) for s in args.state)
    accounts = select_accounts(settings, args.account, args.provider)
    store = CommandStore(settings)
    incomplete: list[str] = []
    try:
        jobs, errors = asyncio.run(
            refresh_once(accounts, store, status=args.status, states=states, incomplete=incomplete)
        )
    finally:
        store.close()
    now = utc_now()
    jobs = filter_jobs(
        jobs, states=states, status=args.status, since=args.since, error=args.error, now=now
    )
    print_jobs(jobs, args, now)
    for error in errors:
        print(f"jobtop: {error.sentence}", file=sys.stderr)
    for note in incomplete:
        print(f"jobtop: {one_line(note)}", file=sys.stderr)
    if errors:
        return exit_code_for(errors[0])
    return store.exit_code(EXIT_INCOMPLETE if incomplete else EXIT_OK)


def table_row(job: Job, now: datetime) -> list[str]:
    """The cells of one job on a terminal (see `TABLE_COLUMNS`), as the dashboard shows them:
    a failed job's reason follows its name."""
    name = one_line(job.name)
    if job.state == JobState.FAILED and job.error:
        name = f"{name} — {one_line(job.error[:300])}"
    return [
        job.state.value,
        one_line(job.account),
        one_line(job.id),
        name,
        one_line(job.status),
        fmt_age(job.created_at, now),
        fmt_duration(job.duration_seconds(now)),
        fmt_percent(job.progress),
    ]


def tsv_row(job: Job, now: datetime) -> list[str]:
    """The fields of one job for a pipe (see `TSV_COLUMNS`): no words, no `—`, one line each."""
    duration = job.duration_seconds(now)
    return [
        job.state.value,
        one_line(job.account),
        one_line(job.id),
        one_line(job.name),
        one_line(job.status),
        format_timestamp(job.created_at) or "",
        format_timestamp(job.updated_at) or "",
        format_timestamp(job.finished_at) or "",
        "" if duration is None else str(max(0, int(duration))),
        "" if job.progress is None else f"{job.progress:g}",
        one_line(job.error or ""),
    ]


def print_tsv(
    jobs: Sequence[Job], out: TextIO, *, header: bool, now: datetime | None = None
) -> None:
    """Tab-separated lines, one per job; a header line only when asked."""
    now = now or utc_now()
    if header:
        out.write("\t".join(c.upper() for c in TSV_COLUMNS) + "\n")
    for job in jobs:
        out.write("\t".join(tsv_row(job, now)) + "\n")


_TABLE_LIMITS = (9, 20, 36, 60, 24, 14, 10, 8)
"""The widest each table column may be, in cells."""


def print_table(jobs: Sequence[Job], out: TextIO, *, now: datetime | None = None) -> None:
    """An aligned table with a header, padded by display width (CJK, emoji)."""
    now = now or utc_now()
    rows = [[c.upper() for c in TABLE_COLUMNS]] + [table_row(j, now) for j in jobs]
    out.write("".join(line + "\n" for line in align(rows, _TABLE_LIMITS)))


def align(rows: Sequence[Sequence[str]], limits: Sequence[int]) -> list[str]:
    """Rows as lines of columns two spaces apart, cropped to `limits` and padded by the
    cells a terminal draws (Rich's measure), not by code points."""
    cropped = [
        [_crop(cell, limit) for cell, limit in zip(row, limits, strict=True)] for row in rows
    ]
    widths = [max((cell_len(row[i]) for row in cropped), default=0) for i in range(len(limits))]
    return [
        "  ".join(_pad(cell, width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cropped
    ]


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - cell_len(text))


def _crop(text: str, limit: int) -> str:
    if cell_len(text) <= limit:
        return text
    return set_cell_size(text, limit - 1).rstrip() + "…"


# --- show --------------------------------------------------------------------------------


def _known_parent(store: CommandStore | JobStore, account: str, job_id: str) -> str | None:
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


async def _find_everywhere(
    accounts: Sequence[AccountConfig], job_id: str, store: CommandStore | JobStore
) -> list[tuple[AccountConfig, JobDetail]]:
    """Ask every account for the id at once; the accounts that have it, with its detail.

    Raises:
        ProviderError: No account has it: the first error other than "not found", else
            a NotFoundError naming the id.
        ConfigError: No account has it, and the first failure was an unusable account
            (no token).
    """
    results = await asyncio.gather(
        *(fetch_detail(a, job_id, _known_parent(store, a.name, job_id)) for a in accounts),
        return_exceptions=True,
    )
    found = []
    errors: list[tuple[str, ProviderError | ConfigError]] = []
    for account, result in zip(accounts, results, strict=True):
        if isinstance(result, JobDetail):
            found.append((account, result))
        elif isinstance(result, ProviderError | ConfigError):
            errors.append((account.name, result))
        elif isinstance(result, BaseException):
            raise result
    if found:
        return found
    for name, error in errors:
        if not isinstance(error, NotFoundError):
            raise error.reworded(account=name) from error
    raise NotFoundError(f"no configured account has a job {one_line(job_id)!r}")


def resolve_job(
    settings: Settings, account_name: str | None, job_id: str, store: CommandStore | JobStore
) -> tuple[AccountConfig, JobDetail]:
    """The account and detail of a job: from the named account, or found among all.

    Raises:
        UsageError: Several accounts have the id (each is named).
    """
    if account_name is not None:
        account = settings.account(account_name)
        parent_id = _known_parent(store, account.name, job_id)
        return account, asyncio.run(fetch_detail(account, job_id, parent_id))
    found = asyncio.run(_find_everywhere(select_accounts(settings, (), ()), job_id, store))
    if len(found) > 1:
        names = ", ".join(f"{account.name} ({detail.job.provider})" for account, detail in found)
        raise UsageError(
            f"{len(found)} accounts have a job {one_line(job_id)!r}: {names}; name one: "
            f"jobtop show ACCOUNT ID"
        )
    return found[0]


def show_command(
    settings: Settings,
    account_name: str | None,
    job_id: str,
    *,
    fields: tuple[str, ...] | None = None,
    program: Any = None,
) -> int:
    """`jobtop show`: one job's detail as readable text, or JSON with a `raw` key."""
    store = CommandStore(settings)
    try:
        account, detail = resolve_job(settings, account_name, job_id, store)
        store.save_jobs(account.name, [detail.job])
    finally:
        store.close()
    if fields is not None or program is not None:
        document = detail.job.to_json() | {"raw": detail.raw}
        emit_json(document, fields, program, sys.stdout)
    else:
        sys.stdout.write("".join(f"{line}\n" for line in detail_lines(detail)))
    return store.exit_code(EXIT_OK)


_REASON_FIELDS = ("error", "errors", "fail_descriptions", "status_message", "status_meaning")
"""Detail fields that say why a job failed: shown first for a failed job."""


def detail_lines(detail: JobDetail) -> list[str]:
    """A readable text rendering of a job and its provider particulars: keys aligned,
    sizes humanized, booleans as yes/no; a failed job starts with its error and reason."""
    job = detail.job
    pairs: list[tuple[str, Any]] = []
    extra = [f.name for f in dataclasses.fields(detail) if f.name not in ("job", "raw")]
    if job.state == JobState.FAILED:
        pairs.append(("error", job.error))
        pairs.extend(
            (name, getattr(detail, name))
            for name in _REASON_FIELDS
            if name != "error" and name in extra and getattr(detail, name) not in (None, "", ())
        )
    first = {name for name, _ in pairs}
    pairs.extend((key, value) for key, value in job.to_json().items() if key not in first)
    pairs.append(("duration", _duration_text(job)))
    pairs.extend((name, getattr(detail, name)) for name in extra if name not in first)
    return _block(pairs, indent=0)


def _block(pairs: Sequence[tuple[str, Any]], indent: int) -> list[str]:
    """Key/value lines with the values of simple keys aligned one column after the longest."""
    pad = "  " * indent
    width = max((cell_len(one_line(str(key))) for key, _ in pairs), default=0) + 1
    lines: list[str] = []
    for key, value in pairs:
        label = one_line(str(key)) + ":"
        nested = _nested(value)
        if nested is not None:
            count = f" ({len(value)})" if isinstance(value, tuple | list) else ""
            lines.append(f"{pad}{one_line(str(key))}{count}:")
            lines.extend(_block(nested, indent + 1))
            continue
        text = _plain(value, key=str(key))
        if key in _ONE_LINE_KEYS or str(key).endswith(("_id", "_ids")):
            text = one_line(text)
        if "\n" in text:
            lines.append(f"{pad}{label}")
            lines.extend(f"{pad}  {one_line(line)}" for line in text.splitlines())
        else:
            lines.append(f"{pad}{_pad(label, width)} {text}".rstrip())
    return lines


_ONE_LINE_KEYS = frozenset(JSON_KEYS) - {"error"}
"""Keys whose values print on one line whatever they hold (ids, names, statuses)."""


def _nested(value: Any) -> list[tuple[str, Any]] | None:
    """The pairs of a structured value (dataclass, non-empty mapping, list of structures)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]
    if isinstance(value, dict) and value:
        return [(str(k), v) for k, v in value.items()]
    if isinstance(value, tuple | list) and value and not all(_is_scalar(v) for v in value):
        return [(f"[{index}]", item) for index, item in enumerate(value)]
    return None


def _duration_text(job: Job) -> str:
    return fmt_duration(job.duration_seconds(utc_now()))


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _plain(value: Any, *, key: str = "") -> str:
    """One value as text: `—` for none, yes/no, sizes humanized, times ISO 8601 UTC."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, bytes):
        return f"<{fmt_size(len(value))}>"
    if isinstance(value, int | float) and (key == "size" or key.endswith(("_size", "_bytes"))):
        return fmt_size(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "—"
    if isinstance(value, datetime):
        return format_timestamp(value) or "—"
    if isinstance(value, tuple | list):
        return ", ".join(one_line(_plain(v)) for v in value) or "—"
    if isinstance(value, dict):
        return "—"
    return clean(value, 20_000)


# --- watch -------------------------------------------------------------------------------


def watch_command(
    settings: Settings,
    account_name: str | None,
    job_id: str,
    *,
    exit_status: bool,
    interval: float | None = None,
) -> int:
    """`jobtop watch`: print each change until the job ends (`interval` from --interval)."""
    store = CommandStore(settings)
    try:
        if account_name is None:
            account, _ = resolve_job(settings, None, job_id, store)
        else:
            account = settings.account(account_name)
        interval = interval or account.refresh or settings.refresh
        final = asyncio.run(_watch(account, job_id, interval, store, sys.stdout))
    finally:
        store.close()
    if not exit_status:
        return store.exit_code(EXIT_OK)
    outcomes = {
        JobState.SUCCEEDED: EXIT_OK,
        JobState.FAILED: EXIT_JOB_FAILED,
        JobState.CANCELED: EXIT_JOB_CANCELED,
    }
    return outcomes.get(final.state, EXIT_JOB_FAILED)


async def _watch(
    account: AccountConfig,
    job_id: str,
    interval: float,
    store: CommandStore | JobStore,
    out: TextIO,
    *,
    err: TextIO | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Job:
    """Poll one job by the dashboard's policy until it ends; a failed poll is said on
    `err` and tried again after the policy's wait (Retry-After on any status, several
    intervals after a refused token); a job that does not exist ends the watch."""
    from tui.sync.policy import RefreshPolicy, wait_note  # here for start-up: see `_provider`

    provider = _provider(account)
    policy = RefreshPolicy.for_source(interval, provider.capabilities)
    parent_id = _known_parent(store, account.name, job_id)
    last: tuple[object, ...] | None = None
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
            seen = watch_key(detail)
            if seen != last:
                waiting = last is None and job.state == JobState.QUEUED
                out.write(watch_line(detail, utc_now(), waiting=waiting))
                out.flush()
                last = seen
            if job.state.is_terminal:
                out.write(final_line(job, utc_now()))
                out.flush()
                return job
            await sleep(policy.effective_interval)
    finally:
        await provider.aclose()


def _phase(detail: JobDetail) -> str | None:
    """The step a job is at, where its provider says: Zoo's phase, hdrjpg's step."""
    for name in ("phase", "step"):
        value = getattr(detail, name, None)
        if isinstance(value, str) and value:
            return value
    return None


def watch_key(detail: JobDetail) -> tuple[object, ...]:
    """What a watch line shows: a new line is printed when any of it changes."""
    job = detail.job
    return (job.state, job.status, fmt_percent(job.progress), _phase(detail))


_WATCH_STATUS_WIDTH = 16


def watch_line(detail: JobDetail, now: datetime, *, waiting: bool = False) -> str:
    """One aligned line: time, state, provider status, progress, phase or step."""
    job = detail.job
    stamp = now.strftime("%Y-%m-%d %H:%M:%S UTC")
    percent = fmt_percent(job.progress) if job.progress is not None else ""
    phase = _phase(detail)
    parts = [
        stamp,
        _pad(job.state.value, 9),
        _pad(_crop(one_line(job.status), _WATCH_STATUS_WIDTH), _WATCH_STATUS_WIDTH),
        percent.rjust(4),
    ]
    if phase and phase != job.status:
        parts.append(one_line(phase))
    if waiting:
        parts.append("(waiting for it to start)")
    return "  ".join(parts).rstrip() + "\n"


def final_line(job: Job, now: datetime) -> str:
    """The last line of `watch`: the final state and how long the job ran."""
    stamp = now.strftime("%Y-%m-%d %H:%M:%S UTC")
    seconds = job.duration_seconds(now)
    ran = f" after {fmt_duration(seconds)}" if seconds is not None else ""
    text = f"{stamp}  {one_line(job.id)} {job.state.value}{ran}"
    if job.state == JobState.FAILED and job.error:
        text += f": {one_line(job.error)}"
    return text + "\n"


# --- track -------------------------------------------------------------------------------


def track_command(settings: Settings, args: argparse.Namespace) -> int:
    """`jobtop track add|remove|list`."""
    store = _store(settings)
    try:
        if args.track_command == "list":
            accounts = [settings.account(args.account)] if args.account else list(settings.accounts)
            rows: list[list[str]] = []
            for account in accounts:
                rows.extend([account.name, job_id, "config"] for job_id in account.track)
                rows.extend(
                    [account.name, job_id, "store"]
                    for job_id in store.tracked_ids(account.name)
                    if job_id not in account.track
                )
            if not rows:
                where = f"account {args.account!r}" if args.account else "any account"
                print(
                    f"jobtop: no ids are tracked on {where} "
                    "(add some with `jobtop track add ACCOUNT ID`)",
                    file=sys.stderr,
                )
            for row in rows:
                print("\t".join(one_line(cell) for cell in row))
            return EXIT_OK
        account = settings.account(args.account)
        if args.track_command == "add":
            if not args.no_check:
                asyncio.run(_check_ids(account, args.ids))
            added = store.add_tracked(account.name, args.ids)
            for job_id in args.ids:
                state = "tracking" if job_id in added else "already tracked"
                print(f"{state}: {account.name} {one_line(job_id)}")
            return EXIT_OK
        removed = store.remove_tracked(account.name, args.ids)
        for job_id in args.ids:
            shown = one_line(job_id)
            if job_id in removed:
                print(f"stopped tracking: {account.name} {shown}")
            elif job_id in account.track:
                print(
                    f"{account.name} {shown} is tracked by the config file; remove it there",
                    file=sys.stderr,
                )
            else:
                print(f"not tracked: {account.name} {shown}", file=sys.stderr)
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
                message = f"{one_line(job_id)} was not added: {error.message}"
                raise error.reworded(message) from error
    finally:
        await provider.aclose()


# --- config ------------------------------------------------------------------------------


def config_command(config_path: str | None, action: str) -> int:
    """`jobtop config path|check|accounts`: where things are, and whether the config is good."""
    path, explicit = find_config_file(config_path, os.environ)
    if action == "path":
        source = "--config" if config_path else ("$JOBTOP_CONFIG" if explicit else "default")
        exists = "exists" if path.exists() else "not found"
        state_dir = user_state_dir()
        source_dir = "$JOBTOP_STATE_DIR" if os.environ.get("JOBTOP_STATE_DIR") else "default"
        rows = [
            ["config:", str(path), f"({source}, {exists})"],
            ["store:", str(state_dir / "jobs.sqlite3"), f"({source_dir})"],
            ["demo store:", str(state_dir / "demo.sqlite3"), ""],
        ]
        sys.stdout.write("".join(line + "\n" for line in align(rows, (12, 4096, 40))))
        return EXIT_OK
    settings = load_settings(config_path)
    if action == "accounts":
        sys.stdout.write("".join(f"{one_line(a.name)}\n" for a in settings.accounts))
        return EXIT_OK
    if not path.exists():
        raise ConfigError(f"{path}: no config file (jobtop would start the demo)")
    missing = [a for a in settings.accounts if a.token is None]
    for account in missing:
        hint = f"${account.token_env} is not set" if account.token_env else "it has no token_env"
        print(f"jobtop: account {account.name!r} has no token ({hint})", file=sys.stderr)
    if missing:
        return EXIT_CONFIG
    names = ", ".join(a.name for a in settings.accounts) or "none"
    print(f"{path}: valid; {len(settings.accounts)} accounts ({names})")
    return EXIT_OK
