"""A Merkle tree over manifest hashes, checkable with ``sha256sum`` alone.

Leaves are the SHA-256 of each capture's ``manifest.json`` as 64 lowercase hex characters, in capture
order. A parent is the SHA-256 of its two children's hex strings written one after the other (128 ASCII
characters, no newline): ``printf '%s%s' LEFT RIGHT | sha256sum``. A node without a sibling on its
level is carried up unchanged (never paired with itself). The root, in hex, is what the time-stamping
authority signs (the message is the 64 ASCII characters of the root).

An inclusion proof is the list of siblings from the leaf up, each with its side (``"L"``: the sibling
is on the left, so the parent is ``sibling + current``; ``"R"``: ``current + sibling``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

HEX = frozenset("0123456789abcdef")


def parent(left: str, right: str) -> str:
    return hashlib.sha256((left + right).encode("ascii")).hexdigest()


def _check_leaf(leaf: str) -> str:
    if len(leaf) != 64 or not set(leaf) <= HEX:
        raise ValueError(f"not a SHA-256 in lowercase hex: {leaf[:80]!r}")
    return leaf


@dataclass(frozen=True)
class ProofStep:
    side: str  # "L" | "R": where the sibling sits
    sibling: str

    def as_list(self) -> list[str]:
        return [self.side, self.sibling]


def root_and_proofs(leaves: Sequence[str]) -> tuple[str, list[list[ProofStep]]]:
    """The root of ``leaves`` and each leaf's inclusion proof (same order as ``leaves``)."""
    if not leaves:
        raise ValueError("a Merkle tree needs at least one leaf")
    level = [_check_leaf(x) for x in leaves]
    proofs: list[list[ProofStep]] = [[] for _ in leaves]
    positions = list(range(len(leaves)))  # each leaf's index on the current level
    while len(level) > 1:
        nxt: list[str] = []
        for i in range(0, len(level), 2):
            if i + 1 < len(level):
                nxt.append(parent(level[i], level[i + 1]))
            else:
                nxt.append(level[i])
        for leaf, pos in enumerate(positions):
            sib = pos ^ 1
            if sib < len(level):
                side = "R" if pos % 2 == 0 else "L"
                proofs[leaf].append(ProofStep(side, level[sib]))
            positions[leaf] = pos // 2
        level = nxt
    return level[0], proofs


def root_from_proof(leaf: str, proof: Sequence[Sequence[str]]) -> str:
    """Walk ``proof`` up from ``leaf``; raises ValueError on a malformed step."""
    h = _check_leaf(leaf)
    for step in proof:
        if len(step) != 2 or step[0] not in ("L", "R"):
            raise ValueError(f"malformed proof step {list(step)!r}")
        sib = _check_leaf(str(step[1]))
        h = parent(sib, h) if step[0] == "L" else parent(h, sib)
    return h


def shell_commands(leaf_file: str, proof: Sequence[Sequence[str]]) -> list[str]:
    """POSIX shell lines that recompute the root from ``leaf_file`` into ``$h`` (for VERIFY.md)."""
    lines = [f"h=$(sha256sum {leaf_file} | cut -c1-64)"]
    for side, sib in proof:
        pair = f'"{sib}" "$h"' if side == "L" else f'"$h" "{sib}"'
        lines.append(f"h=$(printf '%s%s' {pair} | sha256sum | cut -c1-64)")
    return lines
