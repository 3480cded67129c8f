"""The platform registry: every platform's package provides every hook; nothing else names them."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from pathlib import Path

import pytest

from crawler.cli.parse import KIND_CHOICES, PLATFORM_CHOICES
from markwatch.platforms import PLATFORMS, REGISTRY
from spiders.base import PlatformSpider
from spiders.refusals import RefusalMode, Rules
from spiders.registry import HOOKS, kinds, package, packages


@pytest.mark.parametrize("name", PLATFORMS)
def test_each_package_provides_every_hook(name: str) -> None:
    module = importlib.import_module(f"spiders.{name}")
    for hook in HOOKS:
        assert hasattr(module, hook), f"spiders.{name} lacks {hook}"
    pkg = package(name)
    assert name == module.PLATFORM and REGISTRY[name].package == module.__name__
    spider = pkg.spider_class()
    assert issubclass(spider, PlatformSpider) and spider.name == name and spider.platform == name
    assert set(pkg.parsers) == set(pkg.default_urls) and pkg.parsers
    for kind, parser in pkg.parsers.items():
        assert callable(parser)
        assert pkg.kind_of("", pkg.default_urls[kind]) in pkg.parsers
    assert isinstance(pkg.rules, Rules) and pkg.rules.platform == name
    assert all(isinstance(m, RefusalMode) and m.advice for m in pkg.rules.modes)
    assert pkg.parse_api_answer("https://example.invalid/nothing", b"{}") is None
    assert "parse_api_answer" in (module.__doc__ or "")
    assert importlib.util.find_spec(module.SANDBOX_REPLICA) is not None
    assert inspect.signature(module.parse_api_answer).parameters.keys() >= {"url", "body"}


def test_registry_is_the_platform_list() -> None:
    assert tuple(packages()) == PLATFORMS == tuple(PLATFORM_CHOICES)
    assert set(kinds()) == set(KIND_CHOICES)
    with pytest.raises(ValueError, match="unknown platform"):
        package("ebay")


def test_a_fifth_platform_is_one_new_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A package with the hooks, in a folder on spiders' path, plus a registry name: nothing else."""
    import spiders
    import spiders.registry as registry
    from markwatch.platforms import Platform

    folder = tmp_path / "ebay"
    folder.mkdir()
    (folder / "__init__.py").write_text(
        '"""eBay. For a captured answer call parse_api_answer(url, body)."""\n'
        "from spiders.common import ParsedPage\n"
        "from spiders.refusals import RefusalMode, Rules, UrlRule\n"
        'PLATFORM = "ebay"\n'
        'SPIDER = "spiders.taobao.spider:TaobaoSpider"\n'
        'SANDBOX_REPLICA = "sandbox.pages"\n'
        "def _search(body, url, content_type=None):\n"
        '    return ParsedPage([], "empty", detail="no results")\n'
        'PARSERS = {"search": _search}\n'
        'DEFAULT_URLS = {"search": "https://www.ebay.com/sch/i.html?_nkw="}\n'
        "def kind_of(text, url=None):\n"
        '    return "search"\n'
        "def parse_api_answer(url, body):\n"
        "    return None\n"
        'RULES = Rules("ebay", (RefusalMode("ebay-captcha", "solve it", True, True),),'
        ' (UrlRule("ebay.com", "/splashui/captcha", "ebay-captcha"),))\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(spiders, "__path__", [*spiders.__path__, str(tmp_path)])
    monkeypatch.setattr(registry, "PLATFORMS", (*PLATFORMS, "ebay"))
    monkeypatch.setitem(
        REGISTRY,
        "ebay",
        Platform(
            "ebay", "eBay", ("ebay.com",), ("ebay.com",), "VeRO", "https://signin.ebay.com/", "x{item_id}"
        ),
    )
    registry.package.cache_clear()
    try:
        assert registry.parse_any("ebay", b"<html></html>").outcome == "empty"
        from spiders.refusals import advice, refusal_from_url

        assert refusal_from_url("https://www.ebay.com/splashui/captcha?ap=1") == "ebay-captcha"
        assert advice("ebay", "ebay-captcha") == "solve it"
    finally:
        registry.package.cache_clear()
        import sys

        sys.modules.pop("spiders.ebay", None)
