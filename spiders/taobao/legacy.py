"""Taobao's older shapes, kept for saved pages and the legacy sandbox: the search page's
``g_page_config`` (also bare, or the old ``ajax=true`` JSON), the first SPA cards
(``doubleCardWrapper``), the ``relationrecommend`` mtop JSONP (2024–25) and the ``g_config`` item page.
Today's shapes are in :mod:`spiders.taobao.today`; the search and item parsers here hand over to them
when a page is in today's shape."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from markwatch.listing import Listing
from spiders.common import (
    ParsedPage,
    absolute,
    alicdn_full,
    api_result_page,
    as_int,
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

_G_PAGE_CONFIG = re.compile(r"g_page_config\s*=\s*")


taobao_item_url = today.taobao_item_url


def _search_page(url: str) -> int | None:
    q = parse_qs(urlsplit(url).query)
    try:
        return int(q["s"][0]) // 44 + 1 if "s" in q else 1
    except (ValueError, IndexError):
        return None


def parse_taobao_search(body: bytes | str, url: str, content_type: str | None = None) -> ParsedPage:
    """``s.taobao.com/search``: the HTML (or bare script) holding ``g_page_config = {...};``.

    Taobao's search also lists Tmall stores' items (``shopcard.isTmall``); those come out with
    ``platform="tmall"`` and their detail.tmall.com URL, so they are the same listing as a Tmall hit.
    """
    mode = refusal_from_url(url)
    if mode:
        return refused(mode, f"redirected to {url}")
    text = to_text(body, content_type)
    try:
        config = json_after(text, _G_PAGE_CONFIG)
    except ValueError:
        config = _bare_config(text)
    if config is None:
        cards = today.rendered_cards(text, _search_page(url)) or _spa_cards(text, _search_page(url))
        if cards:
            return ParsedPage(cards, "ok", detail=f"{len(cards)} rendered cards (current SPA page)")
        sign = refusal_in_body(text)
        if sign:
            return refused(*sign)
        return layout_changed("no g_page_config JSON and no rendered item cards in the page")
    mods = config.get("mods") if isinstance(config, dict) else None
    if not isinstance(mods, dict):
        return layout_changed("g_page_config has no mods")
    itemlist = mods.get("itemlist") or {}
    auctions = (itemlist.get("data") or {}).get("auctions")
    pager = (mods.get("pager") or {}).get("data") or {}
    total_pages = pager.get("totalPage")
    total_count = pager.get("totalCount")
    if not auctions:
        noresult = mods.get("noresult") or {}
        if noresult.get("status") == "show" or itemlist.get("status") == "hide":
            return ParsedPage([], "empty", total_pages=0, detail="Taobao shows its no-result module")
        return layout_changed("g_page_config has no mods.itemlist.data.auctions")
    page = _search_page(url)
    listings = [_auction(a, page) for a in auctions if isinstance(a, dict) and a.get("nid")]
    if not listings:
        return layout_changed("auctions carry no nid")
    current = pager.get("currentPage")
    nxt: dict[str, Any] = {}
    if isinstance(total_pages, int) and isinstance(current, int) and current < total_pages:
        nxt = {"page": current + 1, "s": current * 44}
    return ParsedPage(
        listings,
        "ok",
        total_pages=total_pages if isinstance(total_pages, int) else None,
        total_results=as_int(total_count),
        next=nxt,
        detail=f"{len(listings)} auctions",
    )


def _bare_config(text: str) -> Any:
    """A bare ``g_page_config`` object (saved without ``g_page_config =``) or the old ``ajax=true``
    JSON answer: an object with ``mods``; None otherwise."""
    stripped = text.lstrip()
    if not stripped.startswith("{") or '"mods"' not in stripped[:5000]:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(stripped)
    except ValueError:
        return None
    return value if isinstance(value, dict) and "mods" in value else None


def _auction(a: dict[str, Any], page: int | None) -> Listing:
    nid = str(a["nid"])
    shopcard = a.get("shopcard") or {}
    is_tmall = bool(shopcard.get("isTmall")) or "detail.tmall.com" in str(a.get("detail_url", ""))
    shop = absolute(a.get("shopLink"))
    if shop and "click.simba" in shop:
        shop = (
            f"https://store.taobao.com/shop/view_shop.htm?user_number_id={a['user_id']}"
            if a.get("user_id")
            else None
        )
    pic = absolute(a.get("pic_url"))
    return Listing(
        platform="tmall" if is_tmall else "taobao",  # a Tmall store's item lives on Tmall
        item_id=nid,
        url=taobao_item_url(nid, is_tmall),
        title=strip_tags(a.get("raw_title") or a.get("title")),
        price=price(a.get("view_price")),
        sales=a.get("view_sales") or None,
        seller_id=str(a["user_id"]) if a.get("user_id") else None,
        seller_name=a.get("nick") or a.get("shopName") or None,
        shop_url=shop,
        location=a.get("item_loc") or None,
        image_urls=[pic] if pic else [],
        comments=count(a.get("comment_count")) if a.get("comment_count") else None,
        page=page,
        source="taobao:g_page_config",
        raw=a,
    )


def _spa_cards(text: str, page: int | None) -> list[Listing]:
    """The current SPA search page once rendered (Playwright): cards ``a[class*=doubleCardWrapper]``
    with ``id="item_id_{nid}"`` and hashed CSS-module class names, matched by their stable stems."""
    if "doubleCardWrapper" not in text:
        return []
    from parsel import Selector

    out: list[Listing] = []
    for card in Selector(text=text, type="html").css('a[class*="doubleCardWrapper"]'):
        href = absolute(card.attrib.get("href"))
        nid = (card.attrib.get("id") or "").removeprefix("item_id_") or query_value(href, "id")
        if not nid or not nid.isdigit():
            continue

        def first(stem: str, sel: Any = card) -> str:
            found = sel.css(f'[class*="{stem}"]')
            return strip_tags(found[0].get()) if found else ""

        is_tmall = "tmall.com" in (href or "")
        pic = card.css('img[class*="mainPic"]::attr(src)').get()
        shown = first("priceInt") + first("priceFloat")
        cities = [strip_tags(c) for c in card.css('[class*="procity"]').getall()]
        out.append(
            Listing(
                platform="tmall" if is_tmall else "taobao",
                item_id=nid,
                url=taobao_item_url(nid, is_tmall),
                title=first("title"),
                price=price(shown),
                sales=first("realSales") or None,
                seller_name=first("shopNameText") or None,
                location=" ".join(c for c in cities if c) or None,
                image_urls=[alicdn_full(absolute(pic) or "")] if pic else [],
                page=page,
                source="taobao:spa-dom",
                raw={"href": href},
            )
        )
    return out


# --- mtop JSONP -----------------------------------------------------------------------------------


def parse_taobao_mtop(body: bytes | str, url: str, content_type: str | None = None) -> ParsedPage:
    """``h5api.m.taobao.com/h5/mtop.relationrecommend.wirelessrecommend.recommend/2.0/`` JSONP
    (``data.itemsArray``, ``data.mainInfo``)."""
    doc = today.mtop_envelope(to_text(body, content_type), "mtop")
    if isinstance(doc, ParsedPage):
        return doc
    data = doc.get("data") or {}
    items = data.get("itemsArray")
    main = data.get("mainInfo") or {}
    page = _mtop_page(url)
    return api_result_page(
        items,
        lambda it: _mtop_item(it, page),
        total_results=as_int(main.get("totalResults")),
        per_page=48,
        name="mtop itemsArray",
        next={k: main[k] for k in ("sourceS", "bcoffset", "ntoffset", "totalResults") if k in main},
    )


def _mtop_page(url: str) -> int | None:
    q = parse_qs(urlsplit(url).query)
    try:
        params = json.loads(json.loads(q["data"][0])["params"])
        return int(params.get("page", 1))
    except (KeyError, ValueError, TypeError, IndexError):
        return None


def _mtop_item(it: dict[str, Any], page: int | None) -> Listing | None:
    auction_url = absolute(it.get("auctionURL"))
    nid = it.get("item_id") or it.get("itemId") or it.get("nid")
    if not nid and auction_url:
        nid = query_value(auction_url, "id")
    if not nid:
        return None
    shop = it.get("shopInfo") or {}
    is_tmall = bool(it.get("isTmall")) or "tmall.com" in (auction_url or "")
    show = (it.get("priceShow") or {}).get("price")
    pic = absolute(it.get("pic_path") or it.get("picUrl") or it.get("pic_url"))
    return Listing(
        platform="tmall" if is_tmall else "taobao",
        item_id=str(nid),
        url=taobao_item_url(str(nid), is_tmall),
        title=strip_tags(it.get("title")),
        price=price(show if show is not None else it.get("price")),
        sales=it.get("realSales") or None,
        seller_id=str(it["userId"]) if it.get("userId") else None,
        seller_name=it.get("nick") or shop.get("title") or None,
        shop_url=absolute(shop.get("url")),
        location=it.get("procity") or None,
        image_urls=[pic] if pic else [],
        page=page,
        source="taobao:mtop",
        raw=it,
    )


# --- item page ------------------------------------------------------------------------------------

_G_CONFIG = re.compile(r"\bg_config\s*=\s*\{")
_JS_FIELD = r"\b{name}\s*:\s*'((?:[^'\\]|\\.)*)'"


def _js_string(block: str, name: str) -> str | None:
    m = re.search(_JS_FIELD.format(name=name), block)
    if not m:
        return None
    raw = m.group(1)
    try:
        return str(json.loads('"' + raw.replace('"', '\\"').replace("\\'", "'") + '"'))
    except ValueError:
        return raw


def parse_taobao_item(body: bytes | str, url: str, content_type: str | None = None) -> ParsedPage:
    """``item.taobao.com/item.htm?id=``: ``g_config`` (itemId, sellerId, sellerNick, shopName, pic) and
    ``#J_StrPrice``."""
    from parsel import Selector

    mode = refusal_from_url(url)
    if mode:
        return refused(mode, f"redirected to {url}")
    text = to_text(body, content_type)
    if "/auction/noitem.htm" in url:  # where Taobao sends a removed item
        return ParsedPage([], "empty", gone=True, detail="item removed (noitem page)")
    m = _G_CONFIG.search(text)
    if not m and "__ICE_APP_CONTEXT__" in text:
        return today.parse_ice_item(text, url, platform="taobao")
    if not m:
        sign = refusal_in_body(text)
        if sign:
            return refused(*sign)
        if re.search(r"宝贝不存在|已下架|找不到|page-noitem|error-notice|item-not-found", text):
            return ParsedPage([], "empty", gone=True, detail="item removed or off-shelf")
        return layout_changed("no g_config in the item page")
    block = text[m.start() : m.start() + 20000]
    item_id = _js_string(block, "itemId") or (parse_qs(urlsplit(url).query).get("id") or [""])[0]
    sel = Selector(text=text, type="html")
    title = (
        sel.css("#J_Title h3.tb-main-title::attr(data-title)").get()
        or _js_string(block, "title")
        or strip_tags(sel.css("title::text").get("")).removesuffix("-淘宝网")
    )
    thumbs = sel.css("#J_UlThumb img::attr(data-src), #J_UlThumb img::attr(src)").getall()
    main_pic = absolute(_js_string(block, "pic"))
    images = unique([main_pic, *(alicdn_full(absolute(u) or "") for u in thumbs)])
    seller_id = _js_string(block, "sellerId")
    listing = Listing(
        platform="taobao",
        item_id=str(item_id),
        url=taobao_item_url(str(item_id)),
        title=strip_tags(title),
        price=price(
            sel.css("#J_StrPrice .tb-rmb-num::text").get()
            or sel.css("input[name=current_price]::attr(value)").get()
        ),
        seller_id=seller_id,
        seller_name=_js_string(block, "shopName") or _js_string(block, "sellerNick"),
        shop_url=f"https://store.taobao.com/shop/view_shop.htm?user_number_id={seller_id}"
        if seller_id
        else None,
        location=strip_tags(sel.css("#J-From::text, .tb-deliveryAdd::text").get()) or None,
        image_urls=images,
        source="taobao:item",
        raw={"sellerNick": _js_string(block, "sellerNick"), "shopName": _js_string(block, "shopName")},
    )
    gone = bool(re.search(r"此宝贝已下架|宝贝已下架|tb-off-sale", text))
    return ParsedPage([listing], "ok", gone=gone, detail="item page")
