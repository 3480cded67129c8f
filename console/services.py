"""What the console's pages and API show: thin reads over storage, shaped for templates and JSON.

Decisions go through :mod:`storage.review`, exports through :func:`storage.exports.export_package`,
cases through :mod:`storage.cases`: the same code the CLI runs.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from markwatch.brand import Brand as BrandConfig
from markwatch.brand import resolve_brand
from markwatch.errors import UserError
from markwatch.platforms import PLATFORMS, platform_url_problem
from storage.models import (
    Brand,
    CaseListing,
    CrawlRun,
    Evidence,
    Listing,
    ListingImage,
    MatchResult,
    Observation,
    ReviewDecision,
    SecondConfirmation,
    Seller,
    TakedownCase,
)
from storage.queries import ALL_STATUSES, QueueFilter, parse_since, reason_text

PAGE_SIZES = (1, 20, 50, 100)


@dataclass
class Settings:
    """How the console runs (``markwatch serve`` fills it from options and the environment)."""

    photos_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("MARKWATCH_PHOTOS_DIR", "markwatch-photos"))
    )
    packages_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("MARKWATCH_PACKAGES_DIR", "markwatch-packages"))
    )
    secret_key: str | None = None
    secure_cookies: bool = False  # set behind a TLS proxy: cookies only over https
    brands_dir: Path | None = None
    query_timeout_ms: int = 5000
    query_row_cap: int = 1000


# --- filters (the queue's query string, the same fields as `markwatch suspects`) --------------------


@dataclass
class FilterForm:
    brand: str = ""
    platform: str = ""
    status: str = ""
    min_score: str = ""
    seller: str = ""
    since: str = ""
    search: str = ""

    @classmethod
    def from_params(cls, params: Any) -> FilterForm:
        return cls(**{k: str(params.get(k) or "").strip()[:200] for k in cls.__dataclass_fields__})

    def as_params(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


def build_filter(session: Session, form: FilterForm) -> QueueFilter:
    """The :class:`QueueFilter` of a filter form (statuses: comma-separated, ``all`` for every one)."""
    brand_id: int | None = None
    if form.brand:
        brand_id = session.scalar(select(Brand.id).where(Brand.slug == form.brand))
        if brand_id is None:
            raise UserError(f"no listings stored for brand {form.brand!r}")
    if form.platform and form.platform not in PLATFORMS:
        raise UserError(f"unknown platform {form.platform!r}: use one of {', '.join(PLATFORMS)}")
    statuses: tuple[str, ...] | None = None
    if form.status:
        parts = tuple(s.strip() for s in form.status.split(",") if s.strip())
        if "all" in parts:
            statuses = ()
        else:
            for s in parts:
                if s not in ALL_STATUSES:
                    raise UserError(f"unknown status {s!r}: use one of {', '.join(ALL_STATUSES)}, or all")
            statuses = parts
    min_score: float | None = None
    if form.min_score:
        try:
            min_score = float(form.min_score)
        except ValueError:
            raise UserError(f"min score {form.min_score!r} is not a number between 0 and 1") from None
    f = QueueFilter(
        brand_id=brand_id,
        platform=form.platform or None,
        statuses=statuses,
        min_score=min_score,
        seller=form.seller or None,
        since=parse_since(form.since),
        search=form.search or None,
    )
    f.check()
    return f


# --- small helpers -----------------------------------------------------------------------------------


def safe_url(platform: str, url: str | None) -> str | None:
    """The URL when it is the platform's own (then it may be a link), else None."""
    return url if url and platform_url_problem(platform, url) is None else None


def strongest(reasons: list[dict[str, Any]], n: int = 3) -> list[dict[str, Any]]:
    weighted = [r for r in reasons if float(r.get("weight") or 0) > 0]
    return sorted(weighted, key=lambda r: -float(r.get("weight") or 0))[:n]


def first_images(session: Session, listing_ids: list[int], photos_dir: Path) -> dict[int, int]:
    """For each listing, the id of its first photo kept in the photo store (for thumbnails)."""
    out: dict[int, int] = {}
    if not listing_ids:
        return out
    rows = session.execute(
        select(ListingImage.listing_id, ListingImage.id, ListingImage.path)
        .where(ListingImage.listing_id.in_(listing_ids), ListingImage.path.is_not(None))
        .order_by(ListingImage.listing_id, ListingImage.id)
    )
    for lid, iid, path in rows:
        if lid not in out and path:
            out[lid] = iid
    return out


def photo_path(session: Session, image_id: int, photos_dir: Path) -> Path | None:
    """The file of one stored photo, only when it lies inside the photo store."""
    path = session.scalar(select(ListingImage.path).where(ListingImage.id == image_id))
    if not path:
        return None
    store = photos_dir.resolve()
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = store / candidate
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not resolved.is_relative_to(store) or not resolved.is_file():
        return None
    return resolved


def brand_config(
    session: Session, brand_id: int | None, brands_dir: Path | None = None
) -> BrandConfig | None:
    """The brand's YAML (its stored source file, else by slug from configs/brands/), or None."""
    if brand_id is None:
        return None
    row = session.get(Brand, brand_id)
    if row is None:
        return None
    try:
        if row.source and Path(row.source).is_file():
            return _cached_brand(str(Path(row.source).resolve()), Path(row.source).stat().st_mtime_ns)
        return resolve_brand(row.slug, brands_dir)
    except UserError:
        return None


@lru_cache(maxsize=64)
def _cached_brand(path: str, mtime_ns: int) -> BrandConfig:
    """A brand file read once per version of it (the listing page asks for it on every view)."""
    return resolve_brand(path)


def brand_images(brand: BrandConfig) -> list[Path]:
    """The brand's own photos and logos, in a fixed order: served by their index, never by path."""
    return [*brand.reference_images, *(p for m in brand.marks for p in m.images)]


# --- the listing page --------------------------------------------------------------------------------


def _price_points(observations: list[Observation]) -> dict[str, Any]:
    """A small price-over-time polyline (SVG units 0..300 × 0..80), or empty when under two prices."""
    pts = [(o.seen_at, o.price) for o in observations if o.price is not None]
    if len(pts) < 2:
        return {
            "points": "",
            "min": pts[0][1] if pts else None,
            "max": pts[0][1] if pts else None,
            "n": len(pts),
        }
    t0, t1 = pts[0][0], pts[-1][0]
    lo, hi = min(p for _, p in pts), max(p for _, p in pts)
    span_t = (t1 - t0).total_seconds() or 1.0
    span_p = (hi - lo) or 1.0
    coords = [(10 + 280 * (t - t0).total_seconds() / span_t, 70 - 60 * ((p - lo) / span_p)) for t, p in pts]
    return {
        "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in coords),
        "dots": [{"x": round(x, 1), "y": round(y, 1)} for x, y in coords],
        "min": lo,
        "max": hi,
        "n": len(pts),
        "from": t0,
        "to": t1,
    }


def listing_detail(session: Session, listing_id: int, settings: Settings) -> dict[str, Any]:
    lst = session.get(Listing, listing_id)
    if lst is None:
        raise UserError(f"no listing with id {listing_id}")
    brand_row = session.get(Brand, lst.brand_id) if lst.brand_id else None
    match = session.scalars(
        select(MatchResult).where(MatchResult.listing_id == lst.id).order_by(MatchResult.id.desc()).limit(1)
    ).first()
    reasons: list[dict[str, Any]] = [
        r if isinstance(r, dict) else {"kind": "reason", "detail": str(r)}
        for r in (match.reasons if match else [])
    ]
    observations = list(
        session.scalars(
            select(Observation)
            .where(Observation.listing_id == lst.id)
            .order_by(Observation.seen_at)
            .limit(500)
        )
    )
    images = list(session.scalars(select(ListingImage).where(ListingImage.listing_id == lst.id).limit(20)))
    served = {im.id for im in images if photo_path(session, im.id, settings.photos_dir) is not None}
    # the matched brand photo: the weightiest image reason whose reference is one of the brand's files
    comparison: dict[str, Any] | None = None
    brand = brand_config(session, lst.brand_id, settings.brands_dir)
    if brand is not None:
        known = {p.resolve(): n for n, p in enumerate(brand_images(brand))}
        by_path = {str(Path(im.path).resolve()): im.id for im in images if im.path and im.id in served}
        best = -1.0
        for r in reasons:
            data = r.get("data") or {}
            if r.get("kind") != "image" or not data.get("reference"):
                continue
            ref = known.get(Path(str(data["reference"])).resolve())
            weight = float(r.get("weight") or 0)
            if ref is None or weight <= best:
                continue
            best = weight
            crop = [float(c) for c in (data.get("crop") or [0, 0, 0, 0])][:4]
            left, top, right, bottom = ([*crop, 0.0, 0.0, 0.0, 0.0])[:4]
            comparison = {
                "reference": ref,
                "image_id": by_path.get(str(Path(str(data.get("path") or "")).resolve())),
                "crop": {
                    "x": round(100 * left, 2),
                    "y": round(100 * top, 2),
                    "w": round(100 * max(0.0, 1 - left - right), 2),
                    "h": round(100 * max(0.0, 1 - top - bottom), 2),
                }
                if any(crop)
                else None,
                "detail": str(r.get("detail") or ""),
            }
    seller = None
    others: list[Listing] = []
    if lst.seller_id:
        seller = session.scalar(
            select(Seller).where(Seller.platform == lst.platform, Seller.seller_id == lst.seller_id)
        )
        others = list(
            session.scalars(
                select(Listing)
                .where(
                    Listing.platform == lst.platform, Listing.seller_id == lst.seller_id, Listing.id != lst.id
                )
                .order_by(Listing.score.desc().nulls_last(), Listing.id)
                .limit(20)
            )
        )
    # sellers linked to this one: other shops showing one of this listing's photos (same hash)
    hashes = [im.phash for im in images if im.phash]
    linked: list[Listing] = []
    if hashes:
        linked = list(
            session.scalars(
                select(Listing)
                .join(ListingImage, ListingImage.listing_id == Listing.id)
                .where(ListingImage.phash.in_(hashes), Listing.id != lst.id)
                .where(
                    (Listing.seller_id != lst.seller_id)
                    | (Listing.platform != lst.platform)
                    | Listing.seller_id.is_(None)
                )
                .order_by(Listing.id)
                .limit(20)
            )
        )
    evidence = []
    for ev in session.scalars(
        select(Evidence).where(Evidence.listing_id == lst.id).order_by(Evidence.captured_at.desc()).limit(10)
    ):
        evidence.append({"row": ev, "verify": _verify(ev)})
    case_rows = list(
        session.scalars(
            select(TakedownCase)
            .join(CaseListing, CaseListing.case_id == TakedownCase.id)
            .where(CaseListing.listing_id == lst.id)
            .order_by(TakedownCase.id)
        )
    )
    decisions = list(
        session.scalars(
            select(ReviewDecision)
            .where(ReviewDecision.listing_id == lst.id)
            .order_by(ReviewDecision.at, ReviewDecision.id)
        )
    )
    seconds = list(
        session.scalars(
            select(SecondConfirmation)
            .where(SecondConfirmation.listing_id == lst.id)
            .order_by(SecondConfirmation.id)
        )
    )
    return {
        "listing": lst,
        "brand": brand_row,
        "four_eyes": bool(brand and brand.review.four_eyes),
        "url": safe_url(lst.platform, lst.url),
        "url_problem": platform_url_problem(lst.platform, lst.url),
        "match": match,
        "reasons": sorted(reasons, key=lambda r: -float(r.get("weight") or 0)),
        "reason_lines": [reason_text(r) for r in reasons],
        "observations": observations,
        "chart": _price_points(observations),
        "images": [im for im in images if im.id in served],
        "comparison": comparison,
        "seller": seller,
        "seller_url": safe_url(lst.platform, seller.shop_url) if seller else None,
        "others": others,
        "linked": linked,
        "evidence": evidence,
        "cases": case_rows,
        "decisions": decisions,
        "seconds": seconds,
    }


def _verify(ev: Evidence) -> str:
    """The capture's files against its manifest: ok, changed (names), missing, or no folder."""
    from storage.exports import verify_tree

    root = Path(ev.directory)
    if not root.is_dir():
        return "folder not found"
    try:
        report = verify_tree(root)
    except (OSError, UserError, ValueError) as exc:
        return f"cannot verify: {exc}"
    if report.ok:
        return f"ok ({report.checked} file(s))"
    bad = report.changed + report.missing + report.unlisted
    return "FAILED: " + ", ".join(bad[:5])


def listing_json(d: dict[str, Any]) -> dict[str, Any]:
    lst: Listing = d["listing"]
    return {
        "id": lst.id,
        "brand": d["brand"].slug if d["brand"] else None,
        "platform": lst.platform,
        "item_id": lst.item_id,
        "url": lst.url,
        "url_is_platform": d["url"] is not None,
        "title": lst.title,
        "price": lst.price,
        "currency": lst.currency,
        "seller_id": lst.seller_id,
        "seller_name": lst.seller_name,
        "score": lst.score,
        "status": lst.status,
        "mark": lst.mark_key,
        "reasons": [
            {"kind": r.get("kind"), "detail": r.get("detail"), "weight": r.get("weight")}
            for r in d["reasons"]
        ],
        "observations": [
            {
                "seen_at": o.seen_at.isoformat(),
                "title": o.title,
                "price": o.price,
                "seller_name": o.seller_name,
            }
            for o in d["observations"]
        ],
        "decisions": [
            {
                "id": x.id,
                "at": x.at.isoformat(),
                "actor": x.actor,
                "from": x.from_status,
                "to": x.to_status,
                "note": x.note,
            }
            for x in d["decisions"]
        ],
        "second_confirmations": [{"actor": s.actor, "at": s.at.isoformat()} for s in d["seconds"]],
        "cases": [{"id": c.id, "status": c.status, "platform": c.platform} for c in d["cases"]],
        "evidence": [
            {
                "id": e["row"].id,
                "captured_at": e["row"].captured_at.isoformat(),
                "state": e["row"].state,
                "files": e["row"].files,
                "manifest_sha256": e["row"].manifest_sha256,
                "verify": e["verify"],
            }
            for e in d["evidence"]
        ],
    }


# --- crawls ------------------------------------------------------------------------------------------


def crawl_runs(session: Session, limit: int = 50) -> list[CrawlRun]:
    from sqlalchemy.orm import selectinload

    return list(
        session.scalars(
            select(CrawlRun)
            .options(selectinload(CrawlRun.platforms))
            .order_by(CrawlRun.id.desc())
            .limit(limit)
        )
    )


WHAT_TO_DO = {
    "ok": "",
    "empty": "no results: check the search terms, or whether the account is still signed in",
    "layout-changed": "the page layout changed: save the page (markwatch parse) and report it",
    "interrupted": "stopped before the end: run the crawl again",
    "error": "see the run's log; run again with -v",
}


def what_to_do(outcome: str, detail: str | None) -> str:
    if detail:
        return detail
    if outcome.startswith("refused"):
        return "the platform refused (login wall, captcha or rate limit): sign in again or slow down"
    return WHAT_TO_DO.get(outcome, "")


# --- cases -------------------------------------------------------------------------------------------


def confirmed_for_export(session: Session, brand_id: int, platform: str, limit: int = 300) -> list[Listing]:
    return list(
        session.scalars(
            select(Listing)
            .where(Listing.brand_id == brand_id, Listing.platform == platform, Listing.status == "confirmed")
            .order_by(Listing.score.desc().nulls_last(), Listing.id)
            .limit(limit)
        )
    )


def time_to_removal(session: Session, brand_id: int | None = None) -> list[dict[str, Any]]:
    """Per platform, days from submission to removal of each removed link (for the chart)."""
    stmt = (
        select(TakedownCase.platform, TakedownCase.submitted_at, CaseListing.outcome_at)
        .join(CaseListing, CaseListing.case_id == TakedownCase.id)
        .where(CaseListing.outcome == "removed", TakedownCase.submitted_at.is_not(None))
    )
    if brand_id is not None:
        stmt = stmt.where(TakedownCase.brand_id == brand_id)
    per: dict[str, list[float]] = {}
    for platform, submitted, removed in session.execute(stmt):
        if removed is not None and submitted is not None:
            per.setdefault(platform, []).append(max(0.0, (removed - submitted).total_seconds() / 86400))
    out = []
    for platform, days in sorted(per.items()):
        days.sort()
        out.append(
            {
                "platform": platform,
                "n": len(days),
                "median": days[len(days) // 2],
                "max": days[-1],
            }
        )
    return out


def brand_slugs(session: Session) -> list[str]:
    return list(session.scalars(select(Brand.slug).order_by(Brand.slug)))


def count_listings(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Listing)) or 0


@dataclass
class AccountHealth:
    """One account as the crawls page shows it (names and states only: never a cookie or a secret)."""

    platform: str
    name: str
    kind: str
    logged_in: bool | None
    cookie_expiry: dt.datetime | None
    last_refusal: str | None
    last_refusal_at: dt.datetime | None
    cooling_until: dt.datetime | None
    proxy: str | None


def _utc(epoch: float | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).replace(tzinfo=None) if epoch else None


def accounts_health(root: Path | None = None) -> tuple[list[AccountHealth], str | None]:
    """The crawl accounts' health from the account store (``MARKWATCH_ACCOUNTS_DIR``), and a problem
    reading it, if any. Proxies are shown without their user name and password."""
    from urllib.parse import urlsplit

    from markwatch.accounts import AccountStore

    try:
        accounts = AccountStore(root).list()
    except UserError as exc:
        return [], str(exc)
    out = []
    for a in accounts:
        proxy = None
        if a.proxy:
            parts = urlsplit(a.proxy)
            proxy = f"{parts.scheme}://{parts.hostname}:{parts.port}"
        out.append(
            AccountHealth(
                a.platform,
                a.name,
                a.kind,
                a.logged_in,
                _utc(a.cookie_expiry),
                a.last_refusal,
                _utc(a.last_refusal_at),
                _utc(a.cooling_until) if a.cooling() else None,
                proxy,
            )
        )
    return out, None
