"""The bulk ingest paths: ids of new rows, what each column stores, sellers, concurrent writers."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

import storage.ingest
from storage.db import ready_engine
from storage.ingest import check_record, content_hash, ingest_batch, lookup
from storage.models import Listing, Observation, Seller

T0 = dt.datetime(2026, 3, 1, 8, 30, 15, 123456)


def record(platform: str, i: int, **over: Any) -> dict[str, Any]:
    base = {
        "platform": platform,
        "item_id": str(i),
        "url": f"https://example.com/{platform}/{i}",
        "title": f"veloria 手提包 {i}",
        "price": 100.0 + i,
        "currency": "CNY",
        "seller_id": f"s{i % 3}",
        "seller_name": f"店铺{i % 3}",
    }
    return {**base, **over}


def stored_ids(s: Session) -> dict[tuple[str, str], int]:
    return {(p, i): lid for lid, p, i in s.execute(select(Listing.id, Listing.platform, Listing.item_id))}


def check_ids(s: Session, result: Any, keys: list[tuple[str, str]]) -> None:
    """Every key's id is the stored row's, and each new listing's observation points at it."""
    db = stored_ids(s)
    assert {k: result.ids[k] for k in keys} == {k: db[k] for k in keys}
    for lid in result.new_ids:
        assert s.scalar(select(Observation.listing_id).where(Observation.listing_id == lid)) == lid


def test_new_ids_are_the_stored_rows_beside_existing_ones(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        first = ingest_batch(s, None, [record("jd", i) for i in range(10)], seen_at=T0)
        # a row with a far higher id than the rest, as left by a deleted range or a manual insert
        s.add(Listing(id=5000, platform="jd", item_id="far", url="u", content_hash="x"))
        s.flush()
    check = [record("taobao", i) for i in range(20)] + [record("jd", i) for i in range(5, 15)]
    with Session(engine) as s, s.begin():
        again = ingest_batch(s, None, check, seen_at=T0 + dt.timedelta(hours=1))
        assert (again.new, again.unchanged) == (25, 5)
        keys = [(r["platform"], r["item_id"]) for r in check]
        check_ids(s, again, keys)
        assert [again.ids[k] for k in keys[:20] + keys[25:]] == again.new_ids
        if engine.dialect.name == "sqlite":  # one more than the largest id, whatever lies below
            assert min(again.new_ids) == 5001
        assert {again.ids[("jd", str(i))] for i in range(5, 10)} == {
            first.ids[("jd", str(i))] for i in range(5, 10)
        }


def test_ids_when_sqlite_picks_rowids_at_random(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the largest id is taken SQLite picks ids at random: the ids are looked up instead."""
    lookups: list[int] = []

    def counting_lookup(session: Session, keys: Any, *cols: Any) -> Any:
        lookups.append(len(keys))
        return lookup(session, keys, *cols)

    monkeypatch.setattr(storage.ingest, "lookup", counting_lookup)
    engine = ready_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with Session(engine) as s, s.begin():
        ordinary = ingest_batch(s, None, [record("jd", i) for i in range(5)])
        check_ids(s, ordinary, [("jd", str(i)) for i in range(5)])
    assert lookups == []  # consecutive ids: no look-up
    with Session(engine) as s, s.begin():
        s.add(Listing(id=2**63 - 1, platform="jd", item_id="last", url="u", content_hash="x"))
    batch = [record("weibo", i) for i in range(50)]
    with Session(engine) as s, s.begin():
        result = ingest_batch(s, None, batch)
        assert result.new == 50 and lookups == [50]
        check_ids(s, result, [("weibo", str(i)) for i in range(50)])
    engine.dispose()


def test_what_each_column_stores(engine: Engine) -> None:
    odd = [
        record("taobao", 1, price=None, currency=None, seller_id=None, seller_name=None),
        record("taobao", 2, price="19.999", currency="", seller_id=42, kind="post", raw={"中": [1, 2]}),
        record(
            "TMall ",
            3,
            item_id=" 3 ",
            title=None,
            sales="5+人付款",
            location="",
            image_urls=[],
            reposts=0,
            shop_url="https://shop.example.com",
        ),
        record("jd", 4, currency="USD", seller_id="", seller_name="nobody"),
    ]
    with Session(engine) as s, s.begin():
        result = ingest_batch(s, None, odd, seen_at=T0)
        assert result.new == 4
    with Session(engine) as s:
        rows = {(r.platform, r.item_id): r for r in s.scalars(select(Listing))}
        assert set(rows) == {("taobao", "1"), ("taobao", "2"), ("tmall", "3"), ("jd", "4")}
        for raw in odd:
            rec = check_record(raw)
            row = rows[(rec["platform"], rec["item_id"])]
            assert row.content_hash == content_hash(rec)
            assert (row.first_seen, row.last_seen) == (T0, T0)
            assert (row.live, row.status, row.suspect, row.gone_at) == (True, "new", False, None)
            (obs,) = row.observations
            assert (obs.seen_at, obs.content_hash, obs.title, obs.price) == (
                T0,
                row.content_hash,
                row.title,
                row.price,
            )
            assert obs.raw == (raw.get("raw") or {})
        one, two, three, four = (rows[k] for k in sorted(rows, key=lambda k: k[1].strip()))
        assert (one.price, one.currency, one.seller_id, one.seller_ref, one.kind) == (
            None,
            None,
            None,
            None,
            "product",
        )
        assert one.observations[0].currency is None
        assert (two.price, two.currency, two.seller_id, two.kind) == (19.999, "CNY", "42", "post")
        assert two.observations[0].currency == ""  # the observation keeps what the record said
        assert two.observations[0].seller_id == "42"
        assert three.title == "" and three.extra == {
            "sales": "5+人付款",
            "reposts": 0,
            "shop_url": "https://shop.example.com",
        }
        assert (four.currency, four.seller_id, four.seller_ref, four.seller_name) == (
            "USD",
            None,
            None,
            "nobody",
        )
        seller = s.get(Seller, two.seller_ref)
        assert seller is not None and (seller.platform, seller.seller_id) == ("taobao", "42")


def test_sellers_are_made_once_and_their_last_seen_moves(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        ingest_batch(s, None, [record("jd", i) for i in range(9)], seen_at=T0)
        ingest_batch(s, None, [record("jd", 9, seller_id="s9")], seen_at=T0)
    later = T0 + dt.timedelta(days=1)
    with Session(engine) as s, s.begin():
        result = ingest_batch(
            s, None, [record("jd", i, seller_name="renamed") for i in (0, 1, 20)], seen_at=later
        )
        assert (result.new, result.changed) == (1, 2)
    with Session(engine) as s:
        sellers = {x.seller_id: x for x in s.scalars(select(Seller))}
        assert sorted(sellers) == ["s0", "s1", "s2", "s9"]
        assert {k: x.last_seen for k, x in sellers.items()} == {
            "s0": later,
            "s1": later,
            "s2": later,
            "s9": T0,
        }
        assert sellers["s0"].name == "店铺0" and sellers["s0"].first_seen == T0
        refs = {i: r for i, r in s.execute(select(Listing.item_id, Listing.seller_ref))}
        assert refs["20"] == sellers["s2"].id and refs["9"] == sellers["s9"].id


def test_unchanged_rows_come_back_live_with_the_new_run_time(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        ingest_batch(s, None, [record("jd", i) for i in range(4)], seen_at=T0)
        s.execute(Listing.__table__.update().values(live=False, gone_at=T0))  # type: ignore[attr-defined]
    later = T0 + dt.timedelta(days=2)
    with Session(engine) as s, s.begin():
        result = ingest_batch(s, None, [record("jd", i) for i in range(4)], seen_at=later)
        assert result.unchanged == 4 and sorted(result.reappeared_ids) == sorted(result.ids.values())
    with Session(engine) as s:
        rows = s.execute(select(Listing.live, Listing.gone_at, Listing.last_seen, Listing.first_seen)).all()
        assert set(rows) == {(True, None, later, T0)}
        assert s.scalar(select(func.count()).select_from(Observation)) == 4


def test_two_writers_on_one_sqlite_file(tmp_path: Path) -> None:
    """A second session that ingests while the first holds the write lock waits for it, and both get
    the ids of their own rows (the ids of a batch are read under the lock)."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first_engine, second_engine = ready_engine(url), ready_engine(url)
    with Session(first_engine) as s, s.begin():
        ingest_batch(s, None, [record("jd", i) for i in range(3)])
    inserted, done = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def second() -> None:
        inserted.wait(10)
        try:
            with Session(second_engine) as s, s.begin():
                res = ingest_batch(s, None, [record("taobao", i) for i in range(300)])
                outcome["ids"] = dict(res.ids)
        except Exception as exc:  # reported by the assertion below
            outcome["error"] = exc
        done.set()

    thread = threading.Thread(target=second)
    thread.start()
    with Session(first_engine) as s, s.begin():
        mine = ingest_batch(s, None, [record("weibo", i) for i in range(200)])
        inserted.set()
        assert not done.wait(0.5)  # the second writer is waiting for this transaction
    thread.join(20)
    assert "error" not in outcome and len(outcome["ids"]) == 300
    with Session(first_engine) as s:
        db = stored_ids(s)
        assert mine.ids == {k: db[k] for k in mine.ids}
        assert outcome["ids"] == {k: db[k] for k in outcome["ids"]}
        assert len(db) == 503
    first_engine.dispose()
    second_engine.dispose()


@pytest.mark.parametrize("n", [1, 4999, 5001])
def test_batch_sizes_around_the_chunks(engine: Engine, n: int) -> None:
    with Session(engine) as s, s.begin():
        result = ingest_batch(s, None, [record("tmall", i) for i in range(n)], seen_at=T0)
        assert result.new == n
        check_ids(s, result, [("tmall", str(i)) for i in range(n)])
        again = ingest_batch(s, None, [record("tmall", i) for i in range(n)], seen_at=T0)
        assert again.unchanged == n and again.ids == result.ids


def test_objects_loaded_in_the_session_see_the_updates(engine: Engine) -> None:
    """As with ORM statements: pending objects are flushed first, loaded ones take the new values."""
    with Session(engine) as s, s.begin():
        ingest_batch(s, None, [record("jd", i) for i in range(3)], seen_at=T0)
    later = T0 + dt.timedelta(days=3)
    with Session(engine) as s, s.begin():
        listing = s.scalars(select(Listing).where(Listing.item_id == "1")).one()
        seller = s.scalars(select(Seller).where(Seller.seller_id == "s1")).one()
        listing.live = False
        s.flush()
        s.add(Seller(platform="jd", seller_id="pending", name="not flushed yet"))
        batch = [record("jd", i) for i in range(3)] + [record("jd", 9, seller_id="pending")]
        result = ingest_batch(s, None, batch, seen_at=later)
        assert result.reappeared_ids == [listing.id]
        # no refresh from the database: the loaded objects were updated in place
        assert "live" in listing.__dict__ and (listing.live, listing.last_seen) == (True, later)
        assert seller.__dict__["last_seen"] == later
        assert s.scalar(select(func.count()).select_from(Seller).where(Seller.seller_id == "pending")) == 1
