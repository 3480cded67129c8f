"""The platform registry: every fact about a platform that more than one room needs, in one place.

A platform's own package under ``spiders/`` holds its spider, parsers, refusal rules and sandbox
replica; what the rest of markwatch must know without importing Scrapy (the names, the hosts a
listing URL may point at, the cookie domains, which complaint desk takes its takedowns) lives here.
A fifth platform is one entry here plus its package.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Platform:
    name: str  # taobao | tmall | jd | weibo
    label: str  # as people write it
    own_domains: tuple[str, ...]  # registrable domains whose hosts are the platform's own
    cookie_domains: tuple[str, ...]  # where an account's cookies are sent
    takedown_desk: str  # the complaint procedure that takes its listings
    login_url: str  # the page a person logs in on
    item_url: str  # canonical item/post URL, with ``{item_id}``
    #: Platforms whose pasted cookies this one falls back to (Tmall logs in on Taobao).
    cookies_also_from: tuple[str, ...] = ()

    @property
    def cookie_env(self) -> str:
        """The setting / environment variable holding this platform's pasted cookies."""
        return f"MARKWATCH_COOKIES_{self.name.upper()}"

    @property
    def package(self) -> str:
        """The package under ``spiders/`` that owns its spider, parsers and refusal rules."""
        return f"spiders.{self.name}"


REGISTRY: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform(
            "taobao",
            "Taobao",
            ("taobao.com", "tmall.com", "alicdn.com", "tbcdn.cn"),
            ("taobao.com", "tmall.com"),
            "Alibaba IPP",
            "https://login.taobao.com/member/login.jhtml",
            "https://item.taobao.com/item.htm?id={item_id}",
        ),
        Platform(
            "tmall",
            "Tmall",
            ("tmall.com", "taobao.com", "alicdn.com", "tbcdn.cn"),
            ("tmall.com", "taobao.com"),
            "Alibaba IPP",
            "https://login.taobao.com/member/login.jhtml",
            "https://detail.tmall.com/item.htm?id={item_id}",
            cookies_also_from=("taobao",),
        ),
        Platform(
            "jd",
            "JD",
            ("jd.com", "360buyimg.com", "3.cn"),
            ("jd.com",),
            "JD IPR",
            "https://passport.jd.com/new/login.aspx",
            "https://item.jd.com/{item_id}.html",
        ),
        Platform(
            "weibo",
            "Weibo",
            ("weibo.com", "weibo.cn", "sina.com.cn", "sinaimg.cn"),
            ("weibo.com", "weibo.cn", "sina.com.cn"),
            "Weibo complaint desk",
            "https://passport.weibo.com/sso/signin",
            "https://weibo.com/detail/{item_id}",
        ),
    )
}

#: Platform names in registry order.
PLATFORMS: tuple[str, ...] = tuple(REGISTRY)


def is_platform(name: object) -> bool:
    return isinstance(name, str) and name in REGISTRY


def host_is_own(platform: str, host: str) -> bool:
    """True when ``host`` is one of ``platform``'s own hosts (a registrable domain or a subdomain)."""
    entry = REGISTRY.get(platform)
    if entry is None or not host:
        return False
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in entry.own_domains)


def platform_url_problem(platform: str, url: object) -> str | None:
    """Why ``url`` may not be opened or exported as ``platform``'s listing, or None when it may.

    Only ``https`` (or ``http``, which the platforms redirect) URLs on the platform's own hosts pass:
    no ``file:``, ``javascript:`` or ``data:``, no loopback or bare IP, no credentials or odd ports.
    """
    if not isinstance(url, str) or not url:
        return "no URL"
    if any(ord(c) < 0x21 or c in "\x7f\\" for c in url):
        return "the URL holds spaces, control characters or backslashes"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "the URL cannot be parsed"
    if parts.scheme not in ("https", "http"):
        return f"scheme {parts.scheme or '(none)'!r} is not https"
    if parts.username or parts.password:
        return "the URL carries credentials"
    if port not in (None, 80, 443):
        return f"port {port} is not the platform's"
    host = (parts.hostname or "").lower()
    if not host_is_own(platform, host):
        return f"host {host or '(none)'!r} is not one of {platform}'s own"
    return None
