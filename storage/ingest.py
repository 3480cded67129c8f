"""Store a batch of listings idempotently, in bulk.

``(platform, item_id)`` is a listing's identity: the same pair never makes a second row. A listing
whose title, price, currency or seller changed gets a new :class:`~storage.models.Observation`;
one seen unchanged only has ``last_seen`` moved. Nothing already stored is overwritten except the
listing's current fields, whose history stays in its observations.

Work is done in bulk (one SELECT per chunk of keys, one executemany INSERT per table, UPDATE by
primary key; on SQLite straight through the driver, the new rows' ids read under the write lock):
``bench/bench_storage.py`` measures it against one ORM object per row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import JSON, Boolean, Date, DateTime, Table, insert, select, text, tuple_, update
from sqlalchemy.orm import Session

from markwatch.brand import Brand as BrandConfig
from storage.contacts import SellerContacts, record_contacts, store_contacts
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
_JSON = json.JSONEncoder(
    ensure_ascii=False
).encode  # json.dumps(…, ensure_ascii=False) without a new encoder per call


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
    return _JSON(value)


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


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _driver_rows(session: Session, sql: str, params: Sequence[Any]) -> list[Any]:
    """SQLite: the rows of one SELECT straight from the driver (no result processing: raw values)."""
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        return cast(list[Any], cursor.execute(sql, params).fetchall())
    finally:
        cursor.close()


def _driver_in(session: Session, sql: str, fixed: tuple[Any, ...], values: Sequence[Any]) -> list[Any]:
    """SQLite: ``sql`` (which ends in ``IN ({})``) run for each chunk of ``values``, the rows together."""
    rows: list[Any] = []
    for chunk in _chunks(values):
        rows += _driver_rows(session, sql.format(",".join("?" * len(chunk))), (*fixed, *chunk))
    return rows


def _loaded(session: Session, model: type) -> bool:
    """Whether the session holds objects of ``model``: an UPDATE by the driver would leave them stale,
    where an ORM UPDATE also sets their attributes; without any, both do the same."""
    keys = session.identity_map.keys()  # the base IdentityMap has no __iter__
    return any(issubclass(key[0], model) for key in keys)


def _defaults(table: Table, names: Sequence[str]) -> dict[str, Any]:
    """What SQLAlchemy would fill in for the columns of ``table`` that an INSERT of ``names`` leaves out."""
    defaults: dict[str, Any] = {}
    for column in table.c:
        if column.name not in names and column.default is not None and not column.primary_key:
            default = column.default
            defaults[column.name] = default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]
    return defaults


def insert_rows(
    session: Session, table: Table, names: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """A multi-row INSERT of ``rows`` (values of ``names``, in order) by the driver's ``executemany``.

    The hot path of ingest: SQLAlchemy's per-parameter processing costs more than SQLite's insert
    itself. On SQLite the rows must already hold what SQLite stores (see :func:`_converter`: JSON text,
    ``YYYY-MM-DD HH:MM:SS.ffffff``, 0/1) and the columns' defaults are added here as SQLAlchemy would;
    other databases get Python values through ``insert()`` executemany (psycopg pipelines the rows;
    ``RETURNING`` for "insertmanyvalues" pages was slower on PostgreSQL, 1,900 against 5,200 rows/s
    under cProfile, psycopg parsing each 16,000-parameter statement).
    """
    if not rows:
        return
    if not _is_sqlite(session):
        session.execute(insert(table), [dict(zip(names, row, strict=True)) for row in rows])
        return
    defaults = _defaults(table, names)
    tail = tuple(
        convert(value) if (convert := _converter(_kind(table.c[name].type))) else value
        for name, value in defaults.items()
    )
    columns = [*names, *defaults]
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    session.connection().exec_driver_sql(sql, [row + tail for row in rows] if tail else list(rows))


def _new_listing_ids(session: Session, keys: Sequence[tuple[str, str]]) -> list[int]:
    """The ids of the listings just inserted for ``keys`` (in that order, by one executemany).

    On SQLite the INSERT holds the database's write lock until commit, and a row inserted without an
    id gets one more than the largest in the table: the batch took consecutive ids ending at ``max(id)``.
    Checked (count of ids from the first one, first and last key) rather than trusted: SQLite picks
    ids at random once the largest possible one is taken; then, and on other databases, the keys are
    looked up.
    """
    n = len(keys)
    if _is_sqlite(session):
        ((hi,),) = _driver_rows(session, "SELECT max(id) FROM listings", ())
        lo = hi - n + 1
        ((count,),) = _driver_rows(session, "SELECT count(*) FROM listings WHERE id >= ?", (lo,))
        ends = dict(
            _driver_rows(
                session,
                "SELECT id, platform || char(31) || item_id FROM listings WHERE id IN (?, ?)",
                (lo, hi),
            )
        )
        first, last = keys[0], keys[-1]
        if (
            count == n
            and ends.get(lo) == f"{first[0]}\x1f{first[1]}"
            and ends.get(hi) == f"{last[0]}\x1f{last[1]}"
        ):
            return list(range(lo, hi + 1))
    found = lookup(session, keys, Listing.id)
    return [found[key][0] for key in keys]


def _existing(session: Session, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[Any, ...]]:
    """``(id, content_hash, live)`` of the stored listings among ``keys``."""
    if not _is_sqlite(session):
        return lookup(session, keys, Listing.id, Listing.content_hash, Listing.live)
    by_platform: dict[str, list[str]] = {}
    for platform, item_id in keys:
        by_platform.setdefault(platform, []).append(item_id)
    found: dict[tuple[str, str], tuple[Any, ...]] = {}
    sql = "SELECT item_id, id, content_hash, live FROM listings WHERE platform = ? AND item_id IN ({})"
    for platform, item_ids in by_platform.items():
        for item_id, lid, chash, live in _driver_in(session, sql, (platform,), item_ids):
            found[(platform, item_id)] = (lid, chash, live)
    return found


def _upsert_sellers(
    session: Session, wanted: dict[tuple[str, str], Mapping[str, Any]], now: dt.datetime
) -> dict[tuple[str, str], int]:
    """Row ids of the ``(platform, seller_id)`` sellers: new ones inserted, others' ``last_seen`` moved."""
    ids: dict[tuple[str, str], int] = {}
    keys = list(wanted)
    sqlite = _is_sqlite(session)
    if sqlite:
        by_platform: dict[str, list[str]] = {}
        for platform, seller_id in keys:
            by_platform.setdefault(platform, []).append(seller_id)
        sql = "SELECT seller_id, id FROM sellers WHERE platform = ? AND seller_id IN ({})"
        for platform, seller_ids in by_platform.items():
            for seller_id, sid_ in _driver_in(session, sql, (platform,), seller_ids):
                ids[(platform, seller_id)] = sid_
    else:
        for chunk in _chunks(keys):
            rows = session.execute(
                select(Seller.id, Seller.platform, Seller.seller_id).where(
                    tuple_(Seller.platform, Seller.seller_id).in_(chunk)
                )
            )
            for sid_, platform, seller_id in rows:
                ids[(platform, seller_id)] = sid_
    seen = list(ids.values())
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
    if sqlite and not _loaded(session, Seller):
        conn = session.connection()
        stamp = _converter("datetime")(now)
        for chunk in _chunks(seen):
            marks = ",".join("?" * len(chunk))
            conn.exec_driver_sql(f"UPDATE sellers SET last_seen = ? WHERE id IN ({marks})", (stamp, *chunk))
    else:
        for chunk in _chunks(seen):  # the ORM UPDATE also moves last_seen of sellers loaded in the session
            session.execute(update(Seller).where(Seller.id.in_(chunk)).values(last_seen=now))
    return ids


def _store_contacts(
    session: Session,
    by_key: Mapping[tuple[str, str], Mapping[str, Any]],
    result: IngestResult,
    seller_ids: Mapping[tuple[str, str], int],
    now: dt.datetime,
) -> None:
    """The contact ids the records carry (the matcher's ``contacts``), stored per seller."""
    items = []
    for key, rec in by_key.items():
        sid = rec.get("seller_id")
        if sid is None or sid == "":
            continue
        found = record_contacts(rec)
        if found:
            sid = str(sid)
            items.append(
                SellerContacts(key[0], sid, seller_ids.get((key[0], sid)), result.ids.get(key), found)
            )
    if items:
        store_contacts(session, items, now)


#: The columns of a new listing as ingest builds them, in order; the model's defaults fill the rest.
NEW_LISTING = (
    "brand_id",
    "platform",
    "item_id",
    "kind",
    "url",
    "title",
    "price",
    "currency",
    "seller_id",
    "seller_name",
    "seller_ref",
    "content_hash",
    "first_seen",
    "last_seen",
    "last_run_id",
    "extra",
)
#: The columns of an observation as ingest builds them, in order.
OBSERVATION = (
    "listing_id",
    "run_id",
    "seen_at",
    "title",
    "price",
    "currency",
    "seller_id",
    "seller_name",
    "content_hash",
    "raw",
)


def ingest_batch(
    session: Session,
    brand_id: int | None,
    records: Iterable[Mapping[str, Any]],
    *,
    run_id: int | None = None,
    seen_at: dt.datetime | None = None,
) -> IngestResult:
    """Store ``records`` (listing dicts, see :mod:`markwatch.listing`) for ``brand_id``; never commits.

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
    sqlite = _is_sqlite(session)
    if sqlite and session.autoflush:  # what the first ORM SELECT would do before the driver's SELECTs
        session.flush()
    sellers: dict[tuple[str, str], Mapping[str, Any]] = {}
    for key, rec in by_key.items():
        sid = rec.get("seller_id")
        if sid is not None and sid != "":
            sellers[(key[0], str(sid))] = rec
    seller_ids = _upsert_sellers(session, sellers, now)
    existing = _existing(session, list(by_key))

    # Values as the driver takes them: on SQLite already converted (JSON text, timestamps), see insert_rows.
    to_json: Any = _json_text if sqlite else (lambda v: v)
    stamp: Any = _converter("datetime")(now) if sqlite else now
    sha1 = hashlib.sha1
    new_keys: list[tuple[str, str]] = []
    new_rows: list[tuple[Any, ...]] = []
    new_obs: list[tuple[Any, ...]] = []  # observations of the new rows, less their listing id
    changed_rows: list[dict[str, Any]] = []
    unchanged: list[int] = []
    observations: list[tuple[Any, ...]] = []
    for key, rec in by_key.items():
        title = rec["title"]
        price = rec["price"]
        currency = rec.get("currency")
        sid = rec.get("seller_id")
        sid = None if sid is None or sid == "" else str(sid)
        seller_name = rec.get("seller_name")
        chash = sha1(  # as content_hash(rec): title and price are normalised by check_record
            "\x1f".join(
                (
                    title,
                    "" if price is None else f"{price:.2f}",
                    currency or "",
                    sid or "",
                    seller_name or "",
                )
            ).encode()
        ).hexdigest()
        extra = {k: v for k in EXTRA_KEYS if (v := rec.get(k)) is not None and v != "" and v != []}
        observation = (
            run_id,
            stamp,
            title,
            price,
            currency,
            sid,
            seller_name,
            chash,
            to_json(rec.get("raw") or {}),
        )
        found = existing.get(key)
        if found is None:
            new_keys.append(key)
            new_rows.append(
                (
                    brand_id,
                    key[0],
                    key[1],
                    rec.get("kind") or "product",
                    rec["url"],
                    title,
                    price,
                    currency or ("CNY" if price is not None else None),
                    sid,
                    seller_name,
                    seller_ids.get((key[0], sid)) if sid else None,
                    chash,
                    stamp,
                    stamp,
                    run_id,
                    to_json(extra),
                )
            )
            new_obs.append(observation)
            continue
        lid, old_hash, live = found
        result.ids[key] = lid
        if not live:
            result.reappeared_ids.append(lid)
        if old_hash != chash:
            changed_rows.append(
                {
                    "id": lid,
                    "live": True,
                    "gone_at": None,
                    "url": rec["url"],
                    "title": title,
                    "price": price,
                    "currency": currency or ("CNY" if price is not None else None),
                    "seller_id": sid,
                    "seller_name": seller_name,
                    "seller_ref": seller_ids.get((key[0], sid)) if sid else None,
                    "content_hash": chash,
                    "last_seen": now,
                    "last_run_id": run_id,
                    "extra": extra,
                }
            )
            observations.append((lid, *observation))
            result.changed_ids.append(lid)
        else:
            unchanged.append(lid)

    if new_rows:
        # One executemany, then the ids (see _new_listing_ids): faster on SQLite than INSERT … RETURNING,
        # which SQLAlchemy runs row by row there when the order of the returned rows must be kept.
        insert_rows(session, LISTINGS, NEW_LISTING, new_rows)
        new_ids = _new_listing_ids(session, new_keys)
        result.ids.update(zip(new_keys, new_ids, strict=True))
        result.new_ids = new_ids
        observations += [(lid, *obs) for lid, obs in zip(new_ids, new_obs, strict=True)]
    if changed_rows:
        session.execute(update(Listing), changed_rows)
    if sqlite and not _loaded(session, Listing):
        conn = session.connection()
        for chunk in _chunks(unchanged):
            conn.exec_driver_sql(
                "UPDATE listings SET last_seen = ?, last_run_id = ?, live = 1, gone_at = NULL "
                f"WHERE id IN ({','.join('?' * len(chunk))})",
                (stamp, run_id, *chunk),
            )
    else:
        for chunk in _chunks(unchanged):  # the ORM UPDATE also updates the listings loaded in the session
            session.execute(
                update(Listing)
                .where(Listing.id.in_(chunk))
                .values(last_seen=now, last_run_id=run_id, live=True, gone_at=None)
            )
    if observations:
        insert_rows(session, OBSERVATIONS, OBSERVATION, observations)
    _store_contacts(session, by_key, result, seller_ids, now)
    if len(new_rows) >= ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
        # Fresh rows have no planner statistics until autovacuum runs; without them PostgreSQL picks a
        # sequential scan for the next batch's key lookups (seen: 40x slower re-ingest).
        session.execute(text("ANALYZE listings"))
    result.new = len(new_rows)
    result.changed = len(changed_rows)
    result.unchanged = len(unchanged)
    return result
