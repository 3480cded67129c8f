"""``evidence verify``: files against manifests, manifests against the timestamped tree, tokens against
the TSA's certificate, and (optionally) manifests against the hashes the database recorded.

Works on captures where they were made, on a copy moved elsewhere and inside a takedown package: it
reads only the folder (and the database, when asked). It fails when it matched nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence.merkle import root_from_proof
from evidence.timestamp import CA, PROOF, TIMESTAMP_FILES, TOKEN, check_token, message_for, token_time
from markwatch.errors import UserError
from storage.exports import MANIFEST, sha256_file, verify_tree

#: How far a token's time may precede the capture time the manifest states (clock skew).
SKEW = dt.timedelta(minutes=10)


@dataclass
class Report:
    manifests: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)
    stamped: list[str] = field(default_factory=list)  # lines: what each verified token says
    untimed: list[str] = field(default_factory=list)  # captures without a token
    omitted: list[str] = field(default_factory=list)  # left out of a package on purpose (--no-video)
    db_matched: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _rel(path: Path, root: Path) -> str:
    base = root if root.is_dir() else root.parent
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def _load(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def verify_folder(root: Path, *, ca: Path | None = None, recorded: Iterable[str] | None = None) -> Report:
    """Check everything under ``root`` (a capture, a folder of captures, or a takedown package).

    ``ca`` is the TSA CA certificate to trust (default: the ``tsa-ca.pem`` kept with each token, which
    proves only that the token matches the CA recorded at capture). ``recorded`` are the manifest
    hashes the database holds: every manifest must be among them.
    """
    root = Path(root)
    tree = verify_tree(root)  # raises UserError when there is no manifest at all
    report = Report(manifests=tree.manifests, files=tree.checked)
    manifests = sorted(root.rglob(MANIFEST)) if root.is_dir() else [root]
    # files a package left out on purpose (their hashes stay in the manifests)
    omitted: set[str] = set()
    for m in manifests:
        data = _load(m) or {}
        for name in data.get("omitted") or []:
            omitted.add(_rel(m.parent / str(name), root))
    for name in tree.changed:
        report.problems.append(f"CHANGED  {name}")
    for name in tree.missing:
        if name in omitted:
            report.omitted.append(name)
        else:
            report.problems.append(f"MISSING  {name}")
    for name in tree.unlisted:
        if Path(name).name in TIMESTAMP_FILES and (root / name).parent.joinpath(MANIFEST).is_file():
            continue  # written after the manifest, checked below
        report.problems.append(f"ADDED    {name}")
    trusted = ca.read_bytes() if ca is not None else None
    for m in manifests:
        capture = _load(m)
        if capture is None or capture.get("kind") != "evidence-capture":
            continue
        folder = m.parent
        where = _rel(folder, root) if root.is_dir() else folder.name
        proof_path = folder / PROOF
        if not proof_path.is_file():
            report.untimed.append(where)
            continue
        report.problems += _check_stamp(folder, where, capture, trusted, report)
    if recorded is not None:
        known = set(recorded)
        report.db_matched = 0
        for m in manifests:
            digest = sha256_file(m)
            if digest in known:
                report.db_matched += 1
            else:
                kind = (_load(m) or {}).get("kind", "manifest")
                report.problems.append(
                    f"NOT IN DB {_rel(m, root)} ({kind}: its SHA-256 {digest[:16]}… is not a manifest the "
                    "database recorded)"
                )
        if report.db_matched == 0:
            report.problems.append(f"NOTHING MATCHED: no manifest under {root} is recorded in this database")
    return report


def _check_stamp(
    folder: Path, where: str, manifest: dict[str, Any], trusted: bytes | None, report: Report
) -> list[str]:
    record = _load(folder / PROOF)
    if record is None:
        return [f"TIMESTAMP {where}/{PROOF}: not a timestamp record (damaged)"]
    leaf = sha256_file(folder / MANIFEST)
    if record.get("leaf") != leaf:
        return [
            f"TIMESTAMP {where}/{MANIFEST}: changed since it was timestamped (its SHA-256 is not the leaf)"
        ]
    try:
        root = root_from_proof(leaf, record.get("proof") or [])
    except ValueError as exc:
        return [f"TIMESTAMP {where}/{PROOF}: malformed inclusion proof ({exc})"]
    if root != record.get("root"):
        return [f"TIMESTAMP {where}/{PROOF}: the inclusion proof does not lead to the timestamped root"]
    token_path = folder / TOKEN
    if not token_path.is_file():
        return [f"TIMESTAMP {where}/{TOKEN}: missing"]
    ca_pem = trusted
    if ca_pem is None:
        if not (folder / CA).is_file():
            return [f"TIMESTAMP {where}/{CA}: missing (give the TSA's CA certificate with --ca)"]
        ca_pem = (folder / CA).read_bytes()
    token = token_path.read_bytes()
    problem = check_token(token, message_for(root), ca_pem)
    if problem is not None:
        return [f"TIMESTAMP {where}/{TOKEN}: {problem}"]
    when = token_time(token)
    captured = str(manifest.get("captured_at") or "")
    try:
        at = dt.datetime.fromisoformat(captured.rstrip("Z")).replace(tzinfo=dt.UTC)
    except ValueError:
        return [f"TIMESTAMP {where}/{MANIFEST}: no capture time to compare with the token's"]
    if when < at - SKEW:
        return [
            f"TIMESTAMP {where}/{TOKEN}: the token's time {when:%Y-%m-%d %H:%M:%S}Z is before the capture "
            f"time {at:%Y-%m-%d %H:%M:%S}Z the manifest states"
        ]
    report.stamped.append(
        f"{where}: manifest in a tree of {record.get('leaves')} timestamped {when:%Y-%m-%d %H:%M:%S}Z "
        f"by {record.get('tsa_url')}"
    )
    return []


def recorded_manifests(session: Any) -> set[str]:
    """Every manifest hash the database recorded: captures and takedown packages."""
    from sqlalchemy import select

    from storage.models import Evidence, EvidencePackage

    out = {h for (h,) in session.execute(select(Evidence.manifest_sha256)) if h}
    out |= {h for (h,) in session.execute(select(EvidencePackage.manifest_sha256)) if h}
    return out


def require_something(report: Report, root: Path) -> None:
    if report.manifests == 0:
        raise UserError(f"{root}: no manifest could be read: not an evidence capture or a takedown package")
