"""The one HTTP layer every provider speaks through (docs/design.md §3).

One `httpx.AsyncClient` per account, built by `make_client`, with connect/read timeouts,
no redirects (a 3xx is an error, so no credential follows to another origin), and the
account's own auth header added per request by `TokenAuth`, the only place a `Secret`
is revealed. `ApiClient` wraps it with what httpx lacks: an overall deadline per poll
(a server dripping a byte a second defeats per-read timeouts), a streamed body size cap
enforced while inflating (one gzip or deflate coding, never a stack of them), JSON decoded
in a worker thread when the body is large, retries with exponential backoff and jitter for
GETs (stamina) that honour a capped `Retry-After` on any retried status, a paging helper
that stops on a repeated token or a page cap, and the translation of every failure into
the `tui.errors` tree with one readable sentence, the token scrubbed from it.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import math
import re
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import stamina

from tui import __version__
from tui.clock import Clock, utc_now
from tui.config import AccountConfig
from tui.errors import (
    AuthError,
    BadResponseError,
    NotFoundError,
    ProviderError,
    RateLimitedError,
    UnavailableError,
)
from tui.models import ProviderName, finite_number, parse_timestamp, utf8_text
from tui.sanitize import (
    LONG_LIMIT,
    NEWLINE_MARK,
    UNSAFE,
    char_class_ranges,
    clean,
    clean_tree,
    one_line,
)
from tui.secret import Secret

logger = logging.getLogger("tui.providers")
logger.addHandler(logging.NullHandler())
logging.getLogger("stamina").addHandler(logging.NullHandler())
"""Without a configured handler, stamina's retry warnings would go to stderr: the TUI's terminal."""

T = TypeVar("T")
E = TypeVar("E", bound=ProviderError)
QueryValue = str | int | float | bool | None
Query = Mapping[str, QueryValue]
"""Query parameters of a GET (a None value leaves the parameter out)."""
D = TypeVar("D")

PROVIDER_TITLES: dict[ProviderName, str] = {
    ProviderName.ZOO: "Zoo",
    ProviderName.METAFOLD: "Metafold",
    ProviderName.LETTRLABS: "LettrLabs",
    ProviderName.HDRJPG: "hdrjpg",
}
"""How each provider is named in error sentences."""

_AUTH_HEADERS: dict[ProviderName, tuple[str, str]] = {
    ProviderName.ZOO: ("Authorization", "Bearer "),
    ProviderName.METAFOLD: ("Authorization", "Bearer "),
    ProviderName.LETTRLABS: ("X-API-KEY", ""),
    ProviderName.HDRJPG: ("api-key", ""),
}
"""Each provider's own auth header name and value prefix."""

_CODINGS: dict[str, int] = {
    "gzip": 16 + zlib.MAX_WBITS,
    "x-gzip": 16 + zlib.MAX_WBITS,
    "deflate": zlib.MAX_WBITS,
}
"""The content codings read, with each one's zlib window bits; only these are asked for."""
ACCEPT_ENCODING = "gzip, deflate"

OFF_LOOP_JSON_BYTES = 256 * 1024
"""A body larger than this is decoded in a worker thread, so the UI loop keeps drawing."""
MESSAGE_LIMIT = 300
"""Characters of a server's own error text kept in an error sentence."""
REASON_LIMIT = 60
"""Characters of an unknown status's reason phrase kept in an error sentence."""

_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    408: "Request Timeout",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(frozen=True, slots=True)
class HttpPolicy:
    """Timeouts, caps and retry waits; tests shrink the waits and the deadline."""

    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    write_timeout: float = 10.0
    pool_timeout: float = 5.0
    deadline: float = 30.0
    """Seconds one poll (requests, bodies, parsing, paging, retries) may take in all."""
    max_body_bytes: int = 8 * 1024 * 1024
    """Bodies larger than this (after decompression) are refused."""
    max_list_bytes: int = 64 * 1024 * 1024
    """The cap instead for an unpaged list (Metafold's jobs of one project, LettrLabs'
    conversions): sized to about 100,000 jobs with room to spare, parsed as a stream."""
    attempts: int = 3
    """Tries per GET, the first included."""
    wait_initial: float = 0.5
    wait_max: float = 5.0
    wait_jitter: float = 0.5
    retry_after_cap: float = 30.0
    """A longer `Retry-After` is cut to this."""
    max_pages: int = 20
    """Pages one `list_jobs` call reads per surface before it hands back a `resume`."""
    max_items: int = 200_000
    """Jobs one listing (every part of it) may hold; past this it stops and says so."""
    max_connections: int = 32
    concurrency: int = 32
    """Tracked ids polled at once per account: a typical tracked list fits in one round,
    so a first refresh costs one round-trip, not one per batch."""


DEFAULT_POLICY = HttpPolicy()


class TokenAuth(httpx.Auth):
    """Adds the account's auth header, only for requests to the account's own origin.

    The token is revealed here and nowhere else; it is never kept as a plain `str`.
    """

    def __init__(self, provider: ProviderName, token: Secret | None, base_url: str) -> None:
        self._header, self._prefix = _AUTH_HEADERS[provider]
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


def make_client(
    account: AccountConfig,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    policy: HttpPolicy = DEFAULT_POLICY,
) -> httpx.AsyncClient:
    """Build the one `httpx.AsyncClient` of an account.

    Args:
        account: The source; its base URL and token are used.
        transport: A transport to use instead of the network (tests).
        policy: Timeouts and connection limits.

    Returns:
        A client that never follows redirects and adds the provider's auth header.
    """
    return httpx.AsyncClient(
        base_url=account.base_url.rstrip("/") + "/",
        auth=TokenAuth(account.provider, account.token, account.base_url),
        headers={
            "User-Agent": f"jobtop/{__version__}",
            "Accept": "application/json",
            "Accept-Encoding": ACCEPT_ENCODING,
        },
        timeout=httpx.Timeout(
            connect=policy.connect_timeout,
            read=policy.read_timeout,
            write=policy.write_timeout,
            pool=policy.pool_timeout,
        ),
        limits=httpx.Limits(
            max_connections=policy.max_connections,
            max_keepalive_connections=policy.max_connections,
        ),
        follow_redirects=False,
        transport=transport,
    )


def path(*segments: object) -> str:
    """A relative URL path with every segment percent-encoded (ids cannot climb out).

    A segment of dots only (`.`, `..`) has its dots encoded too: `quote` leaves them, and
    httpx (like any URL resolver) would remove or climb such a segment, so `..` as an id
    would ask for the parent resource instead of a job named `..`.
    """
    return "/".join(_segment(str(segment)) for segment in segments)


def require_id(segment: str) -> None:
    """Refuse an empty URL segment: `jobs/` is the list's own URL, not a job.

    Raises:
        NotFoundError: `segment` is empty (before any request is made).
    """
    if not segment:
        raise NotFoundError("an empty id names no job here (its URL would be the list's)")


def _segment(segment: str) -> str:
    if segment and not segment.strip("."):
        return "%2E" * len(segment)
    return quote(segment, safe="")


@dataclass(slots=True)
class _PollState:
    deadline_at: float
    requests: int = 0


_POLL: contextvars.ContextVar[_PollState | None] = contextvars.ContextVar("poll", default=None)


class _TooBig(Exception):
    """Internal: a body grew past the size cap."""


class _Inflater:
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
            _TooBig: The body inflated past the limit.
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
            raise _TooBig
        return out


class _Scrubber:
    """Replaces the token with `***` in text, spaced-out copies too: any run of whitespace,
    line marks or characters `clean` drops between its characters. Its repr shows nothing."""

    __slots__ = ("_pattern",)

    def __init__(self, token: Secret | None) -> None:
        chars = [c for c in token.reveal() if not re.fullmatch(_GAP_CHAR, c)] if token else []
        self._pattern: re.Pattern[str] | None = None
        if len(chars) >= 4:
            self._pattern = re.compile(f"{_GAP_CHAR}*".join(re.escape(c) for c in chars))

    def __call__(self, text: str) -> str:
        return self._pattern.sub("***", text) if self._pattern is not None else text

    def __repr__(self) -> str:
        return "_Scrubber(***)"


_GAP_CHAR = f"[\\s{NEWLINE_MARK.strip()}{char_class_ranges(sorted(UNSAFE))}]"
"""One character that may stand between a token's characters in a spaced-out copy."""


class _Retryable(Exception):
    """Internal: wraps a translated error that may be retried."""

    def __init__(self, error: ProviderError, wait: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.wait = wait


@dataclass(frozen=True, slots=True)
class Page:
    """The outcome of `ApiClient.paginate`."""

    items: list[Any]
    complete: bool
    """False when paging stopped at the page cap, on a repeated token or early."""
    pages: int
    raw: list[Any] = field(default_factory=list)
    stopped: bool = False
    """True when the `stop` callback ended paging (an incremental read that saw enough)."""
    next_token: str | None = None
    """Where the list goes on when paging stopped at the page cap, `max_items` or `until`
    (pass it back as `start_token`); None at the end or after a repeated token."""


class ApiClient:
    """GETs JSON for one account with a deadline, a size cap, retries and error translation."""

    def __init__(
        self,
        account: AccountConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: HttpPolicy = DEFAULT_POLICY,
        clock: Clock = utc_now,
    ) -> None:
        self.account = account.name
        self.provider = account.provider
        self.title = PROVIDER_TITLES[account.provider]
        self.policy = policy
        self.clock = clock
        self.client = make_client(account, transport, policy=policy)
        self._scrub = _Scrubber(account.token)
        self._has_token = bool(account.token)
        self.on_retry_wait: Callable[[float], None] | None = None
        """Told of every `Retry-After` wait taken between attempts (`jobtop serve` counts)."""

    def __repr__(self) -> str:
        return f"ApiClient({self.account!r}, {self.provider.value})"

    async def aclose(self) -> None:
        """Close the HTTP client; safe to call twice."""
        await self.client.aclose()

    @asynccontextmanager
    async def poll(self) -> AsyncIterator[_PollState]:
        """One poll: an overall deadline and a request count for what runs inside.

        Nested use joins the outer poll. A tripped deadline becomes `UnavailableError`.
        """
        outer = _POLL.get()
        if outer is not None:
            yield outer
            return
        loop = asyncio.get_running_loop()
        state = _PollState(deadline_at=loop.time() + self.policy.deadline)
        token = _POLL.set(state)
        try:
            async with asyncio.timeout_at(state.deadline_at):
                yield state
        except TimeoutError:
            raise self._error(
                UnavailableError,
                f"{self.title} did not answer within {self.policy.deadline:g} seconds",
            ) from None
        finally:
            _POLL.reset(token)

    async def get_json(
        self,
        url: str,
        params: Query | None = None,
        *,
        max_bytes: int | None = None,
        decode: Callable[[bytes], Any] | None = None,
    ) -> Any:
        """GET `url` (relative to the base URL) and decode its JSON body.

        Retries timeouts, connection errors, 429 and 5xx with backoff, within the poll's
        deadline. Only call this inside `poll()` or it makes its own.

        Args:
            url: The path, relative to the base URL.
            params: The query.
            max_bytes: This endpoint's body cap (a list sized to its volume); default the
                policy's.
            decode: Turns a 2xx body into the result instead of `json.loads` (a streamed
                parse); run in a worker thread for a large body. A `ValueError` from it
                means the body is not valid JSON of the expected shape.

        Raises:
            ProviderError: A subclass saying what went wrong, in one sentence.
        """
        async with self.poll():
            return await self._get_with_retries(url, params, max_bytes, decode)

    async def _get_with_retries(
        self,
        url: str,
        params: Query | None,
        max_bytes: int | None = None,
        decode: Callable[[bytes], Any] | None = None,
    ) -> Any:
        if not self._has_token:
            raise self._error(
                AuthError,
                f"no token is configured for {self.title}; set the account's token_env variable",
            )
        query = {k: v for k, v in (params or {}).items() if v is not None}
        policy = self.policy
        asked: float | None = None
        try:
            async for attempt in stamina.retry_context(
                on=self._backoff_hook,
                attempts=policy.attempts,
                timeout=None,
                wait_initial=policy.wait_initial,
                wait_max=policy.wait_max,
                wait_jitter=policy.wait_jitter,
            ):
                if asked is not None and self.on_retry_wait is not None:
                    self.on_retry_wait(asked)  # the wait the server asked for was taken
                with attempt:
                    try:
                        return await self._get_once(url, query, max_bytes, decode)
                    except _Retryable as exc:
                        asked = exc.wait
                        raise
        except _Retryable as exc:
            raise exc.error from exc.__cause__
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff_hook(self, exc: Exception) -> bool | float:
        if not isinstance(exc, _Retryable):
            return False
        if exc.wait is None:
            return True
        state = _POLL.get()
        remaining = (state.deadline_at - asyncio.get_running_loop().time()) if state else exc.wait
        if exc.wait >= remaining:
            return False
        return exc.wait

    async def _get_once(
        self,
        url: str,
        query: Query,
        max_bytes: int | None = None,
        decode: Callable[[bytes], Any] | None = None,
    ) -> Any:
        state = _POLL.get()
        if state is not None:
            state.requests += 1
        started = time.perf_counter()
        try:
            async with self.client.stream("GET", url, params=query) as response:
                body = await self._read_capped(response, max_bytes)
        except httpx.TimeoutException as exc:
            raise _Retryable(
                self._error(UnavailableError, f"{self.title} timed out ({_kind_of_timeout(exc)})")
            ) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise _Retryable(
                self._error(
                    UnavailableError, f"{self.title} could not be reached ({_network_reason(exc)})"
                )
            ) from exc
        except httpx.HTTPError as exc:
            raise self._error(
                UnavailableError, f"{self.title} could not be reached ({type(exc).__name__})"
            ) from exc
        logger.debug(
            "%s GET /%s -> %s (%d bytes, %.0f ms)",
            self.account,
            url.lstrip("/"),
            response.status_code,
            len(body),
            (time.perf_counter() - started) * 1000,
        )
        status = response.status_code
        if 200 <= status < 300:
            if decode is not None:
                return await self._decode_with(decode, body, response)
            return await self._decode(body, response)
        raise await self._status_error(response, body)

    async def _read_capped(self, response: httpx.Response, max_bytes: int | None = None) -> bytes:
        """The decoded body, refused once it passes the cap (`max_bytes`, else the policy's):
        bytes on the wire are counted as they arrive and inflated bytes as they are
        inflated, never after."""
        cap = max_bytes or self.policy.max_body_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise self._too_big(cap)
        if response.is_stream_consumed:  # an in-memory answer (a test transport), decoded
            if len(response.content) > cap:
                raise self._too_big(cap)
            return response.content
        inflater = self._inflater(response, cap)
        chunks: list[bytes] = []
        received = 0
        try:
            async for raw in response.aiter_raw():
                received += len(raw)
                if received > cap:
                    raise _TooBig
                chunks.append(inflater.feed(raw) if inflater else raw)
            if inflater:
                chunks.append(inflater.finish())
        except _TooBig:
            raise self._too_big(cap) from None
        except zlib.error as exc:
            raise self._error(
                BadResponseError,
                f"{self.title} sent a compressed response that could not be decompressed",
            ) from exc
        return b"".join(chunks)

    def _inflater(self, response: httpx.Response, cap: int) -> _Inflater | None:
        """The decoder of the body's content coding; a stacked or unknown one is refused."""
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
            raise self._error(
                BadResponseError,
                f"{self.title} sent a response compressed more than once ({named}), "
                "which was refused",
            )
        if codings[0] not in _CODINGS:
            raise self._error(
                BadResponseError,
                f"{self.title} sent a response in an encoding jobtop does not read ({named})",
            )
        return _Inflater(codings[0], cap)

    async def _decode_with(
        self, decode: Callable[[bytes], Any], body: bytes, response: httpx.Response
    ) -> Any:
        """A caller's decoder (a streamed parse), in a worker thread for a large body."""
        if not body.strip():
            raise self._error(BadResponseError, f"{self.title} sent an empty response")
        try:
            if len(body) > OFF_LOOP_JSON_BYTES:
                return await asyncio.to_thread(decode, body)
            return decode(body)
        except (ValueError, RecursionError):
            if _looks_like_html(body, response):
                raise self._error(
                    BadResponseError,
                    f"{self.title} sent an HTML page instead of JSON "
                    f"(HTTP {response.status_code}; a proxy or gateway may be in the way)",
                ) from None
            raise self._error(
                BadResponseError, f"{self.title} sent a response that is not valid JSON"
            ) from None

    def _too_big(self, cap: int | None = None) -> BadResponseError:
        megabytes = (cap or self.policy.max_body_bytes) / (1024 * 1024)
        return self._error(
            BadResponseError,
            f"{self.title} sent a response larger than {megabytes:g} MB, which was refused",
        )

    async def _decode(self, body: bytes, response: httpx.Response) -> Any:
        if not body.strip():
            raise self._error(BadResponseError, f"{self.title} sent an empty response")
        try:
            return await _loads(body)
        except (ValueError, RecursionError):
            pass
        if _looks_like_html(body, response):
            raise self._error(
                BadResponseError,
                f"{self.title} sent an HTML page instead of JSON "
                f"(HTTP {response.status_code}; a proxy or gateway may be in the way)",
            )
        raise self._error(BadResponseError, f"{self.title} sent a response that is not valid JSON")

    async def _status_error(self, response: httpx.Response, body: bytes) -> Exception:
        """The error for a non-2xx answer; it carries the answer's `Retry-After`, if any."""
        status = response.status_code
        reason = _REASONS.get(status) or self._server_text(response.reason_phrase, REASON_LIMIT)
        label = f"HTTP {status} {reason}".strip()
        detail = await self._server_message(body, response)
        said = f": {detail}" if detail else ""
        wait = self._retry_after(response)
        when = f"; it asks to wait {wait:g} s" if wait is not None else ""
        if 300 <= status < 400:
            return self._error(
                BadResponseError,
                f"{self.title} answered with a redirect ({label}), which is not followed "
                "so the token is never sent to another address",
                status,
                wait,
            )
        if status == 401:
            return self._error(
                AuthError, f"{self.title} refused the token ({label}){said}", status, wait
            )
        if status == 403:
            return self._error(
                AuthError,
                f"{self.title} says the token lacks permission ({label}){said}",
                status,
                wait,
            )
        if status == 404:
            return self._error(
                NotFoundError, f"{self.title} has no such resource ({label}){said}", status, wait
            )
        if status == 429:
            error = self._error(
                RateLimitedError,
                f"{self.title} is rate limiting requests ({label}){when}{said}",
                status,
                wait,
            )
            return _Retryable(error, wait)
        if status >= 500:
            return _Retryable(
                self._error(
                    UnavailableError,
                    f"{self.title} failed on its side ({label}){when}{said}",
                    status,
                    wait,
                ),
                wait,
            )
        return self._error(
            ProviderError, f"{self.title} refused the request ({label}){said}", status, wait
        )

    async def _server_message(self, body: bytes, response: httpx.Response) -> str:
        """The provider's own error text, token scrubbed, then cleaned, on one line, capped."""
        text = ""
        try:
            data = await _loads(body) if body.strip() else None
        except (ValueError, RecursionError):
            data = None
            if _looks_like_html(body, response):
                text = "the answer was an HTML page, not JSON"
        if isinstance(data, dict):
            text = _message_from_error_body(data)
        elif isinstance(data, str):
            text = data
        if len(text) > OFF_LOOP_JSON_BYTES:
            return await asyncio.to_thread(self._server_text, text, MESSAGE_LIMIT)
        return self._server_text(text, MESSAGE_LIMIT)

    def _server_text(self, text: str, limit: int) -> str:
        """Server text for an error sentence: the token scrubbed from all of it first (a cut
        must never leave part of one), then cleaned onto one line and capped at `limit`."""
        return one_line(clean(self._scrub(text), limit)).strip()

    def _retry_after(self, response: httpx.Response) -> float | None:
        raw = response.headers.get("retry-after")
        if raw is None:
            return None
        cap = self.policy.retry_after_cap
        raw = raw.strip()
        try:
            seconds = float(raw)
        except ValueError:
            try:
                when = parsedate_to_datetime(raw)
            except (TypeError, ValueError, IndexError, OverflowError):
                return None
            if when is None:
                return None
            seconds = max(1.0, (when - _aware(self.clock())).total_seconds())
        if seconds != seconds:  # NaN
            return None
        return min(max(seconds, 0.0), cap)

    def _error(
        self,
        cls: type[E],
        message: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> E:
        """`cls` with one sentence (token scrubbed, full stop added) and the account."""
        return cls(
            _full_stop(self._scrub(message)),
            account=self.account,
            status_code=status,
            retry_after=retry_after,
        )

    def bad_shape(self, what: str) -> BadResponseError:
        """The error for a body of the wrong shape: "Zoo sent ... without ..."."""
        return self._error(
            BadResponseError, f"{self.title} sent a response of an unexpected shape ({what})"
        )

    async def paginate(
        self,
        url: str,
        params: Query | None = None,
        *,
        items_key: str = "items",
        token_param: str = "page_token",
        next_key: str = "next_page",
        max_pages: int | None = None,
        max_items: int | None = None,
        stop: Callable[[Sequence[Any]], bool] | None = None,
        start_token: str | None = None,
        until: float | None = None,
    ) -> Page:
        """Follow a cursor-paged list until its end, a repeated token or the page cap.

        Args:
            url: The list path.
            params: Query parameters of the first page (kept on every page).
            items_key: The key of the items array.
            token_param: The query parameter that carries the cursor.
            next_key: The key of the next cursor in the body.
            max_pages: Stop after this many pages (default: the policy's cap).
            max_items: Stop once this many items were read.
            stop: Called with each page's items; True ends paging early (incremental).
            start_token: Continue a list from this cursor (a previous `Page.next_token`).
            until: An event-loop time: no page is started after it, nor when the poll's
                deadline is nearer than twice the slowest page so far (the pages read
                are returned with `next_token`, not thrown away by the deadline).

        Returns:
            The items of every page read, and whether the list was read to its end.

        Raises:
            BadResponseError: A page is not an object with an items array.
        """
        cap = max_pages or self.policy.max_pages
        seen: set[str] = set()
        items: list[Any] = []
        raws: list[Any] = []
        query = dict(params or {})
        if start_token:
            query[token_param] = start_token
            seen.add(start_token)
        pages = 0
        loop = asyncio.get_running_loop()
        slowest = 0.0
        async with self.poll() as state:
            while True:
                began = loop.time()
                body = await self._get_with_retries(url, query)
                slowest = max(slowest, loop.time() - began)
                pages += 1
                raws.append(body)
                page_items = body.get(items_key) if isinstance(body, dict) else None
                if not isinstance(page_items, list):
                    raise self._error(
                        BadResponseError,
                        f"{self.title} sent a list page without an {items_key!r} array",
                    )
                items.extend(page_items)
                next_token = body.get(next_key)
                if next_token is None or next_token == "":
                    return Page(items, True, pages, raws)
                if not isinstance(next_token, str):
                    raise self.bad_shape(f"a {next_key!r} page token that is not text")
                if not page_items:
                    return Page(items, True, pages, raws)
                if stop is not None and stop(page_items):
                    return Page(items, False, pages, raws, stopped=True)
                if max_items is not None and len(items) >= max_items:
                    return Page(items, False, pages, raws, next_token=next_token)
                if next_token in seen:
                    logger.warning(
                        "%s: %s repeated a page token; paging stopped after %d pages",
                        self.account,
                        self.title,
                        pages,
                    )
                    return Page(items, False, pages, raws)
                now = loop.time()
                if (
                    pages >= cap
                    or (until is not None and now >= until)
                    or state.deadline_at - now < 2 * slowest
                ):
                    return Page(items, False, pages, raws, next_token=next_token)
                seen.add(next_token)
                query[token_param] = next_token


def _message_from_error_body(data: dict[str, Any]) -> str:
    """Zoo `message`, Metafold `description`/`msg`/`errors`, hdrjpg `errorDescription`,
    LettrLabs envelope `errors`."""
    for key in ("message", "errorDescription", "description", "msg", "detail", "error"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value
    errors = data.get("errors")
    if isinstance(errors, list):
        parts = []
        for entry in errors[:3]:
            if isinstance(entry, str):
                parts.append(entry)
            elif isinstance(entry, dict):
                parts.append(" ".join(str(v) for v in entry.values() if isinstance(v, str)))
        return "; ".join(p for p in parts if p)
    return ""


def _reject_constant(name: str) -> None:
    """JSON `NaN`/`Infinity` decode as None: never a non-finite number downstream."""
    return None


def _parse_json(body: bytes) -> Any:
    return json.loads(body, parse_constant=_reject_constant)


async def _loads(body: bytes) -> Any:
    """Decoded JSON; a large body is decoded in a worker thread, off the event loop."""
    if len(body) > OFF_LOOP_JSON_BYTES:
        return await asyncio.to_thread(_parse_json, body)
    return _parse_json(body)


def _looks_like_html(body: bytes, response: httpx.Response) -> bool:
    if "html" in response.headers.get("content-type", "").lower():
        return True
    head = body[:200].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def _full_stop(text: str) -> str:
    """End a sentence with one full stop (a server message may already end with one)."""
    return text if text.endswith((".", "!", "?")) else text + "."


def _kind_of_timeout(exc: httpx.TimeoutException) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "no connection within the connect timeout"
    if isinstance(exc, httpx.ReadTimeout):
        return "no data within the read timeout"
    if isinstance(exc, httpx.PoolTimeout):
        return "all connections busy"
    return "the request took too long"


def _network_reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or no route"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the connection was closed mid-answer"
    if isinstance(exc, httpx.ReadError):
        return "the connection was reset"
    return "network error"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- ingest helpers: typed, tolerant reads of decoded JSON ---------------------------
#
# Display texts are cleaned once here (`text`, `texts`, `tree`); the exact server strings a
# `Job` keeps (`label`, `labels`, `status_word`) and ids (`ident`, `string_id`) are not
# (but for a lone surrogate, which no UTF-8 output can hold: `utf8_text`):
# `Job.from_server` cleans its texts and keeps the exact ones, and ids are keys. A text
# whose cleaned form is blank (" ", or only control characters) counts as absent, so a
# label falls back to the next candidate. No reader raises.


def _scalar_text(value: Any) -> str | None:
    """A string field's value, or a number's text; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return utf8_text(value)
    if isinstance(value, int | float):
        return str(value)
    return None


def _blank(value: str) -> bool:
    """True if nothing visible is left of `value` once cleaned."""
    return not clean(value, LONG_LIMIT).strip()


def text(data: Mapping[str, Any], key: str, limit: int = 500) -> str | None:
    """A cleaned string field; numbers become text; anything else, or blank text, is None."""
    value = _scalar_text(data.get(key))
    if value is None:
        return None
    cleaned = clean(value, limit)
    return cleaned if cleaned.strip() else None


def long_text(data: Mapping[str, Any], key: str) -> str | None:
    """A cleaned free-text field (errors, KCL code), capped at the long limit."""
    return text(data, key, LONG_LIMIT)


def label(data: Mapping[str, Any], key: str) -> str | None:
    """A label candidate for a job's name or error, exact (numbers as text); None when
    absent, of another type, or blank once cleaned, so the next candidate is used."""
    value = _scalar_text(data.get(key))
    return None if value is None or _blank(value) else value


def labels(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """The exact non-blank strings of a list-of-strings field (a lone string counts as one)."""
    value = data.get(key)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return ()
    return tuple(utf8_text(v) for v in value[:200] if isinstance(v, str) and not _blank(v))


def ident(data: Mapping[str, Any], key: str) -> str | None:
    """An id field, string or integer, as the server's exact text (an integer in decimal);
    any other type is None. "" and " " are ids like any other."""
    value = data.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return utf8_text(value)
    if isinstance(value, int):
        return str(value)
    return None


def string_id(data: Mapping[str, Any], key: str) -> str | None:
    """A string id field (uuids, Metafold ids), exact; any other type is None."""
    value = data.get(key)
    return utf8_text(value) if isinstance(value, str) else None


def id_or(value: str | None, default: D) -> str | D:
    """The id `value` unless it is None ("" is an id like any other, so not `or`)."""
    return default if value is None else value


def status_word(data: Mapping[str, Any], key: str) -> str | None:
    """A status field, exact; it must be a string (a number there means a broken payload)."""
    value = data.get(key)
    return utf8_text(value) if isinstance(value, str) else None


def parse_items(
    client: ApiClient, items: Sequence[Any], parse: Callable[[dict[str, Any]], T | None], what: str
) -> list[T]:
    """Parse list items, leaving out (and logging) those that cannot be read: not an
    object, no usable id, or a value the parser could not handle. One such item never
    stops the page; the caller counts them as `len(items) - len(result)`.

    Raises:
        BadResponseError: The list held items and not one of them could be read.
    """
    parsed: list[T] = []
    failures: list[str] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        try:
            job = parse(item)
        except Exception as exc:  # one unreadable item must not stop the listing
            failures.append(type(exc).__name__)
            continue
        if job is not None:
            parsed.append(job)
    if items and not parsed:
        raise client.bad_shape(f"none of the {len(items)} {what} has a usable id and status")
    if len(parsed) < len(items):
        logger.warning(
            "%s: %d of %d %s could not be read and were left out%s",
            client.account,
            len(items) - len(parsed),
            len(items),
            what,
            f" ({', '.join(sorted(set(failures)))})" if failures else "",
        )
    return parsed


def parse_one(
    client: ApiClient, body: Any, parse: Callable[[dict[str, Any]], T | None], what: str
) -> T:
    """Parse one object (a single GET), or raise `BadResponseError` naming `what`.

    A value the parser could not handle is reported like a wrong shape, in one sentence,
    rather than as a traceback.
    """
    if not isinstance(body, dict):
        raise client.bad_shape(f"{what} that is not an object")
    try:
        parsed = parse(body)
    except Exception as exc:  # reported to the user as one sentence
        logger.warning("%s: %s could not be read (%s)", client.account, what, type(exc).__name__)
        raise client.bad_shape(f"{what} that could not be read") from None
    if parsed is None:
        raise client.bad_shape(f"{what} without a usable id and status")
    return parsed


def integer(data: Mapping[str, Any], key: str) -> int | None:
    """An integer field; integral floats are accepted, anything else is None."""
    value = data.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def number(data: Mapping[str, Any], key: str) -> float | None:
    """A finite number field, else None."""
    return finite_number(data.get(key))


def boolean(data: Mapping[str, Any], key: str) -> bool | None:
    """A boolean field, else None."""
    value = data.get(key)
    return value if isinstance(value, bool) else None


def timestamp(data: Mapping[str, Any], key: str) -> datetime | None:
    """An ISO 8601 or RFC 1123 timestamp field, else None."""
    return parse_timestamp(data.get(key))


def texts(data: Mapping[str, Any], key: str, limit: int = LONG_LIMIT) -> tuple[str, ...]:
    """A list-of-strings field, cleaned; non-strings and blank strings in it are dropped."""
    return tuple(clean(v, limit) for v in labels(data, key))


def mapping(data: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    """An object field, else None."""
    value = data.get(key)
    return value if isinstance(value, dict) else None


def tree(value: Any) -> Any:
    """Decoded JSON with every string cleaned and every non-finite number (a JSON `1e999`)
    None (for metadata, options, params)."""
    return clean_tree(finite_tree(value))


def finite_tree(value: Any) -> Any:
    """`value` with NaN and infinities (a JSON `1e999`) replaced by None, the same object
    if it has none: a detail's `raw` never holds a number that JSON cannot write."""
    if not _has_non_finite(value):
        return value
    # JSON writes them as NaN/Infinity, read back as None; as deep as the decoder went
    return json.loads(json.dumps(value), parse_constant=lambda _: None)


def _has_non_finite(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def require_object(client: ApiClient, body: Any, what: str) -> dict[str, Any]:
    """The body as an object, or `BadResponseError` naming what was expected."""
    if isinstance(body, dict):
        return body
    raise client.bad_shape(what)


async def gather_limited(
    ids: Sequence[str],
    fetch: Callable[[str], Awaitable[T]],
    limit: int,
) -> tuple[dict[str, T], dict[str, ProviderError]]:
    """Run `fetch` for each id concurrently, at most `limit` at once.

    Returns:
        (results by id, errors by id). Only `ProviderError` is caught; the order of ids
        is kept in the results.
    """
    semaphore = asyncio.Semaphore(max(1, limit))
    results: dict[str, T] = {}
    errors: dict[str, ProviderError] = {}

    async def one(item_id: str) -> None:
        async with semaphore:
            try:
                results[item_id] = await fetch(item_id)
            except ProviderError as exc:
                errors[item_id] = exc

    await asyncio.gather(*(one(i) for i in dict.fromkeys(ids)))
    ordered = {i: results[i] for i in dict.fromkeys(ids) if i in results}
    return ordered, errors


def tracked_failure(errors: Mapping[str, ProviderError], attempted: int) -> ProviderError | None:
    """The error to raise when every tracked poll failed for one reason other than 404.

    A source that only polls tracked ids is down (not just missing a job) when all of
    them fail alike: a refused token, an outage.
    """
    if attempted == 0 or len(errors) < attempted:
        return None
    others = [e for e in errors.values() if not isinstance(e, NotFoundError)]
    if len(others) < attempted:
        return None
    return others[0]


class HttpProvider:
    """What every provider shares: the account name, the config's tracked ids, and one
    `ApiClient` (built here, closed by `aclose`). Providers subclass it."""

    def __init__(
        self,
        account: AccountConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = utc_now,
        policy: HttpPolicy = DEFAULT_POLICY,
    ) -> None:
        self.account = account.name
        self._tracked_config = account.track
        self._clock = clock
        self._http = ApiClient(account, transport=transport, policy=policy, clock=clock)

    async def aclose(self) -> None:
        """Close the HTTP client. Safe to call twice."""
        await self._http.aclose()
