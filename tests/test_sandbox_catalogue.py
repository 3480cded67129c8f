"""The sandbox catalogue: determinism, coverage of the counterfeit tricks, sellers, time and ground truth."""

from __future__ import annotations

import unicodedata

import pytest

from sandbox import images
from sandbox.catalogue import NAME_TRICKS, PHOTO_TRANSFORMS, BrandFacts, Catalogue, brand_forms


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    c = Catalogue(seed=7, size=400)
    c.build()
    return c


def test_same_seed_same_catalogue_and_other_seed_differs() -> None:
    a = Catalogue(seed=3, size=150).truth(include_pending=True)
    b = Catalogue(seed=3, size=150).truth(include_pending=True)
    c = Catalogue(seed=4, size=150).truth(include_pending=True)
    assert a == b
    assert [r["item_id"] for r in a] != [r["item_id"] for r in c]


def test_every_trick_and_photo_transform_appears(cat: Catalogue) -> None:
    why = {w for x in cat.listings for w in x.why}
    missing = (
        set(NAME_TRICKS) | set(PHOTO_TRANSFORMS) | {"counterfeit-vocabulary", "off-platform-contact"}
    ) - why
    assert not missing, missing
    # each name trick is used for both example brands
    for brand in ("veloria", "corvane"):
        used = {w for x in cat.listings if x.brand == brand and x.infringing for w in x.why}
        assert set(NAME_TRICKS) <= used, set(NAME_TRICKS) - used


def test_categories_and_platforms_present(cat: Catalogue) -> None:
    cats = {x.category for x in cat.listings}
    assert {
        "counterfeit",
        "selling-post",
        "mention-post",
        "grey",
        "authorised",
        "expired-distributor",
        "shares-words",
        "vocabulary-trap",
        "lookalike",
        "unrelated",
    } <= cats
    assert {x.platform for x in cat.listings} == {"taobao", "tmall", "jd", "weibo"}


def test_authorised_stores_and_expired_distributor_from_the_brand_file(cat: Catalogue) -> None:
    by_seller = {(x.platform, x.seller.seller_id): x for x in cat.listings}
    official = by_seller[("tmall", "2200011")]
    assert official.category == "authorised" and not official.infringing
    assert by_seller[("jd", "1000088")].category == "authorised"
    assert by_seller[("weibo", "5566778899")].why == ("official-account",)
    assert by_seller[("tmall", "2200077")].brand == "corvane"
    expired = by_seller[("taobao", "tb_778899")]
    assert expired.category == "expired-distributor"
    assert expired.infringing and expired.why == ("expired-authorisation",)
    assert expired.seller.name == "薇洛瑞亚授权店"


def test_grey_market_and_mentions_are_not_infringing(cat: Catalogue) -> None:
    for x in cat.listings:
        if x.category in (
            "grey",
            "mention-post",
            "authorised",
            "shares-words",
            "vocabulary-trap",
            "lookalike",
        ):
            assert not x.infringing, x
        if x.category in ("counterfeit", "selling-post"):
            assert x.infringing and x.brand


def test_selling_posts_carry_contact_and_mentions_do_not(cat: Catalogue) -> None:
    selling = [x for x in cat.listings if x.category == "selling-post"]
    assert selling and all("off-platform-contact" in x.why for x in selling)
    assert all(x.seller.wechat and x.seller.wechat in x.title for x in selling)
    mentions = [x for x in cat.listings if x.category == "mention-post"]
    assert mentions and not any(w in x.title for x in mentions for w in ("加微信", "VX", "QQ"))


def test_same_actor_sells_on_several_platforms(cat: Catalogue) -> None:
    platforms: dict[str, set[str]] = {}
    for x in cat.listings:
        if x.seller.actor.startswith("actor-"):
            platforms.setdefault(x.seller.actor, set()).add(x.platform)
    assert any(len(p) >= 3 for p in platforms.values())
    # the same actor keeps one WeChat id across its accounts
    wechat: dict[str, set[str]] = {}
    for x in cat.listings:
        if x.seller.actor.startswith("actor-"):
            wechat.setdefault(x.seller.actor, set()).add(x.seller.wechat)
    assert all(len(w) == 1 for w in wechat.values())


def test_official_photo_reuse_and_lookalike_photos(cat: Catalogue) -> None:
    generic = [x for x in cat.listings if "generic-description" in x.why]
    assert generic
    for x in generic:
        assert any(p.kind == "official" for p in x.photos)
        assert "veloria" not in x.title.lower() and "corvane" not in x.title.lower()
    look = [x for x in cat.listings if x.category == "lookalike"]
    assert look and all(p.kind == "synthetic" and p.like_brand for x in look for p in x.photos)


def test_time_removals_relists_price_changes_and_new_listings(cat: Catalogue) -> None:
    relists = [x for x in cat.listings if x.relisted_from]
    assert relists
    for new in relists:
        old = cat.get(new.platform, new.relisted_from or "")
        assert old is not None and old.removed is not None
        assert new.item_id != old.item_id
        assert new.seller is old.seller and new.photos == old.photos
        assert new.born >= old.removed
        assert old.status(old.removed) == "removed" and new.status(new.born) == "live"
    later = [x for x in cat.listings if x.born > 0 and not x.relisted_from]
    assert later and all(x.status(0) == "pending" for x in later)
    volatile = [x for x in cat.listings if x.volatile and x.base_price]
    assert any(x.price(e) != x.price(0) for x in volatile for e in range(1, 5))
    assert all(x.price(0) == x.base_price for x in cat.listings)


def test_truth_rows(cat: Catalogue) -> None:
    everything = cat.truth(epoch=0)
    rows = [r for r in everything if r["kind"] != "account"]
    assert len(rows) == sum(1 for x in cat.listings if x.born == 0)
    # the brand-named Weibo accounts come on top (issue 10), one row each
    assert len(everything) - len(rows) == len(cat.accounts) > 0
    row = rows[0]
    for key in (
        "platform",
        "item_id",
        "brand",
        "infringing",
        "why",
        "seller_id",
        "actor",
        "status",
        "relisted_from",
    ):
        assert key in row
    assert {r["status"] for r in cat.truth(epoch=6)} >= {"live", "removed"}
    assert all(r["platform"] == "jd" for r in cat.truth(platform="jd"))
    assert all(r["brand"] == "corvane" for r in cat.truth(brand="corvane"))


def test_search_finds_brand_listings_and_word_sharing_distractors(cat: Catalogue) -> None:
    found = cat.search("jd", "veloria")
    assert found and all(x.platform == "jd" for x in found)
    assert any(x.infringing for x in found) and any(not x.infringing for x in found)
    assert cat.search("jd", "Veloria") == found  # case and spaces do not matter
    taobao = cat.search("taobao", "薇洛瑞亚")
    assert any(x.platform == "tmall" for x in taobao)  # Taobao search also lists Tmall items
    assert cat.search("taobao", "") == []


def test_brand_forms() -> None:
    facts = BrandFacts.load("veloria")
    import random

    rng = random.Random(1)
    assert brand_forms(facts, "spaced", rng) == "V E L O R I A"
    assert brand_forms(facts, "dotted", rng) == "V.E.L.O.R.I.A"
    full = brand_forms(facts, "fullwidth", rng)
    assert full != "VELORIA" and unicodedata.normalize("NFKC", full) == "VELORIA"
    cyr = brand_forms(facts, "cyrillic-lookalike", rng)
    assert cyr != "VELORIA" and len(cyr) == 7 and any(ord(c) > 0x400 for c in cyr)
    assert "0" in brand_forms(facts, "digit-lookalike", rng)
    assert brand_forms(facts, "homophone", rng) != "薇洛瑞亚"
    assert brand_forms(facts, "traditional", rng) == "薇洛瑞亞"
    assert brand_forms(facts, "pinyin", rng).replace(" ", "").lower() == "weiluoruiya"
    mark = brand_forms(facts, "lookalike-mark", rng)
    assert (
        mark != "VELORIA"
        and len(mark) == 7
        and sum(a != b for a, b in zip(mark, "VELORIA", strict=True)) == 1
    )


def test_image_token_roundtrip() -> None:
    for ref in (0, 1, 15, 16 * 12345 + 3, 16 * 150000):
        tok = images.encode_ref(ref, seed=5)
        assert len(tok) == 10 and images.decode_ref(tok, seed=5) == ref
        assert images.decode_ref(tok, seed=6) is None  # another sandbox's token
    assert images.decode_ref("zzzzzzzzzz", seed=5) is None
    assert images.decode_ref("short", seed=5) is None


def test_same_catalogue_in_another_process_with_another_hash_seed() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import hashlib, json\n"
        "from sandbox.catalogue import Catalogue\n"
        "c = Catalogue(seed=3, size=120)\n"
        "rows = json.dumps(c.truth(include_pending=True), sort_keys=True)\n"
        "print(hashlib.sha1(rows.encode()).hexdigest())\n"
    )
    root = Path(__file__).resolve().parent.parent
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": str(n)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for n in (1, 2)
    }
    assert len(digests) == 1 and len(next(iter(digests))) == 40


def test_weibo_accounts_named_after_the_brand(cat: Catalogue) -> None:
    rows = {r["category"]: r for r in cat.truth(platform="weibo", brand="veloria") if r["kind"] == "account"}
    assert set(rows) == {"authorised", "impostor-account", "expired-distributor", "fan-account"}
    assert rows["authorised"]["item_id"] == "5566778899" and not rows["authorised"]["infringing"]
    assert rows["impostor-account"]["infringing"] and "impersonation" in rows["impostor-account"]["why"]
    assert rows["expired-distributor"]["infringing"]
    assert "expired-authorisation" in rows["expired-distributor"]["why"]
    assert not rows["fan-account"]["infringing"]
    found = {a.uid for a in cat.search_accounts("veloria")}
    assert {r["item_id"] for r in rows.values()} <= found
    assert not any(a.brand == "corvane" for a in cat.search_accounts("veloria"))


def test_long_weibo_posts(cat: Catalogue) -> None:
    from sandbox.catalogue import full_text, is_long

    posts = cat.by_platform("weibo")
    long = [x for x in posts if is_long(x)]
    assert 0 < len(long) < len(posts)
    assert all(full_text(x).startswith(x.title) and len(full_text(x)) > 140 for x in long)
    with_contact = [x for x in long if x.seller.wechat]
    assert with_contact and all(x.seller.wechat in full_text(x)[len(x.title) :] for x in with_contact)
