"""Helpers every platform's parsers share: decoding, URLs, numbers, tags, JSON in scripts.

Everything here is pure: bytes or text in, values out. No Scrapy import, so ``markwatch parse`` and the
tests can use the parsers on a saved file.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from w3lib.encoding import html_to_unicode

from markwatch.listing import Listing

#: The outcomes a page can have. ``refused:<mode>`` carries the refusal mode after the colon.
OUTCOMES = ("ok", "empty", "layout-changed")


@dataclass
class ParsedPage:
    """What one response yields: its listings and what the page says about itself."""

    listings: list[Listing]
    outcome: str  # ok | empty | refused:<mode> | layout-changed | error (| gone, item pages in a spider)
    total_pages: int | None = None  # as the page states it (before the platform's cap)
    next: dict[str, Any] = field(default_factory=dict)  # cursor for the next request (mtop offsets…)
    detail: str = ""  # one line for the crawl summary
    gone: bool = False  # item pages: the platform shows the item removed / off-shelf
    total_results: int | None = None

    @property
    def refusal(self) -> str | None:
        """The refusal mode (``login``, ``slider``…) or None."""
        return self.outcome.split(":", 1)[1] if self.outcome.startswith("refused:") else None


def refused(mode: str, detail: str) -> ParsedPage:
    return ParsedPage([], f"refused:{mode}", detail=detail)


def layout_changed(detail: str) -> ParsedPage:
    return ParsedPage([], "layout-changed", detail=detail)


def api_result_page(
    entries: Any,
    read: Callable[[dict[str, Any]], Listing | None],
    *,
    total_results: int | None,
    per_page: int,
    name: str,
    next: dict[str, Any] | None = None,
) -> ParsedPage:
    """The page of a JSON search API whose results are the list ``entries`` (``name`` in messages).

    Missing list: layout changed; empty list: the platform's own "no results"; entries that yield
    no listing: layout changed.
    """
    if entries is None:
        return layout_changed(f"the answer has no {name}")
    if not entries:
        return ParsedPage([], "empty", total_results=total_results, detail=f"{name} is empty")
    listings = [lst for e in entries if isinstance(e, dict) for lst in [read(e)] if lst]
    if not listings:
        return layout_changed(f"{name} entries carry no item id")
    total_pages = -(-total_results // per_page) if total_results else None
    return ParsedPage(listings, "ok", total_pages=total_pages, total_results=total_results, next=next or {})


def to_text(body: bytes | str, content_type: str | None = None) -> str:
    """Decode a body the way a browser would: HTTP charset, then BOM / <meta charset>, then utf-8.

    Taobao and Tmall pages are historically GBK; ``html_to_unicode`` reads ``<meta charset=gbk>``.
    """
    if isinstance(body, str):
        return body
    if not (content_type and "charset" in content_type.lower()):
        # A page saved by a browser keeps its ``<meta charset=gbk>`` but is written as UTF-8; real GBK
        # text with Chinese in it is almost never valid UTF-8, so a clean UTF-8 decode wins.
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if not text.isascii():
                return text.removeprefix("\ufeff")
    _, text = html_to_unicode(content_type, body)
    bad = text.count("\ufffd")
    if bad > 3:  # a GBK page saved or served under a utf-8 label (seen in real Weibo error pages)
        other = body.decode("gb18030", errors="replace")
        if other.count("\ufffd") < bad:
            return other
    return text


def absolute(url: str | None, scheme: str = "https") -> str | None:
    """``//host/path`` → ``https://host/path``; ``http:`` image CDN URLs are upgraded to https."""
    if not url:
        return None
    url = html.unescape(url.strip())
    if url.startswith("//"):
        return f"{scheme}:{url}"
    if url.startswith("http://"):
        return "https://" + url[len("http://") :]
    return url


_ALICDN_SUFFIX = re.compile(r"(\.(?:jpg|jpeg|png|gif|webp))_[^/]*$", re.I)


def alicdn_full(url: str) -> str:
    """``…!!1.jpg_50x50.jpg_.webp`` → ``…!!1.jpg``: the full-size image behind an alicdn thumbnail."""
    return _ALICDN_SUFFIX.sub(r"\1", url)


def unique(urls: list[str | None]) -> list[str]:
    seen: dict[str, None] = {}
    for u in urls:
        if u:
            seen.setdefault(u, None)
    return list(seen)


def as_int(value: Any) -> int | None:
    """``"44471"`` / ``44471`` → 44471; anything else → None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def query_value(url: str | None, key: str) -> str | None:
    """The first value of ``key`` in ``url``'s query string, or None."""
    values = parse_qs(urlsplit(url or "").query).get(key)
    return values[0] if values else None


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""


_PRICE = re.compile(r"\d+(?:\.\d+)?")


def price(value: Any) -> float | None:
    """The lowest price in ``"149.00 - 159.00"``, ``"¥199.50"``, ``59.9``; None when absent."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    numbers = [float(n) for n in _PRICE.findall(str(value).replace(",", ""))]
    return min(numbers) if numbers else None


_COUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(万|w|亿)?", re.I)


def count(value: Any) -> int | None:
    """``"转发 28"`` → 28, ``"1.2万"`` → 12000, ``"转发"`` → 0, ``None`` → None."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    text = str(value).strip()
    m = _COUNT.search(text)
    if not m:
        return 0 if text else None
    n = float(m.group(1))
    unit = (m.group(2) or "").lower()
    if unit in ("万", "w"):
        n *= 10_000
    elif unit == "亿":
        n *= 100_000_000
    return int(n)


_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def strip_tags(text: str | None) -> str:
    """``南方黑<span class=H>芝麻</span>`` → ``南方黑芝麻`` (entities decoded, whitespace collapsed)."""
    if not text:
        return ""
    out = html.unescape(_TAG.sub("", text))
    return _SPACE.sub(" ", out.replace("\u200b", "").replace("\ue627", "")).strip()


def json_after(text: str, marker: str | re.Pattern[str]) -> Any:
    """The JSON value that starts right after ``marker`` (``g_page_config =``, ``TShop.Setup(``).

    Uses ``raw_decode``, so whatever follows the value (``;``, ``)``, more script) does not matter.
    Raises ValueError when the marker or a JSON value after it is missing.
    """
    if isinstance(marker, str):
        at = text.find(marker)
        if at < 0:
            raise ValueError(f"{marker!r} not found")
        start = at + len(marker)
    else:
        m = marker.search(text)
        if not m:
            raise ValueError(f"{marker.pattern!r} not found")
        start = m.end()
    while start < len(text) and text[start] in " \t\r\n":
        start += 1
    value, _ = json.JSONDecoder().raw_decode(text, start)
    return value


_JSONP = re.compile(r"^\s*[\w$.]+\s*\(\s*(.*?)\s*\)\s*;?\s*$", re.S)


def unwrap_jsonp(text: str) -> str:
    """``mtopjsonp3({...})`` → ``{...}``; plain JSON passes through."""
    s = text.strip()
    if s.startswith(("{", "[")):
        return s
    m = _JSONP.match(s)
    return m.group(1) if m else s


def obj(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else ``{}`` (platform answers leave keys out or null them)."""
    return value if isinstance(value, dict) else {}
