"""What a takedown package carries beyond the notices: timestamp tokens and proofs, WARC files and
videos (or their hashes, with ``--no-video``), test buys, a size summary, and ``VERIFY.md`` telling
platform staff how to check it all with ``sha256sum`` and OpenSSL alone.

Called from :mod:`storage.exports` while a package is written; also records each package's manifest
hash in the database (:class:`~storage.models.EvidencePackage`).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from markwatch.errors import UserError
from storage.models import EvidencePackage, TestBuy

#: Written beside a capture's manifest after it (the run's RFC 3161 token, the inclusion proof, the CA).
TIMESTAMP_FILES = ("timestamp.tsr", "timestamp.json", "tsa-ca.pem")
VIDEO = "video.webm"
WARC = "page.warc.gz"
VERIFY_MD = "VERIFY.md"

TESTBUY_COLUMNS = (
    "listing_id",
    "url",
    "test_buy",
    "order_number",
    "paid",
    "currency",
    "ordered_at",
    "received_at",
    "notary",
    "photos",
)


def test_buys_for(session: Session, listing_ids: Sequence[int]) -> dict[int, list[TestBuy]]:
    """Each listing's test buys, oldest first."""
    out: dict[int, list[TestBuy]] = {}
    for i in range(0, len(listing_ids), 500):
        chunk = list(listing_ids[i : i + 500])
        for row in session.scalars(
            select(TestBuy).where(TestBuy.listing_id.in_(chunk)).order_by(TestBuy.ordered_at, TestBuy.id)
        ):
            out.setdefault(row.listing_id, []).append(row)
    return out


test_buys_for.__test__ = False  # type: ignore[attr-defined]


HEX64 = re.compile(r"[0-9a-f]{64}")


def checked_record(path: Path, manifest: Path) -> dict[str, Any]:
    """A capture's ``timestamp.json``, checked before its values go into VERIFY.md's shell lines: the
    leaf is the manifest's hash, every step is ``L``/``R`` and 64 hex digits, and they lead to the root."""
    import hashlib

    from storage.exports import sha256_file

    def damaged(why: str) -> UserError:
        return UserError(f"{path}: the timestamp record is damaged ({why}): it cannot be packaged")

    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise damaged("not JSON") from None
    if not isinstance(record, dict):
        raise damaged("not a record")
    leaf, root, proof = record.get("leaf"), record.get("root"), record.get("proof")
    if not (
        isinstance(leaf, str) and HEX64.fullmatch(leaf) and isinstance(root, str) and HEX64.fullmatch(root)
    ):
        raise damaged("leaf or root is not a SHA-256")
    if leaf != sha256_file(manifest):
        raise damaged("the manifest changed since it was timestamped")
    h = leaf
    for step in proof if isinstance(proof, list) else [None]:
        if not (isinstance(step, list) and len(step) == 2 and step[0] in ("L", "R")):
            raise damaged("malformed proof step")
        sib = step[1]
        if not (isinstance(sib, str) and HEX64.fullmatch(sib)):
            raise damaged("a proof step is not a SHA-256")
        pair = sib + h if step[0] == "L" else h + sib
        h = hashlib.sha256(pair.encode("ascii")).hexdigest()
    if h != root:
        raise damaged("the proof does not lead to the root")
    clean = {
        k: "".join(c for c in str(record.get(k, "")) if c.isprintable())[:200]
        for k in ("gen_time", "tsa_url")
    }
    return {**record, **clean}


@dataclass
class PackageExtras:
    """Options and what was added, for one package being written."""

    no_video: bool = False
    test_buys: dict[int, list[TestBuy]] = field(default_factory=dict)
    omitted: list[str] = field(default_factory=list)  # relative to the package root
    omitted_bytes: int = 0
    stamped: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # capture dir, timestamp.json
    untimed: list[str] = field(default_factory=list)
    buys_included: int = 0

    def after_capture_copy(self, root: Path, src: Path, dest: Path) -> None:
        """Copy the capture's timestamp files; take the video out with ``--no-video``."""
        for name in TIMESTAMP_FILES:
            if (src / name).is_file():
                shutil.copy2(src / name, dest / name)
        rel = dest.relative_to(root).as_posix()
        record = dest / "timestamp.json"
        if record.is_file():
            self.stamped.append((rel, checked_record(record, dest / "manifest.json")))
        elif (dest / "manifest.json").is_file():
            self.untimed.append(rel)
        if self.no_video and (dest / VIDEO).is_file():
            self.omitted.append(f"{rel}/{VIDEO}")
            self.omitted_bytes += (dest / VIDEO).stat().st_size
            (dest / VIDEO).unlink()

    def write_test_buys(self, cdir: Path, links: Sequence[Any]) -> list[dict[str, Any]]:
        """``testbuys.csv`` and ``testbuys/`` (photos) for the complaint's links that were test-bought."""
        from storage.exports import sha256_file

        rows: list[dict[str, Any]] = []
        for lk in links:
            for buy in self.test_buys.get(lk.listing.id, []):
                names = []
                for photo in buy.photos or []:
                    src = Path(str(photo.get("path") or ""))
                    file = str(photo.get("file") or "")
                    if not src.is_file() or sha256_file(src) != photo.get("sha256"):
                        raise UserError(
                            f"test-buy photo {file or src} of test buy {buy.id} is missing or changed: "
                            "put it back in the photo store (or record the test buy again); "
                            "nothing was written"
                        )
                    target = cdir / "testbuys" / file
                    target.parent.mkdir(parents=True, exist_ok=True)
                    if not target.exists():
                        shutil.copy2(src, target)
                    names.append(f"testbuys/{file} ({photo.get('stage')}: {photo.get('name')})")
                rows.append(
                    {
                        "listing_id": lk.listing.id,
                        "url": lk.listing.url,
                        "test_buy": buy.id,
                        "order_number": buy.order_number,
                        "paid": buy.paid,
                        "currency": buy.currency,
                        "ordered_at": buy.ordered_at.isoformat(timespec="minutes"),
                        "received_at": buy.received_at.isoformat(timespec="minutes")
                        if buy.received_at
                        else "",
                        "notary": buy.notary or "",
                        "photos": "; ".join(names),
                    }
                )
        self.buys_included += len(rows)
        return rows

    def checklist_state(self, total_links: int) -> str:
        if not self.buys_included:
            return "test buys: supply by hand (none recorded: markwatch testbuy add)"
        return (
            f"test-buy report with order number: included for {self.buys_included} test buy(s) "
            "(testbuys.csv and testbuys/ in each complaint)"
        )


def sizes(root: Path) -> dict[str, int]:
    """Bytes in the package by kind of file."""
    out = {"total": 0, "warc": 0, "video": 0, "screenshots": 0, "html": 0, "timestamps": 0, "other": 0}
    for p in root.rglob("*"):
        if not p.is_file():
            continue
        n = p.stat().st_size
        out["total"] += n
        if p.name == WARC:
            out["warc"] += n
        elif p.name == VIDEO:
            out["video"] += n
        elif p.name == "screenshot.png":
            out["screenshots"] += n
        elif p.name == "page.html":
            out["html"] += n
        elif p.name in TIMESTAMP_FILES:
            out["timestamps"] += n
        else:
            out["other"] += n
    return out


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


def verify_md(root: Path, extras: PackageExtras, links: int) -> str:
    """``VERIFY.md``: how to check the package with ``sha256sum`` and OpenSSL alone."""
    size = sizes(root)
    lines = [
        "# How to verify this package",
        "",
        "Everything here can be checked without markwatch, with `sha256sum` (GNU coreutils) and `openssl`",
        "(1.1 or later). Run the commands from this folder, in a POSIX shell.",
        "",
        "## What is here",
        "",
        f"- {links} link(s); captures with a trusted timestamp: {len(extras.stamped)}; without: "
        f"{len(extras.untimed)}.",
        f"- Size: {_mb(size['total'])} in all — web archives (WARC) {_mb(size['warc'])}, videos "
        f"{_mb(size['video'])}, screenshots {_mb(size['screenshots'])}, HTML {_mb(size['html'])}, "
        f"timestamps {_mb(size['timestamps'])}, other {_mb(size['other'])}.",
    ]
    if extras.omitted:
        lines.append(
            f"- Videos left out of this package ({len(extras.omitted)}, {_mb(extras.omitted_bytes)}): "
            "their SHA-256 stays in each capture's manifest.json, so the originals can be checked "
            "when asked for."
        )
    lines += [
        "",
        "## 1. Every file is as it was packaged",
        "",
        "```sh",
        "sha256sum -c SHA256SUMS",
        "```",
        "",
        "Every line must end in `OK`. `SHA256SUMS` covers `manifest.json`, which lists every file again.",
        "",
        "## 2. Each capture was timestamped by a time-stamping authority (RFC 3161)",
        "",
        "Each capture run was timestamped once: the SHA-256 hashes of the run's capture manifests are",
        "the leaves of a Merkle tree; a parent is the SHA-256 of its two children's hex strings written one",
        "after the other (`printf '%s%s' LEFT RIGHT | sha256sum`); a node without a sibling is carried up.",
        "The authority signed the SHA-256 of the root's 64 hex characters. `timestamp.json` in each capture",
        "holds the proof (the siblings from the manifest up: `L` = the sibling is on the left). The commands",
        "below recompute the root from `manifest.json`, compare it with the recorded root, and have OpenSSL",
        "check the token's signature, certificate chain and imprint; `openssl ts -reply -in timestamp.tsr",
        "-text` prints the authority's time (`Time stamp:`).",
        "",
        "`tsa-ca.pem` is the CA certificate the token was checked against when captured: compare its",
        "fingerprint (`openssl x509 -in tsa-ca.pem -noout -fingerprint -sha256`) with the one the",
        "time-stamping authority publishes, or pass the authority's own CA file to `-CAfile` instead.",
        "",
    ]
    if not extras.stamped:
        lines += ["No capture in this package has a trusted timestamp (no authority was configured).", ""]
    for rel, record in extras.stamped:
        proof = record.get("proof") or []
        root_hex = str(record.get("root", ""))
        lines += [f"### {rel}", "", f"Timestamped {record.get('gen_time')} by {record.get('tsa_url')}.", ""]
        lines += ["```sh", f"( cd {shlex.quote(rel)} && set -e"]
        lines.append("  h=$(sha256sum manifest.json | cut -c1-64)")
        for side, sib in proof:
            pair = f'"{sib}" "$h"' if side == "L" else f'"$h" "{sib}"'
            lines.append(f"  h=$(printf '%s%s' {pair} | sha256sum | cut -c1-64)")
        lines += [
            f'  test "$h" = "{root_hex}" && echo "inclusion proof: OK"',
            '  openssl ts -verify -digest "$(printf \'%s\' "$h" | sha256sum | cut -c1-64)" '
            "-in timestamp.tsr -CAfile tsa-ca.pem",
            ")",
            "```",
            "",
        ]
    if extras.untimed:
        lines += [
            "Captures without a trusted timestamp (their time is the capturing machine's clock only):",
            "",
        ]
        lines += [f"- {rel}" for rel in extras.untimed] + [""]
    lines += [
        "## 3. The archived page",
        "",
        "`page.warc.gz` in each capture is a standard WARC file (ISO 28500) of every response the page",
        "loaded; any WARC player (e.g. ReplayWeb.page, pywb) replays it offline. `video.webm` records the",
        "capture session; `capture-log.json` describes the browser and every navigation.",
        "",
    ]
    return "\n".join(lines)


def record_package(
    session: Session, *, brand_id: int, platform: str, out: Path, manifest_sha256: str, actor: str
) -> EvidencePackage:
    size = sizes(out)
    row = EvidencePackage(
        brand_id=brand_id,
        platform=platform,
        directory=str(out.resolve()),
        manifest_sha256=manifest_sha256,
        actor=actor,
        files=sum(1 for p in out.rglob("*") if p.is_file()),
        bytes=size["total"],
    )
    session.add(row)
    session.flush()
    return row
