"""Fidelity: the same parser reads a sandbox page and the matching real saved page and finds every
field in both — so a crawl of the sandbox exercises the code that reads the real platforms."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from markwatch.listing import Listing
from spiders.common import ParsedPage
from spiders.jd.legacy import jd_prices_url, parse_jd_prices
from spiders.jd.spider import jd_search_url
from spiders.registry import parse_any
from spiders.taobao.spider import taobao_search_url
from spiders.tmall.spider import tmall_search_url
from spiders.weibo.spider import weibo_mobile_url, weibo_search_url
from tests.conftest import sample_path

serve = pytest.importorskip("sandbox.server").serve

pytestmark = pytest.mark.samples

PRODUCT = ("item_id", "url", "title", "price", "seller_id", "seller_name", "image_urls")
POST = ("item_id", "url", "title", "seller_id", "seller_name", "posted_at", "reposts", "comments", "likes")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    with serve(seed=1, size=400, legacy=True) as sb:
        yield sb


def fetch(sb: Any, url: str) -> bytes:
    with urllib.request.urlopen(sb.url_for(url), timeout=10) as answer:
        body: bytes = answer.read()
    return body


def real(platform: str, name: str, url: str, kind: str) -> ParsedPage:
    return parse_any(platform, sample_path(name).read_bytes(), url=url, kind=kind)


def filled(listing: Listing, name: str) -> bool:
    value = getattr(listing, name)
    return value is not None and value != "" and value != []


def assert_fields(page: ParsedPage, fields: tuple[str, ...], every: bool = True) -> None:
    assert page.outcome == "ok" and page.listings, page.detail
    for name in fields:
        have = [filled(x, name) for x in page.listings]
        assert all(have) if every else any(have), f"{name} missing in {page.listings[0].source}"


def both(
    sandbox_page: ParsedPage, real_page: ParsedPage, fields: tuple[str, ...], every: bool = True
) -> None:
    assert sandbox_page.listings[0].source == real_page.listings[0].source  # the same code path
    assert_fields(real_page, fields, every)
    assert_fields(sandbox_page, fields, every)


def test_taobao_search(sandbox: Any) -> None:
    url = taobao_search_url("veloria", 1)
    fields = (*PRODUCT, "sales", "location", "shop_url")
    mine = parse_any("taobao", fetch(sandbox, url), url=url, kind="search")
    theirs = real("taobao", "taobao/s_taobao_g_page_config_2018_goxp49.js", url, "search")
    both(mine, theirs, fields)
    both(mine, theirs, ("comments",), every=False)  # p4p ads carry no comment_count
    assert mine.total_pages and theirs.total_pages == 100 and mine.next == theirs.next == {"page": 2, "s": 44}


def test_taobao_and_tmall_item_pages(sandbox: Any) -> None:
    url = taobao_search_url("veloria", 1)
    hits = parse_any("taobao", fetch(sandbox, url), url=url, kind="search").listings
    taobao_hit = next(x for x in hits if x.platform == "taobao")
    tmall_hit = next(x for x in hits if x.platform == "tmall")
    fields = ("item_id", "url", "title", "price", "seller_id", "seller_name", "image_urls")
    mine = parse_any("taobao", fetch(sandbox, taobao_hit.url), url=taobao_hit.url, kind="item")
    theirs = real(
        "taobao",
        "taobao/item_taobao_562283240178_2020_ogscraper.html",
        "https://item.taobao.com/item.htm?id=562283240178",
        "item",
    )
    both(mine, theirs, fields)
    assert (
        mine.listings[0].item_id == taobao_hit.item_id and mine.listings[0].seller_id == taobao_hit.seller_id
    )
    fields = (*fields, "location", "shop_url", "comments")
    mine = parse_any("tmall", fetch(sandbox, tmall_hit.url), url=tmall_hit.url, kind="item")
    theirs = real(
        "tmall",
        "tmall/detail_tmall_item_605258110430_2020_ogscraper.html",
        "https://detail.tmall.com/item.htm?id=605258110430",
        "item",
    )
    both(mine, theirs, fields)
    assert mine.listings[0].item_id == tmall_hit.item_id


def test_tmall_search(sandbox: Any) -> None:
    url = tmall_search_url("veloria", 1)
    fields = (*PRODUCT, "sales", "shop_url", "comments")
    mine = parse_any("tmall", fetch(sandbox, url), url=url, kind="search")
    theirs = real("tmall", "tmall/list_tmall_search_product_2017_EXCERPT_transcribed.html", url, "search")
    both(mine, theirs, fields)


def test_jd_search(sandbox: Any) -> None:
    url = jd_search_url("veloria", 1)
    fields = ("item_id", "url", "title", "seller_id", "seller_name", "shop_url", "image_urls")
    mine = parse_any("jd", fetch(sandbox, url), url=url, kind="search")
    theirs = real("jd", "jd/search_jd_keyword_dddd_2019_lore.html", url, "search")
    both(mine, theirs, fields)
    both(mine, theirs, ("price",), every=False)  # JD leaves some prices to p.3.cn
    assert mine.total_results and theirs.total_results == 51
    priceless = [x.item_id for x in mine.listings if x.price is None]
    if priceless:
        prices = parse_jd_prices(fetch(sandbox, jd_prices_url(priceless)))
        assert set(prices) == set(priceless)
    excerpt = real("jd", "jd/search_jd_gl-item_2023_EXCERPT_transcribed.html", url, "search")
    both(mine, excerpt, ("location",), every=False)  # div.p-stock@data-province


def test_weibo_search(sandbox: Any) -> None:
    url = weibo_search_url("veloria", 1)
    mine = parse_any("weibo", fetch(sandbox, url), url=url, kind="search")
    theirs = real("weibo", "weibo/s_weibo_search_cardwrap_2018_EXCERPT_transcribed.html", url, "search")
    both(mine, theirs, POST)
    both(mine, theirs, ("image_urls",), every=False)
    assert mine.next == theirs.next == {"page": 2}


def test_weibo_mobile(sandbox: Any) -> None:
    url = weibo_mobile_url("veloria", 1)
    mine = parse_any("weibo", fetch(sandbox, url), url=url, kind="mobile")
    theirs = real("weibo", "weibo/m_weibo_cn_getIndex_user_timeline_2019_gottaegbert.json", url, "mobile")
    both(mine, theirs, POST)
    both(mine, theirs, ("image_urls",), every=False)
