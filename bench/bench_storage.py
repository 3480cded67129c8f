"""Ingest throughput: bulk upsert vs one ORM object per row, on SQLite and PostgreSQL.

Run by hand:  .venv/bin/python bench/bench_storage.py [--rows 100000] [--postgres URL]

For each database: ingest N new listings, then the same N again unchanged, then the same N with 10%
changed (new price), all through :func:`storage.ingest.ingest_batch` in batches of 5,000; beside
them the per-row baseline (for each record: SELECT the listing, then add or update an ORM object and
an Observation) on a smaller sample in the same process. Figures are rows/s; the ratio is bulk/baseline.
Targets (issue 2): SQLite ≥ 25,000 rows/s and ≥ 2.5× the baseline; unchanged re-ingest at least as fast.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import downgrade, ready_engine
from storage.ingest import content_hash, ingest_batch
from storage.models import Listing, Observation, utcnow

BATCH = 5000


def records(n: int, changed: float = 0.0, seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        price = 100.0 + (i % 900)
        if changed and rng.random() < changed:
            price += 1
        out.append(
            {
                "platform": ("taobao", "tmall", "jd", "weibo")[i % 4],
                "item_id": str(10_000_000 + i),
                "url": f"https://item.taobao.com/item.htm?id={10_000_000 + i}",
                "title": f"VELORIA 薇洛瑞亚 女士手提包 款式{i % 97} 编号{i}",
                "price": price,
                "currency": "CNY",
                "seller_id": f"seller{i % 2000}",
                "seller_name": f"店铺{i % 2000}",
                "sales": f"{i % 500}+人付款",
                "location": "浙江 杭州",
            }
        )
    return out


def bulk(url: str, recs: list[dict[str, Any]]) -> float:
    engine = ready_engine(url)
    start = time.perf_counter()
    with Session(engine) as s, s.begin():
        for i in range(0, len(recs), BATCH):
            ingest_batch(s, None, recs[i : i + BATCH])
    elapsed = time.perf_counter() - start
    engine.dispose()
    return len(recs) / elapsed


def per_row(url: str, recs: list[dict[str, Any]]) -> float:
    """The naive way: one SELECT and one ORM object per record."""
    engine = ready_engine(url)
    start = time.perf_counter()
    with Session(engine) as s, s.begin():
        for rec in recs:
            now = utcnow()
            chash = content_hash(rec)
            row = s.scalar(
                select(Listing).where(Listing.platform == rec["platform"], Listing.item_id == rec["item_id"])
            )
            if row is None:
                row = Listing(
                    platform=rec["platform"],
                    item_id=rec["item_id"],
                    url=rec["url"],
                    title=rec["title"],
                    price=rec["price"],
                    currency=rec["currency"],
                    seller_id=rec["seller_id"],
                    seller_name=rec["seller_name"],
                    content_hash=chash,
                    first_seen=now,
                    last_seen=now,
                    extra={"sales": rec["sales"], "location": rec["location"]},
                )
                s.add(row)
                s.flush()
                s.add(
                    Observation(listing_id=row.id, title=rec["title"], price=rec["price"], content_hash=chash)
                )
            elif row.content_hash != chash:
                row.price = rec["price"]
                row.content_hash = chash
                row.last_seen = now
                s.add(
                    Observation(listing_id=row.id, title=rec["title"], price=rec["price"], content_hash=chash)
                )
            else:
                row.last_seen = now
    elapsed = time.perf_counter() - start
    engine.dispose()
    return len(recs) / elapsed


def run(name: str, make_url: Any, rows: int, baseline_rows: int) -> None:
    first, same, changed = records(rows), records(rows), records(rows, changed=0.10)
    url = make_url("bulk")
    r_new = bulk(url, first)
    r_same = bulk(url, same)
    r_changed = bulk(url, changed)
    downgrade(ready_engine(url))
    burl = make_url("baseline")
    b_new = per_row(burl, records(baseline_rows))
    b_changed = per_row(burl, records(baseline_rows, changed=0.10))
    downgrade(ready_engine(burl))
    print(f"{name}: {rows:,} rows per pass (baseline on {baseline_rows:,})")
    print(
        f"  new        bulk {r_new:>9,.0f} rows/s   per-row {b_new:>8,.0f} rows/s   "
        f"ratio {r_new / b_new:5.1f}x"
    )
    print(f"  unchanged  bulk {r_same:>9,.0f} rows/s   (vs first pass {r_same / r_new:4.2f}x)")
    print(
        f"  10% changed bulk {r_changed:>8,.0f} rows/s   per-row {b_changed:>8,.0f} rows/s   "
        f"ratio {r_changed / b_changed:5.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=20_000)
    parser.add_argument(
        "--postgres", default="postgresql://root@127.0.0.1:5432/test", help="PostgreSQL URL ('' to skip)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", lambda tag: f"sqlite:///{Path(tmp) / (tag + '.db')}", args.rows, args.baseline_rows)
    if args.postgres:
        run("PostgreSQL", lambda tag: args.postgres, args.rows, args.baseline_rows)


if __name__ == "__main__":
    main()
