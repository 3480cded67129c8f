"""JD as it serves today: the client-rendered search page (``div[data-sku]`` cards with generated
class names), the ``pc_search_searchWare`` answer (JSON ``data.wareList``; prices come with it, so
``p.3.cn`` is not needed) and the ``pc_detailpage_wareBusiness`` item answer."""

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
    api_result_page,
    as_int,
    count,
    layout_changed,
    obj,
    price,
    query_value,
    refused,
    strip_tags,
    to_text,
    unwrap_jsonp,
)
from spiders.jd.legacy import jd_image, jd_item_url
from spiders.refusals import refusal_from_url, refusal_in_body


def _json_answer(text: str, name: str) -> dict[str, Any] | ParsedPage:
    """The answer's JSON object, or the page that says why there is none (refusal, error, layout)."""
    try:
        doc = json.loads(unwrap_jsonp(text))
    except ValueError:
        sign = refusal_in_body(text, "jd")
        return refused(*sign) if sign else layout_changed(f"{name} answer is not JSON")
    if not isinstance(doc, dict):
        return layout_changed(f"{name} answer is not an object")
    sign = refusal_in_body(text[:400], "jd") if ("error" in doc or str(doc.get("code")) == "605") else None
    if sign:
        return refused(*sign)
    code = str(doc.get("code", "0"))
    if code not in ("0", "200"):
        return ParsedPage([], "error", detail=f"code {code}: {doc.get('echo') or doc.get('msg') or ''}")
    return doc


def parse_jd_api(body: bytes | str, url: str, content_type: str | None = None) -> ParsedPage:
    """``api.m.jd.com/api?functionId=pc_search_searchWare``: ``data.wareList`` (the body is JSON even
    when the Content-Type says text/html)."""
    doc = _json_answer(to_text(body, content_type), "searchWare")
    if isinstance(doc, ParsedPage):
        return doc
    data = doc.get("data") or {}
    wares = data.get("wareList")
    page = _api_page(url)
    return api_result_page(
        wares,
        lambda w: _ware(w, page),
        total_results=as_int(data.get("resultCount")),
        per_page=30,
        name="searchWare wareList",
    )


def _api_page(url: str) -> int | None:
    q = parse_qs(urlsplit(url).query)
    try:
        return int(json.loads(q["body"][0]).get("page", 1))
    except (KeyError, ValueError, TypeError, IndexError, AttributeError):
        return None


def _ware(w: dict[str, Any], page: int | None) -> Listing | None:
    sku = w.get("skuId") or w.get("wareId")
    if not sku:
        return None
    image = jd_image(w.get("imageurl") or w.get("imageUrl"))
    comment = w.get("commentFuzzy") or w.get("comment")
    return Listing(
        platform="jd",
        item_id=str(sku),
        url=jd_item_url(str(sku)),
        title=strip_tags(w.get("wareName") or w.get("name")),
        price=price(w.get("jdPrice") or w.get("price")),
        sales=f"{comment}条评价" if comment else None,
        seller_id=str(w["shopId"]) if w.get("shopId") else None,
        seller_name=w.get("shopName") or None,
        shop_url=f"https://mall.jd.com/index-{w['shopId']}.html" if w.get("shopId") else None,
        image_urls=[image] if image else [],
        comments=count(comment) if comment else None,
        page=page,
        source="jd:searchWare",
        raw=w,
    )


# --- rendered search page ----------------------------------------------------------------------------


def _search_page(url: str) -> int | None:
    try:
        return int(query_value(url, "page") or "1")
    except ValueError:
        return None


def parse_jd_rendered(body: bytes | str, url: str, content_type: str | None = None) -> ParsedPage:
    """``search.jd.com/Search?keyword=`` once its script ran: one ``div[data-sku]`` per ware, class
    names generated, so fields are read from stable attributes and text: the title from the item
    link's ``title`` (else the text before the ``¥`` price), the price from ``¥…``, the shop from its
    ``mall.jd.com`` / ``shop.jd.com`` link, the photo from ``img`` (``data-lazy-img`` unless ``done``)."""
    mode = refusal_from_url(url, "jd")
    if mode:
        return refused(mode, f"redirected to {url}")
    text = to_text(body, content_type)
    sel = Selector(text=text, type="html")
    cards = [c for c in sel.css("div[data-sku]") if not c.xpath("ancestor::div[@data-sku]")]
    page = _search_page(url)
    listings = [lst for card in cards for lst in [_card(card, page)] if lst]
    if listings:
        return ParsedPage(listings, "ok", detail=f"{len(listings)} div[data-sku] cards")
    sign = refusal_in_body(text, "jd")
    if sign:
        return refused(*sign)
    if re.search(r"抱歉，没有找到与|没有找到相关的商品|暂无商品", text):
        return ParsedPage([], "empty", total_pages=0, total_results=0, detail="JD shows its no-result page")
    return layout_changed("no div[data-sku] cards in the rendered page")


_YUAN = re.compile(r"[¥￥]\s*([\d,]+(?:\.\d+)?)")


def _card(card: Selector, page: int | None) -> Listing | None:
    sku = card.attrib.get("data-sku", "")
    if not sku.isdigit():
        return None
    whole = re.sub(r"\s+", " ", " ".join(card.xpath(".//text()").getall())).strip()
    item_a = card.css(f'a[href*="item.jd.com/{sku}"]')
    title = ""
    for a in item_a:  # the link's title, a titled element inside it, else its text
        title = a.attrib.get("title") or a.css("[title]::attr(title)").get() or strip_tags(a.get())
        if title:
            break
    m = _YUAN.search(whole)
    if not title and m:
        title = re.sub(r"^(海外无货|京东超市|自营|秒杀|新品|预售|PLUS)\s*", "", whole[: m.start()]).strip()
    if not title:
        return None
    shown = card.attrib.get("data-price") or (m.group(1) if m else None)
    shop_a = card.css('a[href*="mall.jd.com/index-"], a[href*="shop.jd.com"]')
    shop_href = absolute(shop_a.attrib.get("href")) if shop_a else None
    shop_id_m = re.search(r"index-(\d+)", shop_href or "")
    img = card.css("img")
    raw_img = None
    if img:
        candidates = ("data-lazy-img", "data-src", "src")
        raw_img = next((v for v in (img[0].attrib.get(a) for a in candidates) if v and v != "done"), None)
    image = jd_image(raw_img)
    comments = re.search(r"([\d.]+万?\+?)\s*条评价", whole)
    return Listing(
        platform="jd",
        item_id=sku,
        url=jd_item_url(sku),
        title=strip_tags(strip_tags(title)),  # highlight tags shown as text come out escaped once
        price=price(shown),
        sales=f"{comments.group(1)}条评价" if comments else None,
        seller_id=shop_id_m.group(1) if shop_id_m else None,
        seller_name=(shop_a.attrib.get("title") or strip_tags(shop_a.get())) if shop_a else None,
        shop_url=shop_href.split("?")[0] if shop_href else None,
        image_urls=[image] if image else [],
        comments=count(comments.group(1)) if comments else None,
        page=page,
        source="jd:rendered-card",
        raw={"sku": sku, "price": shown},
    )


# --- pc_detailpage_wareBusiness -------------------------------------------------------------------------


def parse_ware_business(body: bytes | str, url: str, content_type: str | None = None) -> ParsedPage:
    """``api.m.jd.com/?appid=pc-item-soa&functionId=pc_detailpage_wareBusiness&body={"skuId":…}``:
    ``price{p,op,finalPrice{price}}``, ``wareInfoReadMap`` / ``wareInfo`` (name, images), ``shopInfo``
    (``shop{shopId,name,url}``) and ``stockInfo`` (off-shelf)."""
    doc = _json_answer(to_text(body, content_type), "wareBusiness")
    if isinstance(doc, ParsedPage):
        return doc
    data = obj(doc.get("data")) or doc
    sku = _body_value(url, "skuId") or str(
        (data.get("wareInfo") or {}).get("skuId") or data.get("skuId") or ""
    )
    ware = obj(data.get("wareInfo"))
    read_map = obj(data.get("wareInfoReadMap"))
    name = (
        ware.get("wareName")
        or ware.get("wname")
        or ware.get("skuName")
        or read_map.get("sku_name")
        or data.get("skuName")
    )
    stock = obj(data.get("stockInfo"))
    off = "下柜" in str(stock.get("stockDesc", "")) or bool(stock.get("isOffShelf"))
    if not name and off:
        return ParsedPage([], "empty", gone=True, detail="the ware is off-shelf (下柜)")
    if not sku or not name:
        return layout_changed("wareBusiness answer has no skuId or ware name")
    prices = obj(data.get("price"))
    final = obj(prices.get("finalPrice"))
    shown = final.get("price") or prices.get("p")
    shop_info = obj(data.get("shopInfo"))
    shop = obj(shop_info.get("shop")) or shop_info
    shop_id = str(shop.get("shopId") or "") or None
    images = [u for u in (jd_image(p) for p in ware.get("imageList") or [] if isinstance(p, str)) if u]
    gone = off or str(stock.get("stockState")) == "34"
    listing = Listing(
        platform="jd",
        item_id=str(sku),
        url=jd_item_url(str(sku)),
        title=strip_tags(str(name)),
        price=None if str(shown).startswith("-") else price(shown),
        seller_id=shop_id if shop_id and shop_id != "0" else None,
        seller_name=shop.get("name") or shop.get("shopName") or None,
        shop_url=f"https://mall.jd.com/index-{shop_id}.html" if shop_id and shop_id != "0" else None,
        image_urls=images,
        source="jd:wareBusiness",
        raw={"price": prices, "shop": shop},
    )
    return ParsedPage(
        [listing], "ok", gone=gone, detail="ware business (off-shelf)" if gone else "ware business"
    )


def _body_value(url: str, key: str) -> str | None:
    try:
        value = json.loads(parse_qs(urlsplit(url).query)["body"][0]).get(key)
    except (KeyError, ValueError, TypeError, IndexError, AttributeError):
        return None
    return str(value) if value not in (None, "") else None


def function_id(url: str) -> str:
    """``functionId`` of an ``api.m.jd.com`` URL (``pc_search_searchWare``…), or ``""``."""
    return query_value(url, "functionId") or query_value(url, "functionid") or ""
