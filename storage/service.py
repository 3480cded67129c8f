"""The one way into the database: a batch of scored listings in, listings, observations, photos,
scores and the run record out. The crawl's store pipeline and ``markwatch ingest`` both use it.

Functions take a session and never commit: the caller owns the transaction (one per batch).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from markwatch.brand import Brand as BrandConfig
from markwatch.scored import ScoredListing
from storage.cases import verify_after_crawl
from storage.ingest import IngestResult, ingest_batch, lookup, sync_brand
from storage.models import CrawlRun, Listing, ListingImage, MatchResult, utcnow


@dataclass(frozen=True)
class StoreContext:
    """What every batch of one run is stored under."""

    brand_id: int | None
    run_id: int | None
    #: a crawl that sees a listing live brings a removed one back (flagged); an ingested file never does
    revive: bool = True
    #: run the takedown checks (still live after removal, re-listed) after each batch
    verify: bool = True


@dataclass
class BatchOutcome:
    counts: Counter[str] = field(default_factory=Counter)
    result: IngestResult = field(default_factory=IngestResult)


def open_run(
    session: Session,
    brand: BrandConfig | None,
    *,
    kind: str,
    origin: str | None = None,
    settings: dict[str, Any] | None = None,
    brand_id: int | None = None,
) -> tuple[int | None, int]:
    """Sync the brand (unless ``brand_id`` is given) and start a run row; ``(brand_id, run_id)``."""
    if brand_id is None and brand is not None:
        brand_id = sync_brand(session, brand)
    run = CrawlRun(brand_id=brand_id, kind=kind, origin=origin, settings=dict(settings or {}))
    session.add(run)
    session.flush()
    return brand_id, run.id


def finish_run(session: Session, run_id: int, outcome: str, stats: dict[str, Any] | None = None) -> None:
    run = session.get(CrawlRun, run_id)
    if run is not None:
        run.finished_at = utcnow()
        run.outcome = outcome
        if stats is not None:
            run.stats = stats


def store(
    session: Session, ctx: StoreContext, batch: Sequence[ScoredListing], now: dt.datetime | None = None
) -> BatchOutcome:
    """Store one batch: listings and observations (:func:`storage.ingest.ingest_batch`), the removals
    an item page proved, each listing's score (a :class:`MatchResult` and the listing's latest score),
    its photos, then the takedown checks (:func:`storage.cases.verify_after_crawl`)."""
    now = now or utcnow()
    out = BatchOutcome()
    gone = [sl for sl in batch if sl.gone]
    if gone:
        out.counts["gone"] += _mark_gone(session, ctx, gone, now)
    seen = [sl for sl in batch if not sl.gone]
    result = ingest_batch(
        session, ctx.brand_id, [sl.record() for sl in seen], run_id=ctx.run_id, seen_at=now, revive=ctx.revive
    )
    out.result = result
    out.counts.update(
        listings=result.received,
        new=result.new,
        changed=result.changed,
        unchanged=result.unchanged,
        older=result.older,
    )
    ids = list(result.ids.values())
    previously_suspect: set[int] = set()
    for i in range(0, len(ids), 2000):
        previously_suspect.update(
            session.scalars(select(Listing.id).where(Listing.id.in_(ids[i : i + 2000]), Listing.suspect))
        )
    matches: list[dict[str, Any]] = []
    latest: list[dict[str, Any]] = []  # the listing's denormalised latest score
    images: list[dict[str, Any]] = []
    for sl in seen:
        lst = sl.listing
        key = (str(lst.platform).strip().lower(), str(lst.item_id).strip())
        lid = result.ids.get(key)
        if lid is None:  # older than the listing's state: history only (no score, no photo)
            continue
        when = sl.seen_at or now
        hashes: dict[Any, dict[str, Any]] = {}
        if sl.score is not None:
            sc = sl.score
            matches.append(
                {
                    "listing_id": lid,
                    "brand_id": ctx.brand_id,
                    "run_id": ctx.run_id,
                    "scored_at": when,
                    "score": sc.score,
                    "suspect": sc.suspect,
                    "mark_key": sc.mark_id,
                    "reasons": sc.reasons,
                    "engine_version": sc.engine_version,
                }
            )
            latest.append({"id": lid, "score": sc.score, "suspect": sc.suspect, "mark_key": sc.mark_id})
            if sc.suspect and lid not in previously_suspect:
                out.counts["new_suspects"] += 1
            hashes = {h.get("path"): h for h in sc.image_hashes}
        for image in _images_of(sl):
            h = hashes.get(image.get("path"), {})
            images.append(
                {
                    "listing_id": lid,
                    "url": image["url"],
                    "path": image.get("path"),
                    "sha256": _sha256(image.get("path")),
                    "phash": h.get("phash"),
                    "dhash": h.get("dhash"),
                    "hashes": {k: v for k, v in h.items() if k != "path"},
                    "error": image.get("error") or h.get("error"),
                    "seen_at": when,
                }
            )
    if matches:
        session.execute(insert(cast(Table, MatchResult.__table__)), matches)
        session.execute(update(Listing), latest)
    if images:
        _store_images(session, images)
    if ctx.verify and ctx.brand_id is not None and (result.ids or result.reappeared_ids):
        verified = verify_after_crawl(session, ctx.brand_id, ctx.run_id, result, now)
        out.counts["still_live"] += len(verified.still_live)
        out.counts["relisted"] += len(verified.relisted)
    return out


def _mark_gone(session: Session, ctx: StoreContext, gone: Sequence[ScoredListing], now: dt.datetime) -> int:
    """The item page showed these removed: not live, ``gone_at`` and its proof — unless the listing
    was seen after this (an older proof changes nothing)."""
    keys = [(str(sl.listing.platform).strip().lower(), str(sl.listing.item_id).strip()) for sl in gone]
    ids = [lid for (lid,) in lookup(session, keys, Listing.id).values()]
    if not ids:
        return 0
    detail = f"item page showed it removed (crawl run {ctx.run_id})"
    done = session.execute(
        update(Listing)
        .where(Listing.id.in_(ids), Listing.live.is_(True), Listing.last_seen <= now)
        .values(live=False, gone_at=now, gone_proof="item-page", gone_proof_detail=detail)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(done, "rowcount", 0) or 0)


def _images_of(sl: ScoredListing) -> list[dict[str, Any]]:
    """The listing's photos: the media pipeline's results, or the URLs (and local files) a file gave."""
    lst = sl.listing
    if lst.images:
        return [i for i in lst.images if isinstance(i, dict) and isinstance(i.get("url"), str) and i["url"]]
    urls = [u for u in lst.image_urls if isinstance(u, str) and u]
    paths = [p for p in lst.image_paths if isinstance(p, str) and p]
    out: list[dict[str, Any]] = []
    for n, url in enumerate(urls):
        out.append({"url": url, "path": paths[n] if n < len(paths) else None})
    for path in paths[len(urls) :]:
        out.append({"url": Path(path).resolve().as_uri(), "path": path})
    return out


def _store_images(session: Session, rows: list[dict[str, Any]]) -> None:
    keys = {(r["listing_id"], r["url"]) for r in rows}
    lids = list({k[0] for k in keys})
    existing: set[tuple[int, str]] = set()
    for i in range(0, len(lids), 2000):
        for lid, url in session.execute(
            select(ListingImage.listing_id, ListingImage.url).where(
                ListingImage.listing_id.in_(lids[i : i + 2000])
            )
        ):
            existing.add((lid, url))
    fresh: list[dict[str, Any]] = []
    for r in rows:
        key = (r["listing_id"], r["url"])
        if key not in existing:
            existing.add(key)
            fresh.append(r)
    if fresh:
        session.execute(insert(cast(Table, ListingImage.__table__)), fresh)


#: The largest photo file whose hash is taken (a listing's local path may name anything, /dev/zero too).
MAX_PHOTO_BYTES = 64 * 1024 * 1024


def _sha256(path: str | None) -> str | None:
    """SHA-256 of a regular file of at most :data:`MAX_PHOTO_BYTES`, read in chunks; None otherwise."""
    if not path:
        return None
    try:
        p = Path(path)
        if not p.is_file() or p.stat().st_size > MAX_PHOTO_BYTES:
            return None
        digest = hashlib.sha256()
        with p.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    except OSError:
        return None
