"""Reliability tests: the fault matrix's table is printed at the end of the run."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def load_fault_matrix() -> ModuleType:
    """`scripts/fault_matrix.py`, the code the matrix test shares with the script."""
    name = "jobtop_fault_matrix"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / "fault_matrix.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def pytest_configure(config: pytest.Config) -> None:
    """Give this run its own outcome directory; xdist workers inherit it."""
    if hasattr(config, "workerinput"):
        return
    matrix = load_fault_matrix()
    os.environ[matrix.RESULTS_ENV] = tempfile.mkdtemp(prefix="jobtop-fault-matrix-")


def pytest_unconfigure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    matrix = load_fault_matrix()
    directory = os.environ.pop(matrix.RESULTS_ENV, None)
    if directory:
        keep = matrix.RESULTS_DIR
        if any(Path(directory).glob("*.json")):
            shutil.rmtree(keep, ignore_errors=True)
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(directory, keep)
        shutil.rmtree(directory, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the fault × source table when matrix cases ran."""
    matrix = load_fault_matrix()
    directory = matrix.results_dir()
    outcomes = matrix.read_outcomes(directory) if directory.is_dir() else []
    if not outcomes:
        return
    terminalreporter.section("fault matrix")
    terminalreporter.write(matrix.markdown_table(outcomes))
    terminalreporter.write_line(
        f"(kept in {matrix.RESULTS_DIR}; `scripts/fault_matrix.py --from "
        f"{matrix.RESULTS_DIR.relative_to(matrix.ROOT)} --write-readme` updates README.md)"
    )
