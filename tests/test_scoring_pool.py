"""Scoring in worker processes (crawler/scoring.py): same results as in-process, shared, robust."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from crawler import scoring
from crawler.runner import crawl_settings
from markwatch.brand import resolve_brand
from markwatch.errors import UserError
from matchers import Matcher
from tests.matching.photos import make_photo

TODAY = dt.date(2026, 11, 29)


def listings(tmp_path: Path) -> list[dict[str, Any]]:
    copy = make_photo("official:veloria/official/bag-1.jpg|crop:0.05,0,0.05,0.1|q:60", tmp_path)
    other = make_photo("other:bottle:7", tmp_path)
    return [
        {
            "platform": "taobao",
            "item_id": "1",
            "title": "VELORIA 高仿 女包 原单",
            "price": 299.0,
            "currency": "CNY",
            "seller_id": "s1",
            "seller_name": "小店",
            "image_paths": [str(copy)],
            "raw": {"big": "x" * 10_000},
        },
        {
            "platform": "jd",
            "item_id": "2",
            "title": "女士手提包 新款",
            "price": 199.0,
            "currency": "CNY",
            "seller_id": "s2",
            "seller_name": "另一家",
            "image_paths": [str(copy), str(other)],
        },
        {"platform": "weibo", "item_id": "3", "title": "今天天气很好", "image_paths": [str(other)]},
    ]


def run(pool: scoring.ScorePool, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    async def all_of() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(pool.score(i) for i in items)))

    return asyncio.run(all_of())


def test_workers_score_as_the_crawler_process_does(tmp_path: Path) -> None:
    brand = resolve_brand("veloria")
    items = listings(tmp_path)
    expected = [Matcher(brand, today=TODAY).score(i).to_dict() for i in items]
    pool = scoring.ScorePool(brand, workers=1, today=TODAY)
    try:
        assert not pool.in_process
        got = run(pool, items)
    finally:
        pool.close()
    assert got == expected
    # the photo copy was found, in the worker, with its hashes coming back for storage
    assert got[1]["suspect"] and any(r["kind"] == "image" for r in got[1]["reasons"])
    assert got[1]["image_hashes"][0]["grad32"]
    assert not got[2]["suspect"]


def test_no_workers_scores_in_process(tmp_path: Path) -> None:
    brand = resolve_brand("veloria")
    items = listings(tmp_path)
    pool = scoring.ScorePool(brand, workers=0, today=TODAY)
    assert pool.in_process
    assert run(pool, items) == [Matcher(brand, today=TODAY).score(i).to_dict() for i in items]


def test_a_dead_worker_falls_back_to_the_crawler_process(tmp_path: Path, caplog: Any) -> None:
    brand = resolve_brand("veloria")
    items = listings(tmp_path)
    pool = scoring.ScorePool(brand, workers=1, today=TODAY)
    try:
        first = run(pool, items[:1])
        executor = pool._executor
        assert executor is not None
        for pid in list(executor._processes):  # the pool's own record of its workers
            os.kill(pid, signal.SIGKILL)
        with caplog.at_level("WARNING", logger="crawler.scoring"):
            again = run(pool, items)
        assert pool.in_process
        assert "scoring workers stopped" in caplog.text
    finally:
        pool.close()
    assert again[0] == first[0]
    assert again == [Matcher(brand, today=TODAY).score(i).to_dict() for i in items]


@pytest.mark.parametrize("workers", [1, 0])
def test_a_listing_the_matcher_fails_on_fails_alone(tmp_path: Path, workers: int) -> None:
    brand = resolve_brand("veloria")
    good = listings(tmp_path)
    bad = {"platform": "jd", "item_id": "9", "title": "VELORIA", "image_paths": 5}  # not a list
    pool = scoring.ScorePool(brand, workers=workers, today=TODAY)

    async def all_of() -> list[Any]:
        items = [good[0], bad, good[1]]
        return list(await asyncio.gather(*(pool.score(i) for i in items), return_exceptions=True))

    try:
        first, failed, second = asyncio.run(all_of())
    finally:
        pool.close()
    matcher = Matcher(brand, today=TODAY)
    assert [first, second] == [matcher.score(good[0]).to_dict(), matcher.score(good[1]).to_dict()]
    assert isinstance(failed, Exception) and "TypeError" in f"{type(failed).__name__}: {failed}"


def test_many_listings_cross_in_batches(tmp_path: Path) -> None:
    brand = resolve_brand("veloria")
    base = listings(tmp_path)[0]
    many = [{**base, "item_id": str(n), "price": 100.0 + n} for n in range(2 * scoring.BATCH + 5)]
    pool = scoring.ScorePool(brand, workers=1, today=TODAY)
    try:
        got = run(pool, many)
    finally:
        pool.close()
    matcher = Matcher(brand, today=TODAY)
    assert got == [r.to_dict() for r in matcher.score_many(many)]


def test_photos_hashed_once_are_read_back_on_the_next_crawl(tmp_path: Path, monkeypatch: Any) -> None:
    brand = resolve_brand("veloria")
    store = tmp_path / "photos"
    items = listings(store)  # the photos live in the store, as FilesPipeline leaves them
    matcher = Matcher(brand, today=TODAY)
    expected = [matcher.score(i).to_dict() for i in items]
    # first crawl (in a worker): every photo hashed, and kept
    pool = scoring.ScorePool(brand, workers=1, photos_dir=str(store), today=TODAY)
    try:
        assert run(pool, items) == expected
    finally:
        pool.close()
    assert (store / scoring.CACHE_NAME).exists()
    # next crawl: the same results, the photos not hashed again
    cache = scoring.PhotoHashCache(store / scoring.CACHE_NAME)
    import matchers.score as score_module

    calls: list[str] = []
    real = score_module.hash_image

    def counting(path: Any) -> Any:
        calls.append(str(path))
        return real(path)

    monkeypatch.setattr(score_module, "hash_image", counting)
    try:
        again = [value for _, value in scoring.score_batch(matcher, cache, items)]
        assert again == expected
        assert calls == [] and cache.hits == 4 and cache.misses == 0
        # a photo downloaded again (new bytes at the same path) is hashed again
        photo = Path(items[2]["image_paths"][0])
        photo.write_bytes(Path(items[0]["image_paths"][0]).read_bytes())
        changed = [value for _, value in scoring.score_batch(matcher, cache, items[2:])]
        assert calls == [str(photo)]
        assert changed[0] == matcher.score(items[2]).to_dict()
        assert changed[0]["image_hashes"][0]["grad32"] == expected[0]["image_hashes"][0]["grad32"]
    finally:
        cache.close()


def test_a_broken_hash_cache_does_not_stop_scoring(tmp_path: Path, caplog: Any) -> None:
    brand = resolve_brand("veloria")
    items = listings(tmp_path)
    (tmp_path / "cache").mkdir()  # a directory where the cache file should be
    cache = scoring.PhotoHashCache(tmp_path / "cache")
    matcher = Matcher(brand, today=TODAY)
    with caplog.at_level("WARNING", logger="crawler.scoring"):
        got = [value for _, value in scoring.score_batch(matcher, cache, items)]
    assert got == [matcher.score(i).to_dict() for i in items]
    assert "photo hash cache" in caplog.text


def test_spiders_of_one_crawl_share_one_pool() -> None:
    brand = resolve_brand("veloria")
    a = scoring.acquire(brand, 0)
    b = scoring.acquire(brand, 0)
    assert a is b and a.users == 2
    scoring.release(a)
    assert scoring.acquire(brand, 0) is a  # still open for the other spider
    scoring.release(a)
    scoring.release(a)
    assert scoring.acquire(brand, 0) is not a  # closed with its last user: a new crawl, a new pool
    scoring.release(scoring.acquire(brand, 0))


DEFAULT = scoring.default_workers()


@pytest.mark.parametrize(("value", "workers"), [(None, DEFAULT), ("", DEFAULT), ("0", 0), (3, 3)])
def test_workers_setting(value: Any, workers: int) -> None:
    assert scoring.workers_setting(value) == workers


@pytest.mark.parametrize("value", ["two", "-1", "1.5"])
def test_bad_workers_setting_is_one_line(value: str) -> None:
    with pytest.raises(UserError, match=r"MARKWATCH_SCORE_WORKERS=.*whole number"):
        crawl_settings(None, 1, extra={"MARKWATCH_SCORE_WORKERS": value})
