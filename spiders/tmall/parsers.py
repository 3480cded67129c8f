"""Tmall's parsers by response kind. Tmall is searched on Taobao now (``s.taobao.com/search?tab=mall``
and its mtop answers): those are read by Taobao's parsers and every hit is a Tmall listing."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlsplit

from spiders.common import ParsedPage, query_value, to_text
from spiders.taobao.legacy import parse_taobao_search
from spiders.taobao.parsers import as_platform
from spiders.taobao.parsers import parse_api_answer as taobao_api_answer
from spiders.taobao.parsers import parse_mtop as taobao_mtop
from spiders.tmall.legacy import parse_tmall_item, parse_tmall_search


def _mall_tab(url: str) -> bool:
    """A Taobao search restricted to Tmall: ``tab=mall`` in the URL or in the mtop ``data``."""
    if query_value(url, "tab") == "mall":
        return True
    try:
        data = json.loads(query_value(url, "data") or "{}")
        params = json.loads(data["params"]) if isinstance(data.get("params"), str) else data
        return bool(params.get("tab") == "mall")
    except (ValueError, TypeError, KeyError, AttributeError):
        return False


def parse_api_answer(url: str, body: bytes | str) -> ParsedPage | None:
    """An mtop answer of a Tmall search (``tab=mall``) or item (``pcdetail.data.get``), or None."""
    parsed = taobao_api_answer(url, body, platform="tmall")
    if parsed is not None and _mall_tab(url):
        as_platform(parsed, "tmall")
    return parsed


def parse_search(body: bytes | str, url: str, content_type: str | None = None) -> ParsedPage:
    """``list.tmall.com`` (legacy ``#J_ItemList``) or the Taobao search page with ``tab=mall``."""
    text = to_text(body, content_type)
    host = urlsplit(url).hostname or ""
    if host == "list.tmall.com" or "J_ItemList" in text:
        return parse_tmall_search(text, url)
    parsed = parse_taobao_search(text, url)
    return as_platform(parsed, "tmall") if _mall_tab(url) else parsed


def parse_mtop(body: bytes | str, url: str, content_type: str | None = None) -> ParsedPage:
    parsed = taobao_mtop(body, url, content_type)
    return as_platform(parsed, "tmall") if _mall_tab(url) else parsed


PARSERS: dict[str, Callable[..., ParsedPage]] = {
    "search": parse_search,
    "mtop": parse_mtop,
    "item": parse_tmall_item,
}

DEFAULT_URLS: dict[str, str] = {
    "search": "https://list.tmall.com/search_product.htm?q=",
    "mtop": "https://h5api.m.taobao.com/h5/mtop.taobao.wsearch.h5search/1.0/",
    "item": "https://detail.tmall.com/item.htm",
}


def kind_of(text: str, url: str | None = None) -> str:
    parts = urlsplit(url or "")
    host = parts.hostname or ""
    if host.startswith(("h5api.", "acs.")) or "mtop." in parts.path:
        return "mtop"
    if host.startswith("detail.") or "TShop.Setup" in text or "__ICE_APP_CONTEXT__" in text:
        return "item"
    if text.lstrip().startswith(("mtopjsonp", '{"api"')):
        return "mtop"
    return "search"
