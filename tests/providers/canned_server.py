"""A tiny loopback HTTP server that answers with whatever JSON a test hands it.

The schema property tests and the CLI regressions serve exact payloads (generated from the
vendors' schemas, or hand-written odd values) to the real provider classes and the real
`jobtop` command, over real HTTP on 127.0.0.1. A test sets `server.answer`, a function of
(path, query) giving the JSON body (None answers 404); the path is as sent, still
percent-encoded (so an id holding "/" stays one segment); bodies are sent as given bytes or
dumped with `json.dumps` (non-finite floats as `1e999`, which a JSON parser reads as
infinity). Runs in a background thread, so a `jobtop` subprocess can reach it too.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = Callable[[str, dict[str, str]], Any]
"""(path as sent, decoded query) -> the JSON document to send, raw `bytes`, or None for 404."""


def dump(document: Any) -> bytes:
    """JSON text of `document`; infinities become `1e999`, NaN `null` (as a server may send)."""
    text = json.dumps(_marked(document), ensure_ascii=False)
    return text.replace('"\\u0000INF+"', "1e999").replace('"\\u0000INF-"', "-1e999").encode()


def _marked(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            return None
        return "\x00INF+" if value > 0 else "\x00INF-"
    if isinstance(value, dict):
        return {k: _marked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_marked(v) for v in value]
    return value


class CannedServer:
    """`with CannedServer() as server:`; `server.url` is its origin, `server.answer` the body.

    Every request's path (as sent) and decoded query is kept in `requests`.
    """

    def __init__(self) -> None:
        self.answer: Answer = lambda path, query: None
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        assert isinstance(host, str)
        return f"http://{host}:{port}"

    def __enter__(self) -> CannedServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                parts = urlsplit(self.path)
                path = parts.path
                query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                server.requests.append((path, query))
                try:
                    document = server.answer(path, query)
                except Exception as exc:  # a broken test answer is a 500, not a hang
                    self._send(500, json.dumps({"message": repr(exc)}).encode())
                    return
                if document is None:
                    self._send(404, b'{"message": "not found"}')
                    return
                self._send(200, document if isinstance(document, bytes) else dump(document))

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._httpd is not None and self._thread is not None
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


def serve(answer: Answer) -> Iterator[CannedServer]:
    """A generator fixture body: a started server answering with `answer`."""
    with CannedServer() as server:
        server.answer = answer
        yield server
