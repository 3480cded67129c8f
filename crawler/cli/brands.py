"""``markwatch brands check|list``: validate brand files and show each brand's dossier warnings."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from crawler.cli.common import CommandError
from markwatch.brand import brand_files, load_brand
from markwatch.errors import UserError


@click.group("brands")
def brands() -> None:
    """Brand files in configs/brands/: validate them and see what weakens a takedown."""


@brands.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def check(paths: tuple[Path, ...]) -> None:
    """Validate brand YAML files (default: every file in configs/brands/).

    \b
    Example:
        markwatch brands check configs/brands/veloria.yaml
    """
    files = list(paths) or brand_files()
    if not files:
        raise CommandError(
            "no brand files found in configs/brands/: add one (see configs/brands/veloria.yaml)"
        )
    failed: list[str] = []
    for path in files:
        try:
            brand = load_brand(path)
        except UserError as exc:
            failed.append(str(exc))
            click.echo(f"FAIL {exc}", err=True)
            continue
        warnings = brand.warnings()
        click.echo(f"ok   {path}: {brand.slug} ({len(brand.marks)} marks, {len(warnings)} warning(s))")
    if failed:
        raise CommandError(f"{len(failed)} of {len(files)} brand file(s) are invalid (see above)")


@brands.command("list")
def list_brands() -> None:
    """Show every brand with its marks, platforms and dossier warnings.

    \b
    Example:
        markwatch brands list
    """
    console = Console()
    table = Table(title="Brands", show_lines=True)
    for col in ("slug", "name", "marks", "search terms", "platforms", "warnings"):
        table.add_column(col, overflow="fold")
    problems = 0
    for path in brand_files():
        try:
            brand = load_brand(path)
        except UserError as exc:
            problems += 1
            table.add_row(path.stem, "[red]invalid[/red]", "", "", "", str(exc))
            continue
        marks = "\n".join(
            f"{m.id} ({m.kind}, {m.registration.office} {m.registration.number})"
            if m.registration
            else f"{m.id} ({m.kind}, unregistered)"
            for m in brand.marks
        )
        warnings = brand.warnings()
        table.add_row(
            brand.slug,
            brand.name,
            marks,
            ", ".join(brand.search_terms),
            ", ".join(brand.platforms),
            "\n".join(f"[yellow]! {w}[/yellow]" for w in warnings) or "[green]none[/green]",
        )
    console.print(table)
    if problems:
        raise CommandError(f"{problems} brand file(s) are invalid: run `markwatch brands check`")


def register(group: click.Group) -> None:
    group.add_command(brands)
