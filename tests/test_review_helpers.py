"""Shared builders for the review / evidence / takedown / cases tests (no tests of its own).

``review_db`` is a migrated engine per test: a temp SQLite file, and PostgreSQL (a fresh schema of
its own, dropped afterwards) when ``MARKWATCH_TEST_POSTGRES`` holds a URL. Data is made with
:func:`storage.ingest.ingest_batch` plus direct rows (scores, photos, match reasons).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from markwatch.brand import Brand as BrandConfig
from markwatch.brand import resolve_brand
from storage.db import ready_engine
from storage.ingest import IngestResult, ingest_batch, sync_brand
from storage.models import Listing, ListingImage, MatchResult

PG_URL = os.environ.get("MARKWATCH_TEST_POSTGRES")
T0 = dt.datetime(2026, 11, 20, 8, 0, 0)


def _pg_scoped(base: str) -> tuple[str, str]:
    schema = f"mw_review_{uuid.uuid4().hex[:10]}"
    url = make_url(base).set(drivername="postgresql+psycopg")
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False), schema


def _pg_drop(base: str, schema: str) -> None:
    admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def review_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated engine: SQLite always, PostgreSQL when MARKWATCH_TEST_POSTGRES is set."""
    if request.param == "sqlite":
        eng = ready_engine(f"sqlite:///{tmp_path / 'review.db'}")
        yield eng
        eng.dispose()
        return
    if not PG_URL:
        pytest.skip("MARKWATCH_TEST_POSTGRES is not set")
    url, schema = _pg_scoped(PG_URL)
    eng = ready_engine(url)
    try:
        yield eng
    finally:
        eng.dispose()
        _pg_drop(PG_URL, schema)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Engine]:
    eng = ready_engine(f"sqlite:///{tmp_path / 'review.db'}")
    yield eng
    eng.dispose()


def veloria() -> BrandConfig:
    return resolve_brand("veloria")


def brand_row(session: Session, brand: BrandConfig | None = None) -> int:
    return sync_brand(session, brand or veloria())


def record(
    item_id: str,
    *,
    platform: str = "taobao",
    seller_id: str | None = "s1",
    seller_name: str | None = None,
    title: str | None = None,
    price: float | None = 199.0,
) -> dict[str, Any]:
    hosts = {
        "taobao": "https://item.taobao.com/item.htm?id={}",
        "tmall": "https://detail.tmall.com/item.htm?id={}",
        "jd": "https://item.jd.com/{}.html",
        "weibo": "https://weibo.com/1234567890/{}",
    }
    return {
        "platform": platform,
        "item_id": item_id,
        "url": hosts[platform].format(item_id),
        "title": title or f"VELORIA 高仿 手提包 {item_id}",
        "price": price,
        "seller_id": seller_id,
        "seller_name": seller_name or (f"shop-{seller_id}" if seller_id else None),
    }


def add_listings(
    session: Session,
    brand_id: int,
    records: Sequence[dict[str, Any]],
    *,
    score: float = 0.9,
    mark_key: str | None = "veloria-word",
    reasons: list[dict[str, Any]] | None = None,
    phashes: dict[str, list[str]] | None = None,
    run_id: int | None = None,
    seen_at: dt.datetime | None = None,
) -> IngestResult:
    """Ingest ``records`` and give each a score, a match result with ``reasons`` and photos."""
    result = ingest_batch(session, brand_id, records, run_id=run_id, seen_at=seen_at or T0)
    ids = [result.ids[(r["platform"], r["item_id"])] for r in records]
    session.execute(
        update(Listing)
        .where(Listing.id.in_(ids))
        .values(score=score, suspect=score >= 0.5, mark_key=mark_key)
    )
    rs = (
        reasons
        if reasons is not None
        else [
            {"kind": "mark", "detail": "title contains 'VELORIA'", "weight": 0.6},
            {"kind": "lexicon", "detail": "title has 高仿", "weight": 0.3},
        ]
    )
    for lid in ids:
        session.add(
            MatchResult(
                listing_id=lid,
                brand_id=brand_id,
                score=score,
                suspect=score >= 0.5,
                mark_key=mark_key,
                reasons=rs,
                engine_version="test",
            )
        )
    for r, lid in zip(records, ids, strict=True):
        for n, ph in enumerate((phashes or {}).get(r["item_id"], [])):
            url = f"https://img.example/{r['item_id']}/{n}.jpg"
            session.add(ListingImage(listing_id=lid, url=url, phash=ph))
    session.flush()
    return result


def ids_of(result: IngestResult, records: Sequence[dict[str, Any]]) -> list[int]:
    return [result.ids[(r["platform"], r["item_id"])] for r in records]
