"""Provider clients: one class per provider, built from an account by `build_provider`."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tui.clock import Clock, utc_now
from tui.config import AccountConfig
from tui.models import ProviderName
from tui.providers.base import JobProvider
from tui.providers.client import DEFAULT_POLICY, HttpPolicy
from tui.providers.hdrjpg import HdrjpgProvider
from tui.providers.lettrlabs import LettrLabsProvider
from tui.providers.metafold import MetafoldProvider
from tui.providers.zoo import ZooProvider

ProviderFactory = Callable[..., JobProvider]
"""`factory(account, *, transport=None, clock=utc_now, policy=DEFAULT_POLICY)`."""

PROVIDERS: dict[ProviderName, ProviderFactory] = {
    ProviderName.ZOO: ZooProvider,
    ProviderName.METAFOLD: MetafoldProvider,
    ProviderName.LETTRLABS: LettrLabsProvider,
    ProviderName.HDRJPG: HdrjpgProvider,
}
"""The provider class of each provider name."""


def build_provider(
    account: AccountConfig,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = utc_now,
    policy: HttpPolicy = DEFAULT_POLICY,
) -> JobProvider:
    """The provider client of one account, with its own HTTP client.

    Args:
        account: The source.
        transport: An httpx transport to use instead of the network (tests).
        clock: The clock (hdrjpg's poll spacing, Retry-After dates).
        policy: Timeouts, caps and retry waits.
    """
    return PROVIDERS[account.provider](account, transport=transport, clock=clock, policy=policy)


__all__ = [
    "PROVIDERS",
    "HdrjpgProvider",
    "HttpPolicy",
    "JobProvider",
    "LettrLabsProvider",
    "MetafoldProvider",
    "ZooProvider",
    "build_provider",
]
