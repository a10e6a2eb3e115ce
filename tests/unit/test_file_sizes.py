"""No module of `tui/` grows past `MAX_LINES` unless it is named below with the reason."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import REPO

MAX_LINES = 600

EXCEPTIONS: dict[str, str] = {
    "tui/screens/jobs.py": "the main screen's forty handlers, actions and workers, one class",
    "tui/store.py": "one SQLite store class over one connection and its lock",
    "tui/commands.py": "every scriptable command (list, show, watch, track, config) in one module",
    "tui/job_index/index.py": "JobIndex is one class over per-slot lists shared by all its parts",
    "tui/sim/zoo.py": "the simulated Zoo's two surfaces, until each provider is a package",
    "tui/widgets/job_table.py": "the virtual table: rendering, cursor memory and cells",
    "tui/sync/engine.py": "the per-source refresh loop and its policy, health and summary",
}
"""Modules allowed past the limit, each with why; one that shrinks under it leaves the list."""


def line_counts(root: Path) -> dict[str, int]:
    """Lines of every `.py` file under `root`, subpackages included, by path from root's parent."""
    return {
        path.relative_to(root.parent).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(root.rglob("*.py"))
    }


def over_limit(counts: dict[str, int]) -> dict[str, int]:
    return {name: lines for name, lines in counts.items() if lines > MAX_LINES}


def test_no_module_is_over_the_limit_unless_named() -> None:
    counts = line_counts(REPO / "tui")
    assert "tui/job_index/search.py" in counts  # the walk reaches into subpackages
    unnamed = {name: n for name, n in over_limit(counts).items() if name not in EXCEPTIONS}
    assert unnamed == {}, f"over {MAX_LINES} lines: split them, or name them with a reason"


def test_every_named_exception_still_needs_to_be_one() -> None:
    counts = line_counts(REPO / "tui")
    stale = {name: counts.get(name) for name in EXCEPTIONS if counts.get(name, 0) <= MAX_LINES}
    assert stale == {}, "gone or under the limit: remove them from EXCEPTIONS"


def test_the_limit_is_on_lines_in_every_subpackage(tmp_path: Path) -> None:
    root = tmp_path / "tui"
    (root / "deep" / "er").mkdir(parents=True)
    (root / "small.py").write_text("x = 1\n" * MAX_LINES)
    (root / "deep" / "er" / "big.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (root / "deep" / "notes.txt").write_text("x\n" * (MAX_LINES + 1))
    assert over_limit(line_counts(root)) == {"tui/deep/er/big.py": MAX_LINES + 1}
