"""`SimServer`: the simulator as a real uvicorn server on loopback, in a background thread."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from tui.clock import Clock
from tui.sim.planted import PlantedConversion
from tui.sim.state import SimState


def _protocol_class() -> type:
    """uvicorn's h11 protocol, exposing the transport to the app (for the `reset` fault)."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class TransportH11Protocol(H11Protocol):
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            sock = transport.get_extra_info("socket")
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                # headers and body go out in separate writes: without this, Nagle plus
                # delayed ACK adds 40 ms to every response on loopback
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            inner = self.app

            async def app(scope: Any, receive: Any, send: Any) -> None:
                scope.setdefault("extensions", {})["jobtop.transport"] = transport
                await inner(scope, receive, send)

            self.app = app

    return TransportH11Protocol


class SimServer:
    """The simulator as a real uvicorn server on loopback, in a background thread.

    Attributes:
        url: `http://HOST:PORT` once started.
        state: The in-process world (tests inspect and fault it).
        admin_secret: This run's secret for `/_admin/*` (`ADMIN_SECRET_HEADER`); in-process
            callers fault the world directly and need it only to go over HTTP.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        jobs: int = 200,
        seed: int = 1,
        clock: Clock | None = None,
        token: str | None = None,
        zoo_enums: str = "current",
        faults: Iterable[str] = (),
        zoo_planted: tuple[PlantedConversion, ...] = (),
    ) -> None:
        self.host = host
        self.port = port
        self.token = token
        self.admin_secret = secrets.token_urlsafe(24)
        self.state = SimState(
            seed=seed, jobs=jobs, clock=clock, zoo_enums=zoo_enums, zoo_planted=zoo_planted
        )
        self.state.faults.load(faults)
        self.url = ""
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._sim_app: Any = None
        self._error: BaseException | None = None

    def start(self) -> None:
        """Bind (port 0 = a free port) and return once the server accepts connections."""
        if self._thread is not None:
            return
        # Imported here so that importing the server (the demo, the tests) does not load
        # Starlette and uvicorn until one starts.
        import uvicorn

        from tui.sim.app import SimApp

        self._sim_app = SimApp(self.state, token=self.token, admin_secret=self.admin_secret)
        sock = socket.socket(
            socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM
        )
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(128)
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._sim_app.app,
            http=_protocol_class(),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=5,
            ws="none",
        )
        self._server = uvicorn.Server(config)

        def run() -> None:
            try:
                self._server.run(sockets=[sock])
            except BaseException as exc:  # noqa: BLE001 - reported to start()
                self._error = exc
            finally:
                sock.close()

        self._thread = threading.Thread(target=run, name="jobtop-sim", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"simulator failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError("simulator did not start within 15 s")
            time.sleep(0.005)
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.port = port
        self.url = f"http://{host}:{port}"
        threading.Thread(target=self._warm, name="jobtop-sim-index", daemon=True).start()

    def _warm(self) -> None:
        """Build the list indexes in the background, so the first page is fast too."""
        try:
            self.state.zoo.async_index.groups()
            for _, _, index in self.state.zoo.datasets:
                index.groups()
        except Exception:  # noqa: BLE001 - a request will rebuild and report it
            pass

    def stop(self) -> None:
        """Stop serving and join the thread; safe to call twice."""
        if self._thread is None:
            return
        if self._sim_app is not None:
            self._sim_app.stopping = True
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> SimServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def admin_headers(self) -> dict[str, str]:
        """The header that lets a request through to `/_admin/*`."""
        from tui.sim.app import ADMIN_SECRET_HEADER  # here: Starlette loads on start only

        return {ADMIN_SECRET_HEADER: self.admin_secret}

    def base_url(self, provider: str) -> str:
        """The base URL standing in for one provider's API."""
        return f"{self.url}/{provider}"

    def requests(self) -> dict[str, int]:
        """Provider requests received so far, per provider."""
        return dict(self._sim_app.requests) if self._sim_app is not None else {}

    def set_fault(self, provider: str, fault: str, **params: object) -> None:
        """Turn on a fault for one provider, or "all"."""
        self.state.faults.set(provider, fault, **params)

    def clear_faults(self, provider: str | None = None) -> None:
        """Heal one provider, or every provider."""
        self.state.faults.clear(provider)

    def tracked_ids(self) -> dict[str, list[str]]:
        """Ids the demo must track by hand: hdrjpg conversions and Zoo async operations."""
        return self.state.tracked_ids()
