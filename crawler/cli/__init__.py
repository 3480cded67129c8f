"""The ``markwatch`` command: one click group, one small module per room of commands.

Every command shares the global ``--db`` option (or ``MARKWATCH_DB``). A :class:`~markwatch.errors.UserError`
raised anywhere below becomes one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from crawler.cli.common import AppContext, MarkwatchGroup

#: Each command and the module under ``crawler.cli`` whose ``register(group)`` adds it. Modules are
#: imported only when their command runs, so ``markwatch sandbox`` does not pay for Scrapy's import.
COMMANDS = {
    "brands": "brands",
    "db": "db",
    "ingest": "ingest",
    "match": "match",
    "sandbox": "sandbox",
    "crawl": "crawl",
    "schedule": "schedule",
    "demo": "demo",
    "parse": "parse",
    "suspects": "review",
    "review": "review",
    "sellers": "review",
    "evidence": "evidence",
    "takedown": "takedown",
    "testbuy": "testbuy",
    "login": "login",
    "accounts": "accounts",
    "serve": "serve",
    "users": "serve",
}


@click.group(
    cls=MarkwatchGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--db",
    "db_url",
    envvar="MARKWATCH_DB",
    default=None,
    metavar="URL",
    help="Database URL (default: sqlite:///markwatch.db in the working directory; env MARKWATCH_DB).",
)
@click.version_option(package_name="markwatch")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None) -> None:
    """markwatch: find, score, review and take down infringing listings on Taobao, Tmall, JD and Weibo.

    \b
    Example:
        markwatch brands list
        markwatch db upgrade
        markwatch crawl veloria --sandbox http://127.0.0.1:8710
    """
    ctx.obj = AppContext(db_url=db_url)
    ctx.call_on_close(ctx.obj.close)


def main(argv: list[str] | None = None) -> Any:
    return cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="markwatch")
