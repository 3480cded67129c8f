"""Refusals: what counts as a platform saying "no" to markwatch, its name, and what to do about it.

Each platform package owns its rules (``spiders/<platform>/refusals.py``, a :class:`Rules`): the
redirect targets and final URLs that stand for a refusal (login walls, Baxia ``deny_h5``, JD's risk
handler…), the 200 bodies that are refusals (``RGV587``, ``pdos_captcha``, 访问受限…) and the HTTP
statuses that are (Weibo's 432). Every refusal mode is a :class:`RefusalMode` with

* a stable ``name`` (``baxia-deny``, ``jd-risk``, ``weibo-432``…: the ``refused:<name>`` outcome),
* one line of ``advice`` (``{env}`` stands for the platform's cookie variable),
* ``cool_account``: the account that met it should rest (the crawl goes on with the next one),
* ``solvable``: a slider or captcha a person can solve in the browser window.

The generic modes below (throttled, forbidden…) are the ones no platform owns. The functions here
ask every registered platform's rules (the crawled platform's first), so a redirect to another
platform's login host is still named. Nothing here imports Scrapy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class RefusalMode:
    name: str
    advice: str
    cool_account: bool = False
    solvable: bool = False


@dataclass(frozen=True)
class UrlRule:
    """A URL whose host ends with ``host`` (any host when empty) and whose path (or, with
    ``in_query``, its unquoted query) holds ``fragment`` is refusal ``mode``."""

    host: str
    fragment: str
    mode: str
    in_query: bool = False

    def matches(self, host: str, path: str, query: str) -> bool:
        if self.host and not (host == self.host or host.endswith("." + self.host)):
            return False
        if not self.fragment:
            return True
        return self.fragment in (unquote(query) if self.in_query else path)


@dataclass(frozen=True)
class BodyRule:
    """A body (its first 20,000 characters) matching ``pattern`` is refusal ``mode``."""

    pattern: re.Pattern[str]
    mode: str
    detail: str


@dataclass(frozen=True)
class Rules:
    """One platform's refusal rules (see the module docstring)."""

    platform: str
    modes: tuple[RefusalMode, ...]
    urls: tuple[UrlRule, ...] = ()
    bodies: tuple[BodyRule, ...] = ()
    statuses: dict[int, str] = field(default_factory=dict)
    #: (requested URL, redirect target) → mode, before the URL rules (Tmall's list page → login).
    redirect_hook: Callable[[str, str], str | None] | None = None

    def mode(self, name: str) -> RefusalMode | None:
        return next((m for m in self.modes if m.name == name), None)

    def from_url(self, url: str) -> str | None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        for rule in self.urls:
            if rule.matches(host, parts.path, parts.query):
                return rule.mode
        return None

    def from_redirect(self, source: str, target: str) -> str | None:
        if self.redirect_hook is not None:
            mode = self.redirect_hook(source, target)
            if mode:
                return mode
        return self.from_url(target)

    def from_body(self, text: str) -> tuple[str, str] | None:
        head = text[:20000]
        for rule in self.bodies:
            m = rule.pattern.search(head)
            if m:
                return rule.mode, f"{rule.detail}: {_excerpt(head, m.start())}"
        return None

    def from_status(self, status: int) -> str | None:
        return self.statuses.get(status)


def _excerpt(text: str, at: int) -> str:
    return _SPACE.sub(" ", text[max(0, at - 20) : at + 60]).strip()


#: Modes no platform owns: the HTTP-level answers any site gives.
GENERIC_MODES: tuple[RefusalMode, ...] = (
    RefusalMode(
        "throttled",
        "throttled (429/503) after retries: raise DOWNLOAD_DELAY and retry later",
        cool_account=True,
    ),
    RefusalMode(
        "forbidden",
        "HTTP 403: the platform refuses this client; crawl through a logged-in account's browser "
        "(markwatch login) or supply a logged-in cookie in {env}",
        cool_account=True,
    ),
    RefusalMode(
        "login",
        "the platform wants a logged-in session: log in (markwatch login) or export your browser cookies "
        "and set {env}",
        cool_account=True,
    ),
    RefusalMode(
        "slider",
        "a slider/punish check: solve it in the browser window, or slow down (a larger DOWNLOAD_DELAY) "
        "and supply a fresh cookie in {env}",
        cool_account=True,
        solvable=True,
    ),
)


def _rules(platform: str | None) -> Iterator[Rules]:
    """The crawled platform's rules first, then every other registered platform's."""
    from spiders.registry import all_rules

    rules = all_rules()
    if platform in rules:
        yield rules[platform]
    yield from (r for name, r in rules.items() if name != platform)


def refusal_from_url(url: str, platform: str | None = None) -> str | None:
    """The refusal a URL stands for (a redirect target or the final URL of a response), or None."""
    return next((m for r in _rules(platform) for m in [r.from_url(url)] if m), None)


def refusal_from_redirect(source: str, target: str, platform: str | None = None) -> str | None:
    """The refusal a redirect from ``source`` to ``target`` stands for, or None (every platform's
    redirect hook first: the host that redirected says more than the target)."""
    rules = list(_rules(platform))
    hooked = (r.redirect_hook(source, target) for r in rules if r.redirect_hook is not None)
    return next((m for m in hooked if m), None) or refusal_from_url(target, platform)


def refusal_in_body(text: str, platform: str | None = None) -> tuple[str, str] | None:
    """(mode, detail) when a 200 body is one of the platforms' refusal pages or error envelopes."""
    return next((s for r in _rules(platform) for s in [r.from_body(text)] if s), None)


def refusal_from_status(status: int, platform: str | None) -> str | None:
    """The refusal an HTTP status stands for on ``platform`` (Weibo's 432), or None."""
    if platform is None:
        return None
    rules = next(_rules(platform), None)
    return rules.from_status(status) if rules is not None and rules.platform == platform else None


def refusal_mode(name: str, platform: str | None = None) -> RefusalMode | None:
    """The :class:`RefusalMode` called ``name`` (the platform's own first), or None."""
    for rules in _rules(platform):
        mode = rules.mode(name)
        if mode is not None:
            return mode
    return next((m for m in GENERIC_MODES if m.name == name), None)


def all_modes() -> dict[str, RefusalMode]:
    """Every refusal mode by name: the generic ones and each platform's."""
    out = {m.name: m for m in GENERIC_MODES}
    for rules in _rules(None):
        for m in rules.modes:
            out.setdefault(m.name, m)
    return out


def advice(platform: str, mode: str) -> str:
    """One line saying what to do about refusal ``mode`` met on ``platform``."""
    from markwatch.platforms import REGISTRY

    entry = REGISTRY.get(platform)
    env = entry.cookie_env if entry is not None else f"MARKWATCH_COOKIES_{platform.upper()}"
    found = refusal_mode(mode, platform)
    text = found.advice if found else "see the saved page; supply a logged-in cookie in {env}"
    return text.format(env=env)
