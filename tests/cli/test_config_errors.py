"""A config the real `jobtop` refuses at load: one sentence on stderr, exit 78, nothing quoted
that looks like a secret, and no traceback (not at load, not at the first request)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import run_jobtop

EXIT_CONFIG = 78


def refused(tmp_path: Path, account_lines: str) -> str:
    config = tmp_path / "config.toml"
    config.write_text(f'[[account]]\nname = "z"\nprovider = "zoo"\n{account_lines}\n')
    config.chmod(0o600)
    result = run_jobtop("list", config=config, timeout=30)
    assert result.returncode == EXIT_CONFIG, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("jobtop: configuration error: ")
    return lines[0]


@pytest.mark.parametrize("port", [":80:90", ":99999"])
def test_a_bad_port_is_refused_at_load(tmp_path: Path, port: str) -> None:
    line = refused(tmp_path, f'base_url = "https://127.0.0.1{port}"\ntoken_env = "T"')
    assert "base_url" in line and "port" in line


def test_a_token_pasted_into_token_env_is_not_echoed(tmp_path: Path) -> None:
    pasted = "sk_live_51HqLyjWDarjtT1zdp7dcXyZ"
    line = refused(tmp_path, f'token_env = "{pasted}"')
    assert "token_env" in line and pasted not in line and "51HqLy" not in line


def test_a_password_in_a_refused_url_is_not_echoed(tmp_path: Path) -> None:
    line = refused(tmp_path, 'base_url = "ftp://alice:hunter2-pass@api.zoo.dev"\ntoken_env = "T"')
    assert "base_url" in line and "hunter2" not in line
