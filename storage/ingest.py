"""Store a batch of listings idempotently, in bulk.

``(platform, item_id)`` is a listing's identity: the same pair never makes a second row. A listing
whose title, price, currency or seller changed gets a new :class:`~storage.models.Observation`;
one seen unchanged only has ``last_seen`` moved. Nothing already stored is overwritten except the
listing's current fields, whose history stays in its observations.

Work is done in bulk (one SELECT per chunk of keys, multi-row INSERT … RETURNING, executemany
UPDATE by primary key): ``bench/bench_storage.py`` measures it against one ORM object per row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import JSON, Boolean, Date, DateTime, Table, insert, select, text, tuple_, update
from sqlalchemy.orm import Session

from crawler.brand import Brand as BrandConfig
from storage.models import Brand, Listing, Mark, Observation, Seller, utcnow

#: Keys of a listing record that ingest stores in columns; the rest of the known keys go to ``extra``.
EXTRA_KEYS = (
    "sales",
    "shop_url",
    "location",
    "image_urls",
    "posted_at",
    "reposts",
    "comments",
    "likes",
    "search_term",
    "source",
)
REQUIRED = ("platform", "item_id", "url")
CHUNK = 2000  # keys per SELECT … IN (…): under SQLite's bound-parameter limit (32,766 since 3.32)
ANALYZE_AFTER = 5000  # new rows after which PostgreSQL's statistics are refreshed
LISTINGS = cast(Table, Listing.__table__)
OBSERVATIONS = cast(Table, Observation.__table__)


class RecordError(ValueError):
    """A listing record that cannot be stored (missing identity, wrong type)."""


@dataclass
class IngestResult:
    received: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    #: listing id for every stored key ``(platform, item_id)``
    ids: dict[tuple[str, str], int] = field(default_factory=dict)
    new_ids: list[int] = field(default_factory=list)
    changed_ids: list[int] = field(default_factory=list)
    #: listings that had been marked gone (removed from the platform) and were seen again
    reappeared_ids: list[int] = field(default_factory=list)

    def merge(self, other: IngestResult) -> None:
        self.received += other.received
        self.new += other.new
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.ids.update(other.ids)
        self.new_ids += other.new_ids
        self.changed_ids += other.changed_ids
        self.reappeared_ids += other.reappeared_ids


def content_hash(record: Mapping[str, Any]) -> str:
    """What makes an observation new: title, price (to the cent), currency and seller."""
    price = record.get("price")
    key = "\x1f".join(
        (
            record.get("title") or "",
            "" if price is None or price == "" else f"{float(price):.2f}",
            record.get("currency") or "",
            _str(record.get("seller_id")) or "",
            record.get("seller_name") or "",
        )
    )
    return hashlib.sha1(key.encode()).hexdigest()


def _str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def check_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A normalised copy of one listing record, or :class:`RecordError` saying what is wrong."""
    missing = [k for k in REQUIRED if not record.get(k)]
    if missing:
        raise RecordError(f"missing {', '.join(missing)}")
    out = dict(record)
    out["platform"] = str(record["platform"]).strip().lower()
    out["item_id"] = str(record["item_id"]).strip()
    price = record.get("price")
    if price is not None and price != "":
        try:
            out["price"] = float(price)
        except (TypeError, ValueError):
            raise RecordError(f"price {price!r} is not a number") from None
        if out["price"] < 0:
            raise RecordError(f"price {price!r} is negative")
    else:
        out["price"] = None
    title = record.get("title")
    if title is not None and not isinstance(title, str):
        raise RecordError("title must be text")
    out["title"] = title or ""
    for key in ("image_urls", "image_paths"):
        value = record.get(key)
        if value is not None and not isinstance(value, list):
            raise RecordError(f"{key} must be a list")
    return out


def _chunks(seq: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if not value:
        return "{}" if isinstance(value, dict) else "[]"
    return json.dumps(value, ensure_ascii=False)


def _converter(kind: str) -> Any:
    """A function turning a Python value into what SQLite stores for that kind (None: as it is)."""
    if kind == "json":
        return _json_text
    if kind == "datetime":  # SQLAlchemy's SQLite format; one batch shares a few instants, so cache them
        cache: dict[dt.datetime, str] = {}

        def stamp(value: dt.datetime | None) -> str | None:
            if value is None:
                return None
            text = cache.get(value)
            if text is None:
                text = cache[value] = value.strftime("%Y-%m-%d %H:%M:%S.%f")
            return text

        return stamp
    if kind == "date":
        return lambda v: None if v is None else v.isoformat()
    if kind == "bool":
        return lambda v: None if v is None else int(v)
    return None


def _kind(type_: Any) -> str:
    if isinstance(type_, JSON):
        return "json"
    if isinstance(type_, DateTime):
        return "datetime"
    if isinstance(type_, Date):
        return "date"
    if isinstance(type_, Boolean):
        return "bool"
    return "plain"


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """A multi-row INSERT handed straight to the driver's ``executemany``.

    The hot path of ingest: SQLAlchemy's per-parameter processing costs more than SQLite's insert
    itself. On SQLite the values are converted here exactly as SQLAlchemy's types store them (JSON
    text, ``YYYY-MM-DD HH:MM:SS.ffffff``, 0/1); other databases take ``insert().values`` executemany,
    whose "insertmanyvalues" batching is already fast there.
    """
    if not rows:
        return
    names = list(rows[0])
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        session.execute(insert(table), list(rows))
        return
    defaults: dict[str, Any] = {}
    for column in table.c:  # what SQLAlchemy would fill in for the columns the rows leave out
        if column.name not in names and column.default is not None and not column.primary_key:
            default = column.default
            defaults[column.name] = default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]
    names += list(defaults)
    converters = [(i, f) for i, name in enumerate(names) if (f := _converter(_kind(table.c[name].type)))]
    rows = [{**defaults, **row} for row in rows] if defaults else rows
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    pick = itemgetter(*names)
    params = []
    for row in rows:
        values = list(pick(row))
        for i, convert in converters:
            values[i] = convert(values[i])
        params.append(tuple(values))
    session.connection().exec_driver_sql(sql, params)


def lookup(
    session: Session, keys: Sequence[tuple[str, str]], *cols: Any
) -> dict[tuple[str, str], tuple[Any, ...]]:
    """``cols`` of the listings with these ``(platform, item_id)`` keys, one SELECT per platform chunk."""
    by_platform: dict[str, list[str]] = {}
    for platform, item_id in keys:
        by_platform.setdefault(platform, []).append(item_id)
    found: dict[tuple[str, str], tuple[Any, ...]] = {}
    for platform, item_ids in by_platform.items():
        for chunk in _chunks(item_ids):
            rows = session.execute(
                select(Listing.item_id, *cols).where(Listing.platform == platform, Listing.item_id.in_(chunk))
            )
            for item_id, *values in rows:
                found[(platform, item_id)] = tuple(values)
    return found


def sync_brand(session: Session, brand: BrandConfig) -> int:
    """Insert or update the brand and its marks from its YAML; returns the brand's row id."""
    row = session.scalar(select(Brand).where(Brand.slug == brand.slug))
    config = json.loads(brand.model_dump_json())
    if row is None:
        row = Brand(slug=brand.slug, name=brand.name, config=config)
        session.add(row)
    row.name = brand.name
    row.config = config
    row.source = str(brand.source) if brand.source else None
    row.synced_at = utcnow()
    existing = {m.key: m for m in row.marks}
    for mark in brand.marks:
        m = existing.pop(mark.id, None)
        if m is None:
            m = Mark(key=mark.id, kind=mark.kind.value)
            row.marks.append(m)
        reg = mark.registration
        m.kind = mark.kind.value
        m.text = mark.text
        m.variants = list(mark.variants)
        m.office = reg.office if reg else None
        m.number = reg.number if reg else None
        m.classes = list(reg.classes) if reg else []
        m.expires = reg.expires if reg else None
        m.chinese = bool(reg and reg.chinese)
    for stale in existing.values():
        row.marks.remove(stale)
    session.flush()
    return row.id


def _extra(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: record[k] for k in EXTRA_KEYS if record.get(k) not in (None, "", [])}


def _upsert_sellers(
    session: Session, records: list[dict[str, Any]], now: dt.datetime
) -> dict[tuple[str, str], int]:
    wanted: dict[tuple[str, str], dict[str, Any]] = {}
    for r in records:
        sid = _str(r.get("seller_id"))
        if sid is not None:
            wanted[(r["platform"], sid)] = r
    ids: dict[tuple[str, str], int] = {}
    keys = list(wanted)
    for chunk in _chunks(keys):
        rows = session.execute(
            select(Seller.id, Seller.platform, Seller.seller_id).where(
                tuple_(Seller.platform, Seller.seller_id).in_(chunk)
            )
        )
        for sid_, platform, seller_id in rows:
            ids[(platform, seller_id)] = sid_
    fresh = [k for k in keys if k not in ids]
    if fresh:
        rows = session.execute(
            insert(Seller).returning(Seller.id, Seller.platform, Seller.seller_id),
            [
                {
                    "platform": p,
                    "seller_id": s,
                    "name": wanted[(p, s)].get("seller_name"),
                    "shop_url": wanted[(p, s)].get("shop_url"),
                    "first_seen": now,
                    "last_seen": now,
                }
                for p, s in fresh
            ],
        )
        for sid_, platform, seller_id in rows:
            ids[(platform, seller_id)] = sid_
    seen = [ids[k] for k in keys if k not in fresh]
    for chunk in _chunks(seen):
        session.execute(update(Seller).where(Seller.id.in_(chunk)).values(last_seen=now))
    return ids


def ingest_batch(
    session: Session,
    brand_id: int | None,
    records: Iterable[Mapping[str, Any]],
    *,
    run_id: int | None = None,
    seen_at: dt.datetime | None = None,
) -> IngestResult:
    """Store ``records`` (listing dicts, see :mod:`crawler.items`) for ``brand_id``; never commits.

    Raises :class:`RecordError` for a record without platform, item id or URL: callers that read
    user files check each record with :func:`check_record` first and report the bad ones.
    """
    now = seen_at or utcnow()
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    received = 0
    for raw in records:
        received += 1
        rec = check_record(raw)
        by_key[(rec["platform"], rec["item_id"])] = rec  # the last sighting in a batch wins
    result = IngestResult(received=received)
    if not by_key:
        return result
    batch = list(by_key.values())
    seller_ids = _upsert_sellers(session, batch, now)
    hashes = {key: content_hash(rec) for key, rec in by_key.items()}

    existing = {
        key: (lid, chash, live)
        for key, (lid, chash, live) in lookup(
            session, list(by_key), Listing.id, Listing.content_hash, Listing.live
        ).items()
    }

    def columns(rec: dict[str, Any], key: tuple[str, str]) -> dict[str, Any]:
        sid = _str(rec.get("seller_id"))
        return {
            "url": rec["url"],
            "title": rec["title"],
            "price": rec["price"],
            "currency": rec.get("currency") or ("CNY" if rec["price"] is not None else None),
            "seller_id": sid,
            "seller_name": rec.get("seller_name"),
            "seller_ref": seller_ids.get((rec["platform"], sid)) if sid else None,
            "content_hash": hashes[key],
            "last_seen": now,
            "last_run_id": run_id,
            "extra": _extra(rec),
        }

    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    unchanged: list[int] = []
    observations: list[dict[str, Any]] = []
    for key, rec in by_key.items():
        if key not in existing:
            new_rows.append(
                {
                    "brand_id": brand_id,
                    "platform": key[0],
                    "item_id": key[1],
                    "kind": rec.get("kind") or "product",
                    "first_seen": now,
                    **columns(rec, key),
                }
            )
            continue
        lid, old_hash, live = existing[key]
        result.ids[key] = lid
        if not live:
            result.reappeared_ids.append(lid)
        if old_hash != hashes[key]:
            changed_rows.append({"id": lid, "live": True, "gone_at": None, **columns(rec, key)})
            observations.append(_observation(lid, rec, hashes[key], run_id, now))
            result.changed_ids.append(lid)
        else:
            unchanged.append(lid)

    if new_rows:
        # Core executemany, then one SELECT per chunk for the ids: faster on SQLite than INSERT … RETURNING,
        # which SQLAlchemy runs row by row there when the order of the returned rows must be kept.
        insert_rows(session, LISTINGS, new_rows)
        fresh = [(row["platform"], row["item_id"]) for row in new_rows]
        for key, (lid,) in lookup(session, fresh, Listing.id).items():
            result.ids[key] = lid
            result.new_ids.append(lid)
            observations.append(_observation(lid, by_key[key], hashes[key], run_id, now))
    if changed_rows:
        session.execute(update(Listing), changed_rows)
    for chunk in _chunks(unchanged):
        session.execute(
            update(Listing)
            .where(Listing.id.in_(chunk))
            .values(last_seen=now, last_run_id=run_id, live=True, gone_at=None)
        )
    if observations:
        insert_rows(session, OBSERVATIONS, observations)
    if len(new_rows) >= ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
        # Fresh rows have no planner statistics until autovacuum runs; without them PostgreSQL picks a
        # sequential scan for the next batch's key lookups (seen: 40x slower re-ingest).
        session.execute(text("ANALYZE listings"))
    result.new = len(new_rows)
    result.changed = len(changed_rows)
    result.unchanged = len(unchanged)
    return result


def _observation(
    listing_id: int, rec: Mapping[str, Any], chash: str, run_id: int | None, now: dt.datetime
) -> dict[str, Any]:
    return {
        "listing_id": listing_id,
        "run_id": run_id,
        "seen_at": now,
        "title": rec["title"],
        "price": rec["price"],
        "currency": rec.get("currency"),
        "seller_id": _str(rec.get("seller_id")),
        "seller_name": rec.get("seller_name"),
        "content_hash": chash,
        "raw": rec.get("raw") or {},
    }
