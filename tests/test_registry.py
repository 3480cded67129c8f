"""The platform registry: every platform's package provides every hook; nothing else names them."""

from __future__ import annotations

import importlib
import importlib.util
import inspect

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
