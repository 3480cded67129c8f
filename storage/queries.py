"""The suspects queue: listings to review, highest risk first, with the reasons of their latest score.

Re-listings (``relisted``: a new listing repeating a removed or reported one) come first, then the
rest by score.

:func:`select_listings` builds one SELECT from a :class:`QueueFilter`; :func:`queue` runs it and
attaches each listing's latest reasons (one more SELECT for the page of rows). Works the same on
SQLite and PostgreSQL; text search is a case-insensitive ``LIKE`` over title, seller and item id.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from markwatch.errors import UserError
from storage.models import Brand, Listing, ListingStatus, MatchResult, utcnow

#: What ``markwatch suspects`` shows by default: the listings still waiting for a decision.
OPEN_STATUSES = (ListingStatus.new.value, ListingStatus.relisted.value)
ALL_STATUSES = tuple(s.value for s in ListingStatus)


@dataclass
class QueueFilter:
    """Which listings to select. ``None`` means "any" for every field."""

    brand_id: int | None = None
    platform: str | None = None
    #: statuses to include; ``None`` means :data:`OPEN_STATUSES`, an empty tuple means every status
    statuses: Sequence[str] | None = None
    min_score: float | None = None
    seller: str | None = None  # seller id or a part of the seller's name
    since: dt.datetime | None = None  # first seen at or after
    search: str | None = None
    suspects_only: bool = True  # only listings whose latest score reached the brand's threshold
    ids: Sequence[int] | None = None
    limit: int | None = None

    def check(self) -> None:
        for s in self.statuses or ():
            if s not in ALL_STATUSES:
                raise UserError(f"unknown status {s!r}: use one of {', '.join(ALL_STATUSES)}")
        if self.min_score is not None and not 0.0 <= self.min_score <= 1.0:
            raise UserError(f"minimum score {self.min_score} must be between 0 and 1", param="min_score")


@dataclass
class QueueRow:
    id: int
    platform: str
    item_id: str
    url: str
    title: str
    price: float | None
    currency: str | None
    seller_id: str | None
    seller_name: str | None
    score: float | None
    status: str
    mark_key: str | None
    first_seen: dt.datetime
    last_seen: dt.datetime
    live: bool
    relisted_from: int | None
    brand: str | None
    reasons: list[dict[str, Any]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "brand": self.brand,
            "platform": self.platform,
            "item_id": self.item_id,
            "url": self.url,
            "title": self.title,
            "price": self.price,
            "currency": self.currency,
            "seller_id": self.seller_id,
            "seller_name": self.seller_name,
            "score": self.score,
            "status": self.status,
            "mark": self.mark_key,
            "first_seen": self.first_seen.isoformat(timespec="seconds"),
            "last_seen": self.last_seen.isoformat(timespec="seconds"),
            "live": self.live,
            "relisted_from": self.relisted_from,
            "flags": list(self.flags),
            "reasons": [reason_text(r) for r in self.reasons],
        }


def reason_text(reason: Any) -> str:
    """One reason as a line an analyst can read: ``kind: detail (weight)``."""
    if isinstance(reason, dict):
        kind = reason.get("kind") or reason.get("rule") or "reason"
        detail = reason.get("detail") or reason.get("text") or ""
        weight = reason.get("weight")
        w = f" ({float(weight):.2f})" if isinstance(weight, int | float) else ""
        return f"{kind}: {detail}{w}" if detail else f"{kind}{w}"
    return str(reason)


def select_listings(f: QueueFilter) -> Select[Listing, str]:
    """The SELECT for ``f``: (listing, brand slug) rows, highest score first."""
    f.check()
    stmt = select(Listing, Brand.slug).outerjoin(Brand, Brand.id == Listing.brand_id)
    if f.ids is not None:
        stmt = stmt.where(Listing.id.in_(list(f.ids)))
    if f.brand_id is not None:
        stmt = stmt.where(Listing.brand_id == f.brand_id)
    if f.platform:
        stmt = stmt.where(Listing.platform == f.platform.lower())
    statuses = OPEN_STATUSES if f.statuses is None else tuple(f.statuses)
    if statuses:
        stmt = stmt.where(Listing.status.in_(statuses))
    if f.suspects_only and f.ids is None:
        # A listing a person or markwatch already acted on stays visible even if a re-score dropped it.
        stmt = stmt.where(or_(Listing.suspect.is_(True), Listing.status != ListingStatus.new.value))
    if f.min_score is not None:
        stmt = stmt.where(Listing.score >= f.min_score)
    if f.seller:
        like = f"%{_escape(f.seller.lower())}%"
        stmt = stmt.where(
            or_(Listing.seller_id == f.seller, func.lower(Listing.seller_name).like(like, escape="\\"))
        )
    if f.since is not None:
        stmt = stmt.where(Listing.first_seen >= f.since)
    if f.search:
        like = f"%{_escape(f.search.lower())}%"
        stmt = stmt.where(
            or_(
                func.lower(Listing.title).like(like, escape="\\"),
                func.lower(Listing.seller_name).like(like, escape="\\"),
                Listing.item_id == f.search,
            )
        )
    # re-listings of taken-down listings first (the alert on the queue), then by score
    relisted_first = case((Listing.status == ListingStatus.relisted.value, 0), else_=1)
    stmt = stmt.order_by(
        relisted_first, Listing.score.desc().nulls_last(), Listing.last_seen.desc(), Listing.id
    )
    if f.limit:
        stmt = stmt.limit(f.limit)
    return stmt


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def latest_reasons(session: Session, listing_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The reasons of each listing's latest score."""
    out: dict[int, list[dict[str, Any]]] = {}
    ids = list(listing_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        latest = (
            select(func.max(MatchResult.id))
            .where(MatchResult.listing_id.in_(chunk))
            .group_by(MatchResult.listing_id)
            .scalar_subquery()
        )
        rows = session.execute(
            select(MatchResult.listing_id, MatchResult.reasons).where(MatchResult.id.in_(latest))
        )
        for lid, reasons in rows:
            out[lid] = [r if isinstance(r, dict) else {"kind": "reason", "detail": str(r)} for r in reasons]
    return out


def flags_of(listing: Listing) -> list[str]:
    """Alerts an analyst must see beside the score (re-listing, still live after removal)."""
    flags: list[str] = []
    if listing.relisted_from is not None:
        flags.append(f"relisting of #{listing.relisted_from}")
    if listing.seen_after_takedown_at is not None:
        at = listing.seen_after_takedown_at.isoformat(timespec="seconds")
        flags.append(f"still live after {listing.seen_after_takedown_status or 'takedown'} ({at})")
    return flags


def queue(session: Session, f: QueueFilter) -> list[QueueRow]:
    """The listings ``f`` selects, highest risk first, each with its latest reasons and flags."""
    return _queue_rows(session, session.execute(select_listings(f)).all())


def _queue_rows(session: Session, rows: Sequence[Any]) -> list[QueueRow]:
    reasons = latest_reasons(session, [lst.id for lst, _ in rows])
    return [
        QueueRow(
            id=lst.id,
            platform=lst.platform,
            item_id=lst.item_id,
            url=lst.url,
            title=lst.title,
            price=lst.price,
            currency=lst.currency,
            seller_id=lst.seller_id,
            seller_name=lst.seller_name,
            score=lst.score,
            status=lst.status,
            mark_key=lst.mark_key,
            first_seen=lst.first_seen,
            last_seen=lst.last_seen,
            live=lst.live,
            relisted_from=lst.relisted_from,
            brand=slug,
            reasons=reasons.get(lst.id, []),
            flags=flags_of(lst),
        )
        for lst, slug in rows
    ]


def queue_page(session: Session, f: QueueFilter, *, offset: int = 0, limit: int = 50) -> list[QueueRow]:
    """One page of :func:`queue`: the same rows in the same order, without sorting the whole table.

    The queue's order is re-listings first, then score (unscored last), last seen, id. It is read in
    three parts, each in an order the index on (status, score, last_seen, id) can give when one status
    is asked for (the default queue: relisted, then new): the re-listings, the other scored listings,
    the unscored ones. A page reads only as many rows as it shows (and counts a part only when the page
    starts beyond it).
    """
    f.check()
    wanted = OPEN_STATUSES if f.statuses is None else (tuple(f.statuses) or ALL_STATUSES)
    relisted = ListingStatus.relisted.value
    others = [s for s in ALL_STATUSES if s in wanted and s != relisted]
    tail = (Listing.last_seen.desc(), Listing.id)
    parts: list[Select[Listing, str]] = []
    if relisted in wanted:
        base = select_listings(replace(f, statuses=(relisted,), limit=None)).order_by(None)
        parts.append(base.order_by(Listing.score.desc().nulls_last(), *tail))
    if others:
        base = select_listings(replace(f, statuses=tuple(others), limit=None)).order_by(None)
        parts.append(base.where(Listing.score.is_not(None)).order_by(Listing.score.desc(), *tail))
        parts.append(base.where(Listing.score.is_(None)).order_by(*tail))
    rows: list[Any] = []
    skip, remaining = max(0, offset), max(0, limit)
    for stmt in parts:
        if remaining <= 0:
            break
        got = session.execute(stmt.offset(skip).limit(remaining)).all()
        if got:
            skip = 0
        elif skip:
            skip = max(0, skip - (session.scalar(select(func.count()).select_from(stmt.subquery())) or 0))
        rows += got
        remaining -= len(got)
    return _queue_rows(session, rows)


def listing_ids(session: Session, f: QueueFilter) -> list[int]:
    """Just the ids ``f`` selects (for bulk review)."""
    return [lst.id for lst, _ in session.execute(select_listings(f))]


def brand_id_for(session: Session, slug: str) -> int | None:
    return session.scalar(select(Brand.id).where(Brand.slug == slug))


def parse_since(text: str | None, now: dt.datetime | None = None) -> dt.datetime | None:
    """``2026-11-01``, ``2026-11-01T08:00``, or a span back from now: ``7d``, ``12h``, ``2w`` (UTC).

    One parser for every front end's "since" filter (the CLI's ``--since``, the console's form)."""
    if not text:
        return None
    m = re.fullmatch(r"(\d{1,5})\s*([dhw])", text.strip())
    if m:
        n, unit = int(m.group(1)), m.group(2)
        delta = {"d": dt.timedelta(days=n), "h": dt.timedelta(hours=n), "w": dt.timedelta(weeks=n)}[unit]
        return (now or utcnow()) - delta
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"{text!r} is not a date (2026-11-01), a time, or a span like 7d / 12h", param="since"
        ) from None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value
