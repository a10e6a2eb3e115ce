"""The repository stands on its own: no tracked file points at notes kept outside it.

Design notes live in `docs/`; a reference to the upstream spec files or to a sibling
`shared` directory would send a reader somewhere a clone does not have.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

OUTSIDE = re.compile(
    r"(?:\.\./|/work/)shared\b"  # a sibling checkout or the machine's copy of it
    r"|(?<![\w/])shared/(?:seeds|spec|contracts|hooks)\b"  # its folders, named bare
    r"|\bspec/[\w.-]+\.md\b"  # a file of the upstream spec directory
    r"|\b(?:product|providers|reliability|style)\.md\b"  # the spec's files by name
)
"""A reference that points outside the repository."""

SELF = Path(__file__).resolve()
"""This file, whose examples of such references are left out of the walk."""


def tracked_files(repo: Path) -> list[Path]:
    """Every file git tracks in `repo` that exists in the work tree."""
    try:
        listing = subprocess.run(
            ["git", "-C", str(repo), "ls-files", "-z"],
            check=True,
            capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"not a git checkout: {error}")
    paths = (repo / name for name in listing.decode().split("\0") if name)
    return [path for path in paths if path.is_file()]


def outside_references(path: Path) -> list[str]:
    """`line: text` of each line of a text file that points outside the repository."""
    data = path.read_bytes()
    if b"\0" in data:
        return []  # binary (screenshots, images)
    text = data.decode("utf-8", errors="replace")
    return [
        f"{number}: {line.strip()[:120]}"
        for number, line in enumerate(text.splitlines(), start=1)
        if OUTSIDE.search(line)
    ]


def test_no_tracked_file_points_outside_the_repository() -> None:
    files = tracked_files(REPO)
    assert REPO / "README.md" in files and SELF in files  # the walk sees the tracked tree
    found = {
        path.relative_to(REPO).as_posix(): hits
        for path in files
        if path.resolve() != SELF and (hits := outside_references(path))
    }
    assert found == {}, "point these inside the repository (docs/, tests/fixtures/) or drop them"


@pytest.mark.parametrize(
    "line",
    [
        "see ../shared/spec/product.md",
        "Copied from `/work/shared/seeds/`:",
        "The documentation examples (shared/seeds/), served verbatim",
        "the rules of spec/reliability.md §3",
        "as style.md says",
        "(providers.md, Zoo)",
    ],
)
def test_a_reference_outside_is_found(tmp_path: Path, line: str) -> None:
    note = tmp_path / "note.md"
    note.write_text(f"# Notes\n\n{line}\n")
    assert outside_references(note) == [f"3: {line}"]


@pytest.mark.parametrize(
    "line",
    [
        "the layers of docs/design.md §1",
        "tui/providers/zoo.py and tests/providers/",
        "state shared by every test",
        "a fault spec such as all:latency",
        "README.md",
    ],
)
def test_references_inside_are_left_alone(tmp_path: Path, line: str) -> None:
    note = tmp_path / "note.md"
    note.write_text(line)
    assert outside_references(note) == []
