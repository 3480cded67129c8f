"""Sellers: repeat offenders, and shops linked by sharing the same photos (one operator, several shops).

Photos are compared by the Hamming distance of their perceptual hashes (``ListingImage.phash``, hex).
Candidate pairs come from *banding*: the hash is cut into ``radius + 1`` bands, and two hashes within
``radius`` bits of each other must agree exactly on at least one band (pigeonhole), so only hashes
that share a band are compared. That keeps the work near-linear instead of all pairs.

Counterfeiters often reuse the brand's own official photos; those would link every shop that copies
them. Pass the hashes of the brand's reference images as ``exclude`` to leave them out.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storage.models import Listing, ListingImage, ListingStatus

S = ListingStatus

#: Default Hamming radius (bits of 64) under which two photos count as the same photo.
SAME_PHOTO_BITS = 6


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hex hashes of the same length."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _bands(hex_hash: str, n: int) -> list[tuple[int, int]]:
    bits = len(hex_hash) * 4
    value = int(hex_hash, 16)
    size = max(1, bits // n)
    out = []
    for b in range(n):
        lo = b * size
        width = size if b < n - 1 else bits - lo
        out.append((b, (value >> lo) & ((1 << width) - 1)))
    return out


def near_pairs(hashes: Sequence[tuple[int, str]], radius: int) -> Iterator[tuple[int, int, int]]:
    """``(i, j, distance)`` for every pair of entries ``(key, hex)`` within ``radius`` bits (i < j by index).

    ``i`` and ``j`` index into ``hashes``. Hashes of a different length are never compared.
    """
    buckets: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for idx, (_key, h) in enumerate(hashes):
        for band, value in _bands(h, radius + 1):
            buckets[(len(h), band, value)].append(idx)
    seen: set[tuple[int, int]] = set()
    for members in buckets.values():
        if len(members) < 2:
            continue
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                i, j = members[x], members[y]
                if (i, j) in seen:
                    continue
                seen.add((i, j))
                d = hamming(hashes[i][1], hashes[j][1])
                if d <= radius:
                    yield i, j, d


def excluded(h: str, exclude: Iterable[str], radius: int) -> bool:
    return any(len(e) == len(h) and hamming(h, e) <= radius for e in exclude)


# --- per seller --------------------------------------------------------------------------------------


@dataclass
class SellerRow:
    platform: str
    seller_id: str
    name: str | None
    listings: int = 0
    suspects: int = 0
    confirmed: int = 0  # confirmed by an analyst at some point (confirmed, reported, removed, …)
    reported: int = 0
    removed: int = 0
    relisted: int = 0
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    #: other shops that share photos with this one (``platform:seller_id``)
    linked: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.seller_id}"

    @property
    def repeat_offender(self) -> bool:
        """Came back after a takedown, or has several confirmed listings with one already reported."""
        return self.relisted > 0 or (self.reported + self.removed > 0 and self.confirmed >= 2)


CONFIRMED_LIKE = {S.confirmed, S.reported, S.removed, S.reinstated}


def seller_report(
    session: Session,
    brand_id: int | None = None,
    *,
    radius: int = SAME_PHOTO_BITS,
    exclude: Sequence[str] = (),
) -> list[SellerRow]:
    """Per seller: listings, suspects, confirmed, reported, removed and relisted; worst first.

    ``linked`` names the shops that share photos with it (see :func:`photo_groups`).
    """
    stmt = select(
        Listing.platform,
        Listing.seller_id,
        Listing.seller_name,
        Listing.suspect,
        Listing.status,
        Listing.first_seen,
        Listing.last_seen,
    ).where(Listing.seller_id.is_not(None))
    if brand_id is not None:
        stmt = stmt.where(Listing.brand_id == brand_id)
    rows: dict[tuple[str, str], SellerRow] = {}
    for platform, seller_id, name, suspect, status, first, last in session.execute(stmt):
        if seller_id is None:
            continue
        row = rows.get((platform, seller_id))
        if row is None:
            row = rows[(platform, seller_id)] = SellerRow(platform, seller_id, name)
        row.listings += 1
        row.suspects += bool(suspect)
        row.confirmed += status in CONFIRMED_LIKE
        row.reported += status == S.reported
        row.removed += status == S.removed
        row.relisted += status == S.relisted
        row.first_seen = min(filter(None, (row.first_seen, first)), default=None)
        row.last_seen = max(filter(None, (row.last_seen, last)), default=None)
        row.name = row.name or name
    out = [r for r in rows.values() if r.suspects or r.confirmed or r.relisted]
    for group in photo_groups(session, brand_id=brand_id, radius=radius, exclude=exclude):
        keys = [m.key for m in group.sellers]
        for member in group.sellers:
            if (member.platform, member.seller_id) in rows:
                rows[(member.platform, member.seller_id)].linked = [k for k in keys if k != member.key]
    out.sort(key=lambda r: (-(r.removed + r.reported + r.relisted), -r.confirmed, -r.suspects, r.key))
    return out


# --- sellers linked by photos ------------------------------------------------------------------------


@dataclass
class SellerRef:
    platform: str
    seller_id: str
    name: str | None

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.seller_id}"


@dataclass
class PhotoLink:
    listing_a: int
    listing_b: int
    distance: int


@dataclass
class SellerGroup:
    """Shops that share photos: likely one operator."""

    sellers: list[SellerRef]
    links: list[PhotoLink]

    @property
    def platforms(self) -> list[str]:
        return sorted({s.platform for s in self.sellers})


def photo_groups(
    session: Session,
    *,
    brand_id: int | None = None,
    radius: int = SAME_PHOTO_BITS,
    exclude: Sequence[str] = (),
) -> list[SellerGroup]:
    """Groups of two or more sellers whose suspect (or reviewed) listings share a photo.

    ``exclude``: phash hexes (e.g. the brand's own reference photos) that link nobody.
    """
    stmt = (
        select(ListingImage.phash, Listing.id, Listing.platform, Listing.seller_id, Listing.seller_name)
        .join(Listing, Listing.id == ListingImage.listing_id)
        .where(ListingImage.phash.is_not(None), Listing.seller_id.is_not(None))
        .where(or_(Listing.suspect.is_(True), Listing.status != S.new.value))
        .where(Listing.status != S.dismissed.value)
    )
    if brand_id is not None:
        stmt = stmt.where(Listing.brand_id == brand_id)
    entries: list[tuple[int, str]] = []
    owner: list[tuple[str, str]] = []
    names: dict[tuple[str, str], str | None] = {}
    for phash, lid, platform, seller_id, name in session.execute(stmt):
        if not phash or seller_id is None:
            continue
        if exclude and excluded(phash, exclude, radius):
            continue
        entries.append((lid, phash))
        owner.append((platform, seller_id))
        names.setdefault((platform, seller_id), name)
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(x: tuple[str, str]) -> tuple[str, str]:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    links: list[tuple[tuple[str, str], PhotoLink]] = []
    for i, j, d in near_pairs(entries, radius):
        a, b = owner[i], owner[j]
        if a == b:
            continue
        parent[find(a)] = find(b)
        links.append((a, PhotoLink(entries[i][0], entries[j][0], d)))
    members: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for key in list(parent):
        members[find(key)].add(key)
    group_links: dict[tuple[str, str], list[PhotoLink]] = defaultdict(list)
    for a, link in links:
        group_links[find(a)].append(link)
    groups = [
        SellerGroup(
            sellers=[SellerRef(p, s, names.get((p, s))) for p, s in sorted(keys)],
            links=sorted(group_links[root], key=lambda x: (x.distance, x.listing_a, x.listing_b)),
        )
        for root, keys in members.items()
        if len(keys) > 1
    ]
    groups.sort(key=lambda g: (-len(g.sellers), g.sellers[0].key))
    return groups
