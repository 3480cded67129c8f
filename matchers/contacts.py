"""Contact ids that move a sale off the platform: WeChat ids, QQ numbers and mobile numbers, read from
titles, post texts and shop names (``VX: vel_88``, ``V信 vel88888``, ``加微 abc_123``, ``Q: 12345678``,
``138 0013 8000``).

Each id is returned normalised (lower case, no spaces or dashes) so that the same id written two ways
is one id: :mod:`storage.contacts` stores them per seller and links the sellers that share one, across
platforms. A WeChat id is only taken after a WeChat word (a bare word is not an id); a mobile number is
taken anywhere (eleven digits starting 13–19, optionally grouped 3-4-4); a QQ number after a QQ word.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from matchers.normalize import fold

#: Words that announce a WeChat id (folded text: full-width and case already folded).
#: A bare "v" or "q" counts only with a colon after it ("V: vel_88", "Q：12345678").
WECHAT_WORDS = (
    r"(?:加微信|加微|微信号|微信|薇信|威信|威芯|v信|vx|wx|weixin|wechat|加v|\+vx|\+v|v(?=\s*[:：]))"
)
QQ_WORDS = r"(?:qq号|qq|扣扣|企鹅|q(?=\s*[:：]))"
SEP = r"(?P<sep>[\s:：=\-~～]*(?:号)?[\s:：=\-~～]*)"
WECHAT = re.compile(rf"(?<![a-z0-9]){WECHAT_WORDS}{SEP}(?P<id>[a-z][-_a-z0-9]{{5,19}})(?![a-z0-9_-])")
WECHAT_PHONE = re.compile(rf"(?<![a-z0-9]){WECHAT_WORDS}{SEP}(?P<id>1[3-9]\d(?:[\s-]?\d){{8}})(?!\d)")
QQ = re.compile(rf"(?<![a-z0-9]){QQ_WORDS}{SEP}(?P<id>[1-9]\d{{4,10}})(?!\d)")
MOBILE = re.compile(r"(?<!\d)(?P<id>1[3-9]\d(?:[\s-]?\d{4}){2})(?!\d)")


@dataclass(frozen=True)
class Contact:
    kind: str  # wechat | qq | phone
    value: str  # normalised
    found: str  # as written
    field: str  # title | text | seller_name

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value, "found": self.found, "field": self.field}


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def find_contacts(text: str, field_name: str = "title") -> list[Contact]:
    """The contact ids in ``text``, each once, in order of appearance."""
    return find_contacts_many([text], field_name)[0]


#: A cheap test that a folded text may hold an id: a digit run of five or more, or a WeChat/QQ word.
MAYBE = re.compile(
    r"\d{5}|\d{3}[\s-]\d{4}|微|薇信|威信|威芯|v信|vx|wx|weixin|wechat|qq|扣扣|企鹅|[vq]\s*[:：]"
)


def find_contacts_many(
    texts: Sequence[str | None], field_name: str = "title", folded: str | None = None
) -> list[list[Contact]]:
    """:func:`find_contacts` for each text; the batch is folded once and only texts that may hold an id
    are searched."""
    raw = [t or "" for t in texts]
    none: list[Contact] = []  # shared by the texts without an id: read it, never change it
    out: list[list[Contact]] = [none] * len(raw)
    if not raw:
        return out
    starts = [0, *itertools.accumulate(len(t) + 1 for t in raw)][:-1]
    folded_all = folded if folded is not None else fold("\x00".join(raw))
    todo = sorted({bisect.bisect_right(starts, m.start()) - 1 for m in MAYBE.finditer(folded_all)})
    for i in todo:
        out[i] = _find(raw[i], folded_all[starts[i] : starts[i] + len(raw[i])], field_name)
    return out


def _find(text: str, folded: str, field_name: str) -> list[Contact]:
    found: list[tuple[int, Contact]] = []
    taken: list[tuple[int, int]] = []

    def add(pos: tuple[int, int], kind: str, value: str) -> None:
        if any(s < pos[1] and pos[0] < e for s, e in taken):
            return
        taken.append(pos)
        found.append((pos[0], Contact(kind, value, text[pos[0] : pos[1]], field_name)))

    for m in WECHAT_PHONE.finditer(folded):
        add(m.span("id"), "phone", _digits(m.group("id")))
    for m in QQ.finditer(folded):
        add(m.span("id"), "qq", m.group("id"))
    for m in MOBILE.finditer(folded):
        add(m.span("id"), "phone", _digits(m.group("id")))
    for m in WECHAT.finditer(folded):
        value = m.group("id")
        if not re.search(r"[0-9_-]", value) and not re.search("[:：]", m.group("sep")):
            continue  # a plain word after a WeChat word ("微信 veloria") is text, not an id
        add(m.span("id"), "wechat", value.rstrip("-_"))
    out: list[Contact] = []
    seen: set[tuple[str, str]] = set()
    for _, c in sorted(found, key=lambda x: x[0]):
        if (c.kind, c.value) not in seen:
            seen.add((c.kind, c.value))
            out.append(c)
    return out
