"""markwatch's downloader middlewares: the sandbox origin rewrite, refusal detection with back-off,
and per-platform cookies.

* :class:`SandboxMiddleware` — when ``MARKWATCH_SANDBOX_URL`` is set, a request for
  ``https://<host>/<path>?<q>`` is fetched from ``<sandbox>/<host>/<path>?<q>`` and the answer is
  given back under the real URL (redirect ``Location`` headers too), so the spiders' URL logic, the
  redirects to login hosts and the image CDN hosts all stay the real ones.
* :class:`RefusalMiddleware` — a redirect to a login / visitor / captcha host is not followed but
  handed to the spider marked ``request.meta["markwatch_refusal"] = (mode, detail)``; 429/503 are
  retried after ``Retry-After`` (or an exponential back-off) and reported as ``throttled`` when
  retries run out; 403 is ``forbidden``. Refusals inside 200 bodies (RGV587, 605, 访问受限…) are the
  parsers' job (``spiders.parsers``), so ``markwatch parse`` reports them too.
* :class:`PlatformCookiesMiddleware` — the platform's cookies from ``MARKWATCH_COOKIES_<PLATFORM>``
  (a ``k=v; k2=v2`` string or a cookie file path) or ``MARKWATCH_COOKIES_FILE`` (Netscape
  ``cookies.txt`` or a JSON export: a list of ``{"name","value","domain"}`` or a ``{name: value}`` map).
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.task import deferLater

from markwatch.errors import UserError
from markwatch.platforms import REGISTRY
from spiders.parsers.common import refusal_from_url

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
        if 300 <= status < 400 and location is not None:
            target = urljoin(response.url, location.decode("latin-1"))
            mode = refusal_from_url(target)
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
        if status == 403:
            mark_refused(request, "forbidden", f"HTTP 403 from {response.url}")
        elif status == 418:  # m.weibo.cn's answer to a client it has restricted
            mark_refused(request, "access-denied", f"HTTP 418 from {response.url}")
        return response


# --- cookies --------------------------------------------------------------------------------------


def parse_cookie_header(text: str) -> dict[str, str]:
    """``"a=1; b=2"`` → ``{"a": "1", "b": "2"}``."""
    out: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name.strip():
            out[name.strip()] = value.strip()
    return out


def read_cookie_file(path: Path) -> list[tuple[str, str, str]]:
    """(domain, name, value) from a Netscape ``cookies.txt`` or a JSON export.

    Raises :class:`UserError` with one line when the file cannot be read or has neither shape.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UserError(f"{path}: cannot read cookie file ({exc.strerror})") from None
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        if isinstance(data, dict) and "cookies" in data and isinstance(data["cookies"], list):
            data = data["cookies"]
        if isinstance(data, dict):
            return [("", str(k), str(v)) for k, v in data.items()]
        rows = []
        for entry in data:
            if isinstance(entry, dict) and "name" in entry and "value" in entry:
                rows.append((str(entry.get("domain", "")), str(entry["name"]), str(entry["value"])))
        if not rows:
            raise UserError(f"{path}: JSON cookie file holds no {{name, value}} entries")
        return rows
    rows = []
    for line in text.splitlines():
        if line.startswith("#HttpOnly_"):
            line = line[len("#HttpOnly_") :]
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 7:
            raise UserError(
                f"{path}: neither JSON nor a Netscape cookies.txt "
                f"(a line has {len(fields)} tab-separated fields, not 7)"
            )
        rows.append((fields[0], fields[5], fields[6].rstrip("\r\n")))
    return rows


def _domain_matches(domain: str, suffixes: tuple[str, ...]) -> bool:
    d = domain.lstrip(".").lower()
    return not d or any(d == s or d.endswith("." + s) for s in suffixes)


def load_platform_cookies(settings: BaseSettings, platform: str) -> dict[str, str]:
    """The cookies markwatch sends to ``platform``: its own setting/env var first, else the shared file.

    ``MARKWATCH_COOKIES_<PLATFORM>`` may be a ``k=v; k2=v2`` string or a path to a cookie file; Tmall
    falls back to Taobao's cookies.
    """
    suffixes = PLATFORM_DOMAINS.get(platform, ())
    cookies: dict[str, str] = {}
    shared = settings.get("MARKWATCH_COOKIES_FILE")
    if shared:
        for domain, name, value in read_cookie_file(Path(shared).expanduser()):
            if _domain_matches(domain, suffixes):
                cookies[name] = value
    names = [f"MARKWATCH_COOKIES_{platform.upper()}"]
    if platform == "tmall":
        names.append("MARKWATCH_COOKIES_TAOBAO")
    for name in names:
        value = settings.get(name)
        if not value:
            continue
        value = str(value).strip()
        path = Path(value).expanduser()
        if "=" not in value or path.is_file():
            if not path.is_file():
                raise UserError(f"{name}: {value} is neither a cookie string (k=v; …) nor a file")
            cookies.update(
                {n: v for domain, n, v in read_cookie_file(path) if _domain_matches(domain, suffixes)}
            )
        else:
            cookies.update(parse_cookie_header(value))
        break
    return cookies


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
