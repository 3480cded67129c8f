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
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import JSON, Boolean, Date, DateTime, Table, insert, select, text, tuple_, update
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.orm import Session

from markwatch.brand import Brand as BrandConfig
from markwatch.errors import InputError
from markwatch.platforms import PLATFORMS, is_platform
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


#: The most characters a column of that name holds (longer values are refused, not cut).
MAX_LENGTH = {"item_id": 100, "seller_id": 100, "seller_name": 300, "currency": 8, "kind": 20}
#: Crawled attributes kept in ``extra``: scalars only (a nested object there is refused).
SCALARS = (str, int, float)


class RecordError(InputError, ValueError):
    """A listing record that cannot be stored (missing identity, wrong type, unknown platform)."""


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
    #: records seen before the listing's latest sighting or removal: kept as history only
    older: int = 0
    older_ids: dict[tuple[str, str], int] = field(default_factory=dict)

    def merge(self, other: IngestResult) -> None:
        self.received += other.received
        self.new += other.new
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.ids.update(other.ids)
        self.new_ids += other.new_ids
        self.changed_ids += other.changed_ids
        self.reappeared_ids += other.reappeared_ids
        self.older += other.older
        self.older_ids.update(other.older_ids)


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


def _number(key: str, value: Any) -> float | None:
    """A finite, non-negative number from a JSON value (``true`` and ``1e400`` are not prices)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RecordError(f"{key} {_shown(value)} is not a number")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise RecordError(f"{key} {_shown(value)} is not a number") from None
    if not math.isfinite(number):
        raise RecordError(f"{key} {_shown(value)} is not a finite number")
    if number < 0:
        raise RecordError(f"{key} {_shown(value)} is negative")
    return number


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _text_or_none(rec: dict[str, Any], key: str, *, ids: bool = False) -> None:
    value = rec.get(key)
    if value is None:
        return
    if ids and isinstance(value, int) and not isinstance(value, bool):
        value = rec[key] = str(value)
    if not isinstance(value, str):
        raise RecordError(f"{key} must be text, not {type(value).__name__}")
    limit = MAX_LENGTH.get(key)
    if limit is not None and len(value) > limit:
        raise RecordError(f"{key} is longer than {limit} characters")


def _when(value: Any) -> dt.datetime | None:
    """``seen_at`` of a record: an ISO 8601 time (UTC when it names no zone), as naive UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise RecordError(f"seen_at {_shown(value)} is not an ISO 8601 time") from None
    else:
        raise RecordError(f"seen_at {_shown(value)} is not an ISO 8601 time")
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when


_PLATFORM_NAMES = frozenset(PLATFORMS)
_EXTRA_SCALAR_KEYS = tuple(k for k in EXTRA_KEYS if k != "image_urls")
_TEXT_KEYS = (("seller_name", 300), ("currency", 8), ("kind", 20))


def check_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A normalised copy of one listing record, or :class:`RecordError` saying what is wrong.

    Every field is checked for its type (records come from files anyone can write): the platform must
    be one of :data:`markwatch.platforms.PLATFORMS`, ids and names text (ids may be whole numbers),
    prices finite non-negative numbers, ``seen_at`` an ISO time; crawled attributes are scalars.
    (On the hot path of ingest: the common case, every field of the right type, takes the short way.)
    """
    if not isinstance(record, Mapping):
        raise RecordError("not a JSON object")
    get = record.get
    platform, item_id, url = get("platform"), get("item_id"), get("url")
    if platform is None or platform == "" or item_id is None or item_id == "" or url is None or url == "":
        missing = [k for k in REQUIRED if get(k) is None or get(k) == ""]
        raise RecordError(f"missing {', '.join(missing)}")
    out = dict(record)
    if platform not in _PLATFORM_NAMES:
        if not isinstance(platform, str) or not is_platform(platform.strip().lower()):
            raise RecordError(f"platform {_shown(platform)} is not one of {', '.join(PLATFORMS)}")
        out["platform"] = platform.strip().lower()
    if type(item_id) is not str:
        if isinstance(item_id, bool) or not isinstance(item_id, str | int):
            raise RecordError(f"item_id must be text, not {type(item_id).__name__}")
        item_id = str(item_id)
    item_id = out["item_id"] = item_id.strip()
    if not item_id:
        raise RecordError("missing item_id")
    if len(item_id) > MAX_LENGTH["item_id"]:
        raise RecordError(f"item_id is longer than {MAX_LENGTH['item_id']} characters")
    if type(url) is not str:
        raise RecordError(f"url must be text, not {type(url).__name__}")
    price = get("price")
    if type(price) is float and 0 <= price < math.inf:
        pass
    else:
        out["price"] = _number("price", price)
    title = get("title")
    if title is None:
        out["title"] = ""
    elif type(title) is not str:
        raise RecordError("title must be text")
    seller_id = get("seller_id")
    if seller_id is not None and not (type(seller_id) is str and len(seller_id) <= 100):
        _text_or_none(out, "seller_id", ids=True)
    for key, limit in _TEXT_KEYS:
        value = get(key)
        if value is not None and not (type(value) is str and len(value) <= limit):
            _text_or_none(out, key)
    for key in ("image_urls", "image_paths"):
        value = get(key)
        if value and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            raise RecordError(f"{key} must be a list of text")
        if value is not None and not isinstance(value, list):
            raise RecordError(f"{key} must be a list of text")
    for key in _EXTRA_SCALAR_KEYS:
        value = get(key)
        if value is None or type(value) is str or type(value) is int:
            continue
        if (isinstance(value, float) and not math.isfinite(value)) or not isinstance(value, SCALARS):
            raise RecordError(f"{key} must be text or a number, not {type(value).__name__}")
    raw = get("raw")
    if raw is not None and not isinstance(raw, dict):
        raise RecordError("raw must be a JSON object")
    images = get("images")
    if images and (not isinstance(images, list) or not all(isinstance(i, dict) for i in images)):
        raise RecordError("images must be a list of objects")
    if images is not None and not isinstance(images, list):
        raise RecordError("images must be a list of objects")
    if "seen_at" in record:
        out["seen_at"] = _when(get("seen_at"))
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
    """A multi-row INSERT of ``rows`` (values of ``names``, in order) by the driver's ``executemany``
    (PostgreSQL: one ``COPY``, JSON values already as text).

    The hot path of ingest: SQLAlchemy's per-parameter processing costs more than SQLite's insert
    itself. On SQLite the rows must already hold what SQLite stores (see :func:`_converter`: JSON text,
    ``YYYY-MM-DD HH:MM:SS.ffffff``, 0/1) and the columns' defaults are added here as SQLAlchemy would;
    other databases get Python values through ``insert()`` executemany (psycopg pipelines the rows;
    ``RETURNING`` for "insertmanyvalues" pages was slower on PostgreSQL, 1,900 against 5,200 rows/s
    under cProfile, psycopg parsing each 16,000-parameter statement).
    """
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":  # plain COPY: nothing to conflict with (observations, photos)
        defaults = _defaults(table, names)
        columns = [*names, *defaults]
        tail = tuple(_json_text(v) if isinstance(v, dict | list) else v for v in defaults.values())
        cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            _copy_rows(
                cursor,
                f"COPY {table.name} ({', '.join(columns)}) FROM STDIN",
                (row + tail for row in rows) if tail else rows,
                (),
            )
        finally:
            cursor.close()
        return
    if dialect != "sqlite":
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
    """``(id, content_hash, live, last_seen, gone_at, first_seen)`` of the stored listings among ``keys``
    (on SQLite the three times as its stored text)."""
    if _is_postgres(session):  # one array parameter per platform: no statement of thousands of them
        pg: dict[str, list[str]] = {}
        for platform, item_id in keys:
            pg.setdefault(platform, []).append(item_id)
        out: dict[tuple[str, str], tuple[Any, ...]] = {}
        sql_pg = (
            "SELECT item_id, id, content_hash, live, last_seen, gone_at, first_seen FROM listings "
            "WHERE platform = %s AND item_id = ANY(%s)"
        )
        for platform, item_ids in pg.items():
            for item_id, *values in _pg_rows(session, sql_pg, (platform, item_ids)):
                out[(platform, item_id)] = tuple(values)
        return out
    if not _is_sqlite(session):
        cols = (Listing.id, Listing.content_hash, Listing.live, Listing.last_seen, Listing.gone_at)
        return lookup(session, keys, *cols, Listing.first_seen)
    by_platform: dict[str, list[str]] = {}
    for platform, item_id in keys:
        by_platform.setdefault(platform, []).append(item_id)
    found: dict[tuple[str, str], tuple[Any, ...]] = {}
    sql = (
        "SELECT item_id, id, content_hash, live, last_seen, gone_at, first_seen FROM listings "
        "WHERE platform = ? AND item_id IN ({})"
    )
    # times as SQLite stores them (SQLAlchemy's fixed-width text): they order as the instants do, and
    # ingest compares them with its own stamps of the same format (no parsing per row)
    for platform, item_ids in by_platform.items():
        for item_id, lid, chash, live, last, gone, first in _driver_in(session, sql, (platform,), item_ids):
            found[(platform, item_id)] = (lid, chash, bool(live), last, gone, first)
    return found


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _pg_rows(session: Session, sql: str, params: Sequence[Any]) -> list[Any]:
    """PostgreSQL: the rows of one statement straight from psycopg (arrays as single parameters)."""
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
        return cast(list[Any], cursor.fetchall()) if cursor.description else []
    finally:
        cursor.close()


def _pg_upsert_sellers(
    session: Session, wanted: dict[tuple[str, str], Mapping[str, Any]], now: dt.datetime
) -> dict[tuple[str, str], int]:
    """PostgreSQL: every seller of the batch by one COPY and one INSERT … ON CONFLICT DO UPDATE (new
    ones inserted, known ones' ``last_seen`` moved, all ids returned; a concurrent writer's row waits
    for its commit and is then updated, never a unique violation)."""
    rows = [
        (p, s, _text_value(rec.get("seller_name")), _text_value(rec.get("shop_url")), now, now)
        for (p, s), rec in wanted.items()
    ]
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cols = "platform, seller_id, name, shop_url, first_seen, last_seen"
    try:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS mw_stage_sellers ON COMMIT DELETE ROWS AS "
            f"SELECT {cols} FROM sellers WITH NO DATA"
        )
        cursor.execute("TRUNCATE mw_stage_sellers")
        _copy_rows(cursor, f"COPY mw_stage_sellers ({cols}) FROM STDIN", rows, ())
        cursor.execute(
            f"INSERT INTO sellers ({cols}) SELECT {cols} FROM mw_stage_sellers "
            "ON CONFLICT (platform, seller_id) DO UPDATE SET last_seen = EXCLUDED.last_seen "
            "RETURNING id, platform, seller_id"
        )
        return {(p, s): sid for sid, p, s in cursor.fetchall()}
    finally:
        cursor.close()


def _text_value(value: Any) -> str | None:
    return None if value is None else str(value)


def _upsert_sellers(
    session: Session, wanted: dict[tuple[str, str], Mapping[str, Any]], now: dt.datetime
) -> dict[tuple[str, str], int]:
    """Row ids of the ``(platform, seller_id)`` sellers: new ones inserted, others' ``last_seen`` moved."""
    ids: dict[tuple[str, str], int] = {}
    keys = list(wanted)
    if not keys:
        return ids
    if _is_postgres(session) and not _loaded(session, Seller):
        return _pg_upsert_sellers(session, wanted, now)
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
        # ON CONFLICT DO NOTHING: a seller another writer inserts meanwhile (two crawls at once) is no
        # error; its id is read back below (READ COMMITTED sees it once that writer commits)
        dialect = pg_dialect if session.get_bind().dialect.name == "postgresql" else sqlite_dialect
        stmt = dialect.insert(Seller).on_conflict_do_nothing(index_elements=["platform", "seller_id"])
        rows = session.execute(
            stmt.returning(Seller.id, Seller.platform, Seller.seller_id),
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
        raced = [k for k in fresh if k not in ids]
        for chunk in _chunks(raced):
            for sid_, platform, seller_id in session.execute(
                select(Seller.id, Seller.platform, Seller.seller_id).where(
                    tuple_(Seller.platform, Seller.seller_id).in_(chunk)
                )
            ):
                ids[(platform, seller_id)] = sid_
                seen.append(sid_)
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
    revive: bool = True,
) -> IngestResult:
    """Store ``records`` (listing dicts, see :mod:`markwatch.listing`) for ``brand_id``; never commits.

    Observations are ordered by the time they were seen (a record's own ``seen_at``, else ``seen_at``,
    else now): a record older than the listing's latest sighting, or not newer than its removal
    (``gone_at``), is kept as history (an observation, when it differs) and changes nothing of the
    listing's current state. A listing marked gone comes back live only when ``revive`` (a crawl that
    saw it live); other sources (``markwatch ingest``) update what it showed but leave it gone.
    Analyst and workflow columns (review status and reason, takedown sightings) are never written.

    Raises :class:`RecordError` for a record without platform, item id or URL: callers that read
    user files check each record with :func:`check_record` first and report the bad ones.
    """
    now = seen_at or utcnow()
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    received = 0
    for raw in records:
        received += 1
        rec = check_record(raw)
        key = (rec["platform"], rec["item_id"])
        when = rec.get("seen_at") or now
        rec["seen_at"] = when
        kept = by_key.get(key)
        if kept is None or kept["seen_at"] <= when:  # the latest sighting in a batch wins
            by_key[key] = rec
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
    # (PostgreSQL: JSON as text too, for COPY)
    to_json: Any = _json_text if sqlite or _is_postgres(session) else (lambda v: v)
    stamp_of: Any = _converter("datetime") if sqlite else (lambda v: v)
    sha1 = hashlib.sha1
    new_keys: list[tuple[str, str]] = []
    new_rows: list[tuple[Any, ...]] = []
    new_obs: list[tuple[Any, ...]] = []  # observations of the new rows, less their listing id
    changed_rows: list[dict[str, Any]] = []
    #: unchanged listings by (time seen, back live): one UPDATE each
    unchanged: dict[tuple[dt.datetime, bool], list[int]] = {}
    observations: list[tuple[Any, ...]] = []
    older: list[tuple[int, tuple[Any, ...], dt.datetime, Any]] = []  # first_seen: datetime or SQLite text
    for key, rec in by_key.items():
        when = rec["seen_at"]
        stamp = stamp_of(when)
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
        lid, old_hash, live, last_seen, gone_at, first_seen = found
        at = stamp if sqlite else when  # SQLite: both sides are its stored text (see _existing)
        if (last_seen is not None and at < last_seen) or (gone_at is not None and at <= gone_at):
            # older than what the listing shows now: history only, its current state stays
            result.older_ids[key] = lid
            older.append((lid, observation, when, first_seen))
            continue
        result.ids[key] = lid
        back = not live and revive
        if back:
            result.reappeared_ids.append(lid)
        if old_hash != chash:
            row = {
                "id": lid,
                "url": rec["url"],
                "title": title,
                "price": price,
                "currency": currency or ("CNY" if price is not None else None),
                "seller_id": sid,
                "seller_name": seller_name,
                "seller_ref": seller_ids.get((key[0], sid)) if sid else None,
                "content_hash": chash,
                "last_seen": when,
                "last_run_id": run_id,
                "extra": extra,  # crawled attributes only: workflow state has columns of its own
            }
            if back:
                row.update(live=True, gone_at=None, gone_proof=None, gone_proof_detail=None)
            changed_rows.append(row)
            observations.append((lid, *observation))
            result.changed_ids.append(lid)
        else:
            unchanged.setdefault((when, back), []).append(lid)

    if new_rows:
        new_ids = _insert_new_listings(session, new_keys, new_rows)
        result.ids.update(new_ids)
        result.new_ids = [new_ids[k] for k in new_keys if k in new_ids]
        observations += [(new_ids[k], *obs) for k, obs in zip(new_keys, new_obs, strict=True) if k in new_ids]
    for back in (False, True):  # an ORM bulk UPDATE takes rows of one shape
        rows = [r for r in changed_rows if ("live" in r) is back]
        if rows:
            session.execute(update(Listing), rows)
    n_unchanged = 0
    for (when, back), ids in unchanged.items():
        n_unchanged += len(ids)
        values: dict[str, Any] = {"last_seen": when, "last_run_id": run_id}
        if back:
            values.update(live=True, gone_at=None, gone_proof=None, gone_proof_detail=None)
        if not sqlite and _is_postgres(session) and not _loaded(session, Listing):
            sets = ", ".join(f"{k} = %s" for k in values)
            _pg_rows(session, f"UPDATE listings SET {sets} WHERE id = ANY(%s)", (*values.values(), ids))
        elif sqlite and not _loaded(session, Listing):
            conn = session.connection()
            sets = ", ".join(f"{k} = ?" for k in values)
            params = [_converter("bool")(v) if isinstance(v, bool) else v for v in values.values()]
            params[0] = stamp_of(when)
            for chunk in _chunks(ids):
                conn.exec_driver_sql(
                    f"UPDATE listings SET {sets} WHERE id IN ({','.join('?' * len(chunk))})",
                    (*params, *chunk),
                )
        else:
            for chunk in _chunks(ids):  # the ORM UPDATE also updates the listings loaded in the session
                session.execute(update(Listing).where(Listing.id.in_(chunk)).values(**values))
    if older:
        observations += _older_observations(session, older, stamp_of)
        result.older = len(older)
    if observations:
        insert_rows(session, OBSERVATIONS, OBSERVATION, observations)
    _store_contacts(session, by_key, result, seller_ids, now)
    if len(new_rows) >= ANALYZE_AFTER and _is_postgres(session) and _stale_statistics(session, len(new_rows)):
        # Fresh rows have no planner statistics until autovacuum runs; without them PostgreSQL picks a
        # sequential scan for the next batch's key lookups (seen: 40x slower re-ingest).
        session.execute(text("ANALYZE listings"))
    result.new = len(result.new_ids)
    result.changed = len(changed_rows)
    result.unchanged = n_unchanged
    return result


def _stale_statistics(session: Session, added: int) -> bool:
    """PostgreSQL: whether ``added`` rows are a quarter or more of what the planner believes
    ``listings`` holds (never analysed: -1): then ANALYZE. Analysing after every batch cost more than
    a quarter of a large ingest; this way a table growing from empty is analysed a logarithmic number
    of times."""
    believed = session.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = 'listings'::regclass")
    ).scalar()
    return believed is None or believed < 0 or added * 4 >= believed


def _older_observations(
    session: Session,
    older: list[tuple[int, tuple[Any, ...], dt.datetime, Any]],
    stamp_of: Any,
) -> list[tuple[Any, ...]]:
    """Observations of records older than their listing's state: each kept once (``(seen_at,
    content_hash)`` not already stored for the listing); a listing's ``first_seen`` moves back to them."""
    ids = [lid for lid, *_ in older]
    have: set[tuple[int, dt.datetime, str]] = set()
    for chunk in _chunks(ids):
        for lid, seen, chash in session.execute(
            select(Observation.listing_id, Observation.seen_at, Observation.content_hash).where(
                Observation.listing_id.in_(chunk)
            )
        ):
            have.add((lid, seen, chash))
    out: list[tuple[Any, ...]] = []
    for lid, observation, when, first_seen in older:
        if (lid, when, observation[7]) in have:
            continue
        have.add((lid, when, observation[7]))
        out.append((lid, *observation))
        if isinstance(first_seen, str):  # SQLite's stored text
            first_seen = dt.datetime.fromisoformat(first_seen)
        if first_seen is not None and when < first_seen:
            session.execute(update(Listing).where(Listing.id == lid).values(first_seen=when))
    return out


def _insert_new_listings(
    session: Session, keys: list[tuple[str, str]], rows: list[tuple[Any, ...]]
) -> dict[tuple[str, str], int]:
    """Insert the new listings ``rows`` (values of :data:`NEW_LISTING`); their ids by key.

    SQLite: one executemany, then the ids (see :func:`_new_listing_ids`): faster there than INSERT …
    RETURNING, which SQLAlchemy runs row by row when the order of the returned rows must be kept.
    PostgreSQL: ``COPY`` into a temporary staging table, then one ``INSERT … SELECT … ON CONFLICT DO
    NOTHING RETURNING``; a listing another writer inserted meanwhile is looked up, not an error.
    """
    if _is_sqlite(session):
        insert_rows(session, LISTINGS, NEW_LISTING, rows)
        return dict(zip(keys, _new_listing_ids(session, keys), strict=True))
    ids = _copy_upsert(session, LISTINGS, NEW_LISTING, rows, conflict=("platform", "item_id"))
    missing = [k for k in keys if k not in ids]
    if missing:
        ids.update({k: v[0] for k, v in lookup(session, missing, Listing.id).items()})
    return ids


def _copy_rows(cursor: Any, sql: str, rows: Iterable[tuple[Any, ...]], json_at: Sequence[int]) -> None:
    with cursor.copy(sql) as copy:
        for row in rows:
            if json_at:
                row = tuple(_json_text(v) if i in json_at else v for i, v in enumerate(row))
            copy.write_row(row)


def _copy_upsert(
    session: Session,
    table: Table,
    names: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    conflict: Sequence[str],
) -> dict[tuple[str, str], int]:
    """PostgreSQL: ``rows`` COPYed into a staging table, then one INSERT … SELECT … ON CONFLICT."""
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    stage = f"mw_stage_{table.name}"
    cols = ", ".join(names)
    defaults = _defaults(table, names)
    try:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
            f"SELECT {cols} FROM {table.name} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {stage}")
        _copy_rows(cursor, f"COPY {stage} ({cols}) FROM STDIN", rows, ())  # JSON already text
        extra_cols = "".join(f", {name}" for name in defaults)
        extra_vals = "".join(", %s" for _ in defaults)
        cursor.execute(
            f"INSERT INTO {table.name} ({cols}{extra_cols}) SELECT {cols}{extra_vals} FROM {stage} "
            f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING RETURNING id, {', '.join(conflict)}",
            [_json_text(v) if isinstance(v, dict | list) else v for v in defaults.values()],
        )
        return {(a, b): lid for lid, a, b in cursor.fetchall()}
    finally:
        cursor.close()
