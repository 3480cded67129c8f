"""JD's older shapes, kept for saved pages and the legacy sandbox: the search page and its
``s_new.php`` half (``li.gl-item``), ``p.3.cn`` prices (retired) and the ``pageConfig`` item page.
Today's shapes (``div[data-sku]`` cards, ``pc_search_searchWare``, ``pc_detailpage_wareBusiness``) are
in :mod:`spiders.jd.today`."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

from parsel import Selector

from markwatch.listing import Listing
from spiders.common import (
    ParsedPage,
    absolute,
    count,
    layout_changed,
    price,
    refused,
    strip_tags,
    to_text,
    unwrap_jsonp,
)
from spiders.refusals import refusal_from_url, refusal_in_body

#: Where JD's relative ``jfs/...`` image paths live (platforms.md §3.2).
JD_IMAGE_BASE = "https://img14.360buyimg.com/n1/"


def jd_item_url(sku: str) -> str:
    return f"https://item.jd.com/{sku}.html"


def jd_image(path: str | None) -> str | None:
    """``//img13.360buyimg.com/n7/jfs/…`` → the large ``/n1/`` https URL; ``jfs/…`` → prefixed."""
    if not path:
        return None
    path = path.strip()
    if path.startswith("jfs/") or path.startswith("/jfs/"):
        return JD_IMAGE_BASE + path.lstrip("/")
    url = absolute(path)
    return re.sub(r"(360buyimg\.com)/n\d+/", r"\1/n1/", url) if url else None


def _logical_page(url: str) -> int | None:
    """JD's logical page n is served as half-pages 2n-1 (Search) and 2n (s_new.php)."""
    q = parse_qs(urlsplit(url).query)
    try:
        half = int(q.get("page", ["1"])[0])
    except ValueError:
        return None
    return (half + 1) // 2


def parse_jd_search(body: bytes | str, url: str, content_type: str | None = None) -> ParsedPage:
    """``search.jd.com/Search`` (first 30) or ``search.jd.com/s_new.php`` (second 30): ``li.gl-item``."""
    mode = refusal_from_url(url)
    if mode:
        return refused(mode, f"redirected to {url}")
    text = to_text(body, content_type)
    sel = Selector(text=text, type="html")
    items = sel.css("li.gl-item")
    page = _logical_page(url)
    listings = [lst for li in items for lst in [_gl_item(li, page)] if lst]
    m = re.search(r"page_count\s*:\s*['\"]?(\d+)", text)
    total_pages = int(m.group(1)) if m else None
    m = re.search(r"result_count\s*:\s*['\"]?(\d+)", text)
    total_results = int(m.group(1)) if m else None
    if listings:
        return ParsedPage(
            listings,
            "ok",
            total_pages=total_pages,
            total_results=total_results,
            detail=f"{len(listings)} gl-items",
        )
    sign = refusal_in_body(text)
    if sign:
        return refused(*sign)
    if sel.css(".notice-search, .ns-content, .check-error") or re.search(
        r"抱歉，没有找到与|没有找到相关的商品|result_count\s*:\s*['\"]?0\b", text
    ):
        return ParsedPage([], "empty", total_pages=0, total_results=0, detail="JD shows its no-result page")
    if "s_new.php" in url and not text.strip():
        return ParsedPage([], "empty", detail="empty s_new.php half-page")
    if items:
        return layout_changed(f"{len(items)} li.gl-item without data-sku")
    return layout_changed("no li.gl-item in the page")


def _gl_item(li: Selector, page: int | None) -> Listing | None:
    sku = li.attrib.get("data-sku") or li.css("[data-sku]::attr(data-sku)").get()
    if not sku:
        return None
    strong = li.css("div.p-price strong")
    shown = strong.attrib.get("data-price") if strong else None
    if not shown or shown in ("0", "0.00"):
        shown = li.css("div.p-price strong i::text").get()
    name = li.css("div.p-name em")
    title = strip_tags(re.sub(r'<span class="p-tag"[^>]*>.*?</span>', "", name.get() or "", flags=re.S))
    if not title:
        title = li.css("div.p-name a::attr(title)").get() or ""
    shop_a = li.css("div.p-shop a.curr-shop, div.p-shop a.hd-shopname, div.p-shop span a, div.p-shop a")
    shop_href = absolute(shop_a.attrib.get("href")) if shop_a else None
    shop_name = (shop_a.attrib.get("title") or strip_tags(shop_a.get())) if shop_a else None
    m = re.search(r"index-(\d+)\.html", shop_href or "")
    shop_id = m.group(1) if m else li.css("div.p-img [data-venid]::attr(data-venid)").get()
    img = li.css("div.p-img img")
    raw_img = None
    if img:  # data-lazy-img says "done" once the lazy loader moved the URL into src
        candidates = ("data-lazy-img", "source-data-lazy-img", "src")
        raw_img = next((v for v in (img.attrib.get(a) for a in candidates) if v and v != "done"), None)
    image = jd_image(raw_img)
    shop = li.css("div.p-shop")
    commit = li.css("div.p-commit strong a::text").get()
    return Listing(
        platform="jd",
        item_id=str(sku),
        url=jd_item_url(str(sku)),
        title=title,
        price=price(shown),
        sales=(commit.strip() + "条评价") if commit and commit.strip() else None,
        seller_id=shop_id,
        seller_name=shop_name,
        shop_url=shop_href.split("?")[0] if shop_href else None,
        location=li.css("div.p-stock::attr(data-province)").get(),
        image_urls=[image] if image else [],
        comments=count(commit) if commit and commit.strip() else None,
        page=page,
        source="jd:search-html",
        raw={
            "sku": sku,
            "price": shown,
            "shop": shop_name,
            "selfware": shop.attrib.get("data-selfware") if shop else None,
            "icons": [strip_tags(i) for i in li.css("div.p-icons i").getall()],
        },
    )


def parse_jd_prices(body: bytes | str, url: str = "", content_type: str | None = None) -> dict[str, float]:
    """``p.3.cn/prices/mgets``: ``[{"id":"J_100…","p":"1989.00",…}]`` → ``{"100…": 1989.0}``."""
    text = unwrap_jsonp(to_text(body, content_type))
    try:
        rows = json.loads(text)
    except ValueError:
        return {}
    out: dict[str, float] = {}
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            continue
        sku = str(row.get("id", "")).removeprefix("J_")
        shown = str(row.get("p", "")).strip()
        value = None if shown.startswith("-") else price(shown)  # "-1.00": no price (off-shelf)
        if sku and value is not None:
            out[sku] = value
    return out


_PAGE_CONFIG = re.compile(r"pageConfig\s*=\s*\{")


def parse_jd_item(body: bytes | str, url: str, content_type: str | None = None) -> ParsedPage:
    """``item.jd.com/{sku}.html``: ``window.pageConfig = {compatible: true, product: {...}}`` (a JS
    literal, not JSON, so fields are read one by one) and ``div.sku-name``."""
    mode = refusal_from_url(url)
    if mode:
        return refused(mode, f"redirected to {url}")
    parts = urlsplit(url)
    if parts.hostname in ("www.jd.com", "jd.com") and parts.path in ("", "/"):
        return ParsedPage([], "empty", gone=True, detail="item removed (JD sends it to its home page)")
    text = to_text(body, content_type)
    m = _PAGE_CONFIG.search(text)
    if not m:
        sign = refusal_in_body(text)
        if sign:
            return refused(*sign)
        if re.search(r"该商品已下柜|商品已下架|itemover|商品不存在", text):
            return ParsedPage([], "empty", gone=True, detail="item removed (下柜)")
        return layout_changed("no pageConfig in the item page")
    block = text[m.start() : m.start() + 30000]

    def field(name: str) -> str | None:
        fm = re.search(rf"\b{name}\s*:\s*(?:'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"|(\d+))", block)
        if not fm:
            return None
        raw = next(g for g in fm.groups() if g is not None)
        try:
            return str(json.loads('"' + raw.replace('"', '\\"').replace("\\'", "'") + '"'))
        except ValueError:
            return raw

    sku = field("skuid") or re.sub(r"\D", "", urlsplit(url).path)
    images_m = re.search(r"imageList\s*:\s*(\[[^\]]*\])", block)
    images: list[str] = []
    if images_m:
        try:
            images = [u for u in (jd_image(p) for p in json.loads(images_m.group(1).replace("'", '"'))) if u]
        except ValueError:
            images = []
    sel = Selector(text=text, type="html")
    title = strip_tags(sel.css("div.sku-name").get() or "") or field("name") or ""
    shop_id = field("shopId")
    vender = field("venderId")
    shop_a = sel.css("div.J-hove-wrap div.name a, div.shopName a, .popbox-inner h3 a")
    gone = bool(re.search(r"该商品已下柜|itemover-tip", text))
    listing = Listing(
        platform="jd",
        item_id=str(sku),
        url=jd_item_url(str(sku)),
        title=title,
        price=price(sel.css("span.p-price span.price::text, .summary-price .price::text").get()),
        seller_id=shop_id if shop_id and shop_id != "0" else vender,
        seller_name=(shop_a.attrib.get("title") or strip_tags(shop_a.get())) if shop_a else None,
        shop_url=f"https://mall.jd.com/index-{shop_id}.html" if shop_id and shop_id != "0" else None,
        image_urls=images,
        source="jd:item",
        raw={"venderId": vender, "shopId": shop_id, "brand": field("brand")},
    )
    return ParsedPage([listing], "ok", gone=gone, detail="item page")


def jd_prices_url(skus: list[str]) -> str:
    return "https://p.3.cn/prices/mgets?type=1&skuIds=" + ",".join(f"J_{s}" for s in skus)
