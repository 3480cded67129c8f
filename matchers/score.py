"""Scoring a listing against one brand: every signal becomes a :class:`Reason`, the score follows from them.

How the score is made (the ``explanation`` of every result spells it out with the numbers):

* **Link** — what ties the listing to this brand: the mark in the title (0.90; 0.75 for a one-letter
  misspelling), the brand's photo or logo (0.80–0.95 by how close), the mark in the seller's name
  (0.60), a former authorised seller (0.90). Links combine as ``1 − Π(1 − wᵢ)``.
* **Evidence** — what says the listing is not genuine: counterfeit and off-platform words from the
  lexicon (their weight), a price below the brand's floor (``0.95 × (1 − price/floor)^0.6``: 7 % of the
  floor → 0.91, half → 0.63, 90 % → 0.24), the mark written to dodge keyword filters (spaced 0.6,
  digits 0.6, look-alike letters 0.7, homophone characters 0.6, pinyin 0.4, misspelt 0.45), the
  brand's own photo (0.6: only authorised sellers get the brand's pictures; the generic-title trick
  is pointed out but not weighed again, so naming the brand as well never lowers the score), a shop
  named after the mark (0.25) or claiming an official store (0.7), an expired authorisation (0.9).
  Evidence combines the same way.
* ``score = link × (0.5 + 0.5 × evidence)``: the mark alone gives 0.45, below the default threshold
  0.5, so a reseller naming the brand at a normal price is listed high but is not a suspect; any
  counterfeit evidence on top makes it one. Without a link the score is 0 — a fake of some other
  brand is not this brand's suspect.
* An **authorised seller** whose certificate is valid on the listing's day is capped at 0.1.
* **Names and words** (issue 13, :meth:`Matcher._text_signals`): a nickname beside a tie (0.70) and a
  product line (0.60) are links; a nickname (0.30), the brand in a list of brands (0.30), a contact id
  (0.50), an unauthorised account named after the brand (0.70) and a shop name writing the mark with
  digits (0.50) are evidence. Weak forms of the name on goods far from the marks' classes, near misses
  (a longer word, an English word), counterfeit words in a post that sells nothing (news, guides,
  reviews, fans) and a lapsed authorisation on a listing not tied to the brand are shown, not counted.

Every weight is non-negative and each combination is increasing in every weight, so more evidence
never lowers the score (``tests/test_match_score.py`` checks it as a property).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markwatch.brand import Brand
from markwatch.errors import ConfigError
from matchers import ocr
from matchers.aliases import Aliases, AliasFinder, AliasHit
from matchers.contacts import Contact, find_contacts, find_contacts_many
from matchers.goods import NO_GOODS, GoodsReader, GoodsVerdict
from matchers.images import CLOSE_DISTANCE, MATCH_DISTANCE, RECIPE, ImageMatch, ReferenceSet, hash_image
from matchers.lexicon import INTENT_KINDS, LexiconFinder, TermHit
from matchers.local import LocalMatch, LocalReferences, as_reason_data
from matchers.normalize import describe_letters, fold
from matchers.text import MarkFinder, MarkHit

ENGINE_VERSION = "1.0+" + RECIPE.split(":", 1)[0]

LINK_MARK = 0.90
LINK_MISSPELT = 0.75
LINK_SELLER_NAME = 0.60
LINK_EXPIRED = 0.90
LINK_IMAGE_CLOSE = 0.95
LINK_IMAGE_FAR = 0.80
EVIDENCE_EXPIRED = 0.90
EVIDENCE_BRAND_PHOTO = 0.60
EVIDENCE_SHOP_NAME = 0.25
EVIDENCE_FAKE_OFFICIAL = 0.70
BASE = 0.5
AUTHORISED_CAP = 0.1
#: Evidence weight of each trick used to write the mark.
TRICK_WEIGHTS = {
    "spaced": 0.6,
    "digits": 0.6,
    "lookalike": 0.7,
    "homophone": 0.6,
    "pinyin": 0.4,
    "misspelt": 0.45,
    "fullwidth": 0.1,
    "traditional": 0.0,
    "attached": 0.0,
    # matchtext (issue 13)
    "symbols": 0.6,
    "invisible": 0.7,
    "fancy": 0.6,
    "accents": 0.3,
    "tones": 0.0,
    "bracketed": 0.6,
    "split": 0.6,
    "glued": 0.0,
}
TRICK_WORDS = {
    "spaced": "letters set apart",
    "digits": "digits for letters",
    "lookalike": "letters of another script (Greek, Cyrillic…) mixed in as look-alikes",
    "homophone": "homophone characters",
    "pinyin": "the Chinese name in pinyin",
    "misspelt": "a one-letter misspelling",
    "fullwidth": "full-width letters",
    "traditional": "traditional characters",
    "attached": "other letters run into it",
    "symbols": "emoji or symbols between the letters",
    "invisible": "invisible (zero-width or format) characters inside",
    "fancy": "fancy-text letters (small capitals, circled, squared or mathematical letters)",
    "accents": "accented letters",
    "tones": "pinyin tone marks or numbers",
    "bracketed": "a bracketed part put inside the name",
    "split": "the name cut in two and its pieces put apart in the title",
    "glued": "Chinese glued to it with no space",
}
#: Words in a shop name that claim an official or authorised store.
OFFICIAL_WORDS = (
    "官方",
    "旗舰",
    "授权",
    "专卖",
    "直营",
    "总代",
    "总经销",
    "中国区",
    "官网",
    "official",
    "flagship",
    "authorized",
    "authorised",
)
DATE_KEYS = (
    "seen_at",
    "crawled_at",
    "captured_at",
    "fetched_at",
    "scraped_at",
    "last_seen",
    "first_seen",
    "listed_at",
    "posted_at",
    "date",
)

# --- text signals (issue 13): weights -----------------------------------------------------------------
#: A nickname (V家, 薇家, WLRY) beside something that ties it to the brand.
LINK_NICKNAME = 0.70
#: A product line of the brand (a ``search_terms`` entry that is not a mark name).
LINK_PRODUCT_LINE = 0.60
#: A nickname is written to dodge keyword filters.
EVIDENCE_NICKNAME = 0.30
#: The brand named among other brands (a counterfeit seller's catalogue).
EVIDENCE_BRAND_LIST = 0.30
#: A contact id (WeChat, QQ, mobile) in the listing: the sale moves off the platform.
EVIDENCE_CONTACT_ID = 0.50
#: An account named after the brand, not authorised by it.
EVIDENCE_ACCOUNT = 0.70
#: The shop name writes the mark with digits for letters (VEL0RIA旗舰店).
EVIDENCE_SHOP_DIGITS = 0.50
#: Tricks of a weak form of the name: outside the brand's goods it is another company's name.
WEAK_TRICKS = frozenset({"homophone", "pinyin", "misspelt", "attached"})
#: Reason kinds an intent-only post (news, review, guide, fans) does not count as evidence.
NOT_SELLING_DEMOTES = ("lexicon", "seller", "shop", "account", "brand-list")
#: A price written in a post ("¥299", "299元", "价 299").
PRICE_IN_TEXT = re.compile(r"(?:[¥￥$]\s*\d|\d\s*(?:元|块|rmb|r\b)|价\s*\d)", re.IGNORECASE)
#: Listing kinds that sell by being listed.
SELLING_KINDS = frozenset({"product", "item", ""})


@dataclass
class TextExtras:
    """What the batch stage found beside the mark hits, for :meth:`Matcher._text_signals`."""

    misses: list[MarkHit]
    aliases: Aliases
    title: str
    seller_name: str
    contacts: list[Contact] | None = None  # None: not looked for yet
    goods: GoodsVerdict | None = None  # None: not read yet


@dataclass
class Reason:
    """One thing the analyst should know: its kind, a sentence, its weight, and the facts behind it."""

    # mark | lexicon | contact | price | seller | image | evasion | info, and from issue 13: nickname,
    # product-line, brand-list, contact-id, shop, account, goods, near-miss, intent
    kind: str
    detail: str
    weight: float
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def role(self) -> str:
        return str(self.data.get("role", "evidence"))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "detail": self.detail, "weight": round(self.weight, 3)}
        if self.data:
            out["data"] = self.data
        return out


@dataclass
class MatchResult:
    score: float
    suspect: bool
    mark_id: str | None
    reasons: list[Reason]
    engine_version: str = ENGINE_VERSION
    image_hashes: list[dict[str, Any]] = field(default_factory=list)
    #: contact ids found in the title, text and shop name (``{kind, value, found, field}``)
    contacts: list[dict[str, str]] = field(default_factory=list)
    #: text OCR read on the listing's photos, per photo path (see :func:`photo_text_of`)
    photo_text: dict[str, str] = field(default_factory=dict)
    link: float = 0.0
    evidence: float = 0.0
    explanation: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "suspect": self.suspect,
            "mark_id": self.mark_id,
            "reasons": [r.to_dict() for r in self.reasons],
            "engine_version": self.engine_version,
            "explanation": self.explanation,
            "image_hashes": self.image_hashes,
            "contacts": self.contacts,
            **({"photo_text": self.photo_text} if self.photo_text else {}),
        }


def noisy_or(weights: Iterable[float]) -> float:
    out = 1.0
    for w in weights:
        out *= 1.0 - max(0.0, min(1.0, w))
    return 1.0 - out


def combine(link: float, evidence: float) -> float:
    return link * (BASE + (1.0 - BASE) * evidence)


def price_weight(price: float, floor: float) -> float:
    """Evidence weight of a price below the floor: stronger the further below."""
    if floor <= 0 or price >= floor:
        return 0.0
    ratio = max(0.0, price / floor)
    return float(0.95 * (1.0 - ratio) ** 0.6)


def _day(listing: Mapping[str, Any], default: dt.date) -> dt.date:
    for key in DATE_KEYS:
        value = listing.get(key)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str) and value:
            try:
                return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
            except ValueError:
                continue
    return default


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _price(value: Any) -> float | None:
    """A price as a number; text such as "¥1,299.00" or "149.00 - 159.00" gives its lowest number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        numbers = [float(n) for n in _NUMBER.findall(value.replace(",", ""))]
        return min(numbers) if numbers else None
    try:
        price = float(value)
    except (TypeError, ValueError):
        return None
    return price if math.isfinite(price) and price >= 0 else None


def _fmt_money(value: float, currency: str) -> str:
    sign = {"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€"}.get(currency, currency + " ")
    return f"{sign}{value:,.0f}" if value >= 10 else f"{sign}{value:,.2f}"


class Matcher:
    """Scores listings for one brand. Build once per brand (it loads names, lexicon and photo hashes)."""

    def __init__(self, brand: Brand, today: dt.date | None = None, ocr: str | None = None) -> None:
        self.brand = brand
        self.today = today or dt.date.today()
        self.marks = MarkFinder(brand)
        self.lexicon = LexiconFinder(brand)
        self.intent = LexiconFinder(kinds=INTENT_KINDS)
        self.aliases = AliasFinder(brand)
        self.goods = GoodsReader(brand)
        entries: list[tuple[Path, str | None]] = [(Path(p), None) for p in brand.reference_images]
        logos: list[tuple[Path, str | None]] = []
        for mark in brand.marks:
            entries += [(Path(p), mark.id) for p in mark.images]
            logos += [(Path(p), mark.id) for p in mark.images]
        self.references = ReferenceSet(entries)
        self._init_photos(entries[: len(brand.reference_images)], logos, ocr)

    # --- public ---------------------------------------------------------------------------------

    def score(self, listing: Mapping[str, Any]) -> MatchResult:
        return self.score_many([listing])[0]

    def score_many(self, listings: Sequence[Mapping[str, Any]]) -> list[MatchResult]:
        """Score a batch: the names are looked for in all titles and seller names at once.

        Text fields longer than :data:`MAX_TEXT` (:data:`MAX_SELLER` for the seller name) are cut
        before matching, and the cut is a reason of its own: a 420,000-character title otherwise
        kept the matcher busy for minutes.
        """
        capped = [cap_text(item) for item in listings]
        results = self._score_capped([item for item, _ in capped])
        for result, (_, cut) in zip(results, capped, strict=True):
            if cut:
                result.reasons.append(
                    Reason(
                        "info",
                        "text cut before matching: "
                        + "; ".join(cut)
                        + " (anything past the cut was not read)",
                        0.0,
                        {"role": "info", "rule": "text-cap"},
                    )
                )
        return results

    def _score_capped(self, listings: Sequence[Mapping[str, Any]]) -> list[MatchResult]:
        titles = [listing_text(item) for item in listings]
        sellers = [_text(item.get("seller_name")) for item in listings]
        title_hits, title_misses = self.marks.find_many_detailed(titles, "title")
        seller_hits = self.marks.find_many(sellers, "seller_name")
        folded = fold("\x00".join(titles))  # one folding of the batch for the lexicon, aliases, contacts
        term_hits = self.lexicon.find_many(titles, folded)
        # whether a post or an account sells: product listings do by being listed
        posts = [
            i for i, item in enumerate(listings) if str(item.get("kind") or "").lower() not in SELLING_KINDS
        ]
        if posts:
            for i, found in zip(posts, self.intent.find_many([titles[i] for i in posts]), strict=True):
                term_hits[i] = term_hits[i] + found
        aliases = self.aliases.find_many(titles, folded)
        # the goods a title names matter only beside a weak form of the name, a nickname or a product line
        need = [
            i
            for i, (hits, al) in enumerate(zip(title_hits, aliases, strict=True))
            if al.nicknames
            or al.products
            or any(h.distance or WEAK_TRICKS.intersection(h.tricks) for h in hits)
        ]
        goods = [NO_GOODS] * len(titles)
        for i, verdict in zip(need, self.goods.read_many([titles[i] for i in need]), strict=True):
            goods[i] = verdict
        # text read off the photos (OCR), when the photo stage puts it in ``photo_text``
        photo_texts = [_photo_text(item) for item in listings]
        contacts = [
            a + b + c
            for a, b, c in zip(
                find_contacts_many(titles, "title", folded),
                find_contacts_many(sellers, "seller_name"),
                find_contacts_many(photo_texts, "photo") if any(photo_texts) else [[]] * len(titles),
                strict=True,
            )
        ]
        return [
            self._score_one(item, th, sh, lh, TextExtras(tm, al, title, seller, cs, gv))
            for item, th, sh, lh, tm, al, title, seller, cs, gv in zip(
                listings,
                title_hits,
                seller_hits,
                term_hits,
                title_misses,
                aliases,
                titles,
                sellers,
                contacts,
                goods,
                strict=True,
            )
        ]

    # --- one listing ----------------------------------------------------------------------------

    def _score_one(
        self,
        listing: Mapping[str, Any],
        title_hits: list[MarkHit],
        seller_hits: list[MarkHit],
        term_hits: list[TermHit],
        extras: TextExtras | None = None,
    ) -> MatchResult:
        reasons: list[Reason] = []
        extras = extras or TextExtras([], Aliases(), listing_text(listing), _text(listing.get("seller_name")))
        goods = extras.goods if extras.goods is not None else self.goods.read(extras.title)
        title_hits = self._gate_weak_hits(title_hits, goods, reasons)
        title = listing_text(listing)
        title_len = len(_text(listing.get("title")))
        mark_id: str | None = None

        # names in the title
        best_hit = max(title_hits, key=lambda h: (h.distance == 0, -len(h.tricks)), default=None)
        for hit in title_hits:
            weight = LINK_MARK if hit.distance == 0 else LINK_MISSPELT
            how = "" if hit.exact else " written with " + ", ".join(TRICK_WORDS[t] for t in hit.tricks)
            name = (
                f"the mark {hit.name}"
                if hit.name == _mark_text(self.brand, hit.mark_id)
                else f"{hit.name}, a name of the mark {_mark_text(self.brand, hit.mark_id)}"
            )
            extra = f" ({hit.distance} letter off)" if hit.distance else ""
            if {"lookalike", "fancy", "invisible", "accents"}.intersection(hit.tricks):
                extra += " [" + "; ".join(describe_letters(hit.found)[:4]) + "]"
            reasons.append(
                Reason(
                    "mark",
                    f"{'title' if hit.start < title_len else 'text'} contains {hit.found!r}: "
                    f"{name}{how}{extra}",
                    weight,
                    {
                        "role": "link",
                        "mark_id": hit.mark_id,
                        "found": hit.found,
                        "name": hit.name,
                        "tricks": list(hit.tricks),
                        "distance": hit.distance,
                        "scorer": "rapidfuzz OSA distance" if hit.distance else "exact (folded)",
                    },
                )
            )
        if best_hit is not None:
            mark_id = best_hit.mark_id
        tricks = {t for h in title_hits for t in h.tricks}
        for trick in sorted(tricks):
            w = TRICK_WEIGHTS[trick]
            if w > 0:
                reasons.append(
                    Reason(
                        "evasion",
                        f"the mark is written with {TRICK_WORDS[trick]}, a way to dodge keyword filters",
                        w,
                        {"role": "evidence", "trick": trick},
                    )
                )
        folded_title = title.lower()
        for term in self.brand.exclude_terms:
            if term.lower() in folded_title:
                reasons.append(
                    Reason(
                        "info",
                        f"title has {term!r}, listed as a false friend of the mark: not counted",
                        0.0,
                        {"role": "info"},
                    )
                )

        # lexicon
        seen_terms: set[str] = set()
        for th in term_hits:
            key = th.term.term
            if key in seen_terms or th.term.kind in ("intent", "sells"):  # said by the intent reason
                continue
            seen_terms.add(key)
            reasons.append(_lexicon_reason(th))

        # price
        price = _price(listing.get("price"))
        currency = str(listing.get("currency") or "CNY").upper()
        floor = self.brand.price_floor.get(currency)
        if price is not None and floor is not None and price < floor:
            w = price_weight(price, floor)
            pct = 100.0 * price / floor
            reasons.append(
                Reason(
                    "price",
                    f"price {_fmt_money(price, currency)} is {pct:.0f}% of the floor "
                    f"{_fmt_money(floor, currency)}",
                    w,
                    {"role": "evidence", "price": price, "floor": floor, "currency": currency},
                )
            )

        # photos (hashes, local features, logos, OCR): see _photo_reasons
        photo_reasons, hashes, photo_mark, photo_text = self._photo_reasons(listing, bool(title_hits))
        reasons += photo_reasons
        if mark_id is None and photo_mark:
            mark_id = photo_mark

        # seller
        platform = str(listing.get("platform") or "").lower()
        seller_id = listing.get("seller_id")
        seller = self.brand.authorised_seller(platform, None if seller_id in (None, "") else str(seller_id))
        seller_name = _text(listing.get("seller_name"))
        if seller is None and seller_id in (None, "") and seller_name:
            # no id on the page (some search cards): a shop name is unique on its platform
            seller = next(
                (
                    s
                    for s in self.brand.authorized_sellers
                    if s.platform == platform and s.name == seller_name.strip()
                ),
                None,
            )
        authorised_now = False
        if seller is not None:
            day = _day(listing, self.today)
            who = seller.name or seller.seller_id
            if seller.authorised_on(day):
                authorised_now = True
                until = f" until {seller.certificate_expires}" if seller.certificate_expires else ""
                reasons.append(
                    Reason(
                        "seller",
                        f"seller {who} ({platform} {seller.seller_id}) is authorised by the brand{until}",
                        0.0,
                        {"role": "cap", "seller_id": seller.seller_id},
                    )
                )
            else:
                reasons.append(
                    Reason(
                        "seller",
                        f"seller {who} ({platform} {seller.seller_id}) was an authorised seller, "
                        f"but its authorisation expired on {seller.certificate_expires}",
                        LINK_EXPIRED,
                        {
                            "role": "link",
                            "seller_id": seller.seller_id,
                            "expired": str(seller.certificate_expires),
                        },
                    )
                )
                reasons.append(
                    Reason(
                        "seller",
                        f"sells as a brand seller after its authorisation expired on "
                        f"{seller.certificate_expires}",
                        EVIDENCE_EXPIRED,
                        {"role": "evidence", "expired": str(seller.certificate_expires)},
                    )
                )
        elif seller_hits:
            hit = seller_hits[0]
            reasons.append(
                Reason(
                    "seller",
                    f"seller name {seller_name!r} uses the mark {hit.name}, "
                    "and the seller is not on the brand's authorised list",
                    LINK_SELLER_NAME,
                    {"role": "link", "mark_id": hit.mark_id, "found": hit.found},
                )
            )
            reasons.append(
                Reason(
                    "seller",
                    "a shop named after the mark without the brand's authorisation",
                    EVIDENCE_SHOP_NAME,
                    {"role": "evidence"},
                )
            )
            if mark_id is None:
                mark_id = hit.mark_id
            low = seller_name.lower()
            claim = next((w for w in OFFICIAL_WORDS if w in low), None)
            if claim:
                reasons.append(
                    Reason(
                        "seller",
                        f"seller name claims an official or authorised store ({claim!r}) "
                        "but the seller is not authorised",
                        EVIDENCE_FAKE_OFFICIAL,
                        {"role": "evidence", "claim": claim},
                    )
                )

        if photo_text and extras is not None and extras.contacts is not None:
            # contact ids printed on the photos (read by OCR) count like those in the title
            seen = {(c.kind, c.value) for c in extras.contacts}
            extras.contacts += [
                c
                for c in find_contacts(" \n".join(photo_text.values()), "photo")
                if (c.kind, c.value) not in seen
            ]
        contacts = self._text_signals(listing, reasons, title_hits, seller_hits, term_hits, extras, goods)
        if mark_id is None:
            mark_id = next(
                (str(r.data["mark_id"]) for r in reasons if r.role == "link" and r.data.get("mark_id")), None
            )

        # the score
        links = _by_kind(r for r in reasons if r.role == "link")
        link = noisy_or(links.values())
        evidence = noisy_or(r.weight for r in reasons if r.role == "evidence")
        score = combine(link, evidence)
        explanation = f"link {link:.2f} × (0.5 + 0.5 × evidence {evidence:.2f}) = {score:.2f}"
        if authorised_now and score > AUTHORISED_CAP:
            explanation += f"; capped at {AUTHORISED_CAP} for an authorised seller"
            score = AUTHORISED_CAP
        score = round(min(1.0, max(0.0, score)), 4)
        reasons.sort(key=lambda r: ({"link": 0, "cap": 0, "evidence": 1}.get(r.role, 2), -r.weight))
        return MatchResult(
            score=score,
            suspect=score >= self.brand.threshold,
            mark_id=mark_id,
            reasons=reasons,
            image_hashes=hashes,
            contacts=[c.to_dict() for c in contacts],
            photo_text=photo_text,
            link=round(link, 4),
            evidence=round(evidence, 4),
            explanation=explanation,
        )

    def _image_hashes(self, listing: Mapping[str, Any]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        known: dict[str, dict[str, Any]] = {}
        for entry in listing.get("images") or []:  # hashes the crawl pipeline already made
            if isinstance(entry, Mapping) and entry.get("recipe") == RECIPE and entry.get("path"):
                known[str(entry["path"])] = dict(entry)
        # Only local files the crawl's photo store (or the user's own ``image_paths``) holds are read:
        # a listing's ``image_urls`` are the platform's and are never opened here (``file://`` neither).
        paths = listing.get("image_paths") or []
        if isinstance(paths, str):
            paths = [paths]
        for p in paths:
            out.append(known.get(str(p)) or hash_image(str(p)))
        return out

    # --- text signals (issue 13): names and words -------------------------------------------------------

    def _gate_weak_hits(
        self, hits: list[MarkHit], goods: GoodsVerdict, reasons: list[Reason]
    ) -> list[MarkHit]:
        """Weak forms of the name (homophone, pinyin, misspelling, run into other letters) on goods far
        from the brand's classes are another company's name: shown, not counted."""
        if not goods.outside:
            return hits
        kept = []
        for hit in hits:
            if hit.distance or WEAK_TRICKS.intersection(hit.tricks):
                how = ", ".join(TRICK_WORDS[t] for t in hit.tricks if t in TRICK_WORDS) or "a near form"
                reasons.append(
                    Reason(
                        "goods",
                        f"{hit.found!r} is {hit.name} written with {how}, but the listing sells "
                        f"{self.goods.describe(goods.far)}, far from the classes of the brand's marks "
                        f"({self.goods.brand_classes()}): another company's name, not counted",
                        0.0,
                        {"role": "info", "signal": "outside-goods", "found": hit.found},
                    )
                )
            else:
                kept.append(hit)
        return kept

    def _text_signals(
        self,
        listing: Mapping[str, Any],
        reasons: list[Reason],
        title_hits: list[MarkHit],
        seller_hits: list[MarkHit],
        term_hits: list[TermHit],
        extras: TextExtras,
        goods: GoodsVerdict,
    ) -> list[Contact]:
        """Nicknames, product lines, near misses, lists of brands, intent, shops and accounts, contact ids
        and the lapsed-authorisation rule. Appends to (and may demote) ``reasons``; returns the contacts."""
        al = extras.aliases
        others = al.other_names
        photo_link = any(r.kind == "image" and r.role == "link" for r in reasons)

        # near misses: why something that looked like the mark is not counted
        said = {r.detail for r in reasons}
        for miss in extras.misses:
            why = {
                "longer-word": f"is a longer word that contains {miss.name}, not the mark",
                "real-word": f"is one letter from {miss.name} but an English word",
                "false-friend": f"is as close to one of the brand's false friends as to {miss.name}",
            }[next(t for t in miss.tricks if t in ("longer-word", "real-word", "false-friend"))]
            detail = f"{miss.found!r} {why}: not counted"
            if detail not in said and not (
                "false-friend" in miss.tricks and any("false friend" in r.detail for r in reasons)
            ):
                reasons.append(Reason("near-miss", detail, 0.0, {"role": "info", "found": miss.found}))
                said.add(detail)

        # product lines: tie the listing to the brand, more weakly than the mark
        products = [p for p in al.products if not any(h.start <= p.start < h.end for h in title_hits)]
        product_counted = False
        for p in _unique(products):
            if goods.outside:
                reasons.append(
                    Reason(
                        "product-line",
                        f"names {p.found!r}, a product line of {self.brand.name}, but sells "
                        f"{self.goods.describe(goods.far)}, far from the brand's classes: not counted",
                        0.0,
                        {"role": "info", "product_line": p.term},
                    )
                )
                continue
            product_counted = True
            reasons.append(
                Reason(
                    "product-line",
                    f"title names {p.found!r}, a product line of {self.brand.name} (one of its search terms "
                    "that is not a mark): ties the listing to the brand, more weakly than the mark",
                    LINK_PRODUCT_LINE,
                    {"role": "link", "product_line": p.term, "mark_id": self._word_mark_id()},
                )
            )

        # nicknames: only beside something that ties them to this brand
        nicks = [n for n in al.nicknames if not any(h.start < n.end and n.start < h.end for h in title_hits)]
        if nicks and title_hits:  # the mark ties it; the nickname is one more way around filters
            reasons.append(
                Reason(
                    "evasion",
                    f"besides the mark, the brand is named by a nickname ({nicks[0].found!r}, "
                    f"{nicks[0].how})",
                    EVIDENCE_NICKNAME,
                    {"role": "evidence", "trick": "nickname"},
                )
            )
        elif nicks:
            n = nicks[0]
            ties = []
            if product_counted:
                ties.append("a product line of the brand")
            if goods.own:
                ties.append(f"goods of the brand's own classes ({self.goods.describe(goods.own)})")
            if photo_link:
                ties.append("the brand's photo")
            if goods.outside and not photo_link:
                reasons.append(
                    Reason(
                        "nickname",
                        f"{n.found!r} ({n.how}) could be {self.brand.name}'s nickname, but the listing sells "
                        f"{self.goods.describe(goods.far)}, far from the brand's classes: not counted",
                        0.0,
                        {"role": "info", "signal": "nickname", "found": n.found},
                    )
                )
            elif ties:
                reasons.append(
                    Reason(
                        "nickname",
                        f"title says {n.found!r}, a nickname of {self.brand.name} ({n.how}), beside "
                        f"{' and '.join(ties)}",
                        LINK_NICKNAME,
                        {
                            "role": "link",
                            "signal": "nickname",
                            "found": n.found,
                            "mark_id": self._word_mark_id(),
                        },
                    )
                )
                reasons.append(
                    Reason(
                        "evasion",
                        f"the brand is named by a nickname ({n.found!r}) instead of its mark, a way to dodge "
                        "keyword filters",
                        EVIDENCE_NICKNAME,
                        {"role": "evidence", "trick": "nickname"},
                    )
                )
            else:
                reasons.append(
                    Reason(
                        "nickname",
                        f"{n.found!r} ({n.how}) could be {self.brand.name}'s nickname, but "
                        "nothing ties it to "
                        "the brand (no product line, no goods of its own classes "
                        f"{self.goods.brand_classes()}, "
                        "no photo of it): not counted",
                        0.0,
                        {"role": "info", "signal": "nickname", "found": n.found},
                    )
                )

        # the brand among other brands
        named = bool(title_hits) or any(
            r.data.get("signal") == "nickname" and r.role == "link" for r in reasons
        )
        if named and len(others) >= 2:
            reasons.append(
                Reason(
                    "brand-list",
                    f"names {self.brand.name} among other brands ({', '.join(others[:5])}): "
                    "the catalogue of a "
                    "seller of copies",
                    EVIDENCE_BRAND_LIST,
                    {"role": "evidence", "signal": "brand-list", "others": others},
                )
            )

        # contact ids in the title, the text and the shop name
        if extras.contacts is None:
            extras.contacts = find_contacts(extras.title, "title") + find_contacts(
                extras.seller_name, "seller_name"
            )
        contacts = list({(c.kind, c.value): c for c in extras.contacts}.values())
        if contacts:
            words = {"wechat": "WeChat id", "qq": "QQ number", "phone": "mobile number"}
            where = {"title": "the title", "seller_name": "the shop name", "photo": "a photo"}
            listed = "; ".join(
                f"{words[c.kind]} {c.value} (in {where.get(c.field, c.field)})" for c in contacts
            )
            reasons.append(
                Reason(
                    "contact-id",
                    f"contact id(s) {listed}: the sale moves off the platform; stored per seller to link "
                    "shops that share one",
                    EVIDENCE_CONTACT_ID,
                    {"role": "evidence", "signal": "contact-id", "contacts": [c.to_dict() for c in contacts]},
                )
            )

        intent = [t for t in term_hits if t.term.kind == "intent"]
        not_selling = bool(intent) and not self._sells(listing, term_hits, contacts, extras.title)

        # shops and accounts that pretend to be the brand
        authorised = any(r.role == "cap" for r in reasons)
        kind = str(listing.get("kind") or "").lower()
        seller_digits = next(
            (h for h in seller_hits if "digits" in h.tricks or "lookalike" in h.tricks), None
        )
        if seller_digits is not None and not authorised and not any(r.data.get("expired") for r in reasons):
            reasons.append(
                Reason(
                    "shop",
                    f"the shop name writes the mark as {seller_digits.found!r} (digits or look-alike letters "
                    "for "
                    "letters): it imitates the brand's name while dodging the platform's brand-name check",
                    EVIDENCE_SHOP_DIGITS,
                    {"role": "evidence", "signal": "shop-digits", "found": seller_digits.found},
                )
            )
        if kind == "account" and title_hits and not authorised and not_selling:
            reasons.append(
                Reason(
                    "account",
                    f"an account named after the brand ({title_hits[0].found!r}), but a fan or news account "
                    "that offers nothing for sale: not counted",
                    0.0,
                    {"role": "info", "signal": "account"},
                )
            )
        elif kind == "account" and title_hits and not authorised:
            reasons.append(
                Reason(
                    "account",
                    f"an account named after the brand ({title_hits[0].found!r}) that "
                    f"{self.brand.name} has not "
                    "authorised: it passes itself off as the brand",
                    EVIDENCE_ACCOUNT,
                    {"role": "evidence", "signal": "account"},
                )
            )
        # intent: news, reviews, guides and fan posts name the brand (even 高仿) without selling
        if not_selling:
            intent_words = ", ".join(dict.fromkeys(t.found for t in intent))
            demoted = []
            for r in reasons:
                if r.role == "evidence" and r.kind in NOT_SELLING_DEMOTES and not r.data.get("expired"):
                    demoted.append(r.detail.split(":")[0])
                    r.data = {**r.data, "role": "info", "weight_before": r.weight}
                    r.weight = 0.0
                    r.detail += " (not counted: nothing is offered for sale)"
            reasons.append(
                Reason(
                    "intent",
                    f"reads as news, a review, a guide or a fan post ({intent_words}) and offers "
                    "nothing for sale (no "
                    "price, contact, 私聊, 出, 代购, 需要的…)"
                    + (f": {'; '.join(demoted[:3])} not counted" if demoted else ""),
                    0.0,
                    {"role": "info", "signal": "not-selling", "words": [t.found for t in intent]},
                )
            )

        # a lapsed authorisation counts only on listings tied to the brand
        expired = [r for r in reasons if r.data.get("expired")]
        if expired and seller_hits and not al.others:
            # the former dealer's shop is still named after the mark: counterfeit vocabulary in the
            # title ("专柜同款", "原单"…) can only refer to that mark, unless another brand is named
            same_as = next((t for t in term_hits if t.term.kind == "counterfeit" and t.term.weight > 0), None)
            if same_as is not None:
                hit = seller_hits[0]
                reasons.append(
                    Reason(
                        "seller",
                        f"the shop's name {extras.seller_name!r} still uses the mark {hit.name} and the "
                        f"title's {same_as.found!r} ({same_as.term.means}) can only refer to it: the former "
                        "dealer sells this as the brand's",
                        LINK_SELLER_NAME,
                        {
                            "role": "link",
                            "signal": "lapsed-shop-word",
                            "mark_id": hit.mark_id,
                            "found": same_as.found,
                        },
                    )
                )
        tied = any(r.role == "link" and not r.data.get("expired") for r in reasons)
        if expired and not tied:
            for r in expired:
                r.data = {**r.data, "role": "info", "weight_before": r.weight}
                r.weight = 0.0
            reasons.append(
                Reason(
                    "seller",
                    "a former authorised seller, but this listing is not tied to the brand "
                    "(no mark, nickname "
                    "with a tie, product line or photo of it): not every product a former dealer sells is a "
                    "suspect",
                    0.0,
                    {"role": "info", "signal": "expired-untied"},
                )
            )
        return contacts

    def _word_mark_id(self) -> str:
        """The mark a nickname or product line stands for: the first mark with a verbal element."""
        return next((m.id for m in self.brand.marks if m.text or m.variants), self.brand.marks[0].id)

    @staticmethod
    def _sells(
        listing: Mapping[str, Any], term_hits: list[TermHit], contacts: list[Contact], text: str
    ) -> bool:
        """Whether the listing offers goods: a product listing does; a post or account needs a price, a
        contact, or a selling word (出售, 私聊, 代购, 需要的…)."""
        kind = str(listing.get("kind") or "").lower()
        if kind in SELLING_KINDS or _price(listing.get("price")) is not None or contacts:
            return True
        if any(t.term.kind in ("sells", "contact", "grey") for t in term_hits):
            return True
        return bool(PRICE_IN_TEXT.search(text))

    # --- photos (kept apart from the text signals) ---------------------------------------------

    def _init_photos(
        self, photos: list[tuple[Path, str | None]], logos: list[tuple[Path, str | None]], ocr: str | None
    ) -> None:
        mode = ocr or os.environ.get("MARKWATCH_OCR") or "candidates"
        if mode not in OCR_MODES:
            raise ConfigError(f"MARKWATCH_OCR={mode!r}: use one of {', '.join(OCR_MODES)}")
        self.ocr_mode = mode
        self.local = LocalReferences(photos, logos)

    def _photo_reasons(
        self, listing: Mapping[str, Any], named: bool
    ) -> tuple[list[Reason], list[dict[str, Any]], str | None, dict[str, str]]:
        """Reasons from the listing's photos: whole copies (hashes), transformed copies and logos (local
        features), and what OCR reads on them; with the hashes, the mark a photo ties the listing to,
        and the OCR text per photo. ``named``: the title already names the brand (OCR candidates)."""
        reasons: list[Reason] = []
        hashes = self._image_hashes(listing)
        found: list[tuple[str, str | None, str]] = []  # (path, mark_id, what) of each photo that matched
        for h in hashes:
            if "error" in h:
                reasons.append(
                    Reason(
                        "image",
                        f"image unreadable: {h['path']} ({h['error']})",
                        0.0,
                        {"role": "info", "path": h["path"]},
                    )
                )
                continue
            im = self.references.match(h)
            if im is not None:
                reasons.append(_hash_reason(h, im))
                found.append((h["path"], im.mark_id, "hash"))
                continue
            if not len(self.local):
                continue
            local = self.local.find(h["path"])
            if local.match is not None:
                reasons += _local_reasons(h["path"], local.match)
                found.append((h["path"], local.match.mark_id, local.match.method))
            for miss in local.near_misses[:NEAR_MISSES_SHOWN]:
                reasons.append(
                    Reason(
                        "image",
                        f"photo {Path(h['path']).name} looks somewhat like {miss.reference} but does not "
                        f"count: {miss.why}",
                        0.0,
                        {"role": "info", "path": h["path"], "reference": miss.reference},
                    )
                )
        if hashes:
            for path, why in self.local.errors:
                reasons.append(
                    Reason(
                        "info",
                        f"reference {path.name} not searched for inside photos: {why}",
                        0.0,
                        {"role": "info", "reference": str(path)},
                    )
                )
        if any(what != "logo" for _, _, what in found):
            reasons.append(
                Reason(
                    "image",
                    "shows the brand's own photo, which only authorised sellers get from the brand",
                    EVIDENCE_BRAND_PHOTO,
                    {"role": "evidence", "trick": "brand-photo"},
                )
            )
        if found and not named:
            # said for the analyst, but not weighed: naming the brand too must not lower the score
            reasons.append(
                Reason(
                    "evasion",
                    "the brand's own photo under a title that does not name the brand",
                    0.0,
                    {"role": "info", "trick": "hidden-mark"},
                )
            )
        if not hashes and listing.get("image_urls"):
            n = len(listing.get("image_urls") or [])
            reasons.append(
                Reason("info", f"{n} photo URL(s) not downloaded: photos not compared", 0.0, {"role": "info"})
            )
        texts = self._read_photos(hashes, [p for p, _, _ in found], reasons)
        reasons += self._photo_text_reasons(texts)
        mark = next((m for _, m, _ in found if m), None)
        return reasons, hashes, mark, texts

    def _read_photos(
        self, hashes: list[dict[str, Any]], matched: list[str], reasons: list[Reason]
    ) -> dict[str, str]:
        """OCR on the photos :data:`OCR_MODES` allows, at most :data:`OCR_MAX_PHOTOS` per listing."""
        if self.ocr_mode == "off":
            return {}
        readable = [h["path"] for h in hashes if "error" not in h]
        order = [p for p in matched if p in readable]
        if self.ocr_mode == "all":
            order += [p for p in readable if p not in matched]
        out: dict[str, str] = {}
        for path in order[:OCR_MAX_PHOTOS]:
            got = ocr.read(path)
            if got.error:
                reasons.append(
                    Reason("info", f"photo {Path(path).name} not read: {got.error}", 0.0, {"role": "info"})
                )
                if got.error.startswith("OCR not available"):
                    break
                continue
            if got.text:
                out[path] = got.text
        return out

    def _photo_text_reasons(self, texts: dict[str, str]) -> list[Reason]:
        """The brand's names and the lexicon's words (contact words among them) in text read on photos."""
        if not texts:
            return []
        paths = list(texts)
        reasons: list[Reason] = []
        mark_hits = self.marks.find_many([texts[p] for p in paths], "photo_text")
        term_hits = self.lexicon.find_many([texts[p] for p in paths])
        for path, hits, terms in zip(paths, mark_hits, term_hits, strict=True):
            name = Path(path).name
            for hit in hits[:1]:
                reasons.append(
                    Reason(
                        "ocr",
                        f"photo {name} reads {texts[path]!r} (OCR): {hit.found!r} is the mark "
                        f"{_mark_text(self.brand, hit.mark_id)}",
                        LINK_PHOTO_TEXT,
                        {
                            "role": "link",
                            "path": path,
                            "mark_id": hit.mark_id,
                            "found": hit.found,
                            "ocr": texts[path],
                        },
                    )
                )
            seen: set[str] = set()
            for th in terms:
                if th.term.term in seen or th.term.kind in ("benign", "grey", "brand"):
                    continue
                seen.add(th.term.term)
                what = (
                    "moves the sale off the platform"
                    if th.term.kind == "contact"
                    else "counterfeit vocabulary"
                )
                reasons.append(
                    Reason(
                        "contact" if th.term.kind == "contact" else "lexicon",
                        f"photo {name} reads {th.found!r} (OCR; {th.term.means}): {what}",
                        th.term.weight,
                        {
                            "role": "evidence",
                            "term": th.term.term,
                            "kind": th.term.kind,
                            "path": path,
                            "ocr": texts[path],
                        },
                    )
                )
        return reasons


def _by_kind(reasons: Iterable[Reason]) -> dict[str, float]:
    """The strongest link of each kind: three mentions of the mark are one link, not three."""
    best: dict[str, float] = {}
    for r in reasons:
        key = "mark" if r.kind == "mark" else r.kind
        best[key] = max(best.get(key, 0.0), r.weight)
    return best


def _unique(hits: list[AliasHit]) -> list[AliasHit]:
    return list({h.term: h for h in reversed(hits)}.values())[::-1]


def _lexicon_reason(hit: TermHit) -> Reason:
    t = hit.term
    kind = "contact" if t.kind == "contact" else "lexicon"
    if t.kind in ("benign", "grey"):
        note = "not counted" if t.kind == "benign" else "grey market, not counterfeit by itself"
        return Reason(
            "info", f"title says {hit.found!r} ({t.means}): {note}", 0.0, {"role": "info", "term": t.term}
        )
    what = "moves the sale off the platform" if t.kind == "contact" else "counterfeit vocabulary"
    return Reason(
        kind,
        f"title says {hit.found!r} ({t.means}): {what}",
        t.weight,
        {"role": "evidence", "term": t.term, "kind": t.kind},
    )


def _mark_text(brand: Brand, mark_id: str) -> str:
    mark = brand.mark(mark_id)
    return mark.text or (mark.variants[0] if mark.variants else mark.id)


#: Fields besides the title whose text is read too (a post's text, a subtitle).
TEXT_KEYS = ("text", "content", "subtitle", "description")

#: The most characters of a title or text field that are matched (a Weibo long post is ≤ 5,000;
#: marketplace titles are ≤ 60). Past it, matching cost grows with no gain for an analyst.
MAX_TEXT = 5_000
#: The most characters of a seller name that are matched (shop names are ≤ 30).
MAX_SELLER = 200


def cap_text(listing: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[str]]:
    """``listing`` with over-long text fields cut, and what was cut ("title: 5,000 of 420,000 chars")."""
    cut: list[str] = []
    changed: dict[str, Any] = {}
    for key, limit in (("title", MAX_TEXT), *((k, MAX_TEXT) for k in TEXT_KEYS), ("seller_name", MAX_SELLER)):
        value = listing.get(key)
        if isinstance(value, str) and len(value) > limit:
            changed[key] = value[:limit]
            cut.append(f"{key} {limit:,} of {len(value):,} characters")
    if not changed:
        return listing, cut
    return {**listing, **changed}, cut


def listing_text(listing: Mapping[str, Any]) -> str:
    """The title, followed by any other text the record carries (" | " between them)."""
    parts = [_text(listing.get("title"))]
    parts += [v for k in TEXT_KEYS if isinstance(v := listing.get(k), str) and v.strip()]
    return " | ".join(p for p in parts if p) if len(parts) > 1 else parts[0]


def _photo_text(listing: Mapping[str, Any]) -> str:
    """``photo_text``: text read off the listing's photos (a string or a list of them), for contact ids."""
    value = listing.get("photo_text")
    if isinstance(value, list):
        return " | ".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


# --- photo reasons ---------------------------------------------------------------------------------

#: Which photos OCR reads: ``off``; ``candidates`` (default) — the photos that matched the brand's
#: photo or logo (a counterfeiter's own marketing photos, where contact ids are printed); ``all`` —
#: every photo (slow: 0.07–0.1 s a photo on one core, ten times the other stages together).
#: ``MARKWATCH_OCR`` sets it for the crawl's scoring workers.
OCR_MODES = ("off", "candidates", "all")
#: Photos OCR reads per listing at most.
OCR_MAX_PHOTOS = 3
#: Near misses of the local-feature stage shown per photo.
NEAR_MISSES_SHOWN = 2
LINK_IMAGE_LOCAL = 0.90
LINK_LOGO = 0.85
LINK_PHOTO_TEXT = 0.75
EVIDENCE_LOGO = 0.5
#: Evidence weight of a transform that serves only to dodge photo matching.
EVIDENCE_PHOTO_DODGE = 0.3


def _hash_reason(h: Mapping[str, Any], im: ImageMatch) -> Reason:
    span = MATCH_DISTANCE - CLOSE_DISTANCE
    closeness = min(1.0, max(0.0, (MATCH_DISTANCE - im.distance) / span))
    w = LINK_IMAGE_FAR + (LINK_IMAGE_CLOSE - LINK_IMAGE_FAR) * closeness
    what = f"the brand's logo {im.reference}" if im.mark_id else f"the brand's {im.reference}"
    return Reason(
        "image",
        f"photo {Path(h['path']).name} is {what}, {im.describe_crop()}; distance "
        f"{im.distance:.3f} ({im.bits} of {im.compared} gradient bits differ, {im.strong_bits} "
        f"of its {im.strong} strong ones)",
        w,
        {
            "role": "link",
            "path": h["path"],
            "reference": im.reference_path,
            "distance": im.distance,
            "bits": im.bits,
            "crop": list(im.crop),
            "mark_id": im.mark_id,
            "method": "hash",
        },
    )


def _local_reasons(path: str, m: LocalMatch) -> list[Reason]:
    name = Path(path).name
    data = {"role": "link", "path": path, **as_reason_data(m)}
    if m.method == "logo":
        return [
            Reason(
                "image",
                f"photo {name} shows the brand's logo {m.reference}: {m.describe()}",
                LINK_LOGO,
                data,
            ),
            Reason(
                "image",
                f"the brand's logo printed on a product in photo {name}",
                EVIDENCE_LOGO,
                {"role": "evidence", "trick": "logo-on-product", "path": path},
            ),
        ]
    out = [
        Reason(
            "image",
            f"photo {name} is the brand's {m.reference}, {m.describe()}; found by local features: "
            f"{m.inliers} ORB inliers of {m.votes} matches (RANSAC similarity), aligned distance "
            f"{m.distance:.3f}, {100 * m.cover:.0f}% of the reference shown",
            LINK_IMAGE_LOCAL,
            data,
        )
    ]
    dodges = [t for t in m.transforms if t.startswith(("mirrored", "rotated"))]
    if dodges:
        out.append(
            Reason(
                "evasion",
                f"the brand's photo {' and '.join(dodges)}, a way to dodge photo matching",
                EVIDENCE_PHOTO_DODGE,
                {"role": "evidence", "trick": "photo-transform", "path": path},
            )
        )
    return out


def photo_text_of(result: MatchResult) -> str:
    """The text OCR read on a scored listing's photos, one string (" | " between photos): what a
    text scan (contact ids, names) reads besides the title."""
    return " | ".join(result.photo_text.values())
