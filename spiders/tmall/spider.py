"""Tmall: ``list.tmall.com/search_product.htm`` (60 a page, 100-page cap, GBK) and item pages
(``detail.tmall.com``, ``TShop.Setup``) for hits that lack the seller or photos."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import scrapy
from scrapy.http import Response

from markwatch.listing import Listing
from spiders.base import PlatformSpider, content_type
from spiders.common import ParsedPage
from spiders.tmall.legacy import parse_tmall_item, parse_tmall_search


def tmall_query(term: str) -> str:
    """Tmall's list page takes ``q`` GBK-percent-encoded (``毛衣`` → ``%C3%AB%D2%C2``)."""
    try:
        return quote(term.encode("gbk"))
    except UnicodeEncodeError:
        return quote(term.encode("utf-8"))


def tmall_search_url(term: str, page: int) -> str:
    """``https://list.tmall.com/search_product.htm?q=…&s=60*(page-1)&sort=s&style=g&type=pc``."""
    return (
        f"https://list.tmall.com/search_product.htm?q={tmall_query(term)}"
        f"&s={60 * (page - 1)}&sort=s&style=g&type=pc"
    )


class TmallSpider(PlatformSpider):
    name = "tmall"
    platform = "tmall"
    page_cap = 100

    def search_requests(self, term: str, page: int) -> Iterator[scrapy.Request]:
        yield scrapy.Request(
            tmall_search_url(term, page), meta=self.search_meta(term, page), errback=self.search_failed
        )

    def parse_search_page(self, response: Response) -> ParsedPage:
        return parse_tmall_search(response.body, response.url, content_type(response))

    def item_request(self, listing: Listing) -> scrapy.Request | None:
        return scrapy.Request(listing.url, errback=self.item_failed)

    def parse_item_page(self, response: Response) -> ParsedPage:
        if "item.taobao.com" in response.url:  # Tmall sends a Taobao store's id to item.taobao.com
            from spiders.taobao.legacy import parse_taobao_item

            return parse_taobao_item(response.body, response.url, content_type(response))
        return parse_tmall_item(response.body, response.url, content_type(response))
