"""Zoo details: dataset conversions (phase stepper, snapshots, KCL) and async operations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from PIL import Image
from rich.syntax import Syntax
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Label, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from tui.clock import Clock
from tui.formatting import fmt_size
from tui.image_decode import DecodeCancelled, ImageDecodeError, decode_off_loop
from tui.image_protocol import ImageProtocol
from tui.models import JobDetail
from tui.providers.zoo.details import SnapshotImage, ZooAsyncDetail, ZooConversionDetail
from tui.sanitize import one_line
from tui.widgets.detail_common import (
    Cell,
    Fields,
    duration_cell,
    id_cell,
    number_cell,
    pretty_json,
    run_time_cell,
    state_cell,
    time_rows,
)
from tui.widgets.image_view import (
    ImageView,
    PixelGrid,
    decode_picture,
    decode_png,
)
from tui.widgets.option_list import SafeOptionList
from tui.widgets.phase_stepper import PhaseStepper

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

PICTURE_COLUMNS = 48
"""Widest snapshot picture, in cells."""
PICTURE_ROWS = 14
"""Tallest snapshot picture, in cells."""
KCL_LEXER = "javascript"
"""Pygments has no KCL lexer; KCL's syntax (`fn`, `let`, calls, `|>`) reads well as JavaScript."""
SYNTAX_THEME = "ansi_dark"
"""Uses the terminal's own ANSI colours, so it follows 16-colour terminals."""
RETRY_STATUSES = frozenset({"error_unsupported", "error_internal"})
"""Statuses documented as "retry with a new converter version"."""
IMAGE_LISTS = (
    ("original", "original_images"),
    ("raw_kcl", "raw_kcl_images"),
    ("salon_kcl", "salon_kcl_images"),
)
KCL_OUTPUTS = (
    ("output", "output"),
    ("raw KCL", "raw_kcl_output"),
    ("salon KCL", "salon_kcl_output"),
    ("manual override", "manual_kcl_override"),
)


def kcl_syntax(code: str) -> Syntax:
    """KCL as highlighted, wrapped code with line numbers (plain text, never markup)."""
    return Syntax(
        code,
        KCL_LEXER,
        theme=SYNTAX_THEME,
        line_numbers=True,
        word_wrap=True,
        background_color="default",
    )


def status_rows(detail: ZooConversionDetail) -> list[list[Cell]]:
    """Status, its documented meaning, and the retry advice where it applies."""
    job = detail.job
    rows: list[list[Cell]] = [
        ["status", state_cell(job.state, job.status)],
        ["meaning", detail.status_meaning or ("not a documented status", "warning")],
    ]
    if job.status in RETRY_STATUSES:
        rows.append(["advice", ("Retry it with a new converter version.", "warning")])
    rows.append(["message", detail.status_message])
    return rows


@dataclass(frozen=True, slots=True)
class ImageRef:
    """One snapshot image in the image list: which list, which position."""

    list_name: str
    index: int
    image: SnapshotImage


class ImageList(SafeOptionList):
    """The snapshot images; moving the cursor draws one (listed for the help screen)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "up",
            "cursor_up",
            "Previous image",
            show=False,
            id="zoo.previous_image",
            tooltip="Zoo: draw the snapshot image above",
        ),
        Binding(
            "down",
            "cursor_down",
            "Next image",
            show=False,
            id="zoo.next_image",
            tooltip="Zoo: draw the snapshot image below",
        ),
    ]


class ZooConversionDetailView(Vertical):
    """Everything about one Zoo dataset conversion.

    Snapshot images are drawn with half blocks, or with Kitty's graphics protocol or
    Sixel when `image_protocol` says so (chosen once, before the app starts).
    """

    def __init__(
        self,
        clock: Clock,
        *,
        image_protocol: ImageProtocol = ImageProtocol.HALFBLOCK,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="detail-view")
        self._clock = clock
        self.image_protocol = image_protocol
        """How snapshot images are drawn (AUTO counts as half blocks)."""
        self._images: dict[str, ImageRef] = {}
        self._pictures: dict[tuple[str, int, int], PixelGrid | PILImage | str] = {}
        self._kcl: dict[str, str | None] = {}
        self._shown_image: str | None = None

    def compose(self) -> ComposeResult:
        yield Fields(id="zoo-summary")
        with Horizontal(id="zoo-phases"):
            with Vertical(classes="column"):
                yield Label("Phase", classes="section-title")
                yield PhaseStepper(id="zoo-stepper")
            with Vertical(classes="column"):
                yield Label("Metadata", classes="section-title")
                yield Fields(id="zoo-metadata")
        yield Label("Timeline", classes="section-title")
        yield Fields(id="zoo-times")
        yield Label("Snapshot images", classes="section-title")
        yield Fields(id="zoo-image-counts")
        with Horizontal(id="zoo-images-row"):
            yield ImageList(id="zoo-images")
            with Vertical(id="zoo-picture"):
                if self.image_protocol.is_sharp:
                    from tui.widgets.pixel_image_view import PixelImageView

                    yield PixelImageView(
                        self.image_protocol,
                        max_columns=PICTURE_COLUMNS,
                        max_rows=PICTURE_ROWS,
                        id="zoo-image",
                    )
                else:
                    yield ImageView(id="zoo-image")
                yield Static(id="zoo-image-caption")
        yield Label("KCL outputs", classes="section-title")
        with TabbedContent(id="zoo-kcl"):
            for title, attribute in KCL_OUTPUTS:
                with TabPane(title, id=f"kcl-{attribute.replace('_', '-')}"):
                    yield Static(Content("none"), id=f"kcl-text-{attribute.replace('_', '-')}")
        yield Fields(id="zoo-stats")

    @property
    def image_ids(self) -> list[str]:
        """Option ids of the images in the list, in order."""
        return list(self._images)

    def update_detail(self, detail: JobDetail) -> None:
        """Show a (new) response for the conversion."""
        assert isinstance(detail, ZooConversionDetail)
        now = self._clock()
        job = detail.job
        scores = "   ".join(f"{name} {score:.3f}" for name, score in detail.scores)
        self.query_one("#zoo-summary", Fields).show(
            [
                *status_rows(detail),
                ["dataset", id_cell(detail.dataset_id)],
                ["file", detail.file_path],
                ["size", fmt_size(detail.file_size)],
                ["etag", id_cell(detail.file_etag)],
                ["importer version", detail.importer_version],
                ["similarity", scores or None],
                [
                    "manual KCL override",
                    None
                    if detail.manual_kcl_override_active is None
                    else ("active" if detail.manual_kcl_override_active else "not active"),
                ],
            ]
        )
        self.query_one("#zoo-stepper", PhaseStepper).show(
            detail.phases, detail.phase_index, job.state, detail.phase
        )
        metadata = detail.metadata or {}
        self.query_one("#zoo-metadata", Fields).show(
            [
                [str(key), value if isinstance(value, str) else pretty_json(value)]
                for key, value in metadata.items()
            ]
            or [["metadata", "none"]]
        )
        self.query_one("#zoo-times", Fields).show(
            time_rows(
                [
                    ("created", job.created_at),
                    ("started", job.started_at),
                    ("completed", detail.completed_at),
                    ("updated", job.updated_at),
                    ("override updated", detail.manual_kcl_override_updated_at),
                ],
                now,
            )
            + [["running for", run_time_cell(job, now), ""]]
        )
        self._show_images(detail)
        first_load = not self._kcl
        for _, attribute in KCL_OUTPUTS:
            code = getattr(detail, attribute)
            if self._kcl.get(attribute, "") != code:
                self._kcl[attribute] = code
                target = self.query_one(f"#kcl-text-{attribute.replace('_', '-')}", Static)
                target.update(kcl_syntax(code) if code else Content("none"))
        if first_load:
            present = [attribute for _, attribute in KCL_OUTPUTS if self._kcl.get(attribute)]
            if present:
                tabs = self.query_one("#zoo-kcl", TabbedContent)
                tabs.active = f"kcl-{present[0].replace('_', '-')}"
        stats = detail.stats
        self.query_one("#zoo-stats", Fields).show(
            [
                [
                    "dataset stats",
                    f"total {number_cell(stats.total)}   successes {number_cell(stats.successes)}"
                    f"   failures {number_cell(stats.failures)}   "
                    + "  ".join(f"{name} {count}" for name, count in stats.by_status),
                ]
            ]
            if stats is not None
            else []
        )

    def _show_images(self, detail: ZooConversionDetail) -> None:
        counts: list[list[Cell]] = []
        images: dict[str, ImageRef] = {}
        for list_name, attribute in IMAGE_LISTS:
            found: tuple[SnapshotImage, ...] = getattr(detail, attribute)
            total = sum(image.size for image in found)
            counts.append(
                [
                    list_name,
                    f"{len(found)} image{'s' if len(found) != 1 else ''}",
                    fmt_size(total) if found else "",
                ]
            )
            for index, image in enumerate(found):
                images[f"{list_name}-{index}"] = ImageRef(list_name, index, image)
        self.query_one("#zoo-image-counts", Fields).show(counts)
        option_list = self.query_one("#zoo-images", OptionList)
        if [(k, v.image.mime_type, v.image.size) for k, v in images.items()] == [
            (k, v.image.mime_type, v.image.size) for k, v in self._images.items()
        ] and option_list.option_count:
            self._images = images
            return
        self._images = images
        highlighted = option_list.highlighted_option
        keep = highlighted.id if highlighted is not None else None
        option_list.clear_options()
        option_list.add_options(
            Option(
                Content(
                    f"{ref.list_name} #{ref.index + 1}  {one_line(ref.image.mime_type)[:40]}  "
                    f"{fmt_size(ref.image.size)}"
                ),
                id=key,
            )
            for key, ref in images.items()
        )
        option_list.display = bool(images)
        if images:
            target = keep if keep in images else next(iter(images))
            option_list.highlighted = list(images).index(target)
            self._draw(target)
        else:
            self._draw(None)

    @on(OptionList.OptionHighlighted, "#zoo-images")
    def _image_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._draw(event.option.id)

    def _draw(self, key: str | None) -> None:
        caption = self.query_one("#zoo-image-caption", Static)
        self._shown_image = key
        ref = self._images.get(key) if key is not None else None
        if ref is None:
            self._show_picture(None)
            caption.update(Content("no snapshot images yet"))
            return
        cache_key = (key or "", ref.image.size, hash(ref.image.data))
        pixels = self._pictures.get(cache_key)
        label = (
            f"{ref.list_name} #{ref.index + 1} · {one_line(ref.image.mime_type)[:40]} · "
            f"{fmt_size(ref.image.size)}"
        )
        if pixels is None:
            self._show_picture(None)
            caption.update(Content(f"{label} · decoding…"))
            self._decode(key or "", cache_key, ref.image.data)
            return
        if isinstance(pixels, str):
            self._show_picture(None)
            caption.update(Content(f"{label} · cannot draw: {pixels}"))
        else:
            self._show_picture(pixels)
            caption.update(Content(label))

    def _show_picture(self, picture: PixelGrid | PILImage | None) -> None:
        if self.image_protocol.is_sharp:
            from tui.widgets.pixel_image_view import PixelImageView

            sharp = picture if isinstance(picture, Image.Image) else None
            self.query_one("#zoo-image", PixelImageView).set_picture(sharp)
        else:
            grid = [] if picture is None or isinstance(picture, Image.Image) else picture
            self.query_one("#zoo-image", ImageView).set_pixels(grid)

    @work(exclusive=True, group="snapshot-image", exit_on_error=False)
    async def _decode(self, key: str, cache_key: tuple[str, int, int], data: bytes) -> None:
        """Decode off the UI loop, then draw if still wanted.

        Decodes run one at a time on one thread; moving on cancels this worker, which drops
        or stops its decode. Any failure is shown as "cannot draw", never left "decoding…".
        """
        pixels: PixelGrid | PILImage | str
        try:
            if self.image_protocol.is_sharp:
                from tui.widgets.pixel_image_view import PixelImageView

                box = self.query_one("#zoo-image", PixelImageView).pixel_box
                pixels = await decode_off_loop(decode_picture, data, *box)
            else:
                pixels = await decode_off_loop(decode_png, data, PICTURE_COLUMNS, PICTURE_ROWS)
        except ImageDecodeError as error:
            pixels = str(error)
        except DecodeCancelled:
            return
        except Exception:  # noqa: BLE001 - whatever a decoder raises, the image cannot be drawn
            pixels = "the image could not be decoded"
        self._pictures[cache_key] = pixels
        if self._shown_image == key and self.is_mounted and not self._pruning:
            self._draw(key)

    @property
    def shown_image(self) -> str | None:
        """The option id of the image drawn, if any."""
        return self._shown_image


class ZooAsyncDetailView(Vertical):
    """Everything about one Zoo async operation, with the fields of its type."""

    def __init__(self, clock: Clock, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="detail-view")
        self._clock = clock
        self._code: str | None = ""

    def compose(self) -> ComposeResult:
        yield Fields(id="zoo-async-summary")
        yield Label("Timeline", classes="section-title")
        yield Fields(id="zoo-async-times")
        yield Label("Operation", classes="section-title")
        yield Fields(id="zoo-async-fields")
        yield Label("Outputs", classes="section-title")
        yield Fields(id="zoo-async-outputs")
        yield Static(id="zoo-async-code")
        yield Fields(id="zoo-async-io")

    def update_detail(self, detail: JobDetail) -> None:
        """Show a (new) response for the operation."""
        assert isinstance(detail, ZooAsyncDetail)
        now = self._clock()
        job = detail.job
        self.query_one("#zoo-async-summary", Fields).show(
            [
                ["type", detail.type],
                ["status", state_cell(job.state, job.status)],
                ["error", (detail.error, "error") if detail.error else None],
                ["worker", detail.worker],
                ["attempts", number_cell(detail.attempts)],
                ["user", id_cell(detail.user_id)],
            ]
        )
        end = detail.completed_at
        self.query_one("#zoo-async-times", Fields).show(
            time_rows(
                [
                    ("created", detail.created_at),
                    ("started", detail.started_at),
                    ("completed", detail.completed_at),
                    ("updated", detail.updated_at),
                ],
                now,
            )
            + [
                ["waited", duration_cell(detail.created_at, detail.started_at), ""],
                ["ran", run_time_cell(job, now), ""],
                [
                    "total",
                    duration_cell(detail.created_at, end or (now if job.state.is_active else None)),
                    "",
                ],
            ]
        )
        self.query_one("#zoo-async-fields", Fields).show(type_rows(detail))
        self.query_one("#zoo-async-outputs", Fields).show(
            [[output.name, fmt_size(output.size)] for output in detail.outputs]
            or [["outputs", "none"]]
        )
        if detail.code != self._code:
            self._code = detail.code
            code_view = self.query_one("#zoo-async-code", Static)
            code_view.update(kcl_syntax(detail.code) if detail.code else Content(""))
            code_view.display = bool(detail.code)
        self.query_one("#zoo-async-io", Fields).show(
            [
                [label, value if isinstance(value, str) else pretty_json(value)]
                for label, value in (("input", detail.input), ("output", detail.output))
                if value not in (None, "", {}, [])
            ]
        )


def type_rows(detail: ZooAsyncDetail) -> list[list[Cell]]:
    """The fields of the operation's type that are present: formats, units, results, prompt."""
    centre = detail.center_of_mass
    rows: list[tuple[str, Any]] = [
        ("source format", detail.src_format),
        ("output format", detail.output_format),
        ("source options", _json_or_none(detail.src_format_options)),
        ("output options", _json_or_none(detail.output_format_options)),
        ("output unit", detail.output_unit),
        ("material density", _with_unit(detail.material_density, detail.material_density_unit)),
        ("material mass", _with_unit(detail.material_mass, detail.material_mass_unit)),
        ("volume", _with_unit(detail.volume, detail.output_unit)),
        ("mass", _with_unit(detail.mass, detail.output_unit)),
        ("density", _with_unit(detail.density, detail.output_unit)),
        ("surface area", _with_unit(detail.surface_area, detail.output_unit)),
        (
            "centre of mass",
            None
            if centre is None
            else "("
            + ", ".join(str(number_cell(v) or "—") for v in centre)
            + ")"
            + (f" {detail.output_unit}" if detail.output_unit else ""),
        ),
        ("prompt", detail.prompt),
        ("model", detail.model),
        ("model version", detail.model_version),
        ("KCL version", detail.kcl_version),
        ("conversation", id_cell(detail.conversation_id)),
        ("feedback", detail.feedback),
    ]
    present: list[list[Cell]] = [[label, value] for label, value in rows if value is not None]
    return present or [["fields", "none for this type"]]


def _json_or_none(value: Any) -> str | None:
    return None if value is None else pretty_json(value)


def _with_unit(value: float | None, unit: str | None) -> str | None:
    if value is None:
        return None
    number = number_cell(value, 6)
    return f"{number} {unit}" if unit else str(number)
