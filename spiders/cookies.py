"""Pasted cookies: the ``MARKWATCH_COOKIES_<PLATFORM>`` string or file and the shared cookie file.

Spiders read them here (an mtop request signs with the ``_m_h5_tk`` it sends); the crawler's
:class:`~crawler.middlewares.PlatformCookiesMiddleware` sends them. Which domains belong to a platform
and whose cookies it falls back to are :mod:`markwatch.platforms` facts. No Scrapy import.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from markwatch.errors import UserError
from markwatch.platforms import REGISTRY


class Settings(Protocol):
    def get(self, name: str, default: Any = None) -> Any: ...


def parse_cookie_header(text: str) -> dict[str, str]:
    """``"a=1; b=2"`` → ``{"a": "1", "b": "2"}``."""
    out: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name.strip():
            out[name.strip()] = value.strip()
    return out


def read_cookie_file(path: Path) -> list[tuple[str, str, str]]:
    """(domain, name, value) from a Netscape ``cookies.txt`` or a JSON export.

    Raises :class:`UserError` with one line when the file cannot be read or has neither shape.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UserError(f"{path}: cannot read cookie file ({exc.strerror})") from None
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        if isinstance(data, dict) and "cookies" in data and isinstance(data["cookies"], list):
            data = data["cookies"]
        if isinstance(data, dict):
            return [("", str(k), str(v)) for k, v in data.items()]
        rows = []
        for entry in data:
            if isinstance(entry, dict) and "name" in entry and "value" in entry:
                rows.append((str(entry.get("domain", "")), str(entry["name"]), str(entry["value"])))
        if not rows:
            raise UserError(f"{path}: JSON cookie file holds no {{name, value}} entries")
        return rows
    rows = []
    for line in text.splitlines():
        if line.startswith("#HttpOnly_"):
            line = line[len("#HttpOnly_") :]
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 7:
            raise UserError(
                f"{path}: neither JSON nor a Netscape cookies.txt "
                f"(a line has {len(fields)} tab-separated fields, not 7)"
            )
        rows.append((fields[0], fields[5], fields[6].rstrip("\r\n")))
    return rows


def _domain_matches(domain: str, suffixes: tuple[str, ...]) -> bool:
    d = domain.lstrip(".").lower()
    return not d or any(d == s or d.endswith("." + s) for s in suffixes)


def load_platform_cookies(settings: Settings, platform: str) -> dict[str, str]:
    """The cookies markwatch sends to ``platform``: its own setting/env var first, else the shared file.

    ``MARKWATCH_COOKIES_<PLATFORM>`` may be a ``k=v; k2=v2`` string or a path to a cookie file; a
    platform falls back to those it shares a login with (``cookies_also_from``: Tmall → Taobao).
    ``settings`` is anything with ``get(name)`` (Scrapy's settings, a dict).
    """
    entry = REGISTRY.get(platform)
    suffixes = entry.cookie_domains if entry is not None else ()
    cookies: dict[str, str] = {}
    shared = settings.get("MARKWATCH_COOKIES_FILE")
    if shared:
        for domain, name, value in read_cookie_file(Path(shared).expanduser()):
            if _domain_matches(domain, suffixes):
                cookies[name] = value
    names = [REGISTRY[p].cookie_env for p in (platform, *(entry.cookies_also_from if entry else ()))]
    for name in names:
        value = settings.get(name)
        if not value:
            continue
        value = str(value).strip()
        path = Path(value).expanduser()
        if "=" not in value or path.is_file():
            if not path.is_file():
                raise UserError(f"{name}: {value} is neither a cookie string (k=v; …) nor a file")
            cookies.update(
                {n: v for domain, n, v in read_cookie_file(path) if _domain_matches(domain, suffixes)}
            )
        else:
            cookies.update(parse_cookie_header(value))
        break
    return cookies
