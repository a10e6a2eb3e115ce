"""How a failed request reads: each failure as one sentence in the `tui.errors` tree,
naming the provider, with the server's own words where it gave some, and the token
scrubbed from all of it (spaced-out copies too)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx

from tui.clock import Clock
from tui.errors import (
    AuthError,
    BadResponseError,
    NotFoundError,
    ProviderError,
    RateLimitedError,
    UnavailableError,
)
from tui.providers.transport import OFF_LOOP_JSON_BYTES, loads, looks_like_html
from tui.sanitize import NEWLINE_MARK, UNSAFE, char_class_ranges, clean, one_line
from tui.secret import Secret

E = TypeVar("E", bound=ProviderError)

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


class Scrubber:
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
        return "Scrubber(***)"


_GAP_CHAR = f"[\\s{NEWLINE_MARK.strip()}{char_class_ranges(sorted(UNSAFE))}]"
"""One character that may stand between a token's characters in a spaced-out copy."""


class Retryable(Exception):
    """A translated error that may be retried: raised and caught inside `ApiClient`."""

    def __init__(self, error: ProviderError, wait: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.wait = wait


class ErrorTranslator:
    """Builds one account's errors: the sentence (token scrubbed, full stop added), the
    account, the status and the `Retry-After` the server asked for."""

    def __init__(
        self,
        account: str,
        title: str,
        token: Secret | None,
        clock: Clock,
        retry_after_cap: float,
    ) -> None:
        self.account = account
        self.title = title
        self.clock = clock
        self.retry_after_cap = retry_after_cap
        self._scrub = Scrubber(token)

    def __repr__(self) -> str:
        return f"ErrorTranslator({self.account!r})"

    def error(
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
        return self.error(
            BadResponseError, f"{self.title} sent a response of an unexpected shape ({what})"
        )

    def too_big(self, cap: int) -> BadResponseError:
        """The error for a body larger than `cap` bytes."""
        megabytes = cap / (1024 * 1024)
        return self.error(
            BadResponseError,
            f"{self.title} sent a response larger than {megabytes:g} MB, which was refused",
        )

    def not_json(self, body: bytes, response: httpx.Response) -> BadResponseError:
        """The error for a 2xx body that does not decode: an HTML page, or broken JSON."""
        if looks_like_html(body, response):
            return self.error(
                BadResponseError,
                f"{self.title} sent an HTML page instead of JSON "
                f"(HTTP {response.status_code}; a proxy or gateway may be in the way)",
            )
        return self.error(BadResponseError, f"{self.title} sent a response that is not valid JSON")

    async def status_error(self, response: httpx.Response, body: bytes) -> Exception:
        """The error for a non-2xx answer; it carries the answer's `Retry-After`, if any."""
        status = response.status_code
        reason = _REASONS.get(status) or self.server_text(response.reason_phrase, REASON_LIMIT)
        label = f"HTTP {status} {reason}".strip()
        detail = await self.server_message(body, response)
        said = f": {detail}" if detail else ""
        wait = self.retry_after(response)
        when = f"; it asks to wait {wait:g} s" if wait is not None else ""
        if 300 <= status < 400:
            return self.error(
                BadResponseError,
                f"{self.title} answered with a redirect ({label}), which is not followed "
                "so the token is never sent to another address",
                status,
                wait,
            )
        if status == 401:
            return self.error(
                AuthError, f"{self.title} refused the token ({label}){said}", status, wait
            )
        if status == 403:
            return self.error(
                AuthError,
                f"{self.title} says the token lacks permission ({label}){said}",
                status,
                wait,
            )
        if status == 404:
            return self.error(
                NotFoundError, f"{self.title} has no such resource ({label}){said}", status, wait
            )
        if status == 429:
            error = self.error(
                RateLimitedError,
                f"{self.title} is rate limiting requests ({label}){when}{said}",
                status,
                wait,
            )
            return Retryable(error, wait)
        if status >= 500:
            return Retryable(
                self.error(
                    UnavailableError,
                    f"{self.title} failed on its side ({label}){when}{said}",
                    status,
                    wait,
                ),
                wait,
            )
        return self.error(
            ProviderError, f"{self.title} refused the request ({label}){said}", status, wait
        )

    async def server_message(self, body: bytes, response: httpx.Response) -> str:
        """The provider's own error text, token scrubbed, then cleaned, on one line, capped."""
        text = ""
        try:
            data = await loads(body) if body.strip() else None
        except (ValueError, RecursionError):
            data = None
            if looks_like_html(body, response):
                text = "the answer was an HTML page, not JSON"
        if isinstance(data, dict):
            text = _message_from_error_body(data)
        elif isinstance(data, str):
            text = data
        if len(text) > OFF_LOOP_JSON_BYTES:
            return await asyncio.to_thread(self.server_text, text, MESSAGE_LIMIT)
        return self.server_text(text, MESSAGE_LIMIT)

    def server_text(self, text: str, limit: int) -> str:
        """Server text for an error sentence: the token scrubbed from all of it first (a cut
        must never leave part of one), then cleaned onto one line and capped at `limit`."""
        return one_line(clean(self._scrub(text), limit)).strip()

    def retry_after(self, response: httpx.Response) -> float | None:
        raw = response.headers.get("retry-after")
        if raw is None:
            return None
        cap = self.retry_after_cap
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


def _full_stop(text: str) -> str:
    """End a sentence with one full stop (a server message may already end with one)."""
    return text if text.endswith((".", "!", "?")) else text + "."


def kind_of_timeout(exc: httpx.TimeoutException) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "no connection within the connect timeout"
    if isinstance(exc, httpx.ReadTimeout):
        return "no data within the read timeout"
    if isinstance(exc, httpx.PoolTimeout):
        return "all connections busy"
    return "the request took too long"


def network_reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or no route"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the connection was closed mid-answer"
    if isinstance(exc, httpx.ReadError):
        return "the connection was reset"
    return "network error"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
