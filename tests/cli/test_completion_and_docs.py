"""Shell completion run in a real bash, the man page kept current, the README's exit-code
table kept true, and a plain sentence on a Python older than 3.11."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import run_jobtop
from tests.conftest import REPO
from tui import exit_codes
from tui.exit_codes import EXIT_CODES_HELP
from tui.models import JobState

BIN = Path(sys.executable).parent


def complete(script: Path, config: Path, *words: str) -> list[str]:
    """What bash's completion function offers for `words` (the last one being typed)."""
    line = " ".join(words)
    program = f"""
source {script}
COMP_WORDS=({" ".join(f"'{w}'" for w in words)})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE='{line}'
COMP_POINT=${{#COMP_LINE}}
COMPREPLY=()
_shtab_jobtop jobtop "${{COMP_WORDS[-1]}}" "${{COMP_WORDS[-2]}}"
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "JOBTOP_CONFIG": str(config),
        },
    )
    assert result.returncode == 0, result.stderr
    return [word for word in result.stdout.splitlines() if word]


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = run_jobtop("completion", "bash")
    assert result.returncode == 0, result.stderr
    path = tmp_path_factory.mktemp("completion") / "jobtop.bash"
    path.write_text(result.stdout)
    return path


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_registers_and_completes(bash_script: Path, config: Path) -> None:
    registered = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", f"source {bash_script}; complete -p jobtop"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert registered.stdout.strip() == "complete -o bashdefault -F _shtab_jobtop jobtop"
    assert set(complete(bash_script, config, "jobtop", "")) >= {
        "list",
        "show",
        "watch",
        "track",
        "config",
        "completion",
        "sim",
    }
    assert complete(bash_script, config, "jobtop", "wa") == ["watch"]
    assert set(complete(bash_script, config, "jobtop", "list", "--s")) == {
        "--state",
        "--status",
        "--since",
        "--sort",
    }
    assert complete(bash_script, config, "jobtop", "list", "--state", "") == [
        s.value for s in JobState
    ]
    assert complete(bash_script, config, "jobtop", "list", "--provider", "h") == ["hdrjpg"]
    accounts = ["zoo", "mf", "ll", "hdr"]
    assert complete(bash_script, config, "jobtop", "list", "--account", "") == accounts
    assert complete(bash_script, config, "jobtop", "show", "") == accounts
    assert complete(bash_script, config, "jobtop", "track", "add", "h") == ["hdr"]
    assert complete(bash_script, config, "jobtop", "completion", "") == ["bash", "zsh", "fish"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_cover_the_commands(shell: str) -> None:
    result = run_jobtop("completion", shell)
    assert result.returncode == 0
    flag = "-l " if shell == "fish" else "--"
    for word in (
        "list",
        "watch",
        f"{flag}exit-status",
        f"{flag}since",
        "succeeded",
        "jobtop config accounts",
    ):
        assert word in result.stdout
    interpreter = shutil.which(shell)
    if interpreter is not None:  # check the syntax where the shell exists
        check = subprocess.run(
            [interpreter, "-n"], input=result.stdout, capture_output=True, text=True, timeout=60
        )
        assert check.returncode == 0, check.stderr


def test_unknown_shell_is_a_usage_error() -> None:
    assert run_jobtop("completion", "powershell").returncode == 64


def test_man_page_matches_the_parser() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "manpage.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    page = (REPO / "docs" / "jobtop.1").read_text()
    for text in ("jobtop list", r"\-\-jq", "JOBTOP_STATE_DIR", "completion"):
        assert text in page


def test_readme_exit_code_table_matches_the_program() -> None:
    readme = (REPO / "README.md").read_text()
    table = {
        int(code): meaning
        for code, meaning in re.findall(r"^\| (\d+) \| (.+?) \|$", readme, flags=re.MULTILINE)
    }
    program: dict[int, str] = {}
    for line in EXIT_CODES_HELP.splitlines()[1:]:
        if not line.strip():
            continue
        first = line.split()[0]
        if first.isdigit():
            code = int(first)
            program[code] = line.split(None, 1)[1]
        else:  # a continuation line of the code above
            program[code] += " " + line.strip()
    assert set(table) == set(program)
    for code, meaning in program.items():
        assert table[code].replace("`", "").replace("\\|", "|") == meaning.replace("`", ""), code
    # The help and the table list exactly the codes the program defines.
    defined = {
        value
        for name, value in vars(exit_codes).items()
        if name.startswith("EXIT_") and isinstance(value, int)
    }
    assert set(program) == defined


def _python310() -> str | None:
    """A Python 3.10 interpreter that really runs (a pyenv shim may have none selected)."""
    candidates = [
        str(p) for p in Path(os.path.expanduser("~/.pyenv/versions")).glob("3.10*/bin/python3.10")
    ]
    candidates += [c for c in [shutil.which("python3.10")] if c]
    for candidate in candidates:
        probe = subprocess.run([candidate, "--version"], capture_output=True, text=True, timeout=30)
        if probe.returncode == 0 and probe.stdout.startswith("Python 3.10"):
            return candidate
    return None


PY310 = _python310()


def _older_pythons() -> list[str]:
    """Every Python 3 older than 3.11 found under pyenv, plus the 3.10 found above."""
    found = {PY310} if PY310 else set()
    for version in ("3.6", "3.7", "3.8", "3.9"):
        found.update(
            str(p)
            for p in Path(os.path.expanduser("~/.pyenv/versions")).glob(f"{version}*/bin/python3")
        )
    return sorted(found)


@pytest.mark.skipif(not _older_pythons(), reason="no Python older than 3.11 on this machine")
@pytest.mark.parametrize("python", _older_pythons())
def test_first_command_on_an_older_python_says_so_plainly(tmp_path: Path, python: str) -> None:
    """`python3 dev.py demo` (the README's first command) stops with one sentence."""
    result = subprocess.run(
        [python, str(REPO / "dev.py"), "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("jobtop needs Python 3.11 or newer; this is 3.")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(PY310 is None, reason="no Python 3.10 on this machine")
def test_pip_install_on_python_310_says_so_plainly() -> None:
    """`pip install .` stops at the metadata step with the same sentence, not with a
    dependency that has no release for 3.10."""
    assert PY310 is not None
    result = subprocess.run(
        [PY310, "-m", "pip", "install", "--dry-run", "--disable-pip-version-check", str(REPO)],
        capture_output=True,
        text=True,
        timeout=110,
    )
    output = result.stdout + result.stderr
    if "satisfies the requirement hatchling" in output:
        pytest.skip("no hatchling wheel reachable for Python 3.10's build environment")
    assert result.returncode != 0
    assert "jobtop needs Python 3.11 or newer; this is 3.10" in output
    assert "No matching distribution" not in output
