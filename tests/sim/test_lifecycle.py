"""Life cycles over a FrozenClock, determinism, arrivals, real images and blurHashes."""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import blurhash  # type: ignore[import-untyped]  # no stubs or py.typed
import httpx
import pytest
from PIL import ImageStat

from tui.clock import FrozenClock
from tui.providers.hdrjpg.vocabulary import HDRJPG_STEPS
from tui.providers.zoo.vocabulary import ZOO_PHASES, ZOO_SEED_PHASES
from tui.sim.images import VARIANTS, photo_preview, scene_image
from tui.sim.server import SimServer

from .conftest import START, get


@pytest.fixture
def moving() -> Iterator[tuple[SimServer, FrozenClock, httpx.Client]]:
    clock = FrozenClock(START)
    with (
        SimServer(jobs=60, seed=3, clock=clock) as sim,
        httpx.Client(base_url=sim.url, timeout=10) as c,
    ):
        yield sim, clock, c


def _ranked(seq: list[str], order: tuple[str, ...]) -> list[int]:
    return [order.index(x) for x in seq]


def test_zoo_conversions_walk_the_phases_in_order(
    moving: tuple[SimServer, FrozenClock, httpx.Client],
) -> None:
    sim, clock, c = moving
    ds = get(c, "zoo", "/org/datasets").json()["items"][0]["id"]
    history: dict[str, list[tuple[str, str]]] = {}
    for _ in range(90):
        for item in get(c, "zoo", f"/org/datasets/{ds}/conversions", limit=15).json()["items"]:
            history.setdefault(item["id"], []).append((item["status"], item["phase"]))
        clock.advance(7)
    walked = 0
    for steps in history.values():
        phases = [p for _, p in steps]
        assert _ranked(phases, ZOO_PHASES) == sorted(_ranked(phases, ZOO_PHASES))
        statuses = [s for s, _ in steps]
        terminal = [k for k, s in enumerate(statuses) if s not in ("queued", "in_progress")]
        if terminal:  # once terminal, it stays put
            assert len(set(steps[terminal[0] :])) == 1
        if "queued" in statuses and "success" in statuses:
            walked += 1
            assert steps[-1] == ("success", "completed")
        for status, phase in steps:
            assert (status == "queued") == (phase == "queued") or status == "canceled"
    assert walked >= 1, "no conversion was seen going from queued to success"
    assert len(history) > 15, "no new conversions arrived"


def test_zoo_seed_enums_serve_the_older_sets() -> None:
    with SimServer(jobs=300, seed=5, zoo_enums="seed") as sim, httpx.Client(base_url=sim.url) as c:
        ds = get(c, "zoo", "/org/datasets").json()["items"][0]["id"]
        items = get(c, "zoo", f"/org/datasets/{ds}/conversions", limit=500).json()["items"]
        seed_statuses = {
            "queued",
            "canceled",
            "in_progress",
            "success",
            "error_user",
            "error_unsupported",
            "error_internal",
        }
        assert {i["status"] for i in items} <= seed_statuses
        assert {i["phase"] for i in items} <= set(ZOO_SEED_PHASES)
        assert "manual_kcl_override_active" not in items[0]
        assert (
            get(
                c, "zoo", f"/org/datasets/{ds}/conversions", phase="manual_kcl_override"
            ).status_code
            == 400
        )


def test_hdrjpg_pending_running_ready_or_failed(
    moving: tuple[SimServer, FrozenClock, httpx.Client],
) -> None:
    sim, clock, c = moving
    ids = sim.tracked_ids()["hdrjpg"][1:]
    seen: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for _ in range(70):
        for ident in ids:
            seen[ident].append(
                get(c, "hdrjpg", "/status", conversionUuid=ident).json()["conversions"][0]
            )
        clock.advance(5)
        new = [i for i in sim.tracked_ids()["hdrjpg"][1:] if i not in seen]
        for i in new:
            seen[i] = []
        ids = list(seen)
    order = ("Pending", "Running", "Ready", "Delivered")
    went_through = 0
    for history in seen.values():
        statuses = [h["status"] for h in history]
        if "Failed" in statuses:
            assert statuses[statuses.index("Failed") :] == ["Failed"] * (
                len(statuses) - statuses.index("Failed")
            )
            assert history[-1]["failDescriptions"]
            assert any(v["status"] in ("Failed", "Skipped") for v in history[-1]["variants"])
            continue
        if "Cancelled" in statuses:
            continue
        assert _ranked(statuses, order) == sorted(_ranked(statuses, order))
        running = [h for h in history if h["status"] == "Running"]
        steps = [h["step"] for h in running]
        assert _ranked(steps, HDRJPG_STEPS) == sorted(_ranked(steps, HDRJPG_STEPS))
        progress = [h["progressPercentage"] for h in running]
        assert progress == sorted(progress)
        assert all(h["estimatedRemainingTime"] >= 1 for h in running)
        if statuses[0] == "Pending" and "Ready" in statuses and running:
            went_through += 1
            done = history[statuses.index("Ready")]
            assert done["progressPercentage"] == 100 and done["deliveryExpirationDate"]
            assert all(v["status"] in ("Completed", "Skipped") for v in done["variants"])
            vorder = ("Pending", "Prepared", "Running", "Completed")
            for k in range(len(done["variants"])):
                vs = [
                    h["variants"][k]["status"]
                    for h in history
                    if h["variants"][k]["status"] in vorder
                ]
                assert _ranked(vs, vorder) == sorted(_ranked(vs, vorder))
    assert went_through >= 1


def test_metafold_jobs_respect_needs(moving: tuple[SimServer, FrozenClock, httpx.Client]) -> None:
    sim, clock, c = moving
    checked = 0
    for _ in range(40):
        for pid in ("200", "201", "202"):
            jobs = {j["id"]: j for j in get(c, "metafold", f"/projects/{pid}/jobs").json()}
            for job in jobs.values():
                ups = [jobs[n] for n in job["needs"]]
                if job["started"] is not None:
                    checked += 1
                    started = parsedate_to_datetime(job["started"])
                    for up in ups:
                        assert up["state"] == "success", (job, up)
                        assert parsedate_to_datetime(up["finished"]) <= started
                if any(up["state"] in ("failure", "canceled") for up in ups):
                    assert job["state"] in ("pending", "canceled")
                if job["state"] == "failure":
                    assert job["error"]
        clock.advance(30)
    assert checked > 50


def test_same_seed_and_clock_give_identical_answers() -> None:
    def snapshot(sim: SimServer, clock: FrozenClock) -> list[Any]:
        out = []
        with httpx.Client(base_url=sim.url) as c:
            ds = get(c, "zoo", "/org/datasets").json()["items"]
            out.append(ds)
            out.append(
                get(
                    c,
                    "zoo",
                    f"/org/datasets/{ds[0]['id']}/conversions",
                    sort_by="updated_at_descending",
                ).json()["items"]
            )
            out.append(get(c, "zoo", "/async/operations").json()["items"])
            out.append(get(c, "metafold", "/projects/201/jobs").json())
            out.append(get(c, "lettrlabs", "/v1/conversions").json())
            out.append(
                [
                    get(c, "hdrjpg", "/status", conversionUuid=i).json()
                    for i in sim.tracked_ids()["hdrjpg"]
                ]
            )
        return out

    results = []
    for _ in range(2):
        clock = FrozenClock(START)
        with SimServer(jobs=120, seed=11, clock=clock) as sim:
            first = snapshot(sim, clock)
            clock.advance(300)
            results.append((first, snapshot(sim, clock)))
    assert results[0] == results[1]
    assert results[0][0] != results[0][1], "nothing moved in 5 minutes"
    with SimServer(jobs=120, seed=12, clock=FrozenClock(START)) as other:
        assert snapshot(other, FrozenClock(START))[2] != results[0][0][2]


def test_blurhash_and_average_colour_are_of_a_real_image() -> None:
    for variant in range(VARIANTS):
        code, average = photo_preview(variant)
        image = scene_image(variant)
        mean = ImageStat.Stat(image).mean
        assert average == "#{:02X}{:02X}{:02X}".format(*(round(x) for x in mean))
        pixels = [[image.getpixel((x, y)) for x in range(image.width)] for y in range(image.height)]
        assert blurhash.encode(pixels, 4, 3) == code
        assert len(blurhash.decode(code, 8, 6)) == 6


def test_admin_clock_and_tracked() -> None:
    clock = FrozenClock(START)
    with (
        SimServer(jobs=20, clock=clock) as sim,
        httpx.Client(base_url=sim.url, headers=sim.admin_headers()) as c,
    ):
        assert c.get("/_admin/tracked").json() == sim.tracked_ids()
        r = c.post("/_admin/clock", json={"advance": 60})
        assert r.status_code == 200 and clock() == START.replace(minute=1)
    with SimServer(jobs=5) as sim, httpx.Client(base_url=sim.url, headers=sim.admin_headers()) as c:
        assert c.post("/_admin/clock", json={"advance": 60}).status_code == 409
