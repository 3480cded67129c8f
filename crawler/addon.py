"""markwatch's own Scrapy components, switched on together as one add-on (``ADDONS`` in settings).

The pipelines run in this order: validate → drop duplicates → download photos → score → store.
Each can be turned off by its own setting (``MARKWATCH_PHOTOS_DIR`` empty, ``MARKWATCH_STORE=False``).
"""

from __future__ import annotations

from scrapy.settings import BaseSettings

from markwatch.platforms import PLATFORMS

#: Item pipelines and their order.
PIPELINES = {
    "ValidatePipeline": 100,
    "DedupePipeline": 200,
    "PhotosPipeline": 300,
    "ScorePipeline": 400,
    "StorePipeline": 500,
}


class MarkwatchAddon:
    """Adds markwatch's item pipelines at add-on priority (a project or command line can still override)."""

    def update_settings(self, settings: BaseSettings) -> None:
        from crawler import pipelines

        if settings.getbool("MARKWATCH_PIPELINES", True):
            for name, order in PIPELINES.items():
                settings.set_in_component_priority_dict("ITEM_PIPELINES", getattr(pipelines, name), order)
        settings.setdefault("MARKWATCH_MAX_IMAGES", 3, priority="addon")
        settings.setdefault("MARKWATCH_STORE_BATCH", 500, priority="addon")
        # the browser path: scrapy-playwright, one Playwright context per account (crawler/browser.py)
        from crawler.browser import browser_platforms, configure

        platform = settings.get("MARKWATCH_SPIDER_PLATFORM")
        wanted = browser_platforms(settings)
        if wanted and (platform is None or platform in wanted):
            configure(settings)
        # the photo CDNs' download slots (see MARKWATCH_PHOTO_SLOT in crawler/settings.py)
        photo_slot = settings.getdict("MARKWATCH_PHOTO_SLOT")
        if photo_slot:
            slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
            for platform in PLATFORMS:
                slots.setdefault(pipelines.photo_slot(platform), dict(photo_slot))
            settings.set("DOWNLOAD_SLOTS", slots, priority=settings.getpriority("DOWNLOAD_SLOTS") or "addon")
