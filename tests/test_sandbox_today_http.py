"""Issue 10: today's Scrapy spiders on the plain-HTTP path (no browser) against the DEFAULT sandbox
(today's pages) are refused on Taobao, Tmall and JD as the real sites refuse them — login redirects,
RGV587 on mtop, 403 on JD — and yield nothing, so a test can fail for the reason a real crawl would.
The same spiders against ``legacy=True`` are tested in test_spiders_sandbox.py."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox import serve

ROOT = Path(__file__).resolve().parent.parent

#: (job id, spider, spider args)
JOBS = [
    ("taobao", "taobao", {"path": "today"}),
    ("taobao-html", "taobao", {"path": "legacy", "api": "html"}),
    ("taobao-mtop", "taobao", {"path": "legacy", "api": "mtop"}),
    ("tmall", "tmall", {"path": "today"}),
    ("tmall-list", "tmall", {"path": "legacy"}),
    ("jd", "jd", {"path": "today"}),
    ("jd-legacy", "jd", {"path": "legacy"}),
]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    saves = tmp_path_factory.mktemp("pages")
    with serve(seed=3, size=300) as sb:  # today's pages: the default
        jobs = [
            {
                "id": job_id,
                "spider": spider,
                "args": {"brand": "veloria", "max_pages": 1, **args},
                "settings": {
                    "MARKWATCH_SANDBOX_URL": sb.url,
                    "MARKWATCH_SAVE_DIR": str(saves / job_id),
                    "AUTOTHROTTLE_ENABLED": False,
                    "DOWNLOAD_DELAY": 0,
                    "DOWNLOAD_SLOTS": {},
                    "MARKWATCH_THROTTLE_RETRIES": 1,
                    "MARKWATCH_BACKOFF_MAX": 0.05,
                    "RETRY_TIMES": 0,
                },
            }
            for job_id, spider, args in JOBS
        ]
        done = subprocess.run(
            [sys.executable, str(ROOT / "tests" / "_crawl_runner.py"), json.dumps(jobs)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        yield json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("job_id", [j[0] for j in JOBS])
def test_plain_http_path_is_refused_and_yields_nothing(crawled: dict[str, Any], job_id: str) -> None:
    result = crawled[job_id]
    assert result["items"] == []
    searches = [r for r in result["reports"] if "item.htm" not in r["url"] and "item.jd.com" not in r["url"]]
    assert searches, result
    assert searches[0]["outcome"].startswith("refused:"), searches[0]
    assert "what to do:" in searches[0]["detail"]


def test_how_each_platform_refused(crawled: dict[str, Any]) -> None:
    def first(job_id: str) -> dict[str, Any]:
        reports = crawled[job_id]["reports"]
        return dict(reports[0])

    # Taobao and Tmall on today's route (h5search signed over HTTP, no page script): RGV587
    outcomes = {job: first(job)["outcome"] for job, _, _ in JOBS}
    assert outcomes["taobao"].startswith("refused:rgv587"), outcomes
    assert outcomes["tmall"].startswith("refused:rgv587"), outcomes
    # the legacy search page: the 302 to Taobao's login page (the spiders follow it and name it)
    assert outcomes["taobao-html"] == "refused:login"
    # list.tmall.com now sends everyone to Taobao's login: named as a move, not a cookie problem
    assert outcomes["tmall-list"] == "refused:tmall-moved"
    assert "searched on Taobao" in first("tmall-list")["detail"]
    # mtop without the page's script: RGV587 before any token
    assert outcomes["taobao-mtop"] == "refused:rgv587-x5sec"  # Baxia judged the client: x5secdata
    # JD: HTTP 403 to a client that is not a browser
    assert crawled["jd"]["stats"].get("downloader/response_status_count/403", 0) >= 1
    assert crawled["jd-legacy"]["stats"].get("downloader/response_status_count/403", 0) >= 1
