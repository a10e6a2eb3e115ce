"""Test isolation shared by every test: no real config, state or tokens leak in or out."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO / "tests" / "fixtures" / "seeds"
"""The providers' documentation excerpts the product was specified from; every payload in
them must parse and display."""


@pytest.fixture(autouse=True)
def isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point config and state at fresh temporary directories and drop JOBTOP_* variables."""
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith("JOBTOP_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("JOBTOP_STATE_DIR", str(home / "state" / "jobtop"))
    yield home
