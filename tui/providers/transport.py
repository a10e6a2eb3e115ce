"""What crosses the wire: the account's auth header, the content codings read, the body
size cap enforced while the body streams and inflates, and JSON decoding off the loop.

`TokenAuth` is the only place a `Secret` is revealed. A body is refused once it passes
its cap, counted on the wire as it arrives and again as it inflates (one gzip or deflate
coding, never a stack of them); a large body is decoded in a worker thread. The caller
(`tui.providers.client`) turns the exceptions raised here into error sentences.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable, Generator
from typing import Any, TypeVar

import httpx

from tui import json_codec
from tui.sanitize import clean, one_line
from tui.secret import Secret

T = TypeVar("T")

_CODINGS: dict[str, int] = {
    "gzip": 16 + zlib.MAX_WBITS,
    "x-gzip": 16 + zlib.MAX_WBITS,
    "deflate": zlib.MAX_WBITS,
}
"""The content codings read, with each one's zlib window bits; only these are asked for."""
ACCEPT_ENCODING = "gzip, deflate"

OFF_LOOP_JSON_BYTES = 256 * 1024
"""A body larger than this is decoded in a worker thread, so the UI loop keeps drawing."""


class BodyTooBig(Exception):
    """A body grew past its size cap."""


class UnreadableCoding(Exception):
    """A body's content coding is stacked or unknown; the text says which, after
    "sent a response"."""


class TokenAuth(httpx.Auth):
    """Adds the account's auth header, only for requests to the account's own origin.

    The token is revealed here and nowhere else; it is never kept as a plain `str`.
    """

    def __init__(self, header: str, prefix: str, token: Secret | None, base_url: str) -> None:
        """Args: the provider's auth header, what goes before the token in it, the token,
        and the account's base URL (its origin is the only one the token goes to)."""
        self._header, self._prefix = header, prefix
        self._token = token
        self._origin = _origin(httpx.URL(base_url))

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._token and _origin(request.url) == self._origin:
            request.headers[self._header] = self._prefix + self._token.reveal()
        yield request

    def __repr__(self) -> str:
        return f"TokenAuth({self._header!r}, Secret('***'))"


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


class Inflater:
    """Inflates one gzip or deflate coding as it streams, never past `limit` bytes.

    Each call asks zlib for at most one byte more than the room left, so a small body that
    inflates to gigabytes costs no more memory than the cap.
    """

    def __init__(self, coding: str, limit: int) -> None:
        self._coding = coding
        self._decompressor = zlib.decompressobj(_CODINGS[coding])
        self._first = True
        self._limit = limit
        self.size = 0

    def feed(self, data: bytes) -> bytes:
        """The bytes `data` inflates to.

        Raises:
            BodyTooBig: The body inflated past the limit.
            zlib.error: The data is not valid for the coding.
        """
        room = self._limit - self.size + 1
        try:
            out = self._decompressor.decompress(data, room)
        except zlib.error:
            if not (self._first and self._coding == "deflate"):
                raise
            # Some servers send raw deflate (no zlib header) as "deflate"; httpx reads it too.
            self._decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._decompressor.decompress(data, room)
        self._first = False
        return self._count(out)

    def finish(self) -> bytes:
        """What the decompressor still holds at the end of the body."""
        return self._count(self._decompressor.flush())

    def _count(self, out: bytes) -> bytes:
        self.size += len(out)
        if self.size > self._limit or self._decompressor.unconsumed_tail:
            raise BodyTooBig
        return out


async def read_capped(response: httpx.Response, cap: int) -> bytes:
    """The decoded body, refused once it passes `cap`: bytes on the wire are counted as
    they arrive and inflated bytes as they are inflated, never after.

    Raises:
        BodyTooBig: The body (declared, on the wire or inflated) passed the cap.
        UnreadableCoding: The body's content coding is stacked or unknown.
        zlib.error: The body is not valid for its coding.
    """
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise BodyTooBig
    if response.is_stream_consumed:  # an in-memory answer (a test transport), decoded
        if len(response.content) > cap:
            raise BodyTooBig
        return response.content
    inflater = inflater_for(response, cap)
    chunks: list[bytes] = []
    received = 0
    async for raw in response.aiter_raw():
        received += len(raw)
        if received > cap:
            raise BodyTooBig
        chunks.append(inflater.feed(raw) if inflater else raw)
    if inflater:
        chunks.append(inflater.finish())
    return b"".join(chunks)


def inflater_for(response: httpx.Response, cap: int) -> Inflater | None:
    """The decoder of the body's content coding (None for none).

    Raises:
        UnreadableCoding: The coding is stacked or unknown.
    """
    codings = [
        coding.strip().lower()
        for coding in response.headers.get_list("content-encoding", split_commas=True)
    ]
    codings = [coding for coding in codings if coding not in ("", "identity")]
    if not codings:
        return None
    named = ", ".join(one_line(clean(coding, 20)) for coding in codings[:4])
    named += ", …" if len(codings) > 4 else ""
    if len(codings) > 1:
        raise UnreadableCoding(f"compressed more than once ({named}), which was refused")
    if codings[0] not in _CODINGS:
        raise UnreadableCoding(f"in an encoding jobtop does not read ({named})")
    return Inflater(codings[0], cap)


async def loads(body: bytes) -> Any:
    """Decoded JSON (`tui.json_codec.loads`); a large body is decoded in a worker thread,
    off the event loop."""
    if len(body) > OFF_LOOP_JSON_BYTES:
        return await asyncio.to_thread(json_codec.loads, body)
    return json_codec.loads(body)


def looks_like_html(body: bytes, response: httpx.Response) -> bool:
    if "html" in response.headers.get("content-type", "").lower():
        return True
    head = body[:200].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


async def decode_off_loop(decode: Callable[[bytes], T], body: bytes) -> T:
    """`decode(body)`, in a worker thread for a large body."""
    if len(body) > OFF_LOOP_JSON_BYTES:
        return await asyncio.to_thread(decode, body)
    return decode(body)
