"""The hdrjpg conversion detail: step, progress and ETA, timings, download window,
BlurHash preview and average colour, and the variants table with the selected variant."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Label

from tui.clock import Clock
from tui.formatting import MISSING, fmt_duration, fmt_size, fmt_timestamp
from tui.image_decode import ImageDecodeError
from tui.models import JobDetail
from tui.providers.hdrjpg.details import HdrjpgDetail, HdrjpgVariant
from tui.sanitize import one_line
from tui.widgets.detail_common import (
    Cell,
    Fields,
    fmt_relative,
    id_cell,
    list_cell,
    number_cell,
    progress_bar,
    state_cell,
    sync_table,
    time_rows,
)
from tui.widgets.image_view import (
    ImageView,
    blurhash_pixels,
    parse_hex_colour,
    swatch_text,
)

DOWNLOAD_WARNING_SECONDS = 86_400
"""Under a day left in the download window is a warning."""

VARIANT_COLUMNS = (
    "format",
    "status",
    "warnings / failures",
    "output file",
    "size",
    "width×height",
    "MP",
    "aspect",
    "compression",
    "parameters",
)
"""The variants table's columns: why a variant failed or warned comes right after its
status, ahead of the wide ones, so it shows on a narrow terminal."""
NOTES_WIDTH = 60
"""Cells of warnings and failures the table shows; the selected-variant panel has them all."""


def download_window(detail: HdrjpgDetail, now: datetime) -> Cell:
    """How long the results stay downloadable; a warning under a day, an error once gone."""
    expires = detail.delivery_expires_at
    if expires is None:
        return ("not downloadable yet", "dim")
    left = (expires - now).total_seconds()
    exact = fmt_timestamp(expires)
    if left <= 0:
        return (f"expired {fmt_relative(expires, now)} ({exact})", "error")
    if left < DOWNLOAD_WARNING_SECONDS:
        return (f"⚠ expires {fmt_relative(expires, now)} ({exact})", "warning")
    return (f"expires {fmt_relative(expires, now)} ({exact})", "ok")


def parameters_text(variant: HdrjpgVariant) -> str:
    """The conversion parameters as `width=100 height=0 …` (unset ones left out)."""
    params = variant.parameters
    pairs = [
        ("width", params.width),
        ("height", params.height),
        ("extrapolate", params.extrapolate),
        ("baseQuality", params.base_quality),
        ("gainmapQuality", params.gainmap_quality),
        ("quality", params.quality),
        ("onSdr", params.on_sdr),
    ]
    return " ".join(
        f"{name}={str(value).lower() if isinstance(value, bool) else value}"
        for name, value in pairs
        if value is not None
    )


def variant_cells(variant: HdrjpgVariant) -> list[Text]:
    """The variants-table row of one variant, every cell plain text on one line."""
    size = (
        f"{variant.output_width}×{variant.output_height}"
        if variant.output_width is not None and variant.output_height is not None
        else MISSING
    )
    notes = [f"✖ {text}" for text in variant.fail_descriptions]
    notes += [f"⚠ {text}" for text in variant.warning_descriptions]
    notes_text = one_line("; ".join(notes))
    if cell_len(notes_text) > NOTES_WIDTH:
        notes_text = set_cell_size(notes_text, NOTES_WIDTH - 1) + "…"
    values = [
        variant.format or MISSING,
        variant.status or MISSING,
        notes_text or MISSING,
        variant.output_file_name or variant.file_name or MISSING,
        fmt_size(variant.output_file_size),
        size,
        number_cell(variant.output_megapixels) or MISSING,
        number_cell(variant.output_aspect_ratio) or MISSING,
        number_cell(variant.output_compression_ratio, 7) or MISSING,
        parameters_text(variant) or MISSING,
    ]
    return [Text(one_line(str(value))[:200], no_wrap=True, end="") for value in values]


def variant_rows(variant: HdrjpgVariant, now: datetime) -> list[list[Cell]]:
    """Every field of one variant, for the selected-variant panel."""
    params = variant.parameters
    rows: list[list[Cell]] = [
        ["uuid", id_cell(variant.uuid)],
        ["status", variant.status or None],
        ["format", variant.format],
        ["file name", variant.file_name],
        ["output file", variant.output_file_name],
        ["output size", fmt_size(variant.output_file_size)],
        ["width", number_cell(variant.output_width)],
        ["height", number_cell(variant.output_height)],
        ["megapixels", number_cell(variant.output_megapixels)],
        ["aspect ratio", number_cell(variant.output_aspect_ratio, 7)],
        ["compression ratio", number_cell(variant.output_compression_ratio, 7)],
        ["conversion time", fmt_duration(variant.conversion_time)],
    ]
    for label, moment in (
        ("created", variant.created_at),
        ("completed", variant.completed_at),
        ("failed", variant.failed_at),
    ):
        rows.append([label, f"{fmt_relative(moment, now)}  ·  {fmt_timestamp(moment)}"])
    rows += [
        ["param width", number_cell(params.width)],
        ["param height", number_cell(params.height)],
        ["extrapolate", None if params.extrapolate is None else str(params.extrapolate).lower()],
        ["baseQuality", number_cell(params.base_quality)],
        ["gainmapQuality", number_cell(params.gainmap_quality)],
        ["quality", number_cell(params.quality)],
        ["onSdr", params.on_sdr],
        ["fail descriptions", list_cell(variant.fail_descriptions, "error")],
        ["warnings", list_cell(variant.warning_descriptions, "warning")],
    ]
    return rows


class VariantTable(DataTable[Any]):
    """The variants; moving the cursor shows a variant in full (listed for the help screen)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "up",
            "cursor_up",
            "Previous variant",
            show=False,
            id="hdrjpg.previous_variant",
            tooltip="hdrjpg: show the variant above in full",
        ),
        Binding(
            "down",
            "cursor_down",
            "Next variant",
            show=False,
            id="hdrjpg.next_variant",
            tooltip="hdrjpg: show the variant below in full",
        ),
    ]


class HdrjpgDetailView(Vertical):
    """Everything about one hdrjpg conversion."""

    def __init__(self, clock: Clock, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="detail-view")
        self._clock = clock
        self._detail: HdrjpgDetail | None = None
        self._blur_hash: str | None = None
        self._selected: str | None = None

    def compose(self) -> ComposeResult:
        yield Fields(id="hdrjpg-summary")
        yield Label("Timeline", classes="section-title")
        yield Fields(id="hdrjpg-times")
        yield Fields(id="hdrjpg-fails")
        with Horizontal(id="hdrjpg-preview"):
            yield ImageView(id="hdrjpg-blurhash")
            yield Fields(id="hdrjpg-colour")
        yield Label("Variants", classes="section-title")
        table = VariantTable(id="hdrjpg-variants", cursor_type="row", zebra_stripes=True)
        for column in VARIANT_COLUMNS:
            table.add_column(column, key=column)
        yield table
        yield Label("Selected variant", classes="section-title")
        yield Fields(id="hdrjpg-variant")

    @property
    def selected_variant(self) -> HdrjpgVariant | None:
        """The variant under the table's cursor."""
        if self._detail is None:
            return None
        for variant in self._detail.variants:
            if self._variant_key(variant) == self._selected:
                return variant
        return None

    @staticmethod
    def _variant_key(variant: HdrjpgVariant) -> str:
        return variant.uuid or f"#{id(variant)}"

    def update_detail(self, detail: JobDetail) -> None:
        """Show a (new) response for the conversion."""
        assert isinstance(detail, HdrjpgDetail)
        self._detail = detail
        now = self._clock()
        job = detail.job
        eta = fmt_duration(detail.eta_seconds) if detail.eta_seconds else MISSING
        progress = (
            f"{progress_bar(detail.progress)}   ETA {eta}"
            if detail.progress is not None
            else MISSING
        )
        self.query_one("#hdrjpg-summary", Fields).show(
            [
                ["status", state_cell(job.state, job.status)],
                ["step", detail.step],
                ["progress", progress],
                ["source image", detail.source_file_name],
                ["conversion time", fmt_duration(detail.conversion_time)],
                ["download window", download_window(detail, now)],
            ]
        )
        self.query_one("#hdrjpg-times", Fields).show(
            time_rows(
                [
                    ("created", detail.created_at),
                    ("started", detail.started_at),
                    ("completed", detail.completed_at),
                    ("failed", detail.failed_at),
                    ("delivered", detail.delivered_at),
                    ("download expires", detail.delivery_expires_at),
                ],
                now,
            )
        )
        self.query_one("#hdrjpg-fails", Fields).show(
            [["fail descriptions", list_cell(detail.fail_descriptions, "error")]]
            if detail.fail_descriptions
            else []
        )
        self._show_preview(detail)
        rows = [(self._variant_key(v), variant_cells(v)) for v in detail.variants]
        table = self.query_one("#hdrjpg-variants", DataTable)
        sync_table(table, rows)
        if self._selected is None and rows:
            self._selected = rows[0][0]
        self._show_selected(now)

    def _show_preview(self, detail: HdrjpgDetail) -> None:
        colour = parse_hex_colour(detail.average_color)
        colour_cell: Cell = (
            Text.assemble(swatch_text(colour, 6), "  ", detail.average_color or "")
            if colour is not None
            else None
        )
        picture = self.query_one("#hdrjpg-blurhash", ImageView)
        blur_note: Cell = None
        if detail.blur_hash != self._blur_hash:
            self._blur_hash = detail.blur_hash
            try:
                picture.set_pixels(
                    blurhash_pixels(detail.blur_hash, 16, 5) if detail.blur_hash else []
                )
            except ImageDecodeError:
                picture.set_pixels([])
        if detail.blur_hash and not picture.picture_size.width:
            blur_note = ("not a valid BlurHash", "warning")
        self.query_one("#hdrjpg-colour", Fields).show(
            [
                ["average colour", colour_cell],
                ["blurHash", detail.blur_hash],
                *([["preview", blur_note]] if blur_note else []),
            ]
        )

    def _show_selected(self, now: datetime) -> None:
        variant = self.selected_variant
        self.query_one("#hdrjpg-variant", Fields).show(
            variant_rows(variant, now) if variant is not None else [["variant", "none"]]
        )

    @on(DataTable.RowHighlighted, "#hdrjpg-variants")
    def _variant_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._selected = event.row_key.value
        if self._detail is not None:
            self._show_selected(self._clock())
