"""Tmall's older shapes, kept for saved pages and the legacy sandbox: the list page
(``#J_ItemList div.product``, GBK; ``list.tmall.com`` now redirects to login) and the ``TShop.Setup``
item page. An item page in today's ICE shape is handed to :mod:`spiders.taobao.today`."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from parsel import Selector

from markwatch.listing import Listing
from spiders.common import (
    ParsedPage,
    absolute,
    alicdn_full,
    count,
    json_after,
    layout_changed,
    price,
    query_value,
    refused,
    strip_tags,
    to_text,
    unique,
)
from spiders.refusals import refusal_from_url, refusal_in_body
from spiders.taobao import today


def tmall_item_url(item_id: str) -> str:
    return f"https://detail.tmall.com/item.htm?id={item_id}"


def _query(url: str | None) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url or "").query)


def parse_tmall_search(body: bytes | str, url: str, content_type: str | None = None) -> ParsedPage:
    """``list.tmall.com/search_product.htm``: one ``div.product`` per item inside ``#J_ItemList``."""
    mode = refusal_from_url(url, "tmall")
    if mode:
        return refused(mode, f"redirected to {url}")
    text = to_text(body, content_type)
    sel = Selector(text=text, type="html")
    cards = sel.css("#J_ItemList div.product")
    try:
        offset = int(_query(url).get("s", ["0"])[0])
    except ValueError:
        offset = 0
    page = offset // 60 + 1
    listings = [lst for card in cards for lst in [_card(card, page)] if lst]
    pager = sel.css("b.ui-page-s-len::text").get() or ""
    m = re.search(r"(\d+)\s*/\s*(\d+)", pager)
    total_pages = int(m.group(2)) if m else None
    if listings:
        nxt = {"page": page + 1, "s": page * 60} if total_pages is None or page < total_pages else {}
        return ParsedPage(
            listings, "ok", total_pages=total_pages, next=nxt, detail=f"{len(listings)} products"
        )
    sign = refusal_in_body(text)
    if sign:
        return refused(*sign)
    if sel.css("div.searchEmpty, .searchTip-noResult, #J_NoResult, .noResult") or re.search(
        r"没找到与.{0,40}相关的商品|喵~没找到", text
    ):
        return ParsedPage([], "empty", total_pages=0, detail="Tmall shows its no-result page")
    if cards:
        return layout_changed(f"{len(cards)} div.product cards but no item ids in them")
    return layout_changed("no #J_ItemList div.product cards")


def _card(card: Selector, page: int) -> Listing | None:
    href = card.css("a.productImg::attr(href)").get() or card.css("p.productTitle a::attr(href)").get()
    item_id = card.attrib.get("data-id") or query_value(absolute(href), "id")
    if not item_id:
        return None
    title_a = card.css("p.productTitle a")
    title: str = (title_a.attrib.get("title") if title_a else None) or ""
    if not title:
        title = strip_tags(title_a.get() if title_a else "")
    price_em = card.css("p.productPrice em")
    shown = price_em.attrib.get("title") if price_em else None
    shop_a = card.css("a.productShop-name, div.productShop a")
    shop_href = absolute(shop_a.attrib.get("href")) if shop_a else None
    seller_id = query_value(absolute(href), "user_id") or query_value(shop_href, "user_number_id")
    if not seller_id:
        ww = card.css("[data-atp^='a!']::attr(data-atp)").get() or ""
        seller_id = ww.rsplit(",", 1)[-1] or None
    shop_name = strip_tags(shop_a.get()) if shop_a else None
    img = card.css("a.productImg img")
    pic = None
    if img:
        pic = img.attrib.get("src") or img.attrib.get("data-ks-lazyload") or img.attrib.get("data-src")
    pic = absolute(pic)
    sales = strip_tags(card.css("p.productStatus span:first-child em").get() or "") or None
    comments = card.css("p.productStatus span:nth-child(2) a::text").get()
    return Listing(
        platform="tmall",
        item_id=str(item_id),
        url=tmall_item_url(str(item_id)),
        title=strip_tags(title),
        price=price(shown or strip_tags(price_em.get() if price_em else "")),
        sales=sales,
        seller_id=seller_id,
        seller_name=shop_name or card.css("[data-nick]::attr(data-nick)").get(),
        shop_url=shop_href.split("&rn=")[0] if shop_href else None,
        image_urls=[alicdn_full(pic)] if pic else [],
        comments=count(comments) if comments else None,
        page=page,
        source="tmall:list-html",
        raw={"href": absolute(href), "price": shown, "shop": shop_name, "sales": sales},
    )


_SETUP = re.compile(r"TShop\.Setup\(\s*")


def parse_tmall_item(body: bytes | str, url: str, content_type: str | None = None) -> ParsedPage:
    """``detail.tmall.com/item.htm?id=``: ``TShop.Setup({...})`` read with ``raw_decode``, plus the DOM."""
    mode = refusal_from_url(url)
    if mode:
        return refused(mode, f"redirected to {url}")
    text = to_text(body, content_type)
    if "/auction/noitem.htm" in url:  # where Tmall sends a removed item
        return ParsedPage([], "empty", gone=True, detail="item removed (noitem page)")
    if "__ICE_APP_CONTEXT__" in text and not _SETUP.search(text):
        return today.parse_ice_item(text, url, platform="tmall")
    try:
        setup: Any = json_after(text, _SETUP)
    except ValueError:
        sign = refusal_in_body(text)
        if sign:
            return refused(*sign)
        if re.search(r"此商品已下架|商品不存在|宝贝不存在|找不到|page-noitem|item-not-found|已经下架", text):
            return ParsedPage([], "empty", gone=True, detail="item removed or off-shelf")
        return layout_changed("no TShop.Setup in the item page")
    item = setup.get("itemDO") or {} if isinstance(setup, dict) else {}
    if not item.get("itemId"):
        return layout_changed("TShop.Setup has no itemDO.itemId")
    sel = Selector(text=text, type="html")
    pics = setup.get("propertyPics") or {}
    default_pics = pics.get("default") if isinstance(pics, dict) else None
    booth = sel.css("#J_ImgBooth::attr(src)").get()
    images = unique([alicdn_full(absolute(u) or "") for u in [*(default_pics or []), booth]])
    shop_a = sel.css("a.slogo-shopname")
    shop_name = strip_tags(shop_a.get()) if shop_a else unquote(item.get("sellerNickName") or "") or None
    shown = sel.css("span.tm-price::text").get() or item.get("reservePrice")
    detail = setup.get("detail") or {}
    gone = bool(detail.get("isDownShelf")) or item.get("isOnline") is False
    listing = Listing(
        platform="tmall",
        item_id=str(item["itemId"]),
        url=tmall_item_url(str(item["itemId"])),
        title=strip_tags(item.get("title") or sel.css("div.tb-detail-hd h1").get()),
        price=price(shown),
        seller_id=str(item["userId"]) if item.get("userId") else None,
        seller_name=shop_name,
        shop_url=absolute(shop_a.attrib.get("href")) if shop_a else None,
        location=item.get("prov") or None,
        image_urls=images,
        comments=count(sel.css("#J_ItemRates .tm-count::text").get()),
        source="tmall:TShop.Setup",
        raw={"itemDO": item, "rstShopId": setup.get("rstShopId")},
    )
    return ParsedPage([listing], "ok", gone=gone, detail="item page (off-shelf)" if gone else "item page")
