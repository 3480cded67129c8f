"""Migrations and idempotent ingest, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from markwatch.brand import resolve_brand
from markwatch.errors import UserError
from storage.db import check_current, current_revision, downgrade, head_revision, make_engine, upgrade
from storage.ingest import RecordError, ingest_batch, sync_brand
from storage.models import Listing, Mark, Observation, Seller


def record(i: int, **over: Any) -> dict[str, Any]:
    base = {
        "platform": "taobao",
        "item_id": str(i),
        "url": f"https://item.taobao.com/item.htm?id={i}",
        "title": f"veloria 手提包 {i}",
        "price": 199.0,
        "currency": "CNY",
        "seller_id": f"s{i % 7}",
        "seller_name": f"店铺{i % 7}",
        "sales": "300+人付款",
    }
    return {**base, **over}


def count(s: Session, model: type) -> int:
    return s.scalar(select(func.count()).select_from(model)) or 0


def test_migrations_upgrade_from_empty_and_downgrade_back(db_url: str) -> None:
    engine = make_engine(db_url)
    assert current_revision(engine) is None
    with pytest.raises(UserError, match="run `markwatch db upgrade`"):
        check_current(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    check_current(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"listings", "observations", "match_results", "takedown_cases", "evidence"} <= tables
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_ingest_is_idempotent_and_keeps_history(engine: Engine) -> None:
    brand = resolve_brand("veloria")
    t0 = dt.datetime(2026, 1, 1)
    with Session(engine) as s, s.begin():
        bid = sync_brand(s, brand)
        first = ingest_batch(s, bid, [record(i) for i in range(50)], seen_at=t0)
    assert (first.new, first.changed, first.unchanged) == (50, 0, 0)
    with Session(engine) as s, s.begin():
        again = ingest_batch(s, bid, [record(i) for i in range(50)], seen_at=t0 + dt.timedelta(days=1))
        assert (again.new, again.changed, again.unchanged) == (0, 0, 50)
        assert count(s, Listing) == 50 and count(s, Observation) == 50
    with Session(engine) as s, s.begin():
        changed = [record(i, price=99.0) if i < 5 else record(i) for i in range(50)]
        changed[7] = record(7, seller_id="other", seller_name="别家")
        changed.append(record(50))
        third = ingest_batch(s, bid, changed, seen_at=t0 + dt.timedelta(days=2))
        assert (third.new, third.changed, third.unchanged) == (1, 6, 44)
        assert count(s, Listing) == 51
        listing = s.scalar(select(Listing).where(Listing.item_id == "3"))
        assert listing is not None
        assert listing.price == 99.0
        assert [o.price for o in listing.observations] == [199.0, 99.0]  # nothing lost
        assert listing.first_seen == t0 and listing.last_seen == t0 + dt.timedelta(days=2)
        assert listing.extra["sales"] == "300+人付款"
        moved = s.scalar(select(Listing).where(Listing.item_id == "7"))
        assert moved is not None and moved.seller_id == "other"
        assert count(s, Seller) == 8


def test_duplicate_keys_in_one_batch_make_one_row(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        result = ingest_batch(s, None, [record(1), record(1, price=5.0), record(1, platform="jd")])
        assert result.received == 3 and result.new == 2
        assert s.scalar(select(Listing.price).where(Listing.platform == "taobao")) == 5.0


def test_seen_again_after_gone_is_reported(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        ingest_batch(s, None, [record(1)])
        row = s.scalar(select(Listing))
        assert row is not None
        row.live = False
    with Session(engine) as s, s.begin():
        result = ingest_batch(s, None, [record(1)])
        assert result.reappeared_ids == [result.ids[("taobao", "1")]]
        assert s.scalar(select(Listing.live)) is True


@pytest.mark.parametrize(
    ("bad", "message"),
    [({"platform": "jd", "url": "u"}, "missing item_id"), ({**record(1), "price": "cheap"}, "not a number")],
)
def test_bad_records_are_refused_before_anything_is_written(
    engine: Engine, bad: dict[str, Any], message: str
) -> None:
    with Session(engine) as s:
        with pytest.raises(RecordError, match=message), s.begin():
            ingest_batch(s, None, [record(1), bad])
        assert count(s, Listing) == 0


def test_brand_sync_updates_marks(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        sync_brand(s, resolve_brand("veloria"))
        bid = sync_brand(s, resolve_brand("veloria"))
        marks = s.scalars(select(Mark).where(Mark.brand_id == bid)).all()
        assert sorted(m.key for m in marks) == ["veloria-logo", "veloria-word"]
        assert all(m.chinese for m in marks)


def test_models_and_migrations_agree(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from storage.models import metadata

    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
