"""`jobtop list|show|watch --attach`: the store a `jobtop serve` writes, no provider request.

The sources are the poller's (from the store), so a viewer needs no token. Each command
first checks that a poller writes the store; if none does, it says how old the data is
and exits with `EXIT_NO_POLLER`.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from typing import TextIO

from tui.attach import ATTACH_READ_EVERY, LIVE_FETCH_NOTE, ReadOnlyStore, poller_problem
from tui.clock import utc_now
from tui.config import AccountConfig, Settings
from tui.errors import NotFoundError
from tui.models import Job, JobDetail, JobState, ProviderName
from tui.sanitize import one_line


def open_attached() -> ReadOnlyStore:
    """The default store, read-only, with a poller writing it.

    Raises:
        NoPollerError: No store, or nobody writes it now (how old its data is, said).
    """
    from tui.serve import store_path

    store = ReadOnlyStore(store_path())
    try:
        store.check_poller()
    except BaseException:
        store.close()
        raise
    return store


def attached_settings(settings: Settings, store: ReadOnlyStore) -> Settings:
    """`settings` with the poller's sources as the accounts (no token, no URL needed)."""
    state = store.poller()
    accounts = []
    for health in (state.sources.values() if state else ()):
        try:
            provider = ProviderName(health.provider)
        except ValueError:
            continue
        accounts.append(AccountConfig(name=health.account, provider=provider, base_url="attached:"))
    return replace(settings, accounts=tuple(accounts))


def dispatch(settings: Settings, args: argparse.Namespace) -> int:
    """Run `list`, `show` or `watch` on the attached store."""
    store = open_attached()
    try:
        settings = attached_settings(settings, store)
        if args.command == "list":
            return _list(settings, store, args)
        if args.command == "show":
            return _show(settings, store, args.account, args.id, as_json=args.json)
        return _watch(settings, store, args.account, args.id, args.exit_status, sys.stdout)
    finally:
        store.close()


def _say_failing(store: ReadOnlyStore, accounts: set[str]) -> None:
    state = store.poller()
    for health in (state.sources.values() if state else ()):
        if health.account in accounts and health.health == "failing":
            error = one_line(health.error or "failing")
            print(f"jobtop: {health.account}: jobtop serve says: {error}", file=sys.stderr)
        elif health.account in accounts and health.incomplete:
            note = one_line(health.note or "the listing is incomplete")
            print(f"jobtop: {health.account}: {note}", file=sys.stderr)


def _list(settings: Settings, store: ReadOnlyStore, args: argparse.Namespace) -> int:
    from tui.commands import dump_json, parse_sort, print_table, select_accounts, sort_jobs

    states = frozenset(JobState(s) for s in args.state)
    sort = args.sort
    sort_key, descending = sort if isinstance(sort, tuple) else parse_sort(sort)
    accounts = select_accounts(settings, args.account, args.provider)
    names = {a.name for a in accounts}
    jobs = [
        j for j in store.load_jobs(names)
        if (not states or j.state in states) and (args.status is None or j.status == args.status)
    ]
    jobs = sort_jobs(jobs, sort_key, descending)
    if args.limit is not None:
        jobs = jobs[: args.limit]
    if args.json:
        dump_json([j.to_json() for j in jobs], sys.stdout)
    else:
        print_table(jobs, sys.stdout, aligned=sys.stdout.isatty())
    _say_failing(store, names)
    return 0


def _find(settings: Settings, store: ReadOnlyStore, account: str, job_id: str) -> Job:
    name = settings.account(account).name
    job = store.load_job(name, job_id)
    if job is None:
        raise NotFoundError(f"the store jobtop serve writes has no job {job_id}", account=name)
    return job


def _show(
    settings: Settings, store: ReadOnlyStore, account: str, job_id: str, *, as_json: bool
) -> int:
    from tui.commands import detail_lines, dump_json

    job = _find(settings, store, account, job_id)
    if as_json:
        dump_json(job.to_json() | {"raw": None}, sys.stdout)
    else:
        sys.stdout.write("".join(f"{line}\n" for line in detail_lines(JobDetail(job))))
    print(f"jobtop: {LIVE_FETCH_NOTE}", file=sys.stderr)
    return 0


def _watch(
    settings: Settings, store: ReadOnlyStore, account: str, job_id: str, exit_status: bool,
    out: TextIO,
) -> int:
    from tui.commands import _transition_line

    last: tuple[str, JobState] | None = None
    warned = False
    while True:
        job = _find(settings, store, account, job_id)
        if (job.status, job.state) != last:
            out.write(_transition_line(job, waiting=last is None and job.state == JobState.QUEUED))
            out.flush()
            last = (job.status, job.state)
        if job.state.is_terminal:
            break
        problem = poller_problem(store.poller(), utc_now(), None)
        if problem is not None and not warned:
            print(f"jobtop: {problem}; waiting for it.", file=sys.stderr)
        warned = problem is not None
        time.sleep(ATTACH_READ_EVERY)
    if not exit_status:
        return 0
    return {JobState.SUCCEEDED: 0, JobState.FAILED: 1, JobState.CANCELED: 2}.get(job.state, 1)

