"""``db upgrade`` is all or nothing (finding 13), ``db downgrade`` needs an explicit revision."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from crawler.cli import cli
from storage.db import current_revision, head_revision, make_engine, upgrade


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_downgrade_without_a_revision_drops_nothing(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    code, _out, err = run(db_url, "db", "downgrade")
    assert code == 2
    assert err.count("\n") == 1 and "say which revision" in err and "Traceback" not in err
    assert current_revision(engine) == head_revision()
    assert "listings" in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_unknown_revision_is_one_line(db_url: str) -> None:
    code, _out, err = run(db_url, "db", "upgrade", "--revision", "zzz")
    assert code == 2 and err.count("\n") == 1 and "no schema revision 'zzz'" in err


def _listing_columns(engine: sa.Engine) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns("listings")}


def test_a_failed_upgrade_leaves_the_database_as_it_was(db_url: str, tmp_path: Path) -> None:
    """A migration that fails half-way (here: its last column already exists) used to leave the schema
    half-changed with the old alembic_version: every later command was a dead end."""
    engine = make_engine(db_url)
    upgrade(engine, "0003")
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE listings ADD COLUMN gone_proof_detail TEXT"))
        conn.execute(
            sa.text(
                "INSERT INTO brands (slug, name, config, synced_at) VALUES ('b', 'B', '{}', '2026-01-01')"
            )
        )
    before = _listing_columns(engine)
    engine.dispose()
    code, _out, err = run(db_url, "db", "upgrade")
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "failed" in err
    engine = make_engine(db_url)
    assert current_revision(engine) == "0003"
    assert _listing_columns(engine) == before  # no column of 0004 left behind
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM brands")).scalar_one() == 1
    if engine.dialect.name == "sqlite":
        assert "restored from" in err
    # once the cause is gone, the upgrade goes through
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE listings DROP COLUMN gone_proof_detail"))
    engine.dispose()
    code, _out, err = run(db_url, "db", "upgrade")
    assert code == 0, err
    engine = make_engine(db_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_upgrade_refuses_when_the_copy_cannot_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storage.db

    db = f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(db)
    upgrade(engine, "0003")
    engine.dispose()

    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage.db, "_sqlite_copy", full)
    code, _out, err = run(db, "db", "upgrade")
    assert code == 2 and "nothing was changed" in err and "No space left" in err
    engine = make_engine(db)
    assert current_revision(engine) == "0003"
    engine.dispose()
