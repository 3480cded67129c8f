"""Weibo's parsers by response kind, and the one entry for API answers captured off the network."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from spiders.common import ParsedPage
from spiders.weibo.legacy import parse_weibo_mobile, parse_weibo_search
from spiders.weibo.today import (
    parse_account_search,
    parse_long_text,
    parse_search_profile,
    parse_status_show,
)


def parse_api_answer(url: str, body: bytes | str) -> ParsedPage | None:
    """A Weibo JSON answer by its path: ``/ajax/statuses/show``, ``/ajax/statuses/longtext``,
    ``/ajax/statuses/searchProfile`` (weibo.com) or ``/api/container/getIndex`` (m.weibo.cn); None
    for any other URL."""
    path = urlsplit(url).path.rstrip("/")
    if path.endswith("/ajax/statuses/show"):
        return parse_status_show(body, url)
    if path.endswith("/ajax/statuses/longtext"):
        return parse_long_text(body, url)
    if path.endswith("/ajax/statuses/searchProfile"):
        return parse_search_profile(body, url)
    if path.endswith("/api/container/getIndex"):
        return parse_weibo_mobile(body, url)
    return None


def parse_ajax(body: bytes | str, url: str, content_type: str | None = None) -> ParsedPage:
    """The ``ajax`` kind: by URL, else ``statuses/show``."""
    return parse_api_answer(url, body) or parse_status_show(body, url, content_type)


PARSERS: dict[str, Callable[..., ParsedPage]] = {
    "search": parse_weibo_search,
    "mobile": parse_weibo_mobile,
    "ajax": parse_ajax,
    "accounts": parse_account_search,
}

DEFAULT_URLS: dict[str, str] = {
    "search": "https://s.weibo.com/weibo?q=",
    "mobile": "https://m.weibo.cn/api/container/getIndex?containerid=100103type%3D1",
    "ajax": "https://weibo.com/ajax/statuses/show?id=",
    "accounts": "https://s.weibo.com/user?q=",
}


def kind_of(text: str, url: str | None = None) -> str:
    parts = urlsplit(url or "")
    host = parts.hostname or ""
    if "/ajax/" in parts.path:
        return "ajax"
    if host == "m.weibo.cn":
        return "mobile"
    if parts.path.startswith("/user") or "card-user-b" in text:
        return "accounts"
    if re.match(r"\s*\{", text):
        head = text[:5000]
        if re.search(r'"(cards|cardlistInfo)"', head):  # m.weibo.cn getIndex (its mblogs have idstr too)
            return "mobile"
        return "ajax" if re.search(r'"(idstr|mblogid|longTextContent)"', head) else "mobile"
    return "search"
