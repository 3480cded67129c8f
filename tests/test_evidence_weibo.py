"""Evidence capture of Weibo posts from the sandbox in real Chromium: live, deleted, unknown, refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from crawler.evidence import CHROMIUM, Capturer, CaptureTarget, read_manifest
from sandbox.catalogue import Listing
from sandbox.server import Sandbox, serve
from storage.exports import verify_tree

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason=f"Chromium not installed at {CHROMIUM}"),
]


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with serve(seed=5, size=300, legacy=True) as s:
        yield s


def target(x: Listing, n: int = 1) -> CaptureTarget:
    return CaptureTarget(n, "weibo", x.item_id, x.url, x.title, "veloria-word", 0.9, ["selling-post"])


def test_capture_a_live_weibo_post(sb: Sandbox, tmp_path: Path) -> None:
    post = next(x for x in sb.catalogue.by_platform("weibo") if x.live(sb.epoch) and len(x.photos) >= 2)
    with Capturer(sandbox=sb.url, timeout_ms=20_000) as cap:
        got = cap.capture(target(post), tmp_path)
        # the post's pictures came from the sandbox's sinaimg host and were drawn by the browser
        page = cap._context.new_page()
        try:
            page.goto(got.requested_url, wait_until="load")
            loaded = page.evaluate(
                "Array.from(document.querySelectorAll('.WB_media_a img')).map(i => i.naturalWidth)"
            )
            shown = page.inner_text('div.WB_text[node-type="feed_list_content"]')
        finally:
            page.close()
    assert got.state == "live", got.detail
    assert got.requested_url == f"{sb.url}/weibo.com/{post.seller.seller_id}/{post.bid}"
    assert got.http_status == 200 and got.final_url == got.requested_url
    assert got.directory is not None and set(got.files) == {"screenshot.png", "page.html"}
    html = (got.directory / "page.html").read_text(encoding="utf-8")
    assert f'mid="{post.item_id}"' in html and f"$CONFIG['oid']='{post.seller.seller_id}'" in html
    assert " ".join(shown.split()) == " ".join(post.title.split())
    assert len(loaded) == len(post.photos) and all(w > 0 for w in loaded)
    with Image.open(got.directory / "screenshot.png") as shot:
        assert shot.width == 1280 and shot.height >= 600
        colours = shot.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 500  # photos and text, not a blank page
    manifest = read_manifest(got.directory)
    assert manifest["state"] == "live" and manifest["listing"]["url"] == post.url
    assert manifest["page_title"].endswith(" - 微博")
    assert verify_tree(got.directory).ok


def test_capture_deleted_and_unknown_weibo_posts_are_gone(tmp_path: Path) -> None:
    with serve(seed=5, size=300, legacy=True) as s:
        post = next(x for x in s.catalogue.by_platform("weibo") if x.born == 0 and x.removed is not None)
        assert post.removed is not None
        s.advance(post.removed)
        live = next(x for x in s.catalogue.by_platform("weibo") if x.live(s.epoch))
        unknown = CaptureTarget(3, "weibo", "0", f"https://weibo.com/{live.seller.seller_id}/Zz9NoSuchBid")
        refused = target(live, 4)
        with Capturer(sandbox=s.url, timeout_ms=20_000) as cap:
            deleted = cap.capture(target(post, 2), tmp_path)
            missing = cap.capture(unknown, tmp_path)
            s.set_refusal("weibo", "visitor")
            walled = cap.capture(refused, tmp_path)
            s.set_refusal("weibo", None)
    assert deleted.state == "gone" and deleted.detail["gone"] == "page says '此微博已被作者删除'"
    assert missing.state == "gone"
    assert missing.detail["gone"] == "redirected to https://weibo.com/sorry?pagenotfound&"
    for gone in (deleted, missing):  # kept as proof of the removal, never as evidence
        assert gone.directory is not None and read_manifest(gone.directory)["state"] == "gone"
    assert walled.state == "failed" and walled.directory is None
    assert "login or a robot check" in walled.detail["error"]
