"""The provider registry: one `ProviderSpec` per provider, read by everything else.

A provider is one package under `tui.providers` (client, parsing, vocabulary, detail
model, account options) whose `SPEC` is registered here; the config, the HTTP layer, the
state mapping and the detail screen look a provider up by name and never branch on it.
The four built-ins register when `tui.providers` is imported (which importing this module
does first); another provider registers with `register`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from tui.models import JobDetail, JobState
from tui.providers.base import JobProvider

ProviderFactory = Callable[..., JobProvider]
"""`factory(account, *, transport=None, clock=utc_now, policy=DEFAULT_POLICY)`."""

OptionFail = Callable[[str, str], Exception]
"""`fail(key, problem)`: the config's error for one key of the account being read."""


class StateMap(Protocol):
    """A provider's mapping of its own status word to the normalized state."""

    def __call__(self, kind: str, status: object, *, has_errors: bool = False) -> JobState:
        """Args: the job's surface (`JobKind`), the raw status (None or unknown values
        give `UNKNOWN`), and an envelope's error flag where the API has one. Never raises."""
        ...


class OptionParser(Protocol):
    """Reads a provider's own keys of one `[[account]]` table into its options object."""

    def __call__(self, raw: Mapping[str, Any], fail: OptionFail) -> object:
        """Raises: what `fail` builds, for a key whose value is wrong."""
        ...


def no_options(raw: Mapping[str, Any], fail: OptionFail) -> object:
    """The options parser of a provider without settings of its own."""
    return None


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """What the rest of jobtop knows of one provider."""

    name: str
    """The `provider = "..."` of the config, and `Job.provider`."""
    title: str
    """How the provider is named in sentences ("Zoo", "hdrjpg")."""
    default_base_url: str
    auth_header: str
    """The header that carries the token."""
    auth_prefix: str
    """What goes before the token in that header ("Bearer " or nothing)."""
    map_state: StateMap
    statuses: Mapping[str, tuple[str, ...]]
    """Each surface's (`JobKind`'s) known status words, in the provider's order."""
    factory: ProviderFactory
    """Builds the client of one account."""
    detail_types: tuple[type[JobDetail], ...] = ()
    """The `JobDetail` subclasses its `get_job` returns."""
    option_keys: frozenset[str] = frozenset()
    """Its own keys of an `[[account]]` table."""
    parse_options: OptionParser = no_options
    gives_eta: bool = False
    """True if its detail carries an ETA of its own (no estimate is shown beside it)."""
    meanings: Mapping[str, str] = field(default_factory=dict)
    """The documented meaning of status words, where the vendor documents them."""


_SPECS: dict[str, ProviderSpec] = {}


def register(spec: ProviderSpec) -> ProviderSpec:
    """Add a provider; its name must be new.

    Raises:
        ValueError: A provider of that name is registered already.
    """
    if spec.name in _SPECS:
        raise ValueError(f"a provider named {spec.name!r} is registered already")
    _SPECS[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove a provider (tests that register one of their own)."""
    _SPECS.pop(name, None)


def spec_for(name: str) -> ProviderSpec:
    """The spec of the provider called `name`.

    Raises:
        KeyError: No provider has that name.
    """
    return _SPECS[name]


def find_spec(name: str) -> ProviderSpec | None:
    """The spec of the provider called `name`, or None."""
    return _SPECS.get(name)


def all_specs() -> tuple[ProviderSpec, ...]:
    """Every registered provider, built-ins first, in registration order."""
    return tuple(_SPECS.values())


def option_keys() -> frozenset[str]:
    """Every registered provider's own account keys."""
    return frozenset().union(*(spec.option_keys for spec in _SPECS.values()))


def map_state(provider: str, kind: str, status: object, *, has_errors: bool = False) -> JobState:
    """A provider's status word as the normalized state (`UNKNOWN` for an unknown
    provider, status or kind; never raises)."""
    spec = _SPECS.get(provider)
    if spec is None:
        return JobState.UNKNOWN
    return spec.map_state(kind, status, has_errors=has_errors)


def id_list(
    raw: Mapping[str, Any], key: str, fail: OptionFail, default: tuple[str, ...]
) -> tuple[str, ...]:
    """An account key holding ids (a string, or a list of strings and integers; a tuple
    when the account is built in code)."""
    value = raw.get(key, list(default))
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str | int) for v in value):
        raise fail(key, 'must be a list of ids (or ["all"])')
    return tuple(str(v) for v in value)
