"""A planted Zoo history: conversions whose phase times are given, served over HTTP like
the generated ones (list, sort, filter, details, stats) at the times planted."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tests.sim.conftest import START, get
from tui.clock import FrozenClock
from tui.models import ZOO_PHASES, parse_timestamp
from tui.sim.planted import PlantedConversion
from tui.sim.server import SimServer
from tui.sim.state import SimState


def test_planted_conversions_enter_each_phase_when_planted() -> None:
    clock = FrozenClock(START)
    planted = (
        PlantedConversion(-60, (5.0, 20.0) + (10.0,) * 9),  # succeeds at -60 + 115 s
        PlantedConversion(0, (5.0, 30.0)),  # stays in phase 2 from 35 s
    )
    with (
        SimServer(jobs=0, seed=2, clock=clock, zoo_planted=planted) as sim,
        httpx.Client(base_url=sim.url, timeout=10) as c,
    ):
        dataset = sim.state.zoo.planted_dataset_id
        assert dataset is not None
        listed = [d["id"] for d in get(c, "zoo", "/org/datasets").json()["items"]]
        assert dataset in listed
        url = f"/org/datasets/{dataset}/conversions"

        def items(**params: str) -> list[dict[str, str]]:
            found: list[dict[str, str]] = get(
                c, "zoo", url, sort_by="created_at_ascending", **params
            ).json()["items"]
            return found

        first, second = items()
        assert (first["status"], first["phase"]) == ("in_progress", ZOO_PHASES[5])
        assert parse_timestamp(first["updated_at"]) == START + timedelta(seconds=-60 + 25 + 30)
        assert parse_timestamp(first["started_at"]) == START + timedelta(seconds=-55)
        assert (second["status"], second["phase"]) == ("queued", "queued")

        clock.advance(60)
        first, second = items()
        assert (first["status"], first["phase"]) == ("success", "completed")
        assert parse_timestamp(first["completed_at"]) == START + timedelta(seconds=55)
        assert (second["status"], second["phase"]) == ("in_progress", ZOO_PHASES[2])
        assert parse_timestamp(second["updated_at"]) == START + timedelta(seconds=35)
        assert [i["id"] for i in items(filter="status:success")] == [first["id"]]
        stats = get(c, "zoo", f"/org/datasets/{dataset}/stats").json()
        assert (stats["total"], stats["successes"], stats["by_status"]["in_progress"]) == (2, 1, 1)
        detail = get(c, "zoo", f"{url}/{second['id']}").json()
        assert detail["phase"] == ZOO_PHASES[2]

        clock.advance(86_400)  # it never moves on
        assert items()[1]["phase"] == ZOO_PHASES[2]


def test_a_planted_history_is_checked() -> None:
    with pytest.raises(ValueError, match="order they were created"):
        SimState(zoo_planted=(PlantedConversion(10, (1.0,)), PlantedConversion(0, (1.0,))))
    with pytest.raises(ValueError, match="phase_seconds"):
        SimState(jobs=0, zoo_planted=(PlantedConversion(0, ()),))
    with pytest.raises(ValueError, match="phase_seconds"):
        SimState(jobs=0, zoo_planted=(PlantedConversion(0, (1.0,) * len(ZOO_PHASES)),))
