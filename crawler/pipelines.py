"""Item pipelines: validate → drop duplicates → download photos → score → store in batches.

They are switched on together by :class:`crawler.addon.MarkwatchAddon`. Items are read through
``ItemAdapter``; every component reads its settings once in ``from_crawler`` and raises
``NotConfigured`` when it is off. The store pipeline writes one :class:`~storage.models.CrawlRunPlatform`
row per spider when it closes (pages, listings, new and changed listings, new suspects, errors and how
the platform answered), so a crawl's outcome is in the database, not only in the log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.http import Request, Response
from scrapy.pipelines.files import FilesPipeline
from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from markwatch.listing import PageReport

if TYPE_CHECKING:
    from storage.ingest import IngestResult

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
    """Score each listing against the brand with the matching engine; the result rides on the item.

    Scoring runs in worker processes (:mod:`crawler.scoring`, ``MARKWATCH_SCORE_WORKERS``) so the
    downloads go on meanwhile; with ``MARKWATCH_SCORE_WORKERS=0`` it runs in the crawler's process.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.pool: Any = None  # crawler.scoring.ScorePool

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScorePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        from crawler import scoring

        brand = brand_of(_spider(self.crawler))
        if brand is not None:
            settings = self.crawler.settings
            workers = scoring.workers_setting(settings.get("MARKWATCH_SCORE_WORKERS"))
            store = photo_store(self.crawler)  # made by PhotosPipeline when photos are on
            photos_dir = str(store) if store is not None and store.is_dir() else None
            self.pool = scoring.acquire(brand, workers, photos_dir)

    def close_spider(self, spider: Spider | None = None) -> None:
        from crawler import scoring

        if self.pool is not None:
            scoring.release(self.pool)
            self.pool = None

    async def process_item(self, item: Any) -> Any:
        if self.pool is None:
            return item
        adapter = ItemAdapter(item)
        result = await self.pool.score(dict(adapter))  # shallow: asdict() would deep-copy ``raw``
        raw = dict(adapter.get("raw") or {})
        raw["markwatch_match"] = result  # plain data, whatever copies the item later
        adapter["raw"] = raw
        return item


def brand_of(spider: Spider) -> Any:
    """The spider's brand (from its ``brand`` parameter), or None when it searched bare terms."""
    from markwatch.brand import resolve_brand

    params = getattr(spider, "params", None)
    ref = getattr(params, "brand", None)
    return resolve_brand(ref) if ref else None


class StorePipeline:
    """Store listings in batches (ingest), with their match results and photos; record the run."""

    def __init__(self, crawler: Crawler, db_url: str | None, batch_size: int, run_id: int | None) -> None:
        self.crawler = crawler
        self.db_url = db_url
        self.batch_size = batch_size
        self.run_id = run_id
        self.owns_run = run_id is None
        self.buffer: list[dict[str, Any]] = []
        self.counts: Counter[str] = Counter()
        self.result: Any = None  # storage.ingest.IngestResult, merged over the batches
        self.engine: Any = None
        self.brand_id: int | None = None
        self.platform = ""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        if not settings.getbool("MARKWATCH_STORE", True):
            raise NotConfigured("storing is off (MARKWATCH_STORE=False)")
        run_id = settings.get("MARKWATCH_RUN_ID")
        return cls(
            crawler,
            settings.get("MARKWATCH_DB"),
            settings.getint("MARKWATCH_STORE_BATCH", 500),
            int(run_id) if run_id else None,
        )

    def open_spider(self, spider: Spider | None = None) -> None:
        from storage.db import check_current, make_engine
        from storage.ingest import sync_brand
        from storage.models import CrawlRun

        spider = _spider(self.crawler)
        self.platform = str(getattr(spider, "platform", spider.name))
        self.engine = make_engine(self.db_url)
        check_current(self.engine)
        brand = brand_of(spider)
        with Session(self.engine) as s, s.begin():
            self.brand_id = sync_brand(s, brand) if brand is not None else None
            if self.run_id is None:
                run = CrawlRun(
                    brand_id=self.brand_id,
                    kind="crawl",
                    origin=self.crawler.settings.get("MARKWATCH_SANDBOX_URL"),
                )
                s.add(run)
                s.flush()
                self.run_id = run.id

    def process_item(self, item: Any) -> Any:
        self.buffer.append(dict(ItemAdapter(item)))
        if len(self.buffer) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        with Session(self.engine) as s, s.begin():
            counts, result = store_batch(s, self.brand_id, self.run_id, batch)
        self.counts.update(counts)
        if self.result is None:
            self.result = result
        else:
            self.result.merge(result)

    def close_spider(self, spider: Spider | None = None) -> None:
        from storage.models import CrawlRun, CrawlRunPlatform, utcnow

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
            if self.owns_run:
                run = s.get(CrawlRun, self.run_id)
                if run is not None:
                    run.finished_at = utcnow()
                    run.outcome = "ok" if outcome in ("ok", "empty") else "partial"
            verify = _verifier()
            if verify is not None and self.brand_id is not None and self.result is not None:
                verify(s, self.brand_id, self.run_id, self.result)
        self.engine.dispose()


def _verifier() -> Any:
    """storage.cases.verify_after_crawl when the takedown room provides it."""
    try:
        from storage.cases import verify_after_crawl
    except ImportError:  # pragma: no cover - the cases module ships with markwatch
        return None
    return verify_after_crawl


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


def store_batch(
    session: Session,
    brand_id: int | None,
    run_id: int | None,
    batch: list[dict[str, Any]],
    now: dt.datetime | None = None,
) -> tuple[Counter[str], IngestResult]:
    """Ingest one batch of crawled listings with their match results and photos; returns counts."""
    from storage.ingest import ingest_batch, lookup
    from storage.models import Listing, MatchResult, utcnow

    now = now or utcnow()
    counts: Counter[str] = Counter()
    gone_keys = [
        (str(r["platform"]).lower(), str(r["item_id"]))
        for r in batch
        if (r.get("raw") or {}).get("markwatch_gone")
    ]
    if gone_keys:  # the item page shows it removed: mark it gone, record nothing of the empty page
        gone_ids = [lid for (lid,) in lookup(session, gone_keys, Listing.id).values()]
        session.execute(update(Listing).where(Listing.id.in_(gone_ids)).values(live=False, gone_at=now))
        counts["gone"] += len(gone_ids)
        batch = [r for r in batch if not (r.get("raw") or {}).get("markwatch_gone")]
    result = ingest_batch(session, brand_id, batch, run_id=run_id, seen_at=now)
    counts.update(listings=result.received, new=result.new, changed=result.changed)
    previously_suspect = set(
        session.scalars(select(Listing.id).where(Listing.id.in_(list(result.ids.values())), Listing.suspect))
    )
    matches: list[dict[str, Any]] = []
    latest: list[dict[str, Any]] = []  # the listing's denormalised latest score
    images: list[dict[str, Any]] = []
    for record in batch:
        key = (str(record["platform"]).lower(), str(record["item_id"]))
        lid = result.ids.get(key)
        if lid is None:
            continue
        raw = record.get("raw") or {}
        match = raw.get("markwatch_match")
        if match is not None:
            matches.append(
                {
                    "listing_id": lid,
                    "brand_id": brand_id,
                    "run_id": run_id,
                    "scored_at": now,
                    "score": match["score"],
                    "suspect": match["suspect"],
                    "mark_key": match["mark_id"],
                    "reasons": match["reasons"],
                    "engine_version": match["engine_version"],
                }
            )
            latest.append(
                {
                    "id": lid,
                    "score": match["score"],
                    "suspect": match["suspect"],
                    "mark_key": match["mark_id"],
                }
            )
            if match["suspect"] and lid not in previously_suspect:
                counts["new_suspects"] += 1
            hashes = {h.get("path"): h for h in match.get("image_hashes") or []}
        else:
            hashes = {}
        for image in record.get("images") or []:
            url = image.get("url")
            if not url:
                continue
            h = hashes.get(image.get("path"), {})
            images.append(
                {
                    "listing_id": lid,
                    "url": url,
                    "path": image.get("path"),
                    "sha256": _sha256(image.get("path")),
                    "phash": h.get("phash"),
                    "dhash": h.get("dhash"),
                    "hashes": {k: v for k, v in h.items() if k != "path"},
                    "error": image.get("error") or h.get("error"),
                    "seen_at": now,
                }
            )
    if matches:
        session.execute(insert(cast(Table, MatchResult.__table__)), matches)
        session.execute(update(Listing), latest)
    if images:
        _store_images(session, images)
    return counts, result


def _store_images(session: Session, rows: list[dict[str, Any]]) -> None:
    from storage.models import ListingImage

    keys = {(r["listing_id"], r["url"]) for r in rows}
    existing = set(
        session.execute(
            select(ListingImage.listing_id, ListingImage.url).where(
                ListingImage.listing_id.in_({k[0] for k in keys})
            )
        ).tuples()
    )
    fresh = [r for r in rows if (r["listing_id"], r["url"]) not in existing]
    if fresh:
        session.execute(insert(cast(Table, ListingImage.__table__)), fresh)


def _sha256(path: str | None) -> str | None:
    if not path:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None
