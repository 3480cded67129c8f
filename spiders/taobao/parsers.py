"""Taobao's parsers by response kind, and the one entry for API answers captured off the network."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from spiders.common import ParsedPage, to_text
from spiders.taobao.legacy import parse_taobao_item, parse_taobao_mtop, parse_taobao_search
from spiders.taobao.today import mtop_api_name, parse_h5search, parse_pcdetail

H5SEARCH = "mtop.taobao.wsearch.h5search"
RECOMMEND = "mtop.relationrecommend.wirelessrecommend.recommend"
PCDETAIL = "mtop.taobao.pcdetail.data.get"


def parse_api_answer(url: str, body: bytes | str, platform: str = "taobao") -> ParsedPage | None:
    """An mtop answer, by the API named in its URL (``…/h5/<api>/<v>/`` or ``api=``), else in its
    body's ``"api"`` field: ``wsearch.h5search``, ``relationrecommend…recommend``, ``pcdetail.data.get``.
    None when the URL is not an mtop API Taobao's parsers read (the caller ignores that answer). The
    answer's own ``"api"`` field wins over the URL (a saved file parsed under a placeholder URL)."""
    text = to_text(body)
    m = re.search(r'"api"\s*:\s*"(mtop\.[\w.]+)"', text[:2000])  # what the answer says it is
    name = m.group(1).lower() if m else mtop_api_name(url)
    if name == H5SEARCH:
        return parse_h5search(text, url)
    if name == RECOMMEND:
        return parse_taobao_mtop(text, url)
    if name == PCDETAIL:
        return parse_pcdetail(text, url, platform=platform)
    if not name and ("listItem" in text[:3000] or "itemsArray" in text[:3000]):
        return parse_h5search(text, url) if "listItem" in text[:3000] else parse_taobao_mtop(text, url)
    return None


def parse_mtop(body: bytes | str, url: str, content_type: str | None = None) -> ParsedPage:
    """The ``mtop`` kind: any mtop answer (recommend when nothing says which)."""
    text = to_text(body, content_type)
    return parse_api_answer(url, text) or parse_taobao_mtop(text, url)


PARSERS: dict[str, Callable[..., ParsedPage]] = {
    "search": parse_taobao_search,
    "mtop": parse_mtop,
    "item": parse_taobao_item,
}

DEFAULT_URLS: dict[str, str] = {
    "search": "https://s.taobao.com/search?q=",
    "mtop": f"https://h5api.m.taobao.com/h5/{RECOMMEND}/2.0/",
    "item": "https://item.taobao.com/item.htm",
}


def kind_of(text: str, url: str | None = None) -> str:
    """Which kind a body is, from its URL when known, else from what it holds."""
    host, path = "", ""
    if url:
        parts = urlsplit(url)
        host, path = parts.hostname or "", parts.path
    if host.startswith("h5api.") or host.startswith("acs.") or "mtop." in path:
        return "mtop"
    if host.startswith(("item.", "detail.")) or "__ICE_APP_CONTEXT__" in text:
        return "item"
    if re.search(r"\bg_config\s*=", text) and "g_page_config" not in text:
        return "item"
    head = text.lstrip()[:5000]
    if "g_page_config" in text or host.startswith("s.") or (head.startswith("{") and '"mods"' in head):
        return "search"
    return "mtop" if re.match(r"\s*(mtopjsonp\d*\(|\{)", text) else "search"


def as_platform(parsed: ParsedPage, platform: str) -> ParsedPage:
    """Mark every listing as ``platform``'s (Tmall's searches run on Taobao with ``tab=mall``)."""
    from spiders.taobao.today import taobao_item_url

    for listing in parsed.listings:
        listing.platform = platform
        listing.url = taobao_item_url(listing.item_id, tmall=platform == "tmall")
    return parsed


__all__: list[Any] = ["DEFAULT_URLS", "PARSERS", "as_platform", "kind_of", "parse_api_answer", "parse_mtop"]
