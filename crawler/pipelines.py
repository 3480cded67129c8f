"""Item pipelines: validate → drop duplicates → download photos → score → store in batches.

They are switched on together by :class:`crawler.addon.MarkwatchAddon`. Items are read through
``ItemAdapter``; every component reads its settings once in ``from_crawler`` and raises
``NotConfigured`` when it is off. The store pipeline writes one :class:`~storage.models.CrawlRunPlatform`
row per spider when it closes (pages, listings, new and changed listings, new suspects, errors and how
the platform answered), so a crawl's outcome is in the database, not only in the log.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import fields
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.http import Request, Response
from scrapy.pipelines.files import FilesPipeline
from sqlalchemy.orm import Session

from markwatch.listing import Listing as MarkwatchListing
from markwatch.listing import PageReport

logger = logging.getLogger(__name__)

#: Fields a listing must carry to be stored.
REQUIRED = ("platform", "item_id", "url")


def _spider(crawler: Crawler) -> Spider:
    spider = crawler.spider
    assert spider is not None
    return spider


class ValidatePipeline:
    """Drop items without identity; normalise types (ids as text, prices as numbers)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        missing = [k for k in REQUIRED if not adapter.get(k)]
        stats = self.crawler.stats
        if missing:
            if stats is not None:
                stats.inc_value("markwatch/invalid")
            raise DropItem(f"listing without {', '.join(missing)}: {adapter.get('url') or adapter.asdict()}")
        adapter["item_id"] = str(adapter["item_id"])
        price = adapter.get("price")
        if price is not None and not isinstance(price, int | float):
            try:
                adapter["price"] = float(price)
            except (TypeError, ValueError):
                adapter["price"] = None
        if adapter.get("title") is None:
            adapter["title"] = ""
        return item


class DedupePipeline:
    """Drop a listing already seen in this run (the same item on two search pages or two terms)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.seen: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        key = (str(adapter["platform"]), str(adapter["item_id"]))
        if key in self.seen:
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("markwatch/duplicates")
            raise DropItem(f"duplicate in this run: {key[0]} {key[1]}", log_level="DEBUG")
        self.seen.add(key)
        return item


def photo_store(crawler: Crawler) -> Path | None:
    """Where photos are downloaded (absolute), or None when photo downloads are off."""
    store = crawler.settings.get("MARKWATCH_PHOTOS_DIR")
    if not store or crawler.settings.getint("MARKWATCH_MAX_IMAGES", 3) <= 0:
        return None
    return Path(store).resolve()


def photo_slot(platform: str) -> str:
    """The download slot of a platform's photos (configured from ``MARKWATCH_PHOTO_SLOT``)."""
    return f"photos:{platform}"


class PhotosPipeline(FilesPipeline):
    """Scrapy's media pipeline for listing photos: the first few ``image_urls`` into a local store.

    Files are kept as the platform served them (no re-encoding: hashing reads them directly); the
    results go to ``images`` and the local paths to ``image_paths`` for the matchers.
    """

    def __init__(self, store_uri: str, *, crawler: Crawler) -> None:
        self.max_images = crawler.settings.getint("MARKWATCH_MAX_IMAGES", 3)
        super().__init__(store_uri, crawler=crawler)
        self.files_urls_field = "image_urls"
        self.files_result_field = "images"
        self.store_root = Path(store_uri)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PhotosPipeline:
        store = photo_store(crawler)
        if store is None:
            raise NotConfigured(
                "photo downloads are off (MARKWATCH_PHOTOS_DIR unset or MARKWATCH_MAX_IMAGES=0)"
            )
        store.mkdir(parents=True, exist_ok=True)
        return cls(str(store), crawler=crawler)

    def get_media_requests(self, item: Any, info: Any) -> list[Request]:
        adapter = ItemAdapter(item)
        urls = adapter.get("image_urls") or []
        # the platform's photo CDN slot, with its own fixed politeness (MARKWATCH_PHOTO_SLOT)
        meta = {
            "download_slot": photo_slot(str(adapter.get("platform") or "misc")),
            "autothrottle_dont_adjust_delay": True,
        }
        return [Request(u, meta=dict(meta)) for u in urls[: self.max_images]]

    def file_path(
        self, request: Request, response: Response | None = None, info: Any = None, *, item: Any = None
    ) -> str:
        digest = hashlib.sha1(request.url.encode("utf-8")).hexdigest()
        platform = ItemAdapter(item).get("platform", "misc") if item is not None else "misc"
        suffix = Path(request.url.split("?", 1)[0]).suffix.lower()
        if suffix not in (".jpg", ".jpeg", ".png", ".webp", ".gif"):
            suffix = ".jpg"
        return f"{platform}/{digest[:2]}/{digest}{suffix}"

    def item_completed(self, results: Any, item: Any, info: Any) -> Any:
        adapter = ItemAdapter(item)
        images: list[dict[str, Any]] = []
        paths: list[str] = []
        for ok, value in results:
            if ok:
                path = str(self.store_root / value["path"])
                images.append({"url": value["url"], "path": path, "checksum": value.get("checksum")})
                paths.append(path)
            else:
                images.append(
                    {"url": getattr(value, "request", None) and value.request.url, "error": str(value)}
                )
        adapter["images"] = images
        adapter["image_paths"] = paths
        return item


class ScorePipeline:
    """Score each listing against the brand; the listing goes on as a typed :class:`ScoredListing`.

    Scoring runs in worker processes (:mod:`crawler.scoring`, ``MARKWATCH_SCORE_WORKERS``) so the
    downloads go on meanwhile; with ``MARKWATCH_SCORE_WORKERS=0`` it runs in the crawler's process.
    The pool and the brand come from the crawl's context (:mod:`crawler.context`), built once per run.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.pool: Any = None  # crawler.scoring.ScorePool
        self.context: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScorePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        from crawler import scoring
        from crawler.context import context_for

        self.context = context_for(self.crawler)
        settings = self.crawler.settings
        workers = scoring.workers_setting(settings.get("MARKWATCH_SCORE_WORKERS"))
        store = photo_store(self.crawler)  # made by PhotosPipeline when photos are on
        photos_dir = str(store) if store is not None and store.is_dir() else None
        self.pool = self.context.score_pool(workers, photos_dir)

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.pool is not None:
            self.context.release_pool()
            self.pool = None

    async def process_item(self, item: Any) -> Any:
        from markwatch.scored import Score, ScoredListing

        listing = as_listing(item)
        if self.pool is None:
            return ScoredListing(listing, None, gone=_gone(listing))
        result = await self.pool.score({name: getattr(listing, name) for name in _FIELDS})
        return ScoredListing(listing, Score.from_dict(result), gone=_gone(listing))


def as_listing(item: Any) -> MarkwatchListing:
    """The :class:`~markwatch.listing.Listing` of an item (a spider's, or a dict-like one)."""
    if isinstance(item, MarkwatchListing):
        return item
    data = dict(ItemAdapter(item))
    return MarkwatchListing.from_dict(data)


def _gone(listing: MarkwatchListing) -> bool:
    return bool((listing.raw or {}).get("markwatch_gone"))


_FIELDS = tuple(f.name for f in fields(MarkwatchListing) if f.name != "raw")


class StorePipeline:
    """Store scored listings in batches through the storage service; record the platform's run row."""

    def __init__(self, crawler: Crawler, batch_size: int) -> None:
        self.crawler = crawler
        self.batch_size = batch_size
        self.buffer: list[Any] = []  # ScoredListing
        self.counts: Counter[str] = Counter()
        self.context: Any = None  # crawler.context.CrawlContext
        self.engine: Any = None
        self.platform = ""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        if not settings.getbool("MARKWATCH_STORE", True):
            raise NotConfigured("storing is off (MARKWATCH_STORE=False)")
        return cls(crawler, settings.getint("MARKWATCH_STORE_BATCH", 500))

    @property
    def run_id(self) -> int | None:
        return self.context.run_id if self.context is not None else None

    @property
    def brand_id(self) -> int | None:
        return self.context.brand_id if self.context is not None else None

    def open_spider(self, spider: Spider | None = None) -> None:
        from crawler.context import context_for

        spider = _spider(self.crawler)
        self.platform = str(getattr(spider, "platform", spider.name))
        self.context = context_for(self.crawler)
        self.engine = self.context.open_store()
        self.context.users += 1

    def process_item(self, item: Any) -> Any:
        from markwatch.scored import ScoredListing

        if not isinstance(item, ScoredListing):
            listing = as_listing(item)
            item = ScoredListing(listing, None, gone=_gone(listing))
        self.buffer.append(item)
        if len(self.buffer) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        from storage.service import StoreContext, store

        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        ctx = StoreContext(brand_id=self.brand_id, run_id=self.run_id, revive=True)
        with Session(self.engine) as s, s.begin():
            outcome = store(s, ctx, batch)
        self.counts.update(outcome.counts)

    def close_spider(self, spider: Spider | None = None) -> None:
        from crawler.context import auto_token, unregister
        from storage.models import CrawlRunPlatform
        from storage.service import finish_run

        spider = _spider(self.crawler)
        self.flush()
        reports: list[PageReport] = list(getattr(spider, "reports", []))
        outcome, detail = summarise(reports)
        stats = self.crawler.stats
        errors = sum(1 for r in reports if r.outcome == "error")
        errors += int(stats.get_value("markwatch/invalid", 0) or 0) if stats is not None else 0
        with Session(self.engine) as s, s.begin():
            s.add(
                CrawlRunPlatform(
                    run_id=self.run_id,
                    platform=self.platform,
                    pages=int(stats.get_value(f"markwatch/{self.platform}/pages", 0) or 0) if stats else 0,
                    listings=self.counts["listings"],
                    new_listings=self.counts["new"],
                    changed_listings=self.counts["changed"],
                    new_suspects=self.counts["new_suspects"],
                    errors=errors,
                    outcome=outcome,
                    detail=detail,
                )
            )
            if self.context.owns_run and self.run_id is not None:
                finish_run(s, self.run_id, "ok" if outcome in ("ok", "empty") else "partial")
        self.context.users -= 1
        token = auto_token(self.crawler)
        if token is not None and self.context.users <= 0:
            unregister(token)


def summarise(reports: list[PageReport]) -> tuple[str, str]:
    """One outcome for a platform from its page reports, and what to do about it."""
    if not reports:
        return "error", "no page was fetched (network error or the spider did not start)"
    outcomes = Counter(r.outcome for r in reports)
    refused = {o: n for o, n in outcomes.items() if o.startswith("refused:")}
    ok = outcomes.get("ok", 0)
    parts: list[str] = []
    for mode, n in sorted(refused.items(), key=lambda kv: -kv[1]):
        first = next(r for r in reports if r.outcome == mode)
        parts.append(f"{n} page(s) {mode}: {first.detail}")
    layout = outcomes.get("layout-changed", 0)
    if layout:
        saved = next((r.saved_as for r in reports if r.outcome == "layout-changed" and r.saved_as), None)
        parts.append(
            f"{layout} page(s) parsed to nothing: layout changed" + (f" (saved: {saved})" if saved else "")
        )
    errors = outcomes.get("error", 0)
    if errors:
        first = next(r for r in reports if r.outcome == "error")
        parts.append(f"{errors} page(s) failed: {first.detail}")
    if refused and not ok:
        outcome = max(refused, key=lambda k: refused[k])
    elif layout and not ok:
        outcome = "layout-changed"
    elif errors and not ok:
        outcome = "error"
    elif ok and (refused or layout or errors):
        outcome = "partial"
    elif ok:
        outcome = "ok"
    else:
        outcome = "empty"
        parts.append("the platform showed its own no-results page")
    return outcome, "; ".join(parts)
