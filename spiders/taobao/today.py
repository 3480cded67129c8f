"""Taobao as it serves today: the mtop ``wsearch.h5search`` answer, the rendered search cards
(``[class*="doubleCard--"]``) and the ICE item data (``window.__ICE_APP_CONTEXT__``, the same payload as
mtop ``pcdetail.data.get``). Tmall's items come through here too (``platform="tmall"``)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from parsel import Selector

from markwatch.listing import Listing
from spiders.common import (
    ParsedPage,
    absolute,
    alicdn_full,
    api_result_page,
    as_int,
    json_after,
    layout_changed,
    obj,
    price,
    query_value,
    refused,
    strip_tags,
    to_text,
    unique,
    unwrap_jsonp,
)
from spiders.refusals import refusal_from_url, refusal_in_body


def taobao_item_url(nid: str, tmall: bool = False) -> str:
    """The canonical item URL (search results' URLs are ad redirects or h5 links)."""
    host = "detail.tmall.com" if tmall else "item.taobao.com"
    return f"https://{host}/item.htm?id={nid}"


def mtop_envelope(text: str, name: str) -> dict[str, Any] | ParsedPage:
    """The mtop answer's JSON object, or the page that says why there is none.

    Refusals first (Baxia ``deny_h5``, ``RGV587`` with ``x5secdata``, punish, token, login), then a
    ``ret`` that is not ``SUCCESS`` as an ``error``.
    """
    try:
        doc = json.loads(unwrap_jsonp(text))
    except ValueError:
        sign = refusal_in_body(text, "taobao")
        return refused(*sign) if sign else layout_changed(f"{name} answer is not JSON(P)")
    if not isinstance(doc, dict):
        return layout_changed(f"{name} answer is not an object")
    ret = [str(r) for r in doc.get("ret") or []]
    failed = bool(ret) and not any(r.startswith("SUCCESS") for r in ret)
    if doc.get("rgv587_flag") or failed:
        joined = " | ".join(ret)
        if any(s in joined for s in ("FAIL_SYS_SESSION_EXPIRED", "FAIL_SYS_LOGIN", "FAIL_SYS_NEED_LOGIN")):
            return refused("login", joined)
        sign = refusal_in_body(text, "taobao")
        if sign:
            return refused(*sign)
        return ParsedPage([], "error", detail=joined or "mtop answer without ret")
    return doc


# --- mtop.taobao.wsearch.h5search/1.0 --------------------------------------------------------------


def parse_h5search(body: bytes | str, url: str, content_type: str | None = None) -> ParsedPage:
    """``h5api.m.taobao.com/h5/mtop.taobao.wsearch.h5search/1.0/``: a flat ``data`` holding
    ``listItem[]`` (``item_id``, ``name``/``title``, ``price``, ``nick``, ``userId``, ``area``,
    ``pic_path``, ``sold``/``act``, ``isB2c``) and ``totalResults`` / ``totalPage`` / ``page``."""
    doc = mtop_envelope(to_text(body, content_type), "h5search")
    if isinstance(doc, ParsedPage):
        return doc
    data = doc.get("data")
    if not isinstance(data, dict):
        return layout_changed("h5search answer has no data object")
    items = data.get("listItem")
    if items is None:
        items = data.get("itemsArray")
    main = obj(data.get("mainInfo"))  # some answers keep the totals beside itemsArray, in mainInfo
    page = _data_page(url) or as_int(data.get("page")) or as_int(main.get("page"))
    total = as_int(data.get("totalResults")) or as_int(main.get("totalResults"))
    parsed = api_result_page(
        items, lambda it: _h5_item(it, page), total_results=total, per_page=48, name="h5search listItem"
    )
    stated = as_int(data.get("totalPage"))
    if stated is None:
        stated = as_int(main.get("totalPage"))
    if parsed.outcome == "ok":
        parsed.total_pages = stated if stated is not None else parsed.total_pages
        parsed.detail = f"{len(parsed.listings)} h5search items"
    return parsed


def _data_page(url: str) -> int | None:
    """The page asked for: ``data={"page":N,…}`` (or inside its stringified ``params``)."""
    try:
        data = json.loads(parse_qs(urlsplit(url).query)["data"][0])
        if isinstance(data.get("params"), str):
            data = json.loads(data["params"])
        return int(data.get("page", 1))
    except (KeyError, ValueError, TypeError, IndexError, AttributeError):
        return None


def _h5_item(it: dict[str, Any], page: int | None) -> Listing | None:
    link = absolute(it.get("url") or it.get("auctionURL"))
    nid = it.get("item_id") or it.get("itemId") or it.get("nid") or query_value(link, "id")
    if not nid or not str(nid).isdigit():
        return None
    is_tmall = str(it.get("isB2c", "")) == "1" or bool(it.get("isTmall")) or "tmall.com" in (link or "")
    pic = absolute(it.get("pic_path") or it.get("pic") or it.get("picUrl"))
    shown = (it.get("priceShow") or {}).get("price") if isinstance(it.get("priceShow"), dict) else None
    sold = it.get("realSales") or it.get("sold") or it.get("act")
    shop = obj(it.get("shopInfo"))
    return Listing(
        platform="tmall" if is_tmall else "taobao",
        item_id=str(nid),
        url=taobao_item_url(str(nid), is_tmall),
        title=strip_tags(it.get("title") or it.get("name")),
        price=price(shown if shown is not None else it.get("price")),
        sales=str(sold) if sold else None,
        seller_id=str(it["userId"]) if it.get("userId") else None,
        seller_name=it.get("nick") or it.get("shopName") or shop.get("title") or None,
        shop_url=absolute(shop.get("url")),
        location=it.get("area") or it.get("procity") or it.get("location") or None,
        image_urls=[alicdn_full(pic)] if pic else [],
        page=page,
        source="taobao:mtop-h5search",
        raw=it,
    )


# --- rendered search cards -------------------------------------------------------------------------


def rendered_cards(text: str, page: int | None) -> list[Listing]:
    """The search page once its script ran: ``[class*="doubleCard--"]`` cards (title--, priceInt--,
    priceFloat--, realSales--, shopName--, procity--); the item id is ``data-spm-act-id`` on the card
    or one of its three nearest ancestors (or the link's ``id=``)."""
    if "doubleCard--" not in text:
        return []
    out: list[Listing] = []
    seen: set[str] = set()
    for card in Selector(text=text, type="html").css('[class*="doubleCard--"]'):
        nid = None
        for holder in card.xpath("ancestor-or-self::*[@data-spm-act-id]")[-4:][::-1]:
            value = holder.attrib.get("data-spm-act-id", "")
            if re.fullmatch(r"\d{6,}", value):
                nid = value
                break
        link = card.xpath("ancestor-or-self::a[@href][1]/@href").get() or card.css("a::attr(href)").get()
        href = absolute(link)
        nid = nid or query_value(href, "id")
        if not nid or not nid.isdigit() or nid in seen:
            continue
        seen.add(nid)

        def first(stem: str, sel: Any = card) -> str:
            found = sel.css(f'[class*="{stem}"]')
            return strip_tags(found[0].get()) if found else ""

        is_tmall = "tmall.com" in (href or "") or bool(card.css('[class*="tmall"], img[src*="tmall"]'))
        pic = card.css('img[class*="mainPic"]::attr(src)').get() or card.css("img::attr(src)").get()
        cities = [strip_tags(c) for c in card.css('[class*="procity--"]').getall()]
        shop = re.sub(r"^\d+年老店|^回头客[\d万]+", "", first("shopName--")).strip()
        out.append(
            Listing(
                platform="tmall" if is_tmall else "taobao",
                item_id=nid,
                url=taobao_item_url(nid, is_tmall),
                title=first("title--"),
                price=price(first("priceInt--") + first("priceFloat--")),
                sales=first("realSales--") or None,
                seller_name=shop or None,
                location=" ".join(c for c in cities if c) or None,
                image_urls=[alicdn_full(absolute(pic) or "")] if pic else [],
                page=page,
                source="taobao:rendered-card",
                raw={"href": href},
            )
        )
    return out


# --- ICE item data / mtop.taobao.pcdetail.data.get ---------------------------------------------------

_ICE = re.compile(r"__ICE_APP_CONTEXT__\s*=\s*")


def ice_res(text: str) -> dict[str, Any] | None:
    """``window.__ICE_APP_CONTEXT__.loaderData.home.data.res`` from an item page, or None."""
    try:
        ctx = json_after(text, _ICE)
    except ValueError:
        return None
    try:
        res = ctx["loaderData"]["home"]["data"]["res"]
    except (KeyError, TypeError):
        return None
    return res if isinstance(res, dict) else None


def item_from_res(res: dict[str, Any], url: str, platform: str, source: str) -> ParsedPage:
    """The listing in an item payload: ``item{itemId,title,images}``, ``seller{shopName,sellerId,
    userId,shopId,sellerNick}``, the lowest ``skuCore.sku2info[*].price.priceText`` (else
    ``componentsVO.priceVO.price``)."""
    item = res.get("item")
    if not isinstance(item, dict) or not item.get("itemId"):
        return layout_changed("item data has no item.itemId")
    seller = obj(res.get("seller"))
    item_id = str(item["itemId"])
    prices = []
    sku2info = (res.get("skuCore") or {}).get("sku2info") or {}
    for info in sku2info.values() if isinstance(sku2info, dict) else []:
        if isinstance(info, dict) and isinstance(info.get("price"), dict):
            prices.append(price(info["price"].get("priceText")))
    if not any(p is not None for p in prices):
        vo = ((res.get("componentsVO") or {}).get("priceVO") or {}).get("price") or {}
        prices.append(price(vo.get("priceText")))
    found = [p for p in prices if p is not None]
    images = unique([alicdn_full(absolute(u) or "") for u in item.get("images") or [] if isinstance(u, str)])
    seller_id = seller.get("sellerId") or seller.get("userId")
    shop_id = seller.get("shopId")
    shop_url = absolute(seller.get("pcShopUrl") or seller.get("shopUrl"))
    if not shop_url and shop_id:
        shop_url = f"https://shop{shop_id}.taobao.com"
    host = urlsplit(url).hostname or ""
    is_tmall = platform == "tmall" or host.endswith("tmall.com") or str(seller.get("shopType")) == "B"
    trade = obj(res.get("trade"))
    infos = [obj(i) for i in (sku2info.values() if isinstance(sku2info, dict) else [])]
    gone = (
        (str(trade.get("buyEnable", "")).lower() == "false" and bool(trade.get("hintBanner")))
        or bool(obj(res.get("componentsVO")).get("offShelfVO"))
        or (bool(infos) and all("下架" in str(i.get("quantityText", "")) for i in infos))
    )
    listing = Listing(
        platform="tmall" if is_tmall else "taobao",
        item_id=item_id,
        url=taobao_item_url(item_id, is_tmall),
        title=strip_tags(item.get("title")),
        price=min(found) if found else None,
        seller_id=str(seller_id) if seller_id else None,
        seller_name=seller.get("shopName") or seller.get("sellerNick") or None,
        shop_url=shop_url,
        image_urls=images,
        source=source,
        raw={"seller": seller, "itemId": item_id},
    )
    return ParsedPage([listing], "ok", gone=gone, detail="item data (off-shelf)" if gone else "item data")


def parse_ice_item(
    body: bytes | str, url: str, content_type: str | None = None, platform: str = ""
) -> ParsedPage:
    """An item page carrying ``window.__ICE_APP_CONTEXT__`` (Taobao or Tmall)."""
    mode = refusal_from_url(url, "taobao")
    if mode:
        return refused(mode, f"redirected to {url}")
    text = to_text(body, content_type)
    res = ice_res(text)
    if res is None:
        sign = refusal_in_body(text, "taobao")
        return refused(*sign) if sign else layout_changed("no __ICE_APP_CONTEXT__ loaderData.home.data.res")
    return item_from_res(res, url, platform, "taobao:ice")


def parse_pcdetail(
    body: bytes | str, url: str, content_type: str | None = None, platform: str = ""
) -> ParsedPage:
    """``h5api.m.tmall.com/h5/mtop.taobao.pcdetail.data.get/1.0/``: ``data`` is the ICE ``res``."""
    doc = mtop_envelope(to_text(body, content_type), "pcdetail")
    if isinstance(doc, ParsedPage):
        return doc
    data = doc.get("data")
    if not isinstance(data, dict):
        return layout_changed("pcdetail answer has no data object")
    return item_from_res(data, url, platform, "taobao:pcdetail")


def mtop_api_name(url: str) -> str:
    """``…/h5/mtop.taobao.wsearch.h5search/1.0/?…`` → ``mtop.taobao.wsearch.h5search`` (lower case;
    the ``api=`` query value wins when present)."""
    api = query_value(url, "api")
    if api:
        return api.lower()
    m = re.search(r"/(mtop\.[\w.]+)/\d", urlsplit(url).path)
    return m.group(1).lower() if m else ""
