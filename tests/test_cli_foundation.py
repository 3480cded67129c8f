"""The foundation commands through click's runner: brands, db, ingest, and their one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.cli import cli
from storage.db import make_engine
from storage.models import CrawlRun, Listing, Observation


def run(*args: str, db: str | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    argv = (["--db", db] if db else []) + list(args)
    result = runner.invoke(cli, argv, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_brands_check_and_list() -> None:
    code, out, err = run("brands", "check")
    assert code == 0, err
    assert "veloria" in out and "corvane" in out
    code, out, err = run("brands", "list")
    assert code == 0, err
    assert "Veloria" in out and "lapsed" in out


def test_brands_check_reports_a_bad_file_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("slug: bad\nname: Bad\nmarks: []\nsearch_terms: [bad]\nfoo: 1\n", encoding="utf-8")
    code, _out, err = run("brands", "check", str(bad))
    assert code == 2
    assert "bad.yaml" in err and "invalid" in err
    assert "Traceback" not in err


def test_db_upgrade_then_ingest_is_idempotent(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'm.db'}"
    code, _out, err = run("ingest", "--brand", "veloria", "x.jsonl", db=db)
    assert code == 2 and "run `markwatch db upgrade`" in err
    code, out, err = run("db", "upgrade", db=db)
    assert code == 0, err
    assert "-> 0001" in out or "->" in out
    lines = [
        {
            "platform": "jd",
            "item_id": "1001",
            "url": "https://item.jd.com/1001.html",
            "title": "VELORIA 包",
            "price": 99,
            "seller_id": "9",
            "seller_name": "某店",
        },
        "{broken",
        {
            "platform": "jd",
            "item_id": "1002",
            "url": "https://item.jd.com/1002.html",
            "title": "包",
            "price": "x",
        },
        {
            "platform": "jd",
            "item_id": "1003",
            "url": "https://item.jd.com/1003.html",
            "title": "薇洛瑞亚",
            "price": 2000,
        },
    ]
    path = tmp_path / "in.jsonl"
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n"
    )
    code, out, err = run("ingest", "--brand", "veloria", str(path), db=db)
    assert code == 0, err
    assert "2 new, 0 changed, 0 unchanged, 2 skipped" in out
    assert f"{path}:2: skipped: not JSON" in err
    assert f"{path}:3: skipped: price 'x' is not a number" in err
    code, out, err = run("ingest", "--brand", "veloria", str(path), db=db)
    assert code == 0, err
    assert "0 new, 0 changed, 2 unchanged" in out
    engine = make_engine(db)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Listing)) == 2
        assert s.scalar(select(func.count()).select_from(Observation)) == 2
        runs = s.scalars(select(CrawlRun)).all()
        assert [r.outcome for r in runs] == ["partial", "partial"]


def test_unreachable_database_is_one_line() -> None:
    code, _out, err = run("db", "current", db="postgresql://nobody@127.0.0.1:1/none")
    assert code == 2
    assert err.startswith("markwatch: error: cannot reach the database postgresql://nobody@127.0.0.1:1/none")
    assert err.count("\n") == 1


def test_not_a_database_url() -> None:
    code, _out, err = run("db", "current", db="nonsense")
    assert code == 2 and "is not a database URL" in err


def test_unknown_brand_suggests() -> None:
    code, _out, err = run("ingest", "--brand", "velorio", "x.jsonl")
    assert code == 2 and "did you mean `veloria`" in err
