"""The Metafold job detail: inputs and outputs side by side, and the upstream jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tui.clock import Clock
from tui.formatting import fmt_size, fmt_timestamp, state_label
from tui.models import Job, JobDetail
from tui.providers.metafold.details import MetafoldDetail, MetafoldIO
from tui.sanitize import one_line
from tui.widgets.detail_common import (
    Cell,
    Fields,
    duration_cell,
    fmt_relative,
    id_cell,
    pretty_json,
    run_time_cell,
    state_cell,
    time_rows,
)
from tui.widgets.option_list import SafeOptionList


def io_rows(io: MetafoldIO, now: datetime) -> list[list[Cell]]:
    """Assets (file name, size, checksum, created, modified) then params, decoded JSON pretty."""
    rows: list[list[Cell]] = []
    for asset in io.assets:
        rows.append([(asset.name, "accent"), asset.filename or id_cell(asset.id)])
        rows.append(["  size", fmt_size(asset.size)])
        rows.append(["  checksum", asset.checksum])
        for label, moment in (("  created", asset.created_at), ("  modified", asset.modified_at)):
            rows.append([label, f"{fmt_relative(moment, now)} · {fmt_timestamp(moment)}"])
        if asset.id:
            rows.append(["  asset id", id_cell(asset.id)])
    if not io.assets:
        rows.append(["assets", "none"])
    if io.params:
        rows.append([("params", "accent"), ""])
    for param in io.params:
        value = (
            pretty_json(param.decoded_json)
            if param.is_json and not isinstance(param.decoded_json, int | float | bool)
            else param.text
        )
        rows.append([f"  {param.name}", value.rstrip("\n")])
    return rows


class UpstreamList(SafeOptionList):
    """The upstream jobs (`needs`); Enter opens one (listed here for the help screen)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select",
            "Open upstream job",
            show=False,
            id="metafold.open_upstream",
            tooltip="Metafold: open the highlighted job of Needs (Esc comes back)",
        ),
    ]


class MetafoldDetailView(Vertical):
    """Everything about one Metafold job; Enter on an upstream job opens it."""

    @dataclass
    class UpstreamSelected(Message):
        """The user chose an upstream job to open."""

        job: Job

    def __init__(self, clock: Clock, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="detail-view")
        self._clock = clock
        self._upstream: dict[str, Job] = {}
        self._needs_key: tuple[tuple[str, str], ...] | None = None

    def compose(self) -> ComposeResult:
        yield Fields(id="metafold-summary")
        yield Label("Timeline", classes="section-title")
        yield Fields(id="metafold-times")
        yield Label("Needs (upstream jobs; Enter opens one)", classes="section-title")
        yield UpstreamList(id="metafold-needs")
        with Horizontal(id="metafold-io"):
            with Vertical(classes="column"):
                yield Label("Inputs", classes="section-title")
                yield Fields(id="metafold-inputs")
            with Vertical(classes="column"):
                yield Label("Outputs", classes="section-title")
                yield Fields(id="metafold-outputs")

    def update_detail(self, detail: JobDetail) -> None:
        """Show a (new) response for the job."""
        assert isinstance(detail, MetafoldDetail)
        now = self._clock()
        job = detail.job
        self.query_one("#metafold-summary", Fields).show(
            [
                ["type", detail.type],
                ["state", state_cell(job.state, job.status)],
                ["name", job.name],
                ["error", (job.error, "error") if job.error else None],
                ["project", id_cell(detail.project_id)],
                ["workflow", id_cell(detail.workflow_id)],
            ]
        )
        self.query_one("#metafold-times", Fields).show(
            time_rows(
                [
                    ("created", job.created_at),
                    ("started", job.started_at),
                    ("finished", job.finished_at),
                ],
                now,
            )
            + [
                ["waited", duration_cell(job.created_at, job.started_at), ""],
                ["ran", run_time_cell(job, now), ""],
            ]
        )
        self.query_one("#metafold-inputs", Fields).show(io_rows(detail.inputs, now))
        self.query_one("#metafold-outputs", Fields).show(io_rows(detail.outputs, now))
        self._show_needs(detail)

    def _show_needs(self, detail: MetafoldDetail) -> None:
        upstream = {job.id: job for job in detail.upstream}
        key = tuple(
            (need, upstream[need].status if need in upstream else "") for need in detail.needs
        )
        self._upstream = upstream
        if key == self._needs_key:
            return
        self._needs_key = key
        needs = self.query_one("#metafold-needs", OptionList)
        highlighted = needs.highlighted
        needs.clear_options()
        options: list[Option] = []
        for need in detail.needs:
            job = upstream.get(need)
            if job is None:
                options.append(
                    Option(
                        Content(f"{one_line(need)}   (could not be fetched)"),
                        id=need,
                        disabled=True,
                    )
                )
                continue
            options.append(
                Option(
                    Content(
                        f"{one_line(need)}   {state_label(job.state)} · {one_line(job.status)}"
                        f"   {one_line(job.name)}"
                    ),
                    id=need,
                )
            )
        if not options:
            options.append(Option(Content("none: this job needs no other job"), disabled=True))
        needs.add_options(options)
        if highlighted is not None and highlighted < needs.option_count:
            needs.highlighted = highlighted
        elif needs.option_count:
            needs.highlighted = 0

    @on(OptionList.OptionSelected, "#metafold-needs")
    def _need_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        job = self._upstream.get(event.option.id or "")
        if job is not None:
            self.post_message(self.UpstreamSelected(job))
