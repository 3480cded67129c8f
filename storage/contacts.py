"""Contact ids per seller: stored from the matcher's ``contacts`` where listings are stored.

The matcher (:mod:`matchers.contacts`) reads WeChat ids, QQ numbers and mobile numbers from titles,
post texts and shop names and puts them in its result (``contacts``: ``{kind, value, found, field}``).
:func:`store_contacts` keeps one row per seller and id (``seller_contacts``): the first listing it was
seen in, first and last seen. :func:`storage.sellers.contact_groups` links the sellers that share one.
Ingest calls :func:`record_contacts` + :func:`store_contacts` for every batch; any other storage path
can call them the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.orm import Session

from storage.models import SellerContact, utcnow

KINDS = frozenset({"wechat", "qq", "phone"})
CHUNK = 500


class SellerContacts(NamedTuple):
    platform: str
    seller_id: str
    seller_ref: int | None
    listing_id: int | None
    contacts: Sequence[Mapping[str, Any]]


def record_contacts(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The contact ids a listing record carries: ``contacts`` (``markwatch match`` output) or the match
    result the crawl put in ``raw.markwatch_match``. Malformed entries are left out."""
    found = record.get("contacts")
    if found is None:
        raw = record.get("raw")
        match = raw.get("markwatch_match") if isinstance(raw, Mapping) else None
        found = match.get("contacts") if isinstance(match, Mapping) else None
    if not isinstance(found, list):
        return []
    return [
        c
        for c in found
        if isinstance(c, Mapping)
        and c.get("kind") in KINDS
        and isinstance(c.get("value"), str)
        and 0 < len(c["value"]) <= 64
    ]


def store_contacts(session: Session, items: Iterable[SellerContacts], now: dt.datetime | None = None) -> int:
    """Insert the new (seller, id) pairs and move ``last_seen`` of the known ones; returns how many were
    new. Never commits."""
    now = now or utcnow()
    wanted: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for item in items:
        for c in item.contacts:
            key = (item.platform, item.seller_id, str(c["kind"]), str(c["value"]))
            wanted.setdefault(
                key,
                {
                    "platform": item.platform,
                    "seller_id": item.seller_id,
                    "seller_ref": item.seller_ref,
                    "kind": key[2],
                    "value": key[3],
                    "found": str(c.get("found") or "")[:100] or None,
                    "field": str(c.get("field") or "")[:20] or None,
                    "listing_id": item.listing_id,
                    "first_seen": now,
                    "last_seen": now,
                },
            )
    if not wanted:
        return 0
    keys = list(wanted)
    known: dict[tuple[str, str, str, str], int] = {}
    for i in range(0, len(keys), CHUNK):
        chunk = keys[i : i + CHUNK]
        rows = session.execute(
            select(
                SellerContact.id,
                SellerContact.platform,
                SellerContact.seller_id,
                SellerContact.kind,
                SellerContact.value,
            ).where(
                tuple_(
                    SellerContact.platform, SellerContact.seller_id, SellerContact.kind, SellerContact.value
                ).in_(chunk)
            )
        )
        for cid, platform, seller_id, kind, value in rows:
            known[(platform, seller_id, kind, value)] = cid
    fresh = [wanted[k] for k in keys if k not in known]
    if fresh:
        session.execute(insert(SellerContact), fresh)
    ids = list(known.values())
    for i in range(0, len(ids), CHUNK):
        session.execute(
            update(SellerContact).where(SellerContact.id.in_(ids[i : i + CHUNK])).values(last_seen=now)
        )
    return len(fresh)
