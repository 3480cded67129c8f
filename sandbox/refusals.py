"""How the sandbox refuses robots: the modes, where each applies, and the responses they produce.

A mode is switched on for a whole platform (``markwatch sandbox --refuse taobao=login``, or
``Sandbox.set_refusal("taobao", "login", after=10)`` to refuse from the 11th request on, like the
slider that appears after about ten pages), or for one request with the query parameter
``_sandbox_refuse=MODE`` or the header ``X-Sandbox-Refuse: MODE``. A per-request mode that does not
apply to the route answers 400 naming the modes that do; a platform-wide mode leaves routes it does not
apply to unchanged (``token_empty`` only touches the mtop API).

Redirects (``Location``) point back into the sandbox (``http://127.0.0.1:N/login.taobao.com/...``)
so that a client that follows them stays offline; the host segment is the real one, and the sandbox
serves the login, punish, passport and visitor pages at those paths.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Every mode, with what it does (listed by ``GET /_sandbox/modes`` and in the README).
MODES: dict[str, str] = {
    "login": "302 to the platform's login page (login.taobao.com/member/login.jhtml?redirectURL=…, "
    "passport.jd.com/new/login.aspx?ReturnUrl=…, passport.weibo.com/signin/login?…); mtop answers "
    "FAIL_SYS_SESSION_EXPIRED, m.weibo.cn answers {ok:-100, url:…}",
    "slider": "Taobao/Tmall: 302 to …/_____tmd_____/punish?x5secdata=… (the nc_1_n1z slider page); mtop "
    "answers the punish JSON {rgv587_flag:'sm', url:…}; JD: 302 to the JCAP captcha (jcap.m.jd.com)",
    "token_empty": "mtop: ret FAIL_SYS_TOKEN_EMPTY::令牌为空 with a fresh _m_h5_tk cookie",
    "token_expired": "mtop: ret FAIL_SYS_TOKEN_EXOIRED::令牌过期 with a fresh _m_h5_tk cookie",
    "rgv587": "mtop: ret FAIL_SYS_USER_VALIDATE + RGV587_ERROR::SM::哎哟喂,被挤爆啦,请稍后重试 (HTTP 200)",
    "auth605": 'JD: {"code":"605","echo":"the request needs to authenticate"} (HTTP 200)',
    "visitor": "Weibo: 302 to passport.weibo.com/visitor/visitor?entry=miniblog&a=enter&url=…",
    "accessdeny": "Weibo: the 访问受限 page (body.B_accessdeny, #pl_guide_accessdeny); m.weibo.cn: HTTP 418",
    "throttle": "HTTP 429 with Retry-After",
    "unavailable": "HTTP 503 with Retry-After",
    "slow": "the normal answer, after a delay (Sandbox(slow_seconds=…), header X-Sandbox-Delay)",
    "truncated": "the normal body cut short (HTTP 200, consistent Content-Length)",
    "malformed": "the normal body with bytes spliced in that break its JSON and its encoding",
    "empty": "the platform's own no-result shape "
    "(mods.noresult, 喵~没找到, check-error, card-no-result, ok:0)",
    "layout": "a changed-layout variant of the search page: class names / JSON keys moved",
}

GENERIC = ("throttle", "unavailable", "slow", "truncated", "malformed")


@dataclass(frozen=True)
class Route:
    """What the sandbox knows about one endpoint."""

    name: str
    platform: str
    kind: str  # search | api | item | page
    modes: frozenset[str]


def _modes(*extra: str) -> frozenset[str]:
    return frozenset((*GENERIC, *extra))


ROUTES: dict[str, Route] = {
    r.name: r
    for r in (
        Route("taobao-search", "taobao", "search", _modes("login", "slider", "empty", "layout")),
        Route(
            "taobao-mtop-search",
            "taobao",
            "api",
            _modes("login", "slider", "token_empty", "token_expired", "rgv587", "empty", "layout"),
        ),
        Route("taobao-item", "taobao", "item", _modes("login", "slider")),
        Route("tmall-search", "tmall", "search", _modes("login", "slider", "empty", "layout")),
        Route("tmall-item", "tmall", "item", _modes("login", "slider")),
        Route("jd-search", "jd", "search", _modes("login", "slider", "auth605", "empty", "layout")),
        Route(
            "jd-search-second-half", "jd", "search", _modes("login", "slider", "auth605", "empty", "layout")
        ),
        Route("jd-api-search", "jd", "api", _modes("login", "auth605", "empty", "layout")),
        Route("jd-prices", "jd", "api", _modes("auth605")),
        Route("jd-item", "jd", "item", _modes("login", "slider", "auth605")),
        Route("weibo-search", "weibo", "search", _modes("login", "visitor", "accessdeny", "empty", "layout")),
        Route(
            "weibo-mobile-search", "weibo", "api", _modes("login", "visitor", "accessdeny", "empty", "layout")
        ),
        Route("weibo-post", "weibo", "item", _modes("login", "visitor", "accessdeny")),
        Route("weibo-status", "weibo", "item", _modes("login", "visitor", "accessdeny")),
    )
}


def modes_for(platform: str) -> list[str]:
    """Modes that apply to at least one route of ``platform``."""
    found: set[str] = set()
    for r in ROUTES.values():
        if r.platform == platform:
            found |= r.modes
    return sorted(found)


def parse_refusal(spec: str) -> tuple[str, str, int]:
    """``PLATFORM=MODE[@N]`` → (platform, mode, after). Raises ValueError with a one-line reason."""
    if "=" not in spec:
        raise ValueError(f"--refuse {spec!r}: write PLATFORM=MODE[@N], e.g. taobao=login or taobao=slider@10")
    platform, _, mode = spec.partition("=")
    platform = platform.strip().lower()
    mode = mode.strip().lower()
    after = 0
    if "@" in mode:
        mode, _, n = mode.partition("@")
        if not n.isdigit():
            raise ValueError(f"--refuse {spec!r}: after '@' give a number of requests, e.g. slider@10")
        after = int(n)
    check_refusal(platform, mode)
    return platform, mode, after


def check_refusal(platform: str, mode: str) -> None:
    platforms = sorted({r.platform for r in ROUTES.values()})
    if platform not in platforms:
        raise ValueError(f"unknown platform {platform!r} (one of: {', '.join(platforms)})")
    if mode not in MODES:
        raise ValueError(f"unknown refusal mode {mode!r} (one of: {', '.join(MODES)})")
    if mode not in modes_for(platform):
        raise ValueError(
            f"mode {mode!r} does not apply to {platform} (its modes: {', '.join(modes_for(platform))})"
        )
