"""One configured source: an account of one provider (built by `tui.config`).

It sits below the provider packages, which read it, and below `tui.config`, which builds
it with each provider's own options parser (`tui.providers.registry`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from tui.secret import Secret

OptionsT = TypeVar("OptionsT")


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """One source: one account of one provider."""

    name: str
    """Unique label, shown in the UI and used on the command line."""
    provider: str
    """The registered provider name (`tui.providers.registry`); the built-ins are
    `tui.models.ProviderName` members."""
    base_url: str
    token: Secret | None = None
    """The credential, or None when `token_env` is unset (the source then reports it)."""
    token_env: str | None = None
    track: tuple[str, ...] = ()
    """Ids to poll one by one, from the config file."""
    refresh: float | None = None
    """Per-account interval in seconds; None uses the global one."""
    full_listing_minutes: float = 10.0
    """Between full listings of the account, a refresh asks only for what can still
    change (the provider's incremental listing)."""
    options: object = None
    """The provider's own settings, as its options parser built them (None: its defaults)."""

    def options_as(self, kind: type[OptionsT]) -> OptionsT:
        """`options` as the provider's options type, or that type's defaults when the
        account carries none (or another provider's)."""
        return self.options if isinstance(self.options, kind) else kind()
