"""Finding a brand's marks in titles, in batch: exact forms through one trie regex, near misses through
``rapidfuzz.process.cdist`` over the distinct candidate words of the whole batch.

What counts as the mark (each hit says which trick it saw, for the analyst and for the score):

* the mark's text and the brand's variants, folded (case, full-width, accents, Cyrillic/Greek
  look-alikes, traditional characters: :mod:`matchers.normalize`);
* the same written apart — ``V E L O R I A``, ``V.E.L.O.R.I.A``, ``薇*洛*瑞*亚`` — provided the match
  starts and ends on a word boundary (so "i love loria" is not "veloria");
* digits for letters (``VEL0RIA``) inside such a match; a name of six letters or more also when run
  together with other letters (``veloriabag``);
* Chinese names with homophone characters (``微洛瑞亚``, ``薇洛瑞娅``): every character with the same
  toneless pinyin as a character of the name stands for it, but at most half the characters may be
  replaced, so a name re-spelt entirely from common characters is not taken for the mark;
* the Chinese names written in pinyin (``weiluoruiya``, ``Wei Luo Rui Ya``);
* one edit (substitution, insertion, deletion or transposition; two from ten letters) on a Latin
  name of at least six letters — but never a word that is, or is as close to, one of the brand's
  ``exclude_terms`` (velour, Valeria, Verona…).
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from markwatch.brand import Brand
from matchers.normalize import (
    ASTRAL,
    CJK,
    CJK_CHAR,
    DIGIT,
    FULLWIDTH,
    LATIN_CHAR,
    LEET,
    NON_WORD,
    as_list,
    astral,
    base_table,
    fold,
    is_cjk,
    is_invisible,
    letter_trick,
    lookalike_chars,
    traditional_chars,
    trie_regex,
)

#: Runs of three or more single letters or digits set apart by up to three separators ("v e l 0 r i a").
SINGLE_RUN = re.compile(rf"(?<![a-z0-9])[a-z0-9](?:[^a-z0-9{CJK}\x00]{{1,3}}[a-z0-9](?![a-z0-9])){{2,}}")
#: Between the texts of a batch searched as one string.
TEXT_SEP = "\x00"
#: What may stand between the letters of a name: up to four separators (never a text boundary).
LETTER_GAP = rf"[^a-z0-9{CJK}\x00]{{0,4}}"
#: Digits that may stand for a letter.
LEET_FOR = {"o": "0", "i": "1", "e": "3", "a": "4", "s": "5", "t": "7", "b": "8", "g": "9"}


def gapped_trie_regex(words: list[str]) -> str:
    """A regex for any of ``words`` with separators allowed between letters and digits for letters,
    built as a trie behind a one-character look-ahead (so most positions fail at once)."""

    def cls(ch: str) -> str:
        digit = LEET_FOR.get(ch)
        return f"[{ch}{digit}]" if digit else re.escape(ch)

    firsts = "".join(sorted({cls(w[0]).strip("[]").replace("\\", "") for w in words if w}))
    return f"(?=[{re.escape(firsts)}])" + trie_regex(words, cls, LETTER_GAP)


#: A bracketed part of up to twelve characters (【机械表】, 〖托特包〗, (正品)).
BRACKETED = re.compile(r"[【〖\[［(（「『《〔<][^】〗\]］)）」』》〕>\x00]{1,12}[】〗\]］)）」』》〕>]")
#: Two or more pinyin syllables each followed by a tone number (wei1 luo4).
TONED = re.compile(r"(?<![a-z0-9])[a-z]{1,6}[1-5](?:[ \-·'_.]{0,2}[a-z]{1,6}[1-5])+(?![0-9])")
TONE_DIGIT = re.compile(r"(?<=[a-z])([1-5])(?![0-9])")
LATIN_WORD = re.compile(r"(?<![a-z0-9])[a-z]+(?![a-z0-9])")
#: Tricks of a near miss: found, shown to the analyst, not counted.
MISS_TRICKS = frozenset({"longer-word", "real-word", "false-friend"})
LATIN_TAIL = re.compile(r"[a-z]+$")
LATIN_HEAD = re.compile(r"[a-z]+")
#: What may be run into a long name without making another word of it ("veloriabag", "newcorvane").
ATTACH_WORDS = frozenset(
    """bag bags tote new shop store official style logo sale hot top classic mini cn hk us uk eu jp kr x s
    watch watches shoe shoes sneaker sneakers bottle wallet women woman men man lady kids pro max plus
    home studio paris milano london outlet online vip fans club china global the my original""".split()  # noqa: SIM905
)
#: How often (pyspellchecker's English frequency list) a word must be used to count as a real word.
REAL_WORD_FREQ = 50


def _attach_ok(side: str) -> bool:
    return not side or side in ATTACH_WORDS or len(side) == 1


@lru_cache(maxsize=1)
def _english() -> dict[str, int]:
    from spellchecker import SpellChecker

    return dict(SpellChecker(language="en", distance=1).word_frequency.dictionary)


@lru_cache(maxsize=4096)
def real_word(word: str) -> bool:
    """An English word in common use (the misspelling "stride" of STRIDA is a real word)."""
    return word.isalpha() and _english().get(word, 0) >= REAL_WORD_FREQ


#: Shortest piece of a name split across the title.
SPLIT_MIN_PIECE = 3

#: Shortest Latin name found run together with other letters ("veloriabag").
ATTACHED_MIN_LEN = 6
#: Shortest Latin name on which one-letter misspellings are looked for.
FUZZY_MIN_LEN = 6


@dataclass(frozen=True)
class NameForm:
    """One searchable form of a mark: its text folded, and what it is."""

    mark_id: str
    name: str  # as written in the brand file
    form: str  # folded search form (Latin lower case, or CJK)
    how: str  # "name" | "pinyin"


@dataclass(frozen=True)
class MarkHit:
    mark_id: str
    name: str  # the brand's name that was matched
    found: str  # the text as it appears in the title
    tricks: tuple[
        str, ...
    ]  # spaced, digits, lookalike, fullwidth, traditional, homophone, pinyin, misspelt, attached
    distance: int = 0  # edits, for misspellings
    start: int = 0
    end: int = 0
    field: str = "title"

    @property
    def exact(self) -> bool:
        return not self.tricks


WORD_CHAR = re.compile(rf"[a-z0-9{CJK}]")


def _is_symbol(ch: str) -> bool:
    """An emoji or symbol (★, 🔥, 🌸) put between the letters of a name."""
    return unicodedata.category(ch) in ("So", "Sk", "Sm") or (ch > "\uffff" and not ch.isalnum())


def _joined(run: str) -> str:
    return NON_WORD.sub("", run)


def _strip_tone(reading: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", reading) if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _readings() -> dict[str, frozenset[str]]:
    """Every CJK character's toneless pinyin readings (pypinyin's dictionary)."""
    from pypinyin.pinyin_dict import pinyin_dict

    out: dict[str, frozenset[str]] = {}
    for cp, readings in pinyin_dict.items():
        out[chr(cp)] = frozenset(_strip_tone(r) for r in readings.split(","))
    return out


@lru_cache(maxsize=1)
def _by_reading() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for ch, readings in _readings().items():
        for r in readings:
            index.setdefault(r, set()).add(ch)
    return {r: frozenset(chars) for r, chars in index.items()}


def name_pinyin(name: str) -> list[str]:
    from pypinyin import lazy_pinyin

    return [p.lower() for p in lazy_pinyin(name)]


class MarkFinder:
    """Finds the marks of one brand in many texts at once (:meth:`find_many`)."""

    def __init__(self, brand: Brand) -> None:
        self.brand = brand
        forms: list[NameForm] = []
        for mark in brand.marks:
            for name in mark.names:
                folded = fold(name)
                if any(is_cjk(c) for c in folded):
                    cjk = "".join(c for c in folded if is_cjk(c) or c.isalnum())
                    forms.append(NameForm(mark.id, name, cjk, "name"))
                    pinyin = "".join(name_pinyin("".join(c for c in folded if is_cjk(c))))
                    if len(pinyin) >= 5:
                        forms.append(NameForm(mark.id, name, pinyin, "pinyin"))
                else:
                    latin = NON_WORD.sub("", folded)
                    if latin:
                        forms.append(NameForm(mark.id, name, latin, "name"))
        self.forms = forms
        # homophones: each character sharing a reading with a character of a Chinese name stands for it
        homo: dict[str, str] = {}
        rep: dict[str, str] = {}
        readings = _readings()
        for f in forms:
            if f.how != "name" or not any(is_cjk(c) for c in f.form):
                continue
            for ch, r in zip(f.form, name_pinyin(f.form), strict=False):
                rep.setdefault(r, ch)
        for r, ch in rep.items():
            for other in _by_reading().get(r, ()):
                if other not in homo or homo[other] == other:
                    homo[other] = ch
            homo[ch] = ch
        self._homo_table = str.maketrans({k: v for k, v in homo.items() if k != v})
        # one pass: fold, then stand homophones for the name's characters
        table = dict(base_table())
        for cp, to in list(table.items()):
            table[cp] = to.translate(self._homo_table)
        for cp, to in self._homo_table.items():
            table.setdefault(cp, to)
        self._table = as_list(table)
        self._cache: dict[tuple[str, bool, bool, str], MarkHit | None] = {}
        self._lookalike = lookalike_chars()
        self._traditional = traditional_chars()
        self._canon: dict[str, list[NameForm]] = {}
        for f in forms:
            self._canon.setdefault(f.form.translate(self._homo_table), []).append(f)
        self._batch_regex = re.compile(gapped_trie_regex(sorted(self._canon, key=len, reverse=True)))
        self._readings = readings
        self.excludes = [NON_WORD.sub("", fold(t)) for t in brand.exclude_terms]
        self._exclude_latin = [e for e in self.excludes if e.isascii()]
        self._exclude_cjk = [e for e in self.excludes if not e.isascii()]
        self.fuzzy_forms = [f for f in forms if f.form.isascii() and len(f.form) >= FUZZY_MIN_LEN]
        self._fuzzy_strings = [f.form for f in self.fuzzy_forms]
        lengths = [len(f) for f in self._fuzzy_strings]
        self._len_lo = min(lengths) - 1 if lengths else 0
        self._len_hi = max(lengths) + 2 if lengths else 0
        # names split in two words across the title: first piece → (form, the rest)
        self._split_heads: dict[str, list[tuple[NameForm, str]]] = {}
        for f in forms:
            if f.how == "name" and f.form.isascii() and f.form.isalpha() and len(f.form) >= ATTACHED_MIN_LEN:
                for k in range(SPLIT_MIN_PIECE, len(f.form) - 1):  # the rest may be two letters
                    self._split_heads.setdefault(f.form[:k], []).append((f, f.form[k:]))
        self._split_rx: re.Pattern[str] | None = None
        if self._split_heads:
            heads = sorted(self._split_heads, key=len, reverse=True)
            firsts = re.escape("".join(sorted({h[0] for h in heads})))
            self._split_rx = re.compile(rf"(?<![a-z0-9])(?=[{firsts}])(?:{trie_regex(heads)})(?![a-z0-9])")
        self._word_rx = re.compile(rf"(?<![a-z0-9])[a-z0-9]{{{self._len_lo},{self._len_hi}}}(?![a-z0-9])")

    # --- public ---------------------------------------------------------------------------------

    def find(self, text: str, field_name: str = "title") -> list[MarkHit]:
        return self.find_many([text], field_name)[0]

    def find_many(self, texts: Sequence[str | None], field_name: str = "title") -> list[list[MarkHit]]:
        """The hits of :meth:`find_many_detailed`, without the near misses."""
        return self.find_many_detailed(texts, field_name)[0]

    def find_many_detailed(
        self, texts: Sequence[str | None], field_name: str = "title"
    ) -> tuple[list[list[MarkHit]], list[list[MarkHit]]]:
        """(hits, near misses) per text. A near miss looked like the mark but is not counted; its
        ``tricks`` say why: ``longer-word`` (the name inside a longer word: "Veloriana"),
        ``real-word`` (one letter from the name but an English word: "stride"), ``false-friend``
        (as close to one of the brand's ``exclude_terms`` as to the name)."""
        results = self._find_all(texts, field_name)
        none: list[MarkHit] = []  # shared by the texts without a near miss: read it, never change it
        misses = [none] * len(results)
        for i, r in enumerate(results):
            if r and any(MISS_TRICKS.intersection(h.tricks) for h in r):
                misses[i] = [h for h in r if MISS_TRICKS.intersection(h.tricks)]
                results[i] = [h for h in r if not MISS_TRICKS.intersection(h.tricks)]
        return results, misses

    def _find_all(self, texts: Sequence[str | None], field_name: str) -> list[list[MarkHit]]:
        """All mark hits in each text (exact and tricked forms first, then near misses).

        The batch is folded and searched as one string (texts joined by NUL): one ``translate``,
        one pass of the mark regex (separators and digits allowed between the letters), the distinct
        candidate words of the whole batch through ``cdist``; Python only touches the hits.
        """
        raw = [t or "" for t in texts]
        results: list[list[MarkHit]] = [[] for _ in raw]
        if not raw:
            return results
        starts = [0, *itertools.accumulate(len(t) + 1 for t in raw)][:-1]
        canon_all = astral(TEXT_SEP.join(raw)).translate(self._table)

        def where(pos: int) -> int:
            return bisect.bisect_right(starts, pos) - 1

        for m in self._batch_regex.finditer(canon_all):
            i = where(m.start())
            base = starts[i]
            packed = NON_WORD.sub("", m.group())
            key = packed if packed in self._canon else packed.translate(LEET)
            if key not in self._canon:
                continue
            canon_text = canon_all[base : base + len(raw[i])]
            hit = self._check_cached(raw[i], canon_text, key, m.start() - base, m.end() - base, field_name)
            if hit is not None:
                results[i].append(hit)
        if self.fuzzy_forms:
            self._fuzzy_batch(raw, canon_all, starts, results, field_name)
        self._rewritten_pass(raw, canon_all, starts, results, field_name)
        if self._split_rx is not None:
            self._split_pass(raw, canon_all, starts, results, field_name)
        return results

    # --- names cut by a bracketed part, written with tone numbers, or split across the title -----------

    def _rewritten_pass(
        self, raw: list[str], canon_all: str, starts: list[int], results: list[list[MarkHit]], field_name: str
    ) -> None:
        """Texts that hold a bracketed part (``CORV【机械表】ANE``) or pinyin with tone numbers (``wei1 luo4
        rui4 ya4``) are searched again with the bracketed parts taken out, or the tone numbers read as
        spaces; a hit found that way (and not overlapping one already found) carries the trick
        ``bracketed`` or ``tones``. Searched whatever else the text holds, so that naming the mark
        plainly as well never hides the trick."""
        todo: dict[int, set[str]] = {}
        for rx, trick in ((BRACKETED, "bracketed"), (TONED, "tones")):
            for m in rx.finditer(canon_all):
                i = bisect.bisect_right(starts, m.start()) - 1
                todo.setdefault(i, set()).add(trick)
        for i, tricks in todo.items():
            text = raw[i]
            canon = canon_all[starts[i] : starts[i] + len(text)]
            for trick in sorted(tricks):
                if trick == "tones":
                    keep = list(range(len(text)))
                    spans = [(m.start(1), m.end(1)) for m in TONE_DIGIT.finditer(canon)]
                    chars = list(text)
                    for s, _e in spans:
                        chars[s] = " "
                    new_text = "".join(chars)
                else:
                    spans = [(m.start(), m.end()) for m in BRACKETED.finditer(canon)]
                    cut = {p for s, e in spans for p in range(s, e)}
                    keep = [p for p in range(len(text)) if p not in cut]
                    new_text = "".join(text[p] for p in keep)
                new_canon = astral(new_text).translate(self._table)
                for m in self._batch_regex.finditer(new_canon):
                    packed = NON_WORD.sub("", m.group())
                    key = packed if packed in self._canon else packed.translate(LEET)
                    if key not in self._canon:
                        continue
                    start, end = keep[m.start()], keep[m.end() - 1] + 1
                    if trick == "tones" and end < len(text) and text[end] in "12345":
                        end += 1
                    if not any(start <= s < end for s, _e in spans):
                        continue  # the rewriting did not make this match
                    if any(h.start < end and start < h.end for h in results[i]):
                        continue
                    hit = self._check(new_text, new_canon, key, m.start(), m.end(), field_name)
                    if hit is None:
                        continue
                    extra = tuple(
                        t for t in hit.tricks if t not in ("spaced", "digits") or trick == "bracketed"
                    )
                    if trick == "tones" and "pinyin" not in hit.tricks:
                        continue
                    results[i].append(
                        MarkHit(
                            hit.mark_id, hit.name, text[start:end], (*extra, trick), 0, start, end, field_name
                        )
                    )
                    break

    def _split_pass(
        self, raw: list[str], canon_all: str, starts: list[int], results: list[list[MarkHit]], field_name: str
    ) -> None:
        """A Latin name of six letters or more cut in two whole words elsewhere in the title (``VELO 女包
        RIA``): the first piece, then, later in the same text, the rest."""
        assert self._split_rx is not None
        done: set[int] = set()
        for m in self._split_rx.finditer(canon_all):
            i = bisect.bisect_right(starts, m.start()) - 1
            if i in done:
                continue
            base = starts[i]
            canon = canon_all[base : base + len(raw[i])]
            head = m.group()
            for form, rest in self._split_heads[head]:
                for t in LATIN_WORD.finditer(canon, m.end() - base):
                    if t.group() != rest:
                        continue
                    start, end = m.start() - base, t.end()
                    pieces = ((start, m.end() - base), (t.start(), end))
                    if any(h.start < e and s < h.end for h in results[i] for s, e in pieces):
                        continue  # a piece is part of a name already found
                    found = raw[i][start : m.end() - base] + " … " + raw[i][t.start() : end]
                    results[i].append(
                        MarkHit(form.mark_id, form.name, found, ("split",), 0, start, end, field_name)
                    )
                    done.add(i)
                    break
                if i in done:
                    break

    def _fuzzy_batch(
        self, raw: list[str], canon_all: str, starts: list[int], results: list[list[MarkHit]], field_name: str
    ) -> None:
        lo, hi = self._len_lo, self._len_hi
        words = set(self._word_rx.findall(canon_all))
        runs = {j for j in map(_joined, SINGLE_RUN.findall(canon_all)) if lo <= len(j) <= hi}
        best = self._fuzzy_best({w for w in words | runs if not w.isdigit()})
        if not best:
            return
        found_words = sorted((w for w in words if w in best), key=len, reverse=True)
        spans: list[tuple[int, int, str]] = []
        if found_words:
            firsts = re.escape("".join(sorted({w[0] for w in found_words})))
            rx = re.compile(rf"(?<![a-z0-9])(?=[{firsts}])(?:{trie_regex(found_words)})(?![a-z0-9])")
            spans += [(m.start(), m.end(), m.group()) for m in rx.finditer(canon_all)]
        if any(r in best for r in runs):
            spans += [
                (m.start(), m.end(), run)
                for m in SINGLE_RUN.finditer(canon_all)
                if (run := _joined(m.group())) in best
            ]
        for start_all, end_all, cand in sorted(spans):
            i = bisect.bisect_right(starts, start_all) - 1
            start, end = start_all - starts[i], end_all - starts[i]
            if any(h.start < end and start < h.end for h in results[i]):
                continue
            dist, j, word = best[cand]
            form = self.fuzzy_forms[j]
            found = raw[i][start:end]
            if self._near_exclude(word, dist):
                results[i].append(
                    MarkHit(form.mark_id, form.name, found, ("false-friend",), dist, start, end, field_name)
                )
                continue
            if real_word(cand):
                results[i].append(
                    MarkHit(form.mark_id, form.name, found, ("real-word",), dist, start, end, field_name)
                )
                continue
            tricks = ["misspelt"]
            if word != cand:
                tricks.append("digits")
            if " " in found or len(found) > len(cand):
                tricks.append("spaced")
            results[i].append(
                MarkHit(form.mark_id, form.name, found, tuple(tricks), dist, start, end, field_name)
            )

    def _fuzzy_best(self, cands: set[str]) -> dict[str, tuple[int, int, str]]:
        """For each candidate word within one or two edits of a Latin name: (edits, name index, the word
        as compared — digits read as letters when that is closer)."""
        variants: dict[str, str] = {}
        for c in cands:
            variants.setdefault(c, c)
            variants.setdefault(c.translate(LEET), c)
        words = list(variants)
        if not words:
            return {}
        matrix = process.cdist(
            words, self._fuzzy_strings, scorer=OSA.distance, processor=None, score_cutoff=2, workers=-1
        )
        out: dict[str, tuple[int, int, str]] = {}
        for w, row in zip(words, matrix, strict=True):
            for j, d in enumerate(row):
                d = int(d)
                allowed = 1 if len(self._fuzzy_strings[j]) < 10 else 2
                if not 0 < d <= allowed:
                    continue
                for c in (w,) if w in cands else ():
                    if c not in out or d < out[c][0]:
                        out[c] = (d, j, w)
                original = variants[w]
                if original != w and original in cands and (original not in out or d < out[original][0]):
                    out[original] = (d, j, w)
        return out

    # --- exact and tricked forms ----------------------------------------------------------------

    def _check_cached(
        self, text: str, canon_text: str, canon: str, start: int, end: int, field_name: str
    ) -> MarkHit | None:
        """:meth:`_check`, remembered by what it depends on (the span and the character either side),
        since a batch repeats the same few ways of writing the mark."""
        if self._exclude_cjk and not canon.isascii():
            return self._check(text, canon_text, canon, start, end, field_name)
        key = (text[max(0, start - 1) : end + 1], start == 0, end == len(text), canon)
        if key not in self._cache:
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[key] = self._check(text, canon_text, canon, start, end, field_name)
        hit = self._cache[key]
        if hit is None:
            return None
        return MarkHit(hit.mark_id, hit.name, hit.found, hit.tricks, hit.distance, start, end, field_name)

    def _check(
        self, text: str, canon_text: str, canon: str, start: int, end: int, field_name: str
    ) -> MarkHit | None:
        folded = canon_text  # the same as fold(text) outside CJK characters
        span = fold(text[start:end])
        span_chars = NON_WORD.sub("", span)
        letters = LATIN_CHAR.findall(span_chars)
        latin = bool(letters)
        attached = False
        if latin:
            # the match must begin and end on a word boundary, unless it is a long name written in one
            # piece and run together with other letters ("veloriabag")
            before = folded[start - 1] if start > 0 else " "
            after = folded[end] if end < len(folded) else " "
            if (before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha()):
                if len(canon) < ATTACHED_MIN_LEN or span_chars != span:
                    return None
                attached = True
                head = LATIN_TAIL.search(folded, 0, start)
                tail = LATIN_HEAD.match(folded, end)
                sides = [head.group() if head else "", tail.group() if tail else ""]
                if not all(_attach_ok(s) for s in sides):
                    longer = text[start - len(sides[0]) : end + len(sides[1])]
                    return MarkHit(
                        self._canon[canon][0].mark_id,
                        self._canon[canon][0].name,
                        longer,
                        ("longer-word",),
                        0,
                        start - len(sides[0]),
                        end + len(sides[1]),
                        field_name,
                    )
            if len(DIGIT.findall(span_chars)) * 2 > len(letters):
                return None
            for ex in self._exclude_latin:
                if ex and ex in span_chars:
                    return None
        elif self._exclude_cjk:
            folded = fold(text)
            for ex in self._exclude_cjk:
                for m in re.finditer(re.escape(ex), folded):
                    if m.start() < end and start < m.end():
                        return None
        best: tuple[int, NameForm] | None = None
        for form in self._canon[canon]:
            changed = sum(a != b for a, b in zip(span_chars, form.form, strict=False))
            if best is None or changed < best[0]:
                best = (changed, form)
        assert best is not None
        changed, form = best
        tricks: list[str] = []
        if form.how == "pinyin":
            tricks.append("pinyin")
        cjk_chars = CJK_CHAR.findall(span_chars)
        if cjk_chars and changed:
            if changed > len(form.form) // 2:
                return None
            tricks.append("homophone")
        raw = text[start:end]
        seps = [c for c, f in zip(raw, span, strict=False) if not WORD_CHAR.match(f)]
        visible = [c for c in seps if not is_invisible(c)]
        if visible and ((latin and span_chars != span) or (cjk_chars and len(span) > len(span_chars))):
            tricks.append("spaced")
        if any(_is_symbol(c) for c in visible):
            tricks.append("symbols")
        if len(visible) < len(seps):
            tricks.append("invisible")
        if DIGIT.search(span_chars) and not DIGIT.search(form.form):
            tricks.append("digits")
        if attached:
            tricks.append("attached")
        if latin and (
            is_cjk(folded[start - 1] if start > 0 else " ") or is_cjk(folded[end : end + 1] or " ")
        ):
            tricks.append("glued")
        chars = set(raw)
        if not chars.isdisjoint(self._lookalike) or ASTRAL.search(raw):
            kinds = {
                letter_trick(c) for c in chars if c in self._lookalike or (c > "\uffff" and c != fold(c))
            }
            if "lookalike" in kinds:
                tricks.append("lookalike")
            if "fancy" in kinds:
                tricks.append("fancy")
            if "accent" in kinds:
                tricks.append("tones" if form.how == "pinyin" else "accents")
        if FULLWIDTH.search(raw):
            tricks.append("fullwidth")
        if not chars.isdisjoint(self._traditional):
            tricks.append("traditional")
        return MarkHit(form.mark_id, form.name, raw, tuple(tricks), 0, start, end, field_name)

    # --- near misses ----------------------------------------------------------------------------

    def _near_exclude(self, word: str, dist: int) -> bool:
        return any(OSA.distance(word, ex) <= dist for ex in self._exclude_latin)
