"""Shared fixtures: the real saved pages (skipped cleanly where ../shared/samples is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The sandbox these tests crawl replays the legacy pages, so the spiders take their legacy routes
# (crawls in child processes inherit it). Tests of today's routes ask for path=today themselves.
os.environ.setdefault("MARKWATCH_PATH", "legacy")
# ... over plain HTTP: the legacy pages need no browser. The browser path's tests (test_browser_e2e.py,
# the demo) ask for it and for today's routes themselves.
os.environ.setdefault("MARKWATCH_BROWSER", "off")

ROOT = Path(__file__).resolve().parent.parent
#: The real platform pages beside the repository (never copied into it).
SAMPLES = Path(os.environ.get("MARKWATCH_SAMPLES", ROOT.parent / "shared" / "samples"))


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"real samples not found at {SAMPLES}")
    return SAMPLES


def sample_path(rel: str) -> Path:
    """Path of one real sample; skips the test when the samples are not beside the repo."""
    path = SAMPLES / rel
    if not path.is_file():
        pytest.skip(f"real sample {rel} not found under {SAMPLES}")
    return path


# --- databases ---------------------------------------------------------------------------------------
#: PostgreSQL for the scale-path tests; .ci/run sets it for the machine's server.
POSTGRES_URL = os.environ.get("MARKWATCH_TEST_POSTGRES")


def _postgres_schema_url(base: str) -> tuple[str, str]:
    """A URL whose connections use a fresh schema of their own, so parallel runs never collide."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"mw_test_{uuid.uuid4().hex[:10]}"
    url = make_url(base).set(drivername="postgresql+psycopg")
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    scoped = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False), schema


def _drop_postgres_schema(base: str, schema: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """An empty database URL: a temp SQLite file, and PostgreSQL when MARKWATCH_TEST_POSTGRES is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'markwatch.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("MARKWATCH_TEST_POSTGRES is not set")
    url, schema = _postgres_schema_url(POSTGRES_URL)
    try:
        yield url
    finally:
        _drop_postgres_schema(POSTGRES_URL, schema)


@pytest.fixture
def engine(db_url: str):  # type: ignore[no-untyped-def]
    """A migrated engine on each database of :func:`db_url`."""
    from storage.db import ready_engine

    eng = ready_engine(db_url)
    yield eng
    eng.dispose()
