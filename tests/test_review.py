"""The suspects queue, review transitions with history, and the review CLI."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crawler.cli import cli
from crawler.cli.common import cli_message
from markwatch.errors import NextStep, UserError
from storage.models import Listing, ReviewDecision
from storage.queries import QueueFilter, listing_ids, queue
from storage.review import TRANSITIONS, TransitionError, allowed, history, set_status
from tests.test_review_helpers import T0, add_listings, brand_row, ids_of, record, review_db, sqlite_db

__all__ = ["review_db", "sqlite_db"]  # fixtures used here


def _seed(engine: Engine) -> tuple[int, list[int]]:
    with Session(engine) as s, s.begin():
        bid = brand_row(s)
        hi = [record("100", seller_id="a1", title="VELORIA 高仿 包"), record("101", seller_id="a1")]
        lo = [
            record("200", platform="jd", seller_id="b2", seller_name="薇洛瑞亚折扣店", title="薇洛瑞亚 钱包")
        ]
        weak = [record("300", seller_id="c3", title="velour bag")]
        ids = ids_of(add_listings(s, bid, hi, score=0.95), hi)
        ids += ids_of(add_listings(s, bid, lo, score=0.7, seen_at=T0 + dt.timedelta(days=2)), lo)
        ids += ids_of(add_listings(s, bid, weak, score=0.2, reasons=[]), weak)
    return bid, ids


# --- transitions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "dst", "ok"),
    [
        ("new", "confirmed", True),
        ("new", "dismissed", True),
        ("new", "reported", False),
        ("new", "removed", False),
        ("confirmed", "reported", True),
        ("confirmed", "dismissed", True),
        ("dismissed", "confirmed", True),
        ("dismissed", "reported", False),
        ("reported", "removed", True),
        ("reported", "dismissed", False),
        ("removed", "reinstated", True),
        ("removed", "confirmed", False),
        ("relisted", "confirmed", True),
        ("relisted", "reported", False),
    ],
)
def test_transition_table(src: str, dst: str, ok: bool) -> None:
    assert allowed(src, dst) is ok


def test_every_status_has_an_entry() -> None:
    from storage.models import ListingStatus

    assert set(TRANSITIONS) == {s.value for s in ListingStatus}


def test_changes_are_kept_with_time_actor_note(review_db: Engine) -> None:
    _, ids = _seed(review_db)
    at = dt.datetime(2026, 11, 21, 9, 30)
    with Session(review_db) as s, s.begin():
        res = set_status(s, ids[:2], "confirmed", actor="lin", note="高仿 in title", at=at)
        assert res.changed == ids[:2]
    with Session(review_db) as s, s.begin():
        set_status(s, [ids[0]], "dismissed", actor="wang", note="genuine after all")
    with Session(review_db) as s:
        h = history(s, ids[0])
        assert [(d.from_status, d.to_status, d.actor) for d in h] == [
            ("new", "confirmed", "lin"),
            ("confirmed", "dismissed", "wang"),
        ]
        assert h[0].at == at and h[0].note == "高仿 in title"
        lst = s.get(Listing, ids[0])
        assert lst is not None and lst.status == "dismissed"


def test_impossible_change_is_refused_and_nothing_changes(review_db: Engine) -> None:
    _, ids = _seed(review_db)
    with Session(review_db) as s, s.begin():
        set_status(s, [ids[0]], "confirmed", actor="lin")
        set_status(s, [ids[0]], "reported", actor="lin")
    with pytest.raises(TransitionError) as err, Session(review_db) as s, s.begin():
        set_status(s, [ids[1], ids[0]], "dismissed", actor="lin")
    assert f"listing {ids[0]}" in str(err.value) and "reported" in str(err.value)
    assert "\n" not in str(err.value)
    with Session(review_db) as s:
        statuses = dict(s.execute(select(Listing.id, Listing.status).where(Listing.id.in_(ids[:2]))).all())
        assert statuses == {ids[0]: "reported", ids[1]: "new"}  # the batch was not half applied
        assert s.scalar(select(ReviewDecision.id).where(ReviewDecision.listing_id == ids[1])) is None


def test_unknown_id_and_missing_actor(sqlite_db: Engine) -> None:
    _seed(sqlite_db)
    with Session(sqlite_db) as s:
        with pytest.raises(UserError, match="no listing with id 9999") as err:
            set_status(s, [9999], "confirmed", actor="lin")
        assert err.value.next_step is NextStep.list_listings
        assert cli_message(err.value) == "no listing with id 9999: see `markwatch suspects` for the ids"
        with pytest.raises(UserError, match="who made the change") as err:
            set_status(s, [1], "confirmed", actor=" ")
        assert err.value.param == "actor" and "--" not in str(err.value)  # the library names no CLI flag
        assert cli_message(err.value) == "--actor: say who made the change (a name)"


def test_same_status_is_left_alone(sqlite_db: Engine) -> None:
    _, ids = _seed(sqlite_db)
    with Session(sqlite_db) as s, s.begin():
        set_status(s, ids[:1], "confirmed", actor="lin")
        res = set_status(s, ids[:2], "confirmed", actor="lin")
        assert res.changed == [ids[1]] and res.unchanged == [ids[0]]
        assert len(history(s, ids[0])) == 1


# --- the queue -----------------------------------------------------------------------------------------


def test_queue_order_filters_and_reasons(review_db: Engine) -> None:
    bid, ids = _seed(review_db)
    with Session(review_db) as s:
        rows = queue(s, QueueFilter(brand_id=bid))
        assert [r.id for r in rows] == ids[:3]  # the 0.2 listing is no suspect; highest score first
        assert rows[0].reasons and rows[0].reasons[0]["kind"] == "mark"
        assert [r.id for r in queue(s, QueueFilter(platform="jd"))] == [ids[2]]
        assert [r.id for r in queue(s, QueueFilter(min_score=0.8))] == ids[:2]
        assert [r.id for r in queue(s, QueueFilter(seller="折扣"))] == [ids[2]]
        assert [r.id for r in queue(s, QueueFilter(seller="a1"))] == ids[:2]
        assert [r.id for r in queue(s, QueueFilter(search="钱包"))] == [ids[2]]
        assert [r.id for r in queue(s, QueueFilter(search="veloria"))] == ids[:2]
        assert [r.id for r in queue(s, QueueFilter(since=T0 + dt.timedelta(days=1)))] == [ids[2]]
        everything = queue(s, QueueFilter(suspects_only=False))
        assert [r.id for r in everything] == ids
    with Session(review_db) as s, s.begin():
        set_status(s, [ids[0]], "confirmed", actor="lin")
    with Session(review_db) as s:
        assert ids[0] not in [r.id for r in queue(s, QueueFilter())]  # decided: off the default queue
        assert [r.id for r in queue(s, QueueFilter(statuses=["confirmed"]))] == [ids[0]]
        assert len(listing_ids(s, QueueFilter(statuses=()))) == 3


def test_search_escapes_like_wildcards(sqlite_db: Engine) -> None:
    _seed(sqlite_db)
    with Session(sqlite_db) as s:
        assert queue(s, QueueFilter(search="%")) == []
        assert queue(s, QueueFilter(search="_")) == []


def test_unknown_status_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unknown status"):
        QueueFilter(statuses=["open"]).check()


# --- the CLI -------------------------------------------------------------------------------------------


def _run(db: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args])
    return result.exit_code, result.output


def test_cli_suspects_formats(sqlite_db: Engine, tmp_path: Path) -> None:
    _, ids = _seed(sqlite_db)
    db = str(sqlite_db.url)
    code, out = _run(db, "suspects", "--brand", "veloria", "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    assert [d["id"] for d in data] == ids[:3]
    assert "lexicon: title has 高仿 (0.30)" in data[0]["reasons"]
    code, out = _run(db, "suspects", "--format", "csv", "--platform", "jd")
    assert code == 0, out
    assert out.splitlines()[0].startswith("id,brand,platform") and len(out.splitlines()) == 2
    xlsx = tmp_path / "q.xlsx"
    code, out = _run(db, "suspects", "--format", "xlsx", "--output", str(xlsx))
    assert code == 0, out
    from openpyxl import load_workbook

    ws = load_workbook(xlsx).active
    assert ws is not None and ws.max_row == 4  # header + 3 suspects
    code, out = _run(db, "suspects")
    assert code == 0, out
    assert "VELORIA" in out and "0.95" in out
    code, out = _run(db, "suspects", "--format", "xlsx")
    assert code == 2 and "--output" in out


def test_cli_review_ids_filter_and_errors(sqlite_db: Engine) -> None:
    _, ids = _seed(sqlite_db)
    db = str(sqlite_db.url)
    code, out = _run(db, "review", str(ids[0]), "--confirm", "--note", "fake", "--actor", "lin")
    assert code == 0, out
    assert "1 listing(s) confirmed" in out
    code, out = _run(db, "review", "--platform", "jd", "--dismiss", "--actor", "lin")
    assert code == 0, out
    assert "1 listing(s) dismissed" in out
    code, out = _run(db, "review", "--confirm")
    assert code == 2 and "give listing ids" in out
    code, out = _run(db, "review", str(ids[1]))
    assert code == 2 and "--confirm or --dismiss" in out
    with Session(sqlite_db) as s, s.begin():
        set_status(s, [ids[0]], "reported", actor="lin")
    code, out = _run(db, "review", str(ids[0]), "--dismiss", "--actor", "lin")
    assert code == 2
    assert "cannot become dismissed" in out and "Traceback" not in out
    code, out = _run(db, "review", str(ids[1]), "--confirm", "--reason", "unauthorised-use", "--actor", "x")
    assert code == 0, out
    code, out = _run(db, "review", str(ids[0]), "--history")
    assert code == 0, out
    assert "new → confirmed — fake" in out and "confirmed → reported" in out and "lin" in out
    with Session(sqlite_db) as s:
        lst = s.get(Listing, ids[1])
        assert lst is not None and lst.review_reason == "unauthorised-use"
        d = history(s, ids[0])
        assert d[0].actor == "lin" and d[0].note == "fake"


# --- sellers -------------------------------------------------------------------------------------------


def test_near_pairs_matches_brute_force() -> None:
    from storage.sellers import hamming, near_pairs

    rng = random.Random(7)
    base = [rng.getrandbits(64) for _ in range(40)]
    hashes: list[tuple[int, str]] = []
    for n, b in enumerate(base):
        hashes.append((n, f"{b:016x}"))
        flips = rng.randrange(0, 10)
        v = b
        for bit in rng.sample(range(64), flips):
            v ^= 1 << bit
        hashes.append((1000 + n, f"{v:016x}"))
    for radius in (0, 1, 3, 4, 6, 9):
        got = {(i, j) for i, j, _ in near_pairs(hashes, radius)}
        want = {
            (i, j)
            for i in range(len(hashes))
            for j in range(i + 1, len(hashes))
            if hamming(hashes[i][1], hashes[j][1]) <= radius
        }
        assert got == want


def test_sellers_linked_by_photos_and_repeat_offenders(review_db: Engine) -> None:
    from storage.sellers import photo_groups, seller_report

    shared = "f0f0f0f0f0f0f0f0"
    near = "f0f0f0f0f0f0f0f3"  # 2 bits away
    brand_photo = "0123456789abcdef"
    with Session(review_db) as s, s.begin():
        bid = brand_row(s)
        a = [record("1", seller_id="op-a"), record("2", seller_id="op-a")]
        b = [record("3", platform="jd", seller_id="op-b")]
        c = [record("4", platform="weibo", seller_id="op-c")]
        d = [record("5", seller_id="other")]
        res = add_listings(
            s,
            bid,
            a + b + c + d,
            phashes={"1": [shared], "3": [near], "4": [brand_photo], "5": [brand_photo]},
        )
        set_status(s, ids_of(res, a), "confirmed", actor="lin")
        set_status(s, ids_of(res, a)[:1], "reported", actor="lin")
    with Session(review_db) as s:
        groups = photo_groups(s, brand_id=bid)
        keys = [sorted(m.key for m in g.sellers) for g in groups]
        assert ["jd:op-b", "taobao:op-a"] in keys
        assert ["taobao:other", "weibo:op-c"] in keys  # linked only by the brand's own photo…
        groups = photo_groups(s, brand_id=bid, exclude=[brand_photo])
        assert [sorted(m.key for m in g.sellers) for g in groups] == [["jd:op-b", "taobao:op-a"]]
        g = groups[0]
        assert g.platforms == ["jd", "taobao"] and g.links[0].distance == 2
        linked_by_brand_photo = {r.key: r.linked for r in seller_report(s, bid)}
        assert linked_by_brand_photo["weibo:op-c"] == ["taobao:other"]
        assert {r.key: r.linked for r in seller_report(s, bid, exclude=[brand_photo])}["weibo:op-c"] == []
        report = {r.key: r for r in seller_report(s, bid)}
        assert report["taobao:op-a"].repeat_offender
        assert report["taobao:op-a"].reported == 1 and report["taobao:op-a"].confirmed == 2
        assert "jd:op-b" in report["taobao:op-a"].linked
        assert not report["jd:op-b"].repeat_offender


def test_cli_sellers(sqlite_db: Engine) -> None:
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        add_listings(
            s,
            bid,
            [record("1", seller_id="op-a"), record("3", platform="jd", seller_id="op-b")],
            phashes={"1": ["f0f0f0f0f0f0f0f0"], "3": ["f0f0f0f0f0f0f0f1"]},
        )
    result = CliRunner().invoke(cli, ["--db", str(sqlite_db.url), "sellers", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["linked_by_photos"][0]["sellers"] == ["jd:op-b", "taobao:op-a"]
    result = CliRunner().invoke(cli, ["--db", str(sqlite_db.url), "sellers", "--brand", "veloria"])
    assert result.exit_code == 0, result.output
    assert "op-a" in result.output
