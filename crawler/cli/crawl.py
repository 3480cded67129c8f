"""``markwatch crawl`` and ``markwatch demo``: search the platforms for a brand and store what is found."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

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
    extra_settings: dict[str, Any] | None = None,
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
            extra_settings=extra_settings,
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
@click.option(
    "--account",
    "accounts",
    multiple=True,
    metavar="NAME",
    help="Use this account (repeat for several, in order; default: every logged-in one, then "
    "the pasted cookies). See `markwatch accounts list`.",
)
@click.option(
    "--browser/--http",
    "browser",
    default=None,
    help="--browser: every platform in Chromium; --http: plain HTTP everywhere (default: Taobao, "
    "Tmall and JD in Chromium, Weibo over HTTP; env MARKWATCH_BROWSER).",
)
@click.option(
    "--window/--no-window",
    default=None,
    help="Show the browser (a person can then solve a slider); default: when a display is set.",
)
@click.option(
    "--contexts",
    type=click.IntRange(1, 16),
    default=None,
    help="Accounts of one platform used at once, one browser context each (default 1).",
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
    accounts: tuple[str, ...],
    browser: bool | None,
    window: bool | None,
    contexts: int | None,
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
    extra = browser_settings(accounts, browser, window, contexts)
    started = time.time()
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
        extra_settings=extra,
    )
    print_summary(console, summary)
    print_account_events(console, started, extra.get("MARKWATCH_ACCOUNTS_DIR"))
    sys.exit(0 if summary.ok else 1)


def browser_settings(
    accounts: tuple[str, ...] = (),
    browser: bool | None = None,
    window: bool | None = None,
    contexts: int | None = None,
    accounts_dir: str | None = None,
) -> dict[str, Any]:
    """The crawl command's account and browser options as settings."""
    from markwatch.accounts import check_name

    extra: dict[str, Any] = {}
    if accounts:
        extra["MARKWATCH_ACCOUNTS"] = [check_name(a, allow_pasted=True) for a in accounts]
    if browser is not None:
        extra["MARKWATCH_BROWSER"] = "all" if browser else "off"
    if window is not None:
        extra["MARKWATCH_BROWSER_WINDOW"] = window
    if contexts is not None:
        extra["MARKWATCH_BROWSER_CONTEXTS"] = contexts
    if accounts_dir:
        extra["MARKWATCH_ACCOUNTS_DIR"] = accounts_dir
    return extra


def print_account_events(console: Console, since: float, accounts_dir: str | None = None) -> None:
    """Accounts refused during the crawl: which, what, until when, and what to do."""
    from crawler.cli.login import when
    from markwatch.accounts import AccountStore

    for a in AccountStore(accounts_dir).list():
        if not a.last_refusal or (a.last_refusal_at or 0) < since:
            continue
        rest = f"cooling down until {when(a.cooling_until)}" if a.cooling() else "not cooled"
        todo = (
            f"log it in again: markwatch login {a.platform} --account {a.name}"
            if a.logged_in is False
            else "it is used again after its cool-down; add accounts with `markwatch login` "
            "(or slow down: a larger DOWNLOAD_DELAY)"
        )
        console.print(
            f"[bold]{a.key}[/bold]: refused ({a.last_refusal}) at {when(a.last_refusal_at)}, {rest}; {todo}",
            soft_wrap=True,
            highlight=False,
        )


def register(group: click.Group) -> None:
    group.add_command(crawl)
