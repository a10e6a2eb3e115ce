"""What a simulated provider endpoint is: a handler that returns a plain JSON value, or
raises `ApiError` for an error answer in the provider's own shape; and what a provider's
answers share (`Wire`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Any]
"""A provider endpoint's body: the JSON value to answer, or `ApiError`."""
Endpoint = Callable[[Request], Awaitable[Response]]
"""A handler wrapped with faults, auth and error shapes (`SimApp.endpoint`)."""


class ApiError(Exception):
    """An error answer, rendered in the provider's own shape."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def no_headers() -> dict[str, str]:
    """No headers of a provider's own on its answers."""
    return {}


@dataclass(frozen=True, slots=True)
class Wire:
    """What a simulated provider's answers share beyond its handlers: its error body, where
    its credential comes from, its auth refusals, and the headers on every answer. Each
    provider module of the simulator owns its `WIRE`."""

    error_body: Callable[[int, str], Any]
    """`error_body(status, message)`: the documented error body."""
    credential: Callable[[Mapping[str, str]], str]
    """The credential the request's headers carry ("" for none)."""
    no_credential: str = "Unauthorized: no API credential was sent."
    bad_credential: str = "Unauthorized: the API credential is invalid."
    headers: Callable[[], dict[str, str]] = no_headers


def bearer(headers: Mapping[str, str]) -> str:
    """The token of an `Authorization: Bearer ...` header."""
    scheme, _, credential = headers.get("authorization", "").partition(" ")
    return credential if scheme.lower() == "bearer" else ""


REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    406: "Not Acceptable",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
"""The reason phrase of each status a simulated provider answers with."""
