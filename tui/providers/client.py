"""The one HTTP client every provider speaks through (docs/design.md §3).

One `httpx.AsyncClient` per account, built by `make_client`, with connect/read timeouts,
no redirects (a 3xx is an error, so no credential follows to another origin), and the
account's own auth header added per request by `TokenAuth`. `ApiClient` wraps it with
what httpx lacks: an overall deadline per poll (a server dripping a byte a second
defeats per-read timeouts), the body size cap (`tui.providers.transport`), retries with
exponential backoff and jitter for GETs (stamina) that honour a capped `Retry-After` on
any retried status, a paging helper that stops on a repeated token or a page cap, and
every failure translated into the `tui.errors` tree (`tui.providers.failures`).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import stamina

from tui import __version__
from tui.accounts import AccountConfig
from tui.clock import Clock, utc_now
from tui.errors import AuthError, BadResponseError, UnavailableError
from tui.providers.failures import ErrorTranslator, Retryable, kind_of_timeout, network_reason
from tui.providers.registry import spec_for
from tui.providers.transport import (
    ACCEPT_ENCODING,
    BodyTooBig,
    TokenAuth,
    UnreadableCoding,
    decode_off_loop,
    loads,
    read_capped,
)

logger = logging.getLogger("tui.providers")
logger.addHandler(logging.NullHandler())
logging.getLogger("stamina").addHandler(logging.NullHandler())
"""Without a configured handler, stamina's retry warnings would go to stderr: the TUI's terminal."""

QueryValue = str | int | float | bool | None
Query = Mapping[str, QueryValue]
"""Query parameters of a GET (a None value leaves the parameter out)."""


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


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every account: building one reads the CA bundle,
    tens of milliseconds each, which every source would otherwise pay at start-up."""
    return httpx.create_ssl_context()


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
    spec = spec_for(account.provider)
    return httpx.AsyncClient(
        base_url=account.base_url.rstrip("/") + "/",
        auth=TokenAuth(spec.auth_header, spec.auth_prefix, account.token, account.base_url),
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
        verify=tls_context(),
        transport=transport,
    )


@dataclass(slots=True)
class _PollState:
    deadline_at: float
    requests: int = 0


_POLL: contextvars.ContextVar[_PollState | None] = contextvars.ContextVar("poll", default=None)


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
        self.title = spec_for(account.provider).title
        self.policy = policy
        self.clock = clock
        self.client = make_client(account, transport, policy=policy)
        self._failures = ErrorTranslator(
            account.name, self.title, account.token, clock, policy.retry_after_cap
        )
        self._has_token = bool(account.token)
        self.on_retry_wait: Callable[[float], None] | None = None
        """Told of every `Retry-After` wait taken between attempts (`jobtop serve` counts)."""

    def __repr__(self) -> str:
        return f"ApiClient({self.account!r}, {self.provider})"

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
            raise self._failures.error(
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
            raise self._failures.error(
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
                    except Retryable as exc:
                        asked = exc.wait
                        raise
        except Retryable as exc:
            raise exc.error from exc.__cause__
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff_hook(self, exc: Exception) -> bool | float:
        if not isinstance(exc, Retryable):
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
            raise Retryable(
                self._failures.error(
                    UnavailableError, f"{self.title} timed out ({kind_of_timeout(exc)})"
                )
            ) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise Retryable(
                self._failures.error(
                    UnavailableError, f"{self.title} could not be reached ({network_reason(exc)})"
                )
            ) from exc
        except httpx.HTTPError as exc:
            raise self._failures.error(
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
        raise await self._failures.status_error(response, body)

    async def _read_capped(self, response: httpx.Response, max_bytes: int | None = None) -> bytes:
        """The decoded body, refused once it passes the cap (`max_bytes`, else the policy's)."""
        cap = max_bytes or self.policy.max_body_bytes
        try:
            return await read_capped(response, cap)
        except BodyTooBig:
            raise self._failures.too_big(cap) from None
        except UnreadableCoding as exc:
            raise self._failures.error(
                BadResponseError, f"{self.title} sent a response {exc}"
            ) from None
        except zlib.error as exc:
            raise self._failures.error(
                BadResponseError,
                f"{self.title} sent a compressed response that could not be decompressed",
            ) from exc

    async def _decode_with(
        self, decode: Callable[[bytes], Any], body: bytes, response: httpx.Response
    ) -> Any:
        """A caller's decoder (a streamed parse), in a worker thread for a large body."""
        if not body.strip():
            raise self._failures.error(BadResponseError, f"{self.title} sent an empty response")
        try:
            return await decode_off_loop(decode, body)
        except (ValueError, RecursionError):
            raise self._failures.not_json(body, response) from None

    async def _decode(self, body: bytes, response: httpx.Response) -> Any:
        if not body.strip():
            raise self._failures.error(BadResponseError, f"{self.title} sent an empty response")
        try:
            return await loads(body)
        except (ValueError, RecursionError):
            pass
        raise self._failures.not_json(body, response)

    def bad_shape(self, what: str) -> BadResponseError:
        """The error for a body of the wrong shape: "Zoo sent ... without ..."."""
        return self._failures.bad_shape(what)

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
                    raise self._failures.error(
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
