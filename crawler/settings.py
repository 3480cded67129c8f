"""Scrapy settings for markwatch: polite defaults for the real platforms.

``scrapy.cfg`` points here. The project's own settings are ``MARKWATCH_*`` constants, each with a
one-line comment; they can be overridden per crawl (``-s NAME=value``, or the crawl command). Against
the sandbox apply :data:`MARKWATCH_SANDBOX_OVERRIDES` (full speed, no AutoThrottle).
"""

from __future__ import annotations

import os
from typing import Any

BOT_NAME = "markwatch"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# --- markwatch's own settings --------------------------------------------------------------------

#: Origin of the local replay server; when set, https://<host>/<path> is fetched from <this>/<host>/<path>.
MARKWATCH_SANDBOX_URL: str | None = os.environ.get("MARKWATCH_SANDBOX_URL") or None
#: Which routes the spiders take by default: "today" (what the platforms serve now) or "legacy" (the
#: retired pages: saved pages, the legacy sandbox). A spider's own ``-a path=`` wins.
MARKWATCH_PATH: str = os.environ.get("MARKWATCH_PATH") or "today"
#: Folder where pages that were refused or whose layout changed are saved for inspection.
MARKWATCH_SAVE_DIR = os.environ.get("MARKWATCH_SAVE_DIR", "markwatch-pages")
#: One cookie file (Netscape cookies.txt or a browser-extension JSON export) for all platforms.
MARKWATCH_COOKIES_FILE: str | None = os.environ.get("MARKWATCH_COOKIES_FILE") or None
#: Taobao cookies: a "k=v; k2=v2" header string or a path to a cookie file (env var of the same name).
MARKWATCH_COOKIES_TAOBAO: str | None = os.environ.get("MARKWATCH_COOKIES_TAOBAO") or None
#: Tmall cookies, same forms; falls back to the Taobao cookies (one Alibaba login serves both).
MARKWATCH_COOKIES_TMALL: str | None = os.environ.get("MARKWATCH_COOKIES_TMALL") or None
#: JD cookies (thor, pin…), same forms.
MARKWATCH_COOKIES_JD: str | None = os.environ.get("MARKWATCH_COOKIES_JD") or None
#: Weibo cookies (SUB, SUBP…) of a logged-in weibo.com session, same forms.
MARKWATCH_COOKIES_WEIBO: str | None = os.environ.get("MARKWATCH_COOKIES_WEIBO") or None
#: How many times a 429/503 answer is retried (after Retry-After or exponential back-off) before giving up.
MARKWATCH_THROTTLE_RETRIES = 3
#: First back-off in seconds when a 429/503 carries no Retry-After; doubles on each retry.
MARKWATCH_BACKOFF_BASE = 10.0
#: Longest wait in seconds honoured from a Retry-After header or the back-off.
MARKWATCH_BACKOFF_MAX = 300.0
#: Render search pages in Debian's Chromium via scrapy-playwright (off; env MARKWATCH_PLAYWRIGHT=1).
MARKWATCH_PLAYWRIGHT = os.environ.get("MARKWATCH_PLAYWRIGHT", "") in ("1", "true", "yes")
#: The Chromium binary Playwright launches when rendering is on.
MARKWATCH_CHROMIUM = os.environ.get("MARKWATCH_CHROMIUM", "/usr/bin/chromium")
#: Folder of the account profiles and accounts.json (default: ~/.local/share/markwatch/accounts).
MARKWATCH_ACCOUNTS_DIR: str | None = os.environ.get("MARKWATCH_ACCOUNTS_DIR") or None
#: Accounts a crawl may use, in order (empty: every logged-in profile, then the pasted cookies).
MARKWATCH_ACCOUNTS: list[str] = []
#: Platforms fetched in Chromium: auto (Taobao, Tmall, JD), all, off, or names (env MARKWATCH_BROWSER).
MARKWATCH_BROWSER = os.environ.get("MARKWATCH_BROWSER", "auto")
#: A Chromium window for the browser path (None: when a display is set); a person solves sliders there.
MARKWATCH_BROWSER_WINDOW: bool | None = None
#: Accounts of one platform used at once (one browser context each).
MARKWATCH_BROWSER_CONTEXTS = 1
#: shared: the crawl's accounts are contexts of one Chromium, each with its profile's saved session
#: (cookies, local storage); persistent: one Chromium per account on its profile folder (more memory).
MARKWATCH_BROWSER_PROFILES = "shared"
#: Pages open at once in one account's browser context (the real platforms' politeness asks for one).
MARKWATCH_BROWSER_TABS = 4
#: Longest wait, in seconds, for a page's own API calls to be answered.
MARKWATCH_BROWSER_SETTLE = 15.0
#: Seconds an account rests after a refusal (slider, RGV587, 605, 432…) before it is used again.
MARKWATCH_COOLDOWN = 1800.0
#: Stop a platform's crawl at its first refused search page instead of asking again (polite).
MARKWATCH_STOP_ON_REFUSAL = True
#: Settings applied on top of these when crawling the sandbox: full speed, no politeness delays.
MARKWATCH_SANDBOX_OVERRIDES: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
    "MARKWATCH_BACKOFF_BASE": 0.05,
    "MARKWATCH_BACKOFF_MAX": 2.0,
    "DOWNLOAD_SLOTS": {},
    "MARKWATCH_PHOTO_SLOT": {"concurrency": 32, "delay": 0},
}

# --- politeness for the real platforms -----------------------------------------------------------

# The platforms' robots.txt shut out every crawler, including a rights holder's monitoring of its own
# marks; markwatch keeps to one request at a time per site, seconds apart, instead.
ROBOTSTXT_OBEY = False
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.6",
}
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 5
DOWNLOAD_DELAY_JITTER = 0.5  # ±50 % around DOWNLOAD_DELAY
DOWNLOAD_TIMEOUT = 30
# Items in the pipelines at once, per response. Photos download faster than they are scored; with
# Scrapy's default (100) thousands of items and their photos piled up in memory (bench_crawl: peak RSS
# 400-450 MB, scoring in-process); at 10, about 320 MB at the same speed (now, with scoring in a
# worker process: 205-220 MB for the crawler, 365-380 MB with the worker).
CONCURRENT_ITEMS = 10
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 5
AUTOTHROTTLE_MAX_DELAY = 60
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# Weibo search is slower still (dataabc/weibo-search uses 10 s); its requests keep this fixed delay
# (spiders/weibo.py sets autothrottle_dont_adjust_delay). The sandbox's 127.0.0.1 slot is unaffected.
DOWNLOAD_SLOTS = {
    "s.weibo.com": {"delay": 10, "concurrency": 1},
    "m.weibo.cn": {"delay": 10, "concurrency": 1},
}
#: Photos come from the platforms' image CDNs (img.alicdn.com, img*.360buyimg.com, wx*.sinaimg.cn),
#: which serve a browser dozens of pictures per search page over six connections: one download slot
#: per platform (``photos:<platform>``) with this concurrency and no delay. The search pages'
#: DOWNLOAD_DELAY would fetch one photo every 5 s (Scrapy sends one request per delay, whatever the
#: concurrency), and a page's 44 photos would take minutes.
MARKWATCH_PHOTO_SLOT: dict[str, Any] = {"concurrency": 4, "delay": 0}
# 429 and 503 are handled by crawler.middlewares.RefusalMiddleware (Retry-After, back-off, report).
RETRY_HTTP_CODES = [500, 502, 504, 522, 524, 408]
RETRY_TIMES = 2
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    # picks the account of each request, the browser path, cool-down and rotation (crawler/browser.py)
    "crawler.browser.AccountsMiddleware": 640,
    # before Scrapy's CookiesMiddleware (700): adds the platform's cookies to each request
    "crawler.middlewares.PlatformCookiesMiddleware": 690,
    # sees raw 3xx before RedirectMiddleware (600) and 429/503 before RetryMiddleware (550)
    "crawler.middlewares.RefusalMiddleware": 650,
    # closest to the downloader: rewrites real URLs to the sandbox and maps answers back
    "crawler.middlewares.SandboxMiddleware": 950,
}

if MARKWATCH_PLAYWRIGHT:  # optional JavaScript rendering (scrapy-playwright), off by default
    DOWNLOAD_HANDLERS = {
        "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
        "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
    }
    PLAYWRIGHT_BROWSER_TYPE = "chromium"
    PLAYWRIGHT_LAUNCH_OPTIONS = {"executable_path": MARKWATCH_CHROMIUM, "headless": True}

# --- markwatch's pipelines: one add-on (crawler/addon.py) ----------------------------------------

ADDONS = {"crawler.addon.MarkwatchAddon": 0}
#: Database the store pipeline writes to (default: sqlite:///markwatch.db; env MARKWATCH_DB).
MARKWATCH_DB: str | None = os.environ.get("MARKWATCH_DB") or None
#: Crawl-run id the store pipeline records under; set by `markwatch crawl`, created when absent.
MARKWATCH_RUN_ID: int | None = None
#: Where listing photos are downloaded (Scrapy's media pipeline); empty turns photo downloads off.
MARKWATCH_PHOTOS_DIR = os.environ.get("MARKWATCH_PHOTOS_DIR", "markwatch-photos")
#: How many photos of each listing are downloaded and hashed.
MARKWATCH_MAX_IMAGES = 3
#: Listings stored per database transaction.
MARKWATCH_STORE_BATCH = 500
#: Processes that score listings beside the crawl (crawler/scoring.py), ~160 MB each; unset: one
#: with two CPUs or more; 0: score in the crawler's own process (env MARKWATCH_SCORE_WORKERS).
MARKWATCH_SCORE_WORKERS: str | None = os.environ.get("MARKWATCH_SCORE_WORKERS") or None
#: Run markwatch's item pipelines at all (False: spiders only, e.g. for `markwatch parse`-style checks).
MARKWATCH_PIPELINES = True
#: Store listings in the database (False: validate, dedupe, photos and scoring only).
MARKWATCH_STORE = True
