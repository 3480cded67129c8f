"""Issue 11 finding 14: bad paths and URLs are one line (exit 2) before any work starts, never a
traceback, and nothing is written where it should not be."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from crawler.cli import cli


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    res = CliRunner().invoke(cli, ["--db", url, "db", "upgrade"])
    assert res.exit_code == 0, res.output
    return url


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    """A regular file: any path under it cannot be made, even by root (read-only places are not, for root)."""
    path = tmp_path / "a-file"
    path.write_text("x")
    return path


def one_line_error(res: Result, *needles: str) -> None:
    assert res.exit_code == 2, res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("markwatch: error:")]
    assert len(errors) == 1, res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    for needle in needles:
        assert needle in errors[0], errors[0]


def test_crawl_with_a_sandbox_that_is_not_a_url(db: str) -> None:
    res = CliRunner().invoke(cli, ["--db", db, "crawl", "veloria", "--sandbox", "not a url"])
    one_line_error(res, "--sandbox 'not a url' is not a URL")


def test_crawl_photos_dir_that_cannot_be_written(db: str, a_file: Path) -> None:
    res = CliRunner().invoke(
        cli,
        [
            "--db",
            db,
            "crawl",
            "veloria",
            "--photos-dir",
            str(a_file / "photos"),
            "--sandbox",
            "http://127.0.0.1:9",
        ],
    )
    one_line_error(res, "--photos-dir", "cannot write there")


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_suspects_output_full_or_unwritable(db: str, a_file: Path, fmt: str) -> None:
    full = CliRunner().invoke(cli, ["--db", db, "suspects", "--format", fmt, "--output", "/dev/full"])
    one_line_error(full, "--output /dev/full", "No space left on device")
    bad = CliRunner().invoke(cli, ["--db", db, "suspects", "--format", fmt, "--output", str(a_file / "x")])
    one_line_error(bad, "--output", "Not a directory")


def test_match_output_on_a_full_disk(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"platform":"taobao","item_id":"1","url":"https://item.taobao.com/item.htm?id=1","title":"VELORIA"}\n'
    )
    res = CliRunner().invoke(
        cli, ["match", "--brand", "veloria", "--input", str(src), "--output", "/dev/full"]
    )
    one_line_error(res, "/dev/full", "No space left on device")


def test_takedown_out_that_cannot_be_written(db: str, a_file: Path) -> None:
    res = CliRunner().invoke(
        cli,
        [
            "--db",
            db,
            "takedown",
            "export",
            "--platform",
            "taobao",
            "--brand",
            "veloria",
            "--out",
            str(a_file / "p"),
        ],
    )
    one_line_error(res, "--out", "cannot write there")


def test_takedown_leaves_no_empty_folder_when_nothing_is_exported(db: str, tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    res = CliRunner().invoke(
        cli,
        ["--db", db, "takedown", "export", "--platform", "taobao", "--brand", "veloria", "--out", str(out)],
    )
    one_line_error(res, "nothing confirmed")
    assert not out.exists()


@pytest.mark.parametrize("url", ["redis://127.0.0.1:{port}/0", "not-a-redis-url"])
def test_schedule_with_redis_that_does_not_answer(db: str, tmp_path: Path, url: str) -> None:
    res = CliRunner().invoke(
        cli,
        [
            "--db",
            db,
            "schedule",
            "--once",
            "--state-dir",
            str(tmp_path / "state"),
            "--redis",
            url.format(port=_closed_port()),
        ],
    )
    one_line_error(res, "--redis")


@pytest.mark.parametrize("since", ["99999999999d", "last tuesday"])
def test_a_since_that_is_no_date_is_one_line(db: str, since: str) -> None:
    res = CliRunner().invoke(cli, ["--db", db, "suspects", "--since", since])
    one_line_error(res, "--since", "is not a date")
