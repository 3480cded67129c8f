"""Text normalisation for matching: one ``str.translate`` table, built once per process.

The table folds, character for character (so positions in the folded text are positions in the
title): ASCII and full-width letters to lower case ASCII, other compatibility forms (circled and
roman-numeral letters…) through NFKC, accented Latin letters to their base letter, Cyrillic and Greek
look-alikes to the Latin letter they imitate, and traditional Chinese characters to simplified ones
(OpenCC's ``t2s`` character table). Digits are *not* folded here: ``LEET`` does that separately, and
only where a match needs it, so that "1:1" and prices stay numbers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

#: Stylised stand-ins that Unicode's confusables data does not list (they are not pixel-identical, but
#: sellers use them for the Latin letter: "VΞLORIA", "CОRVΛNE"). Everything else comes from the data.
FAUX_LATIN: dict[str, str] = {
    "Ξ": "e",
    "Σ": "e",
    "ε": "e",
    "Λ": "a",
    "λ": "a",
    "Д": "a",
    "Я": "r",
    "я": "r",
    "И": "n",
    "и": "n",
    "п": "n",
    "П": "n",
    "Π": "n",
    "л": "n",
    "η": "n",
    "ω": "w",
    "Ш": "w",
    "ш": "w",
    "μ": "u",
    "Ц": "u",
    "ц": "u",
    "ς": "c",
    "г": "r",
    "ł": "l",
    "ø": "o",
    "Ø": "o",
    "đ": "d",
    "ð": "d",
    "ß": "b",
    "æ": "a",
    "œ": "o",
    "ı": "i",
}
#: Unicode names of fancy-text letters (small capitals, squared, circled, negative, parenthesized,
#: regional-indicator and modifier letters) that NFKC does not fold to one ASCII letter.
FANCY_NAME = re.compile(
    r"^(?:LATIN LETTER SMALL CAPITAL|(?:NEGATIVE |PARENTHESIZED |CIRCLED |SQUARED |NEGATIVE SQUARED |"
    r"NEGATIVE CIRCLED |MODIFIER LETTER )?(?:LATIN )?(?:CAPITAL|SMALL) LETTER|"
    r"REGIONAL INDICATOR SYMBOL LETTER) ([A-Z])$"
)
#: Scripts whose letters stand for Latin ones in a "mixed-script" word.
OTHER_SCRIPTS = ("GREEK", "CYRILLIC", "ARMENIAN", "CHEROKEE", "COPTIC", "GEORGIAN", "LISU", "TIFINAGH")


@lru_cache(maxsize=1)
def confusables_data() -> dict[str, str]:
    """Unicode's confusables (``confusable_homoglyphs``' copy of confusables.txt): every non-ASCII
    character whose skeleton is one ASCII letter, as that letter in lower case. A capital that Unicode
    says looks like ``l`` (the skeleton of ``I``) is read as ``i``; a lower-case letter the data lists
    only in capitals (Cyrillic ``к``, Greek ``τ``) takes its capital's letter."""
    import json

    import confusable_homoglyphs

    path = Path(confusable_homoglyphs.__file__).with_name("confusables.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for ch, entries in data.items():
        if len(ch) != 1 or ch.isascii() or is_cjk(ch) or "\u3000" <= ch <= "\u30ff":
            continue
        letters = [e["c"] for e in entries if len(e["c"]) == 1 and e["c"].isascii() and e["c"].isalpha()]
        if not letters:
            continue
        letter = letters[0].lower()
        if letter == "l" and ch.isupper():
            letter = "i"
        out[ch] = letter
    for ch, letter in list(out.items()):
        for other in (ch.lower(), ch.upper()):
            if len(other) == 1 and other != ch and other not in out and not other.isascii():
                out[other] = letter
    return out


def fancy_letter(ch: str) -> str | None:
    """The ASCII letter a fancy-text character writes, by its Unicode name (``ᴠ`` → v, ``🅥`` → v)."""
    m = FANCY_NAME.match(unicodedata.name(ch, ""))
    return m.group(1).lower() if m else None


def is_invisible(ch: str) -> bool:
    """Zero-width and other format characters, variation selectors, the combining grapheme joiner."""
    return unicodedata.category(ch) == "Cf" or "\ufe00" <= ch <= "\ufe0f" or ch == "\u034f"


def letter_trick(ch: str) -> str | None:
    """How a non-ASCII character that folds to a Latin letter was written: ``fullwidth``, ``fancy``
    (small capitals, circled, squared, mathematical…), ``lookalike`` (a letter of another script:
    Greek, Cyrillic…), ``accent`` (a Latin letter with a diacritic), or None."""
    if ch.isascii():
        return None
    if "\uff01" <= ch <= "\uff5e":
        return "fullwidth"
    name = unicodedata.name(ch, "")
    if name.startswith(OTHER_SCRIPTS):
        return "lookalike"
    if name.startswith("LATIN") and "WITH" in name:
        return "accent"
    return "fancy"


def describe_letters(text: str) -> list[str]:
    """For the analyst: each unusual letter in ``text`` with its Unicode name and the letter it plays."""
    out: list[str] = []
    seen: set[str] = set()
    for ch in text:
        if ch in seen or ch.isascii() or is_cjk(ch):
            continue
        seen.add(ch)
        folded = fold(ch)
        if folded.isascii() and folded.isalpha():
            out.append(f"{ch!r} ({unicodedata.name(ch, f'U+{ord(ch):04X}')}) for {folded.upper()}")
        elif is_invisible(ch):
            out.append(f"U+{ord(ch):04X} ({unicodedata.name(ch, 'format character')}), invisible")
    return out


#: Digits and signs written for letters, applied only inside a candidate mark ("VEL0RIA", "C0RV4NE").
LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"})

#: Characters that belong to words: ASCII letters and digits, and CJK ideographs.
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
NON_WORD = re.compile(rf"[^a-z0-9{CJK}]+")
LATIN_TOKEN = re.compile(r"[a-z0-9]+")
CJK_CHAR = re.compile(rf"[{CJK}]")
LATIN_CHAR = re.compile(r"[a-z0-9]")
ASTRAL = re.compile(r"[\U00010000-\U0010ffff]")


def is_cjk(ch: str) -> bool:
    return bool(CJK_CHAR.match(ch))


@lru_cache(maxsize=1)
def t2s_table() -> dict[str, str]:
    """Traditional → simplified, character by character (OpenCC's t2s conversion)."""
    import opencc

    chars = "".join(chr(c) for c in range(0x3400, 0xA000))
    converted = opencc.OpenCC("t2s").convert(chars)
    if len(converted) != len(chars):  # pragma: no cover - a phrase changed length; go char by char
        cc = opencc.OpenCC("t2s")
        return {c: s for c in chars if len(s := cc.convert(c)) == 1 and s != c}
    return {a: b for a, b in zip(chars, converted, strict=True) if a != b}


@lru_cache(maxsize=1)
def base_table() -> dict[int, str]:
    """The folding table described in the module docstring (1 character → 1 character)."""
    table: dict[int, str] = {}
    confusable = confusables_data()
    for cp in range(0x80, 0x3000):
        ch = chr(cp)
        if 0xD800 <= cp <= 0xDFFF:
            continue
        if is_invisible(ch):
            table[cp] = " "
            continue
        folded = unicodedata.normalize("NFKC", ch).lower()
        if len(folded) == 1 and folded != ch and folded.isascii():
            table[cp] = folded
            continue
        stripped = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if len(stripped) == 1 and stripped.isascii() and stripped.isalpha():
            table[cp] = stripped.lower()
            continue
        letter = confusable.get(stripped if len(stripped) == 1 else ch) or fancy_letter(ch)
        letter = letter or FAUX_LATIN.get(ch) or FAUX_LATIN.get(stripped)
        if letter:
            table[cp] = letter
    for cp in range(0x3000, 0x10000):  # full-width forms, circled letters, CJK compatibility
        if 0xD800 <= cp <= 0xDFFF or 0x3400 <= cp < 0xA000:
            continue
        ch = chr(cp)
        if is_invisible(ch):
            table[cp] = " "
            continue
        folded = unicodedata.normalize("NFKC", ch).lower()
        if len(folded) == 1 and folded != ch and (folded.isascii() or is_cjk(folded)):
            table[cp] = folded
        elif cp >= 0xA000 and (letter := confusable.get(ch) or fancy_letter(ch)):
            table[cp] = letter
    for cp in range(ord("A"), ord("Z") + 1):
        table[cp] = chr(cp).lower()
    table[0x3000] = " "
    for trad, simp in t2s_table().items():
        table[ord(trad)] = simp
    return table


@lru_cache(maxsize=1)
def base_list() -> list[int | str]:
    """:func:`base_table` as a list indexed by code point: ``str.translate`` looks a list up without
    raising (and catching) a ``LookupError`` for every unchanged character, twice as fast as a dict."""
    return as_list(base_table())


def as_list(table: dict[int, str]) -> list[int | str]:
    out: list[int | str] = list(range(0x10000))
    for cp, to in table.items():
        if cp < 0x10000:
            out[cp] = ord(to) if len(to) == 1 else to
    return out


def fold(text: str) -> str:
    """``text`` folded by :func:`base_table`; same length, position for position."""
    return astral(text).translate(base_list())


def astral(text: str) -> str:
    """Letters beyond the Basic Multilingual Plane (𝐕𝐄𝐋, 𝕧𝕖𝕝…) as their NFKC letter, one for one."""
    if not ASTRAL.search(text):
        return text
    return "".join(_astral_char(c) if c > "\uffff" else c for c in text)


@lru_cache(maxsize=4096)
def _astral_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    if len(folded) == 1 and folded.isascii() and folded.isalnum():
        return folded.lower()
    if is_invisible(ch):
        return " "
    return fancy_letter(ch) or ch


WORD_RUN = re.compile(rf"[a-z0-9{CJK}]+")
DIGIT = re.compile(r"[0-9]")
FULLWIDTH = re.compile(r"[\uff01-\uff5e]")


@lru_cache(maxsize=1)
def lookalike_chars() -> frozenset[str]:
    """Non-ASCII characters that fold to an ASCII letter and are not full-width forms."""
    table = base_table()
    return frozenset(
        chr(cp)
        for cp, to in table.items()
        if cp > 127 and to.isascii() and to.isalpha() and not 0xFF01 <= cp <= 0xFF5E
    )


@lru_cache(maxsize=1)
def traditional_chars() -> frozenset[str]:
    return frozenset(t2s_table())


def trie_regex(words: list[str], letter: Callable[[str], str] = re.escape, gap: str = "") -> str:
    """A regular expression matching any of ``words``, longest first, built as a trie (fast in ``re``).

    ``letter`` writes one character's pattern and ``gap`` goes between two characters of a word
    (:func:`matchers.text.gapped_trie_regex` allows separators and digits for letters that way).
    """
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict, first: bool) -> str:  # type: ignore[type-arg]
        branches = [
            ("" if first else gap) + letter(ch) + build(child, False)
            for ch, child in sorted(node.items())
            if ch
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie, True)
