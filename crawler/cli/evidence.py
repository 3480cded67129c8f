"""``markwatch evidence capture|verify``: captures of listing pages in headless Chromium, and their check."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.orm import Session

from crawler.cli.common import AppContext, pass_app
from crawler.cli.review import build_filter, default_actor, filter_options
from markwatch.errors import UserError
from storage.models import ListingStatus
from storage.queries import latest_reasons, reason_text, select_listings

#: Statuses captured when --status is not given: what is about to be (or has been) reported.
CAPTURE_STATUSES = (ListingStatus.confirmed.value, ListingStatus.relisted.value)


@click.group("evidence")
def evidence() -> None:
    """Evidence of listings: full-page captures with SHA-256 hashes, and their verification."""


@evidence.command("capture")
@click.argument("ids", nargs=-1, type=int)
@filter_options
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("evidence"),
    show_default=True,
    help="Folder the captures go into (one sub-folder per capture).",
)
@click.option(
    "--sandbox",
    metavar="URL",
    envvar="MARKWATCH_SANDBOX_URL",
    help="Capture from the sandbox: https://<host>/<path> is fetched at URL/<host>/<path> "
    "(env MARKWATCH_SANDBOX_URL).",
)
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds per page.")
@click.option(
    "--actor", default=default_actor, show_default="$MARKWATCH_ACTOR or $USER", help="Who captures."
)
@pass_app
def capture(
    app: AppContext,
    ids: tuple[int, ...],
    brand_ref: str | None,
    platform: str | None,
    statuses: tuple[str, ...],
    min_score: float | None,
    seller: str | None,
    since: str | None,
    search: str | None,
    out: Path,
    sandbox: str | None,
    timeout: float,
    actor: str,
) -> None:
    """Open each selected listing in headless Chromium and keep a full-page screenshot, the HTML,
    the URL, the UTC time and the SHA-256 of every file; record each capture in the database.

    Selects confirmed and relisted listings by default (or the given IDS). A listing already gone is
    recorded as gone, not as a blank screenshot.

    \b
    Example:
        markwatch evidence capture --brand veloria --platform taobao --out evidence/
        markwatch evidence capture 12 15 --sandbox http://127.0.0.1:8710
    """
    from crawler.evidence import Capturer, CaptureTarget, check_chromium, store_capture

    check_chromium()
    engine = app.engine()
    with Session(engine) as session:
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
            ids=ids or None,
            default_statuses=() if ids else CAPTURE_STATUSES,
        )
        f.suspects_only = False
        rows = [lst for lst, _ in session.execute(select_listings(f))]
        reasons = latest_reasons(session, [lst.id for lst in rows])
        targets = [
            CaptureTarget(
                listing_id=lst.id,
                platform=lst.platform,
                item_id=lst.item_id,
                url=lst.url,
                title=lst.title,
                mark_key=lst.mark_key,
                score=lst.score,
                reasons=[reason_text(r) for r in reasons.get(lst.id, [])],
            )
            for lst in rows
        ]
    if not targets:
        raise UserError("no listing to capture: confirm suspects first (markwatch review ID --confirm)")
    out.mkdir(parents=True, exist_ok=True)
    counts = {"live": 0, "gone": 0, "failed": 0}
    with (
        Capturer(sandbox=sandbox, timeout_ms=int(timeout * 1000), actor=actor) as cap,
        click.progressbar(targets, label=f"capturing {len(targets)} page(s)") as bar,
    ):
        for t in bar:
            result = cap.capture(t, out)
            counts[result.state] += 1
            # one transaction per capture: an interrupted run keeps what it captured
            with Session(engine) as session, session.begin():
                store_capture(session, result, actor=actor)
            if result.state != "live":
                why = result.detail.get("gone") or result.detail.get("error") or ""
                click.echo(
                    f"listing {t.listing_id} ({t.platform} {t.item_id}): {result.state}: {why}", err=True
                )
    click.echo(f"{out}: {counts['live']} captured, {counts['gone']} gone, {counts['failed']} failed")
    if counts["failed"]:
        raise UserError(
            f"{counts['failed']} capture(s) failed: see the lines above, then run again for those ids"
        )


@evidence.command("verify")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--against-db",
    is_flag=True,
    help="Also check each capture's manifest against the hash the database recorded at capture time "
    "(catches a manifest rewritten to match a changed file).",
)
@pass_app
def verify(app: AppContext, directory: Path, against_db: bool) -> None:
    """Re-check every hash under DIRECTORY (captures or a takedown package) and name each changed file.

    Exit status 0 when every file verifies, 1 when one changed, went missing or was added.

    \b
    Example:
        markwatch evidence verify evidence/
        markwatch evidence verify packages/veloria-taobao
        markwatch evidence verify evidence/ --against-db
    """
    from storage.exports import MANIFEST, sha256_file, verify_tree

    report = verify_tree(directory)
    if against_db:
        from sqlalchemy import select

        from storage.models import Evidence

        root = directory.resolve()
        with Session(app.engine()) as session:
            recorded = session.execute(
                select(Evidence.directory, Evidence.manifest_sha256).where(Evidence.directory != "")
            ).all()
        matched = 0
        for folder, digest in recorded:
            path = Path(folder)
            if not (path == root or root in path.parents) or not digest:
                continue
            matched += 1
            manifest = path / MANIFEST
            rel = manifest.relative_to(root).as_posix() if root.is_dir() else manifest.name
            if not manifest.is_file():
                report.missing.append(rel)
            elif sha256_file(manifest) != digest:
                report.changed.append(f"{rel} (not the manifest recorded at capture)")
        click.echo(f"{matched} capture(s) checked against the database")
    for name in report.changed:
        click.echo(f"CHANGED  {name}")
    for name in report.missing:
        click.echo(f"MISSING  {name}")
    for name in report.unlisted:
        click.echo(f"ADDED    {name}")
    if report.ok:
        click.echo(f"{directory}: all {report.checked} file(s) in {report.manifests} manifest(s) verify")
        return
    bad = len(report.changed) + len(report.missing) + len(report.unlisted)
    click.echo(f"{directory}: {bad} problem(s) in {report.checked} file(s)", err=True)
    raise SystemExit(1)


def register(group: click.Group) -> None:
    group.add_command(evidence)
