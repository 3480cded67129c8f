"""Run several markwatch spiders in one Scrapy process and print what they saw as JSON (test helper).

Usage: ``python tests/_crawl_runner.py '<json jobs>'`` where each job is ``{"id", "spider", "args",
"settings"}``. Prints ``{id: {"items": [...], "reports": [...], "stats": {...}}}`` on the last line.
Tests run it in a subprocess because Twisted's reactor cannot be restarted inside pytest.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.utils.project import get_project_settings


def main(jobs: list[dict[str, Any]]) -> dict[str, Any]:
    process = CrawlerProcess(get_project_settings(), install_root_handler=False)
    results: dict[str, Any] = {}
    crawlers = []
    for n, job in enumerate(jobs):
        settings = get_project_settings()
        # spiders only: the item pipelines (crawler/addon.py) are tested on their own
        base = {"LOG_LEVEL": "WARNING", "MARKWATCH_PIPELINES": False}
        settings.setdict({**base, **job.get("settings", {})}, priority="cmdline")
        spidercls = process.spider_loader.load(job["spider"])
        # per-job settings (headers, sandbox URL, save dir); the first crawler installs the reactor
        crawler = Crawler(spidercls, settings, init_reactor=n == 0)
        items: list[dict[str, Any]] = []

        def collect(item: Any, items: list[dict[str, Any]] = items) -> None:
            # Listing.to_dict is a plain dataclasses.asdict: several times cheaper than ItemAdapter.asdict
            items.append(item.to_dict() if hasattr(item, "to_dict") else ItemAdapter(item).asdict())

        crawler.signals.connect(collect, signal=signals.item_scraped, weak=False)
        crawlers.append((job, crawler, items))
        process.crawl(crawler, **job.get("args", {}))
    process.start()
    for job, crawler, items in crawlers:
        spider = crawler.spider
        stats = {
            k: v
            for k, v in crawler.stats.get_stats().items()
            if k.startswith(("markwatch/", "downloader/response_status"))
        }
        results[job["id"]] = {
            "items": items,
            "reports": [dataclasses.asdict(r) for r in getattr(spider, "reports", [])],
            "stats": stats,
        }
    return results


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1])), ensure_ascii=False, default=str))
