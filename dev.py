#!/usr/bin/env python3
"""Set up and run jobtop from a checkout with nothing but Python 3.11+ and pip.

    python3 dev.py demo [ARGS...]   open the dashboard on the built-in simulator
    python3 dev.py test [ARGS...]   run the whole test suite (ARGS go to pytest)
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
if sys.version_info < (3, 11):
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


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "run"}:
        print(__doc__, file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    python = ensure_environment()
    if command == "demo":
        args = [str(python), "-m", "tui", "--demo", *rest]
    elif command == "test":
        args = [str(python), "-m", "pytest", *rest]
    else:
        args = [str(python), "-m", "tui", *rest]
    os.chdir(ROOT)
    if os.name == "nt":
        return subprocess.call(args)
    os.execv(args[0], args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
