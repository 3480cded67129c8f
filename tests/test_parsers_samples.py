"""The parsers on the real saved pages in ../shared/samples (skipped when they are absent)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from crawler.cli import cli
from spiders.jd.legacy import parse_jd_search
from spiders.registry import parse_any
from spiders.taobao.legacy import parse_taobao_item, parse_taobao_search
from spiders.tmall.legacy import parse_tmall_item, parse_tmall_search
from spiders.weibo.legacy import CHINA, parse_weibo_mobile, parse_weibo_search
from tests.conftest import sample_path

pytestmark = pytest.mark.samples

NOW = dt.datetime(2019, 6, 16, 12, 0, tzinfo=CHINA)


def test_taobao_g_page_config_36_auctions() -> None:
    body = sample_path("taobao/s_taobao_g_page_config_2018_goxp49.js").read_bytes()
    page = parse_taobao_search(body, "https://s.taobao.com/search?q=%E8%8A%9D%E9%BA%BB%E7%B3%8A")
    assert page.outcome == "ok"
    assert len(page.listings) == 36
    assert page.total_pages == 100 and page.total_results == 44471
    assert page.next == {"page": 2, "s": 44}
    for item in page.listings:
        assert item.item_id.isdigit() and item.title and item.price and item.price > 0
        assert item.seller_id and item.seller_name
        assert item.image_urls and all(u.startswith("https://") for u in item.image_urls)
        assert "click.simba" not in item.url and item.url.endswith(f"id={item.item_id}")
    first = page.listings[0]  # a p4p ad: its detail_url is a click.simba redirect
    assert first.raw["p4p"] == 1 and "click.simba" in first.raw["detail_url"]
    assert first.item_id == "10609596736"
    assert first.url == "https://detail.tmall.com/item.htm?id=10609596736" and first.platform == "tmall"
    assert sum(1 for i in page.listings if i.platform == "tmall") == 26  # shopcard.isTmall
    assert first.price == 52.9 and first.seller_id == "705235443" and first.seller_name == "老金磨方旗舰店"
    assert first.sales == "7261人付款" and first.location == "浙江 杭州"
    assert first.shop_url == "https://store.taobao.com/shop/view_shop.htm?user_number_id=705235443"
    second = page.listings[1]
    assert second.title == "南方黑芝麻糊原味720g*2袋 黑芝麻糊营养早餐冲饮冲调芝麻糊包邮"
    assert "<span" not in "".join(i.title for i in page.listings)


def test_taobao_item_page() -> None:
    body = sample_path("taobao/item_taobao_562283240178_2020_ogscraper.html").read_bytes()
    page = parse_taobao_item(body, "https://item.taobao.com/item.htm?id=562283240178")
    assert page.outcome == "ok"
    (item,) = page.listings
    assert item.item_id == "562283240178" and item.seller_id == "134583372"
    assert item.seller_name == "怡科外设KBDfans"
    assert item.raw["sellerNick"] == "paipailaji"
    assert item.price == 149.0
    assert (
        item.image_urls[0]
        == "https://gd2.alicdn.com/imgextra/i4/134583372/TB2bje8gS_I8KJjy0FoXXaFnVXa_!!134583372.jpg"
    )
    assert not any("50x50" in u for u in item.image_urls)


def test_tmall_detail_tshop_setup() -> None:
    body = sample_path("tmall/detail_tmall_item_605258110430_2020_ogscraper.html").read_bytes()
    page = parse_tmall_item(body, "https://detail.tmall.com/item.htm?id=605258110430")
    assert page.outcome == "ok" and not page.gone
    (item,) = page.listings
    assert item.item_id == "605258110430" and item.seller_id == "2616970884"
    assert item.seller_name == "苏宁易购官方旗舰店" and item.location == "江苏"
    assert item.title.startswith("【官网价直降】Apple/苹果 iPhone 11")
    assert item.price == 5499.0
    assert len(item.image_urls) >= 3 and all(u.startswith("https://img.alicdn.com/") for u in item.image_urls)


def test_tmall_list_excerpt() -> None:
    body = sample_path("tmall/list_tmall_search_product_2017_EXCERPT_transcribed.html").read_bytes()
    page = parse_tmall_search(body, "https://list.tmall.com/search_product.htm?q=%C3%AB%D2%C2&s=0")
    assert page.outcome == "ok"
    a, b = page.listings
    assert (a.item_id, a.price, a.seller_id, a.seller_name, a.sales) == (
        "557951889087",
        199.5,
        "356060330",
        "ONLY官方旗舰店",
        "967笔",
    )
    assert a.title == "ONLY2017冬季新品宽松V领套头毛衣针织衫女|117324537" and a.comments == 573
    assert b.image_urls == [
        "https://img.alicdn.com/bao/uploaded/i3/528811819/TB1biHaaZnI8KJjSsziXXb8QpXa_!!0-item_pic.jpg"
    ]


def test_jd_search_page_5_items() -> None:
    body = sample_path("jd/search_jd_keyword_dddd_2019_lore.html").read_bytes()
    page = parse_jd_search(body, "https://search.jd.com/Search?keyword=dddd&enc=utf-8&page=1")
    assert page.outcome == "ok" and page.total_results == 51 and page.total_pages == 1
    assert len(page.listings) == 5
    for item in page.listings:
        assert item.item_id.isdigit() and item.url == f"https://item.jd.com/{item.item_id}.html"
        assert item.title and item.price and item.seller_id and item.seller_name
        assert item.image_urls and "/n1/jfs/" in item.image_urls[0]
    first = page.listings[0]
    assert first.item_id == "15611327638" and first.price == 109.0
    assert first.seller_id == "623560" and first.seller_name == "纯禾雅专护肤品营店"
    assert first.title.startswith("依泊姿会发芽的海藻面膜贴") and "店内给力活动" not in first.title


def test_jd_2023_excerpt() -> None:
    body = sample_path("jd/search_jd_gl-item_2023_EXCERPT_transcribed.html").read_bytes()
    (item,) = parse_jd_search(body, "https://search.jd.com/Search?keyword=x&page=1").listings
    assert item.item_id == "100032149194" and item.price == 3099.0 and item.location == "江苏"
    assert item.seller_name == "华为京东自营官方旗舰店" and item.seller_id == "1000004259"
    assert item.title.startswith("华为笔记本电脑MateBook") and "京品电脑" not in item.title
    assert item.raw["selfware"] == "1"


def test_weibo_mobile_10_posts() -> None:
    body = sample_path("weibo/m_weibo_cn_getIndex_user_timeline_2019_gottaegbert.json").read_bytes()
    page = parse_weibo_mobile(
        body, "https://m.weibo.cn/api/container/getIndex?containerid=1076031669879400&page=2", now=NOW
    )
    assert page.outcome == "ok" and len(page.listings) == 10
    assert len({p.item_id for p in page.listings}) == 10
    for post in page.listings:
        assert post.kind == "post" and post.seller_id == "1669879400" and post.seller_name == "Dear-迪丽热巴"
        assert post.likes is not None and post.reposts is not None and post.posted_at
    first = page.listings[0]
    assert first.item_id == "4383183661430868" and first.url == "https://weibo.com/1669879400/HyTZc60ew"
    assert first.title == "搬完这块砖，就可以吃好吃的了"
    assert first.reposts == 240492 and first.comments == 95535 and first.likes == 348872
    assert first.image_urls[0] == "https://wx3.sinaimg.cn/large/63885668gy1g40ypljwzvj20o70v379u.jpg"
    assert first.posted_at == "2019-06-14T00:00:00+08:00"
    assert sum(1 for p in page.listings if p.image_urls) >= 5


def test_weibo_cardwrap_2018_excerpt() -> None:
    body = sample_path("weibo/s_weibo_search_cardwrap_2018_EXCERPT_transcribed.html").read_bytes()
    page = parse_weibo_search(
        body, "https://s.weibo.com/weibo?q=%E8%BD%AC%E5%8F%91&scope=ori&page=10", now=NOW
    )
    (post,) = page.listings
    assert (post.item_id, post.seller_id, post.seller_name) == (
        "4299399859880269",
        "6336410207",
        "短腿少女本",
    )
    assert post.url == "https://weibo.com/6336410207/GFHQlFsjb"
    assert (post.reposts, post.comments, post.likes) == (28, 11, 7)
    assert post.image_urls == ["https://ww1.sinaimg.cn/large/006UOVKDgy1fwloczomnkj30r0cmou10.jpg"]
    assert post.posted_at == "2019-06-16T11:28:00+08:00"  # "32分钟前" against NOW
    assert page.next == {"page": 11}


def test_weibo_2017_layouts() -> None:
    body = sample_path("weibo/s_weibo_search_2017_spiderclub.html").read_bytes()
    page = parse_weibo_search(body, "https://s.weibo.com/weibo?q=x", now=NOW)
    assert page.outcome == "ok" and len(page.listings) == 20
    assert all(p.seller_id and p.posted_at and p.posted_at.startswith("2017-05-11") for p in page.listings)
    pagelet = sample_path("weibo/s_weibo_search_bigpipe_pagelet_2017_spiderclub.html").read_bytes()
    page = parse_weibo_search(pagelet, "https://s.weibo.com/weibo?q=x", now=NOW)
    assert page.outcome == "ok" and len(page.listings) >= 10 and page.total_pages == 50


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("weibo/weibo_accessdeny_2017_spiderclub.html", "access-denied"),
        ("weibo/weibo_blocked_page_2017_spiderclub.html", "banned"),
        ("weibo/weibo_busy_page_2017_spiderclub.html", "busy"),
    ],
)
def test_weibo_refusal_pages(name: str, mode: str) -> None:
    page = parse_weibo_search(sample_path(name).read_bytes(), "https://s.weibo.com/weibo?q=x")
    assert page.outcome == f"refused:{mode}" and page.refusal == mode and not page.listings


@pytest.mark.parametrize(
    ("platform", "name", "count"),
    [
        ("taobao", "taobao/s_taobao_g_page_config_2018_goxp49.js", 36),
        ("jd", "jd/search_jd_keyword_dddd_2019_lore.html", 5),
        ("weibo", "weibo/m_weibo_cn_getIndex_user_timeline_2019_gottaegbert.json", 10),
    ],
)
def test_markwatch_parse_reads_the_real_samples(platform: str, name: str, count: int) -> None:
    path = sample_path(name)
    result = CliRunner().invoke(cli, ["parse", platform, str(path)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == count
    for row in rows:
        assert row["platform"] in ({platform, "tmall"} if platform == "taobao" else {platform})
        assert row["item_id"] and row["title"] and row["url"]
        assert row["seller_id"] and row["seller_name"]
        if platform != "weibo":
            assert row["price"] > 0 and row["image_urls"]
    assert f"ok, {count} listing(s)" in result.stderr


def test_parse_any_guesses_the_kind(samples: object) -> None:
    tmall = sample_path("tmall/detail_tmall_item_605258110430_2020_ogscraper.html").read_bytes()
    assert parse_any("tmall", tmall).listings[0].source == "tmall:TShop.Setup"
    item = sample_path("taobao/item_taobao_562283240178_2020_ogscraper.html").read_bytes()
    assert parse_any("taobao", item).listings[0].source == "taobao:item"
