"""Metafold's detail: a project job with its assets, params and upstream jobs.

Every string was cleaned where it entered (`tui.sanitize.clean`); structured values
went through `clean_tree`. The unmodified response is kept only in `JobDetail.raw`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tui.models import Job, JobDetail


@dataclass(frozen=True, slots=True)
class Asset:
    """A Metafold asset attached to a job's inputs or outputs."""

    name: str
    """The key in the asset mapping (e.g. "mesh")."""
    id: str | None = None
    filename: str | None = None
    size: int | None = None
    checksum: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None
    project_id: str | None = None
    job_id: str | None = None


@dataclass(frozen=True, slots=True)
class Param:
    """A Metafold param: the text as sent, and its JSON value where it is JSON."""

    name: str
    text: str
    decoded_json: Any = None
    """The decoded value when `text` is JSON, else None."""

    @property
    def is_json(self) -> bool:
        """True when the text decoded as JSON."""
        return self.decoded_json is not None


@dataclass(frozen=True, slots=True)
class MetafoldIO:
    """The inputs or outputs of a job."""

    assets: tuple[Asset, ...] = ()
    params: tuple[Param, ...] = ()


@dataclass(frozen=True, slots=True)
class MetafoldDetail(JobDetail):
    """A Metafold project job with its assets, params and upstream jobs."""

    type: str | None = None
    project_id: str | None = None
    workflow_id: str | None = None
    inputs: MetafoldIO = field(default_factory=MetafoldIO)
    outputs: MetafoldIO = field(default_factory=MetafoldIO)
    needs: tuple[str, ...] = ()
    upstream: tuple[Job, ...] = ()
    """The jobs of `needs` that could be fetched."""
