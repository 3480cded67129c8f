"""Page and API bodies in the platforms' own shapes (see ``shared/docs/platforms.md``).

Pure functions from listings to text; the server encodes them (GBK for Taobao and Tmall pages and
JD item pages, as the originals, UTF-8 elsewhere). Each search renderer takes ``layout``:
``"normal"`` is the real shape, ``"changed"`` moves the class names / keys the parsers rely on, so that
layout-change detection can be tested. Markup is written from the documented selectors, never
copied from a saved page.
"""

# ruff: noqa: E501  (page templates are data: their lines are as long as the markup they mirror)
from __future__ import annotations

import hashlib
import html
import json
import re
import zlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from sandbox import images
from sandbox.catalogue import Listing


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _escaped(x: Listing) -> tuple[str, str]:
    """The listing's title and seller name, HTML-escaped (cached on the listing)."""
    hit = x.cache.get("esc")
    if hit is None:
        hit = x.cache["esc"] = (esc(x.title), esc(x.seller.name))
    return hit


def highlight(title: str, query: str, open_tag: str = "<span class=H>", close_tag: str = "</span>") -> str:
    """Wrap case-insensitive occurrences of the query in the platform's highlight tag."""
    q = query.strip()
    if not q or q.lower() not in title.lower():
        return title
    return re.sub(re.escape(q), lambda m: f"{open_tag}{m.group(0)}{close_tag}", title, flags=re.IGNORECASE)


def ali_json(obj: Any) -> str:
    """JSON the way Alibaba pages embed it: ``<``, ``>``, ``=``, ``&`` as ``\\u003c``, ``\\u003e``, ``\\u003d``, ``\\u0026``.

    Characters that GBK cannot hold are written as ``\\uXXXX`` escapes so the page stays valid JSON
    after GBK encoding.
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    text = (
        text.replace("<", "\\u003c").replace(">", "\\u003e").replace("=", "\\u003d").replace("&", "\\u0026")
    )
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        text = "".join(c if _gbk_ok(c) else "".join(f"\\u{u:04x}" for u in _utf16(c)) for c in text)
    return text


def _gbk_ok(c: str) -> bool:
    try:
        c.encode("gbk")
        return True
    except UnicodeEncodeError:
        return False


def _utf16(c: str) -> list[int]:
    b = c.encode("utf-16-be")
    return [int.from_bytes(b[i : i + 2], "big") for i in range(0, len(b), 2)]


def js_unicode(text: str) -> str:
    """A JS single-quoted string body with every non-ASCII character ``\\u``-escaped (as g_config)."""
    out = []
    for c in text:
        if c in "'\\":
            out.append("\\" + c)
        elif ord(c) < 128:
            out.append(c)
        else:
            out.extend(f"\\u{u:04X}" for u in _utf16(c))
    return "".join(out)


def token(listing: Listing, j: int, seed: int) -> str:
    return images.encode_ref(listing.index * 16 + j, seed)


def _h(*parts: object) -> int:
    return zlib.crc32(repr(parts).encode())


def _hex(text: str, n: int) -> str:
    """``n`` hex digits derived from ``text`` (cheap: CRC32, not a digest; only for looks)."""
    out = ""
    k = 0
    while len(out) < n:
        out += f"{zlib.crc32(f'{k}:{text}'.encode()):08x}"
        k += 1
    return out[:n]


def _rn(listing: Listing) -> str:
    return _hex(f"rn:{listing.item_id}", 32)


def _cls(cond: bool, name: str) -> str:
    return f' class="{name}"' if cond else ""


def _price(v: float) -> str:
    return f"{v:.2f}"


def _sales_taobao(n: int) -> str:
    if n >= 10000:
        return f"{n // 10000}万+人付款"
    if n >= 100:
        return f"{n // 100 * 100}+人付款"
    return f"{n}人付款"


# --- Taobao -------------------------------------------------------------------------------------


def taobao_auction(x: Listing, q: str, epoch: int, seed: int) -> dict[str, Any]:
    static = x.cache.get("tb")
    if static is None:
        static = x.cache["tb"] = _taobao_static(x, seed)
    auction = dict(static)
    auction["title"] = highlight(x.title, q)
    auction["view_price"] = _price(x.price(epoch))
    auction["view_sales"] = _sales_taobao(x.sales_at(epoch))
    return auction


def _taobao_static(x: Listing, seed: int) -> dict[str, Any]:
    """The parts of a Taobao auction that do not change with the query or the epoch (cached per listing)."""
    tmall = x.platform == "tmall"
    uid = x.seller.seller_id
    detail = (
        f"//detail.tmall.com/item.htm?id={x.item_id}&ns=1&abbucket={_h(x.item_id) % 20}"
        if tmall
        else f"//item.taobao.com/item.htm?id={x.item_id}&ns=1&abbucket={_h(x.item_id) % 20}"
    )
    return {
        "i2iTags": {
            "samestyle": {"url": ""},
            "similar": {"url": f"/search?type=similar&app=i2i&rec_type=1&uniqpid=&nid={x.item_id}"},
        },
        "p4pTags": [],
        "nid": x.item_id,
        "category": str(50010000 + _h(x.product) % 9000),
        "pid": "",
        "title": x.title,
        "raw_title": x.title,
        "pic_url": images.taobao_search_pic(token(x, 0, seed), uid),
        "detail_url": detail,
        "view_price": "",
        "view_fee": "0.00" if _h("fee", x.item_id) % 3 else "10.00",
        "item_loc": x.seller.location,
        "view_sales": "",
        "comment_count": str(x.reviews) if x.reviews else "",
        "user_id": uid,
        "nick": x.seller.name,
        "shopcard": {
            "levelClasses": [{"levelClass": "icon-supple-level-guan"}] * (1 + _h("lvl", uid) % 3),
            "isTmall": tmall,
            "delivery": [480 + _h("d", uid) % 20, 1, 1000 + _h("d2", uid) % 3000],
            "description": [480 + _h("s", uid) % 20, 1, 1000 + _h("s2", uid) % 3000],
            "service": [480 + _h("v", uid) % 20, 1, 1000 + _h("v2", uid) % 3000],
            "encryptedUserId": "U" + _hex(uid, 12),
            "sellerCredit": 5 + _h("c", uid) % 15,
            "totalRate": 10000,
        },
        "icon": [],
        "comment_url": f"{detail}&on_comment=1",
        "shopLink": f"//store.taobao.com/shop/view_shop.htm?user_number_id={uid}",
        "risk": "",
    }


def taobao_search_page(
    q: str,
    s: int,
    found: Sequence[Listing],
    total: int,
    epoch: int,
    seed: int,
    layout: str = "normal",
    sort: str = "default",
) -> str:
    """s.taobao.com/search: the HTML page holding ``g_page_config = {...};``.

    ``found`` is the page's slice; ``total`` the number of live results; ``s`` the offset served.
    """
    page_size = 44
    total_page = min(100, max(1, -(-total // page_size))) if total else 0
    current = s // page_size + 1 if total else 1
    utf8_q = quote(q, safe="")
    try:
        gbk_q = quote(q.encode("gbk"), safe="")
    except UnicodeEncodeError:
        gbk_q = utf8_q
    base = f"//s.taobao.com/search?q={utf8_q}&imgfile=&commend=all&ssid=s5-e&search_type=item&sourceId=tb.index&ie=utf8"
    auctions = [taobao_auction(x, q, epoch, seed) for x in found]
    if auctions and current == 1:
        ad = dict(auctions[0])
        ad.update(
            p4p=1,
            p4pSameHeight=True,
            p4pIconType="2",
            detail_url=f"https://click.simba.taobao.com/cc_im?p={gbk_q}&s={_h('ad', q) % 99999999}&k=673&e={hashlib.sha1(str(ad['nid']).encode()).hexdigest()}",
            shopLink=f"https://click.simba.taobao.com/cc_im?p={gbk_q}&s={_h('ad', q) % 99999999}&k=653&e={hashlib.sha1(str(ad['user_id']).encode()).hexdigest()}",
        )
        ad.pop("i2iTags", None)
        auctions.insert(0, ad)
    pager = {"pageSize": page_size, "totalPage": total_page, "currentPage": current, "totalCount": total}
    itemlist: dict[str, Any] = {
        "status": "show" if total else "hide",
        "data": {
            "postFeeText": "运费",
            "trace": "msrp_auction",
            "auctions": auctions,
            "recommendAuctions": [],
            "isSameStyleView": False,
            "sellers": [],
            "query": q,
            "spmModId": "itemlist",
        },
    }
    mods: dict[str, Any] = {
        "shopcombotip": {"status": "hide"},
        "phonenav": {"status": "hide"},
        "debugbar": {"status": "hide"},
        "shopcombo": {"status": "hide"},
        "itemlist": itemlist,
        "bottomsearch": {"status": "show", "data": {"query": q}},
        "tab": {
            "status": "show",
            "data": {"tabs": [{"name": "宝贝", "isActive": True}, {"name": "天猫", "isActive": False}]},
        },
        "pager": {"status": "show" if total else "hide", "data": pager},
        "sortbar": {
            "status": "show",
            "data": {
                "sortList": [
                    {
                        "name": "综合",
                        "tip": "综合排序",
                        "trace": "sortDefault",
                        "isActive": sort == "default",
                        "value": "default",
                        "key": "sort",
                    },
                    {
                        "name": "销量",
                        "tip": "销量从高到低",
                        "trace": "sortSaleDesc",
                        "isActive": sort == "sale-desc",
                        "value": "sale-desc",
                        "key": "sort",
                    },
                    {
                        "name": "信用",
                        "tip": "信用从高到低",
                        "trace": "sortCreditDesc",
                        "isActive": sort == "credit-desc",
                        "value": "credit-desc",
                        "key": "sort",
                    },
                    {
                        "name": "价格",
                        "tip": "价格从低到高",
                        "trace": "sortPrice",
                        "isActive": sort.startswith("price"),
                        "value": "price-asc",
                        "key": "sort",
                    },
                ],
                "pager": pager,
            },
        },
        "p4p": {"status": "show" if auctions else "hide", "data": {"p4pconfig": {"pageNum": total_page}}},
        "noresult": (
            {"status": "hide"}
            if total
            else {"status": "show", "data": {"tips": f"没有找到与“{q}”相关的宝贝", "query": q}}
        ),
    }
    if layout == "changed":
        items = mods.pop("itemlist")
        renamed = []
        for a in items["data"]["auctions"]:
            renamed.append(
                {
                    {
                        "nid": "itemId",
                        "raw_title": "titleText",
                        "view_price": "priceText",
                        "pic_url": "imgUrl",
                        "nick": "shopNick",
                        "user_id": "sellerUid",
                    }.get(k, k): v
                    for k, v in a.items()
                }
            )
        mods["grid"] = {"status": items["status"], "data": {"itemsList": renamed}}
        mods["paginator"] = mods.pop("pager")
    config = {
        "pageName": "mainsrp",
        "mods": mods,
        "mainInfo": {
            "currentUrl": base,
            "modLinks": {"pager": base + "&bcoffset=3&ntoffset=0", "sortbar": base},
            "srpGlobal": {
                "q": q,
                "encode_q": gbk_q,
                "utf8_q": utf8_q,
                "cat": "",
                "s": s,
                "style": "grid",
                "initiative_id": "staobaoz_20261102",
            },
            "traceInfo": {"traceData": {"totalHits": str(total)}},
        },
        "feature": {"webpOff": False, "retinaOff": False, "shopcardOff": False},
    }
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="gbk">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{esc(q)}_淘宝搜索</title>
<link rel="stylesheet" href="//g.alicdn.com/tb/tsrp-pc/4.3.23/index-min.css">
</head>
<body class="page-srp">
<div id="page">
  <div id="main" class="srp-main">
    <div class="grid-total">
      <div id="mainsrp-nav"></div>
      <div id="mainsrp-sortbar"></div>
      <div id="mainsrp-itemlist"></div>
      <div id="mainsrp-pager"></div>
    </div>
  </div>
</div>
<script>
    g_page_config = {ali_json(config)};
    g_srp_loadCss();
    g_srp_init();
</script>
<script src="//g.alicdn.com/tb/tsrp-pc/4.3.23/index-min.js"></script>
</body>
</html>
"""


def mtop_item(x: Listing, q: str, epoch: int, seed: int) -> dict[str, Any]:
    tmall = x.platform == "tmall"
    url = (
        f"//detail.tmall.com/item.htm?id={x.item_id}"
        if tmall
        else f"//item.taobao.com/item.htm?id={x.item_id}"
    )
    price = _price(x.price(epoch))
    return {
        "item_id": x.item_id,
        "title": highlight(x.title, q),
        "price": price,
        "priceShow": {"price": price, "unit": "¥"},
        "realSales": _sales_taobao(x.sales_at(epoch)),
        "nick": x.seller.name,
        "userId": x.seller.seller_id,
        "procity": x.seller.location,
        "auctionURL": url,
        "pic_path": images.alicdn_pic(token(x, 0, seed), x.seller.seller_id).replace(
            "/imgextra/", "/bao/uploaded/"
        ),
        "isTmall": tmall,
        "shopInfo": {
            "title": x.seller.name,
            "url": f"//store.taobao.com/shop/view_shop.htm?user_number_id={x.seller.seller_id}",
        },
        "structuredUSPInfo": [{"propertyName": "品类", "propertyValueName": x.product}],
    }


def mtop_body(ret: Sequence[str], data: dict[str, Any], api: str, v: str = "2.0") -> dict[str, Any]:
    return {"api": api, "data": data, "ret": list(ret), "v": v}


def mtop_search_data(
    q: str, page: int, found: Sequence[Listing], total: int, epoch: int, seed: int, layout: str = "normal"
) -> dict[str, Any]:
    items = [mtop_item(x, q, epoch, seed) for x in found]
    main = {
        "totalResults": str(total),
        "totalPage": min(100, -(-total // 48)) if total else 0,
        "page": page,
        "pageSize": 48,
        "sourceS": str((page - 1) * 48),
        "bcoffset": str(3 + page),
        "ntoffset": str(page % 7),
        "q": q,
    }
    if layout == "changed":
        return {
            "resultList": [
                {"data": {"item": {k: v for k, v in it.items() if k != "title"}, "titleText": it["title"]}}
                for it in items
            ],
            "meta": main,
        }
    return {"itemsArray": items, "mainInfo": main}


def taobao_item_page(x: Listing, epoch: int, seed: int, offshelf: bool = False) -> str:
    uid = x.seller.seller_id
    pics = [
        images.alicdn_pic(token(x, j, seed), uid, host=f"gd{1 + j % 4}.alicdn.com")
        for j in range(len(x.photos))
    ]
    thumbs = "\n".join(
        f'        <li data-index="{j}"><div class="tb-pic tb-s50"><a href="#"><img data-src="{p}_50x50.jpg" src="{p}_50x50.jpg"></a></div></li>'
        for j, p in enumerate(pics)
    )
    main_pic = pics[0] if pics else ""
    price = _price(x.price(epoch))
    if offshelf:
        price_box = '<div id="J_detail-off-sale" class="tb-off-sale"><p class="tb-off-sale-tip">此宝贝已下架</p></div>'
    else:
        price_box = f"""<ul class="tb-meta">
  <li id="J_StrPriceModBox" class="tb-detail-price tb-clear J_PriceItem">
    <span class="tb-property-type">价格</span>
    <div class="tb-property-cont"><strong id="J_StrPrice"><em class="tb-rmb">¥</em><em class="tb-rmb-num">{price}</em></strong></div>
  </li>
  <li id="J_SellCounter" class="tb-sell-counter"><strong id="J_SellCounter">{x.sales_at(epoch)}</strong> 交易成功</li>
</ul>
<input type="hidden" name="current_price" value="{price}">"""
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="gbk">
<meta name="microscope-data" content="pageId=1390163189;prototypeId=2;siteId=1;shopId={x.seller.shop_id};userid={uid};">
<title>{esc(x.title)}-淘宝网</title>
<script>
    var g_config = {{
        startTime        : +new Date,
        ver              : '8.0.6',
        appId            : 1 ,
        itemId           : '{x.item_id}',
        shopId           : '{x.seller.shop_id}',
        shopName         : '{js_unicode(x.seller.name)}',
        sellerId         : '{uid}',
        sellerNick       : '{js_unicode(x.seller.name)}',
        rateCounterApi   : '//rate.taobao.com/detailCount.do?itemId={x.item_id}',
        DyBase           : {{
            iurl : '//item.taobao.com',
            lgurl: 'https://login.taobao.com/member/login.jhtml'
        }},
        idata            : {{
            item: {{
                id               : '{x.item_id}',
                title            : '{js_unicode(x.title)}',
                pic              : '{main_pic}',
                price            : '{price}',
                status           : {-2 if offshelf else 0},
                sellerNick       : '{js_unicode(x.seller.name)}',
                cid              : '{50010000 + _h(x.product) % 9000}'
            }}
        }}
    }};
</script>
</head>
<body class="tb-item-detail">
<div id="detail" class="tb-detail">
  <div class="tb-item-info tb-clear">
    <div class="tb-item-info-l">
      <div class="tb-gallery">
        <div class="tb-booth tb-pic tb-main-pic"><a href="#"><img id="J_ImgBooth" src="{main_pic}_400x400.jpg" data-haszoom="700" data-size="400x400"></a></div>
        <ul id="J_UlThumb" class="tb-thumb tb-clearfix">
{thumbs}
        </ul>
      </div>
    </div>
    <div class="tb-item-info-r">
      <div id="J_Title" class="tb-title">
        <h3 class="tb-main-title" data-title="{esc(x.title)}">{esc(x.title)}</h3>
        <p class="tb-subtitle"></p>
      </div>
      {price_box}
    </div>
  </div>
  <div class="tb-shop-info">
    <div class="tb-shop-name"><dl><dd><strong><a href="//shop{x.seller.shop_id}.taobao.com" title="{esc(x.seller.name)}">{esc(x.seller.name)}</a></strong></dd></dl></div>
    <div class="tb-shop-seller"><dl><dt>掌　柜：</dt><dd><a class="tb-seller-name" href="//store.taobao.com/shop/view_shop.htm?user_number_id={uid}">{esc(x.seller.name)}</a></dd></dl></div>
    <div class="tb-shop-info-ft">{esc(x.seller.location)}</div>
  </div>
</div>
</body>
</html>
"""


def taobao_noitem_page(item_id: str, host: str) -> str:
    message = (
        "很抱歉，您查看的商品找不到了！"
        if host.startswith("detail.tmall")
        else "很抱歉，您查看的宝贝不存在，可能已下架或者被转移。"
    )
    return f"""<!DOCTYPE html>
<html><head><meta charset="gbk"><title>{"天猫tmall.com" if "tmall" in host else "淘宝网 - 淘！我喜欢"}</title></head>
<body class="page-noitem">
<div id="content" class="error-page">
  <div class="error-notice"><div class="error-notice-hd">{message}</div>
  <div class="error-notice-text">您可以：去其他地方逛逛 <a href="//www.taobao.com/">淘宝网首页</a></div>
  <input type="hidden" id="J_NoItemId" value="{esc(item_id)}"></div>
</div>
</body></html>
"""


# --- Tmall --------------------------------------------------------------------------------------


def tmall_product(x: Listing, q: str, epoch: int, seed: int, pos: int, layout: str) -> str:
    uid = x.seller.seller_id
    cached = x.cache.get("tm")
    if cached is None:
        rn = _rn(x)
        href = f"//detail.tmall.com/item.htm?id={x.item_id}&amp;skuId={x.sku_id}&amp;user_id={uid}&amp;cat_id=2&amp;is_b=1&amp;rn={rn}"
        cached = x.cache["tm"] = (rn, href, images.tmall_list_pic(token(x, 0, seed), uid) + "_b.jpg")
    rn, href, pic = cached
    img = f'<img src="{pic}">' if pos < 10 else f'<img data-ks-lazyload="{pic}">'
    price = _price(x.price(epoch))
    title, shop = _escaped(x)
    hl = highlight(title, esc(q), "<span class=H>", "</span>")
    k = "product" if layout == "normal" else "item-card"
    p = {
        "normal": (
            "productImg",
            "productPrice",
            "productTitle",
            "productShop",
            "productShop-name",
            "productStatus",
        )
    }.get(layout, ("card-img", "card-price", "card-title", "card-shop", "card-shop-name", "card-status"))
    return f"""<div class="{k}" data-id="{x.item_id}" data-atp="a!,,50010850,,,,,,,,">
<div class="{k}-iWrap">
<div class="{p[0]}-wrap"><a href="{href}" class="{p[0]}" target="_blank" data-p="{pos + 1}-10">{img}</a></div>
<p class="{p[1]}"><em title="{price}"><b>&yen;</b>{price}</em></p>
<p class="{p[2]}"><a href="{href}" target="_blank" title="{title}" data-p="{pos + 1}-11">{hl}</a></p>
<div class="{p[3]}" data-atp="b!{pos + 1}-3,{{user_id}},,,,,,"><a class="{p[4]}" href="//store.taobao.com/search.htm?user_number_id={uid}&amp;rn={rn}&amp;keyword={quote(q)}" target="_blank">{shop}</a></div>
<p class="{p[5]}"><span>月成交 <em>{x.sales_at(epoch)}笔</em></span><span>评价 <a href="{href}&amp;on_comment=1#J_TabBar" target="_blank" data-p="{pos + 1}-1">{x.reviews}</a></span><span class="ww-light ww-small m_wangwang J_WangWang" data-atp="a!{pos + 1}-2,,,,,,,{uid}" data-display="inline" data-tnick="{shop}" data-nick="{shop}" data-item="{x.item_id}" data-icon="small"></span></p>
</div>
</div>"""


def tmall_list_page(
    q: str, s: int, found: Sequence[Listing], total: int, epoch: int, seed: int, layout: str = "normal"
) -> str:
    page_size = 60
    total_page = min(100, max(1, -(-total // page_size))) if total else 0
    current = s // page_size + 1 if total else 1
    if total:
        products = "\n".join(tmall_product(x, q, epoch, seed, i, layout) for i, x in enumerate(found))
        list_id = "J_ItemList" if layout == "normal" else "J_ProductGrid"
        body = f'<div id="{list_id}" class="view grid-nosku">\n{products}\n</div>'
        links = []
        for p in range(max(1, current - 2), min(total_page, current + 2) + 1):
            if p == current:
                links.append(f'<span class="ui-page-cur">{p}</span>')
            else:
                links.append(
                    f'<a href="?q={quote(q)}&amp;s={(p - 1) * page_size}&amp;sort=s&amp;style=g&amp;type=pc">{p}</a>'
                )
        nxt = (
            f'<a class="ui-page-next" href="?q={quote(q)}&amp;s={current * page_size}&amp;sort=s&amp;style=g&amp;type=pc">下一页&gt;&gt;</a>'
            if current < total_page
            else '<span class="ui-page-end">下一页&gt;&gt;</span>'
        )
        pager = f"""<div class="ui-page"><div class="ui-page-wrap">
<b class="ui-page-num">{"".join(links)}{nxt}</b>
<b class="ui-page-skip"><form name="filterPageForm" method="get">共{total_page}页，到第<input type="text" name="jumpto" class="ui-page-skipTo" size="3" value="{current}">页 <button type="submit" class="ui-btn-s">确定</button></form></b>
</div></div>"""
        top = f'<p class="ui-page-s"><b class="ui-page-s-len">{current}/{total_page}</b></p>'
        tip = f'<p class="crumbTitle">共 <span class="j_ResultsNumber">{total}</span> 件相关商品</p>'
    else:
        body = f"""<div class="searchTip"><p class="searchTip-tit">喵~没找到与“<em>{esc(q)}</em>”相关的 商品 哦，要不您换个关键词我帮您再找找看</p></div>
<div id="J_ComboRec" class="combo-rec"><h3>我们还为您精选了以下商品</h3></div>"""
        pager = top = tip = ""
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="gbk">
<title>{esc(q)}-天猫Tmall.com-理想生活上天猫</title>
</head>
<body class="pg">
<div id="mallPage" class="mallist">
<div id="header"></div>
<div id="content" class="main">
<div class="filter clearfix">{top}{tip}</div>
{body}
{pager}
</div>
</div>
</body>
</html>
"""


def tmall_detail_page(x: Listing, epoch: int, seed: int, offshelf: bool = False) -> str:
    uid = x.seller.seller_id
    pics = [images.alicdn_pic(token(x, j, seed), uid) for j in range(len(x.photos))]
    price = _price(x.price(epoch))
    sku_pvs = f"1627207:{28300 + _h('c', x.item_id) % 99}"
    setup = {
        "valItemInfo": {
            "skuList": [{"names": "默认 ", "pvs": sku_pvs, "skuId": x.sku_id}],
            "skuMap": {
                f";{sku_pvs};": {
                    "price": price,
                    "priceCent": round(x.price(epoch) * 100),
                    "skuId": x.sku_id,
                    "stock": 0 if offshelf else 99,
                }
            },
            "salesProp": {"1627207": {"name": "颜色分类"}},
            "defSelected": [],
        },
        "valLoginIndicator": "//buy.tmall.com/auction/json/loginIndicator.htm",
        "tradeType": 2,
        "itemDO": {
            "isInRepository": offshelf,
            "reservePrice": price,
            "isOnline": not offshelf,
            "title": x.title,
            "sellerNickName": quote(x.seller.name, safe=""),
            "auctionType": "b",
            "encryptSellerId": "U" + _hex(uid, 16),
            "prov": x.seller.location.split(" ")[0],
            "brand": x.brand.upper() if x.brand else "other/其他",
            "quantity": 0 if offshelf else 50 + _h("q", x.item_id) % 900,
            "hasSku": True,
            "userId": uid,
            "rootCatId": "50006842",
            "itemId": x.item_id,
            "auctionStatus": "-2" if offshelf else "0",
            "brandId": str(_h("b", x.brand) % 9000000),
            "spuId": str(_h("spu", x.title) % 2000000000),
            "categoryId": "50012010",
        },
        "rateConfig": {
            "itemId": int(x.item_id),
            "sellerId": int(uid) if uid.isdigit() else uid,
            "rateEnable": True,
            "spuId": _h("spu", x.title) % 2000000000,
            "listType": 1,
        },
        "rstShopId": int(x.seller.shop_id),
        "propertyPics": {"default": pics},
        "initApi": f"//mdskip.taobao.com/core/initItemDetail.htm?isUseInventoryCenter=true&cartEnable=true&itemId={x.item_id}&isRegionLevel=true",
        "initExtraApi": "//ext-mdskip.taobao.com/extension/initExtra.htm",
        "detail": {
            "isDownShelf": offshelf,
            "defaultItemPrice": price,
            "isHiddenShopAction": False,
            "isAllowReport": True,
        },
        "url": {
            "buyBase": "//buy.tmall.com/order/confirm_order.htm",
            "tbskip": "//mdskip.taobao.com/core/initItemDetail.htm",
        },
        "api": {
            "descUrl": f"//dsc.taobaocdn.com/i4/{x.item_id[:3]}/{x.item_id}.desc",
            "fetchDcUrl": "//hdc1.alicdn.com/asyn.htm",
        },
    }
    thumbs = "\n".join(
        f'<li{_cls(j == 0, "tb-selected")}><a href="#"><img src="{p}_60x60q90.jpg" alt="商品预览图"></a></li>'
        for j, p in enumerate(pics)
    )
    sold_out = (
        '<div class="sold-out-recommend"><strong class="sold-out-tit">此商品已下架</strong>'
        "<p>看看其他相似的宝贝吧</p></div>"
        if offshelf
        else ""
    )
    shop_domain = f"//shop{x.seller.shop_id}.tmall.com"
    setup_json = json.dumps(setup, ensure_ascii=False, separators=(",", ":"))
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="gbk">
<title>{esc(x.title)}-tmall.com天猫</title>
</head>
<body class="detail-page">
<div id="header">
<div id="shopExtra"><div class="slogo"><a class="slogo-shopname" href="{shop_domain}"><strong>{esc(x.seller.name)}</strong></a>
<span class="ww-light ww-static" data-nick="{quote(x.seller.name)}" data-tnick="{quote(x.seller.name)}"></span></div></div>
</div>
<div id="detail">
<div class="tb-gallery">
<div class="tb-booth"><a href="#"><img id="J_ImgBooth" src="{pics[0] if pics else ""}_430x430q90.jpg" data-haszoom="700"></a></div>
<ul id="J_UlThumb" class="tb-thumb tm-clear">
{thumbs}
</ul>
</div>
<div class="tb-property">
<div class="tb-wrap">
<div class="tb-detail-hd"><h1 data-spm="1000983"><a href="//detail.tmall.com/item.htm?id={x.item_id}" target="_blank">{esc(x.title)}</a></h1></div>
{sold_out}
<div class="tm-fcs-panel"><dl class="tm-price-panel tm-price-cur" id="J_StrPriceModBox"><dt class="tb-metatit">价格</dt><dd><em class="tm-yen">&yen;</em> <span class="tm-price">{price}</span></dd></dl></div>
<ul class="tm-ind-panel">
<li class="tm-ind-item tm-ind-sellCount" data-label="月销量"><div class="tm-indcon"><span class="tm-label">月销量</span><span class="tm-count">{x.sales_at(epoch)}</span></div></li>
<li class="tm-ind-item tm-ind-reviewCount canClick tm-line3" id="J_ItemRates"><div class="tm-indcon"><span class="tm-label">累计评价</span><span class="tm-count">{x.reviews}</span></div></li>
</ul>
</div>
</div>
<div id="J_AttrList" class="attributes"><ul id="J_AttrUL">
<li title="{esc(x.brand.upper() if x.brand else "其他")}">品牌:&nbsp;{esc(x.brand.upper() if x.brand else "其他")}</li>
<li title="&nbsp;{esc(x.product)}">款式:&nbsp;{esc(x.product)}</li>
</ul></div>
</div>
<script>
(function(){{
    TShop.Setup(
        {setup_json}
    );
}})();
</script>
</body>
</html>
"""


# --- JD -----------------------------------------------------------------------------------------


def jd_item_li(x: Listing, kw: str, epoch: int, seed: int, show_price: bool, layout: str) -> str:
    sku = x.item_id
    pic = x.cache.get("jd")
    if pic is None:
        pic = x.cache["jd"] = images.jd_pic(token(x, 0, seed), "n7")
    price = _price(x.price(epoch))
    self_op = x.seller.verified and x.category == "authorised"
    promo = esc(f"{x.seller.name} 正品保障" if self_op else "店铺热卖 限时优惠")
    title_html = highlight(_escaped(x)[0], esc(kw), '<font class="skcolor_ljg">', "</font>")
    tag = '<span class="p-tag" style="background-color:#c81623">京品</span>\n' if self_op else ""
    price_html = (
        f'<strong class="J_{sku}" data-done="1" data-price="{price}"><em>￥</em><i data-price="{sku}">{price}</i></strong>'
        if show_price
        else f'<strong class="J_{sku}" data-done="0"><em>￥</em><i></i></strong>'
    )
    icons = (
        '<i class="goods-icons J-picon-tips J-picon-fix" data-idx="1" data-tips="京东自营，品质保障">自营</i>'
        if self_op
        else ""
    )
    if layout == "normal":
        li, wrap, pimg, pprice, pname, pshop = (
            "gl-item",
            "gl-i-wrap",
            "p-img",
            "p-price",
            "p-name p-name-type-2",
            "p-shop",
        )
        sku_attr = f'data-sku="{sku}" data-spu="{sku}" ware-type="10"'
    else:
        li, wrap, pimg, pprice, pname, pshop = (
            "goods-item",
            "goods-wrap",
            "goods-img",
            "goods-price",
            "goods-name",
            "goods-shop",
        )
        sku_attr = f'data-id="{sku}"'
    return f"""<li {sku_attr} bybt="0" class="{li}">
		<div class="{wrap}">
			<div class="{pimg}">
				<a target="_blank" title="{promo}" href="//item.jd.com/{sku}.html" onclick="searchlog(1, '{sku}','0','2','','flagsClk=2097626');">
					<img width="220" height="220" data-img="1" data-lazy-img="{pic}" />
				</a>
			</div>
			<div class="{pprice}">
				{price_html}
			</div>
			<div class="{pname}">
				<a target="_blank" title="{promo}" href="//item.jd.com/{sku}.html" onclick="searchlog(1, '{sku}','0','1','','flagsClk=2097626');">
					<em>{tag}{title_html}</em>
					<i class="promo-words" id="J_AD_{sku}">{promo}</i>
				</a>
			</div>
			<div class="p-commit">
				<strong><a id="J_comment_{sku}" target="_blank" href="//item.jd.com/{sku}.html#comment"></a></strong>
			</div>
			<div class="{pshop}" data-dongdong="" data-selfware="{1 if self_op else 0}" data-score="5" data-reputation="{90 + _h("r", x.seller.seller_id) % 10}">
				<span class="J_im_icon"><a target="_blank" class="curr-shop hd-shopname" onclick="searchlog(1,'{x.seller.shop_id}',0,58)" href="//mall.jd.com/index-{x.seller.shop_id}.html?from=pc" title="{esc(x.seller.name)}">{esc(x.seller.name)}</a></span>
			</div>
			<div class="p-icons" id="J_pro_{sku}" data-done="1">
				{icons}
			</div>
			<div class="p-stock hide" data-stocknew="{sku}" data-province="{esc(x.seller.location.split(" ")[0])}"></div>
		</div>
	</li>"""


def jd_items(found: Sequence[Listing], kw: str, epoch: int, seed: int, layout: str) -> str:
    return "\n".join(
        jd_item_li(x, kw, epoch, seed, show_price=_h("p", x.item_id) % 7 != 0, layout=layout) for x in found
    )


def jd_search_page(
    kw: str, page: int, found: Sequence[Listing], total: int, epoch: int, seed: int, layout: str = "normal"
) -> str:
    logical = (page + 1) // 2
    page_count = min(100, -(-total // 60)) if total else 0
    if total:
        ul_cls = "gl-warp clearfix" if layout == "normal" else "goods-grid clearfix"
        list_id = "J_goodsList" if layout == "normal" else "J_goodsGrid"
        results = f"""<div id="{list_id}" class="goods-list-v2 gl-type-3 J-goods-list">
	<ul class="{ul_cls}" data-tpl="3">
{jd_items(found, kw, epoch, seed, layout)}
	</ul>
	<span class="clr"></span>
</div>"""
    else:
        results = f"""<div class="check-error"><div class="ns-content"><span class="result">抱歉，没有找到与“<em>{esc(kw)}</em>”相关的商品</span></div></div>
<div id="J_goodsList" class="goods-list-v2 gl-type-3 J-goods-list"><ul class="gl-warp clearfix" data-tpl="3"></ul></div>"""
    js_kw = kw.replace("\\", "\\\\").replace("'", "\\'")
    pager_links = "".join(
        f'<a href="javascript:;" onclick="SEARCH.page({2 * p - 1}, true)"{_cls(p == logical, "curr")}>{p}</a>'
        for p in range(max(1, logical - 3), min(page_count, logical + 3) + 1)
    )
    return f"""<!DOCTYPE html>
<html>
<head>
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
    <title>{esc(kw)} - 商品搜索 - 京东</title>
    <meta name="Keywords" content="{esc(kw)},京东{esc(kw)}" />
    <script>
        window.pageConfig={{
            compatible: false,
            searchType: 0,
            pSource: 'search_pc',
            queryParam: {{
                c1: 0,
                c2: 0,
                c3: 0,
                brand: '',
                price: '',
                keyword: '{js_kw}',
                page: '{page}'
            }}
        }};
        window.QUERY_KEYWORD='{js_kw}';
        window.REAL_KEYWORD='{js_kw}';
    </script>
</head>
<body>
<div id="J_searchWrap" class="w">
    <div id="J_container" class="container">
        <div id="J_main" class="g-main2">
            <div class="m-list">
                <div class="ml-wrap">
                    <div id="J_filter" class="filter">
                        <div class="f-line top">
                            <div id="J_topPage" class="f-pager">
                                <span class="fp-text"> <b>{logical if total else 0}</b><em>/</em><i>{page_count}</i> </span>
                                <a class="fp-prev{" disabled" if logical <= 1 else ""}" href="javascript:;">&lt;</a>
                                <a class="fp-next{" disabled" if logical >= page_count else ""}" href="javascript:;">&gt;</a>
                            </div>
                            <div class="f-result-sum">共<span id="J_resCount" class="num">{total if total < 10000 else str(total // 10000) + "万+"}</span>件商品</div>
                        </div>
                    </div>
                    {results}
                    <div id="J_scroll_loading" class="notice-loading-more"><span>正在加载中，请稍后~~</span></div>
                    <div class="page clearfix">
                        <div id="J_bottomPage" class="p-wrap"><span class="p-num">{pager_links}</span><span class="p-skip"><em>共<b>{page_count}</b>页&nbsp;&nbsp;到第</em><input class="input-txt" type="text" value="{logical}"><em>页</em></span></div>
                    </div>
                </div>
            </div>
        </div>
    </div>
</div>
<script>
    LogParm = {{
        result_count:'{total}',
        ab:'0000',
        cid:0,
        psort:0,
        page:'{page}',
        ev:'0',
        rec_type:'0'
    }};
    SEARCH.adv_param={{page:"{page}",page_count:"{page_count}",psort:0,cid1:0,cid2:0,cid3:0,lazyload:1}};
</script>
</body>
</html>
"""


def jd_price_entry(x: Listing | None, sku: str, epoch: int) -> dict[str, str]:
    if x is None or not x.live(epoch):
        return {"cbf": "0", "id": f"J_{sku}", "m": "-1.00", "op": "-1.00", "p": "-1.00"}
    p = x.price(epoch)
    return {
        "cbf": "0",
        "id": f"J_{sku}",
        "m": _price(round(p * 1.6, 0)),
        "op": _price(x.base_price),
        "p": _price(p),
    }


def jd_item_page(x: Listing, epoch: int, seed: int, offshelf: bool = False) -> str:
    paths = [images.jd_path(token(x, j, seed)) for j in range(len(x.photos))]
    image_list = ",".join(f'"{p}"' for p in paths)
    skuidkey = hashlib.md5(x.item_id.encode()).hexdigest()[:32].upper()
    thumbs = "\n".join(
        f'<li{_cls(j == 0, "img-hover")}><img alt="{esc(x.title)}" src="//img{10 + j % 5}.360buyimg.com/n5/{p}" data-url="{p}" data-img="1" width="50" height="50"></li>'
        for j, p in enumerate(paths)
    )
    over = '<div class="itemover-tip">该商品已下柜，欢迎挑选其他商品！</div>' if offshelf else ""
    return f"""<!DOCTYPE HTML>
<html lang="zh-CN">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gbk" />
<title>【{esc(x.seller.name)}】{esc(x.title)}【行情 报价 价格 评测】-京东</title>
<script>
    var pageConfig = {{
        compatible: true,
        product: {{
            skuid: {x.item_id},
            name: '{js_unicode(x.title)}',
            skuidkey:'{skuidkey}',
            href: '//item.jd.com/{x.item_id}.html',
            src: '{paths[0] if paths else ""}',
            cat: [1672,2615,9186],
            brand: {_h("brand", x.brand) % 900000},
            pType: 1,
            isClosePCShow: false,
            venderId:{x.seller.vender_id or x.seller.shop_id},
            shopId:'{x.seller.shop_id}',
            specialAttrs:["isFlashPurchase-0","is7ToReturn-1"],
            warestatus: {0 if offshelf else 1},
            imageList: [{image_list}]
        }}
    }};
</script>
</head>
<body version="140120">
<div class="w">
  <div class="product-intro clearfix">
    <div class="preview-wrap">
      <div id="spec-n1" class="jqzoom main-img"><img id="spec-img" width="450" data-origin="//img14.360buyimg.com/n1/{paths[0] if paths else ""}" alt="{esc(x.title)}" src="//img14.360buyimg.com/n1/{paths[0] if paths else ""}"></div>
      <div id="spec-list" class="spec-list"><ul class="lh">
{thumbs}
      </ul></div>
    </div>
    <div class="itemInfo-wrap">
      <div class="sku-name">{esc(x.title)}</div>
      {over}
      <div class="summary-price-wrap"><div class="summary-price J-summary-price"><div class="dt">京 东 价</div><div class="dd"><span class="p-price"><span>￥</span><span class="price J-p-{x.item_id}"></span></span></div></div></div>
    </div>
  </div>
  <div class="J-hove-wrap EDropdown fr"><div class="item"><div class="name"><a href="//mall.jd.com/index-{x.seller.shop_id}.html" target="_blank" title="{esc(x.seller.name)}">{esc(x.seller.name)}</a></div></div></div>
</div>
</body>
</html>
"""


# --- Weibo --------------------------------------------------------------------------------------


def weibo_time(x: Listing, now_epoch: int) -> str:
    from sandbox.catalogue import EPOCH_ZERO

    now = EPOCH_ZERO + __import__("datetime").timedelta(days=now_epoch, hours=12)
    t = x.posted
    if t.year != now.year:
        return f"{t.year}年{t.month:02d}月{t.day:02d}日 {t.hour:02d}:{t.minute:02d}"
    if t.date() == now.date():
        return f"今天{t.hour:02d}:{t.minute:02d}"
    return f"{t.month:02d}月{t.day:02d}日 {t.hour:02d}:{t.minute:02d}"


def weibo_pids(x: Listing, seed: int) -> list[str]:
    return [images.weibo_pid(token(x, j, seed), x.seller.seller_id) for j in range(len(x.photos))]


def weibo_card(x: Listing, q: str, epoch: int, seed: int, layout: str) -> str:
    uid = x.seller.seller_id
    escaped, nick = _escaped(x)
    text = highlight(escaped, esc(q), '<em class="s-color-red">', "</em>")
    pids = weibo_pids(x, seed)
    pics = ""
    if pids:
        lis = "\n".join(
            f'<li><img src="{images.weibo_pic(pid, "thumb150")[6:]}" action-data="uid={uid}&pic_id={pid}" action-type="fl_pics"></li>'
            for pid in pids
        )
        pics = f"""<div node-type="feed_list_media_prev">
    <div class="media media-piclist" node-type="fl_pic_list" action-data="uid={uid}&mid={x.item_id}&pic_ids={",".join(pids)}">
        <ul class="m{min(3, len(pids))}">
{lis}
        </ul>
    </div>
</div>"""
    svg = '<svg class="woo-svg"><use id="woo_svg_vblue"></use></svg>' if x.seller.verified else ""
    suda = f"key=tblog_search_weibo&value=seqid:{_h('seq', x.item_id)}|type:1|t:0|pos:1-0|q:{quote(q)}"
    if layout == "changed":
        wrap, txt_tag, from_cls = "wbs-card", "div", "wbs-meta"
    else:
        wrap, txt_tag, from_cls = "card-wrap", "p", "from"
    txt_cls = "txt" if layout == "normal" else "wbs-text"
    head = (
        f'action-type="feed_list_item" mid="{x.item_id}"'
        if layout == "normal"
        else f'data-action="feed-item" data-mid="{x.item_id}"'
    )
    return f"""<div class="{wrap}" {head} >
    <div class="card">
        <div class="card-feed">
            <div class="avator">
                <a href="//weibo.com/{uid}?refer_flag=1001030103_" target="_blank" suda-data="{suda}"><img src="//tvax1.sinaimg.cn/crop.0.0.180.180.50/{int(uid) % 0xFFFFFFFF:08x}ly8g000000000000000000.jpg" />{svg}</a>
            </div>
            <div class="content" node-type="like">
                <div class="info">
                    <div class="menu s-fr"><a href="javascript:void(0);" action-type="fl_menu"><i class="wbicon">c</i></a></div>
                    <div>
                        <a href="//weibo.com/{uid}?refer_flag=1001030103_" class="name" target="_blank" nick-name="{nick}" suda-data="{suda}">{nick}</a>
                    </div>
                </div>
                <{txt_tag} class="{txt_cls}" node-type="feed_list_content" nick-name="{nick}">
                    {text}
                </{txt_tag}>
{pics}
                <div class="{from_cls}" >
                    <a href="//weibo.com/{uid}/{x.bid}?refer_flag=1001030103_" target="_blank" suda-data="{suda}">
                        {weibo_time(x, epoch)}
                    </a>
                    来自 <a href="https://weibo.com/" rel="nofollow">{esc(x.source)}</a>
                </div>
            </div>
        </div>
        <div class="card-act">
            <ul>
                <li><a href="javascript:void(0);" action-type="feed_list_favorite">收藏</a></li>
                <li><a href="javascript:void(0);" action-data="allowForward=1&mid={x.item_id}&name={nick}&uid={uid}" action-type="feed_list_forward"> 转发 {x.reposts or ""}</a></li>
                <li><a href="javascript:void(0);" action-type="feed_list_comment"> 评论 {x.comments or ""}</a></li>
                <li><a title="赞" action-data="mid={x.item_id}" action-type="feed_list_like" href="javascript:void(0);"><button class="woo-like-main"><span class="woo-like-iconWrap"><i class="woo-font woo-font--like"></i></span><span class="woo-like-count">{x.likes or "赞"}</span></button></a></li>
            </ul>
        </div>
    </div>
</div>"""


def weibo_search_page(
    q: str,
    page: int,
    found: Sequence[Listing],
    total_pages: int,
    epoch: int,
    seed: int,
    extra_query: str = "",
    layout: str = "normal",
) -> str:
    qq = quote(q, safe="")
    if found:
        cards = "\n<!--card-wrap-->\n".join(weibo_card(x, q, epoch, seed, layout) for x in found)
        pages = "\n".join(
            f'<li{_cls(p == page, "cur")}><a href="/weibo?q={qq}{extra_query}&page={p}">第{p}页</a></li>'
            for p in range(1, total_pages + 1)
        )
        prev = (
            f'<a href="/weibo?q={qq}{extra_query}&page={page - 1}" class="prev">上一页</a>'
            if page > 1
            else ""
        )
        nxt = (
            f'<a href="/weibo?q={qq}{extra_query}&page={page + 1}" class="next">下一页</a>'
            if page < total_pages
            else ""
        )
        pager = f"""<div class="m-page">
    <div>
        {prev}
        <span class="list">
            <a href="javascript:void(0);" class="pagenum" action-type="feed_list_page_more">第{page}页<i class="wbicon">l</i></a>
            <ul class="s-scroll" node-type="feed_list_page_morelist" action-type="feed_list_page_morelist" style="display:none;">
{pages}
            </ul>
        </span>
        {nxt}
    </div>
</div>"""
        body = (
            f"<div>\n<!--card-wrap-->\n{cards}\n<!--/card-wrap-->\n</div>\n<!--翻页-->\n{pager}\n<!--/翻页-->"
        )
    else:
        body = f"""<div class="card card-no-result s-pt20b40">
    <img src="//img.t.sinajs.cn/t6/style/images/search/no_result.png">
    <p>抱歉，未找到“<span>{esc(q)}</span>”相关结果。</p>
</div>"""
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8"/>
<title>{esc(q)} - 微博搜索</title>
<script type="text/javascript">
        var $CONFIG = {{}};
        $CONFIG['islogin'] = '1';
        $CONFIG['product'] = 'search';
        $CONFIG['pageid'] = 'weibo';
        $CONFIG['s_domain'] = '//s.weibo.com';
        $CONFIG['s_search'] = '{qq}';
</script>
</head>
<body class="wbs-feed">
<div class="m-main">
<div id="pl_feed_main">
<div class="m-wrap">
<div class="m-con-l" id="pl_feedlist_index">
{body}
</div>
</div>
</div>
</div>
</body>
</html>
"""


def weibo_mblog(x: Listing, epoch: int, seed: int, q: str) -> dict[str, Any]:
    uid = x.seller.seller_id
    pids = weibo_pids(x, seed)
    pics = [
        {
            "pid": pid,
            "url": images.weibo_pic(pid, "orj360"),
            "size": "orj360",
            "geo": {"width": 360, "height": 360, "croped": False},
            "large": {
                "size": "large",
                "url": images.weibo_pic(pid, "large"),
                "geo": {"width": "800", "height": "800", "croped": False},
            },
        }
        for pid in pids
    ]
    t = x.posted
    mblog: dict[str, Any] = {
        "created_at": t.strftime("%a %b %d %H:%M:%S +0800 %Y"),
        "id": x.item_id,
        "idstr": x.item_id,
        "mid": x.item_id,
        "bid": x.bid,
        "text": highlight(esc(x.title), esc(q), '<span class="kw">', "</span>") if q else esc(x.title),
        "textLength": len(x.title.encode("gbk", "replace")),
        "source": x.source,
        "isLongText": False,
        "user": {
            "id": int(uid),
            "screen_name": x.seller.name,
            "profile_image_url": f"https://tvax1.sinaimg.cn/crop.0.0.180.180.180/{int(uid) % 0xFFFFFFFF:08x}ly8g000000000000000000.jpg",
            "profile_url": f"https://m.weibo.cn/u/{uid}?uid={uid}&luicode=10000011",
            "verified": x.seller.verified,
            "verified_type": 2 if x.seller.verified else -1,
            "followers_count": _h("f", uid) % 50000,
            "gender": "f" if _h("g", uid) % 2 else "m",
        },
        "reposts_count": x.reposts,
        "comments_count": x.comments,
        "attitudes_count": x.likes,
        "pic_num": len(pics),
        "pics": pics,
        "region_name": f"发布于 {x.seller.location.split(' ')[0]}",
    }
    if pics:
        mblog["thumbnail_pic"] = images.weibo_pic(pids[0], "thumbnail").replace("https:", "http:")
        mblog["bmiddle_pic"] = images.weibo_pic(pids[0], "bmiddle").replace("https:", "http:")
        mblog["original_pic"] = images.weibo_pic(pids[0], "large").replace("https:", "http:")
    return mblog


def weibo_getindex(
    containerid: str,
    q: str,
    page: int,
    found: Sequence[Listing],
    total: int,
    more: bool,
    epoch: int,
    seed: int,
) -> dict[str, Any]:
    cards: list[dict[str, Any]] = []
    for i, x in enumerate(found):
        card = {
            "card_type": 9,
            "itemid": f"seqid:{_h('s', x.item_id)}|type:1|t:|pos:1-0-{i}|q:{q}",
            "scheme": f"https://m.weibo.cn/status/{x.bid}?mblogid={x.bid}&luicode=10000011&lfid={quote(containerid, safe='')}",
            "mblog": weibo_mblog(x, epoch, seed, q),
            "show_type": 1,
        }
        if i % 4 == 1:  # some posts come wrapped in a card_group, as in the real search container
            cards.append({"card_type": 11, "show_type": 1, "card_group": [card]})
        else:
            cards.append(card)
    if page == 1 and cards:
        cards.insert(
            0,
            {
                "card_type": 11,
                "show_type": 1,
                "card_group": [{"card_type": 58, "desc": f"综合排序 · {q}", "show_type": 1}],
            },
        )
    return {
        "ok": 1,
        "data": {
            "cardlistInfo": {
                "containerid": containerid,
                "v_p": 42,
                "show_style": 1,
                "total": total,
                "page": page + 1 if more else None,
                "page_size": 10,
            },
            "cards": cards,
            "scheme": f"sinaweibo://cardlist?containerid={quote(containerid, safe='')}",
        },
    }


def weibo_detail_page(x: Listing, epoch: int, seed: int) -> str:
    """m.weibo.cn/detail/<mid>: the post as ``var $render_data = [{"status": {...}}][0] || {};``."""
    data = [{"status": weibo_mblog(x, epoch, seed, ""), "call": "1"}]
    blob = json.dumps(data, ensure_ascii=False, indent=4).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>微博</title>
</head>
<body>
<div id="app"></div>
<script>
var $render_data = {blob}[0] || {{}};
</script>
</body>
</html>
"""


def weibo_post_gone_page() -> str:
    """m.weibo.cn/detail/<mid> for a post that was deleted or never existed [inferred shape]."""
    return """<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>微博-出错了</title></head>
<body>
<div class="h5-4box"><p class="h5-4con">微博不存在或暂无查看权限!</p></div>
</body>
</html>
"""


# --- weibo.com single status (the desktop page a post's URL https://weibo.com/<uid>/<bid> opens) ----

_WB_STYLE = """<style type="text/css">
body{margin:0;background:#d9e4ec;font:12px/1.5 "PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif;color:#333}
a{color:#eb7350;text-decoration:none}
.WB_global_nav{height:50px;background:#fff;border-top:2px solid #fa7d3c;box-shadow:0 0 1px rgba(0,0,0,.3)}
.WB_global_nav .gn_logo{display:block;width:940px;margin:0 auto;font:bold 22px/48px sans-serif;color:#e6162d}
.WB_frame_c{width:600px;margin:16px auto}
.WB_cardwrap{background:#fff;border-radius:2px;box-shadow:0 0 2px rgba(0,0,0,.15);margin-bottom:10px}
.WB_feed_detail{padding:20px 20px 4px;overflow:hidden}
.WB_face{float:left;width:50px;height:50px;margin-right:10px}
.WB_face img{width:50px;height:50px;border-radius:50%;background:#eee;font-size:0;color:transparent}
.WB_detail{margin-left:60px}
.WB_info a{font-size:14px;font-weight:bold;color:#333}
.WB_from,.WB_from a{color:#808080;margin:3px 0 8px}
.WB_text{font-size:14px;line-height:23px;word-wrap:break-word}
.WB_media_a{list-style:none;margin:10px 0;padding:0;overflow:hidden}
.WB_media_a li{float:left;margin:0 4px 4px 0}
.WB_media_a li img{width:180px;height:180px;object-fit:cover;display:block}
.WB_media_a_m1 li img{width:auto;height:auto;max-width:360px;max-height:360px}
.WB_handle ul{list-style:none;margin:0;padding:0;display:flex;border-top:1px solid #f2f2f5}
.WB_handle li{flex:1;text-align:center;line-height:38px}
.WB_handle a{color:#808080}
em{font-style:normal}
.page_error{width:600px;margin:80px auto;background:#fff;padding:40px;text-align:center}
.page_error .note em{font-size:16px;color:#333}
.page_error .tips{color:#808080;margin-top:12px}
.WB_footer{text-align:center;color:#808080;padding:30px 0}
</style>"""


def _weibo_now(epoch: int) -> Any:
    import datetime as dt

    from sandbox.catalogue import EPOCH_ZERO

    return EPOCH_ZERO + dt.timedelta(days=epoch, hours=12)


def _weibo_com_time(x: Listing, now_epoch: int) -> str:
    """weibo.com's timestamp under a post: "今天 12:16", "7月7日 12:16", or "2019-7-7 12:16"."""
    now = _weibo_now(now_epoch)
    t = x.posted
    if t.date() == now.date():
        return f"今天 {t.hour:02d}:{t.minute:02d}"
    if t.year == now.year:
        return f"{t.month}月{t.day}日 {t.hour:02d}:{t.minute:02d}"
    return f"{t.year}-{t.month}-{t.day} {t.hour:02d}:{t.minute:02d}"


def weibo_status_page(x: Listing, epoch: int, seed: int) -> str:
    """weibo.com/<uid>/<bid>: the single-status page, rendered as the browser shows it.

    The shape of a saved weibo.com status page (2020): ``$CONFIG['oid']`` (the poster),
    ``$CONFIG['onick']``, ``page_id`` 100505+uid, ``location`` ``page_100505_single_weibo``; the post in
    ``#Pl_Official_WeiboDetail__59`` › ``div.WB_cardwrap[action-type=feed_list_item][mid][tbinfo=ouid=UID]``
    › ``div.WB_feed_detail`` › ``div.WB_face`` (avatar) and ``div.WB_detail`` › ``div.WB_info a[usercard]``
    (the user), ``div.WB_from a[node-type=feed_list_item_date][date][title]`` (time, then 来自 source),
    ``div.WB_text[node-type=feed_list_content][nick-name]`` (the text), ``div.WB_media_wrap ul.WB_media_a
    li.WB_pic img`` (``//wxN.sinaimg.cn/orj360/PID.jpg``); then ``div.WB_feed_handle`` (收藏, 转发 N,
    评论 N, 赞 N). Weibo sends the post inside an ``FM.view({...html...})`` call its scripts insert; the
    sandbox serves the inserted DOM (what a saved page and a browser capture hold) and inline styles,
    so a capture needs no script or stylesheet host.
    """
    uid = x.seller.seller_id
    text, nick = _escaped(x)
    mid = x.item_id
    pids = weibo_pids(x, seed)
    t = x.posted
    stamp_ms = int(t.timestamp() * 1000)
    short = x.title if len(x.title) <= 20 else x.title[:20] + "..."
    title = f"{esc(short)} 来自{nick} - 微博"
    description = esc(x.title[:120])
    pics = ""
    if pids:
        lis = "\n".join(
            f'            <li class="WB_pic li_{j} S_bg1 S_line2 bigcursor" action-data="isPrivate=0&amp;relation=0&amp;pid={pid}&amp;uid={uid}&amp;mid={mid}&amp;pic_ids={",".join(pids)}" action-type="feed_list_media_img">\n'
            f'                <img src="{images.weibo_pic(pid, "orj360")[6:]}" loading="0">\n'
            "            </li>"
            for j, pid in enumerate(pids, 1)
        )
        pics = f"""            <div class="WB_media_wrap clearfix" node-type="feed_list_media_prev">
        <div class="media_box">
            <ul class="WB_media_a WB_media_a_m{1 if len(pids) == 1 else 9} clearfix" action-data="isPrivate=0&amp;relation=0&amp;clear_picSrc={quote(images.weibo_pic(pids[0], "mw690")[6:], safe="")}">
{lis}
            </ul>
        </div>
    </div>"""
    approve = (
        '<a target="_blank" href="//verified.weibo.com/verify"><i title="微博官方认证" class="W_icon icon_approve_co"></i></a>'
        if x.seller.verified
        else ""
    )
    now = int(_weibo_now(epoch).timestamp())
    return f"""<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<meta content="{nick},新浪微博,微博,weibo" name="keywords">
<meta content="{description}" name="description">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{title}</title>
<!-- $CONFIG -->
<script type="text/javascript">
var $CONFIG = {{}};
$CONFIG['islogin']='1';
$CONFIG['oid']='{uid}';
$CONFIG['page_id']='100505{uid}';
$CONFIG['onick']='{nick}';
$CONFIG['skin']='skin048';
$CONFIG['uid']='{_h("viewer", seed) % 9000000000 + 1000000000}';
$CONFIG['nick']='markwatch';
$CONFIG['watermark']='u/{uid}';
$CONFIG['domain']='100505';
$CONFIG['lang']='zh-cn';
$CONFIG['servertime']='{now}';
$CONFIG['location']='page_100505_single_weibo';
$CONFIG['pageid']='';
$CONFIG['title_value']='{title}';
$CONFIG['bigpipe']='true';
$CONFIG['bpType']='page';
</script>
<!-- / $CONFIG -->
{_WB_STYLE}
</head>
<body class="FRAME_page B_page S_page">
  <div class="WB_miniblog">
    <div class="WB_miniblog_fb">
      <div id="pl_common_top"><div class="WB_global_nav WB_global_nav_v2" node-type="top_all"><a class="gn_logo" href="//weibo.com/">微博</a></div></div>
      <div id="plc_main">
        <div class="WB_frame_c" fixed-box="true">
          <div id="Pl_Official_WeiboDetail__59" anchor="-50"><div class="WB_feed WB_feed_v3 WB_feed_v4 WB_feed_v3_one" node-type="feed_list">
    <div style="position:relative;" node-type="feedconfig">
        <div action-data="cur_visible=0" tbinfo="ouid={uid}" action-type="feed_list_item" node-type="root_child_comment_build" diss-data="" mid="{mid}" class="WB_cardwrap WB_feed_type S_bg2 WB_feed_like">
        <div class="WB_feed_detail clearfix" node-type="feed_content">
        <div class="WB_face W_fl">
            <div class="face"><a target="_blank" class="W_face_radius" href="//weibo.com/u/{uid}" title="{nick}"><img usercard="id={uid}&amp;type=0&amp;refer_flag=" src="//tvax1.sinaimg.cn/crop.0.0.180.180.180/{int(uid) % 0xFFFFFFFF:08x}ly8g000000000000000000.jpg" width="50" height="50" alt="{nick}" class="W_face_radius"></a></div>
        </div>
        <div class="WB_detail">
            <div class="WB_info">
                <a href="//weibo.com/u/{uid}" target="_blank" class="W_f14 W_fb S_txt1" usercard="id={uid}&amp;type=0&amp;refer_flag=">{nick}</a>{approve}</div>
            <div class="WB_from S_txt2">
                <a name="{mid}" target="_blank" href="/{uid}/{x.bid}?from=page_100505{uid}_profile&amp;wvr=6&amp;mod=weibotime" title="{t:%Y-%m-%d %H:%M}" date="{stamp_ms}" class="S_txt2" node-type="feed_list_item_date">{_weibo_com_time(x, epoch)}</a> 来自 <a class="S_txt2" action-type="app_source" target="_blank" href="https://app.weibo.com/" rel="nofollow">{esc(x.source)}</a>
            </div>
            <div class="WB_text W_f14" node-type="feed_list_content" nick-name="{nick}">
                {text}
            </div>
{pics}
        </div>
        </div>
    <div class="WB_feed_handle" node-type="feed_list_options">
        <div class="WB_handle">
            <ul class="WB_row_line WB_row_r4 clearfix S_line2">
                <li><a class="S_txt2" href="javascript:void(0);" action-type="fl_favorite"><span class="pos"><span class="line S_line1" node-type="favorite_btn_text"><em>收藏</em></span></span></a></li>
                <li><a action-data="allowForward=1&amp;url=https://weibo.com/{uid}/{x.bid}&amp;mid={mid}&amp;name={nick}&amp;uid={uid}" action-type="fl_forward" href="javascript:void(0);" class="S_txt2"><span class="pos"><span class="line S_line1" node-type="forward_btn_text"><em>转发</em> <em>{x.reposts}</em></span></span></a></li>
                <li class="curr"><a href="javascript:void(0);" class="S_txt2" action-type="fl_comment" action-data="ouid={uid}&amp;location=&amp;comment_type=0"><span class="pos"><span class="line S_line1" node-type="comment_btn_text"><em>评论</em> <em>{x.comments}</em></span></span></a></li>
                <li><a href="javascript:void(0);" class="S_txt2" action-type="fl_like" action-data="version=mini&amp;qid=heart&amp;mid={mid}&amp;loc=profile" title="赞"><span class="pos"><span class="line S_line1"><span node-type="like_status"><em>赞</em> <em>{x.likes}</em></span></span></span></a></li>
            </ul>
        </div>
    </div>
        </div>
    </div>
</div></div>
        </div>
      </div>
      <div id="plc_bot"><div class="WB_footer S_bg2">Copyright © 2009-2026 WEIBO 北京微梦创科网络技术有限公司</div></div>
    </div>
  </div>
</body></html>
"""


#: weibo.com's "sorry" pages (``body.B_weibo404``, ``div.page_error``): a deleted status, and the
#: not-found page an unknown status URL is redirected to (``/sorry?pagenotfound``). *(Texts inferred.)*
WEIBO_SORRY = {
    "deleted": ("抱歉，此微博已被作者删除。", '<a href="//help.weibo.com/faq/q/2056">查看帮助</a>'),
    "notfound": ("抱歉，你访问的页面地址有误，或者该页面不存在", "请检查输入的网址是否正确"),
}


def weibo_sorry_page(kind: str) -> str:
    """weibo.com's error page in the shape of its saved "sorry" pages (``$CONFIG['bpType']='sorry'``)."""
    note, tips = WEIBO_SORRY[kind]
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>404错误</title>
<script type="text/javascript">
var $CONFIG = {{}};
$CONFIG['islogin']='1';
$CONFIG['location']='';
$CONFIG['pageid']='';
$CONFIG['title_value']='微博-随时随地发现新鲜事';
$CONFIG['bigpipe']='true';
$CONFIG['bpType']='sorry';
</script>
{_WB_STYLE}
</head>
<body class="B_weibo404">
<div class="WB_miniblog">
<div class="WB_miniblog_fb">
<div class="W_main">
<div class="W_error_bg">
<div class="page_error">
    <div class="note"><span class="W_icon icon_rederrorB"></span><em class="S_link1">{note}</em></div>
    <div class="tips S_txt2">{tips}</div>
    <dl class="detail">
        <dd><a href="/">返回首页</a></dd>
    </dl>
</div>
</div>
</div>
<div id="plc_bot"><div class="WB_footer S_bg2">Copyright © 2009-2026 WEIBO 北京微梦创科网络技术有限公司</div></div>
</div>
</div>
</body>
</html>
"""


def jd_ware(x: Listing, kw: str, epoch: int, seed: int) -> dict[str, Any]:
    """One ``data.wareList[]`` entry of ``pc_search_searchWare`` (platforms.md §3.2)."""
    path = x.cache.get("jdpath")
    if path is None:
        path = x.cache["jdpath"] = images.jd_path(token(x, 0, seed))
    price = _price(x.price(epoch))
    fuzzy = x.reviews if x.reviews < 100 else f"{x.reviews // 100 * 100}+"
    return {
        "skuId": x.item_id,
        "wareId": x.item_id,
        "wareName": highlight(esc(x.title), esc(kw), '<font class="skcolor_ljg">', "</font>"),
        "name": x.title,
        "jdPrice": price,
        "price": price,
        "oriPrice": _price(x.base_price),
        "imageurl": path,
        "shopId": x.seller.shop_id,
        "shopName": x.seller.name,
        "catid": "9186",
        "cid1": "1672",
        "cid2": "2615",
        "brand": x.brand.upper() if x.brand else "",
        "comment": x.reviews,
        "commentFuzzy": str(fuzzy),
        "good": str(90 + _h("good", x.item_id) % 10),
        "isPlusShop": False,
        "deliveryDays": 1 + _h("days", x.item_id) % 5,
    }


def jd_search_ware(
    kw: str, page: int, found: Sequence[Listing], total: int, epoch: int, seed: int, layout: str = "normal"
) -> dict[str, Any]:
    wares = [jd_ware(x, kw, epoch, seed) for x in found]
    data: dict[str, Any] = {
        "resultCount": total,
        "listKeyWord": kw,
        "wareList": wares,
        "intervalPrice": [],
        "dataBuried": {"pvid": _hex(f"pvid:{kw}:{page}", 32), "sort_type": "sort_default"},
    }
    if layout == "changed":
        data["goodsList"] = [
            {{"skuId": "sku", "wareName": "title"}.get(k, k): v for k, v in w.items()}
            for w in data.pop("wareList")
        ]
    return {"code": 0, "data": data}
