"""No Textual below the UI layer (docs/design.md §1), checked in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

LOWER_MODULES = [
    "tui.models",
    "tui.errors",
    "tui.sanitize",
    "tui.config",
    "tui.store",
    "tui.clock",
    "tui.secret",
    "tui.providers.base",
]
LOWER_PACKAGES = ["job_index", "providers", "sim", "sync"]
LOWER_FILES = [
    "models.py",
    "errors.py",
    "sanitize.py",
    "store.py",
    "config.py",
    "details.py",
    "formatting.py",
    "commands.py",
    "terminal.py",
]


def _importable_lower_modules() -> list[str]:
    modules = list(LOWER_MODULES)
    for package in LOWER_PACKAGES:
        for path in sorted((REPO / "tui" / package).glob("*.py")):
            if path.name != "__init__.py":
                modules.append(f"tui.{package}.{path.stem}")
    for name in ("details", "formatting", "commands", "terminal"):
        if (REPO / "tui" / f"{name}.py").exists():
            modules.append(f"tui.{name}")
    return sorted(set(modules))


def test_lower_layers_do_not_import_textual() -> None:
    modules = _importable_lower_modules()
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip() == "", f"textual imported by a lower layer: {result.stdout}"


def test_no_textual_import_statement_below_ui() -> None:
    offenders = []
    paths: list[Path] = [REPO / "tui" / name for name in LOWER_FILES]
    for package in LOWER_PACKAGES:
        paths.extend((REPO / "tui" / package).rglob("*.py"))
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith(("import textual", "from textual")):
                offenders.append(f"{path.relative_to(REPO)}: {stripped}")
    assert offenders == []


def test_version_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from tui.cli import run\n"
        "try:\n    run(['--version'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('textual', 'httpx', 'starlette', 'uvicorn', 'PIL', 'humanize')\n"
        "         if m in sys.modules]\n"
        "print(','.join(heavy), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.stdout.strip().startswith("jobtop ")
    assert result.stderr.strip() == ""


def test_import_linter_contracts_are_kept() -> None:
    """The contracts in pyproject.toml hold: the layers (models and errors at the bottom,
    the entry points at the top), no Textual below the UI, and no import cycles."""
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]
    assert "Contracts: 3 kept, 0 broken." in result.stdout
