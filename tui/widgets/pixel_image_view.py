"""Pictures drawn with real pixels: Kitty's graphics protocol or Sixel, through textual-image.

textual-image asks the terminal questions when it is imported on a terminal (its own
protocol choice, and the size of a cell in pixels), and the answers can only be read
before Textual owns standard input. So this module is imported only by
`tui.dashboard.resolve_image_protocol` before the app starts (through `prepare_terminal`)
and by views whose protocol is already a sharp one; never when the app is imported.
With no terminal (tests, pipes) the import asks nothing and cells count as 10×20 pixels.

The bytes are decoded and scaled down by `tui.widgets.image_view.decode_picture`, with
the same size caps as the half blocks, before textual-image sees them.
"""

from __future__ import annotations

import sys
from typing import TextIO

from PIL import Image
from textual.app import ComposeResult
from textual.geometry import Size
from textual.widget import Widget
from textual_image._terminal import get_cell_size
from textual_image.renderable import sixel as sixel_renderable
from textual_image.renderable import tgp as tgp_renderable
from textual_image.widget import SixelImage, TGPImage

from tui.image_protocol import ImageProtocol

LibraryImage = TGPImage | SixelImage


def prepare_terminal(protocol: ImageProtocol, *, confirm: bool) -> ImageProtocol:
    """Ready textual-image for `protocol`; call before the app starts.

    Importing this module has already measured the cell size (cached by textual-image).

    Args:
        protocol: KITTY or SIXEL.
        confirm: Ask the terminal whether it really draws `protocol` (for `auto`).

    Returns:
        `protocol`, or HALFBLOCK when `confirm` is set and the terminal says no.
    """
    if not confirm:
        return protocol
    if not _is_terminal(sys.__stdin__) or not _is_terminal(sys.__stdout__):
        return ImageProtocol.HALFBLOCK
    if protocol is ImageProtocol.KITTY:
        supported = tgp_renderable.query_terminal_support()
    elif protocol is ImageProtocol.SIXEL:
        supported = sixel_renderable.query_terminal_support()
    else:
        supported = False
    return protocol if supported else ImageProtocol.HALFBLOCK


def _is_terminal(stream: TextIO | None) -> bool:
    return stream is not None and not stream.closed and stream.isatty()


def cell_pixels() -> tuple[int, int]:
    """The size of one terminal cell in pixels (width, height), as textual-image measured it."""
    size = get_cell_size()
    return max(1, size.width), max(1, size.height)


def cells_for(
    picture: tuple[int, int], cell: tuple[int, int], max_columns: int, max_rows: int
) -> Size:
    """The cells (columns, lines) a picture is drawn on: the largest that fit, aspect kept.

    A small picture is scaled up by the terminal to cover as many cells as the half-block
    drawing of it would, so switching protocol never shrinks the picture on screen.
    """
    width, height = max(1, picture[0]), max(1, picture[1])
    cell_width, cell_height = cell
    scale = min(max_columns * cell_width / width, max_rows * cell_height / height)
    columns = min(max_columns, max(1, round(width * scale / cell_width)))
    rows = min(max_rows, max(1, round(height * scale / cell_height)))
    return Size(columns, rows)


class PixelImageView(Widget):
    """Shows a picture with Kitty's graphics protocol or Sixel; sized to the picture in cells."""

    DEFAULT_CSS = """
    PixelImageView {
        width: auto;
        height: auto;
    }
    """

    def __init__(
        self,
        protocol: ImageProtocol,
        *,
        max_columns: int = 48,
        max_rows: int = 14,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """A view for pictures of at most `max_columns` × `max_rows` cells.

        Raises:
            ValueError: `protocol` is not KITTY or SIXEL.
        """
        if not protocol.is_sharp:
            raise ValueError(f"{protocol} is not a pixel protocol")
        super().__init__(name=name, id=id, classes=classes)
        self.protocol = protocol
        """KITTY or SIXEL."""
        self.max_columns = max(1, max_columns)
        self.max_rows = max(1, max_rows)
        self._picture: Image.Image | None = None
        self._cells = Size(0, 0)
        self._library_image: LibraryImage = (
            TGPImage() if protocol is ImageProtocol.KITTY else SixelImage()
        )

    @property
    def pixel_box(self) -> tuple[int, int]:
        """The largest picture, in pixels (width, height), that fits the view's cells."""
        cell_width, cell_height = cell_pixels()
        return self.max_columns * cell_width, self.max_rows * cell_height

    @property
    def picture(self) -> Image.Image | None:
        """The picture shown, if any."""
        return self._picture

    @property
    def picture_size(self) -> Size:
        """The picture's size in cells (columns, lines)."""
        return self._cells

    @property
    def library_image(self) -> LibraryImage:
        """textual-image's widget that draws the picture."""
        return self._library_image

    def compose(self) -> ComposeResult:
        yield self._library_image

    def on_mount(self) -> None:
        self._apply()

    def on_unmount(self) -> None:
        """Free the picture in the terminal (Kitty keeps transmitted images until told)."""
        if isinstance(self._library_image, TGPImage):
            self._library_image.image = None

    def set_picture(self, picture: Image.Image | None) -> None:
        """Replace the picture (None shows nothing); at most `pixel_box`, to save bytes."""
        self._picture = picture
        if picture is None:
            self._cells = Size(0, 0)
        else:
            self._cells = cells_for(picture.size, cell_pixels(), self.max_columns, self.max_rows)
        if self.is_mounted:
            self._apply()

    def _apply(self) -> None:
        image = self._library_image
        image.styles.width = self._cells.width
        image.styles.height = self._cells.height
        image.display = self._picture is not None
        if image.image is not self._picture:
            image.image = self._picture
        self.refresh(layout=True)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self._cells.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._cells.height
