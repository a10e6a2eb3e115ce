"""Metafold projects and jobs: workflows of jobs whose `needs` form a diamond DAG.

Each workflow has four jobs: a root, two jobs that need the root, and a last job that
needs both. A job starts only after every upstream job succeeded; when one fails, the
jobs downstream of it are canceled. Lists are bare arrays (Metafold has no pagination)
with `sort` (`field:1|-1`) and `q` (`field:value`, `*`, quotes, `!`, `AND`).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from tui.sim.api import REASONS, Wire, bearer
from tui.sim.seeds import METAFOLD_SEED_JOB, METAFOLD_SEED_PROJECT, seed
from tui.sim.world import Timeline, WorldState, frac, h64, pick, spacing_for


def rfc1123_time(moment: datetime) -> str:
    """RFC 1123 GMT, as Metafold's SDKs parse (`Mon, 01 Jan 2024 00:00:00 GMT`)."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def error_body(status: int, message: str) -> dict[str, Any]:
    """Metafold's error body: the code, its reason phrase and the description."""
    return {"code": status, "name": REASONS.get(status, "Error"), "description": message}


WIRE = Wire(
    error_body=error_body,
    credential=bearer,
    no_credential="Missing authorization header",
    bad_credential="Token has expired",
)

SALT = 0x4D46
JOBS_PER_WORKFLOW = 4
ID_BASE = 1000
PROJECT_BASE = 200
USER = "auth0|64f1c0ffee5eed0123456789"
PIPELINES = (
    ("mesh/preprocess", "mesh/compute-bvh", "implicit/from-mesh", "implicit/evaluate"),
    ("implicit/from-mesh", "implicit/metrics", "implicit/evaluate", "mesh/from-volume"),
    ("sample_triangle_mesh", "evaluate_graph", "evaluate_metrics", "export_triangle_mesh"),
    ("mesh/preprocess", "sim/custom", "implicit/metrics", "sim/postprocess/stress-strain"),
    (
        "sim/custom",
        "sim/postprocess/stress-strain",
        "implicit/metrics",
        "sim/postprocess/reduce-results",
    ),
)
NEEDS = ((), (0,), (0,), (1, 2))
ERRORS = (
    "Mesh is not watertight: 14 boundary edges found",
    "Out of GPU memory while evaluating graph at resolution 512",
    'Invalid parameter "resolution": expected a positive integer',
    "Asset not found: mesh",
    "Simulation diverged after 120 iterations (residual 3.2e+04)",
    "Worker lost connection; job exceeded its 3600 s time limit",
)
PROJECT_NAMES = (
    "lattice-bracket",
    "heat-sink-gyroid",
    "drone-arm",
    "shoe-midsole",
    "hip-implant",
    "manifold-block",
)
JOB_SORT = ("id", "name", "created", "started", "finished")
JOB_Q = ("id", "name", "type", "state")
PROJECT_SORT = ("id", "user", "name", "created", "modified")
PROJECT_Q = ("id", "user", "name")


class QueryError(ValueError):
    """A `sort` or `q` parameter Metafold would answer 400 to."""


class MetafoldWorld:
    """Generates Metafold projects and jobs by index, as a pure function of the clock."""

    def __init__(self, state: WorldState) -> None:
        self.state = state
        n = state.jobs
        self.workflows = max(1, -(-n // JOBS_PER_WORKFLOW))
        self.projects = max(3, min(50, n // 2000 + 1))
        self.timeline = Timeline(
            seed=state.seed,
            salt=SALT,
            n=self.workflows,
            spacing_ms=spacing_for(self.workflows),
            arrival_ms=60_000,
            dmax_ms=1_000_000,
        )

    # -- projects -------------------------------------------------------------------
    def project_ids(self) -> list[str]:
        """Every project id: the seed project, then the generated ones."""
        return [METAFOLD_SEED_PROJECT] + [str(PROJECT_BASE + p) for p in range(self.projects)]

    def project(self, pid: str) -> dict[str, Any] | None:
        """One project, or None."""
        st = self.state
        if pid == METAFOLD_SEED_PROJECT:
            return {
                "id": "123",
                "user": USER,
                "name": "sample-project",
                "access": "private",
                "created": "2006-01-02T22:00:00+00:00",
                "modified": "2006-01-02T22:04:40+00:00",
                "type": "unspecified",
                "thumbnail": None,
                "project": None,
                "graph": None,
            }
        p = _int(pid)
        if p is None or not PROJECT_BASE <= p < PROJECT_BASE + self.projects:
            return None
        p -= PROJECT_BASE
        r = h64(st.seed, SALT, 0xFACE, p)
        created = self.timeline.created_ms(0) - int((1 + frac(r, 0)) * 86_400_000)
        return {
            "id": pid,
            "user": USER,
            "name": f"{pick(r, 16, PROJECT_NAMES)}-{p + 1}",
            "access": pick(r, 32, ("private", "private", "public")),
            "created": rfc1123_time(st.at(created)),
            "modified": rfc1123_time(st.at(created + int(frac(r, 40) * 3_600_000))),
            "type": "unspecified",
            "thumbnail": None,
            "project": None,
            "graph": None,
        }

    def list_projects(self, sort: str | None, q: str | None) -> list[dict[str, Any]]:
        """GET /projects with `sort` and `q`."""
        rows = [p for pid in self.project_ids() if (p := self.project(pid)) is not None]
        return query(rows, sort, q, PROJECT_SORT, PROJECT_Q)

    # -- jobs -----------------------------------------------------------------------
    def job_project(self, index: int) -> int:
        """The generated project number (0-based) that job `index` belongs to."""
        return (index // JOBS_PER_WORKFLOW) % self.projects

    def list_jobs(self, pid: str, sort: str | None, q: str | None) -> list[dict[str, Any]] | None:
        """GET /projects/{pid}/jobs with `sort` and `q`, or None for an unknown project."""
        if pid == METAFOLD_SEED_PROJECT:
            rows = [self._seed_upstream("1"), self._seed_upstream("2"), seed("metafold_job")]
            return query(rows, sort, q, JOB_SORT, JOB_Q)
        if self.project(pid) is None:
            return None
        p = int(pid) - PROJECT_BASE
        now = self.state.now_ms()
        visible = self.timeline.visible(now)
        rows = []
        for w in range(p, visible, self.projects):
            for k in range(JOBS_PER_WORKFLOW):
                rows.append(self.job(w * JOBS_PER_WORKFLOW + k, now))
        return query(rows, sort, q, JOB_SORT, JOB_Q)

    def lookup(self, pid: str, jid: str) -> dict[str, Any] | None:
        """GET /projects/{pid}/jobs/{jid}, or None."""
        if pid == METAFOLD_SEED_PROJECT:
            if jid == METAFOLD_SEED_JOB:
                return seed("metafold_job")
            return self._seed_upstream(jid) if jid in ("1", "2") else None
        index = _int(jid)
        if index is None or index < ID_BASE or self.project(pid) is None:
            return None
        index -= ID_BASE
        now = self.state.now_ms()
        if index // JOBS_PER_WORKFLOW >= self.timeline.visible(now):
            return None
        if str(PROJECT_BASE + self.job_project(index)) != pid:
            return None
        return self.job(index, now)

    def schedule(self, w: int) -> list[dict[str, Any]]:
        """The plan of workflow `w`: per job, start/end ms (None if never) and outcome."""
        st = self.state
        r = h64(st.seed, SALT, w)
        created = self.timeline.created_ms(w)
        cancel_at = created + int(frac(r, 0) * 600_000) if frac(r, 16) < 0.02 else None
        plan: list[dict[str, Any]] = []
        for k in range(JOBS_PER_WORKFLOW):
            jr = h64(st.seed, SALT, w, k)
            duration = 3_000 + int(frac(jr, 0) * 180_000)
            fails = frac(jr, 16) < 0.05
            ups = [plan[u] for u in NEEDS[k]]
            if any(u["state"] in ("failure", "canceled") for u in ups):
                t = max(u["end"] for u in ups if u["state"] in ("failure", "canceled"))
                plan.append({"start": None, "end": t, "state": "canceled", "error": None})
                continue
            start = max(
                [u["end"] for u in ups], default=created + 1_000 + int(frac(jr, 32) * 8_000)
            )
            end = start + (duration // 2 if fails else duration)
            if cancel_at is not None and cancel_at < end:
                begun = start if start <= cancel_at else None
                plan.append({"start": begun, "end": cancel_at, "state": "canceled", "error": None})
                continue
            state = "failure" if fails else "success"
            plan.append(
                {
                    "start": start,
                    "end": end,
                    "state": state,
                    "error": pick(jr, 40, ERRORS) if fails else None,
                }
            )
        return plan

    def job(self, index: int, now: int) -> dict[str, Any]:
        """Job `index` as it stands at `now`."""
        st = self.state
        w, k = divmod(index, JOBS_PER_WORKFLOW)
        r = h64(st.seed, SALT, w)
        plan = self.schedule(w)[k]
        created = self.timeline.created_ms(w)
        kind = pick(r, 24, PIPELINES)[k]
        state, started, finished, error = "pending", None, None, None
        if plan["start"] is not None and now >= plan["start"]:
            state, started = "started", plan["start"]
        if now >= plan["end"]:
            state, finished, error = plan["state"], plan["end"], plan["error"]
            if state == "canceled" and plan["start"] is None:
                finished = plan["end"]
        base = ID_BASE + w * JOBS_PER_WORKFLOW
        needs = [str(base + u) for u in NEEDS[k]]
        jr = h64(st.seed, SALT, w, k)
        resolution = pick(jr, 48, ("64", "128", "256", "512"))
        inputs: dict[str, Any] = {
            "assets": {"mesh": self._asset(f"{w}-in", "part.stl", created)} if k == 0 else None,
            "params": {"resolution": resolution},
        }
        outputs: dict[str, Any] = {"assets": None, "params": None}
        if state == "success":
            outputs = {
                "assets": {
                    "volume": self._asset(
                        f"{w}-{k}", f"{jr & 0xFFFFFFFFFFFFFFFF:016x}.bin", plan["end"]
                    )
                },
                "params": {
                    "bounds": '{"min": [-1.0, -1.0, -1.0], "max": [1.0, 1.0, 1.0]}\n',
                    "face_count": str(1000 + jr % 90_000),
                    "vertex_count": str(3000 + jr % 270_000),
                },
            }
        return {
            "id": str(ID_BASE + index),
            "name": None if (jr >> 56) % 5 == 0 else f"{kind.replace('/', '-')}-{w}",
            "type": kind,
            "state": state,
            "created": rfc1123_time(st.at(created)),
            "started": None if started is None else rfc1123_time(st.at(started)),
            "finished": None if finished is None else rfc1123_time(st.at(finished)),
            "error": error,
            "inputs": inputs,
            "outputs": outputs,
            "needs": needs,
            "project_id": str(PROJECT_BASE + self.job_project(index)),
            "workflow_id": str(50_000 + w),
            "parameters": {"resolution": resolution},
            "meta": None,
        }

    def _asset(self, key: str, filename: str, at: int) -> dict[str, Any]:
        r = h64(self.state.seed, SALT, hash_text(key))
        when = rfc1123_time(self.state.at(at))
        return {
            "id": str(900_000 + r % 9_000_000),
            "filename": filename,
            "size": 4096 + r % 8_000_000,
            "checksum": f"sha256:{r:016x}{h64(r, 1):016x}{h64(r, 2):016x}{h64(r, 3):016x}",
            "created": when,
            "modified": when,
        }

    def _seed_upstream(self, jid: str) -> dict[str, Any]:
        """Jobs `1` and `2`, the upstream jobs the seed job `123` needs (ISO, like the seed)."""
        kind = "mesh/preprocess" if jid == "1" else "mesh/compute-bvh"
        start, end = ("22:03:05", "22:03:35") if jid == "1" else ("22:03:36", "22:04:04")
        return {
            "id": jid,
            "name": f"sample-{kind.split('/')[1]}",
            "type": kind,
            "state": "success",
            "created": "2006-01-02T22:03:00+00:00",
            "started": f"2006-01-02T{start}+00:00",
            "finished": f"2006-01-02T{end}+00:00",
            "error": None,
            "inputs": {"assets": None, "params": {"resolution": "256"}},
            "outputs": {"assets": None, "params": None},
            "needs": [] if jid == "1" else ["1"],
            "project_id": "123",
            "workflow_id": "123",
            "parameters": {"resolution": "256"},
            "meta": None,
        }


def hash_text(text: str) -> int:
    """A stable integer for a short string (Python's str hash is randomized per process)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 18 else None


def _sort_value(field: str, value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if field == "id" and isinstance(value, str) and value.isdigit():
        return (1, int(value))
    if field in ("created", "started", "finished", "modified") and isinstance(value, str):
        return (1, parse_any_date(value).timestamp())
    return (2, str(value))


def parse_any_date(text: str) -> datetime:
    """RFC 1123 or ISO 8601 (the seed job keeps its ISO values)."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return parsedate_to_datetime(text)


def _pattern(value: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in value.split("*")) + "$", re.S)


def parse_q(q: str, fields: tuple[str, ...]) -> list[tuple[bool, str, re.Pattern[str]]]:
    """Parse Metafold's `q`: `field:value` terms joined by `AND`, `*`, quotes, leading `!`."""
    terms: list[tuple[bool, str, re.Pattern[str]]] = []
    tokens = re.findall(r'!?[A-Za-z_]+:(?:"[^"]*"|[^\s"]+)|\S+', q)
    expect_term = True
    for token in tokens:
        if not expect_term:
            if token != "AND":
                raise QueryError(f"Invalid query: expected AND, got {token!r}")
            expect_term = True
            continue
        if token in ("OR", "(", ")") or token.startswith("("):
            raise QueryError("Invalid query: OR and grouping are not supported")
        negate = token.startswith("!")
        field, sep, value = token.lstrip("!").partition(":")
        if not sep:
            raise QueryError(f"Invalid query term {token!r}: expected field:value")
        if field not in fields:
            raise QueryError(f'Invalid query field "{field}"')
        if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
            value = value[1:-1]
        terms.append((negate, field, _pattern(value)))
        expect_term = False
    if expect_term and terms:
        raise QueryError("Invalid query: dangling AND")
    return terms


def query(
    rows: list[dict[str, Any]],
    sort: str | None,
    q: str | None,
    sort_fields: tuple[str, ...],
    q_fields: tuple[str, ...],
) -> list[dict[str, Any]]:
    """Filter by `q` and order by `sort` (default: descending by id), as Metafold does."""
    if q:
        terms = parse_q(q, q_fields)
        rows = [
            row
            for row in rows
            if all(
                neg != bool(pat.match("" if row.get(f) is None else str(row.get(f))))
                for neg, f, pat in terms
            )
        ]
    field, order = "id", -1
    if sort:
        field, sep, raw = sort.partition(":")
        if field not in sort_fields or (sep and raw not in ("1", "-1")):
            raise QueryError(f'Invalid sort "{sort}"')
        order = int(raw) if sep else 1
    return sorted(rows, key=lambda row: _sort_value(field, row.get(field)), reverse=order == -1)
