"""Scoring off the crawl's event loop: a pool of worker processes, each holding a brand's matcher.

Scoring a listing (decoding and hashing its photos, matching them to the brand's, finding the names)
costs several times what Scrapy spends fetching and parsing it, and it runs on the one thread that
also drives every download. :class:`ScorePool` sends each listing to worker processes instead, so a
crawl uses the machine's other cores and the downloads go on while listings are scored.

* ``MARKWATCH_SCORE_WORKERS`` sets the number of processes; the default is one on a machine with
  two CPUs or more (each worker holds a matcher, about 160 MB; one keeps up with a crawl paced as
  against the real platforms with most of its time idle, and with the sandbox's full speed on two
  cores), and ``0`` scores in the crawler's own process, as it did before the pool.
* One pool per brand and crawler process: the four spiders of ``markwatch crawl`` share it.
* Workers are started with ``spawn`` (a crawler process has threads; ``fork`` would copy their
  locks), each builds its own :class:`~matchers.Matcher` once, and scores with exactly the code the
  in-process path runs: the result is the same plain ``MatchResult.to_dict()``.
* Listings cross to the workers in batches (:data:`BATCH` listings, or what came within
  :data:`BATCH_WAIT` seconds), scored with ``Matcher.score_many``: one hand-over per listing would
  keep the crawler's process busy passing them, and the worker waiting between them.
* Photos already hashed by an earlier crawl are not hashed again: :class:`PhotoHashCache`, a SQLite
  file in the photo store, keeps each stored photo's hashes (a re-crawl downloads no photo it has).
* A listing the matcher fails on fails alone (the worker scores the rest of its batch one by one).
* A worker that dies takes the pool with it (``BrokenProcessPool``): its listings are then scored in
  the crawler's process, and so is every later one, with one warning in the log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import multiprocessing
import os
import signal
import sqlite3
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markwatch.errors import UserError

if TYPE_CHECKING:
    from markwatch.brand import Brand
    from matchers import Matcher

logger = logging.getLogger(__name__)

#: Item fields the matcher never reads and that need not cross to a worker.
NOT_SENT = ("raw",)
#: The photo hash cache's file name, in the photo store.
CACHE_NAME = ".markwatch-photo-hashes.sqlite"
#: Listings handed to a worker at once, and how long (seconds) to wait for a batch to fill.
BATCH = 32
BATCH_WAIT = 0.01


def default_workers() -> int:
    return 1 if (os.cpu_count() or 1) >= 2 else 0


def workers_setting(value: Any) -> int:
    """``MARKWATCH_SCORE_WORKERS`` as a number of processes (unset or empty: :func:`default_workers`)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default_workers()
    try:
        workers = int(value)
    except (TypeError, ValueError):
        workers = -1
    if workers < 0:
        raise UserError(
            f"MARKWATCH_SCORE_WORKERS={value!r}: give a whole number of scoring processes "
            "(0 scores in the crawler's own process), or unset it"
        )
    return workers


# --- photo hashes kept between crawls ------------------------------------------------------------


class PhotoHashCache:
    """Hashes of the photos in the photo store, in a SQLite file beside them (:data:`CACHE_NAME`).

    A re-crawl finds most photos already stored (``FilesPipeline`` keeps them ``FILES_EXPIRES``
    days) and would hash each again; with the cache it reads what the last crawl computed. An entry
    holds for the file's path, size and modification time under the current recipe
    (``matchers.images.RECIPE``): a photo downloaded again, or a new recipe, is hashed again. The
    matcher takes the cached hashes as it takes any made before (``images`` entries with the recipe).
    Several workers share the file (WAL, waits for the writer).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.hits = 0
        self.misses = 0
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS photo_hashes (path TEXT PRIMARY KEY, size INTEGER, "
                "mtime_ns INTEGER, recipe TEXT, hashes TEXT)"
            )
            self._db = db
        return self._db

    def fill(self, listing: dict[str, Any]) -> dict[str, Any]:
        """The listing with the cached hashes of its photos added to ``images``."""
        from matchers.images import RECIPE

        paths = listing.get("image_paths")
        if not paths or not isinstance(paths, list | tuple):
            return listing
        known: list[dict[str, Any]] = []
        for path in paths:
            try:
                st = os.stat(path)
            except (OSError, TypeError, ValueError):
                continue
            row = (
                self._conn()
                .execute(
                    "SELECT hashes FROM photo_hashes WHERE path = ? AND size = ? AND mtime_ns = ? "
                    "AND recipe = ?",
                    (str(path), st.st_size, st.st_mtime_ns, RECIPE),
                )
                .fetchone()
            )
            if row is None:
                self.misses += 1
            else:
                self.hits += 1
                known.append(json.loads(row[0]))
        if not known:
            return listing
        return {**listing, "images": [*(listing.get("images") or []), *known]}

    def remember(self, results: list[dict[str, Any]]) -> None:
        """Keep the hashes the matcher made (``image_hashes`` of each result) for the next crawl."""
        from matchers.images import RECIPE

        rows = []
        for result in results:
            for h in result.get("image_hashes") or []:
                if h.get("recipe") != RECIPE or "error" in h or not h.get("path"):
                    continue
                try:
                    st = os.stat(h["path"])
                except OSError:
                    continue
                rows.append((str(h["path"]), st.st_size, st.st_mtime_ns, RECIPE, json.dumps(h)))
        if rows:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany("INSERT OR REPLACE INTO photo_hashes VALUES (?, ?, ?, ?, ?)", rows)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def cache_for(photos_dir: str | os.PathLike[str] | None) -> PhotoHashCache | None:
    """The photo store's hash cache, or None without a photo store."""
    if not photos_dir:
        return None
    return PhotoHashCache(Path(photos_dir) / CACHE_NAME)


def score_batch(
    matcher: Matcher, cache: PhotoHashCache | None, listings: list[dict[str, Any]]
) -> list[tuple[bool, Any]]:
    """``(True, result)`` per listing, or ``(False, error)`` for one the matcher failed on.

    The same in a worker and in the crawler's process: cached photo hashes in, new ones kept.
    """
    if cache is not None:
        try:
            listings = [cache.fill(listing) for listing in listings]
        except sqlite3.Error as exc:  # the cache saves time, nothing more: score without it
            logger.warning("photo hash cache %s: %s", cache.path, exc)
    try:
        out: list[tuple[bool, Any]] = [(True, r.to_dict()) for r in matcher.score_many(listings)]
    except Exception:  # find the listing that fails; the others are scored
        out = []
        for listing in listings:
            try:
                out.append((True, matcher.score(listing).to_dict()))
            except Exception as exc:  # sent back to fail that listing's item alone
                out.append((False, f"{type(exc).__name__}: {exc}"))
    if cache is not None:
        try:
            cache.remember([value for ok, value in out if ok])
        except sqlite3.Error as exc:
            logger.warning("photo hash cache %s: %s", cache.path, exc)
    return out


# --- in the worker process -----------------------------------------------------------------------

_matcher: Matcher | None = None
_cache: PhotoHashCache | None = None


#: How often (seconds) a worker checks that the crawler that started it is still there.
PARENT_POLL = 0.5


def _watch_parent(parent: int, interval: float = PARENT_POLL) -> None:
    """End this worker when ``parent`` is gone (``kill -9`` of the crawler: nobody would stop it).

    A daemon thread compares ``os.getppid()`` with the parent's pid: an orphan is re-parented (to
    init or a subreaper), so the pid changes. Portable, and unlike ``PR_SET_PDEATHSIG`` it does not
    fire when the parent's spawning thread ends while the parent lives on.
    """

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(0)  # no clean-up to do: the parent that wanted the results is gone
            time.sleep(interval)

    threading.Thread(target=watch, name="markwatch-parent-watch", daemon=True).start()


def _start_worker(brand: Brand, today: dt.date, photos_dir: str | None, parent: int | None = None) -> None:
    global _matcher, _cache
    from matchers import Matcher

    if parent is not None:
        _watch_parent(parent)
    # Ctrl-C reaches the whole process group: the crawler stops the workers; they print nothing
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    _matcher = Matcher(brand, today=today)
    _cache = cache_for(photos_dir)


def _score_in_worker(listings: list[dict[str, Any]]) -> list[tuple[bool, Any]]:
    assert _matcher is not None, "worker started without its brand"
    return score_batch(_matcher, _cache, listings)


# --- in the crawler process ----------------------------------------------------------------------


@dataclass
class ScorePool:
    """Scores listings of one brand, in worker processes when ``workers`` > 0."""

    brand: Brand
    workers: int
    #: the photo store, whose hash cache (:class:`PhotoHashCache`) the scoring reads and fills
    photos_dir: str | None = None
    today: dt.date = field(default_factory=dt.date.today)
    users: int = 0
    _executor: ProcessPoolExecutor | None = None
    _local: Matcher | None = None
    _pending: list[tuple[dict[str, Any], asyncio.Future[dict[str, Any]]]] = field(default_factory=list)
    _timer: asyncio.TimerHandle | None = None
    _cache: PhotoHashCache | None = None

    def __post_init__(self) -> None:
        if self.workers > 0:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.brand, self.today, self.photos_dir, os.getpid()),
            )
        self._cache = cache_for(self.photos_dir)

    @property
    def in_process(self) -> bool:
        return self._executor is None

    def local(self) -> Matcher:
        """The matcher of the crawler's own process (built on first use)."""
        if self._local is None:
            from matchers import Matcher

            self._local = Matcher(self.brand, today=self.today)
        return self._local

    async def score(self, listing: dict[str, Any]) -> dict[str, Any]:
        """``MatchResult.to_dict()`` of the listing, from a worker or, without one, in this process."""
        payload = {k: v for k, v in listing.items() if k not in NOT_SENT}
        if self._executor is None:
            ((ok, value),) = score_batch(self.local(), self._cache, [payload])
            if not ok:
                raise RuntimeError(f"scoring failed: {value}")
            result: dict[str, Any] = value
            return result
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._pending.append((payload, future))
        if len(self._pending) >= BATCH:
            self._send()
        elif self._timer is None:
            self._timer = loop.call_later(BATCH_WAIT, self._send)
        return await future

    def _send(self) -> None:
        """Hand the waiting listings to a worker as one batch."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if not batch:
            return
        executor = self._executor
        if executor is None:
            self._score_here(batch)
            return
        try:
            task = asyncio.wrap_future(executor.submit(_score_in_worker, [p for p, _ in batch]))
        except (BrokenProcessPool, RuntimeError) as exc:  # RuntimeError: the pool was shut down
            self._broken(executor, exc)
            self._score_here(batch)
            return

        def done(task: asyncio.Future[list[tuple[bool, Any]]]) -> None:
            if task.cancelled():  # the crawl is being torn down
                for _, future in batch:
                    future.cancel()
                return
            exc = task.exception()
            if exc is not None:
                if isinstance(exc, BrokenProcessPool):
                    self._broken(executor, exc)
                    self._score_here(batch)
                else:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                return
            for (_, future), (ok, value) in zip(batch, task.result(), strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(RuntimeError(f"scoring failed in a worker: {value}"))

        task.add_done_callback(done)

    def _broken(self, executor: ProcessPoolExecutor, exc: BaseException) -> None:
        if self._executor is executor:
            logger.warning("scoring workers stopped (%s); scoring in the crawler's process", exc)
            self._executor = None
            executor.shutdown(wait=False, cancel_futures=True)

    def _score_here(self, batch: list[tuple[dict[str, Any], asyncio.Future[dict[str, Any]]]]) -> None:
        results = score_batch(self.local(), self._cache, [payload for payload, _ in batch])
        for (_, future), (ok, value) in zip(batch, results, strict=True):
            if future.done():
                continue
            if ok:
                future.set_result(value)
            else:  # fails that listing's item, as in a worker
                future.set_exception(RuntimeError(f"scoring failed: {value}"))

    def close(self) -> None:
        if self._pending:
            self._send()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        if self._cache is not None:
            self._cache.close()


_pools: dict[tuple[str, int, str | None], ScorePool] = {}


def acquire(brand: Brand, workers: int, photos_dir: str | None = None) -> ScorePool:
    """The pool for ``brand`` in this process, started on first use; :func:`release` when done."""
    key = (brand.slug, workers, photos_dir)
    pool = _pools.get(key)
    if pool is None or pool.brand != brand:
        pool = _pools[key] = ScorePool(brand, workers, photos_dir)
    pool.users += 1
    return pool


def release(pool: ScorePool) -> None:
    pool.users -= 1
    if pool.users <= 0:
        pool.close()
        key = (pool.brand.slug, pool.workers, pool.photos_dir)
        if _pools.get(key) is pool:
            del _pools[key]
