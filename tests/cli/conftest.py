"""A simulator on loopback and a config file whose four accounts point at it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tui.sim.server import SimServer

TOKENS = {
    "ZOO_TOKEN": "zoo-tok-Q7f3kZ",
    "METAFOLD_TOKEN": "mf-tok-W2p9xB",
    "LETTR_TOKEN": "ll-tok-K5s1vD",
    "HDR_TOKEN": "hdr-tok-J8m4nC",
}


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with SimServer(jobs=40, seed=11) as server:
        yield server


def write_config(path: Path, sim: SimServer, *, hdr_track: list[str]) -> Path:
    tracked = ", ".join(f'"{i}"' for i in hdr_track)
    path.write_text(
        f"""
refresh = 1

[[account]]
name = "zoo"
provider = "zoo"
base_url = "{sim.base_url("zoo")}"
token_env = "ZOO_TOKEN"

[[account]]
name = "mf"
provider = "metafold"
base_url = "{sim.base_url("metafold")}"
token_env = "METAFOLD_TOKEN"

[[account]]
name = "ll"
provider = "lettrlabs"
base_url = "{sim.base_url("lettrlabs")}"
token_env = "LETTR_TOKEN"

[[account]]
name = "hdr"
provider = "hdrjpg"
base_url = "{sim.base_url("hdrjpg")}"
token_env = "HDR_TOKEN"
track = [{tracked}]
"""
    )
    return path


@pytest.fixture
def config(tmp_path: Path, sim: SimServer) -> Path:
    hdr = sim.tracked_ids().get("hdrjpg", [])[:4]
    return write_config(tmp_path / "config.toml", sim, hdr_track=hdr)


def run_jobtop(
    *args: str, config: Path | None = None, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `jobtop` console script of this venv."""
    script = Path(sys.executable).parent / "jobtop"
    argv = [str(script), *args]
    if config is not None:
        argv += ["--config", str(config)]
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **TOKENS, **(env or {})},
        timeout=timeout,
    )
