"""``markwatch accounts``: the commands live beside ``markwatch login`` (:mod:`crawler.cli.login`)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    from crawler.cli.login import accounts_group

    group.add_command(accounts_group)
