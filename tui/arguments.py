"""The values of command-line flags, checked while parsing (argparse `type=` functions).

A bad value raises `argparse.ArgumentTypeError`, so argparse prints the usage line and the
command exits 64. Kept light (no provider, no asyncio) so `--help` and `--version` stay fast.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

# The names below are those of `tui.models` (JSON_KEYS, JobState, ProviderName), written out
# so that building the parser imports nothing heavy; a unit test keeps them equal.
JOB_FIELDS = (
    "account",
    "provider",
    "kind",
    "id",
    "name",
    "status",
    "state",
    "created_at",
    "started_at",
    "finished_at",
    "updated_at",
    "progress",
    "error",
)
"""The keys `list --json` can print."""
SHOW_FIELDS = (*JOB_FIELDS, "raw")
"""The keys `show --json` can print."""
STATES = ("queued", "running", "succeeded", "failed", "canceled", "unknown")
PROVIDERS = ("zoo", "metafold", "lettrlabs", "hdrjpg")

SORT_KEYS = (
    "state",
    "account",
    "id",
    "name",
    "status",
    "age",
    "duration",
    "progress",
    "provider",
    "kind",
    "created_at",
    "started_at",
    "finished_at",
    "updated_at",
    "error",
)
"""`--sort` keys: every column the dashboard sorts by, then the other JSON keys."""


def sort_arg(spec: str) -> tuple[str, bool]:
    """`KEY[:asc|:desc]` into (key, descending); descending unless `:asc`."""
    key, _, direction = spec.partition(":")
    if key not in SORT_KEYS:
        raise argparse.ArgumentTypeError(f"key {key!r} is not one of: {', '.join(SORT_KEYS)}")
    if direction not in ("", "asc", "desc"):
        raise argparse.ArgumentTypeError(f"direction {direction!r} must be asc or desc")
    return key, direction != "asc"


def limit_arg(text: str) -> int:
    """A count of zero or more."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number, zero or more, not {text!r}")
    return value


_SPAN = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}


def since_arg(text: str) -> timedelta:
    """A span like `30m`, `1h`, `2d` or `1h30m` (units s, m, h, d, w)."""
    spec = text.strip().lower()
    if not spec or _SPAN.sub("", spec):
        raise argparse.ArgumentTypeError(
            f"takes a span like 30m, 1h or 2d (units s, m, h, d, w), not {text!r}"
        )
    seconds = sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _SPAN.findall(spec))
    if seconds > 100 * 365 * 86_400:
        raise argparse.ArgumentTypeError(f"{text!r} is longer than a century")
    return timedelta(seconds=seconds)


ALL_FIELDS: tuple[str, ...] = ()
"""`--json` given alone: every key."""


def fields_arg(known: Sequence[str]) -> Callable[[str], tuple[str, ...]]:
    """The `type=` of `--json [FIELD,FIELD]`: the fields, checked against `known`."""

    def parse(text: str) -> tuple[str, ...]:
        fields = tuple(dict.fromkeys(f.strip() for f in text.split(",") if f.strip()))
        unknown = [f for f in fields if f not in known]
        if unknown:
            raise argparse.ArgumentTypeError(
                f"unknown JSON field {unknown[0]!r}; the fields are: {', '.join(known)}"
            )
        return fields

    return parse


def jq_arg(expression: str) -> Any:
    """A compiled jq program (libjq, through the `jq` binding)."""
    import jq  # type: ignore[import-not-found]  # a compiled module with no stubs

    try:
        return jq.compile(expression)
    except ValueError as error:
        raise argparse.ArgumentTypeError(first_line(error)) from None


def first_line(error: BaseException) -> str:
    """The first line of an error's text (jq's compile errors add the source below)."""
    from tui.sanitize import one_line

    lines = str(error).strip().splitlines() or [""]
    return one_line(lines[0].rstrip(":"))
