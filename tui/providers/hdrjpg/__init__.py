"""hdrjpg: tracked conversions (`client`, which also reads them), with its statuses in
`vocabulary` and its detail model in `details`; `SPEC` is what the registry knows of it.
It has no account keys of its own."""

from __future__ import annotations

from tui.models import ProviderName
from tui.providers.hdrjpg import vocabulary
from tui.providers.hdrjpg.client import MIN_POLL_INTERVAL, HdrjpgProvider, parse_conversion
from tui.providers.hdrjpg.details import HdrjpgDetail
from tui.providers.registry import ProviderSpec

SPEC = ProviderSpec(
    name=ProviderName.HDRJPG,
    title="hdrjpg",
    default_base_url="https://api.hdrjpg.com",
    auth_header="api-key",
    auth_prefix="",
    map_state=vocabulary.map_state,
    statuses=vocabulary.STATUSES,
    factory=HdrjpgProvider,
    detail_types=(HdrjpgDetail,),
    gives_eta=True,
)

__all__ = ["MIN_POLL_INTERVAL", "SPEC", "HdrjpgProvider", "parse_conversion"]
