"""The command line skeleton: version, help, and one-sentence errors with distinct codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tui.exit_codes import EXIT_CONFIG, EXIT_USAGE


def jobtop(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_version() -> None:
    result = jobtop("--version")
    assert result.returncode == 0 and result.stdout.startswith("jobtop 0.")


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "jobtop"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("jobtop ")


def test_help_documents_precedence_and_exit_codes() -> None:
    result = jobtop("--help")
    assert result.returncode == 0
    assert "command line > environment" in result.stdout
    assert "JOBTOP_CONFIG" in result.stdout and "78  the configuration is wrong" in result.stdout
    for command in ("list", "show", "watch", "track", "sim"):
        assert command in result.stdout


def test_usage_error_is_one_sentence() -> None:
    result = jobtop("--frobnicate")
    assert result.returncode == EXIT_USAGE
    assert "Traceback" not in result.stderr and "jobtop: unrecognized arguments" in result.stderr


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("refresh = = 1", "not valid TOML"),
        ('[[account]]\nname = "z"\nprovider = "nope"\n', "is not a provider"),
    ],
)
def test_bad_config_is_refused_with_one_line(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    result = jobtop("list", "--config", str(path))
    assert result.returncode == EXIT_CONFIG
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and str(path) in lines[0]


def test_missing_config_via_env(tmp_path: Path) -> None:
    result = jobtop("list", env={"JOBTOP_CONFIG": str(tmp_path / "missing.toml")})
    assert result.returncode == EXIT_CONFIG and "does not exist" in result.stderr


def test_unknown_account(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[[account]]\nname = "z"\nprovider = "zoo"\n')
    result = jobtop("show", "nobody", "123", "--config", str(path))
    assert result.returncode == EXIT_CONFIG
    assert (
        result.stderr.strip()
        == "jobtop: configuration error: no account named 'nobody' (configured: z)"
    )
