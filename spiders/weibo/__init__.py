"""Weibo: its spider, parsers, refusal rules and registry hooks, in one package.

* ``spider.py`` — :class:`WeiboSpider`. HTTP stays (Weibo allows it with a cookie header):
  ``s.weibo.com/weibo?q=`` (default) or m.weibo.cn (``api=mobile``), plus the account search
  ``s.weibo.com/user?q=`` (``accounts=true``, the default): accounts named after the brand are
  listings with ``kind="account"``.
* ``today.py`` — weibo.com ``/ajax/statuses/show``, ``/longtext`` (long posts read whole),
  ``/searchProfile``, and the account search page.
* ``legacy.py`` — the s.weibo.com ``card-wrap`` page (and its 2017 forms), m.weibo.cn ``getIndex``.
* ``refusals.py`` — ``weibo-432``, ``weibo-login`` (SSO), ``visitor``, ``access-denied``, ``banned``,
  ``busy``, ``login``.

For a captured network answer, call ``parse_api_answer(url, body)``: it reads ``/ajax/statuses/show``,
``/ajax/statuses/longtext``, ``/ajax/statuses/searchProfile`` and m.weibo.cn ``getIndex`` answers by
their path and returns a :class:`~spiders.common.ParsedPage` (a ``longtext`` answer carries the text
in ``next["long_text"]``; apply it with :func:`spiders.weibo.today.with_long_text`), or None for any
other URL. Pure: no Scrapy, no network.
"""

from spiders.weibo.parsers import DEFAULT_URLS, PARSERS, kind_of, parse_api_answer
from spiders.weibo.refusals import RULES

PLATFORM = "weibo"
SPIDER = "spiders.weibo.spider:WeiboSpider"
SANDBOX_REPLICA = "sandbox.pages"

__all__ = [
    "DEFAULT_URLS",
    "PARSERS",
    "PLATFORM",
    "RULES",
    "SANDBOX_REPLICA",
    "SPIDER",
    "kind_of",
    "parse_api_answer",
]
