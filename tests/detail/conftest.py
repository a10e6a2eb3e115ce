"""Fixtures for the detail screens: a scripted provider, seed details, and a tiny host app."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any, ClassVar

import pytest
from textual.app import App
from textual.pilot import Pilot

from tui.clock import FrozenClock
from tui.errors import NotFoundError, ProviderError
from tui.image_protocol import ImageProtocol
from tui.models import Job, JobDetail, ProviderName
from tui.paths import STYLES_DIR
from tui.providers import hdrjpg, lettrlabs, metafold, zoo
from tui.providers.base import Capabilities, ListQuery, ListResult
from tui.providers.hdrjpg.details import HdrjpgDetail
from tui.providers.metafold import client as metafold_client
from tui.screens.job_detail import JobDetailScreen
from tui.sim.images import snapshot_png
from tui.sim.seeds import seed
from tui.theme import DEFAULT_THEME, THEMES

NOW = datetime(2024, 10, 12, 9, 0, 0, tzinfo=UTC)
"""The frozen 'now' of every detail test."""

HDRJPG_SEED_UUID = "88667411-3fb9-4c92-8488-8e277aed3021"
ZOO_SEED_ASYNC_ID = "0ca1531a-ac9b-4e55-bff6-2ec246d5cc1d"


def css_paths() -> list[str | PurePath]:
    """`app.tcss` when it exists, and this screen's stylesheet."""
    paths = [STYLES_DIR / "app.tcss", STYLES_DIR / "job_detail.tcss"]
    return [path for path in paths if path.exists()]


class ScriptedProvider:
    """A `JobProvider` whose `get_job` answers from a script, per job id.

    Each id maps to a list of responses (details or errors) served in order; the last
    one repeats. Unknown ids raise `NotFoundError`.
    """

    provider: ClassVar[ProviderName] = ProviderName.METAFOLD

    def __init__(
        self,
        script: dict[str, Sequence[JobDetail | ProviderError]],
        *,
        account: str = "test",
        min_poll_interval: float = 0.0,
    ) -> None:
        self.account = account
        self.capabilities = Capabilities(lists=True, min_poll_interval=min_poll_interval)
        self.script = {key: list(value) for key, value in script.items()}
        self.calls: list[tuple[str, str | None]] = []

    async def list_jobs(self, query: ListQuery) -> ListResult:
        return ListResult(jobs=[])

    async def get_job(self, job_id: str, parent_id: str | None = None) -> JobDetail:
        self.calls.append((job_id, parent_id))
        responses = self.script.get(job_id)
        if not responses:
            raise NotFoundError(f"job {job_id} does not exist", account=self.account)
        response = responses.pop(0) if len(responses) > 1 else responses[0]
        if isinstance(response, ProviderError):
            raise response
        return response

    async def aclose(self) -> None:
        return None


class DetailApp(App[None]):
    """Hosts one `JobDetailScreen` over a blank default screen."""

    CSS_PATH = css_paths()

    def __init__(
        self,
        job: Job,
        provider: Any,
        clock: FrozenClock | None = None,
        refresh_interval: float = 5.0,
        image_protocol: ImageProtocol = ImageProtocol.HALFBLOCK,
        stored: Any = None,
        typical: Any = None,
    ) -> None:
        super().__init__()
        self.image_protocol = image_protocol
        self.stored = stored
        self.typical = typical
        self.job = job
        self.provider = provider
        self.clock = clock or FrozenClock(NOW)
        self.refresh_interval = refresh_interval
        for theme in THEMES:
            self.register_theme(theme)
        self.theme = DEFAULT_THEME

    def on_mount(self) -> None:
        self.push_screen(
            JobDetailScreen(
                self.job,
                self.provider,
                self.clock,
                refresh_interval=self.refresh_interval,
                image_protocol=self.image_protocol,
                **({"stored": self.stored} if self.stored is not None else {}),
                typical=self.typical,
            )
        )


async def wait_for_detail(pilot: Pilot[Any], fetches: int = 1) -> JobDetailScreen:
    """Pause until the top detail screen has handled `fetches` results (loaded or failed)."""
    for _ in range(500):
        await pilot.pause()
        screen = pilot.app.screen
        if (
            isinstance(screen, JobDetailScreen)
            and screen.fetches >= fetches
            and (screen.detail is not None or screen.error is not None)
            and screen.query("#detail-view, #detail-loading")
            and not any(
                worker.group == "snapshot-image" and not worker.is_finished
                for worker in pilot.app.workers
            )
        ):
            await pilot.pause()
            return screen
    raise AssertionError("the detail screen never showed a result")


# --- seed details ------------------------------------------------------------------------


def hdrjpg_seed_detail() -> JobDetail:
    detail = hdrjpg.parse_conversion(seed("hdrjpg"), "hdr")
    assert detail is not None
    return detail


def variants_with_notes(detail: HdrjpgDetail) -> HdrjpgDetail:
    """The seed with two variants: one warned (and many parameters), one failed."""
    first = detail.variants[0]
    params = dataclasses.replace(first.parameters, quality=85, width=4096, height=3072)
    warned = dataclasses.replace(
        first,
        uuid="warned",
        format="jpeg-xt",
        status="Ready",
        parameters=params,
        output_file_name="portrait_with_a_rather_long_output_name_4096.jpg",
        warning_descriptions=("Gain map downscaled to fit the output size",),
    )
    failed = dataclasses.replace(
        first,
        uuid="failed",
        format="avif",
        status="Failed",
        parameters=params,
        output_file_name="portrait_with_a_rather_long_output_name_4096.avif",
        fail_descriptions=("Source is not HDR: no gain map to keep " * 4,),
    )
    return dataclasses.replace(detail, variants=(warned, failed))


def metafold_seed_detail() -> JobDetail:
    data = seed("metafold_job")
    detail = metafold.parse_detail(data, "metafold", "123")
    assert detail is not None
    upstream = []
    for need, state, kind in (
        ("1", "success", "mesh/preprocess"),
        ("2", "started", "mesh/compute-bvh"),
    ):
        job = metafold.parse_job(
            {
                "id": need,
                "name": None,
                "type": kind,
                "state": state,
                "created": "2006-01-02T22:03:05+00:00",
                "started": "2006-01-02T22:03:10+00:00",
                "finished": "2006-01-02T22:03:50+00:00" if state == "success" else None,
                "error": None,
                "inputs": {"assets": None, "params": None},
                "outputs": {"assets": None, "params": None},
                "needs": [],
                "project_id": "123",
                "workflow_id": "123",
            },
            "metafold",
            "123",
        )
        assert job is not None
        upstream.append(job)
    return metafold_client._with_upstream(detail, tuple(upstream))


def metafold_upstream_detail(job: Job) -> JobDetail:
    detail = metafold.parse_detail(
        {
            "id": job.id,
            "name": None,
            "type": "mesh/preprocess",
            "state": job.status,
            "created": "2006-01-02T22:03:05+00:00",
            "started": "2006-01-02T22:03:10+00:00",
            "finished": "2006-01-02T22:03:50+00:00",
            "error": None,
            "inputs": {"assets": None, "params": {"scale": "1.0"}},
            "outputs": {"assets": None, "params": None},
            "needs": [],
            "project_id": "123",
            "workflow_id": "123",
        },
        "metafold",
        "123",
    )
    assert detail is not None
    return detail


def zoo_async_seed_detail() -> JobDetail:
    detail = zoo.parse_async_detail(seed("zoo_async"), "zoo")
    assert detail is not None
    return detail


def lettrlabs_seed_detail() -> JobDetail:
    detail = lettrlabs.parse_status_envelope(seed("lettrlabs_status"), "lettr")
    assert detail is not None
    return detail


def zoo_conversion_payload(
    *,
    status: str = "in_progress",
    phase: str = "convert_raw_kcl",
    images: int = 2,
) -> dict[str, Any]:
    """A full dataset conversion body with real PNG snapshots (from the simulator's renderer)."""

    def image(variant: int, stage: int) -> dict[str, str]:
        return {
            "mime_type": "image/png",
            "data_base64": base64.b64encode(snapshot_png(variant, stage)).decode(),
        }

    return {
        "id": "5e7c2f3a-0b7d-4c39-9d5e-1a2b3c4d5e6f",
        "dataset_id": "d47a5e1b-5f0e-4d3a-8c1e-7b6a5d4c3b2a",
        "file_path": "parts/bracket/bracket-v3.step",
        "file_etag": "9b2cf535f27731c974343645a3985328",
        "file_size": 1_843_200,
        "phase": phase,
        "status": status,
        "status_message": "converting with importer 2.4.1",
        "created_at": "2024-10-12T08:40:00Z",
        "updated_at": "2024-10-12T08:58:00Z",
        "started_at": "2024-10-12T08:41:00Z",
        "completed_at": None,
        "importer_version": "2.4.1",
        "metadata": {"part_number": "BR-3", "material": "6061-T6"},
        "manual_kcl_override_active": False,
        "manual_kcl_override_updated_at": None,
        "raw_kcl_similarity_score": 0.974,
        "salon_kcl_similarity_score": None,
        "output": None,
        "raw_kcl_output": "// raw KCL\nsketch001 = startSketchOn(XY)\n"
        "  |> startProfile(at = [0, 0])\n"
        "  |> line(end = [10, 0])\n  |> line(end = [0, 5])\n  |> close()\n"
        "bracket = extrude(sketch001, length = 3)\n",
        "salon_kcl_output": None,
        "manual_kcl_override": None,
        "original_snapshot_images": [image(1, 0), image(2, 0)][:images],
        "raw_kcl_snapshot_images": [image(1, 1)][: max(0, images - 1)],
        "salon_kcl_snapshot_images": [],
    }


def zoo_conversion_detail(**kwargs: Any) -> JobDetail:
    data = zoo_conversion_payload(**kwargs)
    detail = zoo.parse_conversion_detail(data, "zoo", data["dataset_id"])
    assert detail is not None
    return detail


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)
