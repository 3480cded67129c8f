"""The downloader middlewares: sandbox rewrite, refusal detection and back-off, platform cookies."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Request, Response
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler.middlewares import (
    PlatformCookiesMiddleware,
    RefusalMiddleware,
    SandboxMiddleware,
    from_sandbox,
    load_platform_cookies,
    read_cookie_file,
    retry_after_seconds,
    to_sandbox,
)
from markwatch.errors import UserError
from spiders.jd.spider import JdSpider
from spiders.weibo.spider import WeiboSpider

BASE = "http://127.0.0.1:8710"


def test_sandbox_url_mapping() -> None:
    real = "https://s.taobao.com/search?q=veloria&s=44"
    assert to_sandbox(real, BASE) == f"{BASE}/s.taobao.com/search?q=veloria&s=44"
    assert from_sandbox(to_sandbox(real, BASE), BASE + "/") == real
    assert to_sandbox("https://item.jd.com/1.html", BASE + "/") == f"{BASE}/item.jd.com/1.html"
    assert from_sandbox("http://elsewhere/x", BASE) is None


def test_sandbox_middleware_rewrites_and_maps_back() -> None:
    crawler = get_crawler(settings_dict={"MARKWATCH_SANDBOX_URL": BASE})
    mw = SandboxMiddleware.from_crawler(crawler)
    request = Request("https://s.taobao.com/search?q=veloria", meta={"markwatch_page": 1})
    rewritten = mw.process_request(request)
    assert rewritten is not None and rewritten.url == f"{BASE}/s.taobao.com/search?q=veloria"
    assert rewritten.meta["markwatch_page"] == 1 and rewritten.dont_filter
    # the platform host's own download slot (delay, concurrency), not one slot for the sandbox
    assert rewritten.meta["download_slot"] == "s.taobao.com"
    photo = Request("https://img.alicdn.com/a.jpg", meta={"download_slot": "photos:taobao"})
    assert mw.process_request(photo).meta["download_slot"] == "photos:taobao"  # type: ignore[union-attr]
    assert mw.process_request(rewritten) is None  # already on the sandbox: sent as is
    login = "/login.taobao.com/member/login.jhtml?redirectURL=x"
    answer = HtmlResponse(
        url=rewritten.url, status=302, headers={"Location": login}, body=b"", request=rewritten
    )
    mapped = mw.process_response(rewritten, answer)
    assert mapped.url == "https://s.taobao.com/search?q=veloria"
    assert mapped.headers[b"Location"] == b"https://login.taobao.com/member/login.jhtml?redirectURL=x"
    with pytest.raises(NotConfigured):
        SandboxMiddleware.from_crawler(get_crawler(settings_dict={}))
    with pytest.raises(UserError, match="http://"):
        SandboxMiddleware.from_crawler(get_crawler(settings_dict={"MARKWATCH_SANDBOX_URL": "localhost:1"}))


def run(mw: RefusalMiddleware, request: Request, response: Response) -> Any:
    return asyncio.run(mw.process_response(request, response))


def refusal_mw(**settings: Any) -> RefusalMiddleware:
    crawler = get_crawler(settings_dict={"MARKWATCH_BACKOFF_BASE": 0.0, **settings})
    crawler.stats.open_spider(None)
    return RefusalMiddleware.from_crawler(crawler)


@pytest.mark.parametrize(
    ("location", "mode"),
    [
        ("https://login.taobao.com/member/login.jhtml?redirectURL=http://s.taobao.com/search?q=v", "login"),
        ("https://passport.weibo.com/visitor/visitor?entry=miniblog&url=https://s.weibo.com", "visitor"),
        ("https://passport.jd.com/new/login.aspx?ReturnUrl=x", "login"),
        ("//s.taobao.com//_____tmd_____/punish?x5secdata=abc&x5step=2", "slider"),
    ],
)
def test_redirect_to_a_refusal_host_is_not_followed(location: str, mode: str) -> None:
    request = Request("https://s.taobao.com/search?q=v")
    response = HtmlResponse(
        url=request.url, status=302, headers={"Location": location}, body=b"", request=request
    )
    assert run(refusal_mw(), request, response) is response
    assert request.meta["markwatch_refusal"][0] == mode
    assert request.meta["dont_redirect"] and request.meta["handle_httpstatus_all"]


def test_ordinary_redirect_is_left_alone() -> None:
    request = Request("http://s.weibo.com/weibo?q=v")
    response = HtmlResponse(
        url=request.url,
        status=301,
        headers={"Location": "https://s.weibo.com/weibo?q=v"},
        body=b"",
        request=request,
    )
    run(refusal_mw(), request, response)
    assert "markwatch_refusal" not in request.meta and "dont_redirect" not in request.meta


def test_throttling_retries_then_reports() -> None:
    mw = refusal_mw(MARKWATCH_THROTTLE_RETRIES=2)
    request = Request("https://search.jd.com/Search?keyword=v")
    first = HtmlResponse(url=request.url, status=429, headers={"Retry-After": "0"}, body=b"", request=request)
    retry = run(mw, request, first)
    assert isinstance(retry, Request) and retry.meta["markwatch_throttle_attempt"] == 1 and retry.dont_filter
    again = run(mw, retry, HtmlResponse(url=request.url, status=503, body=b"", request=retry))
    assert isinstance(again, Request) and again.meta["markwatch_throttle_attempt"] == 2
    last = HtmlResponse(url=request.url, status=503, body=b"", request=again)
    assert run(mw, again, last) is last
    assert again.meta["markwatch_refusal"][0] == "throttled" and again.meta["dont_retry"]
    assert mw.crawler.stats.get_value("markwatch/throttle/retries") == 2


def test_retry_after_and_backoff() -> None:
    assert retry_after_seconds(b"120") == 120.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 30) == 30.0
    assert retry_after_seconds(None) is None and retry_after_seconds(b"soon") is None
    mw = refusal_mw(MARKWATCH_BACKOFF_BASE=10.0, MARKWATCH_BACKOFF_MAX=300.0)
    plain = HtmlResponse(url="https://x/", status=429, body=b"")
    assert [mw.delay_for(plain, n) for n in range(4)] == [10.0, 20.0, 40.0, 80.0]
    stated = HtmlResponse(url="https://x/", status=429, headers={"Retry-After": "9999"}, body=b"")
    assert mw.delay_for(stated, 0) == 300.0


@pytest.mark.parametrize(("status", "mode"), [(403, "forbidden"), (418, "access-denied")])
def test_forbidden_is_marked(status: int, mode: str) -> None:
    request = Request("https://m.weibo.cn/api/container/getIndex?containerid=x")
    run(refusal_mw(), request, HtmlResponse(url=request.url, status=status, body=b"", request=request))
    assert request.meta["markwatch_refusal"][0] == mode


# --- cookies --------------------------------------------------------------------------------------

NETSCAPE = (
    "# Netscape HTTP Cookie File\n"
    ".taobao.com\tTRUE\t/\tFALSE\t1900000000\t_m_h5_tk\tabc_1700000000000\n"
    "#HttpOnly_.taobao.com\tTRUE\t/\tTRUE\t1900000000\tcookie2\tsecret\n"
    ".jd.com\tTRUE\t/\tFALSE\t1900000000\tthor\tJDTOKEN\n"
    ".weibo.com\tTRUE\t/\tFALSE\t1900000000\tSUB\t_2A25visitor\n"
)


def test_cookie_files_and_strings(tmp_path: Path) -> None:
    netscape = tmp_path / "cookies.txt"
    netscape.write_text(NETSCAPE)
    settings = Settings({"MARKWATCH_COOKIES_FILE": str(netscape)})
    assert load_platform_cookies(settings, "taobao") == {"_m_h5_tk": "abc_1700000000000", "cookie2": "secret"}
    assert load_platform_cookies(settings, "tmall") == {"_m_h5_tk": "abc_1700000000000", "cookie2": "secret"}
    assert load_platform_cookies(settings, "jd") == {"thor": "JDTOKEN"}
    exported = tmp_path / "weibo.json"
    exported.write_text(json.dumps([{"domain": ".weibo.com", "name": "SUB", "value": "real"}, {"name": "x"}]))
    settings = Settings({"MARKWATCH_COOKIES_FILE": str(netscape), "MARKWATCH_COOKIES_WEIBO": str(exported)})
    assert load_platform_cookies(settings, "weibo") == {"SUB": "real"}
    header = Settings({"MARKWATCH_COOKIES_TAOBAO": "a=1; b=2=3 ; junk"})
    assert load_platform_cookies(header, "tmall") == {"a": "1", "b": "2=3"}  # Tmall falls back to Taobao's
    mapping = tmp_path / "map.json"
    mapping.write_text('{"pin": "me"}')
    assert read_cookie_file(mapping) == [("", "pin", "me")]


def test_bad_cookie_sources_are_one_line_errors(tmp_path: Path) -> None:
    broken = tmp_path / "c.json"
    broken.write_text("[{oops")
    with pytest.raises(UserError, match="not valid JSON"):
        read_cookie_file(broken)
    odd = tmp_path / "c.txt"
    odd.write_text("just some words\n")
    with pytest.raises(UserError, match="Netscape"):
        read_cookie_file(odd)
    with pytest.raises(UserError, match="neither a cookie string"):
        load_platform_cookies(Settings({"MARKWATCH_COOKIES_JD": str(tmp_path / "missing.txt")}), "jd")


def test_cookie_middleware_uses_the_jar_or_a_header() -> None:
    crawler = get_crawler(JdSpider, settings_dict={"MARKWATCH_COOKIES_JD": "thor=T; pin=P"})
    crawler.spider = JdSpider.from_crawler(crawler, terms="v")
    mw = PlatformCookiesMiddleware.from_crawler(crawler)
    request = Request("https://search.jd.com/Search?keyword=v", cookies={"pin": "mine"})
    mw.process_request(request)
    assert request.cookies == {"pin": "mine", "thor": "T"} and b"Cookie" not in request.headers
    crawler = get_crawler(WeiboSpider, settings_dict={"MARKWATCH_COOKIES_WEIBO": "SUB=S; SUBP=P"})
    crawler.spider = WeiboSpider.from_crawler(crawler, terms="v")
    mw = PlatformCookiesMiddleware.from_crawler(crawler)
    request = Request("https://s.weibo.com/weibo?q=v")
    mw.process_request(request)
    assert request.headers[b"Cookie"] == b"SUB=S; SUBP=P"  # COOKIES_ENABLED is off for Weibo


def slot_of(settings: dict[str, Any], request: Request) -> tuple[str, int, float]:
    from scrapy.core.downloader import Downloader

    downloader = Downloader(get_crawler(settings_dict=settings))
    try:
        key, slot = downloader._get_slot(request)  # how Scrapy's downloader picks and builds a slot
    finally:
        downloader.close()
    return key, slot.concurrency, slot.delay


def test_photos_have_their_own_polite_slot_per_platform() -> None:
    """A photo CDN is not held to the search pages' 5 s delay, nor left without any."""
    from crawler import settings as project
    from crawler.pipelines import PhotosPipeline

    real = {k: getattr(project, k) for k in dir(project) if k.isupper()}
    crawler = get_crawler(settings_dict={**real, "MARKWATCH_PHOTOS_DIR": "/tmp/markwatch-test-photos"})
    pipeline = PhotosPipeline.from_crawler(crawler)
    item = {"platform": "jd", "image_urls": ["https://img10.360buyimg.com/n7/jfs/t1/a.jpg"]}
    (request,) = pipeline.get_media_requests(item, None)
    assert request.meta["download_slot"] == "photos:jd" and request.meta["autothrottle_dont_adjust_delay"]
    photo = project.MARKWATCH_PHOTO_SLOT
    assert slot_of(real, request) == ("photos:jd", photo["concurrency"], photo["delay"])
    assert photo["delay"] < project.DOWNLOAD_DELAY and photo["concurrency"] <= 6  # gentler than a browser
    search = Request("https://search.jd.com/Search?keyword=veloria")
    assert slot_of(real, search) == ("search.jd.com", 1, project.DOWNLOAD_DELAY)
    assert slot_of(real, Request("https://m.weibo.cn/api/container/getIndex"))[2] == 10
    # against the sandbox: full speed everywhere
    sandbox = {**real, **project.MARKWATCH_SANDBOX_OVERRIDES}
    assert slot_of(sandbox, request) == ("photos:jd", 32, 0)
    assert slot_of(sandbox, Request("https://m.weibo.cn/api/container/getIndex"))[1:] == (32, 0)
