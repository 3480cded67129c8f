"""Faults: workers end with their parent, seller upserts under races, the crawl lock, stale runs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from markwatch.brand import resolve_brand
from markwatch.errors import BusyError
from storage.ingest import ingest_batch, sync_brand
from storage.locks import crawl_lock, fail_stale_runs
from storage.models import CrawlRun, Seller

ROOT = Path(__file__).resolve().parent.parent

PARENT = textwrap.dedent(
    """
    import asyncio, sys, time
    from crawler import scoring
    from markwatch.brand import resolve_brand

    pool = scoring.ScorePool(resolve_brand("veloria"), 1)
    listing = {"platform": "jd", "item_id": "1", "url": "https://item.jd.com/1.html", "title": "VELORIA"}
    asyncio.run(pool.score(listing))  # the worker is up and has scored
    print(" ".join(str(p) for p in pool._executor._processes), flush=True)
    time.sleep(600)
    """
)


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_scoring_workers_end_with_a_killed_parent() -> None:
    """Finding 12: ``kill -9`` of a crawl orphaned its scoring worker (~150 MB) for good."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    try:
        assert parent.stdout is not None
        workers = [int(p) for p in parent.stdout.readline().split()]
        assert workers and all(psutil.pid_exists(p) for p in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        # liveness, not speed: the worker polls every 0.5 s; a minute is far beyond it
        assert all(_wait_gone(p, 60) for p in workers), "a scoring worker outlived its killed parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()


@pytest.mark.postgres
def test_two_writers_insert_the_same_new_sellers(tmp_path: Path) -> None:
    """Finding 11: two crawls of one brand at once gave UniqueViolation uq_sellers_platform."""
    from tests.conftest import POSTGRES_URL, _drop_postgres_schema, _postgres_schema_url

    if not POSTGRES_URL:
        pytest.skip("MARKWATCH_TEST_POSTGRES is not set")
    from storage.db import ready_engine

    url, schema = _postgres_schema_url(POSTGRES_URL)
    engine = ready_engine(url)
    try:
        records = [
            {
                "platform": "taobao",
                "item_id": f"{w}-{i}",
                "url": "https://item.taobao.com/x",
                "seller_id": f"s{i}",
            }
            for w in ("a", "b")
            for i in range(20)
        ]
        first, second = records[:20], records[20:]
        errors: list[BaseException] = []
        with Session(engine) as a:
            a.begin()
            ingest_batch(a, None, first)  # its sellers inserted, not committed yet

            def other() -> None:
                try:
                    with Session(engine) as b, b.begin():
                        ingest_batch(b, None, second)  # the same sellers: waits on a's unique keys
                except BaseException as exc:
                    errors.append(exc)

            thread = threading.Thread(target=other)
            thread.start()
            _wait_for_lock_wait(engine)
            a.commit()
        thread.join(60)
        assert not thread.is_alive()
        assert errors == []
        with Session(engine) as s:
            assert len(s.scalars(select(Seller)).all()) == 20
    finally:
        engine.dispose()
        _drop_postgres_schema(POSTGRES_URL, schema)


def _wait_for_lock_wait(engine: Engine) -> None:
    """Until another session of this database waits on a lock (the race is then certain)."""
    deadline = time.monotonic() + 30
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
            ).scalar()
            conn.rollback()
            if waiting:
                return
            time.sleep(0.05)
    raise AssertionError("the second writer never waited for the first")


def test_a_second_crawl_of_a_brand_is_refused_with_one_line(engine: Engine) -> None:
    with crawl_lock(engine, "veloria"):
        with pytest.raises(BusyError) as caught, crawl_lock(engine, "veloria"):
            pass
        message = str(caught.value)
        assert re.match(
            rf"a crawl of veloria is running since 20\d\d-\d\d-\d\d \S+ UTC, pid {os.getpid()}: ", message
        )
        assert "\n" not in message
        with crawl_lock(engine, "corvane"):  # another brand crawls meanwhile
            pass
    with crawl_lock(engine, "veloria"):  # released
        pass


def test_the_crawl_lock_of_a_killed_process_is_released(db_url: str, tmp_path: Path) -> None:
    from storage.db import ready_engine

    engine = ready_engine(db_url)
    holder = textwrap.dedent(
        f"""
        import time
        from storage.db import make_engine
        from storage.locks import crawl_lock
        engine = make_engine({db_url!r})
        with crawl_lock(engine, "veloria"):
            print("held", flush=True)
            time.sleep(600)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        busy = rf"a crawl of veloria is running since .*, pid {proc.pid}"
        with pytest.raises(BusyError, match=busy), crawl_lock(engine, "veloria"):
            pass
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 30
        while True:  # the server notices the closed connection (PostgreSQL) at once or nearly
            try:
                with crawl_lock(engine, "veloria"):
                    break
            except BusyError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        engine.dispose()


def test_runs_left_running_are_failed_by_the_next_crawl(engine: Engine) -> None:
    """Finding 12: a killed crawl's run stayed ``running`` forever."""
    with Session(engine) as s, s.begin():
        bid = sync_brand(s, resolve_brand("veloria"))
        other = sync_brand(s, resolve_brand("corvane"))
        dead = CrawlRun(brand_id=bid, kind="crawl")
        mine = CrawlRun(brand_id=bid, kind="schedule")
        elsewhere = CrawlRun(brand_id=other, kind="crawl")
        s.add_all([dead, mine, elsewhere])
        s.flush()
        ids = dead.id, mine.id, elsewhere.id
        assert fail_stale_runs(s, bid, keep=mine.id) == [dead.id]
    with Session(engine) as s:
        outcomes = {r.id: r.outcome for r in s.scalars(select(CrawlRun))}
        assert outcomes == dict(zip(ids, ["failed", "running", "running"], strict=True))
