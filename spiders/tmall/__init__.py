"""Tmall: its spider, parsers, refusal rules and registry hooks, in one package.

* ``spider.py`` — :class:`TmallSpider`. Default path (``path=today``): Tmall is searched on Taobao,
  ``s.taobao.com/search?q=…&tab=mall`` (the mtop ``h5search`` answer with ``tab: mall``); every hit is
  a Tmall listing. ``path=legacy``: ``list.tmall.com/search_product.htm`` (saved pages, legacy
  sandbox; the real host now redirects every client to login: refusal ``tmall-moved``).
* ``legacy.py`` — the ``#J_ItemList`` list page and the ``TShop.Setup`` item page; today's item pages
  (ICE) and API answers are read by Taobao's parsers (one Alibaba backend).
* ``refusals.py`` — Taobao's rules plus ``tmall-moved``.

For a captured network answer, call ``parse_api_answer(url, body)``: an mtop search answer of a
``tab=mall`` search (all hits Tmall) or a ``pcdetail.data.get`` item answer, as a
:class:`~spiders.common.ParsedPage`; None when the answer is not one Tmall's parsers read.
"""

from spiders.tmall.parsers import DEFAULT_URLS, PARSERS, kind_of, parse_api_answer
from spiders.tmall.refusals import RULES

PLATFORM = "tmall"
SPIDER = "spiders.tmall.spider:TmallSpider"
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
