"""Scoring off the crawl's event loop: a pool of worker processes, each holding a brand's matcher.

Scoring a listing (decoding and hashing its photos, matching them to the brand's, finding the names)
costs several times what Scrapy spends fetching and parsing it, and it runs on the one thread that
also drives every download. :class:`ScorePool` sends each listing to worker processes instead, so a
crawl uses the machine's other cores and the downloads go on while listings are scored.

* ``MARKWATCH_SCORE_WORKERS`` sets the number of processes; the default is one fewer than the CPUs
  (at most :data:`MAX_DEFAULT_WORKERS`), and ``0`` scores in the crawler's own process, as it did
  before the pool.
* One pool per brand and crawler process: the four spiders of ``markwatch crawl`` share it.
* Workers are started with ``spawn`` (a crawler process has threads; ``fork`` would copy their
  locks), each builds its own :class:`~matchers.Matcher` once, and scores with exactly the code the
  in-process path runs: the result is the same plain ``MatchResult.to_dict()``.
* Listings cross to the workers in batches (:data:`BATCH` listings, or what came within
  :data:`BATCH_WAIT` seconds), scored with ``Matcher.score_many``: one hand-over per listing would
  keep the crawler's process busy passing them, and the worker waiting between them.
* A listing the matcher fails on fails alone (the worker scores the rest of its batch one by one).
* A worker that dies takes the pool with it (``BrokenProcessPool``): its listings are then scored in
  the crawler's process, and so is every later one, with one warning in the log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crawler.errors import UserError

if TYPE_CHECKING:
    from crawler.brand import Brand
    from matchers import Matcher

logger = logging.getLogger(__name__)

#: The default number of workers is ``cpu_count - 1``, but no more than this.
MAX_DEFAULT_WORKERS = 4
#: Item fields the matcher never reads and that need not cross to a worker.
NOT_SENT = ("raw",)
#: Listings handed to a worker at once, and how long (seconds) to wait for a batch to fill.
BATCH = 32
BATCH_WAIT = 0.01


def default_workers() -> int:
    return max(0, min(MAX_DEFAULT_WORKERS, (os.cpu_count() or 1) - 1))


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


# --- in the worker process -----------------------------------------------------------------------

_matcher: Matcher | None = None


def _start_worker(brand: Brand, today: dt.date) -> None:
    global _matcher
    from matchers import Matcher

    # Ctrl-C reaches the whole process group: the crawler stops the workers; they print nothing
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    _matcher = Matcher(brand, today=today)


def _score_in_worker(listings: list[dict[str, Any]]) -> list[tuple[bool, Any]]:
    """``(True, result)`` per listing, or ``(False, error)`` for one the matcher failed on."""
    assert _matcher is not None, "worker started without its brand"
    try:
        return [(True, r.to_dict()) for r in _matcher.score_many(listings)]
    except Exception:  # find the listing that fails; the others are scored
        out: list[tuple[bool, Any]] = []
        for listing in listings:
            try:
                out.append((True, _matcher.score(listing).to_dict()))
            except Exception as exc:  # sent back to fail that listing's item alone
                out.append((False, f"{type(exc).__name__}: {exc}"))
        return out


# --- in the crawler process ----------------------------------------------------------------------


@dataclass
class ScorePool:
    """Scores listings of one brand, in worker processes when ``workers`` > 0."""

    brand: Brand
    workers: int
    today: dt.date = field(default_factory=dt.date.today)
    users: int = 0
    _executor: ProcessPoolExecutor | None = None
    _local: Matcher | None = None
    _pending: list[tuple[dict[str, Any], asyncio.Future[dict[str, Any]]]] = field(default_factory=list)
    _timer: asyncio.TimerHandle | None = None

    def __post_init__(self) -> None:
        if self.workers > 0:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.brand, self.today),
            )

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
            return self.local().score(payload).to_dict()
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
        matcher = self.local()
        for payload, future in batch:
            if future.done():
                continue
            try:
                future.set_result(matcher.score(payload).to_dict())
            except Exception as exc:  # fails that listing's item, as in a worker
                future.set_exception(exc)

    def close(self) -> None:
        if self._pending:
            self._send()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


_pools: dict[tuple[str, int], ScorePool] = {}


def acquire(brand: Brand, workers: int) -> ScorePool:
    """The pool for ``brand`` in this process, started on first use; :func:`release` when done."""
    key = (brand.slug, workers)
    pool = _pools.get(key)
    if pool is None or pool.brand != brand:
        pool = _pools[key] = ScorePool(brand, workers)
    pool.users += 1
    return pool


def release(pool: ScorePool) -> None:
    pool.users -= 1
    if pool.users <= 0:
        pool.close()
        key = (pool.brand.slug, pool.workers)
        if _pools.get(key) is pool:
            del _pools[key]
