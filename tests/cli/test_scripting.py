"""`jobtop` scripted as a gh user would: fields, jq, filters, sorts, pipes, usage errors, demo.

Every test runs the real console script against the simulator on loopback; JSON and TSV
are checked by parsing them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from tests.cli.conftest import TOKENS, run_jobtop, write_config
from tests.conftest import REPO
from tui.arguments import SORT_KEYS
from tui.clock import FrozenClock
from tui.commands import TSV_COLUMNS
from tui.formatting import STATE_ORDER
from tui.models import JSON_KEYS, JobState, parse_timestamp
from tui.sim.server import SimServer

HDR_SEED = "88667411-3fb9-4c92-8488-8e277aed3021"


def ok(*args: str, config: Path | None = None) -> str:
    result = run_jobtop(*args, config=config)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def all_jobs(config: Path) -> list[dict[str, object]]:
    return json.loads(ok("list", "--json", config=config))  # type: ignore[no-any-return]


def tsv(text: str) -> list[dict[str, str]]:
    rows = []
    for line in text.splitlines():
        cells = line.split("\t")
        assert len(cells) == len(TSV_COLUMNS), line
        rows.append(dict(zip(TSV_COLUMNS, cells, strict=True)))
    return rows


# --- fields and jq ---------------------------------------------------------------------


def test_json_fields_prints_only_those(config: Path) -> None:
    jobs = json.loads(ok("list", "--json", "id,state,progress", config=config))
    assert jobs and all(list(job) == ["id", "state", "progress"] for job in jobs)
    document = json.loads(ok("show", "mf", "123", "--json", "name,raw", config=config))
    assert list(document) == ["name", "raw"] and document["name"] == "sample-mesh"


def test_unknown_json_field_is_a_usage_error_listing_the_fields(config: Path) -> None:
    result = run_jobtop("list", "--json", "id,colour", config=config)
    assert result.returncode == 64
    assert "'colour'" in result.stderr and ", ".join(JSON_KEYS) in result.stderr
    assert result.stderr.startswith("usage: jobtop list")


def test_jq_filters_like_gh(config: Path) -> None:
    jobs = all_jobs(config)
    ids = ok("list", "--jq", ".[].id", config=config).splitlines()
    assert sorted(ids) == sorted(str(j["id"]) for j in jobs)  # strings print bare, one a line
    failed = sum(1 for j in jobs if j["state"] == "failed")
    count = ok(
        "list",
        "--json",
        "state",
        "--jq",
        '[.[] | select(.state == "failed")] | length',
        config=config,
    )
    assert json.loads(count) == failed
    pairs = ok("list", "--jq", ".[] | {id, state}", "--limit", "3", config=config).splitlines()
    assert len(pairs) == 3 and all(set(json.loads(line)) == {"id", "state"} for line in pairs)
    raw = ok("show", "mf", "123", "--jq", ".raw.inputs.assets.mesh.filename", config=config)
    assert raw == "part.stl\n"


@pytest.mark.parametrize("expression", [".[", "nosuchfunction(1)"])
def test_bad_jq_is_a_usage_error(config: Path, expression: str) -> None:
    result = run_jobtop("list", "--jq", expression, config=config)
    assert result.returncode == 64 and "--jq" in result.stderr and "Traceback" not in result.stderr


def test_jq_runtime_error_is_one_sentence(config: Path) -> None:
    result = run_jobtop("list", "--jq", ".foo", config=config)  # an array has no .foo
    assert result.returncode == 64
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("jobtop: --jq: ")


# --- filters and sorts -----------------------------------------------------------------


def _last_changed(job: dict[str, object]) -> datetime | None:
    for key in ("finished_at", "updated_at", "created_at"):
        if job[key]:
            return parse_timestamp(job[key])
    return None


def test_since_keeps_jobs_changed_within_the_span(tmp_path: Path) -> None:
    # A world that stands still, so no job changes between the two runs compared.
    clock = FrozenClock(datetime.now(UTC) - timedelta(minutes=10))
    with SimServer(jobs=40, seed=11, clock=clock) as server:
        config = write_config(tmp_path / "c.toml", server, hdr_track=server.tracked_ids()["hdrjpg"])
        _since_cases(config)


def _since_cases(config: Path) -> None:
    jobs = all_jobs(config)
    now = datetime.now(UTC)
    moments = sorted({m for j in jobs if (m := _last_changed(j)) is not None})
    # The widest gap between jobs older than two minutes: the cut falls far from any job.
    gaps = [(b - a, a, b) for a, b in pairwise(moments) if b < now - timedelta(minutes=2)]
    width, before, after = max(gaps)
    assert width > timedelta(seconds=30)
    cut = before + width / 2
    span = int((now - cut).total_seconds())
    expected = {j["id"] for j in jobs if (m := _last_changed(j)) is not None and m >= after}
    listed = {
        j["id"]
        for j in json.loads(ok("list", "--json", "id", "--since", f"{span}s", config=config))
    }
    assert listed == expected and 0 < len(listed) < len(jobs)
    minutes = {
        j["id"]
        for j in json.loads(
            ok("list", "--json", "id", "--since", f"{span // 60 + 1}m", config=config)
        )
    }
    assert expected <= minutes


def test_error_filter_is_a_case_insensitive_substring(config: Path) -> None:
    jobs = all_jobs(config)
    word = next(
        str(j["error"]).split()[0]
        for j in jobs
        if j["error"] and len(str(j["error"]).split()[0]) > 3
    )
    expected = {
        j["id"] for j in jobs if j["error"] and word.casefold() in str(j["error"]).casefold()
    }
    listed = json.loads(ok("list", "--json", "id,error", "--error", word.upper(), config=config))
    assert {j["id"] for j in listed} == expected and expected


@pytest.mark.parametrize("key", SORT_KEYS)
def test_every_sort_key_works(config: Path, key: str) -> None:
    rows = tsv(ok("list", "--sort", key, "--account", "zoo", "--account", "ll", config=config))
    assert rows
    if key == "duration":
        values = [int(r["duration"]) for r in rows if r["duration"]]
        assert values == sorted(values, reverse=True)
        assert all(r["duration"] == "" for r in rows[len(values) :])  # missing last
    if key == "state":
        ranks = [STATE_ORDER[JobState(r["state"])] for r in rows]
        assert ranks == sorted(ranks, reverse=True)


def test_age_sort_matches_the_dashboard(config: Path) -> None:
    """`age` ascending is youngest first, as a click on the dashboard's Age header."""
    rows = tsv(ok("list", "--sort", "age:asc", config=config))
    created = [parse_timestamp(r["created_at"]) for r in rows if r["created_at"]]
    assert created == sorted(created, reverse=True)  # type: ignore[type-var]


@pytest.mark.parametrize(
    "args",
    [
        ("--sort", "bogus"),
        ("--sort", "name:sideways"),
        ("--state", "bogus"),
        ("--provider", "bogus"),
        ("--limit", "-1"),
        ("--limit", "many"),
        ("--since", "yesterday"),
        ("--since", "5"),
        ("--json", "nope"),
    ],
)
def test_bad_values_are_usage_errors(config: Path, args: tuple[str, ...]) -> None:
    result = run_jobtop("list", *args, config=config)
    assert result.returncode == 64, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("usage: jobtop list") and lines[-1].startswith("jobtop: argument")
    assert "configuration error" not in result.stderr


@pytest.mark.parametrize("args", [("show", "zoo", ""), ("show", "mf", ""), ("watch", "mf", "")])
def test_an_empty_id_on_a_url_path_is_not_found_without_a_request(
    config: Path, sim: SimServer, args: tuple[str, ...]
) -> None:
    """On Zoo and Metafold an id is a URL segment, and an empty one would name the list
    (`.../jobs/`): not found, said plainly, before any request. (hdrjpg takes the id as a
    query parameter, where an empty id is asked for as given.)"""
    before = sim.requests()
    result = run_jobtop(*args, config=config)
    assert result.returncode == 66, result.stderr
    assert "an empty id names no job" in result.stderr and "Traceback" not in result.stderr
    assert sim.requests() == before


def test_config_errors_stay_78(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("refresh = = 1")
    assert run_jobtop("list", config=bad).returncode == 78


# --- output fit for pipes --------------------------------------------------------------


def test_tsv_has_iso_times_seconds_and_an_error_column(config: Path) -> None:
    text = ok("list", config=config)
    rows = tsv(text)
    assert rows and rows[0]["state"] != "STATE"  # no header unless asked
    assert "—" not in text
    jobs = {(str(j["account"]), str(j["id"])): j for j in all_jobs(config)}
    for row in rows:
        for key in ("created_at", "updated_at", "finished_at"):
            assert row[key] == "" or (row[key].endswith("Z") and parse_timestamp(row[key]))
        assert row["duration"] == "" or row["duration"].isdigit()
        assert row["progress"] == "" or 0 <= float(row["progress"]) <= 1
        job = jobs[row["account"], row["id"]]
        if job["state"] == row["state"] in ("succeeded", "failed", "canceled"):  # ended: settled
            assert row["error"] == (job["error"] or "")
            assert row["finished_at"] == (job["finished_at"] or "")
    assert any(row["error"] for row in rows)
    header = ok("list", "--header", "--limit", "1", config=config).splitlines()
    assert header[0].split("\t") == [c.upper() for c in TSV_COLUMNS] and len(header) == 2


def test_closed_pipe_ends_quietly(config: Path) -> None:
    """`jobtop list | head`: the reader is gone before the first write."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    script = Path(sys.executable).parent / "jobtop"
    try:
        result = subprocess.run(
            [str(script), "list", "--config", str(config)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env={**os.environ, **TOKENS},
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert result.stderr == ""
    assert result.returncode == 141


def test_head_in_a_shell_pipeline() -> None:
    """`jobtop list | head -3` with far more output than a pipe holds."""
    script = Path(sys.executable).parent / "jobtop"
    result = subprocess.run(
        [
            "bash",
            "-c",
            f"'{script}' --demo --demo-jobs 1500 list | head -3; echo \"${{PIPESTATUS[0]}}\" >&2",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert len(result.stdout.splitlines()) == 3
    assert result.stderr.splitlines() == ["141"]  # no traceback, no "Exception ignored"


# --- show ------------------------------------------------------------------------------


def test_show_text_is_readable(config: Path) -> None:
    text = ok("show", "hdr", HDR_SEED, config=config)
    lines = text.splitlines()
    assert "844.4 kB" in text  # the variant's output_file_size, humanized
    assert "True" not in text and "False" not in text
    assert any(line.split() == ["extrapolate:", "no"] for line in lines)
    top = [line for line in lines if line and not line.startswith(" ") and not line.endswith(":")]
    columns = {
        len(line) - len(line.split(":", 1)[1].lstrip())
        for line in top
        if line.split(":", 1)[1].strip()
    }
    assert len(columns) == 1, top  # every top-level value starts in the same column
    assert lines[0].startswith("account:")


def test_show_failed_job_starts_with_its_error_and_reason(config: Path) -> None:
    failed = json.loads(
        ok(
            "list",
            "--json",
            "account,id,kind,error",
            "--state",
            "failed",
            "--provider",
            "zoo",
            config=config,
        )
    )
    job = next(j for j in failed if j["error"] and j["kind"] == "dataset_conversion")
    lines = ok("show", str(job["account"]), str(job["id"]), config=config).splitlines()
    assert lines[0].startswith("error:") and str(job["error"])[:40] in lines[0]
    assert lines[1].split(":")[0] in ("status_message", "status_meaning")
    assert sum(1 for line in lines if line.startswith("error:")) == 1


def test_show_without_account_finds_the_job(config: Path) -> None:
    document = json.loads(ok("show", HDR_SEED, "--json", "account,id", config=config))
    assert document == {"account": "hdr", "id": HDR_SEED}
    missing = run_jobtop("show", "00000000-0000-4000-8000-000000000000", config=config)
    assert missing.returncode == 66 and len(missing.stderr.strip().splitlines()) == 1


def test_show_without_account_lists_several_matches(config: Path) -> None:
    twice = config.with_name("twice.toml")
    text = config.read_text()
    start = text.index('[[account]]\nname = "mf"')
    block = text[start : text.index("[[account]]", start + 5)]
    twice.write_text(text + "\n" + block.replace('name = "mf"', 'name = "mf-copy"'))
    result = run_jobtop("show", "123", config=twice)
    assert result.returncode == 64
    assert "mf (metafold)" in result.stderr and "mf-copy (metafold)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --- discoverability -------------------------------------------------------------------


@pytest.mark.parametrize("where", ["before", "after"])
def test_demo_list_runs_on_the_simulator(where: str) -> None:
    args = (
        ("--demo", "list", "--json", "account,provider")
        if where == "before"
        else ("list", "--demo", "--json", "account,provider")
    )
    jobs = json.loads(ok(*args))
    assert {j["provider"] for j in jobs} == {"zoo", "metafold", "lettrlabs", "hdrjpg"}
    assert all(str(j["account"]).startswith("demo-") for j in jobs)


def test_demo_show_and_watch() -> None:
    text = ok("--demo", "show", "demo-hdrjpg", HDR_SEED)
    assert HDR_SEED in text and "test.heic" in text
    succeeded = json.loads(
        ok("--demo", "list", "--json", "account,id", "--state", "succeeded", "--limit", "1")
    )[0]
    out = ok("--demo", "watch", str(succeeded["id"]))  # found without its account
    assert out.splitlines()[-1].split()[3:5] == [str(succeeded["id"]), "succeeded"]


def test_no_config_says_how_to_try_the_demo() -> None:
    result = run_jobtop("list")
    assert result.returncode == 78 and "jobtop --demo list" in result.stderr


def test_track_list_says_when_nothing_is_tracked(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[[account]]\nname = "z"\nprovider = "zoo"\ntoken_env = "ZOO_TOKEN"\n')
    result = run_jobtop("track", "list", config=path)
    assert result.returncode == 0 and result.stdout == ""
    assert "no ids are tracked" in result.stderr and "jobtop track add" in result.stderr


def test_config_path_and_check(tmp_path: Path, config: Path) -> None:
    state = tmp_path / "state"
    result = run_jobtop("config", "path", config=config, env={"JOBTOP_STATE_DIR": str(state)})
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["config:", str(config)] and "exists" in lines[0]
    assert (
        lines[1].split()[:2] == ["store:", str(state / "jobs.sqlite3")]
        and "$JOBTOP_STATE_DIR" in lines[1]
    )
    check = run_jobtop("config", "check", config=config)
    assert check.returncode == 0 and "4 accounts" in check.stdout
    no_token = subprocess.run(
        [str(Path(sys.executable).parent / "jobtop"), "config", "check", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={k: v for k, v in {**os.environ, **TOKENS}.items() if k != "LETTR_TOKEN"},
        timeout=60,
    )
    assert (
        no_token.returncode == 78
        and "'ll' has no token ($LETTR_TOKEN is not set)" in no_token.stderr
    )
    bad = tmp_path / "bad.toml"
    bad.write_text('[[account]]\nname = "x"\nprovider = "nope"\n')
    refused = run_jobtop("config", "check", config=bad)
    assert refused.returncode == 78 and str(bad) in refused.stderr
    accounts = run_jobtop("config", "accounts", config=config)
    assert accounts.stdout.split() == ["zoo", "mf", "ll", "hdr"]


def test_help_names_the_state_dir() -> None:
    assert "JOBTOP_STATE_DIR" in ok("--help")
