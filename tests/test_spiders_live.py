"""A real ``scrapy crawl`` against a tiny local server laid out like the sandbox (``/<host>/<path>``):
the origin rewrite, a login redirect to the real login host, 429 + Retry-After, and the export of
Listing items — end to end, in a subprocess (Twisted's reactor cannot restart inside pytest)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"


class FakePlatform(BaseHTTPRequestHandler):
    hits: ClassVar[dict[str, int]] = {}

    def log_message(self, *args: object) -> None:  # keep the test output quiet
        pass

    def send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        key = f"{parts.path}?s={q.get('s', '')}"
        self.hits[key] = self.hits.get(key, 0) + 1
        page = (FIXTURES / "taobao/search_gbk.html").read_bytes()
        if parts.path == "/s.taobao.com/search":
            offset = q.get("s", "0")
            if offset == "44":
                target = "https://login.taobao.com/member/login.jhtml?redirectURL=http%3A%2F%2Fs.taobao.com%2Fsearch"
                return self.send(302, headers={"Location": target})
            if offset == "88" and self.hits[key] == 1:
                return self.send(429, b"slow down", {"Retry-After": "0"})
            return self.send(200, page, {"Content-Type": "text/html; charset=gbk"})
        if parts.path.startswith("/login.taobao.com/"):
            return self.send(200, b"<html><title>login</title></html>", {"Content-Type": "text/html"})
        self.send(404, f"no route {parts.path}".encode())


@pytest.fixture
def fake_platform() -> Iterator[str]:
    FakePlatform.hits = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePlatform)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_crawl_through_the_sandbox_rewrite(fake_platform: str, tmp_path: Path) -> None:
    out = tmp_path / "items.jsonl"
    cmd = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "taobao",
        "-a",
        "terms=veloria",
        "-a",
        "max_pages=3",
        "-s",
        f"MARKWATCH_SANDBOX_URL={fake_platform}",
        "-s",
        f"MARKWATCH_SAVE_DIR={tmp_path / 'pages'}",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "MARKWATCH_BACKOFF_BASE=0",
        "-s",
        "LOG_LEVEL=INFO",
        "-s",
        "MARKWATCH_PIPELINES=False",  # spiders only; the pipelines have their own tests
        "-s",
        "MARKWATCH_STOP_ON_REFUSAL=False",  # page 3 is fetched after page 2 was refused, in any order
        "-O",
        f"{out}:jsonlines",
    ]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 6  # pages 1 and 3 (after one 429) each list three auctions; page 2 is refused
    assert {r["item_id"] for r in rows} == {"600000000001", "600000000002", "600000000003"}
    assert all(r["url"].startswith(("https://item.taobao.com/", "https://detail.tmall.com/")) for r in rows)
    assert sorted({r["page"] for r in rows}) == [1, 3]
    log = done.stderr
    assert "'markwatch/taobao/refused/login': 1" in log
    assert "'markwatch/taobao/pages': 3" in log and "'markwatch/throttle/retries': 1" in log
    assert FakePlatform.hits.get("/s.taobao.com/search?s=88") == 2
    assert not any(k.startswith("/login.taobao.com") for k in FakePlatform.hits)  # the wall is not followed
    saved = list((tmp_path / "pages" / "taobao").glob("*refused-login*.html"))
    assert len(saved) == 1
