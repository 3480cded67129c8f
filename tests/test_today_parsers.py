"""Today's shapes (platforms.md §0.5), each read from a fixture written in that shape."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import cli
from spiders.jd import parse_api_answer as jd_api
from spiders.jd.parsers import parse_search as jd_search
from spiders.registry import parse_any
from spiders.taobao import parse_api_answer as taobao_api
from spiders.taobao.legacy import parse_taobao_item, parse_taobao_search
from spiders.tmall import parse_api_answer as tmall_api
from spiders.tmall.legacy import parse_tmall_item
from spiders.weibo import parse_api_answer as weibo_api
from spiders.weibo.today import parse_account_search, with_long_text

FIXTURES = Path(__file__).parent / "fixtures"
H5 = "https://h5api.m.taobao.com/h5/mtop.taobao.wsearch.h5search/1.0/?api=mtop.taobao.wsearch.h5search&data=%7B%22q%22%3A%22veloria%22%2C%22page%22%3A1%7D"


def fx(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_h5search_answer_is_read() -> None:
    page = taobao_api(H5, fx("taobao/h5search_ok.jsonp"))
    assert page is not None and page.outcome == "ok"
    assert page.total_pages == 3 and page.total_results == 131
    first, second = page.listings
    assert (first.item_id, first.platform, first.price, first.seller_id) == (
        "812345678901",
        "taobao",
        89.0,
        "2207300000001",
    )
    assert first.title == "Veloria 真丝围巾 2026新款" and first.location == "浙江 杭州"
    assert first.image_urls == [
        "https://img.alicdn.com/imgextra/i1/2207300000001/O1CN01abc_!!2207300000001.jpg"
    ]
    assert second.platform == "tmall" and second.url == "https://detail.tmall.com/item.htm?id=812345678902"
    assert first.page == 1 and first.source == "taobao:mtop-h5search"


def test_h5search_empty_and_unknown_api() -> None:
    assert taobao_api(H5, fx("taobao/h5search_empty.json")).outcome == "empty"  # type: ignore[union-attr]
    assert taobao_api("https://h5api.m.taobao.com/h5/mtop.taobao.other/1.0/", b"{}") is None


def test_recommend_answer_through_the_same_entry() -> None:
    url = "https://h5api.m.taobao.com/h5/mtop.relationrecommend.wirelessrecommend.recommend/2.0/"
    page = taobao_api(url, fx("taobao/recommend_ok.jsonp"))
    assert page is not None and page.outcome == "ok"
    assert page.listings[0].price == 49.9 and page.listings[0].shop_url == "https://shop123456.taobao.com"


def test_tmall_tab_mall_answers_are_tmall_listings() -> None:
    url = H5.replace("%7D", "%2C%22tab%22%3A%22mall%22%7D")
    page = tmall_api(url, fx("taobao/h5search_ok.jsonp"))
    assert page is not None and {x.platform for x in page.listings} == {"tmall"}


def test_rendered_cards_with_spm_act_id() -> None:
    page = parse_taobao_search(
        fx("taobao/search_rendered_2026.html"), "https://s.taobao.com/search?q=veloria"
    )
    assert page.outcome == "ok"
    a, b = page.listings
    assert (a.item_id, a.price, a.sales, a.seller_name, a.location) == (
        "812345678901",
        89.0,
        "300+人付款",
        "薇洛瑞亚小铺",
        "浙江 杭州",
    )
    assert a.title == "Veloria 真丝围巾 2026新款"
    assert a.image_urls[0].endswith("O1CN01abc_!!2207300000001.jpg")
    assert (b.item_id, b.platform, b.price) == ("812345678904", "tmall", 459.0)


def test_ice_item_pages_and_pcdetail() -> None:
    tmall = parse_tmall_item(fx("tmall/item_ice.html"), "https://detail.tmall.com/item.htm?id=812345678902")
    assert tmall.outcome == "ok"
    item = tmall.listings[0]
    assert (item.item_id, item.platform, item.price, item.seller_id) == (
        "812345678902",
        "tmall",
        459.0,
        "2207300000002",
    )
    assert item.seller_name == "veloria官方旗舰店" and item.shop_url == "https://veloria.tmall.com"
    assert len(item.image_urls) == 2 and all(u.startswith("https://img.alicdn.com/") for u in item.image_urls)
    taobao = parse_taobao_item(fx("taobao/item_ice.html"), "https://item.taobao.com/item.htm?id=812345678901")
    assert taobao.listings[0].price == 89.0 and taobao.listings[0].platform == "taobao"
    url = "https://h5api.m.tmall.com/h5/mtop.taobao.pcdetail.data.get/1.0/?api=mtop.taobao.pcdetail.data.get"
    api = tmall_api(url, fx("taobao/pcdetail_ok.json"))
    assert api is not None and api.listings[0].item_id == "812345678902" and api.listings[0].price == 459.0


def test_bare_g_page_config_and_lazy_img_done() -> None:
    page = parse_any("taobao", fx("taobao/g_page_config_bare.json"))
    assert page.outcome == "ok" and page.listings[0].item_id == "612345678901"
    jd = parse_any("jd", fx("jd/search_lazy_done.html"), url="https://search.jd.com/Search?keyword=v&page=1")
    assert jd.listings[0].image_urls == ["https://img11.360buyimg.com/n1/jfs/t1/legacy/done.jpg"]


def test_jd_rendered_cards() -> None:
    page = jd_search(
        fx("jd/search_rendered_2026.html"), "https://search.jd.com/Search?keyword=veloria&enc=utf-8"
    )
    assert page.outcome == "ok"
    a, b = page.listings
    assert (a.item_id, a.price, a.seller_id, a.seller_name) == (
        "100123456789",
        199.0,
        "1000123",
        "Veloria京东自营旗舰店",
    )
    assert a.image_urls == ["https://img12.360buyimg.com/n1/jfs/t1/20260101/veloria-scarf.jpg.avif"]
    assert a.comments == 20000
    assert (b.item_id, b.price, b.title) == ("100987654321", 59.9, "VELORIA同款 羊绒围巾")


def test_jd_searchware_and_warebusiness() -> None:
    url = 'https://api.m.jd.com/api?appid=search-pc-java&functionId=pc_search_searchWare&body={"page":1}'
    page = jd_api(url, fx("jd/searchware_ok.json"))
    assert page is not None and page.outcome == "ok" and page.total_pages == 3
    assert [x.item_id for x in page.listings] == ["100123456789", "100987654321"]
    assert page.listings[0].price == 199.0 and page.listings[0].title == "Veloria 真丝围巾 女"
    detail_url = 'https://api.m.jd.com/?appid=pc-item-soa&functionId=pc_detailpage_wareBusiness&body={"skuId":"100123456789"}'
    item = jd_api(detail_url, fx("jd/warebusiness_ok.json"))
    assert item is not None and item.outcome == "ok"
    ware = item.listings[0]
    assert (ware.item_id, ware.price, ware.seller_id) == ("100123456789", 189.0, "1000123")
    assert len(ware.image_urls) == 2 and not item.gone
    assert jd_api("https://api.m.jd.com/api?functionId=other", b"{}") is None


def test_weibo_show_is_cut_and_longtext_replaces_it() -> None:
    page = weibo_api("https://weibo.com/ajax/statuses/show?id=PzAbCdEfG", fx("weibo/ajax_show_long.json"))
    assert page is not None and page.outcome == "ok"
    post = page.listings[0]
    assert post.kind == "post" and post.url == "https://weibo.com/7700000001/PzAbCdEfG"
    assert page.next["longtext"] == ["5100000000000001"] and post.raw["markwatch_long_text"] == "pending"
    assert post.comments == 12000 and post.location == "广东"
    assert post.image_urls == [
        "https://wx1.sinaimg.cn/large/006abcPIC1.jpg",
        "https://wx2.sinaimg.cn/large/006abcPIC2.jpg",
    ]
    long = weibo_api(
        "https://weibo.com/ajax/statuses/longtext?id=5100000000000001", fx("weibo/ajax_longtext.json")
    )
    assert long is not None
    with_long_text(post, long)
    assert "微信 veloria-vip" in post.title and "展开" not in post.title
    assert post.raw["markwatch_long_text"] == "read"


def test_weibo_search_profile() -> None:
    url = "https://weibo.com/ajax/statuses/searchProfile?uid=7700000001&q=veloria&page=1"
    page = weibo_api(url, fx("weibo/ajax_search_profile.json"))
    assert page is not None and page.outcome == "ok" and page.total_results == 2
    assert [x.item_id for x in page.listings] == ["5100000000000001", "5100000000000002"]
    assert page.next == {"page": 2, "longtext": ["5100000000000001"]}


def test_weibo_account_search_gives_account_listings() -> None:
    page = parse_account_search(fx("weibo/user_search.html"), "https://s.weibo.com/user?q=veloria")
    assert page.outcome == "ok" and page.next == {"page": 2}
    official, impostor = page.listings
    assert official.kind == "account" and official.item_id == "1900000001" == official.seller_id
    assert official.title.startswith("Veloria薇洛瑞亚 Veloria薇洛瑞亚官方微博")
    assert official.raw["verified"] is True and official.raw["verified_type"] == "blue"
    assert official.raw["followers"] == "35.6万"
    assert impostor.item_id == "7700000001" and impostor.raw["verified"] is False
    assert "veloria-vip" in impostor.title and impostor.url == "https://weibo.com/u/7700000001"


def test_parse_command_reads_todays_kinds(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli, ["parse", "weibo", str(FIXTURES / "weibo/user_search.html"), "--kind", "accounts"]
    )
    assert result.exit_code == 0, result.output
    assert '"kind": "account"' in result.output
    result = runner.invoke(cli, ["parse", "taobao", str(FIXTURES / "taobao/g_page_config_bare.json")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("platform", "fixture", "url", "kind"),
    [
        ("taobao", "taobao/item_ice.html", None, "item"),
        ("taobao", "taobao/g_page_config_bare.json", None, "search"),
        ("taobao", "taobao/g_page_config_bare.json", "https://s.taobao.com/search?q=v&ajax=true", "search"),
        ("taobao", "taobao/h5search_ok.jsonp", None, "mtop"),
        ("tmall", "tmall/item_ice.html", None, "item"),
        ("jd", "jd/search_rendered_2026.html", None, "search"),
        ("jd", "jd/warebusiness_ok.json", None, "api"),
        ("weibo", "weibo/user_search.html", None, "accounts"),
        ("weibo", "weibo/ajax_show_long.json", None, "ajax"),
        ("weibo", "weibo/mobile_search.json", None, "mobile"),
    ],
)
def test_saved_bodies_are_told_apart(platform: str, fixture: str, url: str | None, kind: str) -> None:
    from spiders.registry import kind_of

    assert kind_of(platform, fx(fixture).decode("utf-8"), url) == kind
    assert parse_any(platform, fx(fixture), url=url).outcome == "ok"


def test_mobile_getindex_with_idstr_is_not_taken_for_ajax() -> None:
    from spiders.registry import kind_of

    card = '{"card_type":9,"mblog":{"idstr":"1","mid":"1"}}'
    body = '{"ok":1,"data":{"cardlistInfo":{"page":2},"cards":[' + card + "]}}"
    assert kind_of("weibo", body) == "mobile"
