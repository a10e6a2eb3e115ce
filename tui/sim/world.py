"""The simulator's life-cycle engine: deterministic jobs as a pure function of time.

Every simulated job is identified by (source, index). Its creation time, duration and
outcome come from a 64-bit hash of (seed, source, index), and its state at a moment is a
pure function of (seed, index, moment minus the simulator's start epoch). Nothing is
stored per job, so 100,000 jobs cost no more to start than 100. Lists are served from
sorted index arrays built once over the initial jobs (all terminal once old enough) plus a
small dynamic tail (recent and newly arrived jobs) computed per request, so a page never
scans every job.
"""

from __future__ import annotations

import base64
import json
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from tui.sim.faults import FaultBoard

MASK64 = (1 << 64) - 1
KEY_BITS = 24
"""Low bits of a sort key hold the job index (so keys are unique); 16 M jobs per source."""
KEY_MASK = (1 << KEY_BITS) - 1
TIME_BIAS_MS = 1 << 36
"""Added to relative milliseconds in sort keys so they stay positive (about 2 years)."""


def h64(*parts: int) -> int:
    """A fast, stable 64-bit hash of integers (splitmix64 folded over the parts)."""
    x = 0x9E3779B97F4A7C15
    for part in parts:
        x = (x ^ (part & MASK64)) * 0xBF58476D1CE4E5B9 & MASK64
        x ^= x >> 31
        x = (x + 0x9E3779B97F4A7C15) * 0x94D049BB133111EB & MASK64
        x ^= x >> 29
    return x


def frac(r: int, shift: int) -> float:
    """A number in [0, 1) taken from 16 bits of a hash."""
    return ((r >> shift) & 0xFFFF) / 65536.0


def pick(r: int, shift: int, items: Sequence[Any]) -> Any:
    """Choose one of `items` with 16 bits of a hash."""
    return items[((r >> shift) & 0xFFFF) % len(items)]


def make_uuid(seed: int, salt: int, index: int) -> str:
    """A v4-shaped UUID that encodes `index`, so lookups need no table."""
    hi = h64(seed, salt, index, 1)
    mask = h64(seed, salt, 0x5EED) & 0xFFFFFFFF
    lo = (h64(seed, salt, index, 2) & 0xFFFF00000000) | ((index ^ mask) & 0xFFFFFFFF)
    n = (hi << 64) | ((0x8000 | (hi >> 40) & 0x3FFF) << 48) | lo
    n = (n & ~(0xF << 76)) | (0x4 << 76)
    text = f"{n:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def uuid_index(seed: int, salt: int, text: str) -> int | None:
    """The index encoded by `make_uuid`, or None if `text` is not one of ours."""
    try:
        low = int(text.replace("-", "")[-8:], 16)
    except ValueError:
        return None
    index = low ^ (h64(seed, salt, 0x5EED) & 0xFFFFFFFF)
    return index if make_uuid(seed, salt, index) == text.lower() else None


@dataclass(frozen=True, slots=True)
class Timeline:
    """When each job of one source is created, relative to the simulator's epoch (ms).

    Jobs `0..n-1` exist at the epoch (created in the past, oldest first); jobs `n..` arrive
    one every `arrival_ms` afterwards. Creation time grows strictly with the index.
    """

    seed: int
    salt: int
    n: int
    spacing_ms: int
    arrival_ms: int
    dmax_ms: int
    """The longest a job of this source can take from creation to its terminal state."""

    def created_ms(self, index: int) -> int:
        """Creation time of job `index`, ms relative to the epoch."""
        jitter = h64(self.seed, self.salt, index, 7) % 1000 / 1000.0
        if index < self.n:
            return -(self.n - index) * self.spacing_ms + int(jitter * self.spacing_ms * 0.8)
        return (index - self.n + 1) * self.arrival_ms + int(jitter * self.arrival_ms * 0.8)

    def first_at_or_after(self, ms: int) -> int:
        """The smallest index created at or after `ms`."""
        lo = 0
        hi = self.n + max(0, ms) // self.arrival_ms + 2
        while lo < hi:
            mid = (lo + hi) // 2
            if self.created_ms(mid) >= ms:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def visible(self, now_ms: int) -> int:
        """How many jobs exist at `now_ms` (jobs `0..visible-1`)."""
        return self.first_at_or_after(now_ms + 1)

    def static_bound(self, now_ms: int) -> int:
        """Jobs below this index are certainly terminal at `now_ms` (and are initial jobs)."""
        return min(self.n, self.first_at_or_after(now_ms - self.dmax_ms))


def spacing_for(n: int) -> int:
    """Spacing between initial jobs: about 30 days in all, between 1 s and 2 min apart."""
    return max(1_000, min(120_000, 30 * 86_400_000 // max(1, n)))


class ListIndex:
    """Sorted index arrays over one source's initial jobs, grouped by final state.

    `final(i)` gives (group, end_ms) for an initial job: its terminal group (for example a
    status, or a (status, phase) pair) and when it got there. The arrays are built once,
    lazily, on the first list request; a page then costs a few bisections per group.
    """

    def __init__(self, timeline: Timeline, final: Callable[[int], tuple[Hashable, int]]) -> None:
        self.timeline = timeline
        self._final = final
        self._lock = threading.Lock()
        self._groups: dict[Hashable, list[int]] | None = None
        self._ends: dict[Hashable, list[int]] = {}
        self._keys: dict[tuple[Hashable, int], list[int]] = {}

    def groups(self) -> dict[Hashable, list[int]]:
        """Initial job indices by final group, ascending (built on first use)."""
        with self._lock:
            if self._groups is None:
                groups: dict[Hashable, list[int]] = {}
                ends: dict[Hashable, list[int]] = {}
                final = self._final
                for i in range(self.timeline.n):
                    group, end = final(i)
                    bucket = groups.get(group)
                    if bucket is None:
                        bucket = groups[group] = []
                        ends[group] = []
                    bucket.append(i)
                    ends[group].append(((end + TIME_BIAS_MS) << KEY_BITS) | i)
                for keys in ends.values():
                    keys.sort()
                self._ends = ends
                self._groups = groups
            return self._groups

    def _prim_keys(self, group: Hashable, prim: int) -> list[int]:
        if prim == 0:
            return self.groups()[group]
        with self._lock:
            keys = self._keys.get((group, prim))
        if keys is None:
            base = prim << KEY_BITS
            keys = [base | i for i in self.groups()[group]]
            with self._lock:
                self._keys[(group, prim)] = keys
        return keys

    def static_runs(
        self,
        now_ms: int,
        mode: str,
        prim: Callable[[Hashable], int],
        group_ok: Callable[[Hashable], bool],
    ) -> list[tuple[Sequence[int], int]]:
        """The sorted key runs of terminal initial jobs, each with its usable length.

        Args:
            now_ms: The moment, relative to the epoch.
            mode: "created" / "group" (keys `prim<<24 | index`) or "updated" (end time).
            prim: The primary sort rank of a group ("group" mode).
            group_ok: Which groups pass the request's filter.
        """
        runs: list[tuple[Sequence[int], int]] = []
        groups = self.groups()
        bound = self.timeline.static_bound(now_ms)
        for group in groups:
            if not group_ok(group):
                continue
            if mode == "updated":
                keys = self._ends[group]
                limit = ((now_ms + TIME_BIAS_MS) << KEY_BITS) | KEY_MASK
                runs.append((keys, bisect_right(keys, limit)))
            else:
                p = prim(group) if mode == "group" else 0
                keys = self._prim_keys(group, p)
                runs.append((keys, bisect_left(keys, (p << KEY_BITS) | bound)))
        return runs

    def dynamic_range(self, now_ms: int, visible: int, mode: str) -> range:
        """Indices not covered by `static_runs` (the caller decides which to include)."""
        return range(self.timeline.static_bound(now_ms), visible)

    def is_static(self, index: int, now_ms: int, mode: str, end_ms: int) -> bool:
        """Whether `index` is already counted by `static_runs` for this mode."""
        if index >= self.timeline.n:
            return False
        if mode == "updated":
            return end_ms <= now_ms
        return index < self.timeline.static_bound(now_ms)


def select(
    runs: Sequence[tuple[Sequence[int], int]],
    dyn: list[int],
    offset: int,
    limit: int,
    descending: bool,
) -> tuple[list[int], int]:
    """Keys at positions [offset, offset+limit) of the merge of sorted runs, and the total.

    Keys are unique integers. The k-th key is found by bisecting on the key value, so the
    cost is about 64 x runs bisections, whatever the offset.
    """
    dyn = sorted(dyn)
    allruns = [(keys, hi) for keys, hi in runs if hi > 0]
    if dyn:
        allruns.append((dyn, len(dyn)))
    total = sum(hi for _, hi in allruns)
    if descending:
        start = max(0, total - offset - limit)
        count = total - offset - start
    else:
        start, count = offset, min(limit, total - offset)
    if count <= 0 or start >= total:
        return [], total
    lo = min(keys[0] for keys, _ in allruns)
    hi = max(keys[h - 1] for keys, h in allruns) + 1
    while lo < hi:
        mid = (lo + hi) // 2
        if sum(bisect_left(keys, mid, 0, h) for keys, h in allruns) > start:
            hi = mid
        else:
            lo = mid + 1
    kth = lo - 1
    picked: list[int] = []
    for keys, h in allruns:
        at = bisect_left(keys, kth, 0, h)
        picked.extend(keys[at : min(h, at + count)])
    picked.sort()
    out = picked[:count]
    if descending:
        out.reverse()
    return out, total


def encode_token(state: dict[str, Any]) -> str:
    """An opaque page token carrying the offset and the scan parameters."""
    raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any] | None:
    """The state inside a token from `encode_token`, or None if it is not one."""
    try:
        pad = "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(token + pad))
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("o"), int) else None


class WorldState(Protocol):
    """What a provider's world reads of the whole simulated world (`tui.sim.state.SimState`):
    the seed, the size, the clock and the active faults."""

    seed: int
    jobs: int
    zoo_enums: str
    faults: FaultBoard

    def now_ms(self) -> int:
        """Milliseconds since the epoch, by the world's clock."""
        ...

    def at(self, rel_ms: int) -> datetime:
        """The absolute moment of a time relative to the epoch."""
        ...
