"""One crawl per brand and database at a time, and what a crawl killed mid-way leaves behind.

* :func:`crawl_lock`: a lock held for the whole crawl. PostgreSQL: a session advisory lock (keyed by
  the schema and the brand) held on a connection of its own; SQLite: an ``flock`` on a file beside the
  database (``<db>.crawl-<slug>.lock``). Both are released by the operating system or the server when
  the process dies, however it dies: a ``kill -9`` never leaves a stale lock. A second crawl of the
  brand is refused with one line: "a crawl of veloria is running since …, pid …".
* :func:`fail_stale_runs`: under the lock no other crawl of the brand runs, so a run of it still
  ``running`` was left by a process that died: it is marked ``failed``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from markwatch.errors import BusyError
from storage.models import Brand, CrawlRun, utcnow

try:  # POSIX; elsewhere SQLite crawls are not locked (the scheduler's own lock still holds)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def lock_path(engine: Engine, slug: str) -> Path | None:
    """SQLite: the lock file of ``slug``'s crawls beside the database file (None: in memory)."""
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return Path(f"{database}.crawl-{slug}.lock")


def _busy(slug: str, since: Any, pid: Any) -> BusyError:
    when = since.isoformat(sep=" ", timespec="seconds") + " UTC" if isinstance(since, dt.datetime) else since
    return BusyError(
        f"a crawl of {slug} is running since {when or 'an unknown time'}, pid {pid or 'unknown'}: "
        "wait for it to finish (or stop that process), then crawl again"
    )


def _holder(engine: Engine, slug: str) -> tuple[Any, Any]:
    """When the running crawl of ``slug`` started and its pid, from its run row."""
    with Session(engine) as s:
        run = s.scalars(
            select(CrawlRun)
            .join(Brand, Brand.id == CrawlRun.brand_id)
            .where(Brand.slug == slug, CrawlRun.outcome == "running")
            .order_by(CrawlRun.id.desc())
            .limit(1)
        ).first()
        if run is None:
            return None, None
        return run.started_at, (run.settings or {}).get("pid")


#: ``application_name`` of the connection holding a crawl lock (PostgreSQL): "mwcrawl <pid> <time> <slug>".
APP_PREFIX = "mwcrawl"


def _pg_holder(conn: Any, key: str) -> tuple[Any, Any]:
    """When and by which pid the advisory lock ``key`` was taken, from the holder's application_name."""
    k1, k2 = conn.execute(text("SELECT hashtext(current_schema()), hashtext(:k)"), {"k": key}).one()
    rows = conn.execute(
        text(
            "SELECT l.classid, l.objid, a.application_name FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2"
        )
    ).all()
    for classid, objid, name in rows:
        if (int(classid), int(objid)) == (k1 & 0xFFFFFFFF, k2 & 0xFFFFFFFF):
            parts = str(name or "").split(" ")
            if len(parts) >= 4 and parts[0] == APP_PREFIX:
                return f"{parts[2]} {parts[3]} UTC", parts[1]
    return None, None


@contextlib.contextmanager
def crawl_lock(engine: Engine, slug: str) -> Iterator[None]:
    """Hold the crawl lock of ``slug`` in this database, or raise :class:`BusyError` at once."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            key = "markwatch-crawl:" + slug
            got = conn.execute(
                text("SELECT pg_try_advisory_lock(hashtext(current_schema()), hashtext(:k))"), {"k": key}
            ).scalar()
            if not got:
                since, pid = _pg_holder(conn, key)
                conn.rollback()
                if pid is None:
                    since, pid = _holder(engine, slug)
                raise _busy(slug, since, pid)
            # who holds it, for the message a second crawl prints (pid and time first: the name is cut at 63)
            stamp = utcnow().isoformat(sep=" ", timespec="seconds")
            conn.execute(text(f"SET application_name = '{APP_PREFIX} {os.getpid()} {stamp} {slug}'"))
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("RESET application_name"))
                conn.execute(
                    text("SELECT pg_advisory_unlock(hashtext(current_schema()), hashtext(:k))"), {"k": key}
                )
                conn.commit()
        return
    path = lock_path(engine, slug) if fcntl is not None else None
    if path is None:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            since, pid = None, None
            with contextlib.suppress(OSError, ValueError):  # the holder wrote "<pid> <time>" in it
                pid, since = os.pread(fd, 200, 0).decode().strip().split(None, 1)
            if pid is None:
                since, pid = _holder(engine, slug)
            raise _busy(slug, since, pid) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {utcnow().isoformat(sep=' ', timespec='seconds')} UTC\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def fail_stale_runs(session: Session, brand_id: int, keep: int | None = None) -> list[int]:
    """Mark ``failed`` the brand's crawl runs still ``running`` (call it holding :func:`crawl_lock`):
    their process died without finishing them. Returns their ids."""
    stmt = select(CrawlRun.id).where(
        CrawlRun.brand_id == brand_id,
        CrawlRun.outcome == "running",
        CrawlRun.kind.in_(("crawl", "schedule")),
    )
    if keep is not None:
        stmt = stmt.where(CrawlRun.id != keep)
    ids = list(session.scalars(stmt))
    if ids:
        session.execute(
            update(CrawlRun)
            .where(CrawlRun.id.in_(ids))
            .values(
                outcome="failed",
                finished_at=utcnow(),
                stats={"error": "the crawl's process died before it finished (found by the next crawl)"},
            )
            .execution_options(synchronize_session=False)
        )
    return ids
