"""The browser crawl path: pages fetched in the account's logged-in Chromium, answers read off the wire.

Scrapy still drives the crawl. For the platforms on the browser path (``MARKWATCH_BROWSER``: Taobao,
Tmall and JD by default; all four with ``all``) every search and item request is fetched through
scrapy-playwright in **one Playwright context per account**: a persistent Chromium profile
(``launch_persistent_context``, the profile ``markwatch login`` filled) or, for pasted cookies, a
context holding those cookies; each context has the account's proxy. The platform's own JavaScript
runs and computes its signatures (``h5st``, mtop ``sign``, ``bx-ua``); markwatch never does. While the
page loads, the JSON answers of the platform's API (:data:`API_PATTERNS`) are read off the browser's
network traffic (``page.on("response")``) and handed to the spider in
``response.meta["markwatch_api_answers"]`` ((real URL, body) pairs, read by the platform's
``parse_api_answer``), beside the rendered DOM as the response body for pages with no API answer.

:class:`AccountsMiddleware` picks the account for each request, reads the spider's verdict on each
answer and, on a refusal, cools that account down (``MARKWATCH_COOLDOWN``) and asks again with the
platform's next account. A slider or captcha with a window open pauses the crawl until a person has
solved it in the window and pressed Enter; without a window it counts as a refusal like the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings

from crawler.login import chromium_path, has_display
from markwatch.accounts import PASTED, Account, AccountStore, check_name, playwright_proxy
from markwatch.errors import ConfigError
from markwatch.platforms import PLATFORMS, REGISTRY

logger = logging.getLogger(__name__)

#: The platforms' API answers worth reading off the wire, per platform: (kind, host, path/query regex).
#: ``kind`` is the request kind whose page makes the call (``search`` or ``item``).
API_PATTERNS: dict[str, tuple[tuple[str, str, re.Pattern[str]], ...]] = {
    "taobao": (
        ("search", "h5api.m.taobao.com", re.compile(r"/h5/mtop\.taobao\.wsearch\.h5search/", re.I)),
        (
            "search",
            "h5api.m.taobao.com",
            re.compile(r"/h5/mtop\.relationrecommend\.wirelessrecommend\.recommend/", re.I),
        ),
        ("item", "h5api.m.taobao.com", re.compile(r"/h5/mtop\.taobao\.pcdetail\.data\.get/", re.I)),
    ),
    "jd": (
        ("search", "api.m.jd.com", re.compile(r"functionId=pc_search_searchWare")),
        ("item", "api.m.jd.com", re.compile(r"functionId=pc_detailpage_wareBusiness")),
    ),
    "weibo": (
        ("search", "m.weibo.cn", re.compile(r"^/api/container/getIndex")),
        ("search", "weibo.com", re.compile(r"^/ajax/(side/search|statuses/searchProfile)")),
        ("item", "weibo.com", re.compile(r"^/ajax/statuses/(show|longtext)")),
    ),
}
API_PATTERNS["tmall"] = API_PATTERNS["taobao"]


def session_file(profile: Path) -> Path:
    """Where a profile's session (Playwright storage state: cookies, local storage) is kept."""
    return profile / "markwatch-session.json"


def refusal_flags(mode: str, platform: str) -> tuple[bool, bool]:
    """(cools the account, a person can solve it) for refusal ``mode`` on ``platform``: the flags of
    the platform's refusal rules (``spiders/<platform>/refusals.py``); unknown modes cool the account."""
    from spiders.refusals import refusal_mode

    found = refusal_mode(mode, platform)
    if found is None:
        return True, False
    return found.cool_account, found.solvable


#: Resource types the browser need not load to read the platform's answers (photos come separately).
SKIPPED_RESOURCES = frozenset({"image", "media", "font"})


def api_kind(platform: str, url: str) -> str | None:
    """``search`` / ``item`` when ``url`` (a real platform URL) is one of the platform's API answers."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    target = parts.path + ("?" + parts.query if parts.query else "")
    for kind, api_host, pattern in API_PATTERNS.get(platform, ()):
        if (host == api_host or host.endswith("." + api_host)) and pattern.search(target):
            return kind
    return None


def browser_platforms(settings: BaseSettings) -> tuple[str, ...]:
    """The platforms whose pages are fetched in Chromium (``MARKWATCH_BROWSER``)."""
    value = str(settings.get("MARKWATCH_BROWSER") or "auto").strip().lower()
    if value in ("auto", "on", "1", "true", "yes"):
        return tuple(p for p in PLATFORMS if p != "weibo")
    if value in ("all",):
        return PLATFORMS
    if value in ("off", "0", "false", "no", "http", ""):
        return ()
    names = tuple(p.strip() for p in value.split(",") if p.strip())
    unknown = [p for p in names if p not in PLATFORMS]
    if unknown:
        raise ConfigError(
            f"MARKWATCH_BROWSER={value!r}: use auto, all, off or platform names ({', '.join(PLATFORMS)})"
        )
    return names


def window_wanted(settings: BaseSettings) -> bool:
    """A Chromium window (``MARKWATCH_BROWSER_WINDOW``; unset: when a display is set)."""
    value = settings.get("MARKWATCH_BROWSER_WINDOW")
    if value is None or value == "":
        return has_display()
    return settings.getbool("MARKWATCH_BROWSER_WINDOW")


def skip_resource(request: Any) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: pictures, media and fonts are not loaded by the crawl's browser."""
    return str(getattr(request, "resource_type", "")) in SKIPPED_RESOURCES


def configure(settings: BaseSettings) -> None:
    """Switch scrapy-playwright on for the browser path (called by the add-on when it is on)."""
    handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
    prio = "addon"
    settings.set("DOWNLOAD_HANDLERS", {"http": handler, "https": handler}, priority=prio)
    settings.set("PLAYWRIGHT_BROWSER_TYPE", "chromium", priority=prio)
    # the spiders read this to ask for today's pages (the browser runs the platform's own script)
    settings.set("MARKWATCH_BROWSER_PLATFORMS", list(browser_platforms(settings)), priority=prio)
    options = {
        "executable_path": settings.get("MARKWATCH_CHROMIUM") or chromium_path(),
        "headless": not window_wanted(settings),
        "args": ["--disable-dev-shm-usage", "--no-first-run", "--password-store=basic"],
    }
    settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", options, priority=prio)
    # the browser's own headers (its User-Agent, its cookies), not Scrapy's
    settings.set("PLAYWRIGHT_PROCESS_REQUEST_HEADERS", None, priority=prio)
    settings.set("PLAYWRIGHT_ABORT_REQUEST", skip_resource, priority=prio)
    settings.set("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT", 60_000, priority=prio)
    tabs = settings.getint("MARKWATCH_BROWSER_TABS", 4)
    settings.set("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT", max(1, tabs), priority=prio)


# --- accounts per platform -----------------------------------------------------------------------------


@dataclass
class AccountPool:
    """The accounts one platform's crawl may use, in order; refused ones cool down and are skipped."""

    platform: str
    store: AccountStore
    accounts: list[Account]
    cooldown: float
    #: How many accounts are used at once (one browser context each).
    parallel: int = 1
    events: list[str] = field(default_factory=list)
    _turn: int = 0

    def active(self) -> list[Account]:
        now = time.time()
        return [a for a in self.accounts if a.usable(now)][: max(1, self.parallel)]

    def pick(self) -> Account | None:
        live = self.active()
        if not live:
            return None
        self._turn += 1
        return live[self._turn % len(live)]

    def refused(self, account: Account, mode: str, cool: bool = True) -> Account | None:
        """Record the refusal on ``account``; the next usable account, or None when none is left."""
        if account.usable():
            updated = self.store.record_refusal(
                account.platform, account.name, mode, self.cooldown if cool else None
            )
            for a in self.accounts:
                if a.key == account.key:
                    a.last_refusal, a.last_refusal_at = updated.last_refusal, updated.last_refusal_at
                    a.cooling_until, a.logged_in = updated.cooling_until, updated.logged_in
            following = self.pick()
            self.events.append(
                f"{account.key}: {mode}"
                + (f", cooling down for {self.cooldown / 60:.0f} min" if cool else "")
                + (f"; went on with {following.key}" if following else "; no other account left")
            )
            return following
        return self.pick()


def load_pool(
    store: AccountStore,
    platform: str,
    *,
    names: list[str],
    sandbox: bool,
    pasted: bool,
    cooldown: float,
    parallel: int,
) -> AccountPool:
    """The platform's accounts: those named (in that order), else every profile logged in for this
    target (the sandbox or the real site) by name, then the pasted cookies."""
    stored = {a.name: a for a in store.list(platform)}
    chosen: list[Account] = []
    if names:
        for name in names:
            check_name(name, allow_pasted=True)
            if name == PASTED:
                if not pasted:
                    raise ConfigError(
                        f"--account {PASTED}: no pasted cookies for {platform} (set MARKWATCH_COOKIES_"
                        f"{platform.upper()})"
                    )
                chosen.append(stored.get(PASTED) or Account(platform, PASTED, kind="cookies"))
                continue
            account = stored.get(name)
            if account is None or account.kind != "profile":
                raise ConfigError(
                    f"no {platform} account {name!r}: log it in (markwatch login {platform} --account {name})"
                )
            chosen.append(account)
    else:
        chosen = [a for a in stored.values() if a.kind == "profile" and a.sandbox == sandbox]
        chosen.sort(key=lambda a: a.name)
        if pasted:
            chosen.append(stored.get(PASTED) or Account(platform, PASTED, kind="cookies"))
    return AccountPool(platform, store, chosen, cooldown=cooldown, parallel=parallel)


# --- reading the answers off the wire ------------------------------------------------------------------

ANSWERS = "markwatch_answers"
_PENDING = "_markwatch_pending"
#: Request meta that a retry with another account must not carry over (page, answers, verdict).
FRESH_KEYS = (
    "playwright",
    "markwatch_account",
    ANSWERS,
    _PENDING,
    "markwatch_parsed",
    "markwatch_api_answers",
)


@dataclass
class Pending:
    """The platform's API calls of one page: in flight, last activity, bodies being read."""

    inflight: int = 0
    last: float = 0.0
    tasks: list[asyncio.Future[None]] = field(default_factory=list)


async def watch_page(page: Any, request: Request) -> None:
    """``playwright_page_init_callback``: collect the platform's API answers the page receives."""
    platform = str(request.meta.get("markwatch_platform", ""))
    base = request.meta.get("markwatch_sandbox")
    answers: list[dict[str, Any]] = request.meta.setdefault(ANSWERS, [])
    state = Pending(last=time.monotonic())
    request.meta[_PENDING] = state

    def real(url: str) -> str:
        if base:
            from crawler.middlewares import from_sandbox

            return from_sandbox(url, str(base)) or url
        return url

    def on_request(req: Any) -> None:
        if api_kind(platform, real(req.url)):
            state.inflight += 1
            state.last = time.monotonic()

    def on_done(req: Any) -> None:
        if api_kind(platform, real(req.url)):
            state.inflight = max(0, state.inflight - 1)
            state.last = time.monotonic()

    async def read(resp: Any, url: str, kind: str) -> None:
        try:
            text = await resp.text()
        except Exception as exc:  # the page went away before the body was read
            logger.debug("could not read %s: %r", url, exc)
            return
        answers.append({"url": url, "kind": kind, "status": resp.status, "text": text})

    def on_response(resp: Any) -> None:
        url = real(resp.url)
        kind = api_kind(platform, url)
        if kind:
            state.tasks.append(asyncio.ensure_future(read(resp, url, kind)))

    page.on("request", on_request)
    page.on("requestfinished", on_done)
    page.on("requestfailed", on_done)
    page.on("response", on_response)


async def settle(page: Any, request: Request, quiet: float = 0.25, limit: float = 15.0) -> None:
    """``PageMethod``: wait until the page's API calls are answered (and once more after scrolling to
    the bottom, which makes lazy halves load), then until their bodies are read."""
    state = request.meta.get(_PENDING) or Pending()
    deadline = time.monotonic() + limit

    async def quiet_down() -> None:
        while time.monotonic() < deadline:
            if state.inflight == 0 and time.monotonic() - state.last >= quiet:
                return
            await asyncio.sleep(0.05)

    await quiet_down()
    with contextlib.suppress(Exception):
        await page.evaluate("window.scrollTo(0, document.body ? document.body.scrollHeight : 0)")
        state.last = time.monotonic()
    await quiet_down()
    if state.tasks:
        await asyncio.wait(state.tasks, timeout=max(0.1, deadline - time.monotonic()))


#: Request kinds (``markwatch_kind``) fetched in the browser, and whose answers they read.
BROWSER_KINDS = {"search": "search", "accounts": "search", "item": "item", "longtext": "item"}


# --- the middleware ---------------------------------------------------------------------------------------


class AccountsMiddleware:
    """Account per request, the browser path, cool-down and rotation, the pause for a person."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.browser = browser_platforms(settings)
        self.window = window_wanted(settings) if self.browser else False
        self.sandbox = settings.get("MARKWATCH_SANDBOX_URL") or None
        self.store = AccountStore(settings.get("MARKWATCH_ACCOUNTS_DIR") or None)
        self.cooldown = settings.getfloat("MARKWATCH_COOLDOWN", 1800.0)
        self.parallel = max(1, settings.getint("MARKWATCH_BROWSER_CONTEXTS", 1))
        self.names = [n for n in settings.getlist("MARKWATCH_ACCOUNTS") if n]
        self.settle_limit = settings.getfloat("MARKWATCH_BROWSER_SETTLE", 15.0)
        self.profiles = str(settings.get("MARKWATCH_BROWSER_PROFILES") or "shared").lower()
        if self.profiles not in ("shared", "persistent"):
            raise ConfigError(
                f"MARKWATCH_BROWSER_PROFILES={self.profiles!r}: use shared (one Chromium, a context per "
                "account) or persistent (a Chromium per account profile)"
            )
        self._saved: dict[str, float] = {}
        self.ask: Callable[[str], str] = _ask_stdin
        self.pools: dict[str, AccountPool] = {}
        #: The pause under way per account (its other refused pages wait for the same answer) and
        #: when each account's last pause ended (pages fetched before then are asked again unasked).
        self._pauses: dict[str, asyncio.Future[bool]] = {}
        self._solved: dict[str, tuple[float, bool]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AccountsMiddleware:
        return cls(crawler)

    # --- which account ----------------------------------------------------------------------------

    def platform(self) -> str:
        spider = self.crawler.spider
        return str(getattr(spider, "platform", "") or getattr(spider, "name", ""))

    def pool(self, platform: str) -> AccountPool:
        if platform not in self.pools:
            from crawler.middlewares import load_platform_cookies

            pasted = bool(load_platform_cookies(self.crawler.settings, platform))
            self.pools[platform] = load_pool(
                self.store,
                platform,
                names=self.names,
                sandbox=bool(self.sandbox),
                pasted=pasted,
                cooldown=self.cooldown,
                parallel=self.parallel,
            )
            names = ", ".join(a.key for a in self.pools[platform].accounts) or "none (signed out)"
            logger.info("%s accounts: %s", platform, names)
        return self.pools[platform]

    def context_kwargs(self, account: Account | None, platform: str) -> dict[str, Any]:
        headless = not self.window
        if account is not None and account.kind == "profile":
            from crawler.login import launch_options

            profile = self.store.profile_dir(account.platform, account.name)
            state = session_file(profile)
            if self.profiles == "shared" and state.is_file():
                # a context of the crawl's one Chromium holding the profile's session (cookies and
                # local storage, saved at login and again as the crawl goes)
                kwargs: dict[str, Any] = {"locale": "zh-CN", "storage_state": str(state)}
                if account.proxy:
                    kwargs["proxy"] = playwright_proxy(account.proxy)
                return kwargs
            return {"user_data_dir": str(profile), **launch_options(headless, account.proxy)}
        kwargs = {"locale": "zh-CN"}
        if account is not None:
            if account.proxy:
                kwargs["proxy"] = playwright_proxy(account.proxy)
            from crawler.middlewares import load_platform_cookies

            cookies = load_platform_cookies(self.crawler.settings, platform)
            domains = (
                (urlsplit(str(self.sandbox)).hostname or "127.0.0.1",)
                if self.sandbox
                else REGISTRY[platform].cookie_domains
            )
            kwargs["storage_state"] = {
                "cookies": [
                    {"name": k, "value": v, "domain": d, "path": "/"}
                    for d in domains
                    for k, v in cookies.items()
                ]
            }
        return kwargs

    def process_request(self, request: Request) -> None:
        kind = request.meta.get("markwatch_kind")
        platform = self.platform()
        if kind not in BROWSER_KINDS or platform not in REGISTRY or "markwatch_account" in request.meta:
            return None
        pool = self.pool(platform)
        wanted = request.meta.pop("markwatch_account_wanted", None)
        account = next((a for a in pool.accounts if a.key == wanted and a.usable()), None) or pool.pick()
        request.meta["markwatch_account"] = account.key if account else None
        request.meta["markwatch_sent"] = time.monotonic()
        if platform not in self.browser:
            return None
        from scrapy_playwright.page import PageMethod

        name = account.key if account else f"{platform}/signed-out"
        if self.parallel > 1 and account is not None:
            # accounts used side by side are separate sessions (each behind its own proxy): each has
            # the platform's politeness on its own, not a share of one slot
            host = urlsplit(request.url).hostname or platform
            request.meta.setdefault("download_slot", f"{host}#{account.name}")
        request.meta.update(
            {
                "playwright": True,
                "playwright_context": name,
                "playwright_context_kwargs": self.context_kwargs(account, platform),
                "playwright_include_page": True,
                "playwright_page_init_callback": watch_page,
                "playwright_page_methods": [PageMethod(settle, request, limit=self.settle_limit)],
                "playwright_page_goto_kwargs": {"wait_until": "load"},
                "markwatch_platform": platform,
                "markwatch_sandbox": self.sandbox,
            }
        )
        return None

    # --- what came back ---------------------------------------------------------------------------------

    def account_of(self, request: Request) -> Account | None:
        key = request.meta.get("markwatch_account")
        if not key:
            return None
        pool = self.pools.get(str(key).split("/", 1)[0])
        return next((a for a in pool.accounts if a.key == key), None) if pool else None

    async def process_response(self, request: Request, response: Response) -> Response | Request:
        page = request.meta.get("playwright_page")
        spider = self.crawler.spider
        verdict = getattr(spider, "verdict", None)
        account = self.account_of(request)
        family = BROWSER_KINDS.get(str(request.meta.get("markwatch_kind")))
        if family is None:
            return response
        if 300 <= response.status < 400 and b"Location" in response.headers:
            return response  # a redirect: the page it leads to is judged (a removed item's noitem page)
        answers = [a for a in request.meta.get(ANSWERS) or [] if a.get("kind") == family]
        # the spiders read the captured answers as (real URL, body) pairs
        request.meta["markwatch_api_answers"] = [(a["url"], a["text"]) for a in answers]
        if page is not None:
            # an API URL opened as a page (Weibo's longtext): its answer, not Chromium's <pre> view of it
            own = next((a for a in answers if a["url"] == response.url), None)
            if own is not None:
                response = response.replace(body=str(own["text"]).encode("utf-8"), encoding="utf-8")
        if response.request is None:  # the engine ties it later; the spider's verdict reads its meta
            response.request = request
        try:
            parsed = verdict(response) if callable(verdict) else None
            mode = getattr(parsed, "refusal", None)
            if parsed is not None:  # bound to this URL: meta follows a redirect, the verdict must not
                response.meta["markwatch_parsed"] = (response.url, parsed)
            if not mode or account is None:
                await self.keep_session(account, page)
                return response
            platform = account.platform
            cools, solvable = refusal_flags(mode, platform)
            if not cools and not solvable:  # says nothing about the account (Tmall moved, token…)
                return response
            stats = self.crawler.stats
            if solvable and self.window and page is not None:
                sent = float(request.meta.get("markwatch_sent", 0.0))
                solved = await self.pause_for_person(account, mode, response.url, sent)
                if stats is not None:
                    stats.inc_value(f"markwatch/{platform}/accounts/paused")
                if solved:
                    return self.again(request, account)
            following = self.pool(platform).refused(account, mode, cool=cools)
            if stats is not None:
                stats.inc_value(f"markwatch/{platform}/accounts/cooled")
            logger.warning(
                "%s refused %s (%s); next account: %s",
                platform,
                account.key,
                mode,
                following.key if following else "none",
            )
            if following is not None:
                if stats is not None:
                    stats.inc_value(f"markwatch/{platform}/accounts/rotated")
                return self.again(request, following)
            return response
        finally:
            if page is not None:
                request.meta.pop("playwright_page", None)
                with contextlib.suppress(Exception):
                    await page.close()

    async def keep_session(self, account: Account | None, page: Any) -> None:
        """Shared profiles: write the context's session back to the profile (at most every 30 s), so the
        platform's refreshed cookies outlive the crawl."""
        if page is None or account is None or account.kind != "profile" or self.profiles != "shared":
            return
        now = time.monotonic()
        if now - self._saved.get(account.key, -1e9) < 30:
            return
        self._saved[account.key] = now
        state = session_file(self.store.profile_dir(account.platform, account.name))
        if not state.is_file():
            return  # a persistent profile keeps its own
        with contextlib.suppress(Exception):
            await page.context.storage_state(path=str(state))
            state.chmod(0o600)

    async def process_exception(self, request: Request, exception: BaseException) -> None:
        page = request.meta.pop("playwright_page", None)
        if page is not None:
            with contextlib.suppress(Exception):
                await page.close()
        return None

    def again(self, request: Request, account: Account | None) -> Request:
        """The same request for ``account`` (or unassigned): fresh page, fresh answers."""
        meta = {
            k: v
            for k, v in request.meta.items()
            if not k.startswith(
                (
                    "playwright",
                    "markwatch_account",
                    ANSWERS,
                    _PENDING,
                    "markwatch_parsed",
                    "markwatch_api_answers",
                )
            )
        }
        retry = request.replace(meta=meta, dont_filter=True)
        if account is not None:
            retry.meta["markwatch_account_wanted"] = account.key
        return retry

    async def pause_for_person(self, account: Account, mode: str, url: str, sent: float = 0.0) -> bool:
        """Pause the crawl until a person says the check in the window is solved (Enter); False on EOF.

        One question per account at a time: its other pages refused meanwhile (several tabs) take the
        same answer, and so do pages sent before the last answer (``sent``, monotonic)."""
        running = self._pauses.get(account.key)
        if running is not None:
            return await running
        last = self._solved.get(account.key)
        if last is not None and sent and sent <= last[0]:
            return last[1]
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pauses[account.key] = future
        engine = _engine(self.crawler)
        if engine is not None:
            engine.pause()
        solved = False
        try:
            prompt = (
                f"{account.key} met a {mode} check at {url}: solve it in the window, then press Enter "
                "(Ctrl-D: give up on this account)"
            )
            line = await asyncio.get_running_loop().run_in_executor(None, self.ask, prompt)
            solved = line != ""
            return solved
        finally:
            self._solved[account.key] = (time.monotonic(), solved)
            del self._pauses[account.key]
            future.set_result(solved)
            if engine is not None:
                engine.unpause()


def _engine(crawler: Crawler) -> Any:
    """The crawler's engine, or None before the crawl started (a unit test's crawler)."""
    try:
        return crawler.engine
    except RuntimeError:
        return None


def _ask_stdin(prompt: str) -> str:
    print(prompt, flush=True)
    try:
        return sys.stdin.readline() if sys.stdin is not None else ""
    except (OSError, ValueError):
        return ""
