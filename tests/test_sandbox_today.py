"""Issue 10: the sandbox serves today's platforms by default — login-gated shells whose own scripts sign
their API calls (checked by the server), QR login through a ``/_sandbox/`` hook, per-account risk
control — and refuses plain HTTP clients as the real sites do. The browser tests run Debian's Chromium
through Playwright on the pages' own scripts."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox import Sandbox, serve


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One request as a plain HTTP client sends it (no script, redirects not followed)."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with _OPENER.open(req, timeout=15) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def post(url: str) -> tuple[int, Any]:
    req = urllib.request.Request(url, method="POST", data=b"")
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with serve(seed=7, size=300) as s:
        yield s


# --- plain HTTP: refused as the real sites refuse it ---------------------------------------------------


def test_taobao_search_signed_out_redirects_to_login(sb: Sandbox) -> None:
    status, headers, _ = get(sb.url_for("https://s.taobao.com/search?q=veloria"))
    assert status == 302
    assert headers["Location"].startswith(
        f"{sb.url}/login.taobao.com/member/login.jhtml?redirectURL=https%3A"
    )


def test_taobao_search_with_session_cookies_is_an_empty_shell(sb: Sandbox) -> None:
    _, session = post(f"{sb.url}/_sandbox/login/session?platform=taobao&account=pasted")
    status, _, body = get(
        sb.url_for("https://s.taobao.com/search?q=veloria"), {"Cookie": cookie_header(session["cookies"])}
    )
    text = body.decode()
    assert status == 200 and 'id="content_items_wrapper"' in text
    assert "doubleCard" in text and 'data-spm-act-id="' not in text  # class names only in the script's table
    ids = {x.item_id for x in sb.catalogue.search("taobao", "veloria")}
    assert not any(i in text for i in ids)


def test_mtop_without_the_pages_script(sb: Sandbox) -> None:
    api = "https://h5api.m.taobao.com/h5/mtop.taobao.wsearch.h5search/1.0/?appKey=12574478&t=1&sign=x&data=%7B%22q%22%3A%22veloria%22%7D"
    _, _, body = get(sb.url_for(api))
    assert json.loads(body)["ret"][1].startswith("RGV587_ERROR::SM")  # no session: RGV587
    _, session = post(f"{sb.url}/_sandbox/login/session?platform=taobao&account=pasted2")
    _, _, body = get(sb.url_for(api), {"Cookie": cookie_header(session["cookies"])})
    assert json.loads(body) == {"rgv587_flag": "sm", "url": "https://www.taobao.com/markets/bx/deny_h5"}
    legacy = (
        "https://h5api.m.taobao.com/h5/mtop.relationrecommend.wirelessrecommend.recommend/2.0/?data=%7B%7D"
    )
    _, _, body = get(sb.url_for(legacy), {"Cookie": cookie_header(session["cookies"])})
    assert json.loads(body)["rgv587_flag"] == "sm"


def test_tmall_list_redirects_to_taobao_login(sb: Sandbox) -> None:
    status, headers, _ = get(sb.url_for("https://list.tmall.com/search_product.htm?q=veloria"))
    assert status == 302 and "/login.taobao.com/member/login.jhtml?redirectURL=" in headers["Location"]


def test_jd_refuses_plain_clients(sb: Sandbox) -> None:
    _, session = post(f"{sb.url}/_sandbox/login/session?platform=jd&account=pasted")
    cookies = {"Cookie": cookie_header(session["cookies"])}
    for url in (
        "https://search.jd.com/Search?keyword=veloria&enc=utf-8",
        "https://search.jd.com/s_new.php?keyword=veloria&page=2",
        "https://api.m.jd.com/api?appid=search-pc-java&functionId=pc_search_searchWare&body=%7B%7D&h5st=x",
    ):
        for headers in ({}, cookies):
            status, _, body = get(sb.url_for(url), headers)
            assert (status, body) == (403, b""), url
    status, _, body = get(sb.url_for("https://p.3.cn/prices/mgets?skuIds=J_1"))
    assert status == 404 and b"p.3.cn is retired" in body
    sku = sb.catalogue.by_platform("jd")[0].item_id
    status, headers, _ = get(sb.url_for(f"https://item.jd.com/{sku}.html"))
    assert status == 302 and "/cfe.m.jd.com/privatedomain/risk_handler/" in headers["Location"]


def test_jd_api_in_a_browser_without_the_signature(sb: Sandbox) -> None:
    _, session = post(f"{sb.url}/_sandbox/login/session?platform=jd&account=pasted3")
    headers = {"Cookie": cookie_header(session["cookies"]), "Sec-Fetch-Mode": "cors"}
    url = "https://api.m.jd.com/api?appid=search-pc-java&functionId=pc_search_searchWare&body=%7B%22keyword%22%3A%22veloria%22%7D&t=1&h5st=1%3B2%3B3%3Btk03wabc%3Bsig%3B5.1%3B1"
    status, _, body = get(sb.url_for(url), headers)
    assert status == 200 and json.loads(body) == {"code": "605", "echo": "the request needs to authenticate"}


def test_weibo_signed_out_goes_through_the_visitor_system(sb: Sandbox) -> None:
    status, headers, _ = get(sb.url_for("https://s.weibo.com/weibo?q=veloria"))
    assert status == 302 and "/passport.weibo.com/visitor/visitor?entry=miniblog" in headers["Location"]
    status, headers, _ = get(
        sb.url_for("https://s.weibo.com/weibo?q=veloria"), {"Cookie": "SUB=_2AkMvisitor"}
    )
    assert status == 302 and "/passport.weibo.com/sso/signin?" in headers["Location"]
    _, session = post(f"{sb.url}/_sandbox/login/session?platform=weibo&account=pasted")
    status, _, body = get(
        sb.url_for("https://s.weibo.com/weibo?q=veloria"), {"Cookie": cookie_header(session["cookies"])}
    )
    assert status == 200 and b'<div class="from"' in body


# --- Chromium running the served scripts --------------------------------------------------------------

browser_only = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed"),
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def login(sb: Sandbox, page: Any, platform: str, account: str, start: str) -> None:
    """Open ``start`` signed out, land on the QR login page, scan it through the hook, wait to be back."""
    page.goto(sb.url_for(start))
    page.wait_for_selector("#sbx-qr")
    page.wait_for_function("document.getElementById('sbx-qr').naturalWidth > 0")
    status, scanned = post(f"{sb.url}/_sandbox/login/scan?platform={platform}&account={account}")
    assert status == 200, scanned
    page.wait_for_url(lambda u: "/login" not in u and "/sso/" not in u and "passport" not in u, timeout=15000)


def ready(page: Any) -> str:
    page.wait_for_selector("body[data-sbx-ready]", timeout=15000)
    return str(page.get_attribute("body", "data-sbx-ready"))


@pytest.mark.browser
def test_taobao_in_chromium(sb: Sandbox, chromium: Any) -> None:
    ctx = chromium.new_context()
    page = ctx.new_page()
    answers: list[dict[str, Any]] = []
    page.on(
        "response",
        lambda r: answers.append(r.json()) if "mtop.taobao.wsearch.h5search" in r.url else None,
    )
    login(sb, page, "taobao", "alice", "https://s.taobao.com/search?q=veloria")
    assert "/s.taobao.com/search?q=veloria" in page.url
    assert ready(page) != "error"
    cards = page.eval_on_selector_all(
        '[class*="doubleCard--"]',
        """els => els.map(e => ({id: e.parentElement.getAttribute('data-spm-act-id'),
              title: e.querySelector('[class*="title--"]').textContent,
              price: e.querySelector('[class*="priceInt--"]').textContent
                   + e.querySelector('[class*="priceFloat--"]').textContent}))""",
    )
    expected = sb._live_results("taobao", "veloria")[:48]
    assert [c["id"] for c in cards] == [x.item_id for x in expected]
    assert [c["title"] for c in cards] == [x.title for x in expected]
    assert [float(c["price"]) for c in cards] == [x.price(sb.epoch) for x in expected]
    assert answers and answers[-1]["ret"] == ["SUCCESS::调用成功"]  # the JSON is on the wire too
    assert {c["name"] for c in ctx.cookies()} >= {"cookie2", "_m_h5_tk", "_m_h5_tk_enc"}
    # Tmall: the same shell with tab=mall lists the Tmall stores' items
    page.goto(sb.url_for("https://s.taobao.com/search?q=veloria&tab=mall"))
    ready(page)
    ids = page.eval_on_selector_all(
        "[data-spm-act-id]", "els => els.map(e => e.getAttribute('data-spm-act-id'))"
    )
    tmall = [x.item_id for x in sb._live_results("taobao", "veloria") if x.platform == "tmall"][:48]
    assert ids == tmall and tmall
    # an item page: ICE data server-rendered
    x = sb.catalogue.get("tmall", tmall[0])
    assert x is not None
    page.goto(sb.url_for(x.url))
    res = page.evaluate("window.__ICE_APP_CONTEXT__.loaderData.home.data.res")
    assert res["item"]["itemId"] == x.item_id and res["seller"]["shopName"] == x.seller.name
    assert float(res["skuCore"]["sku2info"]["0"]["price"]["priceText"]) == x.price(sb.epoch)
    ctx.close()
