"""`tests.waiting.wait_for`: returns once the condition holds, fails the test if it never does."""

from __future__ import annotations

import pytest
from textual.app import App

from tests.waiting import wait_for


class Ticking(App[None]):
    """Counts its own timer's ticks."""

    def __init__(self) -> None:
        super().__init__()
        self.ticks = 0

    def on_mount(self) -> None:
        self.set_interval(0.01, self.tick)

    def tick(self) -> None:
        self.ticks += 1


async def test_returns_once_the_app_has_made_the_condition_true() -> None:
    app = Ticking()
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.ticks >= 3, "three ticks")
        assert app.ticks >= 3


async def test_a_condition_that_never_holds_fails_the_test_and_names_it() -> None:
    app = Ticking()
    async with app.run_test() as pilot:
        with pytest.raises(AssertionError, match="never came true: a tick in the past"):
            await wait_for(pilot, lambda: app.ticks < 0, "a tick in the past", timeout=0.2)
        assert app.ticks > 0, "the app ran while it waited"
