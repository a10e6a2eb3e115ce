"""A hostile Metafold on loopback: ids with newlines and tabs, CJK and emoji names, `1e999`.

Every text cell `jobtop` prints stays on one line (no forged rows), the terminal table pads
by display width, and JSON output is valid JSON that carries the server's strings exactly.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from rich.cells import cell_len

from tests.cli.conftest import TOKENS, run_jobtop
from tests.conftest import REPO
from tui.commands import TSV_COLUMNS

FORGED_ID = "echo hi;\ntouch /tmp/x"
TAB_ID = "tab\tid"
JOBS = [
    {
        "id": FORGED_ID,
        "name": "中文名字的作业",
        "state": "failure",
        "type": "t",
        "created": "2026-11-20T10:00:00Z",
        "started": "2026-11-20T10:00:05Z",
        "finished": "2026-11-20T10:01:05Z",
        "error": "boom\tbad\nsecond line",
    },
    {
        "id": TAB_ID,
        "name": "🚀 rocket launch",
        "state": "success",
        "type": "t",
        "created": "2026-11-20T09:00:00Z",
        "started": "2026-11-20T09:00:00Z",
        "finished": "2026-11-20T09:00:30Z",
    },
    {
        "id": "plain",
        "name": "plain ascii name",
        "state": "success",
        "type": "t",
        "created": "2026-11-20T08:00:00Z",
        "started": "2026-11-20T08:00:00Z",
        "finished": "2026-11-20T08:00:10Z",
    },
]


def _body(job: Mapping[str, object]) -> bytes:
    """The job as JSON with a `1e999` number, which Python decodes as infinity."""
    text = json.dumps(job)
    return (text[:-1] + ', "progress": 1e999, "score": 1e999}').encode()


class _Metafold(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        route = urlsplit(self.path).path
        if route == "/projects":
            self._send(200, b'[{"id": "p1"}]')
        elif route == "/projects/p1/jobs":
            self._send(200, b"[" + b",".join(_body(j) for j in JOBS) + b"]")
        elif route.startswith("/projects/p1/jobs/"):
            wanted = unquote(route.removeprefix("/projects/p1/jobs/"))
            job = next((j for j in JOBS if j["id"] == wanted), None)
            self._send(200, _body(job)) if job else self._send(404, b'{"detail": "not found"}')
        else:
            self._send(404, b'{"detail": "not found"}')

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Metafold)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def config(tmp_path: Path, server: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(
        f'[[account]]\nname = "mf"\nprovider = "metafold"\nbase_url = "{server}"\n'
        'token_env = "METAFOLD_TOKEN"\n'
    )
    return path


def in_pty(*args: str, config: Path) -> str:
    """The command's output on a terminal (a pseudo-terminal as stdout)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "jobtop"), *args, "--config", str(config)],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        env={**os.environ, **TOKENS},
        cwd=REPO,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the program ended and closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 0, errors
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_piped_list_has_one_line_per_job(config: Path) -> None:
    result = run_jobtop("list", config=config)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(JOBS)
    for line in lines:
        assert len(line.split("\t")) == len(TSV_COLUMNS)
    ids = {line.split("\t")[2] for line in lines}
    assert ids == {"echo hi; ⏎ touch /tmp/x", "tab id", "plain"}
    error = next(line.split("\t")[-1] for line in lines if line.startswith("failed"))
    assert error == "boom bad ⏎ second line"


def test_terminal_table_pads_by_display_width(config: Path) -> None:
    lines = in_pty("list", config=config).splitlines()
    assert len(lines) == 1 + len(JOBS)
    header = lines[0]
    status_at = cell_len(header[: header.index("STATUS")])
    for line in lines[1:]:
        for status in ("failure", "success"):
            if f"  {status}  " in line:
                assert cell_len(line[: line.index(f"  {status}  ") + 2]) == status_at, lines
    assert any("中文名字的作业" in line for line in lines) and any("🚀" in line for line in lines)


def test_show_and_watch_keep_the_id_on_one_line(config: Path) -> None:
    shown = run_jobtop("show", "mf", FORGED_ID, config=config)
    assert shown.returncode == 0, shown.stderr
    id_lines = [line for line in shown.stdout.splitlines() if line.startswith("id:")]
    assert len(id_lines) == 1 and "echo hi; ⏎ touch /tmp/x" in id_lines[0]
    assert not any(line.startswith("touch") for line in shown.stdout.splitlines())
    watched = run_jobtop("watch", "mf", FORGED_ID, config=config)
    assert watched.returncode == 0, watched.stderr
    assert all(line.startswith("20") for line in watched.stdout.splitlines())
    assert "echo hi; ⏎ touch /tmp/x failed" in watched.stdout


def test_track_and_errors_keep_the_id_on_one_line(config: Path) -> None:
    added = run_jobtop("track", "add", "mf", "--no-check", FORGED_ID, config=config)
    assert added.stdout.splitlines() == ["tracking: mf echo hi; ⏎ touch /tmp/x"]
    listed = run_jobtop("track", "list", config=config)
    assert listed.stdout.splitlines() == ["mf\techo hi; ⏎ touch /tmp/x\tstore"]
    missing = run_jobtop("show", "mf", "no\nsuch\tid", config=config)
    assert missing.returncode == 66 and len(missing.stderr.strip().splitlines()) == 1


def test_json_is_valid_and_exact(config: Path) -> None:
    def strict(text: str) -> Any:
        def refuse(constant: str) -> object:
            raise AssertionError(f"{constant} is not JSON")

        return json.loads(text, parse_constant=refuse)

    listed = run_jobtop("list", "--json", config=config)
    jobs = strict(listed.stdout)
    assert {j["id"] for j in jobs} == {FORGED_ID, TAB_ID, "plain"}
    shown = run_jobtop("show", "mf", FORGED_ID, "--json", config=config)
    assert shown.returncode == 0, shown.stderr
    document = strict(shown.stdout)
    assert isinstance(document, dict)
    assert document["id"] == FORGED_ID and document["raw"]["id"] == FORGED_ID
    assert document["raw"]["progress"] is None and document["raw"]["score"] is None
    assert document["error"] == "boom\tbad\nsecond line"
