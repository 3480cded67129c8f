"""A listing with its score: what travels from the score pipeline (or ``markwatch ingest``) to storage.

The score is a typed field beside the :class:`~markwatch.listing.Listing`, not a key hidden in its
``raw``. :class:`Score` holds what the matchers' ``MatchResult.to_dict()`` gives, as plain data (it
crosses process boundaries from the scoring workers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any

from markwatch.listing import Listing


@dataclass
class Score:
    score: float
    suspect: bool
    mark_id: str | None
    reasons: list[dict[str, Any]] = field(default_factory=list)
    engine_version: str = ""
    explanation: str = ""
    #: the photos' hashes with their recipe, each with the ``path`` it was made from
    image_hashes: list[dict[str, Any]] = field(default_factory=list)
    #: contact ids (WeChat, QQ, mobile) the matcher found, ``{kind, value, found, field}``: stored per seller
    contacts: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Score:
        """From ``MatchResult.to_dict()``."""
        return cls(
            score=float(data["score"]),
            suspect=bool(data["suspect"]),
            mark_id=data.get("mark_id"),
            reasons=list(data.get("reasons") or []),
            engine_version=str(data.get("engine_version") or ""),
            explanation=str(data.get("explanation") or ""),
            image_hashes=list(data.get("image_hashes") or []),
            contacts=list(data.get("contacts") or []),
        )


@dataclass
class ScoredListing:
    """One sighting of a listing, scored or not, as the storage service takes it."""

    listing: Listing
    score: Score | None = None
    #: the item page showed the listing removed (a crawl's re-check): stored as proof, not as a sighting
    gone: bool = False
    #: when it was seen (None: when stored); files fed to ``markwatch ingest`` may say
    seen_at: dt.datetime | None = None

    def record(self) -> dict[str, Any]:
        """The listing as a flat record (a shallow copy of its fields), with ``seen_at`` when known."""
        out = {name: getattr(self.listing, name) for name in LISTING_FIELDS}
        if self.seen_at is not None:
            out["seen_at"] = self.seen_at
        if self.score is not None and self.score.contacts:
            out["contacts"] = self.score.contacts  # stored per seller by ingest (storage.contacts)
        return out


LISTING_FIELDS = tuple(f.name for f in fields(Listing))
