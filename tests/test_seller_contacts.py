"""Contact ids: read by the matcher, stored per seller by ingest, sellers sharing one linked across
platforms (``storage.sellers.contact_groups``, ``markwatch sellers``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crawler.cli import cli
from markwatch.brand import resolve_brand
from matchers import Matcher
from matchers.contacts import find_contacts
from storage.contacts import record_contacts
from storage.ingest import ingest_batch
from storage.models import SellerContact
from storage.sellers import contact_groups, seller_report
from tests.test_review_helpers import brand_row, review_db, sqlite_db

__all__ = ["review_db", "sqlite_db"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("VELORIA 女包 VX: vel_88 私聊", [("wechat", "vel_88")]),
        ("V信 vel88888 看实拍", [("wechat", "vel88888")]),
        ("加微 abc_123 拿货", [("wechat", "abc_123")]),
        ("Ｖｘ：ｖｅｌ＿８８", [("wechat", "vel_88")]),  # full-width: the same id
        ("原单 Q: 28830012", [("qq", "28830012")]),
        ("扣扣 771234567 联系", [("qq", "771234567")]),
        ("一手货源 电话 138 0013 8000", [("phone", "13800138000")]),
        ("微信同号13912345678", [("phone", "13912345678")]),
        ("VELORIA 女包 v 2026新款", []),  # a bare v is not a WeChat word
        ("微信 veloria 包", []),  # a plain word after 微信 is text, not an id
        ("QQ 2026新款", []),
        ("微信支付 包邮", []),
    ],
)
def test_contact_ids_are_read(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(c.kind, c.value) for c in find_contacts(text)] == expected


def test_contact_ids_in_the_score_and_shop_name() -> None:
    m = Matcher(resolve_brand("veloria"))
    r = m.score(
        {
            "platform": "taobao",
            "title": "VELORIA 女包 原单 VX: vel_88",
            "price": 300,
            "seller_name": "V信vel_99",
        }
    )
    got = {(c["kind"], c["value"], c["field"]) for c in r.contacts}
    assert got == {("wechat", "vel_88", "title"), ("wechat", "vel_99", "seller_name")}
    reason = next(x for x in r.reasons if x.kind == "contact-id")
    assert "WeChat id vel_88 (in the title)" in reason.detail and reason.weight > 0
    assert r.to_dict()["contacts"] == r.contacts


def _scored(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    m = Matcher(resolve_brand("veloria"))
    out = []
    for rec, res in zip(records, m.score_many(records), strict=True):
        out.append({**rec, **res.to_dict()})  # as `markwatch match` writes them
    return out


def _rec(item: str, platform: str, seller: str, title: str) -> dict[str, Any]:
    return {
        "platform": platform,
        "item_id": item,
        "url": f"https://example.invalid/{platform}/{item}",
        "title": title,
        "price": 300,
        "seller_id": seller,
        "seller_name": f"shop {seller}",
    }


def test_stored_per_seller_and_linked_across_platforms(review_db: Engine) -> None:
    records = _scored(
        [
            _rec("1", "taobao", "op-a", "VELORIA 女包 原单 VX: vel_88"),
            _rec("2", "taobao", "op-a", "薇洛瑞亚 手提包 V信 vel_88"),  # the same id again: one row
            _rec("3", "weibo", "op-b", "薇洛瑞亚 原单 加微 vel_88 拿货"),
            _rec("4", "jd", "op-c", "VELORIA 高仿 Q: 28830012"),
            _rec("5", "taobao", "op-d", "VELORIA 钱包 扣扣 28830012"),
            _rec("6", "taobao", "op-e", "VELORIA 女包 电话 138 0013 8000"),
        ]
    )
    assert record_contacts(records[0]) == records[0]["contacts"]
    with Session(review_db) as s, s.begin():
        bid = brand_row(s)
        ingest_batch(s, bid, records)
        ingest_batch(s, bid, records)  # seen again: last_seen moves, nothing doubles
    with Session(review_db) as s:
        rows = s.execute(select(SellerContact.platform, SellerContact.seller_id, SellerContact.value)).all()
        assert sorted(rows) == sorted(
            [
                ("taobao", "op-a", "vel_88"),
                ("weibo", "op-b", "vel_88"),
                ("jd", "op-c", "28830012"),
                ("taobao", "op-d", "28830012"),
                ("taobao", "op-e", "13800138000"),
            ]
        )
        groups = {tuple(m.key for m in g.sellers): g for g in contact_groups(s, brand_id=bid)}
        assert set(groups) == {("taobao:op-a", "weibo:op-b"), ("jd:op-c", "taobao:op-d")}
        assert groups[("taobao:op-a", "weibo:op-b")].contacts == ["wechat:vel_88"]
        assert groups[("taobao:op-a", "weibo:op-b")].platforms == ["taobao", "weibo"]
        report = {r.key: r for r in seller_report(s, bid)}
        assert report["taobao:op-a"].linked_by_contact == ["weibo:op-b"]
        assert report["taobao:op-a"].contacts == ["wechat:vel_88"]
        assert "taobao:op-e" not in report  # its id is its own: no link, no suspect listing stored


def test_pipeline_records_carry_contacts_in_raw() -> None:
    rec = {"raw": {"markwatch_match": {"contacts": [{"kind": "qq", "value": "12345", "found": "12345"}]}}}
    assert record_contacts(rec) == [{"kind": "qq", "value": "12345", "found": "12345"}]
    assert record_contacts({"contacts": [{"kind": "fax", "value": "1"}, "x", {"kind": "qq"}]}) == []


def test_cli_sellers_shows_contact_links(sqlite_db: Engine) -> None:
    records = _scored(
        [
            _rec("1", "taobao", "op-a", "VELORIA 女包 原单 VX: vel_88"),
            _rec("2", "weibo", "op-b", "薇洛瑞亚 原单 加微 vel_88"),
        ]
    )
    with Session(sqlite_db) as s, s.begin():
        ingest_batch(s, brand_row(s), records)
    result = CliRunner().invoke(cli, ["--db", str(sqlite_db.url), "sellers", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["linked_by_contacts"] == [
        {
            "sellers": ["taobao:op-a", "weibo:op-b"],
            "platforms": ["taobao", "weibo"],
            "contacts": ["wechat:vel_88"],
        }
    ]
    result = CliRunner().invoke(cli, ["--db", str(sqlite_db.url), "sellers", "--brand", "veloria"])
    assert result.exit_code == 0, result.output
    assert "shared contact" in result.output and "wechat:vel_88" in result.output


def test_contact_ids_read_off_photos_when_given() -> None:
    """The photo stage may put the text it reads off the photos (OCR) in ``photo_text``."""
    m = Matcher(resolve_brand("veloria"))
    r = m.score(
        {"platform": "taobao", "title": "VELORIA 女包", "price": 300, "photo_text": ["实拍 加微 vel_77"]}
    )
    assert [(c["kind"], c["value"], c["field"]) for c in r.contacts] == [("wechat", "vel_77", "photo")]
    assert any("(in a photo)" in x.detail for x in r.reasons)


def test_the_crawl_path_stores_the_matchers_contacts_per_seller(engine) -> None:  # type: ignore[no-untyped-def]
    """A scored listing from the crawl (through the storage service) carries its contact ids to the seller."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from markwatch.listing import Listing
    from markwatch.scored import Score, ScoredListing
    from storage.ingest import sync_brand
    from storage.models import SellerContact
    from storage.service import StoreContext, store
    from tests.test_review_helpers import veloria

    def scored(item_id: str, seller: str, platform: str) -> ScoredListing:
        return ScoredListing(
            Listing(
                platform,
                item_id,
                f"https://item.jd.com/{item_id}.html"
                if platform == "jd"
                else f"https://item.taobao.com/item.htm?id={item_id}",
                "VELORIA 高仿 加微 vel_8899",
                seller_id=seller,
            ),
            Score(
                0.9,
                True,
                "veloria-word",
                contacts=[
                    {"kind": "wechat", "value": "vel_8899", "found": "加微 vel_8899", "field": "title"}
                ],
            ),
        )

    with Session(engine) as s, s.begin():
        bid = sync_brand(s, veloria())
        store(s, StoreContext(bid, None), [scored("1", "shopA", "taobao"), scored("2", "shopB", "jd")])
    with Session(engine) as s:
        rows = s.scalars(select(SellerContact)).all()
        assert {(r.kind, r.value) for r in rows} == {("wechat", "vel_8899")}
        assert len({r.seller_id for r in rows}) == 2
