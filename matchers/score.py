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
from urllib.parse import unquote

from markwatch.brand import Brand
from markwatch.errors import ConfigError
from matchers import ocr
from matchers.images import CLOSE_DISTANCE, MATCH_DISTANCE, RECIPE, ImageMatch, ReferenceSet, hash_image
from matchers.lexicon import LexiconFinder, TermHit
from matchers.local import LocalMatch, LocalReferences, as_reason_data
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
}
TRICK_WORDS = {
    "spaced": "letters set apart",
    "digits": "digits for letters",
    "lookalike": "Cyrillic/Greek look-alike letters",
    "homophone": "homophone characters",
    "pinyin": "the Chinese name in pinyin",
    "misspelt": "a one-letter misspelling",
    "fullwidth": "full-width letters",
    "traditional": "traditional characters",
    "attached": "other letters run into it",
}
#: Words in a shop name that claim an official or authorised store.
OFFICIAL_WORDS = ("官方", "旗舰", "授权", "专卖", "直营", "official", "flagship", "authorized", "authorised")
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


@dataclass
class Reason:
    """One thing the analyst should know: its kind, a sentence, its weight, and the facts behind it."""

    kind: str  # mark | lexicon | contact | price | seller | image | evasion | info…
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
        """Score a batch: the names are looked for in all titles and seller names at once."""
        titles = [listing_text(item) for item in listings]
        sellers = [_text(item.get("seller_name")) for item in listings]
        title_hits = self.marks.find_many(titles, "title")
        seller_hits = self.marks.find_many(sellers, "seller_name")
        term_hits = self.lexicon.find_many(titles)
        return [
            self._score_one(item, th, sh, lh)
            for item, th, sh, lh in zip(listings, title_hits, seller_hits, term_hits, strict=True)
        ]

    # --- one listing ----------------------------------------------------------------------------

    def _score_one(
        self,
        listing: Mapping[str, Any],
        title_hits: list[MarkHit],
        seller_hits: list[MarkHit],
        term_hits: list[TermHit],
    ) -> MatchResult:
        reasons: list[Reason] = []
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
            if key in seen_terms:
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
        paths = listing.get("image_paths") or []
        if isinstance(paths, str):
            paths = [paths]
        if not paths:  # file:// URLs, or URLs that are plain local paths, can be read as they are
            urls = listing.get("image_urls") or []
            for u in [urls] if isinstance(urls, str) else urls:
                u = str(u)
                if u.startswith("file://"):
                    paths.append(unquote(u[len("file://") :]))
                elif "://" not in u and Path(u).exists():
                    paths.append(u)
        for p in paths:
            out.append(known.get(str(p)) or hash_image(str(p)))
        return out

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


def listing_text(listing: Mapping[str, Any]) -> str:
    """The title, followed by any other text the record carries (" | " between them)."""
    parts = [_text(listing.get("title"))]
    parts += [v for k in TEXT_KEYS if isinstance(v := listing.get(k), str) and v.strip()]
    return " | ".join(p for p in parts if p) if len(parts) > 1 else parts[0]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


# --- photo reasons ---------------------------------------------------------------------------------

#: Which photos OCR reads: ``off``; ``candidates`` (default) — the photos that matched the brand's
#: photo or logo (a counterfeiter's own marketing photos, where contact ids are printed); ``all`` —
#: every photo (slow: 0.2–0.5 s a photo on one core). ``MARKWATCH_OCR`` sets it for the crawl's
#: scoring workers.
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
