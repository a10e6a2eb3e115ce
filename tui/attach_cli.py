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
from tui.exit_codes import EXIT_INCOMPLETE, EXIT_OK
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
    for health in state.sources.values() if state else ():
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
            return _show(settings, store, args.account, args.id, args)
        return _watch(settings, store, args.account, args.id, args.exit_status, sys.stdout)
    finally:
        store.close()


def _say_failing(store: ReadOnlyStore, accounts: set[str]) -> bool:
    """Say on stderr which sources the poller finds failing or listed incompletely;
    True if a listing is incomplete (`list`'s exit 3, as when it polls itself)."""
    state = store.poller()
    incomplete = False
    for health in state.sources.values() if state else ():
        if health.account in accounts and health.health == "failing":
            error = one_line(health.error or "failing")
            print(f"jobtop: {health.account}: jobtop serve says: {error}", file=sys.stderr)
        if health.account in accounts and health.incomplete:
            incomplete = True
            note = one_line(health.note or "the listing is incomplete")
            print(f"jobtop: {health.account}: {note}", file=sys.stderr)
    return incomplete


def _list(settings: Settings, store: ReadOnlyStore, args: argparse.Namespace) -> int:
    """`list --attach`: the stored jobs, filtered, sorted and printed as `list` does."""
    from tui.commands import filter_jobs, print_jobs, select_accounts

    states = frozenset(JobState(s) for s in args.state)
    accounts = select_accounts(settings, args.account, args.provider)
    names = {a.name for a in accounts}
    now = utc_now()
    jobs = filter_jobs(
        store.load_jobs(names),
        states=states,
        status=args.status,
        since=args.since,
        error=args.error,
        now=now,
    )
    print_jobs(jobs, args, now)
    return EXIT_INCOMPLETE if _say_failing(store, names) else EXIT_OK


def _find(settings: Settings, store: ReadOnlyStore, account: str | None, job_id: str) -> Job:
    """The stored job, on the named account or on the only one that has it."""
    from tui.commands import UsageError

    names = [settings.account(account).name] if account else [a.name for a in settings.accounts]
    found = [stored[0] for name in names if (stored := store.load_job(name, job_id)) is not None]
    if not found:
        where = names[0] if account else None
        raise NotFoundError(f"the store jobtop serve writes has no job {job_id}", account=where)
    if len(found) > 1:
        raise UsageError(
            f"{len(found)} accounts have a job {one_line(job_id)!r}: "
            f"{', '.join(job.account for job in found)}; name one: jobtop show ACCOUNT ID"
        )
    return found[0]


def _show(
    settings: Settings,
    store: ReadOnlyStore,
    account: str | None,
    job_id: str,
    args: argparse.Namespace,
) -> int:
    """`show --attach`: the stored job (the provider's particulars need a live fetch)."""
    from tui.commands import detail_lines, emit_json

    job = _find(settings, store, account, job_id)
    if args.json is not None or args.jq is not None:
        emit_json(job.to_json() | {"raw": None}, args.json, args.jq, sys.stdout)
    else:
        sys.stdout.write("".join(f"{line}\n" for line in detail_lines(JobDetail(job))))
    sys.stdout.flush()
    print(f"jobtop: {LIVE_FETCH_NOTE}", file=sys.stderr)
    return 0


def _watch(
    settings: Settings,
    store: ReadOnlyStore,
    account: str | None,
    job_id: str,
    exit_status: bool,
    out: TextIO,
) -> int:
    """`watch --attach`: a line for each change the poller stores, until the job ends."""
    from tui.commands import final_line, watch_key, watch_line

    last: tuple[object, ...] | None = None
    warned = False
    while True:
        job = _find(settings, store, account, job_id)
        detail = JobDetail(job)
        seen = watch_key(detail)
        if seen != last:
            waiting = last is None and job.state == JobState.QUEUED
            out.write(watch_line(detail, utc_now(), waiting=waiting))
            out.flush()
            last = seen
        if job.state.is_terminal:
            out.write(final_line(job, utc_now()))
            out.flush()
            break
        problem = poller_problem(store.poller(), utc_now(), None)
        if problem is not None and not warned:
            print(f"jobtop: {problem}; waiting for it.", file=sys.stderr)
        warned = problem is not None
        time.sleep(ATTACH_READ_EVERY)
    if not exit_status:
        return 0
    return {JobState.SUCCEEDED: 0, JobState.FAILED: 1, JobState.CANCELED: 2}.get(job.state, 1)
