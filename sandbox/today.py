"""Today's platforms (issue 10): login-gated shells whose own scripts sign their API calls, QR login,
sessions told apart by their cookie, and per-account risk control.

What a client meets (see ``sandbox/README.md`` for which shapes are [read] and which are invented):

* **Taobao** ``s.taobao.com/search``: signed out → 302 to ``login.taobao.com/member/login.jhtml``;
  signed in → an empty shell whose script calls mtop ``mtop.taobao.wsearch.h5search/1.0`` signed with
  the sandbox's scheme and renders ``doubleCard--`` cards. A call that was not signed by the page's
  script gets Baxia's ``deny_h5`` answer; a call without a session gets ``RGV587_ERROR``.
* **Tmall** ``list.tmall.com/search_product.htm`` → 302 to Taobao's login page; Tmall listings are
  searched on ``s.taobao.com/search?tab=mall``. Item pages carry ``window.__ICE_APP_CONTEXT__``.
* **JD** ``search.jd.com/Search``: a non-browser client gets 403; signed out → ``passport.jd.com``;
  signed in → a shell whose script calls ``pc_search_searchWare`` twice per page with a sandbox
  ``h5st``. ``item.jd.com`` without cookies → ``cfe.m.jd.com/privatedomain/risk_handler/…``;
  ``p.3.cn`` is retired (404).
* **Weibo** ``s.weibo.com`` with a logged-in ``SUB`` (else the visitor system, then
  ``passport.weibo.com/sso/signin``); ``s.weibo.com/user?q=`` account search;
  ``weibo.com/ajax/statuses/{show,longtext,searchProfile}``; HTTP 432 when an account is throttled.

"Browser" here means a request with the ``Sec-Fetch-Mode`` header, which Chromium sends and plain HTTP
clients (Scrapy, requests, curl) do not: the sandbox's stand-in for the TLS fingerprinting that gives
plain Python clients 403 on JD.
"""

# ruff: noqa: E501  (page templates)
from __future__ import annotations

import hashlib
import html
import io
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web

from sandbox import images, pages, scripts
from sandbox.catalogue import Account, Listing, full_text, is_long, normalise
from sandbox.refusals import GENERIC, Route

if TYPE_CHECKING:
    from sandbox.server import Ctx, Reply, Sandbox

Handler = Callable[["Ctx"], Awaitable["Reply"]]

#: The platform group whose session a platform uses (Tmall logs in through Taobao).
GROUP = {"taobao": "taobao", "tmall": "taobao", "jd": "jd", "weibo": "weibo"}
#: The cookie that tells a group's accounts apart.
SESSION_COOKIE = {"taobao": "cookie2", "jd": "pt_key", "weibo": "SUB"}
#: Risk-control modes: ``slider`` (a slider page a person can drag), ``block`` (RGV587 on mtop,
#: ``pdos_captcha`` on JD's API, HTTP 432 / the 访问受限 page on Weibo; ``rgv587`` = ``block``),
#: ``deny`` (Baxia ``deny_h5`` on Taobao, 403 on JD, as ``block`` on Weibo) and ``login`` (the session
#: is thrown out: the login page, ``FAIL_SYS_SESSION_EXPIRED``, ``plogin.m.jd.com``, ``ok:-100``;
#: logging the account in again clears it).
RISK_MODES = ("slider", "block", "deny", "login")
H5SEARCH_API = "mtop.taobao.wsearch.h5search"
H5SEARCH_PATH = f"/h5/{H5SEARCH_API}/1.0/"
DENY_H5 = "https://www.taobao.com/markets/bx/deny_h5"
APP_KEY = "12574478"
QR_TTL = 300.0
NONCE_TTL = 1800.0

#: Login pages (host, path) → group, and the query parameter holding the return URL.
LOGIN_PAGES: dict[tuple[str, str], tuple[str, str]] = {
    ("login.taobao.com", "/member/login.jhtml"): ("taobao", "redirectURL"),
    ("login.tmall.com", "/"): ("taobao", "redirectURL"),
    ("passport.jd.com", "/new/login.aspx"): ("jd", "ReturnUrl"),
    ("plogin.m.jd.com", "/login/login"): ("jd", "returnurl"),
    ("passport.weibo.com", "/sso/signin"): ("weibo", "url"),
    ("passport.weibo.com", "/signin/login"): ("weibo", "r"),
}
#: Where each group's QR image and poll answer are served: (host, image path, poll path, token param).
QR_ENDPOINTS = {
    "taobao": ("login.taobao.com", "/newlogin/qrcode/image.png", "/newlogin/qrcode/query.do", "lgToken"),
    "jd": ("qr.m.jd.com", "/show", "/check", "token"),
    "weibo": ("passport.weibo.com", "/sso/v2/qrcode/image", "/sso/v2/qrcode/check", "qrid"),
}


def _mk_routes() -> dict[str, Route]:
    pages_ = frozenset((*GENERIC, "login"))
    api = frozenset(GENERIC)
    return {
        r.name: r
        for r in (
            Route("taobao-shell", "taobao", "search", pages_),
            Route("taobao-h5search", "taobao", "api", api),
            Route("taobao-mtop-gated", "taobao", "api", api),
            Route("taobao-item-ice", "taobao", "item", pages_),
            Route("tmall-item-ice", "tmall", "item", pages_),
            Route("tmall-search-retired", "tmall", "search", api),
            Route("jd-shell", "jd", "search", pages_),
            Route("jd-shell-second-half", "jd", "search", api),
            Route("jd-api-signed", "jd", "api", api),
            Route("jd-prices-retired", "jd", "api", api),
            Route("jd-item-gated", "jd", "item", pages_),
            Route("weibo-search-gated", "weibo", "search", pages_),
            Route("weibo-user-search", "weibo", "search", pages_),
            Route("weibo-ajax", "weibo", "api", api),
            Route("weibo-mobile-throttled", "weibo", "api", api),
        )
    }


TODAY_ROUTES = _mk_routes()


@dataclass
class Session:
    group: str
    account: str
    sid: str
    created: float
    cookies: dict[str, str]
    requests: int = 0


@dataclass
class Qr:
    group: str
    token: str
    created: float
    back: str  # the real URL to return to
    account: str | None = None
    used: bool = False


@dataclass
class Challenge:
    platform: str
    account: str
    back: str  # real URL
    created: float = field(default_factory=time.time)


def _account_ok(name: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9_.@-]{1,64}", name))


def _real_from_sandbox(url: str) -> str:
    """``http://127.0.0.1:N/<host>/<path>`` → ``https://<host>/<path>`` (a real URL stays as it is)."""
    m = re.match(r"^https?://(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?/([^/?#]+\.[^/?#]+)(.*)$", url)
    return f"https://{m.group(1)}{m.group(2)}" if m else url


def _script_json(obj: Any) -> str:
    """JSON safe inside ``<script>`` (no ``</script>``, no ``<!--``)."""
    return (
        json.dumps(obj, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _cls(name: str, seed: int) -> str:
    """A CSS-module style class name (``name--hash``), stable per seed."""
    return f"{name}--{hashlib.md5(f'{name}:{seed}'.encode()).hexdigest()[:8]}"


def _jd_cls(name: str, seed: int) -> str:
    return f"_{name}_{hashlib.md5(f'jd:{name}:{seed}'.encode()).hexdigest()[:5]}_{3 + len(name) % 40}"


class Today:
    """State and handlers of today's pages; owned by a :class:`~sandbox.server.Sandbox`."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.lock = threading.Lock()
        self.sessions: dict[str, Session] = {}
        self.qrs: OrderedDict[str, Qr] = OrderedDict()
        self.nonces: OrderedDict[str, tuple[str, str, float]] = OrderedDict()
        self.challenges: OrderedDict[str, Challenge] = OrderedDict()
        self.risk: dict[str, tuple[str, int]] = {}
        self.counts: dict[tuple[str, str], int] = {}
        self.blocked: dict[tuple[str, str], str] = {}
        self._serial = 0

    # --- configuration ---------------------------------------------------------------------------

    def set_risk(self, platform: str, mode: str | None, after: int = 0) -> None:
        """After ``after`` requests, each account of ``platform`` meets ``mode`` (None clears)."""
        if platform not in GROUP:
            raise ValueError(f"unknown platform {platform!r} (one of: {', '.join(GROUP)})")
        with self.lock:
            for key in [k for k in self.counts if k[0] == platform]:
                self.counts.pop(key, None)
                self.blocked.pop(key, None)
            if mode in (None, "", "none", "off"):
                self.risk.pop(platform, None)
                return
            assert mode is not None
            mode = "block" if mode == "rgv587" else mode
            if mode not in RISK_MODES:
                raise ValueError(
                    f"unknown risk mode {mode!r} (one of: slider, block (= rgv587), deny, login)"
                )
            if after < 0:
                raise ValueError("after must be 0 or more requests")
            self.risk[platform] = (mode, after)

    def set_risk_spec(self, platform: str, spec: str) -> None:
        """``MODE[@N]`` (CLI ``--risk PLATFORM=MODE@N``)."""
        mode, _, n = spec.partition("@")
        if n and not n.isdigit():
            raise ValueError(f"--risk {platform}={spec}: after '@' give a number of requests, e.g. slider@20")
        self.set_risk(platform.strip().lower(), mode.strip().lower(), int(n or 0))

    def risk_state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "risk": {p: {"mode": m, "after": a} for p, (m, a) in self.risk.items()},
                "counts": {f"{p}:{a or '-'}": n for (p, a), n in self.counts.items()},
                "blocked": {f"{p}:{a or '-'}": m for (p, a), m in self.blocked.items()},
            }

    # --- sessions --------------------------------------------------------------------------------

    def _next(self, *parts: object) -> str:
        with self.lock:
            self._serial += 1
            n = self._serial
        return hashlib.md5(f"{self.sb.seed}:{n}:{time.time()}:{parts}".encode()).hexdigest()

    def new_session(self, platform: str, account: str) -> Session:
        if not _account_ok(account):
            raise ValueError(f"account {account!r}: use letters, digits and _ . @ - (at most 64)")
        group = GROUP[platform]
        h = self._next("session", group, account)
        if group == "taobao":
            sid = f"1{h[:31]}"
            cookies = {
                "cookie2": sid,
                **self.sb._new_token(),
                "_tb_token_": h[:13],
                "tracknick": quote(account),
                "unb": str(int(h[:8], 16)),
            }
        elif group == "jd":
            sid = f"AAJ{h}"
            cookies = {"pt_key": sid, "thor": (h * 2)[:64].upper(), "pt_pin": quote(account)}
        else:
            sid = f"_2A25{h}"
            # ALF (the login's expiry, in seconds) is set by a login, never for a visitor
            cookies = {
                "SUB": sid,
                "SUBP": f"0033WrSXqPxfM725Ws9jqgMF55529P9D9W{h[:16]}",
                "ALF": str(int(time.time()) + 30 * 86400),
            }
        s = Session(group, account, sid, time.time(), cookies)
        with self.lock:
            self.sessions[sid] = s
            for key, mode in list(self.blocked.items()):  # logging in again ends a `login` refusal
                if mode == "login" and key[1] == account and GROUP[key[0]] == group:
                    self.blocked.pop(key)
                    self.counts[key] = 0
        return s

    def session(self, ctx: Ctx, platform: str) -> Session | None:
        group = GROUP[platform]
        sid = ctx.request.cookies.get(SESSION_COOKIE[group], "")
        s = self.sessions.get(sid)
        return s if s is not None and s.group == group else None

    def account(self, ctx: Ctx, platform: str) -> str:
        s = self.session(ctx, platform)
        return s.account if s is not None else ""

    def new_nonce(self, s: Session) -> str:
        nonce = self._next("nonce", s.sid)[:24]
        with self.lock:
            self.nonces[nonce] = (s.group, s.sid, time.time())
            while len(self.nonces) > 50_000:
                self.nonces.popitem(last=False)
        return nonce

    def nonce_ok(self, nonce: str, s: Session, bx: str) -> bool:
        hit = self.nonces.get(nonce)
        if hit is None or hit[1] != s.sid or time.time() - hit[2] > NONCE_TTL:
            return False
        return bx == scripts.bx(nonce, self.sb.seed)

    # --- risk control ----------------------------------------------------------------------------

    def risk_check(self, ctx: Ctx, platform: str, kind: str) -> Reply | None:
        """Count this request for its account; the risk answer once the account is over its limit."""
        acct = self.account(ctx, platform)
        key = (platform, acct)
        s = self.session(ctx, platform)
        if s is not None:
            s.requests += 1
        with self.lock:
            mode = self.blocked.get(key)
            if mode is None:
                cfg = self.risk.get(platform)
                if cfg is None:
                    return None
                self.counts[key] = self.counts.get(key, 0) + 1
                if self.counts[key] <= cfg[1]:
                    return None
                mode = self.blocked[key] = cfg[0]
        return self.risk_reply(ctx, platform, kind, mode, acct)

    def challenge(self, platform: str, account: str, back: str) -> str:
        cid = self._next("challenge", platform, account)[:24]
        with self.lock:
            self.challenges[cid] = Challenge(platform, account, back)
            while len(self.challenges) > 10_000:
                self.challenges.popitem(last=False)
        return cid

    def solve(self, platform: str, account: str) -> bool:
        with self.lock:
            key = (platform, account)
            was = self.blocked.pop(key, None) is not None
            self.counts[key] = 0
        return was

    def risk_reply(self, ctx: Ctx, platform: str, kind: str, mode: str, acct: str) -> Reply:
        from sandbox.server import _ACCESSDENY, Reply

        back = _real_from_sandbox(ctx.request.headers.get("Referer", "")) if kind == "api" else ctx.real_url
        if mode == "login":
            if kind != "api":
                if platform == "jd":
                    return self.sb._redirect(
                        ctx, f"plogin.m.jd.com/login/login?appid=300&returnurl={quote(back, safe='')}"
                    )
                return self._login_redirect(ctx, platform, back)
            if platform in ("taobao", "tmall"):
                return self._mtop(["FAIL_SYS_SESSION_EXPIRED::Session过期"], {})
            if platform == "jd":
                return Reply.text('{"code":"3","echo":"not login"}', content_type="text/html")
            return Reply.json(
                {"ok": -100, "url": "https://passport.weibo.com/sso/signin?entry=miniblog&source=miniblog"}
            )
        if mode == "deny" and platform in ("taobao", "tmall"):
            if kind == "api":
                return Reply.json({"rgv587_flag": "sm", "url": DENY_H5})
            return self.sb._redirect(ctx, "www.taobao.com/markets/bx/deny_h5")
        if mode == "deny" and platform == "jd":
            return Reply(403, b"", "text/html", None)
        if platform in ("taobao", "tmall"):
            cid = self.challenge(platform, acct, back)
            if kind == "api":
                punish = (
                    f"https://h5api.m.taobao.com/h5/{H5SEARCH_API}/1.0/_____tmd_____/punish?x5secdata={cid}"
                )
                if mode == "slider":
                    return Reply.json({"rgv587_flag": "sm", "url": f"{punish}&x5step=2&action=captcha"})
                return Reply.json(
                    pages.mtop_body(
                        ["FAIL_SYS_USER_VALIDATE", "RGV587_ERROR::SM::哎哟喂,被挤爆啦,请稍后重试"],
                        {"url": f"{punish}&x5step=1"},
                        H5SEARCH_API,
                        "1.0",
                    )
                )
            if mode == "slider":
                return self.sb._redirect(ctx, f"{ctx.host}/_____tmd_____/punish?x5secdata={cid}&x5step=1")
            return self.sb._redirect(ctx, "www.taobao.com/markets/bx/deny_h5")
        if platform == "jd":
            if kind == "api":
                if mode == "slider":
                    return Reply.text(
                        '{"code":"605","echo":"the request needs to authenticate"}', content_type="text/html"
                    )
                return Reply.text('{"error":"pdos_captcha"}', content_type="text/html")
            cid = self.challenge(platform, acct, back)
            return self.sb._redirect(
                ctx,
                f"cfe.m.jd.com/privatedomain/risk_handler/03101900/?returnurl={quote(back, safe='')}&evtype=2&rpid=rp-{cid}",
            )
        # weibo
        if kind == "api":
            return Reply(432, b"", "text/html", None)
        if mode == "slider":
            cid = self.challenge(platform, acct, back)
            return self.sb._redirect(
                ctx, f"passport.weibo.com/sso/verify?entry=miniblog&url={quote(back, safe='')}&cid={cid}"
            )
        return Reply.text(_ACCESSDENY)

    # --- routing ---------------------------------------------------------------------------------

    def route(self, host: str, path: str) -> tuple[Route, Handler] | None:
        low = path.lower()
        name: str | None = None
        if host == "s.taobao.com" and low in ("/search", "/search/"):
            name = "taobao-shell"
        elif host in ("h5api.m.taobao.com", "h5api.m.tmall.com") and low.rstrip("/") + "/" == H5SEARCH_PATH:
            name = "taobao-h5search"
        elif (
            host in ("h5api.m.taobao.com", "h5api.m.tmall.com")
            and low.startswith("/h5/mtop.")
            and "_____tmd_____" not in low
        ):
            name = "taobao-mtop-gated"
        elif host == "item.taobao.com" and low == "/item.htm":
            name = "taobao-item-ice"
        elif host == "detail.tmall.com" and low == "/item.htm":
            name = "tmall-item-ice"
        elif host == "list.tmall.com" and low == "/search_product.htm":
            name = "tmall-search-retired"
        elif host == "search.jd.com" and low == "/search":
            name = "jd-shell"
        elif host == "search.jd.com" and low == "/s_new.php":
            name = "jd-shell-second-half"
        elif host == "api.m.jd.com" and low in ("/api", "/api/", "/"):
            name = "jd-api-signed"
        elif host == "p.3.cn":
            name = "jd-prices-retired"
        elif host == "item.jd.com" and re.fullmatch(r"/\d+\.html", path):
            name = "jd-item-gated"
        elif host == "s.weibo.com" and low in ("/weibo", "/weibo/"):
            name = "weibo-search-gated"
        elif host == "s.weibo.com" and low in ("/user", "/user/"):
            name = "weibo-user-search"
        elif host in ("weibo.com", "www.weibo.com") and low.startswith("/ajax/statuses/"):
            name = "weibo-ajax"
        elif host == "m.weibo.cn" and low == "/api/container/getindex":
            name = "weibo-mobile-throttled"
        if name is None:
            return None
        handler: Handler = getattr(self, "h_" + name.replace("-", "_"))
        return TODAY_ROUTES[name], handler

    @staticmethod
    def browser(ctx: Ctx) -> bool:
        """A request a browser made (Chromium sends ``Sec-Fetch-Mode``; plain HTTP clients do not)."""
        return "Sec-Fetch-Mode" in ctx.request.headers

    def _login_redirect(self, ctx: Ctx, platform: str, back: str | None = None) -> Reply:
        enc = quote(back or ctx.real_url, safe="")
        group = GROUP[platform]
        if group == "taobao":
            return self.sb._redirect(ctx, f"login.taobao.com/member/login.jhtml?redirectURL={enc}")
        if group == "jd":
            return self.sb._redirect(ctx, f"passport.jd.com/new/login.aspx?ReturnUrl={enc}")
        return self.sb._redirect(
            ctx, f"passport.weibo.com/sso/signin?entry=miniblog&source=miniblog&url={enc}"
        )

    def _shell(self, title: str, body: str, config: dict[str, Any], app: str, charset: str = "utf-8") -> str:
        config = {**config, "seed": self.sb.seed}
        return f"""<!DOCTYPE html>
<html><head><meta charset="{charset}"><title>{html.escape(title)}</title></head>
<body>
{body}
<script>window.__SBX__ = {_script_json(config)};</script>
<script>{scripts.COMMON}</script>
<script>{app}</script>
</body></html>
"""

    # --- Taobao / Tmall --------------------------------------------------------------------------

    async def h_taobao_shell(self, ctx: Ctx) -> Reply:
        from sandbox.server import Reply, _int

        s = self.session(ctx, "taobao")
        if s is None:
            return self._login_redirect(ctx, "taobao")
        tab = ctx.query.get("tab", "all")
        platform = "tmall" if tab == "mall" else "taobao"
        refused = self.risk_check(ctx, platform, "page")
        if refused is not None:
            return refused
        q = ctx.query.get("q", "").strip()
        config = {
            "nonce": self.new_nonce(s),
            "q": q,
            "page": max(1, _int(ctx.query.get("page"), 1)),
            "tab": tab,
            "sort": ctx.query.get("sort", ""),
            "cls": {k: _cls(k, self.sb.seed) for k in TAOBAO_CLASSES},
        }
        body = f"""<div id="ice-container"><div class="{_cls("pageContent", self.sb.seed)}">
<div class="{_cls("searchbar", self.sb.seed)}"><input id="q" value="{html.escape(q)}"></div>
<div id="content_items_wrapper" class="{_cls("contentInner", self.sb.seed)}"></div>
<div id="sbx-status" class="{_cls("status", self.sb.seed)}"></div>
<div id="sbx-pager" class="next-pagination"></div></div></div>"""
        return Reply.text(self._shell(f"{q}_淘宝搜索", body, config, TAOBAO_APP))

    def _mtop(self, ret: list[str], data: dict[str, Any], cookies: dict[str, str] | None = None) -> Reply:
        from sandbox.server import Reply

        reply = Reply.json(pages.mtop_body(ret, data, H5SEARCH_API, "1.0"))
        if cookies:
            reply.cookies = cookies
        return reply

    def _mtop_gate(self, ctx: Ctx) -> tuple[Session, str] | Reply:
        """The session and the page script's ``bx`` value, or what the real gateway answers without them."""
        from sandbox.server import Reply

        s = self.session(ctx, "taobao")
        if s is None:
            cid = self.challenge("taobao", "", ctx.real_url)
            return self._mtop(
                ["FAIL_SYS_USER_VALIDATE", "RGV587_ERROR::SM::哎哟喂,被挤爆啦,请稍后重试"],
                {
                    "url": f"https://login.taobao.com/member/login.jhtml?redirectURL={quote(ctx.real_url, safe='')}&x5secdata={cid}"
                },
            )
        parts = ctx.request.headers.get("bx-ua", "").split("!")
        if len(parts) != 3 or not self.nonce_ok(parts[1], s, parts[2]):
            return Reply.json({"rgv587_flag": "sm", "url": DENY_H5})
        return s, parts[2]

    async def h_taobao_mtop_gated(self, ctx: Ctx) -> Reply:
        """Any other mtop API (``relationrecommend`` included): refused unless the page's script signed
        it; the sandbox's pages call only ``wsearch.h5search``, so a signed call goes to the legacy handler."""
        gate = self._mtop_gate(ctx)
        if not isinstance(gate, tuple):
            return gate
        return await self.sb._mtop_search(ctx)

    async def h_taobao_h5search(self, ctx: Ctx) -> Reply:
        from sandbox.server import _int

        gate = self._mtop_gate(ctx)
        if not isinstance(gate, tuple):
            return gate
        _s, bx = gate
        raw = ctx.query.get("data", "")
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("data")
        except ValueError:
            return self._mtop(["FAIL_SYS_PARAM_FORMAT_ERROR::参数格式错误"], {})
        tab = str(data.get("tab", "all"))
        platform = "tmall" if tab == "mall" else "taobao"
        refused = self.risk_check(ctx, platform, "api")
        if refused is not None:
            return refused
        state, token = self.sb._token_state(ctx.request.cookies.get("_m_h5_tk"))
        if state == "empty":
            return self._mtop(["FAIL_SYS_TOKEN_EMPTY::令牌为空"], {}, self.sb._new_token())
        if state == "expired":
            return self._mtop(["FAIL_SYS_TOKEN_EXOIRED::令牌过期"], {}, self.sb._new_token())
        expected = scripts.sha256(
            f"{token}&{ctx.query.get('t', '')}&{ctx.query.get('appKey', '')}&{raw}&{bx}"
        )
        if ctx.query.get("sign", "").lower() != expected:
            return self._mtop(["FAIL_SYS_ILLEGAL_ACCESS::非法请求"], {})
        q = str(data.get("q", "")).strip()
        page = min(100, max(1, _int(str(data.get("page", 1)), 1)))
        n = min(48, max(1, _int(str(data.get("pageSize", 48)), 48)))
        sort = {"sale-desc": "sale-desc", "price-asc": "price-asc", "price-desc": "price-desc"}.get(
            str(data.get("sort", "")), "default"
        )

        def make() -> Reply:
            found = self.sb._live_results("taobao", q, sort)
            if platform == "tmall":
                found = [x for x in found if x.platform == "tmall"]
            chunk = found[(page - 1) * n : page * n]
            payload = pages.mtop_search_data(q, page, chunk, len(found), self.sb.epoch, self.sb.seed)
            payload["mainInfo"]["pageSize"] = n
            payload["mainInfo"]["totalPage"] = min(100, -(-len(found) // n)) if found else 0
            payload["mainInfo"]["tab"] = tab
            return self._mtop(["SUCCESS::调用成功"], payload)

        return self.sb._cached(("h5search", q, page, n, sort, tab), make)

    def _ice_item(self, ctx: Ctx, platform: str) -> Reply:
        from sandbox.server import Reply

        item_id = ctx.query.get("id", "")
        other = "tmall" if platform == "taobao" else "taobao"
        x = self.sb.catalogue.get(platform, item_id)
        if x is None and self.sb.catalogue.get(other, item_id) is not None:
            target = "detail.tmall.com" if other == "tmall" else "item.taobao.com"
            return self.sb._redirect(ctx, f"{target}/item.htm?id={quote(item_id)}")
        refused = self.risk_check(ctx, platform, "page")
        if refused is not None:
            return refused
        host = "detail.tmall.com" if platform == "tmall" else "item.taobao.com"
        gone = f"{host}/auction/noitem.htm?itemid={quote(item_id)}"
        epoch = self.sb.epoch
        if x is None or x.status(epoch) == "pending":
            return self.sb._redirect(ctx, gone)
        offshelf = not x.live(epoch)
        if offshelf and x.removal == "notfound":
            return self.sb._redirect(ctx, gone)
        return Reply.text(self.ice_page(x, offshelf))

    async def h_taobao_item_ice(self, ctx: Ctx) -> Reply:
        return self._ice_item(ctx, "taobao")

    async def h_tmall_item_ice(self, ctx: Ctx) -> Reply:
        return self._ice_item(ctx, "tmall")

    def ice_res(self, x: Listing, offshelf: bool = False) -> dict[str, Any]:
        """``loaderData.home.data.res`` of an item page (the ``mtop.taobao.pcdetail.data.get`` payload)."""
        epoch, seed = self.sb.epoch, self.sb.seed
        uid = x.seller.seller_id
        pics = [
            "https:" + images.alicdn_pic(pages.token(x, j, seed), uid)
            if images.alicdn_pic(pages.token(x, j, seed), uid).startswith("//")
            else images.alicdn_pic(pages.token(x, j, seed), uid)
            for j in range(len(x.photos))
        ]
        price = x.price(epoch)
        money = str(round(price * 100))
        text = f"{price:.2f}".rstrip("0").rstrip(".")
        return {
            "item": {
                "itemId": x.item_id,
                "title": x.title,
                "images": pics,
                "tmall": x.platform == "tmall",
                "qrCode": f"https://h5.m.taobao.com/awp/core/detail.htm?id={x.item_id}",
            },
            "seller": {
                "shopName": x.seller.name,
                "sellerId": uid,
                "userId": uid,
                "sellerNick": x.seller.name,
                "shopId": x.seller.shop_id,
                "shopUrl": f"//shop{x.seller.shop_id}.taobao.com",
                "shopIcon": "",
            },
            "skuBase": {"props": [], "skus": []},
            "skuCore": {
                "sku2info": {
                    "0": {
                        "price": {"priceText": text, "priceMoney": money, "priceTitle": "价格"},
                        "quantity": 0 if offshelf else 50 + x.index % 200,
                        "quantityText": "已下架" if offshelf else "有货",
                    }
                }
            },
            "componentsVO": {
                "priceVO": {"price": {"priceUnit": "￥", "priceText": text, "priceMoney": money}},
                "titleVO": {"title": {"title": x.title}},
                **({"offShelfVO": {"text": "此宝贝已下架"}} if offshelf else {}),
            },
        }

    def ice_page(self, x: Listing, offshelf: bool = False) -> str:
        ctx_obj = {
            "appData": {"pageName": "pc-detail"},
            "loaderData": {"home": {"data": {"res": self.ice_res(x, offshelf)}}},
        }
        return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(x.title)}-{"tmall.com天猫" if x.platform == "tmall" else "淘宝网"}</title>
<script>window.__ICE_APP_CONTEXT__ = {_script_json(ctx_obj)};</script></head>
<body><div id="ice-container"></div>
<script>{scripts.COMMON}</script>
<script>{ICE_APP}</script>
</body></html>
"""

    async def h_tmall_search_retired(self, ctx: Ctx) -> Reply:
        """``list.tmall.com`` now answers 302 to Taobao's login page (Tmall is searched on Taobao)."""
        return self._login_redirect(ctx, "tmall")

    # --- JD --------------------------------------------------------------------------------------

    async def h_jd_shell(self, ctx: Ctx) -> Reply:
        from sandbox.server import Reply, _int

        if not self.browser(ctx):
            return Reply(403, b"", "text/html", None)
        s = self.session(ctx, "jd")
        if s is None:
            return self._login_redirect(ctx, "jd")
        refused = self.risk_check(ctx, "jd", "page")
        if refused is not None:
            return refused
        kw = ctx.query.get("keyword", "").strip()
        # JD's page=2n-1 (as in its legacy URLs): the UI page n shows 60 cards, API pages 2n-1 and 2n
        page = max(1, _int(ctx.query.get("page"), 1))
        page -= 1 - page % 2
        config = {
            "nonce": self.new_nonce(s),
            "keyword": kw,
            "page": page,
            "cls": {k: _jd_cls(k, self.sb.seed) for k in JD_CLASSES},
        }
        body = f"""<div id="app"><div class="{_jd_cls("searchWrap", self.sb.seed)}">
<div id="sbx-goods" class="plugin_goodsContainer {_jd_cls("container", self.sb.seed)}"></div>
<div id="sbx-status"></div><div id="sbx-pager" class="{_jd_cls("pagination", self.sb.seed)}"></div></div></div>"""
        return Reply.text(self._shell(f"{kw} - 商品搜索 - 京东", body, config, JD_APP))

    async def h_jd_shell_second_half(self, ctx: Ctx) -> Reply:
        from sandbox.server import Reply

        if not self.browser(ctx):
            return Reply(403, b"", "text/html", None)
        return Reply(
            404,
            b"sandbox: search.jd.com/s_new.php is retired: today's search page loads its cards from pc_search_searchWare\n",
            "text/plain",
        )

    def _h5st_ok(self, ctx: Ctx, s: Session, function_id: str, appid: str, body: str) -> bool:
        parts = ctx.query.get("h5st", "").split(";")
        if len(parts) < 7 or not parts[3].startswith("tk03w"):
            return False
        nonce, sig = parts[3][5:], parts[4]
        hit = self.nonces.get(nonce)
        if hit is None or hit[1] != s.sid:
            return False
        bx = scripts.bx(nonce, self.sb.seed)
        t = ctx.query.get("t", "")
        return sig == scripts.sha256(f"{function_id}&{appid}&{t}&{scripts.sha256(body)}&{bx}")

    async def h_jd_api_signed(self, ctx: Ctx) -> Reply:
        from sandbox.server import Reply, _int

        def answer(obj: Any) -> Reply:
            return Reply(200, json.dumps(obj, ensure_ascii=False).encode(), "text/html", "utf-8")

        if not self.browser(ctx):
            return Reply(403, b"", "text/html", None)
        fid = ctx.query.get("functionId", "")
        appid = ctx.query.get("appid", "")
        if fid not in ("pc_search_searchWare", "pc_detailpage_wareBusiness"):
            return answer({"code": "3", "echo": "functionId not found"})
        s = self.session(ctx, "jd")
        raw = ctx.query.get("body", "")
        if s is None or not self._h5st_ok(ctx, s, fid, appid, raw):
            return answer({"code": "605", "echo": "the request needs to authenticate"})
        refused = self.risk_check(ctx, "jd", "api")
        if refused is not None:
            return refused
        try:
            body = json.loads(raw or "{}")
            if not isinstance(body, dict):
                raise ValueError("body")
        except ValueError:
            return answer({"code": "1", "echo": "body is not JSON"})
        epoch, seed = self.sb.epoch, self.sb.seed
        if fid == "pc_detailpage_wareBusiness":
            sku = str(body.get("skuId", ""))
            x = self.sb.catalogue.get("jd", sku)
            return answer(self.ware_business(x, sku))
        kw = str(body.get("keyword") or ctx.query.get("keyword", "")).strip()
        page = max(1, _int(str(body.get("page", 1)), 1))

        def make() -> Reply:
            found = self.sb._live_results("jd", kw)
            chunk = found[(page - 1) * 30 : page * 30] if page <= 200 else []
            return answer(pages.jd_search_ware(kw, page, chunk, len(found), epoch, seed))

        return self.sb._cached(("searchWare", kw, page), make)

    def ware_business(self, x: Listing | None, sku: str) -> dict[str, Any]:
        epoch = self.sb.epoch
        if x is None or x.status(epoch) == "pending":
            return {
                "code": "0",
                "price": {"p": "-1.00", "id": sku},
                "stockInfo": {"isStock": False, "stockDesc": "该商品已下柜"},
            }
        live = x.live(epoch)
        price = f"{x.price(epoch):.2f}"
        return {
            "code": "0",
            "price": {
                "p": price if live else "-1.00",
                "op": f"{x.base_price:.2f}",
                "m": f"{x.base_price * 1.3:.2f}",
                "id": sku,
            },
            "wareInfo": {"skuId": x.item_id, "wname": x.title, "brandName": (x.brand or "").upper()},
            "shopInfo": {
                "shop": {"shopId": x.seller.shop_id, "name": x.seller.name, "venderId": x.seller.vender_id}
            },
            "stockInfo": {"isStock": live, "stockDesc": "有货" if live else "该商品已下柜"},
        }

    async def h_jd_prices_retired(self, ctx: Ctx) -> Reply:
        from sandbox.server import Reply

        return Reply(
            404,
            b"sandbox: p.3.cn is retired (it no longer answers publicly); prices come with pc_search_searchWare and pc_detailpage_wareBusiness\n",
            "text/plain",
        )

    async def h_jd_item_gated(self, ctx: Ctx) -> Reply:
        from sandbox.server import Reply

        s = self.session(ctx, "jd")
        has_cookies = s is not None or bool(ctx.request.cookies.get("thor"))
        if not has_cookies:
            cid = self.challenge("jd", "", ctx.real_url)
            return self.sb._redirect(
                ctx,
                f"cfe.m.jd.com/privatedomain/risk_handler/03101900/?returnurl={quote(ctx.real_url, safe='')}&evtype=2&rpid=rp-{cid}",
            )
        refused = self.risk_check(ctx, "jd", "page")
        if refused is not None:
            return refused
        sku = ctx.path.strip("/").removesuffix(".html")
        x = self.sb.catalogue.get("jd", sku)
        epoch = self.sb.epoch
        if x is None or x.status(epoch) == "pending" or (not x.live(epoch) and x.removal == "notfound"):
            return self.sb._redirect(ctx, "www.jd.com/?d")
        product = {
            "skuid": x.item_id,
            "name": x.title,
            "shopId": x.seller.shop_id,
            "venderId": x.seller.vender_id,
            "brand": (x.brand or "").upper(),
            "cat": [1672, 2615, 9186],
            "imageList": [images.jd_path(pages.token(x, j, self.sb.seed)) for j in range(len(x.photos))],
            "src": images.jd_path(pages.token(x, 0, self.sb.seed)) if x.photos else "",
            "href": f"//item.jd.com/{x.item_id}.html",
        }
        config = {"nonce": self.new_nonce(s) if s is not None else "", "sku": x.item_id}
        body = f"""<div class="product-intro"><div class="sku-name">{html.escape(x.title)}</div>
<div class="summary-price"><span class="p-price"><span>¥</span><span class="price J-p-{x.item_id}"></span></span></div>
<div id="sbx-stock" class="store-prompt"></div>
<div class="J-hove-wrap"><div class="name"><a href="//mall.jd.com/index-{x.seller.shop_id}.html" title="{html.escape(x.seller.name)}">{html.escape(x.seller.name)}</a></div></div></div>
<script>window.pageConfig = {{compatible: true, product: {_script_json(product)}}};</script>"""
        return Reply.text(self._shell(f"{x.title}【行情 报价 价格 评测】-京东", body, config, JD_ITEM_APP))

    # --- Weibo -----------------------------------------------------------------------------------

    def _weibo_gate(self, ctx: Ctx) -> Reply | None:
        if self.session(ctx, "weibo") is not None:
            return self.risk_check(ctx, "weibo", "page")
        enc = quote(ctx.real_url, safe="")
        if ctx.request.cookies.get("SUB"):  # visitor cookies from genvisitor2: search needs a login
            return self._login_redirect(ctx, "weibo")
        return self.sb._redirect(
            ctx,
            f"passport.weibo.com/visitor/visitor?entry=miniblog&a=enter&url={enc}&domain=weibo.com&ua=php-sso_sdk_client-0.6.36&_rand={time.time():.4f}",
        )

    async def h_weibo_search_gated(self, ctx: Ctx) -> Reply:
        refused = self._weibo_gate(ctx)
        if refused is not None:
            return refused
        return await self.sb._weibo_search(ctx)

    async def h_weibo_user_search(self, ctx: Ctx) -> Reply:
        from sandbox.server import Reply, _int

        refused = self._weibo_gate(ctx)
        if refused is not None:
            return refused
        q = ctx.query.get("q", "").strip()
        page = max(1, _int(ctx.query.get("page"), 1))
        found = self.sb.catalogue.search_accounts(q)
        chunk = found[(page - 1) * 20 : page * 20]
        return Reply.text(weibo_user_page(q, page, chunk, len(found)))

    async def h_weibo_mobile_throttled(self, ctx: Ctx) -> Reply:
        refused = self.risk_check(ctx, "weibo", "api")
        if refused is not None:
            return refused
        return await self.sb._weibo_mobile(ctx)

    def weibo_status(self, x: Listing, cut: bool = True) -> dict[str, Any]:
        """One status as weibo.com's ``/ajax/statuses/*`` give it (long posts cut unless ``cut`` is False)."""
        m = pages.weibo_mblog(x, self.sb.epoch, self.sb.seed, "")
        pids = [p["pid"] for p in m.get("pics", [])]
        whole = full_text(x)
        long = is_long(x)
        shown = x.title if (cut and long) else whole
        text = html.escape(shown).replace("\n", "<br />") + (
            ' ...<span class="expand">展开</span>' if cut and long else ""
        )
        return {
            "ok": 1,
            "id": int(x.item_id),
            "idstr": x.item_id,
            "mid": x.item_id,
            "mblogid": x.bid,
            "created_at": m["created_at"],
            "text": text,
            "text_raw": shown,
            "textLength": len(whole.encode("gbk", "replace")),
            "isLongText": long,
            "source": x.source,
            "user": {
                "id": int(x.seller.seller_id),
                "idstr": x.seller.seller_id,
                "screen_name": x.seller.name,
                "profile_url": f"/u/{x.seller.seller_id}",
                "verified": x.seller.verified,
                "verified_type": 2 if x.seller.verified else -1,
                "followers_count": m["user"]["followers_count"],
            },
            "reposts_count": x.reposts,
            "comments_count": x.comments,
            "attitudes_count": x.likes,
            "pic_num": len(pids),
            "pic_ids": pids,
            "pic_infos": {
                pid: {
                    size: {"url": images.weibo_pic(pid, real)}
                    for size, real in (
                        ("thumbnail", "thumbnail"),
                        ("bmiddle", "bmiddle"),
                        ("large", "large"),
                        ("original", "large"),
                        ("largest", "large"),
                    )
                }
                for pid in pids
            },
            "region_name": m["region_name"],
        }

    async def h_weibo_ajax(self, ctx: Ctx) -> Reply:
        from sandbox.server import Reply, _int

        if self.session(ctx, "weibo") is None:
            return Reply.json(
                {"ok": -100, "url": "https://passport.weibo.com/sso/signin?entry=miniblog&source=miniblog"}
            )
        refused = self.risk_check(ctx, "weibo", "api")
        if refused is not None:
            return refused
        what = ctx.path.lower().rstrip("/").rsplit("/", 1)[-1]
        epoch = self.sb.epoch
        if what in ("show", "longtext"):
            x = self.sb._weibo_by_ref(ctx.query.get("id", "").strip())
            if x is None or not x.live(epoch):
                return Reply.json({"ok": 0, "msg": "该微博不存在或已被删除", "error_code": 20101})
            if what == "show":
                return Reply.json(self.weibo_status(x))
            data = (
                {"longTextContent": html.escape(full_text(x)).replace("\n", "<br />")} if is_long(x) else {}
            )
            return Reply.json({"ok": 1, "http_code": 200, "data": data})
        if what == "searchprofile":
            uid = ctx.query.get("uid", "").strip()
            q = normalise(ctx.query.get("q", ""))
            page = max(1, _int(ctx.query.get("page"), 1))
            posts = [
                x
                for x in self.sb.catalogue.by_platform("weibo")
                if x.seller.seller_id == uid and x.live(epoch) and (not q or q in normalise(full_text(x)))
            ]
            posts.sort(key=lambda x: x.posted, reverse=True)
            chunk = posts[(page - 1) * 20 : page * 20]
            return Reply.json(
                {"ok": 1, "data": {"list": [self.weibo_status(x) for x in chunk], "total": len(posts)}}
            )
        return Reply(404, f"sandbox: no weibo.com ajax route {ctx.path}\n".encode(), "text/plain")

    # --- login, visitor, slider pages (not routed: served by host/path) ----------------------------

    def aux_page(self, request: web.Request, host: str, path: str, query: dict[str, str]) -> Reply | None:
        from sandbox.server import Reply

        key = (host, path if path != "" else "/")
        if key in LOGIN_PAGES:
            group, param = LOGIN_PAGES[key]
            back = query.get(param) or query.get("redirectURL") or query.get("url") or ""
            return Reply.text(self.qr_page(group, back))
        for group, (qhost, image, poll, param) in QR_ENDPOINTS.items():
            if host == qhost and path == image:
                return self.qr_image(query.get(param, ""))
            if host == qhost and path == poll:
                return self.qr_poll(group, query.get(param, ""))
        if host == "passport.weibo.com" and path.startswith("/visitor/genvisitor"):
            h = self._next("visitor")
            reply = Reply.text(
                f'window.visitor_gray_callback && visitor_gray_callback({{"retcode":20000000,"msg":"succ","data":{{"sub":"_2AkM{h}","subp":"0033WrSXqPxfM72-Ws9jqgMF55529P9D9W{h[:12]}","tid":"{h[:20]}"}}}});',
                content_type="application/javascript",
            )
            reply.cookies = {"SUB": f"_2AkM{h}", "SUBP": f"0033WrSXqPxfM72-Ws9jqgMF55529P9D9W{h[:12]}"}
            return reply
        if host == "passport.weibo.com" and path.startswith("/visitor"):
            return Reply.text(VISITOR_PAGE.replace("__COMMON__", scripts.COMMON))
        if host == "www.taobao.com" and path == "/markets/bx/deny_h5":
            return Reply.text(DENY_PAGE)
        slider = self._slider_kind(host, path)
        if slider is not None:
            if request.method == "POST" and path.endswith("/slide"):
                return None  # answered by slide() (needs the body)
            cid = query.get("x5secdata") or query.get("cid") or query.get("rpid", "").removeprefix("rp-")
            ch = self.challenges.get(cid)
            if ch is None:
                platform = {"taobao": "taobao", "jd": "jd", "weibo": "weibo"}[slider]
                back = query.get("returnurl") or query.get("url") or ""
                cid = self.challenge(platform, "", back)
            return Reply.text(slider_page(slider, cid))
        return None

    @staticmethod
    def _slider_kind(host: str, path: str) -> str | None:
        if "/_____tmd_____/punish" in path:
            return "taobao"
        if host == "cfe.m.jd.com" and path.startswith("/privatedomain/risk_handler"):
            return "jd"
        if host == "passport.weibo.com" and path.startswith("/sso/verify"):
            return "weibo"
        return None

    async def slide(self, request: web.Request, host: str, path: str) -> web.Response | None:
        """``POST <slider page>/slide`` with ``{"cid", "dx", "moves"}``: a drag to the end solves it."""
        if request.method != "POST" or not path.endswith("/slide") or self._slider_kind(host, path) is None:
            return None
        try:
            body = await request.json()
            cid, dx, moves = str(body["cid"]), float(body["dx"]), int(body["moves"])
        except (ValueError, KeyError, TypeError):
            return web.json_response({"ok": False, "msg": "bad request"}, status=400)
        ch = self.challenges.get(cid)
        if ch is None:
            return web.json_response({"ok": False, "msg": "验证已过期，请刷新"})
        if dx < SLIDER_TRACK - SLIDER_HANDLE - 6 or moves < 3:
            return web.json_response({"ok": False, "msg": "哎呀，出错了，点击刷新再来一次"})
        self.solve(ch.platform, ch.account)
        self.challenges.pop(cid, None)
        resp = web.json_response({"ok": True, "url": ch.back})
        if ch.platform in ("taobao", "tmall"):
            resp.set_cookie("x5sec", self._next("x5sec"), path="/")
        return resp

    def qr_page(self, group: str, back: str) -> str:
        token = self._next("qr", group)[:32]
        with self.lock:
            self.qrs[token] = Qr(group, token, time.time(), back)
            while len(self.qrs) > 2000:
                self.qrs.popitem(last=False)
        qhost, image, poll, param = QR_ENDPOINTS[group]
        title = {"taobao": "淘宝网 - 淘！我喜欢", "jd": "京东-欢迎登录", "weibo": "微博-随时随地发现新鲜事"}[
            group
        ]
        hint = {
            "taobao": "打开淘宝APP扫一扫登录",
            "jd": "打开京东APP扫一扫登录",
            "weibo": "打开微博APP扫码登录",
        }[group]
        config = {
            "group": group,
            "token": token,
            "back": back,
            "qhost": qhost,
            "image": image,
            "poll": poll,
            "param": param,
        }
        body = f"""<div id="login" class="login-box qrcode-login {group}-login">
<div class="login-title">扫码登录</div>
<div class="qrcode-img"><img id="sbx-qr" alt="QR code" width="198" height="198"></div>
<div class="qrcode-desc">{hint}</div><div id="sbx-qr-status" class="qrcode-status">等待扫码</div></div>"""
        return self._shell(title, body, config, QR_APP)

    def qr_image(self, token: str) -> Reply:
        from PIL import Image

        from sandbox.server import Reply

        n, scale = 29, 6
        bits = bin(int(hashlib.sha256(f"qr:{token}".encode()).hexdigest() * 4, 16))[2:]
        img = Image.new("L", ((n + 8) * scale, (n + 8) * scale), 255)
        px = img.load()
        assert px is not None

        def finder(r: int, c: int, rr: int, cc: int) -> bool | None:
            for fr, fc in ((0, 0), (0, n - 7), (n - 7, 0)):
                if fr <= rr - 0 < fr + 7 and fc <= cc < fc + 7:
                    y, x = rr - fr, cc - fc
                    return y in (0, 6) or x in (0, 6) or (2 <= y <= 4 and 2 <= x <= 4)
            return None

        for r in range(n):
            for c in range(n):
                f = finder(r, c, r, c)
                on = f if f is not None else bits[(r * n + c) % len(bits)] == "1"
                if on:
                    for dy in range(scale):
                        for dx in range(scale):
                            px[(c + 4) * scale + dx, (r + 4) * scale + dy] = 0
        buf = io.BytesIO()
        img.save(buf, "PNG")
        return Reply(200, buf.getvalue(), "image/png", None)

    def qr_poll(self, group: str, token: str) -> Reply:
        from sandbox.server import Reply

        qr = self.qrs.get(token)
        if qr is None or qr.group != group or qr.used or time.time() - qr.created > QR_TTL:
            return Reply.json({"status": "EXPIRED", "msg": "二维码已失效"})
        if qr.account is None:
            return Reply.json({"status": "NEW", "msg": "等待扫码"})
        s = self.new_session(group, qr.account)
        qr.used = True
        reply = Reply.json({"status": "CONFIRMED", "msg": "登录成功", "account": qr.account, "url": qr.back})
        reply.cookies = dict(s.cookies)
        return reply

    def scan(self, platform: str, account: str, token: str | None = None) -> Qr:
        """The test hook: the newest open QR code of ``platform`` (or ``token``) is scanned by ``account``."""
        if platform not in GROUP:
            raise ValueError(f"unknown platform {platform!r} (one of: {', '.join(GROUP)})")
        if not _account_ok(account):
            raise ValueError(f"account {account!r}: use letters, digits and _ . @ - (at most 64)")
        group = GROUP[platform]
        with self.lock:
            if token:
                qr = self.qrs.get(token)
                cands = [qr] if qr is not None and qr.group == group else []
            else:
                cands = [q for q in reversed(self.qrs.values()) if q.group == group]
            cands = [
                q for q in cands if not q.used and q.account is None and time.time() - q.created <= QR_TTL
            ]
            if not cands:
                host, path = next(k for k, v in LOGIN_PAGES.items() if v[0] == group)
                raise LookupError(f"no open QR login for {platform}: open {host}{path} first")
            cands[0].account = account
            return cands[0]

    # --- admin -----------------------------------------------------------------------------------

    async def admin(self, request: web.Request, path: str, q: dict[str, str]) -> web.StreamResponse | None:
        from sandbox.server import _dumps, _int

        def bad(msg: str, status: int = 400) -> web.Response:
            return web.json_response({"error": msg}, status=status, dumps=_dumps)

        if (
            path in ("/login/scan", "/login/session", "/risk", "/risk/solve")
            and request.method != "POST"
            and not (path == "/risk" and request.method == "GET")
        ):
            return web.Response(status=405, text=f"sandbox: use POST /_sandbox{path}\n")
        if path == "/login/scan":
            try:
                qr = self.scan(q.get("platform", ""), q.get("account", ""), q.get("token") or None)
            except ValueError as exc:
                return bad(str(exc))
            except LookupError as exc:
                return bad(str(exc), 404)
            return web.json_response({"platform": q["platform"], "account": qr.account, "token": qr.token})
        if path == "/login/session":
            try:
                s = self.new_session(q.get("platform", ""), q.get("account", ""))
            except (ValueError, KeyError) as exc:
                return bad(str(exc).strip("'\""))
            return web.json_response({"platform": q["platform"], "account": s.account, "cookies": s.cookies})
        if path == "/accounts":
            return web.json_response(
                [
                    {
                        "group": s.group,
                        "account": s.account,
                        "requests": s.requests,
                        "cookie": SESSION_COOKIE[s.group],
                    }
                    for s in self.sessions.values()
                ],
                dumps=_dumps,
            )
        if path == "/risk":
            if request.method == "POST":
                try:
                    self.set_risk(q.get("platform", ""), q.get("mode") or None, _int(q.get("after"), 0))
                except ValueError as exc:
                    return bad(str(exc))
            return web.json_response(self.risk_state(), dumps=_dumps)
        if path == "/risk/solve":
            platform, account = q.get("platform", ""), q.get("account", "")
            if platform not in GROUP:
                return bad(f"unknown platform {platform!r}")
            return web.json_response(
                {"solved": self.solve(platform, account), **self.risk_state()}, dumps=_dumps
            )
        return None


#: What ``GET /_sandbox/`` lists for today's pages (on top of, or in place of, the legacy routes).
TODAY_INDEX = {
    "taobao-shell": "/s.taobao.com/search?q=KW[&page=N][&tab=mall] — signed out: 302 to login.taobao.com; signed in: a shell whose script calls wsearch.h5search and renders doubleCard-- cards",
    "taobao-h5search": f"/h5api.m.taobao.com{H5SEARCH_PATH}?appKey=12574478&t=MS&sign=SANDBOX&data={{q,page,tab,pageSize}} with header bx-ua (set by the page's script)",
    "taobao-item-ice": "/item.taobao.com/item.htm?id=ID, /detail.tmall.com/item.htm?id=ID — window.__ICE_APP_CONTEXT__.loaderData.home.data.res",
    "tmall-search-retired": "/list.tmall.com/search_product.htm — 302 to Taobao's login page",
    "jd-shell": "/search.jd.com/Search?keyword=KW[&page=2n-1] — 403 to non-browsers; signed out: 302 to passport.jd.com; signed in: a shell calling pc_search_searchWare twice, div[data-sku] cards",
    "jd-api-signed": "/api.m.jd.com/api?appid=search-pc-java&functionId=pc_search_searchWare|pc_detailpage_wareBusiness&t=&body=&h5st=SANDBOX",
    "jd-item-gated": "/item.jd.com/SKU.html — without cookies 302 to cfe.m.jd.com/privatedomain/risk_handler/…",
    "jd-prices-retired": "/p.3.cn/… — 404, retired",
    "weibo-search-gated": "/s.weibo.com/weibo?q=KW — needs a logged-in SUB cookie (else the visitor system, then passport.weibo.com/sso/signin)",
    "weibo-user-search": "/s.weibo.com/user?q=KW — account search (div.card-user-b)",
    "weibo-ajax": "/weibo.com/ajax/statuses/show?id=, /longtext?id=, /searchProfile?uid=&page=",
    "weibo-mobile-throttled": "/m.weibo.cn/api/container/getIndex?… — HTTP 432 once an account is throttled",
    "login": "/login.taobao.com/member/login.jhtml, /passport.jd.com/new/login.aspx, /plogin.m.jd.com/login/login, /passport.weibo.com/sso/signin — QR login pages",
}
TODAY_ADMIN = {
    "POST /_sandbox/login/scan?platform=P&account=NAME[&token=T]": "scan the newest open QR code of P as NAME; the page's polling then logs in",
    "POST /_sandbox/login/session?platform=P&account=NAME": "a session without the QR page: its cookies (pasted-cookie accounts, HTTP tests)",
    "GET /_sandbox/accounts": "sessions: group, account, requests",
    "GET|POST /_sandbox/risk?platform=P&mode=slider|block|rgv587|deny|login&after=N": "per-account risk control (no mode: off)",
    "POST /_sandbox/risk/solve?platform=P&account=NAME": "clear an account's slider or block",
}


# --- templates ------------------------------------------------------------------------------------

SLIDER_TRACK = 300
SLIDER_HANDLE = 40

TAOBAO_CLASSES = (
    "doubleCardWrapperAdapt",
    "doubleCard",
    "mainPicWrapper",
    "mainPic",
    "title",
    "priceWrapper",
    "unit",
    "priceInt",
    "priceFloat",
    "realSales",
    "procity",
    "shopInfo",
    "shopName",
    "shopNameText",
)

JD_CLASSES = ("wrapper", "goodsImg", "goods_title_container", "text", "price", "shopFloor", "name", "commit")

TAOBAO_APP = r"""
(function(){
var C=window.__SBX__, K=C.cls, box=document.getElementById('content_items_wrapper'), st=document.getElementById('sbx-status');
var bx=SBX.bx(C.nonce);
function card(it){
  var a=document.createElement('a'); a.className=K.doubleCardWrapperAdapt; a.setAttribute('data-spm-act-id', it.item_id);
  a.href=SBX.real(it.auctionURL); a.target='_blank';
  var d=SBX.text('div', K.doubleCard); a.appendChild(d);
  var pw=SBX.text('div', K.mainPicWrapper); var img=document.createElement('img'); img.className=K.mainPic; img.src=SBX.real(it.pic_path); pw.appendChild(img); d.appendChild(pw);
  var t=SBX.text('div', K.title); t.appendChild(SBX.text('span', '', it.title)); d.appendChild(t);
  var p=SBX.text('div', K.priceWrapper); var parts=String(it.priceShow&&it.priceShow.price||it.price).split('.');
  p.appendChild(SBX.text('span', K.unit, '¥')); p.appendChild(SBX.text('span', K.priceInt, parts[0])); p.appendChild(SBX.text('span', K.priceFloat, parts.length>1?'.'+parts[1]:''));
  p.appendChild(SBX.text('span', K.realSales, it.realSales)); d.appendChild(p);
  var loc=String(it.procity||'').split(' '); var pc=SBX.text('div', ''); loc.forEach(function(l){ if(l) pc.appendChild(SBX.text('div', K.procity, l)); }); d.appendChild(pc);
  var s=SBX.text('div', K.shopInfo); var sa=document.createElement('a'); sa.className=K.shopName; sa.href=SBX.real(it.shopInfo&&it.shopInfo.url||'');
  sa.appendChild(SBX.text('span', K.shopNameText, it.nick)); s.appendChild(sa); d.appendChild(s);
  return a;
}
function pager(info){
  var el=document.getElementById('sbx-pager'); var total=+info.totalPage||0; if(total<2) return;
  function link(n, cls, label){ var a=document.createElement('a'); a.className='next-pagination-item '+cls; a.textContent=label;
    var u=new URL(location.href); u.searchParams.set('page', n); a.href=u.toString(); el.appendChild(a); }
  if(C.page>1) link(C.page-1, 'next-prev', '上一页');
  el.appendChild(SBX.text('span', 'next-pagination-display', C.page+'/'+total));
  if(C.page<total) link(C.page+1, 'next-next', '下一页');
}
function call(retry){
  var tk=SBX.cookie('_m_h5_tk').split('_')[0], t=String(Date.now());
  var data=JSON.stringify({q:C.q, page:C.page, tab:C.tab, pageSize:48, sort:C.sort, m:'pc', ttid:'600000@taobao_pc_10.7.0'});
  var sign=SBX.sha256(tk+'&'+t+'&'+'12574478'+'&'+data+'&'+bx);
  var url=SBX.url('h5api.m.taobao.com', '/h5/mtop.taobao.wsearch.h5search/1.0/?jsv=2.7.4&appKey=12574478&t='+t+'&sign='+sign+'&api=mtop.taobao.wsearch.h5search&v=1.0&type=json&dataType=json&data='+encodeURIComponent(data));
  return fetch(url, {credentials:'include', headers:{'bx-ua':'231!'+C.nonce+'!'+bx}}).then(function(r){ return r.json(); }).then(function(j){
    if(j.rgv587_flag){ st.textContent='验证中…'; location.href=SBX.real(j.url); return; }
    var ret=(j.ret||[''])[0];
    if(/TOKEN_EMPTY|TOKEN_EXOIRED/.test(ret) && !retry) return call(true);
    if(/SESSION_EXPIRED/.test(ret)){ location.href=SBX.url('login.taobao.com','/member/login.jhtml?redirectURL='+encodeURIComponent(SBX.here())); return; }
    if(/RGV587/.test(ret)){ st.className+=' sbx-blocked'; st.textContent='哎哟喂,被挤爆啦,请稍后重试'; return; }
    if(!/^SUCCESS/.test(ret)){ st.textContent=ret; return; }
    var items=j.data.itemsArray||[];
    if(!items.length){ st.textContent='没有找到相关宝贝'; }
    items.forEach(function(it){ box.appendChild(card(it)); });
    pager(j.data.mainInfo||{});
    document.body.setAttribute('data-sbx-ready', String(items.length));
  });
}
call(false).catch(function(e){ st.textContent='网络错误 '+e; document.body.setAttribute('data-sbx-ready','error'); });
})();
"""

ICE_APP = r"""
(function(){
var res=window.__ICE_APP_CONTEXT__.loaderData.home.data.res, root=document.getElementById('ice-container');
var main=SBX.text('div','ItemHeader--root'); root.appendChild(main);
if(res.item.images && res.item.images[0]){ var img=document.createElement('img'); img.className='PicGallery--mainPic'; img.src=SBX.real(res.item.images[0]); main.appendChild(img); }
main.appendChild(SBX.text('h1','ItemTitle--mainTitle', res.item.title));
var info=res.skuCore.sku2info['0'];
if(res.componentsVO.offShelfVO){ main.appendChild(SBX.text('div','ItemOffShelf--text', res.componentsVO.offShelfVO.text)); }
else { main.appendChild(SBX.text('span','Price--priceText', '¥'+info.price.priceText)); }
main.appendChild(SBX.text('span','ShopHeader--shopName', res.seller.shopName));
document.body.setAttribute('data-sbx-ready','1');
})();
"""

JD_APP = r"""
(function(){
var C=window.__SBX__, K=C.cls, box=document.getElementById('sbx-goods'), st=document.getElementById('sbx-status');
var bx=SBX.bx(C.nonce), appid='search-pc-java', fid='pc_search_searchWare', shown=0;
function h5st(body, t){
  var sig=SBX.sha256(fid+'&'+appid+'&'+t+'&'+SBX.sha256(body)+'&'+bx);
  var d=new Date(+t), ts=d.toISOString().replace(/[-:TZ.]/g,'');
  return [ts, 'sbxfp'+C.nonce.slice(0,11), appid, 'tk03w'+C.nonce, sig, '5.1', t].join(';');
}
function card(w){
  var d=document.createElement('div'); d.setAttribute('data-sku', w.skuId); d.className=K.wrapper+' plugin_goodsCardWrapper';
  var im=SBX.text('div', K.goodsImg); var img=document.createElement('img'); img.src=SBX.url('img10.360buyimg.com','/n7/'+w.imageurl); im.appendChild(img); d.appendChild(im);
  var tc=SBX.text('div', K.goods_title_container); var a=document.createElement('a'); a.href=SBX.url('item.jd.com','/'+w.skuId+'.html'); a.target='_blank';
  var tt=SBX.text('span', K.text, w.wareName); tt.title=w.name; a.appendChild(tt); tc.appendChild(a); d.appendChild(tc);
  var pr=SBX.text('div', K.price); pr.appendChild(SBX.text('span', '', '¥')); pr.appendChild(SBX.text('i', '', w.jdPrice)); d.appendChild(pr);
  var sf=SBX.text('div', K.shopFloor); var sa=document.createElement('a'); sa.className=K.name; sa.href=SBX.url('mall.jd.com','/index-'+w.shopId+'.html'); sa.textContent=w.shopName; sf.appendChild(sa); d.appendChild(sf);
  d.appendChild(SBX.text('div', K.commit, w.commentFuzzy+'条评价'));
  return d;
}
function call(p){
  var t=String(Date.now()), body=JSON.stringify({keyword:C.keyword, page:p, s:(p-1)*30+1, enc:'utf-8', area:'1_72_2799_0', mode:null, concise:false, new_interval:true});
  var url=SBX.url('api.m.jd.com','/api?appid='+appid+'&functionId='+fid+'&client=pc&clientVersion=1.0.0&t='+t+'&body='+encodeURIComponent(body)+'&h5st='+encodeURIComponent(h5st(body, t))+'&loginType=3');
  return fetch(url, {credentials:'include', headers:{'x-api-eid-token':'sbx-eid', 'x-rp-client':'h5_1.0.0'}}).then(function(r){ return r.text(); }).then(function(text){
    var j=JSON.parse(text);
    if(j.error==='pdos_captcha'){ st.className+=' sbx-blocked'; st.textContent='访问频繁，请稍后再试 (pdos_captcha)'; throw 'blocked'; }
    if(j.code==='605'){ location.href=SBX.url('cfe.m.jd.com','/privatedomain/risk_handler/03101900/?returnurl='+encodeURIComponent(SBX.here())+'&evtype=2'); throw 'risk'; }
    if(j.code==='3'){ location.href=SBX.url('plogin.m.jd.com','/login/login?appid=300&returnurl='+encodeURIComponent(SBX.here())); throw 'login'; }
    if(j.code!==0){ st.textContent='code '+j.code; throw 'error'; }
    (j.data.wareList||[]).forEach(function(w){ box.appendChild(card(w)); shown++; });
    return j.data;
  });
}
call(C.page).then(function(d){ return call(C.page+1).then(function(){ return d; }); }).then(function(d){
  var total=Math.min(100, Math.ceil((d.resultCount||0)/60)), n=(C.page+1)/2; var el=document.getElementById('sbx-pager');
  el.appendChild(SBX.text('span', 'fp-text', n+'/'+total));
  if(n<total){ var a=document.createElement('a'); a.className='pn-next'; a.textContent='下一页'; var u=new URL(location.href); u.searchParams.set('page', C.page+2); a.href=u.toString(); el.appendChild(a); }
  if(!shown) st.textContent='抱歉，没有找到与“'+C.keyword+'”相关的商品';
  document.body.setAttribute('data-sbx-ready', String(shown));
}).catch(function(e){ document.body.setAttribute('data-sbx-ready','error'); });
})();
"""

JD_ITEM_APP = r"""
(function(){
var C=window.__SBX__, bx=SBX.bx(C.nonce), appid='pc-item-soa', fid='pc_detailpage_wareBusiness';
var t=String(Date.now()), body=JSON.stringify({skuId:C.sku, area:'1_72_2799_0', num:1});
var sig=SBX.sha256(fid+'&'+appid+'&'+t+'&'+SBX.sha256(body)+'&'+bx);
var h=[new Date(+t).toISOString().replace(/[-:TZ.]/g,''), 'sbxfp', appid, 'tk03w'+C.nonce, sig, '5.1', t].join(';');
fetch(SBX.url('api.m.jd.com','/api?appid='+appid+'&functionId='+fid+'&client=pc&clientVersion=1.0.0&t='+t+'&body='+encodeURIComponent(body)+'&h5st='+encodeURIComponent(h)), {credentials:'include'})
 .then(function(r){ return r.json(); }).then(function(j){
   var el=document.querySelector('.price'); if(j.price && el) el.textContent=j.price.p;
   var s=document.getElementById('sbx-stock'); if(j.stockInfo) s.textContent=j.stockInfo.stockDesc;
   document.body.setAttribute('data-sbx-ready','1');
 }).catch(function(){ document.body.setAttribute('data-sbx-ready','error'); });
})();
"""

QR_APP = r"""
(function(){
var C=window.__SBX__, img=document.getElementById('sbx-qr'), st=document.getElementById('sbx-qr-status');
img.src=SBX.url(C.qhost, C.image+'?'+C.param+'='+C.token);
function poll(){
  fetch(SBX.url(C.qhost, C.poll+'?'+C.param+'='+C.token), {credentials:'include'}).then(function(r){ return r.json(); }).then(function(j){
    if(j.status==='CONFIRMED'){ st.textContent='登录成功'; document.body.setAttribute('data-sbx-login', j.account);
      if(C.back){ location.href=SBX.real(C.back); } return; }
    if(j.status==='EXPIRED'){ st.textContent='二维码已失效，请刷新'; document.body.setAttribute('data-sbx-login','expired'); return; }
    setTimeout(poll, 500);
  }).catch(function(){ setTimeout(poll, 1000); });
}
poll();
})();
"""

VISITOR_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sina Visitor System</title></head>
<body><script>__COMMON__</script>
<script>
(function(){
var back=new URLSearchParams(location.search).get('url')||'';
fetch(SBX.url('passport.weibo.com','/visitor/genvisitor2'), {method:'POST', credentials:'include'}).then(function(){
  if(back) location.href=SBX.real(back);
});
})();
</script></body></html>
"""

DENY_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>访问被拒绝</title></head>
<body class="bx-deny"><div class="deny-h5"><p>亲，访问被拒绝了</p><p>当前访问存在风险，请稍后再试</p></div></body></html>
"""


def slider_page(kind: str, cid: str) -> str:
    ids = {
        "taobao": ("nc_1_n1z", "nc_1_n1t", "请按住滑块，拖动到最右边", "验证码拦截"),
        "jd": ("JDJRV-slide-btn", "JDJRV-slide-bg", "向右滑动完成拼图", "京东验证"),
        "weibo": ("wb-slider-btn", "wb-slider-track", "请拖动滑块完成验证", "微博安全验证"),
    }[kind]
    handle, track, label, title = ids
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>#{track}{{position:relative;width:{SLIDER_TRACK}px;height:40px;background:#e8e8e8;margin:40px;user-select:none}}
#{handle}{{position:absolute;left:0;top:0;width:{SLIDER_HANDLE}px;height:40px;background:#fff;border:1px solid #ccc;box-sizing:border-box;cursor:move;text-align:center;line-height:38px}}</style></head>
<body class="punish-page sbx-slider" data-sbx-challenge="{html.escape(cid)}">
<div class="warnning-text">亲，访问受限了，请拖动下方滑块完成验证</div>
<div id="{track}" class="nc_scale sbx-slider-track"><span id="{handle}" class="nc_iconfont btn_slide sbx-slider-handle">&gt;&gt;</span>
<div class="scale_text slidetounlock"><span class="nc-lang-cnt">{label}</span></div></div>
<div id="sbx-slider-status"></div>
<script>{scripts.COMMON}</script>
<script>
(function(){{
var h=document.getElementById('{handle}'), st=document.getElementById('sbx-slider-status'), x0=null, dx=0, moves=0, max={SLIDER_TRACK - SLIDER_HANDLE};
h.addEventListener('mousedown', function(e){{ x0=e.clientX; moves=0; e.preventDefault(); }});
document.addEventListener('mousemove', function(e){{ if(x0===null) return; dx=Math.max(0, Math.min(max, e.clientX-x0)); moves++; h.style.left=dx+'px'; }});
document.addEventListener('mouseup', function(){{ if(x0===null) return; x0=null;
  fetch(location.pathname.replace(/\\/?$/, '/slide'), {{method:'POST', credentials:'include', headers:{{'Content-Type':'application/json'}}, body:JSON.stringify({{cid:document.body.getAttribute('data-sbx-challenge'), dx:dx, moves:moves}})}})
   .then(function(r){{ return r.json(); }}).then(function(j){{
     if(j.ok){{ st.textContent='验证通过'; document.body.setAttribute('data-sbx-solved','1'); if(j.url) location.href=SBX.real(j.url); }}
     else {{ st.textContent=j.msg; h.style.left='0px'; dx=0; }}
   }});
}});
}})();
</script></body></html>
"""


def weibo_user_page(q: str, page: int, found: list[Account], total: int) -> str:
    cards = []
    for a in found:
        badge = (
            '<a title="微博官方认证" href="//verified.weibo.com/verify" target="_blank"><i class="icon-vip icon-vip-b"></i></a>'
            if a.verified
            else ""
        )
        cards.append(f"""<div class="card card-user-b s-brt1" action-type="user_item" uid="{a.uid}">
  <div class="avator"><a href="//weibo.com/u/{a.uid}" target="_blank"><img src="https://tvax1.sinaimg.cn/crop.0.0.180.180.180/{int(a.uid) % 0xFFFFFFFF:08x}ly8g.jpg"></a></div>
  <div class="info">
    <div><a href="//weibo.com/u/{a.uid}" class="name" target="_blank">{html.escape(a.nick)}</a>{badge}</div>
    <p><i class="icon-sex icon-sex-female"></i> {html.escape(a.location)}</p>
    <p>简介：{html.escape(a.description)}</p>
    <p><span>关注<a href="//weibo.com/{a.uid}/follow" target="_blank">{a.followers // 37}</a></span><span>粉丝<a href="//weibo.com/{a.uid}/fans" target="_blank">{a.followers}</a></span><span>微博<a href="//weibo.com/u/{a.uid}" target="_blank">{a.posts}</a></span></p>
  </div>
</div>""")
    body = (
        "\n".join(cards) or '<div class="card card-no-result s-pt20b40"><p>抱歉，未找到相关结果。</p></div>'
    )
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(q)}_微博搜索_用户</title></head>
<body><div class="m-main"><div id="pl_user_feedList" class="m-con-l">
{body}
</div><div class="m-page"><span class="total">共 {total} 个用户 · 第 {page} 页</span></div></div></body></html>
"""
