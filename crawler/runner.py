"""Run one crawl of a brand on several platforms in this process: the heart of ``markwatch crawl``.

Each platform's spider runs as its own Scrapy crawler in one ``CrawlerProcess`` (Twisted's reactor
starts once per process: the scheduler runs crawls in subprocesses for that reason). The run is one
:class:`~storage.models.CrawlRun` row; each spider's store pipeline adds its platform's row.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crawler.context import CrawlContext, register, unregister
from crawler.scoring import workers_setting
from markwatch.brand import Brand
from markwatch.listing import PageReport
from storage.db import make_engine
from storage.ingest import sync_brand
from storage.locks import crawl_lock, fail_stale_runs
from storage.models import Brand as BrandRow
from storage.models import CrawlRun, CrawlRunPlatform, Listing, utcnow
from storage.service import open_run

logger = logging.getLogger(__name__)

#: What to tell the user for each way a platform can refuse (the spiders' reports carry details).
OK_OUTCOMES = ("ok", "empty")


@dataclass
class PlatformSummary:
    platform: str
    pages: int = 0
    listings: int = 0
    new_listings: int = 0
    changed_listings: int = 0
    new_suspects: int = 0
    errors: int = 0
    outcome: str = "not run"
    detail: str = ""

    @property
    def crawled(self) -> bool:
        return self.outcome in OK_OUTCOMES


@dataclass
class CrawlSummary:
    run_id: int
    platforms: list[PlatformSummary] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.platforms) and all(p.crawled for p in self.platforms)


def project_settings() -> Settings:
    """markwatch's Scrapy settings wherever the command runs (no scrapy.cfg needed in the cwd)."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    return get_project_settings()


def crawl_settings(
    db_url: str | None,
    run_id: int,
    *,
    sandbox_url: str | None = None,
    photos_dir: str | None = "markwatch-photos",
    save_dir: str | None = None,
    log_level: str = "WARNING",
    extra: dict[str, Any] | None = None,
) -> Settings:
    settings = project_settings()
    overrides: dict[str, Any] = {
        "MARKWATCH_DB": db_url,
        "MARKWATCH_RUN_ID": run_id,
        "MARKWATCH_PHOTOS_DIR": photos_dir,
        "LOG_LEVEL": log_level,
    }
    if save_dir:
        overrides["MARKWATCH_SAVE_DIR"] = save_dir
    if sandbox_url:
        overrides["MARKWATCH_SANDBOX_URL"] = sandbox_url.rstrip("/")
        overrides.update(settings.getdict("MARKWATCH_SANDBOX_OVERRIDES"))
    overrides.update(extra or {})
    settings.setdict(overrides, priority="cmdline")
    workers_setting(settings.get("MARKWATCH_SCORE_WORKERS"))  # a bad value stops here, in one line
    return settings


def start_run(
    db_url: str | None, brand: Brand, *, origin: str | None, kind: str = "crawl", **info: Any
) -> int:
    engine = make_engine(db_url)
    with Session(engine) as s, s.begin():
        _, run_id = open_run(s, brand, kind=kind, origin=origin, settings={"pid": os.getpid(), **info})
    engine.dispose()
    return run_id


def finish_run(
    db_url: str | None,
    run_id: int,
    platforms: Sequence[str],
    close_reasons: dict[str, str] | None = None,
) -> CrawlSummary:
    """The run's summary from its per-platform rows; ``close_reasons`` (Scrapy's, per platform) turn
    a crawl stopped before its end (Ctrl-C, ``shutdown``) into ``interrupted``, not ``ok``."""
    engine = make_engine(db_url)
    summary = CrawlSummary(run_id)
    with Session(engine) as s, s.begin():
        rows = {
            r.platform: r
            for r in s.scalars(select(CrawlRunPlatform).where(CrawlRunPlatform.run_id == run_id))
        }
        for platform in platforms:
            row = rows.get(platform)
            if row is None:
                summary.platforms.append(
                    PlatformSummary(platform, outcome="error", detail="the spider did not finish")
                )
                continue
            reason = (close_reasons or {}).get(platform, "finished")
            if reason != "finished" and row.outcome in OK_OUTCOMES:
                row.outcome = "interrupted"
                row.detail = f"stopped before the end (Scrapy: {reason}); run the crawl again to finish it"
            summary.platforms.append(
                PlatformSummary(
                    platform=platform,
                    pages=row.pages,
                    listings=row.listings,
                    new_listings=row.new_listings,
                    changed_listings=row.changed_listings,
                    new_suspects=row.new_suspects,
                    errors=row.errors,
                    outcome=row.outcome,
                    detail=row.detail or "",
                )
            )
        run = s.get(CrawlRun, run_id)
        if run is not None:
            run.finished_at = utcnow()
            run.outcome = (
                "ok"
                if summary.ok
                else ("failed" if not any(p.crawled for p in summary.platforms) else "partial")
            )
            run.stats = {p.platform: p.outcome for p in summary.platforms}
    engine.dispose()
    return summary


#: Listing statuses whose item pages every crawl fetches again: is it still there, or back?
RECHECK_STATUSES = ("reported", "removed", "reinstated")
RECHECK_LIMIT = 1000


def recheck_urls(db_url: str | None, slug: str, platforms: Sequence[str]) -> dict[str, list[str]]:
    """Per platform, the item pages of the brand's reported or removed listings (the takedown check)."""
    engine = make_engine(db_url)
    out: dict[str, list[str]] = {}
    with Session(engine) as s:
        rows = s.execute(
            select(Listing.platform, Listing.url)
            .join(BrandRow, BrandRow.id == Listing.brand_id)
            .where(
                BrandRow.slug == slug,
                Listing.status.in_(RECHECK_STATUSES),
                Listing.platform.in_(list(platforms)),
            )
            .order_by(Listing.status_at.desc())
            .limit(RECHECK_LIMIT)
        ).all()
    engine.dispose()
    for platform, url in rows:
        out.setdefault(platform, []).append(url)
    return out


def run_crawl(
    brand: Brand,
    platforms: Sequence[str],
    *,
    db_url: str | None,
    max_pages: int = 3,
    sandbox_url: str | None = None,
    photos_dir: str | None = "markwatch-photos",
    save_dir: str | None = None,
    extra_settings: dict[str, Any] | None = None,
    on_page: Callable[[PageReport], None] | None = None,
    on_item: Callable[[str], None] | None = None,
    run_id: int | None = None,
) -> CrawlSummary:
    """Crawl ``brand`` on ``platforms`` into the database; returns the per-platform summary.

    ``run_id`` names a :class:`CrawlRun` row made beforehand (the scheduler's); otherwise one is made.
    Holds the brand's crawl lock throughout (:func:`storage.locks.crawl_lock`: a second crawl of the
    brand is refused with :class:`~markwatch.errors.BusyError`); runs of the brand left ``running``
    by a process that died are marked ``failed`` first. The crawl's context (brand, brand id, run,
    engine, scoring pool) is built here once and handed to every spider's pipelines.
    """
    engine = make_engine(db_url)
    try:
        with crawl_lock(engine, brand.slug):
            return _run_locked(
                engine,
                brand,
                platforms,
                db_url=db_url,
                max_pages=max_pages,
                sandbox_url=sandbox_url,
                photos_dir=photos_dir,
                save_dir=save_dir,
                extra_settings=extra_settings,
                on_page=on_page,
                on_item=on_item,
                run_id=run_id,
            )
    finally:
        engine.dispose()


def _run_locked(
    engine: Engine,
    brand: Brand,
    platforms: Sequence[str],
    *,
    db_url: str | None,
    max_pages: int,
    sandbox_url: str | None,
    photos_dir: str | None,
    save_dir: str | None,
    extra_settings: dict[str, Any] | None,
    on_page: Callable[[PageReport], None] | None,
    on_item: Callable[[str], None] | None,
    run_id: int | None,
) -> CrawlSummary:
    with Session(engine) as s, s.begin():
        if run_id is None:
            info = {"pid": os.getpid(), "platforms": list(platforms), "max_pages": max_pages}
            brand_id, run_id = open_run(s, brand, kind="crawl", origin=sandbox_url, settings=info)
        else:
            brand_id = sync_brand(s, brand)
            run = s.get(CrawlRun, run_id)
            if run is not None:
                run.settings = {**(run.settings or {}), "pid": os.getpid()}
        assert brand_id is not None
        stale = fail_stale_runs(s, brand_id, keep=run_id)
    if stale:
        logger.warning(
            "crawl runs %s of %s were left running by a dead process: marked failed", stale, brand.slug
        )
    recheck = recheck_urls(db_url, brand.slug, platforms)
    token = f"run-{run_id}"
    context = CrawlContext(brand=brand, db_url=db_url, run_id=run_id, brand_id=brand_id, origin=sandbox_url)
    register(token, context)
    extra_settings = {**(extra_settings or {}), "MARKWATCH_CONTEXT": token}
    try:
        return _crawl(
            brand,
            platforms,
            run_id,
            recheck,
            db_url=db_url,
            max_pages=max_pages,
            sandbox_url=sandbox_url,
            photos_dir=photos_dir,
            save_dir=save_dir,
            extra_settings=extra_settings,
            on_page=on_page,
            on_item=on_item,
        )
    finally:
        unregister(token)


def _crawl(
    brand: Brand,
    platforms: Sequence[str],
    run_id: int,
    recheck: dict[str, list[str]],
    *,
    db_url: str | None,
    max_pages: int,
    sandbox_url: str | None,
    photos_dir: str | None,
    save_dir: str | None,
    extra_settings: dict[str, Any],
    on_page: Callable[[PageReport], None] | None,
    on_item: Callable[[str], None] | None,
) -> CrawlSummary:
    settings = crawl_settings(
        db_url,
        run_id,
        sandbox_url=sandbox_url,
        photos_dir=photos_dir,
        save_dir=save_dir,
        extra=extra_settings,
    )
    process = CrawlerProcess(settings)
    from spiders.base import page_reported

    reasons: dict[str, str] = {}
    for n, platform in enumerate(platforms):
        spidercls = process.spider_loader.load(platform)
        crawler = Crawler(spidercls, settings, init_reactor=n == 0)
        crawler.signals.connect(
            lambda spider, reason, **_: reasons.__setitem__(spider.platform, str(reason)),
            signal=signals.spider_closed,
            weak=False,
        )
        if on_page is not None:
            crawler.signals.connect(
                lambda report, spider, **_: on_page(report), signal=page_reported, weak=False
            )
        if on_item is not None:
            crawler.signals.connect(
                lambda item, spider, **_: on_item(spider.platform), signal=signals.item_scraped, weak=False
            )
        # the brand's terms as parsed here: the spiders need not read its YAML again
        args: dict[str, Any] = {
            "brand": str(brand.source or brand.slug),
            "terms": list(brand.search_terms),
            "max_pages": max_pages,
        }
        urls = recheck.get(platform)
        if urls:
            args["recheck"] = urls
        process.crawl(crawler, **args)
    process.start()
    return finish_run(db_url, run_id, platforms, reasons)
