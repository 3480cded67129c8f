"""Taobao: its spider, parsers, refusal rules and registry hooks, in one package.

* ``spider.py`` — :class:`TaobaoSpider`. Default path (``path=today``): the mtop
  ``mtop.taobao.wsearch.h5search/1.0`` search (the browser path opens ``s.taobao.com/search?q=…`` and
  reads the API answers off the network; the HTTP path builds the same signed request).
  ``path=legacy``: the ``s.taobao.com/search`` page with ``g_page_config`` (saved pages, legacy
  sandbox); ``path=recommend``: the 2024–25 ``relationrecommend`` API.
* ``today.py`` — h5search answers, rendered ``doubleCard--`` cards, ICE item data and ``pcdetail``.
* ``legacy.py`` — ``g_page_config`` (also bare / ``ajax=true`` JSON), ``relationrecommend``, ``g_config``.
* ``refusals.py`` — Baxia ``deny_h5``, ``RGV587`` + ``x5secdata``, punish, token, login.

For a captured network answer, call ``parse_api_answer(url, body)``: it reads the mtop API named in
the URL (``h5search``, ``relationrecommend…recommend``, ``pcdetail.data.get``) and returns a
:class:`~spiders.common.ParsedPage` (listings, outcome, refusal), or None when the answer is not one
Taobao's parsers read. Pure: no Scrapy, no network.
"""

from spiders.taobao.parsers import DEFAULT_URLS, PARSERS, kind_of, parse_api_answer
from spiders.taobao.refusals import RULES

PLATFORM = "taobao"
SPIDER = "spiders.taobao.spider:TaobaoSpider"
#: Where the sandbox replays Taobao (the sandbox imports no spiders, so it lives there).
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
