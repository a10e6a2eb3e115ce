"""The contract every provider implements, and the query/result types it speaks.

Providers are free of Textual: they take an `httpx.AsyncClient` built by
`tui.providers.client`, speak one provider's wire format, and return normalized
`tui.models.Job` objects and typed details (each provider package's `details`). Every
failure leaves a provider as a `tui.errors.ProviderError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from tui.errors import ProviderError
from tui.models import Job, JobDetail, JobState

SORT_KEYS = ("created_at", "updated_at", "started_at", "finished_at", "name", "status", "id")
"""Normalized sort keys a query may ask a server to apply."""


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What the dashboard or CLI wants listed; a provider pushes what it can to the server.

    The caller always re-applies every filter and sort locally, so a provider that cannot
    apply one simply ignores it (and leaves it out of `ListResult.applied`).
    """

    states: frozenset[JobState] = frozenset()
    """Only these normalized states (empty: all)."""
    status: str | None = None
    """Only this raw provider status."""
    text: str | None = None
    """A plain substring to search for (no negation or regex: those stay local)."""
    sort_key: str | None = None
    """One of `SORT_KEYS`, or None for the provider's default order."""
    descending: bool = True
    limit: int | None = None
    """Stop after this many jobs (None: the provider's page cap)."""
    updated_since: datetime | None = None
    """Incremental refresh: jobs not updated since this moment may be left out."""
    tracked_ids: Sequence[str] = ()
    """Ids to poll one by one (hdrjpg, Zoo async operations when not listable, any extras)."""
    skip_ids: frozenset[str] = frozenset()
    """Tracked ids whose job is known to have ended: not re-fetched."""
    resume: object | None = None
    """A previous result's `resume`: continue that listing where it stopped (the other
    fields should be the same as in the query that started it)."""


@dataclass(frozen=True, slots=True)
class ListResult:
    """The outcome of one `list_jobs` call."""

    jobs: list[Job]
    applied: frozenset[str] = frozenset()
    """Which parts of the query the server applied: any of "states", "status", "text", "sort"."""
    complete: bool = True
    """False when paging stopped at the page cap or the limit before the end."""
    incremental: bool = False
    """True when only jobs updated since `updated_since` were fetched (others unchanged)."""
    tracked_errors: dict[str, ProviderError] = field(default_factory=dict)
    """Per tracked id, why it could not be fetched (the rest of the result stands)."""
    requests: int = 0
    """HTTP requests this call made (for the steady-state request budget)."""
    unreadable: int = 0
    """Listed items that could not be read (no usable id, or a value the parser could not
    handle) and were left out; the rest of the result stands."""
    total: int | None = None
    """How many jobs exist server-side for what was asked, when the API says (Zoo's
    dataset stats); None when unknown."""
    resume: object | None = None
    """Opaque continuation: not None means more pages exist. Call `list_jobs` again with
    `ListQuery(resume=this, ...)` for the next part; `jobs` holds only this part. The
    last part has `resume=None`, and its `complete` speaks for the whole listing."""
    counts: Mapping[JobState, int] | None = None
    """Jobs per state on the server for the whole listing, true before every page is
    loaded (Zoo: each dataset's `/stats`, plus the async operations listed so far); None
    when the API gives no counts (then count the jobs listed)."""
    loaded: int = 0
    """Jobs listed so far in this listing, every part up to this one included."""
    note: str | None = None
    """One line for the source bar and `list` while the listing is not whole: progress
    ("loading 12,400 of 60,000") or, with `capped`, the cap that stopped it."""
    capped: bool = False
    """True when a cap (items per refresh, body size) cut the listing short: never silent,
    `note` says what was left out."""


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a provider can do, checked by the UI before offering an action."""

    lists: bool
    """True if it can list jobs; False if it only polls tracked ids."""
    server_filters: frozenset[str] = frozenset()
    """Filters the server applies: any of "states", "status", "text"."""
    server_sorts: frozenset[str] = frozenset()
    """`SORT_KEYS` the server can sort by."""
    incremental: bool = False
    """True if `updated_since` lets a refresh fetch only what changed."""
    min_poll_interval: float = 0.0
    """Seconds: never poll one job faster than this (hdrjpg: 2)."""


@runtime_checkable
class JobProvider(Protocol):
    """One configured account of one provider surface (or of all a provider's surfaces)."""

    @property
    def provider(self) -> str:
        """Which provider it talks to (a class attribute of each client; an attached
        viewer's store-backed source sets it per account)."""
        ...

    account: str
    """The configured account name; every returned job carries it."""
    capabilities: Capabilities

    async def list_jobs(self, query: ListQuery) -> ListResult:
        """Fetch the jobs the account can list plus the tracked ids.

        Args:
            query: Filters and sort to push to the server where possible, tracked ids to
                poll, and ids to skip.

        Returns:
            The jobs found, and which parts of the query the server applied.

        Raises:
            ProviderError: The listing itself failed (auth, unavailable, bad response).
                A failure to fetch one tracked id is reported in `tracked_errors` instead.
        """
        ...

    async def get_job(self, job_id: str, parent_id: str | None = None) -> JobDetail:
        """Fetch one job's full detail.

        Args:
            job_id: The provider's id.
            parent_id: The container (Zoo dataset id, Metafold project id) if known.

        Returns:
            A `JobDetail` subclass with the provider's particulars and the raw response.

        Raises:
            NotFoundError: No such job.
            ProviderError: Any other failure.
        """
        ...

    async def aclose(self) -> None:
        """Close the HTTP client. Safe to call twice."""
        ...
