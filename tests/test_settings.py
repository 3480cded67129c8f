"""Scrapy settings: the project's own settings are documented, and the components they name exist."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import crawler.settings as settings_module

SOURCE = Path(settings_module.__file__).read_text(encoding="utf-8").splitlines()


def test_every_markwatch_setting_has_a_one_line_comment() -> None:
    names = [n for n in vars(settings_module) if n.startswith("MARKWATCH_")]
    assert "MARKWATCH_SANDBOX_URL" in names and "MARKWATCH_COOKIES_WEIBO" in names
    for name in names:
        line = next(i for i, text in enumerate(SOURCE) if re.match(rf"{name}\b.*=", text))
        assert SOURCE[line - 1].startswith("#: "), f"{name} lacks a #: comment line above it"


def test_spider_modules_and_middlewares_resolve() -> None:
    assert settings_module.SPIDER_MODULES == ["spiders"]
    for path in settings_module.DOWNLOADER_MIDDLEWARES:
        module, _, name = path.rpartition(".")
        assert hasattr(importlib.import_module(module), name), path
    assert settings_module.AUTOTHROTTLE_ENABLED and settings_module.CONCURRENT_REQUESTS_PER_DOMAIN == 1
    assert settings_module.DOWNLOAD_DELAY >= 1  # polite by default; the sandbox overrides it
    overrides = settings_module.MARKWATCH_SANDBOX_OVERRIDES
    assert overrides["AUTOTHROTTLE_ENABLED"] is False and overrides["DOWNLOAD_DELAY"] == 0


def test_cookie_settings_are_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for name in ("MARKWATCH_COOKIES_TAOBAO", "MARKWATCH_COOKIES_TMALL", "MARKWATCH_COOKIES_JD"):
        assert f"`{name}`" in readme
    assert "`MARKWATCH_COOKIES_WEIBO`" in readme and "`MARKWATCH_COOKIES_FILE`" in readme
