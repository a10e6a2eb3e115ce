"""The HTTP layer with `httpx.MockTransport`: status translation, retries, paging, secrets."""

from __future__ import annotations

import json
import logging
import threading
import time
import zlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tui import json_codec
from tui.clock import FrozenClock
from tui.config import AccountConfig
from tui.errors import (
    AuthError,
    BadResponseError,
    NotFoundError,
    ProviderError,
    RateLimitedError,
    UnavailableError,
)
from tui.models import ProviderName
from tui.providers.client import ApiClient, HttpPolicy, make_client
from tui.providers.fields import path
from tui.secret import Secret

TOKEN = "tok-SECRET-0123456789abcdef"
FAST = HttpPolicy(attempts=3, wait_initial=0.01, wait_max=0.02, wait_jitter=0.0, deadline=5.0)


def account(provider: ProviderName = ProviderName.ZOO, token: str | None = TOKEN) -> AccountConfig:
    return AccountConfig(
        name=f"{provider.value}-test",
        provider=provider,
        base_url=f"https://api.{provider.value}.example/base",
        token=Secret(token) if token else None,
    )


Handler = Callable[[httpx.Request], httpx.Response]


def api(
    handler: Handler,
    provider: ProviderName = ProviderName.ZOO,
    policy: HttpPolicy = FAST,
    token: str | None = TOKEN,
) -> ApiClient:
    return ApiClient(
        account(provider, token),
        transport=httpx.MockTransport(handler),
        policy=policy,
    )


@pytest.mark.parametrize(
    ("provider", "header", "value"),
    [
        (ProviderName.ZOO, "authorization", f"Bearer {TOKEN}"),
        (ProviderName.METAFOLD, "authorization", f"Bearer {TOKEN}"),
        (ProviderName.LETTRLABS, "x-api-key", TOKEN),
        (ProviderName.HDRJPG, "api-key", TOKEN),
    ],
)
async def test_each_provider_sends_its_own_auth_header(
    provider: ProviderName, header: str, value: str
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    client = api(handler, provider)
    try:
        assert await client.get_json("a/b", {"x": 1, "none": None}) == {"ok": True}
    finally:
        await client.aclose()
    (request,) = seen
    assert request.headers[header] == value
    assert str(request.url) == f"https://api.{provider.value}.example/base/a/b?x=1"
    assert TOKEN not in repr(client) and TOKEN not in repr(client.client.auth)
    others = {"authorization", "x-api-key", "api-key"} - {header}
    assert not others & set(request.headers)


def test_make_client_refuses_redirects_and_has_timeouts() -> None:
    client = make_client(account())
    try:
        assert client.follow_redirects is False
        assert client.timeout.connect == 5.0 and client.timeout.read == 15.0
    finally:
        import asyncio

        asyncio.run(client.aclose())


@pytest.mark.parametrize(
    ("status", "body", "error", "words"),
    [
        (
            401,
            {"message": "token expired"},
            AuthError,
            "Zoo refused the token (HTTP 401 Unauthorized): token expired.",
        ),
        (
            403,
            {"message": "nope"},
            AuthError,
            "Zoo says the token lacks permission (HTTP 403 Forbidden): nope.",
        ),
        (
            404,
            {"message": "missing"},
            NotFoundError,
            "Zoo has no such resource (HTTP 404 Not Found): missing.",
        ),
        (
            400,
            {"message": "bad q"},
            ProviderError,
            "Zoo refused the request (HTTP 400 Bad Request): bad q.",
        ),
        (
            500,
            {"message": "boom"},
            UnavailableError,
            "Zoo failed on its side (HTTP 500 Internal Server Error): boom.",
        ),
        (503, None, UnavailableError, "Zoo failed on its side (HTTP 503 Service Unavailable)."),
        (302, None, BadResponseError, "Zoo answered with a redirect (HTTP 302"),
    ],
)
async def test_status_translation(
    status: int, body: object, error: type[ProviderError], words: str
) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        headers = {"location": "https://elsewhere.example/x"} if status == 302 else {}
        return (
            httpx.Response(status, json=body, headers=headers)
            if body
            else httpx.Response(status, headers=headers)
        )

    client = api(handler)
    try:
        with pytest.raises(error) as caught:
            await client.get_json("x")
    finally:
        await client.aclose()
    assert type(caught.value) is error
    assert str(caught.value).startswith(words)
    assert caught.value.account == "zoo-test"
    assert calls == (3 if status >= 500 else 1)  # 5xx retried up to attempts, others not


@pytest.mark.parametrize(
    ("provider", "body", "said"),
    [
        (
            ProviderName.METAFOLD,
            {"code": 401, "name": "Unauthorzed", "description": "Token has expired"},
            "Token has expired",
        ),
        (ProviderName.HDRJPG, {"errorDescription": "Invalid API key"}, "Invalid API key"),
        (
            ProviderName.LETTRLABS,
            {"payload": None, "errors": ["Key revoked"], "hasErrors": True},
            "Key revoked",
        ),
        (
            ProviderName.ZOO,
            {"message": "bad\x1b[31m token\u202e [bold]x", "request_id": "r"},
            "bad token [bold]x",
        ),
    ],
)
async def test_error_text_comes_from_cleaned_provider_body(
    provider: ProviderName, body: object, said: str
) -> None:
    client = api(lambda r: httpx.Response(401, json=body), provider)
    try:
        with pytest.raises(AuthError) as caught:
            await client.get_json("x")
    finally:
        await client.aclose()
    assert str(caught.value).endswith(f": {said}.")


async def test_echoed_token_is_scrubbed_from_error_text() -> None:
    client = api(lambda r: httpx.Response(401, json={"message": f"token {TOKEN} is revoked"}))
    try:
        with pytest.raises(AuthError) as caught:
            await client.get_json("x")
    finally:
        await client.aclose()
    assert TOKEN not in str(caught.value) and "***" in str(caught.value)


async def test_non_json_bodies() -> None:
    bodies = {
        "html": httpx.Response(
            200, text="<!DOCTYPE html><html>oops</html>", headers={"content-type": "text/html"}
        ),
        "truncated": httpx.Response(200, text='{"items": [{"id": "a"'),
        "empty": httpx.Response(200, text=""),
        "deep": httpx.Response(200, text="[" * 100_000),
    }
    for name, response in bodies.items():

        def answer(_: httpx.Request, response: httpx.Response = response) -> httpx.Response:
            return response

        client = api(answer)
        try:
            with pytest.raises(BadResponseError) as caught:
                await client.get_json("x")
        finally:
            await client.aclose()
        message = str(caught.value)
        assert message.startswith("Zoo sent"), name
        if name == "html":
            assert "HTML page instead of JSON" in message


async def test_nan_decodes_as_none() -> None:
    client = api(lambda r: httpx.Response(200, text='{"progress": NaN, "x": Infinity}'))
    try:
        assert await client.get_json("x") == {"progress": None, "x": None}
    finally:
        await client.aclose()


async def test_body_cap_from_content_length_and_stream() -> None:
    policy = HttpPolicy(max_body_bytes=1000, attempts=1)

    def chunks() -> httpx.ByteStream:
        return httpx.ByteStream(b"[" + b"1," * 2000 + b"1]")

    client = api(lambda r: httpx.Response(200, stream=chunks()), policy=policy)
    try:
        with pytest.raises(BadResponseError, match="larger than"):
            await client.get_json("x")
    finally:
        await client.aclose()


async def test_retries_transport_errors_then_succeeds() -> None:
    failures = [httpx.ConnectError("refused"), httpx.RemoteProtocolError("Server disconnected")]

    def handler(request: httpx.Request) -> httpx.Response:
        if failures:
            raise failures.pop(0)
        return httpx.Response(200, json={"ok": 1})

    client = api(handler)
    try:
        assert await client.get_json("x") == {"ok": 1}
    finally:
        await client.aclose()


async def test_transport_errors_exhaust_attempts_into_unavailable() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ReadTimeout("slow")

    client = api(handler)
    try:
        with pytest.raises(UnavailableError, match="Zoo timed out") as caught:
            await client.get_json("x")
    finally:
        await client.aclose()
    assert calls == 3
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


async def test_retry_after_honoured() -> None:
    stamps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        stamps.append(time.monotonic())
        if len(stamps) == 1:
            return httpx.Response(429, headers={"retry-after": "1"}, json={"message": "slow down"})
        return httpx.Response(200, json={"ok": True})

    client = api(handler)
    try:
        assert await client.get_json("x") == {"ok": True}
    finally:
        await client.aclose()
    assert len(stamps) == 2
    assert stamps[1] - stamps[0] >= 0.95


async def test_retry_after_capped_and_beyond_deadline_raises_rate_limited() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(429, headers={"retry-after": "86400"})

    policy = HttpPolicy(retry_after_cap=60, deadline=2.0, wait_initial=0.01, wait_jitter=0)
    client = api(handler, policy=policy)
    started = time.monotonic()
    try:
        with pytest.raises(RateLimitedError) as caught:
            await client.get_json("x")
    finally:
        await client.aclose()
    assert time.monotonic() - started < 1.0  # did not sleep past the deadline
    assert calls == 1
    assert caught.value.retry_after == 60
    assert (
        str(caught.value)
        == "Zoo is rate limiting requests (HTTP 429 Too Many Requests); it asks to wait 60 s."
    )


async def test_retry_after_http_date_uses_injected_clock() -> None:
    clock = FrozenClock(datetime(2026, 1, 1, 12, 0, tzinfo=UTC))
    client = ApiClient(
        account(),
        transport=httpx.MockTransport(
            lambda r: httpx.Response(429, headers={"retry-after": "Thu, 01 Jan 2026 12:00:30 GMT"})
        ),
        policy=HttpPolicy(deadline=1.0, attempts=1),
        clock=clock,
    )
    try:
        with pytest.raises(RateLimitedError) as caught:
            await client.get_json("x")
    finally:
        await client.aclose()
    assert caught.value.retry_after == 30


async def test_no_token_is_an_auth_error_without_a_request() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(200, json={})

    client = api(handler, token=None)
    try:
        with pytest.raises(AuthError, match="no token is configured for Zoo"):
            await client.get_json("x")
    finally:
        await client.aclose()
    assert calls == 0


def paged(
    pages: dict[str | None, tuple[list[object], str | None]],
) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("page_token")
        items, next_page = pages[token]
        return httpx.Response(200, json={"items": items, "next_page": next_page})

    return handler


async def test_paging_to_the_end() -> None:
    client = api(paged({None: ([1, 2], "A"), "A": ([3], "B"), "B": ([4], None)}))
    try:
        page = await client.paginate("list", {"limit": 2})
    finally:
        await client.aclose()
    assert page.items == [1, 2, 3, 4] and page.complete and page.pages == 3


@pytest.mark.parametrize(
    "pages",
    [
        {None: ([1], "A"), "A": ([2], "B"), "B": ([3], "A")},  # A, B, A
        {None: ([1], "A"), "A": ([2], "A")},  # the same token forever
    ],
)
async def test_repeating_token_stops(
    pages: dict[str | None, tuple[list[object], str | None]],
) -> None:
    client = api(paged(pages))
    try:
        page = await client.paginate("list")
    finally:
        await client.aclose()
    assert not page.complete
    assert page.pages <= 3


async def test_empty_token_ends_and_page_cap_stops() -> None:
    client = api(paged({None: ([1], "")}))
    try:
        page = await client.paginate("list")
        assert page.complete and page.items == [1]
    finally:
        await client.aclose()
    counter = iter(range(10_000))

    def endless(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": [0], "next_page": f"t{next(counter)}"})

    client = api(endless, policy=HttpPolicy(max_pages=7))
    try:
        page = await client.paginate("list")
    finally:
        await client.aclose()
    assert page.pages == 7 and not page.complete


async def test_token_absent_from_errors_and_debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    responses = iter(
        [
            httpx.Response(500, json={"message": "x"}),
            httpx.Response(401, json={"message": f"bad key {TOKEN}"}),
            httpx.Response(429, headers={"retry-after": "999"}),
            httpx.Response(200, text="not json"),
            httpx.Response(301, headers={"location": f"https://evil.example/?k={TOKEN}"}),
        ]
    )
    for provider in ProviderName:
        errors: list[str] = []
        for _ in range(4):
            client = api(
                lambda r: next(responses, httpx.Response(404)),
                provider,
                policy=HttpPolicy(attempts=1, deadline=1),
            )
            try:
                await client.get_json("x")
            except ProviderError as exc:
                errors.append(str(exc) + repr(exc) + exc.sentence + str(exc.__cause__))
            finally:
                await client.aclose()
        for text in errors:
            assert TOKEN not in text
    assert caplog.records, "expected debug logging"
    assert TOKEN not in caplog.text
    assert all(TOKEN not in json.dumps(r.__dict__, default=str) for r in caplog.records)


async def test_stop_callback_ends_paging_early() -> None:
    client = api(paged({None: ([1, 2], "A"), "A": ([3, 4], "B"), "B": ([5], None)}))
    try:
        page = await client.paginate("list", stop=lambda items: 3 in items)
    finally:
        await client.aclose()
    assert page.items == [1, 2, 3, 4] and page.stopped and not page.complete and page.pages == 2


async def test_server_sentence_ending_in_a_full_stop_gets_no_second_one() -> None:
    client = api(
        lambda r: httpx.Response(503, json={"message": "Down for maintenance."}),
        policy=HttpPolicy(attempts=1),
    )
    try:
        with pytest.raises(UnavailableError) as caught:
            await client.get_json("x")
    finally:
        await client.aclose()
    assert str(caught.value).endswith("(HTTP 503 Service Unavailable): Down for maintenance.")


class Pieces(httpx.AsyncByteStream):
    """A streamed body arriving in small pieces, as it would off a socket."""

    def __init__(self, data: bytes, size: int = 1000) -> None:
        self.data, self.size = data, size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), self.size):
            yield self.data[start : start + self.size]


LARGE = {"items": [{"id": f"job-{i}", "status": "Completed", "n": i} for i in range(12_000)]}
"""About 500 KB of JSON: over the size decoded off the event loop."""


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", lambda b: zlib.compress(b, wbits=31)),
        ("x-gzip", lambda b: zlib.compress(b, wbits=31)),
        ("GZIP, identity", lambda b: zlib.compress(b, wbits=31)),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b, wbits=-15)),  # raw deflate, as some servers send
        ("identity", lambda b: b),
    ],
    ids=["gzip", "x-gzip", "gzip-identity", "deflate", "raw-deflate", "identity"],
)
async def test_encoded_bodies_are_inflated_as_they_stream(
    coding: str, encode: Callable[[bytes], bytes]
) -> None:
    body = encode(json.dumps(LARGE).encode())
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"content-encoding": coding}, stream=Pieces(body))

    client = api(handler)
    try:
        assert await client.get_json("x") == LARGE
    finally:
        await client.aclose()
    assert seen[0].headers["accept-encoding"] == "gzip, deflate"  # only what is read is asked for


@pytest.mark.parametrize(
    ("coding", "body", "words"),
    [
        ("br", b"\x1b\x03", "Zoo sent a response in an encoding jobtop does not read (br)."),
        (
            "gzip",
            b"\x1f\x8b\x08\x00 not gzip at all",
            "Zoo sent a compressed response that could not be decompressed.",
        ),
        (
            "gzip,\x1b[31mdeflate",
            zlib.compress(b"{}", wbits=31),
            "Zoo sent a response compressed more than once (gzip, deflate), which was refused.",
        ),
    ],
    ids=["unknown", "corrupt", "stacked"],
)
async def test_unreadable_encodings_are_one_sentence(coding: str, body: bytes, words: str) -> None:
    headers = {"content-encoding": coding}
    client = api(lambda r: httpx.Response(200, headers=headers, stream=Pieces(body)))
    try:
        with pytest.raises(BadResponseError) as caught:
            await client.get_json("x")
    finally:
        await client.aclose()
    assert str(caught.value) == words


async def test_large_json_is_decoded_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[bool] = []
    parse = json_codec.loads

    def spy(body: bytes | str) -> Any:
        threads.append(threading.current_thread() is threading.main_thread())
        return parse(body)

    monkeypatch.setattr(json_codec, "loads", spy)
    small = {"ok": True}
    bodies = iter([LARGE, small])
    client = api(lambda r: httpx.Response(200, json=next(bodies)))
    try:
        assert await client.get_json("x") == LARGE
        assert await client.get_json("x") == small
    finally:
        await client.aclose()
    assert threading.current_thread() is threading.main_thread()  # the loop's thread
    assert threads == [False, True]


def test_path_segments_reach_the_server_as_they_are() -> None:
    assert path("projects", 201, "jobs", "..") == "projects/201/jobs/%2E%2E"
    assert path(".", "...", "a.b", "a/../b", "%2E", "?#") == (
        "%2E/%2E%2E%2E/a.b/a%2F..%2Fb/%252E/%3F%23"
    )
