"""The review lifecycle of a listing: allowed status changes, each one kept with time, actor and note.

::

    new ──► confirmed ──► reported ──► removed ──► reinstated
     │  ╲       ▲  │          │  ▲        │            │
     │   ╲      │  ▼          ▼  │        ▼            ▼
     │    ► dismissed      reinstated   reported    reported / confirmed / dismissed
     ▼
   relisted ──► confirmed / dismissed

* ``confirmed`` / ``dismissed`` are the analyst's decisions (``markwatch review``);
* ``reported`` is set when a complaint is submitted (``markwatch takedown submit``), and goes back to
  ``confirmed`` when the platform rejects it;
* ``removed`` / ``reinstated`` follow the platform's answer (``markwatch takedown status``);
* ``relisted`` is set by :func:`storage.cases.verify_after_crawl` on a *new* listing that repeats a
  removed or reported one (same seller or same photos); the analyst then confirms or dismisses it.

Every change adds a :class:`~storage.models.ReviewDecision` row; nothing is ever overwritten. A change
the lifecycle does not allow raises :class:`TransitionError` (a one-line :class:`UserError`) and changes
nothing: a batch is applied entirely or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from markwatch.errors import NextStep, UserError
from storage.models import Listing, ListingStatus, ReviewDecision, SecondConfirmation, utcnow

S = ListingStatus

#: For each status, the statuses a listing may move to next.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.new: frozenset({S.confirmed, S.dismissed, S.relisted}),
    S.confirmed: frozenset({S.dismissed, S.reported}),
    S.dismissed: frozenset({S.confirmed}),
    S.reported: frozenset({S.removed, S.reinstated, S.confirmed}),
    S.removed: frozenset({S.reinstated, S.reported}),
    S.reinstated: frozenset({S.reported, S.confirmed, S.dismissed}),
    S.relisted: frozenset({S.confirmed, S.dismissed}),
}

#: The actor name markwatch uses for changes it makes itself (re-crawl checks).
SYSTEM_ACTOR = "markwatch"


class TransitionError(UserError):
    """A status change the lifecycle does not allow."""


def allowed(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def _explain(listing: Listing, to_status: str) -> str:
    nexts = sorted(TRANSITIONS.get(listing.status, frozenset()))
    options = ", ".join(nexts) if nexts else "nothing"
    return (
        f"listing {listing.id} ({listing.platform} {listing.item_id}) is {listing.status}: "
        f"it cannot become {to_status} (from {listing.status} it may become {options})"
    )


@dataclass
class ChangeResult:
    changed: list[int] = field(default_factory=list)
    #: listings already in the wanted status (left alone)
    unchanged: list[int] = field(default_factory=list)


def set_status(
    session: Session,
    listing_ids: Iterable[int],
    to_status: str | ListingStatus,
    *,
    actor: str,
    note: str | None = None,
    at: dt.datetime | None = None,
    skip_same: bool = True,
) -> ChangeResult:
    """Move every listing in ``listing_ids`` to ``to_status``, recording who, when and why; never commits.

    All-or-nothing: if any listing cannot make the change, :class:`TransitionError` names it and no
    listing is touched. A listing already in ``to_status`` is left alone (and reported as unchanged)
    unless ``skip_same`` is false, in which case that too is an error.
    """
    target = ListingStatus(to_status).value
    if not actor or not actor.strip():
        raise UserError("say who made the change (a name)", param="actor")
    ids = list(dict.fromkeys(int(i) for i in listing_ids))
    if not ids:
        return ChangeResult()
    listings = {row.id: row for row in session.scalars(select(Listing).where(Listing.id.in_(ids)))}
    missing = [i for i in ids if i not in listings]
    if missing:
        shown = ", ".join(str(i) for i in missing[:10])
        raise UserError(f"no listing with id {shown}", next_step=NextStep.list_listings)
    result = ChangeResult()
    problems: list[str] = []
    for i in ids:
        listing = listings[i]
        if listing.status == target and skip_same:
            result.unchanged.append(i)
        elif not allowed(listing.status, target):
            problems.append(_explain(listing, target))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise TransitionError(problems[0] + more)
    when = at or utcnow()
    for i in ids:
        if i in result.unchanged:
            continue
        listing = listings[i]
        session.add(
            ReviewDecision(
                listing_id=i,
                at=when,
                actor=actor.strip(),
                from_status=listing.status,
                to_status=target,
                note=note,
            )
        )
        listing.status = target
        listing.status_at = when
        result.changed.append(i)
    session.flush()
    return result


def confirm(
    session: Session, listing_ids: Sequence[int], *, actor: str, note: str | None = None
) -> ChangeResult:
    return set_status(session, listing_ids, S.confirmed, actor=actor, note=note)


def dismiss(
    session: Session, listing_ids: Sequence[int], *, actor: str, note: str | None = None
) -> ChangeResult:
    return set_status(session, listing_ids, S.dismissed, actor=actor, note=note)


def history(session: Session, listing_id: int) -> list[ReviewDecision]:
    """Every status change of one listing, oldest first."""
    return list(
        session.scalars(
            select(ReviewDecision)
            .where(ReviewDecision.listing_id == listing_id)
            .order_by(ReviewDecision.at, ReviewDecision.id)
        )
    )


def set_reason(session: Session, listing_ids: Sequence[int], reason: str | None) -> None:
    """The analyst's complaint reason for these listings (``markwatch review --confirm --reason``).

    Kept in its own column (:attr:`Listing.review_reason`): crawls never write it.
    """
    ids = list(listing_ids)
    for i in range(0, len(ids), 500):
        for lst in session.scalars(select(Listing).where(Listing.id.in_(ids[i : i + 500]))):
            lst.review_reason = reason
    session.flush()


def undo_last(
    session: Session, listing_id: int, *, actor: str, at: dt.datetime | None = None
) -> ReviewDecision:
    """Take back the latest decision on a listing: a new decision back to the status it came from.

    Only a person's own confirm or dismiss can be undone, and only while it is still the latest change
    of the listing (a case or a re-crawl since then has moved it on). Nothing is erased: the undo is
    one more row of the history, noted ``undo of #N``. Never commits.
    """
    if not actor or not actor.strip():
        raise UserError("say who made the change (a name)", param="actor")
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise UserError(f"no listing with id {listing_id}", next_step=NextStep.list_listings)
    last = session.scalars(
        select(ReviewDecision)
        .where(ReviewDecision.listing_id == listing_id)
        .order_by(ReviewDecision.at.desc(), ReviewDecision.id.desc())
        .limit(1)
    ).first()
    if last is None or last.from_status is None:
        raise UserError(f"listing {listing_id} has no decision to undo")
    if last.to_status not in (S.confirmed, S.dismissed) or last.to_status != listing.status:
        raise UserError(
            f"listing {listing_id} is {listing.status} since its latest change ({last.to_status}): "
            "only a confirm or dismiss that is still the latest change can be undone"
        )
    if last.actor != actor.strip():
        raise UserError(f"listing {listing_id}: the latest decision is {last.actor}'s, not yours to undo")
    when = at or utcnow()
    undo = ReviewDecision(
        listing_id=listing_id,
        at=max(when, last.at),
        actor=actor.strip(),
        from_status=listing.status,
        to_status=last.from_status,
        note=f"undo of #{last.id}",
    )
    session.add(undo)
    listing.status = last.from_status
    listing.status_at = undo.at
    session.flush()
    return undo


# --- four-eyes rule (brand YAML ``review: {four_eyes: true}``) -----------------------------------------


def latest_confirmations(session: Session, listing_ids: Sequence[int]) -> dict[int, ReviewDecision]:
    """For each listing, the decision that made it confirmed most recently."""
    out: dict[int, ReviewDecision] = {}
    ids = list(listing_ids)
    for i in range(0, len(ids), 500):
        rows = session.scalars(
            select(ReviewDecision)
            .where(ReviewDecision.listing_id.in_(ids[i : i + 500]))
            .where(ReviewDecision.to_status == S.confirmed.value)
            .order_by(ReviewDecision.at, ReviewDecision.id)
        )
        for d in rows:
            out[d.listing_id] = d
    return out


def second_confirm(
    session: Session, listing_id: int, *, actor: str, at: dt.datetime | None = None
) -> SecondConfirmation:
    """A second analyst agrees with the confirmation of a listing (four-eyes rule); never commits."""
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise UserError(f"no listing with id {listing_id}")
    if listing.status != S.confirmed:
        raise UserError(
            f"listing {listing_id} is {listing.status}: only a confirmed listing needs a second look"
        )
    decision = latest_confirmations(session, [listing_id]).get(listing_id)
    assert decision is not None  # a confirmed listing has the decision that confirmed it
    if decision.actor == actor.strip():
        raise UserError(f"listing {listing_id}: you confirmed it; a second analyst must agree")
    existing = session.scalars(
        select(SecondConfirmation).where(
            SecondConfirmation.decision_id == decision.id, SecondConfirmation.actor == actor.strip()
        )
    ).first()
    if existing is not None:
        return existing
    row = SecondConfirmation(
        listing_id=listing_id, decision_id=decision.id, actor=actor.strip(), at=at or utcnow()
    )
    session.add(row)
    session.flush()
    return row


def four_eyes_missing(session: Session, listing_ids: Sequence[int]) -> list[int]:
    """Of these confirmed listings, those whose latest confirmation no second analyst has agreed with."""
    decisions = latest_confirmations(session, listing_ids)
    seconded: set[int] = set()
    ids = [d.id for d in decisions.values()]
    for i in range(0, len(ids), 500):
        for decision_id, second_actor, first_actor in session.execute(
            select(SecondConfirmation.decision_id, SecondConfirmation.actor, ReviewDecision.actor)
            .join(ReviewDecision, ReviewDecision.id == SecondConfirmation.decision_id)
            .where(SecondConfirmation.decision_id.in_(ids[i : i + 500]))
        ):
            if second_actor != first_actor:
                seconded.add(decision_id)
    return [lid for lid in listing_ids if lid not in decisions or decisions[lid].id not in seconded]
