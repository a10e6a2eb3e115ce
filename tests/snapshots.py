"""The type of pytest-textual-snapshot's `snap_compare` fixture (the plugin ships no type
information, and the return type it declares omits the arguments the tests pass)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from pathlib import PurePath
from typing import Any, Protocol

from textual.app import App
from textual.pilot import Pilot


class SnapCompare(Protocol):
    def __call__(
        self,
        app: str | PurePath | App[Any],
        press: Iterable[str] = (),
        terminal_size: tuple[int, int] = (80, 24),
        run_before: Callable[[Pilot[Any]], Awaitable[None] | None] | None = None,
    ) -> bool:
        """Compare a screenshot of `app` with the stored SVG snapshot."""
        ...
