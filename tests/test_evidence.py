"""Evidence capture in real Chromium (local pages), gone detection, hashes and ``evidence verify``."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crawler.cli import cli
from crawler.evidence import (
    CHROMIUM,
    Capturer,
    CaptureTarget,
    gone_reason,
    real_url,
    refusal,
    rewrite_origin,
)
from storage.exports import sha256_file, verify_tree
from storage.models import Evidence, Listing
from storage.review import set_status
from tests.test_review_helpers import add_listings, brand_row, ids_of, record, sqlite_db

__all__ = ["sqlite_db"]

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).is_file(), reason=f"Chromium not installed at {CHROMIUM}"
)

# A 1x1 red PNG, so the live page has a photo.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc0"
    "00000301010018dd8db00000000049454e44ae426082"
)

LIVE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>VELORIA 高仿手提包-淘宝网</title></head>
<body style="background:#fff"><h1 style="color:#c00">薇洛瑞亚 VELORIA 高仿 1:1 手提包</h1>
<img src="//img.alicdn.com/bao/uploaded/i1/bag.png" width="120" height="120"><p>价格 ¥299 加微信 v123</p>
<div style="height:1600px">长页面</div><p>页尾</p></body></html>"""
OFFSHELF = """<html><head><meta charset="utf-8"></head>
<body><div class="tb-off-sale">此宝贝已下架</div></body></html>"""


class _Platform(BaseHTTPRequestHandler):
    """Serves like the sandbox: https://<host>/<path> at /<host>/<path>."""

    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        path = self.path
        self.seen.append(f"{self.headers.get('Host', '')}{path}")
        if path.startswith("/item.htm?id=8") or path.startswith("/item.taobao.com/item.htm?id=7"):
            # a listing whose page sends the browser off the platform
            where = "http://evil.example.com/phish" if path.startswith("/item.htm") else "/evil.example.com/x"
            self.send_response(302)
            self.send_header("Location", where)
            self.end_headers()
        elif path.startswith("/item.taobao.com/item.htm?id=1"):
            self._send(200, LIVE.encode(), "text/html; charset=utf-8")
        elif path.startswith("/item.taobao.com/item.htm?id=2"):
            self._send(200, OFFSHELF.encode(), "text/html; charset=utf-8")
        elif path.startswith("/detail.tmall.com/item.htm?id=3"):
            self.send_response(302)
            self.send_header("Location", "/detail.tmall.com/auction/noitem.htm?itemid=3")
            self.end_headers()
        elif path.startswith("/detail.tmall.com/auction/noitem.htm"):
            self._send(
                200,
                "<html><body>很抱歉，您查看的商品找不到了！</body></html>".encode(),
                "text/html; charset=utf-8",
            )
        elif path.startswith("/item.jd.com/4.html"):
            self._send(404, b"<html><body>404</body></html>", "text/html")
        elif path.startswith("/img.alicdn.com/"):
            self._send(200, PIXEL, "image/png")
        elif path.startswith("/item.taobao.com/item.htm?id=6"):
            self.send_response(302)
            self.send_header("Location", "/login.taobao.com/member/login.jhtml?redirectURL=x")
            self.end_headers()
        elif path.startswith("/login.taobao.com/"):
            self._send(
                200,
                "<html><body>密码登录 会员名/邮箱/手机号</body></html>".encode(),
                "text/html; charset=utf-8",
            )
        elif path.startswith("/item.jd.com/5.html"):
            self._send(200, b"<html><body></body></html>", "text/html")
        else:
            self._send(404, f"sandbox: no route for GET {path}".encode(), "text/plain")

    def _send(self, code: int, body: bytes, ctype: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def fake_sandbox() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Platform)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


TARGETS = {
    "live": CaptureTarget(
        1, "taobao", "1", "https://item.taobao.com/item.htm?id=1", "VELORIA 高仿", "veloria-word"
    ),
    "offshelf": CaptureTarget(2, "taobao", "2", "https://item.taobao.com/item.htm?id=2"),
    "noitem": CaptureTarget(3, "tmall", "3", "https://detail.tmall.com/item.htm?id=3"),
    "404": CaptureTarget(4, "jd", "4", "https://item.jd.com/4.html"),
    "blank": CaptureTarget(5, "jd", "5", "https://item.jd.com/5.html"),
    "login": CaptureTarget(6, "taobao", "6", "https://item.taobao.com/item.htm?id=6"),
}


# --- pure helpers ----------------------------------------------------------------------------------------


def test_rewrite_origin_round_trip() -> None:
    url = "https://item.taobao.com/item.htm?id=42&ns=1"
    assert rewrite_origin(url, None) == url
    local = rewrite_origin(url, "http://127.0.0.1:8710/")
    assert local == "http://127.0.0.1:8710/item.taobao.com/item.htm?id=42&ns=1"
    assert real_url(local, "http://127.0.0.1:8710") == url
    assert rewrite_origin("https://item.jd.com", "http://x") == "http://x/item.jd.com/"


@pytest.mark.parametrize(
    ("status", "final", "text", "asked", "gone"),
    [
        (200, "https://item.taobao.com/item.htm?id=1", "VELORIA 手提包 ¥299", None, False),
        (404, "https://item.jd.com/4.html", "", None, True),
        (410, "https://weibo.com/1/abc", "", None, True),
        (200, "https://item.taobao.com/auction/noitem.htm?itemid=1", "", None, True),
        (200, "https://www.jd.com/?d", "京东首页", "https://item.jd.com/4.html", True),
        (200, "https://item.jd.com/4.html", "该商品已下柜，欢迎挑选其他商品！", None, True),
        (200, "https://detail.tmall.com/item.htm?id=3", "此商品已下架", None, True),
        (200, "https://weibo.com/1/abc", "抱歉，此微博已被作者删除。", None, True),
        (
            200,
            "https://weibo.com/sorry?pagenotfound&",
            "抱歉，你访问的页面地址有误",
            "https://weibo.com/1/abc",
            True,
        ),
        (200, "https://weibo.com/1/abc", "VELORIA 小皮鞋 加微信 v123 转发 评论 赞", None, False),
        (200, "https://item.taobao.com/item.htm?id=1", "宝贝详情 正品保证 不存在假货", None, False),
    ],
)
def test_gone_reason(status: int, final: str, text: str, asked: str | None, gone: bool) -> None:
    assert (gone_reason(status, final, text, requested_url=asked) is not None) is gone


def test_weibo_access_denied_page_is_a_refusal() -> None:
    # the 访问受限 of Weibo's page is only in its <title>; the body says this
    text = "您好： 当前访问因安全检测暂时受限，输入验证码后即可继续访问。 请输入上面验证码："
    assert refusal("https://weibo.com/1/abc", text) is not None
    assert refusal("https://weibo.com/1/abc", "VELORIA 小皮鞋 加微信") is None


def test_verify_tree_on_a_folder_without_manifest(tmp_path: Path) -> None:
    from markwatch.errors import UserError

    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(UserError, match=r"no manifest\.json"):
        verify_tree(tmp_path)
    result = CliRunner().invoke(cli, ["evidence", "verify", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "no such directory" in result.output


# --- real Chromium -----------------------------------------------------------------------------------------


@pytest.mark.browser
@needs_chromium
def test_capture_live_gone_and_failed(fake_sandbox: str, tmp_path: Path) -> None:
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    with Capturer(sandbox=fake_sandbox, timeout_ms=15000, actor="lin") as cap:
        got = {name: cap.capture(t, tmp_path) for name, t in TARGETS.items()}
    live = got["live"]
    assert live.state == "live" and live.http_status == 200 and live.directory is not None
    assert set(live.files) == {
        "screenshot.png",
        "page.html",
        "page.warc.gz",
        "video.webm",
        "capture-log.json",
    }
    for name, digest in live.files.items():
        assert sha256_file(live.directory / name) == digest
    manifest = json.loads((live.directory / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["listing"]["url"] == TARGETS["live"].url
    assert manifest["requested_url"].startswith(fake_sandbox)
    assert manifest["captured_at"].endswith("Z")
    captured = dt.datetime.fromisoformat(manifest["captured_at"][:-1])
    assert before <= captured <= dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert manifest["mark"] == "veloria-word" and manifest["captured_by"]["browser"].startswith("Chromium")
    assert sha256_file(live.directory / "manifest.json") == live.manifest_sha256
    assert "高仿" in (live.directory / "page.html").read_text(encoding="utf-8")
    # a full-page screenshot, not a blank one: taller than the viewport, with the red title and photo
    from PIL import Image

    with Image.open(live.directory / "screenshot.png") as img:
        assert img.height > 1600 and img.width >= 1280
        colours = img.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 10
        assert any(r > 180 and g < 60 and b < 60 for _, (r, g, b) in colours)  # the red photo pixel / title
    # gone pages are recorded as gone, with the reason
    assert got["offshelf"].state == "gone" and "已下架" in got["offshelf"].detail["gone"]
    assert got["noitem"].state == "gone" and "noitem" in got["noitem"].detail["gone"]
    assert got["404"].state == "gone" and got["404"].detail["gone"] == "HTTP 404"
    # a blank page is a failure, never evidence; no files are kept for it
    assert (
        got["blank"].state == "failed"
        and got["blank"].directory is None
        and "blank" in got["blank"].detail["error"]
    )
    # a login wall is a failure too, never evidence of anything
    assert got["login"].state == "failed" and "login" in got["login"].detail["error"]
    report = verify_tree(tmp_path)
    assert report.ok and report.manifests == 4


@pytest.mark.browser
@needs_chromium
def test_cli_capture_records_and_verify_catches_tampering(
    fake_sandbox: str, sqlite_db: Engine, tmp_path: Path
) -> None:
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        recs = [record("1"), record("2")]
        ids = ids_of(add_listings(s, bid, recs), recs)
        set_status(s, ids, "confirmed", actor="lin")
    out = tmp_path / "evidence"
    db = str(sqlite_db.url)
    args = ["evidence", "capture", "--brand", "veloria", "--actor", "lin", "--timeout", "15"]
    result = CliRunner().invoke(cli, ["--db", db, *args, "--out", str(out), "--sandbox", fake_sandbox])
    assert result.exit_code == 0, result.output
    assert "1 captured, 1 gone, 0 failed" in result.output
    with Session(sqlite_db) as s:
        rows = {e.listing_id: e for e in s.scalars(select(Evidence))}
        assert rows[ids[0]].state == "live" and rows[ids[1]].state == "gone"
        assert rows[ids[0]].actor == "lin" and rows[ids[0]].manifest_sha256
        assert rows[ids[0]].detail["mark"] == "veloria-word"
        gone = s.get(Listing, ids[1])
        assert gone is not None and gone.live is False and gone.gone_at is not None
        live_dir = Path(rows[ids[0]].directory)
    result = CliRunner().invoke(cli, ["evidence", "verify", str(out)])
    assert result.exit_code == 0, result.output
    assert "verify" in result.output
    html = live_dir / "page.html"
    html.write_text(html.read_text(encoding="utf-8").replace("¥299", "¥2990"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["evidence", "verify", str(out)])
    assert result.exit_code == 1
    assert f"CHANGED  {html.relative_to(out).as_posix()}" in result.output
    # a manifest rewritten to match passes on its own, but not against the hash recorded at capture
    manifest = live_dir / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["files"]["page.html"] = sha256_file(html)
    manifest.write_text(json.dumps(data), encoding="utf-8")
    assert CliRunner().invoke(cli, ["evidence", "verify", str(out)]).exit_code == 0
    result = CliRunner().invoke(cli, ["--db", db, "evidence", "verify", str(out), "--against-db"])
    assert result.exit_code == 1, result.output
    assert "1 manifest(s) matched the database" in result.output  # the gone capture's
    assert f"NOT IN DB {manifest.relative_to(out).as_posix()} (evidence-capture" in result.output
    # the package refuses the changed capture and writes nothing
    result = CliRunner().invoke(
        cli, ["--db", db, "takedown", "export", "--platform", "taobao", "--brand", "veloria", "--out",
              str(tmp_path / "pkg")]
    )  # fmt: skip
    assert result.exit_code == 2 and "changed since it was captured" in result.output
    assert not (tmp_path / "pkg").exists()


def test_capture_without_chromium_is_one_line(
    sqlite_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evidence.capture as ev

    monkeypatch.setattr(ev, "CHROMIUM", str(tmp_path / "no-chromium"))
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        ids = ids_of(add_listings(s, bid, [record("1")]), [record("1")])
        set_status(s, ids, "confirmed", actor="lin")
    result = CliRunner().invoke(
        cli, ["--db", str(sqlite_db.url), "evidence", "capture", "--out", str(tmp_path / "e")]
    )
    assert (
        result.exit_code == 2 and "Chromium not found" in result.output and "Traceback" not in result.output
    )


def test_capture_with_nothing_selected(sqlite_db: Engine, tmp_path: Path) -> None:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not installed at {CHROMIUM}")
    with Session(sqlite_db) as s, s.begin():
        brand_row(s)
    result = CliRunner().invoke(
        cli, ["--db", str(sqlite_db.url), "evidence", "capture", "--out", str(tmp_path / "e")]
    )
    assert result.exit_code == 2 and "no listing to capture" in result.output


@pytest.mark.browser
@needs_chromium
def test_a_page_that_breaks_mid_capture_keeps_no_files(
    fake_sandbox: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import Page

    def broken(*args: object, **kwargs: object) -> bytes:
        raise PlaywrightError("Target page, context or browser has been closed")

    monkeypatch.setattr(Page, "screenshot", broken)
    with Capturer(sandbox=fake_sandbox, timeout_ms=15000) as cap:
        got = cap.capture(TARGETS["live"], tmp_path)
    assert got.state == "failed" and got.directory is None and "closed" in got.detail["error"]
    assert list(tmp_path.iterdir()) == []


def test_captures_use_the_crawl_cookies(tmp_path: Path) -> None:
    from crawler.evidence import platform_cookies

    got = platform_cookies("tmall", {"MARKWATCH_COOKIES_TAOBAO": "cookie2=abc; _m_h5_tk=t_1"})
    assert {(c["name"], c["value"], c["domain"]) for c in got} == {
        ("cookie2", "abc", ".tmall.com"),
        ("_m_h5_tk", "t_1", ".tmall.com"),
        ("cookie2", "abc", ".taobao.com"),
        ("_m_h5_tk", "t_1", ".taobao.com"),
    }
    assert platform_cookies("jd", {}) == []


@pytest.mark.browser
@needs_chromium
def test_a_page_that_leaves_the_platform_is_not_captured(
    fake_sandbox: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evidence.capture as ev

    # through the sandbox: the redirect lands on another host's path
    with Capturer(sandbox=fake_sandbox, timeout_ms=15000) as cap:
        got = cap.capture(CaptureTarget(7, "taobao", "7", "https://item.taobao.com/item.htm?id=7"), tmp_path)
    assert got.state == "failed" and "went off the platform" in got.detail["error"] and got.directory is None
    # without the sandbox (the platform's hosts mapped to the local server): the tab never goes there
    port = fake_sandbox.rsplit(":", 1)[1]
    # (the real rule EXCLUDEs the platforms' hosts from a MAP * ~NOTFOUND, which would also exclude
    # them from a test mapping; this one maps the platform host here and every other name to nowhere)
    rules = f"--host-resolver-rules=MAP item.taobao.com:80 127.0.0.1:{port}, MAP * ~NOTFOUND"
    monkeypatch.setattr(ev, "resolver_rules", lambda: rules)
    _Platform.seen.clear()
    with Capturer(timeout_ms=15000) as cap:
        got = cap.capture(CaptureTarget(8, "taobao", "8", "http://item.taobao.com/item.htm?id=8"), tmp_path)
    assert got.state == "failed" and "http://evil.example.com/phish" in got.detail["error"]
    assert _Platform.seen and not any("phish" in p for p in _Platform.seen)
    assert list(tmp_path.iterdir()) == []


def test_resolver_rules_let_only_platform_hosts_resolve() -> None:
    from evidence.capture import resolver_rules
    from markwatch.platforms import REGISTRY

    rules = resolver_rules()
    assert rules.startswith("--host-resolver-rules=MAP * ~NOTFOUND, ")
    for p in REGISTRY.values():
        for d in p.own_domains:
            assert f"EXCLUDE {d}," in rules + "," and f"EXCLUDE *.{d}" in rules
    assert "example" not in rules and "127.0.0.1" not in rules
