"""Weibo as weibo.com serves it today: the Vue app's ``/ajax/statuses/show``, ``/ajax/statuses/longtext``
and ``/ajax/statuses/searchProfile`` answers, and the account search ``s.weibo.com/user?q=``.

Long posts: ``show`` / ``searchProfile`` / search give a cut text with ``isLongText: true``; the
listing is flagged ``raw["markwatch_long_text"] = "pending"`` and its id goes into
``ParsedPage.next["longtext"]``. The ``longtext`` answer, parsed, carries the whole text in
``ParsedPage.next["long_text"]``; :func:`with_long_text` puts it in the listing's title (the cut text
is replaced, not kept).

Accounts: each account card of the account search is a listing with ``kind="account"``: ``item_id``
and ``seller_id`` = uid, ``title`` = screen name + description, the seller is the account itself,
and ``raw`` holds ``verified`` (bool), ``verified_type`` (``blue`` organisation, ``yellow`` person,
``gold``, ``none``), ``verified_reason`` and the follower count as shown.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from parsel import Selector

from markwatch.listing import Listing
from spiders.common import (
    ParsedPage,
    absolute,
    count,
    layout_changed,
    obj,
    query_value,
    refused,
    strip_tags,
    to_text,
    unique,
)
from spiders.refusals import refusal_from_url, refusal_in_body
from spiders.weibo.legacy import large_pic, standardize_date


def _ajax_json(text: str, url: str, name: str) -> dict[str, Any] | ParsedPage:
    """The ajax answer's object, or the page saying why not (refusal, error, layout)."""
    mode = refusal_from_url(url, "weibo")
    if mode:
        return refused(mode, f"redirected to {url}")
    try:
        doc = json.loads(text)
    except ValueError:
        sign = refusal_in_body(text, "weibo")
        return refused(*sign) if sign else layout_changed(f"{name} answer is not JSON")
    if not isinstance(doc, dict):
        return layout_changed(f"{name} answer is not an object")
    ok = doc.get("ok")
    if ok is not None and ok != 1:
        target = str(doc.get("url") or "")
        if ok == -100 or (target and refusal_from_url(target, "weibo")):
            return refused(refusal_from_url(target, "weibo") or "weibo-login", f"ok={ok} {target}".strip())
        msg = str(doc.get("message") or doc.get("msg") or "")
        if re.search(r"不存在|已被删除|已删除", msg):
            return ParsedPage([], "empty", gone=True, detail=msg)
        if re.search(r"登录|login", msg, re.I):
            return refused("weibo-login", msg)
        if re.search(r"频繁|busy|稍后", msg):
            return refused("busy", msg)
        return ParsedPage([], "error", detail=msg or f"ok={ok}")
    return doc


def status_listing(
    s: dict[str, Any], page: int | None = None, now: dt.datetime | None = None
) -> Listing | None:
    """One weibo.com status (``idstr``, ``mblogid``, ``text_raw``/``text``, ``user``, ``pic_infos``…)."""
    mid = s.get("idstr") or s.get("mid") or s.get("id")
    if not mid:
        return None
    user = obj(s.get("user"))
    uid = str(user.get("idstr") or user.get("id") or "") or None
    bid = s.get("mblogid") or s.get("bid")
    pics: list[str | None] = []
    infos = obj(s.get("pic_infos"))
    for pid in s.get("pic_ids") or list(infos):
        info = obj(infos.get(pid))
        best = info.get("largest") or info.get("large") or info.get("original") or {}
        pics.append(absolute(best.get("url")) if isinstance(best, dict) and best.get("url") else None)
        if not pics[-1]:
            pics[-1] = f"https://wx1.sinaimg.cn/large/{pid}.jpg"
    text = s.get("text_raw") or strip_tags(re.sub(r"<br\s*/?>", " ", str(s.get("text") or "")))
    long_text = bool(s.get("isLongText") or s.get("is_long_text"))
    region = str(s.get("region_name") or "").removeprefix("发布于").strip() or None
    return Listing(
        platform="weibo",
        item_id=str(mid),
        url=f"https://weibo.com/{uid}/{bid}" if uid and bid else f"https://weibo.com/detail/{mid}",
        title=strip_tags(str(text)),
        seller_id=uid,
        seller_name=user.get("screen_name") or None,
        shop_url=f"https://weibo.com/u/{uid}" if uid else None,
        image_urls=unique([large_pic(p) for p in pics]),
        posted_at=standardize_date(s.get("created_at"), now),
        kind="post",
        reposts=count(s.get("reposts_count")),
        comments=count(s.get("comments_count")),
        likes=count(s.get("attitudes_count")),
        location=region,
        page=page,
        source="weibo:ajax-status",
        raw={
            "mid": str(mid),
            "bid": bid,
            "uid": uid,
            "verified": bool(user.get("verified")),
            "markwatch_long_text": "pending" if long_text else None,
        },
    )


def _page(listings: list[Listing], total: int | None, detail: str, nxt: dict[str, Any]) -> ParsedPage:
    pending = [x.item_id for x in listings if x.raw.get("markwatch_long_text") == "pending"]
    if pending:
        nxt = {**nxt, "longtext": pending}
    return ParsedPage(listings, "ok", total_results=total, next=nxt, detail=detail)


def parse_status_show(
    body: bytes | str, url: str, content_type: str | None = None, now: dt.datetime | None = None
) -> ParsedPage:
    """``weibo.com/ajax/statuses/show?id=``: one status object (``ok: 1`` beside its fields)."""
    doc = _ajax_json(to_text(body, content_type), url, "statuses/show")
    if isinstance(doc, ParsedPage):
        return doc
    listing = status_listing(doc, None, now)
    if listing is None:
        return layout_changed("statuses/show answer has no idstr/mid")
    return _page([listing], None, "status", {})


def parse_search_profile(
    body: bytes | str, url: str, content_type: str | None = None, now: dt.datetime | None = None
) -> ParsedPage:
    """``weibo.com/ajax/statuses/searchProfile?uid=&q=&page=``: ``data.list[]`` statuses, ``data.total``."""
    doc = _ajax_json(to_text(body, content_type), url, "searchProfile")
    if isinstance(doc, ParsedPage):
        return doc
    data = doc.get("data") if isinstance(doc.get("data"), dict) else None
    if data is None or not isinstance(data.get("list"), list):
        return layout_changed("searchProfile answer has no data.list")
    try:
        page = int(query_value(url, "page") or "1")
    except ValueError:
        page = 1
    total = data.get("total") if isinstance(data.get("total"), int) else None
    if not data["list"]:
        return ParsedPage([], "empty", total_results=total, detail="searchProfile list is empty")
    listings = [x for s in data["list"] if isinstance(s, dict) for x in [status_listing(s, page, now)] if x]
    if not listings:
        return layout_changed("searchProfile statuses carry no idstr/mid")
    return _page(listings, total, f"{len(listings)} statuses", {"page": page + 1})


def parse_long_text(body: bytes | str, url: str, content_type: str | None = None) -> ParsedPage:
    """``weibo.com/ajax/statuses/longtext?id=``: ``data.longTextContent`` → ``next["long_text"]``."""
    doc = _ajax_json(to_text(body, content_type), url, "longtext")
    if isinstance(doc, ParsedPage):
        return doc
    data = obj(doc.get("data"))
    content = data.get("longTextContent")
    if not data:
        return ParsedPage([], "empty", detail="no long text (the post is not cut)")
    if not isinstance(content, str):
        return layout_changed("longtext answer has no data.longTextContent")
    text = strip_tags(re.sub(r"<br\s*/?>", " ", content))
    return ParsedPage([], "ok", next={"id": query_value(url, "id"), "long_text": text}, detail="long text")


def with_long_text(listing: Listing, parsed: ParsedPage) -> Listing:
    """Replace a cut post's text with the whole text a ``longtext`` answer gave (unchanged otherwise)."""
    text = parsed.next.get("long_text") if parsed.outcome == "ok" else None
    if isinstance(text, str) and text:
        listing.title = text
        listing.raw = {**listing.raw, "markwatch_long_text": "read"}
    return listing


# --- s.weibo.com/user?q= (account search) ---------------------------------------------------------


def parse_account_search(body: bytes | str, url: str, content_type: str | None = None) -> ParsedPage:
    """``s.weibo.com/user?q=``: one ``div.card-user-b`` per account (``a.name``, the verification
    icon ``i.icon-vip-b``/``-y``/``-g``, ``p`` lines: verification reason, 简介, counts)."""
    mode = refusal_from_url(url, "weibo")
    if mode:
        return refused(mode, f"redirected to {url}")
    text = to_text(body, content_type)
    sel = Selector(text=text, type="html")
    cards = sel.css("div.card-user-b")
    try:
        page = int(query_value(url, "page") or "1")
    except ValueError:
        page = 1
    listings = [x for card in cards for x in [_account(card, page)] if x]
    if listings:
        nxt = {"page": page + 1} if sel.css("a.next") else {}
        return ParsedPage(listings, "ok", next=nxt, detail=f"{len(listings)} accounts")
    sign = refusal_in_body(text, "weibo")
    if sign:
        return refused(*sign)
    if "card-no-result" in text or re.search(r"抱歉，未找到|没有找到相关", text):
        return ParsedPage([], "empty", total_pages=0, detail="Weibo found no account")
    return layout_changed("no div.card-user-b account cards in the page")


_VERIFIED = {"icon-vip-b": "blue", "icon-vip-y": "yellow", "icon-vip-g": "gold"}


def _account(card: Selector, page: int) -> Listing | None:
    name_a = card.css("div.info a.name")
    href = absolute(name_a.attrib.get("href")) if name_a else None
    uid = None
    m = re.search(r"weibo\.com/u/(\d+)", href or "")
    if m:
        uid = m.group(1)
    else:
        data = card.css("[action-data*='uid=']::attr(action-data)").get() or ""
        m = re.search(r"uid=(\d+)", data)
        uid = m.group(1) if m else card.css("[uid]::attr(uid)").get()
    if not uid or not uid.isdigit() or not name_a:
        return None
    screen_name = strip_tags(name_a.get())
    icons = " ".join(card.css("div.info i::attr(class)").getall())
    vtype = next((v for k, v in _VERIFIED.items() if k in icons), "none")
    lines = [strip_tags(p.get()) for p in card.css("div.info > p")]
    reason = next((strip_tags(p.get()) for p in card.css("div.info > p") if p.css("i[class*=icon-vip]")), "")
    intro = next((ln.split("：", 1)[1].strip() for ln in lines if ln.startswith(("简介：", "简介:"))), "")
    followers = re.search(r"粉丝\s*[:：]?\s*([\d.]+万?)", " ".join(lines))
    description = " ".join(x for x in (reason, intro) if x)
    avatar = card.css("div.avator img::attr(src)").get()
    return Listing(
        platform="weibo",
        item_id=uid,
        url=f"https://weibo.com/u/{uid}",
        title=f"{screen_name} {description}".strip(),
        seller_id=uid,
        seller_name=screen_name,
        shop_url=f"https://weibo.com/u/{uid}",
        image_urls=[a for a in [absolute(avatar)] if a],
        kind="account",
        page=page,
        source="weibo:account-search",
        raw={
            "uid": uid,
            "screen_name": screen_name,
            "verified": vtype != "none",
            "verified_type": vtype,
            "verified_reason": reason or None,
            "description": intro or None,
            "followers": followers.group(1) if followers else None,
        },
    )
