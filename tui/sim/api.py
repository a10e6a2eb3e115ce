"""What a simulated provider endpoint is: a handler that returns a plain JSON value, or
raises `ApiError` for an error answer in the provider's own shape."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
