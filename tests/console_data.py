"""Data for the console tests (no tests of its own): a brand, scored listings with photos in a photo
store, users of each role; built through the public storage functions (sync_brand, ingest_batch,
set_status) plus the score rows the matcher would write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageEnhance
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from console.users import add_user
from markwatch.brand import resolve_brand
from storage.ingest import ingest_batch, sync_brand
from storage.models import Listing, ListingImage, MatchResult

T0 = dt.datetime(2026, 11, 20, 8, 0, 0)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with its cheapest parameters (for tests only): the real ones take ~1 s a hash here."""
    from argon2 import PasswordHasher
    from argon2.profiles import CHEAPEST

    import console.users

    monkeypatch.setattr(console.users, "_hasher", PasswordHasher.from_parameters(CHEAPEST))


PASSWORD = "correct horse battery"
XSS_TITLE = '<script>alert("title")</script><img src=x onerror=alert(1)>'
XSS_SELLER = '"><svg onload=alert("seller")>'

TITLES = [
    "VELORIA 高仿 女士手提包 原单 {n}",
    "薇洛瑞亚 同款 真皮托特包 专柜 {n}",
    "VELORIA 经典款 链条包 A货 {n}",
    "veloria 官方正品 单肩包 特价 {n}",
    "薇洛瑞亚 新款 钱包 短款 {n}",
]


def reasons_for(score: float, photo: str | None, reference: Path | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {
            "kind": "mark",
            "detail": "title contains the mark VELORIA",
            "weight": 0.45,
            "data": {"role": "link"},
        },
        {
            "kind": "lexicon",
            "detail": "title has 高仿 (high imitation)",
            "weight": 0.3,
            "data": {"role": "evidence"},
        },
        {"kind": "price", "detail": "CNY 199 is 13% of the brand's floor of 1,500", "weight": 0.2},
    ]
    if photo and reference:
        out.insert(
            0,
            {
                "kind": "image",
                "detail": f"photo {Path(photo).name} is the brand's {reference.name}, cropped; distance 0.06",
                "weight": 0.5,
                "data": {
                    "role": "link",
                    "path": photo,
                    "reference": str(reference),
                    "crop": [0.1, 0.05, 0.12, 0.1],
                },
            },
        )
    out.append({"kind": "seller", "detail": "seller is not on the brand's authorised list", "weight": 0.0})
    return out


_PHOTOS: dict[int, bytes] = {}


def make_photos(store: Path, n: int) -> list[Path]:
    """Listing photos: crops of the brand's own photos, brightened or darkened (as copies are)."""
    brand = resolve_brand("veloria")
    store.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        path = store / "full" / f"{i:04d}.jpg"
        if i in _PHOTOS:  # made once per test run, copied after
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(_PHOTOS[i])
            out.append(path)
            continue
        src = brand.reference_images[i % len(brand.reference_images)]
        with Image.open(src) as im:
            w, h = im.size
            crop = im.convert("RGB").crop((int(w * 0.1), int(h * 0.05), int(w * 0.88), int(h * 0.9)))
            crop = ImageEnhance.Brightness(crop).enhance(0.8 + 0.05 * (i % 8))
            path.parent.mkdir(exist_ok=True)
            crop.resize((240, 240)).save(path, quality=80)
        _PHOTOS[i] = path.read_bytes()
        out.append(path)
    return out


def build(
    engine: Engine,
    store: Path,
    *,
    n: int = 40,
    xss: bool = True,
    platforms: Sequence[str] = ("taobao",),
    users: bool = True,
) -> dict[str, Any]:
    """``n`` suspects of brand veloria (listing 1 carries the XSS title and seller when ``xss``)."""
    brand = resolve_brand("veloria")
    photos = make_photos(store, min(n, 12))
    with Session(engine) as s, s.begin():
        bid = sync_brand(s, brand)
        records = []
        for i in range(n):
            platform = platforms[i % len(platforms)]
            url = {
                "taobao": "https://item.taobao.com/item.htm?id={}",
                "jd": "https://item.jd.com/{}.html",
                "tmall": "https://detail.tmall.com/item.htm?id={}",
                "weibo": "https://weibo.com/1234567890/{}",
            }[platform].format(70000 + i)
            title = TITLES[i % len(TITLES)].format(n=i)
            seller_name = f"精品店{i % 6}"
            if xss and i == 0:
                title, seller_name = XSS_TITLE, XSS_SELLER
            records.append(
                {
                    "platform": platform,
                    "item_id": str(70000 + i),
                    "url": url,
                    "title": title,
                    "price": 199.0 + 10 * (i % 9),
                    "currency": "CNY",
                    "seller_id": f"shop{i % 6}",
                    "seller_name": seller_name,
                }
            )
        result = ingest_batch(s, bid, records, seen_at=T0)
        # a second sighting with a new price for a few, so the price chart has points
        again = [{**r, "price": r["price"] - 20} for r in records[:6]]
        ingest_batch(s, bid, again, seen_at=T0 + dt.timedelta(days=3))
        again = [{**r, "price": r["price"] - 35} for r in records[:6]]
        ingest_batch(s, bid, again, seen_at=T0 + dt.timedelta(days=6))
        ids = [result.ids[(r["platform"], r["item_id"])] for r in records]
        for i, lid in enumerate(ids):
            score = round(0.98 - 0.01 * i, 2)
            s.execute(
                update(Listing)
                .where(Listing.id == lid)
                .values(score=score, suspect=True, mark_key="veloria-word")
            )
            photo = photos[i % len(photos)] if photos else None
            if photo is not None:
                s.add(
                    ListingImage(
                        listing_id=lid,
                        url=f"https://img.alicdn.com/{70000 + i}.jpg",
                        path=str(photo),
                        phash=f"{i % 4:016x}",
                    )
                )
            ref = brand.reference_images[i % len(brand.reference_images)]
            s.add(
                MatchResult(
                    listing_id=lid,
                    brand_id=bid,
                    score=score,
                    suspect=True,
                    mark_key="veloria-word",
                    reasons=reasons_for(score, str(photo) if photo else None, ref),
                    engine_version="test",
                )
            )
        if users:
            add_user(s, "ada", "admin", PASSWORD)
            add_user(s, "lin", "analyst", PASSWORD)
            add_user(s, "wang", "analyst", PASSWORD)
            add_user(s, "vic", "viewer", PASSWORD)
    return {"brand_id": bid, "ids": ids}
