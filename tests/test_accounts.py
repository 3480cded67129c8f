"""Accounts without a browser: names, proxies, state, cookie files, the pool, the middleware, the CLI."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler.browser import AccountPool, AccountsMiddleware, api_kind, browser_platforms, load_pool
from crawler.cli import cli
from crawler.qr import modules, render
from markwatch.accounts import (
    PASTED,
    Account,
    AccountStore,
    check_account,
    check_name,
    check_proxy,
    login_state,
    playwright_proxy,
    profile_cookies,
)
from markwatch.errors import ConfigError
from spiders.common import ParsedPage


@pytest.mark.parametrize("name", ["main", "shop-2", "a", "x_y", "0abc", "a" * 32])
def test_good_account_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "../x", "a/b", "Main", "-a", "_a", "a b", "a" * 33, "pasted", ".", "..", "é", "a\n"]
)
def test_account_names_are_an_allow_list(name: str) -> None:
    with pytest.raises(ConfigError):
        check_name(name)


def test_pasted_is_reserved_but_usable_where_meant() -> None:
    assert check_name(PASTED, allow_pasted=True) == PASTED


@pytest.mark.parametrize(
    ("url", "server", "user"),
    [
        ("http://10.0.0.2:3128", "http://10.0.0.2:3128", None),
        ("socks5://127.0.0.1:1080", "socks5://127.0.0.1:1080", None),
        ("https://u:p@proxy.example:8443/", "https://proxy.example:8443", "u"),
    ],
)
def test_proxies(url: str, server: str, user: str | None) -> None:
    checked = check_proxy(url)
    proxy = playwright_proxy(checked)
    assert proxy is not None and proxy["server"] == server
    assert proxy.get("username") == user


@pytest.mark.parametrize(
    "url",
    [
        "ftp://h:21",
        "socks4://h:1080",
        "http://h",
        "http://h:80/path",
        "socks5://u:p@h:1080",
        "h:80",
        "http://:80",
    ],
)
def test_bad_proxies_are_one_line_errors(url: str) -> None:
    with pytest.raises(ConfigError) as exc:
        check_proxy(url)
    assert "\n" not in str(exc.value)


def test_store_keeps_health_beside_the_profiles(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "acc")
    assert store.list() == []
    store.save(Account("taobao", "main", proxy="socks5://127.0.0.1:1080"))
    store.update("jd", "b", logged_in=True)
    profile = store.profile_dir("taobao", "main")
    assert profile == tmp_path / "acc" / "taobao" / "main"
    profile.mkdir(parents=True)
    (profile / "Default").mkdir()
    cooled = store.record_refusal("taobao", "main", "slider", 600)
    assert cooled.last_refusal == "slider" and cooled.cooling() and not cooled.usable()
    assert cooled.cooling_until is not None and cooled.cooling_until > time.time() + 590
    again = AccountStore(tmp_path / "acc").get("taobao", "main")
    assert again is not None and again.proxy == "socks5://127.0.0.1:1080" and again.last_refusal == "slider"
    logged_out = store.record_refusal("jd", "b", "login", None)
    assert logged_out.logged_in is False and not logged_out.cooling() and not logged_out.usable()
    assert [a.key for a in store.list()] == ["taobao/main", "jd/b"]  # registry order
    assert store.remove("taobao", "main")
    assert not profile.exists()
    assert not store.remove("taobao", "main")
    with pytest.raises(ConfigError):
        store.profile_dir("taobao", "../../etc")
    with pytest.raises(ConfigError):
        store.profile_dir("ebay", "main")


def test_a_broken_state_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "accounts.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="move it aside"):
        AccountStore(tmp_path).update("jd", "a", proxy=None)


def _chromium_cookies(profile: Path, rows: list[tuple[str, str, float | None]]) -> None:
    """A profile's cookie file as Chromium writes it (the columns markwatch reads)."""
    (profile / "Default").mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(profile / "Default" / "Cookies")
    con.execute("CREATE TABLE cookies (host_key TEXT, name TEXT, encrypted_value BLOB, expires_utc INTEGER)")
    for host, name, expiry in rows:
        utc = int((expiry + 11_644_473_600) * 1_000_000) if expiry else 0
        con.execute("INSERT INTO cookies VALUES (?, ?, x'00', ?)", (host, name, utc))
    con.commit()
    con.close()


def test_login_state_from_the_profile_cookie_file(tmp_path: Path) -> None:
    store = AccountStore(tmp_path)
    soon = time.time() + 86400
    _chromium_cookies(
        store.profile_dir("taobao", "main"),
        [(".taobao.com", "unb", soon), (".taobao.com", "t", soon + 10), (".evil.com", "unb", soon + 99)],
    )
    rows = profile_cookies(store.profile_dir("taobao", "main"))
    assert (".taobao.com", "unb") in [(h, n) for h, n, _ in rows]
    logged_in, expiry = login_state("taobao", rows)
    assert logged_in and expiry is not None and abs(expiry - soon) < 1
    assert login_state("jd", rows) == (False, None)  # no JD login cookie
    assert login_state("taobao", [(".taobao.com", "unb", time.time() - 5)]) == (False, None)  # expired
    assert login_state("taobao", [("evil-taobao.com", "unb", None)]) == (False, None)  # not its domain
    store.save(Account("taobao", "main"))
    checked = check_account(store, store.get("taobao", "main"))  # type: ignore[arg-type]
    assert checked.logged_in is True and checked.checked_at is not None
    store.save(Account("weibo", "x"))
    assert check_account(store, store.get("weibo", "x")).logged_in is False  # type: ignore[arg-type]


def test_pool_order_rotation_and_names(tmp_path: Path) -> None:
    store = AccountStore(tmp_path)
    for name in ("b", "a"):
        store.update("jd", name, kind="profile", logged_in=True)
    store.update("jd", "sb", kind="profile", logged_in=True, sandbox=True)
    store.update("jd", "out", kind="profile", logged_in=False)
    pool = load_pool(store, "jd", names=[], sandbox=False, pasted=True, cooldown=60, parallel=1)
    assert [a.name for a in pool.accounts] == ["a", "b", "out", PASTED]  # the sandbox login is not used live
    assert [a.name for a in pool.active()] == ["a"]
    following = pool.refused(pool.accounts[0], "jd-risk")
    assert following is not None and following.name == "b"
    assert pool.events == ["jd/a: jd-risk, cooling down for 1 min; went on with jd/b"]
    assert store.get("jd", "a").cooling()  # type: ignore[union-attr]
    after_b = pool.refused(pool.accounts[1], "jd-risk")
    assert after_b is not None and after_b.name == PASTED  # the logged-out one is skipped
    assert pool.refused(after_b, "jd-risk") is None
    named = load_pool(store, "jd", names=["b", "a"], sandbox=False, pasted=False, cooldown=60, parallel=2)
    assert [a.name for a in named.accounts] == ["b", "a"]
    with pytest.raises(ConfigError, match="markwatch login jd --account zz"):
        load_pool(store, "jd", names=["zz"], sandbox=False, pasted=False, cooldown=1, parallel=1)
    with pytest.raises(ConfigError, match="MARKWATCH_COOKIES_JD"):
        load_pool(store, "jd", names=[PASTED], sandbox=False, pasted=False, cooldown=1, parallel=1)


def test_parallel_accounts_take_turns(tmp_path: Path) -> None:
    store = AccountStore(tmp_path)
    accounts = [Account("taobao", n, logged_in=True) for n in ("a", "b", "c")]
    pool = AccountPool("taobao", store, accounts, cooldown=1, parallel=2)
    assert {pool.pick().name for _ in range(4)} == {"a", "b"}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("auto", ("taobao", "tmall", "jd")),
        ("all", ("taobao", "tmall", "jd", "weibo")),
        ("off", ()),
        ("jd", ("jd",)),
    ],
)
def test_which_platforms_use_the_browser(value: str, expected: tuple[str, ...]) -> None:
    assert browser_platforms(Settings({"MARKWATCH_BROWSER": value})) == expected


def test_unknown_browser_platform_is_one_line() -> None:
    with pytest.raises(ConfigError, match="auto, all, off"):
        browser_platforms(Settings({"MARKWATCH_BROWSER": "ebay"}))


@pytest.mark.parametrize(
    ("platform", "url", "kind"),
    [
        ("taobao", "https://h5api.m.taobao.com/h5/mtop.taobao.wsearch.h5search/1.0/?jsv=2", "search"),
        ("tmall", "https://h5api.m.taobao.com/h5/mtop.taobao.pcdetail.data.get/1.0/?x", "item"),
        ("jd", "https://api.m.jd.com/api?appid=search-pc-java&functionId=pc_search_searchWare&x=1", "search"),
        ("jd", "https://api.m.jd.com/?functionId=pc_detailpage_wareBusiness", "item"),
        ("weibo", "https://weibo.com/ajax/statuses/longtext?id=1", "item"),
        ("jd", "https://api.m.jd.com.evil.cn/api?functionId=pc_search_searchWare", None),
        ("taobao", "https://g.alicdn.com/mtop.taobao.wsearch.h5search.js", None),
    ],
)
def test_which_answers_are_read_off_the_wire(platform: str, url: str, kind: str | None) -> None:
    assert api_kind(platform, url) == kind


# --- the middleware, without a browser ------------------------------------------------------------------


class FakeSpider:
    platform = "jd"
    name = "jd"

    def __init__(self, verdicts: dict[str, ParsedPage]) -> None:
        self.verdicts = verdicts

    def verdict(self, response: Any) -> ParsedPage | None:
        return self.verdicts.get(response.meta.get("markwatch_account", ""))


def _middleware(tmp_path: Path, verdicts: dict[str, ParsedPage], **settings: Any) -> AccountsMiddleware:
    store = AccountStore(tmp_path)
    for name in ("a", "b"):
        store.update("jd", name, kind="profile", logged_in=True)
    crawler = get_crawler(
        settings_dict={"MARKWATCH_ACCOUNTS_DIR": str(tmp_path), "MARKWATCH_BROWSER": "off", **settings}
    )
    crawler.spider = FakeSpider(verdicts)  # type: ignore[assignment]
    return AccountsMiddleware(crawler)


def _round(mw: AccountsMiddleware, request: Request) -> Any:
    mw.process_request(request)
    response = HtmlResponse(request.url, body=b"<html></html>", request=request)
    return asyncio.run(mw.process_response(request, response))


def test_a_refusal_cools_the_account_and_the_request_goes_to_the_next(tmp_path: Path) -> None:
    refused = ParsedPage([], "refused:jd-risk", detail="risk handler")
    mw = _middleware(tmp_path, {"jd/a": refused})
    request = Request("https://search.jd.com/Search?keyword=x", meta={"markwatch_kind": "search"})
    retry = _round(mw, request)
    assert isinstance(retry, Request) and retry.dont_filter
    assert mw.store.get("jd", "a").cooling()  # type: ignore[union-attr]
    final = _round(mw, retry)
    assert final.meta["markwatch_account"] == "jd/b" and not isinstance(final, Request)
    assert "markwatch_parsed" not in final.meta  # b's answer was fine: nothing for the spider to reuse


def test_with_no_account_left_the_refusal_reaches_the_spider(tmp_path: Path) -> None:
    refused = ParsedPage([], "refused:jd-risk", detail="risk handler")
    mw = _middleware(tmp_path, {"jd/a": refused, "jd/b": refused})
    request = Request("https://search.jd.com/Search?keyword=x", meta={"markwatch_kind": "search"})
    final = _round(mw, _round(mw, request))
    assert final.meta["markwatch_parsed"][1].outcome == "refused:jd-risk"  # the spider reports it
    assert final.meta["markwatch_parsed"][0] == final.url  # bound to the URL it was read from
    assert mw.pools["jd"].events[-1].endswith("no other account left")


def test_a_refusal_that_says_nothing_about_the_account_does_not_rotate(tmp_path: Path) -> None:
    mw = _middleware(tmp_path, {"jd/a": ParsedPage([], "refused:token", detail="token")})
    request = Request("https://search.jd.com/Search?keyword=x", meta={"markwatch_kind": "search"})
    assert not isinstance(_round(mw, request), Request)
    assert mw.store.get("jd", "a").last_refusal is None  # type: ignore[union-attr]


def test_photos_get_no_account(tmp_path: Path) -> None:
    mw = _middleware(tmp_path, {})
    photo = Request("https://img10.360buyimg.com/n1/a.jpg")
    assert mw.process_request(photo) is None and "markwatch_account" not in photo.meta


# --- the QR code in the terminal -------------------------------------------------------------------------


def _qr_like(n: int = 25, seed: int = 3) -> list[list[bool]]:
    import random

    rnd = random.Random(seed)
    grid = [[rnd.random() < 0.5 for _ in range(n)] for _ in range(n)]
    for ox, oy in ((0, 0), (n - 7, 0), (0, n - 7)):  # the three finder patterns
        for y in range(7):
            for x in range(7):
                ring = x in (0, 6) or y in (0, 6)
                core = 2 <= x <= 4 and 2 <= y <= 4
                grid[oy + y][ox + x] = ring or core
    return grid


def test_qr_modules_are_read_off_a_screenshot_and_printed(tmp_path: Path) -> None:
    grid = _qr_like()
    scale, margin = 6, 30
    image = Image.new("RGB", (25 * scale + 2 * margin,) * 2, "white")
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(grid):
        for x, dark in enumerate(row):
            if dark:
                x0, y0 = margin + x * scale, margin + y * scale
                draw.rectangle([x0, y0, x0 + scale - 1, y0 + scale - 1], fill="black")
    path = tmp_path / "qr.png"
    image.save(path)
    assert modules(path) == grid
    text = render(grid)
    lines = text.splitlines()
    assert len(lines) == (25 + 4 + 1) // 2 and all(len(line) == 29 for line in lines)
    assert lines[0] == "█" * 29  # the quiet zone is light
    blank = Image.new("RGB", (100, 100), "white")
    assert modules(blank) is None


# --- the CLI ------------------------------------------------------------------------------------------------


def test_accounts_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MARKWATCH_COOKIES_TAOBAO", "MARKWATCH_COOKIES_TMALL", "MARKWATCH_COOKIES_JD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("MARKWATCH_COOKIES_FILE", raising=False)
    monkeypatch.setenv("MARKWATCH_COOKIES_WEIBO", "SUB=abc; SUBP=def")
    runner = CliRunner()
    root = str(tmp_path)
    store = AccountStore(tmp_path)
    _chromium_cookies(store.profile_dir("jd", "main"), [(".jd.com", "thor", time.time() + 3600)])
    store.update("jd", "main", kind="profile", logged_in=None)
    store.update("taobao", "gone", kind="profile", logged_in=True)
    listed = runner.invoke(cli, ["accounts", "list", "--accounts-dir", root], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "jd" in listed.output and "main" in listed.output and "pasted" in listed.output  # weibo's cookies
    checked = runner.invoke(cli, ["accounts", "check", "--accounts-dir", root], env={"COLUMNS": "200"})
    assert checked.exit_code == 1, checked.output  # taobao/gone has no profile: logged out
    assert "markwatch login taobao --account gone" in checked.output
    assert store.get("jd", "main").logged_in is True  # type: ignore[union-attr]
    proxied = runner.invoke(
        cli, ["accounts", "proxy", "jd", "main", "socks5://127.0.0.1:1080", "--accounts-dir", root]
    )
    assert proxied.exit_code == 0, proxied.output
    assert store.get("jd", "main").proxy == "socks5://127.0.0.1:1080"  # type: ignore[union-attr]
    bad = runner.invoke(cli, ["accounts", "proxy", "jd", "main", "ftp://x:1", "--accounts-dir", root])
    assert bad.exit_code == 2 and "socks5://" in bad.output
    removed = runner.invoke(cli, ["accounts", "remove", "jd", "main", "--accounts-dir", root])
    assert removed.exit_code == 0, removed.output
    assert not store.profile_dir("jd", "main").exists()
    again = runner.invoke(cli, ["accounts", "remove", "jd", "main", "--accounts-dir", root])
    assert again.exit_code == 2 and "no account jd/main" in again.output
    hostile = runner.invoke(cli, ["login", "jd", "--account", "../../x", "--accounts-dir", root])
    assert hostile.exit_code == 2 and "not allowed" in hostile.output
    assert not (tmp_path.parent / "x").exists()


class FakePage:
    closed = False

    async def close(self) -> None:
        self.closed = True


def test_a_slider_with_a_window_asks_a_person_once_and_asks_again_with_the_same_account(
    tmp_path: Path,
) -> None:
    slider = ParsedPage([], "refused:jd-risk", detail="risk handler")  # a person can pass it
    mw = _middleware(tmp_path, {"jd/a": slider}, MARKWATCH_BROWSER="jd", MARKWATCH_BROWSER_WINDOW=True)
    questions: list[str] = []

    def person(prompt: str) -> str:
        questions.append(prompt)
        time.sleep(0.2)  # the other tab's refusal arrives while the person is at it
        return "\n"

    mw.ask = person

    async def two_tabs() -> list[Any]:
        out = []
        requests = [
            Request(f"https://search.jd.com/Search?keyword=x&page={n}", meta={"markwatch_kind": "search"})
            for n in (1, 2)
        ]
        pages = []
        for r in requests:
            mw.process_request(r)
            r.meta["markwatch_account"] = "jd/a"
            pages.append(FakePage())
            r.meta["playwright_page"] = pages[-1]
        out = await asyncio.gather(
            *(mw.process_response(r, HtmlResponse(r.url, body=b"<html></html>", request=r)) for r in requests)
        )
        assert all(p.closed for p in pages)
        return list(out)

    retries = asyncio.run(two_tabs())
    assert len(questions) == 1 and "solve it in the window, then press Enter" in questions[0]
    assert all(isinstance(r, Request) and r.meta["markwatch_account_wanted"] == "jd/a" for r in retries)
    assert not mw.store.get("jd", "a").cooling()  # type: ignore[union-attr]  # solved: no cool-down
    # a fresh page and fresh answers: nothing of the refused page is carried over
    assert not [k for k in retries[0].meta if k.startswith(("playwright", "markwatch_api_answers"))]


def test_a_person_who_gives_up_cools_the_account(tmp_path: Path) -> None:
    mw = _middleware(
        tmp_path,
        {"jd/a": ParsedPage([], "refused:jd-risk", detail="risk")},
        MARKWATCH_BROWSER="jd",
        MARKWATCH_BROWSER_WINDOW=True,
    )
    mw.ask = lambda prompt: ""  # Ctrl-D
    request = Request("https://search.jd.com/Search?keyword=x", meta={"markwatch_kind": "search"})
    mw.process_request(request)
    request.meta["markwatch_account"] = "jd/a"
    request.meta["playwright_page"] = FakePage()
    retry = asyncio.run(mw.process_response(request, HtmlResponse(request.url, body=b"", request=request)))
    assert isinstance(retry, Request) and retry.meta["markwatch_account_wanted"] == "jd/b"
    assert mw.store.get("jd", "a").cooling()  # type: ignore[union-attr]


def test_a_redirect_is_not_judged_and_a_stale_verdict_is_not_reused(tmp_path: Path) -> None:
    """A removed Taobao item 302s to noitem.htm: the verdict is read off the page it leads to, and a
    verdict read off another URL (meta follows redirects) is never taken for this one."""
    from spiders.base import PlatformSpider

    mw = _middleware(tmp_path, {"jd/a": ParsedPage([], "layout-changed", detail="no body")})
    request = Request("https://item.jd.com/1.html", meta={"markwatch_kind": "item"})
    mw.process_request(request)
    assert request.meta["markwatch_account"] == "jd/a"
    redirect = HtmlResponse(
        request.url, status=302, headers={"Location": "https://www.jd.com/?d"}, body=b"", request=request
    )
    out = asyncio.run(mw.process_response(request, redirect))
    assert out is redirect and "markwatch_parsed" not in redirect.meta
    stale = HtmlResponse("https://www.jd.com/?d", body=b"<html></html>", request=request)
    stale.meta["markwatch_parsed"] = ("https://item.jd.com/1.html", ParsedPage([], "layout-changed"))
    assert PlatformSpider._stashed_verdict(stale) is None
