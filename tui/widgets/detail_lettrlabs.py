"""The LettrLabs conversion detail: the status payload and its envelope."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label

from tui.clock import Clock
from tui.formatting import fmt_timestamp
from tui.models import JobDetail
from tui.providers.lettrlabs.details import LettrLabsDetail
from tui.widgets.detail_common import Cell, Fields, fmt_relative, list_cell, pretty_json, state_cell


class LettrLabsDetailView(Vertical):
    """Everything about one LettrLabs conversion status."""

    def __init__(self, clock: Clock, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="detail-view")
        self._clock = clock

    def compose(self) -> ComposeResult:
        yield Fields(id="lettrlabs-summary")
        yield Label("Errors and warnings", classes="section-title")
        yield Fields(id="lettrlabs-problems")
        yield Label("Metadata", classes="section-title")
        yield Fields(id="lettrlabs-metadata")
        yield Label("Profile", classes="section-title")
        yield Fields(id="lettrlabs-profile")

    def update_detail(self, detail: JobDetail) -> None:
        """Show a (new) response for the conversion."""
        assert isinstance(detail, LettrLabsDetail)
        now = self._clock()
        job = detail.job
        upload = detail.upload_date
        self.query_one("#lettrlabs-summary", Fields).show(
            [
                ["file", detail.file_name],
                ["data source", detail.data_source_type],
                ["status", state_cell(job.state, job.status)],
                ["uploaded", f"{fmt_relative(upload, now)} · {fmt_timestamp(upload)}"],
            ]
        )
        self.query_one("#lettrlabs-problems", Fields).show(
            [
                ["hasErrors", _flag(detail.has_errors, "error")],
                ["errors", list_cell(detail.errors, "error")],
                ["hasWarnings", _flag(detail.has_warnings, "warning")],
                ["warnings", list_cell(detail.warnings, "warning")],
            ]
        )
        metadata = detail.metadata or {}
        self.query_one("#lettrlabs-metadata", Fields).show(
            [
                [
                    str(key),
                    "null"
                    if value is None
                    else value
                    if isinstance(value, str)
                    else pretty_json(value),
                ]
                for key, value in metadata.items()
            ]
            or [["metadata", "none"]]
        )
        profile = detail.profile
        name = (
            " ".join(part for part in (profile.first_name, profile.last_name) if part)
            if profile
            else ""
        )
        self.query_one("#lettrlabs-profile", Fields).show(
            [
                ["company", profile.company],
                ["e-mail", profile.email],
                ["name", name or None],
            ]
            if profile is not None
            else [["profile", "none"]]
        )


def _flag(value: bool, role: str) -> Cell:
    return ("yes", role) if value else ("no", "dim")  # type: ignore[return-value]
