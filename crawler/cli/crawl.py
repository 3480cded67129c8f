"""``markwatch crawl`` and ``markwatch demo``: search the platforms for a brand and store what is found."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from crawler.cli.common import AppContext, max_pages_option, pass_app, sandbox_option, term, writable_dir
from crawler.runner import CrawlSummary, run_crawl
from markwatch.listing import PageReport
from markwatch.platforms import PLATFORMS

ADVICE_STYLE = {"ok": "green", "empty": "cyan", "partial": "yellow", "interrupted": "yellow"}


def print_summary(console: Console, summary: CrawlSummary) -> None:
    table = Table(
        title=f"Crawl run {summary.run_id}",
        show_lines=False,
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("platform", no_wrap=True, min_width=6)
    for col in ("pages", "listings", "new", "changed", "new suspects", "errors"):
        table.add_column(col, justify="right", min_width=max(len(word) for word in col.split()))
    # the outcome is what the user acts on: never cut it short on a narrow terminal
    table.add_column("outcome", justify="left", min_width=len("interrupted"), overflow="fold")
    for p in summary.platforms:
        style = ADVICE_STYLE.get(p.outcome, "red")
        table.add_row(
            p.platform,
            str(p.pages),
            str(p.listings),
            str(p.new_listings),
            str(p.changed_listings),
            str(p.new_suspects),
            str(p.errors),
            f"[{style}]{p.outcome}[/{style}]",
        )
    console.print(table)
    for p in summary.platforms:
        if p.detail and p.outcome != "ok":
            console.print(Text.assemble((p.platform, "bold"), ": ", term(p.detail)), soft_wrap=True)


def crawl_with_progress(
    app: AppContext,
    brand_ref: str,
    platforms: tuple[str, ...],
    max_pages: int,
    sandbox_url: str | None,
    photos_dir: Path,
    console: Console,
    show_progress: bool = True,
    run_id: int | None = None,
) -> CrawlSummary:
    brand = app.brand(brand_ref)
    app.engine()  # one-line errors for an unreachable or old database, before Scrapy starts
    writable_dir(photos_dir, "--photos-dir")
    chosen = list(platforms) or [str(p) for p in brand.platforms]
    progress = Progress(
        TextColumn("{task.fields[platform]:<7}"),
        BarColumn(bar_width=None),
        TextColumn("{task.fields[pages]} pages · {task.fields[items]} listings · {task.fields[last]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not show_progress,
    )
    tasks = {
        p: progress.add_task(p, total=None, platform=p, pages=0, items=0, last="starting") for p in chosen
    }
    counts = {p: {"pages": 0, "items": 0} for p in chosen}

    def on_page(report: PageReport) -> None:
        c = counts.get(report.platform)
        if c is None:
            return
        c["pages"] += 1
        progress.update(tasks[report.platform], pages=c["pages"], last=report.outcome)

    def on_item(platform: str) -> None:
        c = counts.get(platform)
        if c is None:
            return
        c["items"] += 1
        progress.update(tasks[platform], items=c["items"])

    with progress:
        summary = run_crawl(
            brand,
            chosen,
            db_url=app.db_url,
            max_pages=max_pages,
            sandbox_url=sandbox_url,
            photos_dir=str(photos_dir),
            on_page=on_page,
            on_item=on_item,
            run_id=run_id,
        )
        for p in chosen:
            progress.update(tasks[p], total=1, completed=1, last="done")
    return summary


@click.command("crawl")
@click.argument("brand_ref", metavar="BRAND")
@click.option(
    "--platform",
    "platforms",
    multiple=True,
    type=click.Choice(PLATFORMS),
    help="Platform to crawl (repeat for several; default: the brand's platforms).",
)
@max_pages_option
@sandbox_option
@click.option(
    "--photos-dir",
    default="markwatch-photos",
    show_default=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Where listing photos are stored.",
)
@click.option("--no-progress", is_flag=True, help="No live progress display.")
@click.option("--run-id", type=int, hidden=True, help="Record under this crawl-run row (the scheduler's).")
@pass_app
def crawl(
    app: AppContext,
    brand_ref: str,
    platforms: tuple[str, ...],
    max_pages: int,
    sandbox_url: str | None,
    photos_dir: Path,
    no_progress: bool,
    run_id: int | None,
) -> None:
    """Search the platforms for BRAND's terms, score every hit and store it.

    Exit status 0 when every platform was crawled, 1 when one refused (login wall, captcha,
    throttling), changed its layout or failed: the summary says which and what to do.

    \b
    Example:
        markwatch crawl veloria --platform taobao --platform jd --max-pages 5
        markwatch crawl veloria --sandbox http://127.0.0.1:8710
    """
    console = Console()
    summary = crawl_with_progress(
        app,
        brand_ref,
        platforms,
        max_pages,
        sandbox_url,
        photos_dir,
        console,
        show_progress=not no_progress,
        run_id=run_id,
    )
    print_summary(console, summary)
    sys.exit(0 if summary.ok else 1)


def register(group: click.Group) -> None:
    group.add_command(crawl)
