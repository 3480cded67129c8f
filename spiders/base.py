"""What the four spiders share: parameters, pagination, item-page following and per-page reports.

A spider searches each of the brand's ``search_terms`` and pages through the results up to
``max_pages`` (never past the platform's cap). Each response is read by the platform's pure parser
(:mod:`spiders.parsers`) into a :class:`~spiders.common.ParsedPage`; every page becomes a
:class:`~markwatch.listing.PageReport` that is

* appended to ``spider.reports``,
* counted in ``crawler.stats`` under ``markwatch/<platform>/pages``, ``…/listings``,
  ``…/outcome/<outcome>`` and ``…/refused/<mode>``,
* sent as the :data:`page_reported` signal (``report=``, ``spider=``) for progress displays,

and a page that was refused or whose layout changed is saved under ``MARKWATCH_SAVE_DIR`` for
inspection (``PageReport.saved_as``). A refused search stops paging that term; nothing is ever
reported as "0 results" unless the platform showed its own no-result page (``empty``).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import scrapy
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from markwatch.errors import UserError
from markwatch.listing import Listing, PageReport
from spiders.common import ParsedPage, query_value
from spiders.refusals import advice, refusal_from_url

logger = logging.getLogger(__name__)

#: Signal sent once per response with ``report`` (a PageReport) and ``spider``.
page_reported = object()


class SearchParams(BaseModel):
    """A spider's parameters (``scrapy crawl taobao -a brand=veloria -a max_pages=2``)."""

    model_config = ConfigDict(extra="forbid")

    brand: str | None = Field(
        default=None, description="brand slug or path to its YAML; its search_terms are searched"
    )
    terms: list[str] = Field(
        default_factory=list, description="search terms, comma-separated; override the brand's search_terms"
    )
    max_pages: int = Field(default=3, ge=1, description="result pages per term (capped by the platform)")
    follow_items: bool = Field(
        default=True, description="fetch item pages when a search hit lacks the seller id or photos"
    )
    path: Literal["today", "legacy"] | None = Field(
        default=None,
        description="today: the routes the platforms serve now; legacy: the retired pages (saved pages, "
        "the legacy sandbox); default: the MARKWATCH_PATH setting, else today",
    )
    recheck: list[str] = Field(
        default_factory=list,
        description="item URLs to re-fetch instead of searching (comma-separated); removed ones come back "
        "with raw['markwatch_gone'] = True",
    )

    @field_validator("terms", "recheck", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [t.strip() for t in value.split(",") if t.strip()]
        return value

    @model_validator(mode="after")
    def _has_terms(self) -> SearchParams:
        if not self.brand and not self.terms and not self.recheck:
            raise ValueError(
                "give a brand (-a brand=veloria), search terms (-a terms=a,b) or -a recheck=URLs"
            )
        return self

    def search_terms(self) -> list[str]:
        if self.terms:
            return list(self.terms)
        from markwatch.brand import resolve_brand

        return list(resolve_brand(str(self.brand)).search_terms)


def parse_params(model: type[SearchParams], kwargs: dict[str, Any]) -> SearchParams:
    """Validate spider arguments into ``model``; one-line :class:`UserError` on a bad value."""
    try:
        return model.model_validate(kwargs)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "arguments"
        raise UserError(f"spider argument {where}: {first['msg'].removeprefix('Value error, ')}") from None


class PlatformSpider(scrapy.Spider):
    """Base of the four platform spiders."""

    platform: ClassVar[str] = ""
    #: The most result pages the platform shows for one query.
    page_cap: ClassVar[int] = 100
    params_model: ClassVar[type[SearchParams]] = SearchParams

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        known = set(self.params_model.model_fields)
        params = {k: kwargs.pop(k) for k in list(kwargs) if k in known}
        super().__init__(*args, **kwargs)
        self.params = parse_params(self.params_model, params)
        self.reports: list[PageReport] = []
        self.max_pages = min(self.params.max_pages, self.page_cap)
        self._scheduled: set[tuple[str, int]] = set()

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """Switch on scrapy-playwright (Debian's Chromium) when ``MARKWATCH_PLAYWRIGHT`` is true."""
        super().update_settings(settings)
        # which platform this crawler is for (the add-on switches the browser on for its platforms only)
        settings.set("MARKWATCH_SPIDER_PLATFORM", cls.platform, priority="spider")
        if not settings.getbool("MARKWATCH_PLAYWRIGHT"):
            return
        handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
        settings.set("DOWNLOAD_HANDLERS", {"http": handler, "https": handler}, priority="spider")
        settings.set("PLAYWRIGHT_BROWSER_TYPE", "chromium", priority="spider")
        executable = settings.get("MARKWATCH_CHROMIUM") or "/usr/bin/chromium"
        options = {"executable_path": executable, "headless": True}
        settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", options, priority="spider")

    @property
    def path(self) -> str:
        """``today`` or ``legacy``: the spider parameter, else the ``MARKWATCH_PATH`` setting, else today."""
        if self.params.path:
            return self.params.path
        settings = getattr(self, "settings", None)
        value = settings.get("MARKWATCH_PATH") if settings is not None else None
        return "legacy" if value == "legacy" else "today"

    def captured_page(self, response: Response) -> ParsedPage | None:
        """The API answers the browser path captured for this page (``response.meta
        ["markwatch_api_answers"]``: ``(url, body)`` pairs), read by the platform's
        ``parse_api_answer`` and joined into one page; None when nothing usable was captured."""
        answers = response.meta.get("markwatch_api_answers") or []
        if not answers:
            return None
        from spiders.registry import parse_api_answer

        pages = [p for url, body in answers for p in [parse_api_answer(self.platform, url, body)] if p]
        if not pages:
            return None
        ok = [p for p in pages if p.outcome == "ok"]
        if not ok:
            return pages[0]
        first = ok[0]
        seen: set[str] = set()
        listings = []
        for x in (x for p in ok for x in p.listings):
            if x.item_id not in seen:
                seen.add(x.item_id)
                listings.append(x)
        return ParsedPage(
            listings,
            "ok",
            total_pages=first.total_pages,
            total_results=first.total_results,
            next=first.next,
            detail=f"{len(listings)} listings from {len(ok)} captured API answer(s)",
        )

    # --- what each platform spider provides ------------------------------------------------------

    def search_requests(self, term: str, page: int) -> Iterator[scrapy.Request]:
        """The request(s) for one result page of ``term`` (1-based)."""
        raise NotImplementedError

    def parse_search_page(self, response: Response) -> ParsedPage:
        raise NotImplementedError

    def item_request(self, listing: Listing) -> scrapy.Request | None:
        """The item-page request that completes ``listing``, or None when it cannot be fetched."""
        return None

    def parse_item_page(self, response: Response) -> ParsedPage:
        raise NotImplementedError

    def listing_from_url(self, url: str) -> Listing:
        """A bare listing for an item URL being re-checked (the item page fills the rest)."""
        parts = urlsplit(url)
        item_id = query_value(url, "id") or re.sub(r"\D", "", parts.path.rsplit("/", 1)[-1])
        host = parts.hostname or ""
        platform = (
            "tmall"
            if host.endswith("tmall.com")
            else "taobao"
            if host.endswith("taobao.com")
            else self.platform
        )
        return Listing(platform=platform, item_id=item_id, url=url, title="")

    # --- the shared flow --------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        if self.params.recheck:
            for url in self.params.recheck:
                request = self.item_request(self.listing_from_url(url))
                if request is not None:
                    request.meta.update(
                        {"markwatch_listing": self.listing_from_url(url), "markwatch_kind": "item"}
                    )
                    yield request.replace(callback=self.parse_item, errback=self.item_failed)
            if not (self.params.brand or self.params.terms):
                return  # a recheck only: no search
        for term in self.params.search_terms():
            for request in self.search_requests(term, 1):
                self._scheduled.add((term, 1))
                yield request

    def search_meta(self, term: str, page: int, **extra: Any) -> dict[str, Any]:
        meta = {"markwatch_term": term, "markwatch_page": page, "markwatch_kind": "search", **extra}
        if hasattr(self, "settings") and self.settings.getbool("MARKWATCH_PLAYWRIGHT"):
            meta["playwright"] = True  # rendered in Chromium; other requests keep the plain handler path
        return meta

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """Callback for search pages."""
        term = str(response.meta.get("markwatch_term", ""))
        page_no = int(response.meta.get("markwatch_page", 1))
        parsed = self.page_of(response)
        self.record(response, parsed, kind="search")
        self.stop_if_refused(parsed)
        for listing in parsed.listings:
            listing.search_term = term
            listing.page = page_no
        yield from self.complete(parsed.listings)
        if parsed.outcome == "ok":
            yield from self.next_pages(term, page_no, parsed)

    def stop_if_refused(self, parsed: ParsedPage) -> None:
        """A platform that refused a search page refuses the next ones too: stop asking (politely),
        unless ``MARKWATCH_STOP_ON_REFUSAL`` is off. Requests already sent finish and are reported."""
        if not parsed.refusal or not hasattr(self, "settings"):
            return
        if self.settings.getbool("MARKWATCH_STOP_ON_REFUSAL", True):
            raise CloseSpider(f"refused:{parsed.refusal}")

    def next_pages(self, term: str, page_no: int, parsed: ParsedPage) -> Iterator[scrapy.Request]:
        """Page 1 states the page count: schedule the rest at once; otherwise follow page by page."""
        last = self.max_pages
        if parsed.total_pages is not None:
            last = min(last, parsed.total_pages)
        if page_no == 1 and parsed.total_pages is not None:
            wanted = range(2, last + 1)
        elif page_no < last and (parsed.next or parsed.total_pages is None or page_no < parsed.total_pages):
            wanted = range(page_no + 1, page_no + 2)
        else:
            wanted = range(0)
        for page in wanted:
            if (term, page) in self._scheduled:
                continue
            self._scheduled.add((term, page))
            yield from self.search_requests(term, page)

    def complete(self, listings: list[Listing]) -> Iterator[Any]:
        """Yield finished listings; follow the item page for those lacking seller id or photos."""
        for listing in listings:
            request = None
            if self.params.follow_items and (not listing.seller_id or not listing.image_urls):
                request = self.item_request(listing)
            if request is None:
                yield listing
                continue
            request.meta.update({"markwatch_listing": listing, "markwatch_kind": "item"})
            yield request.replace(callback=self.parse_item, errback=self.item_failed)

    def parse_item(self, response: Response) -> Iterator[Listing]:
        listing: Listing = response.meta["markwatch_listing"]
        parsed = self.item_page_of(response)
        if parsed.gone:
            parsed.outcome = "gone"
            listing.raw = {**listing.raw, "markwatch_gone": True}
        self.record(response, parsed, kind="item", count=False)
        if parsed.listings:
            merge(listing, parsed.listings[0])
        yield listing  # the search hit is never lost, whatever the item page said

    def item_failed(self, failure: Failure) -> Iterator[Listing]:
        request = failure.request  # type: ignore[attr-defined]
        listing: Listing = request.meta["markwatch_listing"]
        self.add_report(PageReport(self.platform, request.url, "error", 0, f"item page: {failure.value!r}"))
        yield listing

    def search_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self.add_report(PageReport(self.platform, request.url, "error", 0, repr(failure.value)[:200]))

    # --- reading a response: the page, or the API answers a browser read off the wire ---------------

    @property
    def in_browser(self) -> bool:
        """True when this platform's pages are fetched in the account's Chromium (the browser path:
        ``MARKWATCH_BROWSER``, resolved by the crawler into ``MARKWATCH_BROWSER_PLATFORMS``)."""
        settings = getattr(self, "settings", None)
        if settings is None:
            return False
        if settings.getbool("MARKWATCH_PLAYWRIGHT") or self.platform in settings.getlist(
            "MARKWATCH_BROWSER_PLATFORMS"
        ):
            return True
        # MARKWATCH_BROWSER itself (as crawler.browser.browser_platforms reads it)
        value = str(settings.get("MARKWATCH_BROWSER") or "auto").strip().lower()
        if value in ("auto", "on", "1", "true", "yes"):
            return self.platform != "weibo"
        if value == "all":
            return True
        return self.platform in [p.strip() for p in value.split(",")]

    def page_of(self, response: Response) -> ParsedPage:
        """A search response as a :class:`ParsedPage` (the verdict already read, when there is one)."""
        stashed = self._stashed_verdict(response)
        if stashed is not None:
            return stashed
        return self.refusal_from_meta(response) or self.safely(self.parse_search_response, response)

    def item_page_of(self, response: Response) -> ParsedPage:
        stashed = self._stashed_verdict(response)
        if stashed is not None:
            return stashed
        return self.refusal_from_meta(response) or self.safely(self.parse_item_response, response)

    @staticmethod
    def _stashed_verdict(response: Response) -> ParsedPage | None:
        """The verdict the accounts middleware read off this very response (not one before a redirect)."""
        stashed = response.meta.pop("markwatch_parsed", None)
        if isinstance(stashed, tuple) and len(stashed) == 2 and stashed[0] == response.url:
            parsed = stashed[1]
            return parsed if isinstance(parsed, ParsedPage) else None
        return None

    def verdict(self, response: Response) -> ParsedPage | None:
        """What a search or item response says (read once; the accounts middleware acts on refusals)."""
        kind = response.meta.get("markwatch_kind")
        if kind == "search":
            return self.page_of(response)
        if kind == "item":
            return self.item_page_of(response)
        return None

    def parse_search_response(self, response: Response) -> ParsedPage:
        """A search page that ended on a refusal URL (login wall, risk handler…) is that refusal;
        otherwise the spider's parser (which reads the captured API answers first)."""
        moved = refusal_from_url(response.url, self.platform)
        if moved:
            return ParsedPage([], f"refused:{moved}", detail=f"the page ended at {response.url}")
        return self.parse_search_page(response)

    def parse_item_response(self, response: Response) -> ParsedPage:
        moved = refusal_from_url(response.url, self.platform)
        if moved:
            return ParsedPage([], f"refused:{moved}", detail=f"the item page ended at {response.url}")
        return self.parse_item_page(response)

    # --- reports ----------------------------------------------------------------------------------

    def safely(self, parser: Callable[[Response], ParsedPage], response: Response) -> ParsedPage:
        """Run a parser; a crash becomes an ``error`` page (saved for inspection), not a lost report."""
        try:
            return parser(response)
        except Exception as exc:
            logger.exception("%s: parser failed on %s", self.platform, response.url)
            return ParsedPage([], "error", detail=f"parser failed: {exc!r}"[:300])

    def refusal_from_meta(self, response: Response) -> ParsedPage | None:
        marked = response.meta.get("markwatch_refusal")
        if marked:
            mode, detail = marked
            return ParsedPage([], f"refused:{mode}", detail=detail)
        if response.status >= 400:
            return ParsedPage([], "error", detail=f"HTTP {response.status}")
        return None

    def record(self, response: Response, parsed: ParsedPage, kind: str, count: bool = True) -> PageReport:
        detail = parsed.detail
        if parsed.refusal:
            detail = f"{detail}; what to do: {advice(self.platform, parsed.refusal)}"
        report = PageReport(
            platform=self.platform,
            url=response.url,
            outcome=parsed.outcome,
            listings=len(parsed.listings) if count else 0,
            detail=detail,
        )
        if parsed.outcome in ("layout-changed", "error") or parsed.refusal:
            report.saved_as = self.save_page(response, kind, parsed.outcome)
        self.add_report(report, kind=kind)
        return report

    def add_report(self, report: PageReport, kind: str = "search") -> None:
        self.reports.append(report)
        stats = self.crawler.stats if hasattr(self, "crawler") else None
        if stats is not None:
            prefix = f"markwatch/{self.platform}"
            if kind == "search":
                stats.inc_value(f"{prefix}/pages")
                stats.inc_value(f"{prefix}/listings", report.listings)
            else:
                stats.inc_value(f"{prefix}/item_pages")
            stats.inc_value(f"{prefix}/outcome/{report.outcome.split(':')[0]}")
            if report.outcome.startswith("refused:"):
                stats.inc_value(f"{prefix}/refused/{report.outcome.split(':', 1)[1]}")
        if report.outcome not in ("ok", "empty"):
            logger.warning("%s %s: %s (%s)", self.platform, report.outcome, report.url, report.detail)
        if hasattr(self, "crawler"):
            self.crawler.signals.send_catch_log(signal=page_reported, report=report, spider=self)

    def save_page(self, response: Response, kind: str, outcome: str) -> str | None:
        folder = self.settings.get("MARKWATCH_SAVE_DIR") if hasattr(self, "settings") else None
        if not folder:
            return None
        digest = hashlib.sha1(response.url.encode("utf-8")).hexdigest()[:10]
        stamp = time.strftime("%Y%m%d-%H%M%S")
        label = outcome.replace(":", "-")
        path = Path(folder) / self.platform / f"{stamp}-{kind}-{label}-{digest}.html"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(response.body)
            path.with_suffix(".url").write_text(f"{response.url}\n{response.status}\n", encoding="utf-8")
        except OSError as exc:
            logger.warning("could not save %s to %s: %s", response.url, path, exc)
            return None
        return str(path)


def content_type(response: Response) -> str | None:
    """The response's Content-Type header as text (its charset helps decode GBK pages)."""
    value = response.headers.get(b"Content-Type")
    return value.decode("latin-1") if value else None


def merge(listing: Listing, detail: Listing) -> None:
    """Fill what the search hit lacked from the item page; keep what the search hit had."""
    for name in ("seller_id", "seller_name", "shop_url", "location", "price", "title"):
        if not getattr(listing, name) and getattr(detail, name):
            setattr(listing, name, getattr(detail, name))
    if not listing.image_urls and detail.image_urls:
        listing.image_urls = list(detail.image_urls)
    elif detail.image_urls:
        listing.image_urls = list(dict.fromkeys([*listing.image_urls, *detail.image_urls]))
    listing.raw = {**listing.raw, "item_page": detail.raw}
