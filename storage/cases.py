"""Takedown cases: one complaint to one platform about one registered right, its links and its outcome.

Case lifecycle (``takedown_cases.status``; every change is a :class:`~storage.models.CaseEvent`)::

    draft ──submit──► submitted ──► removed ──► counter-notice ──► reinstated
                          │  ╲                       │   ▲
                          │   ► rejected             ▼   │
                          └────► counter-notice ──► removed

* ``takedown export`` creates **draft** cases; the listings stay ``confirmed``.
* ``takedown submit CASE --number N`` is *the* moment a complaint counts as filed: the case becomes
  ``submitted`` with the platform's complaint number and date, and its listings become ``reported``.
* ``removed`` → listings ``removed``; ``rejected`` → listings back to ``confirmed`` (to strengthen or
  dismiss); ``reinstated`` → listings ``reinstated``.
* ``counter-notice`` sets the case's deadline to the notice date + 15 days (E-Commerce Law Art. 43:
  the measures end unless the rights holder reports a complaint or lawsuit within 15 days). Recording
  that action (``action_filed``) clears the deadline; a deadline passed with none is *overdue*.

The next crawl calls :func:`verify_after_crawl`: a reported or removed listing seen live again is
flagged, and a new listing from the same seller or with the same photos as a reported or removed one
becomes ``relisted``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from markwatch.errors import NextStep, UserError
from storage.ingest import IngestResult
from storage.models import (
    CaseEvent,
    CaseListing,
    CaseStatus,
    Listing,
    ListingImage,
    ListingStatus,
    ReviewDecision,
    TakedownCase,
    utcnow,
)
from storage.review import SYSTEM_ACTOR, set_status
from storage.sellers import SAME_PHOTO_BITS, near_pairs

C = CaseStatus
L = ListingStatus

#: E-Commerce Law Art. 43: days the rights holder has after a counter-notice to file a complaint or suit.
COUNTER_NOTICE_DAYS = 15

#: Days after submission with no answer before a case is flagged as waiting too long. Alibaba sellers
#: answer within about 3 working days; JD processes within 10 working days (``shared/docs/domain.md``);
#: Weibo "some days". These are our reading of those figures, not platform rules.
ANSWER_EXPECTED_DAYS = {"taobao": 7, "tmall": 7, "jd": 14, "weibo": 10}

#: A photo shown by this many taken-down shops is generic (the brand's own, copied by many): it links
#: a new listing to a taken-down one only when the seller is the same too.
GENERIC_PHOTO_SHOPS = 3

#: Alibaba Good-Faith programme bounds, per reason code over 3 months.
GOOD_FAITH_MIN_REMOVED = 0.90
GOOD_FAITH_MAX_COUNTER = 0.05
GOOD_FAITH_WINDOW_DAYS = 90

CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    C.draft: frozenset({C.submitted}),
    C.submitted: frozenset({C.removed, C.rejected, C.counter_notice}),
    C.removed: frozenset({C.counter_notice}),
    C.counter_notice: frozenset({C.removed, C.reinstated}),
    C.rejected: frozenset(),
    C.reinstated: frozenset(),
}

#: How a case's new status moves its listings: to-status, and the listing statuses that move.
LISTING_EFFECT: dict[str, tuple[str, frozenset[str]]] = {
    C.submitted: (L.reported, frozenset({L.confirmed, L.reinstated, L.removed})),
    C.removed: (L.removed, frozenset({L.reported})),
    C.rejected: (L.confirmed, frozenset({L.reported})),
    C.reinstated: (L.reinstated, frozenset({L.reported, L.removed})),
}


def _today(now: dt.datetime | None) -> dt.date:
    return (now or utcnow()).date()


def get_case(session: Session, case_id: int) -> TakedownCase:
    case = session.get(TakedownCase, case_id)
    if case is None:
        raise UserError(f"no case {case_id}", next_step=NextStep.list_cases)
    return case


def create_case(
    session: Session,
    *,
    brand_id: int,
    platform: str,
    mark_key: str,
    reason: str,
    listing_ids: Sequence[int],
    package_dir: str | None = None,
    actor: str = SYSTEM_ACTOR,
    note: str | None = None,
    at: dt.datetime | None = None,
) -> TakedownCase:
    """A draft case with its links; never commits."""
    when = at or utcnow()
    case = TakedownCase(
        brand_id=brand_id,
        platform=platform,
        mark_key=mark_key,
        reason=reason,
        status=C.draft.value,
        package_dir=package_dir,
        created_at=when,
        status_at=when,
        note=note,
    )
    case.links = [CaseListing(listing_id=i) for i in dict.fromkeys(listing_ids)]
    case.events = [CaseEvent(at=when, actor=actor, from_status=None, to_status=C.draft.value, note=note)]
    session.add(case)
    session.flush()
    return case


def set_case_status(
    session: Session,
    case_id: int,
    to_status: str | CaseStatus,
    *,
    actor: str,
    note: str | None = None,
    at: dt.datetime | None = None,
    number: str | None = None,
    listing_ids: Sequence[int] | None = None,
) -> TakedownCase:
    """Move a case to ``to_status`` and its listings with it; never commits.

    ``listing_ids`` limits the listing outcome to some links (a platform may remove some links of a
    complaint and not others); the case status still changes.
    """
    try:
        target = CaseStatus(to_status).value
    except ValueError:
        raise UserError(
            f"unknown case status {to_status!r}: use one of {', '.join(s.value for s in CaseStatus)}"
        ) from None
    case = get_case(session, case_id)
    if target not in CASE_TRANSITIONS[case.status]:
        nexts = ", ".join(sorted(CASE_TRANSITIONS[case.status])) or "nothing (it is closed)"
        raise UserError(f"case {case.id} is {case.status}: it cannot become {target} (it may become {nexts})")
    when = at or utcnow()
    if target == C.submitted:
        if not number or not number.strip():
            raise UserError(f"case {case.id}: give the platform's complaint number", param="number")
        case.complaint_number = number.strip()
        case.submitted_at = when
    links = {link.listing_id: link for link in case.links}
    chosen = list(links) if listing_ids is None else list(dict.fromkeys(listing_ids))
    strangers = [i for i in chosen if i not in links]
    if strangers:
        raise UserError(f"listing {strangers[0]} is not in case {case.id}")
    effect = LISTING_EFFECT.get(target)
    if effect is not None:
        listing_status, movable = effect
        listings = session.scalars(select(Listing).where(Listing.id.in_(chosen))).all()
        moving = [lst.id for lst in listings if lst.status in movable]
        label = f"case {case.id} ({case.platform}"
        label += f" #{case.complaint_number})" if case.complaint_number else ")"
        set_status(
            session,
            moving,
            listing_status,
            actor=actor,
            note=f"{label} {target}" + (f": {note}" if note else ""),
            at=when,
        )
        if target != C.submitted:
            for i in chosen:
                links[i].outcome = target
                links[i].outcome_at = when
    if target == C.counter_notice:
        case.deadline = (when + dt.timedelta(days=COUNTER_NOTICE_DAYS)).date()
        for i in chosen:
            links[i].outcome = C.counter_notice.value
            links[i].counter_notice_at = when
    elif target in (C.removed, C.reinstated):
        case.deadline = None
    case.events.append(CaseEvent(at=when, actor=actor, from_status=case.status, to_status=target, note=note))
    case.status = target
    case.status_at = when
    session.flush()
    return case


def submit_case(
    session: Session, case_id: int, number: str, *, actor: str, at: dt.datetime | None = None
) -> TakedownCase:
    """Record that the complaint was filed: complaint number, date; listings become reported."""
    return set_case_status(session, case_id, C.submitted, actor=actor, number=number, at=at)


def action_filed(
    session: Session, case_id: int, *, actor: str, note: str, at: dt.datetime | None = None
) -> TakedownCase:
    """The rights holder answered a counter-notice with a complaint or lawsuit (Art. 43): deadline met."""
    case = get_case(session, case_id)
    if case.status != C.counter_notice:
        raise UserError(
            f"case {case.id} is {case.status}: only a counter-notice case has an Art. 43 deadline"
        )
    when = at or utcnow()
    case.events.append(
        CaseEvent(
            at=when,
            actor=actor,
            from_status=case.status,
            to_status=case.status,
            note=f"action filed (deadline {case.deadline}): {note}",
        )
    )
    case.deadline = None
    session.flush()
    return case


# --- listing and deadlines ---------------------------------------------------------------------------


@dataclass
class CaseRow:
    id: int
    platform: str
    mark_key: str
    reason: str
    status: str
    complaint_number: str | None
    links: int
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    deadline: dt.date | None
    package_dir: str | None
    alerts: list[str] = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        return any(a.startswith("OVERDUE") for a in self.alerts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "platform": self.platform,
            "mark": self.mark_key,
            "reason": self.reason,
            "status": self.status,
            "complaint_number": self.complaint_number,
            "links": self.links,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "submitted_at": self.submitted_at.isoformat(timespec="seconds") if self.submitted_at else None,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "overdue": self.overdue,
            "alerts": self.alerts,
        }


def case_alerts(case: TakedownCase, today: dt.date) -> list[str]:
    alerts: list[str] = []
    if case.status == C.counter_notice and case.deadline is not None:
        left = (case.deadline - today).days
        if left < 0:
            alerts.append(
                f"OVERDUE: the Art. 43 deadline passed on {case.deadline} with no complaint or suit recorded"
            )
        else:
            alerts.append(f"{left} day(s) left to file a complaint or suit (Art. 43, until {case.deadline})")
    if case.status == C.submitted and case.submitted_at is not None:
        waited = (today - case.submitted_at.date()).days
        expected = ANSWER_EXPECTED_DAYS.get(case.platform, 10)
        if waited > expected:
            alerts.append(
                f"OVERDUE: no answer {waited} days after submission (expected within {expected}): chase it"
            )
    if case.status == C.draft:
        alerts.append("draft: file it on the platform, then `markwatch takedown submit`")
    return alerts


def list_cases(
    session: Session,
    *,
    brand_id: int | None = None,
    platform: str | None = None,
    status: str | None = None,
    overdue_only: bool = False,
    now: dt.datetime | None = None,
) -> list[CaseRow]:
    stmt = select(TakedownCase).options(selectinload(TakedownCase.links)).order_by(TakedownCase.id)
    if brand_id is not None:
        stmt = stmt.where(TakedownCase.brand_id == brand_id)
    if platform:
        stmt = stmt.where(TakedownCase.platform == platform)
    if status:
        stmt = stmt.where(TakedownCase.status == status)
    today = _today(now)
    rows = [
        CaseRow(
            id=c.id,
            platform=c.platform,
            mark_key=c.mark_key,
            reason=c.reason,
            status=c.status,
            complaint_number=c.complaint_number,
            links=len(c.links),
            created_at=c.created_at,
            submitted_at=c.submitted_at,
            deadline=c.deadline,
            package_dir=c.package_dir,
            alerts=case_alerts(c, today),
        )
        for c in session.scalars(stmt)
    ]
    return [r for r in rows if r.overdue] if overdue_only else rows


# --- scorecard -----------------------------------------------------------------------------------------


@dataclass
class ScoreRow:
    platform: str
    reason: str
    cases: int = 0
    reported: int = 0  # links in submitted (or later) cases
    decided: int = 0  # links with an outcome
    removed: int = 0
    counter_noticed: int = 0
    reinstated: int = 0  # counter-notices that succeeded (the listing came back up)
    rejected: int = 0

    @property
    def removed_share(self) -> float | None:
        return self.removed / self.decided if self.decided else None

    @property
    def counter_share(self) -> float | None:
        return self.reinstated / self.decided if self.decided else None

    @property
    def within_bounds(self) -> bool | None:
        """Against Alibaba's Good-Faith bounds; None before any outcome."""
        if not self.decided:
            return None
        assert self.removed_share is not None and self.counter_share is not None
        return self.removed_share >= GOOD_FAITH_MIN_REMOVED and self.counter_share <= GOOD_FAITH_MAX_COUNTER

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "reason": self.reason,
            "cases": self.cases,
            "reported": self.reported,
            "decided": self.decided,
            "removed": self.removed,
            "counter_noticed": self.counter_noticed,
            "reinstated": self.reinstated,
            "rejected": self.rejected,
            "removed_share": self.removed_share,
            "counter_success_share": self.counter_share,
            "within_good_faith": self.within_bounds,
        }


def scorecard(
    session: Session,
    *,
    brand_id: int | None = None,
    days: int | None = GOOD_FAITH_WINDOW_DAYS,
    now: dt.datetime | None = None,
) -> list[ScoreRow]:
    """Per platform and reason, over cases submitted in the last ``days`` (all when None).

    A link's final outcome counts: ``removed`` (a counter-notice that failed ends as removed),
    ``reinstated`` (a counter-notice that succeeded), ``rejected``. ``counter_noticed`` counts the
    links a seller counter-noticed (``CaseListing.counter_notice_at``), decided or not; the
    counter-notice success share is reinstated links over decided links.
    """
    stmt = (
        select(TakedownCase)
        .options(selectinload(TakedownCase.links))
        .where(TakedownCase.submitted_at.is_not(None))
    )
    if brand_id is not None:
        stmt = stmt.where(TakedownCase.brand_id == brand_id)
    if days is not None:
        stmt = stmt.where(TakedownCase.submitted_at >= (now or utcnow()) - dt.timedelta(days=days))
    rows: dict[tuple[str, str], ScoreRow] = {}
    for case in session.scalars(stmt):
        row = rows.setdefault((case.platform, case.reason), ScoreRow(case.platform, case.reason))
        row.cases += 1
        for link in case.links:
            row.reported += 1
            outcome = link.outcome
            if outcome == C.removed:
                row.removed += 1
                row.decided += 1
            elif outcome == C.reinstated:
                row.reinstated += 1
                row.decided += 1
            elif outcome == C.rejected:
                row.rejected += 1
                row.decided += 1
            if link.counter_notice_at is not None:
                row.counter_noticed += 1
    return sorted(rows.values(), key=lambda r: (r.platform, r.reason))


# --- after each crawl ----------------------------------------------------------------------------------


@dataclass
class Relisting:
    listing_id: int
    relisted_from: int
    why: list[str]


@dataclass
class VerifyResult:
    #: reported or removed listings this crawl saw live
    still_live: list[int] = field(default_factory=list)
    relisted: list[Relisting] = field(default_factory=list)


TAKEN_DOWN = (L.reported.value, L.removed.value)


def verify_after_crawl(
    session: Session,
    brand_id: int | None,
    run_id: int | None,
    ingest_result: IngestResult,
    now: dt.datetime | None = None,
    *,
    radius: int = SAME_PHOTO_BITS,
) -> VerifyResult:
    """Check a crawl's listings against the takedowns; never commits. Call it after each ingest batch.

    1. **Still live.** Every listing this crawl saw live (``ingest_result.ids``, which includes
       ``reappeared_ids``, and still ``live`` after the crawl — an item page that showed removal
       makes it not live) whose status is ``reported`` or ``removed``, or that is linked to a case
       whose status is ``removed``, is flagged: the ``Listing.seen_after_takedown_*`` columns record
       the run, the time, the status and how many sightings, and each open case it belongs to gets
       a :class:`CaseEvent` note.
    2. **Re-listed.** Every *new* listing (``ingest_result.new_ids``) of this brand from the same
       ``(platform, seller_id)`` as a reported or removed listing, or with a photo whose phash is within
       ``radius`` bits of one of theirs (any platform), becomes ``relisted`` with ``relisted_from`` set
       and a :class:`ReviewDecision` by ``markwatch`` whose note names the earlier listing and why.
       ``relisted_from`` is, in order: the same shop's taken-down listing with the same photo; the
       same shop's latest taken-down listing; another shop's taken-down listing with the same photo —
       unless that photo is shown by :data:`GENERIC_PHOTO_SHOPS` or more taken-down shops (the brand's
       own photo, copied by many), which ties nobody. Photos must be stored (``ListingImage``) before
       this is called for the photo check to see them.
    """
    when = now or utcnow()
    result = VerifyResult()
    seen = list(dict.fromkeys([*ingest_result.ids.values(), *ingest_result.reappeared_ids]))
    if seen:
        _flag_still_live(session, seen, run_id, when, result)
    if ingest_result.new_ids:
        _find_relistings(session, brand_id, list(ingest_result.new_ids), run_id, when, radius, result)
    session.flush()
    return result


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _flag_still_live(
    session: Session, seen: list[int], run_id: int | None, when: dt.datetime, result: VerifyResult
) -> None:
    for chunk in _chunks(seen):
        cased = {
            lid: case
            for lid, case in session.execute(
                select(CaseListing.listing_id, TakedownCase)
                .join(TakedownCase, TakedownCase.id == CaseListing.case_id)
                .where(CaseListing.listing_id.in_(chunk))
                .where(TakedownCase.status.in_((C.submitted, C.removed, C.counter_notice)))
            )
        }
        listings = session.scalars(
            select(Listing)
            .where(Listing.id.in_(chunk), Listing.live.is_(True))
            .where(Listing.status.in_(TAKEN_DOWN))
        ).all()
        by_id = {lst.id: lst for lst in listings}
        for lid in cased:
            if lid not in by_id:
                extra = session.get(Listing, lid)
                if extra is not None and extra.live and cased[lid].status == C.removed:
                    by_id[lid] = extra
        for lid, lst in sorted(by_id.items()):
            same_status = lst.seen_after_takedown_status == lst.status
            if not same_status or lst.seen_after_takedown_first_at is None:
                lst.seen_after_takedown_first_at = when
            lst.seen_after_takedown_at = when
            lst.seen_after_takedown_status = lst.status
            lst.seen_after_takedown_run_id = run_id
            lst.seen_after_takedown_count = (lst.seen_after_takedown_count or 0) + 1
            result.still_live.append(lid)
            case = cased.get(lid)
            # one case event when a listing is first seen live in this status, not one per crawl
            if case is not None and not same_status:
                case.events.append(
                    CaseEvent(
                        at=when,
                        actor=SYSTEM_ACTOR,
                        from_status=case.status,
                        to_status=case.status,
                        note=f"listing {lid} ({lst.platform} {lst.item_id}) seen live in crawl run {run_id}",
                    )
                )


def _find_relistings(
    session: Session,
    brand_id: int | None,
    new_ids: list[int],
    run_id: int | None,
    when: dt.datetime,
    radius: int,
    result: VerifyResult,
) -> None:
    down_stmt = select(Listing).where(Listing.status.in_(TAKEN_DOWN))
    if brand_id is not None:
        down_stmt = down_stmt.where(Listing.brand_id == brand_id)
    down = session.scalars(down_stmt.order_by(Listing.status_at.desc().nulls_last(), Listing.id)).all()
    if not down:
        return
    by_seller: dict[tuple[str, str], Listing] = {}
    for lst in down:
        if lst.seller_id:
            by_seller.setdefault((lst.platform, lst.seller_id), lst)
    down_ids = {lst.id: lst for lst in down}
    new_listings: dict[int, Listing] = {}
    for chunk in _chunks(new_ids):
        for lst in session.scalars(select(Listing).where(Listing.id.in_(chunk))):
            if lst.status == L.new and (brand_id is None or lst.brand_id == brand_id):
                new_listings[lst.id] = lst
    if not new_listings:
        return
    # photos: new listings' hashes against the taken-down listings' hashes, each distinct hash once
    down_by_hash: dict[str, list[int]] = defaultdict(list)
    new_by_hash: dict[str, list[int]] = defaultdict(list)
    for ids, target in ((list(down_ids), down_by_hash), (list(new_listings), new_by_hash)):
        for chunk in _chunks(ids):
            for lid, phash in session.execute(
                select(ListingImage.listing_id, ListingImage.phash).where(
                    ListingImage.listing_id.in_(chunk), ListingImage.phash.is_not(None)
                )
            ):
                if phash and lid not in target[phash]:
                    target[phash].append(lid)

    def shops(h: str) -> set[tuple[str, str | None]]:
        return {(down_ids[i].platform, down_ids[i].seller_id) for i in down_by_hash[h]}

    # A photo that several taken-down shops show (typically the brand's own official photo, which
    # counterfeiters copy) does not tie a new shop to any one of them; the same seller still counts.
    generic = {h for h in down_by_hash if len(shops(h)) >= GENERIC_PHOTO_SHOPS}
    # per new listing: (distance, earlier id) of the closest photo from the same seller, and from anyone
    same_shop_hit: dict[int, tuple[int, int]] = {}
    any_hit: dict[int, tuple[int, int]] = {}

    def record_hit(new_hash: str, old_hash: str, d: int) -> None:
        for new_id in new_by_hash.get(new_hash, ()):
            new = new_listings[new_id]
            for old_id in down_by_hash[old_hash][:1000]:
                old = down_ids[old_id]
                if new.seller_id and (old.platform, old.seller_id) == (new.platform, new.seller_id):
                    if new_id not in same_shop_hit or (d, old_id) < same_shop_hit[new_id]:
                        same_shop_hit[new_id] = (d, old_id)
                    break
            if old_hash not in generic and (
                new_id not in any_hit or (d, down_by_hash[old_hash][0]) < any_hit[new_id]
            ):
                any_hit[new_id] = (d, down_by_hash[old_hash][0])

    if down_by_hash and new_by_hash:
        for h in new_by_hash:
            if h in down_by_hash:
                record_hit(h, h, 0)
        distinct = list(enumerate(set(down_by_hash) | set(new_by_hash)))
        for i, j, d in near_pairs(distinct, radius):
            a, b = distinct[i][1], distinct[j][1]
            if b in down_by_hash:
                record_hit(a, b, d)
            if a in down_by_hash:
                record_hit(b, a, d)
    for lid, lst in sorted(new_listings.items()):
        why: list[str] = []
        earlier: Listing | None = None
        seller = f"same seller {lst.platform}:{lst.seller_id} ({lst.seller_name or 'no name'})"
        if lid in same_shop_hit:  # the strongest sign: the same shop with the same photo
            d, old_id = same_shop_hit[lid]
            earlier = down_ids[old_id]
            why = [seller, f"same photo as listing {old_id} (phash distance {d} bits)"]
        elif lst.seller_id and (lst.platform, lst.seller_id) in by_seller:
            earlier = by_seller[(lst.platform, lst.seller_id)]
            why = [seller]
            if lid in any_hit:
                d, old_id = any_hit[lid]
                why.append(f"same photo as listing {old_id} (phash distance {d} bits)")
        elif lid in any_hit:
            d, old_id = any_hit[lid]
            earlier = down_ids[old_id]
            why = [f"same photo as listing {old_id} (phash distance {d} bits), another shop"]
        if earlier is None:
            continue
        note = (
            f"re-listing of listing {earlier.id} ({earlier.platform} {earlier.item_id}, "
            f"{earlier.status}): " + "; ".join(why) + (f" (crawl run {run_id})" if run_id else "")
        )
        session.add(
            ReviewDecision(
                listing_id=lid,
                at=when,
                actor=SYSTEM_ACTOR,
                from_status=lst.status,
                to_status=L.relisted.value,
                note=note,
            )
        )
        lst.status = L.relisted.value
        lst.status_at = when
        lst.relisted_from = earlier.id
        result.relisted.append(Relisting(lid, earlier.id, why))


def events(session: Session, case_id: int) -> list[CaseEvent]:
    return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)))


def cases_by_listing(session: Session, listing_ids: Sequence[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for chunk in _chunks(list(listing_ids)):
        for lid, cid in session.execute(
            select(CaseListing.listing_id, CaseListing.case_id).where(CaseListing.listing_id.in_(chunk))
        ):
            out[lid].append(cid)
    return dict(out)
