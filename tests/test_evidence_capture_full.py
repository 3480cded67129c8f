"""A full capture of a sandbox listing in real Chromium: the band on the screenshot, the WARC's records
(the page and its photos), the video, the capture log, the run's timestamp from a local TSA, and
``evidence show --replay`` with the sandbox stopped and the network off. Hostile listings are refused."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crawler.cli import cli
from evidence.capture import BAND_BG, CHROMIUM, Capturer, CaptureTarget
from evidence.warc import read_records, responses
from storage.exports import sha256_file
from storage.models import Evidence, Listing
from storage.review import set_status
from tests._tsa import OPENSSL, make_ca, serve_tsa
from tests.test_review_helpers import add_listings, brand_row, ids_of, record, sqlite_db

__all__ = ["sqlite_db"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason=f"Chromium not installed at {CHROMIUM}"),
    pytest.mark.skipif(OPENSSL is None, reason="the openssl CLI is not installed"),
]


def _sandbox_item() -> tuple[str, dict[str, object]]:
    from sandbox import serve

    with serve(seed=1, size=50) as sb:
        row = next(r for r in sb.truth(brand="veloria") if r["platform"] == "taobao")
    return str(row["item_id"]), row


def test_full_capture_of_a_sandbox_listing(sqlite_db: Engine, tmp_path: Path) -> None:
    from sandbox import serve

    ca = make_ca(tmp_path / "ca")
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        with serve(seed=1, size=50) as sb0:
            item = next(r for r in sb0.truth(brand="veloria") if r["platform"] == "taobao")
        recs = [record(str(item["item_id"])), record("2"), record("3"), record("4"), record("5")]
        ids = ids_of(add_listings(s, bid, recs), recs)
        set_status(s, ids, "confirmed", actor="lin")
        # hostile listings: never opened, never exported, never a folder outside --out
        for lid, url in zip(
            ids[1:4], ("file:///etc/passwd", "http://127.0.0.1/admin", "javascript:alert(1)"), strict=True
        ):
            s.execute(update(Listing).where(Listing.id == lid).values(url=url))
        s.execute(update(Listing).where(Listing.id == ids[4]).values(platform="../../../tmp/x"))
    db = str(sqlite_db.url)
    out = tmp_path / "evidence"
    env = {"MARKWATCH_TSA_CA": str(ca.ca)}
    with serve(seed=1, size=50) as sb, serve_tsa(ca) as tsa_url:
        env["MARKWATCH_TSA_URL"] = tsa_url
        args = ["--db", db, "evidence", "capture", *map(str, ids), "--sandbox", sb.url, "--out", str(out)]
        result = CliRunner().invoke(cli, [*args, "--account", "analyst-1", "--timeout", "30"], env=env)
        sandbox_url = sb.url
    assert result.exit_code == 0, result.output
    assert "1 captured, 0 gone, 0 failed, 4 refused" in result.output
    for lid, why in zip(
        ids[1:],
        (
            "scheme 'file'",
            "host '127.0.0.1' is not one of taobao's own",
            "scheme 'javascript'",
            "unknown platform",
        ),
        strict=True,
    ):
        assert f"listing {lid}: not captured: " in result.output and why in result.output
    assert "timestamped 1 capture(s)" in result.output
    assert [p.name for p in out.iterdir()] == [next(out.iterdir()).name]
    assert not Path("/tmp/x").exists() or not any(Path("/tmp/x").glob("*Z"))
    with Session(sqlite_db) as s:
        ev = s.scalars(select(Evidence)).one()
        assert ev.listing_id == ids[0] and ev.state == "live" and ev.detail["timestamp"]["tsa_url"] == tsa_url
    d = Path(ev.directory)
    assert d.parent == out.resolve() and d.name.startswith(f"L{ids[0]}-")
    expected = {
        "screenshot.png",
        "page.html",
        "page.warc.gz",
        "video.webm",
        "capture-log.json",
        "manifest.json",
    }
    assert expected | {"timestamp.tsr", "timestamp.json", "tsa-ca.pem"} == {p.name for p in d.iterdir()}
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))

    # the band: its text in the manifest, and drawn above the page in the screenshot
    band = manifest["band"]
    url = str(item["url"])
    assert band[0] == f"URL (as loaded): {url}"
    assert band[1].startswith(f"Captured (UTC): {manifest['captured_at'][:10]} ")
    assert "Account: analyst-1" in band[2] and "Proxy: none (direct)" in band[2]
    assert band[3] == f"SHA-256 of page.html: {sha256_file(d / 'page.html')}"
    from PIL import Image

    height = manifest["band_height"]
    with Image.open(d / "screenshot.png") as img:
        rgb = img.convert("RGB")
    assert rgb.width == 1280 and rgb.height > height + 600
    band_px = [rgb.getpixel((x, y)) for y in range(height) for x in range(0, rgb.width, 4)]
    dark = sum(1 for p in band_px if p == BAND_BG) / len(band_px)
    white = sum(1 for p in band_px if p == (255, 255, 255))
    assert dark > 0.8 and white > 50  # a dark band with text on it
    below = [rgb.getpixel((x, height + 2)) for x in range(0, rgb.width, 4)]
    assert sum(1 for p in below if p == BAND_BG) / len(below) < 0.5  # the page starts under it

    # the WARC: the page and its photos, each response with its request
    kinds = [(k, u) for k, u, _ in read_records(d / "page.warc.gz")]
    assert kinds[0][0] == "warcinfo"
    archived = responses(d / "page.warc.gz")
    assert url in archived and str(item["title"]) in archived[url].body.decode("utf-8")
    photos = [
        u
        for u, r in archived.items()
        if any(k.lower() == "content-type" and v.startswith("image/") for k, v in r.headers)
    ]
    assert photos and all("alicdn.com" in u or "taobao" in u for u in photos)
    assert sum(1 for k, _ in kinds if k == "request") == sum(1 for k, _ in kinds if k == "response")
    assert manifest["warc"]["responses"] == len([k for k, _ in kinds if k == "response"])
    assert manifest["redirects"][-1] == {"url": url, "status": 200}

    # the video: a WebM of a few seconds
    video = (d / "video.webm").read_bytes()
    assert video[:4] == b"\x1a\x45\xdf\xa3" and len(video) > 2000
    if shutil.which("ffprobe"):
        cmd = ["ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=nb_read_frames"]
        cmd += ["-of", "json", str(d / "video.webm")]
        probe = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=60)
        assert int(json.loads(probe.stdout)["streams"][0]["nb_read_frames"]) >= 5

    # the capture log
    log = json.loads((d / "capture-log.json").read_text(encoding="utf-8"))
    assert log["browser"].startswith("Chromium ") and "Mozilla/5.0" in log["user_agent"]
    assert log["viewport"] == {"width": 1280, "height": 900} and log["cookies_at_start"] == []
    assert "system clock" in log["time_source"] and log["account"] == "analyst-1"
    assert any(sandbox_url in n["url"] for n in log["navigations"])

    # verify: files, tree and token
    result = CliRunner().invoke(
        cli, ["--db", db, "evidence", "verify", str(out), "--against-db", "--ca", str(ca.ca)]
    )
    assert result.exit_code == 0, result.output
    assert "1 timestamp(s) verify" in result.output

    # replay with the sandbox stopped and the network off
    shot = tmp_path / "replay.png"
    result = CliRunner().invoke(
        cli, ["--db", db, "evidence", "show", str(ev.id), "--replay", "--screenshot", str(shot)]
    )
    assert result.exit_code == 0, result.output
    assert f"replayed {url} offline" in result.output
    served = int(result.output.split(" response(s) from the WARC")[0].rsplit(" ", 1)[1])
    assert served >= 1 + len(photos)
    assert str(item["title"])[:6] in result.output
    with Image.open(shot) as img:
        assert img.height > 600


@pytest.mark.browser
def test_plain_capture_keeps_todays_files(tmp_path: Path) -> None:
    from sandbox import serve

    with serve(seed=1, size=50) as sb:
        row = next(r for r in sb.truth(brand="veloria") if r["platform"] == "taobao")
        target = CaptureTarget(1, "taobao", str(row["item_id"]), str(row["url"]))
        with Capturer(sandbox=sb.url, full=False) as cap:
            got = cap.capture(target, tmp_path)
    assert got.state == "live" and set(got.files) == {"screenshot.png", "page.html"}


def test_no_tsa_says_no_trusted_time(
    sqlite_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sandbox import serve

    for var in ("MARKWATCH_TSA_URL", "MARKWATCH_TSA_CA", "MARKWATCH_SETTINGS"):
        monkeypatch.delenv(var, raising=False)
    with serve(seed=1, size=50) as sb:
        row = next(r for r in sb.truth(brand="veloria") if r["platform"] == "taobao")
        with Session(sqlite_db) as s, s.begin():
            bid = brand_row(s)
            ids = ids_of(add_listings(s, bid, [record(str(row["item_id"]))]), [record(str(row["item_id"]))])
        args = ["--db", str(sqlite_db.url), "evidence", "capture", str(ids[0]), "--sandbox", sb.url]
        result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "e"), "--no-video"])
    assert result.exit_code == 0, result.output
    assert "no trusted time" in result.output and "only this machine's clock" in result.output
    d = next((tmp_path / "e").iterdir())
    assert not (d / "video.webm").exists() and not (d / "timestamp.tsr").exists()
    assert os.path.isfile(d / "page.warc.gz")
