"""The sandbox's weibo.com single-status page (https://weibo.com/<uid>/<bid>): live, deleted, unknown.

The live page is read with the same selectors from the sandbox and from the real saved page
``weibo/weibo_com_status_page_2020_ogscraper.html``, so the two keep one shape.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from parsel import Selector

from crawler.evidence import gone_reason, real_url, refusal
from sandbox.catalogue import Listing
from sandbox.server import Sandbox, serve
from tests.conftest import sample_path


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with serve(seed=5, size=300, legacy=True) as s:
        yield s


def get(sb: Sandbox, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """One GET, redirects not followed: (status, lower-case headers, UTF-8 body)."""
    conn = http.client.HTTPConnection(sb.host, sb.port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode("utf-8")
    finally:
        conn.close()


def status_path(x: Listing) -> str:
    return "/" + x.url.removeprefix("https://")


@dataclass
class Status:
    """What a weibo.com single-status page shows, read by one set of selectors."""

    oid: str
    onick: str
    mid: str
    ouid: str
    nick: str
    usercard_id: str
    text: str
    time_title: str
    pics: list[str]
    link: str


def read_status(html: str) -> Status:
    sel = Selector(text=html)
    cfg = dict(re.findall(r"\$CONFIG\['(\w+)'\]\s*=\s*'([^']*)'", html))
    card = sel.css('#Pl_Official_WeiboDetail__59 div.WB_cardwrap[action-type="feed_list_item"][mid]')
    assert len(card) == 1, "no single feed_list_item card in the WeiboDetail pagelet"
    detail = card.css("div.WB_feed_detail div.WB_detail")
    user = detail.css("div.WB_info > a[usercard]")
    when = detail.css('div.WB_from a[node-type="feed_list_item_date"]')
    text = detail.css('div.WB_text[node-type="feed_list_content"]')
    return Status(
        oid=cfg.get("oid", ""),
        onick=cfg.get("onick", ""),
        mid=card.attrib["mid"],
        ouid=card.attrib.get("tbinfo", "").removeprefix("ouid="),
        nick=user.css("::text").get("").strip(),
        usercard_id=re.sub(r"^id=(\d+).*", r"\1", user.attrib.get("usercard", "")),
        text=" ".join("".join(text.css("::text").getall()).split()),
        time_title=when.attrib.get("title", ""),
        pics=detail.css("div.WB_media_wrap ul.WB_media_a li.WB_pic img::attr(src)").getall(),
        link=when.attrib.get("href", ""),
    )


def test_live_post_has_the_weibo_com_status_shape(sb: Sandbox) -> None:
    post = next(x for x in sb.catalogue.by_platform("weibo") if x.live(sb.epoch) and len(x.photos) >= 2)
    status, headers, html = get(sb, status_path(post))
    assert status == 200 and "charset=utf-8" in headers["content-type"]
    page = read_status(html)
    uid = post.seller.seller_id
    assert page.oid == page.ouid == page.usercard_id == uid
    assert page.onick == page.nick == post.seller.name
    assert page.mid == post.item_id
    assert page.text == " ".join(post.title.split())  # the CJK text as text, not escaped in a script
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", page.time_title)
    assert page.time_title == f"{post.posted:%Y-%m-%d %H:%M}"
    assert page.link.startswith(f"/{uid}/{post.bid}?")
    assert len(page.pics) == len(post.photos)
    assert all(re.fullmatch(r"//wx[1-4]\.sinaimg\.cn/orj360/\w+\.jpg", p) for p in page.pics)
    # the pictures are the ones the search card shows, and the sandbox serves them as JPEGs
    pic = urlsplit("https:" + page.pics[0])
    img = get_bytes(sb, f"/{pic.netloc}{pic.path}")
    assert img[:3] == b"\xff\xd8\xff"
    # a mid works in place of the bid, as on weibo.com
    assert get(sb, f"/weibo.com/{uid}/{post.item_id}")[2] == html
    # the evidence capture sees a live post: neither gone nor refused
    assert gone_reason(200, post.url, page.text) is None and refusal(post.url, page.text) is None


def get_bytes(sb: Sandbox, path: str) -> bytes:
    conn = http.client.HTTPConnection(sb.host, sb.port, timeout=30)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        assert r.status == 200, path
        return r.read()
    finally:
        conn.close()


@pytest.mark.samples
def test_sandbox_status_page_reads_like_the_real_one(sb: Sandbox) -> None:
    real = read_status(sample_path("weibo/weibo_com_status_page_2020_ogscraper.html").read_text("utf-8"))
    post = next(x for x in sb.catalogue.by_platform("weibo") if x.live(sb.epoch) and x.photos)
    ours = read_status(get(sb, status_path(post))[2])
    for page in (real, ours):  # every field found in both
        assert page.oid.isdigit() and page.oid == page.ouid == page.usercard_id
        assert page.mid.isdigit() and len(page.mid) == 16
        assert page.onick and page.onick == page.nick
        assert page.text and re.search(r"[\u4e00-\u9fff]", page.text)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", page.time_title)
        assert page.pics and all(re.match(r"//wx\d\.sinaimg\.cn/orj360/\w+\.jpg$", p) for p in page.pics)
        assert re.match(rf"/{page.oid}/[0-9A-Za-z]+\?", page.link)
    assert real.oid == "1823184085" and real.mid == "4524026243029034"


def test_removed_post_answers_the_deleted_page() -> None:
    with serve(seed=5, size=300, legacy=True) as s:
        post = next(x for x in s.catalogue.by_platform("weibo") if x.born == 0 and x.removed is not None)
        assert get(s, status_path(post))[0] == 200
        assert post.removed is not None
        s.advance(post.removed)
        status, _, html = get(s, status_path(post))
        assert status == 200
        sel = Selector(text=html)
        assert sel.css("body.B_weibo404 div.page_error")
        note = sel.css("div.page_error div.note em::text").get("")
        assert note == "抱歉，此微博已被作者删除。"
        assert "$CONFIG['bpType']='sorry'" in html
        assert not sel.css("div.WB_cardwrap[mid]")  # nothing of the post is left
        text = " ".join(sel.css("body ::text").getall())
        assert gone_reason(status, post.url, text, requested_url=post.url) == "page says '此微博已被作者删除'"
        assert refusal(post.url, text) is None


def test_unknown_status_redirects_to_weibos_not_found_page(sb: Sandbox) -> None:
    post = next(x for x in sb.catalogue.by_platform("weibo") if x.live(sb.epoch))
    other = next(x for x in sb.catalogue.by_platform("weibo") if x.seller.seller_id != post.seller.seller_id)
    for path in (
        f"/weibo.com/{post.seller.seller_id}/Zz9NoSuchBid",  # unknown bid
        f"/weibo.com/{other.seller.seller_id}/{post.bid}",  # a real bid under another user
    ):
        status, headers, _ = get(sb, path)
        assert status == 302, path
        location = headers["location"]
        assert location == f"{sb.url}/weibo.com/sorry?pagenotfound&"
        status, _, html = get(sb, urlsplit(location).path + "?" + urlsplit(location).query)
        assert status == 200
        sel = Selector(text=html)
        note = sel.css("body.B_weibo404 div.page_error div.note em::text").get("")
        assert note == "抱歉，你访问的页面地址有误，或者该页面不存在"
        final = real_url(location, sb.url)
        assert final == "https://weibo.com/sorry?pagenotfound&"
        asked = "https://" + path.removeprefix("/")
        assert gone_reason(200, final, note, requested_url=asked) == f"redirected to {final}"
        assert refusal(final, note) is None


def test_a_post_not_yet_posted_is_not_found() -> None:
    with serve(seed=5, size=300, legacy=True) as s:
        later = next((x for x in s.catalogue.by_platform("weibo") if x.born > 0), None)
        assert later is not None, "the catalogue has no Weibo post born after epoch 0"
        assert get(s, status_path(later))[0] == 302
        s.advance(later.born)
        assert get(s, status_path(later))[0] == 200


@pytest.mark.parametrize(
    ("mode", "status", "where"),
    [
        ("visitor", 302, "passport.weibo.com/visitor/visitor?entry=miniblog"),
        ("login", 302, "passport.weibo.com/signin/login?entry=miniblog"),
        ("accessdeny", 200, "访问受限"),
        ("throttle", 429, ""),
    ],
)
def test_status_page_refusals(sb: Sandbox, mode: str, status: int, where: str) -> None:
    post = next(x for x in sb.catalogue.by_platform("weibo") if x.live(sb.epoch))
    got, headers, body = get(sb, status_path(post), {"X-Sandbox-Refuse": mode})
    assert got == status
    if status == 302:
        assert where in headers["location"] and real_url(headers["location"], sb.url)
        assert refusal(real_url(headers["location"], sb.url), "") is not None
    elif where:
        assert where in body and refusal(post.url, " ".join(Selector(text=body).css("body ::text").getall()))
