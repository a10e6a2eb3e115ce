"""LettrLabs: conversions in their envelope (`client`, which also reads them), with its
status words in `vocabulary` and its detail model in `details`; `SPEC` is what the
registry knows of it. It has no account keys of its own."""

from __future__ import annotations

from tui.models import ProviderName
from tui.providers.lettrlabs import vocabulary
from tui.providers.lettrlabs.client import (
    MAX_REASONS,
    LettrLabsProvider,
    parse_status,
    parse_status_envelope,
)
from tui.providers.lettrlabs.details import LettrLabsDetail
from tui.providers.registry import ProviderSpec

SPEC = ProviderSpec(
    name=ProviderName.LETTRLABS,
    title="LettrLabs",
    default_base_url="https://app.lettrlabs.com/api",
    auth_header="X-API-KEY",
    auth_prefix="",
    map_state=vocabulary.map_state,
    statuses=vocabulary.STATUSES,
    factory=LettrLabsProvider,
    detail_types=(LettrLabsDetail,),
)

__all__ = ["MAX_REASONS", "SPEC", "LettrLabsProvider", "parse_status", "parse_status_envelope"]
