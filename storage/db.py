"""Engines and migrations: the database URL, SQLite pragmas, and ``markwatch db upgrade``."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError as AlembicCommandError
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from markwatch.errors import DatabaseError, UserError

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


class UpgradeError(DatabaseError):
    """A migration failed; the message says what state the database is in and how to recover."""


def _check_revision(revision: str) -> None:
    script = ScriptDirectory(str(MIGRATIONS))
    if revision in ("head", "base", "heads"):
        return
    try:
        script.get_revision(revision)
    except (AlembicCommandError, KeyError, ValueError):
        known = ", ".join(rev.revision for rev in script.walk_revisions())
        raise DatabaseError(f"no schema revision {revision!r} (known: {known}, head, base)") from None


def sqlite_file(engine: Engine) -> Path | None:
    """The file of a SQLite database (None for other databases and in-memory ones)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (the backup API: WAL contents included)."""
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to ``revision``, all or nothing.

    PostgreSQL runs every migration in one transaction (its DDL is transactional): a failure leaves
    the schema as it was. SQLite's driver commits each DDL statement by itself, so the database file
    is first copied (``<file>.before-upgrade``, SQLite's backup API) and put back when a migration
    fails; the message says what happened and, if even that failed, which file to copy back.
    """
    _check_revision(revision)
    path = sqlite_file(engine)
    if path is None or not path.exists():
        _run_migrations(engine, command.upgrade, revision)
        return
    backup = path.with_name(path.name + ".before-upgrade")
    try:
        _sqlite_copy(path, backup)
    except (sqlite3.Error, OSError) as exc:
        backup.unlink(missing_ok=True)
        raise UpgradeError(
            f"could not copy {path} to {backup} before upgrading ({exc}): nothing was changed; "
            "free some disk space and run `markwatch db upgrade` again"
        ) from None
    try:
        _run_migrations(engine, command.upgrade, revision)
    except Exception as exc:
        engine.dispose()
        reason = _reason(exc)
        try:
            _sqlite_copy(backup, path)
        except (sqlite3.Error, OSError) as again:
            raise UpgradeError(
                f"the upgrade of {path} failed ({reason}) and putting the copy back failed too ({again}): "
                f"stop every markwatch process, then copy {backup} over {path} (and delete {path}-wal "
                f"and {path}-shm) to get the database as it was before the upgrade"
            ) from None
        engine.dispose()
        raise UpgradeError(
            f"the upgrade of {path} failed ({reason}); the database is as it was before it "
            f"(restored from {backup}, kept)"
        ) from None
    backup.unlink(missing_ok=True)


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _run_migrations(engine: Engine, step: Any, revision: str) -> None:
    try:
        step(alembic_config(engine), revision)
    except AlembicCommandError as exc:
        raise DatabaseError(f"schema revision {revision!r}: {exc}") from None
    except (OperationalError, DBAPIError) as exc:
        if engine.dialect.name == "postgresql":
            raise UpgradeError(
                f"the migration to {revision} failed ({_reason(exc)}); nothing was changed "
                "(PostgreSQL rolled the whole upgrade back)"
            ) from None
        raise


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate down to ``revision`` (``base`` drops every markwatch table); the revision is required."""
    _check_revision(revision)
    _run_migrations(engine, command.downgrade, revision)


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
