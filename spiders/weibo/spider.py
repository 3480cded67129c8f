"""Weibo: posts that mention the brand, from ``s.weibo.com/weibo`` (card-wrap HTML, at most 50 pages)
or the m.weibo.cn ``getIndex`` search JSON, and accounts named after it from the account search
``s.weibo.com/user?q=`` (``accounts=true``, the default on today's path). Posts are listings with
``kind="post"``, accounts with ``kind="account"``. A post whose text Weibo cut (``isLongText``) is read
whole from ``weibo.com/ajax/statuses/longtext`` before it is handed on.

Weibo wants a logged-in cookie sent as a plain header with the cookie jar off (``COOKIES_ENABLED =
False``: with the jar on, requests end in the visitor check, dataabc/weibo-search #580)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, Literal
from urllib.parse import quote, urlencode

import scrapy
from pydantic import Field
from scrapy.http import Response

from markwatch.listing import Listing
from spiders.base import PlatformSpider, SearchParams, content_type
from spiders.common import ParsedPage
from spiders.weibo.legacy import CHINA, WEIBO_PAGE_CAP, parse_weibo_mobile, parse_weibo_search
from spiders.weibo.today import parse_account_search, parse_long_text, with_long_text

#: A query showing at least this many pages is taken to be cut off at Weibo's 50 and is split
#: (dataabc/weibo-search's FURTHER_THRESHOLD; some saturated queries show only 40-odd pages).
SPLIT_THRESHOLD = 46

Window = tuple[dt.datetime, dt.datetime]


class WeiboParams(SearchParams):
    api: Literal["html", "mobile"] = Field(
        default="html", description="html: s.weibo.com search page; mobile: m.weibo.cn getIndex JSON"
    )
    accounts: bool | None = Field(
        default=None,
        description="also search accounts named after the brand (s.weibo.com/user?q=); default: on "
        "with path=today, off with path=legacy",
    )
    days: int = Field(
        default=0,
        ge=0,
        le=366,
        description="search only the last N days (html); a query that fills Weibo's 50 pages is split "
        "into one query per day, then per hour (0: no time window, at most 50 pages a term)",
    )


def timescope(window: Window) -> str:
    """``custom:2026-11-01-0:2026-11-02-0`` (hours without a leading zero, as Weibo writes them)."""
    start, end = window
    return f"custom:{start:%Y-%m-%d}-{start.hour}:{end:%Y-%m-%d}-{end.hour}"


def split_window(window: Window) -> list[Window]:
    """One window per day, or per hour when the window is a day or less; [] when an hour already."""
    start, end = window
    step = dt.timedelta(days=1) if end - start > dt.timedelta(days=1) else dt.timedelta(hours=1)
    if end - start <= dt.timedelta(hours=1):
        return []
    pieces = []
    while start < end:
        pieces.append((start, min(start + step, end)))
        start += step
    return pieces


def weibo_search_url(term: str, page: int, window: Window | None = None) -> str:
    """``https://s.weibo.com/weibo?q=…&typeall=1&suball=1[&timescope=custom:…]&page=N`` (N ≤ 50)."""
    query = {"q": term, "typeall": "1", "suball": "1"}
    if window is not None:
        query["timescope"] = timescope(window)
    query["page"] = str(page)
    return "https://s.weibo.com/weibo?" + urlencode(query, quote_via=quote, safe=":")


def weibo_accounts_url(term: str, page: int = 1) -> str:
    """``https://s.weibo.com/user?q=…&Refer=weibo_user&page=N``: the account search."""
    query = {"q": term, "Refer": "weibo_user", "page": str(page)}
    return "https://s.weibo.com/user?" + urlencode(query, quote_via=quote)


def weibo_longtext_url(mid: str) -> str:
    return "https://weibo.com/ajax/statuses/longtext?" + urlencode({"id": mid})


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._scheduled_windows: set[tuple[str, Window, int]] = set()

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

    def window(self) -> Window | None:
        """The last ``days`` days up to the next whole hour, China time; None without ``days``."""
        if not self.params.days or self.params.api != "html":
            return None
        end = (dt.datetime.now(CHINA) + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        return end - dt.timedelta(days=self.params.days), end

    def search_accounts(self) -> bool:
        return self.params.accounts if self.params.accounts is not None else self.path == "today"

    def account_requests(self) -> Iterator[scrapy.Request]:
        if self.params.recheck and not (self.params.brand or self.params.terms):
            return
        for term in self.params.search_terms():
            meta = self.search_meta(term, 1, autothrottle_dont_adjust_delay=True, markwatch_kind="accounts")
            yield scrapy.Request(
                weibo_accounts_url(term), meta=meta, callback=self.parse_accounts, errback=self.search_failed
            )

    def parse_accounts(self, response: Response) -> Iterator[Any]:
        """The account search: one page (the accounts most like the term come first)."""
        term = str(response.meta.get("markwatch_term", ""))
        parsed = self.refusal_from_meta(response) or self.safely(
            lambda r: parse_account_search(r.body, r.url, content_type(r)), response
        )
        self.record(response, parsed, kind="search")
        for listing in parsed.listings:
            listing.search_term, listing.page = term, 1
        yield from parsed.listings

    def complete(self, listings: list[Listing]) -> Iterator[Any]:
        """Posts Weibo cut (``isLongText``) are read whole first; the rest go on as before."""
        whole = []
        for listing in listings:
            raw = listing.raw
            cut = raw.get("markwatch_long_text") == "pending" or (
                raw.get("isLongText") and raw.get("markwatch_long_text") != "read"
            )
            if cut and listing.kind == "post":
                yield scrapy.Request(
                    weibo_longtext_url(listing.item_id),
                    headers={"Referer": "https://weibo.com/", "Accept": "application/json, text/plain, */*"},
                    meta={"markwatch_listing": listing, "markwatch_kind": "longtext"},
                    callback=self.parse_long_text,
                    errback=self.long_text_failed,
                    dont_filter=True,
                )
            else:
                whole.append(listing)
        yield from super().complete(whole)

    def parse_long_text(self, response: Response) -> Iterator[Any]:
        listing: Listing = response.meta["markwatch_listing"]
        parsed = self.refusal_from_meta(response) or self.safely(
            lambda r: parse_long_text(r.body, r.url, content_type(r)), response
        )
        if parsed.outcome != "ok":
            self.record(response, parsed, kind="item", count=False)
        with_long_text(listing, parsed)
        if listing.raw.get("markwatch_long_text") != "read":  # the cut text stays, marked as such
            listing.raw = {**listing.raw, "markwatch_long_text": "unread"}
        yield from super().complete([listing])

    def long_text_failed(self, failure: Any) -> Iterator[Any]:
        listing: Listing = failure.request.meta["markwatch_listing"]
        listing.raw = {**listing.raw, "markwatch_long_text": "unread"}
        yield from super().complete([listing])

    async def start(self) -> Any:
        if self.search_accounts():
            for request in self.account_requests():
                yield request
        window = self.window()
        if window is None or self.params.recheck:
            async for request in super().start():
                yield request
            return
        for term in self.params.search_terms():
            yield self.window_request(term, 1, window)

    def window_request(self, term: str, page: int, window: Window) -> scrapy.Request:
        self._scheduled_windows.add((term, window, page))
        meta = self.search_meta(term, page, markwatch_window=window, autothrottle_dont_adjust_delay=True)
        return scrapy.Request(
            weibo_search_url(term, page, window),
            meta=meta,
            callback=self.parse_window,
            errback=self.search_failed,
        )

    def parse_window(self, response: Response) -> Iterator[Any]:
        """A time-window query: page it, or split it when it fills Weibo's 50 pages."""
        term = str(response.meta["markwatch_term"])
        page_no = int(response.meta["markwatch_page"])
        window: Window = response.meta["markwatch_window"]
        parsed = self.page_of(response)
        self.record(response, parsed, kind="search")
        self.stop_if_refused(parsed)
        for listing in parsed.listings:
            listing.search_term, listing.page = term, page_no
        yield from self.complete(parsed.listings)
        if parsed.outcome != "ok":
            return
        pieces = split_window(window) if (parsed.total_pages or 0) >= SPLIT_THRESHOLD else []
        if page_no == 1 and pieces:
            wanted = [(piece, 1) for piece in pieces]
        elif page_no == 1:
            last = min(self.max_pages, parsed.total_pages or self.max_pages)
            wanted = [(window, p) for p in range(2, last + 1)]
        elif parsed.total_pages is None and parsed.next and page_no < self.max_pages:
            wanted = [(window, page_no + 1)]
        else:
            wanted = []
        for piece, page in wanted:
            if (term, piece, page) not in self._scheduled_windows:
                yield self.window_request(term, page, piece)

    def parse_search_page(self, response: Response) -> ParsedPage:
        if self.params.api == "mobile" or "m.weibo.cn" in response.url:
            return parse_weibo_mobile(response.body, response.url, content_type(response))
        return parse_weibo_search(response.body, response.url, content_type(response))
