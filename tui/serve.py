"""`jobtop serve`: one headless poller for a team, its store, `/metrics` and `/healthz`.

It runs the sync engine for every configured source, writes the job store (and each
source's health, for viewers started with `--attach`), and serves Prometheus metrics
(`tui.metrics`) and a health check on a loopback address by default. One `serve` owns a
store at a time: a lock file beside the store holds its pid. SIGTERM or SIGINT stop it
within a couple of seconds. Each event (start, a source failing or recovered, rate
limiting, stop) is one line on stderr; error sentences come scrubbed of tokens from the
provider layer, and no URL or token is ever logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any, TextIO
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from tui.attach import heartbeat_every
from tui.clock import utc_now
from tui.config import Settings
from tui.errors import ConfigError, RateLimitedError, StoreError
from tui.exit_codes import EXIT_LISTEN, EXIT_STORE, EXIT_STORE_OWNED
from tui.job_index.index import JobIndex
from tui.metrics import ServeMetrics
from tui.sanitize import clean, one_line
from tui.store import JobStore, StoredHealth
from tui.sync.engine import SyncEngine
from tui.sync.events import JobsChanged, RefreshFailed, SyncEvent
from tui.sync.source import SourceSync

DEFAULT_LISTEN = "127.0.0.1:9464"
STOP_WITHIN = 1.5
"""Seconds the loops, clients and HTTP server get to stop after SIGTERM/SIGINT."""


class ServeError(Exception):
    """`serve` cannot start: one sentence and the exit code that goes with it."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def parse_listen(text: str) -> tuple[str, int]:
    """`HOST:PORT` (`[::1]:9464` for IPv6) into its parts.

    Raises:
        ConfigError: Not HOST:PORT with a port of 0-65535.
    """
    host, sep, port_text = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port_text.isdigit() or int(port_text) > 65535:
        raise ConfigError(f"--listen {text!r} is not HOST:PORT (for example 127.0.0.1:9464)")
    return host, int(port_text)


# --- the store's owner ------------------------------------------------------------------


class StoreLock:
    """`<store>.serve.lock`: held with `flock` by the one `serve` writing the store; holds
    its pid. The kernel lets go of it when the process ends, however it ends."""

    def __init__(self, store_path: Path) -> None:
        self.store = store_path
        self.path = store_path.with_name(store_path.name + ".serve.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or say who has it.

        Raises:
            ServeError: Another serve holds it (its pid said), or the file cannot be made.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise ServeError(
                f"the job store's directory {self.path.parent} cannot be written "
                f"({exc.strerror or type(exc).__name__})",
                EXIT_STORE,
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            owner = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            who = f"pid {owner}" if owner.isdigit() else "another process"
            raise ServeError(
                f"the job store {self.store} is already written by another jobtop serve ({who})",
                EXIT_STORE_OWNED,
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Let go (the file stays; an unlocked file means nobody owns the store)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None


# --- HTTP: /metrics and /healthz ---------------------------------------------------------


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _ThreadingServer6(_ThreadingServer):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    disable_nagle_algorithm = True
    """Headers and body go out in separate small writes: the body is not held back
    waiting for the headers' ACK."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        """No access log: stderr has one line per event only."""


def bind_http(host: str, port: int, app: Callable[..., Any]) -> WSGIServer:
    """The HTTP server bound to `host:port` (not serving yet).

    Raises:
        ServeError: The address cannot be bound (in use, not local, not allowed).
    """
    server_class = _ThreadingServer6 if ":" in host else _ThreadingServer
    try:
        return make_server(host, port, app, server_class=server_class, handler_class=_QuietHandler)
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ServeError(f"cannot listen on {host}:{port} ({reason})", EXIT_LISTEN) from None


def make_app(
    metrics: ServeMetrics, health: Callable[[], tuple[bool, dict[str, Any]]]
) -> Callable[..., Any]:
    """The WSGI app: `/metrics` from prometheus-client, `/healthz` one line of JSON."""
    from prometheus_client import make_wsgi_app

    metrics_app = make_wsgi_app(metrics.registry)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return metrics_app(environ, start_response)
        if path == "/healthz":
            alive, body = health()
            data = (json.dumps(body, separators=(",", ":")) + "\n").encode()
            start_response(
                "200 OK" if alive else "503 Service Unavailable",
                [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
            )
            return [data]
        data = b"not found: try /metrics or /healthz\n"
        start_response(
            "404 Not Found",
            [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))],
        )
        return [data]

    return app


# --- the poller --------------------------------------------------------------------------


class _TimedEngine(SyncEngine):
    """The sync engine, telling how long each refresh took."""

    on_run: Callable[[str, float], None] = staticmethod(lambda _account, _seconds: None)

    async def _run_once(self, source: SourceSync) -> JobsChanged:
        started = time.monotonic()
        try:
            return await super()._run_once(source)
        finally:
            self.on_run(source.account, time.monotonic() - started)


@dataclass
class _Log:
    """One line per event on stderr, stamped in UTC."""

    stream: TextIO

    def __call__(self, text: str) -> None:
        stamp = utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")
        self.stream.write(f"{stamp} jobtop serve: {one_line(clean(text, 600))}\n")
        self.stream.flush()


class Poller:
    """The engine, its metrics, the health it writes to the store, and its log lines."""

    def __init__(
        self, settings: Settings, providers: list[Any], store: JobStore, log: _Log
    ) -> None:
        self.settings = settings
        self.store = store
        self.log = log
        self.metrics = ServeMetrics()
        self.index = JobIndex(now=utc_now)
        self.engine = _TimedEngine(
            providers,
            store,
            self.index,
            self._event,
            utc_now,
            interval=settings.refresh,
            default_interval=settings.refresh,
            account_intervals={a.name: a.refresh for a in settings.accounts},
            tracked={a.name: tuple(a.track) for a in settings.accounts},
            apply_updates=True,
            tracked_only_fails=True,
        )
        self.engine.on_run = self.metrics.observe_refresh
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.stopping = False
        """Set when the poller is asked to stop: loops ending then are not news."""
        self._dirty: asyncio.Event | None = None
        self._failing: set[str] = set()
        self._counted: set[str] = set()
        for account, source in self.engine.sources.items():
            self.metrics.add_source(account, source.health.provider, source.interval)
            self._hook_http(account, source.provider)

    def _hook_http(self, account: str, provider: Any) -> None:
        """Count each HTTP answer's status class and each Retry-After wait."""
        api = getattr(provider, "_http", None)
        if api is None:
            return
        metrics = self.metrics

        async def on_response(response: Any) -> None:
            metrics.on_response(account, response.status_code)

        api.client.event_hooks["response"].append(on_response)
        api.on_retry_wait = lambda seconds: metrics.on_retry_wait(account, seconds)

    def load_stored(self) -> None:
        """Start from the store's jobs, so the first refresh finds only real changes."""
        accounts = list(self.engine.sources)
        jobs = self.store.load_jobs(accounts)
        self.index.upsert(jobs)
        refreshed = self.store.refreshed_at(accounts)
        for account in accounts:
            self.engine.mark_stored(account, refreshed.get(account))
            self.metrics.count_jobs(account, self.index.jobs(account))

    def _event(self, event: SyncEvent) -> None:
        source = self.engine.sources.get(getattr(event, "account", ""))
        if source is None:
            return
        account = source.account
        if isinstance(event, JobsChanged):
            # Recounted only when something changed: an idle refresh costs no pass over
            # every job of the source.
            update = event.update
            jobs = None
            if not event.more and (update.upserts or update.removals or not self._counted):
                jobs = self.index.jobs(account)
                self._counted.add(account)
            self.metrics.on_event(event, jobs)
            if not event.more:
                last = source.last_result
                self.metrics.set_incomplete(account, bool(last is not None and last.capped))
                if account in self._failing:
                    self._failing.discard(account)
                    self.log(f"source {account} recovered")
                if event.store_error:
                    self.log(
                        f"source {account}: the store could not be written ({event.store_error})"
                    )
        elif isinstance(event, RefreshFailed):
            self.metrics.on_event(event)
            if isinstance(event.error, RateLimitedError):
                self.log(f"source {account} is rate limited: {event.health.error}")
            elif account not in self._failing:
                self.log(f"source {account} is failing: {event.health.error}")
            self._failing.add(account)
        if self._dirty is not None:
            self._dirty.set()

    def health_rows(self) -> list[StoredHealth]:
        """Every source's health as the store keeps it."""
        rows = []
        for source in self.engine.sources.values():
            h = source.health
            last = source.last_result
            rows.append(
                StoredHealth(
                    account=h.account,
                    provider=h.provider,
                    health=h.health.value,
                    error=h.error,
                    last_ok_at=h.last_ok_at,
                    next_try_at=h.next_try_at,
                    failures=h.failures,
                    note=h.note,
                    incomplete=bool(last is not None and last.capped),
                )
            )
        return rows

    def write_health(self, pid: int | None = None) -> None:
        """The heartbeat and every source's health, into the store."""
        self.store.save_poller(
            os.getpid() if pid is None else pid,
            utc_now(),
            self.settings.refresh,
            self.health_rows(),
        )

    def start_loops(self) -> None:
        """One poll loop per source; a loop that ends before `stopping` is logged."""
        for account in self.engine.sources:
            task = asyncio.create_task(self.engine.run_source(account), name=f"poll-{account}")
            task.add_done_callback(partial(self._loop_ended, account))
            self.tasks[account] = task

    def _loop_ended(self, account: str, task: asyncio.Task[None]) -> None:
        if self.stopping:
            return
        why = "cancelled" if task.cancelled() else type(task.exception()).__name__
        self.log(f"{account}: its poll loop stopped ({why}); /healthz answers 503")
        if self._dirty is not None:
            self._dirty.set()

    def healthz(self) -> tuple[bool, dict[str, Any]]:
        """(every loop alive, the one-line body)."""
        sources = {}
        alive = bool(self.tasks)
        for account, source in self.engine.sources.items():
            task = self.tasks.get(account)
            running = task is not None and not task.done()
            alive = alive and running
            sources[account] = source.health.health.value if running else "stopped"
        return alive, {"status": "ok" if alive else "down", "sources": sources}

    async def heartbeat(self) -> None:
        """Write the health on every event, and at least every heartbeat period."""
        self._dirty = asyncio.Event()
        period = heartbeat_every(self.settings.refresh)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dirty.wait(), period)
            self._dirty.clear()
            try:
                await asyncio.to_thread(self.write_health)
            except Exception as exc:  # noqa: BLE001 - the next beat tries again
                self.log(f"the store could not be written ({type(exc).__name__})")
            await asyncio.sleep(0.2)  # a burst of events is one write


# --- running -----------------------------------------------------------------------------


def store_path() -> Path:
    """Where the job store is (the same file the dashboard and the CLI use)."""
    from tui.paths import user_state_dir

    return user_state_dir() / "jobs.sqlite3"


def open_store(path: Path) -> JobStore:
    """The store, opened and written once (a store that cannot be written fails here).

    Raises:
        ServeError: It cannot be opened or written.
    """
    try:
        store = JobStore(path)
    except StoreError as exc:
        raise ServeError(str(exc).rstrip("."), EXIT_STORE) from None
    try:
        store.save_poller(os.getpid(), utc_now(), 0.0, [])
    except StoreError as exc:
        store.close()
        raise ServeError(
            f"the job store {path} cannot be written ({_reason(exc)})", EXIT_STORE
        ) from None
    return store


def _reason(exc: BaseException) -> str:
    text = one_line(clean(str(exc), 200)).strip()
    return text or type(exc).__name__


@contextlib.contextmanager
def _serving(server: WSGIServer) -> Iterator[None]:
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        name="jobtop-serve-http",
        daemon=True,
    )
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=1)


def run_serve(settings: Settings, listen: str, *, err: TextIO | None = None) -> int:
    """`jobtop serve`: poll every configured source until SIGTERM/SIGINT; the exit code.

    Raises:
        ConfigError: A bad `--listen`, or an account without a token.
        ServeError: The store is owned or unwritable, or the address cannot be bound.
    """
    from prometheus_client import disable_created_metrics

    # No `_created` twin of every counter: half the scrape.
    disable_created_metrics()  # type: ignore[no-untyped-call]  # unannotated in prometheus-client
    log = _Log(err or sys.stderr)
    host, port = parse_listen(listen)
    if not settings.accounts:
        raise ConfigError("no accounts are configured; jobtop serve has nothing to poll")
    from tui.commands import _provider

    providers = [_provider(account) for account in settings.accounts]
    path = store_path()
    lock = StoreLock(path)
    lock.acquire()
    try:
        store = open_store(path)
        try:
            return _run(settings, providers, store, host, port, path, log)
        finally:
            store.close()
    finally:
        lock.release()


def _run(
    settings: Settings,
    providers: list[Any],
    store: JobStore,
    host: str,
    port: int,
    path: Path,
    log: _Log,
) -> int:
    poller = Poller(settings, providers, store, log)
    try:
        store.prune()
        poller.load_stored()
    except Exception as exc:  # noqa: BLE001 - start from nothing rather than not at all
        log(f"the stored jobs could not be read ({type(exc).__name__}); starting empty")
    server = bind_http(host, port, make_app(poller.metrics, poller.healthz))
    bound = server.server_address[1]
    shown = f"[{host}]" if ":" in host else host
    with _serving(server):
        names = ", ".join(poller.engine.sources)
        log(
            f"started (pid {os.getpid()}): polling {len(poller.engine.sources)} sources "
            f"({names}) every {settings.refresh:g} s; metrics on http://{shown}:{bound}/metrics; "
            f"store {path}"
        )
        reason = asyncio.run(_main(poller, providers))
        log(f"stopped ({reason})")
    return 0


async def _main(poller: Poller, providers: list[Any]) -> str:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    reason = ["stopped"]

    def on_signal(name: str) -> None:
        reason[0] = name
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig.name)
    engine = poller.engine
    poller.start_loops()
    beat = asyncio.create_task(poller.heartbeat(), name="heartbeat")
    try:
        await stop.wait()
    finally:
        poller.stopping = True
        everything = [*poller.tasks.values(), beat]
        for task in everything:
            task.cancel()
        await asyncio.wait(everything, timeout=STOP_WITHIN / 2)
        await asyncio.wait(
            [asyncio.create_task(p.aclose()) for p in providers], timeout=STOP_WITHIN / 4
        )
        engine.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.to_thread(poller.write_health, 0), STOP_WITHIN / 4)
    return reason[0]
