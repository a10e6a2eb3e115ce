"""The lazy listing (the rows one sort and filter show, found a slice at a time) and the
block search over the whole listing's search texts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tui.job_index.filters import Kept, ValueTests, keep_values
from tui.job_index.search import SEARCH_FIELDS, SearchQuery

SEARCH_BLOCK = 64
"""Rows per joined search block: ~5 kB of text, one C-level test each."""

FIRST_STEP = 2_048
"""Rows of the listing looked at first for the rows on screen (a multiple of SEARCH_BLOCK)."""

FINISH_STEP = 8_192
"""Rows of the listing looked at per step while finishing it between frames (~2 ms)."""


class Listing:
    """The rows one sort and filter show, found a slice at a time.

    A keystroke needs only the rows on screen: `reach` finds those, at the cost of the
    part of the listing that holds them, and `step` finishes the rest (for the count and
    the scrollbar) between frames. The source is the sorted whole, or the complete result
    of a search being typed on; `keep` says which rows of a slice of it stay.
    """

    __slots__ = (
        "_keep",
        "_next",
        "_source",
        "_source_positions",
        "key",
        "kept",
        "positions",
        "rows",
        "texts",
    )

    def __init__(
        self,
        source: Sequence[int],
        source_positions: Sequence[int] | None,
        keep: Callable[[Sequence[int], Sequence[int] | None], Kept] | None,
        texts: SearchTexts | None = None,
    ) -> None:
        self._source = source
        self._source_positions = source_positions
        self._keep = keep if source else None
        """What stays of a slice of the source; None once the listing is complete."""
        self._next = 0
        self.rows: list[int] = []
        """The rows found so far, in order (only ever extended in place)."""
        self.positions: list[int] | None = [] if source_positions is not None else None
        """Their places in `texts`, when the listing was searched there (for typing on)."""
        self.texts = texts
        self.key: tuple[object, ...] = ()
        """(data version, sort, descending, filter): what the listing is of."""
        self.kept = False
        """True once the index has kept it (complete) for going back."""

    @classmethod
    def whole(cls, rows: list[int]) -> Listing:
        """A complete listing of `rows`."""
        listing = cls((), None, None)
        listing.rows = rows
        return listing

    @property
    def complete(self) -> bool:
        """True when every row of the source has been looked at."""
        return self._keep is None

    def step(self, size: int) -> None:
        """Look at the next `size` rows of the source."""
        assert self._keep is not None
        start = self._next
        end = min(start + size, len(self._source))
        places = self._source_positions
        rows, positions = self._keep(
            self._source[start:end], None if places is None else places[start:end]
        )
        self.rows += rows
        if self.positions is not None and positions is not None:
            self.positions += positions
        self._next = end
        if end == len(self._source):
            # Complete: let go of the source (a kept listing must not hold a copy of the
            # whole order) and of what the slices were tested with.
            self._keep = None
            self._source = ()
            self._source_positions = None

    def reach(self, wanted: int) -> None:
        """Look on until `wanted` rows are found or the source ends (slices that grow)."""
        size = FIRST_STEP
        while len(self.rows) < wanted and not self.complete:
            self.step(size)
            size = min(size * 2, FINISH_STEP)

    def finish(self) -> None:
        """Look at the rest of the source."""
        while not self.complete:
            self.step(FINISH_STEP)

    def progress(self) -> tuple[int, int, int]:
        """(rows found, source rows looked at, source rows)."""
        found = len(self.rows)
        if self.complete:
            return found, found, found
        return found, self._next, len(self._source)

    def estimate(self) -> int:
        """The row count when complete; meanwhile, the found rows scaled to the whole."""
        found = len(self.rows)
        if self.complete or not self._next:
            return found
        return max(found, round(found * len(self._source) / self._next))


@dataclass(frozen=True, slots=True)
class Narrowing:
    """The last complete search of the whole listing, for the next keystroke to narrow."""

    base_key: tuple[object, ...]
    """The data, sort and filters other than the search that it was made under."""
    search: SearchQuery
    rows: list[int]
    positions: list[int] | None
    """Where the rows sit in `texts` (when searched there)."""
    texts: SearchTexts | None


class SearchTexts:
    """The search texts of the whole listing, in row order, the rows joined in blocks.

    A row can match only if its block does, so one test per block of `SEARCH_BLOCK` rows
    rules out most of the listing at C speed; single rows are tested only in the blocks
    that match (for a negated word: blocks that do not match are kept whole). Fields and
    rows are both separated by line breaks, so a pattern (multi-line) anchors each field.
    When the last slice kept most rows (typing "assembly" where every name has it), the
    next one probably will too and the block tests would only add to the row tests: it
    goes straight to the rows. Results carry positions in the listing (`rows[position]`).
    """

    __slots__ = ("blocks", "dense", "rows", "texts")

    def __init__(self, texts: list[str], rows: list[int]) -> None:
        self.rows = list(rows)
        """The listing's rows (index slots), in order: what the texts belong to."""
        self.blocks = [
            "\n".join(texts[start : start + SEARCH_BLOCK])
            for start in range(0, len(texts), SEARCH_BLOCK)
        ]
        # The rows again, as new strings made in row order: side by side in memory, so a
        # pass over all of them reads memory in order (twice as fast as the originals,
        # which lie wherever each job was parsed). Fields hold no line breaks, so each
        # block splits into exactly its rows' fields.
        width = len(SEARCH_FIELDS)
        self.texts: list[str] = []
        for number, block in enumerate(self.blocks):
            pieces = block.split("\n")
            start = number * SEARCH_BLOCK
            original = texts[start : start + SEARCH_BLOCK]
            if len(pieces) == width * len(original):
                self.texts += map("\n".join, zip(*[iter(pieces)] * width, strict=True))
            else:
                self.texts += original
        self.dense = False
        """True when the last slice searched kept more than half of its rows."""

    def keep_positions(
        self, search: SearchQuery, rows: Sequence[int], positions: Sequence[int] | None
    ) -> Kept:
        """The rows (at `positions` in the listing) that match `search`, row by row."""
        assert positions is not None
        found = search.keep(positions, self.texts)
        self.dense = 2 * len(found) > len(positions)
        return list(map(self.rows.__getitem__, found)), found

    def keep_range(
        self,
        search: SearchQuery,
        tests: ValueTests,
        rows: Sequence[int],
        positions: Sequence[int] | None,
    ) -> Kept:
        """The rows of a slice of the listing (`positions`, a range starting on a block
        boundary) that match `search` and pass the value tests.

        The first term (one that must be present, if any) is tested on the blocks; the
        others only on the rows it kept.
        """
        assert isinstance(positions, range) and positions.start % SEARCH_BLOCK == 0
        start, end = positions.start, positions.stop
        first, *others = search.ordered
        block_test = None if self.dense else first.block_test()
        found: list[int]
        if block_test is None:
            found = first.keep(positions, self.texts)
        else:
            size = SEARCH_BLOCK
            found = []
            first_block = start // size
            blocks = self.blocks[first_block : (end + size - 1) // size]
            for number, block_hit in enumerate(map(block_test, blocks), first_block):
                low = number * size
                high = min(low + size, end)
                if block_hit:
                    found += first.keep(range(low, high), self.texts)
                elif first.negate:
                    found += range(low, high)
        self.dense = 2 * len(found) > len(positions)
        for term in others:
            found = term.keep(found, self.texts)
        kept = list(map(self.rows.__getitem__, found))
        return keep_values(tests, kept, found) if tests else (kept, found)
