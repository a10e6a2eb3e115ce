"""A tiny asyncio HTTP server for faults a mock transport cannot show (reliability.md appendix B).

Bound to 127.0.0.1 on a free port, every loop bounded. Scenarios by path:
`/slow_drip` (one byte every `drip` seconds), `/hang` (never answers), `/reset` (closes
without answering), `/big` (a 10 MB chunked body), `/big_declared` (Content-Length 10 MB),
`/redirect?to=URL` (302 to another origin), `/ok` (a small JSON body). Every request's
headers are recorded in `requests`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

TEN_MB = 10 * 1024 * 1024


@dataclass
class FaultServer:
    """Start with `async with FaultServer() as server:`; `server.url` is its origin."""

    drip: float = 0.25
    host: str = "127.0.0.1"
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
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
        self._tasks.add(task)  # type: ignore[arg-type]
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)  # type: ignore[arg-type]
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
        parts = urlsplit(target)
        route = parts.path.rsplit("/", 1)[-1]
        if route == "slow_drip":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n")
            for _ in range(40):
                await asyncio.sleep(self.drip)
                writer.write(b" ")
                await writer.drain()
        elif route == "hang":
            await asyncio.sleep(30)
        elif route == "reset":
            return
        elif route == "big":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"[" + b"0," * 32767 + b"0]"
            sent = 0
            while sent < TEN_MB:
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
                sent += len(chunk)
            writer.write(b"0\r\n\r\n")
        elif route == "big_declared":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % TEN_MB)
            writer.write(b" " * 65536)
        elif route == "redirect":
            to = parse_qs(parts.query).get("to", ["http://localhost:9/"])[0]
            writer.write(
                f"HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n".encode()
            )
        else:
            body = b'{"ok": true}'
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
