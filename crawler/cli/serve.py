"""``markwatch serve`` (the review console) and ``markwatch users`` (who may sign in to it)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from sqlalchemy.orm import Session

from crawler.cli.common import AppContext, pass_app
from markwatch.errors import UserError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (keep it local; put a TLS reverse proxy in front to share it).",
)
@click.option("--port", default=8720, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--photos",
    "photos_dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="MARKWATCH_PHOTOS_DIR",
    default="markwatch-photos",
    show_default=True,
    help="The photo store (photos are served only from it).",
)
@click.option(
    "--packages",
    "packages_dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="MARKWATCH_PACKAGES_DIR",
    default="markwatch-packages",
    show_default=True,
    help="Where exported takedown packages are written.",
)
@click.option(
    "--secure-cookies/--no-secure-cookies",
    default=None,
    help="Send the session cookie over HTTPS only (default: on when --host is not local).",
)
@pass_app
def serve(
    app: AppContext, host: str, port: int, photos_dir: Path, packages_dir: Path, secure_cookies: bool | None
) -> None:
    """The review console: queue, listings, sellers, cases, crawls and read-only SQL, with a JSON API.

    Sign in with a user made by `markwatch users add`. The session key comes from
    MARKWATCH_CONSOLE_SECRET (without it, a new key each start signs everyone out).

    \b
    Example:
        markwatch users add lin --role analyst
        markwatch serve --port 8720
    """
    import uvicorn

    from console.app import create_app
    from console.services import Settings
    from storage.db import check_current, make_engine

    engine = make_engine(app.db_url, pool_size=20, max_overflow=20)
    check_current(engine)
    secret = os.environ.get("MARKWATCH_CONSOLE_SECRET")
    if not secret:
        click.echo(
            "note: MARKWATCH_CONSOLE_SECRET is not set: sessions end when the console restarts", err=True
        )
    local = host in LOOPBACK
    if not local:
        click.echo(
            f"warning: listening on {host}: put it behind a TLS reverse proxy (see the README)", err=True
        )
    settings = Settings(
        photos_dir=photos_dir,
        packages_dir=packages_dir,
        secret_key=secret,
        secure_cookies=(not local) if secure_cookies is None else secure_cookies,
    )
    click.echo(
        f"markwatch console on http://{host if ':' not in host else f'[{host}]'}:{port}/ (Ctrl-C stops)",
        err=True,
    )
    # keep-alive longer than clients' and proxies' idle timeouts (httpx 5 s, nginx 60 s), so the server
    # never closes a connection a client is about to reuse
    uvicorn.run(
        create_app(engine, settings),
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=True,
        timeout_keep_alive=75,
    )


@click.group("users")
def users() -> None:
    """People who may sign in to the review console, their roles and API tokens."""


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "analyst", "viewer"]),
    help="viewer reads; analyst also decides and files; admin also manages users and brands.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@click.option("--no-password", is_flag=True, help="No password: the user works with API tokens only.")
@pass_app
def users_add(app: AppContext, name: str, role: str, password_stdin: bool, no_password: bool) -> None:
    """Add a user (asks for the password unless --password-stdin or --no-password).

    \b
    Example:
        markwatch users add lin --role analyst
        printf '%s\\n' "$PASSWORD" | markwatch users add ci --role viewer --password-stdin
    """
    from console.users import add_user

    password: str | None = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UserError("no password on standard input")
    elif not no_password:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    with Session(app.engine()) as session, session.begin():
        add_user(session, name, role, password)
    click.echo(f"user {name} added as {role}")


@users.command("list")
@pass_app
def users_list(app: AppContext) -> None:
    """Users with their role and last sign-in."""
    from console.users import list_users

    with Session(app.engine()) as session:
        rows = list_users(session)
        if not rows:
            click.echo("no users yet: markwatch users add NAME --role admin")
        for u in rows:
            last = f"{u.last_login:%Y-%m-%d %H:%M}Z" if u.last_login else "never"
            login = "password" if u.password_hash else "token only"
            click.echo(f"{u.name}\t{u.role}\t{login}\tlast sign-in {last}")


@users.command("token")
@click.argument("name")
@pass_app
def users_token(app: AppContext, name: str) -> None:
    """A new API token for NAME (printed once; send it as `Authorization: Bearer TOKEN`)."""
    from console.users import new_token

    with Session(app.engine()) as session, session.begin():
        token = new_token(session, name)
    click.echo(token)


@users.command("remove")
@click.argument("name")
@pass_app
def users_remove(app: AppContext, name: str) -> None:
    """Remove a user and their API tokens (their past decisions keep their name)."""
    from console.users import remove_user

    with Session(app.engine()) as session, session.begin():
        remove_user(session, name)
    click.echo(f"user {name} removed")


def register(group: click.Group) -> None:
    group.add_command(serve)
    group.add_command(users)
