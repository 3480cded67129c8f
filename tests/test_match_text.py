"""Names: every trick of the issue is found, false friends are not (parametrized tables)."""

from __future__ import annotations

from pathlib import Path

import pytest

from markwatch.brand import load_brand, resolve_brand
from matchers.lexicon import LexiconFinder, load_lexicon
from matchers.normalize import fold, trie_regex
from matchers.text import MarkFinder


@pytest.fixture(scope="module")
def finders() -> dict[str, MarkFinder]:
    return {slug: MarkFinder(resolve_brand(slug)) for slug in ("veloria", "corvane")}


FOUND = [
    ("veloria", "VELORIA 女包", "veloria-word", ()),
    ("veloria", "veloria bag", "veloria-word", ()),
    ("veloria", "ＶＥＬＯＲＩＡ手提包", "veloria-word", ("fullwidth",)),
    ("veloria", "V E L O R I A 包", "veloria-word", ("spaced",)),
    ("veloria", "V.E.L.O.R.I.A", "veloria-word", ("spaced",)),
    ("veloria", "V-E-L-O-R-I-A", "veloria-word", ("spaced",)),
    ("veloria", "V*E*L*O*R*I*A", "veloria-word", ("spaced",)),
    ("veloria", "薇*洛*瑞*亚 包", "veloria-word", ("spaced",)),
    ("veloria", "VEL0RIA", "veloria-word", ("digits",)),
    ("veloria", "V3L0R1A 包", "veloria-word", ("digits",)),
    ("veloria", "VЕLОRIА", "veloria-word", ("lookalike",)),  # Cyrillic
    ("veloria", "VΕLΟRΙΑ", "veloria-word", ("lookalike",)),  # Greek
    ("veloria", "薇洛瑞亞 女包", "veloria-word", ("traditional",)),
    ("veloria", "微洛瑞亚", "veloria-word", ("homophone",)),
    ("veloria", "薇洛瑞娅", "veloria-word", ("homophone",)),
    ("veloria", "weiluoruiya 女包", "veloria-word", ("pinyin",)),
    ("veloria", "Wei Luo Rui Ya", "veloria-word", ("pinyin", "spaced")),
    ("veloria", "Veloira 女包", "veloria-word", ("misspelt",)),
    ("veloria", "Velorla", "veloria-word", ("misspelt",)),
    ("veloria", "Velria", "veloria-word", ("misspelt",)),
    ("veloria", "𝐕𝐄𝐋𝐎𝐑𝐈𝐀 女包", "veloria-word", ("fancy",)),  # mathematical bold
    ("veloria", "ⓥⓔⓛⓞⓡⓘⓐ", "veloria-word", ("fancy",)),  # circled
    ("veloria", "薇\u200b洛瑞亚", "veloria-word", ("invisible",)),  # zero-width space
    ("veloria", "微洛锐亚 包", "veloria-word", ("homophone",)),  # two of four replaced
    ("veloria", "newveloriabag", "veloria-word", ("attached",)),
    ("corvane", "科尔梵 手表", "corvane-word", ()),
    ("corvane", "柯尔梵 手表", "corvane-word", ()),
    ("corvane", "科尔凡", "corvane-word", ("homophone",)),
    ("corvane", "科爾梵", "corvane-word", ("traditional",)),
    ("corvane", "Corvnae", "corvane-word", ("misspelt",)),
    ("corvane", "C0RVANE", "corvane-word", ("digits",)),
    ("corvane", "ke er fan 手表", "corvane-word", ("pinyin", "spaced")),
    # issue 13: Unicode tricks from Unicode's own data, split and glued names, tone numbers
    ("veloria", "V🔥E L O R I A 女包", "veloria-word", ("symbols",)),
    ("corvane", "C★O★R★V★A★N★E", "corvane-word", ("symbols",)),
    ("veloria", "薇🌸洛🌸瑞🌸亚 包", "veloria-word", ("symbols",)),
    ("veloria", "V\u200bEL\u200cORIA", "veloria-word", ("invisible",)),
    ("veloria", "VEL\ufeffORIA 包", "veloria-word", ("invisible",)),
    ("veloria", "VΞLORIA 女包", "veloria-word", ("lookalike",)),  # Greek Xi for E
    ("veloria", "ᴠᴇʟᴏʀɪᴀ 包", "veloria-word", ("fancy",)),  # small capitals
    ("veloria", "🆅🅴🅻🅾🆁🅸🅰", "veloria-word", ("fancy",)),  # negative squared
    ("veloria", "🅥🅔🅛🅞🅡🅘🅐", "veloria-word", ("fancy",)),  # negative circled
    ("veloria", "𝓥𝓮𝓵𝓸𝓻𝓲𝓪 包", "veloria-word", ("fancy",)),  # mathematical script
    ("corvane", "corvane男表", "corvane-word", ("glued",)),
    ("corvane", "CORV【机械表】ANE", "corvane-word", ("bracketed",)),
    ("veloria", "薇洛〖托特包〗瑞亚", "veloria-word", ("bracketed",)),
    ("veloria", "VELO 女包 RIA 新款", "veloria-word", ("split",)),
    ("veloria", "wēi luò ruì yà 女包", "veloria-word", ("pinyin", "tones")),
    ("veloria", "wei1 luo4 rui4 ya4 包", "veloria-word", ("pinyin", "tones")),
    ("veloria", "微洛瑞亞 包", "veloria-word", ("homophone", "traditional")),
]


@pytest.mark.parametrize(("slug", "title", "mark_id", "tricks"), FOUND)
def test_mark_found(
    finders: dict[str, MarkFinder], slug: str, title: str, mark_id: str, tricks: tuple[str, ...]
) -> None:
    hits = finders[slug].find(title)
    assert hits, f"{title!r} should name the mark"
    assert hits[0].mark_id == mark_id
    assert set(tricks) <= set(hits[0].tricks), hits[0]


QUIET = [
    ("veloria", "velour 丝绒 包"),
    ("veloria", "Valeria 裙"),
    ("veloria", "Verona 鞋"),
    ("veloria", "velvet 单肩包"),
    ("veloria", "Victoria"),
    ("veloria", "i love loria"),  # the letters run across words
    ("veloria", "薇洛丽亚 护肤"),  # the distinctive character changed (rui → li)
    ("veloria", "维罗锐雅"),  # every character replaced: too far to be the name
    ("veloria", "高仿真 仿真花"),
    ("veloria", "V E L O U R"),
    ("veloria", "维多利亚的秘密"),  # Victoria's Secret: wei … ya, but not the name
    ("veloria", "薇娅同款"),
    ("corvane", "corvette 车模"),
    ("corvane", "cordovan 皮带"),
    ("corvane", "科尔沁 牛肉干"),
    ("corvane", "可儿饭"),
    ("corvane", "科尔达"),
    ("corvane", "caravan"),
    # issue 13: a longer word that contains the mark, an English word one letter off
    ("veloria", "Veloriana 名字"),
    ("veloria", "VELO 女包 RIAL"),  # the pieces do not make the name
    ("veloria", "【正品】女包 【包邮】"),
    ("veloria", "wei1 luo4 包"),  # two syllables are a nickname at most, not the mark
]


@pytest.mark.parametrize(
    ("slug", "title", "why"),
    [
        ("veloria", "Veloriana 名字", "longer-word"),
        ("orchida", "Orchidaceae 兰科植物", "longer-word"),
        ("orchida", "orchids 花束", "real-word"),
        ("strida", "Stride 跑步鞋", "real-word"),
    ],
)
def test_near_misses_are_returned(finders: dict[str, MarkFinder], slug: str, title: str, why: str) -> None:
    if slug not in finders:
        finders[slug] = MarkFinder(load_brand(Path(__file__).parent / "matching" / "brands" / f"{slug}.yaml"))
    hits, misses = finders[slug].find_many_detailed([title])
    assert hits == [[]] and why in misses[0][0].tricks


@pytest.mark.parametrize(("slug", "title"), QUIET)
def test_false_friends_quiet(finders: dict[str, MarkFinder], slug: str, title: str) -> None:
    assert finders[slug].find(title) == []


def test_find_many_matches_find(finders: dict[str, MarkFinder]) -> None:
    titles = (
        [t for s, t, _, _ in FOUND if s == "veloria"] + [t for s, t in QUIET if s == "veloria"] + [None, ""]
    )
    many = finders["veloria"].find_many(titles)
    assert many == [finders["veloria"].find(t or "") for t in titles]


def test_fold_keeps_positions() -> None:
    text = "ＶＥＬＯＲＩＡ 薇洛瑞亞 Vеlоriа"
    assert len(fold(text)) == len(text)
    assert fold(text) == "veloria 薇洛瑞亚 veloria"


def test_trie_regex_longest_first() -> None:
    import re

    rx = re.compile(trie_regex(["高仿", "高仿真", "高仿真皮", "a"]))
    assert [m.group() for m in rx.finditer("高仿真皮 高仿真 高仿 a")] == ["高仿真皮", "高仿真", "高仿", "a"]


LEXICON = [
    ("VELORIA 高仿 A货", {"高仿", "a货"}),
    ("高仿真绿植", {"高仿真"}),  # lifelike: found as the benign phrase, weight 0
    ("高仿真皮女包", {"高仿真皮"}),
    ("1:1 复刻", {"1:1", "复刻"}),
    ("1:10 车模", set()),
    ("私聊 VX 薇信", {"私聊", "vx", "薇信"}),
    ("aaab vxy", set()),  # Latin words only as whole words
    ("ＡＡＡ 複刻", {"aaa", "复刻"}),
]


@pytest.mark.parametrize(("title", "terms"), LEXICON)
def test_lexicon(title: str, terms: set[str]) -> None:
    found = {fold(h.term.term) for h in LexiconFinder().find(title)}
    assert found == terms


def test_lifelike_has_no_weight() -> None:
    hits = LexiconFinder().find("高仿真绿植")
    assert [h.term.weight for h in hits] == [0.0]


def test_lexicon_file_is_well_formed() -> None:
    terms = load_lexicon()
    assert len(terms) >= 40
    assert all(isinstance(t.term, str) and 0 <= t.weight <= 1 for t in terms)
    kinds = {t.kind for t in terms}
    assert {"counterfeit", "contact", "benign"} <= kinds


def test_brand_lexicon_adds_words() -> None:
    brand = resolve_brand("veloria").model_copy(update={"lexicon": {"小v家": 0.7}})
    hits = LexiconFinder(brand).find("小V家 新款")
    assert [(h.term.kind, h.term.weight) for h in hits] == [("brand", 0.7)]
