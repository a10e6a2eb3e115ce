"""Textual's Footer, without the key widgets it leaves behind on every recompose."""

from __future__ import annotations

from textual.widgets import Footer


class KeysFooter(Footer):
    """The footer of key bindings; recomposing it does not keep the old keys alive.

    Each `FooterKey` binds `compact` to its footer with `data_bind`, which adds a watcher
    to the footer. Textual drops the watchers of removed keys only when `compact` next
    changes, which it never does: the footer recomposes whenever the bindings change
    (each time a screen is opened or closed), so every old key and everything it holds
    stayed in memory for the life of the app (the long soak found it). Mutating `compact`
    after a recompose makes Textual prune them.
    """

    async def recompose(self) -> None:
        """Recompose, then let go of the keys just removed."""
        await super().recompose()
        self.mutate_reactive(Footer.compact)
