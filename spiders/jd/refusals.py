"""JD's refusals.

* ``jd-risk`` — ``cfe.m.jd.com/privatedomain/risk_handler/…``: where item pages send a client without
  a trusted session (a verification page a person can pass in the window).
* ``jd-login`` — the mobile login host ``plogin.m.jd.com``; ``login`` — ``passport.jd.com``.
* ``jd-605`` — ``{"code":"605","echo":"the request needs to authenticate"}`` from ``api.m.jd.com``
  (leads to the JCAP captcha, ``jcap.m.jd.com``: ``slider``).
* ``pdos-captcha`` — ``{"error":"pdos_captcha"}``: the retired ``p.3.cn`` price host throttling.
"""

from __future__ import annotations

import re

from spiders.refusals import BodyRule, RefusalMode, Rules, UrlRule

MODES = (
    RefusalMode(
        "jd-risk",
        "JD's risk handler (cfe.m.jd.com risk_handler): crawl through a logged-in browser "
        "(markwatch login jd); a person can pass the check in the window; this account rests meanwhile",
        cool_account=True,
        solvable=True,
    ),
    RefusalMode(
        "jd-login",
        "JD wants this account logged in again (plogin.m.jd.com): markwatch login jd, or a fresh {env}",
        cool_account=True,
    ),
    RefusalMode(
        "jd-605",
        "JD wants verification (605): solve it in the browser window, or rest this account and set {env} "
        "from a session that passed it",
        cool_account=True,
        solvable=True,
    ),
    RefusalMode(
        "pdos-captcha",
        "p.3.cn answered pdos_captcha (throttled; the host is retired): prices come with the "
        "pc_search_searchWare answer, so use the default JD path instead of path=legacy",
        cool_account=True,
    ),
)

URLS = (
    UrlRule("cfe.m.jd.com", "/privatedomain/risk_handler", "jd-risk"),
    UrlRule("plogin.m.jd.com", "", "jd-login"),
    UrlRule("passport.jd.com", "", "login"),
    UrlRule("jcap.m.jd.com", "", "slider"),
)

BODIES = (
    BodyRule(re.compile(r'"error"\s*:\s*"pdos_captcha"'), "pdos-captcha", "p.3.cn pdos_captcha"),
    BodyRule(re.compile(r"cfe\.m\.jd\.com/privatedomain/risk_handler"), "jd-risk", "JD risk handler page"),
    BodyRule(re.compile(r"plogin\.m\.jd\.com/login"), "jd-login", "JD mobile login page"),
    BodyRule(re.compile(r'"code"\s*:\s*"?605"?'), "jd-605", "JD risk check (code 605)"),
)

RULES = Rules("jd", MODES, URLS, BODIES)
