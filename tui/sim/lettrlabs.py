"""LettrLabs conversion uploads: Pending -> Processing -> Completed (or Failed).

LettrLabs documents no status words; the simulator uses the obvious ones. Every answer is
the documented envelope (`profile`, `payload`, `errors`, `hasErrors`, `warnings`,
`hasWarnings`, `metadata`). `GET /v1/conversions` (shape undocumented) returns the
envelope with `payload` = every status object, newest first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tui.sim.api import Wire
from tui.sim.seeds import LETTRLABS_SEED_ID, seed
from tui.sim.world import Timeline, WorldState, frac, h64, pick, spacing_for


def lettr_time(moment: datetime) -> str:
    """LettrLabs' `2019-08-24T14:15:22Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def error_body(status: int, message: str) -> dict[str, Any]:
    """LettrLabs' envelope with the message as its one error."""
    return {
        "profile": None,
        "payload": None,
        "errors": [message],
        "hasErrors": True,
        "warnings": [],
        "hasWarnings": False,
        "metadata": {},
    }


def api_key(headers: Mapping[str, str]) -> str:
    """The `X-API-KEY` header."""
    return headers.get("x-api-key", "")


WIRE = Wire(error_body=error_body, credential=api_key)

SALT = 0x4C4C
SOURCES = ("Shopify", "CSV Upload", "API", "Salesforce", "HubSpot")
FILES = ("orders_{n}.csv", "shopify_export_{n}.csv", "conversions-{n}.xlsx", "crm_sync_{n}.json")
ERRORS = (
    "Row 14: primaryEmail is not a valid email address.",
    "Row 203: revenue must be a number greater than or equal to 0.",
    "The file has no header row; expected columns such as firstName, lastName, orderId.",
    "Every record failed validation: at least one identifier and a revenue value are required.",
)
WARNINGS = (
    "3 records had no orderId and were treated as unique.",
    "12 records had an eventDate in the future; it was replaced by the upload date.",
)


class LettrWorld:
    """Generates LettrLabs conversion uploads by index."""

    def __init__(self, state: WorldState) -> None:
        self.state = state
        n = state.jobs
        self.timeline = Timeline(
            seed=state.seed,
            salt=SALT,
            n=n,
            spacing_ms=spacing_for(n),
            arrival_ms=45_000,
            dmax_ms=700_000,
        )

    def profile(self) -> dict[str, Any]:
        """The account profile every envelope carries."""
        return {
            "id": 4711,
            "aadId": "6b1f2c3d-8e9a-4b5c-9d0e-1f2a3b4c5d6e",
            "email": "ops@acme-mailers.example",
            "firstName": "Dana",
            "lastName": "Reyes",
            "company": "Acme Mailers",
            "created": "2023-03-14T09:26:53Z",
            "shouldProcessQrCodes": True,
        }

    def envelope(
        self, payload: Any, errors: list[str] | None = None, warnings: list[str] | None = None
    ) -> dict[str, Any]:
        """The documented response envelope around `payload`."""
        errors, warnings = errors or [], warnings or []
        return {
            "profile": self.profile(),
            "payload": payload,
            "errors": errors,
            "hasErrors": bool(errors),
            "warnings": warnings,
            "hasWarnings": bool(warnings),
            "metadata": {},
        }

    def _plan(self, index: int) -> dict[str, Any]:
        r = h64(self.state.seed, SALT, index)
        created = self.timeline.created_ms(index)
        start = created + 5_000 + int(frac(r, 0) * 55_000)
        end = start + 30_000 + int(frac(r, 16) * 570_000)
        return {
            "r": r,
            "created": created,
            "start": start,
            "end": end,
            "failed": frac(r, 32) < 0.08,
            "warn": frac(r, 40) < 0.2,
        }

    def item(self, index: int, now: int) -> tuple[dict[str, Any], list[str], list[str]]:
        """(status payload, errors, warnings) of upload `index` at `now`."""
        plan = self._plan(index)
        r = plan["r"]
        status, errors, warnings = "Pending", [], []
        if now >= plan["end"]:
            if plan["failed"]:
                status, errors = "Failed", [pick(r, 48, ERRORS)]
            else:
                status = "Completed"
                warnings = [pick(r, 56, WARNINGS)] if plan["warn"] else []
        elif now >= plan["start"]:
            status = "Processing"
        payload = {
            "id": index + 1,
            "fileName": pick(r, 8, FILES).format(n=1000 + index),
            "dataSourceType": pick(r, 24, SOURCES),
            "status": status,
            "uploadDate": lettr_time(self.state.at(plan["created"])),
        }
        return payload, errors, warnings

    def status(self, raw_id: str) -> dict[str, Any] | None:
        """GET /v1/conversions/{id}/status, or None."""
        if not raw_id.isdigit() or len(raw_id) > 12:
            return None
        ident = int(raw_id)
        if ident == LETTRLABS_SEED_ID:
            return seed("lettrlabs_status")
        now = self.state.now_ms()
        if ident - 1 >= self.timeline.visible(now):
            return None
        payload, errors, warnings = self.item(ident - 1, now)
        return self.envelope(payload, errors, warnings)

    def list(self) -> dict[str, Any]:
        """GET /v1/conversions: every upload, newest first (the docs give no paging)."""
        now = self.state.now_ms()
        visible = self.timeline.visible(now)
        return self.envelope([self.item(i, now)[0] for i in range(visible - 1, -1, -1)])
