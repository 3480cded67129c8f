"""Whole crawls against the sandbox under faults: kill -9 at random points, two at once, and the
brand read once per crawl. Each crawl is a ``markwatch crawl`` subprocess (Twisted's reactor)."""

from __future__ import annotations

import inspect
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import Sandbox, serve
from storage.db import ready_engine
from storage.models import CrawlRun, Listing, ReviewDecision
from storage.review import set_reason, set_status

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


#: The legacy pages, where the sandbox serves today's by default (the spiders' route in these tests).
LEGACY = {"legacy": True} if "legacy" in inspect.signature(Sandbox.__init__).parameters else {}


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with serve(seed=5, size=200, retry_after=1, **LEGACY) as sandbox:
        yield sandbox


def crawl_cmd(db: str, sb: Sandbox, photos: Path) -> list[str]:
    return [
        sys.executable, "-m", "crawler.cli", "--db", db, "crawl", "veloria", "--sandbox", sb.url,
        "--no-progress", "--max-pages", "1", "--photos-dir", str(photos),
    ]  # fmt: skip


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "MARKWATCH_SCORE_WORKERS": "0", "COLUMNS": "160"}


def test_the_brand_yaml_is_read_once_per_crawl(tmp_path: Path, sb: Sandbox) -> None:
    """The crawl's context is built once: the brand was parsed ~13 times per four-platform crawl."""
    db = f"sqlite:///{tmp_path / 'm.db'}"
    ready_engine(db).dispose()
    script = textwrap.dedent(
        f"""
        import atexit, sys
        import markwatch.brand as brand
        loads = []
        original = brand.load_brand
        def counting(path):
            loads.append(str(path))
            return original(path)
        brand.load_brand = counting
        atexit.register(lambda: print("BRAND-LOADS", len(loads), file=sys.stderr))
        from crawler.cli import main
        sys.argv = ["markwatch", *{crawl_cmd(db, sb, tmp_path / "photos")[3:]!r}]
        main()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env()
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    (count,) = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("BRAND-LOADS")]
    assert count == "1", done.stderr[-2000:]


def _snapshot(db: str) -> tuple[set[tuple[str, str]], dict[int, tuple[str, str | None, int]]]:
    engine = ready_engine(db)
    with Session(engine) as s:
        keys = {(p, i) for p, i in s.execute(select(Listing.platform, Listing.item_id))}
        decided = {
            lst.id: (lst.status, lst.review_reason, len(lst.decisions))
            for lst in s.scalars(select(Listing).where(Listing.status != "new"))
        }
    engine.dispose()
    return keys, decided


def _integrity(path: Path) -> None:
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        con.close()


def test_kill_9_at_random_points_loses_nothing(tmp_path: Path, sb: Sandbox) -> None:
    """Acceptance: kill -9 a crawl at random points (10 times, seeded); after each the next crawl runs,
    no stored listing or decision is lost, and the database passes an integrity check."""
    path = tmp_path / "m.db"
    db = f"sqlite:///{path}"
    ready_engine(db).dispose()
    cmd = crawl_cmd(db, sb, tmp_path / "photos")
    start = time.monotonic()
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env())
    full = time.monotonic() - start
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-3000:]
    engine = ready_engine(db)
    with Session(engine) as s, s.begin():  # the analyst's decisions, which every crawl must keep
        ids = list(s.scalars(select(Listing.id).order_by(Listing.id).limit(8)))
        set_status(s, ids[:6], "confirmed", actor="lin")
        set_reason(s, ids[:3], "unauthorised-use")
        set_status(s, ids[3:5], "reported", actor="lin")  # re-checked by every crawl
        set_status(s, ids[6:], "dismissed", actor="lin")
    engine.dispose()
    keys, decided = _snapshot(db)
    assert len(decided) == 8
    rng = random.Random(20261208)
    killed: list[float] = []
    for _ in range(10):
        at = rng.uniform(0.5, full)
        with subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path, env=env()
        ) as proc:
            try:
                proc.wait(timeout=at)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            err = proc.stderr.read().decode() if proc.stderr else ""
        assert "is running since" not in err, err  # a killed crawl never blocks the next one
        killed.append(at)
        _integrity(path)
        now_keys, now_decided = _snapshot(db)
        assert keys <= now_keys, "a stored listing was lost"
        for lid, (status, reason, n) in decided.items():
            got = now_decided.get(lid)
            assert got is not None and got[0] == status and got[1] == reason and got[2] >= n, (lid, got)
        keys = now_keys
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env())
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    _integrity(path)
    engine = ready_engine(db)
    with Session(engine) as s:
        runs = s.scalars(select(CrawlRun)).all()
        assert [r.id for r in runs if r.outcome == "running"] == []
        assert runs[-1].outcome == "ok"
        assert s.scalar(select(ReviewDecision.id).limit(1)) is not None
    engine.dispose()
    print(f"killed at {', '.join(f'{t:.1f}' for t in killed)} s (full crawl {full:.1f} s)")


def test_a_second_crawl_of_the_brand_is_refused_while_one_runs(tmp_path: Path, sb: Sandbox) -> None:
    db = f"sqlite:///{tmp_path / 'm.db'}"
    ready_engine(db).dispose()
    holder = textwrap.dedent(
        f"""
        import time
        from storage.db import make_engine
        from storage.locks import crawl_lock
        with crawl_lock(make_engine({db!r}), "veloria"):
            print("held", flush=True)
            time.sleep(600)
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True, env=env()
    ) as proc:
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
            done = subprocess.run(
                crawl_cmd(db, sb, tmp_path / "photos"), capture_output=True, text=True, timeout=120, env=env()
            )
        finally:
            proc.kill()
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("markwatch: error: a crawl of veloria is running since ")
    assert f"pid {proc.pid}" in done.stderr and done.stderr.count("\n") == 1
