"""Scheduled crawls: each brand's ``schedule`` (cron, in its ``timezone``) runs ``markwatch crawl``.

* A crawl runs in a subprocess (Twisted's reactor starts once per process).
* Never two runs of one brand at once: an exclusive lock file per brand, held while its crawl runs,
  also keeps a second scheduler on the same machine from starting it.
* A missed run is run once: a brand is due when its last scheduled run started before the cron's
  most recent fire time — after downtime that is true once, however many fire times were missed.
* Every run is recorded: the scheduler writes the :class:`~storage.models.CrawlRun` row (kind
  ``schedule``) before it starts the crawl, which fills it in; a crawl that dies is marked failed
  with its exit status.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from markwatch.brand import Brand
from markwatch.errors import UserError
from storage.ingest import sync_brand
from storage.models import Brand as BrandRow
from storage.models import CrawlRun, utcnow

logger = logging.getLogger(__name__)


def last_fire(brand: Brand, now: dt.datetime) -> dt.datetime | None:
    """The most recent time (naive UTC) at or before ``now`` (naive UTC) that the brand's cron fired."""
    if not brand.schedule:
        return None
    tz = ZoneInfo(brand.timezone)
    local = now.replace(tzinfo=dt.UTC).astimezone(tz)
    # croniter's get_prev is strictly before: nudge so that a fire time equal to now counts
    prev: dt.datetime = croniter(brand.schedule, local + dt.timedelta(seconds=1)).get_prev(dt.datetime)
    return prev.astimezone(dt.UTC).replace(tzinfo=None)


def next_fire(brand: Brand, now: dt.datetime) -> dt.datetime | None:
    if not brand.schedule:
        return None
    tz = ZoneInfo(brand.timezone)
    local = now.replace(tzinfo=dt.UTC).astimezone(tz)
    nxt: dt.datetime = croniter(brand.schedule, local).get_next(dt.datetime)
    return nxt.astimezone(dt.UTC).replace(tzinfo=None)


def is_due(brand: Brand, last_start: dt.datetime | None, now: dt.datetime) -> bool:
    """Due when the cron fired since the brand's last scheduled run started (or it never ran)."""
    fired = last_fire(brand, now)
    if fired is None:
        return False
    return last_start is None or last_start < fired


def last_scheduled_starts(session: Session, slugs: Iterable[str]) -> dict[str, dt.datetime | None]:
    rows = session.execute(
        select(BrandRow.slug, func.max(CrawlRun.started_at))
        .join(CrawlRun, CrawlRun.brand_id == BrandRow.id)
        .where(CrawlRun.kind == "schedule", BrandRow.slug.in_(list(slugs)))
        .group_by(BrandRow.slug)
    ).all()
    found: dict[str, dt.datetime | None] = {slug: None for slug in slugs}
    found.update({slug: started for slug, started in rows})
    return found


class BrandLock:
    """An exclusive, non-blocking lock file for one brand's crawl (schedulers on one machine)."""

    def __init__(self, folder: Path, slug: str) -> None:
        self.path = folder / f"{slug}.lock"
        self.handle: IO[str] | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self.handle = handle
        return True

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


class RedisBrandLock:
    """The same lock in Redis, for schedulers on several machines sharing one database.

    ``SET key token NX PX ttl``; the holder refreshes the expiry while its crawl runs (so a scheduler
    that dies frees the brand after ``ttl``) and deletes the key only if it still holds the token.
    """

    RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
    REFRESH = (
        "if redis.call('get', KEYS[1]) == ARGV[1] then "
        "return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
    )

    def __init__(self, url: str, slug: str, ttl_seconds: float = 600.0) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.key = f"markwatch:crawl-lock:{slug}"
        self.token = f"{os.uname().nodename}:{os.getpid()}:{id(self)}"
        self.ttl_ms = int(ttl_seconds * 1000)

    def acquire(self) -> bool:
        return bool(self.client.set(self.key, self.token, nx=True, px=self.ttl_ms))

    def refresh(self) -> bool:
        return bool(self.client.eval(self.REFRESH, 1, self.key, self.token, self.ttl_ms))

    def release(self) -> None:
        self.client.eval(self.RELEASE, 1, self.key, self.token)


Lock = BrandLock | RedisBrandLock


def check_redis(url: str) -> None:
    """Raise :class:`UserError` with one line unless Redis answers at ``url`` (checked before any run)."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    except ValueError as exc:
        raise UserError(
            f"--redis {url!r} is not a Redis URL ({exc}): e.g. redis://127.0.0.1:6379/0"
        ) from None
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        raise UserError(
            f"--redis {url}: Redis does not answer ({exc}): start it, or leave out --redis to keep the "
            "locks in files"
        ) from None
    finally:
        client.close()


@dataclass
class Running:
    brand: Brand
    run_id: int
    process: subprocess.Popen[bytes]
    lock: Lock
    log_path: Path


@dataclass
class Scheduler:
    engine: Engine
    db_url: str | None
    brands: list[Brand]
    state_dir: Path
    sandbox_url: str | None = None
    max_pages: int = 3
    #: Redis URL: brand locks in Redis instead of lock files, for schedulers on several machines
    redis_url: str | None = None
    running: dict[str, Running] = field(default_factory=dict)

    def lock_for(self, slug: str) -> Lock:
        if self.redis_url:
            return RedisBrandLock(self.redis_url, slug)
        return BrandLock(self.state_dir / "locks", slug)

    def due(self, now: dt.datetime | None = None) -> list[Brand]:
        now = now or utcnow()
        with Session(self.engine) as s:
            starts = last_scheduled_starts(s, [b.slug for b in self.brands])
        return [b for b in self.brands if b.slug not in self.running and is_due(b, starts[b.slug], now)]

    def launch(self, brand: Brand) -> Running | None:
        lock = self.lock_for(brand.slug)
        if not lock.acquire():
            logger.warning("%s: a crawl of this brand is already running elsewhere; skipped", brand.slug)
            return None
        with Session(self.engine) as s, s.begin():
            brand_id = sync_brand(s, brand)
            run = CrawlRun(
                brand_id=brand_id,
                kind="schedule",
                origin=self.sandbox_url,
                settings={
                    "schedule": brand.schedule,
                    "timezone": brand.timezone,
                    "max_pages": self.max_pages,
                },
            )
            s.add(run)
            s.flush()
            run_id = run.id
        cmd = [sys.executable, "-m", "crawler.cli"]
        if self.db_url:
            cmd += ["--db", self.db_url]
        cmd += [
            "crawl",
            str(brand.source or brand.slug),
            "--run-id",
            str(run_id),
            "--no-progress",
            "--max-pages",
            str(self.max_pages),
        ]
        if self.sandbox_url:
            cmd += ["--sandbox", self.sandbox_url]
        log_path = self.state_dir / "logs" / f"{brand.slug}-run{run_id}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("wb") as log:
            process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
        running = Running(brand, run_id, process, lock, log_path)
        self.running[brand.slug] = running
        logger.info("%s: crawl run %s started (pid %s, log %s)", brand.slug, run_id, process.pid, log_path)
        return running

    def reap(self) -> list[tuple[str, int, int]]:
        """Collect finished crawls: (slug, run id, exit status); a crawl that died is marked failed."""
        done = []
        for slug, r in list(self.running.items()):
            code = r.process.poll()
            if code is None:
                if isinstance(r.lock, RedisBrandLock):
                    r.lock.refresh()
                continue
            r.lock.release()
            del self.running[slug]
            with Session(self.engine) as s, s.begin():
                run = s.get(CrawlRun, r.run_id)
                if run is not None and (run.outcome == "running" or run.finished_at is None):
                    tail = r.log_path.read_text(encoding="utf-8", errors="replace")[-500:]
                    run.outcome = "failed"
                    run.finished_at = utcnow()
                    run.stats = {**(run.stats or {}), "exit_status": code, "log_tail": tail}
            done.append((slug, r.run_id, code))
        return done

    def tick(self, now: dt.datetime | None = None) -> list[Running]:
        self.reap()
        started = []
        for brand in self.due(now):
            r = self.launch(brand)
            if r is not None:
                started.append(r)
        return started

    def wait(self, poll: float = 0.5) -> list[tuple[str, int, int]]:
        finished = []
        while self.running:
            finished += self.reap()
            time.sleep(poll)
        return finished
