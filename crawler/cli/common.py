"""What every command shares: the context object, the error shape, and brand/database helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from crawler.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from crawler.brand import Brand


class CommandError(click.ClickException):
    """One line on stderr, exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"markwatch: error: {self.format_message()}", err=True)


class MarkwatchGroup(click.Group):
    """A group that turns :class:`UserError` from any command into :class:`CommandError`."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            raise CommandError(str(exc)) from None


@dataclass
class AppContext:
    db_url: str | None = None
    _engine: Engine | None = field(default=None, repr=False)

    def engine(self, *, check_schema: bool = True) -> Engine:
        """The database engine; by default refuses a database older than the code."""
        from storage.db import check_current, make_engine

        if self._engine is None:
            self._engine = make_engine(self.db_url)
        if check_schema:
            check_current(self._engine)
        return self._engine

    def brand(self, ref: str) -> Brand:
        from crawler.brand import resolve_brand

        return resolve_brand(ref)


pass_app = click.make_pass_decorator(AppContext)
