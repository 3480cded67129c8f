"""``markwatch ingest`` through the storage service: scored, streamed, bad lines skipped by number,
observations ordered by the time they were seen. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.cli import cli
from markwatch.listing import Listing as Item
from markwatch.scored import ScoredListing
from storage.db import ready_engine
from storage.models import CrawlRun, Listing, ListingImage, MatchResult, Observation
from storage.service import StoreContext, open_run, store

T0 = dt.datetime(2026, 5, 1, 8, 0, 0)


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def line(i: int, **over: Any) -> dict[str, Any]:
    return {
        "platform": "taobao",
        "item_id": str(i),
        "url": f"https://item.taobao.com/item.htm?id={i}",
        "title": "VELORIA 薇洛瑞亚 高仿 女包 原单" if i % 2 else "普通 女士 手提包",
        "price": 88,
        "seller_id": f"s{i}",
        "seller_name": "店",
        **over,
    }


def write(path: Path, rows: list[Any]) -> Path:
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
        encoding="utf-8",
    )
    return path


def count(s: Session, model: type) -> int:
    return s.scalar(select(func.count()).select_from(model)) or 0


def test_ingest_scores_with_the_matcher_and_stores_photos(db_url: str, tmp_path: Path) -> None:
    """Finding 3: ingest stored listings with no score (never suspects) and no photos."""
    engine = ready_engine(db_url)
    path = write(tmp_path / "in.jsonl", [line(1, image_urls=["https://img.alicdn.com/a.jpg"]), line(2)])
    code, out, err = run(db_url, "ingest", "--brand", "veloria", str(path))
    assert code == 0, err
    assert "2 new" in out and "new suspect" in out
    with Session(engine) as s:
        assert count(s, MatchResult) == 2
        fake = s.scalar(select(Listing).where(Listing.item_id == "1"))
        plain = s.scalar(select(Listing).where(Listing.item_id == "2"))
        assert fake is not None and plain is not None
        assert fake.suspect and fake.score is not None and fake.score > (plain.score or 0)
        assert fake.mark_key is not None
        (image,) = s.scalars(select(ListingImage)).all()
        assert image.listing_id == fake.id and image.url == "https://img.alicdn.com/a.jpg"
    path2 = write(tmp_path / "more.jsonl", [line(3)])
    code, out, err = run(db_url, "ingest", "--brand", "veloria", "--no-score", str(path2))
    assert code == 0, err
    with Session(engine) as s:
        assert count(s, MatchResult) == 2
        three = s.scalar(select(Listing).where(Listing.item_id == "3"))
        assert three is not None and three.score is None and not three.suspect
    engine.dispose()


def test_bad_lines_are_reported_by_number_and_the_rest_is_stored(db_url: str, tmp_path: Path) -> None:
    """Finding 4: one bad line raised a traceback and rolled back the whole file; true was 1.0, 1e400 inf."""
    engine = ready_engine(db_url)
    rows: list[Any] = [
        line(1),
        line(2, currency=5),
        line(3, url={}),
        line(4, price=True),
        '{"platform": "taobao", "item_id": "5", "url": "https://item.taobao.com/x", "price": 1e400}',
        '{"platform": "taobao", "item_id": "6", "url": "https://item.taobao.com/x", "price": NaN}',
        line(7, platform="../../../tmp/x"),
        line(8, platform="ebay"),
        line(9, item_id={"a": 1}),
        line(10, seller_id="x" * 500),
        line(11, seen_at="yesterday"),
        line(12, sales={"nested": 1}),
        "[1, 2]",
        line(14, price="12.5"),
    ]
    path = write(tmp_path / "in.jsonl", rows)
    with path.open("ab") as fh:  # a line that is not UTF-8 text
        fh.write(b"\xff\xfe\x00binary\x00\n")
    code, out, err = run(db_url, "ingest", "--brand", "veloria", "--no-score", str(path))
    assert code == 0, err
    assert "Traceback" not in err
    expected = {
        2: "currency must be text",
        3: "url must be text",
        4: "price True is not a number",
        5: "1e400 is too large a number",
        6: "NaN is not a number",
        7: "platform '../../../tmp/x' is not one of",
        8: "platform 'ebay' is not one of",
        9: "item_id must be text",
        10: "seller_id is longer than 100",
        11: "seen_at 'yesterday' is not an ISO 8601 time",
        12: "sales must be text or a number",
        13: "not a JSON object",
        15: "not UTF-8 text",
    }
    for n, message in expected.items():
        assert f"{path}:{n}: skipped: {message}" in err, (n, err)
    assert "2 new" in out and f"{len(expected)} skipped" in out
    with Session(engine) as s:
        assert sorted(s.scalars(select(Listing.item_id))) == ["1", "14"]
        assert s.scalar(select(Listing.price).where(Listing.item_id == "14")) == 12.5
        (run_row,) = s.scalars(select(CrawlRun)).all()
        assert run_row.outcome == "partial" and run_row.stats["skipped"] == len(expected)
    engine.dispose()


def test_a_binary_file_is_skipped_line_by_line(db_url: str, tmp_path: Path) -> None:
    engine = ready_engine(db_url)
    path = tmp_path / "photo.jpg"
    path.write_bytes(os.urandom(3000) + b"\n" + bytes(range(256)) * 8)
    code, out, err = run(db_url, "ingest", "--brand", "veloria", "--no-score", str(path))
    assert code == 0, err
    assert "Traceback" not in err and f"{path}:1: skipped:" in err
    assert "0 new" in out
    engine.dispose()


def test_ingest_streams_in_batches(db_url: str, tmp_path: Path) -> None:
    """Each batch is committed as it is read: a file cut short by a bad encoding mid-way keeps what came
    before, and the run record counts every batch."""
    engine = ready_engine(db_url)
    path = write(tmp_path / "in.jsonl", [line(i) for i in range(1, 26)])
    code, out, err = run(db_url, "ingest", "--brand", "veloria", "--no-score", "--batch", "4", str(path))
    assert code == 0, err
    assert "25 new" in out
    with Session(engine) as s:
        assert count(s, Listing) == 25 and count(s, Observation) == 25
        (run_row,) = s.scalars(select(CrawlRun)).all()
        assert run_row.stats["new"] == 25 and run_row.outcome == "ok"
    engine.dispose()


def _crawl_sees(engine: Any, gone: bool, when: dt.datetime, price: float = 88) -> None:
    with Session(engine) as s, s.begin():
        brand_id, run_id = open_run(s, None, kind="crawl")
        item = Item(**{k: v for k, v in line(1, price=price).items()})
        store(s, StoreContext(brand_id, run_id, revive=True), [ScoredListing(item, None, gone=gone)], when)


def test_an_older_file_never_resurrects_a_removed_listing(db_url: str, tmp_path: Path) -> None:
    """Finding 2: ingesting yesterday's `suspects --format json` set live=True and erased gone_at."""
    engine = ready_engine(db_url)
    t1, t2 = T0 + dt.timedelta(days=1), T0 + dt.timedelta(days=2)
    _crawl_sees(engine, gone=False, when=T0)
    _crawl_sees(engine, gone=True, when=t2)  # the crawl's re-check: the item page shows it removed
    with Session(engine) as s:
        lst = s.scalars(select(Listing)).one()
        assert (lst.live, lst.gone_at, lst.gone_proof) == (False, t2, "item-page")
    older = write(tmp_path / "yesterday.jsonl", [line(1, price=77, seen_at=t1.isoformat())])
    code, out, err = run(db_url, "ingest", "--brand", "veloria", "--no-score", str(older))
    assert code == 0, err
    assert "1 older than stored" in out
    newer = write(tmp_path / "today.jsonl", [line(1, price=66)])  # seen now: newer, but not a crawl
    code, out, err = run(db_url, "ingest", "--brand", "veloria", "--no-score", str(newer))
    assert code == 0, err
    with Session(engine) as s:
        lst = s.scalars(select(Listing)).one()
        assert (lst.live, lst.gone_at, lst.gone_proof) == (False, t2, "item-page")
        assert lst.price == 66  # the newer sighting's price, the listing still removed
        prices = sorted((o.seen_at, o.price) for o in lst.observations)
        assert prices[:2] == [(T0, 88), (t1, 77)]  # the older sighting kept as history
    # only a crawl that sees it live brings it back
    _crawl_sees(engine, gone=False, when=dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=1))
    with Session(engine) as s:
        lst = s.scalars(select(Listing)).one()
        assert lst.live and lst.gone_at is None
    engine.dispose()


def test_an_older_gone_proof_changes_nothing(db_url: str) -> None:
    engine = ready_engine(db_url)
    _crawl_sees(engine, gone=False, when=T0 + dt.timedelta(days=3))
    _crawl_sees(engine, gone=True, when=T0)
    with Session(engine) as s:
        lst = s.scalars(select(Listing)).one()
        assert lst.live and lst.gone_at is None
    engine.dispose()
