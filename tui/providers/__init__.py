"""Provider clients: one package per provider, each described by a `ProviderSpec` in
`tui.providers.registry`; `build_provider` builds the client of an account from its spec.

The four built-ins register here, so importing any module of `tui.providers` makes them
known."""

from __future__ import annotations

import httpx

from tui.accounts import AccountConfig
from tui.clock import Clock, utc_now
from tui.providers import hdrjpg, lettrlabs, metafold, zoo
from tui.providers.base import JobProvider
from tui.providers.client import DEFAULT_POLICY, HttpPolicy
from tui.providers.hdrjpg import HdrjpgProvider
from tui.providers.lettrlabs import LettrLabsProvider
from tui.providers.metafold import MetafoldProvider
from tui.providers.registry import ProviderFactory, register, spec_for
from tui.providers.zoo import ZooProvider

for _spec in (zoo.SPEC, metafold.SPEC, lettrlabs.SPEC, hdrjpg.SPEC):
    register(_spec)


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

    Raises:
        KeyError: No provider of the account's name is registered.
    """
    factory = spec_for(account.provider).factory
    return factory(account, transport=transport, clock=clock, policy=policy)


__all__ = [
    "HdrjpgProvider",
    "HttpPolicy",
    "JobProvider",
    "LettrLabsProvider",
    "MetafoldProvider",
    "ProviderFactory",
    "ZooProvider",
    "build_provider",
]
