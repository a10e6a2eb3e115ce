"""LettrLabs' detail: a conversion status with its envelope.

Every string was cleaned where it entered (`tui.sanitize.clean`); structured values
went through `clean_tree`. The unmodified response is kept only in `JobDetail.raw`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui.models import JobDetail


@dataclass(frozen=True, slots=True)
class LettrLabsProfile:
    """The account profile of the envelope (the aadId is kept out on purpose)."""

    id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LettrLabsDetail(JobDetail):
    """A LettrLabs conversion status with its envelope."""

    file_name: str | None = None
    data_source_type: str | None = None
    upload_date: datetime | None = None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    has_errors: bool = False
    has_warnings: bool = False
    metadata: dict[str, Any] | None = None
    profile: LettrLabsProfile | None = None
