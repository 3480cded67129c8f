"""The ``markwatch sandbox`` command (also ``python -m sandbox``, which starts faster: it does not
import the other markwatch commands)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from markwatch.errors import UserError


@click.command("sandbox")
@click.option(
    "--port", type=int, default=8710, show_default=True, help="Port on 127.0.0.1 (0 = any free port)."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--seed", type=int, default=1, show_default=True, help="Catalogue seed: same seed, same catalogue."
)
@click.option(
    "--size",
    type=int,
    default=600,
    show_default=True,
    help="Catalogue slots (hundreds for tests, 100000+ for benchmarks).",
)
@click.option(
    "--brand",
    "brands",
    multiple=True,
    metavar="SLUG",
    help="Brand(s) the catalogue is built for (default: veloria and corvane).",
)
@click.option(
    "--refuse",
    "refusals",
    multiple=True,
    metavar="PLATFORM=MODE[@N]",
    help="Refuse every request to a platform with MODE (after N requests); repeatable. "
    "Modes: login slider token_empty token_expired rgv587 auth605 visitor accessdeny throttle "
    "unavailable slow truncated malformed empty layout (GET /_sandbox/modes).",
)
@click.option(
    "--legacy",
    is_flag=True,
    help="Serve the legacy pages (g_page_config, list.tmall.com, li.gl-item, p.3.cn…) that the HTTP "
    "spiders and saved pages use, instead of today's login-gated, scripted pages.",
)
@click.option(
    "--risk",
    "risks",
    multiple=True,
    metavar="PLATFORM=MODE@N",
    help="Per-account risk control: after N requests each account of PLATFORM meets MODE "
    "(slider: a slider page to drag; block: RGV587 / pdos_captcha / HTTP 432; deny: Baxia deny_h5 / "
    "JD 403; login: the session is thrown out); repeatable.",
)
@click.option(
    "--slow",
    "slow_seconds",
    type=float,
    default=2.0,
    show_default=True,
    help="Delay of the `slow` mode, in seconds.",
)
@click.option(
    "--image-cache",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to keep generated JPEGs in between runs (default: memory only).",
)
def sandbox_command(
    port: int,
    host: str,
    seed: int,
    size: int,
    brands: tuple[str, ...],
    refusals: tuple[str, ...],
    slow_seconds: float,
    image_cache: Path | None,
    legacy: bool,
    risks: tuple[str, ...],
) -> None:
    """Serve the four platforms locally from a seeded catalogue (Ctrl-C stops).

    A request for https://HOST/PATH?QUERY is served at http://127.0.0.1:PORT/HOST/PATH?QUERY.

    \b
    Examples:
        markwatch sandbox --port 8710 --seed 1
        markwatch sandbox --refuse taobao=slider@10 --refuse jd=auth605 --legacy
        markwatch sandbox --risk taobao=slider@20 --risk jd=block@50
        curl 'http://127.0.0.1:8710/s.taobao.com/search?q=veloria&s=44'
        curl 'http://127.0.0.1:8710/_sandbox/truth?platform=jd'
        curl -X POST 'http://127.0.0.1:8710/_sandbox/advance'
    """
    from sandbox.catalogue import DEFAULT_BRANDS
    from sandbox.refusals import parse_refusal
    from sandbox.server import Sandbox

    if size < 1:
        raise UserError(f"--size {size}: give a positive number of catalogue slots, e.g. --size 600")
    if not 0 <= port <= 65535:
        raise UserError(f"--port {port}: give a port between 0 and 65535, e.g. --port 8710")
    parsed: list[str] = []
    for spec in refusals:
        try:
            platform, mode, after = parse_refusal(spec)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        parsed.append(f"{platform}={mode}" + (f"@{after}" if after else ""))
    risk_specs: list[str] = []
    for spec in risks:
        platform, eq, mode = spec.partition("=")
        if not eq or not mode:
            raise UserError(f"--risk {spec!r}: write PLATFORM=MODE@N, e.g. taobao=slider@20")
        risk_specs.append(f"{platform.strip().lower()}={mode.strip().lower()}")
    started = time.perf_counter()
    try:
        sb = Sandbox(
            seed=seed,
            size=size,
            brands=brands or DEFAULT_BRANDS,
            refuse=parsed,
            slow_seconds=slow_seconds,
            image_cache=image_cache,
            host=host,
            port=port,
            legacy=legacy,
            risk=risk_specs,
        )
    except ValueError as exc:
        raise UserError(f"--risk: {exc}") from None
    try:
        sb.start()
    except OSError as exc:
        raise UserError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); try another --port"
        ) from None
    summary = sb.catalogue.summary()
    click.echo(
        f"markwatch sandbox on {sb.url}  (seed {seed}, {summary['listings']} listings, "
        f"started in {time.perf_counter() - started:.2f} s)"
    )
    click.echo(f"  try: {sb.url}/s.taobao.com/search?q=veloria   ·   index: {sb.url}/_sandbox/")
    click.echo(
        "  serving: "
        + (
            "the legacy pages (--legacy)"
            if legacy
            else "today's pages (log in: POST /_sandbox/login/scan?platform=P&account=NAME)"
        )
    )
    if risk_specs:
        click.echo("  risk control: " + ", ".join(risk_specs))
    if sb.refusals:
        click.echo("  refusing: " + ", ".join(f"{p}={m}" for p, m in sb.refusals.items()))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        sb.stop()


def main(argv: list[str] | None = None) -> None:
    """``python -m sandbox [OPTIONS]``: the same command outside the ``markwatch`` group."""
    try:
        sandbox_command.main(args=argv, prog_name="python -m sandbox", standalone_mode=False)
    except click.exceptions.Abort:
        raise SystemExit(1) from None
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except UserError as exc:
        click.echo(f"markwatch: error: {exc}", err=True)
        raise SystemExit(2) from None
