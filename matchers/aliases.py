"""What names a brand without writing its mark: nicknames, product lines, and the other brands beside it.

* **Nicknames** sellers use so that keyword filters miss them, derived from the brand's own names (no
  per-brand list): the initial or the first two consonants of a Latin name + 家 (``V家``, ``VL家``), the
  first character or two of a Chinese name + 家 (``薇家``), the pinyin initials (``WLRY``, ``WL家``), and
  the first two pinyin syllables with or without tones (``wei1 luo4``, ``wēi luò``). A nickname is
  ambiguous (``L家`` is also another house's): :mod:`matchers.score` counts it only beside something
  that ties it to this brand (a product line, the brand's category of goods, its photos).
* **Product lines**: every ``search_terms`` entry that is not a name of a mark (a hero product's name).
  Naming one ties a listing to the brand, more weakly than the mark.
* **Other brands** (``configs/lexicon.yaml``, ``other_brands``): a title naming ours among others is a
  counterfeit catalogue; a nickname beside other brands is not taken for ours.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from markwatch.brand import Brand
from matchers.lexicon import LEXICON_PATH
from matchers.normalize import CJK, NON_WORD, astral, base_list, fold, is_cjk, trie_regex
from matchers.text import name_pinyin

VOWELS = frozenset("aeiou")
#: Between pinyin syllables of a nickname: a tone number, then up to two separators.
SYLLABLE_GAP = r"[1-5]?[ \-·'_.]{0,2}"


@dataclass(frozen=True)
class AliasHit:
    kind: str  # "nickname" | "product-line" | "other-brand"
    found: str  # as in the text
    term: str  # what it stands for: the nickname's source name, the product line, the other brand
    how: str  # for the analyst: how the nickname is made
    start: int
    end: int


@dataclass
class Aliases:
    nicknames: list[AliasHit] = field(default_factory=list)
    products: list[AliasHit] = field(default_factory=list)
    others: list[AliasHit] = field(default_factory=list)

    @property
    def other_names(self) -> list[str]:
        return list(dict.fromkeys(h.term for h in self.others))


#: What a text without any of them gets (shared: read it, never change it).
EMPTY = Aliases()


@lru_cache(maxsize=4)
def load_other_brands(path: Path = LEXICON_PATH) -> tuple[tuple[str, ...], ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    groups = data.get("other_brands") if isinstance(data, dict) else None
    return tuple(tuple(str(n) for n in g) for g in groups or [] if isinstance(g, list) and g)


def nicknames(brand: Brand) -> dict[str, str]:
    """Folded nickname pattern → how it is made ("the initial of VELORIA + 家")."""
    out: dict[str, str] = {}
    for mark in brand.marks:
        for name in mark.names:
            folded = fold(name)
            cjk = "".join(c for c in folded if is_cjk(c))
            if cjk:
                for k in (1, 2):
                    if len(cjk) > k:
                        out.setdefault(cjk[:k] + "家", f"the first character{'s' * (k > 1)} of {name} + 家")
                syllables = name_pinyin(cjk)
                initials = "".join(s[0] for s in syllables if s)
                if len(initials) >= 3:
                    out.setdefault(initials, f"the pinyin initials of {name}")
                for k in (1, 2):
                    if len(initials) > k:
                        out.setdefault(
                            initials[:k] + "家", f"the pinyin initial{'s' * (k > 1)} of {name} + 家"
                        )
                continue
            latin = NON_WORD.sub("", folded)
            if not latin.isascii() or len(latin) < 3:
                continue
            out.setdefault(latin[0] + "家", f"the initial of {name} + 家")
            consonant = next((c for c in latin[1:] if c.isalpha() and c not in VOWELS), None)
            if consonant:
                out.setdefault(latin[0] + consonant + "家", f"the first consonants of {name} + 家")
    return out


class AliasFinder:
    """Nicknames, product lines and other brands in many texts at once (one pass each, batch)."""

    def __init__(self, brand: Brand) -> None:
        self.brand = brand
        names = {fold(n) for m in brand.marks for n in m.names}
        names_packed = {NON_WORD.sub("", n) for n in names}
        pinyins = {
            "".join(name_pinyin("".join(c for c in n if is_cjk(c)))) for n in names if any(map(is_cjk, n))
        }
        self.nicks = nicknames(brand)
        self.products = {
            fold(t): t
            for t in brand.search_terms
            if NON_WORD.sub("", fold(t)) not in names_packed | pinyins and NON_WORD.sub("", fold(t))
        }
        self.others: dict[str, str] = {}
        for group in load_other_brands():
            if any(NON_WORD.sub("", fold(n)) in names_packed for n in group):
                continue  # the brand itself is on the list
            for n in group:
                self.others[fold(n)] = group[0]
        partial: dict[str, str] = {}
        for n in names:
            cjk = "".join(c for c in n if is_cjk(c))
            syl = name_pinyin(cjk) if cjk else []
            if len(syl) >= 3:
                partial[SYLLABLE_GAP.join(re.escape(s) for s in syl[:2]) + "[1-5]?"] = (
                    f"the first two pinyin syllables of {cjk}"
                )
        self._partial = partial
        # nicknames ending in 家 are found from the 家 (rare in titles); initials and pinyin as words
        self._jia = {w[:-1]: w for w in self.nicks if w.endswith("家")}
        words = [w for w in self.nicks if not w.endswith("家")]
        parts = [trie_regex(sorted(words, key=len, reverse=True))] if words else []
        if partial:
            parts.append("(?:" + "|".join(partial) + ")")
        firsts = {w[0] for w in words} | {p[0] for p in partial}
        self._nick_rx: re.Pattern[str] | None = None
        if parts:
            self._nick_rx = re.compile(
                rf"(?=[{re.escape(''.join(sorted(firsts)))}])(?<![a-z0-9])(?:{'|'.join(parts)})(?![a-z0-9])"
            )
        self._product_rx = self._compile(self.products)
        self._other_rx = self._compile(self.others)
        self._fold = base_list()

    @staticmethod
    def _compile(words: dict[str, str]) -> re.Pattern[str] | None:
        if not words:
            return None
        body = trie_regex(sorted(words, key=len, reverse=True))
        firsts = re.escape("".join(sorted({w[0] for w in words})))
        return re.compile(rf"(?=[{firsts}])(?<![a-z0-9])(?:{body})")

    def find_many(self, texts: Sequence[str | None], folded: str | None = None) -> list[Aliases]:
        """Per text, its nicknames, product lines and other brands. ``folded``: the texts joined by NUL
        and folded (:func:`matchers.normalize.fold`), when the caller has it already."""
        raw = [t or "" for t in texts]
        if not raw:
            return []
        slots: list[Aliases | None] = [None] * len(raw)
        starts = [0, *itertools.accumulate(len(t) + 1 for t in raw)][:-1]
        if folded is None:
            folded = astral("\x00".join(raw)).translate(self._fold)

        def slot(i: int) -> Aliases:
            got = slots[i]
            if got is None:
                got = slots[i] = Aliases()
            return got

        def put(rx: re.Pattern[str] | None, kind: str, table: dict[str, str]) -> None:
            if rx is None:
                return
            for m in rx.finditer(folded):
                w = m.group()
                e = m.end()
                if w[-1].isascii() and e < len(folded) and folded[e].isascii() and folded[e].isalnum():
                    continue  # a Latin term must end a word
                i = bisect.bisect_right(starts, m.start()) - 1
                s0 = m.start() - starts[i]
                hit = AliasHit(kind, raw[i][s0 : s0 + len(w)], table.get(w, w), "", s0, s0 + len(w))
                (slot(i).products if kind == "product-line" else slot(i).others).append(hit)

        found: list[tuple[int, str]] = []
        if self._jia:
            for m in JIA.finditer(folded):
                head = m.group(1)
                for k in range(len(head)):
                    part = head[k:]
                    if part in self._jia and (
                        not part.isascii() or k > 0 or m.start() == 0 or not _alnum(folded[m.start() - 1])
                    ):
                        if part.isascii() and k > 0:
                            continue  # a Latin nickname must start a word ("lv家" is not "v家")
                        found.append((m.start() + k, part + "家"))
                        break
        if self._nick_rx is not None:
            found += [(m.start(), m.group()) for m in self._nick_rx.finditer(folded)]
        for pos, w in found:
            i = bisect.bisect_right(starts, pos) - 1
            s0 = pos - starts[i]
            how = self.nicks.get(w) or next(
                (d for p, d in self._partial.items() if re.fullmatch(p, w)), "a nickname"
            )
            slot(i).nicknames.append(AliasHit("nickname", raw[i][s0 : s0 + len(w)], w, how, s0, s0 + len(w)))
        put(self._product_rx, "product-line", self.products)
        put(self._other_rx, "other-brand", self.others)
        return [EMPTY if a is None else a for a in slots]


#: One or two letters or characters before 家 (V家, VL家, 薇家, 薇洛家).
JIA = re.compile(rf"([a-z]{{1,2}}|[{CJK}]{{1,2}})家")


def _alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()
