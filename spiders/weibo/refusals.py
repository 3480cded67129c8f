"""Weibo's refusals.

* ``weibo-432`` — HTTP 432: m.weibo.cn's (and weibo.com's ajax) answer to a client it throttles.
* ``weibo-login`` — the SSO sign-in (``passport.weibo.com/sso/signin``, ``login.sina.com.cn/sso/…``) or
  its login-error page: the cookie is not (or no longer) a logged-in session.
* ``visitor`` — the visitor system (``passport.weibo.com/visitor/…``, "Sina Visitor System"): the
  request went without a usable cookie (the cookie jar on, or the cookie lapsed).
* ``access-denied`` (访问受限, HTTP 418), ``banned`` (帐号存在异常), ``busy`` (网络繁忙).
* ``login`` — the older ``passport.weibo.com/signin/login`` redirect.
"""

from __future__ import annotations

import re

from spiders.refusals import BodyRule, RefusalMode, Rules, UrlRule

MODES = (
    RefusalMode(
        "weibo-432",
        "Weibo throttles this client (HTTP 432): rest this account for 10+ minutes; search s.weibo.com "
        "with a logged-in cookie header ({env}) instead of m.weibo.cn",
        cool_account=True,
    ),
    RefusalMode(
        "weibo-login",
        "Weibo wants a logged-in session (SSO sign-in): log in again (markwatch login weibo) or set {env} "
        "to a logged-in weibo.com cookie",
        cool_account=True,
    ),
    RefusalMode(
        "visitor",
        "Weibo sent the visitor check: set {env} to a logged-in weibo.com cookie (sent as a header, "
        "cookie jar off)",
        cool_account=True,
    ),
    RefusalMode(
        "access-denied",
        "access restricted: rest this account, or use another logged-in account's cookie in {env}",
        cool_account=True,
    ),
    RefusalMode("banned", "the account is blocked: use another account's cookie in {env}", cool_account=True),
    RefusalMode("busy", "the platform is busy: retry later with a lower rate (a larger DOWNLOAD_DELAY)"),
)

URLS = (
    UrlRule("passport.weibo.com", "/visitor", "visitor"),
    UrlRule("passport.weibo.com", "/sso/", "weibo-login"),
    UrlRule("login.sina.com.cn", "/sso/", "weibo-login"),
    UrlRule("passport.weibo.com", "", "login"),
    UrlRule("login.sina.com.cn", "", "login"),
    UrlRule("", "/visitor/visitor", "visitor"),
)

BODIES = (
    BodyRule(
        re.compile(r"B_accessdeny|pl_guide_accessdeny|<title>\s*访问受限"),
        "access-denied",
        "Weibo 访问受限 page",
    ),
    BodyRule(re.compile(r"帐号存在异常|账号存在异常"), "banned", "Weibo account blocked"),
    BodyRule(re.compile(r"网络繁忙|系统繁忙"), "busy", "Weibo busy page"),
    BodyRule(
        re.compile(r"passport\.weibo\.com/visitor|<title>\s*Sina Visitor System"),
        "visitor",
        "Weibo visitor verification",
    ),
    BodyRule(
        re.compile(
            r"passport\.weibo\.com/sso/signin|login\.sina\.com\.cn/sso/login|<title>\s*(登录|新浪通行证)"
        ),
        "weibo-login",
        "Weibo SSO sign-in / login error page",
    ),
)

RULES = Rules("weibo", MODES, URLS, BODIES, statuses={432: "weibo-432", 418: "access-denied"})
