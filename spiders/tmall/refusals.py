"""Tmall's refusals: Taobao's (one login, one mtop gateway, one Baxia) plus ``tmall-moved``.

``tmall-moved`` — ``list.tmall.com/search_product.htm`` now answers every client, logged in or not,
with a redirect to the Taobao login page: Tmall is searched on Taobao (``s.taobao.com/search?tab=mall``).
It is reported as that, not as a cookie problem, and cools no account.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from spiders.refusals import RefusalMode, Rules, UrlRule
from spiders.taobao.refusals import BODIES, MODES
from spiders.taobao.refusals import RULES as TAOBAO

MOVED = RefusalMode(
    "tmall-moved",
    "Tmall is searched on Taobao now (s.taobao.com tab=mall): list.tmall.com sends every client to the "
    "login page whatever its cookies; use the tmall spider's default path (drop path=legacy)",
)


def _moved(source: str, target: str) -> str | None:
    """A list.tmall.com search redirected to a login page."""
    if (urlsplit(source).hostname or "") != "list.tmall.com":
        return None
    return "tmall-moved" if TAOBAO.from_url(target) == "login" else None


RULES = Rules(
    "tmall",
    (MOVED, *MODES),
    (
        UrlRule("login.taobao.com", "list.tmall.com", "tmall-moved", in_query=True),
        UrlRule("login.tmall.com", "list.tmall.com", "tmall-moved", in_query=True),
        *TAOBAO.urls,
    ),
    BODIES,
    redirect_hook=_moved,
)
