"""The whole simulated world: seed, clock, epoch, size, faults, and each provider's world
(whose jobs are functions of time, see `tui.sim.world`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tui.clock import Clock, utc_now
from tui.sim.faults import FaultBoard
from tui.sim.hdrjpg import HdrjpgWorld
from tui.sim.lettrlabs import LettrWorld
from tui.sim.metafold import MetafoldWorld
from tui.sim.planted import PlantedConversion
from tui.sim.world import KEY_BITS
from tui.sim.zoo import ZooWorld


class SimState:
    """The in-process world: seed, clock, epoch, size, and each provider's generator.

    Attributes:
        seed: The world's seed.
        clock: Where "now" comes from (injectable; a FrozenClock makes it stand still).
        epoch: The clock's time when the world was made; job times are relative to it.
        jobs: Initial jobs per source.
        zoo_enums: "current" (12 phases, 10 statuses) or "seed" (11 phases, 7 statuses).
        zoo_planted: Zoo conversions whose phase times are given, in a dataset of their own
            (`zoo.planted_dataset_id`), for tests of a known history.
    """

    def __init__(
        self,
        *,
        seed: int = 1,
        jobs: int = 200,
        clock: Clock | None = None,
        zoo_enums: str = "current",
        zoo_planted: tuple[PlantedConversion, ...] = (),
    ) -> None:
        if zoo_enums not in ("current", "seed"):
            raise ValueError(f"zoo_enums must be 'current' or 'seed', not {zoo_enums!r}")
        if jobs < 0 or jobs >= 1 << KEY_BITS - 1:
            raise ValueError(f"jobs out of range: {jobs}")
        self.seed = seed
        self.clock: Clock = clock or utc_now
        self.epoch = self.clock()
        self.jobs = jobs
        self.zoo_enums = zoo_enums
        self.zoo_planted = zoo_planted
        self.faults = FaultBoard()
        self.hdrjpg = HdrjpgWorld(self)
        self.metafold = MetafoldWorld(self)
        self.zoo = ZooWorld(self, zoo_planted)
        self.lettrlabs = LettrWorld(self)

    def now_ms(self) -> int:
        """Milliseconds since the epoch, by the world's clock."""
        return int((self.clock() - self.epoch) / timedelta(milliseconds=1))

    def at(self, rel_ms: int) -> datetime:
        """The absolute moment of a time relative to the epoch."""
        return self.epoch + timedelta(milliseconds=rel_ms)

    def tracked_ids(self) -> dict[str, list[str]]:
        """Ids a client must track by hand (no list endpoint), for the demo."""
        return {"hdrjpg": self.hdrjpg.tracked_ids(), "zoo": self.zoo.tracked_async_ids()}
