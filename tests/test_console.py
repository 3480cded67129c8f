"""The review console through its app (TestClient): sign-in, roles, CSRF, escaping, decisions with the
user as actor, bulk, export and cases, read-only SQL, users CLI, the queue's paging."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from console.app import create_app
from console.services import Settings
from console.sqlquery import check_read_only, neutral_cell, to_csv
from crawler.cli import cli
from storage.models import ConsoleToken, ConsoleUser, Listing, LoginAttempt, ReviewDecision, SavedQuery
from storage.queries import QueueFilter, queue, queue_page
from tests.console_data import PASSWORD, XSS_SELLER, XSS_TITLE, build, cheap_argon2
from tests.test_review_helpers import review_db, sqlite_db

__all__ = ["cheap_argon2", "review_db", "sqlite_db"]


class Console:
    def __init__(self, engine: Engine, tmp: Path) -> None:
        self.engine = engine
        self.tmp = tmp
        self.data = build(engine, tmp / "photos")
        self.settings = Settings(
            photos_dir=tmp / "photos", packages_dir=tmp / "packages", secret_key="test-key"
        )
        self.app = create_app(engine, self.settings)

    def client(self, who: str | None = None) -> TestClient:
        c = TestClient(self.app, base_url="http://127.0.0.1")
        if who is not None:
            r = c.post(
                "/login",
                data={"csrf": csrf_of(c, "/login"), "name": who, "password": PASSWORD},
                follow_redirects=False,
            )
            assert r.status_code == 303, r.text
        return c


def csrf_of(c: TestClient, path: str = "/queue") -> str:
    r = c.get(path)
    m = re.search(r'name="csrf-token" content="([^"]+)"', r.text)
    assert m, r.text[:300]
    return m.group(1)


@pytest.fixture
def console(review_db: Engine, tmp_path: Path) -> Iterator[Console]:
    yield Console(review_db, tmp_path)


@pytest.fixture
def sqlite_console(sqlite_db: Engine, tmp_path: Path) -> Iterator[Console]:
    yield Console(sqlite_db, tmp_path)


def decisions(engine: Engine, listing_id: int) -> list[tuple[str, str | None, str]]:
    with Session(engine) as s:
        return [
            (d.actor, d.from_status, d.to_status)
            for d in s.scalars(
                select(ReviewDecision)
                .where(ReviewDecision.listing_id == listing_id)
                .order_by(ReviewDecision.id)
            )
        ]


# --- security --------------------------------------------------------------------------------------


def test_pages_without_a_session_redirect_to_login(sqlite_console: Console) -> None:
    c = sqlite_console.client()
    for path in ["/queue", "/listings/1", "/sellers", "/cases", "/crawls", "/query", "/admin", "/photos/1"]:
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login?next="), path


def test_api_without_a_session_is_401(sqlite_console: Console) -> None:
    c = sqlite_console.client()
    bad = {"Authorization": "Bearer mw_not-a-token"}
    for path in ["/api/queue", "/api/listings/1", "/api/cases", "/api/me"]:
        assert c.get(path).status_code == 401, path
        assert c.get(path, headers=bad).status_code == 401, path
    for path in ["/api/listings/1/decision", "/api/bulk", "/api/cases/export"]:
        assert c.post(path, json={"action": "confirm"}).status_code == 401, path
        assert c.post(path, json={"action": "confirm"}, headers=bad).status_code == 401, path


def test_viewer_reads_but_every_post_is_403(console: Console) -> None:
    c = console.client("vic")
    lid = console.data["ids"][3]
    assert c.get("/queue").status_code == 200
    assert c.get(f"/listings/{lid}").status_code == 200
    token = csrf_of(c)
    for path, data in [
        (f"/listings/{lid}/decision", {"action": "confirm"}),
        ("/bulk", {"search": "VELORIA", "action": "confirm", "expect": "1"}),
        ("/cases/export", {"brand": "veloria", "platform": "taobao"}),
        ("/query", {"sql": "SELECT 1"}),
        ("/admin/users", {"name": "eve", "role": "admin", "password": "12345678"}),
    ]:
        r = c.post(path, data={**data, "csrf": token}, follow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)
    r = c.post(f"/api/listings/{lid}/decision", json={"action": "confirm"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 403
    assert decisions(console.engine, lid) == []


def test_form_post_without_csrf_is_403_and_changes_nothing(console: Console) -> None:
    c = console.client("lin")
    lid = console.data["ids"][2]
    r = c.post(f"/listings/{lid}/decision", data={"action": "confirm"}, follow_redirects=False)
    assert r.status_code == 403
    r = c.post(
        f"/listings/{lid}/decision", data={"action": "confirm", "csrf": "forged"}, follow_redirects=False
    )
    assert r.status_code == 403
    r = c.post(f"/api/listings/{lid}/decision", json={"action": "confirm"})  # the page's fetch sends a header
    assert r.status_code == 403
    assert decisions(console.engine, lid) == []
    r = c.post(
        f"/listings/{lid}/decision", data={"action": "confirm", "csrf": csrf_of(c)}, follow_redirects=False
    )
    assert r.status_code == 303
    assert decisions(console.engine, lid) == [("lin", "new", "confirmed")]


def test_login_form_needs_csrf_and_a_right_password(sqlite_console: Console) -> None:
    c = sqlite_console.client()
    assert (
        c.post("/login", data={"name": "lin", "password": PASSWORD}, follow_redirects=False).status_code
        == 403
    )
    r = c.post(
        "/login",
        data={"csrf": csrf_of(c, "/login"), "name": "lin", "password": "wrong"},
        follow_redirects=False,
    )
    assert r.status_code == 401
    assert "wrong name or password" in r.text


def test_login_attempts_are_rate_limited(sqlite_console: Console) -> None:
    c = sqlite_console.client()
    for _ in range(5):
        r = c.post("/login", data={"csrf": csrf_of(c, "/login"), "name": "lin", "password": "nope"})
        assert r.status_code == 401
    r = c.post(
        "/login",
        data={"csrf": csrf_of(c, "/login"), "name": "lin", "password": PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 429  # even the right password waits now
    assert "too many failed sign-ins" in r.text
    with Session(sqlite_console.engine) as s:
        assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 5  # the refused one is not counted
    assert sqlite_console.client("wang").get("/queue").status_code == 200  # another name still signs in


def test_session_cookie_is_httponly_and_samesite(sqlite_console: Console) -> None:
    c = sqlite_console.client()
    r = c.post(
        "/login",
        data={"csrf": csrf_of(c, "/login"), "name": "lin", "password": PASSWORD},
        follow_redirects=False,
    )
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert PASSWORD not in r.headers["set-cookie"]


def test_xss_title_and_seller_render_as_text(console: Console) -> None:
    c = console.client("lin")
    lid = console.data["ids"][0]
    for path in ["/queue", f"/listings/{lid}", "/sellers", "/bulk?search=script&action=confirm"]:
        html = c.get(path).text
        assert "<script>alert" not in html, path
        assert "<svg onload" not in html and "<img src=x" not in html, path
    html = c.get(f"/listings/{lid}").text
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;svg onload=alert(&#34;seller&#34;)&gt;" in html
    embedded = re.search(r'<script type="application/json" id="listing-data">(.*?)</script>', html, re.S)
    assert embedded is not None
    assert "<" not in embedded.group(1)  # JSON in the page escapes < > & as \u003c…
    assert json.loads(embedded.group(1))["title"] == XSS_TITLE
    assert c.get(f"/api/listings/{lid}").json()["seller_name"] == XSS_SELLER


def test_links_only_to_the_platforms_own_hosts(sqlite_console: Console) -> None:
    c = sqlite_console.client("lin")
    lid = sqlite_console.data["ids"][1]
    assert 'href="https://item.taobao.com/item.htm?id=70001"' in c.get(f"/listings/{lid}").text
    with Session(sqlite_console.engine) as s, s.begin():
        s.get(Listing, lid).url = "javascript:alert(1)//item.taobao.com"  # type: ignore[union-attr]
        s.get(Listing, sqlite_console.data["ids"][2]).url = "https://item.taobao.com.evil.example/x"  # type: ignore[union-attr]
    html = c.get(f"/listings/{lid}").text
    assert "javascript:alert" not in html.split("<main>")[1].split('id="listing-data"')[0].replace(
        "link withheld", ""
    )
    assert "link withheld" in html
    queue_html = c.get("/queue").text
    assert "evil.example" not in queue_html and "javascript:" not in queue_html


def test_photos_only_from_the_store_by_id(sqlite_console: Console, tmp_path: Path) -> None:
    c = sqlite_console.client("lin")
    from storage.models import ListingImage

    with Session(sqlite_console.engine) as s, s.begin():
        first = s.scalars(select(ListingImage).order_by(ListingImage.id)).first()
        assert first is not None
        outside = tmp_path / "secret.txt"
        outside.write_text("not a photo")
        s.add(
            ListingImage(listing_id=first.listing_id, url="https://img.alicdn.com/z.jpg", path=str(outside))
        )
        s.add(
            ListingImage(
                listing_id=first.listing_id, url="https://img.alicdn.com/y.jpg", path="../secret.txt"
            )
        )
        good = first.id
    r = c.get(f"/photos/{good}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    for iid in range(good + 1, good + 200):
        r = c.get(f"/photos/{iid}")
        assert "not a photo" not in r.text
    assert c.get("/photos/..%2Fsecret.txt").status_code in (404, 422)
    assert c.get("/brand-photos/1/0").status_code == 200
    assert c.get("/brand-photos/1/99").status_code == 404


BAD_SQL = [
    "INSERT INTO listings (platform) VALUES ('x')",
    "UPDATE listings SET status = 'dismissed'",
    "DELETE FROM listings",
    "DROP TABLE listings",
    "ATTACH DATABASE '/tmp/x.db' AS x",
    "PRAGMA query_only = OFF",
    "PRAGMA journal_mode = DELETE",
    "SELECT 1; DELETE FROM listings",
    "select 1; update listings set title = 'x'",
    "WITH x AS (SELECT 1) DELETE FROM listings",
    "CREATE TABLE t (a int)",
    "/* hi */ DELETE FROM listings -- bye",
]


def test_the_query_page_refuses_writes(console: Console) -> None:
    c = console.client("lin")
    token = csrf_of(c)
    with Session(console.engine) as s:
        before = s.scalar(select(func.count()).select_from(Listing))
    for sql in BAD_SQL:
        r = c.post("/query", data={"sql": sql, "do": "run", "csrf": token})
        assert r.status_code == 400, sql
        assert "query-error" in r.text, sql
    with Session(console.engine) as s:
        assert s.scalar(select(func.count()).select_from(Listing)) == before
        assert s.scalar(select(func.count()).select_from(Listing).where(Listing.status == "dismissed")) == 0


def test_the_read_only_connection_refuses_writes_without_the_text_check(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection itself is read-only: with the statement check switched off, writes still fail."""
    import console.sqlquery as q

    monkeypatch.setattr(q, "check_read_only", lambda sql: sql)
    for sql in BAD_SQL[:7]:
        with pytest.raises(q.QueryRefused):
            q.run_query(console.engine, sql)
    with Session(console.engine) as s:
        assert s.scalar(select(func.count()).select_from(Listing).where(Listing.status == "dismissed")) == 0


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1 FROM listings WHERE title = 'a; DELETE FROM listings'",  # a ';' inside a string is fine
        "SELECT count(*) AS n FROM listings",
    ],
)
def test_the_query_page_runs_reads(console: Console, sql: str) -> None:
    c = console.client("lin")
    r = c.post("/query", data={"sql": sql, "do": "run", "csrf": csrf_of(c)})
    assert r.status_code == 200, r.text
    assert "row(s)" in r.text


def test_the_read_only_connection_stops_what_the_text_check_lets_through(sqlite_console: Console) -> None:
    from console.sqlquery import QueryRefused, run_query

    # functions that write, hidden in a SELECT, meet the read-only connection itself
    with pytest.raises(QueryRefused):
        run_query(sqlite_console.engine, "SELECT * FROM pragma_journal_mode('delete')")
    with pytest.raises(QueryRefused, match="longer than"):
        run_query(
            sqlite_console.engine,
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
            timeout_ms=200,
        )
    out = run_query(sqlite_console.engine, "SELECT id FROM listings", row_cap=7)
    assert len(out.rows) == 7 and out.truncated


def test_query_csv_neutralises_formulas_and_saved_queries(console: Console) -> None:
    c = console.client("lin")
    token = csrf_of(c)
    r = c.post(
        "/query",
        data={
            "sql": "SELECT '=HYPERLINK(\"http://x\")' AS a, '+1' AS b, 'ok' AS c",
            "do": "csv",
            "csrf": token,
        },
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "'=HYPERLINK" in r.text and "'+1" in r.text and ",ok" in r.text
    assert neutral_cell("@SUM(A1)") == "'@SUM(A1)" and neutral_cell(-3) == "'-3" and neutral_cell(None) == ""
    assert to_csv(["=a"], [("x",)]).splitlines()[0] == "'=a"
    r = c.post(
        "/query", data={"sql": "SELECT 2", "do": "save", "name": "two", "csrf": token}, follow_redirects=False
    )
    assert r.status_code == 303
    r = c.post("/query", data={"sql": "DELETE FROM listings", "do": "save", "name": "bad", "csrf": token})
    assert r.status_code == 400
    with Session(console.engine) as s:
        assert [q.name for q in s.scalars(select(SavedQuery))] == ["two"]


def test_check_read_only_shapes() -> None:
    assert check_read_only("select 1;") == "select 1"
    assert (
        check_read_only("  WITH a AS (SELECT 1) SELECT * FROM a  ") == "WITH a AS (SELECT 1) SELECT * FROM a"
    )


# --- decisions, bulk, export, cases ----------------------------------------------------------------


def test_decisions_and_undo_record_the_user(console: Console) -> None:
    c = console.client("lin")
    token = csrf_of(c)
    a, b = console.data["ids"][4], console.data["ids"][5]
    h = {"X-CSRF-Token": token}
    assert (
        c.post(f"/api/listings/{a}/decision", json={"action": "confirm", "note": "高仿"}, headers=h).json()[
            "status"
        ]
        == "confirmed"
    )
    assert (
        c.post(f"/api/listings/{b}/decision", json={"action": "dismiss"}, headers=h).json()["status"]
        == "dismissed"
    )
    assert c.post(f"/api/listings/{b}/decision", json={"action": "undo"}, headers=h).json()["status"] == "new"
    assert decisions(console.engine, a) == [("lin", "new", "confirmed")]
    assert decisions(console.engine, b) == [("lin", "new", "dismissed"), ("lin", "dismissed", "new")]
    # another analyst cannot undo lin's decision; an impossible change is one line, nothing changes
    w = console.client("wang")
    r = w.post(f"/api/listings/{a}/decision", json={"action": "undo"}, headers={"X-CSRF-Token": csrf_of(w)})
    assert r.status_code == 400 and "lin's" in r.json()["detail"]
    r = c.post(f"/api/listings/{a}/decision", json={"action": "bogus"}, headers=h)
    assert r.status_code == 400
    html = c.get(f"/listings/{b}").text
    assert "dismissed → new" in html and "lin" in html


def test_bulk_shows_count_and_sample_first_and_applies_only_that_count(console: Console) -> None:
    c = console.client("lin")
    r = c.get("/bulk?search=钱包&action=confirm")
    assert r.status_code == 200
    count = int(re.search(r'id="bulk-count">(\d+)<', r.text).group(1))  # type: ignore[union-attr]
    assert count == 8
    token = csrf_of(c)
    r = c.post("/bulk", data={"search": "钱包", "action": "confirm", "expect": str(count + 1), "csrf": token})
    assert r.status_code == 400 and "not the 9 previewed" in r.text
    r = c.post(
        "/bulk",
        data={"search": "钱包", "action": "confirm", "expect": str(count), "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with Session(console.engine) as s:
        rows = s.execute(
            select(ReviewDecision.actor, func.count())
            .where(ReviewDecision.to_status == "confirmed")
            .group_by(ReviewDecision.actor)
        ).all()
    assert rows == [("lin", 8)]
    r = c.get("/bulk?action=confirm")
    assert r.status_code == 400  # no filter: not the whole queue


def test_export_a_selection_then_submit_and_answer(console: Console) -> None:
    c = console.client("lin")
    h = {"X-CSRF-Token": csrf_of(c)}
    ids = console.data["ids"][6:10]
    for lid in ids:
        assert (
            c.post(f"/api/listings/{lid}/decision", json={"action": "confirm"}, headers=h).status_code == 200
        )
    html = c.get("/cases?brand=veloria&platform=taobao").text
    assert all(f'name="listing" value="{lid}"' in html for lid in ids)
    r = c.post(
        "/cases/export",
        data={
            "brand": "veloria",
            "platform": "taobao",
            "listing": [str(i) for i in ids[:3]],
            "csrf": h["X-CSRF-Token"],
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    cases = c.get("/api/cases").json()
    assert len(cases) == 1 and cases[0]["links"] == 3 and cases[0]["status"] == "draft"
    case_id = cases[0]["id"]
    assert list((console.tmp / "packages").iterdir())
    r = c.post(
        f"/cases/{case_id}/submit",
        data={"number": "IPP-2026-1", "csrf": h["X-CSRF-Token"]},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with Session(console.engine) as s:
        statuses = dict(s.execute(select(Listing.id, Listing.status).where(Listing.id.in_(ids))).all())
    assert [statuses[i] for i in ids] == ["reported", "reported", "reported", "confirmed"]
    r = c.post(f"/api/cases/{case_id}/answer", json={"status": "counter-notice"}, headers=h)
    assert r.status_code == 200 and r.json()["deadline"]
    board = c.get("/cases").text
    assert "IPP-2026-1" in board and "day(s) left" in board
    assert decisions(console.engine, ids[0])[-1] == ("lin", "confirmed", "reported")


def test_four_eyes_is_enforced_by_the_export_service(sqlite_console: Console, tmp_path: Path) -> None:
    import yaml

    from markwatch.brand import resolve_brand
    from markwatch.errors import UserError
    from storage.exports import export_package
    from storage.review import second_confirm, set_status

    src = resolve_brand("veloria").source
    assert src is not None
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    data["review"] = {"four_eyes": True}
    copy = tmp_path / "brands"
    shutil.copytree(src.parent, copy)  # the brand's images and documents, at the same relative paths
    strict = copy / "veloria.yaml"
    strict.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    brand = resolve_brand(strict)
    assert brand.review.four_eyes
    ids = sqlite_console.data["ids"][10:12]
    eng = sqlite_console.engine
    with Session(eng) as s, s.begin():
        set_status(s, ids, "confirmed", actor="lin")
    with Session(eng) as s, s.begin(), pytest.raises(UserError, match="four-eyes"):
        export_package(s, brand, "taobao", tmp_path / "p1")
    with Session(eng) as s, s.begin(), pytest.raises(UserError, match="second analyst"):
        second_confirm(s, ids[0], actor="lin")  # the same person cannot be the second pair of eyes
    with Session(eng) as s, s.begin():
        second_confirm(s, ids[0], actor="wang")
    with Session(eng) as s, s.begin():
        result = export_package(s, brand, "taobao", tmp_path / "p2")
    assert result.links == 1
    assert any("four-eyes" in line and str(ids[1]) in line for line in result.skipped)


def test_four_eyes_button_through_the_console(sqlite_console: Console) -> None:
    c, w = sqlite_console.client("lin"), sqlite_console.client("wang")
    lid = sqlite_console.data["ids"][12]
    assert (
        c.post(
            f"/api/listings/{lid}/decision", json={"action": "confirm"}, headers={"X-CSRF-Token": csrf_of(c)}
        ).status_code
        == 200
    )
    r = c.post(
        f"/api/listings/{lid}/decision", json={"action": "second"}, headers={"X-CSRF-Token": csrf_of(c)}
    )
    assert r.status_code == 400
    r = w.post(
        f"/api/listings/{lid}/decision", json={"action": "second"}, headers={"X-CSRF-Token": csrf_of(w)}
    )
    assert r.status_code == 200
    assert "agrees (four-eyes)" in c.get(f"/listings/{lid}").text


def test_listing_page_shows_everything(sqlite_console: Console) -> None:
    c = sqlite_console.client("vic")
    lid = sqlite_console.data["ids"][1]
    html = c.get(f"/listings/{lid}").text
    assert '<polyline points="' in html  # price chart: three sightings
    assert 'class="crop"' in html and "/brand-photos/" in html  # the matched brand photo, crop drawn
    assert "+0.5" not in html and "0.45" in html  # every reason with its weight
    assert "Other listings of this seller" in html and "/listings/" in html
    data = c.get(f"/api/listings/{lid}").json()
    assert len(data["observations"]) == 3 and data["reasons"][0]["kind"] == "image"


def test_queue_filters_paging_and_openapi(console: Console) -> None:
    c = console.client("vic")
    rows = c.get("/api/queue?size=20").json()
    assert rows["more"] and len(rows["rows"]) == 20
    assert [r["score"] for r in rows["rows"]] == sorted((r["score"] for r in rows["rows"]), reverse=True)
    page2 = c.get("/api/queue?size=20&page=2").json()["rows"]
    assert {r["id"] for r in page2}.isdisjoint(r["id"] for r in rows["rows"])
    assert len(c.get("/api/queue?search=钱包&size=100").json()["rows"]) == 8
    assert c.get("/api/queue?status=bogus").status_code == 400
    assert c.get("/api/queue?since=yesterday").status_code == 400
    spec = c.get("/openapi.json").json()
    assert "/api/queue" in spec["paths"] and "/api/listings/{listing_id}/decision" in spec["paths"]
    assert "/queue" not in spec["paths"]  # pages are not part of the API


def test_queue_page_is_queue_in_pages(sqlite_db: Engine) -> None:
    from tests.test_review_helpers import add_listings, brand_row, record

    rng = random.Random(3)
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        add_listings(s, bid, [record(str(i), seller_id=f"s{i % 7}") for i in range(120)], score=0.9)
        for lst in s.scalars(select(Listing)):
            lst.score = rng.choice([None, 0.2, 0.55, 0.7, 0.7, 0.9, rng.random()])
            lst.suspect = (lst.score or 0) >= 0.5 or rng.random() < 0.3
            lst.status = rng.choice(["new", "new", "new", "relisted", "confirmed", "dismissed"])
            lst.last_seen = dt.datetime(2026, 1, 1) + dt.timedelta(hours=rng.randrange(5))
    for statuses in [None, (), ("new",), ("new", "confirmed"), ("relisted",)]:
        for suspects_only in (True, False):
            with Session(sqlite_db) as s:
                f = QueueFilter(statuses=statuses, suspects_only=suspects_only)
                full = [r.id for r in queue(s, f)]
                assert full
                for size in (1, 7, 50):
                    paged: list[int] = []
                    while page := [r.id for r in queue_page(s, f, offset=len(paged), limit=size)]:
                        paged += page
                    assert paged == full, (statuses, suspects_only, size)


# --- users CLI -------------------------------------------------------------------------------------


def test_users_cli(sqlite_console: Console) -> None:
    url = str(sqlite_console.engine.url)
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None) -> Any:
        return runner.invoke(cli, ["--db", url, *args], input=stdin)

    r = run("users", "add", "mei", "--role", "analyst", "--password-stdin", stdin="s3cret-pass\n")
    assert r.exit_code == 0, r.output
    r = run("users", "add", "mei", "--role", "viewer", "--password-stdin", stdin="another-pass\n")
    assert r.exit_code == 2 and "exists already" in r.output
    r = run("users", "add", "../x", "--role", "viewer", "--no-password")
    assert r.exit_code == 2 and "not a user name" in r.output
    r = run("users", "add", "bo", "--role", "viewer", "--password-stdin", stdin="short\n")
    assert r.exit_code == 2 and "too short" in r.output
    r = run("users", "list")
    assert r.exit_code == 0 and "mei\tanalyst\tpassword" in r.output
    r = run("users", "token", "mei")
    assert r.exit_code == 0, r.output
    token = r.output.strip()
    with Session(sqlite_console.engine) as s:
        stored = s.scalars(select(ConsoleToken.token_sha256)).all()
        assert token not in stored and len(stored) == 1  # kept hashed
        pw = s.scalar(select(ConsoleUser.password_hash).where(ConsoleUser.name == "mei"))
        assert pw is not None and pw.startswith("$argon2id$")
    c = sqlite_console.client()
    auth = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/me", headers=auth).json() == {"name": "mei", "role": "analyst"}
    lid = sqlite_console.data["ids"][20]
    r = c.post(
        f"/api/listings/{lid}/decision", json={"action": "dismiss"}, headers=auth
    )  # a token needs no CSRF
    assert r.status_code == 200
    assert decisions(sqlite_console.engine, lid) == [("mei", "new", "dismissed")]
    r = run("users", "remove", "mei")
    assert r.exit_code == 0, r.output
    assert c.get("/api/me", headers=auth).status_code == 401
    r = run("users", "remove", "mei")
    assert r.exit_code == 2 and "no user mei" in r.output


def test_serve_refuses_an_old_database(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path / 'empty.db'}", "serve"])
    assert r.exit_code == 2 and "markwatch db upgrade" in r.output


def test_crawls_page_shows_the_accounts_health(
    sqlite_console: Console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12: the crawls page shows each account's health; never a proxy's password."""
    import time

    from markwatch.accounts import AccountStore

    root = tmp_path / "accounts"
    monkeypatch.setenv("MARKWATCH_ACCOUNTS_DIR", str(root))
    store = AccountStore(root)
    store.update("taobao", "main", logged_in=True, cookie_expiry=time.time() + 86400 * 20)
    store.update(
        "jd",
        "shop-2",
        logged_in=True,
        last_refusal="jd-risk",
        last_refusal_at=time.time() - 60,
        cooling_until=time.time() + 3600,
        proxy="http://bob:s3cret@10.0.0.2:3128",
    )
    store.update("weibo", "fan", logged_in=False)
    page = sqlite_console.client("vic").get("/crawls")
    assert page.status_code == 200
    text = page.text
    assert "shop-2" in text and "jd-risk" in text and "http://10.0.0.2:3128" in text
    assert "s3cret" not in text and "bob" not in text
    assert "main" in text and ">no<" in text  # the weibo account is logged out
