"""Replay a capture offline: its page in Chromium with every request answered from its WARC.

Nothing reaches the network: every request is routed (archived → served, anything else → aborted and
counted), and Chromium's host resolver is told that no name exists, so a request that slipped past the
routing would fail too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence.capture import CHROMIUM, VIEWPORT, check_chromium
from evidence.warc import WARC, responses
from markwatch.errors import UserError
from storage.exports import MANIFEST

OFFLINE_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
)
FORWARDED = frozenset({"content-type", "content-language", "location", "cache-control", "last-modified"})


def _other_scheme(url: str) -> str:
    """The same URL over the other scheme: a page archived over http (the sandbox) asks for its
    ``//host/…`` photos over https when replayed at its https address."""
    if url.startswith("https://"):
        return "http://" + url[len("https://") :]
    if url.startswith("http://"):
        return "https://" + url[len("http://") :]
    return url


@dataclass
class Replay:
    url: str
    served: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    title: str = ""
    text: str = ""


def replay(directory: Path, *, screenshot: Path | None = None, executable: str | None = None) -> Replay:
    """Open the capture in ``directory`` from its WARC alone; optionally save what it shows."""
    warc = directory / WARC
    if not warc.is_file():
        raise UserError(f"{directory}: no {WARC} (a capture made before web archives, or not a capture)")
    try:
        manifest: dict[str, Any] = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UserError(f"{directory}: no readable {MANIFEST}") from None
    archive = responses(warc)
    url = str(manifest.get("loaded_url") or manifest.get("listing", {}).get("url") or "")
    if url not in archive:
        url = next(iter(archive), "")
    if not url:
        raise UserError(f"{warc}: the archive holds no response")
    executable = executable or CHROMIUM
    check_chromium(executable)
    result = Replay(url=url)

    def answer(route: Any) -> None:
        req_url = route.request.url
        hit = archive.get(req_url) or archive.get(_other_scheme(req_url))
        if hit is None:
            result.blocked.append(req_url)
            route.abort("blockedbyclient")
            return
        result.served.append(req_url)
        headers = {k: v for k, v in hit.headers if k.lower() in FORWARDED}
        route.fulfill(status=hit.status or 200, headers=headers, body=hit.body)

    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=list(OFFLINE_ARGS), headless=True)
        try:
            context = browser.new_context(
                viewport={"width": VIEWPORT["width"], "height": VIEWPORT["height"]},
                locale="zh-CN",
                service_workers="block",
            )
            context.route("**/*", answer)
            page = context.new_page()
            try:
                page.goto(url, wait_until="load", timeout=30_000)
            except PlaywrightError as exc:
                raise UserError(f"the archived page does not open: {str(exc).splitlines()[0]}") from None
            result.title = page.title()
            result.text = page.inner_text("body") if page.query_selector("body") else ""
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return result
