"""No string is handed to Textual as markup: a guard over the `tui` package's source.

Textual parses a plain `str` as content markup in `notify` (unless `markup=False`) and in
`Static`/`Label` (unless `markup=False`), so a server string or a source's name in one
(`[/x]`) raises `MarkupError` or turns into styles and links. The dashboard passes
`Content`/`Text` objects or `markup=False`; this fails on a new call that does neither.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import tui

PACKAGE = Path(tui.__file__).parent
WIDGETS = {"Static", "Label"}
"""Widgets whose first argument, a `str`, is read as markup."""


def calls() -> Iterator[tuple[str, ast.Call]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                yield f"{path.relative_to(PACKAGE.parent)}:{node.lineno}", node


def markup_off(call: ast.Call) -> bool:
    return any(
        keyword.arg == "markup"
        and isinstance(keyword.value, ast.Constant)
        and keyword.value.value is False
        for keyword in call.keywords
    )


def name_of(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def is_super_call(call: ast.Call) -> bool:
    """`super().notify(...)`: the app's own cleaning override passing the flag on."""
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Call)
        and getattr(func.value.func, "id", "") == "super"
    )


def is_markup_free_literal(node: ast.expr) -> bool:
    """A string constant with no `[` in it: nothing to parse."""
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and "[" not in node.value


def test_every_notification_is_plain_text() -> None:
    found = [
        where
        for where, call in calls()
        if name_of(call) == "notify" and not is_super_call(call) and not markup_off(call)
    ]
    assert found == [], f"notify() without markup=False: {found}"


def test_no_text_is_built_into_a_markup_widget() -> None:
    """`Static`/`Label` take a constant, a `Content`/`Text`, or `markup=False`: never an
    f-string, a concatenation or a `%`/`format` of text."""
    found = [
        where
        for where, call in calls()
        if name_of(call) in WIDGETS
        and call.args
        and not markup_off(call)
        and not is_markup_free_literal(call.args[0])
        and isinstance(call.args[0], ast.JoinedStr | ast.BinOp | ast.Constant | ast.Name)
    ]
    assert found == [], f"text that Textual would parse as markup: {found}"
