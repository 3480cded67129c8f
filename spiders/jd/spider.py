"""JD's spider.

Default (``path=today``): ``search.jd.com/Search?keyword=…`` whose data comes from
``pc_search_searchWare`` (signed with ``h5st`` by the page's own script: the browser path hands the
captured answers over in ``response.meta["markwatch_api_answers"]``; without them the rendered
``div[data-sku]`` cards are read). Prices come with the answer: ``p.3.cn`` is not used. Over plain
HTTP the real site refuses (403 / risk handler), and the refusal is named.

``path=legacy`` (saved pages, the legacy sandbox): logical page n = half-page 2n-1 (``li.gl-item``, 30
items) plus the lazy second half ``s_new.php`` (half-page 2n, with the Search page as Referer), prices
from ``p.3.cn`` when the page shows none. Item pages for hits that lack the seller or photos."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import scrapy
from scrapy.http import Response

from markwatch.listing import Listing
from spiders.base import PlatformSpider, content_type
from spiders.common import ParsedPage
from spiders.jd.legacy import jd_prices_url, parse_jd_item, parse_jd_prices, parse_jd_search
from spiders.jd.parsers import parse_search


def jd_search_url(term: str, page: int) -> str:
    """First half of logical page ``page``: ``Search?keyword=…&page=2n-1&s=1+60(n-1)``."""
    query = {"keyword": term, "enc": "utf-8", "page": str(2 * page - 1), "s": str(1 + 60 * (page - 1))}
    return "https://search.jd.com/Search?" + urlencode(query, quote_via=quote)


def jd_half_url(term: str, page: int, skus: list[str], log_id: str | None = None) -> str:
    """Second half: ``s_new.php?keyword=…&page=2n&s=60n-29&scrolling=y&log_id=…&tpl=3_M&show_items=…``."""
    query = {
        "keyword": term,
        "enc": "utf-8",
        "page": str(2 * page),
        "s": str(60 * page - 29),
        "scrolling": "y",
        "log_id": log_id or f"{time.time():.5f}",
        "tpl": "3_M",
        "show_items": ",".join(skus),
    }
    return "https://search.jd.com/s_new.php?" + urlencode(query, quote_via=quote, safe=",")


class JdSpider(PlatformSpider):
    name = "jd"
    platform = "jd"
    page_cap = 100

    def search_requests(self, term: str, page: int) -> Iterator[scrapy.Request]:
        yield scrapy.Request(
            jd_search_url(term, page),
            meta=self.search_meta(term, page, markwatch_half=1),
            errback=self.search_failed,
        )

    def parse_search_page(self, response: Response) -> ParsedPage:
        if self.path == "today":
            captured = self.captured_page(response)
            if captured is not None:
                return captured
            return parse_search(response.body, response.url, content_type(response))
        return parse_jd_search(response.body, response.url, content_type(response))

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        if self.path == "today":  # one request per page, prices included: no s_new.php, no p.3.cn
            yield from super().parse(response, **kwargs)
            return
        results = list(super().parse(response, **kwargs))
        listings = [r for r in results if isinstance(r, Listing)]
        others = [r for r in results if not isinstance(r, Listing)]
        if response.meta.get("markwatch_half") == 1 and listings:
            term, page = response.meta["markwatch_term"], response.meta["markwatch_page"]
            skus = [x.item_id for x in listings]
            others.append(
                scrapy.Request(
                    jd_half_url(term, page, skus),
                    headers={"Referer": response.url, "X-Requested-With": "XMLHttpRequest"},
                    meta=self.search_meta(term, page, markwatch_half=2),
                    callback=self.parse_half,
                    errback=self.search_failed,
                )
            )
        yield from self.with_prices(listings)
        yield from others

    def parse_half(self, response: Response) -> Iterator[Any]:
        """The s_new.php half: its listings only (pagination is driven by the first half)."""
        term = str(response.meta.get("markwatch_term", ""))
        page_no = int(response.meta.get("markwatch_page", 1))
        parsed = self.page_of(response)
        if parsed.outcome == "layout-changed" and not response.body.strip():
            parsed = ParsedPage([], "empty", detail="empty s_new.php half")
        self.record(response, parsed, kind="search")
        self.stop_if_refused(parsed)
        for listing in parsed.listings:
            listing.search_term, listing.page = term, page_no
        items = [r for r in self.complete(parsed.listings)]
        yield from self.with_prices([r for r in items if isinstance(r, Listing)])
        yield from (r for r in items if not isinstance(r, Listing))

    def with_prices(self, listings: list[Listing]) -> Iterator[Any]:
        """Listings whose price the page left empty get it from p.3.cn first."""
        missing = [x for x in listings if x.price is None]
        yield from (x for x in listings if x.price is not None)
        if missing:
            yield scrapy.Request(
                jd_prices_url([x.item_id for x in missing]),
                callback=self.parse_prices,
                errback=self.prices_failed,
                meta={"markwatch_listings": missing, "markwatch_kind": "prices"},
                dont_filter=True,
            )

    def parse_prices(self, response: Response) -> Iterator[Listing]:
        prices = parse_jd_prices(response.body, response.url)
        for listing in response.meta["markwatch_listings"]:
            listing.price = prices.get(listing.item_id, listing.price)
            yield listing

    def prices_failed(self, failure: Any) -> Iterator[Listing]:
        yield from failure.request.meta["markwatch_listings"]

    def item_request(self, listing: Listing) -> scrapy.Request | None:
        return scrapy.Request(listing.url, errback=self.item_failed)

    def parse_item_page(self, response: Response) -> ParsedPage:
        captured = self.captured_page(response)  # the browser's pc_detailpage_wareBusiness answer
        if captured is not None:
            return captured
        return parse_jd_item(response.body, response.url, content_type(response))
