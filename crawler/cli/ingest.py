"""``markwatch ingest``: store listings from a JSON-lines file, scored, through the storage service.

The file is streamed (read and stored :data:`BATCH` lines at a time, one transaction per batch), so
its size is bounded by the disk, not by memory. A bad line (not UTF-8, not JSON, a wrong type, an
unknown platform, a price that is not a finite number) is reported with its number and skipped; the
others are stored.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crawler.cli.common import AppContext, CommandError, pass_app
from markwatch.brand import Brand
from markwatch.listing import Listing
from markwatch.scored import Score, ScoredListing
from storage.ingest import RecordError, check_record
from storage.service import StoreContext, finish_run, open_run, store

BATCH = 5000
#: The longest line read (bytes); a longer one is skipped as not a listing.
MAX_LINE = 1 << 20


class LineError(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise LineError(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise LineError(f"{text} is too large a number")
    return value


_decoder = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)


def _lines(handle: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes or None when longer than :data:`MAX_LINE`) for each line, streamed."""
    n = 0
    while True:
        line = handle.readline(MAX_LINE + 1)
        if not line:
            return
        n += 1
        if len(line) > MAX_LINE and not line.endswith(b"\n"):
            while True:  # skip the rest of the long line without holding it
                rest = handle.readline(MAX_LINE)
                if not rest or rest.endswith(b"\n"):
                    break
            yield n, None
            continue
        yield n, line


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, record or None, problem or None) for each non-blank line of ``path``, streamed."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise CommandError(f"{path}: cannot read ({exc.strerror})") from None
    with handle:
        for n, raw in _lines(handle):
            if raw is None:
                yield n, None, f"longer than {MAX_LINE} bytes"
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield n, None, "not UTF-8 text (is this a JSON-lines file?)"
                continue
            if not line.strip():
                continue
            try:
                data = _decoder.decode(line.strip())
            except LineError as exc:
                yield n, None, str(exc)
                continue
            except (json.JSONDecodeError, RecursionError, ValueError) as exc:
                yield n, None, f"not JSON ({getattr(exc, 'msg', None) or 'too deeply nested'})"
                continue
            if not isinstance(data, dict):
                yield n, None, "not a JSON object"
                continue
            yield n, data, None


def scored_listing(record: dict[str, Any]) -> ScoredListing:
    """A checked record as the storage service takes it (keys beyond a Listing's fields go to ``raw``)."""
    rec = dict(record)
    seen_at = rec.pop("seen_at", None)
    for key in ("currency", "kind"):
        if rec.get(key) is None:
            rec.pop(key, None)
    for key in ("image_urls", "images", "image_paths"):
        if rec.get(key) is None:
            rec.pop(key, None)
    if rec.get("raw") is None:
        rec.pop("raw", None)
    return ScoredListing(Listing.from_dict(rec), None, seen_at=seen_at)


@click.command("ingest")
@click.option("--brand", "brand_ref", required=True, help="Brand slug (configs/brands/) or path to its YAML.")
@click.option("--no-score", is_flag=True, help="Store without scoring (no listing becomes a suspect).")
@click.option(
    "--batch",
    "batch_size",
    default=BATCH,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Lines stored per transaction.",
)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@pass_app
def ingest(app: AppContext, brand_ref: str, no_score: bool, batch_size: int, file: Path) -> None:
    """Store and score the listings in FILE (JSON lines) for a brand; a platform + item id is stored once.

    Each line holds platform, item_id, url, title, price, currency, seller_id, seller_name (and
    optionally image_urls, image_paths, sales, location…, and seen_at: when it was seen, ISO 8601,
    default now). Each listing is scored with the brand's matcher, as a crawl does (--no-score: not).
    A changed title, price or seller adds an observation; a line seen before the listing's latest
    sighting or removal is kept as history and changes nothing (a removed listing stays removed).
    Bad lines are reported with their line number and skipped; the file is read as it is stored.

    \b
    Example:
        markwatch ingest --brand veloria listings.jsonl
    """
    brand = app.brand(brand_ref)
    engine = app.engine()
    if not file.is_file():
        raise CommandError(f"{file}: no such file")
    try:
        _ingest(engine, brand, file, no_score=no_score, batch_size=batch_size)
    finally:
        engine.dispose()  # no connection left to the garbage collector


def _ingest(engine: Engine, brand: Brand, file: Path, *, no_score: bool, batch_size: int) -> None:
    matcher = None
    if not no_score:
        from matchers import Matcher

        matcher = Matcher(brand)
    with Session(engine) as session, session.begin():
        brand_id, run_id = open_run(
            session,
            brand,
            kind="ingest",
            origin=str(file),
            settings={"file": str(file), "score": not no_score},
        )
    ctx = StoreContext(brand_id=brand_id, run_id=run_id, revive=False)
    totals: Counter[str] = Counter()
    bad = 0
    batch: list[ScoredListing] = []

    def flush() -> None:
        if not batch:
            return
        if matcher is not None:
            results = matcher.score_many([sl.record() for sl in batch])
            for sl, result in zip(batch, results, strict=True):
                sl.score = Score.from_dict(result.to_dict())
        with Session(engine) as s, s.begin():
            totals.update(store(s, ctx, batch).counts)
        batch.clear()

    try:
        for n, record, problem in read_jsonl(file):
            if record is not None:
                try:
                    batch.append(scored_listing(check_record(record)))
                except RecordError as exc:
                    problem = str(exc)
                else:
                    if len(batch) >= batch_size:
                        flush()
                    continue
            bad += 1
            click.echo(f"{file}:{n}: skipped: {problem}", err=True)
        flush()
    except BaseException:
        with Session(engine) as s, s.begin():
            finish_run(s, run_id, "failed", {**totals, "skipped": bad})
        raise
    stats = {k: totals[k] for k in ("listings", "new", "changed", "unchanged", "older", "new_suspects")}
    with Session(engine) as s, s.begin():
        finish_run(s, run_id, "ok" if not bad else "partial", {**stats, "skipped": bad})
    unchanged = totals["unchanged"]
    click.echo(
        f"{file}: {totals['new']} new, {totals['changed']} changed, {unchanged} unchanged, {bad} skipped"
        + (f", {totals['older']} older than stored (kept as history)" if totals["older"] else "")
        + ("" if no_score else f"; {totals['new_suspects']} new suspect(s)")
    )


def register(group: click.Group) -> None:
    group.add_command(ingest)
