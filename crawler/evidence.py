"""Evidence capture: each listing's page opened in headless Chromium, kept with hashes that can be re-checked.

What a capture keeps, per listing, in ``OUT/<platform>-<item id>-<UTC time>/``:

* ``screenshot.png`` — the full page;
* ``page.html`` — the page's HTML as the browser holds it after load;
* ``manifest.json`` — the listing's canonical URL, the URL actually requested (after the sandbox
  origin rewrite, if any) and where it ended, the HTTP status, the capture time in UTC, the state,
  the matched mark and reasons, the browser and its version, who captured it, and the SHA-256 of every
  file. The manifest's own SHA-256 is stored in the database (:class:`storage.models.Evidence`), so a
  manifest rewritten to match a changed file is caught too.

A listing the platform no longer shows (HTTP 404/410, or its item-not-found / off-shelf / deleted-post
page) is recorded with state ``gone`` and the reason — the page is still kept, as proof of the removal,
but it is never filed as evidence of an infringement. A page that loads nothing is ``failed``, never a
blank screenshot passed off as evidence.

Chromium is Debian's (``/usr/bin/chromium``), driven through Playwright's sync API.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from markwatch.errors import UserError
from storage.exports import MANIFEST, sha256_file, verify_tree, write_manifest

logger = logging.getLogger(__name__)

#: Debian's Chromium (apt package ``chromium``).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 30_000

#: Visible text of the pages platforms show for a removed listing or a deleted post.
GONE_TEXTS = (
    "宝贝不存在",
    "此宝贝已下架",
    "宝贝已下架",
    "商品已下架",
    "该商品已下架",
    "商品已下柜",
    "该商品已下柜",
    "您查看的商品找不到了",
    "您查看的宝贝不存在",
    "商品不存在",
    "该微博已被删除",
    "此微博已被作者删除",
    "该微博不存在",
    "微博不存在",
    "该内容已被删除",
    "item not found",
    "this item is no longer available",
)
#: Paths platforms redirect a removed item to (weibo.com sends an unknown status to ``/sorry?pagenotfound``).
GONE_URL = re.compile(
    r"(noitem|item[-_]?not[-_]?found|/error(\.htm|/|$)|[?&]err=|/sorry\?pagenotfound)", re.I
)


#: Where platforms send a robot instead of the item: login walls, sliders, visitor checks.
REFUSED_URL = re.compile(
    r"(login\.taobao\.com|login\.tmall\.com|passport\.jd\.com|jcap\.m\.jd\.com|passport\.weibo\.c(om|n)"
    r"|_____tmd_____/punish|/punish\?|sec\.taobao\.com)",
    re.I,
)
#: Visible text of those pages.
REFUSED_TEXTS = (
    "亲，访问受限了",
    "请拖动下方滑块",
    "请按住滑块",
    "验证一下，购物无忧",
    "访问受限",
    "因安全检测暂时受限",  # Weibo's 访问受限 page says it only in its title
    "密码登录",
)  # not 请登录: Taobao's own top bar says 亲，请登录 on every page


def refusal(final_url: str, text: str) -> str | None:
    """Why the page is a login wall or a robot check rather than the listing, or None."""
    if REFUSED_URL.search(final_url):
        return f"the platform asked for a login or a robot check ({final_url})"
    head = text[:400]
    for phrase in REFUSED_TEXTS:
        if phrase in head:
            return f"the platform asked for a login or a robot check (page says {phrase!r})"
    return None


def rewrite_origin(url: str, sandbox: str | None) -> str:
    """``https://<host>/<path>?q`` → ``<sandbox>/<host>/<path>?q`` (the sandbox's layout).

    Unchanged without a sandbox.
    """
    if not sandbox:
        return url
    parts = urlsplit(url)
    if not parts.netloc:
        raise UserError(f"{url!r} is not an absolute URL")
    rest = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{sandbox.rstrip('/')}/{parts.netloc}{rest}{query}"


def real_url(url: str, sandbox: str | None) -> str:
    """The platform URL a sandbox URL stands for (the inverse of :func:`rewrite_origin`)."""
    if sandbox and url.startswith(sandbox.rstrip("/") + "/"):
        return "https://" + url[len(sandbox.rstrip("/")) + 1 :]
    return url


def gone_reason(
    status: int | None, final_url: str, text: str, requested_url: str | None = None
) -> str | None:
    """Why the page shows the listing is gone, or None when it looks live.

    Signs: HTTP 404/410; a redirect to the platform's not-found page (``noitem.htm``…) or to another
    host's home page (JD sends a removed item to ``www.jd.com/?d``); the platform's removal text.
    URLs are the platform's own (see :func:`real_url` for sandbox captures).
    """
    if status in (404, 410):
        return f"HTTP {status}"
    final = urlsplit(final_url)
    if GONE_URL.search(final.path + "?" + final.query):
        return f"redirected to {final_url}"
    if requested_url:
        asked = urlsplit(requested_url)
        if (
            final.netloc
            and final.netloc != asked.netloc
            and final.path in ("", "/")
            and asked.path not in ("", "/")
        ):
            return f"redirected to the home page {final_url}"
    lowered = text.lower()
    for phrase in GONE_TEXTS:
        if phrase.lower() in lowered:
            return f"page says {phrase!r}"
    return None


@dataclass
class CaptureTarget:
    listing_id: int
    platform: str
    item_id: str
    url: str
    title: str = ""
    mark_key: str | None = None
    score: float | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass
class Capture:
    target: CaptureTarget
    state: str  # live | gone | failed
    captured_at: dt.datetime  # naive UTC
    requested_url: str
    final_url: str | None = None
    http_status: int | None = None
    directory: Path | None = None
    files: dict[str, str] = field(default_factory=dict)
    manifest_sha256: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def platform_cookies(platform: str, environ: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The platform's cookies as the crawl uses them (``MARKWATCH_COOKIES_<PLATFORM>`` or
    ``MARKWATCH_COOKIES_FILE``), in Playwright's shape, for every domain of the platform."""
    from scrapy.settings import Settings

    from crawler.middlewares import PLATFORM_DOMAINS, load_platform_cookies

    env = os.environ if environ is None else environ
    settings = Settings({k: v for k, v in env.items() if k.startswith("MARKWATCH_COOKIES")})
    jar = load_platform_cookies(settings, platform)
    return [
        {"name": name, "value": value, "domain": f".{domain}", "path": "/"}
        for domain in PLATFORM_DOMAINS.get(platform, ())
        for name, value in jar.items()
    ]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def check_chromium(path: str | None = None) -> None:
    path = path or CHROMIUM
    if not Path(path).is_file():
        raise UserError(f"Chromium not found at {path}: install it (apt-get install chromium fonts-noto-cjk)")


class Capturer:
    """One headless Chromium for many captures (``with Capturer(...) as cap: cap.capture(t, out)``)."""

    def __init__(
        self,
        *,
        sandbox: str | None = None,
        timeout_ms: int = TIMEOUT_MS,
        actor: str = "markwatch",
        executable: str | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.timeout_ms = timeout_ms
        self.actor = actor
        self.executable = executable or CHROMIUM
        self._pw: Any = None
        self._browser: Any = None
        self._context: Any = None
        self._cookies_for: set[str] = set()

    def __enter__(self) -> Capturer:
        check_chromium(self.executable)
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(
                executable_path=self.executable, args=list(CHROMIUM_ARGS), headless=True
            )
            self._context = self._browser.new_context(
                viewport=VIEWPORT, locale="zh-CN", ignore_https_errors=False
            )
            if self.sandbox:
                # the page's own requests (photos on alicdn/360buyimg/sinaimg…) go to the sandbox too
                self._context.route("**/*", self._to_sandbox)
        except Exception as exc:
            self._pw.stop()
            raise UserError(
                f"cannot start Chromium ({self.executable}): {str(exc).splitlines()[0]}"
            ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            if self._pw is not None:
                self._pw.stop()

    def _to_sandbox(self, route: Any) -> None:
        url = route.request.url
        assert self.sandbox is not None
        if url.startswith(self.sandbox.rstrip("/")) or not url.startswith(("http://", "https://")):
            route.continue_()
            return
        try:
            response = route.fetch(url=rewrite_origin(url, self.sandbox), max_redirects=5)
        except Exception:  # an unreachable resource must not break the capture of the page
            route.abort()
            return
        route.fulfill(response=response)

    @property
    def browser_version(self) -> str:
        return str(self._browser.version) if self._browser is not None else "?"

    def capture(self, target: CaptureTarget, out_root: Path) -> Capture:
        from playwright.sync_api import Error as PlaywrightError

        requested = rewrite_origin(target.url, self.sandbox)
        if not self.sandbox and target.platform not in self._cookies_for:
            # the logged-in session the crawl uses: item pages are login-walled without it
            self._cookies_for.add(target.platform)
            cookies = platform_cookies(target.platform)
            if cookies:
                self._context.add_cookies(cookies)
        page = self._context.new_page()
        cap = Capture(target=target, state="failed", captured_at=_utcnow(), requested_url=requested)
        try:
            try:
                response = page.goto(requested, wait_until="load", timeout=self.timeout_ms)
            except PlaywrightError as exc:
                cap.detail["error"] = str(exc).splitlines()[0]
                return cap
            # a page that keeps polling: what has loaded by then is what we keep
            with suppress(PlaywrightError):
                page.wait_for_load_state("networkidle", timeout=min(5000, self.timeout_ms))
            cap.captured_at = _utcnow()
            cap.http_status = response.status if response is not None else None
            cap.final_url = page.url
            text = page.inner_text("body") if page.query_selector("body") else ""
            html = page.content()
            if self.sandbox and text.startswith("sandbox: no route"):
                cap.detail["error"] = f"the sandbox does not serve this page ({text.splitlines()[0][:160]})"
                return cap
            refused = refusal(real_url(page.url, self.sandbox), text)
            if refused is not None:
                cap.detail["error"] = refused + ": capture it from a logged-in browser session"
                return cap
            gone = gone_reason(
                cap.http_status, real_url(page.url, self.sandbox), text, requested_url=target.url
            )
            if gone is not None:
                cap.state = "gone"
                cap.detail["gone"] = gone
            elif not text.strip() and page.query_selector("img") is None:
                cap.detail["error"] = "the page loaded blank (no text, no image)"
                return cap
            elif cap.http_status is not None and cap.http_status >= 400:
                cap.detail["error"] = f"HTTP {cap.http_status}"
                return cap
            else:
                cap.state = "live"
            cap.detail["page_title"] = page.title()
            directory = out_root / (
                f"{target.platform}-{_safe(target.item_id)}-{cap.captured_at:%Y%m%dT%H%M%SZ}"
            )
            n = 1
            while directory.exists():
                n += 1
                directory = directory.with_name(f"{directory.name.split('~')[0]}~{n}")
            directory.mkdir(parents=True)
            try:
                page.screenshot(path=str(directory / "screenshot.png"), full_page=True)
                (directory / "page.html").write_text(html, encoding="utf-8")
                cap.files = {name: sha256_file(directory / name) for name in ("screenshot.png", "page.html")}
                cap.directory = directory
                cap.manifest_sha256 = write_manifest(directory, self._manifest(cap))
            except BaseException:
                shutil.rmtree(directory, ignore_errors=True)
                raise
            return cap
        except PlaywrightError as exc:  # the page or the browser broke mid-capture: no evidence kept
            cap.state, cap.directory, cap.files, cap.manifest_sha256 = "failed", None, {}, None
            cap.detail["error"] = (str(exc).splitlines() or [type(exc).__name__])[0]
            return cap
        finally:
            with suppress(PlaywrightError):
                page.close()

    def _manifest(self, cap: Capture) -> dict[str, Any]:
        t = cap.target
        return {
            "tool": "markwatch",
            "kind": "evidence-capture",
            "listing": {
                "id": t.listing_id,
                "platform": t.platform,
                "item_id": t.item_id,
                "url": t.url,
                "title": t.title,
            },
            "requested_url": cap.requested_url,
            "final_url": cap.final_url,
            "http_status": cap.http_status,
            "captured_at": cap.captured_at.isoformat() + "Z",
            "state": cap.state,
            "gone": cap.detail.get("gone"),
            "page_title": cap.detail.get("page_title"),
            "mark": t.mark_key,
            "score": t.score,
            "reasons": t.reasons,
            "captured_by": {
                "actor": self.actor,
                "tool": "markwatch evidence capture",
                "browser": f"Chromium {self.browser_version}",
                "executable": self.executable,
                "viewport": VIEWPORT,
                "sandbox": self.sandbox,
            },
        }


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)[:80]


@contextmanager
def capturer(**kwargs: Any) -> Iterator[Capturer]:
    with Capturer(**kwargs) as cap:
        yield cap


def capture_all(
    targets: Sequence[CaptureTarget],
    out_root: Path,
    *,
    sandbox: str | None = None,
    timeout_ms: int = TIMEOUT_MS,
    actor: str = "markwatch",
) -> list[Capture]:
    """Capture every target with one browser; a failure on one listing never stops the others."""
    out_root.mkdir(parents=True, exist_ok=True)
    results: list[Capture] = []
    with Capturer(sandbox=sandbox, timeout_ms=timeout_ms, actor=actor) as cap:
        for t in targets:
            results.append(cap.capture(t, out_root))
    return results


def verify(directory: Path) -> list[str]:
    """Problems found re-checking every hash under ``directory`` (empty when all verify)."""
    report = verify_tree(directory)
    return (
        [f"changed: {p}" for p in report.changed]
        + [f"missing: {p}" for p in report.missing]
        + [f"unlisted: {p}" for p in report.unlisted]
    )


def read_manifest(directory: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    return data


# --- the database record ------------------------------------------------------------------------------


def store_capture(session: Any, cap: Capture, *, actor: str = "markwatch") -> Any:
    """Record one capture as an :class:`~storage.models.Evidence` row; a gone listing is marked gone."""
    from storage.models import Evidence, Listing

    row = Evidence(
        listing_id=cap.target.listing_id,
        captured_at=cap.captured_at,
        url=cap.target.url,
        state=cap.state,
        directory=str(cap.directory.resolve()) if cap.directory else "",
        files=dict(cap.files),
        manifest_sha256=cap.manifest_sha256,
        actor=actor,
        detail={
            **cap.detail,
            "requested_url": cap.requested_url,
            "final_url": cap.final_url,
            "http_status": cap.http_status,
            "mark": cap.target.mark_key,
            "reasons": cap.target.reasons,
        },
    )
    session.add(row)
    if cap.state == "gone":
        listing = session.get(Listing, cap.target.listing_id)
        if listing is not None and listing.live:
            listing.live = False
            listing.gone_at = cap.captured_at
            listing.gone_proof, listing.gone_proof_detail = (
                "evidence",
                f"capture of {cap.final_url or cap.target.url}",
            )
    session.flush()
    return row
