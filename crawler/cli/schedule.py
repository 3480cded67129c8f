"""``markwatch schedule``: run each brand's crawls on its cron schedule."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import click

from crawler.cli.common import (
    AppContext,
    CommandError,
    max_pages_option,
    pass_app,
    sandbox_option,
    writable_dir,
)
from crawler.schedule import Scheduler, check_redis, next_fire
from markwatch.brand import brand_files, load_brand, resolve_brand
from storage.models import utcnow


@click.command("schedule")
@click.option(
    "--brand", "brand_refs", multiple=True, help="Only these brands (default: every brand with a schedule)."
)
@click.option("--once", is_flag=True, help="Start the crawls that are due, wait for them, and exit.")
@click.option("--interval", default=30.0, show_default=True, help="Seconds between checks for due crawls.")
@max_pages_option
@sandbox_option
@click.option(
    "--state-dir",
    default=".markwatch",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Where lock files and crawl logs are kept.",
)
@click.option(
    "--redis",
    "redis_url",
    envvar="MARKWATCH_REDIS_URL",
    metavar="URL",
    help="Keep brand locks in Redis (schedulers on several machines; env MARKWATCH_REDIS_URL).",
)
@pass_app
def schedule(
    app: AppContext,
    brand_refs: tuple[str, ...],
    once: bool,
    interval: float,
    max_pages: int,
    sandbox_url: str | None,
    state_dir: Path,
    redis_url: str | None,
) -> None:
    """Run each brand's `schedule` (cron, in the brand's `timezone`): due crawls in subprocesses.

    Never two runs of one brand at once; a run missed while the scheduler was down runs once at
    start-up; every run is recorded in the database (kind `schedule`), including one that died.

    \b
    Example:
        markwatch schedule                 # runs until Ctrl-C
        markwatch schedule --once          # for a system cron or CI
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    brands = [resolve_brand(r) for r in brand_refs] if brand_refs else [load_brand(p) for p in brand_files()]
    brands = [b for b in brands if b.schedule]
    if not brands:
        raise CommandError('no brand has a `schedule`: add one (e.g. schedule: "0 3 * * *") to its YAML')
    if redis_url:
        check_redis(redis_url)
    writable_dir(state_dir, "--state-dir")
    scheduler = Scheduler(app.engine(), app.db_url, brands, state_dir, sandbox_url, max_pages, redis_url)
    now = utcnow()
    for b in brands:
        click.echo(f"{b.slug}: '{b.schedule}' ({b.timezone}); next run {next_fire(b, now)} UTC")
    if once:
        started = scheduler.tick()
        click.echo(
            f"started {len(started)} crawl(s): {', '.join(r.brand.slug for r in started) or 'none due'}"
        )
        failed = 0
        for slug, run_id, code in scheduler.wait():
            click.echo(f"{slug}: run {run_id} finished with exit status {code}")
            failed += code != 0
        if failed:
            raise SystemExit(1)
        return
    try:
        while True:
            scheduler.tick()
            time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("stopping: waiting for running crawls to finish (Ctrl-C again to abandon them)")
        scheduler.wait()


def register(group: click.Group) -> None:
    group.add_command(schedule)
