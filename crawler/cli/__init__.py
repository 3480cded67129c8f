"""The ``markwatch`` command: one click group, one small module per room of commands.

Every command shares the global ``--db`` option (or ``MARKWATCH_DB``). A :class:`~crawler.errors.UserError`
raised anywhere below becomes one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from crawler.cli.common import AppContext, MarkwatchGroup

#: Modules under ``crawler.cli`` that each add their commands to the group (``register(group)``).
COMMAND_MODULES = (
    "brands",
    "db",
    "ingest",
    "match",
    "sandbox",
    "crawl",
    "schedule",
    "demo",
    "parse",
    "review",
    "evidence",
    "takedown",
)


@click.group(cls=MarkwatchGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(f"crawler.cli.{_name}")
    except ModuleNotFoundError as exc:  # a room whose commands have not landed yet
        if exc.name != f"crawler.cli.{_name}":
            raise
        continue
    _module.register(cli)


def main(argv: list[str] | None = None) -> Any:
    return cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="markwatch")
