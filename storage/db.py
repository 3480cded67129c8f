"""Engines and migrations: the database URL, SQLite pragmas, and ``markwatch db upgrade``."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from markwatch.errors import UserError

logger = logging.getLogger(__name__)

#: The database used when neither ``--db`` nor ``MARKWATCH_DB`` says otherwise.
DEFAULT_URL = "sqlite:///markwatch.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(url: str | None = None) -> str:
    return url or os.environ.get("MARKWATCH_DB") or DEFAULT_URL


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url``; checks that the database answers, or raises a one-line :class:`UserError`."""
    url = database_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UserError(f"{url!r} is not a database URL (e.g. sqlite:///markwatch.db)") from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        engine = create_engine(parsed, **kwargs)
    except NoSuchModuleError:
        raise UserError(f"no driver for {parsed.drivername}: install markwatch[postgres]") from None
    except ModuleNotFoundError as exc:
        raise UserError(
            f"the database driver {exc.name} is missing: pip install 'markwatch[postgres]'"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.connect():
            pass
    except (OperationalError, DBAPIError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise UserError(f"cannot reach the database {safe_url(url)}: {reason}") from None
    return engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    command.downgrade(alembic_config(engine), revision)


def check_current(engine: Engine) -> None:
    """Refuse a database whose schema is older (or newer) than this code."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    where = safe_url(str(engine.url.render_as_string(hide_password=False)))
    if current is None:
        raise UserError(f"the database {where} has no markwatch tables yet: run `markwatch db upgrade`")
    script = ScriptDirectory(str(MIGRATIONS))
    known = {rev.revision for rev in script.walk_revisions()}
    if current not in known:
        raise UserError(f"the database {where} is newer than this markwatch ({current}): upgrade markwatch")
    raise UserError(f"the database {where} is older than the code: run `markwatch db upgrade`")


def ready_engine(url: str | None = None) -> Engine:
    """An engine whose schema is migrated to head (for tests, the demo and benchmarks)."""
    engine = make_engine(url)
    upgrade(engine)
    return engine
