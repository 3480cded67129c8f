"""``markwatch suspects``, ``markwatch review`` and ``markwatch sellers``: the analyst's queue."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from crawler.cli.common import AppContext, pass_app, term, term_lines, write_output
from markwatch.errors import UserError
from markwatch.platforms import PLATFORMS
from storage.models import ListingStatus
from storage.queries import (
    ALL_STATUSES,
    QueueFilter,
    QueueRow,
    brand_id_for,
    listing_ids,
    parse_since,
    queue,
)
from storage.review import set_status

FORMATS = ("table", "csv", "json", "xlsx")
REASONS = ("counterfeit", "unauthorised-use", "expired-authorisation")
QUEUE_COLUMNS = (
    "id",
    "brand",
    "platform",
    "item_id",
    "score",
    "status",
    "mark",
    "title",
    "price",
    "currency",
    "seller_id",
    "seller_name",
    "url",
    "first_seen",
    "last_seen",
    "live",
    "flags",
    "reasons",
)


def default_actor() -> str:
    return os.environ.get("MARKWATCH_ACTOR") or os.environ.get("USER") or "analyst"


def parse_statuses(values: Sequence[str]) -> tuple[str, ...] | None:
    """``--status`` values (repeatable, comma-separated); ``all`` means every status; none: the default."""
    out: list[str] = []
    for v in values:
        out += [s.strip() for s in v.split(",") if s.strip()]
    if not out:
        return None
    if "all" in out:
        return ()
    for s in out:
        if s not in ALL_STATUSES:
            raise UserError(f"unknown status {s!r}: use one of {', '.join(ALL_STATUSES)}, or all")
    return tuple(out)


def filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The queue filters shared by ``suspects``, ``review`` and ``evidence capture``."""
    options = [
        click.option("--brand", "brand_ref", help="Brand slug (configs/brands/) or path to its YAML."),
        click.option(
            "--platform",
            type=click.Choice(PLATFORMS),
            help="Only this platform.",
        ),
        click.option(
            "--status",
            "statuses",
            multiple=True,
            help="Listing status (repeatable or comma-separated; `all` for every status). "
            "Default: new and relisted.",
        ),
        click.option("--min-score", type=float, help="Only listings scored at least this (0-1)."),
        click.option("--seller", help="Seller id, or part of the seller's name."),
        click.option("--since", help="First seen since: a date (2026-11-01) or a span (7d, 12h)."),
        click.option("--search", help="Text to find in the title or seller name (or an item id)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def build_filter(
    app: AppContext,
    session: Session,
    *,
    brand_ref: str | None,
    platform: str | None,
    statuses: Sequence[str],
    min_score: float | None,
    seller: str | None,
    since: str | None,
    search: str | None,
    ids: Sequence[int] | None = None,
    default_statuses: tuple[str, ...] | None = None,
) -> QueueFilter:
    brand_id: int | None = None
    if brand_ref:
        brand = app.brand(brand_ref)
        brand_id = brand_id_for(session, brand.slug)
        if brand_id is None:
            raise UserError(
                f"no listings stored for brand {brand.slug} yet: run `markwatch crawl {brand.slug}` "
                "or `markwatch ingest` first"
            )
    parsed = parse_statuses(statuses)
    return QueueFilter(
        brand_id=brand_id,
        platform=platform,
        statuses=parsed if parsed is not None else default_statuses,
        min_score=min_score,
        seller=seller,
        since=parse_since(since),
        search=search,
        ids=list(ids) if ids else None,
    )


def any_filter(**kwargs: Any) -> bool:
    return any(v not in (None, (), [], "") for v in kwargs.values())


# --- output --------------------------------------------------------------------------------------------


def _rows_as_dicts(rows: Sequence[QueueRow]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        d = r.as_dict()
        d["flags"] = "; ".join(d["flags"])
        d["reasons"] = "; ".join(d["reasons"])
        out.append(d)
    return out


def emit(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    fmt: str,
    output: Path | None,
    *,
    table: Callable[[], None],
    json_rows: Sequence[dict[str, Any]] | None = None,
) -> None:
    """Write rows as a rich table, CSV, JSON or XLSX, to ``output`` or stdout."""
    if fmt == "table":
        table()
        return
    if fmt == "xlsx":
        if output is None:
            raise UserError("--format xlsx needs --output FILE.xlsx")
        from storage.exports import write_xlsx

        write_output(output, b"")  # one line for a folder that cannot be written, before building
        try:
            write_xlsx(output, rows, columns, title="suspects")
        except OSError as exc:
            raise UserError(f"--output {output}: cannot write it ({exc.strerror or exc})") from None
        click.echo(f"{output}: {len(rows)} row(s)", err=True)
        return
    if fmt == "csv":
        from storage.exports import neutralised_rows

        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(neutralised_rows(rows))
        text = buf.getvalue()
    else:
        text = json.dumps(list(json_rows if json_rows is not None else rows), ensure_ascii=False, indent=2)
        text += "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        write_output(output, text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
        click.echo(f"{output}: {len(rows)} row(s)", err=True)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _queue_table(rows: Sequence[QueueRow]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(rows)} listing(s), highest risk first", show_lines=False)
    for col, kw in (
        ("id", {"justify": "right"}),
        ("score", {"justify": "right"}),
        ("status", {}),
        ("platform", {}),
        ("title", {"max_width": 40, "overflow": "fold"}),
        ("seller", {"max_width": 20, "overflow": "fold"}),
        ("price", {"justify": "right"}),
        ("reasons", {"max_width": 70, "overflow": "fold"}),
    ):
        table.add_column(col, **kw)
    for r in rows:
        weighted = sorted(
            (rr for rr in r.reasons if float(rr.get("weight") or 0) > 0),
            key=lambda rr: -float(rr.get("weight") or 0),
        )
        reasons = [f"! {f}" for f in r.flags] + [
            f"{rr.get('kind')}: {_clip(str(rr.get('detail')), 90)}" for rr in weighted
        ]
        table.add_row(
            str(r.id),
            "" if r.score is None else f"{r.score:.2f}",
            r.status,
            r.platform,
            term(r.title),
            term(r.seller_name or r.seller_id or ""),
            "" if r.price is None else f"{r.price:,.2f}",
            term_lines(reasons[:4] + ([f"(+{len(reasons) - 4} more)"] if len(reasons) > 4 else [])),
        )
    Console(width=max(120, Console().width)).print(table)


# --- commands ------------------------------------------------------------------------------------------


@click.command("suspects")
@filter_options
@click.option("--all", "everything", is_flag=True, help="Include listings below the suspect threshold.")
@click.option("--limit", type=int, help="Show at most this many.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to this file.")
@pass_app
def suspects(
    app: AppContext,
    brand_ref: str | None,
    platform: str | None,
    statuses: tuple[str, ...],
    min_score: float | None,
    seller: str | None,
    since: str | None,
    search: str | None,
    everything: bool,
    limit: int | None,
    fmt: str,
    output: Path | None,
) -> None:
    """The review queue: suspects, highest risk first, with the reasons of their latest score.

    By default shows listings still waiting for a decision (new and relisted); `--status all` shows
    every status.

    \b
    Example:
        markwatch suspects --brand veloria --platform taobao --min-score 0.7
        markwatch suspects --status confirmed --format xlsx --output confirmed.xlsx
    """
    with Session(app.engine()) as session:
        f = build_filter(
            app,
            session,
            brand_ref=brand_ref,
            platform=platform,
            statuses=statuses,
            min_score=min_score,
            seller=seller,
            since=since,
            search=search,
        )
        f.suspects_only = not everything
        f.limit = limit
        rows = queue(session, f)
    emit(
        _rows_as_dicts(rows),
        QUEUE_COLUMNS,
        fmt,
        output,
        table=lambda: _queue_table(rows),
        json_rows=[r.as_dict() for r in rows],
    )


@click.command("review")
@click.argument("ids", nargs=-1, type=int)
@click.option("--confirm", "decision", flag_value="confirmed", help="Confirm: an infringement to report.")
@click.option("--dismiss", "decision", flag_value="dismissed", help="Dismiss: not an infringement.")
@click.option("--history", "show_history", is_flag=True, help="Show each listing's status changes.")
@click.option("--note", help="Why (kept in the listing's history).")
@click.option("--actor", default=default_actor, show_default="$MARKWATCH_ACTOR or $USER", help="Who decides.")
@click.option(
    "--reason",
    type=click.Choice(REASONS),
    help="With --confirm: the complaint reason to file under (default: inferred from the score's reasons).",
)
@filter_options
@pass_app
def review(
    app: AppContext,
    ids: tuple[int, ...],
    decision: str | None,
    show_history: bool,
    note: str | None,
    actor: str,
    reason: str | None,
    brand_ref: str | None,
    platform: str | None,
    statuses: tuple[str, ...],
    min_score: float | None,
    seller: str | None,
    since: str | None,
    search: str | None,
) -> None:
    """Confirm or dismiss listings by id, or every listing a filter selects.

    Each change is kept with time, actor and note; an impossible change (e.g. dismissing a listing
    already reported) is refused and nothing is changed.

    \b
    Example:
        markwatch review 12 15 --confirm --note "高仿 in title, 8% of floor price"
        markwatch review --brand veloria --search 高仿 --min-score 0.8 --confirm
        markwatch review 12 --history
    """
    if show_history and decision is None:
        _print_history(app, ids)
        return
    if decision is None:
        raise UserError("say --confirm or --dismiss")
    if reason and decision != ListingStatus.confirmed:
        raise UserError("--reason goes with --confirm")
    filters: dict[str, Any] = {
        "brand_ref": brand_ref,
        "platform": platform,
        "statuses": statuses,
        "min_score": min_score,
        "seller": seller,
        "since": since,
        "search": search,
    }
    if not ids and not any_filter(**filters):
        raise UserError("give listing ids, or a filter (--brand, --platform, --search…) to review in bulk")
    engine = app.engine()
    with Session(engine) as session, session.begin():
        if ids:
            selected = list(ids)
            if any_filter(**filters):
                f = build_filter(app, session, **filters, ids=ids, default_statuses=())
                selected = listing_ids(session, f)
        else:
            f = build_filter(app, session, **filters)
            selected = listing_ids(session, f)
        if not selected:
            raise UserError("no listing matches: nothing changed")
        result = set_status(session, selected, decision, actor=actor, note=note)
        if reason:
            from storage.review import set_reason

            set_reason(session, selected, reason)
    verb = "confirmed" if decision == ListingStatus.confirmed else "dismissed"
    click.echo(
        f"{len(result.changed)} listing(s) {verb}"
        + (f", {len(result.unchanged)} already {verb}" if result.unchanged else "")
    )


def _print_history(app: AppContext, ids: Sequence[int]) -> None:
    from storage.models import Listing
    from storage.review import history

    if not ids:
        raise UserError("give the listing ids whose history to show")
    with Session(app.engine()) as session:
        for lid in ids:
            lst = session.get(Listing, lid)
            if lst is None:
                raise UserError(f"no listing with id {lid}: see `markwatch suspects` for the ids")
            click.echo(f"listing {lid} ({lst.platform} {lst.item_id}) — {lst.status}: {lst.title}")
            for d in history(session, lid):
                note = f" — {d.note}" if d.note else ""
                click.echo(f"  {d.at:%Y-%m-%d %H:%M:%S}Z {d.actor}: {d.from_status} → {d.to_status}{note}")
            _print_evidence_history(session, lid)


def _print_evidence_history(session: Session, listing_id: int) -> None:
    """The listing's captures and test buys, under its status history."""
    from sqlalchemy import select

    from crawler.cli.testbuy import describe
    from storage.evidence_files import test_buys_for
    from storage.models import Evidence

    for ev in session.scalars(
        select(Evidence).where(Evidence.listing_id == listing_id).order_by(Evidence.captured_at, Evidence.id)
    ):
        stamped = " (trusted time)" if (ev.detail or {}).get("timestamp") else ""
        click.echo(f"  {ev.captured_at:%Y-%m-%d %H:%M:%S}Z capture {ev.id}: {ev.state}{stamped}")
    for buy in test_buys_for(session, [listing_id]).get(listing_id, []):
        click.echo(f"  {buy.ordered_at:%Y-%m-%d %H:%M:%S}Z {describe(buy)}")


@click.command("sellers")
@click.option("--brand", "brand_ref", help="Brand slug or path (also leaves the brand's own photos out).")
@click.option(
    "--radius", type=int, default=None, help="Hamming bits (of 64) under which photos are the same."
)
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True)
@pass_app
def sellers(app: AppContext, brand_ref: str | None, radius: int | None, fmt: str) -> None:
    """Repeat offenders across platforms, and shops linked by sharing the same photos or contact id.

    \b
    Example:
        markwatch sellers --brand veloria
    """
    from storage.sellers import SAME_PHOTO_BITS, contact_groups, photo_groups, seller_report

    bits = SAME_PHOTO_BITS if radius is None else radius
    if not 0 <= bits <= 16:
        raise UserError("--radius must be between 0 and 16 bits")
    exclude: list[str] = []
    with Session(app.engine()) as session:
        brand_id = None
        if brand_ref:
            brand = app.brand(brand_ref)
            brand_id = brand_id_for(session, brand.slug)
            if brand_id is None:
                raise UserError(f"no listings stored for brand {brand.slug} yet")
            exclude = _reference_hashes(
                [*brand.reference_images, *(p for m in brand.marks for p in m.images)]
            )
        report = seller_report(session, brand_id, radius=bits, exclude=exclude)
        groups = photo_groups(session, brand_id=brand_id, radius=bits, exclude=exclude)
        by_contact = contact_groups(session, brand_id=brand_id)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "sellers": [
                        {
                            **{k: v for k, v in vars(r).items() if k not in ("first_seen", "last_seen")},
                            "repeat_offender": r.repeat_offender,
                            "first_seen": r.first_seen.isoformat() if r.first_seen else None,
                            "last_seen": r.last_seen.isoformat() if r.last_seen else None,
                        }
                        for r in report
                    ],
                    "linked_by_photos": [
                        {
                            "sellers": [s.key for s in g.sellers],
                            "platforms": g.platforms,
                            "links": [vars(lk) for lk in g.links],
                        }
                        for g in groups
                    ],
                    "linked_by_contacts": [
                        {
                            "sellers": [s.key for s in g.sellers],
                            "platforms": g.platforms,
                            "contacts": g.contacts,
                        }
                        for g in by_contact
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(120, Console().width))
    t = Table(title="Sellers, worst first")
    for col in ("seller", "name", "listings", "suspects", "confirmed", "reported", "removed", "relisted"):
        t.add_column(col)
    t.add_column("repeat")
    t.add_column("shares photos with", max_width=40, overflow="fold")
    t.add_column("shares a contact with", max_width=30, overflow="fold")
    for r in report:
        t.add_row(
            term(r.key),
            term(r.name or ""),
            str(r.listings),
            str(r.suspects),
            str(r.confirmed),
            str(r.reported),
            str(r.removed),
            str(r.relisted),
            "yes" if r.repeat_offender else "",
            term(", ".join(r.linked)),
            term(", ".join(r.linked_by_contact)),
        )
    console.print(t)
    g_table = Table(title=f"Shops linked by the same photos (within {bits} bits)")
    for col in ("group", "platforms", "sellers", "shared photos"):
        g_table.add_column(col)
    for n, g in enumerate(groups, 1):
        shown = ", ".join(f"#{lk.listing_a}~#{lk.listing_b} ({lk.distance})" for lk in g.links[:5])
        g_table.add_row(str(n), ", ".join(g.platforms), term_lines([s.key for s in g.sellers]), shown)
    console.print(g_table)
    c_table = Table(title="Shops linked by a shared contact id (WeChat, QQ, mobile)")
    for col in ("group", "platforms", "sellers", "shared contact ids"):
        c_table.add_column(col)
    for n, cg in enumerate(by_contact, 1):  # shop names and ids are written by sellers: no markup
        c_table.add_row(
            str(n),
            ", ".join(cg.platforms),
            term_lines([f"{s.key} {s.name or ''}".strip() for s in cg.sellers]),
            term_lines(list(cg.contacts)),
        )
    console.print(c_table)


def _reference_hashes(paths: Sequence[Path]) -> list[str]:
    """phash hex of the brand's own images, so copying them does not link unrelated shops."""
    from matchers.images import hash_image

    return [str(h["phash"]) for h in map(hash_image, paths) if "phash" in h]


def register(group: click.Group) -> None:
    group.add_command(suspects)
    group.add_command(review)
    group.add_command(sellers)
