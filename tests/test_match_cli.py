"""``markwatch match`` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from crawler.cli import cli


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_match_writes_scores(tmp_path: Path) -> None:
    src = _write(
        tmp_path / "in.jsonl",
        [
            json.dumps(
                {
                    "platform": "taobao",
                    "item_id": "1",
                    "title": "VEL0RIA 高仿 女包",
                    "price": 199,
                    "seller_id": "s1",
                    "seller_name": "小店",
                },
                ensure_ascii=False,
            ),
            json.dumps(
                {
                    "platform": "tmall",
                    "item_id": "2",
                    "title": "VELORIA 女包",
                    "price": 4200,
                    "seller_id": "2200011",
                    "seller_name": "veloria官方旗舰店",
                },
                ensure_ascii=False,
            ),
        ],
    )
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        cli, ["match", "--brand", "veloria", "--input", str(src), "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["item_id"] for r in rows] == ["1", "2"]
    assert rows[0]["suspect"] is True and rows[0]["mark_id"] == "veloria-word"
    assert rows[1]["suspect"] is False
    assert all({"score", "reasons", "engine_version"} <= set(r) for r in rows)
    assert "2 listing(s) scored" in result.stderr


def test_malformed_lines_are_skipped_with_line_numbers(tmp_path: Path) -> None:
    good = json.dumps({"platform": "taobao", "item_id": "9", "title": "VELORIA", "price": 99})
    src = _write(tmp_path / "in.jsonl", [good, "{not json", "", "[1, 2]", good])
    result = CliRunner().invoke(cli, ["match", "--brand", "veloria", "--input", str(src)])
    assert result.exit_code == 0, result.output
    assert f"{src}:2: skipped" in result.stderr
    assert f"{src}:4: skipped" in result.stderr
    assert len([line for line in result.stdout.splitlines() if line.startswith("{")]) == 2


def test_missing_image_is_a_reason_not_a_crash(tmp_path: Path) -> None:
    src = _write(
        tmp_path / "in.jsonl",
        [
            json.dumps(
                {
                    "platform": "jd",
                    "item_id": "3",
                    "title": "女包",
                    "image_paths": [str(tmp_path / "nope.jpg")],
                }
            )
        ],
    )
    result = CliRunner().invoke(cli, ["match", "--brand", "corvane", "--input", str(src)])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout.splitlines()[0])
    assert any(r["detail"].startswith("image unreadable") for r in row["reasons"])


def test_brand_by_path_and_suspects_only(tmp_path: Path) -> None:
    from markwatch.brand import BRANDS_DIR

    src = _write(
        tmp_path / "in.jsonl",
        [
            json.dumps({"title": "CORVANE 高仿", "price": 500}),
            json.dumps({"title": "卡西欧 手表", "price": 300}),
        ],
    )
    result = CliRunner().invoke(
        cli, ["match", "--brand", str(BRANDS_DIR / "corvane.yaml"), "--input", str(src), "--suspects-only"]
    )
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 1


def test_unknown_brand_and_missing_input_are_one_line_errors(tmp_path: Path) -> None:
    src = _write(tmp_path / "in.jsonl", ["{}"])
    r1 = CliRunner().invoke(cli, ["match", "--brand", "nosuch", "--input", str(src)])
    assert r1.exit_code == 2 and "no brand `nosuch`" in r1.output
    r2 = CliRunner().invoke(cli, ["match", "--brand", "veloria", "--input", str(tmp_path / "none.jsonl")])
    assert r2.exit_code == 2 and "cannot read the listings file" in r2.output
    assert "Traceback" not in r1.output + r2.output


def test_relative_image_paths_follow_the_input_file(tmp_path: Path) -> None:
    from tests.matching.photos import make_photo

    folder = tmp_path / "batch"
    photo = make_photo("official:veloria/official/bag-1.jpg|resize:500", folder / "img")
    src = _write(
        folder / "in.jsonl",
        [
            json.dumps(
                {
                    "platform": "taobao",
                    "item_id": "7",
                    "title": "女包",
                    "price": 300,
                    "image_paths": [f"img/{photo.name}"],
                }
            )
        ],
    )
    result = CliRunner().invoke(cli, ["match", "--brand", "veloria", "--input", str(src)])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout.splitlines()[0])
    assert row["suspect"] is True
    assert any("bag-1.jpg" in r["detail"] for r in row["reasons"])
