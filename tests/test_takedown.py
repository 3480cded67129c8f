"""Takedown packages: per-platform layout, the 300-link and one-right rules, hashes, and bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crawler.cli import cli
from markwatch.brand import load_brand
from markwatch.errors import UserError
from storage.exports import (
    MAX_LINKS,
    export_package,
    load_notices,
    sha256_file,
    verify_tree,
    write_manifest,
)
from storage.models import CaseListing, Evidence, Listing, TakedownCase
from storage.review import set_status
from tests.test_review_helpers import (
    T0,
    add_listings,
    brand_row,
    ids_of,
    record,
    review_db,
    sqlite_db,
    veloria,
)

__all__ = ["review_db", "sqlite_db"]

BRANDS = Path(__file__).resolve().parent.parent / "configs" / "brands"


def _confirm(s: Session, bid: int, recs: list[dict], **kw) -> list[int]:  # type: ignore[type-arg]
    ids = ids_of(add_listings(s, bid, recs, **kw), recs)
    set_status(s, ids, "confirmed", actor="lin", at=T0)
    return ids


def _fake_evidence(s: Session, lid: int, root: Path, *, state: str = "live") -> Path:
    """An evidence capture on disk as crawler.evidence writes it (no browser needed)."""
    d = root / f"cap-{lid}"
    d.mkdir(parents=True)
    (d / "screenshot.png").write_bytes(b"\x89PNG fake screenshot " + str(lid).encode())
    (d / "page.html").write_text(f"<html><body>VELORIA 高仿 {lid}</body></html>", encoding="utf-8")
    files = {n: sha256_file(d / n) for n in ("screenshot.png", "page.html")}
    digest = write_manifest(d, {"kind": "evidence-capture", "listing": {"id": lid}})
    s.add(
        Evidence(
            listing_id=lid,
            captured_at=T0,
            url="https://item.taobao.com/item.htm?id=x",
            state=state,
            directory=str(d),
            files=files,
            manifest_sha256=digest,
        )
    )
    s.flush()
    return d


def test_alibaba_package_rules(review_db: Engine, tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    with Session(review_db) as s, s.begin():
        bid = brand_row(s)
        many = [record(f"w{i}", seller_id=f"s{i % 40}") for i in range(650)]
        _confirm(s, bid, many)  # counterfeit (lexicon reason), word mark
        logo = [record(f"l{i}") for i in range(5)]
        _confirm(
            s,
            bid,
            logo,
            mark_key="veloria-logo",
            reasons=[{"kind": "image", "detail": "brand logo", "weight": 0.8}],
        )
        lapsed = [record("x1", seller_id="tb_778899", seller_name="薇洛瑞亚授权店")]
        _confirm(s, bid, lapsed)
        with_ev = ids_of(add_listings(s, bid, [record("e1")]), [record("e1")])
        set_status(s, with_ev, "confirmed", actor="lin")
        _fake_evidence(s, with_ev[0], tmp_path / "captures")
        result = export_package(s, veloria(), "taobao", out, now=T0)

    assert out.is_dir() and not list(tmp_path.glob(".pkg.partial-*"))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    complaints = manifest["complaints"]
    # one right and one reason per complaint, at most 300 links
    keys = {(c["right"], c["reason"]) for c in complaints}
    assert keys == {
        ("veloria-word", "counterfeit"),
        ("veloria-logo", "unauthorised-use"),
        ("veloria-word", "expired-authorisation"),
    }
    assert all(c["links"] <= MAX_LINKS for c in complaints)
    word = [c for c in complaints if c["right"] == "veloria-word" and c["reason"] == "counterfeit"]
    assert [c["links"] for c in word] == [300, 300, 51]
    assert sum(c["links"] for c in complaints) == 657 == result.links
    for c in complaints:
        cdir = out / c["directory"]
        urls = (cdir / "urls.txt").read_text(encoding="utf-8").splitlines()
        assert len(urls) == c["links"] == len(set(urls)) and all(u.startswith("https://") for u in urls)
        with (cdir / "links.csv").open(encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        assert {r["right"] for r in rows} == {c["right"]} and {r["reason"] for r in rows} == {c["reason"]}
        assert [r["url"] for r in rows] == urls
        notice = (cdir / "notice.txt").read_text(encoding="utf-8")
        zh_at, en_at = notice.index("知识产权侵权通知书"), notice.index("NOTICE OF INTELLECTUAL PROPERTY")
        assert zh_at < en_at  # Chinese first
        number = "30123457" if c["right"] == "veloria-logo" else "30123456"
        for needed in (number, "薇洛瑞亚股份公司", "第 18 类", "善意", "good faith", "第四十二条", urls[0]):
            assert needed in notice, needed
    # the lapsed distributor: its reason and the proof that its certificate lapsed
    assert (out / "documents" / "veloria-tb778899-authorisation.pdf").is_file()
    lapsed_c = next(c for c in complaints if c["reason"] == "expired-authorisation")
    lapsed_notice = (out / lapsed_c["directory"] / "notice.txt").read_text(encoding="utf-8")
    assert "2025-06-30" in lapsed_notice and "veloria-tb778899-authorisation.pdf" in lapsed_notice
    for doc in ("veloria-cn-30123456.pdf", "veloria-cn-30123457.pdf", "veloria-poa.pdf"):
        assert (out / "documents" / doc).is_file()
    # evidence copied with its manifest; the others are warned about
    ev_dirs = list(out.glob("complaints/*/evidence/taobao-e1"))
    assert (
        len(ev_dirs) == 1
        and (ev_dirs[0] / "screenshot.png").is_file()
        and (ev_dirs[0] / "manifest.json").is_file()
    )
    checklist = (out / "checklist.md").read_text(encoding="utf-8")
    assert "no evidence capture" in checklist and "656 link(s)" in checklist
    assert (
        "power of attorney" in checklist and "MISSING" in checklist
    )  # no business licence in the brand file
    # every hash verifies; the whole-package sums too
    report = verify_tree(out)
    assert report.ok and report.checked > 20
    sums = (out / "SHA256SUMS").read_text().splitlines()
    assert any(line.endswith("  manifest.json") for line in sums)
    # the XLSX has every link
    from openpyxl import load_workbook

    ws = load_workbook(out / "links.xlsx").active
    assert ws is not None and len(list(ws.iter_rows())) == 658
    # draft cases, listings not yet reported
    with Session(review_db) as s:
        cases = s.scalars(select(TakedownCase)).all()
        assert len(cases) == len(complaints) and {c.status for c in cases} == {"draft"}
        assert s.scalar(select(func.count()).select_from(CaseListing)) == 657
        assert set(s.scalars(select(Listing.status))) == {"confirmed"}
        assert {c["case_id"] for c in complaints} == {c.id for c in cases}


def test_tampering_with_one_file_is_caught(sqlite_db: Engine, tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        ids = _confirm(s, bid, [record("1"), record("2")])
        _fake_evidence(s, ids[0], tmp_path / "captures")
        export_package(s, veloria(), "taobao", out, now=T0)
    assert verify_tree(out).ok
    shot = next(out.glob("complaints/*/evidence/*/screenshot.png"))
    shot.write_bytes(shot.read_bytes() + b"edited")
    report = verify_tree(out)
    rel = shot.relative_to(out).as_posix()
    assert rel in report.changed and not report.missing
    # re-writing the capture's own manifest to match is caught by the package manifest
    inner = shot.parent / "manifest.json"
    data = json.loads(inner.read_text())
    data["files"]["screenshot.png"] = sha256_file(shot)
    inner.write_text(json.dumps(data))
    report = verify_tree(out)
    assert inner.relative_to(out).as_posix() in report.changed and rel in report.changed
    # a deleted and an added file are named too
    (out / "checklist.md").unlink()
    (out / "extra.txt").write_text("x")
    report = verify_tree(out)
    assert "checklist.md" in report.missing and "extra.txt" in report.unlisted
    result = CliRunner().invoke(cli, ["evidence", "verify", str(out)])
    assert result.exit_code == 1 and f"CHANGED  {rel}" in result.output


def test_tampered_evidence_is_never_packaged(sqlite_db: Engine, tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        ids = _confirm(s, bid, [record("1")])
        cap = _fake_evidence(s, ids[0], tmp_path / "captures")
    (cap / "page.html").write_text("<html>edited</html>", encoding="utf-8")
    with pytest.raises(UserError, match="changed since it was captured"), Session(sqlite_db) as s, s.begin():
        export_package(s, veloria(), "taobao", out, now=T0)
    assert not out.exists() and not list(tmp_path.glob(".pkg.partial-*"))
    with Session(sqlite_db) as s:
        assert s.scalar(select(func.count()).select_from(TakedownCase)) == 0  # rolled back


def test_gone_listing_is_not_reported(sqlite_db: Engine, tmp_path: Path) -> None:
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        ids = _confirm(s, bid, [record("1"), record("2")])
        _fake_evidence(s, ids[0], tmp_path / "captures", state="gone")
        result = export_package(s, veloria(), "taobao", tmp_path / "pkg", now=T0)
    assert result.links == 1 and "already gone" in result.skipped[0]


@pytest.mark.parametrize("platform", ["jd", "weibo"])
def test_jd_facts_and_weibo_connection(sqlite_db: Engine, tmp_path: Path, platform: str) -> None:
    out = tmp_path / platform
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        _confirm(
            s,
            bid,
            [
                record("1", platform=platform, title="薇洛瑞亚 高仿 加微信 v123"),
                record("2", platform=platform),
            ],
        )
        export_package(s, veloria(), platform, out, now=T0)
    (cdir,) = list((out / "complaints").iterdir())
    name = "facts.csv" if platform == "jd" else "connection.csv"
    with (cdir / name).open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 and all(
        "CNIPA 30123456" in r.get("right", "") + r.get("registration", "") for r in rows
    )
    assert (cdir / name.replace(".csv", ".xlsx")).is_file()
    checklist = (out / "checklist.md").read_text(encoding="utf-8")
    if platform == "weibo":
        assert "authenticity statement" in checklist and "connection.csv" in checklist
        assert "posts" in (cdir / "notice.txt").read_text(encoding="utf-8")
    else:
        assert "ipr.jd.com" in checklist
    assert verify_tree(out).ok


def test_re_export_replaces_drafts_only(sqlite_db: Engine, tmp_path: Path) -> None:
    from storage.cases import submit_case

    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        _confirm(s, bid, [record("1"), record("2")])
        first = export_package(s, veloria(), "taobao", tmp_path / "a", now=T0)
    with Session(sqlite_db) as s, s.begin():
        second = export_package(s, veloria(), "taobao", tmp_path / "b", now=T0)
        assert second.replaced_drafts == len(first.case_ids)
        assert s.scalar(select(func.count()).select_from(TakedownCase)) == len(second.case_ids)
        submit_case(s, second.case_ids[0], "IPP-1", actor="lin")
    with pytest.raises(UserError, match="nothing confirmed"), Session(sqlite_db) as s, s.begin():
        export_package(s, veloria(), "taobao", tmp_path / "c", now=T0)  # all reported now


# --- bad input writes nothing ----------------------------------------------------------------------------


def _foreign_only_brand(tmp_path: Path) -> Path:
    """Veloria's file with its marks registered only at EUIPO (no Chinese registration)."""
    data = yaml.safe_load((BRANDS / "veloria.yaml").read_text(encoding="utf-8"))
    data["slug"] = "veloria-eu"
    for m in data["marks"]:
        m["registration"]["office"] = "EUIPO"
        m["registration"].pop("certificate", None)
        m["images"] = [str(BRANDS / p) for p in m.get("images", [])]
    data["reference_images"] = [str(BRANDS / p) for p in data["reference_images"]]
    for s in data["authorized_sellers"]:
        s.pop("certificate", None)
    data["power_of_attorney"].pop("file", None)
    path = tmp_path / "veloria-eu.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_nothing_confirmed_writes_nothing(review_db: Engine, tmp_path: Path) -> None:
    parent = tmp_path / "packages"
    parent.mkdir()
    out = parent / "pkg"
    with Session(review_db) as s, s.begin():
        bid = brand_row(s)
        add_listings(s, bid, [record("1"), record("2")])  # suspects, none confirmed
        with pytest.raises(UserError, match="nothing confirmed for veloria on taobao"):
            export_package(s, veloria(), "taobao", out)
    assert list(parent.iterdir()) == []
    if review_db.dialect.name != "sqlite":
        return  # the CLI keeps its engine for the process; its run on SQLite is enough here
    result = CliRunner().invoke(
        cli, ["--db", review_db.url.render_as_string(False), "takedown", "export", "--platform", "taobao",
              "--brand", "veloria", "--out", str(out)]
    )  # fmt: skip
    assert result.exit_code == 2 and "nothing confirmed" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_no_chinese_registration_writes_nothing(sqlite_db: Engine, tmp_path: Path) -> None:
    path = _foreign_only_brand(tmp_path)
    brand = load_brand(path)
    out = tmp_path / "pkg"
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s, brand)
        _confirm(s, bid, [record("1")])
    result = CliRunner().invoke(
        cli, ["--db", str(sqlite_db.url), "takedown", "export", "--platform", "tmall", "--brand", str(path),
              "--out", str(out)]
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "no mark registered in China" in result.output and "nothing was written" in result.output
    assert not out.exists() and not list(tmp_path.glob(".pkg*"))
    with Session(sqlite_db) as s:
        assert s.scalar(select(func.count()).select_from(TakedownCase)) == 0


def test_out_new_empty_or_a_folder_of_packages(sqlite_db: Engine, tmp_path: Path) -> None:
    import datetime as dt

    when = dt.datetime(2026, 11, 29, 9, 0, 0)
    out = tmp_path / "packages"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        _confirm(s, bid, [record("1")])
        result = export_package(s, veloria(), "taobao", out, now=when)
    assert result.out == out / "veloria-taobao-20261129T090000Z"
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt", "veloria-taobao-20261129T090000Z"]
    assert (out / "keep.txt").read_text() == "mine" and verify_tree(result.out).ok
    with pytest.raises(UserError, match="already holds a package"), Session(sqlite_db) as s, s.begin():
        export_package(s, veloria(), "taobao", result.out, now=when)
    empty = tmp_path / "empty"
    empty.mkdir()  # an empty folder takes the package itself
    with Session(sqlite_db) as s, s.begin():
        assert export_package(s, veloria(), "taobao", empty).out == empty
    assert (empty / "manifest.json").is_file()


def test_a_failure_mid_build_leaves_nothing(
    sqlite_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storage.exports as ex

    def boom(*a: object, **k: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(ex, "write_table", boom)
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        _confirm(s, bid, [record("1")])
    parent = tmp_path / "packages"
    parent.mkdir()
    with pytest.raises(OSError, match="disk full"), Session(sqlite_db) as s, s.begin():
        export_package(s, veloria(), "taobao", parent / "pkg")
    assert list(parent.iterdir()) == []  # no package, no half-built temp folder
    with Session(sqlite_db) as s:
        assert s.scalar(select(func.count()).select_from(TakedownCase)) == 0


def test_unregistered_matched_mark_cites_a_registered_one(sqlite_db: Engine, tmp_path: Path) -> None:
    from markwatch.brand import resolve_brand
    from storage.exports import right_for

    corvane = resolve_brand("corvane")
    mark, note = right_for(corvane, "corvane-logo")  # combined mark without a registration
    assert mark is not None and mark.id == "corvane-word" and note and "corvane-logo" in note
    mark, note = right_for(corvane, "corvane-word")
    assert mark is not None and mark.id == "corvane-word" and note is None


def test_notice_templates_use_only_documented_fields() -> None:
    import string

    t = load_notices()
    documented = set(t["fields"])
    used = {
        name for lang in ("zh", "en") for _, name, _, _ in string.Formatter().parse(t["notice"][lang]) if name
    }
    assert used <= documented and {"rights_holder", "number", "links", "evidence", "measures_zh"} <= used
    for reason in t["reasons"].values():
        assert reason["zh"] and reason["en"]
    assert set(t["checklists"]) == {"alibaba", "jd", "weibo"}
    docs = [item["doc"] for items in t["checklists"].values() for item in items]
    assert "power of attorney when an agent files (seal, or signature with job title)" in docs
    assert all(isinstance(d, str) and d for d in docs)


def test_listing_status_unchanged_by_export(sqlite_db: Engine, tmp_path: Path) -> None:
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        ids = _confirm(s, bid, [record("1")])
        s.execute(update(Listing).where(Listing.id == ids[0]).values(review_reason="unauthorised-use"))
        result = export_package(s, veloria(), "taobao", tmp_path / "pkg")
        assert [c.reason for c in result.complaints] == ["unauthorised-use"]  # the analyst's --reason wins
        lst = s.get(Listing, ids[0])
        assert lst is not None and lst.status == "confirmed"


def test_cli_export_defaults_to_the_only_brand(sqlite_db: Engine, tmp_path: Path) -> None:
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        _confirm(s, bid, [record("1", platform="jd")])
    out = tmp_path / "pkg"
    result = CliRunner().invoke(
        cli, ["--db", str(sqlite_db.url), "takedown", "export", "--platform", "jd", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "1 complaint(s), 1 link(s)" in result.output and "takedown submit" in result.output
    assert verify_tree(out).ok
    with Session(sqlite_db) as s, s.begin():
        brand_row(s, load_brand(_foreign_only_brand(tmp_path)))
    result = CliRunner().invoke(
        cli,
        ["--db", str(sqlite_db.url), "takedown", "export", "--platform", "jd", "--out", str(tmp_path / "b")],
    )
    assert result.exit_code == 2 and "say which brand with --brand (veloria, veloria-eu)" in result.output


def test_expired_chinese_registration_writes_nothing(sqlite_db: Engine, tmp_path: Path) -> None:
    import datetime as dt

    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        _confirm(s, bid, [record("1")])
    later = dt.datetime(2033, 1, 1)  # both CNIPA registrations end on 2032-04-13
    parent = tmp_path / "packages"
    parent.mkdir()
    with pytest.raises(UserError, match="has expired"), Session(sqlite_db) as s, s.begin():
        export_package(s, veloria(), "taobao", parent / "pkg", now=later)
    assert list(parent.iterdir()) == []


def test_side_by_side_comparison_with_the_genuine_photo(sqlite_db: Engine, tmp_path: Path) -> None:
    from PIL import Image

    photo = tmp_path / "listing.jpg"
    with Image.open(BRANDS / "images/veloria/official/bag-1.jpg") as img:
        img.crop((10, 10, img.width - 10, img.height - 10)).save(photo)
    reference = BRANDS / "images/veloria/official/bag-1.jpg"
    image_reason = {
        "kind": "image",
        "detail": "photo listing.jpg is the brand's bag-1.jpg, cropped",
        "weight": 0.95,
        "data": {"role": "link", "path": str(photo), "reference": str(reference)},
    }
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        _confirm(s, bid, [record("1")], reasons=[image_reason])
        _confirm(s, bid, [record("2")])  # no photo reason: no comparison
        result = export_package(s, veloria(), "taobao", tmp_path / "pkg")
    shots = list(result.out.glob("complaints/*/comparisons/*"))
    assert [p.name for p in shots] == ["taobao-1.png"]
    cdir = shots[0].parent.parent
    with Image.open(shots[0]) as img, Image.open(reference) as ref:
        assert img.height > 480 and img.width > 2 * 480 * ref.width // ref.height
    notice = (cdir / "notice.txt").read_text(encoding="utf-8")
    assert "side-by-side comparison with the genuine product: complaints/" in notice
    with (result.out / "links.csv").open(encoding="utf-8-sig") as fh:
        rows = {r["item_id"]: r for r in csv.DictReader(fh)}
    assert rows["1"]["comparison"].endswith("comparisons/taobao-1.png") and rows["2"]["comparison"] == ""
    assert verify_tree(result.out).ok
