#!/usr/bin/env python3
"""Set up and run jobtop from a checkout with nothing but Python 3.11+ and pip.

    python3 dev.py demo [ARGS...]   open the dashboard on the built-in simulator
    python3 dev.py test [ARGS...]   run the whole test suite (ARGS go to pytest)
    python3 dev.py check            ruff, ruff format --check, mypy --strict and the
                                    import-linter contracts (each runs; exit 1 if any fails)
    python3 dev.py run ARGS...      run any jobtop command from the checkout

The first run creates `.venv/` beside this file and installs the pinned dependencies from
`requirements.lock` (hash-checked) plus jobtop itself in editable mode; later runs reuse it
and reinstall only when the lock file changed.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

# Before any definition, in syntax every Python 3 parses (no `from __future__`, no
# annotations evaluated yet): an older Python gets one plain sentence.
if sys.version_info < (3, 11):  # noqa: UP036 - the check that makes 3.11 the minimum
    sys.exit("jobtop needs Python 3.11 or newer; this is " + sys.version.split()[0])

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements.lock"
STAMP = VENV / ".jobtop-lock-sha256"


def _venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_environment() -> Path:
    """Create the virtual environment and install the locked dependencies if needed."""
    python = _venv_python()
    if not python.exists():
        print("jobtop: creating .venv (first run only)…", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    lock_digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text().strip() != lock_digest:
        print("jobtop: installing pinned dependencies…", file=sys.stderr)
        pip = [str(python), "-m", "pip", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "install", "--require-hashes", "-r", str(LOCK)], check=True)
        subprocess.run([*pip, "install", "--no-deps", "-e", str(ROOT)], check=True)
        STAMP.write_text(lock_digest)
    return python


CHECKS = (
    ("ruff check", ["ruff", "check", "--output-format=concise", "."]),
    ("ruff format", ["ruff", "format", "--check", "--output-format=concise", "."]),
    ("mypy", ["mypy", "tui", "tests"]),
    ("import-linter", ["lint-imports"]),
)
"""The static checks, each run with the virtual environment's own tool (pinned in the
lock); their settings are in pyproject.toml."""


def check(bin_dir: Path) -> int:
    """Run every check (all of them, even after a failure); 1 if any failed."""
    failed = []
    for name, (tool, *args) in CHECKS:
        print(f"jobtop: {name}", file=sys.stderr, flush=True)
        if subprocess.call([str(bin_dir / tool), *args]) != 0:
            failed.append(name)
    if failed:
        print(f"jobtop: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "run", "check"}:
        print(__doc__, file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    python = ensure_environment()
    os.chdir(ROOT)
    if command == "check":
        return check(python.parent)
    if command == "demo":
        args = [str(python), "-m", "tui", "--demo", *rest]
    elif command == "test":
        args = [str(python), "-m", "pytest", *rest]
    else:
        args = [str(python), "-m", "tui", *rest]
    if os.name == "nt":
        return subprocess.call(args)
    os.execv(args[0], args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
