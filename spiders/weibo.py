"""Weibo: posts that mention the brand, from ``s.weibo.com/weibo`` (card-wrap HTML, at most 50 pages)
or the m.weibo.cn ``getIndex`` search JSON. Posts are listings with ``kind="post"``.

Weibo wants a logged-in cookie sent as a plain header with the cookie jar off (``COOKIES_ENABLED =
False``: with the jar on, requests end in the visitor check, dataabc/weibo-search #580)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal
from urllib.parse import quote, urlencode

import scrapy
from pydantic import Field
from scrapy.http import Response

from spiders.base import PlatformSpider, SearchParams, content_type
from spiders.parsers.common import ParsedPage
from spiders.parsers.weibo import WEIBO_PAGE_CAP, parse_weibo_mobile, parse_weibo_search


class WeiboParams(SearchParams):
    api: Literal["html", "mobile"] = Field(
        default="html", description="html: s.weibo.com search page; mobile: m.weibo.cn getIndex JSON"
    )


def weibo_search_url(term: str, page: int) -> str:
    """``https://s.weibo.com/weibo?q=…&typeall=1&suball=1&page=N`` (all posts, N ≤ 50)."""
    query = {"q": term, "typeall": "1", "suball": "1", "page": str(page)}
    return "https://s.weibo.com/weibo?" + urlencode(query, quote_via=quote)


def weibo_mobile_url(term: str, page: int) -> str:
    """``https://m.weibo.cn/api/container/getIndex?containerid=100103type=1&q=…&page_type=searchall&page=N``."""
    query = {"containerid": f"100103type=1&q={term}", "page_type": "searchall", "page": str(page)}
    return "https://m.weibo.cn/api/container/getIndex?" + urlencode(query, quote_via=quote)


class WeiboSpider(PlatformSpider):
    name = "weibo"
    platform = "weibo"
    page_cap = WEIBO_PAGE_CAP
    params_model = WeiboParams
    params: WeiboParams
    custom_settings: dict[str, Any] | None = {"COOKIES_ENABLED": False}  # noqa: RUF012

    def search_requests(self, term: str, page: int) -> Iterator[scrapy.Request]:
        if page > self.page_cap:
            return
        # hold Weibo's own slot delay (settings.DOWNLOAD_SLOTS) instead of AutoThrottle's
        meta = self.search_meta(term, page, autothrottle_dont_adjust_delay=True)
        if self.params.api == "mobile":
            referer = "https://m.weibo.cn/search?" + urlencode(
                {"containerid": f"100103type=1&q={term}"}, quote_via=quote
            )
            yield scrapy.Request(
                weibo_mobile_url(term, page),
                meta=meta,
                headers={"Referer": referer, "Accept": "application/json, text/plain, */*"},
                errback=self.search_failed,
            )
            return
        yield scrapy.Request(weibo_search_url(term, page), meta=meta, errback=self.search_failed)

    def parse_search_page(self, response: Response) -> ParsedPage:
        if self.params.api == "mobile" or "m.weibo.cn" in response.url:
            return parse_weibo_mobile(response.body, response.url, content_type(response))
        return parse_weibo_search(response.body, response.url, content_type(response))
