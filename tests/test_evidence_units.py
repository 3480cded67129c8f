"""Evidence helpers without a browser: proxy names never carry secrets, the WARC keeps no cookies and
reads back, the band wraps long URLs, hostile targets are refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from evidence.capture import CaptureTarget, band_lines, proxy_settings, target_problem, write_banded
from evidence.warc import Exchange, read_records, responses, write_warc
from markwatch.errors import UserError


def test_proxy_name_has_no_credentials() -> None:
    settings, name = proxy_settings("http://alice:s3cret@proxy.example:3128")
    assert name == "http://proxy.example:3128" and "s3cret" not in name and "alice" not in name
    assert settings == {"server": name, "username": "alice", "password": "s3cret"}
    assert proxy_settings(None) == (None, "none (direct)")
    with pytest.raises(UserError, match="not a http"):
        proxy_settings("ftp://user:pw@host:21")


@pytest.mark.parametrize(
    ("platform", "url", "why"),
    [
        ("taobao", "file:///etc/passwd", "scheme 'file'"),
        ("taobao", "javascript:alert(1)", "scheme 'javascript'"),
        ("taobao", "http://127.0.0.1/item.htm", "host '127.0.0.1'"),
        ("taobao", "https://item.jd.com/1.html", "not one of taobao's own"),
        ("../../../tmp/x", "https://item.taobao.com/item.htm?id=1", "unknown platform"),
    ],
)
def test_hostile_targets_are_refused(platform: str, url: str, why: str) -> None:
    problem = target_problem(CaptureTarget(1, platform, "1", url))
    assert problem is not None and why in problem
    assert target_problem(CaptureTarget(1, "taobao", "1", "https://item.taobao.com/item.htm?id=1")) is None


def test_warc_keeps_no_cookies_and_reads_back(tmp_path: Path) -> None:
    at = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    page = Exchange(
        url="https://item.taobao.com/item.htm?id=1",
        method="GET",
        request_headers={"User-Agent": "x", "Cookie": "cookie2=secret"},
        status=200,
        status_text="OK",
        headers=[
            ("Content-Type", "text/html; charset=utf-8"),
            ("Set-Cookie", "t=secret"),
            ("Content-Encoding", "gzip"),
        ],
        body="<html>薇洛瑞亚</html>".encode(),
        at=at,
    )
    photo = Exchange("https://img.alicdn.com/a.jpg", "GET", {}, 200, "OK", [("Content-Type", "image/jpeg")],
                     b"\xff\xd8jpeg", at)  # fmt: skip
    path = tmp_path / "page.warc.gz"
    summary = write_warc(path, [page, photo], {"software": "test"})
    assert summary.records == 5 and summary.responses == 2
    raw = b"".join(r.content_stream().read() for _, _, r in read_records(path))
    assert b"secret" not in raw
    kinds = [k for k, _, _ in read_records(path)]
    assert kinds == ["warcinfo", "response", "request", "response", "request"]  # warcio writes pairs so
    got = responses(path)
    assert got[page.url].body.decode() == "<html>薇洛瑞亚</html>" and got[photo.url].body == b"\xff\xd8jpeg"
    headers = dict(got[page.url].headers)
    assert "Set-Cookie" not in headers and headers["X-Markwatch-Decoded"] == "gzip"


def test_band_wraps_a_long_url(tmp_path: Path) -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(buf, format="PNG")
    lines = band_lines("https://item.taobao.com/item.htm?id=" + "9" * 300, dt.datetime(2026, 11, 20),
                       "acct", "none (direct)", "a" * 64)  # fmt: skip
    height = write_banded(buf.getvalue(), lines, tmp_path / "s.png")
    with Image.open(tmp_path / "s.png") as img:
        assert img.size == (400, 300 + height)
    assert height > 4 * 24  # more lines than the four: the URL and the hash wrapped
