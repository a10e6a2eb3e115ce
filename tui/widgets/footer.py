"""Textual's Footer, without the key widgets it leaves behind on every recompose, and
without keys cut in half on a narrow terminal."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

KEY_PADDING = 3
"""Cells around a key and its description: Textual's `FooterKey` pads the key with a
space on each side and the description with one after it."""
PALETTE_EXTRA = 3
"""Cells around the command palette's key (docked right): a border on its left, a space
between key and description (Textual draws that key compact, as it never binds its
`compact` to the footer's) and a space on its right."""
LAST_KEY_SLACK = 1
"""The space after the last key's description may sit under the palette's border."""
KEPT_KEYS = frozenset({"question_mark"})
"""Keys shown however narrow the footer: `?` lists every other key."""


def key_cells(key: FooterKey) -> int:
    """The cells a footer key takes (not compact)."""
    if not key.description:
        return cell_len(key.key_display)
    return cell_len(key.key_display) + cell_len(key.description) + KEY_PADDING


def palette_cells(key: FooterKey) -> int:
    """The cells the command palette's key takes."""
    return cell_len(key.key_display) + cell_len(key.description) + PALETTE_EXTRA


class KeysFooter(Footer):
    """The footer of key bindings; recomposing it does not keep the old keys alive, and
    a footer too narrow for every key shows the keys that fit whole.

    Each `FooterKey` binds `compact` to its footer with `data_bind`, which adds a watcher
    to the footer. Textual drops the watchers of removed keys only when `compact` next
    changes, which it never does: the footer recomposes whenever the bindings change
    (each time a screen is opened or closed), so every old key and everything it holds
    stayed in memory for the life of the app (the long soak found it). Mutating `compact`
    after a recompose makes Textual prune them.

    When the keys do not all fit, `?` (the list of every key) stays, and the others are
    shown from the left while they fit whole; Textual would cut the last one mid-word
    under the palette's key.
    """

    def compose(self) -> ComposeResult:
        """Textual's keys, those that do not fit hidden."""
        widgets = list(super().compose())
        fit_keys(widgets, self.size.width)
        yield from widgets

    async def recompose(self) -> None:
        """Recompose, then let go of the keys just removed."""
        await super().recompose()
        self.mutate_reactive(Footer.compact)

    def on_resize(self, event: events.Resize) -> None:
        """Show the keys that fit the new width."""
        fit_keys(list(self.children), event.size.width)


def fit_keys(widgets: Sequence[Widget], width: int) -> None:
    """Hide the keys that do not fit in `width` cells (a width of 0 is not known yet).

    Footers with key groups are left as Textual draws them (jobtop has none).
    """
    keys = [widget for widget in widgets if isinstance(widget, FooterKey)]
    if width <= 0 or len(keys) != len(widgets):
        return
    palette = [key for key in keys if key.has_class("-command-palette")]
    others = [key for key in keys if not key.has_class("-command-palette")]
    room = width - sum(map(palette_cells, palette)) + LAST_KEY_SLACK
    shown = {id(key) for key in others}
    if sum(map(key_cells, others)) > room:
        kept = [key for key in others if key.key in KEPT_KEYS]
        room -= sum(map(key_cells, kept))
        shown = {id(key) for key in kept}
        for key in others:
            if id(key) in shown:
                continue
            if key_cells(key) > room:
                break
            shown.add(id(key))
            room -= key_cells(key)
    for key in others:
        key.display = id(key) in shown
