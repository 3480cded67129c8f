"""``markwatch evidence capture|verify``: captures of listing pages in headless Chromium, and their check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    default=Path("captures"),
    show_default=True,
    help="Folder the captures go into (one sub-folder per capture, named L<listing id>-<UTC time>).",
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
@click.option(
    "--settings",
    "settings_file",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="MARKWATCH_SETTINGS",
    help="Settings file (YAML) with `evidence: {tsa_url: …, tsa_ca_file: …}` (env MARKWATCH_SETTINGS; "
    "MARKWATCH_TSA_URL and MARKWATCH_TSA_CA override it).",
)
@click.option(
    "--proxy",
    metavar="URL",
    envvar="MARKWATCH_CAPTURE_PROXY",
    help="Capture through this proxy (http://, https://, socks5://; the band names it without credentials).",
)
@click.option(
    "--account", metavar="NAME", help="The account's name for the band and the log (never a secret)."
)
@click.option("--no-video", is_flag=True, help="Do not record the capture session's video.")
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
    settings_file: Path | None,
    proxy: str | None,
    account: str | None,
    no_video: bool,
) -> None:
    """Open each selected listing in headless Chromium and keep its evidence: a full-page screenshot
    under a band (URL as loaded, UTC time, account, proxy, SHA-256 of the HTML), the HTML, a WARC of
    every response, a video of the session, a capture log and a manifest of SHA-256 hashes; record
    each capture in the database. With a time-stamping authority configured, the run's manifests are
    timestamped once (RFC 3161).

    Selects confirmed and relisted listings by default (or the given IDS). A listing already gone is
    recorded as gone, not as a blank screenshot; a URL that is not its platform's own is refused.

    \b
    Example:
        markwatch evidence capture --brand veloria --platform taobao --out captures/
        MARKWATCH_TSA_URL=https://freetsa.org/tsr MARKWATCH_TSA_CA=cacert.pem markwatch evidence capture 12
        markwatch evidence capture 12 15 --sandbox http://127.0.0.1:8710
    """
    from crawler.evidence import cookie_source
    from evidence.capture import Capturer, CaptureTarget, check_chromium, store_capture, target_problem
    from evidence.settings import load_settings

    settings = load_settings(settings_file)
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
    refused = 0
    allowed = []
    for t in targets:
        problem = target_problem(t)
        if problem is None:
            allowed.append(t)
        else:
            refused += 1
            click.echo(f"listing {t.listing_id}: not captured: {problem}", err=True)
    out.mkdir(parents=True, exist_ok=True)
    counts = {"live": 0, "gone": 0, "failed": 0}
    kept: list[tuple[int, Path]] = []
    if allowed:
        with (
            Capturer(
                sandbox=sandbox,
                timeout_ms=int(timeout * 1000),
                actor=actor,
                video=not no_video,
                account=account,
                proxy=proxy,
                cookies=cookie_source(),
            ) as cap,
            click.progressbar(allowed, label=f"capturing {len(allowed)} page(s)") as bar,
        ):
            for w in cap.warnings:
                click.echo(f"warning: {w}", err=True)
            for t in bar:
                result = cap.capture(t, out)
                counts["failed" if result.state == "refused" else result.state] += 1
                # one transaction per capture: an interrupted run keeps what it captured
                with Session(engine) as session, session.begin():
                    row = store_capture(session, result, actor=actor)
                    if row is not None and result.directory is not None:
                        kept.append((row.id, result.directory))
                if result.state != "live":
                    why = result.detail.get("gone") or result.detail.get("error") or ""
                    item = escape_line(t.item_id)
                    click.echo(
                        f"listing {t.listing_id} ({t.platform} {item}): {result.state}: {why}", err=True
                    )
    refused_text = f", {refused} refused" if refused else ""
    click.echo(
        f"{out}: {counts['live']} captured, {counts['gone']} gone, {counts['failed']} failed{refused_text}"
    )
    stamp_failed = _stamp(engine, settings, kept)
    if counts["failed"]:
        raise UserError(
            f"{counts['failed']} capture(s) failed: see the lines above, then run again for those ids"
        )
    if stamp_failed:
        raise SystemExit(1)


def escape_line(text: str) -> str:
    """A listing field made safe for one terminal line (no control or bidi characters)."""
    return "".join(c if c.isprintable() and not 0x202A <= ord(c) <= 0x202E else "?" for c in text)[:80]


def _stamp(engine: Any, settings: Any, kept: list[tuple[int, Path]]) -> bool:
    """Timestamp the run's captures once; True when a configured TSA failed."""
    from evidence.timestamp import TimestampError, stamp_run
    from storage.models import Evidence

    if not kept:
        return False
    if not settings.has_tsa:
        click.echo(
            "no trusted time: no time-stamping authority is configured (evidence.tsa_url or "
            "MARKWATCH_TSA_URL), so these captures carry only this machine's clock"
        )
        return False
    try:
        stamp = stamp_run(settings, [d for _, d in kept])
    except TimestampError as exc:
        click.echo(
            f"{exc}: the captures are kept without trusted time; timestamp them later with "
            f"`markwatch evidence stamp {kept[0][1].parent}`",
            err=True,
        )
        return True
    with Session(engine) as session, session.begin():
        for eid, _ in kept:
            row = session.get(Evidence, eid)
            if row is not None:
                row.detail = {
                    **row.detail,
                    "timestamp": {
                        "root": stamp.root,
                        "gen_time": stamp.gen_time.isoformat(),
                        "tsa_url": stamp.tsa_url,
                    },
                }
    click.echo(
        f"timestamped {stamp.leaves} capture(s) at {stamp.gen_time:%Y-%m-%d %H:%M:%S}Z by {stamp.tsa_url} "
        f"(Merkle root {stamp.root[:16]}…)"
    )
    return False


@evidence.command("stamp")
@click.argument("directory", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "--settings",
    "settings_file",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="MARKWATCH_SETTINGS",
    help="Settings file with `evidence: {tsa_url: …}` (env MARKWATCH_SETTINGS).",
)
def stamp(directory: Path, settings_file: Path | None) -> None:
    """Timestamp the captures under DIRECTORY that have no token yet (one token for all of them).

    \b
    Example:
        MARKWATCH_TSA_URL=https://freetsa.org/tsr MARKWATCH_TSA_CA=ca.pem markwatch evidence stamp captures/
    """
    import json

    from evidence.settings import load_settings
    from evidence.timestamp import PROOF, stamp_run
    from storage.exports import MANIFEST

    settings = load_settings(settings_file)
    if not settings.has_tsa:
        raise UserError("no time-stamping authority configured: set evidence.tsa_url or MARKWATCH_TSA_URL")
    folders = []
    for m in sorted(directory.rglob(MANIFEST)):
        try:
            kind = json.loads(m.read_text(encoding="utf-8")).get("kind")
        except (OSError, ValueError, AttributeError):
            continue
        if kind == "evidence-capture" and not (m.parent / PROOF).exists():
            folders.append(m.parent)
    if not folders:
        raise UserError(f"{directory}: no capture without a timestamp")
    got = stamp_run(settings, folders)
    click.echo(f"timestamped {got.leaves} capture(s) at {got.gen_time:%Y-%m-%d %H:%M:%S}Z by {got.tsa_url}")


@evidence.command("verify")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--against-db",
    is_flag=True,
    help="Also check that every manifest is one the database recorded (captures and packages, matched by "
    "SHA-256, wherever the folder now is); fails when none matches.",
)
@click.option(
    "--ca",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The time-stamping authority's CA certificate (PEM) to trust; default: the tsa-ca.pem kept "
    "with each token.",
)
@pass_app
def verify(app: AppContext, directory: Path, against_db: bool, ca: Path | None) -> None:
    """Re-check DIRECTORY (captures, a moved copy, or a takedown package): every file against its
    manifest, every manifest against its timestamped Merkle tree, every token's signature, certificate
    and time; name each thing that broke.

    Exit status 0 when everything verifies, 1 when something does not.

    \b
    Example:
        markwatch evidence verify captures/
        markwatch evidence verify packages/veloria-taobao --ca freetsa-cacert.pem
        markwatch evidence verify /mnt/usb/evidence --against-db
    """
    from evidence.verify import recorded_manifests, verify_folder

    recorded = None
    if against_db:
        with Session(app.engine()) as session:
            recorded = recorded_manifests(session)
    report = verify_folder(directory, ca=ca, recorded=recorded)
    if report.db_matched is not None:
        click.echo(f"{report.db_matched} manifest(s) matched the database")
    for line in report.problems:
        click.echo(line)
    for line in report.stamped:
        click.echo(f"timestamp OK  {line}")
    for name in report.omitted:
        click.echo(f"left out      {name} (its hash is kept in the manifest)")
    if report.untimed:
        click.echo(f"{len(report.untimed)} capture(s) have no trusted timestamp (this machine's clock only)")
    if report.ok:
        click.echo(
            f"{directory}: all {report.files} file(s) in {report.manifests} manifest(s) verify"
            + (f"; {len(report.stamped)} timestamp(s) verify" if report.stamped else "")
        )
        return
    click.echo(f"{directory}: {len(report.problems)} problem(s) in {report.files} file(s)", err=True)
    raise SystemExit(1)


@evidence.command("show")
@click.argument("evidence_id", type=int)
@click.option("--replay", is_flag=True, help="Open the page from its WARC in Chromium, network off.")
@click.option(
    "--screenshot",
    type=click.Path(path_type=Path, dir_okay=False),
    help="With --replay: save the replayed page here (PNG).",
)
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="The capture's folder, when it was moved from where the database says.",
)
@pass_app
def show(
    app: AppContext, evidence_id: int, replay: bool, screenshot: Path | None, folder: Path | None
) -> None:
    """Where capture EVIDENCE_ID's files are, their hashes and its timestamp; with --replay, the page as
    archived, opened offline from its WARC.

    \b
    Example:
        markwatch evidence show 7
        markwatch evidence show 7 --replay --screenshot replay.png
    """
    from storage.models import Evidence

    with Session(app.engine()) as session:
        row = session.get(Evidence, evidence_id)
        if row is None:
            raise UserError(f"no capture with id {evidence_id}: see `markwatch review LISTING --history`")
        directory = folder or Path(row.directory)
        click.echo(
            f"capture {row.id} of listing {row.listing_id}: {row.state}, {row.captured_at:%Y-%m-%d %H:%M:%S}Z"
        )
        click.echo(f"folder: {directory}" + ("" if directory.is_dir() else "  (MISSING: give --dir)"))
        for name, digest in sorted(row.files.items()):
            click.echo(f"  {name:<18} {digest}")
        click.echo(f"  {'manifest.json':<18} {row.manifest_sha256 or '—'}")
        stamp_info = (row.detail or {}).get("timestamp")
        if stamp_info:
            click.echo(f"trusted time: {stamp_info.get('gen_time')} by {stamp_info.get('tsa_url')}")
        else:
            click.echo("trusted time: none (this machine's clock only)")
    if not replay:
        return
    from evidence.replay import replay as run_replay

    got = run_replay(directory, screenshot=screenshot)
    click.echo(f"replayed {got.url} offline: {len(got.served)} response(s) from the WARC, "
               f"{len(got.blocked)} request(s) not archived (blocked)")  # fmt: skip
    click.echo(f"page title: {escape_line(got.title)}")
    if screenshot is not None:
        click.echo(f"screenshot of the replay: {screenshot}")


def register(group: click.Group) -> None:
    group.add_command(evidence)
