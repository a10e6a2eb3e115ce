"""`scripts/screenshots.py` writes every README screenshot: SVG, expected text, no token.

Runs the script as a user would (a child process, `--out` a temp dir), then checks each
file, and checks the README gallery writer on a scratch README.
"""

from __future__ import annotations

import html
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from rich.cells import cell_len

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "screenshots.py"
TOKEN = "demo-token"
"""The token `demo_settings` gives every demo account."""

EXPECTED: dict[str, tuple[str, ...]] = {
    "main": ("demo-zoo", "demo-metafold", "demo-lettrlabs", "demo-hdrjpg", "1,229 of 1,229 jobs"),
    "failed": ("states: failed", "✖ failed", "Could not decode the source image"),
    "detail-hdrjpg": ("88667411-3fb9-4c92-8488-8e277aed3021", "test_1200q80.jpg", "jpeg-xt"),
    "detail-zoo-conversion": ("dataset_conversion", "Snapshot images", "original #1", "raw_kcl #1"),
    "detail-zoo-async": (
        "0ca1531a-ac9b-4e55-bff6-2ec246d5cc1d",
        "file_center_of_mass",
        "WPVfuf6GvdhG6a7oMb",
    ),
    "detail-metafold": (
        "metafold · job · demo-metafold",
        "part.stl",
        "18ac5faec0625a35.bin",
        "sample-preprocess",
    ),
    "detail-lettrlabs": (
        "lettrlabs · conversion · demo-lettrlabs",
        "Errors and warnings",
        "Acme Mailers",
    ),
    "failing-source": ("✖ failing", "Provider unavailable", "data 5 minutes old"),
    "oncall-80x24": ("states: failed", "changed in the last 1 h", "✖ failed"),
}
LIST_SIZES: dict[str, tuple[int, int]] = {
    "main": (140, 40),
    "failed": (140, 40),
    "failing-source": (140, 40),
    "oncall-80x24": (80, 24),
}
"""The job list's shots, in columns and rows (the 80x24 one made at its own size)."""


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("jobtop_screenshots", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def svg_text(svg: str) -> str:
    """The terminal text of a Rich SVG export: its `<text>` runs, one line per row."""
    rows: dict[str, list[str]] = {}
    for match in re.finditer(r'<text[^>]*y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        rows.setdefault(match.group(1), []).append(
            html.unescape(match.group(2)).replace("\xa0", " ")
        )
    return "\n".join("".join(parts) for parts in rows.values())


def test_script_writes_every_screenshot(tmp_path: Path) -> None:
    out = tmp_path / "shots"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=110,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert TOKEN not in result.stdout + result.stderr
    names = {shot.name for shot in load_script().SHOTS}
    assert names == set(EXPECTED)
    assert {path.stem for path in out.glob("*.svg")} == names
    for name, texts in EXPECTED.items():
        svg = (out / f"{name}.svg").read_text(encoding="utf-8")
        assert svg.lstrip().startswith("<svg") and svg.rstrip().endswith("</svg>"), name
        text = svg_text(svg)
        for expected in texts:
            assert expected in text, f"{name}.svg lacks {expected!r}"
        assert TOKEN not in svg and TOKEN not in text, f"{name}.svg shows the token"
        assert "Traceback" not in text, name
        if name in LIST_SIZES:  # the rows under the window's title; the rule spans the screen
            columns, rows = LIST_SIZES[name]
            lines = text.splitlines()[1:]
            assert len(lines) == rows, f"{name}.svg has {len(lines)} rows, not {rows}"
            # The rule under the source bar spans the screen; a one-line bar has none, and
            # then the widest line (the status line, cut at the edge) tells the width.
            rule = max((len(run) for run in re.findall("─+", text)), default=0)
            width = rule or max(cell_len(line) for line in lines)
            assert width == columns, f"{name}.svg is {width} columns wide, not {columns}"


def test_readme_gallery_goes_after_quick_start_then_between_markers(tmp_path: Path) -> None:
    script = load_script()
    readme = tmp_path / "README.md"
    readme.write_text("# jobtop\n\n## Quick start\n\nrun it\n\n## Configuration\n\nTOML\n")
    assert script.write_readme(readme)
    text = readme.read_text()
    assert text.index("## Quick start") < text.index(script.BEGIN) < text.index("## Configuration")
    for shot in script.SHOTS:
        assert f"![{shot.caption}](screenshots/{shot.name}.svg)" in text
    assert not script.write_readme(readme)  # idempotent
    readme.write_text(text.replace("## Screenshots", "## Old pictures"))
    assert script.write_readme(readme)
    assert readme.read_text() == text
