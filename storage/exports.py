"""Takedown packages: what each platform's complaint procedure asks for, built from confirmed listings.

:func:`export_package` selects a brand's ``confirmed`` listings on one platform, groups them into
complaints — **one registered right and one reason per complaint, at most 300 links each** (Alibaba
IPP's rule, applied to every platform) — creates a **draft** :class:`~storage.models.TakedownCase` per
complaint, and writes::

    OUT/
      manifest.json        every file of the package with its SHA-256, the complaints and their cases
      SHA256SUMS           the same hashes for ``sha256sum -c`` (covers manifest.json too)
      checklist.md         the documents the platform requires, present or MISSING, and the warnings
      links.csv, links.xlsx
      documents/           registration certificates, power of attorney, licence, lapsed authorisations
      complaints/NN-<mark>-<reason>/
        notice.txt         bilingual notice (Chinese first), with the Art. 42 elements
        urls.txt           the links, one per line (what the platform form takes)
        reason.txt         the reason text (Chinese and English)
        links.csv, links.xlsx
        facts.csv          JD: the facts per link;  connection.csv  Weibo: proof of connection per post
        evidence/<platform>-<item id>/   the listing's latest capture (files verified before copying)

Nothing partial is ever written: the package is built in a temporary directory beside ``OUT`` and
renamed into place at the end; any error removes it, and the caller's transaction (with the draft
cases) rolls back. Re-exporting replaces the earlier *draft* cases of the same brand and platform;
submitted cases are never touched.

The helpers :func:`sha256_file`, :func:`write_manifest` and :func:`verify_tree` are shared with
evidence capture (``markwatch evidence verify`` checks packages and captures alike).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from markwatch.brand import Brand as BrandConfig
from markwatch.brand import Mark as BrandMark
from markwatch.errors import NextStep, UserError
from markwatch.platforms import PLATFORMS, platform_url_problem
from markwatch.safety import csv_cell, display_text
from storage.cases import create_case
from storage.ingest import sync_brand
from storage.models import (
    CaseStatus,
    Evidence,
    Listing,
    ListingStatus,
    TakedownCase,
    utcnow,
)
from storage.queries import latest_reasons, reason_text
from storage.review import four_eyes_missing

logger = logging.getLogger(__name__)

NOTICES = Path(__file__).resolve().parent.parent / "configs" / "notices" / "notices.yaml"

#: Alibaba IPP: at most this many listing URLs in one complaint.
MAX_LINKS = 300

REASONS = ("counterfeit", "unauthorised-use", "expired-authorisation")

#: Match-reason kinds that point to counterfeit goods rather than mere use of the mark.
COUNTERFEIT_KINDS = frozenset({"lexicon", "price", "evasion", "contact"})

PLATFORM_FAMILY = {"taobao": "alibaba", "tmall": "alibaba", "jd": "jd", "weibo": "weibo"}

MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"

LINK_COLUMNS = (
    "complaint",
    "case_id",
    "listing_id",
    "platform",
    "item_id",
    "url",
    "right",
    "registration",
    "reason",
    "title",
    "seller_id",
    "seller_name",
    "price",
    "currency",
    "score",
    "first_seen",
    "last_seen",
    "evidence",
    "captured_at",
    "screenshot_sha256",
    "comparison",
    "facts",
)


# --- hashing and manifests -----------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def _walk_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def write_manifest(directory: Path, data: dict[str, Any], *, sums: bool = False) -> str:
    """Write ``manifest.json`` listing every file under ``directory`` with its SHA-256; returns its hash.

    ``data`` is stored beside ``files``. With ``sums``, also writes ``SHA256SUMS`` (covering the
    manifest too) for checking without markwatch.
    """
    files = {
        p.relative_to(directory).as_posix(): sha256_file(p)
        for p in _walk_files(directory)
        if p.relative_to(directory).as_posix() not in (MANIFEST, SUMS)
    }
    body = {**data, "files": files}
    path = directory / MANIFEST
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    digest = sha256_file(path)
    if sums:
        lines = [f"{h}  {name}" for name, h in sorted({**files, MANIFEST: digest}.items())]
        (directory / SUMS).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return digest


@dataclass
class VerifyReport:
    manifests: int = 0
    checked: int = 0
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.unlisted)


def verify_tree(root: Path) -> VerifyReport:
    """Re-check every hash of every ``manifest.json`` (and ``SHA256SUMS``) under ``root``.

    Names each file that changed, went missing, or appeared without being listed.
    """
    if not root.exists():
        raise UserError(f"{root}: no such directory")
    manifests = sorted(root.rglob(MANIFEST)) if root.is_dir() else [root]
    if not manifests:
        raise UserError(f"{root}: no {MANIFEST} found: not an evidence capture or a takedown package")
    report = VerifyReport()
    listed: set[Path] = set()
    for mpath in manifests:
        try:
            data = json.loads(mpath.read_text(encoding="utf-8"))
            files = data["files"]
            if not isinstance(files, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            report.changed.append(_rel(mpath, root))
            continue
        report.manifests += 1
        base = mpath.parent
        listed.add(mpath.resolve())
        for name, digest in sorted(files.items()):
            path = base / name
            listed.add(path.resolve())
            report.checked += 1
            if not path.is_file():
                report.missing.append(_rel(path, root))
            elif sha256_file(path) != digest:
                report.changed.append(_rel(path, root))
        sums = base / SUMS
        if sums.is_file():
            listed.add(sums.resolve())
            for line in sums.read_text(encoding="utf-8").splitlines():
                digest, _, name = line.partition("  ")
                if name == MANIFEST:
                    report.checked += 1
                    if sha256_file(mpath) != digest:
                        report.changed.append(_rel(mpath, root))
    if root.is_dir():
        covered = [m.parent for m in manifests]
        for p in _walk_files(root):
            if p.resolve() in listed:
                continue
            if any(_under(p, c) for c in covered):
                report.unlisted.append(_rel(p, root))
    report.changed = sorted(set(report.changed))
    return report


def _under(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root if root.is_dir() else root.parent).as_posix()
    except ValueError:
        return str(path)


# --- templates -----------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def load_notices(path: Path = NOTICES) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UserError(f"{path}: cannot read the notice templates ({exc})") from None
    if not isinstance(data, dict) or "notice" not in data:
        raise UserError(f"{path}: not a notice template file (no `notice`)")
    return data


# --- what goes into a package ---------------------------------------------------------------------------


@dataclass
class PackageLink:
    listing: Listing
    mark: BrandMark
    reason: str
    reasons: list[str]
    evidence: Evidence | None = None
    lapsed_certificate: Path | None = None
    lapsed_on: dt.date | None = None
    evidence_dir: str | None = None  # inside the package
    raw_reasons: list[dict[str, Any]] = field(default_factory=list)
    comparison: str | None = None  # side-by-side image inside the package

    @property
    def facts(self) -> str:
        return "; ".join(self.reasons) or self.reason

    def short_facts(self, n: int = 3, width: int = 160) -> str:
        """The ``n`` weightiest reasons, each clipped: what a notice lists per link."""
        clipped = [r if len(r) <= width else r[: width - 1] + "…" for r in self.reasons[:n]]
        more = f" (+{len(self.reasons) - n} more in links.csv)" if len(self.reasons) > n else ""
        return ("; ".join(clipped) or self.reason) + more


@dataclass
class Complaint:
    key: str
    mark: BrandMark
    reason: str
    links: list[PackageLink]
    case_id: int | None = None

    @property
    def directory(self) -> str:
        return f"complaints/{self.key}"


@dataclass
class PackageResult:
    out: Path
    platform: str
    complaints: list[Complaint]
    warnings: list[str]
    skipped: list[str]
    replaced_drafts: int
    files: int

    @property
    def case_ids(self) -> list[int]:
        return [c.case_id for c in self.complaints if c.case_id is not None]

    @property
    def links(self) -> int:
        return sum(len(c.links) for c in self.complaints)


def _chinese_marks(brand: BrandConfig, today: dt.date | None = None) -> list[BrandMark]:
    """Marks with a Chinese registration in force on ``today`` (any, when None)."""
    return [
        m
        for m in brand.marks
        if m.registration is not None
        and m.registration.chinese
        and (today is None or m.registration.expires is None or m.registration.expires >= today)
    ]


def right_for(
    brand: BrandConfig, mark_key: str | None, today: dt.date | None = None
) -> tuple[BrandMark | None, str | None]:
    """The registered right to cite for a listing matched on ``mark_key``, and a note when it differs.

    The matched mark when it has a Chinese registration; otherwise a Chinese-registered mark of the
    brand with the same text (e.g. the word mark for an unregistered combined logo); otherwise the
    brand's first Chinese-registered word mark, noted so the analyst can check it.
    """
    chinese = _chinese_marks(brand, today)
    if not chinese:
        return None, None
    matched = next((m for m in brand.marks if m.id == mark_key), None)
    if matched is not None and matched in chinese:
        return matched, None
    if matched is not None and matched.text:
        same = next((m for m in chinese if m.text and m.text.lower() == matched.text.lower()), None)
        if same is not None:
            return same, f"matched {matched.id} (not registered in China); cites {same.id}"
    word = next((m for m in chinese if m.kind.value == "word"), chinese[0])
    why = f"matched {mark_key}" if mark_key else "no mark recorded"
    return word, f"{why}; cites {word.id}: check it fits"


def reason_for(
    brand: BrandConfig, listing: Listing, reasons: Sequence[dict[str, Any]], today: dt.date
) -> tuple[str, Any]:
    """The complaint reason for a listing (an analyst's ``--reason`` wins), and the lapsed seller if any."""
    lapsed = None
    seller = brand.authorised_seller(listing.platform, listing.seller_id)
    if seller is not None and seller.certificate_expires is not None and seller.certificate_expires < today:
        lapsed = seller
    chosen = listing.review_reason
    if chosen in REASONS:
        return str(chosen), lapsed
    if lapsed is not None:
        return "expired-authorisation", lapsed
    kinds = {str(r.get("kind")) for r in reasons if float(r.get("weight") or 0) > 0}
    return ("counterfeit" if kinds & COUNTERFEIT_KINDS else "unauthorised-use"), lapsed


def latest_evidence(session: Session, listing_ids: Sequence[int]) -> dict[int, Evidence]:
    out: dict[int, Evidence] = {}
    for i in range(0, len(listing_ids), 500):
        chunk = list(listing_ids[i : i + 500])
        rows = session.scalars(
            select(Evidence)
            .where(Evidence.listing_id.in_(chunk), Evidence.state.in_(("live", "gone")))
            .order_by(Evidence.captured_at, Evidence.id)
        )
        for ev in rows:
            out[ev.listing_id] = ev  # the latest wins
    return out


def plan_complaints(
    brand: BrandConfig,
    links: Sequence[PackageLink],
    max_links: int = MAX_LINKS,
) -> list[Complaint]:
    """Group links by (right, reason) and cut each group into complaints of at most ``max_links``."""
    groups: dict[tuple[str, str], list[PackageLink]] = {}
    order = {m.id: n for n, m in enumerate(brand.marks)}
    for link in links:
        groups.setdefault((link.mark.id, link.reason), []).append(link)
    complaints: list[Complaint] = []
    for (mark_id, reason), group in sorted(
        groups.items(), key=lambda kv: (order.get(kv[0][0], 99), REASONS.index(kv[0][1]))
    ):
        group.sort(key=lambda lk: (-(lk.listing.score or 0.0), lk.listing.id))
        for start in range(0, len(group), max_links):
            n = len(complaints) + 1
            complaints.append(
                Complaint(
                    key=f"{n:02d}-{mark_id}-{reason}",
                    mark=brand.mark(mark_id),
                    reason=reason,
                    links=group[start : start + max_links],
                )
            )
    return complaints


def package_dir(out: Path, slug: str, platform: str, when: dt.datetime) -> Path:
    """Where the package goes: ``out`` itself when new or empty; inside a folder of other things, a
    new ``<brand>-<platform>-<UTC time>`` sub-folder; never over an earlier package."""
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        return out
    if not out.is_dir():
        raise UserError(f"{out} is a file: give a folder", param="out")
    if (out / MANIFEST).exists():
        raise UserError(f"{out} already holds a package: choose another folder", param="out")
    inner = out / f"{slug}-{platform}-{when:%Y%m%dT%H%M%SZ}"
    if inner.exists():
        raise UserError(f"{inner} already exists: choose another folder", param="out")
    return inner


def export_package(
    session: Session,
    brand: BrandConfig,
    platform: str,
    out: Path,
    *,
    actor: str = "markwatch",
    now: dt.datetime | None = None,
    max_links: int = MAX_LINKS,
    no_video: bool = False,
    listing_ids: Sequence[int] | None = None,
) -> PackageResult:
    """Build the takedown package for ``brand`` on ``platform`` in ``out`` and its draft cases.

    ``listing_ids`` limits the package to a selection of the confirmed listings (the review console's
    selection); None takes them all. Under the brand's four-eyes rule (``review: {four_eyes: true}``)
    a confirmation no second analyst agreed with is left out (and named in ``skipped``).

    ``out`` is a new or empty folder, or a folder that holds other things, in which a new dated
    sub-folder is made (:func:`package_dir`); ``PackageResult.out`` says where it went.

    Raises :class:`UserError` (and writes nothing) when the brand has no Chinese registration (or
    every one expired), when nothing is confirmed, when ``out`` already holds a package, or when an
    evidence file changed since capture. Never commits. ``no_video`` leaves the captures' videos out
    (their hashes stay in the capture manifests).
    """
    from storage.evidence_files import PackageExtras, record_package, test_buys_for

    platform = platform.lower()
    if platform not in PLATFORMS:
        raise UserError(f"unknown platform {platform!r}: use one of {', '.join(PLATFORMS)}")
    if not 1 <= max_links <= MAX_LINKS:
        raise UserError(f"at most {MAX_LINKS} links per complaint")
    when = now or utcnow()
    today = when.date()
    if not _chinese_marks(brand):
        raise UserError(
            f"brand {brand.slug} has no mark registered in China (CNIPA, or Madrid designating CN): "
            f"{platform} will not act on the complaint; register the mark first, nothing was written"
        )
    if not _chinese_marks(brand, today):
        raise UserError(
            f"every Chinese registration of brand {brand.slug} has expired: renew it (CNIPA) before "
            "filing complaints; nothing was written"
        )
    out = package_dir(Path(out), brand.slug, platform, when)
    brand_id = sync_brand(session, brand)
    listings = list(
        session.scalars(
            select(Listing)
            .where(Listing.brand_id == brand_id, Listing.platform == platform)
            .where(Listing.status == ListingStatus.confirmed.value)
            .order_by(Listing.score.desc().nulls_last(), Listing.id)
        )
    )
    if listing_ids is not None:
        chosen = set(listing_ids)
        listings = [lst for lst in listings if lst.id in chosen]
    if not listings:
        raise UserError(
            f"nothing confirmed for {brand.slug} on {platform}"
            + (" in the selection" if listing_ids is not None else "")
            + ", nothing was written",
            next_step=NextStep.confirm_suspects,
        )
    skipped: list[str] = []
    if brand.review.four_eyes:
        missing = set(four_eyes_missing(session, [lst.id for lst in listings]))
        skipped += [
            f"listing {lst.id} ({lst.item_id}): four-eyes rule, no second analyst has agreed with its "
            "confirmation yet: not reported"
            for lst in listings
            if lst.id in missing
        ]
        listings = [lst for lst in listings if lst.id not in missing]
        if not listings:
            raise UserError(
                f"brand {brand.slug} needs a second analyst's confirmation (four-eyes rule) and no "
                f"confirmed listing on {platform} has one: nothing was written"
            )
    reasons = latest_reasons(session, [lst.id for lst in listings])
    evidence = latest_evidence(session, [lst.id for lst in listings])
    warnings = list(brand.warnings(today))
    links: list[PackageLink] = []
    for lst in listings:
        ev = evidence.get(lst.id)
        if ev is not None and ev.state == "gone":
            skipped.append(
                f"listing {lst.id} ({lst.item_id}) was already gone when captured on "
                f"{ev.captured_at:%Y-%m-%d %H:%M}Z: not reported"
            )
            continue
        url_problem = platform_url_problem(platform, lst.url)
        if url_problem is not None:
            skipped.append(
                f"listing {lst.id} ({display_text(lst.item_id)[:40]}): its URL is not {platform}'s own "
                f"({url_problem}): not reported; check the listing"
            )
            continue
        mark, note = right_for(brand, lst.mark_key, today)
        assert mark is not None  # a Chinese mark exists (checked above)
        if note:
            warnings.append(f"listing {lst.id} ({lst.item_id}): {note}")
        rs = reasons.get(lst.id, [])
        reason, lapsed = reason_for(brand, lst, rs, today)
        link = PackageLink(
            listing=lst,
            mark=mark,
            reason=reason,
            reasons=[
                reason_text(r)
                for r in sorted(rs, key=lambda r: -float(r.get("weight") or 0))
                if float(r.get("weight") or 0) > 0
            ],
            evidence=ev,
            raw_reasons=list(rs),
        )
        if lapsed is not None:
            link.lapsed_on = lapsed.certificate_expires
            link.lapsed_certificate = lapsed.certificate
            if lapsed.certificate is None and reason == "expired-authorisation":
                warnings.append(
                    f"expired distributor {lapsed.name or lapsed.seller_id}: no certificate file in the "
                    "brand file to prove the authorisation lapsed (authorized_sellers[].certificate)"
                )
        links.append(link)
    if not links:
        raise UserError(
            f"nothing to report for {brand.slug} on {platform}: every confirmed listing was already gone "
            "at capture; nothing was written"
        )
    no_evidence = [lk.listing.id for lk in links if lk.evidence is None]
    if no_evidence:
        shown = ", ".join(str(i) for i in no_evidence[:10]) + (" …" if len(no_evidence) > 10 else "")
        warnings.append(
            f"{len(no_evidence)} link(s) have no evidence capture ({shown}): run "
            f"`markwatch evidence capture --brand {brand.slug} --platform {platform}` and export again"
        )
    complaints = plan_complaints(brand, links, max_links)
    extras = PackageExtras(
        no_video=no_video, test_buys=test_buys_for(session, [lk.listing.id for lk in links])
    )

    # earlier drafts for the same brand and platform are replaced
    drafts = list(
        session.scalars(
            select(TakedownCase.id).where(
                TakedownCase.brand_id == brand_id,
                TakedownCase.platform == platform,
                TakedownCase.status == CaseStatus.draft.value,
            )
        )
    )
    if drafts:
        session.execute(delete(TakedownCase).where(TakedownCase.id.in_(drafts)))
    for c in complaints:
        case = create_case(
            session,
            brand_id=brand_id,
            platform=platform,
            mark_key=c.mark.id,
            reason=c.reason,
            listing_ids=[lk.listing.id for lk in c.links],
            package_dir=str(out.resolve() / c.directory),
            actor=actor,
            note=f"package {out.resolve()} complaint {c.key}",
            at=when,
        )
        c.case_id = case.id

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        files = _write_package(tmp, brand, platform, complaints, warnings, skipped, when, extras)
        if out.exists():
            out.rmdir()  # empty (checked above)
        os.replace(tmp, out)
        record_package(
            session,
            brand_id=brand_id,
            platform=platform,
            out=out,
            manifest_sha256=sha256_file(out / MANIFEST),
            actor=actor,
        )
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return PackageResult(
        out=out,
        platform=platform,
        complaints=complaints,
        warnings=warnings,
        skipped=skipped,
        replaced_drafts=len(drafts),
        files=files,
    )


# --- writing -------------------------------------------------------------------------------------------


def _copy_doc(src: Path | None, docs: Path, name: str | None = None) -> str | None:
    if src is None:
        return None
    docs.mkdir(exist_ok=True)
    target = docs / (name or src.name)
    if not target.exists():
        shutil.copy2(src, target)
    return f"documents/{target.name}"


def _copy_evidence(link: PackageLink, dest: Path) -> None:
    ev = link.evidence
    assert ev is not None
    src = Path(ev.directory)
    if not src.is_dir():
        raise UserError(
            f"evidence for listing {link.listing.id} is missing at {src}, nothing was written",
            next_step=NextStep.capture_evidence,
        )
    dest.mkdir(parents=True)
    names = [*ev.files, MANIFEST] if (src / MANIFEST).is_file() else list(ev.files)
    for name in names:
        path = src / name
        expected = ev.files.get(name)
        if not path.is_file():
            raise UserError(f"evidence file {path} is missing: capture listing {link.listing.id} again")
        if expected is not None and sha256_file(path) != expected:
            raise UserError(
                f"evidence file {path} changed since it was captured (SHA-256 differs): it cannot be "
                f"filed; capture listing {link.listing.id} again"
            )
        if name == MANIFEST and ev.manifest_sha256 and sha256_file(path) != ev.manifest_sha256:
            raise UserError(f"evidence manifest {path} changed since capture: capture it again")
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def _registration_line(mark: BrandMark) -> str:
    reg = mark.registration
    assert reg is not None
    return f"{reg.office} {reg.number} (class {', '.join(str(c) for c in reg.classes) or '?'})"


def _link_row(c: Complaint, link: PackageLink) -> dict[str, Any]:
    lst = link.listing
    ev = link.evidence
    return {
        "complaint": c.key,
        "case_id": c.case_id,
        "listing_id": lst.id,
        "platform": lst.platform,
        "item_id": lst.item_id,
        "url": lst.url,
        "right": c.mark.id,
        "registration": _registration_line(c.mark),
        "reason": c.reason,
        "title": lst.title,
        "seller_id": lst.seller_id or "",
        "seller_name": lst.seller_name or "",
        "price": "" if lst.price is None else lst.price,
        "currency": lst.currency or "",
        "score": "" if lst.score is None else round(lst.score, 3),
        "first_seen": lst.first_seen.isoformat(timespec="seconds"),
        "last_seen": lst.last_seen.isoformat(timespec="seconds"),
        "evidence": link.evidence_dir or "",
        "captured_at": ev.captured_at.isoformat(timespec="seconds") + "Z" if ev else "",
        "screenshot_sha256": (ev.files.get("screenshot.png") or "") if ev else "",
        "comparison": link.comparison or "",
        "facts": link.facts,
    }


def write_table(path_csv: Path, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """The same rows as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese) and XLSX."""
    with path_csv.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(neutralised_rows(rows))
    write_xlsx(path_csv.with_suffix(".xlsx"), rows, columns)


def neutralised_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """CSV rows in which no cell is a formula a spreadsheet would run (titles are counterfeiters')."""
    return [{k: csv_cell(v) for k, v in row.items()} for row in rows]


def write_xlsx(
    path: Path, rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str = "links"
) -> None:
    """Rows as an XLSX sheet in which every string is stored as text: a title such as
    ``=HYPERLINK(…)`` stays a string, never a formula, and characters XLSX cannot hold are dropped."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.append(list(columns))
    for row in rows:
        cells = []
        for c in columns:
            cell = WriteOnlyCell(ws, value=_cell(row.get(c)))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl would store a leading "=" as a formula
            cells.append(cell)
        ws.append(cells)
    buf = io.BytesIO()  # built in memory, then written whole: a full disk fails one write, not a zip
    wb.save(buf)
    path.write_bytes(buf.getvalue())


def _cell(value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None:
        return ""
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


class _Fields(dict[str, str]):
    def __missing__(self, key: str) -> str:
        raise UserError(f"notice template uses {{{key}}}, which markwatch does not fill: fix {NOTICES}")


def render_notice(
    brand: BrandConfig, platform: str, c: Complaint, date: dt.date, evidence_lines: Sequence[str]
) -> str:
    t = load_notices()
    reg = c.mark.registration
    assert reg is not None
    holder = brand.rights_holder
    poa = brand.power_of_attorney
    plat = t["platforms"][platform]
    lapsed = next((lk.lapsed_on for lk in c.links if lk.lapsed_on), None)
    reason = t["reasons"][c.reason]
    kind = "post" if platform == "weibo" else "product"
    mark_desc = c.mark.text or f"figurative mark ({c.mark.id})"
    if c.mark.variants:
        mark_desc += " / " + " / ".join(c.mark.variants)
    fields = _Fields(
        rights_holder=_holder_name(brand),
        rights_holder_address=(holder.address if holder and holder.address else "—"),
        contact=(holder.contact if holder and holder.contact else "—"),
        agent=(
            f"{poa.agent} (power of attorney until {poa.expires or 'no end date'})"
            if poa
            else "— (the rights holder files itself)"
        ),
        mark=mark_desc,
        office=reg.office,
        number=reg.number,
        classes=", ".join(str(x) for x in reg.classes) or "—",
        expires=str(reg.expires or "—"),
        owner=reg.owner or (holder.name if holder else "—"),
        platform=f"{plat['zh']} / {plat['en']}",
        reason_zh=reason["zh"].replace("{lapsed}", str(lapsed or "—")),
        reason_en=reason["en"].replace("{lapsed}", str(lapsed or "—")),
        link_count=str(len(c.links)),
        links="\n".join(f"{n}. {lk.listing.url}" for n, lk in enumerate(c.links, 1)),
        evidence="\n".join(evidence_lines) or "—",
        measures_zh=t["measures"][kind]["zh"],
        measures_en=t["measures"][kind]["en"],
        date=date.isoformat(),
        complaint=c.key,
    )
    zh = t["notice"]["zh"].format_map(fields)
    en = t["notice"]["en"].format_map(fields)
    # titles and URLs quoted in the notice are counterfeiters' text: no bidi overrides, no controls
    return display_text(f"{zh.rstrip()}\n\n{'=' * 72}\n\n{en.rstrip()}\n", keep_newlines=True)


#: A CJK font for labels on comparison images (Debian's fonts-noto-cjk); PIL's default otherwise.
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def photo_pair(reasons: Sequence[dict[str, Any]]) -> tuple[Path, Path] | None:
    """The listing photo and the brand photo it matched (the weightiest image reason), if both exist."""
    best: tuple[float, Path, Path] | None = None
    for r in reasons:
        data = r.get("data") or {}
        if r.get("kind") != "image" or not data.get("path") or not data.get("reference"):
            continue
        photo, reference = Path(str(data["path"])), Path(str(data["reference"]))
        weight = float(r.get("weight") or 0)
        if weight > 0 and photo.is_file() and reference.is_file() and (best is None or weight > best[0]):
            best = (weight, photo, reference)
    return None if best is None else (best[1], best[2])


def side_by_side(photo: Path, reference: Path, target: Path, url: str, height: int = 480) -> None:
    """The listing's photo beside the brand's genuine one, labelled: prima facie evidence for a notice."""
    from PIL import Image, ImageDraw, ImageFont

    with Image.open(photo) as a_img, Image.open(reference) as b_img:
        a = a_img.convert("RGB")
        b = b_img.convert("RGB")
    a = a.resize((max(1, a.width * height // a.height), height))
    b = b.resize((max(1, b.width * height // b.height), height))
    band = 64
    canvas = Image.new("RGB", (a.width + b.width + 30, height + band + 10), "white")
    canvas.paste(a, (10, band))
    canvas.paste(b, (a.width + 20, band))
    draw = ImageDraw.Draw(canvas)
    try:
        font: Any = ImageFont.truetype(str(CJK_FONT), 18)
    except OSError:
        font = ImageFont.load_default()
    draw.text((10, 8), "被投诉商品图片 / listing photo", fill="black", font=font)
    draw.text((a.width + 20, 8), "权利人正品图片 / genuine product", fill="black", font=font)
    draw.text((10, 34), url[:110], fill="#555555", font=font)
    canvas.save(target, format="PNG")


def _holder_name(brand: BrandConfig) -> str:
    holder = brand.rights_holder
    if holder is None:
        return "—"
    return f"{holder.name_zh} ({holder.name})" if holder.name_zh else holder.name


def _evidence_lines(c: Complaint) -> list[str]:
    lines = []
    for n, lk in enumerate(c.links, 1):
        ev = lk.evidence
        if ev is not None and lk.evidence_dir:
            shot = ev.files.get("screenshot.png", "")
            lines.append(
                f"{n}. {lk.evidence_dir}/ — 网页截图与源码 / full-page screenshot and HTML, captured "
                f"{ev.captured_at:%Y-%m-%d %H:%M:%S}Z, screenshot SHA-256 {shot}; {lk.short_facts()}"
            )
        else:
            lines.append(f"{n}. (无网页取证 / no capture) {lk.short_facts()}")
        if lk.comparison:
            lines.append(f"   正品比对图 / side-by-side comparison with the genuine product: {lk.comparison}")
        if lk.lapsed_certificate is not None:
            lines.append(
                f"   原授权书（已于 {lk.lapsed_on} 到期）/ former authorisation, lapsed {lk.lapsed_on}: "
                f"documents/{lk.lapsed_certificate.name}"
            )
    return lines


def _write_package(
    root: Path,
    brand: BrandConfig,
    platform: str,
    complaints: Sequence[Complaint],
    warnings: list[str],
    skipped: Sequence[str],
    when: dt.datetime,
    extras: Any = None,
) -> int:
    from storage.evidence_files import VERIFY_MD, PackageExtras, verify_md

    extras = extras if extras is not None else PackageExtras()
    t = load_notices()
    docs = root / "documents"
    all_rows: list[dict[str, Any]] = []
    documents: dict[str, list[str]] = {
        "certificate": [],
        "power_of_attorney": [],
        "business_licence": [],
        "lapsed_certificates": [],
    }
    holder = brand.rights_holder
    if holder is not None and holder.business_licence is not None:
        documents["business_licence"].append(_copy_doc(holder.business_licence, docs) or "")
    poa = brand.power_of_attorney
    if poa is not None and poa.file is not None:
        documents["power_of_attorney"].append(_copy_doc(poa.file, docs) or "")
    for c in complaints:
        cdir = root / c.directory
        cdir.mkdir(parents=True)
        reg = c.mark.registration
        assert reg is not None
        if reg.certificate is not None:
            copied = _copy_doc(reg.certificate, docs)
            if copied and copied not in documents["certificate"]:
                documents["certificate"].append(copied)
        else:
            warnings.append(f"mark {c.mark.id}: no registration certificate file in the brand file")
        for lk in c.links:
            if lk.evidence is not None:
                rel = f"evidence/{lk.listing.platform}-{_safe(lk.listing.item_id)}"
                _copy_evidence(lk, cdir / rel)
                extras.after_capture_copy(root, Path(lk.evidence.directory), cdir / rel)
                lk.evidence_dir = f"{c.directory}/{rel}"
            pair = photo_pair(lk.raw_reasons)
            if pair is not None:
                rel = f"comparisons/{lk.listing.platform}-{_safe(lk.listing.item_id)}.png"
                (cdir / "comparisons").mkdir(exist_ok=True)
                side_by_side(pair[0], pair[1], cdir / rel, lk.listing.url)
                lk.comparison = f"{c.directory}/{rel}"
            if lk.lapsed_certificate is not None:
                copied = _copy_doc(lk.lapsed_certificate, docs)
                if copied and copied not in documents["lapsed_certificates"]:
                    documents["lapsed_certificates"].append(copied)
        rows = [_link_row(c, lk) for lk in c.links]
        all_rows += rows
        buys = extras.write_test_buys(cdir, c.links)
        if buys:
            from storage.evidence_files import TESTBUY_COLUMNS

            write_table(cdir / "testbuys.csv", buys, TESTBUY_COLUMNS)
        (cdir / "urls.txt").write_text("\n".join(lk.listing.url for lk in c.links) + "\n", encoding="utf-8")
        reason = t["reasons"][c.reason]
        lapsed = next((lk.lapsed_on for lk in c.links if lk.lapsed_on), None)
        (cdir / "reason.txt").write_text(
            f"{c.reason}\n\n{reason['zh']}\n\n{reason['en']}\n".replace("{lapsed}", str(lapsed or "—")),
            encoding="utf-8",
        )
        (cdir / "notice.txt").write_text(
            render_notice(brand, platform, c, when.date(), _evidence_lines(c)), encoding="utf-8"
        )
        write_table(cdir / "links.csv", rows, LINK_COLUMNS)
        if platform == "jd":
            write_table(
                cdir / "facts.csv",
                [{"url": r["url"], "right": r["registration"], "facts": r["facts"]} for r in rows],
                ("url", "right", "facts"),
            )
        if platform == "weibo":
            write_table(cdir / "connection.csv", [_connection(c, lk) for lk in c.links], CONNECTION_COLUMNS)
    write_table(root / "links.csv", all_rows, LINK_COLUMNS)
    (root / "checklist.md").write_text(
        display_text(
            _checklist(
                brand,
                platform,
                complaints,
                documents,
                warnings,
                skipped,
                when,
                test_buys=extras.checklist_state(len(all_rows)),
            ),
            keep_newlines=True,
        ),
        encoding="utf-8",
    )
    (root / VERIFY_MD).write_text(verify_md(root, extras, len(all_rows)), encoding="utf-8")
    data = {
        "tool": "markwatch",
        "kind": "takedown-package",
        "created_at": when.isoformat(timespec="seconds") + "Z",
        "brand": brand.slug,
        "platform": platform,
        "portal": t["platforms"][platform]["portal"],
        "complaints": [
            {
                "key": c.key,
                "case_id": c.case_id,
                "right": c.mark.id,
                "registration": _registration_line(c.mark),
                "reason": c.reason,
                "links": len(c.links),
                "directory": c.directory,
            }
            for c in complaints
        ],
        "warnings": warnings,
        "skipped": list(skipped),
        "omitted": extras.omitted,
    }
    write_manifest(root, data, sums=True)
    return len(_walk_files(root))


CONNECTION_COLUMNS = (
    "url",
    "poster_id",
    "poster",
    "right",
    "registration",
    "mark_matched",
    "text",
    "why",
    "evidence",
)


def _connection(c: Complaint, lk: PackageLink) -> dict[str, Any]:
    """Weibo: why this post is connected to the right (what it shows of the mark, and who posts it)."""
    lst = lk.listing
    return {
        "url": lst.url,
        "poster_id": lst.seller_id or "",
        "poster": lst.seller_name or "",
        "right": c.mark.id,
        "registration": _registration_line(c.mark),
        "mark_matched": lst.mark_key or "",
        "text": lst.title,
        "why": lk.facts,
        "evidence": lk.evidence_dir or "",
    }


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)[:80]


def _checklist(
    brand: BrandConfig,
    platform: str,
    complaints: Sequence[Complaint],
    documents: dict[str, list[str]],
    warnings: Iterable[str],
    skipped: Sequence[str],
    when: dt.datetime,
    test_buys: str = "test buys: supply by hand",
) -> str:
    t = load_notices()
    family = PLATFORM_FAMILY[platform]
    plat = t["platforms"][platform]
    lapsed_needed = any(c.reason == "expired-authorisation" for c in complaints)
    with_evidence = sum(1 for c in complaints for lk in c.links if lk.evidence is not None)
    total = sum(len(c.links) for c in complaints)
    lines = [
        f"# Takedown package: {brand.name} on {plat['en']} ({plat['zh']})",
        "",
        f"File at: {plat['portal']}. Built {when:%Y-%m-%d %H:%M}Z by markwatch: "
        f"{len(complaints)} complaint(s), {total} link(s).",
        "",
        "## Documents the platform requires",
        "",
    ]
    for item in t["checklists"][family]:
        source = item.get("source")
        if source in documents:
            found = [d for d in documents[source] if d]
            if source == "lapsed_certificates" and not lapsed_needed:
                state = "not needed (no expired-authorisation complaint)"
            elif found:
                state = "included: " + ", ".join(found)
            else:
                state = "MISSING: add it to the brand file or supply it by hand"
        elif source == "package":
            state = f"included: {len(complaints)} complaint(s) under complaints/ (urls.txt, links.csv/xlsx)"
        elif source == "evidence":
            compared = sum(1 for c in complaints for lk in c.links if lk.comparison)
            state = f"captures included for {with_evidence} of {total} link(s)" + (
                "" if with_evidence == total else " — MISSING for the rest"
            )
            state += f"; side-by-side photo comparisons for {compared}; {test_buys}"
        elif source == "notice":
            state = "included: the statement in each notice.txt"
        elif source == "connection":
            state = "included: connection.csv in each complaint"
        else:
            state = "supply by hand"
        lines.append(f"- [ ] {item['doc']} / {item['zh']} — {state}")
    lines += ["", "## Complaints", ""]
    for c in complaints:
        lines.append(
            f"- {c.key}: case {c.case_id}, right {c.mark.id} {_registration_line(c.mark)}, "
            f"reason {c.reason}, {len(c.links)} link(s)"
        )
    lines += ["", "## Warnings", ""]
    ws = list(warnings)
    lines += [f"- {w}" for w in ws] or ["- none"]
    if skipped:
        lines += ["", "## Not included", ""] + [f"- {s}" for s in skipped]
    lines += [
        "",
        "## After filing",
        "",
        "Record each complaint's number: `markwatch takedown submit CASE --number N` "
        "(its listings then count as reported), and the platform's answer with `markwatch takedown status`.",
        "",
    ]
    return "\n".join(lines)
