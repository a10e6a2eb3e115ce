"""A planted Zoo history: dataset conversions whose times in each phase are given.

What the dashboard learns from a history (typical run times, times per phase, stuck jobs,
estimates) is tested on one whose numbers are known. The generated datasets' times come
from a hash; a planted dataset's come from `PlantedConversion`s, in a dataset of its own
(`ZooWorld.planted_dataset_id`) served like the others (lists, sorts, filters, stats,
details).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui.sim.world import Timeline, h64

NEVER_MS = 1 << 50
"""A time no test reaches (ms): when a conversion that stays in its phase ends."""

PLANTED_DATASET = ("Planted history", "zoo://datasets/planted", "zoo_managed", 0.0, 0)
"""The planted dataset's row, in the shape of `tui.sim.zoo.DATASETS`."""


@dataclass(frozen=True, slots=True)
class PlantedConversion:
    """One conversion of a planted history.

    Attributes:
        created_s: When it was created, in seconds from the simulator's epoch (negative:
            before the simulator started).
        phase_seconds: Seconds it spends in each phase, from `queued` on. Given for every
            phase before `completed`, it then succeeds; given for fewer, it stays in the
            next phase for good (a conversion that never moves on).
    """

    created_s: float
    phase_seconds: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class PlantedTimeline(Timeline):
    """The planted conversions' creation times (ms from the epoch), none arriving later."""

    created: tuple[int, ...] = ()

    def created_ms(self, index: int) -> int:
        """Creation time of planted conversion `index` (none past the last)."""
        return self.created[index] if index < len(self.created) else NEVER_MS


def planted_timeline(
    seed: int, salt: int, planted: tuple[PlantedConversion, ...], phases: tuple[str, ...]
) -> Timeline:
    """The timeline of `planted` (which must be in creation order, each with 1 to
    `len(phases) - 1` phase times)."""
    created = tuple(round(conversion.created_s * 1000) for conversion in planted)
    if list(created) != sorted(created):
        raise ValueError("planted conversions must be given in the order they were created")
    for conversion in planted:
        planted_plan(conversion, phases, 0, 0)  # raises for a wrong number of phase times
    return PlantedTimeline(
        seed=seed,
        salt=salt,
        n=len(created),
        spacing_ms=1,
        arrival_ms=NEVER_MS,
        dmax_ms=NEVER_MS,
        created=created,
    )


def planted_plan(
    conversion: PlantedConversion, phases: tuple[str, ...], r: int, created: int
) -> dict[str, Any]:
    """The plan (`ZooWorld._conv_plan`'s shape) of one planted conversion."""
    times = conversion.phase_seconds
    if not times or len(times) >= len(phases):
        raise ValueError(f"phase_seconds: 1 to {len(phases) - 1} phases, not {len(times)}")
    starts = [created]
    for seconds in times:
        starts.append(starts[-1] + round(seconds * 1000))
    if len(starts) == len(phases):
        end, final, phase = starts[-1], "success", len(phases) - 1
    else:
        end, final, phase = NEVER_MS, "in_progress", len(starts) - 1
    return {
        "r": h64(r, 0x504C),
        "created": created,
        "starts": starts,
        "end": end,
        "final": final,
        "final_phase": phase,
        "error": None,
        "override": False,
    }
