"""Each refusal as the platforms give it today: named, with advice and the account/solvable flags."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.middlewares import RefusalMiddleware
from spiders.jd.legacy import parse_jd_item, parse_jd_prices
from spiders.jd.parsers import parse_api_answer as jd_api
from spiders.refusals import advice, all_modes, refusal_from_redirect, refusal_from_url, refusal_in_body
from spiders.taobao import parse_api_answer as taobao_api
from spiders.tmall.legacy import parse_tmall_search
from spiders.weibo import parse_api_answer as weibo_api
from spiders.weibo.legacy import parse_weibo_search

FIXTURES = Path(__file__).parent / "fixtures"
H5 = "https://h5api.m.taobao.com/h5/mtop.taobao.wsearch.h5search/1.0/"


def fx(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_baxia_deny_by_body_and_by_url() -> None:
    page = taobao_api(H5, fx("taobao/baxia_deny.json"))
    assert page is not None and page.outcome == "refused:baxia-deny"
    assert refusal_from_url("https://www.taobao.com/markets/bx/deny_h5?uuid=1") == "baxia-deny"


def test_rgv587_with_only_x5secdata() -> None:
    page = taobao_api(H5, fx("taobao/h5search_rgv587_x5sec.jsonp"))
    assert page is not None and page.outcome == "refused:rgv587-x5sec"
    # the older punish answer (a session's slider) stays rgv587
    old = taobao_api(H5, fx("taobao/mtop_rgv587.jsonp"))
    assert old is not None and old.outcome == "refused:rgv587"


def test_jd_risk_login_and_pdos() -> None:
    risk = "https://cfe.m.jd.com/privatedomain/risk_handler/03101900/?returnurl=x"
    assert parse_jd_item(b"<html></html>", risk).outcome == "refused:jd-risk"
    assert parse_jd_item(fx("jd/risk_handler.html"), "https://item.jd.com/100123456789.html").outcome == (
        "refused:jd-risk"
    )
    assert refusal_from_url("https://plogin.m.jd.com/login/login?appid=300") == "jd-login"
    assert refusal_in_body(fx("jd/pdos_captcha.json").decode(), "jd") is not None
    url = "https://api.m.jd.com/api?functionId=pc_search_searchWare"
    assert jd_api(url, fx("jd/pdos_captcha.json")).outcome == "refused:pdos-captcha"  # type: ignore[union-attr]
    assert parse_jd_prices(fx("jd/pdos_captcha.json")) == {}


def test_weibo_login_visitor_and_432() -> None:
    assert refusal_from_url("https://passport.weibo.com/sso/signin?entry=miniblog") == "weibo-login"
    assert refusal_from_url("https://passport.weibo.com/visitor/visitor?entry=miniblog") == "visitor"
    page = parse_weibo_search(fx("weibo/sso_login_error.html"), "https://s.weibo.com/weibo?q=v")
    assert page.outcome == "refused:weibo-login"
    ajax = weibo_api("https://weibo.com/ajax/statuses/show?id=1", fx("weibo/ajax_login.json"))
    assert ajax is not None and ajax.outcome == "refused:weibo-login"


def test_tmall_list_redirect_is_tmall_moved_not_a_cookie_problem() -> None:
    source = "https://list.tmall.com/search_product.htm?q=veloria"
    target = "https://login.taobao.com/member/login.jhtml?redirectURL=https%3A%2F%2Flist.tmall.com%2Fsearch_product.htm"
    assert refusal_from_redirect(source, target, "tmall") == "tmall-moved"
    assert parse_tmall_search(b"<html></html>", target).outcome == "refused:tmall-moved"
    text = advice("tmall", "tmall-moved")
    assert "s.taobao.com tab=mall" in text and "cookie" not in text.split(":")[0]
    # a Taobao search sent to login is still a login wall
    assert refusal_from_redirect("https://s.taobao.com/search?q=v", target.split("?")[0], "taobao") == "login"


def run(mw: RefusalMiddleware, request: Request, response: HtmlResponse) -> object:
    return asyncio.run(mw.process_response(request, response))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "status", "location", "mode"),
    [
        ("https://m.weibo.cn/api/container/getIndex?containerid=x", 432, None, "weibo-432"),
        ("https://item.jd.com/1.html", 302, "https://cfe.m.jd.com/privatedomain/risk_handler/x", "jd-risk"),
        (
            "https://list.tmall.com/search_product.htm?q=v",
            302,
            "https://login.taobao.com/member/login.jhtml",
            "tmall-moved",
        ),
        (
            "https://s.weibo.com/weibo?q=v",
            302,
            "https://passport.weibo.com/sso/signin?entry=miniblog",
            "weibo-login",
        ),
        (
            "https://h5api.m.taobao.com/h5/x/1.0/",
            302,
            "https://www.taobao.com/markets/bx/deny_h5",
            "baxia-deny",
        ),
    ],
)
def test_middleware_names_todays_refusals(url: str, status: int, location: str | None, mode: str) -> None:
    mw = RefusalMiddleware.from_crawler(get_crawler(settings_dict={"MARKWATCH_BACKOFF_BASE": 0}))
    request = Request(url)
    headers = {"Location": location} if location else {}
    run(mw, request, HtmlResponse(url=url, status=status, headers=headers, body=b"", request=request))
    assert request.meta["markwatch_refusal"][0] == mode


EXPECTED = {
    # name: (cools the account, a person can solve it)
    "baxia-deny": (True, False),
    "rgv587-x5sec": (True, True),
    "jd-risk": (True, True),
    "jd-login": (True, False),
    "jd-605": (True, True),
    "pdos-captcha": (True, False),
    "weibo-432": (True, False),
    "weibo-login": (True, False),
    "visitor": (True, False),
    "tmall-moved": (False, False),
    "slider": (True, True),
    "token": (False, False),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_mode_has_advice_and_flags(name: str) -> None:
    mode = all_modes()[name]
    assert (mode.cool_account, mode.solvable) == EXPECTED[name]
    line = advice("taobao", name)
    assert line and "\n" not in line and "{" not in line
