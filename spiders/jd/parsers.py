"""JD's parsers by response kind, and the one entry for API answers captured off the network."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from spiders.common import ParsedPage, to_text
from spiders.jd.legacy import parse_jd_item, parse_jd_search
from spiders.jd.today import function_id, parse_jd_api, parse_jd_rendered, parse_ware_business

SEARCH_WARE = "pc_search_searchWare"
WARE_BUSINESS = "pc_detailpage_wareBusiness"


def parse_api_answer(url: str, body: bytes | str) -> ParsedPage | None:
    """An ``api.m.jd.com`` answer by its ``functionId``: ``pc_search_searchWare`` (search) or
    ``pc_detailpage_wareBusiness`` (item); None for any other function."""
    name = function_id(url)
    if name == SEARCH_WARE:
        return parse_jd_api(body, url)
    if name in (WARE_BUSINESS, "wareBusiness"):
        return parse_ware_business(body, url)
    return None


def parse_api(body: bytes | str, url: str, content_type: str | None = None) -> ParsedPage:
    """The ``api`` kind: searchWare unless the URL or body says wareBusiness."""
    text = to_text(body, content_type)
    head = text[:5000]
    if "wareList" not in head and ('"wareInfo' in head or '"shopInfo"' in head):
        return parse_ware_business(text, url)
    return parse_api_answer(url, text) or parse_jd_api(text, url)


def parse_search(body: bytes | str, url: str, content_type: str | None = None) -> ParsedPage:
    """``search.jd.com``: the legacy ``li.gl-item`` page, else today's rendered ``div[data-sku]`` cards."""
    text = to_text(body, content_type)
    if "gl-item" in text or "s_new.php" in url or "data-sku" not in text:
        return parse_jd_search(text, url)
    return parse_jd_rendered(text, url)


PARSERS: dict[str, Callable[..., ParsedPage]] = {
    "search": parse_search,
    "api": parse_api,
    "item": parse_jd_item,
}

DEFAULT_URLS: dict[str, str] = {
    "search": "https://search.jd.com/Search?keyword=&enc=utf-8&page=1",
    "api": f"https://api.m.jd.com/api?functionId={SEARCH_WARE}",
    "item": "https://item.jd.com/0.html",
}


def kind_of(text: str, url: str | None = None) -> str:
    host = urlsplit(url or "").hostname or ""
    if host.startswith("api.") or re.match(r"\s*\{", text):
        return "api"
    if host.startswith("item.") or (
        "pageConfig" in text and "gl-item" not in text and "data-sku" not in text
    ):
        return "item"
    return "search"
