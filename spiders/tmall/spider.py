"""Tmall's spider.

Default (``path=today``): Tmall is searched on Taobao, ``s.taobao.com/search?q=…&tab=mall`` and its
mtop ``h5search`` answer with ``tab: mall`` (the Taobao spider's routes, signing and browser
hand-over); every hit is a Tmall listing. ``path=legacy``: ``list.tmall.com/search_product.htm``
(60 a page, 100-page cap, GBK), for saved pages and the legacy sandbox — the real host now sends
every client to the login page, reported as ``refused:tmall-moved``. Item pages (``detail.tmall.com``,
ICE data or the legacy ``TShop.Setup``) for hits that lack the seller or photos."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar
from urllib.parse import quote

import scrapy
from scrapy.http import Response

from markwatch.listing import Listing
from spiders.base import content_type
from spiders.common import ParsedPage
from spiders.taobao.parsers import as_platform
from spiders.taobao.spider import TaobaoSpider
from spiders.tmall.legacy import parse_tmall_item, parse_tmall_search


def tmall_query(term: str) -> str:
    """Tmall's list page takes ``q`` GBK-percent-encoded (``毛衣`` → ``%C3%AB%D2%C2``)."""
    try:
        return quote(term.encode("gbk"))
    except UnicodeEncodeError:
        return quote(term.encode("utf-8"))


def tmall_search_url(term: str, page: int) -> str:
    """``https://list.tmall.com/search_product.htm?q=…&s=60*(page-1)&sort=s&style=g&type=pc`` (legacy)."""
    return (
        f"https://list.tmall.com/search_product.htm?q={tmall_query(term)}"
        f"&s={60 * (page - 1)}&sort=s&style=g&type=pc"
    )


class TmallSpider(TaobaoSpider):
    name = "tmall"
    platform = "tmall"
    page_cap = 100
    tab: ClassVar[str] = "mall"

    def search_requests(self, term: str, page: int) -> Iterator[scrapy.Request]:
        if self.path == "legacy" and not self.params.api:
            yield scrapy.Request(
                tmall_search_url(term, page), meta=self.search_meta(term, page), errback=self.search_failed
            )
            return
        yield from super().search_requests(term, page)

    def parse_search_page(self, response: Response) -> ParsedPage:
        if "list.tmall.com" in response.url or (self.path == "legacy" and not self.params.api):
            return parse_tmall_search(response.body, response.url, content_type(response))
        return as_platform(super().parse_search_page(response), "tmall")

    def item_request(self, listing: Listing) -> scrapy.Request | None:
        return scrapy.Request(listing.url, errback=self.item_failed)

    def parse_item_page(self, response: Response) -> ParsedPage:
        if "item.taobao.com" in response.url:  # Tmall sends a Taobao store's id to item.taobao.com
            from spiders.taobao.legacy import parse_taobao_item

            return parse_taobao_item(response.body, response.url, content_type(response))
        return parse_tmall_item(response.body, response.url, content_type(response))
