"""A Zoo account's own settings: how its async operations are found, which datasets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tui.providers.registry import OptionFail, id_list

OPTION_KEYS = frozenset({"async_operations", "datasets"})


@dataclass(frozen=True, slots=True)
class ZooOptions:
    """The `async_operations` and `datasets` keys of a Zoo account."""

    async_operations: str = "list"
    """"list" (the employee-only list endpoint) or "tracked" (poll tracked ids)."""
    datasets: tuple[str, ...] = ("all",)
    """Dataset ids to watch, or ("all",) to discover them."""


def parse_options(raw: Mapping[str, Any], fail: OptionFail) -> ZooOptions:
    """Raises: what `fail` builds, for a wrong value."""
    async_operations = raw.get("async_operations", "list")
    if async_operations not in ("list", "tracked"):
        raise fail("async_operations", 'must be "list" or "tracked"')
    return ZooOptions(
        async_operations=async_operations, datasets=id_list(raw, "datasets", fail, ("all",))
    )
