"""A Metafold account's own setting: which projects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tui.providers.registry import OptionFail, id_list

OPTION_KEYS = frozenset({"projects"})


@dataclass(frozen=True, slots=True)
class MetafoldOptions:
    """The `projects` key of a Metafold account."""

    projects: tuple[str, ...] = ("all",)
    """Project ids to watch, or ("all",) to discover them."""


def parse_options(raw: Mapping[str, Any], fail: OptionFail) -> MetafoldOptions:
    """Raises: what `fail` builds, for a wrong value."""
    return MetafoldOptions(projects=id_list(raw, "projects", fail, ("all",)))
