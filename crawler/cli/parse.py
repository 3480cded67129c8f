"""``markwatch parse PLATFORM FILE``: the listings a saved page or API response yields, as JSON lines."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from markwatch.errors import UserError
from markwatch.platforms import PLATFORMS

PLATFORM_CHOICES = PLATFORMS
#: Every kind some platform's package reads (spiders.registry.kinds(); checked by a test).
KIND_CHOICES = ("search", "mtop", "item", "api", "mobile", "ajax", "accounts")


@click.command("parse")
@click.argument("platform", type=click.Choice(PLATFORM_CHOICES))
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--url", default=None, help="The URL the page was fetched from (helps tell its kind and page).")
@click.option(
    "--kind",
    type=click.Choice(KIND_CHOICES),
    default=None,
    help="Response kind (default: guessed from --url and the content).",
)
@click.option("--raw/--no-raw", default=False, help="Include each listing's raw platform record.")
def parse_command(platform: str, file: Path, url: str | None, kind: str | None, raw: bool) -> None:
    """Print the listings a saved page or API response yields, one JSON object per line.

    The page's outcome (ok, empty, refused:<mode>, layout-changed) goes to stderr; the exit status is
    0 when listings were found or the page is the platform's own "no results" page, 1 otherwise.
    Use it to check a page a platform changed.

    \b
    Example:
        markwatch parse taobao saved/search.html
        markwatch parse jd page.html --url 'https://search.jd.com/Search?keyword=veloria&page=3'
    """
    from spiders.refusals import advice
    from spiders.registry import parse_any

    try:
        body = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{file}: no such file") from None
    except OSError as exc:
        raise UserError(f"{file}: cannot read ({exc.strerror})") from None
    try:
        page = parse_any(platform, body, url=url, kind=kind)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    for listing in page.listings:
        record = listing.to_dict()
        for empty in ("images", "image_paths"):
            if not record[empty]:
                record.pop(empty)
        if not raw:
            record.pop("raw")
        click.echo(json.dumps(record, ensure_ascii=False))
    summary = f"{platform}: {page.outcome}, {len(page.listings)} listing(s)"
    if page.total_pages is not None:
        summary += f", {page.total_pages} page(s) stated"
    if page.detail:
        summary += f" — {page.detail}"
    click.echo(summary, err=True)
    if page.refusal:
        click.echo(f"what to do: {advice(platform, page.refusal)}", err=True)
    if page.outcome not in ("ok", "empty"):
        raise SystemExit(1)


def register(group: click.Group) -> None:
    group.add_command(parse_command)
