"""The parsers read what the sandbox serves as today's platforms (skipped where the sandbox has no
``sandbox.today``, i.e. before the sandbox branch is merged), and name its plain-HTTP refusals."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from spiders.refusals import refusal_from_redirect
from spiders.registry import parse_any, parse_api_answer

today = pytest.importorskip("sandbox.today")
H5 = "https://h5api.m.taobao.com/h5/mtop.taobao.wsearch.h5search/1.0/?data=%7B%22q%22%3A%22v%22%2C%22page%22%3A1%7D"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def get(url: str) -> tuple[int, str | None, str]:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=15) as r:
            return r.status, r.headers.get("Location"), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Location"), e.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def sb() -> Iterator[Any]:
    from sandbox import serve

    with serve(seed=7, size=300) as s:
        yield s


def test_item_and_api_bodies_are_read(sb: Any) -> None:
    from sandbox import pages

    t = sb.today
    tb = list(sb.catalogue.by_platform("taobao"))[:3]
    tm = next(iter(sb.catalogue.by_platform("tmall")))
    jd = next(iter(sb.catalogue.by_platform("jd")))
    wb = next(iter(sb.catalogue.by_platform("weibo")))
    item = parse_any("taobao", t.ice_page(tb[0]), f"https://item.taobao.com/item.htm?id={tb[0].item_id}")
    assert item.outcome == "ok" and item.listings[0].item_id == tb[0].item_id and item.listings[0].price
    mall = parse_any("tmall", t.ice_page(tm), f"https://detail.tmall.com/item.htm?id={tm.item_id}")
    assert mall.listings[0].platform == "tmall" and mall.listings[0].seller_name == tm.seller.name
    assert parse_any("taobao", t.ice_page(tb[1], offshelf=True), "https://item.taobao.com/item.htm?id=1").gone
    url = f'https://api.m.jd.com/?functionId=pc_detailpage_wareBusiness&body={{"skuId":"{jd.item_id}"}}'
    ware = parse_api_answer("jd", url, json.dumps(t.ware_business(jd, jd.item_id)))
    assert ware is not None and ware.listings[0].title == jd.title and ware.listings[0].seller_name
    body = pages.mtop_body(
        ["SUCCESS::调用成功"],
        pages.mtop_search_data("v", 1, tb, 3, sb.epoch, sb.seed),
        "mtop.taobao.wsearch.h5search",
        "1.0",
    )
    h5 = parse_api_answer("taobao", H5, json.dumps(body, ensure_ascii=False))
    assert h5 is not None and [x.item_id for x in h5.listings] == [x.item_id for x in tb]
    status = parse_api_answer(
        "weibo", "https://weibo.com/ajax/statuses/show?id=1", json.dumps(t.weibo_status(wb))
    )
    assert status is not None and status.listings[0].item_id == wb.item_id


def test_plain_http_refusals_are_named(sb: Any) -> None:
    def redirect(real: str, platform: str) -> str | None:
        status, location, _ = get(sb.url_for(real))
        assert status == 302 and location
        target = "https://" + location.split("/", 3)[3]
        return refusal_from_redirect(real, target, platform)

    assert redirect("https://list.tmall.com/search_product.htm?q=veloria", "tmall") == "tmall-moved"
    assert redirect("https://s.taobao.com/search?q=veloria", "taobao") == "login"
    jd = next(iter(sb.catalogue.by_platform("jd")))
    assert redirect(f"https://item.jd.com/{jd.item_id}.html", "jd") == "jd-risk"
    _, _, body = get(sb.url_for(H5))
    page = parse_api_answer("taobao", H5, body)
    assert page is not None and page.outcome == "refused:rgv587-x5sec"
    _, _, body = get(sb.url_for("https://weibo.com/ajax/statuses/show?id=1"))
    ajax = parse_api_answer("weibo", "https://weibo.com/ajax/statuses/show?id=1", body)
    assert ajax is not None and ajax.outcome == "refused:weibo-login"
