"""The text labelled set of issue 13 (tests/matching/labelled_text.jsonl): two fictional brands of other
goods than the shipped examples — Orchida (cosmetics) and Strida (sports shoes) — with every text signal
and the must-not-flag side of each. Recall on clear infringements ≥ 0.90, false positives ≤ 5 %; every
suspect names what ties it to the brand. Prints the figures per category (``pytest -s``)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from markwatch.brand import load_brand
from matchers import Matcher
from tests.matching import make_labelled_text

LABELLED = Path(__file__).parent / "matching" / "labelled_text.jsonl"
BRANDS = Path(__file__).parent / "matching" / "brands"
MIN_RECALL = 0.90
MAX_FP_RATE = 0.05
CATEGORIES = {
    "unicode",
    "split",
    "nickname",
    "brand-list",
    "false-friend",
    "intent",
    "shop",
    "account",
    "contact",
}


@pytest.fixture(scope="module")
def scored() -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    for slug in sorted({r["brand"] for r in rows}):
        matcher = Matcher(load_brand(BRANDS / f"{slug}.yaml"), today=dt.date(2026, 11, 29))
        mine = [r for r in rows if r["brand"] == slug]
        for row, result in zip(mine, matcher.score_many([r["listing"] for r in mine]), strict=True):
            row["result"] = result
    return rows


def test_file_is_generated() -> None:
    expected = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in make_labelled_text.rows)
    assert LABELLED.read_text(encoding="utf-8") == expected, "run python -m tests.matching.make_labelled_text"


def test_set_covers_every_category_on_both_sides() -> None:
    rows = make_labelled_text.rows
    assert {r["brand"] for r in rows} == {"orchida", "strida"}
    sides: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in rows:
        sides[(r["brand"], r["category"])].add("positive" if r["label"] == "infringement" else "negative")
    for brand in ("orchida", "strida"):
        for category in CATEGORIES - {"account"}:
            assert sides[(brand, category)] == {"positive", "negative"}, (brand, category)
    assert {"positive", "negative"} <= sides[("orchida", "account")] | sides[("strida", "account")]
    labels = Counter(r["label"] for r in rows)
    assert labels["infringement"] >= 90 and labels["unrelated"] + labels["authorised"] >= 60


def test_recall_and_false_positives(scored: list[dict[str, Any]]) -> None:
    positives = [r for r in scored if r["label"] == "infringement"]
    negatives = [r for r in scored if r["label"] != "infringement"]
    missed = [r for r in positives if not r["result"].suspect]
    false_pos = [r for r in negatives if r["result"].suspect]
    recall = 1 - len(missed) / len(positives)
    fp_rate = len(false_pos) / len(negatives)
    by_cat: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in scored:
        c = by_cat[r["category"]]
        if r["label"] == "infringement":
            c[0] += r["result"].suspect
            c[1] += 1
        else:
            c[2] += r["result"].suspect
            c[3] += 1
    print(
        f"\ntext labelled set: {len(scored)} listings; recall {recall:.3f} on {len(positives)} "
        f"infringements; false positives {fp_rate:.3f} on {len(negatives)} must-not-flag"
    )
    for cat, (tp, p, fp, n) in sorted(by_cat.items()):
        print(f"  {cat:13s} found {tp}/{p}   flagged wrongly {fp}/{n}")

    def show(rows: list[dict[str, Any]]) -> str:
        return "\n".join(
            f"  {r['brand']} {r['category']}:{r['trick']} {r['listing']['title']!r} -> {r['result'].score} "
            f"({r['result'].explanation}; {[x.detail for x in r['result'].reasons][:4]})"
            for r in rows
        )

    print("missed:\n" + show(missed))
    assert recall >= MIN_RECALL, "missed:\n" + show(missed)
    assert fp_rate <= MAX_FP_RATE, "false positives:\n" + show(false_pos)


def test_every_suspect_names_its_link(scored: list[dict[str, Any]]) -> None:
    for r in scored:
        res = r["result"]
        if res.suspect:
            assert any(x.role == "link" and x.weight > 0 for x in res.reasons), r["listing"]["title"]


@pytest.mark.parametrize(
    ("trick", "signal"),
    [
        ("invisible", "invisible"),
        ("symbols", "emoji or symbols"),
        ("fancy", "fancy-text letters"),
        ("mixed-script", "another script"),
        ("bracketed", "bracketed part"),
        ("across-title", "cut in two"),
        ("initial+家+category", "nickname"),
        ("product-line-only", "product line"),
        ("ours-among-others", "among other brands"),
        ("wechat", "WeChat id"),
        ("fake-flagship", "claims an official"),
        ("brand-account", "account named after the brand"),
        ("digit-in-shop", "digits or look-alike"),
    ],
)
def test_signals_name_themselves(scored: list[dict[str, Any]], trick: str, signal: str) -> None:
    rows = [r for r in scored if r["trick"] == trick and r["label"] == "infringement"]
    assert rows
    for r in rows:
        text = " | ".join(x.detail for x in r["result"].reasons)
        assert signal in text, (r["listing"]["title"], text)


@pytest.mark.parametrize(
    ("trick", "why"),
    [
        ("longer-word", "longer word"),
        ("real-word", "English word"),
        ("homophone-company", "another company's name"),
        ("pinyin-company", "another company's name"),
        ("no-tie", "nothing ties it"),
        ("guide", "offers nothing for sale"),
        ("fan-account", "fan or news account"),
        ("lapsed-untied", "not tied to the brand"),
    ],
)
def test_near_misses_say_why(scored: list[dict[str, Any]], trick: str, why: str) -> None:
    rows = [r for r in scored if r["trick"] == trick and r["label"] != "infringement"]
    assert rows
    for r in rows:
        text = " | ".join(x.detail for x in r["result"].reasons)
        assert why in text, (r["listing"]["title"], text)


# --- more evidence never lowers the score, on the new signals ---------------------------------------------

EXTRA = [
    "高仿",
    "原单",
    "1:1",
    "私聊",
    "加微 orc_2026",
    "VX: orc_88",
    "代购",
    "出售",
    "ORCHIDA",
    "欧琪达",
    "平替",
    "需要的",
]


@pytest.fixture(scope="module")
def orchida() -> Matcher:
    return Matcher(load_brand(BRANDS / "orchida.yaml"), today=dt.date(2026, 11, 29))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    row=st.sampled_from([r for r in make_labelled_text.rows if r["brand"] == "orchida"]),
    extra=st.lists(st.sampled_from(EXTRA), min_size=1, max_size=3),
)
def test_more_evidence_never_lowers_on_new_signals(
    orchida: Matcher, row: dict[str, Any], extra: list[str]
) -> None:
    before = orchida.score(row["listing"]).score
    after = orchida.score({**row["listing"], "title": row["listing"]["title"] + " " + " ".join(extra)}).score
    assert after >= before - 1e-9, (row["listing"]["title"], extra)
