"""Optional rendering: with MARKWATCH_PLAYWRIGHT on, search pages go through scrapy-playwright and
Debian's Chromium, so cards a page builds in JavaScript are parsed (skipped without /usr/bin/chromium)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CARD = (Path(__file__).parent / "fixtures/weibo/search_cardwrap.html").read_text(encoding="utf-8")
CARDS = CARD[CARD.index('<div class="card-wrap"') : CARD.index('<div class="m-page">')]

#: The same cards, but written into the page by a script, as a single-page app would.
SCRIPTED = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>veloria - 微博搜索</title></head>
<body><div id="pl_feedlist_index"></div>
<script>document.getElementById("pl_feedlist_index").innerHTML = {json.dumps(CARDS)};</script>
</body></html>"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # launches Chromium: about 8 s
    pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed"),
]


class ScriptedPage(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = SCRIPTED.encode("utf-8")
        self.send_response(200 if self.path.startswith("/s.weibo.com/weibo") else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def scripted_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def crawl(site: str, out: Path, render: bool) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "weibo", "-a", "terms=veloria", "-a", "max_pages=1"]
    for setting in (
        f"MARKWATCH_SANDBOX_URL={site}",
        f"MARKWATCH_PLAYWRIGHT={render}",
        "MARKWATCH_PIPELINES=False",
        "MARKWATCH_SAVE_DIR=",
        "AUTOTHROTTLE_ENABLED=False",
        "DOWNLOAD_DELAY=0",
        "LOG_LEVEL=INFO",
    ):
        cmd += ["-s", setting]
    cmd += ["-O", f"{out}:jsonlines"]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_rendering_reads_cards_built_by_javascript(scripted_site: str, tmp_path: Path) -> None:
    plain = crawl(scripted_site, tmp_path / "plain.jsonl", render=False)
    assert plain.returncode == 0, plain.stderr[-2000:]
    assert (tmp_path / "plain.jsonl").read_text() == ""
    assert "'markwatch/weibo/outcome/layout-changed': 1" in plain.stderr
    rendered = crawl(scripted_site, tmp_path / "rendered.jsonl", render=True)
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    rows = [json.loads(line) for line in (tmp_path / "rendered.jsonl").read_text().splitlines()]
    assert [r["item_id"] for r in rows] == ["5012345678901234", "5012345678909999"]
    assert "'markwatch/weibo/outcome/ok': 1" in rendered.stderr
