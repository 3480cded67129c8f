"""JD: its spider, parsers, refusal rules and registry hooks, in one package.

* ``spider.py`` — :class:`JdSpider`. Default path (``path=today``): ``search.jd.com/Search?keyword=…``
  whose data comes from ``pc_search_searchWare`` (the browser path reads that answer off the network,
  or the rendered ``div[data-sku]`` cards); prices come with it, ``p.3.cn`` is not used.
  ``path=legacy``: the ``li.gl-item`` page, its ``s_new.php`` half and ``p.3.cn`` prices.
* ``today.py`` — ``div[data-sku]`` cards, ``pc_search_searchWare``, ``pc_detailpage_wareBusiness``.
* ``legacy.py`` — ``li.gl-item`` (``data-lazy-img="done"`` falls back to ``src``), ``p.3.cn``,
  ``pageConfig`` item pages.
* ``refusals.py`` — ``jd-risk`` (risk_handler), ``jd-login`` (plogin.m.jd.com), ``jd-605``,
  ``pdos-captcha``, ``login``, ``slider`` (JCAP).

For a captured network answer, call ``parse_api_answer(url, body)``: it reads the ``functionId`` of
an ``api.m.jd.com`` URL (``pc_search_searchWare`` or ``pc_detailpage_wareBusiness``) and returns a
:class:`~spiders.common.ParsedPage`, or None for any other function. Pure: no Scrapy, no network.
"""

from spiders.jd.parsers import DEFAULT_URLS, PARSERS, kind_of, parse_api_answer
from spiders.jd.refusals import RULES

PLATFORM = "jd"
SPIDER = "spiders.jd.spider:JdSpider"
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
