"""Photo linking: banded Hamming search vs comparing every pair, and verify_after_crawl at scale.

Run by hand:  .venv/bin/python bench/bench_relink.py [--hashes 50000] [--baseline 4000] [--listings 20000]

1. ``storage.sellers.near_pairs`` (bands of the 64-bit phash, pigeonhole) against the all-pairs loop
   on the same ``--baseline`` hashes (both must find the same pairs), then banding alone on
   ``--hashes``. Figures are hashes/s; the ratio is banded/all-pairs on the common sample.
2. ``storage.cases.verify_after_crawl`` on SQLite: ``--listings`` listings (10% taken down, two photos
   each), then a crawl batch of 2,000 new listings of which 200 repeat a taken-down one's seller or
   photos. Prints the time and checks that every planted re-listing is found.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from storage.cases import verify_after_crawl
from storage.db import ready_engine
from storage.ingest import ingest_batch, sync_brand
from storage.models import Listing, ListingImage
from storage.sellers import hamming, near_pairs


def _flip(value: int, bits: int, rng: random.Random) -> int:
    for b in rng.sample(range(64), bits):
        value ^= 1 << b
    return value


def _hashes(n: int, rng: random.Random) -> list[tuple[int, str]]:
    """Photos in families: a base hash and near copies (0-5 bits off), like re-posted photos."""
    out: list[tuple[int, str]] = []
    while len(out) < n:
        base = rng.getrandbits(64)
        for _ in range(rng.randint(1, 4)):
            out.append((len(out), f"{_flip(base, rng.randint(0, 5), rng):016x}"))
    return out[:n]


def bench_pairs(n_big: int, n_base: int, radius: int) -> None:
    rng = random.Random(1)
    sample = _hashes(n_base, rng)
    t = time.perf_counter()
    banded = {(i, j) for i, j, _ in near_pairs(sample, radius)}
    t_band = time.perf_counter() - t
    t = time.perf_counter()
    brute = {
        (i, j)
        for i in range(len(sample))
        for j in range(i + 1, len(sample))
        if hamming(sample[i][1], sample[j][1]) <= radius
    }
    t_brute = time.perf_counter() - t
    assert banded == brute, "banding must find exactly the pairs all-pairs finds"
    print(
        f"near_pairs on {n_base:,} hashes (radius {radius}): banded {t_band:.3f}s "
        f"({n_base / t_band:,.0f}/s), all pairs {t_brute:.3f}s ({n_base / t_brute:,.0f}/s); "
        f"ratio {t_brute / t_band:,.1f}x; {len(banded):,} pairs, identical sets"
    )
    big = _hashes(n_big, rng)
    t = time.perf_counter()
    found = sum(1 for _ in near_pairs(big, radius))
    t_big = time.perf_counter() - t
    print(f"near_pairs on {n_big:,} hashes: {t_big:.3f}s ({n_big / t_big:,.0f}/s), {found:,} pairs")


def bench_verify(n: int) -> None:
    from markwatch.brand import resolve_brand

    rng = random.Random(2)
    with tempfile.TemporaryDirectory() as tmp:
        engine = ready_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        with Session(engine) as s, s.begin():
            bid = sync_brand(s, resolve_brand("veloria"))
            recs = [
                {
                    "platform": "taobao",
                    "item_id": f"old{i}",
                    "url": f"https://item.taobao.com/item.htm?id=old{i}",
                    "title": f"VELORIA 高仿 {i}",
                    "price": 99.0,
                    "seller_id": f"s{i}",
                }
                for i in range(n)
            ]
            res = ingest_batch(s, bid, recs)
            ids = [res.ids[("taobao", f"old{i}")] for i in range(n)]
            photos = {lid: [rng.getrandbits(64) for _ in range(2)] for lid in ids}
            s.execute(
                insert(ListingImage),
                [
                    {"listing_id": lid, "url": f"https://img/{lid}/{k}.jpg", "phash": f"{h:016x}"}
                    for lid, hs in photos.items()
                    for k, h in enumerate(hs)
                ],
            )
            down = ids[: n // 10]
            s.execute(update(Listing).where(Listing.id.in_(down)).values(status="removed"))
        planted: dict[str, int] = {}
        fresh = []
        for k in range(2000):
            rec = {
                "platform": "taobao",
                "item_id": f"new{k}",
                "url": f"https://item.taobao.com/item.htm?id=new{k}",
                "title": "VELORIA",
                "price": 99.0,
                "seller_id": f"n{k}",
            }
            if k < 200:
                old = down[k * 7 % len(down)]
                planted[rec["item_id"]] = old
                if k % 2:
                    rec["seller_id"] = f"s{ids.index(old)}"
            fresh.append(rec)
        with Session(engine) as s, s.begin():
            res = ingest_batch(s, bid, fresh)
            rows = []
            for rec in fresh:
                lid = res.ids[("taobao", rec["item_id"])]
                old = planted.get(rec["item_id"])
                h = _flip(photos[old][0], 2, rng) if old is not None else rng.getrandbits(64)
                rows.append({"listing_id": lid, "url": f"https://img/{lid}/0.jpg", "phash": f"{h:016x}"})
            s.execute(insert(ListingImage), rows)
            t = time.perf_counter()
            out = verify_after_crawl(s, bid, None, res)
            took = time.perf_counter() - t
        found = {r.listing_id for r in out.relisted}
        want = {res.ids[("taobao", item)] for item in planted}
        print(
            f"verify_after_crawl: {n:,} stored ({len(down):,} taken down), 2,000 new: {took:.3f}s; "
            f"{len(found & want)}/{len(want)} planted re-listings found, {len(found - want)} others"
        )
        engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hashes", type=int, default=50_000)
    ap.add_argument("--baseline", type=int, default=4_000)
    ap.add_argument("--listings", type=int, default=20_000)
    ap.add_argument("--radius", type=int, default=6)
    args = ap.parse_args()
    bench_pairs(args.hashes, args.baseline, args.radius)
    bench_verify(args.listings)


if __name__ == "__main__":
    main()
