"""The items spiders yield. Plain typed dataclasses: no Scrapy import, so storage and tests can use them.

A :class:`Listing` is one item or post on a platform, identified by ``(platform, item_id)``. Fields
follow the JSON-lines shape that ``markwatch ingest`` and ``markwatch match`` read, so a crawl, a
saved page (``markwatch parse``) and a hand-made file all carry the same record.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class Listing:
    platform: str  # taobao | tmall | jd | weibo
    item_id: str  # the platform's item id, SKU or Weibo mid
    url: str  # canonical item / post URL on the real platform
    title: str  # title, or a post's text with tags stripped
    price: float | None = None  # the lowest price shown, in ``currency``; None for posts
    currency: str = "CNY"
    sales: str | None = None  # as shown: "300+人付款", "967笔", "2万+条评价"
    seller_id: str | None = None  # seller / shop owner id, Weibo user id
    seller_name: str | None = None  # shop name, nick or screen name
    shop_url: str | None = None
    location: str | None = None  # seller location as shown ("浙江 杭州")
    image_urls: list[str] = field(default_factory=list)  # absolute https URLs
    images: list[dict[str, Any]] = field(default_factory=list)  # filled by the media pipeline
    image_paths: list[str] = field(default_factory=list)  # local files (media pipeline or a user's file)
    posted_at: str | None = None  # ISO 8601 when the platform shows it (Weibo posts)
    kind: str = "product"  # product | post | account (a Weibo account named after the brand)
    reposts: int | None = None  # Weibo
    comments: int | None = None  # Weibo; review count on marketplaces when shown
    likes: int | None = None  # Weibo
    search_term: str | None = None  # the brand term whose search found it
    page: int | None = None  # search page it was found on (1-based)
    source: str | None = None  # which parser read it: "taobao:g_page_config", "jd:search-html"…
    raw: dict[str, Any] = field(default_factory=dict)  # the platform's own record, as parsed

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Listing:
        """Build from a JSON-lines record; unknown keys are kept under ``raw``."""
        names = {f.name for f in fields(cls)}
        known = {k: v for k, v in data.items() if k in names}
        extra = {k: v for k, v in data.items() if k not in names}
        item = cls(**known)
        if extra:
            item.raw = {**item.raw, **extra}
        return item


@dataclass
class PageReport:
    """What a spider learnt about one response besides its listings (for the crawl-run record)."""

    platform: str
    url: str
    outcome: str  # ok | empty | refused:<mode> | layout-changed | error
    listings: int = 0
    detail: str = ""
    saved_as: str | None = None
