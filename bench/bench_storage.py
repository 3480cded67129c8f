"""Ingest throughput: bulk upsert vs one ORM object per row, on SQLite and PostgreSQL; streamed ingest.

Run by hand:  .venv/bin/python bench/bench_storage.py [--rows 100000] [--postgres URL] [--stream-lines N]

For each database: ingest N new listings, then the same N again unchanged, then the same N with 10%
changed (new price), all through :func:`storage.ingest.ingest_batch` in batches of 5,000; beside
them the per-row baseline (for each record: SELECT the listing, then add or update an ORM object and
an Observation) on a smaller sample in the same process. Figures are rows/s; the ratio is bulk/baseline.
Each database is measured ``--repeat`` times (fresh database each run): medians, with the range.
Targets (issue 2): SQLite ≥ 25,000 rows/s and ≥ 2.5× the baseline; unchanged re-ingest at least as fast.

Issue 11: PostgreSQL new listings ≥ 15,000 rows/s (COPY into a staging table, then one INSERT … SELECT
… ON CONFLICT), printed beside a plain ``COPY`` of the same rows into ``listings`` in the same run (the
ceiling); ``markwatch ingest --no-score`` of a ``--stream-lines`` (1,000,000) line file in a child
process, its peak RSS (``wait4`` rusage) under 300 MB, beside the old way of reading a file (every line
parsed into a list first) on ``--whole-lines`` (200,000) lines.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from storage.db import ready_engine
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


def plain_copy(url: str, recs: list[dict[str, Any]]) -> float:
    """PostgreSQL: the same new rows by one plain ``COPY`` into ``listings`` (no staging, no conflict
    check, no ids back, no observations): the ceiling of the bulk path."""
    from storage.ingest import LISTINGS, NEW_LISTING, _defaults, _json_text

    engine = ready_engine(url)
    now = utcnow()
    defaults = _defaults(LISTINGS, NEW_LISTING)
    cols = [*NEW_LISTING, *defaults]
    tail = tuple(_json_text(v) if isinstance(v, dict | list) else v for v in defaults.values())
    start = time.perf_counter()
    with engine.begin() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY listings ({', '.join(cols)}) FROM STDIN") as copy:
            for r in recs:
                copy.write_row(
                    (
                        None, r["platform"], r["item_id"], "product", r["url"], r["title"], r["price"],
                        r["currency"], r["seller_id"], r["seller_name"], None, content_hash(r), now, now,
                        None, _json_text({"sales": r["sales"], "location": r["location"]}), *tail,
                    )
                )  # fmt: skip
        cursor.close()
    elapsed = time.perf_counter() - start
    engine.dispose()
    return len(recs) / elapsed


def per_row(url: str, recs: list[dict[str, Any]]) -> float:
    """The naive way: one SELECT and one ORM object per record."""
    engine = ready_engine(url)
    start = time.perf_counter()
    for i in range(0, len(recs), BATCH):  # one transaction per batch, as the bulk path does
        with Session(engine) as s, s.begin():
            per_row_batch(s, recs[i : i + BATCH])
    elapsed = time.perf_counter() - start
    engine.dispose()
    return len(recs) / elapsed


def per_row_batch(s: Session, recs: list[dict[str, Any]]) -> None:
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
            s.add(Observation(listing_id=row.id, title=rec["title"], price=rec["price"], content_hash=chash))
        elif row.content_hash != chash:
            row.price = rec["price"]
            row.content_hash = chash
            row.last_seen = now
            s.add(Observation(listing_id=row.id, title=rec["title"], price=rec["price"], content_hash=chash))
        else:
            row.last_seen = now


def spread(values: list[float], fmt: str = ",.0f", unit: str = "") -> str:
    """Median, and the range when there are several runs."""
    mid = format(statistics.median(values), fmt) + unit
    if len(values) < 2:
        return mid
    return f"{mid} ({format(min(values), fmt)}-{format(max(values), fmt)}{unit}, n={len(values)})"


def run(name: str, make_url: Any, rows: int, baseline_rows: int, repeat: int) -> None:
    print(f"{name}: {rows:,} rows per pass (baseline on {baseline_rows:,}), {repeat} run(s)", flush=True)
    first, same, changed = records(rows), records(rows), records(rows, changed=0.10)
    figures: dict[str, list[float]] = {}
    for k in range(repeat):  # a fresh database each run; the baseline right after, under the same load
        url = make_url(f"bulk{k}")
        r_new = bulk(url, first)
        r_same = bulk(url, same)
        r_changed = bulk(url, changed)
        if url.startswith("postgresql"):
            figures.setdefault("plain COPY", []).append(plain_copy(make_url(f"copy{k}"), first))
        burl = make_url(f"baseline{k}")
        b_new = per_row(burl, records(baseline_rows))
        b_changed = per_row(burl, records(baseline_rows, changed=0.10))
        run_figures = {
            "new": r_new,
            "unchanged": r_same,
            "changed": r_changed,
            "unchanged/new": r_same / r_new,
            "baseline new": b_new,
            "baseline changed": b_changed,
            "ratio new": r_new / b_new,
            "ratio changed": r_changed / b_changed,
        }
        for key, value in run_figures.items():
            figures.setdefault(key, []).append(value)
        print(
            f"  run {k + 1}: new {r_new:,.0f}, unchanged {r_same:,.0f} ({r_same / r_new:.2f}x), "
            f"10% changed {r_changed:,.0f} rows/s; per-row {b_new:,.0f} / {b_changed:,.0f} rows/s",
            flush=True,
        )
    print(f"  new          bulk {spread(figures['new'])} rows/s", flush=True)
    if "plain COPY" in figures:
        ratios = [a / b for a, b in zip(figures["new"], figures["plain COPY"], strict=True)]
        print(
            f"  plain COPY of the same rows (ceiling) {spread(figures['plain COPY'])} rows/s;"
            f" bulk/COPY {spread(ratios, '.2f', 'x')}",
            flush=True,
        )
    print(
        f"  unchanged    bulk {spread(figures['unchanged'])} rows/s"
        f"   (vs first pass {spread(figures['unchanged/new'], '.2f', 'x')})",
        flush=True,
    )
    print(f"  10% changed  bulk {spread(figures['changed'])} rows/s", flush=True)
    print(
        f"  per-row baseline: new {spread(figures['baseline new'])} rows/s, "
        f"10% changed {spread(figures['baseline changed'])} rows/s",
        flush=True,
    )
    print(
        f"  ratio bulk/per-row: new {spread(figures['ratio new'], '.1f', 'x')}, "
        f"10% changed {spread(figures['ratio changed'], '.1f', 'x')}",
        flush=True,
    )


def write_lines(path: Path, n: int) -> None:
    """``n`` JSON lines of listings, written as generated (the file, not memory, holds them)."""
    with path.open("w", encoding="utf-8") as fh:
        for start in range(0, n, 10_000):
            chunk = records(min(10_000, n - start), seed=start)
            for i, rec in enumerate(chunk):
                rec["item_id"] = str(20_000_000 + start + i)
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def child_peak(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) and exit status of ``cmd`` run as a child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, proc.returncode


WHOLE_FILE = """
import json, sys
from storage.ingest import check_record
rows = [check_record(json.loads(line)) for line in open(sys.argv[1], encoding="utf-8")]
print(len(rows))
"""


def stream(lines: int, whole_lines: int) -> None:
    """``markwatch ingest --no-score`` of a file of ``lines`` lines: its peak RSS and rate."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "listings.jsonl"
        t = time.perf_counter()
        write_lines(path, lines)
        size = path.stat().st_size / 1e6
        print(f"streamed ingest: {lines:,} lines, {size:,.0f} MB written in {time.perf_counter() - t:.0f} s")
        db = f"sqlite:///{Path(tmp) / 'stream.db'}"
        ready_engine(db).dispose()
        cmd = [sys.executable, "-m", "crawler.cli", "--db", db, "ingest", "--brand", "veloria", "--no-score"]
        wall, peak, code = child_peak([*cmd, str(path)])
        print(
            f"  markwatch ingest --no-score: exit {code}, {wall:.0f} s, {lines / wall:,.0f} lines/s, "
            f"peak RSS {peak:,.0f} MB (target < 300 MB: {'met' if peak < 300 else 'MISSED'})",
            flush=True,
        )
        small = Path(tmp) / "small.jsonl"
        write_lines(small, whole_lines)
        _wall, whole, _code = child_peak([sys.executable, "-c", WHOLE_FILE, str(small)])
        print(
            f"  the old way (every line parsed into a list before storing), {whole_lines:,} lines: "
            f"peak RSS {whole:,.0f} MB before any row is stored",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per database; medians are reported")
    parser.add_argument(
        "--postgres", default="postgresql://root@127.0.0.1:5432/test", help="PostgreSQL URL ('' to skip)"
    )
    parser.add_argument(
        "--stream-lines", type=int, default=1_000_000, help="lines of the streamed ingest (0: skip)"
    )
    parser.add_argument(
        "--whole-lines", type=int, default=200_000, help="lines read the old way (whole file)"
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    if args.stream_lines:
        stream(args.stream_lines, args.whole_lines)
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            run(
                "SQLite",
                lambda tag: f"sqlite:///{Path(tmp) / (tag + '.db')}",
                args.rows,
                args.baseline_rows,
                args.repeat,
            )
    if args.postgres:
        schemas: list[str] = []

        def pg_url(tag: str) -> str:  # a fresh schema per database, dropped at the end
            schema = f"mw_bench_{tag}_{uuid.uuid4().hex[:8]}"
            base = make_url(args.postgres).set(drivername="postgresql+psycopg")
            admin = create_engine(base)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            admin.dispose()
            schemas.append(schema)
            return base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)

        try:
            run("PostgreSQL", pg_url, args.rows, args.baseline_rows, args.repeat)
        finally:
            admin = create_engine(make_url(args.postgres).set(drivername="postgresql+psycopg"))
            with admin.begin() as conn:
                for schema in schemas:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
