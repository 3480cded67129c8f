"""``markwatch ingest``: store listings from a JSON-lines file, idempotently."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from crawler.cli.common import AppContext, CommandError, pass_app
from storage.ingest import RecordError, check_record, ingest_batch, sync_brand
from storage.models import CrawlRun, utcnow

BATCH = 5000


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, record or None, problem or None) for each non-blank line of ``path``."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{path}: cannot read ({exc.strerror})") from None
    with handle:
        for n, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, None, f"not JSON ({exc.msg})"
                continue
            if not isinstance(data, dict):
                yield n, None, "not a JSON object"
                continue
            yield n, data, None


@click.command("ingest")
@click.option("--brand", "brand_ref", required=True, help="Brand slug (configs/brands/) or path to its YAML.")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@pass_app
def ingest(app: AppContext, brand_ref: str, file: Path) -> None:
    """Store the listings in FILE (JSON lines) for a brand; a platform + item id is stored once.

    Each line holds platform, item_id, url, title, price, currency, seller_id, seller_name (and
    optionally image_urls, sales, location…). A changed title, price or seller adds an observation.
    Bad lines are reported with their line number and skipped.

    \b
    Example:
        markwatch ingest --brand veloria listings.jsonl
    """
    brand = app.brand(brand_ref)
    engine = app.engine()
    good: list[dict[str, Any]] = []
    bad = 0
    for n, record, problem in read_jsonl(file):
        if record is not None:
            try:
                good.append(check_record(record))
                continue
            except RecordError as exc:
                problem = str(exc)
        bad += 1
        click.echo(f"{file}:{n}: skipped: {problem}", err=True)
    with Session(engine) as session, session.begin():
        brand_id = sync_brand(session, brand)
        run = CrawlRun(brand_id=brand_id, kind="ingest", origin=str(file), settings={"file": str(file)})
        session.add(run)
        session.flush()
        totals = {"received": 0, "new": 0, "changed": 0, "unchanged": 0}
        for i in range(0, len(good), BATCH):
            result = ingest_batch(session, brand_id, good[i : i + BATCH], run_id=run.id)
            for key in totals:
                totals[key] += getattr(result, key)
        run.finished_at = utcnow()
        run.outcome = "ok" if not bad else "partial"
        run.stats = {**totals, "skipped": bad}
    click.echo(
        f"{file}: {totals['new']} new, {totals['changed']} changed, "
        f"{totals['unchanged']} unchanged, {bad} skipped"
    )


def register(group: click.Group) -> None:
    group.add_command(ingest)
