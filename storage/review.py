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
from storage.models import Listing, ListingStatus, ReviewDecision, utcnow

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
