"""OCR of text printed on listing photos (rapidocr-onnxruntime, models shipped in the package): the
brand's name and contact words read on a photo become reasons, and the text is exposed for the
text side (:func:`matchers.score.photo_text_of`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from markwatch.brand import resolve_brand
from markwatch.errors import ConfigError
from matchers import Matcher, ocr
from matchers.score import photo_text_of
from tests.matching.photos import make_photo

pytestmark = pytest.mark.skipif(ocr.available() is not None, reason=f"OCR not available: {ocr.available()}")


def test_reads_the_text_printed_on_a_photo(tmp_path: Path) -> None:
    path = make_photo("other:bag:5|text:VX:_vel_88", tmp_path)
    got = ocr.read(path)
    assert got.error is None
    assert any("vel" in line.text.lower() and "88" in line.text for line in got.lines), got.lines
    line = next(line for line in got.lines if "88" in line.text)
    x, y, w, h = line.box
    assert 0 <= x < 800 and 0 <= y < 200 and w > 50 and h > 10  # the band across the top


def test_contact_on_the_brand_photo_is_a_reason(tmp_path: Path) -> None:
    """The brand's photo rotated, with a WeChat id printed on it: the photo links the listing (so its
    photos are OCR candidates) and the contact word read on it is evidence."""
    matcher = Matcher(resolve_brand("veloria"))
    path = make_photo("official:veloria/official/bag-1.jpg|rotate:8|text:VX:_vel_88", tmp_path)
    result = matcher.score({"title": "新款女包", "price": 1999, "image_paths": [str(path)]})
    contact = [r for r in result.reasons if r.kind == "contact"]
    assert contact and "(OCR" in contact[0].detail and "photo" in contact[0].detail, result.reasons
    assert "88" in photo_text_of(result)
    assert result.to_dict()["photo_text"]


def test_brand_name_read_on_a_photo_links_the_listing(tmp_path: Path) -> None:
    """With OCR on every photo, a name printed on an unrelated photo ties the listing to the brand."""
    matcher = Matcher(resolve_brand("veloria"), ocr="all")
    path = make_photo("other:bag:9|text:VELORIA_2026", tmp_path)
    result = matcher.score({"title": "新款女包 高仿", "price": 299, "image_paths": [str(path)]})
    links = [r for r in result.reasons if r.kind == "ocr"]
    assert links and links[0].role == "link" and "VELORIA" in links[0].detail.upper(), result.reasons
    assert result.suspect


def test_candidates_mode_leaves_unrelated_photos_unread(tmp_path: Path) -> None:
    matcher = Matcher(resolve_brand("veloria"))
    path = make_photo("other:bag:9|text:VELORIA_2026", tmp_path)
    result = matcher.score({"title": "新款女包", "price": 299, "image_paths": [str(path)]})
    assert not result.photo_text and not [r for r in result.reasons if r.kind == "ocr"]


def test_ocr_off_and_a_bad_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    matcher = Matcher(resolve_brand("veloria"), ocr="off")
    path = make_photo("official:veloria/official/bag-1.jpg|text:VX:_vel_88", tmp_path)
    assert not matcher.score({"title": "VELORIA 女包", "image_paths": [str(path)]}).photo_text
    monkeypatch.setenv("MARKWATCH_OCR", "sometimes")
    with pytest.raises(ConfigError, match="MARKWATCH_OCR"):
        Matcher(resolve_brand("veloria"))


@pytest.mark.parametrize("side", [800, 1200])
def test_a_small_line_is_still_read(tmp_path: Path, side: int) -> None:
    """Text is found on the photo scaled down to ``ocr.DET_SIDE`` and read on its cut at full size: a
    contact line 2 % of the photo's height tall (16 px on 800 px) is read, on large photos too."""
    from PIL import Image, ImageDraw

    from tests.matching.photos import _font

    base = Image.open(make_photo("official:veloria/official/bag-1.jpg|rotate:8", tmp_path)).convert("RGB")
    img = base.resize((side, side))
    ImageDraw.Draw(img).text(
        (side // 20, side * 7 // 8), "VX: vel_88", fill=(30, 30, 30), font=_font(side // 50)
    )
    path = tmp_path / f"small-{side}.jpg"
    img.save(path, quality=90)
    text = ocr.read(path).text.lower()
    assert "vel" in text and "88" in text, text
