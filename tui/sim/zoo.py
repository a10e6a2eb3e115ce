"""Zoo: async operations and org dataset conversions.

Dataset conversions walk the phases in order (the current 12, or the seed's 11 with
`zoo_enums="seed"`) and end in `success` at `completed` or in an `error_*` status at the
phase that failed. Async operations go queued -> uploaded -> in_progress ->
completed/failed. Lists are cursor pages (`{items, next_page}`) served from sorted index
arrays; the page token encodes the offset, the scan parameters and the job count seen on
the first page (so later pages do not shift when new jobs arrive).
"""

from __future__ import annotations

import base64
from bisect import bisect_left
from collections.abc import Hashable
from typing import Any, cast

from tui.sim.images import VARIANTS, snapshot_png
from tui.sim.planted import PLANTED_DATASET, PlantedConversion, planted_plan, planted_timeline
from tui.sim.seeds import ZOO_SEED_ASYNC_ID, seed
from tui.sim.world import (
    KEY_BITS,
    KEY_MASK,
    TIME_BIAS_MS,
    ListIndex,
    Timeline,
    WorldState,
    decode_token,
    encode_token,
    frac,
    h64,
    make_uuid,
    pick,
    select,
    spacing_for,
    uuid_index,
)
from tui.sim.zoo_wire import (
    ZOO_DATASET_SEED_STATUSES,
    ZOO_DATASET_STATUSES,
    ZOO_PHASES,
    ZOO_SEED_PHASES,
    zoo_time,
)

ASYNC_SALT = 0x5A41
DATASET_SALT = 0x5A44
CONV_SALT = 0x5A43
ASYNC_STATUSES = ("queued", "uploaded", "in_progress", "completed", "failed")
CREATED_SORTS = ("created_at_ascending", "created_at_descending")
CONVERSION_SORTS = (
    "created_at_ascending",
    "created_at_descending",
    "status_ascending",
    "status_descending",
    "phase_ascending",
    "phase_descending",
    "updated_at_ascending",
    "updated_at_descending",
)
ASYNC_TYPES = (
    "file_conversion",
    "file_conversion",
    "file_conversion",
    "file_volume",
    "file_center_of_mass",
    "file_mass",
    "file_density",
    "file_surface_area",
    "text_to_cad",
    "text_to_cad",
    "text_to_cad_iteration",
    "text_to_cad_multi_file_iteration",
)
IMPORT_FORMATS = (
    "acis",
    "catia",
    "creo",
    "fbx",
    "gltf",
    "inventor",
    "nx",
    "obj",
    "parasolid",
    "ply",
    "sldprt",
    "step",
    "stl",
)
EXPORT_FORMATS = ("fbx", "glb", "gltf", "obj", "ply", "step", "stl")
ASYNC_ERRORS = (
    "failed to import the file: the STEP file has no solid bodies",
    "conversion timed out after 600 s",
    "the uploaded file is empty",
    "engine error: tessellation failed for face 112",
    "prompt was flagged as not describing a CAD model",
)
PROMPTS = (
    "a 40 mm spur gear with 20 teeth and a 5 mm keyed bore",
    "an L-shaped mounting bracket with four M4 holes",
    "a phone stand with a 70 degree viewing angle",
    "a flanged pipe coupling for 2 inch pipe",
)
DATASETS = (
    ("Supplier parts library", "s3://acme-cad/suppliers/", "s3", 0.6, 20_000),
    ("Legacy SolidWorks archive", "s3://acme-archive/sldprt/", "s3", 0.3, 60_000),
    ("Uploaded samples", "zoo://datasets/samples", "zoo_managed", 0.1, 180_000),
)
FOLDERS = ("brackets", "gears", "housings", "fixtures", "enclosures", "shafts", "valves")
EXTS = (".step", ".stp", ".sldprt", ".stl", ".obj", ".x_t", ".iges")
ERRORS = (
    # (status, phase at which it fails, message)
    ("error_user", "zoo_generated_original_metadata", "The file is empty (0 bytes)."),
    (
        "error_user",
        "snapshot_original",
        "Could not parse the STEP file: unexpected end of data at line 1042.",
    ),
    (
        "error_unsupported",
        "convert_raw_kcl",
        "No converter handles this file type yet; retry with a newer converter version.",
    ),
    (
        "error_geometry_mismatch",
        "snapshot_raw_kcl",
        "Raw KCL volume differs from the original by 4.2% (threshold 1.0%).",
    ),
    (
        "error_execution",
        "convert_raw_kcl",
        "Generated KCL failed to execute: fillet radius 3 mm exceeds edge length 2.4 mm.",
    ),
    (
        "error_execution",
        "salon",
        "Salon KCL failed to execute: undefined variable `flangeThickness`.",
    ),
    ("error_connection", "snapshot_original", "Timed out connecting to the snapshot renderer."),
    (
        "error_internal",
        "zoo_generated_raw_kcl_metadata",
        "Worker crashed while generating metadata (exit code 137).",
    ),
)
SEED_ERROR_MAP = {
    "error_geometry_mismatch": "error_internal",
    "error_execution": "error_internal",
    "error_connection": "error_internal",
}
USER_ID = "8d4c7a2e-53b1-4f6c-9a77-2f1e0c3b9d10"
ORG_ID = "3f5e2a91-7c44-4b0e-8e12-6a9d0b7c1e55"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class ZooQueryError(ValueError):
    """A query parameter Zoo would answer 400 to."""


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or int(raw) < 1:
        raise ZooQueryError(f"invalid value for limit: {raw!r} (expected an integer of at least 1)")
    return min(MAX_LIMIT, int(raw))


class ZooWorld:
    """Generates Zoo async operations, datasets and dataset conversions."""

    def __init__(self, state: WorldState, planted: tuple[PlantedConversion, ...] = ()) -> None:
        """Args: the world; `planted`, conversions whose phase times are given, served in
        a dataset of their own after the generated ones (`planted_dataset_id`)."""
        self.state = state
        self.planted = planted
        n = state.jobs
        self.seed_enums = state.zoo_enums == "seed"
        self.phases = ZOO_SEED_PHASES if self.seed_enums else ZOO_PHASES
        self.statuses = ZOO_DATASET_SEED_STATUSES if self.seed_enums else ZOO_DATASET_STATUSES
        self.async_timeline = Timeline(
            seed=state.seed,
            salt=ASYNC_SALT,
            n=n,
            spacing_ms=spacing_for(n),
            arrival_ms=30_000,
            dmax_ms=700_000,
        )
        self.async_index = ListIndex(self.async_timeline, self._async_final)
        self.datasets: list[tuple[str, Timeline, ListIndex]] = []
        for d, (_, _, _, share, arrival) in enumerate(DATASETS):
            size = (
                round(n * share)
                if d < len(DATASETS) - 1
                else n - sum(round(n * s[3]) for s in DATASETS[:-1])
            )
            tl = Timeline(
                seed=state.seed,
                salt=CONV_SALT + d,
                n=max(0, size),
                spacing_ms=spacing_for(size),
                arrival_ms=arrival,
                dmax_ms=1_200_000,
            )
            self.datasets.append(
                (make_uuid(state.seed, DATASET_SALT, d), tl, ListIndex(tl, self._conv_final(d)))
            )
        self.planted_dataset_id: str | None = None
        if planted:
            d = len(self.datasets)
            tl = planted_timeline(state.seed, CONV_SALT + d, planted, self.phases)
            self.planted_dataset_id = make_uuid(state.seed, DATASET_SALT, d)
            self.datasets.append((self.planted_dataset_id, tl, ListIndex(tl, self._conv_final(d))))

    # -- async operations -------------------------------------------------------------
    def tracked_async_ids(self) -> list[str]:
        """The seed operation plus the 16 newest ones (a client tracks ids it created)."""
        visible = self.async_timeline.visible(self.state.now_ms())
        return [ZOO_SEED_ASYNC_ID] + [
            self.async_id(i) for i in range(max(0, visible - 16), visible)
        ]

    def async_id(self, index: int) -> str:
        """The uuid of async operation `index`."""
        return make_uuid(self.state.seed, ASYNC_SALT, index)

    def _async_plan(self, index: int) -> dict[str, Any]:
        r = h64(self.state.seed, ASYNC_SALT, index)
        created = self.async_timeline.created_ms(index)
        kind = pick(r, 0, ASYNC_TYPES)
        queued = 1_000 + int(frac(r, 8) * 29_000)
        uploaded = 2_000 + int(frac(r, 24) * 10_000) if kind == "file_conversion" else 0
        running = 5_000 + int(
            frac(r, 40)
            * 480_000
            * (0.3 if kind.startswith("file_") and kind != "file_conversion" else 1)
        )
        failed = frac(r, 48) < 0.1
        start = created + queued + uploaded
        return {
            "r": r,
            "kind": kind,
            "created": created,
            "uploaded_at": created + queued,
            "start": start,
            "end": start + running,
            "failed": failed,
        }

    def _async_final(self, index: int) -> tuple[Hashable, int]:
        plan = self._async_plan(index)
        return ("failed" if plan["failed"] else "completed"), plan["end"]

    def _async_status(self, plan: dict[str, Any], now: int) -> str:
        if now >= plan["end"]:
            return "failed" if plan["failed"] else "completed"
        if now >= plan["start"]:
            return "in_progress"
        if plan["kind"] == "file_conversion" and now >= plan["uploaded_at"]:
            return "uploaded"
        return "queued"

    def async_operation(self, index: int, now: int, *, listed: bool) -> dict[str, Any]:
        """Operation `index` at `now`: an `AsyncApiCall` list item or an `AsyncApiCallOutput`."""
        st = self.state
        plan = self._async_plan(index)
        r, kind = plan["r"], plan["kind"]
        status = self._async_status(plan, now)
        done = status in ("completed", "failed")
        ok = status == "completed"
        last = plan["created"]
        for moment in (
            plan["uploaded_at"] if kind == "file_conversion" else None,
            plan["start"],
            plan["end"],
        ):
            if moment is not None and now >= moment:
                last = moment
        common: dict[str, Any] = {
            "id": self.async_id(index),
            "type": kind,
            "status": status,
            "user_id": USER_ID,
            "created_at": zoo_time(st.at(plan["created"])),
            "updated_at": zoo_time(st.at(last)),
            "started_at": zoo_time(st.at(plan["start"])) if now >= plan["start"] else None,
            "completed_at": zoo_time(st.at(plan["end"])) if done else None,
            "error": pick(r, 56, ASYNC_ERRORS) if status == "failed" else None,
        }
        fields = self._async_fields(kind, r, ok, index)
        if listed:
            inputs = {
                k: v
                for k, v in fields.items()
                if k in ("src_format", "output_format", "output_unit", "prompt")
            }
            item = {
                **common,
                "input": inputs,
                "worker": f"worker-{r % 37:02d}.zoo.internal",
                "attempts": 1 + (r >> 60) % 2,
            }
            if kind != "file_conversion":
                item["output"] = (
                    {k: v for k, v in fields.items() if k not in inputs} if ok else None
                )
            return item
        return {**common, **fields}

    def _async_fields(self, kind: str, r: int, ok: bool, index: int) -> dict[str, Any]:
        src = pick(r, 12, IMPORT_FORMATS)
        out = pick(r, 28, EXPORT_FORMATS)
        value = round(10 + frac(r, 44) * 990, 3)
        conversation = make_uuid(self.state.seed, ASYNC_SALT + 1, index)
        kcl = _kcl(index, "text-to-cad")
        if kind == "file_conversion":
            payload = base64.b64encode(
                f"solid part{index}\nendsolid part{index}\n".encode()
            ).decode()
            return {
                "src_format": src,
                "output_format": out,
                "src_format_options": None,
                "output_format_options": None,
                "outputs": {f"part{index}.{out}": payload} if ok else {},
            }
        if kind == "file_volume":
            return {"src_format": src, "output_unit": "cm3", "volume": value if ok else None}
        if kind == "file_center_of_mass":
            point = {
                "x": round(value / 10, 3),
                "y": round(value / 20, 3),
                "z": round(value / 40, 3),
            }
            return {"src_format": src, "output_unit": "mm", "center_of_mass": point if ok else None}
        if kind == "file_mass":
            return {
                "src_format": src,
                "output_unit": "g",
                "material_density_unit": "kg:m3",
                "material_density": 7850.0,
                "mass": value if ok else None,
            }
        if kind == "file_density":
            return {
                "src_format": src,
                "output_unit": "kg:m3",
                "material_mass_unit": "g",
                "material_mass": 120.0,
                "density": value if ok else None,
            }
        if kind == "file_surface_area":
            return {"src_format": src, "output_unit": "mm2", "surface_area": value if ok else None}
        model = {
            "conversation_id": conversation,
            "model": pick(r, 36, ("cad", "kcl")),
            "model_version": "2026.07.1",
        }
        if kind == "text_to_cad":
            return {
                **model,
                "output_format": out,
                "prompt": pick(r, 40, PROMPTS),
                "code": kcl if ok else None,
                "kcl_version": "0.2.88" if ok else None,
                "feedback": None,
                "outputs": {f"source.{out}": base64.b64encode(kcl.encode()).decode()} if ok else {},
            }
        if kind == "text_to_cad_iteration":
            return {
                **model,
                "model": "kcl_iteration",
                "code": kcl if ok else "",
                "original_source_code": kcl,
                "source_ranges": [],
                "prompt": "make the holes 1 mm larger",
                "feedback": None,
            }
        return {
            **model,
            "model": "kcl_iteration",
            "source_ranges": [],
            "outputs": {"main.kcl": kcl} if ok else {},
            "kcl_version": "0.2.88",
            "project_name": f"project-{index}",
            "prompt": "add a chamfer",
            "feedback": None,
        }

    def lookup_async(self, text: str) -> dict[str, Any] | None:
        """GET /async/operations/{id}, or None."""
        if text.strip().lower() == ZOO_SEED_ASYNC_ID:
            return seed("zoo_async")
        index = uuid_index(self.state.seed, ASYNC_SALT, text.strip())
        now = self.state.now_ms()
        if index is None or index >= self.async_timeline.visible(now):
            return None
        return self.async_operation(index, now, listed=False)

    def list_async(self, params: dict[str, str]) -> dict[str, Any]:
        """GET /async/operations: limit, page_token, sort_by (created), status."""
        limit = _limit(params.get("limit"))
        now = self.state.now_ms()
        tok = self._token(params, ("sort_by", "status"))
        sort_by = tok.get("sort_by") or "created_at_descending"
        status = tok.get("status")
        if sort_by not in CREATED_SORTS:
            raise ZooQueryError(f"invalid value for sort_by: {sort_by!r}")
        if status is not None and status not in ASYNC_STATUSES:
            raise ZooQueryError(f"invalid value for status: {status!r}")
        tl = self.async_timeline
        visible = tok.get("v", tl.visible(now))
        runs = self.async_index.static_runs(
            now, "created", lambda g: 0, lambda g: status in (None, g)
        )
        dyn = []
        for i in range(tl.static_bound(now), visible):
            if status is None or self._async_status(self._async_plan(i), now) == status:
                dyn.append(i)
        keys, total = select(runs, dyn, tok["o"], limit, sort_by.endswith("descending"))
        items = [self.async_operation(k & KEY_MASK, now, listed=True) for k in keys]
        return self._page(items, tok, limit, total, visible)

    # -- datasets ---------------------------------------------------------------------
    def dataset(self, dataset_id: str) -> dict[str, Any] | None:
        """GET /org/datasets/{id}, or None."""
        for d, (did, tl, _) in enumerate(self.datasets):
            if did == dataset_id:
                name, uri, provider, _, _ = DATASETS[d] if d < len(DATASETS) else PLANTED_DATASET
                created = tl.created_ms(0) - 3_600_000 if tl.n else -86_400_000
                errored = d == 1
                return {
                    "id": did,
                    "org_id": ORG_ID,
                    "name": name,
                    "description": f"{name} ({provider})",
                    "source_uri": uri,
                    "storage_provider": provider,
                    "access_role_arn": "arn:aws:iam::123456789012:role/zoo-dataset-reader",
                    "status": "errored" if errored else "active",
                    "lookup_enabled": d == 0,
                    "require_raw_kcl_similarity_score_for_success": d == 0,
                    "last_sync_error": "AccessDenied listing s3://acme-archive/sldprt/2019/"
                    if errored
                    else None,
                    "last_sync_error_at": zoo_time(self.state.at(-7_200_000)) if errored else None,
                    "created_at": zoo_time(self.state.at(created)),
                    "updated_at": zoo_time(self.state.at(created + 60_000)),
                }
        return None

    def list_datasets(self, params: dict[str, str]) -> dict[str, Any]:
        """GET /org/datasets: limit, page_token, sort_by, lookup_enabled."""
        limit = _limit(params.get("limit"))
        tok = self._token(params, ("sort_by", "lookup_enabled"))
        sort_by = tok.get("sort_by") or "created_at_ascending"
        if sort_by not in CREATED_SORTS:
            raise ZooQueryError(f"invalid value for sort_by: {sort_by!r}")
        rows = [row for did, _, _ in self.datasets if (row := self.dataset(did))]
        lookup = tok.get("lookup_enabled")
        if lookup is not None:
            if lookup not in ("true", "false"):
                raise ZooQueryError(f"invalid value for lookup_enabled: {lookup!r}")
            rows = [row for row in rows if row["lookup_enabled"] == (lookup == "true")]
        if sort_by.endswith("descending"):
            rows.reverse()
        offset = tok["o"]
        return self._page(rows[offset : offset + limit], tok, limit, len(rows), 0)

    # -- dataset conversions ----------------------------------------------------------
    def _find_dataset(self, dataset_id: str) -> tuple[int, Timeline, ListIndex] | None:
        for d, (did, tl, index) in enumerate(self.datasets):
            if did == dataset_id:
                return d, tl, index
        return None

    def conversion_id(self, d: int, index: int) -> str:
        """The uuid of conversion `index` of dataset `d`."""
        return make_uuid(self.state.seed, CONV_SALT + d, index)

    def _conv_plan(self, d: int, index: int) -> dict[str, Any]:
        """When each phase begins, and how the conversion ends."""
        r = h64(self.state.seed, CONV_SALT + d, index)
        created = self.datasets[d][1].created_ms(index)
        if d >= len(DATASETS):
            return planted_plan(self.planted[index], self.phases, r, created)
        override = frac(r, 0) < 0.1
        fate = frac(r, 16)
        error = None
        canceled = fate < 0.02
        if 0.02 <= fate < 0.14:
            status, phase_name, message = pick(r, 24, ERRORS)
            if self.seed_enums:
                status = SEED_ERROR_MAP.get(status, status)
            error = (status, self.phases.index(phase_name), message)
        t = created + 2_000 + int(frac(r, 32) * 100_000)
        starts = [created]
        for k, name in enumerate(self.phases[1:], start=1):
            starts.append(t)
            if name == "completed":
                break
            if name == "manual_kcl_override" and not override:
                t += 500
            else:
                base = 30_000 if name == "salon" else 8_000
                t += 1_000 + int(frac(h64(r, k), 0) * base)
        if canceled:
            end, final, phase = created + 1_000 + int(frac(r, 40) * 20_000), "canceled", 0
        elif error is not None:
            phase = error[1]
            end, final = starts[phase] + int((starts[phase + 1] - starts[phase]) * 0.6), error[0]
        else:
            end, final, phase = starts[-1], "success", len(self.phases) - 1
        return {
            "r": r,
            "created": created,
            "starts": starts,
            "end": end,
            "final": final,
            "final_phase": phase,
            "error": error,
            "override": override,
        }

    def _conv_final(self, d: int):  # type: ignore[no-untyped-def]
        def final(index: int) -> tuple[Hashable, int]:
            plan = self._conv_plan(d, index)
            return (plan["final"], plan["final_phase"]), plan["end"]

        return final

    def _conv_now(self, plan: dict[str, Any], now: int) -> tuple[str, int, int]:
        """(status, phase index, updated_at ms) at `now`."""
        if now >= plan["end"]:
            return plan["final"], plan["final_phase"], plan["end"]
        starts = plan["starts"]
        if plan["final"] == "canceled" or now < starts[1]:
            return "queued", 0, plan["created"]
        phase = max(k for k, s in enumerate(starts) if s <= now)
        return "in_progress", phase, starts[phase]

    def conversion(self, d: int, index: int, now: int, *, details: bool) -> dict[str, Any]:
        """Conversion `index` of dataset `d` at `now`: a summary, or the full details."""
        st = self.state
        plan = self._conv_plan(d, index)
        r = plan["r"]
        status, phase, updated = self._conv_now(plan, now)
        terminal = status not in ("queued", "in_progress")
        phases = self.phases
        passed = {name for k, name in enumerate(phases) if k < phase or status == "success"}
        path = self._file_path(d, index)
        out: dict[str, Any] = {
            "id": self.conversion_id(d, index),
            "dataset_id": self.datasets[d][0],
            "file_path": path,
            "file_etag": f'"{h64(r, 3):016x}{h64(r, 4):016x}"',
            "file_size": 2_048 + r % 48_000_000,
            "phase": phases[phase],
            "status": status,
            "status_message": (
                plan["error"][2]
                if plan["error"] and terminal
                else "Canceled: the file was removed from the bucket."
                if status == "canceled"
                else None
            ),
            "created_at": zoo_time(st.at(plan["created"])),
            "updated_at": zoo_time(st.at(updated)),
            "started_at": zoo_time(st.at(plan["starts"][1]))
            if now >= plan["starts"][1] and plan["final"] != "canceled"
            else None,
            "completed_at": zoo_time(st.at(plan["end"])) if terminal else None,
            "importer_version": "kcl-importer 0.9.12" if phase >= 1 or terminal else None,
            "metadata": {
                "part_number": f"PN-{index:06d}",
                "material": pick(r, 48, ("6061-T6", "304 SS", "ABS", "PA12")),
            }
            if "zoo_generated_original_metadata" in passed
            else None,
        }
        if not self.seed_enums:
            out["manual_kcl_override_active"] = plan["override"]
            out["manual_kcl_override_updated_at"] = (
                zoo_time(st.at(plan["created"] - 86_400_000)) if plan["override"] else None
            )
            out["raw_kcl_similarity_score"] = (
                round(0.9 + frac(r, 52) * 0.1, 4) if "snapshot_raw_kcl" in passed else None
            )
            out["salon_kcl_similarity_score"] = (
                round(0.85 + frac(r, 56) * 0.15, 4) if "snapshot_salon_kcl" in passed else None
            )
        if not details:
            return out
        raw = _kcl(index, path) if "convert_raw_kcl" in passed else None
        salon = _kcl(index, path, salon=True) if "salon" in passed else None
        variant = (r >> 8) % VARIANTS

        def images(phase_name: str, stage: int) -> list[dict[str, str]]:
            if phase_name not in passed:
                return []
            return [
                {
                    "mime_type": "image/png",
                    "data_base64": base64.b64encode(snapshot_png(variant, stage)).decode(),
                }
            ]

        out.update(
            {
                "output": salon or raw,
                "raw_kcl_output": raw,
                "salon_kcl_output": salon,
                "original_snapshot_images": images("snapshot_original", 0),
                "raw_kcl_snapshot_images": images("snapshot_raw_kcl", 1),
                "salon_kcl_snapshot_images": images("snapshot_salon_kcl", 2),
            }
        )
        if not self.seed_enums:
            out["manual_kcl_override"] = _kcl(index, path, salon=True) if plan["override"] else None
        return out

    def _file_path(self, d: int, index: int) -> str:
        r = h64(self.state.seed, CONV_SALT + d, index, 9)
        return f"{pick(r, 0, FOLDERS)}/{pick(r, 16, FOLDERS)[:-1]}_{index:05d}{pick(r, 32, EXTS)}"

    def lookup_conversion(self, dataset_id: str, conversion_id: str) -> dict[str, Any] | None:
        """GET /org/datasets/{id}/conversions/{cid}, or None."""
        found = self._find_dataset(dataset_id)
        if found is None:
            return None
        d, tl, _ = found
        index = uuid_index(self.state.seed, CONV_SALT + d, conversion_id.strip())
        now = self.state.now_ms()
        if index is None or index >= tl.visible(now):
            return None
        return self.conversion(d, index, now, details=True)

    def list_conversions(
        self, dataset_id: str, params: dict[str, str], *, search: bool = False
    ) -> dict[str, Any] | None:
        """GET /org/datasets/{id}/conversions: limit, page_token, sort_by, filter, q, phase."""
        found = self._find_dataset(dataset_id)
        if found is None:
            return None
        d, tl, lindex = found
        limit = _limit(params.get("limit"))
        now = self.state.now_ms()
        tok = self._token(params, ("sort_by", "filter", "q", "phase"))
        if search and not tok.get("q"):
            raise ZooQueryError("the q parameter is required on the first page of a search")
        sort_by = tok.get("sort_by") or "created_at_descending"
        if sort_by not in CONVERSION_SORTS:
            raise ZooQueryError(f"invalid value for sort_by: {sort_by!r}")
        want_status = None
        if tok.get("filter"):
            field, sep, value = tok["filter"].partition(":")
            if field.strip() != "status" or not sep:
                raise ZooQueryError(f"invalid filter {tok['filter']!r}: expected status:<status>")
            want_status = value.strip()
            if want_status not in self.statuses:
                raise ZooQueryError(f"invalid status in filter: {want_status!r}")
        want_phase = None
        if tok.get("phase"):
            if tok["phase"] not in self.phases:
                raise ZooQueryError(f"invalid value for phase: {tok['phase']!r}")
            want_phase = self.phases.index(tok["phase"])
        q = (tok.get("q") or "").strip().lower()
        visible = tok.get("v", tl.visible(now))
        mode = (
            "updated"
            if sort_by.startswith("updated")
            else "created"
            if sort_by.startswith("created")
            else "group"
        )
        by_phase = sort_by.startswith("phase")
        status_rank = {s: k for k, s in enumerate(self.statuses)}

        def prim(group: Hashable) -> int:
            status, phase = cast(tuple[str, int], group)
            return phase if by_phase else status_rank.get(status, 99)

        def ok(group: Hashable) -> bool:
            status, phase = cast(tuple[str, int], group)
            return want_status in (None, status) and want_phase in (None, phase)

        def key(i: int, status: str, phase: int, updated: int) -> int:
            if mode == "updated":
                return ((updated + TIME_BIAS_MS) << KEY_BITS) | i
            if mode == "group":
                return (prim((status, phase)) << KEY_BITS) | i
            return i

        if q:
            # q is a text search (id or fuzzy path): it reads every path, as a search would.
            keys_q = []
            for i in range(visible):
                if q in self._file_path(d, i).lower() or q == self.conversion_id(d, i):
                    status, phase, updated = self._conv_now(self._conv_plan(d, i), now)
                    if ok((status, phase)):
                        keys_q.append(key(i, status, phase, updated))
            keys, total = select([], keys_q, tok["o"], limit, sort_by.endswith("descending"))
        else:
            runs = lindex.static_runs(now, mode, prim, ok)
            dyn = []
            for i in range(tl.static_bound(now), visible):
                plan = self._conv_plan(d, i)
                if mode == "updated" and i < tl.n and plan["end"] <= now:
                    continue  # already in the static runs
                status, phase, updated = self._conv_now(plan, now)
                if ok((status, phase)):
                    dyn.append(key(i, status, phase, updated))
            keys, total = select(runs, dyn, tok["o"], limit, sort_by.endswith("descending"))
        items = [self.conversion(d, k & KEY_MASK, now, details=False) for k in keys]
        return self._page(items, tok, limit, total, visible)

    def stats(self, dataset_id: str) -> dict[str, Any] | None:
        """GET /org/datasets/{id}/stats, or None."""
        found = self._find_dataset(dataset_id)
        if found is None:
            return None
        d, tl, lindex = found
        now = self.state.now_ms()
        by_status = dict.fromkeys(self.statuses, 0)
        bound = tl.static_bound(now)
        for group, members in lindex.groups().items():
            status, _ = cast(tuple[str, int], group)
            by_status[status] = by_status.get(status, 0) + bisect_left(members, bound)
        for i in range(bound, tl.visible(now)):
            status = self._conv_now(self._conv_plan(d, i), now)[0]
            by_status[status] = by_status.get(status, 0) + 1
        return {
            "dataset_id": dataset_id,
            "total": sum(by_status.values()),
            "successes": by_status.get("success", 0),
            "failures": sum(v for k, v in by_status.items() if k.startswith("error_")),
            "by_status": by_status,
        }

    # -- pages ------------------------------------------------------------------------
    def _token(self, params: dict[str, str], names: tuple[str, ...]) -> dict[str, Any]:
        """The scan state: from `page_token` when given (it wins), else the query."""
        raw = params.get("page_token")
        if raw in ("A", "B") and self.state.faults.has("zoo", "repeating_token"):
            raw = None  # the fault's own tokens: serve the first page again
        if raw:
            tok = decode_token(raw)
            if tok is None:
                raise ZooQueryError("invalid page_token")
            return tok
        return {"o": 0, **{n: params[n] for n in names if params.get(n) not in (None, "")}}

    def _page(
        self, items: list[dict[str, Any]], tok: dict[str, Any], limit: int, total: int, visible: int
    ) -> dict[str, Any]:
        offset = tok["o"] + len(items)
        more = bool(items) and offset < total
        nxt = encode_token({**tok, "o": offset, "v": visible}) if more else None
        return {"items": items, "next_page": nxt}


def _kcl(index: int, source: str, *, salon: bool = False) -> str:
    width, depth = 20 + index % 40, 10 + index % 25
    if salon:
        return (
            f"// {source}: polished by salon\n"
            f"plateWidth = {width}\nplateDepth = {depth}\nholeDiameter = 4.2\n\n"
            "plate = startSketchOn(XY)\n"
            "  |> rectangle(center = [0, 0], width = plateWidth, height = plateDepth)\n"
            "  |> subtract2d(tool = circle(center = [0, 0], diameter = holeDiameter))\n"
            "  |> extrude(length = 5)\n"
        )
    return (
        f"// raw KCL converted from {source}\n"
        "sketch001 = startSketchOn(XY)\n  |> startProfile(at = [0, 0])\n"
        f"  |> line(end = [{width}, 0])\n  |> line(end = [0, {depth}])\n"
        f"  |> line(end = [-{width}, 0])\n  |> close()\n"
        "extrude001 = extrude(sketch001, length = 5)\n"
    )
