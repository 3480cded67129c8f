"""Pure parsing functions, one per response kind: ``parse_<platform>_<kind>(body, url) -> ParsedPage``.

They never import Scrapy, so ``markwatch parse`` and the tests run them on saved files. Each returns the
listings and what the page says about itself (:class:`ParsedPage`): ``ok``, ``empty`` (the platform's
own no-result page), ``refused:<mode>`` (login wall, slider, RGV587, token, jd-605, visitor,
access-denied, banned, busy) or ``layout-changed`` (a 200 page that parses to nothing and is not the
platform's no-result page).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from spiders.parsers.common import ParsedPage, advice, to_text
from spiders.parsers.jd import parse_jd_api, parse_jd_item, parse_jd_prices, parse_jd_search
from spiders.parsers.taobao import parse_taobao_item, parse_taobao_mtop, parse_taobao_search
from spiders.parsers.tmall import parse_tmall_item, parse_tmall_search
from spiders.parsers.weibo import parse_weibo_mobile, parse_weibo_search

Parser = Callable[..., ParsedPage]

#: (platform, kind) → parser.
PARSERS: dict[tuple[str, str], Parser] = {
    ("taobao", "search"): parse_taobao_search,
    ("taobao", "mtop"): parse_taobao_mtop,
    ("taobao", "item"): parse_taobao_item,
    ("tmall", "search"): parse_tmall_search,
    ("tmall", "item"): parse_tmall_item,
    ("jd", "search"): parse_jd_search,
    ("jd", "api"): parse_jd_api,
    ("jd", "item"): parse_jd_item,
    ("weibo", "search"): parse_weibo_search,
    ("weibo", "mobile"): parse_weibo_mobile,
}

#: A placeholder URL per kind, for files parsed without their URL.
DEFAULT_URLS: dict[tuple[str, str], str] = {
    ("taobao", "search"): "https://s.taobao.com/search?q=",
    (
        "taobao",
        "mtop",
    ): "https://h5api.m.taobao.com/h5/mtop.relationrecommend.wirelessrecommend.recommend/2.0/",
    ("taobao", "item"): "https://item.taobao.com/item.htm",
    ("tmall", "search"): "https://list.tmall.com/search_product.htm?q=",
    ("tmall", "item"): "https://detail.tmall.com/item.htm",
    ("jd", "search"): "https://search.jd.com/Search?keyword=&enc=utf-8&page=1",
    ("jd", "api"): "https://api.m.jd.com/api?functionId=pc_search_searchWare",
    ("jd", "item"): "https://item.jd.com/0.html",
    ("weibo", "search"): "https://s.weibo.com/weibo?q=",
    ("weibo", "mobile"): "https://m.weibo.cn/api/container/getIndex?containerid=100103type%3D1",
}


def kind_of(platform: str, text: str, url: str | None = None) -> str:
    """Which response kind a body is, from its URL when known, else from what it contains."""
    host, path = "", ""
    if url:
        parts = urlsplit(url)
        host, path = parts.hostname or "", parts.path
    if platform == "taobao":
        if host.startswith("h5api.") or "mtop." in path:
            return "mtop"
        if host.startswith("item.") or (re.search(r"\bg_config\s*=", text) and "g_page_config" not in text):
            return "item"
        if "g_page_config" in text or host.startswith("s."):
            return "search"
        return "mtop" if re.match(r"\s*(mtopjsonp\d*\(|\{)", text) else "search"
    if platform == "tmall":
        if host.startswith("detail.") or "TShop.Setup" in text:
            return "item"
        return "search"
    if platform == "jd":
        if host.startswith("api.") or re.match(r"\s*\{", text):
            return "api"
        if host.startswith("item.") or ("pageConfig" in text and "gl-item" not in text):
            return "item"
        return "search"
    if platform == "weibo":
        if host == "m.weibo.cn" or re.match(r"\s*\{", text):
            return "mobile"
        return "search"
    raise ValueError(f"unknown platform {platform!r} (taobao, tmall, jd, weibo)")


def parse_any(
    platform: str, body: bytes | str, url: str | None = None, kind: str | None = None
) -> ParsedPage:
    """Parse a saved page or API response of ``platform``, guessing its kind when not given."""
    text = to_text(body)
    kind = kind or kind_of(platform, text, url)
    parser = PARSERS.get((platform, kind))
    if parser is None:
        known = ", ".join(k for p, k in PARSERS if p == platform)
        raise ValueError(f"no {kind!r} parser for {platform} (known: {known})")
    return parser(text, url or DEFAULT_URLS[(platform, kind)])


__all__ = [
    "DEFAULT_URLS",
    "PARSERS",
    "ParsedPage",
    "advice",
    "kind_of",
    "parse_any",
    "parse_jd_api",
    "parse_jd_item",
    "parse_jd_prices",
    "parse_jd_search",
    "parse_taobao_item",
    "parse_taobao_mtop",
    "parse_taobao_search",
    "parse_tmall_item",
    "parse_tmall_search",
    "parse_weibo_mobile",
    "parse_weibo_search",
]
