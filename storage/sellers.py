"""Sellers: repeat offenders, and shops linked by sharing the same photos or the same contact id (one
operator, several shops — across platforms).

Photos are compared by the Hamming distance of their perceptual hashes (``ListingImage.phash``, hex).
Candidate pairs come from multi-index hashing (:func:`near_pairs`): the hash is cut into bands, and
two hashes within ``radius`` bits must be within ``radius // bands`` bits on at least one band, so
only hashes found that way are compared. ``bench/bench_relink.py`` measures it against all pairs.

Counterfeiters often reuse the brand's own official photos; those would link every shop that copies
them. Pass the hashes of the brand's reference images as ``exclude`` to leave them out.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storage.models import Listing, ListingImage, ListingStatus, Seller

S = ListingStatus

#: Default Hamming radius (bits of 64) under which two photos count as the same photo.
SAME_PHOTO_BITS = 6
#: Example photo links kept per group of shops (the closest first).
MAX_LINKS_SHOWN = 50


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hex hashes of the same length."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


#: Bits per band of the multi-index search (64-bit hashes make 4 bands).
BAND_BITS = 16


def _band_layout(bits: int) -> list[tuple[int, int]]:
    """(shift, width) of each band of a ``bits``-bit hash."""
    n = max(1, bits // BAND_BITS)
    size = bits // n
    return [(b * size, size if b < n - 1 else bits - b * size) for b in range(n)]


@lru_cache(maxsize=64)
def _flip_masks(width: int, flips: int) -> tuple[int, ...]:
    """Every mask of ``width`` bits with at most ``flips`` bits set (the band values to look up)."""
    masks = [0]
    for k in range(1, flips + 1):
        for combo in combinations(range(width), k):
            masks.append(sum(1 << b for b in combo))
    return tuple(masks)


def near_pairs(hashes: Sequence[tuple[int, str]], radius: int) -> Iterator[tuple[int, int, int]]:
    """``(i, j, distance)`` for every pair of entries ``(key, hex)`` within ``radius`` bits (i < j by index).

    ``i`` and ``j`` index into ``hashes``. Hashes of a different length are never compared.

    Multi-index hashing: the hash is cut into ``m`` bands of about 16 bits; two hashes within
    ``radius`` bits differ by at most ``radius // m`` bits in at least one band (pigeonhole), so each
    hash looks up, per band, the band values within that many bits of its own, and only the hashes
    found there are compared in full. Exact: it finds every pair all-pairs comparison finds.
    """
    by_len: dict[int, list[int]] = defaultdict(list)
    for idx, (_key, h) in enumerate(hashes):
        by_len[len(h)].append(idx)
    for length, members in by_len.items():
        layout = _band_layout(length * 4)
        flips = radius // len(layout)
        values = [int(hashes[i][1], 16) for i in members]
        index: list[dict[int, list[int]]] = [defaultdict(list) for _ in layout]
        for pos, v in enumerate(values):
            for band, (shift, width) in enumerate(layout):
                index[band][(v >> shift) & ((1 << width) - 1)].append(pos)
        for pos, v in enumerate(values):
            found: set[int] = set()
            for band, (shift, width) in enumerate(layout):
                own = (v >> shift) & ((1 << width) - 1)
                table = index[band]
                for mask in _flip_masks(width, flips):
                    for other in table.get(own ^ mask, ()):
                        if other > pos:
                            found.add(other)
            for other in sorted(found):
                d = (v ^ values[other]).bit_count()
                if d <= radius:
                    yield members[pos], members[other], d


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
    #: other shops that showed one of this shop's contact ids (``platform:seller_id``)
    linked_by_contact: list[str] = field(default_factory=list)
    #: this shop's contact ids (``kind:value``)
    contacts: list[str] = field(default_factory=list)

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
    for cgroup in contact_groups(session, brand_id=brand_id):
        keys = [m.key for m in cgroup.sellers]
        for member in cgroup.sellers:
            row = rows.get((member.platform, member.seller_id))
            if row is not None:
                row.linked_by_contact = [k for k in keys if k != member.key]
    for (platform, seller_id), ids in _contacts_by_seller(session, list(rows)).items():
        rows[(platform, seller_id)].contacts = ids
    # a shop sharing a contact id with another is reported too: one operator behind several shops
    out = [r for r in rows.values() if r.suspects or r.confirmed or r.relisted or r.linked_by_contact]
    for group in photo_groups(session, brand_id=brand_id, radius=radius, exclude=exclude):
        keys = [m.key for m in group.sellers]
        for member in group.sellers:
            if (member.platform, member.seller_id) in rows:
                rows[(member.platform, member.seller_id)].linked = [k for k in keys if k != member.key]
    out.sort(key=lambda r: (-(r.removed + r.reported + r.relisted), -r.confirmed, -r.suspects, r.key))
    return out


# --- sellers linked by a shared contact id ---------------------------------------------------------


@dataclass
class ContactGroup:
    """Shops that showed the same WeChat id, QQ number or mobile number: likely one operator."""

    sellers: list[SellerRef]
    contacts: list[str]  # the shared ids, ``kind:value``

    @property
    def platforms(self) -> list[str]:
        return sorted({s.platform for s in self.sellers})


def _contacts_by_seller(
    session: Session, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], list[str]]:
    from storage.models import SellerContact

    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    wanted = set(keys)
    if not wanted:
        return out
    stmt = select(SellerContact.platform, SellerContact.seller_id, SellerContact.kind, SellerContact.value)
    for platform, seller_id, kind, value in session.execute(stmt.order_by(SellerContact.id)):
        if (platform, seller_id) in wanted:
            out[(platform, seller_id)].append(f"{kind}:{value}")
    return out


def contact_groups(session: Session, *, brand_id: int | None = None) -> list[ContactGroup]:
    """Groups of two or more sellers that share a contact id (directly or through a chain of shops).

    With ``brand_id``, only sellers with a listing of that brand count (a shop of another brand's
    crawl is left out, and does not join two of this brand's shops)."""
    from storage.models import SellerContact

    stmt = select(
        SellerContact.platform,
        SellerContact.seller_id,
        SellerContact.kind,
        SellerContact.value,
        Seller.name,
    ).outerjoin(Seller, Seller.id == SellerContact.seller_ref)
    allowed: set[tuple[str, str]] | None = None
    if brand_id is not None:
        allowed = {
            (platform, seller_id)
            for platform, seller_id in session.execute(
                select(Listing.platform, Listing.seller_id)
                .where(Listing.brand_id == brand_id, Listing.seller_id.is_not(None))
                .distinct()
            )
            if seller_id is not None
        }
    by_id: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    names: dict[tuple[str, str], str | None] = {}
    for platform, seller_id, kind, value, name in session.execute(stmt):
        if allowed is not None and (platform, seller_id) not in allowed:
            continue
        by_id[(kind, value)].add((platform, seller_id))
        names.setdefault((platform, seller_id), name)
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(x: tuple[str, str]) -> tuple[str, str]:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    shared: list[tuple[tuple[str, str], str]] = []
    for (kind, value), shops in by_id.items():
        if len(shops) < 2:
            continue
        first, *others = sorted(shops)
        for shop in others:
            parent[find(shop)] = find(first)
        shared.append((first, f"{kind}:{value}"))
    members: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for key in list(parent):
        members[find(key)].add(key)
    ids: dict[tuple[str, str], list[str]] = defaultdict(list)
    for shop, contact in shared:
        ids[find(shop)].append(contact)
    groups = [
        ContactGroup(
            sellers=[SellerRef(p, s, names.get((p, s))) for p, s in sorted(keys)], contacts=sorted(ids[root])
        )
        for root, keys in members.items()
        if len(keys) > 1
    ]
    groups.sort(key=lambda g: (-len(g.sellers), g.sellers[0].key))
    return groups


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
    # one entry per distinct photo hash: the shops showing it, each with its first listing
    by_hash: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    names: dict[tuple[str, str], str | None] = {}
    for phash, lid, platform, seller_id, name in session.execute(stmt):
        if not phash or seller_id is None:
            continue
        if exclude and excluded(phash, exclude, radius):
            continue
        by_hash[phash].setdefault((platform, seller_id), lid)
        names.setdefault((platform, seller_id), name)
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(x: tuple[str, str]) -> tuple[str, str]:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    links: list[tuple[tuple[str, str], PhotoLink]] = []
    # the same photo in several shops: linear in the shops, however many share it
    for shops in by_hash.values():
        (first, first_lid), *others = shops.items()
        find(first)
        for shop, lid in others:
            parent[find(shop)] = find(first)
            links.append((first, PhotoLink(first_lid, lid, 0)))
    # near photos: compare distinct hashes only; all shops of one hash are already one group
    distinct = list(enumerate(by_hash))
    for i, j, d in near_pairs(distinct, radius):
        (a, lid_a) = next(iter(by_hash[distinct[i][1]].items()))
        (b, lid_b) = next(iter(by_hash[distinct[j][1]].items()))
        if a != b:
            parent[find(a)] = find(b)
            links.append((a, PhotoLink(lid_a, lid_b, d)))
    members: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for key in list(parent):
        members[find(key)].add(key)
    group_links: dict[tuple[str, str], list[PhotoLink]] = defaultdict(list)
    for a, link in links:
        group_links[find(a)].append(link)
    groups = [
        SellerGroup(
            sellers=[SellerRef(p, s, names.get((p, s))) for p, s in sorted(keys)],
            links=sorted(group_links[root], key=lambda x: (x.distance, x.listing_a, x.listing_b))[
                :MAX_LINKS_SHOWN
            ],
        )
        for root, keys in members.items()
        if len(keys) > 1
    ]
    groups.sort(key=lambda g: (-len(g.sellers), g.sellers[0].key))
    return groups
