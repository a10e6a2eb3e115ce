"""Hostile strings from every provider reach the command line's output only as plain text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import TOKENS, run_jobtop, write_config
from tui.sim.server import SimServer

ESCAPES = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff"
    r"\u2028\u2029\u00ad\u3164\ufe00-\ufe0f\U000e0000-\U000e0fff\U0001f3fb-\U0001f3ff]"
)


@pytest.fixture(scope="module")
def hostile_sim() -> Iterator[SimServer]:
    server = SimServer(jobs=20, seed=4, faults=["all:hostile_strings"])
    server.start()
    yield server
    server.stop()


@pytest.fixture
def hostile_config(tmp_path: Path, hostile_sim: SimServer) -> Path:
    return write_config(
        tmp_path / "c.toml", hostile_sim, hdr_track=hostile_sim.tracked_ids()["hdrjpg"][:3]
    )


def assert_plain(text: str) -> None:
    found = ESCAPES.findall(text)
    assert not found, f"control characters reached the output: {sorted(set(found))!r}"
    for token in TOKENS.values():
        assert token not in text


@pytest.mark.parametrize("fmt", [(), ("--json",)], ids=["table", "json"])
def test_list_output_is_plain(hostile_config: Path, fmt: tuple[str, ...]) -> None:
    result = run_jobtop("list", *fmt, config=hostile_config)
    assert result.returncode == 0, result.stderr
    assert_plain(result.stdout)
    assert_plain(result.stderr)
    if fmt:
        jobs = json.loads(result.stdout)
        names = " ".join(str(j["name"]) + str(j["error"]) for j in jobs)
        assert "[@click=app.quit]" in names or "[bold red]" in names  # the text is kept, literally


@pytest.mark.parametrize("fmt", [(), ("--json",)], ids=["text", "json"])
def test_show_output_is_plain_for_every_provider(
    hostile_config: Path, fmt: tuple[str, ...]
) -> None:
    jobs = json.loads(run_jobtop("list", "--json", config=hostile_config).stdout)
    seen = set()
    for job in jobs:
        if job["account"] in seen:
            continue
        seen.add(job["account"])
        result = run_jobtop(
            "show", str(job["account"]), str(job["id"]), *fmt, config=hostile_config
        )
        assert result.returncode == 0, result.stderr
        assert_plain(result.stdout)
        if fmt:  # the raw response is shown too, its unsafe characters as JSON escapes
            document = json.loads(result.stdout)
            assert "raw" in document
    assert seen == {"zoo", "mf", "ll", "hdr"}
