"""HelpScreen: every key of every context, each line from a class's own `BINDINGS`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Static

FOOTNOTE = (
    "Everywhere else, Textual's usual keys: ↑ ↓ PgUp PgDn Home End in lists, tables and "
    "scrolling text, ← → between tabs, Space or Enter on a choice, and the mouse."
)
"""Keys of Textual's own widgets that mean nothing particular to jobtop."""

SEARCH_SYNTAX: tuple[tuple[str, str], ...] = (
    ("zoo failed", "every word must match; a word looks in every field, the state too"),
    ("state:failed", "one field: id, name, status, source, error, state"),
    ("!succeeded", "leave out what matches (also name:!x)"),
    ("status:error_*", "* and ? make a glob that must match the whole field"),
    ("re:^enc.*\\.obj$", "a regex (or /…/), on each field alone: ^ and $ anchor a field"),
    ('name:"two words"', "quotes keep blanks inside one word"),
)
"""The `/` search's query language, as (example, meaning) lines for the help screen."""


def own_bindings(node_class: type[DOMNode]) -> list[Binding]:
    """The bindings a class declares itself (not those it inherits), as `Binding`s."""
    declared: list[BindingType] = node_class.__dict__.get("BINDINGS", [])
    return [binding if isinstance(binding, Binding) else Binding(*binding) for binding in declared]


def key_display(keys: str) -> str:
    """`up,k` shown as `↑ / k`, `ctrl+b` as `Ctrl+B`."""
    names = {
        "up": "↑",
        "down": "↓",
        "left": "←",
        "right": "→",
        "slash": "/",
        "question_mark": "?",
        "plus": "+",
        "minus": "-",
        "equals_sign": "=",
        "escape": "Esc",
        "enter": "Enter",
        "tab": "Tab",
        "shift+tab": "Shift+Tab",
        "pageup": "PgUp",
        "pagedown": "PgDn",
        "home": "Home",
        "end": "End",
        "space": "Space",
    }
    return " / ".join(_key_name(key.strip(), names) for key in keys.split(","))


def _key_name(key: str, names: dict[str, str]) -> str:
    if key in names:
        return names[key]
    if key.startswith("ctrl+"):
        return f"Ctrl+{key[5:].upper()}"
    return key


def help_lines(sections: Iterable[tuple[str, Iterable[Binding]]]) -> Content:
    """The help text: a heading per section, then one line per binding."""
    lines: list[Content] = []
    for title, bindings in sections:
        lines.append(Content.styled(title, "bold $accent"))
        for binding in bindings:
            keys = key_display(binding.key).ljust(18)
            description = binding.description or binding.action
            detail = f" — {binding.tooltip}" if binding.tooltip else ""
            lines.append(
                Content.assemble((f"  {keys}", "bold"), description, (detail, "$text-muted"))
            )
        lines.append(Content(""))
    lines.append(Content.styled("Search (/) in the job list", "bold $accent"))
    for example, meaning in SEARCH_SYNTAX:
        lines.append(
            Content.assemble((f"  {example}".ljust(20), "bold"), " ", (meaning, "$text-muted"))
        )
    lines.append(Content(""))
    lines.append(Content.styled(FOOTNOTE, "$text-muted"))
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    """Lists every key binding; any of Esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,q,question_mark",
            "dismiss_help",
            "Close",
            id="help.close",
            tooltip="Close the help",
        ),
    ]

    def __init__(self, sections: list[tuple[str, list[Binding]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(
                Content.assemble(
                    ("jobtop keys", "bold"),
                    ("   ↑ ↓ PgUp PgDn scroll · Esc, q or ? close", "$text-muted"),
                ),
                id="help-title",
            )
            yield Static(help_lines(self.sections), id="help-keys")

    def action_dismiss_help(self) -> None:
        """Close the help."""
        self.dismiss(None)
