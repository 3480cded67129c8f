"""Cases: submit and outcomes, Art. 43 deadlines, the scorecard, and the checks after each crawl."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crawler.cli import cli
from markwatch.errors import UserError
from storage.cases import (
    COUNTER_NOTICE_DAYS,
    action_filed,
    create_case,
    list_cases,
    scorecard,
    set_case_status,
    submit_case,
    verify_after_crawl,
)
from storage.ingest import ingest_batch
from storage.models import CaseListing, CrawlRun, Listing, ReviewDecision, TakedownCase
from storage.review import set_status
from tests.test_review_helpers import T0, add_listings, brand_row, ids_of, record, review_db, sqlite_db

__all__ = ["review_db", "sqlite_db"]

DAY = dt.timedelta(days=1)


def _confirmed_case(
    engine: Engine, n: int = 3, *, platform: str = "taobao", reason: str = "counterfeit"
) -> int:
    with Session(engine) as s, s.begin():
        bid = brand_row(s)
        recs = [record(f"{platform}{i}", platform=platform, seller_id=f"s{i}") for i in range(n)]
        ids = ids_of(add_listings(s, bid, recs), recs)
        set_status(s, ids, "confirmed", actor="lin", at=T0)
        case = create_case(
            s, brand_id=bid, platform=platform, mark_key="veloria-word", reason=reason, listing_ids=ids, at=T0
        )
        return case.id


def _statuses(s: Session, case_id: int) -> list[str]:
    return list(
        s.scalars(
            select(Listing.status)
            .join(CaseListing, CaseListing.listing_id == Listing.id)
            .where(CaseListing.case_id == case_id)
            .order_by(Listing.id)
        )
    )


def test_submit_then_removed_moves_listings(review_db: Engine) -> None:
    cid = _confirmed_case(review_db)
    with Session(review_db) as s, s.begin():
        assert _statuses(s, cid) == ["confirmed"] * 3  # a draft reports nothing yet
        with pytest.raises(UserError, match="complaint number"):
            submit_case(s, cid, " ", actor="lin")
    with Session(review_db) as s, s.begin():
        case = submit_case(s, cid, "IPP-1", actor="lin", at=T0 + DAY)
        assert case.status == "submitted" and case.complaint_number == "IPP-1"
        assert _statuses(s, cid) == ["reported"] * 3
    with Session(review_db) as s, s.begin():
        set_case_status(s, cid, "removed", actor="lin", at=T0 + 3 * DAY)
        assert _statuses(s, cid) == ["removed"] * 3
        lid = s.scalars(select(CaseListing.listing_id).where(CaseListing.case_id == cid)).first()
        notes = [d.note for d in s.scalars(select(ReviewDecision).where(ReviewDecision.listing_id == lid))]
        assert any("IPP-1" in (n or "") and "removed" in (n or "") for n in notes)
    with pytest.raises(UserError, match="cannot become submitted"), Session(review_db) as s, s.begin():
        set_case_status(s, cid, "submitted", actor="lin", number="x")


def test_rejected_goes_back_to_confirmed_and_partial_outcomes(review_db: Engine) -> None:
    cid = _confirmed_case(review_db)
    with Session(review_db) as s, s.begin():
        submit_case(s, cid, "IPP-2", actor="lin")
        ids = sorted(s.scalars(select(CaseListing.listing_id).where(CaseListing.case_id == cid)))
        set_case_status(s, cid, "removed", actor="lin", listing_ids=ids[:2])
        assert _statuses(s, cid) == ["removed", "removed", "reported"]
        with pytest.raises(UserError, match="not in case"):
            set_case_status(s, cid, "counter-notice", actor="lin", listing_ids=[99999])
    cid2 = _confirmed_case(review_db, platform="jd")
    with Session(review_db) as s, s.begin():
        submit_case(s, cid2, "JD-1", actor="lin")
        set_case_status(s, cid2, "rejected", actor="lin", note="insufficient evidence")
        assert _statuses(s, cid2) == ["confirmed"] * 3


def test_counter_notice_deadline_overdue_and_action_filed(review_db: Engine) -> None:
    cid = _confirmed_case(review_db)
    notice_at = T0 + 5 * DAY
    with Session(review_db) as s, s.begin():
        submit_case(s, cid, "IPP-3", actor="lin", at=T0 + DAY)
        set_case_status(s, cid, "removed", actor="lin", at=T0 + 3 * DAY)
        case = set_case_status(s, cid, "counter-notice", actor="lin", at=notice_at)
        assert case.deadline == (notice_at + COUNTER_NOTICE_DAYS * DAY).date()
    with Session(review_db) as s:
        (row,) = list_cases(s, now=notice_at + 10 * DAY)
        assert not row.overdue and "5 day(s) left" in row.alerts[0]
        (row,) = list_cases(s, now=notice_at + 16 * DAY)
        assert row.overdue and "Art. 43" in row.alerts[0]
        assert [r.id for r in list_cases(s, overdue_only=True, now=notice_at + 16 * DAY)] == [cid]
    with Session(review_db) as s, s.begin():
        action_filed(s, cid, actor="lin", note="suit filed at Hangzhou Internet Court")
    with Session(review_db) as s:
        (row,) = list_cases(s, now=notice_at + 16 * DAY)
        assert not row.overdue and row.deadline is None
    with Session(review_db) as s, s.begin():
        set_case_status(s, cid, "reinstated", actor="lin")
        assert _statuses(s, cid) == ["reinstated"] * 3


def test_unanswered_submission_is_flagged() -> None:
    from storage.cases import case_alerts

    case = TakedownCase(platform="jd", status="submitted", submitted_at=T0)
    assert not case_alerts(case, (T0 + 10 * DAY).date())
    assert case_alerts(case, (T0 + 15 * DAY).date())[0].startswith("OVERDUE")


def test_scorecard_against_good_faith_bounds(review_db: Engine) -> None:
    good = _confirmed_case(review_db, 10, platform="taobao")
    bad = _confirmed_case(review_db, 4, platform="tmall", reason="unauthorised-use")
    now = T0 + 20 * DAY
    with Session(review_db) as s, s.begin():
        submit_case(s, good, "A", actor="lin", at=T0 + DAY)
        set_case_status(s, good, "removed", actor="lin", at=T0 + 2 * DAY)
        submit_case(s, bad, "B", actor="lin", at=T0 + DAY)
        ids = sorted(s.scalars(select(CaseListing.listing_id).where(CaseListing.case_id == bad)))
        set_case_status(s, bad, "removed", actor="lin", at=T0 + 2 * DAY)
        set_case_status(s, bad, "counter-notice", actor="lin", at=T0 + 3 * DAY, listing_ids=ids[:1])
        set_case_status(s, bad, "reinstated", actor="lin", at=T0 + 4 * DAY, listing_ids=ids[:1])
    with Session(review_db) as s:
        rows = {(r.platform, r.reason): r for r in scorecard(s, now=now)}
        g = rows[("taobao", "counterfeit")]
        assert (g.reported, g.removed, g.removed_share, g.counter_share, g.within_bounds) == (
            10,
            10,
            1.0,
            0.0,
            True,
        )
        b = rows[("tmall", "unauthorised-use")]
        assert (b.reported, b.removed, b.reinstated, b.counter_noticed) == (4, 3, 1, 1)
        assert b.removed_share == 0.75 and b.counter_share == 0.25 and b.within_bounds is False
        assert scorecard(s, now=T0 + 200 * DAY) == []  # outside the 90-day window


# --- after each crawl ----------------------------------------------------------------------------------

PHOTO = "c3c3c3c33c3c3c3c"


def _removed_listing(s: Session, bid: int) -> int:
    rec = [record("old-1", seller_id="repeat-shop")]
    lid = ids_of(add_listings(s, bid, rec, phashes={"old-1": [PHOTO]}), rec)[0]
    set_status(s, [lid], "confirmed", actor="lin", at=T0)
    case = create_case(
        s, brand_id=bid, platform="taobao", mark_key="veloria-word", reason="counterfeit", listing_ids=[lid]
    )
    submit_case(s, case.id, "IPP-9", actor="lin", at=T0 + DAY)
    set_case_status(s, case.id, "removed", actor="lin", at=T0 + 2 * DAY)
    s.execute(update(Listing).where(Listing.id == lid).values(live=False, gone_at=T0 + 2 * DAY))
    return lid


def test_relisting_by_same_seller_and_same_photos(review_db: Engine) -> None:
    with Session(review_db) as s, s.begin():
        bid = brand_row(s)
        old = _removed_listing(s, bid)
        run = CrawlRun(brand_id=bid, kind="crawl")
        s.add(run)
        s.flush()
        fresh = [
            record("new-1", seller_id="repeat-shop"),  # same seller, same photo (3 bits away)
            record("new-2", platform="jd", seller_id="elsewhere"),  # other shop, other platform, same photo
            record("new-3", seller_id="innocent"),  # nothing in common
        ]
        res = add_listings(
            s,
            bid,
            fresh,
            run_id=run.id,
            seen_at=T0 + 10 * DAY,
            phashes={"new-1": ["c3c3c3c33c3c3c3b"], "new-2": [PHOTO], "new-3": ["0000ffff0000ffff"]},
        )
        out = verify_after_crawl(s, bid, run.id, res, now=T0 + 10 * DAY)
        new1, new2, new3 = ids_of(res, fresh)
        assert {r.listing_id for r in out.relisted} == {new1, new2}
        by_id = {r.listing_id: r for r in out.relisted}
        assert any("same seller" in w for w in by_id[new1].why) and any(
            "same photo" in w for w in by_id[new1].why
        )
        assert by_id[new2].why == [f"same photo as listing {old} (phash distance 0 bits), another shop"]
    with Session(review_db) as s:
        for lid in (new1, new2):
            lst = s.get(Listing, lid)
            assert lst is not None and lst.status == "relisted" and lst.relisted_from == old
            (d,) = s.scalars(select(ReviewDecision).where(ReviewDecision.listing_id == lid)).all()
            assert d.actor == "markwatch" and d.from_status == "new" and d.to_status == "relisted"
            assert f"listing {old} (taobao old-1" in (d.note or "")
        lst3 = s.get(Listing, new3)
        assert lst3 is not None and lst3.status == "new" and lst3.relisted_from is None
        from storage.queries import QueueFilter, queue

        rows = queue(s, QueueFilter())
        flagged = {r.id: r.flags for r in rows}
        assert flagged[new1] == [f"relisting of #{old}"]
        assert {r.id for r in rows[:2]} == {new1, new2}  # re-listings lead the queue


def test_removed_listing_seen_live_again_is_flagged(review_db: Engine) -> None:
    with Session(review_db) as s, s.begin():
        bid = brand_row(s)
        old = _removed_listing(s, bid)
        res = ingest_batch(s, bid, [record("old-1", seller_id="repeat-shop")], seen_at=T0 + 9 * DAY)
        assert res.reappeared_ids == [old]
        out = verify_after_crawl(s, bid, 42, res, now=T0 + 9 * DAY)
        assert out.still_live == [old] and out.relisted == []
    with Session(review_db) as s:
        lst = s.get(Listing, old)
        assert lst is not None and lst.status == "removed"  # the status stays; the flag says it is back
        assert lst.seen_after_takedown_run_id == 42
        case = s.scalars(select(TakedownCase)).one()
        assert "seen live in crawl run 42" in (case.events[-1].note or "")
        events = len(case.events)
    with Session(review_db) as s, s.begin():  # seen again by the next crawl: flag updated, no new event
        res = ingest_batch(s, bid, [record("old-1", seller_id="repeat-shop")], seen_at=T0 + 10 * DAY)
        assert verify_after_crawl(s, bid, 43, res, now=T0 + 10 * DAY).still_live == [old]
    with Session(review_db) as s:
        case = s.scalars(select(TakedownCase)).one()
        assert len(case.events) == events
        lst = s.get(Listing, old)
        assert lst is not None and lst.seen_after_takedown_run_id == 43
        assert lst.seen_after_takedown_count == 2 and lst.seen_after_takedown_status == "removed"
        assert (lst.seen_after_takedown_first_at, lst.seen_after_takedown_at) == (T0 + 9 * DAY, T0 + 10 * DAY)
        from storage.queries import QueueFilter, queue

        (row,) = queue(s, QueueFilter(statuses=["removed"]))
        assert row.flags and row.flags[0].startswith("still live after removed")


def test_verify_with_nothing_taken_down_changes_nothing(sqlite_db: Engine) -> None:
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        res = add_listings(s, bid, [record("a"), record("b")])
        out = verify_after_crawl(s, bid, None, res)
        assert out.still_live == [] and out.relisted == []
        assert s.scalar(select(ReviewDecision.id)) is None


# --- CLI -----------------------------------------------------------------------------------------------


def test_cli_submit_status_list_scorecard(sqlite_db: Engine) -> None:
    cid = _confirmed_case(sqlite_db)
    db = str(sqlite_db.url)

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, ["--db", db, *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert "3 listing(s) reported" in run(
        "takedown", "submit", str(cid), "--number", "IPP-77", "--actor", "lin"
    )
    out = run("takedown", "status", str(cid), "--set", "removed", "--actor", "lin")
    assert "removed" in out and "IPP-77" in out
    out = run(
        "takedown", "status", str(cid), "--set", "counter-notice", "--at", "2026-01-01", "--actor", "lin"
    )
    assert "deadline 2026-01-16" in out and "OVERDUE" in out
    data = json.loads(run("takedown", "list", "--overdue", "--format", "json"))
    assert [d["id"] for d in data] == [cid] and data[0]["overdue"]
    assert "IPP-77" in run("takedown", "list")
    data = json.loads(run("takedown", "scorecard", "--days", "0", "--format", "json"))
    assert data[0]["reported"] == 3 and data[0]["counter_noticed"] == 3
    assert "Good-Faith" in run("takedown", "scorecard", "--days", "0")
    result = CliRunner().invoke(cli, ["--db", db, "takedown", "submit", str(cid), "--number", "again"])
    assert result.exit_code == 2 and "cannot become submitted" in result.output
    result = CliRunner().invoke(cli, ["--db", db, "takedown", "status", "999"])
    assert result.exit_code == 2 and "no case 999" in result.output


def test_migration_0002_down_and_up(review_db: Engine) -> None:
    from sqlalchemy import inspect

    from storage.db import current_revision, downgrade, head_revision, upgrade

    cid = _confirmed_case(review_db)
    columns = {c["name"] for c in inspect(review_db).get_columns("case_listings")}
    assert {"outcome_at", "counter_notice_at"} <= columns
    downgrade(review_db, "0001")
    assert current_revision(review_db) == "0001"
    assert "counter_notice_at" not in {c["name"] for c in inspect(review_db).get_columns("case_listings")}
    upgrade(review_db)
    assert current_revision(review_db) == head_revision()
    with Session(review_db) as s:  # the links survived the round trip (batch mode copies the table)
        assert s.scalar(select(func.count()).select_from(CaseListing).where(CaseListing.case_id == cid)) == 3


def test_a_photo_many_taken_down_shops_show_ties_nobody(review_db: Engine) -> None:
    official = "0f0f0f0f0f0f0f0f"  # e.g. the brand's own photo, copied by every counterfeiter
    with Session(review_db) as s, s.begin():
        bid = brand_row(s)
        down = [record(f"d{i}", seller_id=f"shop{i}") for i in range(3)]
        ids = ids_of(add_listings(s, bid, down, phashes={f"d{i}": [official] for i in range(3)}), down)
        set_status(s, ids, "confirmed", actor="lin")
        set_status(s, ids, "reported", actor="lin")
        fresh = [record("n1", seller_id="stranger"), record("n2", seller_id="shop1")]
        res = add_listings(s, bid, fresh, phashes={"n1": [official], "n2": [official]}, seen_at=T0 + DAY)
        out = verify_after_crawl(s, bid, None, res)
        n1, n2 = ids_of(res, fresh)
        assert [(r.listing_id, r.relisted_from) for r in out.relisted] == [(n2, ids[1])]
        assert out.relisted[0].why[0].startswith("same seller taobao:shop1")
        assert "same photo" in out.relisted[0].why[1]
        lst = s.get(Listing, n1)
        assert lst is not None and lst.status == "new"
