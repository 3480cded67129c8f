"""``markwatch sandbox``: serve the local replay of Taobao, Tmall, JD and Weibo (issue 4).

The command itself lives in :mod:`sandbox.cli` so that ``python -m sandbox`` can start the server
without importing the other commands (Scrapy, SQLAlchemy…).
"""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    from sandbox.cli import sandbox_command

    group.add_command(sandbox_command)
