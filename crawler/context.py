"""A crawl's context, built once and handed to its components: the brand, its row id, the run, the
database engine and the scoring pool.

``markwatch crawl`` (:func:`crawler.runner.run_crawl`) builds it before Scrapy starts and registers it
under the token in ``MARKWATCH_CONTEXT``; the pipelines of every spider of the run read it from there
(before, each component parsed the brand YAML again: 13 times in a four-platform crawl). A crawl
started otherwise (``scrapy crawl``, tests) gets one built on first use by its first pipeline, shared
by the spiders of its process.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from sqlalchemy.engine import Engine

    from crawler.scoring import ScorePool
    from markwatch.brand import Brand

logger = logging.getLogger(__name__)


@dataclass
class CrawlContext:
    brand: Brand | None
    db_url: str | None
    run_id: int | None = None
    brand_id: int | None = None
    #: whether the store pipelines finish the run row (no runner around them to do it)
    owns_run: bool = False
    origin: str | None = None
    engine: Engine | None = None
    users: int = 0
    _pool: ScorePool | None = field(default=None, repr=False)
    _pool_users: int = 0

    def open_store(self) -> Engine:
        """The engine (made and checked once), the brand synced and the run row made if none was given."""
        if self.engine is None:
            from sqlalchemy.orm import Session

            from storage.db import check_current, make_engine
            from storage.ingest import sync_brand
            from storage.service import open_run

            self.engine = make_engine(self.db_url)
            check_current(self.engine)
            with Session(self.engine) as s, s.begin():
                if self.brand_id is None and self.brand is not None:
                    self.brand_id = sync_brand(s, self.brand)
                if self.run_id is None:
                    _, self.run_id = open_run(
                        s, None, kind="crawl", origin=self.origin, brand_id=self.brand_id
                    )
                    self.owns_run = True
        return self.engine

    def score_pool(self, workers: int, photos_dir: str | None) -> ScorePool | None:
        """The run's scoring pool (one for all its spiders), or None without a brand."""
        if self.brand is None:
            return None
        if self._pool is None:
            from crawler import scoring

            self._pool = scoring.acquire(self.brand, workers, photos_dir)
        self._pool_users += 1
        return self._pool

    def release_pool(self) -> None:
        if self._pool is None:
            return
        self._pool_users -= 1
        if self._pool_users <= 0 and self._pool is not None:
            from crawler import scoring

            scoring.release(self._pool)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            from crawler import scoring

            scoring.release(self._pool)
            self._pool = None
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None


_contexts: dict[str, CrawlContext] = {}
_lock = threading.Lock()


def register(token: str, context: CrawlContext) -> None:
    with _lock:
        _contexts[token] = context


def unregister(token: str) -> None:
    with _lock:
        context = _contexts.pop(token, None)
    if context is not None:
        context.close()


def context_for(crawler: Crawler) -> CrawlContext:
    """The context of ``crawler``'s run: the registered one, else one made from its spider's brand."""
    settings = crawler.settings
    token = settings.get("MARKWATCH_CONTEXT")
    with _lock:
        if token and token in _contexts:
            return _contexts[token]
    spider = crawler.spider
    params = getattr(spider, "params", None)
    ref = getattr(params, "brand", None)
    run_id = settings.get("MARKWATCH_RUN_ID")
    db_url = settings.get("MARKWATCH_DB")
    key = token or f"auto:{db_url}|{ref}|{run_id}"
    with _lock:
        found = _contexts.get(key)
        if found is not None:
            return found
    from markwatch.brand import resolve_brand

    brand = resolve_brand(ref) if ref else None
    context = CrawlContext(
        brand=brand,
        db_url=db_url,
        run_id=int(run_id) if run_id else None,
        origin=settings.get("MARKWATCH_SANDBOX_URL"),
    )
    with _lock:
        return _contexts.setdefault(key, context)


def auto_token(crawler: Crawler) -> str | None:
    """The registry key of a context :func:`context_for` made (None for a registered one)."""
    settings = crawler.settings
    if settings.get("MARKWATCH_CONTEXT"):
        return None
    params = getattr(crawler.spider, "params", None)
    ref = getattr(params, "brand", None)
    return f"auto:{settings.get('MARKWATCH_DB')}|{ref}|{settings.get('MARKWATCH_RUN_ID')}"
