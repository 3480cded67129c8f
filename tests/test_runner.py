"""The crawl run's summary: a crawl stopped before its end is ``interrupted``, never ``ok``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.runner import finish_run, start_run
from markwatch.brand import resolve_brand
from storage.db import ready_engine
from storage.models import CrawlRun, CrawlRunPlatform


def test_a_crawl_stopped_before_its_end_is_interrupted(db_url: str) -> None:
    engine = ready_engine(db_url)
    run_id = start_run(db_url, resolve_brand("veloria"), origin=None)
    with Session(engine) as s, s.begin():
        for platform, outcome in (("taobao", "ok"), ("jd", "ok"), ("weibo", "refused:visitor")):
            s.add(CrawlRunPlatform(run_id=run_id, platform=platform, pages=3, listings=40, outcome=outcome))
    reasons = {"taobao": "shutdown", "jd": "finished", "weibo": "shutdown"}
    summary = finish_run(db_url, run_id, ["taobao", "jd", "weibo"], reasons)
    outcomes = {p.platform: p.outcome for p in summary.platforms}
    # the refusal is what the user must act on: it stays; the Ctrl-C'd platform is not called "ok"
    assert outcomes == {"taobao": "interrupted", "jd": "ok", "weibo": "refused:visitor"}
    assert not summary.ok
    with Session(engine) as s:
        row = s.scalar(select(CrawlRunPlatform).where(CrawlRunPlatform.platform == "taobao"))
        assert row is not None and row.outcome == "interrupted"
        assert "shutdown" in (row.detail or "") and "again" in (row.detail or "")
        run = s.get(CrawlRun, run_id)
        assert run is not None and run.outcome == "partial" and run.stats["taobao"] == "interrupted"
    engine.dispose()


def test_a_finished_crawl_stays_ok(db_url: str) -> None:
    engine = ready_engine(db_url)
    run_id = start_run(db_url, resolve_brand("veloria"), origin=None)
    with Session(engine) as s, s.begin():
        s.add(CrawlRunPlatform(run_id=run_id, platform="tmall", pages=1, listings=5, outcome="ok"))
    summary = finish_run(db_url, run_id, ["tmall"], {"tmall": "finished"})
    assert summary.ok and summary.platforms[0].outcome == "ok"
    engine.dispose()
