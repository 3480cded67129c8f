"""The goods a listing sells, read from its category words, against the Nice classes of the brand's marks.

``configs/goods.yaml`` lists, per Nice class, the words that name its goods in marketplace titles, and
groups of related classes. :class:`GoodsReader` finds them (one trie regex over the folded text, the
longest word at each place, ``not_goods`` shadowing 包 in 包邮) and says whether the listing's goods are
the brand's, far from them, or unknown (no category word).
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
from matchers.normalize import fold, trie_regex

GOODS_PATH = Path(__file__).resolve().parent.parent / "configs" / "goods.yaml"


@dataclass(frozen=True)
class GoodsTable:
    words: dict[str, frozenset[int]]  # folded word → its classes (empty: not goods)
    names: dict[int, str]
    related: tuple[frozenset[int], ...]


@lru_cache(maxsize=4)
def load_goods(path: Path = GOODS_PATH) -> GoodsTable:
    """The class → category-words table; a malformed file is a :class:`UserError` naming the problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UserError(f"{path}: cannot read the goods table ({exc})") from None
    classes = data.get("classes") if isinstance(data, dict) else None
    if not isinstance(classes, dict):
        raise UserError(f"{path}: the goods table needs a `classes:` mapping of Nice class → words")
    words: dict[str, set[int]] = {}
    names: dict[int, str] = {}
    for number, spec in classes.items():
        if not isinstance(number, int) or not 1 <= number <= 45 or not isinstance(spec, dict):
            raise UserError(f"{path}: class {number!r} must be a Nice class 1–45 with `words:`")
        names[number] = str(spec.get("name", f"class {number}"))
        for w in spec.get("words") or []:
            words.setdefault(fold(str(w)), set()).add(number)
    for w in data.get("not_goods") or []:
        words[fold(str(w))] = set()
    related = []
    for group in data.get("related") or []:
        if not isinstance(group, list) or not all(isinstance(c, int) for c in group):
            raise UserError(f"{path}: `related` must be lists of class numbers")
        related.append(frozenset(group))
    return GoodsTable({w: frozenset(c) for w, c in words.items()}, names, tuple(related))


@dataclass(frozen=True)
class GoodsWord:
    word: str  # as in the text
    classes: frozenset[int]
    start: int


@dataclass(frozen=True)
class GoodsVerdict:
    """What the listing's category words say about the brand's goods."""

    words: tuple[GoodsWord, ...]
    ours: tuple[GoodsWord, ...]  # words of the brand's classes or related ones
    far: tuple[GoodsWord, ...]  # words only of classes far from the brand's
    own: tuple[GoodsWord, ...] = ()  # words of the brand's own classes (not merely related ones)

    @property
    def outside(self) -> bool:
        """Category words present, and none of them the brand's goods."""
        return bool(self.far) and not self.ours

    @property
    def inside(self) -> bool:
        return bool(self.ours)


#: The verdict on a text without category words.
NO_GOODS = GoodsVerdict((), (), ())


class GoodsReader:
    """Category words of one brand's listings, compiled once."""

    def __init__(self, brand: Brand, table: GoodsTable | None = None) -> None:
        self.table = table or load_goods()
        self.classes = frozenset(
            c for m in brand.marks if m.registration is not None for c in m.registration.classes
        )
        near = set(self.classes)
        for group in self.table.related:
            if group & self.classes:
                near |= group
        self.near = frozenset(near)
        words = sorted(self.table.words, key=len, reverse=True)
        firsts = re.escape("".join(sorted({w[0] for w in words})))
        self._regex = re.compile(f"(?=[{firsts}])" + trie_regex(words))

    def read(self, text: str) -> GoodsVerdict:
        return self.read_many([text])[0]

    def read_many(self, texts: Sequence[str | None]) -> list[GoodsVerdict]:
        """:meth:`read` for each text: the batch folded once and searched as one string."""
        raw = [t or "" for t in texts]
        if not raw:
            return []
        starts = [0, *itertools.accumulate(len(t) + 1 for t in raw)][:-1]
        folded = fold("\x00".join(raw))
        found: dict[int, list[GoodsWord]] = {}
        for m in self._regex.finditer(folded):
            w = m.group()
            classes = self.table.words.get(w)
            if not classes:
                continue
            s, e = m.start(), m.end()
            if w.isascii() and (
                (s > 0 and folded[s - 1].isascii() and folded[s - 1].isalnum())
                or (e < len(folded) and folded[e].isascii() and folded[e].isalnum())
            ):
                continue
            i = bisect.bisect_right(starts, s) - 1
            found.setdefault(i, []).append(
                GoodsWord(raw[i][s - starts[i] : e - starts[i]], classes, s - starts[i])
            )
        return [self._verdict(found[i]) if i in found else NO_GOODS for i in range(len(raw))]

    def _verdict(self, found: list[GoodsWord]) -> GoodsVerdict:
        if not self.classes:  # the brand registered no classes: nothing is far from it
            return GoodsVerdict(tuple(found), (), ())
        ours = tuple(g for g in found if g.classes & self.near)
        far = tuple(g for g in found if not g.classes & self.near)
        own = tuple(g for g in found if g.classes & self.classes)
        return GoodsVerdict(tuple(found), ours, far, own)

    def describe(self, words: tuple[GoodsWord, ...]) -> str:
        return ", ".join(
            f"{g.word} (class {'/'.join(str(c) for c in sorted(g.classes))}: "
            f"{self.table.names[min(g.classes)]})"
            for g in words[:3]
        )

    def brand_classes(self) -> str:
        return ", ".join(str(c) for c in sorted(self.classes)) or "none registered"
