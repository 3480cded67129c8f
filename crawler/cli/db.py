"""``markwatch db upgrade|downgrade|current``: the database schema."""

from __future__ import annotations

import click

from crawler.cli.common import AppContext, pass_app
from markwatch.errors import UserError
from storage.db import current_revision, downgrade, head_revision, safe_url, upgrade


@click.group("db")
def db() -> None:
    """The database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Revision to upgrade to.")
@pass_app
def db_upgrade(app: AppContext, revision: str) -> None:
    """Create or upgrade the database's tables to this markwatch's schema.

    \b
    Example:
        markwatch --db postgresql://localhost/markwatch db upgrade
    """
    engine = app.engine(check_schema=False)
    try:
        before = current_revision(engine)
        upgrade(engine, revision)
        after = current_revision(engine)
    finally:
        engine.dispose()
    where = safe_url(engine.url.render_as_string(hide_password=False))
    click.echo(f"{where}: schema {before or 'empty'} -> {after}")


@db.command("downgrade")
@click.argument("revision", required=False)
@pass_app
def db_downgrade(app: AppContext, revision: str | None) -> None:
    """Downgrade the schema to REVISION (required; 'base' drops every markwatch table: data is lost).

    \b
    Example:
        markwatch db downgrade 0003
    """
    if not revision:
        raise UserError(
            "say which revision to go down to, e.g. `markwatch db downgrade 0003` "
            "(`markwatch db downgrade base` drops every markwatch table and its data)"
        )
    engine = app.engine(check_schema=False)
    try:
        downgrade(engine, revision)
        now = current_revision(engine)
    finally:
        engine.dispose()
    click.echo(f"schema now {now or 'empty'}")


@db.command("current")
@pass_app
def db_current(app: AppContext) -> None:
    """Show the database's schema revision and the code's."""
    engine = app.engine(check_schema=False)
    try:
        now = current_revision(engine)
    finally:
        engine.dispose()
    click.echo(f"database: {now or 'empty'}; code: {head_revision()}")


def register(group: click.Group) -> None:
    group.add_command(db)
