"""`python3 dev.py check`: every static check runs, and any failure fails the whole."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

import dev


def _tool(bin_dir: Path, name: str, code: int, log: Path) -> None:
    path = bin_dir / name
    path.write_text(f'#!/bin/sh\necho {name} "$@" >> {log}\nexit {code}\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_check_runs_every_tool_even_after_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "ran.txt"
    _tool(tmp_path, "bad", 1, log)
    _tool(tmp_path, "good", 0, log)
    monkeypatch.setattr(dev, "CHECKS", (("first", ["bad", "x"]), ("second", ["good", "y"])))
    assert dev.check(tmp_path) == 1
    assert log.read_text().splitlines() == ["bad x", "good y"]
    monkeypatch.setattr(dev, "CHECKS", (("only", ["good", "z"]),))
    assert dev.check(tmp_path) == 0


def test_the_checks_are_ruff_format_mypy_and_import_linter() -> None:
    tools = [argv for _, argv in dev.CHECKS]
    assert ["ruff", "check"] == tools[0][:2]
    assert ["ruff", "format", "--check"] == tools[1][:3]
    assert tools[2][0] == "mypy" and {"tui", "tests"} <= set(tools[2])
    assert tools[3] == ["lint-imports"]
