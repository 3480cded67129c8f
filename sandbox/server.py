"""The sandbox HTTP server (aiohttp): routes, refusals, admin endpoints and the Python API.

A request the spiders would send to ``https://<host>/<path>?<query>`` is served at
``http://127.0.0.1:N/<host>/<path>?<query>``. Use it from Python::

    from sandbox import serve

    with serve(seed=1, size=400) as sb:
        sb.url                      # "http://127.0.0.1:43121"
        sb.url_for("https://s.taobao.com/search?q=veloria")
        sb.catalogue.truth()        # ground truth at epoch 0
        sb.advance()                # next epoch: listings appear, change price, go, come back
        sb.set_refusal("taobao", "slider", after=10)

Admin endpoints: ``GET /_sandbox/`` (index), ``GET /_sandbox/modes``, ``GET /_sandbox/truth``,
``GET /_sandbox/state``, ``POST /_sandbox/advance?n=1``, ``POST /_sandbox/refuse?platform=&mode=&after=``.
"""

# ruff: noqa: E501  (the refusal and login page templates at the end are data)
from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_to_bytes

from aiohttp import web

from sandbox import images, pages
from sandbox.catalogue import DEFAULT_BRANDS, EPOCH_ZERO, Catalogue, Listing
from sandbox.refusals import MODES, ROUTES, Route, check_refusal, modes_for

#: Catalogue size when none is given (the server starts well under 2 s with it).
DEFAULT_SIZE = 600
#: Lifetime of an mtop ``_m_h5_tk`` token the sandbox issues.
TOKEN_TTL_MS = 30 * 60 * 1000
MTOP_API = "mtop.relationrecommend.wirelessrecommend.recommend"
MTOP_PATH = f"/h5/{MTOP_API}/2.0/"

GBK = "gbk"
UTF8 = "utf-8"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html"
    charset: str | None = UTF8
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    cacheable: bool = False

    @classmethod
    def text(
        cls, text: str, charset: str = UTF8, content_type: str = "text/html", status: int = 200
    ) -> Reply:
        return cls(status, text.encode(charset, "xmlcharrefreplace"), content_type, charset)

    @classmethod
    def json(cls, obj: Any, status: int = 200, callback: str | None = None) -> Reply:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        if callback:
            return cls(status, f"{callback}({text})".encode(), "application/javascript", UTF8)
        return cls(status, text.encode(), "application/json", UTF8)


def _decode(part: str) -> str:
    raw = unquote_to_bytes(part.replace("+", " "))
    for enc in (UTF8, GBK):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def parse_query(raw: str) -> dict[str, str]:
    """Query parameters, each value decoded as UTF-8 or, failing that, GBK (Tmall's ``q`` was GBK)."""
    out: dict[str, str] = {}
    for part in raw.split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        out.setdefault(_decode(k), _decode(v))
    return out


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


class Sandbox:
    """One sandbox: a catalogue, a clock (epochs), refusal switches and (once started) a server."""

    def __init__(
        self,
        seed: int = 1,
        size: int = DEFAULT_SIZE,
        brands: Sequence[str] = DEFAULT_BRANDS,
        refuse: Mapping[str, str] | Sequence[str] = (),
        slow_seconds: float = 2.0,
        image_cache: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        retry_after: int = 30,
        legacy: bool = False,
        risk: Mapping[str, str] | Sequence[str] = (),
    ) -> None:
        self.catalogue = Catalogue(seed=seed, size=size, brands=brands)
        #: ``True``: the pages of the legacy crawl paths (``g_page_config``, ``list.tmall.com``,
        #: ``li.gl-item``…) as before issue 10; ``False`` (default): today's login-gated, scripted pages.
        self.legacy = legacy
        self.seed = seed
        self.epoch = 0
        self.slow_seconds = slow_seconds
        self.retry_after = retry_after
        self.image_cache = image_cache
        self.host = host
        self.port = port
        self._refusals: dict[str, tuple[str, int]] = {}
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._pages: OrderedDict[tuple[Any, ...], Reply] = OrderedDict()
        self._live: dict[tuple[str, str, str, int], list[Listing]] = {}
        self._bids: dict[str, Listing] = {}
        self._studio: images.PhotoStudio | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self.requests = 0
        items = refuse.items() if isinstance(refuse, Mapping) else (self._split(s) for s in refuse)
        for platform, mode in items:
            after = 0
            if "@" in mode:
                mode, _, n = mode.partition("@")
                after = int(n)
            self.set_refusal(platform, mode, after=after)
        from sandbox.today import Today

        #: Today's platforms: sessions, QR logins, page nonces and per-account risk control.
        self.today = Today(self)
        risk_items = risk.items() if isinstance(risk, Mapping) else (self._split(s) for s in risk)
        for platform, spec in risk_items:
            self.today.set_risk_spec(platform, spec)

    @staticmethod
    def _split(spec: str) -> tuple[str, str]:
        platform, _, mode = spec.partition("=")
        return platform, mode

    # --- Python API ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the sandbox is not running: use `with serve(...) as sb` or sb.start()")
        return f"http://{self.host}:{self.port}"

    def url_for(self, real_url: str) -> str:
        """The sandbox URL for a real platform URL (``https://host/path?q`` → ``{url}/host/path?q``)."""
        rest = re.sub(r"^(?:https?:)?//", "", real_url)
        return f"{self.url}/{rest}"

    def advance(self, n: int = 1) -> int:
        """Move the clock ``n`` epochs on; returns the new epoch."""
        if n < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self.epoch += n
            self._pages.clear()
            self._live.clear()
        return self.epoch

    def set_refusal(self, platform: str, mode: str | None, after: int = 0) -> None:
        """Refuse every request to ``platform`` with ``mode`` from the ``after+1``-th one on; None clears."""
        if mode in (None, "", "none", "off"):
            self._refusals.pop(platform, None)
            self._counts.pop(platform, None)
            return
        assert mode is not None
        check_refusal(platform, mode)
        self._refusals[platform] = (mode, after)
        self._counts[platform] = 0

    @property
    def refusals(self) -> dict[str, str]:
        return {p: (m if not a else f"{m}@{a}") for p, (m, a) in self._refusals.items()}

    def truth(
        self, platform: str | None = None, brand: str | None = None, epoch: int | None = None
    ) -> list[dict[str, Any]]:
        """Ground truth at ``epoch`` (default: now) — see :meth:`Catalogue.truth`."""
        return self.catalogue.truth(self.epoch if epoch is None else epoch, platform=platform, brand=brand)

    def start(self) -> Sandbox:
        """Build the catalogue and serve in a background thread (port 0 = any free port)."""
        self.catalogue.build()
        ready = threading.Event()
        errors: list[BaseException] = []
        loop = asyncio.new_event_loop()
        self._loop = loop

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
                loop.run_until_complete(runner.setup())
                site = web.TCPSite(runner, self.host, self.port)
                loop.run_until_complete(site.start())
                self.port = int(runner.addresses[0][1])
                self._runner = runner
            except BaseException as exc:  # reported to the caller of start()
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="markwatch-sandbox", daemon=True)
        self._thread.start()
        ready.wait(30)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._thread = None
        self._runner = None

    def __enter__(self) -> Sandbox:
        return self.start() if self._runner is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the aiohttp application -----------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    @property
    def studio(self) -> images.PhotoStudio:
        if self._studio is None:
            official = {slug: f.official_photos for slug, f in self.catalogue.facts.items()}
            self._studio = images.PhotoStudio(official, cache_dir=self.image_cache)
        return self._studio

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        tail = request.match_info["tail"]
        host, _, rest = tail.partition("/")
        path = "/" + rest
        if host in ("", "_sandbox"):
            return await self._admin(request, path if host else "/")
        query = parse_query(request.rel_url.raw_query_string)
        forced = query.pop("_sandbox_refuse", None) or request.headers.get("X-Sandbox-Refuse")
        found = self._route(host, path)
        if found is None:
            if images.IMAGE_HOST.match(host):
                return await self._image(host, path)
            if not self.legacy:
                slid = await self.today.slide(request, host, path)
                if slid is not None:
                    return slid
            aux = None if self.legacy else self.today.aux_page(request, host, path, query)
            if aux is None:
                aux = self._aux_page(host, path, query)
            if aux is not None:
                return self._respond(aux)
            return web.Response(
                status=404,
                text=f"sandbox: no route for {request.method} /{host}{path} — the sandbox does not know "
                f"https://{host}{path}; GET /_sandbox/ lists the routes it serves\n",
            )
        route, handler = found
        mode: str | None = None
        if forced:
            forced = forced.strip().lower()
            if forced not in route.modes:
                why = (
                    "unknown refusal mode" if forced not in MODES else f"mode does not apply to {route.name}"
                )
                return web.Response(
                    status=400,
                    text=f"sandbox: {why} {forced!r}; modes for {route.name}: {', '.join(sorted(route.modes))}\n",
                )
            mode = forced
        else:
            active = self._refusals.get(route.platform)
            if active is not None:
                with self._lock:
                    self._counts[route.platform] = self._counts.get(route.platform, 0) + 1
                    count = self._counts[route.platform]
                if count > active[1] and active[0] in route.modes:
                    mode = active[0]
        if mode == "slow":
            delay = request.headers.get("X-Sandbox-Delay")
            await asyncio.sleep(float(delay) if delay else self.slow_seconds)
            mode = None
        if mode in ("throttle", "unavailable"):
            return self._respond(self._throttle(mode))
        ctx = Ctx(request, host, path, query, mode)
        if mode in ("login", "slider", "visitor", "accessdeny", "auth605"):
            refused = self._refuse(route, ctx)
            if refused is not None:
                return self._respond(refused)
        reply = await handler(ctx)
        if mode == "truncated":
            reply.body = reply.body[: max(1, len(reply.body) * 55 // 100)]
        elif mode == "malformed":
            cut = len(reply.body) * 2 // 5
            reply.body = reply.body[:cut] + b'\xff\xfe\x00<<"}{]' + reply.body[cut:]
        return self._respond(reply)

    def _respond(self, reply: Reply) -> web.Response:
        ctype = f"{reply.content_type}; charset={reply.charset}" if reply.charset else reply.content_type
        resp = web.Response(
            status=reply.status, body=reply.body, headers={**reply.headers, "Content-Type": ctype}
        )
        for name, value in reply.cookies.items():
            resp.set_cookie(name, value, path="/")
        return resp

    @cached_property
    def _table(self) -> dict[tuple[str, str], tuple[str, Callable[[Ctx], Awaitable[Reply]]]]:
        """(host, lower-case path) → (route name, handler)."""
        return {
            ("s.taobao.com", "/search"): ("taobao-search", self._taobao_search),
            ("h5api.m.taobao.com", MTOP_PATH): ("taobao-mtop-search", self._mtop_search),
            ("item.taobao.com", "/item.htm"): ("taobao-item", self._taobao_item),
            ("list.tmall.com", "/search_product.htm"): ("tmall-search", self._tmall_search),
            ("detail.tmall.com", "/item.htm"): ("tmall-item", self._tmall_item),
            ("search.jd.com", "/search"): ("jd-search", self._jd_search),
            ("search.jd.com", "/s_new.php"): ("jd-search-second-half", self._jd_second_half),
            ("p.3.cn", "/prices/mgets"): ("jd-prices", self._jd_prices),
            ("api.m.jd.com", "/api"): ("jd-api-search", self._jd_api),
            ("s.weibo.com", "/weibo"): ("weibo-search", self._weibo_search),
            ("m.weibo.cn", "/api/container/getindex"): ("weibo-mobile-search", self._weibo_mobile),
        }

    def _route(self, host: str, path: str) -> tuple[Route, Callable[[Ctx], Awaitable[Reply]]] | None:
        if not self.legacy:
            found = self.today.route(host, path)
            if found is not None:
                return found
        table = self._table
        key_path = path.lower()
        if host == "h5api.m.taobao.com" and not key_path.endswith("/"):
            key_path += "/"
        if host == "s.weibo.com" and key_path == "/weibo/":
            key_path = "/weibo"
        hit = table.get((host, key_path))
        if hit is None and host == "item.jd.com" and re.fullmatch(r"/\d+\.html", path):
            hit = ("jd-item", self._jd_item)
        if hit is None and host == "m.weibo.cn" and re.fullmatch(r"/detail/\w+", path):
            hit = ("weibo-post", self._weibo_post)
        if hit is None and host in WEIBO_COM and WEIBO_STATUS.fullmatch(path):
            hit = ("weibo-status", self._weibo_status)
        if hit is None:
            return None
        return ROUTES[hit[0]], hit[1]

    # --- helpers ---------------------------------------------------------------------------------

    def _live_results(self, platform: str, q: str, order: str = "default") -> list[Listing]:
        key = (platform, q, order, self.epoch)
        hit = self._live.get(key)
        if hit is not None:
            return hit
        epoch = self.epoch
        found = [x for x in self.catalogue.search(platform, q) if x.live(epoch)]
        if order == "price-asc":
            found.sort(key=lambda x: x.price(epoch))
        elif order == "price-desc":
            found.sort(key=lambda x: -x.price(epoch))
        elif order == "sale-desc":
            found.sort(key=lambda x: -x.sales_at(epoch))
        elif order == "posted-desc":
            found.sort(key=lambda x: x.posted, reverse=True)
        with self._lock:
            if len(self._live) > 256:
                self._live.clear()
            self._live[key] = found
        return found

    def _cached(self, key: tuple[Any, ...], make: Callable[[], Reply]) -> Reply:
        full = (*key, self.epoch)
        with self._lock:
            hit = self._pages.get(full)
            if hit is not None:
                self._pages.move_to_end(full)
        if hit is None:
            hit = make()
            with self._lock:
                self._pages[full] = hit
                while len(self._pages) > 4096:
                    self._pages.popitem(last=False)
        return Reply(
            hit.status, hit.body, hit.content_type, hit.charset, dict(hit.headers), dict(hit.cookies)
        )

    def _redirect(self, ctx: Ctx, target: str) -> Reply:
        """302 to ``https://<target>`` as the sandbox serves it (``{origin}/<target>``)."""
        return Reply(302, b"", "text/html", None, {"Location": f"{ctx.origin}/{target}"})

    def _throttle(self, mode: str) -> Reply:
        status, title, after = (
            (429, "429 Too Many Requests", self.retry_after)
            if mode == "throttle"
            else (503, "503 Service Temporarily Unavailable", self.retry_after * 4)
        )
        body = f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n"
        return Reply(status, body.encode(), "text/html", UTF8, {"Retry-After": str(after)})

    def _refuse(self, route: Route, ctx: Ctx) -> Reply | None:
        mode = ctx.mode
        enc = quote(ctx.real_url, safe="")
        x5 = hashlib.md5(f"x5:{ctx.real_url}:{time.time()}".encode()).hexdigest()
        if route.name == "taobao-mtop-search":
            if mode == "login":
                return self._mtop_reply(ctx, ["FAIL_SYS_SESSION_EXPIRED::Session过期"], {})
            if mode == "slider":
                return Reply.json(
                    {
                        "rgv587_flag": "sm",
                        "url": f"//h5api.m.taobao.com:443/h5/{MTOP_API}/2.0/_____tmd_____/punish?x5secdata={x5}&x5step=2&action=captcha",
                    }
                )
            return None
        if route.name in ("weibo-mobile-search", "weibo-post"):
            if mode == "login":
                return Reply.json(
                    {"ok": -100, "url": f"https://passport.weibo.cn/signin/welcome?entry=mweibo&r={enc}"}
                )
            if mode == "visitor":
                return self._redirect(
                    ctx,
                    f"passport.weibo.com/visitor/visitor?entry=miniblog&a=enter&url={enc}&domain=weibo.com&ua=php-sso_sdk_client-0.6.36&_rand={time.time():.4f}",
                )
            if mode == "accessdeny":
                return Reply(418, b"", "text/html", None)
            return None
        if mode == "auth605":
            return Reply.json({"code": "605", "echo": "the request needs to authenticate"})
        if mode == "login":
            if route.platform == "taobao":
                return self._redirect(ctx, f"login.taobao.com/member/login.jhtml?redirectURL={enc}")
            if route.platform == "tmall":
                return self._redirect(ctx, f"login.tmall.com/?redirectURL={enc}")
            if route.platform == "jd":
                return self._redirect(ctx, f"passport.jd.com/new/login.aspx?ReturnUrl={enc}")
            return self._redirect(ctx, f"passport.weibo.com/signin/login?entry=miniblog&r={enc}")
        if mode == "slider":
            if route.platform in ("taobao", "tmall"):
                return self._redirect(ctx, f"{ctx.host}/_____tmd_____/punish?x5secdata={x5}&x5step=1")
            return self._redirect(
                ctx,
                f"jcap.m.jd.com/home/requireCaptcha?returnUrl={enc}&evtype=2&rpid=rp-{x5[:12]}",
            )
        if mode == "visitor":
            return self._redirect(
                ctx,
                f"passport.weibo.com/visitor/visitor?entry=miniblog&a=enter&url={enc}&domain=weibo.com&ua=php-sso_sdk_client-0.6.36&_rand={time.time():.4f}",
            )
        if mode == "accessdeny":
            return Reply.text(_ACCESSDENY)
        return None

    def _aux_page(self, host: str, path: str, query: dict[str, str]) -> Reply | None:
        """The pages refusals and removals lead to (login, punish, visitor, not-found…)."""
        if path.endswith("/_____tmd_____/punish"):
            return Reply.text(
                _PUNISH.replace("{host}", host), GBK if "taobao" in host or "tmall" in host else UTF8
            )
        if host in ("login.taobao.com", "login.tmall.com"):
            return Reply.text(_LOGIN_TAOBAO, GBK)
        if host == "passport.jd.com":
            return Reply.text(_LOGIN_JD)
        if host == "jcap.m.jd.com":
            return Reply.text(_RISK_JD)
        if host == "www.jd.com" and path == "/":
            return Reply.text(
                '<!DOCTYPE html><html><head><meta charset="utf-8"><title>京东(JD.COM)-正品低价、品质保障、配送及时、轻松购物！</title></head><body class="index"><div id="J_home"></div></body></html>'
            )
        if host == "passport.weibo.com" and path.startswith("/visitor"):
            return Reply.text(_VISITOR)
        if host in ("passport.weibo.com", "passport.weibo.cn"):
            return Reply.text(_LOGIN_WEIBO)
        if host in WEIBO_COM and path == "/sorry" and "pagenotfound" in query:
            return Reply.text(pages.weibo_sorry_page("notfound"))
        if host in ("item.taobao.com", "detail.tmall.com") and path == "/auction/noitem.htm":
            return Reply.text(pages.taobao_noitem_page(query.get("itemid", ""), host), GBK)
        return None

    async def _image(self, host: str, path: str) -> web.StreamResponse:
        if host.startswith("tvax"):
            avatar = images.avatar_jpeg(path)
            if avatar is None:
                return web.Response(status=404, text=f"sandbox: no image at https://{host}{path}\n")
            return web.Response(
                body=avatar, content_type="image/jpeg", headers={"Cache-Control": "max-age=86400"}
            )
        parsed = images.parse_image_path(host, path)
        ref = images.decode_ref(parsed[0], self.seed) if parsed else None
        spec = self.catalogue.photo(ref) if ref is not None else None
        if parsed is None or spec is None:
            return web.Response(status=404, text=f"sandbox: no image at https://{host}{path}\n")
        loop = asyncio.get_running_loop()
        data = await loop.run_in_executor(None, self.studio.jpeg, spec, parsed[1])
        return web.Response(
            body=data, content_type="image/jpeg", headers={"Cache-Control": "max-age=31536000"}
        )

    # --- admin -----------------------------------------------------------------------------------

    async def _admin(self, request: web.Request, path: str) -> web.StreamResponse:
        q = parse_query(request.rel_url.raw_query_string)
        path = path.rstrip("/") or "/"
        if path == "/":
            return web.json_response(self.index(), dumps=_dumps)
        if path == "/modes":
            return web.json_response(
                {
                    "modes": MODES,
                    "routes": {name: sorted(r.modes) for name, r in ROUTES.items()},
                    "platforms": {p: modes_for(p) for p in ("taobao", "tmall", "jd", "weibo")},
                    "active": self.refusals,
                    "how": "query parameter _sandbox_refuse=MODE or header X-Sandbox-Refuse: MODE for one "
                    "request; POST /_sandbox/refuse?platform=P&mode=M[&after=N] or --refuse P=M[@N] for a platform",
                },
                dumps=_dumps,
            )
        if path == "/truth":
            epoch = _int(q.get("epoch"), self.epoch)
            rows = self.catalogue.truth(
                epoch, platform=q.get("platform") or None, brand=q.get("brand") or None
            )
            return web.json_response({"epoch": epoch, "count": len(rows), "listings": rows}, dumps=_dumps)
        if path == "/state":
            return web.json_response(
                {
                    "seed": self.seed,
                    "size": self.catalogue.size,
                    "epoch": self.epoch,
                    "refusals": self.refusals,
                    "legacy": self.legacy,
                    "risk": self.today.risk_state()["risk"],
                    "requests": self.requests,
                    "clock": (EPOCH_ZERO.isoformat()),
                    "catalogue": self.catalogue.summary(),
                },
                dumps=_dumps,
            )
        if path == "/advance":
            if request.method != "POST":
                return web.Response(status=405, text="sandbox: use POST /_sandbox/advance?n=1\n")
            return web.json_response({"epoch": self.advance(_int(q.get("n"), 1))})
        if path == "/refuse":
            if request.method != "POST":
                return web.Response(status=405, text="sandbox: use POST /_sandbox/refuse?platform=P&mode=M\n")
            try:
                self.set_refusal(q.get("platform", ""), q.get("mode") or None, after=_int(q.get("after"), 0))
            except ValueError as exc:
                return web.Response(status=400, text=f"sandbox: {exc}\n")
            return web.json_response({"refusals": self.refusals}, dumps=_dumps)
        hit = await self.today.admin(request, path, q)
        if hit is not None:
            return hit
        return web.Response(status=404, text=f"sandbox: no admin route /_sandbox{path}; see GET /_sandbox/\n")

    def index(self) -> dict[str, Any]:
        from sandbox.today import TODAY_ADMIN, TODAY_INDEX

        legacy = self._legacy_index()
        if self.legacy:
            return {**legacy, "pages": "legacy (--legacy)"}
        return {
            **legacy,
            "pages": "today (default; --legacy for the old pages)",
            "routes": {**legacy["routes"], **TODAY_INDEX},
            "admin": {**legacy["admin"], **TODAY_ADMIN},
        }

    def _legacy_index(self) -> dict[str, Any]:
        return {
            "sandbox": "markwatch platform replay",
            "seed": self.seed,
            "size": self.catalogue.size,
            "epoch": self.epoch,
            "routes": {
                "taobao-search": "/s.taobao.com/search?q=KW&s=44*(page-1)[&sort=sale-desc|price-asc|price-desc][&filter=reserve_price[min,max]]",
                "taobao-mtop-search": f"/h5api.m.taobao.com{MTOP_PATH}?jsv=2.7.2&appKey=12574478&t=MS&sign=MD5&api={MTOP_API}&v=2.0&type=jsonp&dataType=jsonp&callback=mtopjsonpN&data={{appId,params}}",
                "taobao-item": "/item.taobao.com/item.htm?id=ID",
                "tmall-search": "/list.tmall.com/search_product.htm?q=KW&s=60*(page-1)&sort=s&style=g",
                "tmall-item": "/detail.tmall.com/item.htm?id=ID",
                "jd-search": "/search.jd.com/Search?keyword=KW&enc=utf-8&page=2n-1",
                "jd-search-second-half": "/search.jd.com/s_new.php?keyword=KW&enc=utf-8&page=2n&scrolling=y&show_items=… (needs Referer search.jd.com/Search)",
                "jd-prices": "/p.3.cn/prices/mgets?skuIds=J_SKU,J_SKU2",
                "jd-api-search": "/api.m.jd.com/api?appid=search-pc-java&functionId=pc_search_searchWare&client=pc&h5st=…&body={keyword,page,s}",
                "jd-item": "/item.jd.com/SKU.html",
                "weibo-search": "/s.weibo.com/weibo?q=KW&page=N[&timescope=custom:YYYY-MM-DD-H:YYYY-MM-DD-H]",
                "weibo-mobile-search": "/m.weibo.cn/api/container/getIndex?containerid=100103type%3D1%26q%3DKW&page_type=searchall&page=N",
                "weibo-post": "/m.weibo.cn/detail/MID (or BID)",
                "weibo-status": "/weibo.com/UID/BID (or MID)",
                "images": "/g-search1.alicdn.com/…, /img.alicdn.com/…, /gd1.alicdn.com/…, /img1x.360buyimg.com/nN/jfs/…, /wxN.sinaimg.cn/SIZE/PID.jpg",
            },
            "admin": {
                "GET /_sandbox/modes": "refusal modes and where they apply",
                "GET /_sandbox/truth[?platform=&brand=&epoch=]": "ground truth",
                "GET /_sandbox/state": "seed, size, epoch, refusals, catalogue summary",
                "POST /_sandbox/advance[?n=1]": "next epoch",
                "POST /_sandbox/refuse?platform=&mode=[&after=N]": "switch a refusal (no mode: clear)",
            },
        }

    # --- Taobao ----------------------------------------------------------------------------------

    async def _taobao_search(self, ctx: Ctx) -> Reply:
        q = ctx.query.get("q", "").strip()
        sort = ctx.query.get("sort", "default")
        lo, hi = _price_filter(ctx.query.get("filter", ""))
        key = ("tb", q, _int(ctx.query.get("s"), 0), sort, lo, hi, ctx.mode)

        def make() -> Reply:
            found = [] if ctx.mode == "empty" else self._live_results("taobao", q, sort)
            if lo is not None or hi is not None:
                found = [
                    x
                    for x in found
                    if (lo is None or x.price(self.epoch) >= lo) and (hi is None or x.price(self.epoch) <= hi)
                ]
            total = len(found)
            last = max(0, min(100, math.ceil(total / 44)) - 1) * 44
            s = min(max(0, _int(ctx.query.get("s"), 0)), last)
            text = pages.taobao_search_page(
                q,
                s,
                found[s : s + 44],
                total,
                self.epoch,
                self.seed,
                "changed" if ctx.mode == "layout" else "normal",
                sort,
            )
            return Reply.text(text, GBK)

        return self._cached(key, make)

    def _mtop_reply(
        self, ctx: Ctx, ret: list[str], data: dict[str, Any], cookies: dict[str, str] | None = None
    ) -> Reply:
        body = pages.mtop_body(ret, data, MTOP_API)
        callback = ctx.query.get("callback") or (
            "mtopjsonp1" if ctx.query.get("type", "jsonp") == "jsonp" else None
        )
        reply = Reply.json(body, callback=callback)
        if cookies:
            reply.cookies = cookies
        return reply

    def _new_token(self) -> dict[str, str]:
        expiry = int(time.time() * 1000) + TOKEN_TTL_MS
        token = hashlib.md5(f"sandbox-mtop:{self.seed}:{expiry}".encode()).hexdigest()
        return {"_m_h5_tk": f"{token}_{expiry}", "_m_h5_tk_enc": hashlib.md5(token.encode()).hexdigest()}

    def _token_state(self, cookie: str | None) -> tuple[str, str | None]:
        """("ok"|"empty"|"expired", token)."""
        if not cookie or "_" not in cookie:
            return "empty", None
        token, _, expiry = cookie.partition("_")
        if (
            not expiry.isdigit()
            or hashlib.md5(f"sandbox-mtop:{self.seed}:{expiry}".encode()).hexdigest() != token
        ):
            return "empty", None
        if int(expiry) < time.time() * 1000:
            return "expired", token
        return "ok", token

    async def _mtop_search(self, ctx: Ctx) -> Reply:
        mode = ctx.mode
        if mode == "token_empty":
            return self._mtop_reply(ctx, ["FAIL_SYS_TOKEN_EMPTY::令牌为空"], {}, self._new_token())
        if mode == "token_expired":
            return self._mtop_reply(ctx, ["FAIL_SYS_TOKEN_EXOIRED::令牌过期"], {}, self._new_token())
        if mode == "rgv587":
            x5 = hashlib.md5(f"rgv:{time.time()}".encode()).hexdigest()
            return self._mtop_reply(
                ctx,
                ["FAIL_SYS_USER_VALIDATE", "RGV587_ERROR::SM::哎哟喂,被挤爆啦,请稍后重试"],
                {
                    "url": f"https://h5api.m.taobao.com:443/h5/{MTOP_API}/2.0/_____tmd_____/punish?x5secdata={x5}&x5step=1"
                },
            )
        state, token = self._token_state(ctx.request.cookies.get("_m_h5_tk"))
        if state == "empty":
            return self._mtop_reply(ctx, ["FAIL_SYS_TOKEN_EMPTY::令牌为空"], {}, self._new_token())
        if state == "expired":
            return self._mtop_reply(ctx, ["FAIL_SYS_TOKEN_EXOIRED::令牌过期"], {}, self._new_token())
        data = ctx.query.get("data", "")
        expected = hashlib.md5(
            f"{token}&{ctx.query.get('t', '')}&{ctx.query.get('appKey', '')}&{data}".encode()
        ).hexdigest()
        if ctx.query.get("sign", "").lower() != expected:
            return self._mtop_reply(ctx, ["FAIL_SYS_ILLEGAL_ACCESS::非法请求"], {})
        try:
            outer = json.loads(data)
            params = outer.get("params", {})
            params = json.loads(params) if isinstance(params, str) else params
            if not isinstance(params, dict):
                raise ValueError("params")
        except (ValueError, AttributeError):
            return self._mtop_reply(ctx, ["FAIL_SYS_PARAM_FORMAT_ERROR::参数格式错误"], {})
        q = str(params.get("q", "")).strip()
        if "%" in q:
            q = _decode(q)
        page = max(1, _int(str(params.get("page", "1")), 1))
        n = min(48, max(1, _int(str(params.get("n", params.get("pageSize", 48))), 48)))
        key = ("mtop", q, page, n, mode, ctx.query.get("callback"), ctx.query.get("type"))

        def make() -> Reply:
            found = [] if mode == "empty" else self._live_results("taobao", q)
            total = len(found)
            page_eff = min(page, 100)
            chunk = found[(page_eff - 1) * n : page_eff * n]
            payload = pages.mtop_search_data(
                q, page_eff, chunk, total, self.epoch, self.seed, "changed" if mode == "layout" else "normal"
            )
            return self._mtop_reply(ctx, ["SUCCESS::调用成功"], payload)

        return self._cached(key, make)

    async def _taobao_item(self, ctx: Ctx) -> Reply:
        item_id = ctx.query.get("id", "")
        x = self.catalogue.get("taobao", item_id)
        if x is None and self.catalogue.get("tmall", item_id) is not None:
            return self._redirect(ctx, f"detail.tmall.com/item.htm?id={item_id}")
        return self._item(ctx, x, "taobao", item_id, pages.taobao_item_page, GBK)

    async def _tmall_item(self, ctx: Ctx) -> Reply:
        item_id = ctx.query.get("id", "")
        x = self.catalogue.get("tmall", item_id)
        if x is None and self.catalogue.get("taobao", item_id) is not None:
            return self._redirect(ctx, f"item.taobao.com/item.htm?id={item_id}")
        return self._item(ctx, x, "tmall", item_id, pages.tmall_detail_page, GBK)

    def _item(
        self,
        ctx: Ctx,
        x: Listing | None,
        platform: str,
        item_id: str,
        render: Callable[..., str],
        charset: str,
    ) -> Reply:
        gone = {
            "taobao": f"item.taobao.com/auction/noitem.htm?itemid={quote(item_id)}",
            "tmall": f"detail.tmall.com/auction/noitem.htm?itemid={quote(item_id)}",
            "jd": "www.jd.com/?d",
        }[platform]
        if x is None or x.status(self.epoch) == "pending":
            return self._redirect(ctx, gone)
        if not x.live(self.epoch):
            if x.removal == "notfound":
                return self._redirect(ctx, gone)
            return Reply.text(render(x, self.epoch, self.seed, offshelf=True), charset)
        return Reply.text(render(x, self.epoch, self.seed), charset)

    # --- Tmall -----------------------------------------------------------------------------------

    async def _tmall_search(self, ctx: Ctx) -> Reply:
        q = ctx.query.get("q", "").strip()
        key = ("tm", q, _int(ctx.query.get("s"), 0), ctx.query.get("sort", "s"), ctx.mode)

        def make() -> Reply:
            found = [] if ctx.mode == "empty" else self._live_results("tmall", q)
            total = len(found)
            last = max(0, min(100, math.ceil(total / 60)) - 1) * 60
            s = min(max(0, _int(ctx.query.get("s"), 0)), last)
            text = pages.tmall_list_page(
                q,
                s,
                found[s : s + 60],
                total,
                self.epoch,
                self.seed,
                "changed" if ctx.mode == "layout" else "normal",
            )
            return Reply.text(text, GBK)

        return self._cached(key, make)

    # --- JD --------------------------------------------------------------------------------------

    def _jd_half(self, kw: str, page: int, mode: str | None) -> tuple[list[Listing], int]:
        found = [] if mode == "empty" else self._live_results("jd", kw)
        half = page - 1
        if half >= 200:
            return [], len(found)
        return found[half * 30 : half * 30 + 30], len(found)

    async def _jd_search(self, ctx: Ctx) -> Reply:
        kw = ctx.query.get("keyword", "").strip()
        page = max(1, _int(ctx.query.get("page"), 1))
        key = ("jd", kw, page, ctx.mode)

        def make() -> Reply:
            chunk, total = self._jd_half(kw, page, ctx.mode)
            text = pages.jd_search_page(
                kw, page, chunk, total, self.epoch, self.seed, "changed" if ctx.mode == "layout" else "normal"
            )
            return Reply.text(text, UTF8)

        return self._cached(key, make)

    async def _jd_second_half(self, ctx: Ctx) -> Reply:
        referer = ctx.request.headers.get("Referer", "")
        if "search.jd.com/search" not in referer.lower():
            return Reply(200, b"", "text/html", UTF8)
        kw = ctx.query.get("keyword", "").strip()
        page = max(2, _int(ctx.query.get("page"), 2))
        key = ("jd2", kw, page, ctx.mode)

        def make() -> Reply:
            chunk, _total = self._jd_half(kw, page, ctx.mode)
            text = pages.jd_items(
                chunk, kw, self.epoch, self.seed, "changed" if ctx.mode == "layout" else "normal"
            )
            return Reply.text(text, UTF8)

        return self._cached(key, make)

    async def _jd_api(self, ctx: Ctx) -> Reply:
        """``api.m.jd.com/api?functionId=pc_search_searchWare&body={...}``: JSON sent as text/html.

        A request without ``h5st`` gets the 605 risk answer, as the real gateway gives unsigned calls.
        """
        if ctx.query.get("functionId") != "pc_search_searchWare":
            return Reply.text('{"code":"3","echo":"functionId not found"}', content_type="text/html")
        if not ctx.query.get("h5st"):
            return Reply.text(
                '{"code":"605","echo":"the request needs to authenticate"}', content_type="text/html"
            )
        try:
            body = json.loads(ctx.query.get("body", "{}"))
            if not isinstance(body, dict):
                raise ValueError("body")
        except ValueError:
            return Reply.text('{"code":"1","echo":"body is not JSON"}', content_type="text/html")
        kw = str(body.get("keyword") or ctx.query.get("keyword", "")).strip()
        page = max(1, _int(str(body.get("page", 1)), 1))
        key = ("jdapi", kw, page, ctx.mode)

        def make() -> Reply:
            found = [] if ctx.mode == "empty" else self._live_results("jd", kw)
            chunk = found[(page - 1) * 30 : page * 30] if page <= 100 else []
            doc = pages.jd_search_ware(
                kw,
                page,
                chunk,
                len(found),
                self.epoch,
                self.seed,
                "changed" if ctx.mode == "layout" else "normal",
            )
            return Reply(200, json.dumps(doc, ensure_ascii=False).encode(), "text/html", UTF8)

        return self._cached(key, make)

    async def _jd_prices(self, ctx: Ctx) -> Reply:
        ids = [s.strip() for s in re.split(r"[,\s]+", ctx.query.get("skuIds", "")) if s.strip()]
        out = []
        for raw in ids[:100]:
            sku = raw[2:] if raw.upper().startswith("J_") else raw
            out.append(pages.jd_price_entry(self.catalogue.get("jd", sku), sku, self.epoch))
        return Reply.json(out, callback=ctx.query.get("callback") or None)

    async def _jd_item(self, ctx: Ctx) -> Reply:
        sku = ctx.path.strip("/").removesuffix(".html")
        return self._item(ctx, self.catalogue.get("jd", sku), "jd", sku, pages.jd_item_page, GBK)

    # --- Weibo -----------------------------------------------------------------------------------

    def _weibo_found(self, q: str, timescope: str, region: str = "", haspic: bool = False) -> list[Listing]:
        """Posts for ``q``, newest first, filtered by ``timescope``, ``region`` and ``haspic`` as s.weibo.com does."""
        found = self._live_results("weibo", q, "posted-desc")
        r = re.fullmatch(r"custom:(\d+):(\d+)", region)
        if r:
            province = WEIBO_PROVINCES.get(int(r.group(1)))
            found = [x for x in found if x.seller.location.split(" ")[0] == province]
        if haspic:
            found = [x for x in found if x.photos]
        m = re.fullmatch(
            r"custom:(\d{4})-(\d{1,2})-(\d{1,2})(?:-(\d{1,2}))?:(\d{4})-(\d{1,2})-(\d{1,2})(?:-(\d{1,2}))?",
            timescope,
        )
        if m:
            tz = EPOCH_ZERO.tzinfo
            import datetime as dt

            g = [int(v) if v is not None else 0 for v in m.groups()]
            start = dt.datetime(g[0], g[1], g[2], g[3], tzinfo=tz)
            end = dt.datetime(g[4], g[5], g[6], g[7], tzinfo=tz)
            if m.group(8) is None:
                end += dt.timedelta(days=1)
            found = [x for x in found if start <= x.posted < end]
        return found

    async def _weibo_search(self, ctx: Ctx) -> Reply:
        q = ctx.query.get("q", "").strip()
        page = max(1, _int(ctx.query.get("page"), 1))
        timescope = ctx.query.get("timescope", "")
        region = ctx.query.get("region", "")
        haspic = ctx.query.get("haspic") == "1"
        extra = "".join(
            f"&{k}={quote(v, safe=':')}"
            for k, v in ctx.query.items()
            if k not in ("q", "page") and not k.startswith("_sandbox")
        )
        key = ("wb", q, page, timescope, extra, ctx.mode)

        def make() -> Reply:
            found = [] if ctx.mode == "empty" else self._weibo_found(q, timescope, region, haspic)
            total_pages = min(50, math.ceil(len(found) / 10))
            chunk = found[(page - 1) * 10 : page * 10] if page <= total_pages else []
            text = pages.weibo_search_page(
                q,
                page,
                chunk,
                total_pages,
                self.epoch,
                self.seed,
                extra,
                "changed" if ctx.mode == "layout" else "normal",
            )
            return Reply.text(text, UTF8)

        return self._cached(key, make)

    def _weibo_by_ref(self, ref: str) -> Listing | None:
        """The Weibo post with this mid or bid (the catalogue's posts at any epoch)."""
        x = self.catalogue.get("weibo", ref)
        if x is not None:
            return x
        posts = self.catalogue.by_platform("weibo")
        with self._lock:
            if len(self._bids) != len(posts):
                self._bids = {p.bid: p for p in posts}
            return self._bids.get(ref)

    async def _weibo_post(self, ctx: Ctx) -> Reply:
        x = self._weibo_by_ref(ctx.path.rsplit("/", 1)[-1])
        if x is None or not x.live(self.epoch):
            return Reply.text(pages.weibo_post_gone_page())
        return Reply.text(pages.weibo_detail_page(x, self.epoch, self.seed))

    async def _weibo_status(self, ctx: Ctx) -> Reply:
        """weibo.com/<uid>/<bid or mid>: the single-status page; a deleted post → the "deleted" sorry
        page; a post that does not exist (or not yet, or not by that uid) → 302 to /sorry?pagenotfound."""
        m = WEIBO_STATUS.fullmatch(ctx.path)
        assert m is not None
        uid, ref = m.groups()
        x = self._weibo_by_ref(ref)
        if x is None or x.seller.seller_id != uid or x.status(self.epoch) == "pending":
            return self._redirect(ctx, "weibo.com/sorry?pagenotfound&")
        if not x.live(self.epoch):
            return Reply.text(pages.weibo_sorry_page("deleted"))
        return Reply.text(pages.weibo_status_page(x, self.epoch, self.seed))

    async def _weibo_mobile(self, ctx: Ctx) -> Reply:
        containerid = ctx.query.get("containerid", "")
        m = re.match(r"^100103(.*)$", containerid)
        inner = parse_query(m.group(1)) if m else {}
        q = inner.get("q", "").strip()
        page = max(1, _int(ctx.query.get("page"), 1))
        key = ("wbm", containerid, page, ctx.mode)

        def make() -> Reply:
            if not m or not q:
                return Reply.json({"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}})
            found = [] if ctx.mode == "empty" else self._weibo_found(q, "")
            chunk = found[(page - 1) * 10 : page * 10]
            if not chunk:
                return Reply.json({"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}})
            body = pages.weibo_getindex(
                containerid, q, page, chunk, len(found), page * 10 < len(found), self.epoch, self.seed
            )
            if ctx.mode == "layout":
                for card in body["data"]["cards"]:
                    for c in [card, *card.get("card_group", [])]:
                        if "mblog" in c:
                            c["card_type"] = "feed"
                            c["status"] = c.pop("mblog")
            return Reply.json(body)

        return self._cached(key, make)


@dataclass
class Ctx:
    request: web.Request
    host: str
    path: str
    query: dict[str, str]
    mode: str | None

    @property
    def real_url(self) -> str:
        """The URL on the real platform this request stands for (without the sandbox's own parameters)."""
        query = "&".join(f"{k}={quote(v, safe='')}" for k, v in self.query.items())
        return f"https://{self.host}{self.path}" + (f"?{query}" if query else "")

    @property
    def origin(self) -> str:
        return str(self.request.url.origin())


#: weibo.com's hosts and its single-status path ``/<uid>/<bid or mid>``.
WEIBO_COM = ("weibo.com", "www.weibo.com")
WEIBO_STATUS = re.compile(r"/(\d+)/([0-9A-Za-z]+)/?")

#: Weibo's province codes (dataabc ``utils/region.py``) for the provinces sellers are in.
WEIBO_PROVINCES = {11: "北京", 31: "上海", 32: "江苏", 33: "浙江", 35: "福建", 44: "广东", 51: "四川"}


def _price_filter(value: str) -> tuple[float | None, float | None]:
    m = re.fullmatch(r"reserve_price\[([\d.]*),([\d.]*)\]", value.strip())
    if not m:
        return None, None
    lo = float(m.group(1)) if m.group(1) else None
    hi = float(m.group(2)) if m.group(2) else None
    return lo, hi


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


@contextmanager
def serve(seed: int = 1, size: int = DEFAULT_SIZE, **options: Any) -> Iterator[Sandbox]:
    """Run a sandbox in a background thread for the ``with`` block (port 0: any free port)."""
    sb = Sandbox(seed=seed, size=size, **options).start()
    try:
        yield sb
    finally:
        sb.stop()


def mtop_sign(token_cookie: str, t: str, app_key: str, data: str) -> str:
    """The mtop signature (platforms.md §1.2): ``md5(token & t & appKey & data)``, token = cookie before ``_``."""
    token = token_cookie.split("_")[0]
    return hashlib.md5(f"{token}&{t}&{app_key}&{data}".encode()).hexdigest()


_PUNISH = """<!DOCTYPE html>
<html><head><meta charset="gbk"><title>验证码拦截</title>
<script>window._config_ = {"action":"captcha","HOST":"{host}","PID":"sandbox","NCAPPKEY":"X82Y__sandbox"};</script>
</head>
<body class="punish-page">
<div class="warnning-text">亲，访问受限了，请拖动下方滑块完成验证</div>
<div id="nocaptcha" class="nc-container">
  <div id="nc_1_wrapper" class="nc_wrapper">
    <div id="nc_1_n1t" class="nc_scale"><div id="nc_1__bg" class="nc_bg"></div><span id="nc_1_n1z" class="nc_iconfont btn_slide">&gt;&gt;</span>
    <div id="nc_1__scale_text" class="scale_text slidetounlock"><span class="nc-lang-cnt">请按住滑块，拖动到最右边</span></div></div>
  </div>
</div>
</body></html>
"""

_LOGIN_TAOBAO = """<!DOCTYPE html>
<html><head><meta charset="gbk"><title>淘宝网 - 淘！我喜欢</title></head>
<body class="login-page">
<div id="login" class="login-box"><div class="login-title">密码登录</div>
<form id="login-form" action="/member/login.jhtml" method="post">
<input name="fm-login-id" id="fm-login-id" placeholder="会员名/邮箱/手机号"><input name="fm-login-password" id="fm-login-password" type="password">
<button type="submit" class="fm-button fm-submit password-login">登录</button></form>
<div class="qrcode-login"><div class="qrcode-desc">打开淘宝APP扫一扫登录</div></div></div>
</body></html>
"""

_LOGIN_JD = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>京东-欢迎登录</title></head>
<body class="login-page"><div class="login-wrap"><div class="login-form"><div class="login-tab login-tab-r"><a href="javascript:void(0)">账户登录</a></div>
<form id="formlogin" method="post"><input id="loginname" name="loginname" type="text"><input id="nloginpwd" name="nloginpwd" type="password"><a id="loginsubmit" class="btn-img btn-entry">登&nbsp;&nbsp;&nbsp;&nbsp;录</a></form></div></div></body></html>
"""

_RISK_JD = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>京东验证</title></head>
<body><div id="app" class="risk-handler"><div class="verify-title">验证一下，购物无忧</div><div class="JDJRV-slide-bg"><div class="JDJRV-slide-btn"></div></div></div></body></html>
"""

_VISITOR = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sina Visitor System</title>
<script type="text/javascript" src="//passport.weibo.com/js/visitor/mini_original.js"></script></head>
<body><script type="text/javascript">var visitor_origin = 1; // the visitor system sets SUB/SUBP through genvisitor
</script></body></html>
"""

_LOGIN_WEIBO = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>新浪通行证</title></head>
<body class="passport"><div class="info_list"><form id="vForm" method="post"><input id="loginName" name="username"><input id="loginPassword" name="password" type="password"><a id="loginAction" class="btn btnP">登录</a></form></div></body></html>
"""

_ACCESSDENY = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>访问受限 新浪微博-随时随地分享身边的新鲜事儿</title>
<script type="text/javascript">var $CONFIG = {}; $CONFIG['pageid'] = 'content_accessdeny';</script>
</head>
<body class="B_accessdeny">
<div class="W_miniblog"><div class="W_main_oneframe"><div class="edit_cont">
  <div class="user_notice"><p class="hiuser">您好：</p><p>当前访问因安全检测暂时受限，输入验证码后即可继续访问。</p></div>
  <div id="pl_guide_accessdeny" class="veriyfycode">
    <div class="v_image"><img id="img_secode" height="70" width="200" src="/aj/imagecode/image?id=sandbox"/></div>
    <p class="v_ans_t">请输入上面验证码：</p>
    <p class="v_ans_i"><input type="text" name="secode" class="W_inputStp v_inp" /></p>
  </div>
</div></div></div>
</body>
</html>
"""
