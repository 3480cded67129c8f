"""``markwatch db upgrade|downgrade|current``: the database schema."""

from __future__ import annotations

import click

from crawler.cli.common import AppContext, pass_app
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
    before = current_revision(engine)
    upgrade(engine, revision)
    after = current_revision(engine)
    where = safe_url(engine.url.render_as_string(hide_password=False))
    click.echo(f"{where}: schema {before or 'empty'} -> {after}")


@db.command("downgrade")
@click.argument("revision", default="base")
@pass_app
def db_downgrade(app: AppContext, revision: str) -> None:
    """Downgrade the schema to REVISION ('base' drops every markwatch table: data is lost)."""
    engine = app.engine(check_schema=False)
    downgrade(engine, revision)
    click.echo(f"schema now {current_revision(engine) or 'empty'}")


@db.command("current")
@pass_app
def db_current(app: AppContext) -> None:
    """Show the database's schema revision and the code's."""
    engine = app.engine(check_schema=False)
    click.echo(f"database: {current_revision(engine) or 'empty'}; code: {head_revision()}")


def register(group: click.Group) -> None:
    group.add_command(db)
