"""``markwatch demo`` (the README's first command): the whole job on the embedded default.

Starts the sandbox in this process (today's platforms: login-gated pages whose own scripts sign their
API calls), migrates the database (SQLite by default), logs one sandbox account in per platform (in
headless Chromium, the QR code "scanned" through the sandbox's test hook), crawls the example brand on
all four platforms through the browser path, prints the top suspects with their reasons and the next
commands to try. No network; the demo's accounts live in a temporary folder and are deleted after.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from crawler.cli.common import AppContext, pass_app, term, term_lines
from crawler.cli.crawl import crawl_with_progress, print_summary
from storage.db import safe_url, upgrade
from storage.queries import QueueFilter, brand_id_for, queue, reason_text


@click.command("demo")
@click.option("--brand", "brand_ref", default="veloria", show_default=True, help="Brand to crawl.")
@click.option(
    "--max-pages", default=2, show_default=True, type=click.IntRange(1, 100), help="Pages per term."
)
@click.option("--seed", default=1, show_default=True, help="Sandbox catalogue seed.")
@click.option("--size", default=600, show_default=True, help="Sandbox catalogue size (listings).")
@click.option("--top", default=10, show_default=True, help="How many suspects to show.")
@pass_app
def demo(app: AppContext, brand_ref: str, max_pages: int, seed: int, size: int, top: int) -> None:
    """Crawl the example brand in the local sandbox into the database and show the top suspects.

    \b
    Example:
        markwatch demo
        markwatch --db sqlite:///demo.db demo --max-pages 3
    """
    from sandbox import serve

    console = Console()
    engine = app.engine(check_schema=False)
    upgrade(engine)
    where = safe_url(engine.url.render_as_string(hide_password=False))
    console.print(f"[bold]database[/bold] {where} (migrated)")
    with serve(seed=seed, size=size) as sb, tempfile.TemporaryDirectory(prefix="markwatch-demo-") as tmp:
        console.print(
            f"[bold]sandbox[/bold] {sb.url}: a local replay of Taobao, Tmall, JD and Weibo (seed {seed})"
        )
        extra = demo_logins(console, sb.url, Path(tmp) / "accounts")
        summary = crawl_with_progress(
            app,
            brand_ref,
            (),
            max_pages,
            sb.url,
            Path("markwatch-photos"),
            console,
            show_progress=True,
            extra_settings=extra,
        )
    print_summary(console, summary)
    brand = app.brand(brand_ref)
    with Session(engine) as s:
        brand_id = brand_id_for(s, brand.slug)
        rows = queue(s, QueueFilter(brand_id=brand_id, limit=top))
    table = Table(title=f"Top {len(rows)} suspects for {brand.name}", show_lines=True, expand=True)
    table.add_column("id", justify="right")
    table.add_column("listing", ratio=2, overflow="fold")
    table.add_column("score", justify="right")
    table.add_column("why (strongest reasons first)", ratio=3, overflow="fold")
    for r in rows:
        price = f" · {r.price:.0f} {r.currency or ''}" if r.price is not None else ""
        listing = Text.assemble(
            (r.platform, "bold"), " ", term(r.title), "\n", term(r.seller_name or r.seller_id or ""), price
        )
        why = term_lines([_short(reason_text(x)) for x in r.reasons[:3]])
        table.add_row(str(r.id), listing, f"{r.score or 0:.2f}", why)
    console.print(table)
    db = "" if app.db_url is None else f" --db {app.db_url}"
    console.print("\n[bold]Next[/bold] (in .venv/bin/):", soft_wrap=True)
    for line in (
        f"markwatch{db} suspects --brand {brand.slug}",
        f"markwatch{db} review ID --confirm --note 'why'",
        f"markwatch{db} sellers --brand {brand.slug}",
        "markwatch sandbox --port 8710 &",
        f"markwatch{db} evidence capture --brand {brand.slug} --sandbox http://127.0.0.1:8710",
        f"markwatch{db} takedown export --platform taobao --brand {brand.slug} --out packages",
    ):
        console.print(f"  {line}", soft_wrap=True, highlight=False)
    sys.exit(0 if summary.ok else 1)


def demo_logins(console: Console, sandbox_url: str, root: Path) -> dict[str, Any]:
    """Log one sandbox account in per platform (QR hook); the crawl settings that use them."""
    from crawler.login import sandbox_login
    from markwatch.accounts import AccountStore
    from markwatch.platforms import PLATFORMS

    store = AccountStore(root)
    for platform in PLATFORMS:
        done = sandbox_login(store, sandbox_url, platform, "demo")
        console.print(
            f"[bold]login[/bold] {done.account.key}: QR code scanned through the sandbox's hook, "
            f"logged in after {done.seconds:.1f} s (markwatch login {platform} does this with your phone)"
        )
    return {
        "MARKWATCH_ACCOUNTS_DIR": str(root),
        "MARKWATCH_BROWSER": "all",
        "MARKWATCH_PATH": "today",
        "MARKWATCH_BROWSER_WINDOW": False,
    }


def _short(text: str, limit: int = 140) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def register(group: click.Group) -> None:
    group.add_command(demo)
