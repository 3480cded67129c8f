"""Scheduled crawls: when a brand is due, one run at a time, missed runs once, every run recorded."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.schedule import BrandLock, RedisBrandLock, Scheduler, is_due, last_fire
from markwatch.brand import BRANDS_DIR, load_brand, resolve_brand
from sandbox import Sandbox, serve
from storage.db import ready_engine
from storage.models import CrawlRun, CrawlRunPlatform


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("last_start", "now", "due"),
    [
        (None, "2026-03-01T00:00:00", True),  # never ran: due now
        ("2026-02-28T19:00:01", "2026-03-01T00:00:00", False),  # ran after the 03:00 CST fire (19:00 UTC)
        ("2026-02-28T18:59:00", "2026-03-01T00:00:00", True),  # ran before it: that fire was missed
        ("2026-02-20T19:00:00", "2026-03-01T00:00:00", True),  # down for days: due (once)
        ("2026-02-28T19:00:00", "2026-02-28T19:00:00", False),  # started exactly at the fire time
    ],
)
def test_is_due(last_start: str | None, now: str, due: bool) -> None:
    brand = resolve_brand("veloria")  # "0 3 * * *" Asia/Shanghai
    assert is_due(brand, at(last_start) if last_start else None, at(now)) is due


def test_last_fire_honours_the_brand_time_zone() -> None:
    brand = resolve_brand("veloria")
    assert last_fire(brand, at("2026-03-01T00:00:00")) == at("2026-02-28T19:00:00")
    assert last_fire(brand, at("2026-02-28T19:00:00")) == at("2026-02-28T19:00:00")


def test_lock_allows_one_holder(tmp_path: Path) -> None:
    a, b = BrandLock(tmp_path, "veloria"), BrandLock(tmp_path, "veloria")
    assert a.acquire()
    assert not b.acquire()
    a.release()
    assert b.acquire()
    b.release()


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with serve(seed=5, size=150, legacy=True) as sandbox:
        yield sandbox


@pytest.fixture
def every_minute(tmp_path: Path) -> Path:
    folder = tmp_path / "brands"
    shutil.copytree(BRANDS_DIR, folder)
    data = yaml.safe_load((folder / "veloria.yaml").read_text(encoding="utf-8"))
    data.update(schedule="* * * * *", platforms=["jd"])
    path = folder / "veloria.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.slow
def test_scheduler_runs_due_crawls_once_and_records_them(
    tmp_path: Path, sb: Sandbox, every_minute: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'm.db'}"
    engine = ready_engine(db)
    brand = load_brand(every_minute)
    sched = Scheduler(engine, db, [brand], tmp_path / "state", sandbox_url=sb.url, max_pages=1)
    started = sched.tick()
    assert [r.brand.slug for r in started] == ["veloria"]
    assert sched.tick() == []  # already running: never two runs of one brand
    finished = sched.wait()
    assert [(slug, code) for slug, _run, code in finished] == [("veloria", 0)], started[
        0
    ].log_path.read_text()
    with Session(engine) as s:
        started_at = s.scalars(select(CrawlRun.started_at)).one()
    assert sched.due(started_at) == []  # ran at (after) that minute's fire time
    assert [b.slug for b in sched.due(started_at + dt.timedelta(minutes=1))] == ["veloria"]
    with Session(engine) as s:
        runs = s.scalars(select(CrawlRun)).all()
        assert [(r.kind, r.outcome) for r in runs] == [("schedule", "ok")]
        assert s.scalar(select(CrawlRunPlatform.platform)) == "jd"


@pytest.mark.slow
def test_a_crawl_that_dies_is_recorded_as_failed(tmp_path: Path, every_minute: Path) -> None:
    db = f"sqlite:///{tmp_path / 'm.db'}"
    engine = ready_engine(db)
    brand = load_brand(every_minute)
    # no sandbox and a sandbox URL that refuses connections: the crawl itself fails on every page,
    # which is a finished run; to make the process die, point it at a database it cannot open
    sched = Scheduler(engine, db, [brand], tmp_path / "state", sandbox_url="http://127.0.0.1:9", max_pages=1)
    sched.db_url = f"sqlite:///{tmp_path / 'missing' / 'nope.db'}"
    sched.tick()
    finished = sched.wait()
    assert finished[0][2] != 0
    with Session(engine) as s:
        run = s.scalars(select(CrawlRun)).one()
        assert run.outcome == "failed"
        assert run.stats["exit_status"] == finished[0][2]


def test_schedule_command_without_schedules_says_what_to_do(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    shutil.copytree(BRANDS_DIR, folder)
    data = yaml.safe_load((folder / "veloria.yaml").read_text(encoding="utf-8"))
    data.pop("schedule")
    (folder / "veloria.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "crawler.cli",
            "--db",
            f"sqlite:///{tmp_path / 'm.db'}",
            "schedule",
            "--brand",
            str(folder / "veloria.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "no brand has a `schedule`" in done.stderr


REDIS_URL = os.environ.get("MARKWATCH_TEST_REDIS")


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="MARKWATCH_TEST_REDIS is not set")
def test_redis_lock_is_shared_and_expires() -> None:
    assert REDIS_URL is not None
    slug = f"test-{uuid.uuid4().hex[:8]}"
    a = RedisBrandLock(REDIS_URL, slug, ttl_seconds=1.0)
    b = RedisBrandLock(REDIS_URL, slug, ttl_seconds=1.0)
    assert a.acquire()
    assert not b.acquire()  # another scheduler, same brand
    b.release()  # not the holder: must not free it
    assert not b.acquire()
    assert a.refresh()
    a.release()
    assert b.acquire()
    time.sleep(1.3)  # the holder died without releasing: the lock expires
    assert a.acquire()
    assert not b.refresh()  # b no longer holds it
    a.release()


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="MARKWATCH_TEST_REDIS is not set")
def test_scheduler_skips_a_brand_locked_in_redis(tmp_path: Path, every_minute: Path) -> None:
    assert REDIS_URL is not None
    db = f"sqlite:///{tmp_path / 'm.db'}"
    engine = ready_engine(db)
    brand = load_brand(every_minute)
    other = RedisBrandLock(REDIS_URL, brand.slug)
    assert other.acquire()  # a scheduler on another machine runs this brand
    try:
        sched = Scheduler(engine, db, [brand], tmp_path / "state", redis_url=REDIS_URL)
        assert sched.tick() == []
        with Session(engine) as s:
            assert s.scalars(select(CrawlRun)).all() == []  # nothing started, nothing recorded
    finally:
        other.release()
