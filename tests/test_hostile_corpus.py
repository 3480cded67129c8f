"""Issue 11 acceptance: a JSONL of every hostile row goes through ingest → review → evidence capture
→ takedown export. Nothing is written outside ``--out``, no URL that is not the platform's own is
opened (a loopback trap server counts its hits) or exported, no XLSX cell is a formula, no CSV cell
runs, and the good rows are stored and scored."""

from __future__ import annotations

import csv
import http.server
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.cli import cli
from evidence.capture import CHROMIUM
from markwatch.platforms import platform_url_problem
from markwatch.safety import is_formula_like
from storage.db import ready_engine
from storage.models import Evidence, Listing

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason=f"Chromium not installed at {CHROMIUM}"),
]


class _Trap(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Trap.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html><body>VELORIA secret admin page</body></html>")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def trap() -> Iterator[str]:
    """A loopback server that must never be asked for anything."""
    _Trap.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trap)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _lines(good: list[dict[str, object]], trap: str, escape_to: Path) -> list[bytes]:
    """The hostile corpus: each line as bytes (one is not even UTF-8)."""
    g1, g2 = good

    def row(
        item_id: str, url: object, title: object = "VELORIA 高仿 手提包", **kw: object
    ) -> dict[str, object]:
        return {
            "platform": "taobao",
            "item_id": item_id,
            "url": url,
            "title": title,
            "price": 199.0,
            "seller_id": "s-" + item_id,
            "seller_name": "精品店",
            **kw,
        }

    rows: list[object] = [
        # good rows, hostile text: a formula title, bidi and Rich markup, a formula seller name
        row(str(g1["item_id"]), g1["url"], title='=HYPERLINK("http://evil.example","VELORIA 高仿")'),
        row(
            str(g2["item_id"]),
            g2["url"],
            title="VELORIA 高仿 [/] [link=https://evil.example]x[/link] \u202egnp.exe",
            seller_name="=cmd|' /C calc'!A0",
        ),
        # URLs that are not the platform's own: stored (they are what the seller wrote) but never opened
        row("h-file", "file:///etc/passwd"),
        row("h-js", "javascript:alert(document.domain)"),
        row("h-loop", f"{trap}/item.htm?id=1"),
        row("h-lookalike", "https://item.taobao.com.evil.example/item.htm?id=3"),
        row("h-creds", f"https://user:pw@item.taobao.com/item.htm?id=4&next={trap}"),
        # an id that looks like a path, a title that would take the matcher minutes
        row("../../../etc/passwd", "https://item.taobao.com/item.htm?id=5"),
        row("h-long", "https://item.taobao.com/item.htm?id=6", title="薇洛瑞亚" * 105_000),
        # lines that must be refused, each by number
        {**row("h-platform", "https://item.taobao.com/item.htm?id=7"), "platform": f"../../..{escape_to}"},
        {**row("h-currency", "https://item.taobao.com/item.htm?id=8"), "currency": 5},
        {**row("h-urlobj", "https://item.taobao.com/item.htm?id=9"), "url": {}},
        {**row("h-bool", "https://item.taobao.com/item.htm?id=10"), "price": True},
        "[1, 2, 3]",
    ]
    out = [json.dumps(r, ensure_ascii=False).encode() if not isinstance(r, str) else r.encode() for r in rows]
    out.insert(11, b'{"platform": "taobao", "price": 1e400, "item_id": "h-inf", "url": "x", "title": "t"}')
    out.append(b"\xff\xfe\x00binary\x00\x89PNG\r\n")
    return out


def test_hostile_corpus_end_to_end(tmp_path: Path, trap: str) -> None:
    from sandbox import serve

    db = f"sqlite:///{tmp_path / 'hostile.db'}"
    ready_engine(db).dispose()
    work = tmp_path / "work"
    work.mkdir()
    escape_to = tmp_path / "escaped"  # where a platform named "../../../<tmp>/escaped" would write
    run = CliRunner()
    with serve(seed=1, size=200, legacy=True) as sb:
        good = [r for r in sb.truth(brand="veloria") if r["platform"] == "taobao" and r["status"] == "live"][
            :2
        ]
        corpus = work / "hostile.jsonl"
        corpus.write_bytes(b"\n".join(_lines(good, trap, escape_to)) + b"\n")

        ingest = run.invoke(cli, ["--db", db, "ingest", "--brand", "veloria", str(corpus)])
        assert ingest.exit_code == 0, ingest.output
        reported = [line for line in ingest.output.splitlines() if "skipped" in line and ":" in line]
        assert len(reported) >= 7, ingest.output  # platform, currency, url, price, 1e400, a list, binary
        assert "Traceback" not in ingest.output

        engine = ready_engine(db)
        with Session(engine) as s:
            stored = {lst.item_id: lst for lst in s.scalars(select(Listing))}
            # the good rows are stored and scored as suspects; the refused lines are not stored
            for g in good:
                assert stored[str(g["item_id"])].score is not None and stored[str(g["item_id"])].suspect
            assert not {"h-platform", "h-currency", "h-urlobj", "h-bool", "h-inf"} & set(stored)
            assert all(lst.platform == "taobao" for lst in stored.values())
            ids = [str(lst.id) for lst in stored.values()]

        review = run.invoke(
            cli, ["--db", db, "review", *ids, "--confirm", "--actor", "lin", "--reason", "counterfeit"]
        )
        assert review.exit_code == 0, review.output
        shown = run.invoke(cli, ["--db", db, "suspects", "--status", "confirmed"], terminal_width=200)
        assert shown.exit_code == 0, shown.output
        assert "\u202e" not in shown.output, [ln for ln in shown.output.splitlines() if "\u202e" in ln]
        assert "[/]" in shown.output and "[link=" in shown.output  # markup printed, not interpreted

        caps = work / "captures"
        capture = run.invoke(
            cli,
            [
                "--db",
                db,
                "evidence",
                "capture",
                "--brand",
                "veloria",
                "--sandbox",
                sb.url,
                "--out",
                str(caps),
                "--timeout",
                "20",
            ],
        )
        assert "Traceback" not in capture.output, capture.output
        assert _Trap.hits == [], _Trap.hits  # no loopback page was opened
        with Session(engine) as s:
            evidence = list(s.scalars(select(Evidence)))
            listing_of = {lst.id: lst for lst in s.scalars(select(Listing))}
        live = [e for e in evidence if e.state == "live"]
        assert {listing_of[e.listing_id].item_id for e in live} == {str(g["item_id"]) for g in good}
        for e in evidence:  # no capture of a URL that is not the platform's own
            if e.state in ("live", "gone"):
                assert platform_url_problem("taobao", listing_of[e.listing_id].url) is None, e.url
            assert Path(e.directory).resolve().is_relative_to(caps.resolve()), e.directory

        pkg = work / "package"
        export = run.invoke(
            cli,
            [
                "--db",
                db,
                "takedown",
                "export",
                "--platform",
                "taobao",
                "--brand",
                "veloria",
                "--out",
                str(pkg),
            ],
        )
        assert export.exit_code == 0, export.output
        files = [p for p in (work).rglob("*") if p.is_file()]
        assert files
        urls = [line for p in pkg.rglob("urls.txt") for line in p.read_text(encoding="utf-8").split()]
        assert urls and all(platform_url_problem("taobao", u) is None for u in urls), urls
        assert not any(u.startswith(("file:", "javascript:")) or "127.0.0.1" in u for u in urls)
        for table in pkg.rglob("*.csv"):
            with table.open(encoding="utf-8-sig", newline="") as fh:
                for cells in csv.reader(fh):
                    assert not any(is_formula_like(c) for c in cells), (table, cells)
        for book in pkg.rglob("*.xlsx"):
            with zipfile.ZipFile(book) as z:
                for name in z.namelist():
                    if name.startswith("xl/worksheets/"):
                        assert "<f>" not in z.read(name).decode(), book
        for text_file in [*pkg.rglob("notice.txt"), *pkg.rglob("checklist.md")]:
            assert "\u202e" not in text_file.read_text(encoding="utf-8")

    # nothing was written outside the folders given: not where a hostile platform or id pointed
    assert not escape_to.exists()
    assert not (tmp_path / "etc").exists()
    assert {p.name for p in tmp_path.iterdir() if not p.name.startswith("hostile.db")} == {"work"}
