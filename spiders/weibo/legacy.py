"""Weibo's HTML and mobile shapes (still served): the s.weibo.com search page (``div.card-wrap``,
both ``p.from`` and ``div.from``; the 2017 ``feed_list_item`` layout and its BigPipe variant)
and the m.weibo.cn ``getIndex`` JSON.

Posts are listings too: ``kind="post"``, ``item_id`` = mid, seller = the posting user.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from parsel import Selector

from markwatch.listing import Listing
from spiders.common import (
    ParsedPage,
    absolute,
    count,
    layout_changed,
    refused,
    strip_tags,
    to_text,
    unique,
)
from spiders.refusals import refusal_from_url, refusal_in_body

CHINA = ZoneInfo("Asia/Shanghai")
#: s.weibo.com shows at most 50 result pages.
WEIBO_PAGE_CAP = 50


def weibo_post_url(uid: str | None, bid: str | None, mid: str) -> str:
    if uid and bid:
        return f"https://weibo.com/{uid}/{bid}"
    return f"https://m.weibo.cn/detail/{mid}"


def large_pic(url: str | None) -> str | None:
    """``//wx1.sinaimg.cn/thumb150/x.jpg`` → ``https://wx1.sinaimg.cn/large/x.jpg``."""
    u = absolute(url)
    if not u:
        return None
    return re.sub(r"(sinaimg\.cn)/[^/]+/", r"\1/large/", u, count=1)


def standardize_date(text: str | None, now: dt.datetime | None = None) -> str | None:
    """Weibo's shown times → ISO 8601 in China time: 刚刚, N秒/分钟/小时前, 今天 HH:MM, 昨天 HH:MM,
    MM月DD日 HH:MM, YYYY年MM月DD日 HH:MM, ``06-14``, ``2019-06-14``, RFC 2822 (newer m.weibo.cn)."""
    if not text:
        return None
    s = re.sub(r"\s+", " ", text).strip()
    now = (now or dt.datetime.now(CHINA)).astimezone(CHINA).replace(microsecond=0)
    if s.startswith("刚刚"):
        return now.isoformat()
    m = re.match(r"(\d+)\s*(秒|分钟|小时)前", s)
    if m:
        unit = {"秒": "seconds", "分钟": "minutes", "小时": "hours"}[m.group(2)]
        return (now - dt.timedelta(**{unit: int(m.group(1))})).isoformat()
    m = re.match(r"(今天|昨天)\s*(\d{1,2}):(\d{2})", s)
    if m:
        day = now.date() - dt.timedelta(days=1 if m.group(1) == "昨天" else 0)
        return dt.datetime.combine(day, dt.time(int(m.group(2)), int(m.group(3))), CHINA).isoformat()
    m = re.match(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日(?:\s*(\d{1,2}):(\d{2}))?", s)
    if m:
        year = int(m.group(1) or now.year)
        hh, mm = int(m.group(4) or 0), int(m.group(5) or 0)
        return dt.datetime(year, int(m.group(2)), int(m.group(3)), hh, mm, tzinfo=CHINA).isoformat()
    m = re.match(r"(?:(\d{4})-)?(\d{1,2})-(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$", s)
    if m:
        year = int(m.group(1) or now.year)
        hh, mm = int(m.group(4) or 0), int(m.group(5) or 0)
        return dt.datetime(year, int(m.group(2)), int(m.group(3)), hh, mm, tzinfo=CHINA).isoformat()
    try:
        parsed = email.utils.parsedate_to_datetime(s)
    except (TypeError, ValueError):
        return None
    return parsed.astimezone(CHINA).isoformat()


def _page_of(url: str) -> int:
    try:
        return int(parse_qs(urlsplit(url).query).get("page", ["1"])[0])
    except ValueError:
        return 1


# --- s.weibo.com ----------------------------------------------------------------------------------


def parse_weibo_search(
    body: bytes | str, url: str, content_type: str | None = None, now: dt.datetime | None = None
) -> ParsedPage:
    """``s.weibo.com/weibo?q=``: card-wrap cards (2018+), else the 2017 ``feed_list_item`` layout,
    inline or inside the BigPipe ``STK.pageletM.view({"pid":"pl_weibo_direct","html":…})``."""
    mode = refusal_from_url(url)
    if mode:
        return refused(mode, f"redirected to {url}")
    text = to_text(body, content_type)
    sel = Selector(text=text, type="html")
    page = _page_of(url)
    listings = [lst for card in sel.css("div.card-wrap[mid]") for lst in [_card(card, page, now)] if lst]
    source_sel = sel
    if not listings:
        old = sel.css("div[action-type=feed_list_item][mid]")
        if not old:
            pagelet = _pagelet_html(text, "pl_weibo_direct")
            if pagelet:
                source_sel = Selector(text=pagelet, type="html")
                old = source_sel.css("div[action-type=feed_list_item][mid]")
        listings = [lst for item in old for lst in [_feed_item(item, page, now)] if lst]
    pages = source_sel.css("ul.s-scroll li a::text, div.W_pages span.list ul li a::text").re(r"第(\d+)页")
    total_pages = max((int(p) for p in pages), default=None)
    has_next = bool(source_sel.css("a.next, a.page.next"))
    if listings:
        nxt = {"page": page + 1} if has_next and page < WEIBO_PAGE_CAP else {}
        return ParsedPage(listings, "ok", total_pages=total_pages, next=nxt, detail=f"{len(listings)} posts")
    sign = refusal_in_body(text)
    if sign:
        return refused(*sign)
    if sel.css("div.card-no-result, div.pl_noresult, div.search_noresult") or "card-no-result" in text:
        return ParsedPage([], "empty", total_pages=0, detail="Weibo shows its no-result card")
    if re.search(r"抱歉，未找到|没有找到相关的微博|未找到“", text):
        return ParsedPage([], "empty", total_pages=0, detail="Weibo says nothing was found")
    return layout_changed("no div.card-wrap[mid] or feed_list_item posts in the page")


def _pagelet_html(text: str, pid: str) -> str | None:
    for m in re.finditer(r"STK\.pageletM\.view\((\{.*?\})\)\s*</script>", text, re.S):
        try:
            data = json.loads(m.group(1))
        except ValueError:
            continue
        if data.get("pid") == pid and isinstance(data.get("html"), str):
            return str(data["html"])
    return None


def _after_slash(href: str | None) -> str | None:
    if not href:
        return None
    return href.split("?")[0].rstrip("/").split("/")[-1] or None


def _card(card: Selector, page: int, now: dt.datetime | None) -> Listing | None:
    mid = card.attrib.get("mid")
    info = card.css("div.card-feed div.content div.info")
    if not mid or not info:
        return None
    name_a = info.css("a.name") or info.css("div:nth-child(2) a[nick-name]")
    uid = _after_slash(name_a.attrib.get("href")) if name_a else None
    nick = (name_a.attrib.get("nick-name") or strip_tags(name_a.get())) if name_a else None
    full = card.css('p[node-type="feed_list_content_full"]')
    txt = full or card.css('p.txt[node-type="feed_list_content"]') or card.css("p.txt")
    text = strip_tags(txt[0].get()) if txt else ""
    text = re.sub(r"\s*收起全文d?\s*$", "", text)
    frm = card.css("div.content div.from, div.content p.from")
    time_a = frm[-1].css("a") if frm else None
    bid = _after_slash(time_a[0].attrib.get("href")) if time_a else None
    shown_time = strip_tags(time_a[0].get()) if time_a else None
    client = strip_tags(time_a[1].get()) if time_a and len(time_a) > 1 else None
    pics = card.css("div.media-piclist ul li img::attr(src), div.media.media-piclist img::attr(src)").getall()
    reposts = card.css('a[action-type="feed_list_forward"]').xpath("string(.)").get()
    comments = card.css('a[action-type="feed_list_comment"]').xpath("string(.)").get()
    like = card.css('div.card-act a[action-type="feed_list_like"]')
    likes = like[-1].xpath("string(.)").get() if like else None
    return Listing(
        platform="weibo",
        item_id=str(mid),
        url=weibo_post_url(uid, bid, str(mid)),
        title=text,
        seller_id=uid,
        seller_name=nick,
        shop_url=f"https://weibo.com/u/{uid}" if uid else None,
        image_urls=unique([large_pic(p) for p in pics]),
        posted_at=standardize_date(shown_time, now),
        kind="post",
        reposts=count(_strip_label(reposts, "转发")),
        comments=count(_strip_label(comments, "评论")),
        likes=count(_strip_label(likes, "赞")),
        page=page,
        source="weibo:card-wrap",
        raw={"mid": mid, "bid": bid, "uid": uid, "nick": nick, "time": shown_time, "client": client},
    )


def _strip_label(value: str | None, label: str) -> str | None:
    if value is None:
        return None
    v = re.sub(r"\s+", " ", value).replace(label, "").strip()
    return v or "0"


def _feed_item(item: Selector, page: int, now: dt.datetime | None) -> Listing | None:
    mid = item.attrib.get("mid")
    if not mid:
        return None
    usercard = item.css(".face a img::attr(usercard)").get() or ""
    m = re.search(r"id=(\d+)", usercard)
    uid = m.group(1) if m else None
    nick = item.css("a[nick-name]::attr(nick-name)").get() or item.css(".face a::attr(title)").get()
    txt = item.css("p.comment_txt")
    date_a = item.css('a[node-type="feed_list_item_date"]')
    posted = None
    if date_a and date_a.attrib.get("date", "").isdigit():
        posted = dt.datetime.fromtimestamp(int(date_a.attrib["date"]) / 1000, CHINA).isoformat()
    elif date_a:
        posted = standardize_date(date_a.attrib.get("title"), now)
    bid = _after_slash(date_a.attrib.get("href")) if date_a else None
    pics = item.css('div[node-type="fl_pic_list"] img::attr(src)').getall()
    actions = {
        kind: item.css(f'.feed_action a[action-type="feed_list_{kind}"]').xpath("string(.)").get()
        for kind in ("forward", "comment", "like")
    }
    return Listing(
        platform="weibo",
        item_id=str(mid),
        url=weibo_post_url(uid, bid, str(mid)),
        title=strip_tags(txt[0].get()) if txt else "",
        seller_id=uid,
        seller_name=nick.strip() if nick else None,
        shop_url=f"https://weibo.com/u/{uid}" if uid else None,
        image_urls=unique([large_pic(p) for p in pics]),
        posted_at=posted,
        kind="post",
        reposts=count(_strip_label(actions["forward"], "转发")),
        comments=count(_strip_label(actions["comment"], "评论")),
        likes=count(_strip_label(actions["like"], "赞")),
        page=page,
        source="weibo:feed_list_item-2017",
        raw={"mid": mid, "bid": bid, "uid": uid, "nick": nick},
    )


# --- m.weibo.cn -----------------------------------------------------------------------------------


def parse_weibo_mobile(
    body: bytes | str, url: str, content_type: str | None = None, now: dt.datetime | None = None
) -> ParsedPage:
    """``m.weibo.cn/api/container/getIndex``: ``data.cards[]`` with ``card_type`` 9, directly or in a
    ``card_group`` (card_type 11). ``ok != 1`` is an error or the end of the results."""
    mode = refusal_from_url(url)
    if mode:
        return refused(mode, f"redirected to {url}")
    text = to_text(body, content_type)
    try:
        doc = json.loads(text)
    except ValueError:
        sign = refusal_in_body(text)
        return refused(*sign) if sign else layout_changed("getIndex answer is not JSON")
    if not isinstance(doc, dict):
        return layout_changed("getIndex answer is not an object")
    if doc.get("ok") != 1:
        msg = str(doc.get("msg") or "")
        target = str(doc.get("url") or "")
        if doc.get("ok") == -100 or refusal_from_url(target) == "login":  # {"ok":-100,"url":"…/signin/…"}
            return refused("login", f"ok={doc.get('ok')} {target}".strip())
        if re.search(r"登录|login", msg, re.I):
            return refused("login", msg)
        if "这里还没有内容" in msg or "暂无" in msg or not msg:
            return ParsedPage([], "empty", total_pages=0, detail=msg or "ok=0 without a message")
        if re.search(r"频繁|busy|稍后", msg):
            return refused("busy", msg)
        return ParsedPage([], "error", detail=msg)
    data = doc.get("data") or {}
    cards = data.get("cards")
    if cards is None:
        return layout_changed("getIndex data has no cards")
    blogs: list[dict[str, Any]] = []
    for card in cards:
        if not isinstance(card, dict):
            continue
        if card.get("card_type") == 9 and isinstance(card.get("mblog"), dict):
            blogs.append(card["mblog"])
        for sub in card.get("card_group") or []:
            if isinstance(sub, dict) and sub.get("card_type") == 9 and isinstance(sub.get("mblog"), dict):
                blogs.append(sub["mblog"])
    info = data.get("cardlistInfo") or {}
    # the URL's page is the one asked for (cardlistInfo.page may already name the next one)
    page = _page_of(url) if "page=" in url else info.get("page") if isinstance(info.get("page"), int) else 1
    total = info.get("total")
    listings = [lst for b in blogs for lst in [_mblog(b, page, now)] if lst]
    if listings:
        nxt = {"page": _page_of(url) + 1}
        return ParsedPage(
            listings,
            "ok",
            total_results=total if isinstance(total, int) else None,
            next=nxt,
            detail=f"{len(listings)} mblogs",
        )
    if not cards or all(c.get("card_type") not in (9, 11) for c in cards if isinstance(c, dict)):
        return ParsedPage([], "empty", total_pages=0, detail="no post cards in getIndex")
    return layout_changed("card_type 9 cards without a usable mblog")


def _mblog(b: dict[str, Any], page: int | None, now: dt.datetime | None) -> Listing | None:
    mid = b.get("mid") or b.get("id") or b.get("idstr")
    if not mid:
        return None
    user = b.get("user") or {}
    uid = str(user["id"]) if user.get("id") else None
    pics = [
        ((p.get("large") or {}).get("url") or p.get("url"))
        for p in b.get("pics") or []
        if isinstance(p, dict)
    ]
    if not pics and b.get("original_pic"):
        pics = [b["original_pic"]]
    return Listing(
        platform="weibo",
        item_id=str(mid),
        url=weibo_post_url(uid, b.get("bid"), str(mid)),
        title=strip_tags(re.sub(r"<br\s*/?>", " ", str(b.get("text") or ""))),
        seller_id=uid,
        seller_name=user.get("screen_name") or None,
        shop_url=f"https://weibo.com/u/{uid}" if uid else None,
        image_urls=unique([absolute(p) for p in pics]),
        posted_at=standardize_date(b.get("created_at"), now),
        kind="post",
        reposts=count(b.get("reposts_count")),
        comments=count(b.get("comments_count")),
        likes=count(b.get("attitudes_count")),
        location=(str(b["region_name"]).removeprefix("发布于").strip() or None)
        if b.get("region_name")
        else None,
        page=page,
        source="weibo:m-getIndex",
        raw=b,
    )
