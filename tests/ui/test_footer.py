"""The footer lets go of its old key widgets when it recomposes (found by the long soak)."""

from __future__ import annotations

import gc

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey

from tests.waiting import wait_for
from tui.widgets.footer import KeysFooter


class _Detail(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("y", "app.bell", "Copy")]

    def compose(self) -> ComposeResult:
        yield Static("detail")
        yield KeysFooter()


class _FooterApp(App[None]):
    BINDINGS = [Binding("d", "open", "Open"), Binding("r", "app.bell", "Refresh")]

    def compose(self) -> ComposeResult:
        yield Static("list")
        yield KeysFooter()

    def action_open(self) -> None:
        self.push_screen(_Detail())


def _detached_keys() -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, FooterKey) and not obj.is_attached)


async def test_opening_and_closing_screens_leaves_no_footer_keys_behind() -> None:
    app = _FooterApp()
    async with app.run_test(size=(80, 12)) as pilot:
        await pilot.pause()
        before = _detached_keys()  # left by earlier tests in this process, if any
        for _ in range(8):
            await pilot.press("d")
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
        footer = app.screen.query_one(Footer)
        assert isinstance(footer, KeysFooter)
        assert len(footer.query(FooterKey)) >= 2
        # The last recompose may still be finishing on a loaded machine: wait for it (the
        # leak it guards against grows with every screen and never reaches zero).
        await wait_for(pilot, lambda: _detached_keys() <= before)
        assert _detached_keys() <= before
