"""Log an account in: the platform's login page in Debian's Chromium with the account's own profile.

With a display the page opens in a window and the person logs in there. Without one the QR code is
saved as a PNG (and printed in the terminal) for the phone app to scan; either way markwatch waits
until the platform's login cookie appears in the profile, or gives up after ``timeout`` seconds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from markwatch.accounts import (
    Account,
    AccountStore,
    check_name,
    check_platform,
    check_proxy,
    cookie_domains,
    login_state,
    playwright_proxy,
    sandbox_host,
)
from markwatch.errors import UserError
from markwatch.platforms import REGISTRY

#: Debian's Chromium (Playwright's own browser download does not work here).
DEFAULT_CHROMIUM = "/usr/bin/chromium"

#: Script that finds the login page's QR code: the largest square picture (img, canvas, svg) whose
#: own or an ancestor's id, class, alt or src says "qr"; else the largest square picture of 100 px+.
FIND_QR = """() => {
  const pics = [...document.querySelectorAll('img, canvas, svg')];
  const says = (el) => {
    for (let e = el, i = 0; e && i < 4; e = e.parentElement, i++) {
      const words = [e.id, e.getAttribute && e.getAttribute('class'), e.getAttribute && e.getAttribute('alt'),
                     e.getAttribute && e.getAttribute('src')].join(' ');
      if (/qr/i.test(words)) return true;
    }
    return false;
  };
  let best = null, bestScore = 0;
  for (const el of pics) {
    const r = el.getBoundingClientRect();
    if (r.width < 60 || Math.abs(r.width - r.height) > r.width * 0.1) continue;
    const score = r.width * r.height * (says(el) ? 10 : 1);
    if ((says(el) || r.width >= 100) && score > bestScore) { best = el; bestScore = score; }
  }
  if (!best) return null;
  best.setAttribute('data-markwatch-qr', '1');
  return true;
}"""


def has_display() -> bool:
    """True when a window can be opened (an X11 or Wayland display is set)."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def chromium_path() -> str:
    path = os.environ.get("MARKWATCH_CHROMIUM", DEFAULT_CHROMIUM)
    if not Path(path).is_file():
        raise UserError(
            f"Chromium not found at {path}: install it (apt-get install chromium) or set MARKWATCH_CHROMIUM"
        )
    return path


def launch_options(headless: bool, proxy: str | None = None) -> dict[str, Any]:
    """Options for ``launch_persistent_context`` / ``launch`` shared by login and crawl."""
    options: dict[str, Any] = {
        "executable_path": chromium_path(),
        "headless": headless,
        "locale": "zh-CN",
        "args": ["--disable-dev-shm-usage", "--no-first-run", "--password-store=basic"],
    }
    if proxy:
        options["proxy"] = playwright_proxy(proxy)
    return options


def login_url(platform: str, sandbox_url: str | None) -> str:
    url = REGISTRY[platform].login_url
    if sandbox_url:
        # as crawler.middlewares.to_sandbox, without importing it: it imports Twisted's reactor, and
        # the demo logs in before its crawl installs the asyncio one
        parts = urlsplit(url)
        query = f"?{parts.query}" if parts.query else ""
        return f"{sandbox_url.rstrip('/')}/{parts.netloc}{parts.path or '/'}{query}"
    return url


@dataclass
class LoginResult:
    account: Account
    seconds: float
    qr_png: Path | None


def login(
    store: AccountStore,
    platform: str,
    name: str,
    *,
    proxy: str | None = None,
    sandbox_url: str | None = None,
    timeout: float = 300.0,
    window: bool | None = None,
    qr_png: Path | None = None,
    on_qr: Callable[[Path], None] | None = None,
    say: Callable[[str], None] = print,
) -> LoginResult:
    """Open the login page in the account's profile and wait for the login cookie.

    ``window`` None: a window when there is a display. Headless, the QR code is written to ``qr_png``
    (default ``<root>/<platform>/<name>.qr.png``) and ``on_qr(path)`` is called (the terminal print,
    or a test that "scans" it). Raises :class:`UserError` (one line) on time-out.
    """
    check_platform(platform)
    check_name(name)
    proxy = check_proxy(proxy)
    profile = store.profile_dir(platform, name)
    profile.mkdir(parents=True, exist_ok=True, mode=0o700)
    headless = not (has_display() if window is None else window)
    host = sandbox_host(sandbox_url)
    url = login_url(platform, sandbox_url)
    start = time.monotonic()
    shot: Path | None = None
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        try:
            context = pw.chromium.launch_persistent_context(str(profile), **launch_options(headless, proxy))
        except PlaywrightError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            raise UserError(f"Chromium did not start for {platform}/{name}: {first}") from None
        try:
            page = context.pages[0] if context.pages else context.new_page()
            try:
                page.goto(url, wait_until="domcontentloaded", timeout=60_000)
            except PlaywrightError as exc:
                raise UserError(f"cannot open {url}: {str(exc).splitlines()[0]}") from None
            if headless:
                shot = qr_png or (profile.parent / f"{name}.qr.png")
                save_qr(page, shot)
                if on_qr is not None:
                    on_qr(shot)
            else:
                label = REGISTRY[platform].label
                say(f"log in to {label} in the window that opened (waiting {timeout:.0f} s)")
            deadline = start + timeout
            logged_in, expiry = False, None
            while time.monotonic() < deadline:
                cookies = [
                    (str(c.get("domain", "")), str(c.get("name", "")), _expiry(c.get("expires")))
                    for c in context.cookies()
                ]
                logged_in, expiry = login_state(platform, cookies, host)
                if logged_in:
                    break
                page.wait_for_timeout(500)
            if logged_in:
                keep_session_cookies(context, cookie_domains(platform, host))
                page.wait_for_timeout(300)  # let Chromium write the cookie file
                from crawler.browser import session_file

                state = session_file(profile)
                context.storage_state(path=str(state))
                state.chmod(0o600)
        finally:
            context.close()
    seconds = time.monotonic() - start
    if not logged_in:
        raise UserError(
            f"no login for {platform}/{name} after {timeout:.0f} s (no login cookie appeared): "
            f"run `markwatch login {platform} --account {name}` again and scan the code in time"
        )
    existing = store.get(platform, name)
    account = store.update(
        platform,
        name,
        kind="profile",
        proxy=proxy if proxy is not None else (existing.proxy if existing else None),
        sandbox=bool(sandbox_url),
        logged_in=True,
        cookie_expiry=expiry,
        checked_at=time.time(),
        cooling_until=None,
    )
    return LoginResult(account, seconds, shot)


#: How long markwatch keeps a login's session cookies in the profile (the platform still decides
#: whether the session is valid; a crawl that meets its login page marks the account logged out).
KEEP_SESSION_DAYS = 30


def keep_session_cookies(context: Any, domains: tuple[str, ...]) -> int:
    """Store the platform's session cookies (no expiry) with one, so the profile keeps the login
    between browser starts (Chromium drops session cookies when it starts again). Returns how many."""
    until = time.time() + KEEP_SESSION_DAYS * 86400
    kept = []
    for c in context.cookies():
        host = str(c.get("domain", "")).lstrip(".").lower()
        on_platform = any(host == d or host.endswith("." + d) for d in domains)
        if on_platform and float(c.get("expires", -1) or -1) <= 0:
            kept.append({**c, "expires": until})
    if kept:
        context.add_cookies(kept)
    return len(kept)


def _expiry(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def save_qr(page: Any, path: Path) -> None:
    """Screenshot the page's QR code (the whole page when none is found) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    found = False
    for _ in range(40):  # the code is often drawn by script after the page loads
        if page.evaluate(FIND_QR):
            found = True
            break
        page.wait_for_timeout(250)
    if found:
        page.locator("[data-markwatch-qr]").first.screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=True)


def scan_in_sandbox(sandbox_url: str, platform: str, account: str) -> Callable[[Path], None]:
    """An ``on_qr`` that "scans" the sandbox's QR code as ``account`` through its test hook
    (``POST /_sandbox/login/scan``): how the demo, the tests and the benchmark log in unattended."""
    from urllib.parse import urlencode
    from urllib.request import Request, urlopen

    def scan(_png: Path) -> None:
        query = urlencode({"platform": platform, "account": account})
        url = f"{sandbox_url.rstrip('/')}/_sandbox/login/scan?{query}"
        with urlopen(Request(url, method="POST"), timeout=10) as answer:
            answer.read()

    return scan


def sandbox_login(
    store: AccountStore, sandbox_url: str, platform: str, name: str, timeout: float = 60.0
) -> LoginResult:
    """Log ``platform``'s account ``name`` in to the sandbox (headless, QR scanned by the hook)."""
    return login(
        store,
        platform,
        name,
        sandbox_url=sandbox_url,
        timeout=timeout,
        window=False,
        on_qr=scan_in_sandbox(sandbox_url, platform, name),
        say=lambda _line: None,
    )
