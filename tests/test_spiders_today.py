"""The spiders' default routes are today's (path=today); path=legacy keeps the retired pages."""

from __future__ import annotations

import json
from typing import Any

from scrapy.http import HtmlResponse, Request, TextResponse

from markwatch.listing import Listing
from spiders.jd.spider import JdSpider
from spiders.taobao.spider import TaobaoSpider, h5search_data, mtop_sign
from spiders.tmall.spider import TmallSpider
from spiders.weibo.spider import WeiboSpider
from tests.test_spiders import FIXTURES, make, query, response, split, start_requests

TODAY = {"MARKWATCH_PATH": "today", "MARKWATCH_BROWSER": "off"}  # the HTTP side of today's routes


def today(cls: type[Any], **params: Any) -> Any:
    return make(cls, settings=TODAY, **params)


def test_taobao_searches_through_h5search_signed_with_the_token() -> None:
    spider = today(TaobaoSpider, terms="veloria")
    spider.mtop_tokens = {"_m_h5_tk": "abc123_999", "_m_h5_tk_enc": "e"}
    (request,) = list(spider.search_requests("veloria", 2))
    assert request.url.startswith("https://h5api.m.taobao.com/h5/mtop.taobao.wsearch.h5search/1.0/?")
    q = query(request.url)
    data = json.loads(q["data"])
    assert data == json.loads(h5search_data("veloria", 2)) and data["tab"] == "all" and data["page"] == 2
    assert q["sign"] == mtop_sign("abc123", q["t"], q["data"])
    assert b"_m_h5_tk=abc123_999" in request.headers.get(b"Cookie", b"")


def test_taobao_browser_path_opens_the_search_page_and_reads_captured_answers() -> None:
    spider = make(TaobaoSpider, settings={**TODAY, "MARKWATCH_PLAYWRIGHT": True}, terms="veloria")
    (request,) = list(spider.search_requests("veloria", 1))
    assert request.url.startswith("https://s.taobao.com/search?") and query(request.url)["q"] == "veloria"
    h5 = "https://h5api.m.taobao.com/h5/mtop.taobao.wsearch.h5search/1.0/?data=%7B%22page%22%3A1%7D"
    answers = [(h5, (FIXTURES / "taobao/h5search_ok.jsonp").read_bytes()), ("https://other/x", b"{}")]
    meta = {**request.meta, "markwatch_api_answers": answers}
    listings, _ = split(list(spider.parse(response(request.url, "taobao/search_rendered_2026.html", meta))))
    assert [x.item_id for x in listings] == ["812345678901", "812345678902"]
    assert spider.reports[-1].outcome == "ok" and "captured" in spider.reports[-1].detail


def test_tmall_searches_taobao_with_tab_mall() -> None:
    spider = today(TmallSpider, terms="veloria", follow_items=False)
    spider.mtop_tokens = {"_m_h5_tk": "t_1"}
    (request,) = list(spider.search_requests("veloria", 1))
    assert json.loads(query(request.url)["data"])["tab"] == "mall"
    body = (FIXTURES / "taobao/h5search_ok.jsonp").read_bytes()
    resp = TextResponse(url=request.url, body=body, request=Request(request.url, meta=request.meta))
    listings, _ = split(list(spider.parse(resp)))
    assert {x.platform for x in listings} == {"tmall"}
    assert all(x.url.startswith("https://detail.tmall.com/") for x in listings)
    legacy = make(TmallSpider, terms="veloria", path="legacy")
    assert next(iter(legacy.search_requests("veloria", 1))).url.startswith("https://list.tmall.com/")


def test_jd_today_reads_searchware_without_half_pages_or_p3cn() -> None:
    spider = today(JdSpider, terms="veloria", follow_items=False)
    (request,) = list(spider.search_requests("veloria", 1))
    assert (
        request.url.startswith("https://search.jd.com/Search?") and query(request.url)["keyword"] == "veloria"
    )
    api = 'https://api.m.jd.com/api?appid=search-pc-java&functionId=pc_search_searchWare&body={"page":1}'
    meta = {
        **request.meta,
        "markwatch_api_answers": [(api, (FIXTURES / "jd/searchware_ok.json").read_bytes())],
    }
    listings, requests = split(
        list(spider.parse(response(request.url, "jd/search_rendered_2026.html", meta)))
    )
    assert [x.item_id for x in listings] == ["100123456789", "100987654321"]
    assert all(x.price for x in listings)
    assert not [r for r in requests if "s_new.php" in r.url or "p.3.cn" in r.url]
    # without captured answers, the rendered cards
    listings, requests = split(
        list(spider.parse(response(request.url, "jd/search_rendered_2026.html", request.meta)))
    )
    assert [x.item_id for x in listings] == ["100123456789", "100987654321"]
    assert not [r for r in requests if "p.3.cn" in r.url]


def test_weibo_searches_accounts_and_reads_long_posts_whole() -> None:
    spider = today(WeiboSpider, terms="veloria", follow_items=False)
    requests = start_requests(spider)
    accounts = [r for r in requests if r.url.startswith("https://s.weibo.com/user?")]
    assert len(accounts) == 1 and query(accounts[0].url)["q"] == "veloria"
    assert any(r.url.startswith("https://s.weibo.com/weibo?") for r in requests)
    resp = response(accounts[0].url, "weibo/user_search.html", accounts[0].meta)
    found = list(accounts[0].callback(resp))
    assert [x.kind for x in found] == ["account", "account"] and found[0].search_term == "veloria"
    assert not [r for r in start_requests(make(WeiboSpider, terms="v", path="legacy")) if "/user?" in r.url]
    cut = Listing("weibo", "5100000000000001", "https://weibo.com/1/x", "cut ...", kind="post")
    cut.raw = {"isLongText": True}
    (longtext,) = list(spider.complete([cut]))
    assert isinstance(longtext, Request) and "/ajax/statuses/longtext?id=5100000000000001" in longtext.url
    lt = HtmlResponse(
        url=longtext.url, body=(FIXTURES / "weibo/ajax_longtext.json").read_bytes(), request=longtext
    )
    (whole,) = list(longtext.callback(lt))
    assert (
        isinstance(whole, Listing)
        and "veloria-vip" in whole.title
        and whole.raw["markwatch_long_text"] == "read"
    )
