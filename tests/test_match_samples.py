"""Real Taobao search results (../shared/samples) for an unrelated query: no suspects for either brand."""

from __future__ import annotations

import re

import pytest

from markwatch.brand import resolve_brand
from matchers import Matcher
from tests.conftest import sample_path


@pytest.mark.samples
@pytest.mark.parametrize("slug", ["veloria", "corvane"])
def test_real_unrelated_titles_are_quiet(slug: str) -> None:
    text = sample_path("taobao/s_taobao_g_page_config_2018_goxp49.js").read_text(encoding="utf-8")
    titles = re.findall(r'"raw_title":\s*"([^"]*)"', text)
    prices = re.findall(r'"view_price":\s*"([^"]*)"', text)
    assert len(titles) >= 30
    listings = [{"platform": "taobao", "title": t, "price": p} for t, p in zip(titles, prices, strict=False)]
    results = Matcher(resolve_brand(slug)).score_many(listings)
    assert [r.score for r in results] == [0.0] * len(results)
