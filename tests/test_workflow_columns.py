"""Migration 0004: analyst and workflow state in typed columns, never in the crawled ``extra`` bag."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.db import current_revision, downgrade, make_engine, upgrade
from storage.ingest import ingest_batch, sync_brand
from storage.models import Listing, Observation

T0 = dt.datetime(2026, 3, 1, 12, 0, 0)


def _listing_row(conn: sa.Connection, lid: int, extra: str, gone: bool = False) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO listings (id, platform, item_id, kind, url, title, content_hash, first_seen, "
            "last_seen, live, gone_at, status, suspect, extra) VALUES (:id, 'jd', :item, 'product', "
            "'https://item.jd.com/1.html', 't', 'h', :t, :t, :live, :gone, 'removed', false, :extra)"
        ),
        {
            "id": lid,
            "item": str(lid),
            "t": T0,
            "live": not gone,
            "gone": T0 if gone else None,
            "extra": extra,
        },
    )
    conn.execute(
        sa.text(
            "INSERT INTO observations (listing_id, seen_at, title, content_hash, raw) "
            "VALUES (:id, :t, 't', 'h', '{}')"
        ),
        {"id": lid, "t": T0},
    )


def test_0004_moves_extra_keys_to_columns_and_back_without_losing_rows(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine, "0003")
    flag = (
        '{"run_id": null, "at": "2026-03-02T10:00:00", "status": "removed", '
        '"first_at": "2026-03-01T09:00:00"}'
    )
    with engine.begin() as conn:
        _listing_row(conn, 1, '{"sales": "9", "reason": "counterfeit", "seen_after_takedown": ' + flag + "}")
        _listing_row(conn, 2, '{"sales": "3"}', gone=True)
    upgrade(engine, "0004")
    with Session(engine) as s:
        one, two = s.get(Listing, 1), s.get(Listing, 2)
        assert one is not None and two is not None
        assert one.extra == {"sales": "9"}
        assert one.review_reason == "counterfeit"
        assert one.seen_after_takedown_status == "removed"
        assert one.seen_after_takedown_at == dt.datetime(2026, 3, 2, 10)
        assert one.seen_after_takedown_first_at == dt.datetime(2026, 3, 1, 9)
        assert one.seen_after_takedown_count == 1
        assert two.gone_proof == "legacy" and two.review_reason is None
        assert two.seen_after_takedown_count == 0
    downgrade(engine, "0003")
    assert current_revision(engine) == "0003"
    with engine.connect() as conn:
        extra = conn.execute(sa.text("SELECT extra FROM listings WHERE id = 1")).scalar_one()
        extra = extra if isinstance(extra, dict) else __import__("json").loads(extra)
        assert extra["reason"] == "counterfeit" and extra["sales"] == "9"
        assert extra["seen_after_takedown"]["status"] == "removed"
        # no copy of the listings table: its children are all still there
        assert conn.execute(sa.text("SELECT count(*) FROM observations")).scalar_one() == 2
    engine.dispose()


def test_a_changed_recrawl_keeps_the_reason_and_the_takedown_sightings(engine: Engine) -> None:
    """Finding 1: a re-crawl that sees a change replaced ``extra`` whole and wiped the analyst's state."""
    record = {"platform": "jd", "item_id": "7", "url": "https://item.jd.com/7.html", "title": "a", "price": 5}
    with Session(engine) as s, s.begin():
        ingest_batch(s, None, [record], seen_at=T0)
        lst = s.scalars(sa.select(Listing)).one()
        lst.review_reason = "unauthorised-use"
        lst.seen_after_takedown_at = T0
        lst.seen_after_takedown_count = 1
        lst.seen_after_takedown_status = "reported"
    with Session(engine) as s, s.begin():
        res = ingest_batch(
            s, None, [{**record, "price": 6, "sales": "10+"}], seen_at=T0 + dt.timedelta(days=1)
        )
        assert res.changed == 1
    with Session(engine) as s:
        lst = s.scalars(sa.select(Listing)).one()
        assert lst.price == 6 and lst.extra == {"sales": "10+"}
        assert lst.review_reason == "unauthorised-use"
        assert lst.seen_after_takedown_count == 1 and lst.seen_after_takedown_status == "reported"
        assert s.scalar(sa.select(sa.func.count()).select_from(Observation)) == 2


def test_sync_brand_still_works_on_the_new_schema(engine: Engine) -> None:
    from markwatch.brand import resolve_brand

    with Session(engine) as s, s.begin():
        assert sync_brand(s, resolve_brand("veloria")) > 0
