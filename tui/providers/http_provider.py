"""What the HTTP providers share: the base class holding an account's `ApiClient`, and
the helpers that poll tracked ids concurrently."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

import httpx

from tui.accounts import AccountConfig
from tui.clock import Clock, utc_now
from tui.errors import NotFoundError, ProviderError
from tui.providers.client import DEFAULT_POLICY, ApiClient, HttpPolicy

T = TypeVar("T")


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
