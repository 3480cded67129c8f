"""The schema: every listing ever seen, what each crawl saw of it, its scores, reviews, evidence and cases.

SQLAlchemy 2 typed models. Nullability comes from ``Optional`` alone; names follow the naming
convention on :data:`metadata` so that Alembic migrations name constraints the same on SQLite and
PostgreSQL. Times are stored as naive UTC.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class ListingStatus(StrEnum):
    """The review lifecycle of a listing (``markwatch review``, takedown cases, re-crawls)."""

    new = "new"
    confirmed = "confirmed"
    dismissed = "dismissed"
    reported = "reported"
    removed = "removed"
    reinstated = "reinstated"
    relisted = "relisted"


class CaseStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    removed = "removed"
    rejected = "rejected"
    counter_notice = "counter-notice"
    reinstated = "reinstated"


class Brand(Base):
    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the YAML as loaded, for the record
    source: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    marks: Mapped[list[Mark]] = relationship(back_populates="brand", cascade="all, delete-orphan")


class Mark(Base):
    __tablename__ = "marks"
    __table_args__ = (UniqueConstraint("brand_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))  # the mark's id in the brand YAML
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(String(200))
    variants: Mapped[list[Any]] = mapped_column(default=list)
    office: Mapped[str | None] = mapped_column(String(20))
    number: Mapped[str | None] = mapped_column(String(50))
    classes: Mapped[list[Any]] = mapped_column(default=list)
    expires: Mapped[dt.date | None]
    chinese: Mapped[bool] = mapped_column(default=False)

    brand: Mapped[Brand] = relationship(back_populates="marks")


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="crawl")  # crawl | ingest | schedule
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    outcome: Mapped[str] = mapped_column(String(20), default="running")  # running | ok | partial | failed
    origin: Mapped[str | None] = mapped_column(String(300))  # sandbox URL, or None for the real platforms
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)

    platforms: Mapped[list[CrawlRunPlatform]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="CrawlRunPlatform.platform"
    )


class CrawlRunPlatform(Base):
    """Per platform, what one crawl run did and how the platform answered."""

    __tablename__ = "crawl_run_platforms"
    __table_args__ = (UniqueConstraint("run_id", "platform"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    pages: Mapped[int] = mapped_column(default=0)
    listings: Mapped[int] = mapped_column(default=0)
    new_listings: Mapped[int] = mapped_column(default=0)
    changed_listings: Mapped[int] = mapped_column(default=0)
    new_suspects: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str] = mapped_column(
        String(40), default="ok"
    )  # ok | empty | refused:<mode> | layout-changed | interrupted | error
    detail: Mapped[str | None] = mapped_column(Text)  # what happened and what to do

    run: Mapped[CrawlRun] = relationship(back_populates="platforms")


class Seller(Base):
    __tablename__ = "sellers"
    __table_args__ = (UniqueConstraint("platform", "seller_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    seller_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(300))
    shop_url: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Listing(Base):
    """One item or post on a platform: ``(platform, item_id)`` is its identity."""

    __tablename__ = "listings"
    __table_args__ = (
        UniqueConstraint("platform", "item_id"),
        Index("ix_listings_brand_status", "brand_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default="product")
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[float | None]
    currency: Mapped[str | None] = mapped_column(String(8))
    seller_id: Mapped[str | None] = mapped_column(String(100), index=True)
    seller_name: Mapped[str | None] = mapped_column(String(300))
    seller_ref: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"), index=True)
    content_hash: Mapped[str] = mapped_column(String(40))  # of title, price, currency, seller: detects change
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True
    )
    live: Mapped[bool] = mapped_column(default=True)  # False once the platform shows it removed
    gone_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(20), default=ListingStatus.new.value)
    status_at: Mapped[dt.datetime | None]
    # the latest score, denormalised from match_results for the queue
    score: Mapped[float | None] = mapped_column(index=True)
    suspect: Mapped[bool] = mapped_column(default=False)
    mark_key: Mapped[str | None] = mapped_column(String(100))
    relisted_from: Mapped[int | None] = mapped_column(
        ForeignKey("listings.id", ondelete="SET NULL"), index=True
    )
    extra: Mapped[dict[str, Any]] = mapped_column(
        default=dict
    )  # crawled attributes only: sales, location, shop url, counts, posted at (no analyst state)
    # --- workflow state (migration 0004): typed columns, never in ``extra``; a re-crawl never writes them
    review_reason: Mapped[str | None] = mapped_column(String(40))  # the analyst's complaint reason
    # sightings after a takedown (reported/removed, or a removed case) by a crawl that saw it live
    seen_after_takedown_count: Mapped[int] = mapped_column(default=0, server_default="0")
    seen_after_takedown_first_at: Mapped[dt.datetime | None]  # first sighting in the current status
    seen_after_takedown_at: Mapped[dt.datetime | None]  # the latest sighting
    seen_after_takedown_status: Mapped[str | None] = mapped_column(String(20))  # the status it was in
    seen_after_takedown_run_id: Mapped[int | None] = mapped_column(index=True)  # a record, no foreign key
    # what proved the removal behind ``gone_at``: item-page (a crawl's re-check) | evidence | legacy
    gone_proof: Mapped[str | None] = mapped_column(String(20))
    gone_proof_detail: Mapped[str | None] = mapped_column(Text)  # the run, URL or evidence row that showed it

    observations: Mapped[list[Observation]] = relationship(
        back_populates="listing", cascade="all, delete-orphan", order_by="Observation.seen_at"
    )
    images: Mapped[list[ListingImage]] = relationship(back_populates="listing", cascade="all, delete-orphan")
    matches: Mapped[list[MatchResult]] = relationship(
        back_populates="listing", cascade="all, delete-orphan", order_by="MatchResult.id"
    )
    decisions: Mapped[list[ReviewDecision]] = relationship(
        back_populates="listing", cascade="all, delete-orphan", order_by="ReviewDecision.id"
    )


class Observation(Base):
    """What one crawl (or ingest) saw of a listing, kept each time title, price or seller changed."""

    __tablename__ = "observations"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True)
    seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    title: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[float | None]
    currency: Mapped[str | None] = mapped_column(String(8))
    seller_id: Mapped[str | None] = mapped_column(String(100))
    seller_name: Mapped[str | None] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(40))
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)

    listing: Mapped[Listing] = relationship(back_populates="observations")


class ListingImage(Base):
    __tablename__ = "images"
    __table_args__ = (UniqueConstraint("listing_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(Text)  # local copy (media pipeline store)
    sha256: Mapped[str | None] = mapped_column(String(64))
    phash: Mapped[str | None] = mapped_column(String(64), index=True)  # hex
    dhash: Mapped[str | None] = mapped_column(String(64))
    hashes: Mapped[dict[str, Any]] = mapped_column(default=dict)  # every hash with its recipe
    error: Mapped[str | None] = mapped_column(Text)
    seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    listing: Mapped[Listing] = relationship(back_populates="images")


class MatchResult(Base):
    __tablename__ = "match_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True)
    scored_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    score: Mapped[float]
    suspect: Mapped[bool]
    mark_key: Mapped[str | None] = mapped_column(String(100))
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    engine_version: Mapped[str] = mapped_column(String(40))

    listing: Mapped[Listing] = relationship(back_populates="matches")


class ReviewDecision(Base):
    """Every status change of a listing, with who made it, when, and why."""

    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)

    listing: Mapped[Listing] = relationship(back_populates="decisions")


class Evidence(Base):
    """One capture of a listing's page: files on disk, their hashes, and what was seen."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    captured_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    url: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))  # live | gone | failed
    directory: Mapped[str] = mapped_column(Text)
    files: Mapped[dict[str, Any]] = mapped_column(default=dict)  # name -> sha256
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(100), default="markwatch")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)  # matched mark, reasons, browser, etc.


class TakedownCase(Base):
    """One complaint filed with one platform about one registered right and its links."""

    __tablename__ = "takedown_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    mark_key: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(40))  # counterfeit | unauthorised-use | expired-authorisation…
    status: Mapped[str] = mapped_column(String(20), default=CaseStatus.draft.value)
    complaint_number: Mapped[str | None] = mapped_column(String(100))
    package_dir: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[dt.datetime | None]
    status_at: Mapped[dt.datetime | None]
    deadline: Mapped[dt.date | None]  # e.g. 15 days after a counter-notice (E-Commerce Law Art. 43)
    note: Mapped[str | None] = mapped_column(Text)

    links: Mapped[list[CaseListing]] = relationship(back_populates="case", cascade="all, delete-orphan")
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseEvent.id"
    )


class CaseListing(Base):
    __tablename__ = "case_listings"
    __table_args__ = (UniqueConstraint("case_id", "listing_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("takedown_cases.id", ondelete="CASCADE"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str | None] = mapped_column(
        String(20)
    )  # removed | rejected | counter-notice | reinstated
    outcome_at: Mapped[dt.datetime | None]  # when the platform's answer for this link came
    counter_notice_at: Mapped[dt.datetime | None]  # when the seller counter-noticed this link (Art. 43)

    case: Mapped[TakedownCase] = relationship(back_populates="links")


class CaseEvent(Base):
    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("takedown_cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)

    case: Mapped[TakedownCase] = relationship(back_populates="events")


class SellerContact(Base):
    """A contact id (WeChat, QQ, mobile) a seller showed in a title, post or shop name; sellers sharing
    one are linked (one operator behind several shops, across platforms). Written by
    :func:`storage.contacts.store_contacts` from the matcher's ``contacts``."""

    __tablename__ = "seller_contacts"
    __table_args__ = (
        UniqueConstraint("platform", "seller_id", "kind", "value"),
        Index("ix_seller_contacts_kind_value", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    seller_id: Mapped[str] = mapped_column(String(100))
    seller_ref: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # wechat | qq | phone
    value: Mapped[str] = mapped_column(String(64))  # normalised: lower case, digits only for numbers
    found: Mapped[str | None] = mapped_column(String(100))  # as written, the first time
    field: Mapped[str | None] = mapped_column(String(20))  # title | seller_name
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id", ondelete="SET NULL"), index=True)
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TestBuy(Base):
    """A test purchase of a listing: order, payment, delivery and the photos that prove them."""

    __tablename__ = "test_buys"
    __test__ = False  # not a pytest class

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    order_number: Mapped[str] = mapped_column(String(100))
    paid: Mapped[float]
    currency: Mapped[str] = mapped_column(String(8), default="CNY")
    ordered_at: Mapped[dt.datetime]
    received_at: Mapped[dt.datetime | None]
    notary: Mapped[str | None] = mapped_column(String(200))
    # [{"stage": "order"|"receipt", "name": original file name, "file": name in the store, "sha256": …}]
    photos: Mapped[list[Any]] = mapped_column(default=list)
    actor: Mapped[str] = mapped_column(String(100), default="markwatch")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EvidencePackage(Base):
    """A takedown package as exported: where it was written and the SHA-256 of its manifest."""

    __tablename__ = "evidence_packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    directory: Mapped[str] = mapped_column(Text)
    manifest_sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100), default="markwatch")
    files: Mapped[int] = mapped_column(default=0)
    bytes: Mapped[int] = mapped_column(default=0)


# --- the review console (console/): users, API tokens, saved queries, four-eyes, login attempts -------


class ConsoleUser(Base):
    """A person who signs in to the review console; ``role`` is admin, analyst or viewer."""

    __tablename__ = "console_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(Text)  # Argon2id; None: API token only
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login: Mapped[dt.datetime | None]


class ConsoleToken(Base):
    """An API token of a console user, kept as its SHA-256 (the token itself is shown once)."""

    __tablename__ = "console_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used: Mapped[dt.datetime | None]


class SavedQuery(Base):
    """A read-only SQL query saved on the console's query page."""

    __tablename__ = "saved_queries"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    sql: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SecondConfirmation(Base):
    """Four-eyes rule: a second analyst agreeing with one confirmation (``ReviewDecision``)."""

    __tablename__ = "second_confirmations"
    __table_args__ = (UniqueConstraint("decision_id", "actor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("review_decisions.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LoginAttempt(Base):
    """One sign-in attempt on the console (for rate limiting)."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    ok: Mapped[bool] = mapped_column(default=False)


#: The queue's order within one status (score first, unscored last): the console pages through it.
Index(
    "ix_listings_queue_order",
    Listing.status,
    Listing.score.desc(),
    Listing.last_seen.desc(),
    Listing.id,
)
