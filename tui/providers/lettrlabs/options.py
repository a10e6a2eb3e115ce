"""A LettrLabs account's own setting: how often a full listing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tui.providers.registry import OptionFail, full_listing_minutes

OPTION_KEYS = frozenset({"full_listing_minutes"})


@dataclass(frozen=True, slots=True)
class LettrLabsOptions:
    """The `full_listing_minutes` key of a LettrLabs account."""

    full_listing_minutes: float = 10.0
    """Between full listings of the account, a refresh asks only for the conversions that
    can still change (LettrLabs has no paging and no change feed)."""


def parse_options(raw: Mapping[str, Any], fail: OptionFail) -> LettrLabsOptions:
    """Raises: what `fail` builds, for a wrong value."""
    return LettrLabsOptions(full_listing_minutes=full_listing_minutes(raw, fail))
