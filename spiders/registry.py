"""The one place that turns a platform name into its package: ``spiders/<name>/``.

The platforms are :data:`markwatch.platforms.PLATFORMS` (names, hosts, cookie domains, login URL:
facts the rest of markwatch needs without Scrapy); each has a package ``spiders.<name>`` that provides
every hook in :data:`HOOKS`:

``PLATFORM``           its name
``SPIDER``             ``"module:Class"`` of its Scrapy spider (imported only when asked for)
``PARSERS``            response kind → pure parser ``(body, url, content_type=None) -> ParsedPage``
``DEFAULT_URLS``       kind → a placeholder URL for a file parsed without its URL
``kind_of``            ``(text, url) -> kind``: which kind a saved body is
``parse_api_answer``   ``(url, body) -> ParsedPage | None``: an API answer captured off the network
``RULES``              its refusal rules (:class:`spiders.refusals.Rules`)
``SANDBOX_REPLICA``    the module where the sandbox replays it

A fifth platform is an entry in :mod:`markwatch.platforms` and one new folder here. Every parser
is pure (no Scrapy import, no network), so ``markwatch parse``, the tests and the browser path use
them on saved files and captured answers alike.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

from markwatch.platforms import PLATFORMS
from spiders.common import ParsedPage, to_text
from spiders.refusals import Rules, advice

Parser = Callable[..., ParsedPage]

HOOKS = (
    "PLATFORM",
    "SPIDER",
    "PARSERS",
    "DEFAULT_URLS",
    "kind_of",
    "parse_api_answer",
    "RULES",
    "SANDBOX_REPLICA",
)


@dataclass(frozen=True)
class PlatformPackage:
    """One platform's package, read through its hooks."""

    name: str
    module: ModuleType

    @property
    def parsers(self) -> dict[str, Parser]:
        return dict(self.module.PARSERS)

    @property
    def default_urls(self) -> dict[str, str]:
        return dict(self.module.DEFAULT_URLS)

    @property
    def rules(self) -> Rules:
        rules: Rules = self.module.RULES
        return rules

    def kind_of(self, text: str, url: str | None = None) -> str:
        return str(self.module.kind_of(text, url))

    def parse_api_answer(self, url: str, body: bytes | str) -> ParsedPage | None:
        result: ParsedPage | None = self.module.parse_api_answer(url, body)
        return result

    def spider_class(self) -> type[Any]:
        module_name, _, cls = str(self.module.SPIDER).partition(":")
        spider: type[Any] = getattr(importlib.import_module(module_name), cls)
        return spider


@cache
def package(name: str) -> PlatformPackage:
    """The package of platform ``name``; ValueError for a name that is not a platform."""
    if name not in PLATFORMS:
        raise ValueError(f"unknown platform {name!r} ({', '.join(PLATFORMS)})")
    module = importlib.import_module(f"spiders.{name}")
    missing = [hook for hook in HOOKS if not hasattr(module, hook)]
    if missing:
        raise ValueError(f"spiders.{name} lacks {', '.join(missing)}")
    return PlatformPackage(name, module)


def packages() -> dict[str, PlatformPackage]:
    return {name: package(name) for name in PLATFORMS}


def all_rules() -> dict[str, Rules]:
    """Every platform's refusal rules, in registry order."""
    return {name: p.rules for name, p in packages().items()}


def kinds() -> tuple[str, ...]:
    """Every response kind some platform reads (``markwatch parse --kind``)."""
    return tuple(dict.fromkeys(k for p in packages().values() for k in p.parsers))


def kind_of(platform: str, text: str, url: str | None = None) -> str:
    """Which response kind a body is, from its URL when known, else from what it contains."""
    return package(platform).kind_of(text, url)


def parse_any(
    platform: str, body: bytes | str, url: str | None = None, kind: str | None = None
) -> ParsedPage:
    """Parse a saved page or API response of ``platform``, guessing its kind when not given."""
    pkg = package(platform)
    text = to_text(body)
    kind = kind or pkg.kind_of(text, url)
    parser = pkg.parsers.get(kind)
    if parser is None:
        raise ValueError(f"no {kind!r} parser for {platform} (known: {', '.join(pkg.parsers)})")
    return parser(text, url or pkg.default_urls[kind])


def parse_api_answer(platform: str, url: str, body: bytes | str) -> ParsedPage | None:
    """An API answer captured off the network, read by ``platform``'s package (None: not one it reads)."""
    return package(platform).parse_api_answer(url, body)


__all__ = [
    "HOOKS",
    "ParsedPage",
    "PlatformPackage",
    "advice",
    "all_rules",
    "kind_of",
    "kinds",
    "package",
    "packages",
    "parse_any",
    "parse_api_answer",
]
