"""The review console in Debian's Chromium (Playwright): sign in, review 20 listings by keyboard, undo
one, bulk-confirm a filter, export a package, mark it submitted; then the same decisions are in
`markwatch suspects` and in the database with the user as actor.

Set MARKWATCH_SCREENSHOTS=docs to refresh the README's screenshots (docs/console-*.png)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from console.app import create_app
from console.services import Settings
from crawler.cli import cli
from storage.models import CaseEvent, Listing, ReviewDecision, TakedownCase
from tests.console_data import PASSWORD, build, cheap_argon2
from tests.test_review_helpers import sqlite_db

__all__ = ["cheap_argon2", "sqlite_db"]

CHROMIUM = "/usr/bin/chromium"
SELECTED = re.compile(r"\bsel\b")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() or not shutil.which("chromium"),
        reason="Debian's chromium is not installed",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(sqlite_db: Engine, tmp_path: Path) -> Iterator[dict[str, Any]]:
    import uvicorn

    data = build(sqlite_db, tmp_path / "photos", n=40)
    settings = Settings(
        photos_dir=tmp_path / "photos", packages_dir=tmp_path / "packages", secret_key="browser-test"
    )
    port = free_port()
    config = uvicorn.Config(create_app(sqlite_db, settings), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "the console did not start"
        time.sleep(0.05)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "engine": sqlite_db, "ids": data["ids"], "tmp": tmp_path}
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def test_review_by_keyboard_bulk_export_and_submit(server: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, engine, ids = server["url"], server["engine"], server["ids"]
    shots = Path(os.environ.get("MARKWATCH_SCREENSHOTS") or server["tmp"])
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        # no session: the queue sends the browser to sign in, and back after
        page.goto(f"{base}/queue")
        assert "/login" in page.url
        page.fill("input[name=name]", "lin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/queue")
        assert page.locator("article.row").count() == 20  # 20 a page by default
        page.select_option("select[name=size]", "50")
        page.click("text=Filter")
        page.wait_for_url(f"{base}/queue?*size=50*")
        rows = page.locator("article.row")
        expect(rows.first).to_have_class(SELECTED)
        assert rows.count() == 40
        page.screenshot(path=str(shots / "console-queue.png"))

        # review 20 listings by keyboard: confirm, and dismiss every fourth; each moves down by itself
        plan = ["dismissed" if i % 4 == 3 else "confirmed" for i in range(20)]
        for i, want in enumerate(plan):
            row = rows.nth(i)
            expect(row).to_have_class(SELECTED)
            if i == 5:  # a reason for this one: r, type, Enter, then c
                page.keyboard.press("r")
                page.keyboard.type("高仿 in the title, 13% of the floor price")
                page.keyboard.press("Enter")
            page.keyboard.press("c" if want == "confirmed" else "d")
            expect(row).to_have_attribute("data-status", want)
        page.keyboard.press("k")  # move back up and down again: j/k
        expect(rows.nth(19)).to_have_class(SELECTED)
        page.keyboard.press("j")
        expect(rows.nth(20)).to_have_class(SELECTED)
        # undo the last one (the 20th was dismissed)
        page.keyboard.press("u")
        expect(rows.nth(19)).to_have_attribute("data-status", "new")
        expect(page.locator(".flash")).to_contain_text("back to new")

        # bulk: confirm everything the filter "钱包" selects, after seeing the count and a sample
        page.goto(f"{base}/queue?search=钱包")
        waiting = page.locator("article.row").count()
        page.click("text=Confirm all matching…")
        expect(page.locator("#bulk-count")).to_have_text(str(waiting))
        page.click("#bulk-go")
        expect(page.locator(".flash")).to_contain_text(f"{waiting} listing(s) confirmed")
        assert page.locator("article.row").count() == 0

        # the listing page (screenshot for the README)
        page.goto(f"{base}/listings/{ids[1]}")
        expect(page.locator(".crop")).to_be_visible()
        page.screenshot(path=str(shots / "console-listing.png"), full_page=True)

        # export a package from the confirmed listings, then mark its case submitted
        page.goto(f"{base}/cases?brand=veloria&platform=taobao")
        selected = page.locator("input[name=listing]").count()
        page.click("#export-go")
        expect(page.locator(".flash")).to_contain_text(f"package with {selected} link(s)")
        case = page.locator(".lane .case").first
        case.locator("input[name=number]").fill("IPP-2026-0001")
        case.locator("text=Mark submitted").click()
        expect(page.locator(".flash")).to_contain_text("submitted as IPP-2026-0001")
        browser.close()

    # the same decisions in `markwatch suspects` …
    out = CliRunner().invoke(
        cli, ["--db", str(engine.url), "suspects", "--status", "all", "--all", "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    status = {r["id"]: r["status"] for r in json.loads(out.output)}
    dismissed = [ids[i] for i in range(19) if plan[i] == "dismissed"]
    reported = [ids[i] for i in range(19) if plan[i] == "confirmed"]
    assert all(status[i] == "dismissed" for i in dismissed)
    assert all(status[i] == "reported" for i in reported)  # confirmed, exported, submitted
    assert sum(1 for s in status.values() if s == "reported") == selected
    assert status[ids[19]] == "reported"  # undone, then confirmed with the bulk (钱包)
    # … and in the database, with the user as actor
    with Session(engine) as s:
        actors = set(s.scalars(select(ReviewDecision.actor)))
        assert actors == {"lin"}
        trail = [
            (d.from_status, d.to_status)
            for d in s.scalars(
                select(ReviewDecision).where(ReviewDecision.listing_id == ids[19]).order_by(ReviewDecision.id)
            )
        ]
        assert trail == [
            ("new", "dismissed"),
            ("dismissed", "new"),
            ("new", "confirmed"),
            ("confirmed", "reported"),
        ]
        note = s.scalar(select(ReviewDecision.note).where(ReviewDecision.listing_id == ids[5]))
        assert note == "高仿 in the title, 13% of the floor price"
        case = s.scalars(select(TakedownCase)).one()
        assert case.status == "submitted" and case.complaint_number == "IPP-2026-0001"
        assert {e.actor for e in s.scalars(select(CaseEvent))} == {"lin"}
        assert s.scalar(select(Listing.status).where(Listing.id == ids[3])) == "dismissed"
