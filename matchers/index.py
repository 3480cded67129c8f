"""Multi-index hashing (Norouzi, Punjani & Fleet, CVPR 2012) over 64-bit hashes.

Each 64-bit hash is cut into ``m = 4`` substrings of 16 bits, and each substring position has a table
(a counting-sort bucket array: ``offsets[key] .. offsets[key + 1]`` are the rows whose substring is
``key``). Two hashes within ``r`` bits agree within ``r // m`` bits on at least one substring
(pigeonhole), so a query probes, in each table, every key within ``r // m`` bits of its own substring,
gathers those rows and checks their full distance. At a million hashes a bucket holds ~15 rows: for
``r <= 7`` that is 4 × 17 probes; for ``r = 10``, 4 × 137. A BK-tree visits a large part of the tree at
these radii. Above ``MAX_SUB_RADIUS`` (or on small sets) the index scans everything with numpy.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

M = 4
SUB_BITS = 16
#: Substring radius above which probing costs more than a scan.
MAX_SUB_RADIUS = 4
#: Below this many hashes a scan is as fast as the tables.
SCAN_BELOW = 4096


@lru_cache(maxsize=8)
def _flip_masks(radius: int) -> NDArray[np.uint32]:
    """All 16-bit masks with at most ``radius`` bits set."""
    masks = [0]
    for k in range(1, radius + 1):
        for bits in itertools.combinations(range(SUB_BITS), k):
            masks.append(sum(1 << b for b in bits))
    return np.array(masks, dtype=np.uint32)


def _to_int(hex_hash: str) -> int:
    value = int(hex_hash, 16)
    if value >> 64:
        raise ValueError(f"not a 64-bit hash: {hex_hash!r}")
    return value


class HashIndex:
    """Ids and their 64-bit hashes (hex); :meth:`query` finds all within a Hamming radius."""

    def __init__(self) -> None:
        self._ids: list[Hashable] = []
        self._pending: list[int] = []
        self._hashes: NDArray[np.uint64] = np.zeros(0, dtype=np.uint64)
        self._order: list[NDArray[np.int64]] = []
        self._offsets: list[NDArray[np.int64]] = []
        self._built = 0

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, item_id: Hashable, hex_hash: str) -> None:
        self._ids.append(item_id)
        self._pending.append(_to_int(hex_hash))

    def add_many(self, items: Iterable[tuple[Hashable, str]]) -> None:
        for item_id, hex_hash in items:
            self.add(item_id, hex_hash)

    def add_array(self, ids: list[Hashable], hashes: NDArray[np.uint64]) -> None:
        """Bulk add of hashes already as ``uint64`` (the bench adds a million this way)."""
        if len(ids) != len(hashes):
            raise ValueError("ids and hashes differ in length")
        self._flush_pending()
        self._ids.extend(ids)
        self._hashes = np.concatenate([self._hashes, np.asarray(hashes, dtype=np.uint64)])

    def _flush_pending(self) -> None:
        if self._pending:
            new = np.array(self._pending, dtype=np.uint64)
            self._hashes = np.concatenate([self._hashes, new])
            self._pending = []

    def _build(self) -> None:
        self._flush_pending()
        if self._built == len(self._hashes):
            return
        self._order, self._offsets = [], []
        for t in range(M):
            sub = ((self._hashes >> np.uint64(SUB_BITS * t)) & np.uint64(0xFFFF)).astype(np.int64)
            order = np.argsort(sub, kind="stable")
            counts = np.bincount(sub, minlength=1 << SUB_BITS)
            offsets = np.zeros((1 << SUB_BITS) + 1, dtype=np.int64)
            np.cumsum(counts, out=offsets[1:])
            self._order.append(order)
            self._offsets.append(offsets)
        self._built = len(self._hashes)

    def query(self, hex_hash: str, radius: int) -> list[tuple[Hashable, int]]:
        """``(id, distance)`` of every hash within ``radius`` bits, nearest first."""
        self._build()
        q = np.uint64(_to_int(hex_hash))
        sub_radius = radius // M
        if len(self._hashes) < SCAN_BELOW or sub_radius > MAX_SUB_RADIUS:
            rows = np.nonzero(np.bitwise_count(self._hashes ^ q) <= radius)[0]
        else:
            masks = _flip_masks(sub_radius)
            parts = []
            for t in range(M):
                key = (int(q) >> (SUB_BITS * t)) & 0xFFFF
                probes = (masks ^ np.uint32(key)).astype(np.int64)
                starts = self._offsets[t][probes]
                ends = self._offsets[t][probes + 1]
                nonempty = ends > starts
                starts, ends = starts[nonempty], ends[nonempty]
                if len(starts) == 0:
                    continue
                lengths = ends - starts
                # indices starts[i] .. ends[i] for every probe, without a Python loop
                idx = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths) + np.arange(
                    lengths.sum()
                )
                parts.append(self._order[t][idx])
            if not parts:
                return []
            rows = np.concatenate(parts)
            rows = rows[np.bitwise_count(self._hashes[rows] ^ q) <= radius]
            if len(rows) > 1:  # a row found through several tables
                rows = np.array(sorted(set(rows.tolist())), dtype=np.int64)
        dist = np.bitwise_count(self._hashes[rows] ^ q)
        order = np.argsort(dist, kind="stable")
        return [(self._ids[int(rows[i])], int(dist[i])) for i in order]
