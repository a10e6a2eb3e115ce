"""The simulator's Starlette application: four providers under their path prefixes.

Every provider endpoint goes through `_endpoint`, which applies the provider's active
faults, checks the provider's own auth header, and answers errors in the provider's own
body shape. Handlers return plain JSON values or raise `ApiError`.

The admin endpoints (`/_admin/*`: faults, tracked ids, the frozen clock) need the run's
secret, in the `X-Jobtop-Admin-Secret` header or a `secret` query parameter; another local
user does not know it. A browser request is refused whatever it carries: one with an
`Origin` other than the simulator's own, or a `Sec-Fetch-Site` other than same-origin, and a
body that is not `application/json` (a cross-origin page can send `text/plain` or a form
without asking first, never JSON).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import math
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tui.clock import FrozenClock
from tui.sim import faults as fx
from tui.sim import hdrjpg, lettrlabs, metafold, zoo_wire
from tui.sim.api import ApiError, Endpoint, Handler, Wire
from tui.sim.metafold import QueryError
from tui.sim.routes import provider_routes
from tui.sim.state import SimState

FAULT_MESSAGES = {
    401: "Unauthorized: the API token is missing, invalid or expired.",
    403: "Forbidden: this key lacks permission for this resource.",
    404: "Not found: the resource does not exist.",
    429: "Too many requests: slow down.",
    500: "Internal server error.",
    503: "Service unavailable: the service is temporarily overloaded or down for maintenance.",
}
HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body>\n"
    "<center><h1>502 Bad Gateway</h1></center>\n<hr><center>cloudflare</center>\n</body></html>\n"
)

AdminHandler = Callable[[Request], Awaitable[Response]]

ADMIN_SECRET_HEADER = "X-Jobtop-Admin-Secret"
"""The header that carries the run's admin secret (or the `secret` query parameter)."""
MAX_CLOCK_STEP = 10 * 366 * 86_400.0
"""The furthest `POST /_admin/clock` moves the frozen clock at once, either way (seconds)."""


WIRES: dict[str, Wire] = {
    "zoo": zoo_wire.WIRE,
    "metafold": metafold.WIRE,
    "lettrlabs": lettrlabs.WIRE,
    "hdrjpg": hdrjpg.WIRE,
}
"""Each simulated provider's error body, auth and answer headers, from its own module."""


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class SimApp:
    """Builds the ASGI app over a `SimState`."""

    def __init__(self, state: SimState, token: str | None = None, *, admin_secret: str) -> None:
        self.state = state
        self.token = token
        self.admin_secret = admin_secret
        """What `/_admin/*` requests must carry (see the module docstring)."""
        self.stopping = False
        """Set by the server on shutdown, so hung requests let go."""
        self.requests: dict[str, int] = {}
        """Provider requests received, per provider (tests count what a client sends)."""
        self.app = Starlette(
            routes=[*provider_routes(self.state, self.endpoint), *self._admin_routes()]
        )

    # -- the wrapper every provider endpoint goes through ------------------------------
    def endpoint(self, provider: str, handler: Handler) -> Endpoint:
        """Wrap a handler with faults, auth and error shapes."""

        async def run(request: Request) -> Response:
            self.requests[provider] = self.requests.get(provider, 0) + 1
            active = self.state.faults.active(provider)
            if "latency" in active:
                await asyncio.sleep(float(active["latency"].get("seconds", 1.0)))  # type: ignore[arg-type]
            if "hang" in active:
                await self._hang(provider)
                active = self.state.faults.active(provider)
            if "reset" in active:
                await _reset(request)
                return Response(b"", status_code=500)
            for name, status in (
                ("http_401", 401),
                ("http_403", 403),
                ("http_404", 404),
                ("http_429", 429),
                ("http_500", 500),
                ("http_503", 503),
            ):
                if name in active:
                    headers = {}
                    if status == 429 or "retry_after" in active[name]:
                        headers["Retry-After"] = str(active[name].get("retry_after", 2))
                    return self._error(provider, status, FAULT_MESSAGES[status], headers)
            if "html" in active:
                return Response(
                    HTML_PAGE, status_code=502, media_type="text/html", headers=self._ids(provider)
                )
            try:
                self._check_auth(provider, request)
                value = handler(request)
            except ApiError as exc:
                return self._error(provider, exc.status, exc.message, exc.headers)
            except QueryError as exc:
                return self._error(provider, 400, str(exc))
            return self._ok(provider, request, value, active)

        return run

    async def _hang(self, provider: str) -> None:
        while self.state.faults.has(provider, "hang") and not self.stopping:
            await asyncio.sleep(0.05)

    def _ids(self, provider: str) -> dict[str, str]:
        return WIRES[provider].headers()

    def _error(
        self, provider: str, status: int, message: str, headers: dict[str, str] | None = None
    ) -> Response:
        return Response(
            _dumps(WIRES[provider].error_body(status, message)),
            status_code=status,
            media_type="application/json",
            headers={**self._ids(provider), **(headers or {})},
        )

    def _ok(
        self, provider: str, request: Request, value: Any, active: dict[str, dict[str, object]]
    ) -> Response:
        if "repeating_token" in active and isinstance(value, dict) and "next_page" in value:
            value = {
                **value,
                "next_page": "B" if request.query_params.get("page_token") == "A" else "A",
            }
        if "unknown_enums" in active:
            value = fx.unknown_enums(value, provider)
        if "hostile_strings" in active:
            value = fx.hostile(value)
        if "wrong_types" in active:
            value = fx.wrong_types(value)
        if "oversized" in active:
            value = fx.oversized(value)
        body = _dumps(value)
        if "truncated_json" in active:
            body = body[: max(1, len(body) // 2)]
        if "malformed_json" in active:
            body = body.replace(b":", b" = ", 1).replace(b",", b",,", 1) + b"}"
        return Response(
            body, status_code=200, media_type="application/json", headers=self._ids(provider)
        )

    def _check_auth(self, provider: str, request: Request) -> None:
        wire = WIRES[provider]
        credential = wire.credential(request.headers).strip()
        if not credential:
            raise ApiError(401, wire.no_credential)
        if self.token is not None and credential != self.token:
            raise ApiError(401, wire.bad_credential)

    # -- admin ---------------------------------------------------------------------------
    def _admin_refusal(self, request: Request) -> Response | None:
        """Why an admin request is refused (a response), or None to serve it."""
        origin = request.headers.get("origin")
        host = request.headers.get("host", "")
        if origin is not None and not _same_loopback_origin(origin, host):
            return JSONResponse({"error": "cross-origin requests are refused"}, status_code=403)
        if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return JSONResponse({"error": "cross-site requests are refused"}, status_code=403)
        given = request.headers.get(ADMIN_SECRET_HEADER) or request.query_params.get("secret") or ""
        if not hmac.compare_digest(given.encode(), self.admin_secret.encode()):
            return JSONResponse(
                {"error": f"send this run's admin secret in the {ADMIN_SECRET_HEADER} header"},
                status_code=401,
            )
        if request.method == "POST":
            media_type = request.headers.get("content-type", "").partition(";")[0].strip()
            if media_type.lower() != "application/json":
                return JSONResponse({"error": "the body must be application/json"}, status_code=415)
        return None

    def _admin(self, handler: AdminHandler) -> AdminHandler:
        """`handler` behind `_admin_refusal`."""

        async def run(request: Request) -> Response:
            refusal = self._admin_refusal(request)
            return refusal if refusal is not None else await handler(request)

        return run

    def _admin_routes(self) -> list[Route]:
        async def faults(request: Request) -> Response:
            board = self.state.faults
            try:
                if request.method == "POST":
                    data = await request.json()
                    if not isinstance(data, dict):
                        raise fx.FaultError("body must be a JSON object")
                    params = data.get("params") or {}
                    if not isinstance(params, dict):
                        raise fx.FaultError("params must be an object")
                    board.set(str(data.get("provider", "")), str(data.get("fault", "")), **params)
                elif request.method == "DELETE":
                    board.clear(request.query_params.get("provider"))
            except (fx.FaultError, ValueError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            return JSONResponse(board.snapshot())

        async def tracked(request: Request) -> Response:
            return JSONResponse(self.state.tracked_ids())

        async def clock(request: Request) -> Response:
            frozen = self.state.clock
            if not isinstance(frozen, FrozenClock):
                return JSONResponse(
                    {"error": "the simulator is not on a frozen clock"}, status_code=409
                )
            try:
                data = await request.json()
                step = data["advance"]
                if isinstance(step, bool) or not isinstance(step, int | float):
                    raise TypeError("advance must be a number")
                if not math.isfinite(step) or abs(step) > MAX_CLOCK_STEP:
                    raise ValueError(f"advance must be finite and at most {MAX_CLOCK_STEP:g} s")
                frozen.advance(float(step))
            except (ValueError, KeyError, TypeError) as exc:
                return JSONResponse(
                    {"error": f'expected {{"advance": seconds}}: {exc}'}, status_code=400
                )
            return JSONResponse({"now": frozen().isoformat()})

        return [
            Route("/_admin/faults", self._admin(faults), methods=["GET", "POST", "DELETE"]),
            Route("/_admin/tracked", self._admin(tracked), methods=["GET"]),
            Route("/_admin/clock", self._admin(clock), methods=["POST"]),
        ]


def _same_loopback_origin(origin: str, host: str) -> bool:
    """True when `origin` is this simulator itself (`http://` + its Host) on loopback."""
    try:
        parts = urlsplit(origin)
        hostname = parts.hostname or ""
    except ValueError:
        return False
    if parts.scheme != "http" or parts.netloc != host:
        return False
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


async def _reset(request: Request) -> None:
    """Drop the connection with a TCP RST (SO_LINGER 0), as a crashed proxy would."""
    transport = request.scope.get("extensions", {}).get("jobtop.transport")
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()
    await asyncio.sleep(0.02)
