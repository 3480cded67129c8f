"""The brand file: loading, documentation of every key, warnings, and one-line errors for bad input."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from markwatch.brand import BRANDS_DIR, Brand, documented_keys, load_brand, resolve_brand
from markwatch.errors import UserError


@pytest.fixture
def brand_dir(tmp_path: Path) -> Path:
    """A copy of the example brands, to break at will."""
    target = tmp_path / "brands"
    shutil.copytree(BRANDS_DIR, target)
    return target


def write(brand_dir: Path, data: dict[str, object], name: str = "veloria.yaml") -> Path:
    path = brand_dir / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def veloria(brand_dir: Path) -> dict[str, object]:
    data = yaml.safe_load((brand_dir / "veloria.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_example_brands_load_with_resolved_paths() -> None:
    brand = resolve_brand("veloria")
    assert brand.slug == "veloria"
    assert brand.mark("veloria-word").names == ["VELORIA", "薇洛瑞亚"]
    assert all(p.is_file() and p.is_absolute() for p in brand.reference_images)
    assert brand.mark("veloria-logo").images[0].name == "logo.png"
    assert brand.price_floor == {"CNY": 1500}
    assert resolve_brand("corvane").mark("corvane-word").registration.chinese  # type: ignore[union-attr]


def test_every_key_is_documented() -> None:
    keys = list(documented_keys())
    assert len(keys) > 30
    undocumented = [k for k, _t, _d, doc in keys if not doc.strip()]
    assert undocumented == []


def test_every_documented_key_is_in_the_readme() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    missing = [k for k, *_ in documented_keys() if f"`{k}`" not in readme]
    assert missing == []


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2024, 1, 1), []),
        (dt.date(2025, 7, 1), ["certificate lapsed on 2025-06-30"]),
        (dt.date(2026, 12, 1), ["certificate lapsed"]),
        (
            dt.date(2031, 6, 1),
            ["expires on 2032-04-13", "expires on 2032-04-13", "power of attorney", "lapsed"],
        ),
        (
            dt.date(2033, 1, 1),
            ["expired on 2032-04-13", "expired on 2032-04-13", "power of attorney", "lapsed"],
        ),
    ],
)
def test_dossier_warnings(today: dt.date, expected: list[str]) -> None:
    warnings = resolve_brand("veloria").warnings(today)
    assert len(warnings) == len(expected), warnings
    for w, e in zip(warnings, expected, strict=True):  # marks, then the power of attorney, then sellers
        assert e in w


def test_warns_without_a_chinese_registration(brand_dir: Path) -> None:
    data = veloria(brand_dir)
    for mark in data["marks"]:  # type: ignore[attr-defined]
        mark["registration"]["office"] = "EUIPO"
    brand = load_brand(write(brand_dir, data))
    assert any("no mark has a Chinese registration" in w for w in brand.warnings(dt.date(2024, 1, 1)))


def test_madrid_designating_china_counts_as_chinese(brand_dir: Path) -> None:
    brand = load_brand(brand_dir / "corvane.yaml")
    assert not any("Chinese registration" in w for w in brand.warnings(dt.date(2024, 1, 1)))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(serch_terms=["x"]), "unknown key `serch_terms`; did you mean `search_terms`?"),
        (lambda d: d["marks"][0].update(txt="V"), "unknown key `marks.0.txt`; did you mean `text`?"),
        (
            lambda d: d["marks"][0]["registration"].update(expires="2032-02-30"),
            "marks.0.registration.expires",
        ),
        (lambda d: d["marks"][1].update(images=["images/nope.png"]), "file not found"),
        (lambda d: d.pop("slug"), "missing key `slug`"),
        (lambda d: d.update(schedule="every day"), "is not a cron expression"),
        (lambda d: d.update(threshold=2), "threshold"),
        (lambda d: d["marks"][0]["registration"].update(classes=[50]), "Nice class 50"),
        (lambda d: d.update(timezone="Mars/Olympus"), "unknown time zone"),
    ],
)
def test_bad_input_is_one_line_naming_the_file_and_key(brand_dir: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    data = veloria(brand_dir)
    mutate(data)
    path = write(brand_dir, data)
    with pytest.raises(UserError) as err:
        load_brand(path)
    text = str(err.value)
    assert "\n" not in text
    assert str(path) in text
    assert message in text


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("slug: x\nname: [unclosed\nmarks: 3\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"b.yaml: line \d+: malformed YAML"):
        load_brand(path)


def test_unknown_slug_suggests_the_nearest(brand_dir: Path) -> None:
    with pytest.raises(UserError, match="did you mean `veloria`"):
        resolve_brand("veloira", brands_dir=brand_dir)


def test_authorised_seller_lookup() -> None:
    brand = resolve_brand("veloria")
    expired = brand.authorised_seller("taobao", "tb_778899")
    assert expired is not None and not expired.authorised_on(dt.date(2026, 1, 1))
    assert expired.authorised_on(dt.date(2025, 6, 30))
    assert brand.authorised_seller("tmall", "2200011") is not None
    assert brand.authorised_seller("taobao", "2200011") is None
    assert isinstance(brand, Brand)


def test_a_misspelt_required_key_names_the_unknown_key_and_the_fix(brand_dir: Path) -> None:
    """Issue 11 finding 15: ``serch_terms`` used to give only "missing key `search_terms`"."""
    data = veloria(brand_dir)
    data["serch_terms"] = data.pop("search_terms")
    with pytest.raises(UserError) as err:
        load_brand(write(brand_dir, data))
    line = str(err.value)
    assert "\n" not in line
    assert "missing key `search_terms`" in line
    assert "unknown key `serch_terms`" in line and "rename it to `search_terms`" in line


def test_an_impossible_date_is_one_line_with_its_line_number(brand_dir: Path) -> None:
    """Issue 11 finding 14: ``expires: 2032-02-30`` raised a ValueError traceback from the YAML loader."""
    path = brand_dir / "veloria.yaml"
    text = path.read_text(encoding="utf-8")
    assert "expires: 2032-04-13" in text
    path.write_text(text.replace("expires: 2032-04-13", "expires: 2032-02-30", 1), encoding="utf-8")
    with pytest.raises(UserError) as err:
        load_brand(path)
    assert "impossible date '2032-02-30'" in str(err.value)
    lineno = next(i for i, line in enumerate(text.splitlines(), 1) if "expires: 2032-04-13" in line)
    assert f"line {lineno}" in str(err.value)
