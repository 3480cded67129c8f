"""Evidence capture: each listing's page opened in headless Chromium, kept with hashes that can be re-checked.

What a capture keeps, per listing, in ``OUT/L<listing id>-<UTC time>/`` (the folder is named from the
database id and the time, never from a listing field):

* ``screenshot.png`` — the full page under a band: the URL as loaded (after redirects), the UTC
  capture time, the account and proxy (names, never secrets) and the SHA-256 of ``page.html``;
* ``page.html`` — the page's HTML as the browser holds it after load;
* ``page.warc.gz`` — every response the page loaded, as WARC request/response records;
* ``video.webm`` — Playwright's recording of the session: opening, scrolling through, back to the top;
* ``capture-log.json`` — browser and version, user agent, viewport, time source, the cookies present at
  start (names only), every navigation and the redirect chain;
* ``manifest.json`` — the listing, the URLs, HTTP status, UTC time, state, mark and reasons, the band
  text, and the SHA-256 of every file. Its own SHA-256 is stored in the database and, when a
  time-stamping authority is configured, is a leaf of the run's timestamped Merkle tree
  (``timestamp.tsr``, ``timestamp.json``, ``tsa-ca.pem``: :mod:`evidence.timestamp`).

``Capturer(full=False)`` keeps only the screenshot (no band) and the HTML: the capture as it was before
(the benchmark's baseline).

A listing the platform no longer shows (HTTP 404/410, or its item-not-found / off-shelf / deleted-post
page) is recorded with state ``gone`` and the reason — the page is still kept, as proof of the removal,
but it is never filed as evidence of an infringement. A page that loads nothing is ``failed``, never a
blank screenshot passed off as evidence. A listing whose platform is unknown or whose URL is not one of
its platform's own (``file:``, loopback, ``javascript:``…) is ``refused`` and never opened.

Chromium is Debian's (``/usr/bin/chromium``), driven through Playwright's sync API; the video needs
Debian's ``ffmpeg`` (Playwright's own download does not run here: :func:`playwright_ffmpeg`).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import platform as host_platform
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from evidence.warc import WARC, Exchange, write_warc
from markwatch.errors import UserError
from markwatch.platforms import is_platform, platform_url_problem
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


SCREENSHOT = "screenshot.png"
HTML = "page.html"
VIDEO = "video.webm"
LOG = "capture-log.json"
#: Video frame size (half the viewport: small files, text still legible).
VIDEO_SIZE = {"width": 640, "height": 450}
#: Scrolling through the page for the video: at most this many steps, this long each.
SCROLL_STEPS = 6
SCROLL_PAUSE_MS = 120
BAND_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FFMPEG = "/usr/bin/ffmpeg"


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
    state: str  # live | gone | failed | refused
    captured_at: dt.datetime  # naive UTC
    requested_url: str
    final_url: str | None = None
    http_status: int | None = None
    directory: Path | None = None
    files: dict[str, str] = field(default_factory=dict)
    manifest_sha256: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def target_problem(target: CaptureTarget) -> str | None:
    """Why ``target`` must not be opened (unknown platform, a URL not the platform's own), or None."""
    if not is_platform(target.platform):
        return f"unknown platform {str(target.platform)[:40]!r}"
    problem = platform_url_problem(target.platform, target.url)
    return None if problem is None else f"URL refused: {problem}"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def check_chromium(path: str | None = None) -> None:
    path = path or CHROMIUM
    if not Path(path).is_file():
        raise UserError(f"Chromium not found at {path}: install it (apt-get install chromium fonts-noto-cjk)")


def playwright_ffmpeg() -> str | None:
    """Point Playwright's video recorder at Debian's ffmpeg; returns the browsers path set, or None.

    Playwright looks for its own ffmpeg build under ``$PLAYWRIGHT_BROWSERS_PATH/ffmpeg-<revision>/``;
    that download is not available here, so a private folder with a link to ``/usr/bin/ffmpeg`` stands
    in (Chromium itself is always Debian's, given by path).
    """
    if os.environ.get("PLAYWRIGHT_BROWSERS_PATH"):
        return os.environ["PLAYWRIGHT_BROWSERS_PATH"]
    if not Path(FFMPEG).is_file():
        return None
    import playwright

    browsers = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
    try:
        entries = json.loads(browsers.read_text(encoding="utf-8"))["browsers"]
        revision = next(b["revision"] for b in entries if b["name"] == "ffmpeg")
    except (OSError, ValueError, KeyError, StopIteration):
        return None
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "markwatch" / "playwright"
    link = home / f"ffmpeg-{revision}" / "ffmpeg-linux"
    try:
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(FFMPEG)
    except OSError:
        return None
    os.environ["PLAYWRIGHT_BROWSERS_PATH"] = str(home)
    return str(home)


def proxy_settings(proxy: str | None) -> tuple[dict[str, str] | None, str]:
    """Playwright's proxy settings for ``proxy`` (a URL) and its name without credentials."""
    if not proxy:
        return None, "none (direct)"
    parts = urlsplit(proxy)
    if parts.scheme not in ("http", "https", "socks5") or not parts.hostname:
        raise UserError(f"proxy {proxy.split('@')[-1]!r} is not a http://, https:// or socks5:// URL")
    port = f":{parts.port}" if parts.port else ""
    name = urlunsplit((parts.scheme, f"{parts.hostname}{port}", "", "", ""))
    settings = {"server": name}
    if parts.username:
        settings["username"] = parts.username
    if parts.password:
        settings["password"] = parts.password
    return settings, name


def resolver_rules() -> str:
    """Chromium's ``--host-resolver-rules``: only the platforms' own hosts resolve.

    A listing page (or a redirect, which the browser follows unseen by request routing) can then
    never reach a host that is not a platform's: the name does not resolve. Through a proxy the proxy
    resolves names; the check after load (:func:`platform_url_problem` on the final URL) still holds.
    """
    from markwatch.platforms import REGISTRY

    domains = sorted({d for p in REGISTRY.values() for d in p.own_domains})
    excluded = ", ".join(f"EXCLUDE {d}, EXCLUDE *.{d}" for d in domains)
    return f"--host-resolver-rules=MAP * ~NOTFOUND, {excluded}"


#: Returns the account's name and its cookies (Playwright's shape) for a platform.
CookieSource = Callable[[str], tuple[str, list[dict[str, Any]]]]


class Capturer:
    """One headless Chromium for many captures (``with Capturer(...) as cap: cap.capture(t, out)``).

    ``full`` (the default) adds the band, the WARC, the video and the capture log; each capture then
    runs in a fresh browser context (a clean profile: the cookies present are only the account's).
    """

    def __init__(
        self,
        *,
        sandbox: str | None = None,
        timeout_ms: int = TIMEOUT_MS,
        actor: str = "markwatch",
        executable: str | None = None,
        full: bool = True,
        video: bool = True,
        account: str | None = None,
        proxy: str | None = None,
        cookies: CookieSource | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.timeout_ms = timeout_ms
        self.actor = actor
        self.executable = executable or CHROMIUM
        self.full = full
        self.video = video and full
        self.account = account
        self.proxy, self.proxy_name = proxy_settings(proxy)
        self.cookies = cookies
        self._pw: Any = None
        self._browser: Any = None
        self._context: Any = None
        self._cookies_for: set[str] = set()
        self.warnings: list[str] = []
        self._user_agent: str | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="markwatch-band")

    def __enter__(self) -> Capturer:
        check_chromium(self.executable)
        if self.video and playwright_ffmpeg() is None:
            self.video = False
            self.warnings.append(f"no video: ffmpeg not found at {FFMPEG} (apt-get install ffmpeg)")
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        try:
            args = list(CHROMIUM_ARGS)
            if not self.sandbox:
                args.append(resolver_rules())
            self._browser = self._pw.chromium.launch(
                executable_path=self.executable,
                args=args,
                headless=True,
                proxy=self.proxy,
            )
            if not self.full:
                self._context = self._new_context(None)
        except Exception as exc:
            self._pw.stop()
            raise UserError(
                f"cannot start Chromium ({self.executable}): {str(exc).splitlines()[0]}"
            ) from None
        return self

    def _new_context(self, video_dir: str | None) -> Any:
        kwargs: dict[str, Any] = {"viewport": VIEWPORT, "locale": "zh-CN", "ignore_https_errors": False}
        if video_dir is not None:
            kwargs.update(record_video_dir=video_dir, record_video_size=VIDEO_SIZE)
        context = self._browser.new_context(**kwargs)
        if self.sandbox:
            # the page's own requests (photos on alicdn/360buyimg/sinaimg…) go to the sandbox too
            context.route("**/*", self._to_sandbox)
        return context

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True)
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

    def _account_cookies(self, context: Any, platform: str) -> str:
        """Add the account's cookies for ``platform`` to ``context``; returns the account's name."""
        if self.sandbox:
            return self.account or "none (sandbox)"
        if self.cookies is None:
            return self.account or "none (no cookies)"
        name, cookies = self.cookies(platform)
        if cookies and (self.full or platform not in self._cookies_for):
            self._cookies_for.add(platform)
            context.add_cookies(cookies)
        return self.account or (name if cookies else "none (no cookies)")

    def capture(self, target: CaptureTarget, out_root: Path) -> Capture:
        from playwright.sync_api import Error as PlaywrightError

        problem = target_problem(target)
        if problem is not None:
            cap = Capture(target=target, state="refused", captured_at=_utcnow(), requested_url="")
            cap.detail["error"] = problem
            return cap
        requested = rewrite_origin(target.url, self.sandbox)
        cap = Capture(target=target, state="failed", captured_at=_utcnow(), requested_url=requested)
        navigated: list[str] = []
        video_dir = tempfile.mkdtemp(prefix="markwatch-video-") if self.video else None
        context = self._new_context(video_dir) if self.full else self._context
        page: Any = None
        directory: Path | None = None
        banded: Future[int] | None = None
        try:
            account = self._account_cookies(context, target.platform)
            cookie_names = sorted({c["name"] for c in context.cookies()}) if self.full else []
            page = context.new_page()
            page.on(
                "request",
                lambda r: (
                    navigated.append(r.url)
                    if r.is_navigation_request() and r.frame.parent_frame is None
                    else None
                ),
            )
            seen: list[Any] = []
            navigations: list[dict[str, str]] = []
            if self.full:
                page.on("response", lambda r: seen.append(r))
                page.on(
                    "framenavigated",
                    lambda frame: (
                        navigations.append(
                            {
                                "at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                                "url": frame.url,
                            }
                        )
                        if frame == page.main_frame
                        else None
                    ),
                )
            started = dt.datetime.now(dt.UTC)
            try:
                response = page.goto(requested, wait_until="load", timeout=self.timeout_ms)
            except PlaywrightError as exc:
                cap.detail["error"] = str(exc).splitlines()[0]
                away = _off_platform(target.platform, navigated, self.sandbox)
                if away:
                    cap.detail["error"] = f"the page went off the platform ({away[:200]}): not captured"
                return cap
            away = _off_platform(target.platform, [*navigated, page.url], self.sandbox)
            if away:
                cap.detail["error"] = f"the page went off the platform ({away[:200]}): not captured"
                return cap
            # a page that keeps polling: what has loaded by then is what we keep
            with suppress(PlaywrightError):
                page.wait_for_load_state("networkidle", timeout=min(5000, self.timeout_ms))
            if self.full:
                _scroll_through(page)
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
            directory = _new_directory(out_root, target, cap.captured_at)
            html_bytes = html.encode("utf-8")
            (directory / HTML).write_bytes(html_bytes)
            shot = page.screenshot(full_page=True)
            if not self.full:
                (directory / SCREENSHOT).write_bytes(shot)
            else:
                html_sha = sha256_file(directory / HTML)
                loaded = real_url(page.url, self.sandbox)
                band = band_lines(loaded, cap.captured_at, account, self.proxy_name, html_sha)
                cap.detail["band"] = band
                # drawn in a thread while the browser goes on (PIL releases the GIL to encode)
                banded = self._pool.submit(write_banded, shot, band, directory / SCREENSHOT)
                cap.detail["redirects"] = _redirect_chain(seen, page, self.sandbox)
                exchanges = _exchanges(seen, self.sandbox)
                summary = write_warc(
                    directory / WARC,
                    exchanges,
                    {
                        "software": "markwatch evidence capture",
                        "format": "WARC File Format 1.1",
                        "listing": f"{target.platform} {target.item_id}",
                        "browser": f"Chromium {self.browser_version}",
                        "note": "bodies as the browser decoded them",
                    },
                )
                cap.detail["warc"] = {"records": summary.records, "responses": summary.responses}
                if self._user_agent is None:  # the same for every page of this browser
                    self._user_agent = str(page.evaluate("navigator.userAgent"))
                user_agent = self._user_agent
                log = self._log(cap, account, cookie_names, navigations, user_agent, started, summary.urls)
                (directory / LOG).write_text(json.dumps(log, ensure_ascii=False, indent=2) + "\n", "utf-8")
            page.close()
            page = None
            if self.full:
                context.close()  # the video is written when its context closes
                context = None
                if video_dir is not None:
                    made = sorted(Path(video_dir).glob("*.webm"))
                    if made:
                        shutil.move(str(made[-1]), directory / VIDEO)
            if banded is not None:
                cap.detail["band_height"] = banded.result()
            cap.files = {p.name: sha256_file(p) for p in sorted(directory.iterdir()) if p.is_file()}
            cap.directory = directory
            cap.manifest_sha256 = write_manifest(directory, self._manifest(cap))
            return cap
        except PlaywrightError as exc:  # the page or the browser broke mid-capture: no evidence kept
            if banded is not None:
                with suppress(Exception):
                    banded.result()
            cap.state, cap.directory, cap.files, cap.manifest_sha256 = "failed", None, {}, None
            cap.detail["error"] = (str(exc).splitlines() or [type(exc).__name__])[0]
            if directory is not None:
                shutil.rmtree(directory, ignore_errors=True)
            return cap
        except BaseException:
            if banded is not None:
                with suppress(Exception):
                    banded.result()
            if directory is not None:
                shutil.rmtree(directory, ignore_errors=True)
            raise
        finally:
            if page is not None:
                with suppress(PlaywrightError):
                    page.close()
            if self.full and context is not None:
                with suppress(PlaywrightError):
                    context.close()
            if video_dir is not None:
                shutil.rmtree(video_dir, ignore_errors=True)

    def _log(
        self,
        cap: Capture,
        account: str,
        cookie_names: list[str],
        navigations: list[dict[str, str]],
        user_agent: str,
        started: dt.datetime,
        urls: list[str],
    ) -> dict[str, Any]:
        return {
            "kind": "markwatch-capture-log",
            "started_at": started.isoformat(timespec="milliseconds"),
            "captured_at": cap.captured_at.isoformat() + "Z",
            "time_source": (
                f"this machine's system clock (UTC) on {host_platform.node() or 'this host'}; trusted time "
                "only from an RFC 3161 token (timestamp.tsr) when a time-stamping authority is configured"
            ),
            "browser": f"Chromium {self.browser_version}",
            "executable": self.executable,
            "headless": True,
            "arguments": list(CHROMIUM_ARGS),
            "user_agent": user_agent,
            "viewport": VIEWPORT,
            "locale": "zh-CN",
            "profile": "a fresh browser context for this capture (no earlier history or storage)",
            "account": account,
            "proxy": self.proxy_name,
            "cookies_at_start": cookie_names,
            "sandbox": self.sandbox,
            "requested_url": cap.requested_url,
            "navigations": navigations,
            "redirects": cap.detail.get("redirects", []),
            "responses": len(urls),
            "steps": [
                "open the page and wait for load (and network idle, at most 5 s)",
                f"scroll through the page in at most {SCROLL_STEPS} steps, then back to the top",
                "keep the HTML, then a full-page screenshot under the band",
            ],
            "os": f"{host_platform.system()} {host_platform.release()}",
        }

    def _manifest(self, cap: Capture) -> dict[str, Any]:
        t = cap.target
        data: dict[str, Any] = {
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
            "loaded_url": real_url(cap.final_url, self.sandbox) if cap.final_url else None,
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
        if self.full:
            data.update(
                band=cap.detail.get("band"),
                band_height=cap.detail.get("band_height"),
                redirects=cap.detail.get("redirects"),
                warc=cap.detail.get("warc"),
                video=VIDEO if VIDEO in cap.files else None,
                log=LOG,
                trusted_time=(
                    "requested once per capture run from the configured time-stamping authority: see "
                    "timestamp.tsr / timestamp.json beside this manifest (absent: no trusted time)"
                ),
            )
        return data


def _off_platform(platform: str, urls: Sequence[str], sandbox: str | None) -> str | None:
    """The first URL the tab went to that is not the platform's own (sandbox URLs read as real)."""
    for url in urls:
        real = real_url(url, sandbox)
        if real.startswith(("http://", "https://")) and platform_url_problem(platform, real) is not None:
            return real
    return None


def _new_directory(out_root: Path, target: CaptureTarget, when: dt.datetime) -> Path:
    """``OUT/L<listing id>-<UTC time>`` (``~2``, ``~3`` on a clash): from the id and the time only."""
    base = out_root / f"L{int(target.listing_id)}-{when:%Y%m%dT%H%M%SZ}"
    directory, n = base, 1
    while True:
        try:
            directory.mkdir(parents=True)
            return directory
        except FileExistsError:
            n += 1
            directory = base.with_name(f"{base.name}~{n}")


def _scroll_through(page: Any) -> None:
    """Scroll down the page in steps and back to the top, for the video (everything passes in view)."""
    from playwright.sync_api import Error as PlaywrightError

    with suppress(PlaywrightError):
        height = int(page.evaluate("document.documentElement.scrollHeight || 0"))
        view = VIEWPORT["height"]
        steps = min(SCROLL_STEPS, max(1, -(-height // view) - 1))
        for i in range(1, steps + 1):
            page.evaluate(f"window.scrollTo(0, {min(height, i * view)})")
            page.wait_for_timeout(SCROLL_PAUSE_MS)
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(SCROLL_PAUSE_MS)


def _redirect_chain(seen: Sequence[Any], page: Any, sandbox: str | None) -> list[dict[str, Any]]:
    """The main frame's navigation responses in order: the redirects, then the page."""
    chain = []
    for r in seen:
        try:
            if r.request.is_navigation_request() and r.frame == page.main_frame:
                chain.append({"url": real_url(r.url, sandbox), "status": r.status})
        except Exception:  # a frame gone meanwhile
            continue
    return chain


def _exchanges(seen: Sequence[Any], sandbox: str | None) -> list[Exchange]:
    from playwright.sync_api import Error as PlaywrightError

    out = []
    for r in seen:
        try:
            body = b"" if 300 <= r.status < 400 else r.body()
        except PlaywrightError:
            body = b""  # bodies of redirects and of aborted loads are not kept by the browser
        req = r.request
        out.append(
            Exchange(
                url=real_url(r.url, sandbox),
                method=req.method,
                request_headers=dict(req.headers),
                status=r.status,
                status_text=r.status_text or "",
                headers=_relabel(list(r.headers.items()), body),
                body=body,
                at=dt.datetime.now(dt.UTC),
                resource_type=req.resource_type,
                request_body=req.post_data_buffer,
            )
        )
    return out


CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)


def _relabel(headers: list[tuple[str, str]], body: bytes) -> list[tuple[str, str]]:
    """Chromium hands text bodies over decoded, in UTF-8: label them so (a GBK page stays readable in
    the archive), keeping the original label in ``X-Markwatch-Original-Charset``."""
    out = []
    for k, v in headers:
        m = CHARSET.search(v) if k.lower() == "content-type" else None
        if m and m.group(1).lower() not in ("utf-8", "utf8"):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                out.append((k, v))
                continue
            out.append((k, CHARSET.sub("charset=utf-8", v)))
            out.append(("X-Markwatch-Original-Charset", m.group(1)))
        else:
            out.append((k, v))
    return out


def band_lines(url: str, when: dt.datetime, account: str, proxy: str, html_sha256: str) -> list[str]:
    """The band's text (also kept in the manifest)."""
    return [
        f"URL (as loaded): {url}",
        f"Captured (UTC): {when:%Y-%m-%d %H:%M:%S}Z · markwatch evidence capture",
        f"Account: {account} · Proxy: {proxy}",
        f"SHA-256 of page.html: {html_sha256}",
    ]


BAND_BG = (17, 24, 39)
BAND_FG = (255, 255, 255)


@lru_cache(maxsize=4)
def _band_font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.truetype(str(BAND_FONT), size)
    except OSError:
        return ImageFont.load_default()


def write_banded(png: bytes, lines: Sequence[str], target: Path, size: int = 18) -> int:
    """The screenshot ``png`` under a dark band carrying ``lines``; returns the band's height."""
    from PIL import Image, ImageDraw

    font = _band_font(size)
    with Image.open(io.BytesIO(png)) as img:
        shot = img.convert("RGB")
    pad, gap = 10, 6
    line_h = size + gap
    width = shot.width
    # long URLs wrap: split each line to fit the width
    draw_probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    wrapped: list[str] = []
    for line in lines:
        rest = line
        while rest:
            n = len(rest)
            while n > 1 and draw_probe.textlength(rest[:n], font=font) > width - 2 * pad:
                n = max(1, int(n * 0.9))
            wrapped.append(rest[:n])
            rest = rest[n:]
    height = 2 * pad + line_h * len(wrapped)
    canvas = Image.new("RGB", (width, height + shot.height), BAND_BG)
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(wrapped):
        draw.text((pad, pad + i * line_h), line, fill=BAND_FG, font=font)
    canvas.paste(shot, (0, height))
    canvas.save(target, format="PNG", compress_level=1)  # fast; the screenshot is hashed, not shipped alone
    return height


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
    """Record one capture as an :class:`~storage.models.Evidence` row; a gone listing is marked gone.

    A refused listing (never opened) is not recorded.
    """
    from storage.models import Evidence, Listing

    if cap.state == "refused":
        return None
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
