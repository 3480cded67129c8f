"""What every command shares: the context object, the error shape, and brand/database helpers."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from markwatch.errors import NextStep, UserError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from markwatch.brand import Brand


class CommandError(click.ClickException):
    """One line on stderr, exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"markwatch: error: {self.format_message()}", err=True)


class MarkwatchGroup(click.Group):
    """A group that loads each command's module on first use and turns :class:`UserError` from any
    command into :class:`CommandError`."""

    def __init__(self, *args: Any, lazy_commands: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            module = importlib.import_module(f"crawler.cli.{self.lazy_commands[cmd_name]}")
            staging = click.Group()
            module.register(staging)
            for name, command in staging.commands.items():
                _accept_db_option(command)
                self.commands.setdefault(name, command)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            raise CommandError(cli_message(exc)) from None


def _set_db(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    app = ctx.find_object(AppContext)
    if app is not None:
        app.db_url = value
        app._engine = None


def _accept_db_option(command: click.Command) -> None:
    """Let ``--db URL`` follow the subcommand too (``markwatch suspects --db URL``): people type it there."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _accept_db_option(sub)
        return
    if any("--db" in getattr(p, "opts", ()) for p in command.params):
        return
    command.params.append(
        click.Option(
            ["--db"],
            metavar="URL",
            expose_value=False,
            callback=_set_db,
            help="Database URL (the same as `markwatch --db URL …`).",
        )
    )


#: How the CLI says each :class:`NextStep`.
CLI_STEPS = {
    NextStep.upgrade_db: "run `markwatch db upgrade`",
    NextStep.list_cases: "see `markwatch takedown list`",
    NextStep.list_listings: "see `markwatch suspects` for the ids",
    NextStep.confirm_suspects: "confirm suspects first (markwatch review ID --confirm)",
    NextStep.capture_evidence: "capture it again (markwatch evidence capture --status confirmed)",
}


def cli_message(exc: UserError) -> str:
    """A library error in the CLI's words: the parameter as its option, the next step as a command."""
    text = str(exc)
    param = getattr(exc, "param", None)
    if param:
        text = f"--{param.replace('_', '-')}: {text}"
    step = getattr(exc, "next_step", None)
    if step is not None:
        text = f"{text}: {CLI_STEPS[step]}"
    return text


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

    def close(self) -> None:
        """Close the database connections (run when the command ends)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def brand(self, ref: str) -> Brand:
        from markwatch.brand import resolve_brand

        return resolve_brand(ref)


pass_app = click.make_pass_decorator(AppContext)


def term(value: object) -> Any:
    """A listing field for a Rich table or line: plain text (``[/]`` and ``[link=…]`` stay literal),
    without control, escape or bidi characters. Returns a :class:`rich.text.Text`."""
    from rich.text import Text

    from markwatch.safety import display_text

    return Text(display_text(value))


def term_lines(values: list[str]) -> Any:
    """Several hostile strings as one multi-line Rich cell (each line as :func:`term` makes it)."""
    from rich.text import Text

    from markwatch.safety import display_text

    return Text("\n").join(Text(display_text(v)) for v in values)


#: ``--max-pages`` of the commands that crawl.
max_pages_option = click.option(
    "--max-pages", default=3, show_default=True, type=click.IntRange(1, 100), help="Result pages per term."
)


def _check_sandbox_url(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(
            f"--sandbox {value!r} is not a URL: give the sandbox's address, e.g. http://127.0.0.1:8710 "
            "(markwatch sandbox prints it)"
        )
    return value.rstrip("/")


#: ``--sandbox URL`` of the commands that crawl.
sandbox_option = click.option(
    "--sandbox",
    "sandbox_url",
    envvar="MARKWATCH_SANDBOX_URL",
    metavar="URL",
    callback=_check_sandbox_url,
    help="Crawl the local sandbox at URL instead of the real platforms (env MARKWATCH_SANDBOX_URL).",
)


def writable_dir(path: Path, option: str) -> Path:
    """``path`` as a folder markwatch can write to (made if missing), checked before any work starts.

    Raises :class:`UserError` naming the option when it cannot be made or written (read-only, full,
    a file in the way), so a crawl or export never fails half-way for it.
    """
    import tempfile

    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".markwatch-write-check-") as probe:
            probe.write(b"markwatch")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        raise UserError(
            f"{option} {path}: cannot write there ({exc.strerror or exc}): choose a folder you can "
            "write to, with free space"
        ) from None
    return path


def write_output(path: Path, data: str | bytes, option: str = "--output", encoding: str = "utf-8") -> None:
    """Write a command's output file; a read-only, full or missing place is one line naming the option."""
    try:
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding=encoding)
    except OSError as exc:
        raise UserError(
            f"{option} {path}: cannot write it ({exc.strerror or exc}): choose a file in a folder you can "
            "write to, with free space"
        ) from None
