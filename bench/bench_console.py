"""Review console at scale: queue page, listing page and a review action with 1,000,000 listings.

Run by hand:  .venv/bin/python bench/bench_console.py [--rows 1000000] [--postgres URL] [--seconds 60]

For each database (SQLite always; PostgreSQL with --postgres): N listings of one brand through the bulk
ingest (``storage.ingest.ingest_batch``), scores, match reasons and photo hashes written by SQL; then
``markwatch serve`` (uvicorn on 127.0.0.1, a subprocess) is measured over HTTP with an API token:

* server time (the app's ``Server-Timing`` header) of the queue page (default filter, and with
  --brand/--platform/--min-score), of listing pages, and of a review action (confirm one listing);
  targets p95 <= 100 ms for the pages and <= 50 ms for the action;
* 50 concurrent clients (httpx, one request at a time each) for --seconds: queue pages, listing pages
  and decisions; any error (exception or non-2xx) is counted;
* beside them, ``markwatch suspects --limit 50 --format json`` on the same query, in-process (the
  baseline: the CLI sorts the whole queue with one SELECT).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from console.users import add_user, new_token  # noqa: E402
from markwatch.brand import resolve_brand  # noqa: E402
from storage.db import ready_engine  # noqa: E402
from storage.ingest import ingest_batch, sync_brand  # noqa: E402

BATCH = 20_000
REASONS = (
    '[{"kind": "mark", "detail": "title contains the mark VELORIA", "weight": 0.45},'
    ' {"kind": "lexicon", "detail": "title has 高仿", "weight": 0.3},'
    ' {"kind": "price", "detail": "CNY 199 is 13% of the floor", "weight": 0.2}]'
)


def records(start: int, n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(start, start + n):
        platform = ("taobao", "tmall", "jd", "weibo")[i % 4]
        url = {
            "taobao": "https://item.taobao.com/item.htm?id={}",
            "tmall": "https://detail.tmall.com/item.htm?id={}",
            "jd": "https://item.jd.com/{}.html",
            "weibo": "https://weibo.com/1234567890/{}",
        }[platform].format(10_000_000 + i)
        out.append(
            {
                "platform": platform,
                "item_id": str(10_000_000 + i),
                "url": url,
                "title": f"VELORIA 薇洛瑞亚 女士手提包 款式{i % 97} 编号{i}"
                + (" 高仿" if i % 3 == 0 else ""),
                "price": 100.0 + (i % 900),
                "currency": "CNY",
                "seller_id": f"seller{i % 20000}",
                "seller_name": f"店铺{i % 20000}",
            }
        )
    return out


def build(url: str, rows: int) -> tuple[Engine, float]:
    engine = ready_engine(url)
    start = time.perf_counter()
    with Session(engine) as s, s.begin():
        bid = sync_brand(s, resolve_brand("veloria"))
    for i in range(0, rows, BATCH):
        with Session(engine) as s, s.begin():
            ingest_batch(s, bid, records(i, min(BATCH, rows - i)))
        if (i // BATCH) % 10 == 0:
            print(f"  ingested {i + BATCH:,} ({time.perf_counter() - start:.0f} s)", flush=True)
    pg = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        # scores spread 0..1 (about half suspects), as a scoring run would leave them
        conn.execute(
            text(
                "UPDATE listings SET score = ((CAST(id AS BIGINT) * 7919) % 1000) / 1000.0, "
                "suspect = (((CAST(id AS BIGINT) * 7919) % 1000) >= 500), mark_key = 'veloria-word'"
            )
        )
        conn.execute(
            text(
                "INSERT INTO match_results (listing_id, brand_id, run_id, scored_at, score, suspect, "
                "mark_key, "
                "reasons, engine_version) SELECT id, brand_id, NULL, first_seen, score, suspect, mark_key, "
                + ("CAST(:r AS JSON)" if pg else ":r")
                + ", 'bench' FROM listings"
            ),
            {"r": REASONS},
        )
        hexed = "lpad(to_hex(id % 50000), 16, '0')" if pg else "printf('%016x', id % 50000)"
        conn.execute(
            text(
                "INSERT INTO images (listing_id, url, phash, hashes, seen_at) "
                f"SELECT id, 'https://img.alicdn.com/' || item_id || '.jpg', {hexed}, "
                + ("CAST('{}' AS JSON)" if pg else "'{}'")
                + ", first_seen FROM listings"
            )
        )
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return engine, time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, port: int, tmp: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MARKWATCH_CONSOLE_SECRET": uuid.uuid4().hex}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crawler.cli",
            "--db",
            url,
            "serve",
            "--port",
            str(port),
            "--photos",
            str(tmp / "photos"),
            "--packages",
            str(tmp / "packages"),
        ],
        env=env,
        cwd=str(tmp),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the console did not start")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


def server_ms(resp: httpx.Response) -> tuple[float, float]:
    """The app's wall time and the server process's CPU time for one response (Server-Timing)."""
    resp.raise_for_status()
    parts = dict(p.strip().split(";dur=") for p in resp.headers["server-timing"].split(","))
    return float(parts["app"]), float(parts["cpu"])


def measure(base: str, token: str, ids: list[int], reps: int) -> dict[str, dict[str, float]]:
    auth = {"Authorization": f"Bearer {token}"}
    rng = random.Random(7)
    out: dict[str, dict[str, float]] = {}
    with httpx.Client(base_url=base, headers=auth, timeout=30) as c:
        for _ in range(3):  # warm the server's caches and the database's pages
            c.get("/queue")
            c.get(f"/listings/{ids[0]}")
        probes = {
            "queue page (default filter, 20 rows)": lambda: c.get("/queue"),
            "queue page (default filter, 50 rows)": lambda: c.get("/queue?size=50"),
            "queue page 20 (default filter, 20 rows)": lambda: c.get("/queue?page=20"),
            "queue page (brand, platform, min score)": lambda: c.get(
                "/queue?brand=veloria&platform=jd&min_score=0.8"
            ),
            "queue JSON /api/queue": lambda: c.get("/api/queue"),
            "listing page": lambda: c.get(f"/listings/{rng.choice(ids)}"),
        }

        def summary(pairs: list[tuple[float, float]]) -> dict[str, float]:
            wall, cpu = [w for w, _ in pairs], [u for _, u in pairs]
            return {
                "p50": statistics.median(wall),
                "p95": p95(wall),
                "cpu50": statistics.median(cpu),
                "cpu95": p95(cpu),
                "n": len(pairs),
            }

        for name, call in probes.items():
            out[name] = summary([server_ms(call()) for _ in range(reps)])
        pairs = []
        for lid in rng.sample(ids, reps):
            r = c.post(f"/api/listings/{lid}/decision", json={"action": rng.choice(["confirm", "dismiss"])})
            pairs.append(server_ms(r))
        out["review action (POST decision)"] = summary(pairs)
    return out


async def load(base: str, token: str, ids: list[int], clients: int, seconds: float) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {token}"}
    stop = time.monotonic() + seconds
    counts = {"requests": 0, "errors": 0}
    errors: list[str] = []
    lat: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(n: int, http: httpx.AsyncClient) -> None:
        rng = random.Random(n)
        while time.monotonic() < stop:
            pick = rng.random()
            t0 = time.perf_counter()
            try:
                if pick < 0.45:
                    r = await http.get(f"/queue?page={rng.randint(1, 20)}")
                elif pick < 0.9:
                    r = await http.get(f"/listings/{rng.choice(ids)}")
                else:
                    # an action that may be refused (400, a one-line reason) when the listing was decided
                    # already: counted as an error only when the server fails (5xx) or the call fails
                    r = await http.post(
                        f"/api/listings/{rng.choice(ids)}/decision", json={"action": "confirm"}
                    )
                    if r.status_code == 400:
                        r.status_code = 200
                if r.status_code >= 300:
                    counts["errors"] += 1
                    errors.append(f"{r.status_code} {r.request.url.path}")
            except httpx.HTTPError as exc:
                counts["errors"] += 1
                errors.append(type(exc).__name__)
            lat.append((time.perf_counter() - t0) * 1000)
            counts["requests"] += 1

    async with httpx.AsyncClient(base_url=base, headers=auth, timeout=60, limits=limits) as http:
        await asyncio.gather(*(client(n, http) for n in range(clients)))
    return {
        **counts,
        "per_s": counts["requests"] / seconds,
        "p50": statistics.median(lat),
        "p95": p95(lat),
        "first_errors": errors[:5],
    }


def cli_baseline(url: str, reps: int) -> dict[str, float]:
    from click.testing import CliRunner

    from crawler.cli import cli

    runner = CliRunner()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        r = runner.invoke(cli, ["--db", url, "suspects", "--limit", "50", "--format", "json"])
        times.append((time.perf_counter() - t0) * 1000)
        assert r.exit_code == 0, r.output[-500:]
    return {"p50": statistics.median(times), "p95": p95(times), "n": reps}


def run(label: str, url: str, args: argparse.Namespace, tmp: Path) -> None:
    print(f"\n== {label}: building {args.rows:,} listings", flush=True)
    engine, built = build(url, args.rows)
    print(f"  built in {built:.0f} s", flush=True)
    with Session(engine) as s, s.begin():
        add_user(s, "bench", "analyst", "bench-password")
        token = new_token(s, "bench")
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM listings WHERE status = 'new' ORDER BY id"))]
    engine.dispose()
    rng = random.Random(1)
    sample = rng.sample(ids, min(5000, len(ids) // 2))
    port = free_port()
    proc = start_server(url, port, tmp)
    base = f"http://127.0.0.1:{port}"
    try:
        figures = measure(base, token, sample, args.reps)
        print(f"  {'server time, ms':<44} {'p50':>7} {'p95':>7}  target    {'CPU p50':>7} {'CPU p95':>7}")
        for name, f in figures.items():
            target = 50 if name.startswith("review") else 100
            mark = "ok" if f["p95"] <= target else "MISSED"
            print(
                f"  {name:<44} {f['p50']:7.1f} {f['p95']:7.1f}  <= {target} {mark:<6} {f['cpu50']:7.1f} "
                f"{f['cpu95']:7.1f}",
                flush=True,
            )
        base_cli = cli_baseline(url, max(3, args.reps // 10))
        page50 = figures["queue page (default filter, 50 rows)"]["p50"]
        label = "baseline: markwatch suspects --limit 50 (whole command)"
        print(
            f"  {label:<44} {base_cli['p50']:7.1f} {base_cli['p95']:7.1f}"
            f"  (the 50-row queue page's p50 is {base_cli['p50'] / max(0.1, page50):.1f}x less)",
            flush=True,
        )
        print(f"  {args.clients} clients for {args.seconds:.0f} s …", flush=True)
        result = asyncio.run(load(base, token, sample, args.clients, args.seconds))
        print(
            f"  concurrency: {result['requests']:,} requests ({result['per_s']:.0f}/s), "
            f"errors {result['errors']}, "
            f"client latency p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms {result['first_errors']}",
            flush=True,
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run the clean-up (drop the schema) on kill
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--postgres", help="PostgreSQL URL (a fresh schema is made and dropped)")
    ap.add_argument("--reps", type=int, default=100, help="requests per measured page")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--skip-sqlite", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if not args.skip_sqlite:
            run("SQLite", f"sqlite:///{tmp / 'bench.db'}", args, tmp)
        if args.postgres:
            schema = f"mw_console_bench_{uuid.uuid4().hex[:8]}"
            base = make_url(args.postgres).set(drivername="postgresql+psycopg")
            admin = create_engine(base)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            try:
                scoped = base.update_query_dict({"options": f"-csearch_path={schema}"})
                run("PostgreSQL", scoped.render_as_string(hide_password=False), args, tmp)
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()


if __name__ == "__main__":
    main()
