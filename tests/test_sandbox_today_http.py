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
    ("taobao", "taobao", {}),
    ("taobao-mtop", "taobao", {"api": "mtop"}),
    ("tmall", "tmall", {}),
    ("jd", "jd", {}),
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

    # Taobao and Tmall: the 302 to Taobao's login page (the spiders follow it and name it)
    assert first("taobao")["outcome"] == "refused:login"
    assert first("tmall")["outcome"] == "refused:login"
    # mtop without the page's script: RGV587 before any token
    assert first("taobao-mtop")["outcome"] == "refused:rgv587"
    # JD: HTTP 403 to a client that is not a browser
    assert crawled["jd"]["stats"].get("downloader/response_status_count/403", 0) >= 1
