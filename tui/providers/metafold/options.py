"""A Metafold account's own settings: which projects, and how often a full listing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tui.providers.registry import OptionFail, full_listing_minutes, id_list

OPTION_KEYS = frozenset({"projects", "full_listing_minutes"})


@dataclass(frozen=True, slots=True)
class MetafoldOptions:
    """The `projects` and `full_listing_minutes` keys of a Metafold account."""

    projects: tuple[str, ...] = ("all",)
    """Project ids to watch, or ("all",) to discover them."""
    full_listing_minutes: float = 10.0
    """Between full listings of the account, a refresh asks only for the jobs that can
    still change (Metafold has no paging and no change feed)."""


def parse_options(raw: Mapping[str, Any], fail: OptionFail) -> MetafoldOptions:
    """Raises: what `fail` builds, for a wrong value."""
    return MetafoldOptions(
        projects=id_list(raw, "projects", fail, ("all",)),
        full_listing_minutes=full_listing_minutes(raw, fail),
    )
