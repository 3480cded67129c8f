"""Taobao's spider.

Default (``path=today``): the search runs through mtop ``mtop.taobao.wsearch.h5search/1.0``. Over
HTTP the spider builds that signed request itself (``sign = md5(token&t&appKey&data)``, the token
from ``_m_h5_tk``); with the browser path (``MARKWATCH_PLAYWRIGHT``) it opens
``s.taobao.com/search?q=…`` and reads the API answers the page's own script fetched
(``response.meta["markwatch_api_answers"]``), else the rendered cards. ``path=legacy``: the
``s.taobao.com/search`` page with ``g_page_config`` (44 a page; ``api=mtop``: the 2024–25
``relationrecommend`` API, 48 a page). Item pages for hits that lack the seller or photos."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any, ClassVar, Literal
from urllib.parse import quote, urlencode

import scrapy
from pydantic import Field
from scrapy.http import Response

from markwatch.listing import Listing
from spiders.base import PlatformSpider, SearchParams, content_type
from spiders.common import ParsedPage, to_text
from spiders.taobao.legacy import parse_taobao_item, parse_taobao_mtop, parse_taobao_search
from spiders.taobao.parsers import parse_api_answer

#: Taobao's own app key for the h5 mtop gateway (seen in every public mtop client).
MTOP_APP_KEY = "12574478"
MTOP_API = "mtop.relationrecommend.wirelessrecommend.recommend"
MTOP_URL = f"https://h5api.m.taobao.com/h5/{MTOP_API}/2.0/"
H5SEARCH_API = "mtop.taobao.wsearch.h5search"
H5SEARCH_URL = f"https://h5api.m.taobao.com/h5/{H5SEARCH_API}/1.0/"


class TaobaoParams(SearchParams):
    api: Literal["h5search", "html", "mtop"] | None = Field(
        default=None,
        description="h5search: today's mtop search (the default); html: the legacy s.taobao.com/search "
        "page (the default with path=legacy); mtop: the 2024-25 relationrecommend API",
    )
    sort: str = Field(default="default", description="sort order: default, sale-desc, price-asc, price-desc…")


def taobao_search_url(term: str, page: int, sort: str = "default", tab: str | None = None) -> str:
    """``https://s.taobao.com/search?q=…&s=44*(page-1)`` (``&tab=mall``: Tmall's items only)."""
    query = {"q": term, "s": str(44 * (page - 1)), "sort": sort, "ie": "utf8"}
    if tab:
        query["tab"] = tab
    return "https://s.taobao.com/search?" + urlencode(query, quote_via=quote)


def h5search_data(term: str, page: int, tab: str = "all", sort: str = "default") -> str:
    """The ``data`` of an h5search call: a flat object (no stringified ``params``)."""
    data: dict[str, Any] = {"q": term, "page": page, "n": 48, "tab": tab, "m": "pc", "sort": sort}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def h5search_url(term: str, page: int, token: str, tab: str = "all", t: str | None = None) -> str:
    """``https://h5api.m.taobao.com/h5/mtop.taobao.wsearch.h5search/1.0/?…&sign=…&data=…``."""
    data = h5search_data(term, page, tab)
    t = t or str(int(time.time() * 1000))
    query = {
        "jsv": "2.7.2",
        "appKey": MTOP_APP_KEY,
        "t": t,
        "sign": mtop_sign(token, t, data),
        "api": H5SEARCH_API,
        "v": "1.0",
        "type": "jsonp",
        "dataType": "jsonp",
        "callback": f"mtopjsonp{page}",
        "data": data,
    }
    return H5SEARCH_URL + "?" + urlencode(query, quote_via=quote)


def mtop_data(term: str, page: int, feed: dict[str, Any] | None = None) -> str:
    params: dict[str, Any] = {
        "page": page,
        "n": 48,
        "pageSize": 48,
        "q": term,
        "tab": "all",
        "sort": "_coefp",
        "m": "pc",
        "ttid": "600000@taobao_pc_10.7.0",
    }
    params.update(feed or {})
    return json.dumps(
        {"appId": "34385", "params": json.dumps(params, ensure_ascii=False)}, ensure_ascii=False
    )


def mtop_sign(token: str, t: str, data: str) -> str:
    """``md5(token & t & appKey & data)`` — the h5 gateway's request signature."""
    return hashlib.md5(f"{token}&{t}&{MTOP_APP_KEY}&{data}".encode()).hexdigest()


def mtop_url(
    term: str, page: int, token: str, feed: dict[str, Any] | None = None, t: str | None = None
) -> str:
    data = mtop_data(term, page, feed)
    t = t or str(int(time.time() * 1000))
    query = {
        "jsv": "2.7.2",
        "appKey": MTOP_APP_KEY,
        "t": t,
        "sign": mtop_sign(token, t, data),
        "api": MTOP_API,
        "v": "2.0",
        "type": "jsonp",
        "dataType": "jsonp",
        "callback": f"mtopjsonp{page}",
        "data": data,
    }
    return MTOP_URL + "?" + urlencode(query, quote_via=quote)


def mtop_cookies(values: list[bytes]) -> dict[str, str]:
    """``_m_h5_tk`` / ``_m_h5_tk_enc`` from Set-Cookie header values (empty when not set)."""
    out: dict[str, str] = {}
    for raw in values:
        name, _, rest = raw.decode("latin-1").partition("=")
        if name.strip() in ("_m_h5_tk", "_m_h5_tk_enc"):
            out[name.strip()] = rest.split(";")[0].strip()
    return out


def token_from_cookies(values: list[bytes]) -> str | None:
    """The ``_m_h5_tk`` token (the part before ``_``) from Set-Cookie header values."""
    cookie = mtop_cookies(values).get("_m_h5_tk")
    return cookie.split("_")[0] or None if cookie else None


class TaobaoSpider(PlatformSpider):
    name = "taobao"
    platform = "taobao"
    page_cap = 100
    params_model = TaobaoParams
    params: TaobaoParams
    #: The search tab: ``all`` (Taobao) or ``mall`` (Tmall's items: the Tmall spider).
    tab: ClassVar[str] = "all"

    @property
    def api(self) -> str:
        """``h5search`` (today), ``html`` (legacy page) or ``mtop`` (relationrecommend)."""
        return self.params.api or ("h5search" if self.path == "today" else "html")

    def browser(self) -> bool:
        return self.in_browser

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The mtop token cookies in use; sent with every signed request so sign and cookie match.
        self.mtop_tokens: dict[str, str] = {}
        self._user_cookies: dict[str, str] | None = None
        #: Per term, the cursor the last mtop answer gave (sourceS, bcoffset, ntoffset, totalResults).
        self.mtop_feed: dict[str, dict[str, Any]] = {}

    @property
    def token(self) -> str:
        return self.mtop_tokens.get("_m_h5_tk", "").split("_")[0]

    def user_cookies(self) -> dict[str, str]:
        """The user's Taobao cookies (MARKWATCH_COOKIES_TAOBAO / the shared cookie file)."""
        from spiders.cookies import load_platform_cookies

        if self._user_cookies is None:
            settings = getattr(self, "settings", None)
            self._user_cookies = load_platform_cookies(settings, "taobao") if settings is not None else {}
        return self._user_cookies

    def search_requests(self, term: str, page: int) -> Iterator[scrapy.Request]:
        meta = self.search_meta(term, page)
        tab = self.tab if self.tab != "all" else None
        if self.api == "h5search" and self.browser():
            # the page's own script signs and calls h5search; the browser path hands its answers over
            yield scrapy.Request(
                taobao_search_url(term, page, self.params.sort, tab), meta=meta, errback=self.search_failed
            )
            return
        if self.api in ("mtop", "h5search"):
            if not self.mtop_tokens:
                user = self.user_cookies()
                self.mtop_tokens = {k: v for k, v in user.items() if k in ("_m_h5_tk", "_m_h5_tk_enc")}
            # The signature must match the _m_h5_tk cookie sent, so this request carries its own Cookie
            # header and stays out of the cookie jar (which may hold an older token).
            cookie = "; ".join(f"{k}={v}" for k, v in {**self.user_cookies(), **self.mtop_tokens}.items())
            url = (
                h5search_url(term, page, self.token, self.tab)
                if self.api == "h5search"
                else mtop_url(term, page, self.token, self.mtop_feed.get(term))
            )
            yield scrapy.Request(
                url,
                meta={**meta, "dont_merge_cookies": True, "markwatch_no_cookies": True},
                headers={"Referer": "https://s.taobao.com/", **({"Cookie": cookie} if cookie else {})},
                errback=self.search_failed,
                dont_filter=True,
            )
            return
        yield scrapy.Request(
            taobao_search_url(term, page, self.params.sort, tab), meta=meta, errback=self.search_failed
        )

    def parse_search_page(self, response: Response) -> ParsedPage:
        captured = self.captured_page(response)
        if captured is not None:
            return captured
        text = to_text(response.body, content_type(response))
        if "mtop." in response.url:
            parsed = parse_api_answer(response.url, text) or parse_taobao_mtop(text, response.url)
            if parsed.outcome == "ok" and parsed.next:  # fed into the next pages' params
                self.mtop_feed[str(response.meta.get("markwatch_term", ""))] = dict(parsed.next)
            return parsed
        return parse_taobao_search(text, response.url)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """mtop: a call without a valid token answers FAIL_SYS_TOKEN_* and sets ``_m_h5_tk``; sign with
        it and ask again (once per page) before reporting the refusal."""
        if "mtop." in response.url and not response.meta.get("markwatch_token_retry"):
            fresh = mtop_cookies(response.headers.getlist(b"Set-Cookie"))
            if fresh.get("_m_h5_tk") and b"FAIL_SYS_TOKEN" in response.body:
                if fresh["_m_h5_tk"] != self.mtop_tokens.get("_m_h5_tk"):
                    self.mtop_tokens = fresh
                term, page = response.meta["markwatch_term"], response.meta["markwatch_page"]
                for request in self.search_requests(term, page):
                    request.meta["markwatch_token_retry"] = True
                    yield request
                return
        yield from super().parse(response, **kwargs)

    def item_request(self, listing: Listing) -> scrapy.Request | None:
        return scrapy.Request(listing.url, errback=self.item_failed)

    def parse_item_page(self, response: Response) -> ParsedPage:
        if "detail.tmall.com" in response.url:
            from spiders.tmall.legacy import parse_tmall_item

            return parse_tmall_item(response.body, response.url, content_type(response))
        return parse_taobao_item(response.body, response.url, content_type(response))
