"""The crawler's side of evidence capture: the crawl's logged-in cookies for the capturing browser.

The capture itself lives in the :mod:`evidence` feature package; its names are re-exported here for
the code that still imports them from the crawler.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from evidence.capture import (
    CHROMIUM,
    Capture,
    Capturer,
    CaptureTarget,
    check_chromium,
    gone_reason,
    read_manifest,
    real_url,
    refusal,
    rewrite_origin,
    store_capture,
    verify,
)

__all__ = [
    "CHROMIUM",
    "Capture",
    "CaptureTarget",
    "Capturer",
    "check_chromium",
    "cookie_source",
    "gone_reason",
    "platform_cookies",
    "read_manifest",
    "real_url",
    "refusal",
    "rewrite_origin",
    "store_capture",
    "verify",
]


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


def cookie_source(environ: Mapping[str, str] | None = None) -> Any:
    """A :data:`evidence.capture.CookieSource`: the account's name (where its cookies come from), cookies."""
    env = os.environ if environ is None else environ

    def source(platform: str) -> tuple[str, list[dict[str, Any]]]:
        var = f"MARKWATCH_COOKIES_{platform.upper()}"
        name = var if env.get(var) else "MARKWATCH_COOKIES_FILE"
        return f"cookies from {name}", platform_cookies(platform, env)

    return source
