"""markwatch's downloader middlewares: the sandbox origin rewrite, refusal detection with back-off,
and per-platform cookies.

* :class:`SandboxMiddleware` — when ``MARKWATCH_SANDBOX_URL`` is set, a request for
  ``https://<host>/<path>?<q>`` is fetched from ``<sandbox>/<host>/<path>?<q>`` and the answer is
  given back under the real URL (redirect ``Location`` headers too), so the spiders' URL logic, the
  redirects to login hosts and the image CDN hosts all stay the real ones.
* :class:`RefusalMiddleware` — a redirect to a login / visitor / captcha host is not followed but
  handed to the spider marked ``request.meta["markwatch_refusal"] = (mode, detail)``; 429/503 are
  retried after ``Retry-After`` (or an exponential back-off) and reported as ``throttled`` when
  retries run out; 403 is ``forbidden``. Which redirects and statuses are refusals, and their names,
  are the platform's rules (``spiders/<platform>/refusals.py``, asked through :mod:`spiders.refusals`);
  refusals inside 200 bodies (RGV587, 605, 访问受限…) are the parsers' job, so ``markwatch parse``
  reports them too.
* :class:`PlatformCookiesMiddleware` — the platform's cookies (read by :mod:`spiders.cookies`) from
  ``MARKWATCH_COOKIES_<PLATFORM>`` (a ``k=v; k2=v2`` string or a cookie file path)
  or ``MARKWATCH_COOKIES_FILE`` (Netscape
  ``cookies.txt`` or a JSON export: a list of ``{"name","value","domain"}`` or a ``{name: value}`` map).
"""

from __future__ import annotations

import email.utils
import logging
import time
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.task import deferLater

from markwatch.errors import UserError
from markwatch.platforms import REGISTRY, host_is_own
from spiders.cookies import load_platform_cookies, parse_cookie_header, read_cookie_file
from spiders.refusals import refusal_from_redirect, refusal_from_status

__all__ = [
    "PLATFORM_DOMAINS",
    "PlatformCookiesMiddleware",
    "RefusalMiddleware",
    "SandboxMiddleware",
    "load_platform_cookies",
    "parse_cookie_header",
    "read_cookie_file",
]

logger = logging.getLogger(__name__)

#: Cookie domains that belong to each platform (for a shared cookie file).
PLATFORM_DOMAINS: dict[str, tuple[str, ...]] = {name: p.cookie_domains for name, p in REGISTRY.items()}

REFUSAL_META = "markwatch_refusal"


# --- sandbox ------------------------------------------------------------------------------------


def to_sandbox(url: str, base: str) -> str:
    """``https://s.taobao.com/search?q=x`` → ``<base>/s.taobao.com/search?q=x``."""
    parts = urlsplit(url)
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{base.rstrip('/')}/{parts.netloc}{path}{query}"


def from_sandbox(url: str, base: str) -> str | None:
    """``<base>/s.taobao.com/search?q=x`` → ``https://s.taobao.com/search?q=x``; None if not a sandbox URL."""
    prefix = base.rstrip("/") + "/"
    if not url.startswith(prefix):
        return None
    rest = url[len(prefix) :]
    if not rest or rest.startswith("/"):
        return None
    return f"https://{rest}"


class SandboxMiddleware:
    """Rewrite real platform URLs to the sandbox origin and map its answers back."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SandboxMiddleware:
        base = crawler.settings.get("MARKWATCH_SANDBOX_URL")
        if not base:
            raise NotConfigured("MARKWATCH_SANDBOX_URL is not set")
        if not str(base).startswith(("http://", "https://")):
            raise UserError(f"MARKWATCH_SANDBOX_URL must start with http:// (got {base!r})")
        return cls(str(base))

    def process_request(self, request: Request) -> Request | None:
        if request.url.startswith(self.base + "/") or not request.url.startswith(("http://", "https://")):
            return None
        # keep the platform host's download slot (its own delay and concurrency, as against the real
        # site) instead of one slot for everything the sandbox answers
        meta = {"download_slot": urlsplit(request.url).hostname, **request.meta}
        return request.replace(url=to_sandbox(request.url, self.base), dont_filter=True, meta=meta)

    def process_response(self, request: Request, response: Response) -> Response:
        real = from_sandbox(response.url, self.base)
        if real is None:
            return response
        location = response.headers.get(b"Location")
        if location is not None:
            target = urljoin(response.url, location.decode("latin-1"))
            mapped = from_sandbox(target, self.base)
            if mapped is not None:
                response.headers[b"Location"] = mapped.encode("latin-1")
        return response.replace(url=real)


def platform_of_host(url: str) -> str | None:
    """The first registered platform whose own hosts include ``url``'s host, or None."""
    host = urlsplit(url).hostname or ""
    return next((name for name in REGISTRY if host_is_own(name, host)), None)


# --- refusals and throttling -----------------------------------------------------------------------


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """``Retry-After: 120`` or an HTTP date → seconds to wait; None when absent or unreadable."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def mark_refused(request: Request, mode: str, detail: str) -> None:
    """Hand the response to the spider as a refusal instead of following, retrying or dropping it."""
    request.meta[REFUSAL_META] = (mode, detail)
    request.meta["dont_redirect"] = True
    request.meta["dont_retry"] = True
    request.meta["handle_httpstatus_all"] = True


class RefusalMiddleware:
    """Detect redirects to login/visitor/captcha hosts, back off and retry on 429/503, mark 403."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.retries = settings.getint("MARKWATCH_THROTTLE_RETRIES", 3)
        self.base = settings.getfloat("MARKWATCH_BACKOFF_BASE", 10.0)
        self.cap = settings.getfloat("MARKWATCH_BACKOFF_MAX", 300.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RefusalMiddleware:
        return cls(crawler)

    def delay_for(self, response: Response, attempt: int) -> float:
        """Retry-After when the platform gives one, else ``base * 2**attempt``; never above the cap."""
        stated = retry_after_seconds(response.headers.get(b"Retry-After"))
        wait = stated if stated is not None else self.base * (2**attempt)
        return min(wait, self.cap)

    async def process_response(self, request: Request, response: Response) -> Response | Request:
        stats = self.crawler.stats
        status = response.status
        location = response.headers.get(b"Location")
        spider = self.crawler.spider
        platform = str(getattr(spider, "platform", "") or "") or platform_of_host(response.url)
        if 300 <= status < 400 and location is not None:
            target = urljoin(response.url, location.decode("latin-1"))
            mode = refusal_from_redirect(response.url, target, platform)
            if mode:
                mark_refused(request, mode, f"redirected to {target}")
            return response
        if status in (429, 503):
            attempt = int(request.meta.get("markwatch_throttle_attempt", 0))
            if attempt < self.retries:
                wait = self.delay_for(response, attempt)
                if stats is not None:
                    stats.inc_value("markwatch/throttle/retries")
                logger.info(
                    "HTTP %s from %s: waiting %.1f s before retry %d", status, response.url, wait, attempt + 1
                )
                if wait > 0:
                    await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
                retry = request.replace(dont_filter=True)
                retry.meta["markwatch_throttle_attempt"] = attempt + 1
                return retry
            mark_refused(request, "throttled", f"HTTP {status} after {attempt} retries")
            return response
        own = refusal_from_status(status, platform)  # the platform's rules first (Weibo's 432, 418)
        if own:
            mark_refused(request, own, f"HTTP {status} from {response.url}")
        elif status == 403:
            mark_refused(request, "forbidden", f"HTTP 403 from {response.url}")
        return response


# --- cookies --------------------------------------------------------------------------------------


class PlatformCookiesMiddleware:
    """Send the spider's platform cookies with every request (through Scrapy's cookie jar when it is on)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.jar_on = crawler.settings.getbool("COOKIES_ENABLED", True)
        self._cookies: dict[str, dict[str, str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PlatformCookiesMiddleware:
        return cls(crawler)

    def cookies_for(self, platform: str) -> dict[str, str]:
        if platform not in self._cookies:
            self._cookies[platform] = load_platform_cookies(self.crawler.settings, platform)
            if self._cookies[platform]:
                logger.info("sending %d %s cookie(s)", len(self._cookies[platform]), platform)
        return self._cookies[platform]

    def process_request(self, request: Request) -> None:
        spider = self.crawler.spider
        platform = str(getattr(spider, "platform", "") or getattr(spider, "name", ""))
        if platform not in PLATFORM_DOMAINS or request.meta.get("markwatch_no_cookies"):
            return None
        cookies = self.cookies_for(platform)
        if not cookies:
            return None
        if self.jar_on and isinstance(request.cookies, dict):
            for name, value in cookies.items():
                request.cookies.setdefault(name, value)
        elif b"Cookie" not in request.headers:
            request.headers[b"Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items()).encode("utf-8")
        return None
