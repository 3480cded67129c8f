"""The weighted counterfeit lexicon (``configs/lexicon.yaml``) plus a brand's own words, matched in batch.

One trie regex over the folded text finds, at each place, the longest term, so benign phrases of
weight 0 (高仿真, 仿真) shadow the counterfeit word inside them. Latin terms only match whole words.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from markwatch.brand import Brand
from markwatch.errors import UserError
from matchers.normalize import astral, base_list, fold, trie_regex

#: The shared lexicon file.
LEXICON_PATH = Path(__file__).resolve().parent.parent / "configs" / "lexicon.yaml"
KINDS = ("counterfeit", "grade", "contact", "grey", "benign", "brand", "intent", "sells")


@dataclass(frozen=True)
class Term:
    term: str  # as written in the lexicon
    weight: float
    kind: str
    means: str = ""


@dataclass(frozen=True)
class TermHit:
    term: Term
    found: str  # as in the text
    start: int
    end: int


@lru_cache(maxsize=4)
def load_lexicon(path: Path = LEXICON_PATH) -> tuple[Term, ...]:
    """The shared lexicon; a malformed file is a :class:`UserError` naming the term."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UserError(f"{path}: cannot read the lexicon ({exc})") from None
    terms = data.get("terms") if isinstance(data, dict) else None
    if not isinstance(terms, dict):
        raise UserError(f"{path}: the lexicon needs a `terms:` mapping")
    out: list[Term] = []
    for word, spec in terms.items():
        if not isinstance(word, str):  # YAML reads 1:1 unquoted as the number 61
            raise UserError(f"{path}: term {word!r} must be a quoted string")
        if not isinstance(spec, dict) or not isinstance(spec.get("weight"), int | float):
            raise UserError(f"{path}: term {word!r} needs a weight")
        weight = float(spec["weight"])
        kind = str(spec.get("kind", "counterfeit"))
        if not 0.0 <= weight <= 1.0 or kind not in KINDS:
            raise UserError(f"{path}: term {word!r}: weight must be 0–1 and kind one of {', '.join(KINDS)}")
        out.append(Term(str(word), weight, kind, str(spec.get("means", ""))))
    return tuple(out)


#: Kinds that say whether a post sells: looked for only in posts and accounts (a product listing sells).
INTENT_KINDS = frozenset({"intent", "sells"})


class LexiconFinder:
    """The shared lexicon and a brand's words, compiled once. ``kinds``: the kinds of terms to find
    (default: all but :data:`INTENT_KINDS`, which a second finder looks for in posts only)."""

    def __init__(
        self,
        brand: Brand | None = None,
        terms: tuple[Term, ...] | None = None,
        kinds: frozenset[str] | None = None,
    ) -> None:
        wanted = kinds if kinds is not None else frozenset(KINDS) - INTENT_KINDS
        all_terms = [t for t in (terms if terms is not None else load_lexicon()) if t.kind in wanted]
        if "brand" not in wanted:
            brand = None
        if brand is not None:
            all_terms += [
                Term(w, float(v), "brand", f"{brand.name}'s own word") for w, v in brand.lexicon.items()
            ]
        self.terms: dict[str, Term] = {}
        for t in all_terms:
            self.terms[fold(t.term)] = t  # a brand's word overrides a shared one
        firsts = re.escape("".join(sorted({t[0] for t in self.terms})))
        pattern = f"(?=[{firsts}])" + trie_regex(sorted(self.terms, key=len, reverse=True))
        # Latin words only match as whole words: no ASCII letter or digit right before or after
        self._regex = re.compile(pattern)
        self._fold = base_list()

    def find_many(self, texts: Sequence[str | None], folded: str | None = None) -> list[list[TermHit]]:
        """:meth:`find` for each text, searching the batch as one string (texts joined by NUL)."""
        raw = [t or "" for t in texts]
        out: list[list[TermHit]] = [[] for _ in raw]
        if not raw:
            return out
        starts = [0, *itertools.accumulate(len(t) + 1 for t in raw)][:-1]
        if folded is None:  # the batch joined by NUL and folded; a caller that has it passes it
            folded = astral("\x00".join(raw)).translate(self._fold)
        for m in self._regex.finditer(folded):
            hit = self._hit(folded, m)
            if hit is not None:
                i = bisect.bisect_right(starts, m.start()) - 1
                base = starts[i]
                out[i].append(
                    TermHit(hit, raw[i][m.start() - base : m.end() - base], m.start() - base, m.end() - base)
                )
        return out

    def _hit(self, folded: str, m: re.Match[str]) -> Term | None:
        word = m.group()
        term = self.terms.get(word)
        if term is None:
            return None
        s, e = m.start(), m.end()
        if word[0].isascii() and word[0].isalnum() and s > 0 and _alnum(folded[s - 1]):
            return None
        if word[-1].isascii() and word[-1].isalnum() and e < len(folded) and _alnum(folded[e]):
            return None
        return term

    def find(self, text: str | None) -> list[TermHit]:
        if not text:
            return []
        folded = astral(text).translate(self._fold)
        hits: list[TermHit] = []
        for m in self._regex.finditer(folded):
            term = self._hit(folded, m)
            if term is not None:
                hits.append(TermHit(term, text[m.start() : m.end()], m.start(), m.end()))
        return hits


def _alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()
