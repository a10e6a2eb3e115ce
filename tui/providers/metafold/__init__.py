"""Metafold: project jobs (`client`, which also reads them), with its states in
`vocabulary`, its detail model in `details` and its account keys in `options`; `SPEC` is
what the registry knows of it."""

from __future__ import annotations

from tui.models import ProviderName
from tui.providers.metafold import options, vocabulary
from tui.providers.metafold.client import (
    ACTIVE_Q,
    MetafoldProvider,
    parse_detail,
    parse_job,
    server_params,
)
from tui.providers.metafold.details import MetafoldDetail
from tui.providers.registry import ProviderSpec

SPEC = ProviderSpec(
    name=ProviderName.METAFOLD,
    title="Metafold",
    default_base_url="https://api.metafold3d.com",
    auth_header="Authorization",
    auth_prefix="Bearer ",
    map_state=vocabulary.map_state,
    statuses=vocabulary.STATUSES,
    factory=MetafoldProvider,
    detail_types=(MetafoldDetail,),
    option_keys=options.OPTION_KEYS,
    parse_options=options.parse_options,
)

__all__ = ["ACTIVE_Q", "SPEC", "MetafoldProvider", "parse_detail", "parse_job", "server_params"]
