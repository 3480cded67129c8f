"""``markwatch takedown export|submit|status|list|scorecard``: complaint packages and their cases."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from sqlalchemy.orm import Session

from crawler.cli.common import AppContext, pass_app
from crawler.cli.review import default_actor
from markwatch.brand import Brand
from markwatch.errors import UserError
from markwatch.platforms import PLATFORMS
from storage.models import CaseStatus
from storage.queries import brand_id_for

PLATFORM_CHOICE = click.Choice(PLATFORMS)


def _parse_at(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"--at {text!r}: use a date (2026-11-20) or a time (2026-11-20T09:30)") from None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


@click.group("takedown")
def takedown() -> None:
    """Complaint packages per platform, and the cases they become once filed."""


@takedown.command("export")
@click.option("--platform", required=True, type=PLATFORM_CHOICE, help="The platform to complain to.")
@click.option(
    "--brand",
    "brand_ref",
    help="Brand slug (configs/brands/) or path to its YAML (default: the only brand in the database).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the package (new or empty); in a folder holding other things, a new "
    "<brand>-<platform>-<UTC time> folder is made.",
)
@click.option("--actor", default=default_actor, show_default="$MARKWATCH_ACTOR or $USER", help="Who exports.")
@pass_app
def export(app: AppContext, platform: str, brand_ref: str | None, out: Path, actor: str) -> None:
    """Build the complaint package the platform's procedure asks for, from the confirmed listings.

    One registered right and one reason per complaint, at most 300 links each; a bilingual notice
    (Chinese first) per complaint, the links as CSV and XLSX, the evidence files, the documents and a
    checklist with the dossier's warnings, and a manifest of SHA-256 hashes. Creates a draft case per
    complaint; the listings count as reported once you record the filing with `takedown submit`.
    Nothing is written when the brand has no Chinese registration or nothing is confirmed.

    \b
    Example:
        markwatch takedown export --platform taobao --brand veloria --out packages/veloria-taobao
    """
    from storage.exports import export_package

    with Session(app.engine()) as session, session.begin():
        brand = app.brand(brand_ref) if brand_ref else _only_brand(app, session)
        result = export_package(session, brand, platform, out, actor=actor)
    click.echo(
        f"{result.out}: {len(result.complaints)} complaint(s), {result.links} link(s), "
        f"{result.files} file(s); "
        f"draft case(s) {', '.join(str(i) for i in result.case_ids)}"
        + (f" (replaced {result.replaced_drafts} earlier draft(s))" if result.replaced_drafts else "")
    )
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    for s in result.skipped:
        click.echo(f"skipped: {s}", err=True)
    click.echo("next: file each complaint, then `markwatch takedown submit CASE --number N`")


@takedown.command("submit")
@click.argument("case_id", type=int)
@click.option("--number", required=True, help="The platform's complaint number.")
@click.option("--at", "at", help="When it was filed (UTC; default now).")
@click.option("--actor", default=default_actor, show_default="$MARKWATCH_ACTOR or $USER", help="Who filed.")
@pass_app
def submit(app: AppContext, case_id: int, number: str, at: str | None, actor: str) -> None:
    """Record that the complaint of CASE_ID was filed: its number and date; its listings become reported.

    \b
    Example:
        markwatch takedown submit 3 --number IPP-2026-118842
    """
    from storage.cases import submit_case

    with Session(app.engine()) as session, session.begin():
        case = submit_case(session, case_id, number, actor=actor, at=_parse_at(at))
        n = len(case.links)
    click.echo(f"case {case_id}: submitted as {number}; {n} listing(s) reported")


@takedown.command("status")
@click.argument("case_id", type=int)
@click.option(
    "--set",
    "to_status",
    type=click.Choice([s.value for s in CaseStatus if s not in (CaseStatus.draft, CaseStatus.submitted)]),
    help="The platform's answer: removed, rejected, counter-notice, reinstated.",
)
@click.option("--listing", "listing_ids", type=int, multiple=True, help="Only these links (repeatable).")
@click.option(
    "--action-filed",
    "action",
    help="After a counter-notice: the complaint or suit you filed (Art. 43), which meets the deadline.",
)
@click.option("--note", help="What the platform said.")
@click.option("--at", "at", help="When (UTC; default now). A counter-notice's deadline runs from it.")
@click.option("--actor", default=default_actor, show_default="$MARKWATCH_ACTOR or $USER", help="Who records.")
@pass_app
def status(
    app: AppContext,
    case_id: int,
    to_status: str | None,
    listing_ids: tuple[int, ...],
    action: str | None,
    note: str | None,
    at: str | None,
    actor: str,
) -> None:
    """Show a case with its history, or record the platform's answer with --set.

    \b
    Example:
        markwatch takedown status 3
        markwatch takedown status 3 --set removed
        markwatch takedown status 3 --set counter-notice --at 2026-11-20
        markwatch takedown status 3 --action-filed "complaint IPP-2026-120001"
    """
    from storage.cases import action_filed, case_alerts, get_case, set_case_status

    when = _parse_at(at)
    with Session(app.engine()) as session, session.begin():
        if to_status:
            set_case_status(
                session,
                case_id,
                to_status,
                actor=actor,
                note=note,
                at=when,
                listing_ids=list(listing_ids) or None,
            )
        if action:
            action_filed(session, case_id, actor=actor, note=action, at=when)
        case = get_case(session, case_id)
        today = dt.datetime.now(dt.UTC).date()
        click.echo(
            f"case {case.id}: {case.platform} {case.mark_key} {case.reason} — {case.status}"
            + (f", complaint {case.complaint_number}" if case.complaint_number else "")
            + (f", deadline {case.deadline}" if case.deadline else "")
        )
        for alert in case_alerts(case, today):
            click.echo(f"  ! {alert}")
        for link in case.links:
            click.echo(f"  listing {link.listing_id}: {link.outcome or '—'}")
        for ev in case.events:
            move = (
                ev.to_status
                if ev.from_status in (None, ev.to_status)
                else f"{ev.from_status} → {ev.to_status}"
            )
            click.echo(f"  {ev.at:%Y-%m-%d %H:%M} {ev.actor}: {move}" + (f" ({ev.note})" if ev.note else ""))


@takedown.command("list")
@click.option("--brand", "brand_ref", help="Brand slug or path.")
@click.option("--platform", type=PLATFORM_CHOICE, help="Only this platform.")
@click.option(
    "--status", "status_", type=click.Choice([s.value for s in CaseStatus]), help="Only this status."
)
@click.option("--overdue", is_flag=True, help="Only cases whose deadline passed or whose answer is late.")
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True)
@pass_app
def list_(
    app: AppContext,
    brand_ref: str | None,
    platform: str | None,
    status_: str | None,
    overdue: bool,
    fmt: str,
) -> None:
    """Cases with their status, deadlines (15 days after a counter-notice) and overdue flags.

    \b
    Example:
        markwatch takedown list --overdue
    """
    from storage.cases import list_cases

    with Session(app.engine()) as session:
        brand_id = _brand_id(app, session, brand_ref)
        rows = list_cases(session, brand_id=brand_id, platform=platform, status=status_, overdue_only=overdue)
    if fmt == "json":
        click.echo(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"{len(rows)} case(s)")
    for col in ("case", "platform", "right", "reason", "status", "number", "links", "submitted", "deadline"):
        t.add_column(col)
    t.add_column("alerts", max_width=50, overflow="fold")
    for r in rows:
        t.add_row(
            str(r.id),
            r.platform,
            r.mark_key,
            r.reason,
            r.status,
            r.complaint_number or "",
            str(r.links),
            f"{r.submitted_at:%Y-%m-%d}" if r.submitted_at else "",
            str(r.deadline or ""),
            "\n".join(r.alerts),
            style="bold red" if r.overdue else None,
        )
    Console(width=max(120, Console().width)).print(t)


def _only_brand(app: AppContext, session: Session) -> Brand:
    from sqlalchemy import select

    from storage.models import Brand as BrandRow

    rows = session.execute(select(BrandRow.slug, BrandRow.source)).all()
    if len(rows) != 1:
        known = ", ".join(sorted(slug for slug, _ in rows)) or "none stored yet"
        raise UserError(f"say which brand with --brand ({known})")
    slug, source = rows[0]
    return app.brand(source if source and Path(source).is_file() else slug)


def _brand_id(app: AppContext, session: Session, brand_ref: str | None) -> int | None:
    if not brand_ref:
        return None
    brand = app.brand(brand_ref)
    brand_id = brand_id_for(session, brand.slug)
    if brand_id is None:
        raise UserError(f"no data stored for brand {brand.slug} yet")
    return brand_id


@takedown.command("scorecard")
@click.option("--brand", "brand_ref", help="Brand slug or path.")
@click.option(
    "--days", type=int, default=90, show_default=True, help="Cases submitted in the last N days (0: all)."
)
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True)
@pass_app
def scorecard(app: AppContext, brand_ref: str | None, days: int, fmt: str) -> None:
    """Per platform and reason: share of reported links removed and of counter-notices that succeeded,
    beside Alibaba's Good-Faith bounds (at least 90% removed, at most 5% counter-noticed).

    \b
    Example:
        markwatch takedown scorecard --brand veloria
    """
    from storage.cases import GOOD_FAITH_MAX_COUNTER, GOOD_FAITH_MIN_REMOVED
    from storage.cases import scorecard as compute

    with Session(app.engine()) as session:
        brand_id = _brand_id(app, session, brand_ref)
        rows = compute(session, brand_id=brand_id, days=days or None)
    if fmt == "json":
        click.echo(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    def pct(x: float | None) -> str:
        return "—" if x is None else f"{x:.0%}"

    t = Table(
        title=f"Takedown scorecard ({'all time' if not days else f'last {days} days'}); "
        f"Good-Faith bounds: removed ≥ {GOOD_FAITH_MIN_REMOVED:.0%}, counter-notice success ≤ "
        f"{GOOD_FAITH_MAX_COUNTER:.0%}"
    )
    for col in (
        "platform",
        "reason",
        "cases",
        "links",
        "decided",
        "removed",
        "counter-noticed",
        "reinstated",
    ):
        t.add_column(col)
    t.add_column("removed %")
    t.add_column("counter %")
    t.add_column("bounds")
    for r in rows:
        ok = r.within_bounds
        t.add_row(
            r.platform,
            r.reason,
            str(r.cases),
            str(r.reported),
            str(r.decided),
            str(r.removed),
            str(r.counter_noticed),
            str(r.reinstated),
            pct(r.removed_share),
            pct(r.counter_share),
            "—" if ok is None else ("within" if ok else "OUTSIDE"),
            style=None if ok is not False else "bold red",
        )
    Console(width=max(120, Console().width)).print(t)


def register(group: click.Group) -> None:
    group.add_command(takedown)
