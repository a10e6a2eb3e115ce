"""A tiny asyncio HTTP server for faults a mock transport cannot show.

Bound to 127.0.0.1 on a free port, every loop bounded. Scenarios by path:
`/slow_drip` (one byte every `drip` seconds), `/hang` (never answers), `/reset` (closes
without answering), `/big` (a 10 MB chunked body), `/big_declared` (Content-Length 10 MB),
`/redirect?to=URL` (302 to another origin), `/ok` (a small JSON body).

Hostile answers (a server that attacks the client): `/bomb_stacked` (a 1.8 KB body,
`Content-Encoding: gzip, gzip`, that inflates to 1 GB), `/bomb` and `/bomb_deflate` (one
coding, 1 MB inflating to 1 GB), `/straddle` (a 401 whose message puts the received token
across the 300-character cut), `/spaced` (a 401 echoing the token spaced out),
`/reason` (a 499 with a 60,000-character reason phrase holding the token) and
`/unavailable` (503 with `Retry-After: retry_after`, 1 s unless set).

Set `fault` to answer every request that way whatever its path, for its first `times`
requests when given; the others go to `upstream` (the simulator's origin) when it is set,
so the real providers see real bodies around the fault. Every request's target and headers
are recorded in `requests`, its arrival (`time.monotonic()`) in `arrivals`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import struct
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

TEN_MB = 10 * 1024 * 1024
BOMB_BYTES = 1024 * 1024 * 1024
"""What each bomb inflates to."""
CUT = 300
"""Where the client cuts a server's error message."""
AUTH_HEADERS = ("authorization", "x-api-key", "api-key")


@functools.cache
def zero_bomb(size: int = BOMB_BYTES, *, wrapper: str = "gzip") -> bytes:
    """`size` zero bytes compressed (about 1,000 to 1): "gzip", "zlib" or "raw" deflate.

    One megabyte is compressed once and its bytes repeated: a full flush after each block
    byte-aligns the output and resets the compressor, so every block compresses the same.
    """
    block = bytes(1 << 20)
    count = size >> 20
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    compressor.compress(block)
    compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = repeated * count + compressor.flush()
    if wrapper == "raw":
        return stream
    if wrapper == "zlib":
        adler = 1
        for _ in range(count):
            adler = zlib.adler32(block, adler)
        return b"\x78\xda" + stream + struct.pack(">I", adler)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + stream + struct.pack("<II", crc, size & 0xFFFFFFFF)


@functools.cache
def stacked_bomb() -> bytes:
    """`zero_bomb()` gzipped once more: about 1.8 KB on the wire."""
    return zlib.compress(zero_bomb(), 9, wbits=16 + zlib.MAX_WBITS)


def received_token(headers: dict[str, str]) -> str:
    """The credential the client sent (without a `Bearer ` prefix)."""
    for name in AUTH_HEADERS:
        if name in headers:
            return headers[name].removeprefix("Bearer ")
    return "no-token-sent"


@dataclass
class FaultServer:
    """Start with `async with FaultServer() as server:`; `server.url` is its origin."""

    drip: float = 0.25
    host: str = "127.0.0.1"
    fault: str | None = None
    times: int | None = None
    upstream: str | None = None
    retry_after: int = 1
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://{self.host}:{port}"

    async def __aenter__(self) -> FaultServer:
        self._server = await asyncio.start_server(self._handle, self.host, 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        lines = head.decode("latin-1").split("\r\n")
        target = lines[0].split(" ")[1]
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        self.requests.append((target, headers))
        self.arrivals.append(time.monotonic())
        parts = urlsplit(target)
        route = parts.path.rsplit("/", 1)[-1]
        if self.fault is not None and (self.times is None or len(self.requests) <= self.times):
            route = self.fault
        elif self.upstream is not None:
            await self._relay(target, headers, writer)
            return
        if await self._hostile(route, headers, writer):
            return
        if route == "slow_drip":
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n"
            )
            for _ in range(40):
                await asyncio.sleep(self.drip)
                writer.write(b" ")
                await writer.drain()
        elif route == "hang":
            await asyncio.sleep(30)
        elif route == "reset":
            return
        elif route == "big":
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            chunk = b"[" + b"0," * 32767 + b"0]"
            sent = 0
            while sent < TEN_MB:
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
                sent += len(chunk)
            writer.write(b"0\r\n\r\n")
        elif route == "big_declared":
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                % TEN_MB
            )
            writer.write(b" " * 65536)
        elif route == "redirect":
            to = parse_qs(parts.query).get("to", ["http://localhost:9/"])[0]
            writer.write(
                f"HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n".encode()
            )
        else:
            body = b'{"ok": true}'
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (len(body), body)
            )
        await writer.drain()

    async def _hostile(
        self, route: str, headers: dict[str, str], writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one of the hostile routes; False if `route` is not one."""
        token = received_token(headers)
        if route in ("bomb", "bomb_deflate", "bomb_stacked"):
            body, coding = {
                "bomb": (zero_bomb(), "gzip"),
                "bomb_deflate": (zero_bomb(wrapper="zlib"), "deflate"),
                "bomb_stacked": (stacked_bomb(), "gzip, gzip"),
            }[route]
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Encoding: %s\r\nContent-Length: %d\r\n\r\n" % (coding.encode(), len(body))
            )
            writer.write(body)
        elif route in ("straddle", "spaced"):
            if route == "straddle":  # the cut falls 9 characters into the token
                message = "x" * (CUT - 10) + token + " was refused"
            else:
                message = (
                    f"key {' '.join(token)} or {chr(0x2003).join(token)} or "
                    f"{'  '.join(token)} or {chr(10).join(token)} is revoked"
                )
            body = json.dumps({"message": message}).encode()
            writer.write(
                b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
            )
        elif route == "reason":
            reason = ("Gone Fishing " * 4615)[:59_000] + " " + token + " " + "z" * 900
            writer.write(f"HTTP/1.1 499 {reason}\r\nContent-Length: 0\r\n\r\n".encode())
        elif route == "unavailable":
            body = b'{"message": "overloaded"}'
            writer.write(
                b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: %d\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (self.retry_after, len(body), body)
            )
        else:
            return False
        await writer.drain()
        return True

    async def _relay(
        self, target: str, headers: dict[str, str], writer: asyncio.StreamWriter
    ) -> None:
        """Forward a GET to `upstream` and copy its answer back byte for byte."""
        assert self.upstream is not None
        origin = urlsplit(self.upstream)
        reader, upstream = await asyncio.open_connection(origin.hostname, origin.port)
        try:
            passed = "".join(
                f"{name}: {headers[name]}\r\n" for name in AUTH_HEADERS if name in headers
            )
            upstream.write(
                f"GET {target} HTTP/1.1\r\nHost: {origin.netloc}\r\n{passed}"
                "Accept-Encoding: identity\r\nConnection: close\r\n\r\n".encode("latin-1")
            )
            await upstream.drain()
            answer = await asyncio.wait_for(reader.read(), 10)
        finally:
            upstream.close()
        writer.write(answer)
        await writer.drain()
