"""The score: sellers, prices, reasons, batch = single, and "more evidence never lowers it" (property)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from markwatch.brand import resolve_brand
from matchers import ENGINE_VERSION, Matcher, MatchResult, Reason
from matchers.score import combine, noisy_or, price_weight
from tests.matching.photos import make_photo


@pytest.fixture(scope="module")
def veloria() -> Matcher:
    return Matcher(resolve_brand("veloria"), today=dt.date(2026, 11, 29))


@pytest.fixture(scope="module")
def corvane() -> Matcher:
    return Matcher(resolve_brand("corvane"), today=dt.date(2026, 11, 29))


def listing(**kw: Any) -> dict[str, Any]:
    base = {
        "platform": "taobao",
        "item_id": "1",
        "title": "",
        "price": None,
        "currency": "CNY",
        "seller_id": "someone",
        "seller_name": "小店",
    }
    base.update(kw)
    return base


def test_contract_shape(veloria: Matcher) -> None:
    r = veloria.score(listing(title="VELORIA 高仿 女包", price=199))
    assert isinstance(r, MatchResult) and r.engine_version == ENGINE_VERSION
    assert 0 <= r.score <= 1 and r.suspect and r.mark_id == "veloria-word"
    assert all(isinstance(x, Reason) for x in r.reasons)
    d = r.to_dict()
    assert {"score", "suspect", "mark_id", "reasons", "engine_version"} <= set(d)
    json.dumps(d)
    assert {"kind", "detail", "weight"} <= set(d["reasons"][0])


def test_reasons_read_like_the_issue(veloria: Matcher) -> None:
    r = veloria.score(listing(title="薇洛瑞娅 手提包", price=99))
    details = " | ".join(x.detail for x in r.reasons)
    assert "薇洛瑞娅" in details and "homophone" in details
    assert "price ¥99 is 7% of the floor ¥1,500" in details
    assert r.explanation.startswith("link ")


def test_mark_alone_is_not_a_suspect_but_ranks_high(veloria: Matcher) -> None:
    r = veloria.score(listing(title="VELORIA 女包 代购", price=3200))
    assert not r.suspect and r.score == pytest.approx(0.45)


def test_no_link_no_score(veloria: Matcher) -> None:
    r = veloria.score(listing(title="高仿 女包 A货 1:1 加微信", price=99))
    assert r.score == 0 and not r.suspect and r.mark_id is None
    assert any(x.kind == "lexicon" for x in r.reasons)  # still shown


def test_authorised_seller_is_capped(veloria: Matcher) -> None:
    r = veloria.score(listing(platform="tmall", seller_id="2200011", title="VELORIA 高仿 特价", price=99))
    assert not r.suspect and r.score <= 0.1
    assert any("authorised" in x.detail for x in r.reasons)


def test_authorised_on_another_platform_is_not(veloria: Matcher) -> None:
    r = veloria.score(listing(platform="taobao", seller_id="2200011", title="VELORIA 特价", price=99))
    assert r.suspect


def test_expired_distributor_is_a_suspect(veloria: Matcher) -> None:
    r = veloria.score(
        listing(seller_id="tb_778899", seller_name="薇洛瑞亚授权店", title="薇洛瑞亚 真皮女包", price=2999)
    )
    assert r.suspect
    assert any("authorisation expired on 2025-06-30" in x.detail for x in r.reasons)


def test_expired_distributor_untied_listing_is_not(veloria: Matcher) -> None:
    """A lapsed authorisation makes a suspect only of listings tied to the brand, not of every product
    the former dealer sells (issue 13)."""
    r = veloria.score(
        listing(seller_id="tb_778899", seller_name="薇洛瑞亚授权店", title="真皮女包 新款", price=2999)
    )
    assert not r.suspect
    assert any(x.data.get("signal") == "expired-untied" for x in r.reasons)


def test_expired_distributor_shop_named_after_the_mark_with_a_same_as_word(veloria: Matcher) -> None:
    """The former dealer's shop still carries the mark; "专柜同款" in the title can only mean the brand's
    counter, so the listing is tied and the lapsed authorisation counts. Beside another brand's name
    the word refers to that brand: not tied."""
    r = veloria.score(
        listing(seller_id="tb_778899", seller_name="薇洛瑞亚授权店", title="真皮女包 专柜同款", price=2400)
    )
    assert r.suspect
    tie = [x for x in r.reasons if x.data.get("signal") == "lapsed-shop-word"]
    assert tie and tie[0].role == "link" and "同款" in tie[0].detail
    other = veloria.score(
        listing(
            seller_id="tb_778899", seller_name="薇洛瑞亚授权店", title="古驰 真皮女包 专柜同款", price=2400
        )
    )
    assert not other.suspect
    assert not [x for x in other.reasons if x.data.get("signal") == "lapsed-shop-word"]


def test_expired_distributor_before_expiry_is_authorised(veloria: Matcher) -> None:
    r = veloria.score(
        listing(seller_id="tb_778899", title="VELORIA 女包", price=2999, seen_at="2025-06-30T10:00:00")
    )
    assert not r.suspect and r.score <= 0.1


def test_fake_official_shop(corvane: Matcher) -> None:
    r = corvane.score(
        listing(
            platform="tmall",
            seller_id="2201234",
            seller_name="corvane官方旗舰店",
            title="男士手表",
            price=9000,
        )
    )
    assert r.suspect and r.mark_id == "corvane-word"


@pytest.mark.parametrize(("price", "weight"), [(99, 0.9), (750, 0.6), (1400, 0.18), (1500, 0.0), (5000, 0.0)])
def test_price_weight(price: float, weight: float) -> None:
    assert price_weight(price, 1500) == pytest.approx(weight, abs=0.03)


def test_price_further_below_is_stronger() -> None:
    weights = [price_weight(p, 1500) for p in range(0, 1600, 50)]
    assert weights == sorted(weights, reverse=True)


@pytest.mark.parametrize("price", [None, "abc", float("nan"), -5, True, "199", "¥99"])
def test_odd_prices_tolerated(veloria: Matcher, price: Any) -> None:
    r = veloria.score(listing(title="VELORIA", price=price))
    assert 0 <= r.score <= 1


def test_missing_keys_tolerated(veloria: Matcher) -> None:
    assert veloria.score({}).score == 0
    assert veloria.score({"title": None, "seller_id": 123}).score == 0


def test_other_currency_has_no_floor(veloria: Matcher) -> None:
    r = veloria.score(listing(title="VELORIA", price=1, currency="USD"))
    assert not any(x.kind == "price" for x in r.reasons)


def test_unreadable_image_is_a_reason(veloria: Matcher, tmp_path: Path) -> None:
    r = veloria.score(listing(title="VELORIA", image_paths=[str(tmp_path / "gone.jpg")]))
    assert any(x.kind == "image" and x.detail.startswith("image unreadable") for x in r.reasons)
    assert r.image_hashes == [{"path": str(tmp_path / "gone.jpg"), "error": "file not found"}]


def test_brand_photo_under_generic_title(veloria: Matcher, tmp_path: Path) -> None:
    path = make_photo("official:veloria/official/bag-2.jpg|crop:0.1,0,0,0.1|q:60", tmp_path)
    r = veloria.score(listing(title="女士手提包 新款", price=2500, image_paths=[str(path)]))
    assert r.suspect
    assert any("bag-2.jpg" in x.detail and "cropped" in x.detail for x in r.reasons)
    assert r.image_hashes[0]["recipe"]


def test_precomputed_hashes_are_reused(veloria: Matcher, tmp_path: Path) -> None:
    from matchers.images import hash_image

    path = make_photo("official:veloria/official/bag-1.jpg", tmp_path)
    h = hash_image(path)
    h["grad32"] = "00" * 256  # a visibly different hash: proves it was used rather than recomputed
    r = veloria.score(listing(title="女包", image_paths=[str(path)], images=[h]))
    assert r.image_hashes[0]["grad32"] == "00" * 256


def test_score_many_equals_score(veloria: Matcher) -> None:
    items = [
        listing(title=t, price=p)
        for t, p in [
            ("VELORIA 高仿", 99),
            ("velour 丝绒", 50),
            ("V E L O R I A", None),
            ("", 1),
            ("Veloira 包", 300),
        ]
    ]
    assert [r.to_dict() for r in veloria.score_many(items)] == [veloria.score(i).to_dict() for i in items]


# --- more evidence never lowers the score -----------------------------------------------------------

TITLES = ["VELORIA 女包", "V E L O R I A", "薇洛瑞娅 包", "女士手提包", "velour 包", "Veloira", "高仿真 花"]
EXTRA_WORDS = [
    "高仿",
    "A货",
    "1:1",
    "加微信",
    "私聊",
    "原单",
    "VX",
    "工厂",
    "代购",
    "正品",
    "VELORIA",
    "薇洛瑞亚",
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    title=st.sampled_from(TITLES),
    extra=st.lists(st.sampled_from(EXTRA_WORDS), min_size=1, max_size=3),
    price=st.one_of(st.none(), st.floats(min_value=1, max_value=5000)),
    cut=st.floats(min_value=0.0, max_value=0.99),
    seller=st.sampled_from(["x1", "tb_778899"]),
)
def test_more_evidence_never_lowers(
    veloria: Matcher, title: str, extra: list[str], price: float | None, cut: float, seller: str
) -> None:
    before = veloria.score(listing(title=title, price=price, seller_id=seller)).score
    more_words = veloria.score(
        listing(title=title + " " + " ".join(extra), price=price, seller_id=seller)
    ).score
    assert more_words >= before - 1e-9
    if price is not None:
        cheaper = veloria.score(listing(title=title, price=price * (1 - cut), seller_id=seller)).score
        assert cheaper >= before - 1e-9
    named = veloria.score(
        listing(title=title, price=price, seller_id=seller, seller_name="VELORIA官方店")
    ).score
    assert named >= before - 1e-9


@given(
    links=st.lists(st.floats(0, 1), min_size=1, max_size=4),
    evidence=st.lists(st.floats(0, 1), max_size=4),
    more=st.floats(0, 1),
)
def test_combination_is_monotone(links: list[float], evidence: list[float], more: float) -> None:
    base = combine(noisy_or(links), noisy_or(evidence))
    assert combine(noisy_or([*links, more]), noisy_or(evidence)) >= base - 1e-12
    assert combine(noisy_or(links), noisy_or([*evidence, more])) >= base - 1e-12
    assert 0 <= base <= 1


@pytest.mark.parametrize(
    ("price", "expected"), [("¥1,299.00", 1299.0), ("149.00 - 159.00", 149.0), ("面议", None)]
)
def test_price_text(price: str, expected: float | None) -> None:
    from matchers.score import _price

    assert _price(price) == expected


def test_mark_run_into_other_letters(veloria: Matcher) -> None:
    r = veloria.score(listing(title="newveloriabag 高仿", price=300))
    assert r.suspect and r.mark_id == "veloria-word"


def test_authorised_by_shop_name_when_no_id(veloria: Matcher) -> None:
    item = listing(
        platform="jd", seller_id=None, seller_name="Veloria京东自营旗舰店", title="VELORIA 钱包", price=99
    )
    assert veloria.score(item).score <= 0.1
    other = listing(
        platform="jd", seller_id="123", seller_name="Veloria京东自营旗舰店", title="VELORIA 钱包", price=99
    )
    assert veloria.score(other).suspect  # an id that is not the authorised one wins over the name


def test_mark_and_brand_photo_at_full_price(veloria: Matcher, tmp_path: Path) -> None:
    path = make_photo("official:veloria/official/bag-1.jpg|resize:640", tmp_path)
    r = veloria.score(listing(title="VELORIA 手提包", price=3600, image_paths=[str(path)]))
    assert r.suspect
    assert any(x.data.get("trick") == "brand-photo" for x in r.reasons)


def test_local_photos_come_from_image_paths(veloria: Matcher, tmp_path: Path) -> None:
    path = make_photo("official:veloria/official/bag-2.jpg|q:50", tmp_path)
    r = veloria.score(listing(title="女包", image_paths=[str(path)]))
    assert r.image_hashes and "error" not in r.image_hashes[0]
    assert r.suspect


def test_shop_named_after_the_mark(veloria: Matcher) -> None:
    plain = veloria.score(listing(title="VELORIA 女包", price=3000)).score
    shop = veloria.score(listing(title="VELORIA 女包", price=3000, seller_name="veloria精品店"))
    assert shop.score > plain and shop.suspect


def test_post_text_is_read(veloria: Matcher) -> None:
    r = veloria.score({"platform": "weibo", "kind": "post", "text": "薇洛瑞亚 原单 私聊", "seller_id": "1"})
    assert r.suspect and any(x.detail.startswith("text contains") for x in r.reasons)


@pytest.fixture(scope="module")
def brand_photo(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(
        make_photo("official:veloria/official/bag-1.jpg|crop:0.05,0,0,0.1|q:70", tmp_path_factory.mktemp("p"))
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    title=st.sampled_from(TITLES),
    price=st.one_of(st.none(), st.floats(min_value=1, max_value=5000)),
    name=st.sampled_from(["VELORIA", "薇洛瑞娅", "V E L O R I A"]),
)
def test_photos_and_names_never_lower(
    veloria: Matcher, brand_photo: str, title: str, price: float | None, name: str
) -> None:
    plain = veloria.score(listing(title=title, price=price)).score
    with_photo = veloria.score(listing(title=title, price=price, image_paths=[brand_photo])).score
    named_with_photo = veloria.score(
        listing(title=f"{title} {name}", price=price, image_paths=[brand_photo])
    ).score
    assert with_photo >= plain - 1e-9
    assert named_with_photo >= with_photo - 1e-9


def test_over_long_text_is_cut_before_matching_and_says_so() -> None:
    """Issue 11 finding 10: a 420k-character title kept the matcher busy for minutes (quadratic)."""
    from markwatch.brand import resolve_brand
    from matchers import Matcher
    from matchers.score import MAX_SELLER, MAX_TEXT, cap_text

    long_title = "手提包 " * 105_000 + "VELORIA 高仿"  # 420k characters; the mark only past the cut
    listing = {"platform": "taobao", "item_id": "1", "title": long_title, "seller_name": "店" * 1000}
    view, cut = cap_text(listing)
    assert len(view["title"]) == MAX_TEXT and len(view["seller_name"]) == MAX_SELLER
    assert cut == [
        f"title {MAX_TEXT:,} of {len(long_title):,} characters",
        f"seller_name {MAX_SELLER:,} of 1,000 characters",
    ]
    assert listing["title"] is long_title  # the caller's record is not changed
    result = Matcher(resolve_brand("veloria")).score(listing)
    info = [r for r in result.reasons if r.data.get("rule") == "text-cap"]
    assert len(info) == 1 and f"{len(long_title):,} characters" in info[0].detail and info[0].weight == 0
    assert not any(r.kind == "mark" for r in result.reasons)  # the mark past the cut was not read
    short = {**listing, "title": "VELORIA 高仿 手提包", "seller_name": "店"}
    assert cap_text(short) == (short, [])


# --- issue 13: the text signals in the score -----------------------------------------------------------


def test_nickname_counts_beside_the_brand_photo(veloria: Matcher, brand_photo: str) -> None:
    untied = veloria.score(listing(title="V家 新款 高仿", price=399))
    assert not untied.suspect and any("nothing ties it" in x.detail for x in untied.reasons)
    tied = veloria.score(listing(title="V家 新款 高仿", price=399, image_paths=[brand_photo]))
    assert tied.suspect
    nick = next(x for x in tied.reasons if x.kind == "nickname")
    assert nick.role == "link" and "the brand's photo" in nick.detail


def test_nickname_among_other_houses_needs_its_own_goods(corvane: Matcher) -> None:
    # C家 is also another house's nickname: bags are not Corvane's own goods (class 14), so no tie
    assert not corvane.score(listing(title="C家 女包 高仿", price=199)).suspect
    assert corvane.score(listing(title="C家 男表 机械表 高仿", price=199)).suspect


def test_homophone_company_outside_the_classes(veloria: Matcher) -> None:
    r = veloria.score(listing(title="威洛瑞亚 液压泵 厂家", price=99))
    assert r.score == 0 and any(x.kind == "goods" and "another company" in x.detail for x in r.reasons)
    assert veloria.score(listing(title="威洛瑞亚 女包 高仿", price=99)).suspect


def test_guide_post_is_not_a_suspect_but_a_sale_is(veloria: Matcher) -> None:
    guide = {
        "platform": "weibo",
        "kind": "post",
        "title": "薇洛瑞亚 高仿 怎么辨别 真假对比 避坑",
        "seller_id": "9",
    }
    r = veloria.score(guide)
    assert not r.suspect and any(x.kind == "intent" for x in r.reasons)
    sale = dict(guide, title="薇洛瑞亚 高仿 真假对比 需要的私聊")
    assert veloria.score(sale).suspect


def test_counter_alone_is_not_counterfeit_vocabulary(veloria: Matcher) -> None:
    assert not veloria.score(listing(title="VELORIA 专柜 手提包", price=2800)).suspect


def test_account_named_after_the_brand(veloria: Matcher) -> None:
    acct = {"platform": "weibo", "kind": "account", "seller_id": "77", "seller_name": "VELORIA中国"}
    assert veloria.score({**acct, "title": "VELORIA中国 新品资讯 合作私信"}).suspect
    fans = {**acct, "seller_name": "薇洛瑞亚粉丝", "title": "薇洛瑞亚粉丝后援会 晒单 分享"}
    assert not veloria.score(fans).suspect
    real = {**acct, "seller_id": "5566778899", "title": "VELORIA薇洛瑞亚官方微博"}
    assert not veloria.score(real).suspect


def test_brand_list_and_shop_digits(veloria: Matcher) -> None:
    r = veloria.score(listing(title="古驰 普拉达 VELORIA 香奈儿 高仿", price=299))
    assert any(x.kind == "brand-list" for x in r.reasons)
    assert veloria.score(listing(title="古驰 普拉达 香奈儿 高仿", price=299)).score == 0
    shop = veloria.score(listing(title="女包 新款", price=2800, seller_name="VEL0RIA旗舰店"))
    assert shop.suspect and any(x.data.get("signal") == "shop-digits" for x in shop.reasons)


@pytest.mark.parametrize("price", [None, 2800, 900, 99])
def test_naming_the_mark_beside_a_nickname_never_lowers(veloria: Matcher, price: float | None) -> None:
    nick = veloria.score(listing(title="V家 女包 正品", price=price)).score
    both = veloria.score(listing(title="V家 VELORIA 女包 正品", price=price)).score
    assert both >= nick - 1e-9


@pytest.mark.parametrize(
    "title", ["VELO 女包 RIA 新款", "VEL【正品】ORIA 包", "wei1 luo4 rui4 ya4 包", "薇洛〖托特包〗瑞亚"]
)
def test_naming_the_mark_plainly_as_well_keeps_the_trick(veloria: Matcher, title: str) -> None:
    tricked = veloria.score(listing(title=title, price=2800)).score
    both = veloria.score(listing(title=title + " VELORIA", price=2800)).score
    assert tricked >= 0.5 and both >= tricked - 1e-9


def test_a_contact_id_printed_on_a_photo_is_a_contact(tmp_path: Path) -> None:
    """Issue 13: WeChat ids printed on photos (read by OCR) are extracted like those in titles."""
    from PIL import Image, ImageDraw, ImageFont

    from markwatch.brand import resolve_brand
    from matchers import Matcher

    img = Image.new("RGB", (640, 240), "white")
    font = ImageFont.truetype("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 64)
    ImageDraw.Draw(img).text((30, 70), "VX: vel_8899", fill="black", font=font)
    path = tmp_path / "ad.png"
    img.save(path)
    listing = {"platform": "taobao", "item_id": "9", "title": "女士手提包 新款", "image_paths": [str(path)]}
    result = Matcher(resolve_brand("veloria"), ocr="all").score(listing)
    assert any("vel_8899" in text.lower() for text in result.photo_text.values()), result.photo_text
    assert {(c["kind"], c["value"]) for c in result.contacts} >= {("wechat", "vel_8899")}, result.contacts
    assert any(c["field"] == "photo" for c in result.contacts)


def test_image_urls_are_never_read_as_local_files(tmp_path: Path) -> None:
    """A listing's ``image_urls`` are the platform's: ``file://`` and bare paths there are not opened."""
    import shutil

    from markwatch.brand import resolve_brand
    from matchers import Matcher

    brand = resolve_brand("veloria")
    copy = tmp_path / "copy.jpg"
    shutil.copy(brand.reference_images[0], copy)
    matcher = Matcher(brand, ocr="off")
    for urls in ([copy.as_uri()], [str(copy)]):
        result = matcher.score({"platform": "taobao", "item_id": "1", "title": "女包", "image_urls": urls})
        assert result.image_hashes == [] and not any(
            r.kind == "image" and r.weight > 0 for r in result.reasons
        )
    own = matcher.score({"platform": "taobao", "item_id": "1", "title": "女包", "image_paths": [str(copy)]})
    assert own.image_hashes and any(r.kind == "image" and r.weight > 0 for r in own.reasons)
