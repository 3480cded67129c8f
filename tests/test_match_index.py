"""HashIndex: multi-index hashing returns exactly what a brute-force scan returns."""

from __future__ import annotations

import numpy as np
import pytest

from matchers.index import SCAN_BELOW, HashIndex


def _flip(value: int, bits: list[int]) -> int:
    for b in bits:
        value ^= 1 << b
    return value


@pytest.fixture(scope="module")
def big() -> tuple[HashIndex, np.ndarray]:
    rng = np.random.default_rng(7)
    hashes = rng.integers(0, 2**64 - 1, size=SCAN_BELOW * 5, dtype=np.uint64, endpoint=True)
    index = HashIndex()
    index.add_array([f"id{i}" for i in range(len(hashes))], hashes)
    return index, hashes


@pytest.mark.parametrize("radius", [0, 3, 4, 7, 8, 11, 12, 20])
def test_query_equals_brute_force(big: tuple[HashIndex, np.ndarray], radius: int) -> None:
    index, hashes = big
    rng = np.random.default_rng(radius)
    for i in rng.choice(len(hashes), 20, replace=False):
        q = _flip(int(hashes[i]), [int(b) for b in rng.choice(64, min(radius, 64), replace=False)])
        expected = {
            f"id{j}": int(np.bitwise_count(hashes[j] ^ np.uint64(q)))
            for j in np.nonzero(np.bitwise_count(hashes ^ np.uint64(q)) <= radius)[0]
        }
        got = index.query(f"{q:016x}", radius)
        assert dict(got) == expected
        assert f"id{i}" in dict(got)
        assert [d for _, d in got] == sorted(d for _, d in got)


def test_small_index_add_and_query() -> None:
    index = HashIndex()
    index.add("a", "ffffffffffffffff")
    index.add_many([("b", "fffffffffffffff0"), ("c", "0000000000000000")])
    assert index.query("ffffffffffffffff", 4) == [("a", 0), ("b", 4)]
    assert index.query("0000000000000001", 1) == [("c", 1)]
    assert len(index) == 3


def test_adding_after_a_query_rebuilds(big: tuple[HashIndex, np.ndarray]) -> None:
    index = HashIndex()
    rng = np.random.default_rng(1)
    index.add_array(list(range(SCAN_BELOW + 10)), rng.integers(0, 2**63, SCAN_BELOW + 10, dtype=np.uint64))
    index.query("0123456789abcdef", 4)
    index.add("new", "0123456789abcdef")
    assert ("new", 0) in index.query("0123456789abcdef", 4)


def test_rejects_wider_hash() -> None:
    with pytest.raises(ValueError, match="64-bit"):
        HashIndex().add("x", "1" * 17)
