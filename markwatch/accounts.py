"""Accounts: one login on one platform, its proxy and its health.

An account is either

* a **profile**: a persistent Chromium profile folder (``<root>/<platform>/<name>``) that a person
  logged into once with ``markwatch login PLATFORM --account NAME``; the crawl opens it in Chromium
  and the platform's own JavaScript does the rest, or
* **pasted cookies** (``MARKWATCH_COOKIES_<PLATFORM>`` / ``MARKWATCH_COOKIES_FILE``, as before): the
  account named ``pasted``.

Each has an optional proxy (``http://``, ``https://``, ``socks5://``) and a health record (logged in
or not, when its login cookie expires, its last refusal and when, cooling down until when) kept in
``<root>/accounts.json`` beside the profiles. The root is ``MARKWATCH_ACCOUNTS_DIR`` or the user's data
folder (``~/.local/share/markwatch/accounts`` on Linux). Account names are checked against a strict
allow-list and never taken as paths.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from markwatch.errors import ConfigError
from markwatch.platforms import PLATFORMS, REGISTRY

#: The account of the pasted cookies (``MARKWATCH_COOKIES_*``); a login may not take this name.
PASTED = "pasted"
#: Account names: lower-case letters, digits, ``-`` and ``_``, starting with a letter or digit.
NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}\Z")
#: The state file beside the profiles.
STATE_FILE = "accounts.json"
#: Proxy schemes Chromium takes per context.
PROXY_SCHEMES = ("http", "https", "socks5")

#: Cookies whose presence means a login landed (any one of them), per platform. Taobao and Tmall share
#: the Alibaba login (``unb`` is the user number); JD's PC login sets ``thor`` (``pt_key`` on mobile);
#: Weibo's SSO sets ``SUB`` for visitors too, so the login is ``ALF`` / ``SSOLoginState``.
LOGIN_COOKIES: dict[str, tuple[str, ...]] = {
    "taobao": ("unb", "cookie17"),
    "tmall": ("unb", "cookie17"),
    "jd": ("thor", "pt_key"),
    "weibo": ("ALF", "SSOLoginState"),
}

Kind = Literal["profile", "cookies"]


def default_root() -> Path:
    """``MARKWATCH_ACCOUNTS_DIR``, else ``<user data dir>/markwatch/accounts``."""
    env = os.environ.get("MARKWATCH_ACCOUNTS_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("markwatch", appauthor=False) / "accounts"


def check_platform(platform: str) -> str:
    if platform not in REGISTRY:
        raise ConfigError(f"unknown platform {platform!r}: use one of {', '.join(PLATFORMS)}")
    return platform


def check_name(name: str, *, allow_pasted: bool = False) -> str:
    """An account name from input, or a one-line :class:`ConfigError` (never used as a path as given)."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ConfigError(
            f"account name {name!r} is not allowed: use 1-32 lower-case letters, digits, '-' or '_' "
            "(e.g. main, shop-2)"
        )
    if name == PASTED and not allow_pasted:
        raise ConfigError(
            f"'{PASTED}' is the account of the pasted cookies (MARKWATCH_COOKIES_*); pick another"
        )
    return name


def check_proxy(url: str | None) -> str | None:
    """``http://host:port``, ``https://…`` or ``socks5://host:port`` (credentials only for http/https)."""
    if url is None or url == "":
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ConfigError(f"proxy {url!r} cannot be read: write e.g. socks5://127.0.0.1:1080") from None
    if parts.scheme not in PROXY_SCHEMES:
        raise ConfigError(
            f"proxy {url!r}: the scheme must be http://, https:// or socks5:// (e.g. socks5://127.0.0.1:1080)"
        )
    if not parts.hostname or (parts.path not in ("", "/")) or parts.query or parts.fragment:
        raise ConfigError(f"proxy {url!r}: give only scheme://host:port (e.g. http://10.0.0.2:3128)")
    if port is None:
        raise ConfigError(f"proxy {url!r}: give the port (e.g. {parts.scheme}://{parts.hostname}:1080)")
    if parts.scheme == "socks5" and (parts.username or parts.password):
        raise ConfigError(f"proxy {url!r}: Chromium takes no user name or password for socks5 proxies")
    return url.rstrip("/")


def playwright_proxy(url: str | None) -> dict[str, str] | None:
    """A proxy URL as Playwright's ``proxy`` option (credentials split out)."""
    if not url:
        return None
    parts = urlsplit(url)
    out = {"server": f"{parts.scheme}://{parts.hostname}:{parts.port}"}
    if parts.username:
        out["username"] = parts.username
        out["password"] = parts.password or ""
    return out


@dataclass
class Account:
    """One login on one platform and its health."""

    platform: str
    name: str
    kind: Kind = "profile"
    proxy: str | None = None
    #: True when the login was made against the sandbox (its cookies are on the sandbox's host).
    sandbox: bool = False
    logged_in: bool | None = None
    #: When the login cookie expires (epoch seconds); None for a session cookie or unknown.
    cookie_expiry: float | None = None
    last_refusal: str | None = None
    last_refusal_at: float | None = None
    cooling_until: float | None = None
    checked_at: float | None = None
    created_at: float = field(default_factory=time.time)

    @property
    def key(self) -> str:
        return f"{self.platform}/{self.name}"

    def cooling(self, now: float | None = None) -> bool:
        return self.cooling_until is not None and self.cooling_until > (time.time() if now is None else now)

    def usable(self, now: float | None = None) -> bool:
        """Not cooling down and not known to be logged out (pasted cookies are taken on trust)."""
        return not self.cooling(now) and self.logged_in is not False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Account:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class AccountStore:
    """The profiles under ``root`` and their health in ``root/accounts.json`` (locked while written)."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root).expanduser() if root else default_root()

    @property
    def state_path(self) -> Path:
        return self.root / STATE_FILE

    def profile_dir(self, platform: str, name: str) -> Path:
        """``<root>/<platform>/<name>``, from validated parts only."""
        path = self.root / check_platform(platform) / check_name(name)
        # belt and braces: the allow-list already keeps the path inside the root
        if os.path.commonpath([path.absolute(), self.root.absolute()]) != str(self.root.absolute()):
            raise ConfigError(f"account {platform}/{name}: its folder would leave {self.root}")
        return path

    # --- the state file ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        """Read the state under an exclusive lock; what the block leaves in the dict is written back."""
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the accounts folder {self.root} ({exc.strerror}): set MARKWATCH_ACCOUNTS_DIR"
            ) from None
        with open(self.root / ".lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = self._read()
            before = json.dumps(state, sort_keys=True)
            yield state
            if json.dumps(state, sort_keys=True) != before:
                self._write(state)

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"version": 1, "accounts": {}}
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(
                f"{self.state_path} cannot be read ({exc}); move it aside and run `markwatch accounts check`"
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("accounts"), dict):
            raise ConfigError(f"{self.state_path} is not a markwatch accounts file; move it aside")
        return data

    def _write(self, state: dict[str, Any]) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".accounts-", dir=self.root)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(state, out, ensure_ascii=False, indent=1, sort_keys=True)
        os.replace(tmp, self.state_path)

    # --- accounts -----------------------------------------------------------------------------------

    def list(self, platform: str | None = None) -> list[Account]:
        state = self._read() if self.state_path.exists() else {"accounts": {}}
        out = []
        for data in state["accounts"].values():
            try:
                account = Account.from_json(data)
            except TypeError:
                continue
            if platform is None or account.platform == platform:
                out.append(account)
        return sorted(
            out, key=lambda a: (PLATFORMS.index(a.platform) if a.platform in PLATFORMS else 99, a.name)
        )

    def get(self, platform: str, name: str) -> Account | None:
        check_platform(platform)
        for account in self.list(platform):
            if account.name == name:
                return account
        return None

    def save(self, account: Account) -> Account:
        check_platform(account.platform)
        check_name(account.name, allow_pasted=account.kind == "cookies")
        with self._locked() as state:
            state["accounts"][account.key] = account.to_json()
        return account

    def update(self, platform: str, name: str, **changes: Any) -> Account:
        """Change some fields of an account (made on first use: a pasted-cookies account)."""
        check_platform(platform)
        check_name(name, allow_pasted=True)
        with self._locked() as state:
            key = f"{platform}/{name}"
            data = state["accounts"].get(key)
            account = (
                Account.from_json(data)
                if data
                else Account(platform, name, kind="cookies" if name == PASTED else "profile")
            )
            for k, v in changes.items():
                if not hasattr(account, k):
                    raise TypeError(f"Account has no field {k}")
                setattr(account, k, v)
            state["accounts"][key] = account.to_json()
        return account

    def remove(self, platform: str, name: str) -> bool:
        """Forget an account and delete its profile folder; False when there was none."""
        check_name(name, allow_pasted=True)
        folder = self.profile_dir(platform, name) if name != PASTED else None
        with self._locked() as state:
            found = state["accounts"].pop(f"{platform}/{name}", None) is not None
        if folder is not None and folder.is_dir():
            shutil.rmtree(folder)
            found = True
        return found

    def record_refusal(self, platform: str, name: str, mode: str, cool_for: float | None) -> Account:
        """A refusal met by the account; it cools down for ``cool_for`` seconds (None: not at all)."""
        now = time.time()
        changes: dict[str, Any] = {"last_refusal": mode, "last_refusal_at": now}
        if cool_for:
            changes["cooling_until"] = now + cool_for
        if mode == "login":
            changes["logged_in"] = False
        return self.update(platform, name, **changes)


# --- reading a profile's cookies without a browser ----------------------------------------------------

#: Seconds between 1601-01-01 (Chromium's cookie epoch) and 1970-01-01.
_WINDOWS_EPOCH = 11_644_473_600


def profile_cookies(profile: Path) -> list[tuple[str, str, float | None]]:
    """(host, name, expiry epoch or None for a session cookie) of a Chromium profile's cookies.

    Reads a copy of ``Default/Cookies`` (names and expiry are stored in clear; the values, encrypted,
    are not read). Empty when the profile has no cookie file yet.
    """
    for candidate in (profile / "Default" / "Cookies", profile / "Default" / "Network" / "Cookies"):
        if candidate.is_file():
            source = candidate
            break
    else:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "Cookies"
        shutil.copyfile(source, copy)
        try:
            con = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
            try:
                rows = con.execute("SELECT host_key, name, expires_utc FROM cookies").fetchall()
            finally:
                con.close()
        except sqlite3.DatabaseError:
            return []
    out: list[tuple[str, str, float | None]] = []
    for host, name, expires in rows:
        when = (int(expires) / 1_000_000 - _WINDOWS_EPOCH) if expires else None
        out.append((str(host), str(name), when))
    return out


def cookie_domains(platform: str, sandbox_host: str | None = None) -> tuple[str, ...]:
    """Where the platform's login cookies live (the sandbox's host when logged in there)."""
    if sandbox_host:
        return (sandbox_host,)
    return REGISTRY[platform].cookie_domains


def _on_domain(host: str, domains: tuple[str, ...]) -> bool:
    h = host.lstrip(".").lower()
    return any(h == d or h.endswith("." + d) for d in domains)


def login_state(
    platform: str, cookies: list[tuple[str, str, float | None]], sandbox_host: str | None = None
) -> tuple[bool, float | None]:
    """(logged in, when the login expires) from (host, name, expiry) cookies; expired ones do not count."""
    now = time.time()
    domains = cookie_domains(platform, sandbox_host)
    names = LOGIN_COOKIES.get(platform, ())
    live = [
        exp
        for host, name, exp in cookies
        if name in names and _on_domain(host, domains) and (exp is None or exp > now)
    ]
    if not live:
        return False, None
    dated = [e for e in live if e is not None]
    return True, (min(dated) if dated else None)


def sandbox_host(url: str | None) -> str | None:
    return (urlsplit(url).hostname or None) if url else None


def check_account(store: AccountStore, account: Account) -> Account:
    """Refresh a profile account's login state from its cookie file (no browser is started)."""
    if account.kind != "profile":
        return account
    profile = store.profile_dir(account.platform, account.name)
    host = "127.0.0.1" if account.sandbox else None
    cookies = profile_cookies(profile) if profile.is_dir() else []
    if account.sandbox:
        # the sandbox sets cookies on its own host (any loopback address); match on names there
        host = next((h for h, n, _ in cookies if n in LOGIN_COOKIES.get(account.platform, ())), host)
    logged_in, expiry = login_state(account.platform, cookies, host)
    return store.update(
        account.platform, account.name, logged_in=logged_in, cookie_expiry=expiry, checked_at=time.time()
    )
