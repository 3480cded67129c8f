"""Taobao: the legacy search page (``s.taobao.com/search``, ``g_page_config``, 44 a page) or the mtop
search API (signed JSONP, 48 a page), and item pages for hits that lack the seller or photos."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any, Literal
from urllib.parse import quote, urlencode

import scrapy
from pydantic import Field
from scrapy.http import Response

from crawler.items import Listing
from spiders.base import PlatformSpider, SearchParams, content_type
from spiders.parsers.common import ParsedPage, to_text
from spiders.parsers.taobao import parse_taobao_item, parse_taobao_mtop, parse_taobao_search

#: Taobao's own app key for the h5 mtop gateway (seen in every public mtop client).
MTOP_APP_KEY = "12574478"
MTOP_API = "mtop.relationrecommend.wirelessrecommend.recommend"
MTOP_URL = f"https://h5api.m.taobao.com/h5/{MTOP_API}/2.0/"


class TaobaoParams(SearchParams):
    api: Literal["html", "mtop"] = Field(
        default="html", description="html: s.taobao.com/search page; mtop: the signed h5 search API"
    )
    sort: str = Field(default="default", description="sort order: default, sale-desc, price-asc, price-desc…")


def taobao_search_url(term: str, page: int, sort: str = "default") -> str:
    """``https://s.taobao.com/search?q=…&s=44*(page-1)``."""
    query = {"q": term, "s": str(44 * (page - 1)), "sort": sort, "ie": "utf8"}
    return "https://s.taobao.com/search?" + urlencode(query, quote_via=quote)


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


def token_from_cookies(values: list[bytes]) -> str | None:
    """The ``_m_h5_tk`` token (part before ``_``) from Set-Cookie header values."""
    for raw in values:
        text = raw.decode("latin-1")
        name, _, rest = text.partition("=")
        if name.strip() == "_m_h5_tk":
            return rest.split(";")[0].split("_")[0] or None
    return None


class TaobaoSpider(PlatformSpider):
    name = "taobao"
    platform = "taobao"
    page_cap = 100
    params_model = TaobaoParams
    params: TaobaoParams

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.token = ""
        self._token_retries = 0

    def start_token(self) -> str:
        cookies = getattr(self, "settings", None)
        value = str(cookies.get("MARKWATCH_COOKIES_TAOBAO") or "") if cookies else ""
        for part in value.split(";"):
            name, _, v = part.strip().partition("=")
            if name == "_m_h5_tk":
                return v.split("_")[0]
        return ""

    def search_requests(self, term: str, page: int) -> Iterator[scrapy.Request]:
        meta = self.search_meta(term, page)
        if self.params.api == "mtop":
            if not self.token:
                self.token = self.start_token()
            yield scrapy.Request(
                mtop_url(term, page, self.token),
                meta=meta,
                headers={"Referer": "https://s.taobao.com/"},
                errback=self.search_failed,
                dont_filter=True,
            )
            return
        yield scrapy.Request(
            taobao_search_url(term, page, self.params.sort), meta=meta, errback=self.search_failed
        )

    def parse_search_page(self, response: Response) -> ParsedPage:
        text = to_text(response.body, content_type(response))
        if self.params.api == "mtop" or "mtop." in response.url:
            return parse_taobao_mtop(text, response.url)
        return parse_taobao_search(text, response.url)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """mtop: a first call without a token answers FAIL_SYS_TOKEN_EMPTY and sets ``_m_h5_tk``; sign
        with it and ask again (once per page) before reporting the refusal."""
        if self.params.api == "mtop" and self._token_retries < 3:
            token = token_from_cookies(response.headers.getlist(b"Set-Cookie"))
            if token and token != self.token and b"FAIL_SYS_TOKEN" in response.body:
                self.token = token
                self._token_retries += 1
                term, page = response.meta["markwatch_term"], response.meta["markwatch_page"]
                yield from self.search_requests(term, page)
                return
        yield from super().parse(response, **kwargs)

    def item_request(self, listing: Listing) -> scrapy.Request | None:
        return scrapy.Request(listing.url, errback=self.item_failed)

    def parse_item_page(self, response: Response) -> ParsedPage:
        if "detail.tmall.com" in response.url:
            from spiders.parsers.tmall import parse_tmall_item

            return parse_tmall_item(response.body, response.url, content_type(response))
        return parse_taobao_item(response.body, response.url, content_type(response))
