"""Taobao's refusals (Tmall shares them: one login, one mtop gateway, one Baxia).

* ``baxia-deny`` — Baxia risk control's ``deny_h5``: a redirect to ``…/markets/bx/deny_h5`` or the mtop
  body ``{"rgv587_flag":"sm","url":"https://www.taobao.com/markets/bx/deny_h5"}``.
* ``rgv587-x5sec`` — mtop ``RGV587_ERROR`` whose ``data`` carries only ``x5secdata`` and a login URL
  (an ``x5secdata`` field, or a ``login.taobao.com`` URL holding it; not the punish URL of a session's
  slider):
  Baxia judged the IP and browser before any ``_m_h5_tk`` was issued.
* ``rgv587`` — ``FAIL_SYS_USER_VALIDATE`` + ``RGV587_ERROR::SM``: risk control on a working session.
* ``token`` — ``FAIL_SYS_TOKEN_*``: the mtop token is missing or expired (the spider re-signs once).
* ``slider`` — the x5sec punish page / ``nc_1_n1z`` nocaptcha; ``login`` — ``login.taobao.com``.
"""

from __future__ import annotations

import re

from spiders.refusals import BodyRule, RefusalMode, Rules, UrlRule

MODES = (
    RefusalMode(
        "baxia-deny",
        "Taobao's Baxia risk control denied this client (deny_h5): let this account rest for an hour, "
        "crawl through a logged-in browser (markwatch login taobao), not plain HTTP",
        cool_account=True,
    ),
    RefusalMode(
        "rgv587-x5sec",
        "Baxia judged this IP and browser before issuing a token (RGV587 with x5secdata): crawl through "
        "a logged-in account's browser, from another IP (the account's proxy); a person can pass the "
        "check in the window",
        cool_account=True,
        solvable=True,
    ),
    RefusalMode(
        "rgv587",
        "risk control (RGV587): let this account rest for minutes, then retry slower with a logged-in "
        "session (markwatch login taobao or {env})",
        cool_account=True,
        solvable=True,
    ),
    RefusalMode(
        "token",
        "the mtop token is missing or expired: log in again, or set {env} with a fresh _m_h5_tk cookie",
    ),
)

URLS = (
    UrlRule("taobao.com", "deny_h5", "baxia-deny"),
    UrlRule("tmall.com", "deny_h5", "baxia-deny"),
    UrlRule("", "_____tmd_____/punish", "slider"),
    UrlRule("login.taobao.com", "", "login"),
    UrlRule("login.tmall.com", "", "login"),
    UrlRule("", "/member/login.jhtml", "login"),
)

BODIES = (
    BodyRule(re.compile(r"bx/deny_h5|deny_h5"), "baxia-deny", "Baxia deny_h5"),
    BodyRule(
        re.compile(
            r'(?s)RGV587_ERROR(?=.*("x5secdata"\s*:|login\.taobao\.com[^"]*x5secdata))'
            r'|("x5secdata"\s*:|login\.taobao\.com[^"]*x5secdata)(?=.*RGV587_ERROR)'
        ),
        "rgv587-x5sec",
        "RGV587 with x5secdata, before any token",
    ),
    BodyRule(re.compile(r"RGV587_ERROR"), "rgv587", "RGV587_ERROR risk control"),
    BodyRule(
        re.compile(r"FAIL_SYS_TOKEN_(EMPTY|EXOIRED|EXPIRED|ILLEGAL)|FAIL_SYS_ILLEGAL_ACCESS"),
        "token",
        "mtop token missing/expired/invalid",
    ),
    BodyRule(re.compile(r"FAIL_SYS_USER_VALIDATE"), "slider", "mtop user validation (slider)"),
    BodyRule(re.compile(r'"rgv587_flag"\s*:\s*"sm"'), "slider", "punish page (x5sec slider)"),
    BodyRule(re.compile(r"_____tmd_____/punish"), "slider", "punish page (x5sec slider)"),
    BodyRule(re.compile(r'id="nc_1_n1z"|nocaptcha|\bnc_1_wrapper\b'), "slider", "nocaptcha slider"),
)

RULES = Rules("taobao", MODES, URLS, BODIES)
