"""Numbers for the console's small SVG pictures; the templates draw them (all text autoescaped)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def bars(
    items: Sequence[tuple[str, float | None]], *, bound: float | None, above: bool, scale: float = 1.0
) -> dict[str, Any]:
    """Horizontal bars (width 0..100 of ``scale``) with the bound as a line.

    ``above``: the bound is a floor (else a ceiling)."""
    out = []
    for label, value in items:
        ok = None
        if value is not None and bound is not None:
            ok = value >= bound if above else value <= bound
        out.append(
            {
                "label": label,
                "value": value,
                "width": 0.0 if value is None else round(100 * min(1.0, value / (scale or 1.0)), 1),
                "ok": ok,
            }
        )
    return {
        "bars": out,
        "bound": None if bound is None else round(100 * bound / (scale or 1.0), 1),
        "height": 22 * len(out) + 10,
    }


def network(groups: Sequence[Any], width: int = 640) -> dict[str, Any]:
    """Sellers linked by shared photos: each group a ring of nodes, groups side by side in rows."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    cell = 210
    per_row = max(1, width // cell)
    for g_index, group in enumerate(groups):
        cx = cell // 2 + (g_index % per_row) * cell
        cy = cell // 2 + (g_index // per_row) * cell
        members = list(group.sellers)
        radius = 0 if len(members) == 1 else 70
        pos: dict[str, tuple[float, float]] = {}
        for i, member in enumerate(members):
            angle = 2 * math.pi * i / max(1, len(members)) - math.pi / 2
            x, y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
            pos[member.key] = (x, y)
            nodes.append(
                {
                    "x": round(x, 1),
                    "y": round(y, 1),
                    "label": (member.name or member.seller_id)[:18],
                    "key": member.key,
                    "platform": member.platform,
                }
            )
        keys = [m.key for m in members]
        for i in range(len(keys)):
            for j in range(i + 1, len(keys)):
                (x1, y1), (x2, y2) = pos[keys[i]], pos[keys[j]]
                edges.append({"x1": round(x1, 1), "y1": round(y1, 1), "x2": round(x2, 1), "y2": round(y2, 1)})
    rows = (len(groups) + per_row - 1) // per_row
    return {"nodes": nodes, "edges": edges, "width": width, "height": max(1, rows) * cell}
