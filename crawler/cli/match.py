"""``markwatch match``: score listings from a JSON-lines file against one brand."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any, TextIO

import click

from markwatch.errors import UserError


@click.command("match")
@click.option(
    "--brand",
    "brand_ref",
    required=True,
    metavar="PATH_OR_SLUG",
    help="The brand: a slug from configs/brands/ (veloria) or a path to its YAML file.",
)
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Listings, one JSON object per line (platform, item_id, title, price, currency, seller_id…).",
)
@click.option(
    "--output",
    "output_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Where to write the scored listings (JSON lines; default: stdout).",
)
@click.option(
    "--suspects-only", is_flag=True, default=False, help="Write only the listings that are suspects."
)
def match_command(brand_ref: str, input_path: Path, output_path: Path | None, suspects_only: bool) -> None:
    """Score each listing against the brand's marks, photos, prices and sellers.

    Each listing is written back with `score` (0–1), `suspect`, `mark_id` and `reasons`. A line that
    is not a JSON object is reported on stderr with its line number and skipped; image paths that
    cannot be read become a reason ("image unreadable"), not an error.

    \b
    Example:
        markwatch match --brand veloria --input listings.jsonl --output scored.jsonl
    """
    from markwatch.brand import resolve_brand
    from matchers import Matcher

    brand = resolve_brand(brand_ref)
    try:
        source = input_path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UserError(f"{input_path}: cannot read the listings file ({exc.strerror or exc})") from None
    matcher = Matcher(brand)
    out: TextIO
    if output_path is None:
        out = sys.stdout
    else:
        try:
            out = output_path.open("w", encoding="utf-8")
        except OSError as exc:
            source.close()
            raise UserError(f"{output_path}: cannot write the output ({exc.strerror or exc})") from None
    counts = {"read": 0, "skipped": 0, "suspects": 0}
    try:
        batch: list[dict[str, Any]] = []
        for lineno, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                click.echo(f"{input_path}:{lineno}: skipped: not valid JSON ({exc.msg})", err=True)
                counts["skipped"] += 1
                continue
            if not isinstance(record, dict):
                click.echo(f"{input_path}:{lineno}: skipped: a listing must be a JSON object", err=True)
                counts["skipped"] += 1
                continue
            counts["read"] += 1
            batch.append(_resolve_paths(record, input_path.parent))
            if len(batch) >= 1000:
                counts["suspects"] += _flush(matcher, batch, out, suspects_only)
                batch = []
        counts["suspects"] += _flush(matcher, batch, out, suspects_only)
        if out is not sys.stdout:
            out.close()  # a full disk shows here, at the latest
    except OSError as exc:
        raise UserError(
            f"{output_path or 'standard output'}: cannot write the output ({exc.strerror or exc}) after "
            f"{counts['read']} listing(s): free some space or choose another --output"
        ) from None
    finally:
        source.close()
        if out is not sys.stdout and not out.closed:
            with contextlib.suppress(OSError):  # already reported above
                out.close()
    click.echo(
        f"{counts['read']} listing(s) scored for {brand.name}, {counts['suspects']} suspect(s), "
        f"{counts['skipped']} line(s) skipped",
        err=True,
    )


def _flush(matcher: Any, batch: list[dict[str, Any]], out: TextIO, suspects_only: bool) -> int:
    suspects = 0
    for record, result in zip(batch, matcher.score_many(batch), strict=True):
        data = result.to_dict()
        suspects += bool(result.suspect)
        if suspects_only and not result.suspect:
            continue
        record.update(data)
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return suspects


def _resolve_paths(record: dict[str, Any], base: Path) -> dict[str, Any]:
    """Relative ``image_paths`` that do not exist from here are taken relative to the input file."""
    paths = record.get("image_paths")
    if isinstance(paths, str):
        paths = [paths]
    if isinstance(paths, list):
        fixed = []
        for p in paths:
            p = str(p)
            if not Path(p).is_absolute() and not Path(p).exists() and (base / p).exists():
                p = str(base / p)
            fixed.append(p)
        record["image_paths"] = fixed
    return record


def register(group: click.Group) -> None:
    group.add_command(match_command)
