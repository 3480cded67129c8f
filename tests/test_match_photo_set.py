"""The labelled photo set (tests/matching/photo_set.py): recall ≥ 0.90 on each transform of the brand's
photo (logo on another product: ≥ 0.75) and ≤ 2 % false photo matches, through the whole score (a
generic title at a normal price: only the photo can tie the listing to the brand). Prints the
figures (``pytest -s`` or ``-rA``)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from matchers import Matcher
from matchers.score import MatchResult
from tests.matching import photo_set
from tests.matching.photos import make_photo

TITLE = "新款 热卖 包邮"


def _photo_links(result: MatchResult) -> list[Any]:
    return [r for r in result.reasons if r.kind == "image" and r.role == "link"]


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, str, MatchResult]]:
    folder = tmp_path_factory.mktemp("photo-set")
    brands = photo_set.brands(folder / "refs")
    out = []
    for slug, brand in brands.items():
        matcher = Matcher(brand, ocr="off")
        mine = [c for c in photo_set.cases(brands) if c[0] == slug]
        listings = [
            {"title": TITLE, "price": 1999, "image_paths": [str(make_photo(spec, folder))]}
            for _, _, spec in mine
        ]
        for (_, category, spec), result in zip(mine, matcher.score_many(listings), strict=True):
            out.append((slug, category, spec, result))
    return out


def test_photo_set_covers_the_issue() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        cases = photo_set.cases(photo_set.brands(Path(tmp)))
    assert {c[0] for c in cases} == set(photo_set.BRANDS) and len(photo_set.BRANDS) >= 4
    for slug in photo_set.BRANDS:
        cats = {c[1] for c in cases if c[0] == slug}
        assert set(photo_set.CATEGORIES) | {"logo"} <= cats, slug
        negatives = {c.split(":", 1)[1] for c in cats if c.startswith("negative:")}
        assert {"look-alike", "other-brand-photo", "other-brand-logo", "foreign-logo"} <= negatives


def test_recall_per_category_and_false_photo_matches(scored: list[tuple[str, str, str, MatchResult]]) -> None:
    found: dict[str, list[bool]] = defaultdict(list)
    false: list[tuple[str, str, str, MatchResult]] = []
    negatives = 0
    for slug, category, spec, result in scored:
        if category.startswith("negative:"):
            negatives += 1
            if _photo_links(result) or result.suspect:
                false.append((slug, category, spec, result))
            continue
        found[category].append(result.suspect and bool(_photo_links(result)))
    lines = [f"{c:11s} {sum(v)}/{len(v)} = {sum(v) / len(v):.3f}" for c, v in sorted(found.items())]
    print("\nphoto set recall:\n  " + "\n  ".join(lines))
    print(f"false photo matches: {len(false)}/{negatives} = {len(false) / negatives:.3f}")
    missed = {
        c: [spec for (s, cat, spec, r) in scored if cat == c and not (r.suspect and _photo_links(r))]
        for c in found
    }
    for category, hits in found.items():
        recall = sum(hits) / len(hits)
        assert recall >= photo_set.MIN_RECALL[category], (
            f"{category}: {recall:.3f}; missed {missed[category]}"
        )
    assert len(false) / negatives <= photo_set.MAX_FALSE_RATE, [
        (s, c, spec, [r.detail for r in res.reasons]) for s, c, spec, res in false
    ]


def test_reasons_name_the_transform(scored: list[tuple[str, str, str, MatchResult]]) -> None:
    """Each photo signal says which reference, and how it was found (transform, place, numbers)."""
    expect = {
        "mirrored": "mirrored",
        "rotated": "rotated",
        "tile": "collage",
        "padded": "padded",
        "cropped": "cropped",
        "screenshot": "",
        "watermark": "",
        "logo": "logo at ",
    }
    seen: dict[str, int] = defaultdict(int)
    for _, category, _spec, result in scored:
        links = _photo_links(result)
        if category.startswith("negative:") or not links:
            continue
        text = " ".join(r.detail for r in links)
        if "local features" in text:
            assert "ORB inliers" in text and "aligned distance" in text, text
        if category == "logo":
            assert "logo at " in text and "% of the width" in text, text
        if expect[category] and expect[category] in text:
            seen[category] += 1
    for category in ("mirrored", "rotated", "tile", "padded", "cropped", "logo"):
        assert seen[category] >= 1, category


def test_rotation_and_tile_are_read_right(tmp_path: Path) -> None:
    brands = photo_set.brands(tmp_path / "refs")
    matcher = Matcher(brands["veloria"], ocr="off")
    rot = matcher.local.find(make_photo("official:veloria/official/bag-1.jpg|rotate:12", tmp_path))
    assert rot.match is not None and "rotated 12° counter-clockwise" in rot.match.describe()
    tile = matcher.local.find(make_photo("official:veloria/official/bag-2.jpg|collage:3:5", tmp_path))
    assert tile.match is not None and "tile 6 of a 3×3 collage (row 2, column 3)" in tile.match.describe()
    mirror = matcher.local.find(make_photo("official:veloria/official/shoe-3.jpg|mirror|rotate:-7", tmp_path))
    assert mirror.match is not None and mirror.match.mirrored and "clockwise" in mirror.match.describe()


def test_near_miss_says_why(tmp_path: Path) -> None:
    """A look-alike that aligns on its outline is reported with the number that kept it out."""
    brands = photo_set.brands(tmp_path / "refs")
    matcher = Matcher(brands["veloria"], ocr="off")
    whys = []
    for seed in range(12):
        res = matcher.local.find(make_photo(f"lookalike:veloria:{seed % 3}:nm{seed}", tmp_path))
        assert res.match is None
        whys += [m.why for m in res.near_misses]
    assert any("ORB inliers needed" in w or "aligned photos differ" in w for w in whys), whys


def test_odd_photos_do_not_break_the_local_stage(tmp_path: Path) -> None:
    from PIL import Image

    from markwatch.brand import resolve_brand
    from matchers.local import LocalReferences

    refs = Matcher(resolve_brand("veloria"), ocr="off").local
    Image.new("RGB", (12, 9), (200, 10, 10)).save(tmp_path / "tiny.png")
    Image.new("L", (640, 480), 128).save(tmp_path / "flat.jpg")
    Image.new("RGBA", (300, 300), (0, 0, 0, 0)).save(tmp_path / "clear.png")
    (tmp_path / "junk.jpg").write_bytes(b"not a picture")
    for name in ("tiny.png", "flat.jpg", "clear.png", "junk.jpg", "missing.jpg"):
        assert refs.find(tmp_path / name).match is None, name
    empty = LocalReferences([(tmp_path / "junk.jpg", None)], [(tmp_path / "flat.jpg", "m")])
    assert len(empty) == 0 and len(empty.errors) == 2
    assert empty.find(tmp_path / "tiny.png").match is None
