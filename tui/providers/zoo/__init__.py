"""Zoo: async operations and org dataset conversions (`client`), read by `parsing`, with
its words in `vocabulary`, its detail models in `details` and its account keys in
`options`; `SPEC` is what the registry knows of it."""

from __future__ import annotations

from tui.models import ProviderName
from tui.providers.registry import ProviderSpec
from tui.providers.zoo import options, vocabulary
from tui.providers.zoo.client import ZooProvider
from tui.providers.zoo.details import ZooAsyncDetail, ZooConversionDetail
from tui.providers.zoo.parsing import (
    MAX_IMAGE_BYTES,
    MAX_IMAGES,
    parse_async_detail,
    parse_async_job,
    parse_conversion_detail,
    parse_conversion_job,
    parse_stats,
    phases_for,
)
from tui.providers.zoo.scans import INCREMENTAL_FIRST_PAGE, PAGE_SIZE
from tui.providers.zoo.vocabulary import STATUS_MEANINGS

SPEC = ProviderSpec(
    name=ProviderName.ZOO,
    title="Zoo",
    default_base_url="https://api.zoo.dev",
    auth_header="Authorization",
    auth_prefix="Bearer ",
    map_state=vocabulary.map_state,
    statuses=vocabulary.STATUSES,
    factory=ZooProvider,
    detail_types=(ZooConversionDetail, ZooAsyncDetail),
    option_keys=options.OPTION_KEYS,
    parse_options=options.parse_options,
    meanings=STATUS_MEANINGS,
)

__all__ = [
    "INCREMENTAL_FIRST_PAGE",
    "MAX_IMAGES",
    "MAX_IMAGE_BYTES",
    "PAGE_SIZE",
    "SPEC",
    "STATUS_MEANINGS",
    "ZooProvider",
    "parse_async_detail",
    "parse_async_job",
    "parse_conversion_detail",
    "parse_conversion_job",
    "parse_stats",
    "phases_for",
]
