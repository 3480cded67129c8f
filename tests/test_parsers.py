"""The parsers on markwatch's own fixtures (tests/fixtures/): every outcome, in the real shapes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from crawler.cli import cli
from spiders.common import count, price, strip_tags, to_text
from spiders.jd.legacy import jd_image, parse_jd_item, parse_jd_prices, parse_jd_search
from spiders.jd.today import parse_jd_api
from spiders.refusals import advice, refusal_from_url
from spiders.registry import kind_of, parse_any
from spiders.taobao.legacy import parse_taobao_item, parse_taobao_mtop, parse_taobao_search
from spiders.tmall.legacy import parse_tmall_item, parse_tmall_search
from spiders.weibo.legacy import CHINA, parse_weibo_mobile, parse_weibo_search, standardize_date

FIXTURES = Path(__file__).parent / "fixtures"
NOW = dt.datetime(2026, 3, 6, 10, 0, tzinfo=CHINA)


def fx(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --- Taobao ---------------------------------------------------------------------------------------


def test_taobao_search_gbk_page() -> None:
    page = parse_taobao_search(fx("taobao/search_gbk.html"), "https://s.taobao.com/search?q=veloria&s=44")
    assert page.outcome == "ok" and page.total_pages == 3 and page.total_results == 103
    ad, tmall, plain = page.listings
    assert ad.item_id == "600000000001" and ad.url == "https://item.taobao.com/item.htm?id=600000000001"
    assert ad.shop_url == "https://store.taobao.com/shop/view_shop.htm?user_number_id=3300001"
    assert ad.title == "VELORIA 薇洛瑞亚 真皮手提包 女 2026新款" and ad.price == 399.0
    assert ad.image_urls == [
        "https://g-search1.alicdn.com/img/bao/uploaded/i4/imgextra/i1/1001/TB2Veloria_!!0-saturn_solar.jpg"
    ]
    assert ad.page == 2  # s=44
    assert tmall.url == "https://detail.tmall.com/item.htm?id=600000000002" and tmall.platform == "tmall"
    assert ad.platform == "taobao" and plain.platform == "taobao"
    assert tmall.seller_name == "veloria官方旗舰店" and tmall.comments == 310
    assert plain.location == "福建 莆田" and plain.sales == "7261人付款"


def test_taobao_search_noresult_and_layout_change() -> None:
    empty = parse_taobao_search(fx("taobao/search_noresult.html"), "https://s.taobao.com/search?q=veloriaxx")
    assert empty.outcome == "empty" and not empty.listings
    changed = parse_taobao_search(fx("taobao/search_layout_changed.html"), "https://s.taobao.com/search?q=v")
    assert changed.outcome == "layout-changed" and "auctions" in changed.detail
    assert parse_taobao_search(b"<html><body>hello</body></html>", "https://s.taobao.com/search").outcome == (
        "layout-changed"
    )


def test_taobao_login_redirect_is_a_refusal() -> None:
    url = "https://login.taobao.com/member/login.jhtml?redirectURL=http%3A%2F%2Fs.taobao.com%2Fsearch%3Fq%3Dv"
    page = parse_taobao_search(b"<html>login</html>", url)
    assert page.outcome == "refused:login" and page.refusal == "login"
    assert "MARKWATCH_COOKIES_TAOBAO" in advice("taobao", "login")


def test_taobao_mtop() -> None:
    url = (
        "https://h5api.m.taobao.com/h5/mtop.relationrecommend.wirelessrecommend.recommend/2.0/?jsv=2.7.2"
        "&data=%7B%22appId%22%3A%2234385%22%2C%22params%22%3A%22%7B%5C%22page%5C%22%3A2%7D%22%7D"
    )
    page = parse_taobao_mtop(fx("taobao/mtop_ok.jsonp"), url)
    assert page.outcome == "ok" and page.total_results == 96 and page.total_pages == 2
    assert page.next == {"sourceS": "48", "bcoffset": "0", "ntoffset": "6", "totalResults": "96"}
    a, b = page.listings
    assert (a.item_id, a.price, a.seller_id, a.seller_name, a.location) == (
        "700000000001",
        119.0,
        "4400001",
        "潮包工厂店",
        "广东 广州",
    )
    assert a.title == "Veloria同款 手提包 女" and a.page == 2 and a.sales == "1000+人付款"
    assert a.image_urls == ["https://img.alicdn.com/bao/uploaded/i1/4400001/O1CN01bag_!!4400001.jpg"]
    assert b.item_id == "700000000002" and b.url == "https://detail.tmall.com/item.htm?id=700000000002"
    assert (a.platform, b.platform) == ("taobao", "tmall")
    assert b.seller_id is None  # not in the search answer: the spider follows the item page


@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("taobao/mtop_token_empty.jsonp", "refused:token"),
        ("taobao/mtop_rgv587.jsonp", "refused:rgv587"),
        ("taobao/mtop_empty.jsonp", "empty"),
        ("taobao/mtop_session_expired.jsonp", "refused:login"),
        ("tmall/punish.json", "refused:slider"),
    ],
)
def test_taobao_mtop_outcomes(name: str, outcome: str) -> None:
    assert parse_taobao_mtop(fx(name), "https://h5api.m.taobao.com/h5/x/2.0/").outcome == outcome


def test_taobao_item_page() -> None:
    page = parse_taobao_item(fx("taobao/item.html"), "https://item.taobao.com/item.htm?id=600000000003")
    (item,) = page.listings
    assert (item.item_id, item.seller_id, item.seller_name, item.price) == (
        "600000000003",
        "3300002",
        "莆田鞋包馆",
        88.0,
    )
    assert item.title == "高仿 V家 手袋 原单"
    assert item.image_urls == [
        "https://gd2.alicdn.com/imgextra/i4/3300002/TB2main_!!3300002.jpg",
        "https://gd3.alicdn.com/imgextra/i3/3300002/TB2side_!!3300002.jpg",
    ]


# --- Tmall ----------------------------------------------------------------------------------------


def test_tmall_list_gbk() -> None:
    body = fx("tmall/list_gbk.html")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    page = parse_tmall_search(body, "https://list.tmall.com/search_product.htm?q=veloria&s=0&sort=s&style=g")
    assert page.outcome == "ok" and page.total_pages == 2 and page.next == {"page": 2, "s": 60}
    a, b = page.listings
    assert a.title == "VELORIA薇洛瑞亚 2026新款 女包 斜挎" and a.price == 1299.0
    assert (a.seller_id, a.seller_name, a.sales, a.comments) == ("5500001", "潮牌女包专营店", "85笔", 42)
    assert a.image_urls == ["https://img.alicdn.com/bao/uploaded/i3/5500001/TB1x_!!0-item_pic.jpg"]
    assert b.image_urls == ["https://img.alicdn.com/bao/uploaded/i1/2200011/TB1y_!!0-item_pic.jpg"]
    assert b.seller_id == "2200011" and b.sales == "1.2万笔"


def test_tmall_noresult_and_item_pages() -> None:
    empty = parse_tmall_search(
        fx("tmall/list_noresult.html"), "https://list.tmall.com/search_product.htm?q=x"
    )
    assert empty.outcome == "empty"
    page = parse_tmall_item(fx("tmall/item.html"), "https://detail.tmall.com/item.htm?id=600000000002")
    (item,) = page.listings
    assert (item.item_id, item.seller_id, item.seller_name, item.location) == (
        "600000000002",
        "2200011",
        "veloria官方旗舰店",
        "上海",
    )
    assert item.price == 2680.0 and item.comments == 310 and not page.gone
    assert item.image_urls[:2] == [
        "https://img.alicdn.com/imgextra/i1/2200011/O1CN01w1_!!2200011.jpg",
        "https://img.alicdn.com/imgextra/i2/2200011/O1CN01w2_!!2200011.jpg",
    ]
    off = parse_tmall_item(
        fx("tmall/item_offshelf.html"), "https://detail.tmall.com/item.htm?id=600000000009"
    )
    assert off.gone and off.listings[0].item_id == "600000000009"


# --- JD -------------------------------------------------------------------------------------------


def test_jd_search_and_half_page() -> None:
    page = parse_jd_search(
        fx("jd/search.html"), "https://search.jd.com/Search?keyword=veloria&enc=utf-8&page=3"
    )
    assert page.outcome == "ok" and page.total_results == 37 and page.total_pages == 1
    own, fake = page.listings
    assert own.page == 2  # half-page 3 is logical page 2
    assert (own.item_id, own.price, own.seller_id, own.seller_name, own.location) == (
        "100088000001",
        3299.0,
        "1000088",
        "Veloria京东自营旗舰店",
        "北京",
    )
    assert own.title == "VELORIA薇洛瑞亚 女士手提包 veloria 真皮" and own.comments == 20000
    assert own.image_urls == ["https://img14.360buyimg.com/n1/jfs/t1/1001/1/1001/1001/veloria01.jpg"]
    assert fake.image_urls == ["https://img13.360buyimg.com/n1/jfs/t2/2002/2/2002/2002/fake02.jpg"]
    assert fake.price == 89.0 and fake.shop_url == "https://mall.jd.com/index-623999.html"
    half = parse_jd_search(fx("jd/s_new.html"), "https://search.jd.com/s_new.php?keyword=veloria&page=4&s=31")
    (item,) = half.listings
    assert item.item_id == "10023000031" and item.price is None and item.page == 2
    prices = parse_jd_prices(fx("jd/prices.json"))
    assert prices == {"10023000031": 149.0, "100088000001": 3299.0}  # p=-1 (no price) is dropped


def test_jd_noresult_layout_and_refusals() -> None:
    url = "https://search.jd.com/Search?keyword=x&page=1"
    assert parse_jd_search(fx("jd/search_noresult.html"), url).outcome == "empty"
    changed = parse_jd_search(fx("jd/search_layout_changed.html"), url)
    assert changed.outcome == "layout-changed"
    assert parse_jd_api(fx("jd/api_605.json"), "https://api.m.jd.com/api").outcome == "refused:jd-605"
    # the 605 JSON can answer the HTML search route too
    assert parse_jd_search(fx("jd/api_605.json"), url).outcome == "refused:jd-605"
    assert parse_tmall_search(fx("tmall/punish.json"), "https://list.tmall.com/x").outcome == "refused:slider"
    assert (
        parse_jd_search(b"", "https://passport.jd.com/new/login.aspx?ReturnUrl=x").outcome == "refused:login"
    )


def test_jd_api_and_item() -> None:
    url = "https://api.m.jd.com/api?functionId=pc_search_searchWare&body=%7B%22page%22%3A2%2C%22s%22%3A31%7D"
    page = parse_jd_api(fx("jd/api.json"), url)
    assert page.outcome == "ok" and page.total_pages == 2
    a, b = page.listings
    assert (a.item_id, a.price, a.seller_id, a.page) == ("100088000001", 3299.0, "1000088", 2)
    assert a.title == "VELORIA薇洛瑞亚 女士手提包 veloria 真皮"
    assert a.image_urls == ["https://img14.360buyimg.com/n1/jfs/t1/1001/1/1001/1001/veloria01.jpg"]
    assert (b.item_id, b.price, b.seller_id, b.comments) == ("10023000002", 89.0, "623999", 500)
    item = parse_jd_item(fx("jd/item.html"), "https://item.jd.com/100088000001.html").listings[0]
    assert (item.item_id, item.seller_id, item.seller_name, item.price) == (
        "100088000001",
        "1000088",
        "Veloria京东自营旗舰店",
        3299.0,
    )
    assert item.title == "VELORIA薇洛瑞亚 女士手提包 真皮" and len(item.image_urls) == 2


# --- Weibo ----------------------------------------------------------------------------------------


def test_weibo_cardwrap_current_layout() -> None:
    page = parse_weibo_search(
        fx("weibo/search_cardwrap.html"), "https://s.weibo.com/weibo?q=veloria", now=NOW
    )
    assert page.outcome == "ok" and page.total_pages == 3 and page.next == {"page": 2}
    seller, brand = page.listings  # the card without div.info (相关用户) is skipped
    assert (seller.item_id, seller.seller_id, seller.seller_name) == (
        "5012345678901234",
        "7001000001",
        "莆田好货小铺",
    )
    assert seller.url == "https://weibo.com/7001000001/Nabc12345" and seller.kind == "post"
    assert (
        "加微信 vx123456" in seller.title and "收起全文" not in seller.title and "\u200b" not in seller.title
    )
    assert (seller.reposts, seller.comments, seller.likes) == (0, 12, 12000)
    assert seller.image_urls == [
        "https://wx1.sinaimg.cn/large/007abc1gy1h0bag01.jpg",
        "https://wx2.sinaimg.cn/large/007abc1gy1h0bag02.jpg",
    ]
    assert seller.posted_at == "2026-03-05T14:20:00+08:00" and seller.raw["client"] == "iPhone 15 Pro"
    assert brand.posted_at == "2025-12-30T09:05:00+08:00"
    assert (brand.reposts, brand.comments, brand.likes) == (3, 0, 0)


def test_weibo_noresult_layout_and_visitor() -> None:
    url = "https://s.weibo.com/weibo?q=veloriaxyz"
    assert parse_weibo_search(fx("weibo/search_noresult.html"), url).outcome == "empty"
    assert parse_weibo_search(fx("weibo/search_layout_changed.html"), url).outcome == "layout-changed"
    visitor = (
        "https://passport.weibo.com/visitor/visitor?entry=miniblog&a=enter&url=https%3A%2F%2Fs.weibo.com"
    )
    assert parse_weibo_search(b"<html></html>", visitor).outcome == "refused:visitor"


def test_weibo_mobile_search() -> None:
    url = "https://m.weibo.cn/api/container/getIndex?containerid=100103type%3D1%26q%3Dveloria&page_type=searchall&page=1"
    page = parse_weibo_mobile(fx("weibo/mobile_search.json"), url, now=NOW)
    assert page.outcome == "ok" and page.total_results == 23 and page.next == {"page": 2}
    a, b = page.listings
    assert (a.item_id, a.seller_id, a.seller_name, a.location) == (
        "4607000000000001",
        "7001000002",
        "好货代购Anna",
        "福建",
    )
    assert a.title == "#veloria# 原单 专柜品质 加V：bag888 私聊看图"
    assert a.posted_at == "2021-02-23T12:28:47+08:00" and (a.reposts, a.comments, a.likes) == (4, 12, 11000)
    assert a.image_urls == ["https://wx1.sinaimg.cn/large/p1.jpg", "https://wx2.sinaimg.cn/orj360/p2.jpg"]
    assert b.item_id == "4607000000000002" and b.url == "https://m.weibo.cn/detail/4607000000000002"
    assert b.posted_at == "2026-03-06T08:00:00+08:00" and b.image_urls == [
        "https://wx3.sinaimg.cn/large/p3.jpg"
    ]
    assert parse_weibo_mobile(fx("weibo/mobile_empty.json"), url).outcome == "empty"
    assert parse_weibo_mobile(fx("weibo/mobile_login.json"), url).outcome == "refused:login"


# --- helpers and the command ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shown", "iso"),
    [
        ("刚刚", "2026-03-06T10:00:00+08:00"),
        ("30秒前", "2026-03-06T09:59:30+08:00"),
        ("5分钟前", "2026-03-06T09:55:00+08:00"),
        ("今天 08:15", "2026-03-06T08:15:00+08:00"),
        ("昨天 23:59", "2026-03-05T23:59:00+08:00"),
        ("2024年01月02日 03:04", "2024-01-02T03:04:00+08:00"),
        ("06-14", "2026-06-14T00:00:00+08:00"),
        ("2019-06-14", "2019-06-14T00:00:00+08:00"),
        ("Tue Feb 23 04:28:47 +0000 2021", "2021-02-23T12:28:47+08:00"),
        ("", None),
        ("不是时间", None),
    ],
)
def test_standardize_date(shown: str, iso: str | None) -> None:
    assert standardize_date(shown, NOW) == iso


@pytest.mark.parametrize(
    ("value", "expected"),
    [("转发 28", 28), ("1.2万", 12000), ("", None), (None, None), (7, 7), ("赞", 0)],
)
def test_count(value: object, expected: int | None) -> None:
    assert count(value) == expected


def test_small_helpers() -> None:
    assert price("149.00 - 159.00") == 149.0 and price("¥1,299.00") == 1299.0 and price(None) is None
    assert strip_tags("南方黑<span class=H>芝麻</span>&amp;糊") == "南方黑芝麻&糊"
    assert jd_image("jfs/t1/x.jpg") == "https://img14.360buyimg.com/n1/jfs/t1/x.jpg"
    assert jd_image("//img13.360buyimg.com/n7/jfs/t1/x.jpg") == "https://img13.360buyimg.com/n1/jfs/t1/x.jpg"
    assert refusal_from_url("https://s.taobao.com/search?q=v") is None
    assert refusal_from_url("https://s.taobao.com//_____tmd_____/punish?x5secdata=1") == "slider"
    assert to_text("已是文本") == "已是文本"


def test_kind_of_guesses() -> None:
    assert kind_of("taobao", "mtopjsonp1({})") == "mtop"
    assert kind_of("jd", "{}", "https://api.m.jd.com/api") == "api"
    assert kind_of("jd", "<li class='gl-item'>", None) == "search"
    assert kind_of("weibo", "<html>", "https://s.weibo.com/weibo?q=v") == "search"
    with pytest.raises(ValueError, match="unknown platform"):
        kind_of("pinduoduo", "")
    assert parse_any("tmall", fx("tmall/list_gbk.html")).outcome == "ok"


def test_parse_command_outcomes(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["parse", "jd", str(FIXTURES / "jd/search.html"), "--raw"])
    assert ok.exit_code == 0, ok.output
    rows = [json.loads(line) for line in ok.stdout.splitlines()]
    assert [r["item_id"] for r in rows] == ["100088000001", "10023000002"] and "raw" in rows[0]
    empty = runner.invoke(cli, ["parse", "weibo", str(FIXTURES / "weibo/search_noresult.html")])
    assert empty.exit_code == 0 and empty.stdout == "" and "empty" in empty.stderr
    refused = runner.invoke(cli, ["parse", "taobao", str(FIXTURES / "taobao/mtop_rgv587.jsonp")])
    assert refused.exit_code == 1 and "refused:rgv587" in refused.stderr
    assert "MARKWATCH_COOKIES_TAOBAO" in refused.stderr
    missing = runner.invoke(cli, ["parse", "jd", str(tmp_path / "nope.html")])
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    wrong = runner.invoke(cli, ["parse", "tmall", str(FIXTURES / "tmall/item.html"), "--kind", "api"])
    assert wrong.exit_code == 2 and "no 'api' parser for tmall" in wrong.stderr


@pytest.mark.parametrize(
    ("parser", "url", "body"),
    [
        (parse_taobao_item, "https://item.taobao.com/auction/noitem.htm?itemid=1", b"<html></html>"),
        (parse_tmall_item, "https://detail.tmall.com/auction/noitem.htm?itemid=1", b"<html></html>"),
        (
            parse_taobao_item,
            "https://item.taobao.com/item.htm?id=1",
            "<p>很抱歉，您查看的宝贝不存在</p>".encode(),
        ),
        (parse_jd_item, "https://www.jd.com/?d", b"<html><title>JD</title></html>"),
    ],
)
def test_removed_item_pages_are_gone(parser: Any, url: str, body: bytes) -> None:
    page = parser(body, url)
    assert page.gone and page.outcome == "empty" and not page.listings


def test_taobao_rendered_spa_cards() -> None:
    page = parse_taobao_search(fx("taobao/search_spa_rendered.html"), "https://s.taobao.com/search?q=veloria")
    assert page.outcome == "ok" and [x.source for x in page.listings] == ["taobao:spa-dom"] * 2
    shop, flagship = page.listings
    assert (shop.item_id, shop.title, shop.price, shop.sales, shop.location, shop.seller_name) == (
        "800000000101",
        "薇洛瑞亚 VELORIA 同款 手提包",
        129.9,
        "300+人付款",
        "广东 广州",
        "小雅皮具店",
    )
    assert shop.seller_id is None  # not on the card: the spider follows the item page
    assert shop.image_urls == [
        "https://g-search1.alicdn.com/img/bao/uploaded/i4/i1/3300001/O1CN01spa1_!!3300001.jpg"
    ]
    assert (flagship.platform, flagship.price, flagship.seller_name) == ("tmall", 2680.0, "veloria官方旗舰店")
