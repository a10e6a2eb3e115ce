"""HelpScreen: every key of the app, the jobs screen and the job table, from their BINDINGS."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static


def _bindings(bindings: Iterable[BindingType]) -> list[Binding]:
    result: list[Binding] = []
    for binding in bindings:
        if isinstance(binding, Binding):
            result.append(binding)
        else:
            result.append(Binding(*binding))
    return result


def key_display(keys: str) -> str:
    """`up,k` shown as `↑ / k`."""
    names = {
        "up": "↑", "down": "↓", "left": "←", "right": "→", "slash": "/",
        "question_mark": "?", "plus": "+", "minus": "-", "equals_sign": "=",
        "escape": "Esc", "enter": "Enter", "tab": "Tab", "shift+tab": "Shift+Tab",
        "pageup": "PgUp", "pagedown": "PgDn", "home": "Home", "end": "End",
    }
    return " / ".join(names.get(key.strip(), key.strip()) for key in keys.split(","))


def help_lines(sections: Iterable[tuple[str, Iterable[BindingType]]]) -> Content:
    """The help text: a heading per section, then one line per binding."""
    lines: list[Content] = []
    for title, bindings in sections:
        lines.append(Content.styled(title, "bold $accent"))
        for binding in _bindings(bindings):
            keys = key_display(binding.key).ljust(18)
            description = binding.description or binding.action
            detail = f" — {binding.tooltip}" if binding.tooltip else ""
            lines.append(
                Content.assemble((f"  {keys}", "bold"), description, (detail, "$text-muted"))
            )
        lines.append(Content(""))
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    """Lists every key binding; any of Esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss_help", "Close", id="help.close",
                tooltip="Close the help"),
    ]

    def __init__(self, sections: list[tuple[str, list[BindingType]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(Content.styled("jobtop keys", "bold"), id="help-title")
            yield Static(help_lines(self.sections), id="help-keys")

    def action_dismiss_help(self) -> None:
        """Close the help."""
        self.dismiss(None)
