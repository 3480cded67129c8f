"""The sandbox server: routes and page shapes, pagination caps, refusals, time, ground truth, 404."""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from parsel import Selector
from PIL import Image

from sandbox import pages
from sandbox.refusals import MODES, ROUTES
from sandbox.server import MTOP_API, MTOP_PATH, Sandbox, mtop_sign, serve


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with serve(seed=11, size=500, slow_seconds=0.3, legacy=True) as s:
        yield s


class Resp:
    def __init__(self, status: int, headers: dict[str, str], body: bytes, cookies: list[str]) -> None:
        self.status, self.headers, self.body, self.cookies = status, headers, body, cookies

    def text(self, enc: str = "utf-8") -> str:
        return self.body.decode(enc)

    def json(self) -> Any:
        return json.loads(self.body)


def fetch(sb: Sandbox, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> Resp:
    """One request, redirects not followed."""
    conn = http.client.HTTPConnection(sb.host, sb.port, timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        body = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        cookies = [v for k, v in r.getheaders() if k.lower() == "set-cookie"]
        return Resp(r.status, hdrs, body, cookies)
    finally:
        conn.close()


def g_page_config(body: bytes) -> dict[str, Any]:
    text = body.decode("gbk")
    m = re.search(r"g_page_config = (\{.*?\});\n", text)
    assert m, "no g_page_config"
    return json.loads(m.group(1))


# --- routes and shapes ------------------------------------------------------------------------------


def test_taobao_search_page_shape(sb: Sandbox) -> None:
    r = fetch(sb, "/s.taobao.com/search?q=veloria")
    assert r.status == 200 and "charset=gbk" in r.headers["content-type"]
    assert b'<meta charset="gbk">' in r.body
    cfg = g_page_config(r.body)
    auctions = cfg["mods"]["itemlist"]["data"]["auctions"]
    organic = [a for a in auctions if not a.get("p4p")]
    pager = cfg["mods"]["pager"]["data"]
    assert pager["pageSize"] == 44 and pager["currentPage"] == 1
    assert len(organic) == min(44, pager["totalCount"])
    ad = auctions[0]
    assert ad["p4p"] == 1 and ad["detail_url"].startswith("https://click.simba.taobao.com/cc_im?")
    for a in organic:
        for key in (
            "nid",
            "raw_title",
            "title",
            "view_price",
            "view_sales",
            "item_loc",
            "nick",
            "user_id",
            "pic_url",
            "detail_url",
            "shopLink",
        ):
            assert a[key] != "" or key == "comment_count", key
        assert isinstance(a["shopcard"]["isTmall"], bool)
        assert re.fullmatch(
            r"//g-search\d\.alicdn\.com/img/bao/uploaded/i4/i\d/\d+/O1CN01\w+_!!\d+-0-item_pic\.jpg",
            a["pic_url"],
        )
        assert re.fullmatch(r"\d+\.\d\d", a["view_price"])
    assert any(a["shopcard"]["isTmall"] for a in organic) or pager["totalCount"] < 44
    # the query is highlighted in `title` and escaped as on the real page
    hit = next(a for a in organic if "veloria" in a["raw_title"].lower())
    assert "<span class=H>" in hit["title"] and "<" not in hit["raw_title"]
    assert "\\u003cspan class\\u003dH\\u003e" in r.body.decode("gbk")
    assert cfg["mainInfo"]["srpGlobal"]["q"] == "veloria"
    assert cfg["mods"]["noresult"]["status"] == "hide"


def test_taobao_offsets_page_through_every_result(sb: Sandbox) -> None:
    first = g_page_config(fetch(sb, "/s.taobao.com/search?q=veloria").body)
    total = first["mods"]["pager"]["data"]["totalCount"]
    seen: list[str] = []
    for page in range(first["mods"]["pager"]["data"]["totalPage"]):
        cfg = g_page_config(fetch(sb, f"/s.taobao.com/search?q=veloria&s={44 * page}").body)
        assert cfg["mods"]["pager"]["data"]["currentPage"] == page + 1
        seen += [a["nid"] for a in cfg["mods"]["itemlist"]["data"]["auctions"] if not a.get("p4p")]
    assert len(seen) == len(set(seen)) == total
    truth = {
        r["item_id"] for r in sb.truth() if r["platform"] in ("taobao", "tmall") and r["status"] == "live"
    }
    assert set(seen) <= truth


def test_taobao_sort_and_price_filter(sb: Sandbox) -> None:
    cfg = g_page_config(fetch(sb, "/s.taobao.com/search?q=veloria&sort=price-asc").body)
    prices = [float(a["view_price"]) for a in cfg["mods"]["itemlist"]["data"]["auctions"] if not a.get("p4p")]
    assert prices == sorted(prices)
    cfg = g_page_config(
        fetch(sb, "/s.taobao.com/search?q=veloria&filter=" + quote("reserve_price[1000,]")).body
    )
    assert all(float(a["view_price"]) >= 1000 for a in cfg["mods"]["itemlist"]["data"]["auctions"])


def test_taobao_item_page(sb: Sandbox) -> None:
    x = next(x for x in sb.catalogue.listings if x.platform == "taobao" and x.live(sb.epoch))
    r = fetch(sb, f"/item.taobao.com/item.htm?id={x.item_id}")
    assert r.status == 200 and "gbk" in r.headers["content-type"]
    text = r.text("gbk")
    assert f"itemId           : '{x.item_id}'" in text
    assert f"sellerNick       : '{pages.js_unicode(x.seller.name)}'" in text
    nick = re.search(r"sellerNick\s*:\s*'([^']*)'", text)
    assert nick and nick.group(1).encode().decode("unicode_escape") == x.seller.name
    sel = Selector(text=text)
    assert sel.css("#J_StrPrice .tb-rmb-num::text").get() == f"{x.price(sb.epoch):.2f}"
    assert sel.css("#J_UlThumb img::attr(data-src)").getall()


def test_taobao_item_of_a_tmall_listing_redirects(sb: Sandbox) -> None:
    x = next(x for x in sb.catalogue.listings if x.platform == "tmall" and x.live(sb.epoch))
    r = fetch(sb, f"/item.taobao.com/item.htm?id={x.item_id}")
    assert r.status == 302 and r.headers["location"].endswith(f"/detail.tmall.com/item.htm?id={x.item_id}")


def test_mtop_token_flow_sign_and_items(sb: Sandbox) -> None:
    data = json.dumps(
        {"appId": "34385", "params": json.dumps({"q": "veloria", "page": 1, "n": 48, "tab": "all"})}
    )
    t = str(int(time.time() * 1000))

    def url(sign: str) -> str:
        return (
            f"/h5api.m.taobao.com{MTOP_PATH}?jsv=2.7.2&appKey=12574478&t={t}&sign={sign}&api={MTOP_API}"
            f"&v=2.0&type=jsonp&dataType=jsonp&callback=mtopjsonp3&data={quote(data)}"
        )

    first = fetch(sb, url("0" * 32))
    assert first.text().startswith("mtopjsonp3(")
    body = json.loads(re.sub(r"^\s*mtopjsonp\d+\(|\)$", "", first.text()))
    assert body["ret"] == ["FAIL_SYS_TOKEN_EMPTY::令牌为空"]
    cookies = dict(c.split(";")[0].split("=", 1) for c in first.cookies)
    assert set(cookies) == {"_m_h5_tk", "_m_h5_tk_enc"}
    tk = cookies["_m_h5_tk"]
    assert re.fullmatch(r"[0-9a-f]{32}_\d{13}", tk)
    jar = f"_m_h5_tk={tk}; _m_h5_tk_enc={cookies['_m_h5_tk_enc']}"
    bad = fetch(sb, url("1" * 32), {"Cookie": jar})
    assert "FAIL_SYS_ILLEGAL_ACCESS" in bad.text()
    good = fetch(sb, url(mtop_sign(tk, t, "12574478", data)), {"Cookie": jar})
    body = json.loads(re.sub(r"^\s*mtopjsonp\d+\(|\)$", "", good.text()))
    assert body["ret"] == ["SUCCESS::调用成功"]
    items = body["data"]["itemsArray"]
    assert items and len(items) <= 48
    assert {"item_id", "title", "price", "realSales", "nick", "procity", "auctionURL", "pic_path"} <= set(
        items[0]
    )
    assert int(body["data"]["mainInfo"]["totalResults"]) >= len(items)
    # the sign is md5(token&t&appKey&data) with the token from the cookie
    assert (
        mtop_sign(tk, t, "12574478", data)
        == hashlib.md5(f"{tk.split('_')[0]}&{t}&12574478&{data}".encode()).hexdigest()
    )


def test_tmall_list_page(sb: Sandbox) -> None:
    r = fetch(sb, "/list.tmall.com/search_product.htm?q=veloria&sort=s&style=g")
    assert r.status == 200 and "gbk" in r.headers["content-type"]
    sel = Selector(text=r.text("gbk"))
    cards = sel.css("#J_ItemList div.product")
    assert 0 < len(cards) <= 60
    card = cards[0]
    item_id = card.attrib["data-id"]
    assert f"id={item_id}" in card.css("a.productImg::attr(href)").get("")
    assert card.css("p.productPrice em::attr(title)").get()
    assert card.css("p.productTitle a::attr(title)").get()
    assert "user_number_id=" in card.css("a.productShop-name::attr(href)").get("")
    assert card.css("p.productStatus span em::text").get("").endswith("笔")
    assert card.css("span.J_WangWang::attr(data-item)").get() == item_id
    assert re.search(r"\d+/\d+", sel.css("b.ui-page-s-len::text").get(""))
    # Tmall's q may arrive GBK-encoded
    gbk_q = quote("薇洛瑞亚".encode("gbk"))
    a = Selector(text=fetch(sb, f"/list.tmall.com/search_product.htm?q={gbk_q}").text("gbk"))
    b = Selector(text=fetch(sb, f"/list.tmall.com/search_product.htm?q={quote('薇洛瑞亚')}").text("gbk"))
    assert a.css("div.product::attr(data-id)").getall() == b.css("div.product::attr(data-id)").getall() != []


def test_tmall_detail_page(sb: Sandbox) -> None:
    x = next(x for x in sb.catalogue.listings if x.platform == "tmall" and x.live(sb.epoch))
    text = fetch(sb, f"/detail.tmall.com/item.htm?id={x.item_id}").text("gbk")
    start = text.index("TShop.Setup(") + len("TShop.Setup(")
    setup, _ = json.JSONDecoder().raw_decode(text[start:].lstrip())
    assert setup["itemDO"]["itemId"] == x.item_id and setup["itemDO"]["userId"] == x.seller.seller_id
    assert setup["itemDO"]["title"] == x.title
    assert str(setup["rstShopId"]) == x.seller.shop_id
    assert setup["propertyPics"]["default"] and setup["detail"]["isDownShelf"] is False
    sel = Selector(text=text)
    assert sel.css("a.slogo-shopname strong::text").get() == x.seller.name
    assert sel.css("span.tm-price::text").get() == f"{x.price(sb.epoch):.2f}"
    assert sel.css("div.tb-detail-hd h1 a::text").get("").strip() == x.title


def test_jd_search_two_halves_and_prices(sb: Sandbox) -> None:
    r = fetch(sb, "/search.jd.com/Search?keyword=veloria&enc=utf-8&page=1")
    sel = Selector(text=r.text())
    lis = sel.css("#J_goodsList ul.gl-warp li.gl-item")
    total = int(re.search(r"result_count:'(\d+)'", r.text()).group(1))  # type: ignore[union-attr]
    assert len(lis) == min(30, total)
    li = lis[0]
    sku = li.attrib["data-sku"]
    assert li.css("div.p-name a::attr(href)").get() == f"//item.jd.com/{sku}.html"
    assert re.fullmatch(
        r"//img1\d\.360buyimg\.com/n7/jfs/t1/.+\.jpg", li.css("div.p-img img::attr(data-lazy-img)").get("")
    )
    assert li.css("div.p-shop a::attr(href)").re_first(r"index-(\d+)\.html")
    assert "".join(li.css("div.p-name em ::text").getall()).strip()
    # the second half needs the Referer
    assert fetch(sb, "/search.jd.com/s_new.php?keyword=veloria&enc=utf-8&page=2&scrolling=y").body == b""
    second = fetch(
        sb,
        "/search.jd.com/s_new.php?keyword=veloria&enc=utf-8&page=2&scrolling=y",
        {"Referer": "https://search.jd.com/Search?keyword=veloria&enc=utf-8"},
    )
    skus2 = Selector(text=second.text()).css("li.gl-item::attr(data-sku)").getall()
    assert len(skus2) == max(0, min(30, total - 30))
    assert not set(skus2) & set(lis.css("::attr(data-sku)").getall())
    # some prices are left empty, as on JD, for p.3.cn to fill
    all_skus = lis.css("::attr(data-sku)").getall()
    prices = fetch(sb, "/p.3.cn/prices/mgets?skuIds=" + ",".join(f"J_{s}" for s in all_skus)).json()
    assert [p["id"] for p in prices] == [f"J_{s}" for s in all_skus]
    x = sb.catalogue.get("jd", all_skus[0])
    assert x is not None and prices[0]["p"] == f"{x.price(sb.epoch):.2f}"
    assert fetch(sb, "/p.3.cn/prices/mgets?skuIds=J_1").json()[0]["p"] == "-1.00"


def test_jd_item_page(sb: Sandbox) -> None:
    x = next(x for x in sb.catalogue.listings if x.platform == "jd" and x.live(sb.epoch))
    r = fetch(sb, f"/item.jd.com/{x.item_id}.html")
    assert r.status == 200 and "gbk" in r.headers["content-type"]
    text = r.text("gbk")
    assert f"skuid: {x.item_id}," in text and f"shopId:'{x.seller.shop_id}'" in text
    assert Selector(text=text).css("div.sku-name::text").get("").strip() == x.title
    assert re.search(r'imageList: \["jfs/t1/', text)


def test_weibo_search_page_shape(sb: Sandbox) -> None:
    r = fetch(sb, "/s.weibo.com/weibo?q=veloria&scope=ori&suball=1&page=1")
    sel = Selector(text=r.text())
    cards = sel.xpath("//div[@class='card-wrap']")
    assert 0 < len(cards) <= 10
    card = cards[0]
    info = card.xpath("div[@class='card']/div[@class='card-feed']/div[@class='content']/div[@class='info']")
    assert info
    assert card.attrib["mid"].isdigit()
    bid = card.xpath('.//div[@class="from"]/a[1]/@href').get("").split("/")[-1].split("?")[0]
    uid = info.xpath("div[2]/a/@href").get("").split("?")[0].split("/")[-1]
    x = sb.catalogue.get("weibo", card.attrib["mid"])
    assert x is not None and bid == x.bid and uid == x.seller.seller_id
    assert info.xpath("div[2]/a/@nick-name").get() == x.seller.name
    assert "".join(card.xpath('.//p[@class="txt"]//text()').getall()).strip() == x.title
    assert card.xpath('.//a[@action-type="feed_list_like"]/button/span[2]/text()').get()
    pages_ = sel.xpath('//ul[@class="s-scroll"]/li')
    assert len(pages_) >= 1
    if len(pages_) > 1:
        assert "page=2" in sel.xpath('//a[@class="next"]/@href').get("")
        assert "scope=ori" in sel.xpath('//a[@class="next"]/@href').get("")
    last = fetch(sb, f"/s.weibo.com/weibo?q=veloria&page={len(pages_)}")
    assert not Selector(text=last.text()).xpath('//a[@class="next"]')


def test_weibo_timescope_filters_by_post_time(sb: Sandbox) -> None:
    posts = [x for x in sb.catalogue.search("weibo", "veloria") if x.live(sb.epoch)]
    day = posts[0].posted
    scope = f"custom:{day:%Y-%m-%d}-0:{day:%Y-%m-%d}-23"
    sel = Selector(text=fetch(sb, f"/s.weibo.com/weibo?q=veloria&timescope={scope}").text())
    mids = sel.xpath("//div[@class='card-wrap']/@mid").getall()
    assert posts[0].item_id in mids
    for mid in mids:
        x = sb.catalogue.get("weibo", mid)
        assert x is not None and x.posted.date() == day.date()


def test_weibo_mobile_search_json(sb: Sandbox) -> None:
    cid = quote("100103type=1&q=veloria", safe="")
    r = fetch(sb, f"/m.weibo.cn/api/container/getIndex?containerid={cid}&page_type=searchall&page=1").json()
    assert r["ok"] == 1
    posts = []
    for card in r["data"]["cards"]:
        if card.get("card_type") == 9:
            posts.append(card["mblog"])
        for sub in card.get("card_group", []):
            if sub.get("card_type") == 9:
                posts.append(sub["mblog"])
    assert posts and any(c.get("card_group") for c in r["data"]["cards"])
    m = posts[0]
    assert {"id", "mid", "bid", "text", "created_at", "user", "reposts_count", "pics"} <= set(m)
    assert {"id", "screen_name"} <= set(m["user"])
    for pic in m["pics"]:
        assert (
            pic["url"].startswith("https://wx")
            and "/orj360/" in pic["url"]
            and "/large/" in pic["large"]["url"]
        )
    end = fetch(
        sb, f"/m.weibo.cn/api/container/getIndex?containerid={cid}&page_type=searchall&page=999"
    ).json()
    assert end["ok"] == 0


def test_images_are_jpegs_at_the_cdn_sizes(sb: Sandbox) -> None:
    li = Selector(text=fetch(sb, "/search.jd.com/Search?keyword=corvane&enc=utf-8&page=1").text()).css(
        "li.gl-item"
    )[0]
    src = li.css("div.p-img img::attr(data-lazy-img)").get("")
    r = fetch(sb, "/" + src[2:])
    assert r.status == 200 and r.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(r.body)).size == (220, 220)
    big = fetch(sb, "/" + src[2:].replace("/n7/", "/n1/"))
    assert Image.open(io.BytesIO(big.body)).size == (350, 350)
    assert (
        fetch(sb, "/img10.360buyimg.com/n7/jfs/t1/1/2/3/4/deadbeefFzzzzzzzzzz/0123456789abcdef.jpg").status
        == 404
    )


def test_relisted_item_has_new_urls_but_the_same_photo_bytes(sb: Sandbox) -> None:
    new = next(x for x in sb.catalogue.listings if x.relisted_from and x.platform != "weibo" and x.photos)
    old = sb.catalogue.get(new.platform, new.relisted_from or "")
    assert old is not None
    from sandbox import images

    a = images.jd_pic(pages.token(old, 0, sb.seed), "n7")
    b = images.jd_pic(pages.token(new, 0, sb.seed), "n7")
    assert a != b
    assert fetch(sb, "/" + a[2:]).body == fetch(sb, "/" + b[2:]).body


# --- pagination caps ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big() -> Iterator[Sandbox]:
    with serve(seed=2, size=24000, legacy=True) as s:
        yield s


def test_taobao_100_page_cap(big: Sandbox) -> None:
    cfg = g_page_config(fetch(big, "/s.taobao.com/search?q=veloria").body)
    pager = cfg["mods"]["pager"]["data"]
    assert pager["totalCount"] > 4400 and pager["totalPage"] == 100
    beyond = g_page_config(fetch(big, "/s.taobao.com/search?q=veloria&s=5000").body)
    assert beyond["mods"]["pager"]["data"]["currentPage"] == 100  # the platform serves its last page


def test_tmall_and_jd_caps(big: Sandbox) -> None:
    text = fetch(big, "/search.jd.com/Search?keyword=veloria&enc=utf-8&page=1").text()
    total = int(re.search(r"result_count:'(\d+)'", text).group(1))  # type: ignore[union-attr]
    page_count = int(re.search(r'page_count:"(\d+)"', text).group(1))  # type: ignore[union-attr]
    assert page_count == min(100, -(-total // 60))
    assert not Selector(
        text=fetch(big, "/search.jd.com/Search?keyword=veloria&enc=utf-8&page=201").text()
    ).css("li.gl-item")
    sel = Selector(text=fetch(big, "/list.tmall.com/search_product.htm?q=veloria&s=0").text("gbk"))
    assert re.fullmatch(r"1/\d+", sel.css("b.ui-page-s-len::text").get(""))


def test_weibo_50_page_cap(big: Sandbox) -> None:
    assert len([x for x in big.catalogue.search("weibo", "veloria") if x.live(0)]) > 500
    sel = Selector(text=fetch(big, "/s.weibo.com/weibo?q=veloria&page=1").text())
    assert len(sel.xpath('//ul[@class="s-scroll"]/li')) == 50
    last = Selector(text=fetch(big, "/s.weibo.com/weibo?q=veloria&page=50").text())
    assert last.xpath("//div[@class='card-wrap']") and not last.xpath('//a[@class="next"]')
    past = Selector(text=fetch(big, "/s.weibo.com/weibo?q=veloria&page=51").text())
    assert past.xpath('//div[@class="card card-no-result s-pt20b40"]')


# --- refusals ------------------------------------------------------------------------------------------


SEARCH = {
    "taobao": "/s.taobao.com/search?q=veloria",
    "tmall": "/list.tmall.com/search_product.htm?q=veloria",
    "jd": "/search.jd.com/Search?keyword=veloria&enc=utf-8&page=1",
    "weibo": "/s.weibo.com/weibo?q=veloria",
}


@pytest.mark.parametrize(
    ("platform", "location"),
    [
        (
            "taobao",
            "/login.taobao.com/member/login.jhtml?redirectURL=https%3A%2F%2Fs.taobao.com%2Fsearch%3Fq%3Dveloria",
        ),
        ("tmall", "/login.tmall.com/?redirectURL="),
        ("jd", "/passport.jd.com/new/login.aspx?ReturnUrl="),
        ("weibo", "/passport.weibo.com/signin/login?"),
    ],
)
def test_login_redirect(sb: Sandbox, platform: str, location: str) -> None:
    r = fetch(sb, SEARCH[platform] + "&_sandbox_refuse=login")
    assert r.status == 302
    assert r.headers["location"].startswith(sb.url + location)
    follow = fetch(sb, urlsplit(r.headers["location"]).path + "?" + urlsplit(r.headers["location"]).query)
    assert follow.status == 200  # the login page itself is served, so following stays offline


def test_refusal_by_header(sb: Sandbox) -> None:
    r = fetch(sb, SEARCH["weibo"], {"X-Sandbox-Refuse": "visitor"})
    assert (
        r.status == 302
        and "/passport.weibo.com/visitor/visitor?entry=miniblog&a=enter&url=" in r.headers["location"]
    )
    assert "Sina Visitor System" in fetch(sb, urlsplit(r.headers["location"]).path).text()


def test_slider_and_punish(sb: Sandbox) -> None:
    r = fetch(sb, SEARCH["taobao"] + "&_sandbox_refuse=slider")
    assert r.status == 302 and "/s.taobao.com/_____tmd_____/punish?x5secdata=" in r.headers["location"]
    page = fetch(sb, urlsplit(r.headers["location"]).path + "?" + urlsplit(r.headers["location"]).query)
    assert 'id="nc_1_n1z"' in page.text("gbk")
    jd = fetch(sb, SEARCH["jd"] + "&_sandbox_refuse=slider")
    assert jd.status == 302 and "/jcap.m.jd.com/" in jd.headers["location"]
    mtop = fetch(sb, f"/h5api.m.taobao.com{MTOP_PATH}?_sandbox_refuse=slider").json()
    assert mtop["rgv587_flag"] == "sm" and "_____tmd_____/punish?x5secdata=" in mtop["url"]


@pytest.mark.parametrize(
    ("mode", "ret"),
    [
        ("token_empty", "FAIL_SYS_TOKEN_EMPTY::令牌为空"),
        ("token_expired", "FAIL_SYS_TOKEN_EXOIRED::令牌过期"),
        ("rgv587", "RGV587_ERROR::SM::哎哟喂,被挤爆啦,请稍后重试"),
        ("login", "FAIL_SYS_SESSION_EXPIRED::Session过期"),
    ],
)
def test_mtop_refusals(sb: Sandbox, mode: str, ret: str) -> None:
    r = fetch(sb, f"/h5api.m.taobao.com{MTOP_PATH}?callback=mtopjsonp7&_sandbox_refuse={mode}")
    assert r.status == 200 and r.text().startswith("mtopjsonp7(")
    body = json.loads(r.text()[len("mtopjsonp7(") : -1])
    assert ret in body["ret"]
    if mode.startswith("token"):
        assert any(c.startswith("_m_h5_tk=") for c in r.cookies)
    if mode == "rgv587":
        assert body["ret"][0] == "FAIL_SYS_USER_VALIDATE"


def test_jd_605_and_weibo_accessdeny(sb: Sandbox) -> None:
    for path in (SEARCH["jd"], "/p.3.cn/prices/mgets?skuIds=J_1"):
        body = fetch(sb, path + "&_sandbox_refuse=auth605").json()
        assert body == {"code": "605", "echo": "the request needs to authenticate"}
    r = fetch(sb, SEARCH["weibo"] + "&_sandbox_refuse=accessdeny")
    sel = Selector(text=r.text())
    assert r.status == 200 and sel.css("body.B_accessdeny #pl_guide_accessdeny")
    assert "访问受限" in sel.css("title::text").get("")


@pytest.mark.parametrize(("mode", "status"), [("throttle", 429), ("unavailable", 503)])
@pytest.mark.parametrize("platform", ["taobao", "tmall", "jd", "weibo"])
def test_throttling_with_retry_after(sb: Sandbox, platform: str, mode: str, status: int) -> None:
    r = fetch(sb, SEARCH[platform] + f"&_sandbox_refuse={mode}")
    assert r.status == status and int(r.headers["retry-after"]) > 0


def test_slow_truncated_and_malformed(sb: Sandbox) -> None:
    started = time.perf_counter()
    slow = fetch(sb, SEARCH["jd"] + "&_sandbox_refuse=slow")
    assert time.perf_counter() - started >= 0.3 and slow.status == 200
    normal = fetch(sb, SEARCH["taobao"]).body
    cut = fetch(sb, SEARCH["taobao"] + "&_sandbox_refuse=truncated")
    assert cut.status == 200 and len(cut.body) < len(normal) and normal.startswith(cut.body)
    with pytest.raises((ValueError, AssertionError)):
        g_page_config(cut.body)
    bad = fetch(sb, SEARCH["taobao"] + "&_sandbox_refuse=malformed")
    with pytest.raises(ValueError):
        bad.body.decode("gbk")
    bad_json = fetch(sb, "/p.3.cn/prices/mgets?skuIds=J_1&_sandbox_refuse=malformed")
    with pytest.raises(ValueError):
        json.loads(bad_json.body)


def test_empty_result_shapes(sb: Sandbox) -> None:
    cfg = g_page_config(fetch(sb, SEARCH["taobao"] + "&_sandbox_refuse=empty").body)
    assert cfg["mods"]["noresult"]["status"] == "show" and cfg["mods"]["itemlist"]["data"]["auctions"] == []
    assert "喵~没找到" in fetch(sb, SEARCH["tmall"] + "&_sandbox_refuse=empty").text("gbk")
    jd = Selector(text=fetch(sb, SEARCH["jd"] + "&_sandbox_refuse=empty").text())
    assert jd.css("div.check-error") and not jd.css("li.gl-item")
    wb = Selector(text=fetch(sb, SEARCH["weibo"] + "&_sandbox_refuse=empty").text())
    assert wb.xpath('//div[@class="card card-no-result s-pt20b40"]')
    # a query that finds nothing gives the same shapes without any refusal
    none = g_page_config(fetch(sb, "/s.taobao.com/search?q=zzzxqv").body)
    assert none["mods"]["noresult"]["status"] == "show"


def test_changed_layout_variants(sb: Sandbox) -> None:
    cfg = g_page_config(fetch(sb, SEARCH["taobao"] + "&_sandbox_refuse=layout").body)
    assert "itemlist" not in cfg["mods"] and cfg["mods"]["grid"]["data"]["itemsList"]
    tm = Selector(text=fetch(sb, SEARCH["tmall"] + "&_sandbox_refuse=layout").text("gbk"))
    assert not tm.css("#J_ItemList div.product") and tm.css("div.item-card")
    jd = Selector(text=fetch(sb, SEARCH["jd"] + "&_sandbox_refuse=layout").text())
    assert not jd.css("li.gl-item") and jd.css("li.goods-item")
    wb = Selector(text=fetch(sb, SEARCH["weibo"] + "&_sandbox_refuse=layout").text())
    assert not wb.xpath("//div[@class='card-wrap']") and wb.css("div.wbs-card")
    cid = quote("100103type=1&q=veloria", safe="")
    m = fetch(
        sb, f"/m.weibo.cn/api/container/getIndex?containerid={cid}&page=1&_sandbox_refuse=layout"
    ).json()
    assert not any(c.get("card_type") == 9 for c in m["data"]["cards"])


def test_mode_that_does_not_apply_answers_400(sb: Sandbox) -> None:
    r = fetch(sb, SEARCH["weibo"] + "&_sandbox_refuse=auth605")
    assert r.status == 400 and "weibo-search" in r.text() and "visitor" in r.text()
    assert fetch(sb, SEARCH["jd"] + "&_sandbox_refuse=bogus").status == 400


def test_platform_refusal_after_n_requests() -> None:
    with serve(seed=3, size=150, legacy=True) as s:
        s.set_refusal("taobao", "slider", after=2)
        statuses = [fetch(s, SEARCH["taobao"] + f"&s={44 * i}").status for i in range(4)]
        assert statuses == [200, 200, 302, 302]
        assert fetch(s, SEARCH["jd"]).status == 200  # other platforms unaffected
        s.set_refusal("taobao", None)
        assert fetch(s, SEARCH["taobao"]).status == 200
        with pytest.raises(ValueError):
            s.set_refusal("weibo", "auth605")
    with serve(seed=3, size=150, refuse=["jd=auth605"], legacy=True) as s:
        assert fetch(s, SEARCH["jd"]).json()["code"] == "605"
        assert fetch(s, SEARCH["taobao"]).status == 200


# --- time, truth, admin, 404 ---------------------------------------------------------------------------


def test_advance_changes_what_is_served() -> None:
    with serve(seed=5, size=300, legacy=True) as s:
        gone = next(x for x in s.catalogue.listings if x.removed == 1 and x.platform == "jd" and x.born == 0)
        assert fetch(s, f"/item.jd.com/{gone.item_id}.html").status == 200
        r = fetch(s, "/_sandbox/advance", method="POST")
        assert r.json() == {"epoch": 1} and s.epoch == 1
        page = fetch(s, f"/item.jd.com/{gone.item_id}.html")
        if gone.removal == "notfound":
            assert page.status == 302 and page.headers["location"].endswith("/www.jd.com/?d")
        else:
            assert "该商品已下柜" in page.text("gbk")
        truth = {r["item_id"]: r for r in fetch(s, "/_sandbox/truth?platform=jd").json()["listings"]}
        assert truth[gone.item_id]["status"] == "removed"
        assert s.advance(3) == 4
        assert fetch(s, "/_sandbox/advance", method="GET").status == 405


def test_removed_tmall_and_taobao_items_answer_as_the_platforms() -> None:
    with serve(seed=5, size=300, legacy=True) as s:
        s.advance(6)
        for platform, path in (
            ("taobao", "/item.taobao.com/item.htm?id="),
            ("tmall", "/detail.tmall.com/item.htm?id="),
        ):
            removed = [x for x in s.catalogue.by_platform(platform) if x.status(6) == "removed"]
            assert removed
            for x in removed[:4]:
                r = fetch(s, path + x.item_id)
                if x.removal == "notfound":
                    assert r.status == 302 and "/auction/noitem.htm?itemid=" in r.headers["location"]
                    loc = urlsplit(r.headers["location"])
                    assert "很抱歉" in fetch(s, f"{loc.path}?{loc.query}").text("gbk")
                else:
                    text = r.text("gbk")
                    assert "已下架" in text


def test_truth_endpoint_matches_the_python_api(sb: Sandbox) -> None:
    body = fetch(sb, "/_sandbox/truth?brand=veloria").json()
    assert body["epoch"] == sb.epoch and body["count"] == len(body["listings"])
    assert body["listings"] == json.loads(json.dumps(sb.truth(brand="veloria")))
    assert any(r["infringing"] for r in body["listings"]) and any(
        not r["infringing"] for r in body["listings"]
    )


def test_modes_endpoint_lists_every_mode(sb: Sandbox) -> None:
    body = fetch(sb, "/_sandbox/modes").json()
    assert set(body["modes"]) == set(MODES)
    assert set(body["routes"]) == set(ROUTES)
    assert "token_empty" in body["platforms"]["taobao"] and "auth605" not in body["platforms"]["weibo"]
    index = fetch(sb, "/_sandbox/").json()
    assert "taobao-search" in index["routes"]


def test_unknown_route_is_404_naming_it(sb: Sandbox) -> None:
    r = fetch(sb, "/s.taobao.com/nothing-here?x=1")
    assert r.status == 404 and "/s.taobao.com/nothing-here" in r.text()
    r = fetch(sb, "/_sandbox/nope")
    assert r.status == 404 and "/_sandbox/nope" in r.text()


def test_same_seed_serves_the_same_page() -> None:
    with serve(seed=9, size=200, legacy=True) as a, serve(seed=9, size=200, legacy=True) as b:
        for path in SEARCH.values():
            assert fetch(a, path).body == fetch(b, path).body


def test_weibo_post_detail_and_removed_post() -> None:
    with serve(seed=5, size=300, legacy=True) as s:
        post = next(x for x in s.catalogue.by_platform("weibo") if x.born == 0 and x.removed is not None)
        text = fetch(s, f"/m.weibo.cn/detail/{post.item_id}").text()
        m = re.search(r"var \$render_data = (\[.*?\])\[0\] \|\| \{\};", text, re.S)
        assert m, text[:300]
        status = json.loads(m.group(1))[0]["status"]
        assert status["mid"] == post.item_id and status["user"]["id"] == int(post.seller.seller_id)
        assert fetch(s, f"/m.weibo.cn/detail/{post.bid}").text() == text  # the bid works too
        s.advance(post.removed)
        assert "微博不存在" in fetch(s, f"/m.weibo.cn/detail/{post.item_id}").text()
        assert fetch(s, "/m.weibo.cn/detail/1?_sandbox_refuse=visitor").status == 302


def _jd_api_url(kw: str, page: int, h5st: str = "20261102090000000;tk03;sandbox") -> str:
    body = json.dumps({"keyword": kw, "page": page, "s": (page - 1) * 30 + 1, "enc": "utf-8"})
    return (
        "/api.m.jd.com/api?appid=search-pc-java&functionId=pc_search_searchWare&client=pc&clientVersion=1.0.0"
        f"&keyword={quote(kw)}&h5st={quote(h5st)}&body={quote(body)}"
    )


def test_jd_search_api(sb: Sandbox) -> None:
    unsigned = fetch(sb, _jd_api_url("veloria", 1, h5st=""))
    assert json.loads(unsigned.body)["code"] == "605"
    r = fetch(sb, _jd_api_url("veloria", 1))
    assert r.status == 200 and r.headers["content-type"].startswith("text/html")  # JSON sent as text/html
    doc = json.loads(r.body)
    assert doc["code"] == 0
    wares = doc["data"]["wareList"]
    html = fetch(sb, "/search.jd.com/Search?keyword=veloria&enc=utf-8&page=1").text()
    total = int(re.search(r"result_count:'(\d+)'", html).group(1))  # type: ignore[union-attr]
    assert doc["data"]["resultCount"] == total and len(wares) == min(30, total)
    w = wares[0]
    assert {"skuId", "wareName", "jdPrice", "imageurl", "shopId", "shopName", "commentFuzzy"} <= set(w)
    assert w["imageurl"].startswith("jfs/t1/")
    x = sb.catalogue.get("jd", w["skuId"])
    assert x is not None and w["shopId"] == x.seller.shop_id and w["jdPrice"] == f"{x.price(sb.epoch):.2f}"
    img = fetch(sb, "/img14.360buyimg.com/n1/" + w["imageurl"])
    assert img.status == 200 and img.headers["content-type"] == "image/jpeg"
    page2 = json.loads(fetch(sb, _jd_api_url("veloria", 2)).body)["data"]["wareList"]
    assert not {p["skuId"] for p in page2} & {p["skuId"] for p in wares}


def _signed_mtop(sb: Sandbox) -> tuple[str, dict[str, str]]:
    """A signed mtop search request and the cookie it needs (after the token round trip)."""
    first = fetch(sb, f"/h5api.m.taobao.com{MTOP_PATH}?callback=mtopjsonp1")
    cookies = dict(c.split(";")[0].split("=", 1) for c in first.cookies)
    data = json.dumps({"appId": "34385", "params": json.dumps({"q": "veloria", "page": 1})})
    t = "1700000000000"
    sign = mtop_sign(cookies["_m_h5_tk"], t, "12574478", data)
    path = (
        f"/h5api.m.taobao.com{MTOP_PATH}?appKey=12574478&t={t}&sign={sign}&api={MTOP_API}&v=2.0"
        f"&type=jsonp&callback=mtopjsonp1&data={quote(data)}"
    )
    return path, {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}


def _route_urls(sb: Sandbox) -> dict[str, tuple[str, dict[str, str]]]:
    def live(platform: str) -> str:
        return next(x.item_id for x in sb.catalogue.by_platform(platform) if x.live(sb.epoch))

    cid = quote("100103type=1&q=veloria", safe="")
    jd_ref = {"Referer": "https://search.jd.com/Search?keyword=veloria&enc=utf-8"}
    return {
        "taobao-search": (SEARCH["taobao"], {}),
        "taobao-mtop-search": _signed_mtop(sb),
        "taobao-item": (f"/item.taobao.com/item.htm?id={live('taobao')}", {}),
        "tmall-search": (SEARCH["tmall"], {}),
        "tmall-item": (f"/detail.tmall.com/item.htm?id={live('tmall')}", {}),
        "jd-search": (SEARCH["jd"], {}),
        "jd-search-second-half": (
            "/search.jd.com/s_new.php?keyword=veloria&enc=utf-8&page=2&scrolling=y",
            jd_ref,
        ),
        "jd-prices": (f"/p.3.cn/prices/mgets?skuIds=J_{live('jd')}", {}),
        "jd-api-search": (_jd_api_url("veloria", 1), {}),
        "jd-item": (f"/item.jd.com/{live('jd')}.html", {}),
        "weibo-search": (SEARCH["weibo"], {}),
        "weibo-mobile-search": (
            f"/m.weibo.cn/api/container/getIndex?containerid={cid}&page_type=searchall&page=1",
            {},
        ),
        "weibo-post": (f"/m.weibo.cn/detail/{live('weibo')}", {}),
        "weibo-status": (
            "/" + next(x.url for x in sb.catalogue.by_platform("weibo") if x.live(sb.epoch))[8:],
            {},
        ),
    }


def test_every_mode_changes_every_route_it_applies_to(sb: Sandbox) -> None:
    """Each (route, mode) pair the sandbox advertises answers differently from the normal response."""
    urls = _route_urls(sb)
    assert set(urls) == set(ROUTES)
    for name, route in ROUTES.items():
        path, headers = urls[name]
        normal = fetch(sb, path, headers)
        assert normal.status == 200 and b"FAIL_SYS" not in normal.body, name
        for mode in sorted(route.modes):
            if mode == "slow":
                started = time.perf_counter()
                r = fetch(sb, path, {**headers, "X-Sandbox-Refuse": mode, "X-Sandbox-Delay": "0.05"})
                assert time.perf_counter() - started >= 0.05 and r.body == normal.body, name
                continue
            r = fetch(sb, path, {**headers, "X-Sandbox-Refuse": mode})
            assert (r.status, r.body) != (normal.status, normal.body), (name, mode)
        assert fetch(sb, path, {**headers, "X-Sandbox-Refuse": "bogus"}).status == 400


def test_mobile_weibo_accessdeny_is_418(sb: Sandbox) -> None:
    cid = quote("100103type=1&q=veloria", safe="")
    r = fetch(sb, f"/m.weibo.cn/api/container/getIndex?containerid={cid}&page=1&_sandbox_refuse=accessdeny")
    assert r.status == 418


def test_admin_refuse_state_and_url_for() -> None:
    with serve(seed=6, size=150, legacy=True) as s:
        assert s.url_for("https://s.taobao.com/search?q=x") == f"{s.url}/s.taobao.com/search?q=x"
        assert s.url_for("//item.jd.com/1.html") == f"{s.url}/item.jd.com/1.html"
        r = fetch(s, "/_sandbox/refuse?platform=weibo&mode=visitor&after=1", method="POST")
        assert r.json() == {"refusals": {"weibo": "visitor@1"}}
        assert [fetch(s, SEARCH["weibo"]).status for _ in range(2)] == [200, 302]
        assert fetch(s, "/_sandbox/refuse?platform=weibo&mode=auth605", method="POST").status == 400
        assert fetch(s, "/_sandbox/refuse?platform=weibo", method="POST").json() == {"refusals": {}}
        assert fetch(s, SEARCH["weibo"]).status == 200
        state = fetch(s, "/_sandbox/state").json()
        assert state["seed"] == 6 and state["epoch"] == 0 and state["catalogue"]["listings"] >= 150
        assert fetch(s, "/_sandbox/refuse?platform=weibo&mode=visitor").status == 405


def test_weibo_region_and_haspic_filters(sb: Sandbox) -> None:
    def mids(query: str) -> list[str]:
        sel = Selector(text=fetch(sb, f"/s.weibo.com/weibo?q=veloria{query}").text())
        return sel.xpath("//div[@class='card-wrap']/@mid").getall()

    everything = mids("")
    zhejiang = mids("&region=custom:33:1000")
    assert zhejiang != everything
    for mid in zhejiang:
        x = sb.catalogue.get("weibo", mid)
        assert x is not None and x.seller.location.startswith("浙江")
    for mid in mids("&haspic=1"):
        x = sb.catalogue.get("weibo", mid)
        assert x is not None and x.photos
