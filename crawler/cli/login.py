"""``markwatch login`` and ``markwatch accounts``: log an account in once, see and manage accounts."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from crawler.cli.common import sandbox_option
from markwatch.accounts import (
    PASTED,
    Account,
    AccountStore,
    check_account,
    check_name,
    check_platform,
    check_proxy,
)
from markwatch.platforms import PLATFORMS

#: ``--accounts-dir`` of the commands that use accounts.
accounts_dir_option = click.option(
    "--accounts-dir",
    envvar="MARKWATCH_ACCOUNTS_DIR",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the account profiles and their state "
    "(default: ~/.local/share/markwatch/accounts; env MARKWATCH_ACCOUNTS_DIR).",
)


@click.command("login")
@click.argument("platform", type=click.Choice(PLATFORMS))
@click.option(
    "--account", "name", default="main", show_default=True, help="Account name (a-z, 0-9, - and _)."
)
@click.option(
    "--proxy",
    default=None,
    metavar="URL",
    help="Proxy for this account: http://host:port or socks5://host:port.",
)
@click.option(
    "--timeout",
    default=300,
    show_default=True,
    type=click.IntRange(5, 3600),
    help="Seconds to wait for the login.",
)
@click.option(
    "--window/--no-window",
    default=None,
    help="Open a window (default: when a display is set) or save the QR code as a PNG and print it.",
)
@click.option(
    "--qr-png",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to save the QR code without a window (default: beside the profile).",
)
@sandbox_option
@accounts_dir_option
def login_command(
    platform: str,
    name: str,
    proxy: str | None,
    timeout: int,
    window: bool | None,
    qr_png: Path | None,
    sandbox_url: str | None,
    accounts_dir: Path | None,
) -> None:
    """Log PLATFORM's account in once, in Chromium with its own persistent profile.

    With a display a window opens; log in there. Without one the QR code is saved as a PNG and
    printed here: scan it with the platform's phone app. markwatch waits until the login lands.

    \b
    Example:
        markwatch login taobao --account main
        markwatch login jd --account shop-2 --proxy socks5://127.0.0.1:1080
        markwatch login weibo --sandbox http://127.0.0.1:8710
    """
    from crawler.login import login
    from crawler.qr import terminal_qr

    check_name(name)
    store = AccountStore(accounts_dir)

    def show_qr(path: Path) -> None:
        text = terminal_qr(path)
        if text:
            click.echo(text)
        click.echo(f"scan the QR code with the {platform} app (saved as {path}); waiting up to {timeout} s")

    result = login(
        store,
        platform,
        name,
        proxy=proxy,
        sandbox_url=sandbox_url,
        timeout=timeout,
        window=window,
        qr_png=qr_png,
        on_qr=show_qr,
        say=click.echo,
    )
    a = result.account
    click.echo(
        f"logged in: {a.key} in {result.seconds:.0f} s; login cookie expires {when(a.cookie_expiry)}"
        + (f"; proxy {a.proxy}" if a.proxy else "")
    )


def when(epoch: float | None, empty: str = "with the session") -> str:
    if epoch is None:
        return empty
    return dt.datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M")


@click.group("accounts")
def accounts_group() -> None:
    """Accounts: one login on one platform (a Chromium profile or pasted cookies), proxy and health."""


def _pasted(platform: str) -> bool:
    from crawler.middlewares import load_platform_cookies
    from crawler.runner import project_settings

    settings = project_settings()
    # the environment as it is now (the settings module read it when first imported)
    env = {k: v for k, v in os.environ.items() if k.startswith("MARKWATCH_COOKIES_") and v}
    settings.setdict(env, priority="cmdline")
    return bool(load_platform_cookies(settings, platform))


def all_accounts(store: AccountStore, platform: str | None) -> list[Account]:
    """The stored accounts plus a ``pasted`` one per platform with MARKWATCH_COOKIES_* set."""
    accounts = store.list(platform)
    known = {a.key for a in accounts}
    for p in [platform] if platform else PLATFORMS:
        if f"{p}/{PASTED}" not in known and _pasted(p):
            accounts.append(Account(p, PASTED, kind="cookies"))
    return sorted(accounts, key=lambda a: (PLATFORMS.index(a.platform), a.name))


def accounts_table(accounts: list[Account]) -> Table:
    table = Table(title="Accounts", show_lines=False)
    for col in (
        "platform",
        "account",
        "kind",
        "logged in",
        "cookie expires",
        "last refusal",
        "cooling until",
        "proxy",
    ):
        table.add_column(col, overflow="fold")
    now = time.time()
    for a in accounts:
        logged = {True: "[green]yes[/green]", False: "[red]no[/red]", None: "?"}[a.logged_in]
        refusal = f"{a.last_refusal} at {when(a.last_refusal_at)}" if a.last_refusal else "-"
        cooling = when(a.cooling_until) if a.cooling(now) else "-"
        where = " (sandbox)" if a.sandbox else ""
        table.add_row(
            a.platform,
            a.name + where,
            a.kind,
            logged,
            when(a.cookie_expiry, "session" if a.logged_in else "-"),
            refusal,
            cooling,
            a.proxy or "-",
        )
    return table


@accounts_group.command("list")
@click.option("--platform", type=click.Choice(PLATFORMS), default=None, help="Only this platform's accounts.")
@accounts_dir_option
def list_command(platform: str | None, accounts_dir: Path | None) -> None:
    """Show every account: platform, logged in or not, cookie expiry, last refusal, cool-down, proxy.

    \b
    Example:
        markwatch accounts list --platform taobao
    """
    store = AccountStore(accounts_dir)
    accounts = all_accounts(store, platform)
    if not accounts:
        click.echo("no accounts yet: run `markwatch login PLATFORM --account NAME`")
        return
    Console().print(accounts_table(accounts))


@accounts_group.command("check")
@click.option("--platform", type=click.Choice(PLATFORMS), default=None, help="Only this platform's accounts.")
@accounts_dir_option
def check_command(platform: str | None, accounts_dir: Path | None) -> None:
    """Read each profile's cookies again (no browser): logged in or not, and until when.

    Exit status 1 when an account is logged out (log it in again with `markwatch login`).

    \b
    Example:
        markwatch accounts check
    """
    store = AccountStore(accounts_dir)
    accounts = [check_account(store, a) for a in all_accounts(store, platform)]
    if not accounts:
        click.echo("no accounts yet: run `markwatch login PLATFORM --account NAME`")
        return
    Console().print(accounts_table(accounts))
    out = [a for a in accounts if a.logged_in is False]
    for a in out:
        click.echo(f"{a.key}: logged out; run `markwatch login {a.platform} --account {a.name}`")
    if out:
        raise SystemExit(1)


@accounts_group.command("remove")
@click.argument("platform", type=click.Choice(PLATFORMS))
@click.argument("name")
@accounts_dir_option
def remove_command(platform: str, name: str, accounts_dir: Path | None) -> None:
    """Forget an account and delete its Chromium profile (its login) from this machine.

    \b
    Example:
        markwatch accounts remove taobao shop-2
    """
    check_platform(platform)
    check_name(name, allow_pasted=True)
    store = AccountStore(accounts_dir)
    if not store.remove(platform, name):
        from markwatch.errors import UserError

        raise UserError(f"no account {platform}/{name}: see `markwatch accounts list`")
    click.echo(f"removed {platform}/{name}")


@accounts_group.command("proxy")
@click.argument("platform", type=click.Choice(PLATFORMS))
@click.argument("name")
@click.argument("url", required=False)
@accounts_dir_option
def proxy_command(platform: str, name: str, url: str | None, accounts_dir: Path | None) -> None:
    """Set (or, without URL, clear) an account's proxy: http://host:port or socks5://host:port.

    \b
    Example:
        markwatch accounts proxy taobao main socks5://127.0.0.1:1080
        markwatch accounts proxy taobao pasted http://10.0.0.2:3128
    """
    check_platform(platform)
    check_name(name, allow_pasted=True)
    store = AccountStore(accounts_dir)
    if name != PASTED and store.get(platform, name) is None:
        from markwatch.errors import UserError

        raise UserError(
            f"no account {platform}/{name}: log it in first (markwatch login {platform} --account {name})"
        )
    account = store.update(platform, name, proxy=check_proxy(url))
    click.echo(f"{account.key}: proxy {account.proxy or 'none'}")


def register(group: click.Group) -> None:
    group.add_command(login_command)
