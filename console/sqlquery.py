"""Read-only SQL for analysts: one SELECT, a read-only connection, a time limit, a row cap.

SQLite: a separate connection opened ``mode=ro`` with ``PRAGMA query_only`` and an authorizer that
allows only reading (no ATTACH, no PRAGMA, no writes), and a progress handler that stops a statement
at the time limit. PostgreSQL: a ``READ ONLY`` transaction with ``statement_timeout``, rolled back.
Before either, the text must be one statement starting with SELECT, WITH, VALUES or EXPLAIN.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from markwatch.errors import UserError

READ_STARTS = ("select", "with", "values", "explain")
#: Cells a spreadsheet would run as a formula start with one of these; they get a leading quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class QueryRefused(UserError):
    """Not a single read-only statement."""


@dataclass
class QueryResult:
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    truncated: bool = False
    elapsed_ms: float = 0.0


def _strip(sql: str) -> str:
    """The statement without comments and with string literals and quoted names emptied."""
    out = re.sub(r"--[^\n]*", " ", sql)
    out = re.sub(r"/\*.*?\*/", " ", out, flags=re.S)
    out = re.sub(r"'(?:[^']|'')*'", "''", out)
    out = re.sub(r'"(?:[^"]|"")*"', '""', out)
    return out


def check_read_only(sql: str) -> str:
    """The statement (without a trailing ';') when it is one read-only statement, else QueryRefused."""
    body = _strip(sql).strip()
    if not body:
        raise QueryRefused("write a SELECT statement")
    if "'" in body.replace("''", "") or body.count('"') % 2:
        raise QueryRefused("unterminated quote in the statement")
    core = body.rstrip().rstrip(";").rstrip()
    if ";" in core:
        raise QueryRefused("one statement at a time: remove the ';' in the middle")
    first = core.split(None, 1)[0].lower()
    if first not in READ_STARTS:
        raise QueryRefused(
            f"read-only: {first.upper()} is not allowed here, only SELECT / WITH / VALUES / EXPLAIN"
        )
    words = set(re.findall(r"[a-z_]+", core.lower()))
    bad = words & {
        "insert",
        "update",
        "delete",
        "drop",
        "attach",
        "detach",
        "pragma",
        "create",
        "alter",
        "replace",
        "vacuum",
        "reindex",
        "grant",
        "truncate",
        "copy",
    }
    if first == "with" and bad & {"insert", "update", "delete"}:
        raise QueryRefused("read-only: a WITH that writes is not allowed")
    if bad & {"attach", "detach", "pragma", "vacuum"}:
        raise QueryRefused(f"read-only: {sorted(bad)[0].upper()} is not allowed here")
    return sql.strip().rstrip(";").strip() if ";" in sql else sql.strip()


_SQLITE_READ_ACTIONS = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    sqlite3.SQLITE_RECURSIVE,
}


def _sqlite_authorizer(
    action: int, arg1: str | None, arg2: str | None, db: str | None, trigger: str | None
) -> int:
    if action in _SQLITE_READ_ACTIONS:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def run_query(engine: Engine, sql: str, *, timeout_ms: int = 5000, row_cap: int = 1000) -> QueryResult:
    statement = check_read_only(sql)
    start = time.perf_counter()
    if engine.dialect.name == "sqlite":
        result = _run_sqlite(engine, statement, timeout_ms, row_cap)
    else:
        result = _run_postgres(engine, statement, timeout_ms, row_cap)
    result.elapsed_ms = (time.perf_counter() - start) * 1000
    return result


def _run_sqlite(engine: Engine, statement: str, timeout_ms: int, row_cap: int) -> QueryResult:
    database = engine.url.database
    if not database or database == ":memory:":
        raise QueryRefused("the query page needs a database file")
    uri = Path(database).resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=5, check_same_thread=False)
    try:
        conn.execute("PRAGMA query_only = ON")
        deadline = time.monotonic() + timeout_ms / 1000
        conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 10_000)
        conn.set_authorizer(_sqlite_authorizer)
        try:
            cur = conn.execute(statement)
            rows = cur.fetchmany(row_cap + 1)
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise QueryRefused(
                    f"the query ran longer than {timeout_ms / 1000:g} s and was stopped"
                ) from None
            if "not authorized" in str(exc):
                raise QueryRefused("read-only: that statement is not allowed here") from None
            raise QueryRefused(f"SQL error: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise QueryRefused(f"SQL error: {exc}") from None
        columns = [d[0] for d in cur.description or ()]
    finally:
        conn.close()
    return QueryResult(columns, [tuple(r) for r in rows[:row_cap]], len(rows) > row_cap)


def _run_postgres(engine: Engine, statement: str, timeout_ms: int, row_cap: int) -> QueryResult:
    from sqlalchemy.exc import DBAPIError

    with engine.connect() as conn:
        trans = conn.begin()
        try:
            conn.execute(text("SET TRANSACTION READ ONLY"))
            conn.execute(text(f"SET LOCAL statement_timeout = {int(timeout_ms)}"))
            try:
                cur = conn.exec_driver_sql(statement)
                rows = cur.fetchmany(row_cap + 1)
                columns = list(cur.keys())
            except DBAPIError as exc:
                msg = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
                if "statement timeout" in msg:
                    raise QueryRefused(
                        f"the query ran longer than {timeout_ms / 1000:g} s and was stopped"
                    ) from None
                if "read-only" in msg or "read only" in msg:
                    raise QueryRefused(f"read-only: {msg}") from None
                raise QueryRefused(f"SQL error: {msg}") from None
        finally:
            trans.rollback()
    return QueryResult(columns, [tuple(r) for r in rows[:row_cap]], len(rows) > row_cap)


def neutral_cell(value: Any) -> str:
    """A cell for CSV: text a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    out = str(value)
    return "'" + out if out.startswith(FORMULA_START) else out


def to_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([neutral_cell(c) for c in columns])
    for row in rows:
        writer.writerow([neutral_cell(v) for v in row])
    return buf.getvalue()
