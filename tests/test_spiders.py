"""Spider wiring without the network: start requests, pagination, item-page following, reports."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from markwatch.errors import UserError
from markwatch.listing import Listing, PageReport
from spiders.base import PlatformSpider, page_reported
from spiders.jd.spider import JdSpider
from spiders.taobao.spider import TaobaoSpider, mtop_sign, mtop_url, token_from_cookies
from spiders.tmall.spider import TmallSpider, tmall_search_url
from spiders.weibo.legacy import CHINA
from spiders.weibo.spider import WeiboSpider, split_window, timescope

FIXTURES = Path(__file__).parent / "fixtures"


def make(cls: type[PlatformSpider], settings: dict[str, Any] | None = None, **params: Any) -> Any:
    # these tests read the legacy fixtures: the legacy routes unless a test asks for today's
    base = {"MARKWATCH_SAVE_DIR": "", "MARKWATCH_PATH": "legacy"}
    crawler = get_crawler(cls, settings_dict={**base, **(settings or {})})
    spider = cls.from_crawler(crawler, **params)
    crawler.spider = spider
    crawler.stats.open_spider(spider)
    return spider


def start_requests(spider: PlatformSpider) -> list[Request]:
    async def collect() -> list[Request]:
        return [r async for r in spider.start()]

    return asyncio.run(collect())


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def response(
    url: str, fixture: str, meta: dict[str, Any], cls: type[TextResponse] = HtmlResponse
) -> TextResponse:
    request = Request(url, meta=meta)
    return cls(url=url, body=(FIXTURES / fixture).read_bytes(), request=request)


def split(results: list[Any]) -> tuple[list[Listing], list[Request]]:
    return [r for r in results if isinstance(r, Listing)], [r for r in results if isinstance(r, Request)]


# --- start requests -------------------------------------------------------------------------------


def test_start_requests_search_every_brand_term() -> None:
    spider = make(TaobaoSpider, brand="veloria")
    urls = [r.url for r in start_requests(spider)]
    assert [query(u)["q"] for u in urls] == ["veloria", "薇洛瑞亚"]
    assert all(u.startswith("https://s.taobao.com/search?") and query(u)["s"] == "0" for u in urls)


def test_page_urls_use_each_platforms_offsets() -> None:
    tb = make(TaobaoSpider, terms="veloria")
    assert [query(r.url)["s"] for p in (1, 2, 3) for r in tb.search_requests("veloria", p)] == [
        "0",
        "44",
        "88",
    ]
    tm = make(TmallSpider, terms="毛衣")
    (req,) = tm.search_requests("毛衣", 3)
    assert req.url.startswith("https://list.tmall.com/search_product.htm?q=%C3%AB%D2%C2&s=120&")
    assert tmall_search_url("veloria", 1).endswith("q=veloria&s=0&sort=s&style=g&type=pc")
    jd = make(JdSpider, terms="veloria")
    (req,) = jd.search_requests("veloria", 2)
    assert req.url.startswith("https://search.jd.com/Search?") and query(req.url)["page"] == "3"
    assert query(req.url)["s"] == "61" and query(req.url)["keyword"] == "veloria"
    wb = make(WeiboSpider, terms="veloria")
    (req,) = wb.search_requests("veloria", 7)
    assert req.url.startswith("https://s.weibo.com/weibo?") and query(req.url)["page"] == "7"
    assert list(wb.search_requests("veloria", 51)) == []
    mobile = make(WeiboSpider, terms="veloria", api="mobile")
    (req,) = mobile.search_requests("veloria", 2)
    assert query(req.url)["containerid"] == "100103type=1&q=veloria" and query(req.url)["page"] == "2"
    assert req.headers[b"Referer"].startswith(b"https://m.weibo.cn/search?containerid=100103type")


def test_platform_caps_and_params() -> None:
    assert make(WeiboSpider, terms="v", max_pages=80).max_pages == 50
    assert make(TaobaoSpider, terms="v", max_pages="500").max_pages == 100
    assert make(JdSpider, terms="a, b ,").params.terms == ["a", "b"]
    with pytest.raises(UserError, match="brand"):
        make(JdSpider)
    with pytest.raises(UserError, match="max_pages"):
        make(JdSpider, terms="v", max_pages=0)
    with pytest.raises(UserError, match="api"):
        make(TaobaoSpider, terms="v", api="graphql")


def test_mtop_request_is_signed() -> None:
    url = mtop_url("veloria", 2, "abc123", t="1700000000000")
    q = query(url)
    assert url.startswith(
        "https://h5api.m.taobao.com/h5/mtop.relationrecommend.wirelessrecommend.recommend/2.0/?"
    )
    assert q["appKey"] == "12574478" and q["t"] == "1700000000000" and q["callback"] == "mtopjsonp2"
    assert q["sign"] == mtop_sign("abc123", "1700000000000", q["data"])
    assert '\\"page\\": 2' in q["data"] and '"appId": "34385"' in q["data"]
    assert token_from_cookies([b"_m_h5_tk=f00d_1700000000000; Path=/; Domain=.taobao.com"]) == "f00d"
    assert token_from_cookies([b"other=1"]) is None


# --- callbacks ------------------------------------------------------------------------------------


def test_taobao_page_one_schedules_the_rest_up_to_max_pages() -> None:
    spider = make(TaobaoSpider, terms="veloria", max_pages=5)
    url = "https://s.taobao.com/search?q=veloria&s=0&sort=default&ie=utf8"
    results = list(spider.parse(response(url, "taobao/search_gbk.html", spider.search_meta("veloria", 1))))
    listings, requests = split(results)
    assert [x.item_id for x in listings] == ["600000000001", "600000000002", "600000000003"]
    assert all(x.search_term == "veloria" and x.page == 1 for x in listings)
    assert [query(r.url)["s"] for r in requests] == ["44", "88"]  # the page says 3 pages in all
    assert [r.meta["markwatch_page"] for r in requests] == [2, 3]
    (report,) = spider.reports
    assert (report.outcome, report.listings) == ("ok", 3)
    stats = spider.crawler.stats
    assert (
        stats.get_value("markwatch/taobao/pages") == 1 and stats.get_value("markwatch/taobao/listings") == 3
    )


def test_refused_page_is_reported_with_advice_and_stops_paging(tmp_path: Path) -> None:
    spider = make(TaobaoSpider, {"MARKWATCH_SAVE_DIR": str(tmp_path)}, terms="veloria", max_pages=5)
    seen: list[PageReport] = []

    def on_report(report: PageReport, spider: PlatformSpider) -> None:
        seen.append(report)

    spider.crawler.signals.connect(on_report, signal=page_reported)  # held weakly: keep a name
    meta = {
        **spider.search_meta("veloria", 1),
        "markwatch_refusal": ("login", "redirected to login.taobao.com"),
    }
    url = "https://s.taobao.com/search?q=veloria&s=0"
    refused = HtmlResponse(url=url, status=302, body=b"", request=Request(url, meta=meta))
    with pytest.raises(CloseSpider) as stop:  # no more requests to a platform that refuses
        list(spider.parse(refused))
    assert stop.value.reason == "refused:login"
    (report,) = spider.reports
    assert report.outcome == "refused:login" and "MARKWATCH_COOKIES_TAOBAO" in report.detail
    assert seen == [report]
    assert spider.crawler.stats.get_value("markwatch/taobao/refused/login") == 1
    assert report.saved_as and Path(report.saved_as).is_file()


def test_layout_change_is_saved_for_inspection(tmp_path: Path) -> None:
    spider = make(JdSpider, {"MARKWATCH_SAVE_DIR": str(tmp_path)}, terms="veloria")
    url = "https://search.jd.com/Search?keyword=veloria&enc=utf-8&page=1&s=1"
    results = list(
        spider.parse(response(url, "jd/search_layout_changed.html", spider.search_meta("veloria", 1)))
    )
    assert results == []
    (report,) = spider.reports
    assert report.outcome == "layout-changed" and report.listings == 0
    saved = Path(report.saved_as or "")
    assert (
        saved.parent == tmp_path / "jd"
        and saved.read_bytes() == (FIXTURES / "jd/search_layout_changed.html").read_bytes()
    )
    assert saved.with_suffix(".url").read_text().startswith(url)


def test_jd_half_pages_and_prices() -> None:
    spider = make(JdSpider, terms="veloria", max_pages=2)
    url = "https://search.jd.com/Search?keyword=veloria&enc=utf-8&page=1&s=1"
    listings, requests = split(
        list(
            spider.parse(response(url, "jd/search.html", spider.search_meta("veloria", 1, markwatch_half=1)))
        )
    )
    assert [x.item_id for x in listings] == ["100088000001", "10023000002"]
    (half,) = [r for r in requests if "s_new.php" in r.url]
    q = query(half.url)
    assert (q["page"], q["s"], q["scrolling"], q["show_items"]) == (
        "2",
        "31",
        "y",
        "100088000001,10023000002",
    )
    assert half.headers[b"Referer"] == url.encode()
    assert not [r for r in requests if "Search?" in r.url]  # page_count 1: no page 2 even with max_pages=2
    results = list(spider.parse_half(response(half.url, "jd/s_new.html", half.meta)))
    listings, requests = split(results)
    assert listings == []  # its only item has no price yet
    (prices,) = requests
    assert prices.url == "https://p.3.cn/prices/mgets?type=1&skuIds=J_10023000031"
    done = list(prices.callback(response(prices.url, "jd/prices.json", prices.meta, TextResponse)))
    assert [(x.item_id, x.price, x.page) for x in done] == [("10023000031", 149.0, 1)]


def test_weibo_follows_next_page_until_the_cap() -> None:
    spider = make(WeiboSpider, terms="veloria", max_pages=2)
    url = "https://s.weibo.com/weibo?q=veloria&typeall=1&suball=1&page=1"
    listings, requests = split(
        list(spider.parse(response(url, "weibo/search_cardwrap.html", spider.search_meta("veloria", 1))))
    )
    assert [x.kind for x in listings] == ["post", "post"] and listings[0].seller_id == "7001000001"
    assert [query(r.url)["page"] for r in requests] == ["2"]  # 3 pages stated, max_pages 2
    assert spider.crawler.settings.getbool("COOKIES_ENABLED") is False


def test_mtop_hit_without_seller_follows_the_item_page() -> None:
    spider = make(TaobaoSpider, terms="veloria", api="mtop")
    (first,) = start_requests(spider)
    assert (
        first.url.startswith("https://h5api.m.taobao.com/") and query(first.url)["callback"] == "mtopjsonp1"
    )
    resp = response(first.url, "taobao/mtop_ok.jsonp", first.meta, TextResponse)
    listings, requests = split(list(spider.parse(resp)))
    assert [x.item_id for x in listings] == ["700000000001"]
    (page2,) = [r for r in requests if r.meta.get("markwatch_page") == 2]  # 96 results, 48 a page
    params = json.loads(json.loads(query(page2.url)["data"])["params"])
    assert params["page"] == 2 and (params["sourceS"], params["bcoffset"], params["ntoffset"]) == (
        "48",
        "0",
        "6",
    )
    item_requests = [r for r in requests if r.meta.get("markwatch_kind") == "item"]
    (follow,) = item_requests
    assert follow.url == "https://detail.tmall.com/item.htm?id=700000000002"
    page = response(follow.url, "tmall/item.html", follow.meta)
    (done,) = list(follow.callback(page))
    assert done.item_id == "700000000002" and done.seller_id == "2200011" and done.search_term == "veloria"
    assert done.raw["item_page"]["itemDO"]["userId"] == "2200011"


def test_mtop_token_handshake_retries_with_the_new_token() -> None:
    spider = make(TaobaoSpider, terms="veloria", api="mtop")
    (first,) = start_requests(spider)
    body = (FIXTURES / "taobao/mtop_token_empty.jsonp").read_bytes()
    resp = TextResponse(
        url=first.url,
        body=body,
        headers={"Set-Cookie": "_m_h5_tk=beef42_1700000000000; Domain=.taobao.com; Path=/"},
        request=first,
    )
    (again,) = list(spider.parse(resp))
    assert query(again.url)["sign"] == mtop_sign("beef42", query(again.url)["t"], query(again.url)["data"])
    assert again.headers[b"Cookie"] == b"_m_h5_tk=beef42_1700000000000"  # the cookie the sign was made with
    assert again.meta["dont_merge_cookies"] and again.meta["markwatch_token_retry"]
    assert spider.reports == []  # not a refusal yet: the signed retry decides
    resp = TextResponse(url=again.url, body=body, request=again)
    with pytest.raises(CloseSpider):
        list(spider.parse(resp))
    assert spider.reports[-1].outcome == "refused:token"


def test_stop_on_refusal_can_be_turned_off() -> None:
    spider = make(WeiboSpider, {"MARKWATCH_STOP_ON_REFUSAL": False}, terms="veloria")
    url = "https://passport.weibo.com/visitor/visitor?entry=miniblog&a=enter"
    page = HtmlResponse(url=url, body=b"<html></html>", request=Request(url, meta=spider.search_meta("v", 1)))
    assert list(spider.parse(page)) == []
    assert spider.reports[-1].outcome == "refused:visitor"


def test_item_page_failure_keeps_the_hit() -> None:
    spider = make(TaobaoSpider, terms="veloria", api="mtop")
    listing = Listing(platform="taobao", item_id="1", url="https://item.taobao.com/item.htm?id=1", title="t")
    (request,) = list(spider.complete([listing]))
    failure_request = request.replace()

    class Failure:
        value = ConnectionError("boom")
        request = failure_request

    assert list(spider.item_failed(Failure())) == [listing]  # type: ignore[arg-type]
    assert spider.reports[-1].outcome == "error"


def test_spiders_are_found_by_scrapy() -> None:
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    loader = SpiderLoader.from_settings(get_project_settings())
    assert sorted(loader.list()) == ["jd", "taobao", "tmall", "weibo"]
    assert issubclass(loader.load("weibo"), scrapy.Spider)
    assert unquote("%E8%96%87") == "薇"


def test_weibo_time_windows_split_a_saturated_query() -> None:
    start = dt.datetime(2026, 11, 1, 0, tzinfo=CHINA)
    window = (start, start + dt.timedelta(days=3))
    assert timescope(window) == "custom:2026-11-01-0:2026-11-04-0"
    assert [timescope(w) for w in split_window(window)] == [
        "custom:2026-11-01-0:2026-11-02-0",
        "custom:2026-11-02-0:2026-11-03-0",
        "custom:2026-11-03-0:2026-11-04-0",
    ]
    assert len(split_window((start, start + dt.timedelta(days=1)))) == 24
    assert split_window((start, start + dt.timedelta(hours=1))) == []
    spider = make(WeiboSpider, terms="veloria", days=3, max_pages=5)
    (first,) = start_requests(spider)
    assert query(first.url)["timescope"].startswith("custom:") and query(first.url)["page"] == "1"
    body = (FIXTURES / "weibo/search_cardwrap.html").read_text(encoding="utf-8")
    full = "".join(f'<li><a href="/weibo?q=veloria&amp;page={p}">第{p}页</a></li>' for p in range(1, 51))
    saturated = body.replace('<li><a href="/weibo?q=veloria&amp;page=1">第1页</a></li>', full)
    meta = {**first.meta, "markwatch_window": window}
    page = HtmlResponse(
        url=first.url, body=saturated.encode(), encoding="utf-8", request=Request(first.url, meta=meta)
    )
    listings, requests = split(list(spider.parse_window(page)))
    assert len(listings) == 2
    assert [query(r.url)["timescope"] for r in requests] == [timescope(w) for w in split_window(window)]
    assert all(query(r.url)["page"] == "1" for r in requests)
    calm = HtmlResponse(
        url=first.url, body=body.encode(), encoding="utf-8", request=Request(first.url, meta=meta)
    )
    _, requests = split(list(spider.parse_window(calm)))  # 3 pages stated: paged within the window
    assert [(query(r.url)["page"], query(r.url)["timescope"]) for r in requests] == [
        ("2", timescope(window)),
        ("3", timescope(window)),
    ]
