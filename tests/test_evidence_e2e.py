"""End to end on the sandbox: crawl, confirm, capture in real Chromium, export every platform, re-listing.

The crawls run ``markwatch crawl`` in a subprocess (Twisted's reactor starts once per process) against
a sandbox served from this process, so the test can move the sandbox's clock between crawls.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.cli import cli
from crawler.evidence import CHROMIUM
from storage.db import ready_engine
from storage.exports import MAX_LINKS, verify_tree
from storage.models import CaseListing, Evidence, Listing, ReviewDecision, TakedownCase

MARKWATCH = Path(sys.executable).parent / "markwatch"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason=f"Chromium not installed at {CHROMIUM}"),
    pytest.mark.skipif(
        importlib.util.find_spec("crawler.cli.crawl") is None or not MARKWATCH.is_file(),
        reason="the crawl command has not landed",
    ),
]


def _crawl(db: str, sandbox: str, photos: Path, *platforms: str, pages: int = 1) -> None:
    args = [str(MARKWATCH), "--db", db, "crawl", "veloria", "--sandbox", sandbox, "--no-progress"]
    args += ["--max-pages", str(pages), "--photos-dir", str(photos)]
    for p in platforms:
        args += ["--platform", p]
    done = subprocess.run(args, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def _cli(db: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", db, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_sandbox_crawl_confirm_capture_export_and_relisting(tmp_path: Path) -> None:
    from sandbox import serve

    db = f"sqlite:///{tmp_path / 'e2e.db'}"
    ready_engine(db).dispose()
    photos = tmp_path / "photos"
    with serve(seed=1, size=200, legacy=True) as sb:
        _crawl(db, sb.url, photos, "taobao", "jd", "weibo")
        truth = {(r["platform"], r["item_id"]): r for r in sb.truth(brand="veloria")}
        future = {(r["platform"], r["item_id"]): r for e in range(1, 4) for r in sb.truth(epoch=e)}
        engine = ready_engine(db)
        with Session(engine) as s:
            stored = {(lst.platform, lst.item_id): lst.id for lst in s.scalars(select(Listing))}
            suspects = [
                (lst.platform, lst.item_id, lst.id)
                for lst in s.scalars(select(Listing).where(Listing.suspect.is_(True)))
            ]
        # the analyst confirms the suspects the sandbox says infringe
        confirm = [lid for p, i, lid in suspects if truth.get((p, i), {}).get("infringing")]
        assert len(confirm) >= 5
        _cli(db, "review", *map(str, confirm), "--confirm", "--actor", "lin", "--note", "e2e")
        # a counterfeit that the sandbox removes at epoch 1 and its seller re-posts with the same photos
        pair = next(
            (r, stored[("taobao", r["relisted_from"])])
            for r in future.values()
            if r["platform"] == "taobao"
            and r.get("relisted_from")
            and stored.get(("taobao", r["relisted_from"])) in confirm
            and r["born"] == 1
        )
        _, original_id = pair
        # evidence in real Chromium from the sandbox's item and post pages (a few per platform keeps it quick)
        with Session(engine) as s:
            by_platform: dict[str, list[int]] = {}
            for lid in confirm:
                lst = s.get(Listing, lid)
                assert lst is not None
                by_platform.setdefault(lst.platform, []).append(lid)
        picks = [
            original_id,
            *[i for i in by_platform["taobao"] if i != original_id][:2],
            *by_platform.get("tmall", [])[:1],
            *by_platform["jd"][:2],
            *by_platform["weibo"][:2],  # weibo.com/<uid>/<bid> status pages
        ]
        out = _cli(
            db, "evidence", "capture", *map(str, picks), "--sandbox", sb.url, "--out", str(tmp_path / "ev")
        )
        assert f"{len(picks)} captured, 0 gone, 0 failed" in out
        assert verify_tree(tmp_path / "ev").ok
        with Session(engine) as s:
            assert {e.listing_id for e in s.scalars(select(Evidence))} == set(picks)
        # a package per platform
        for platform in ("taobao", "tmall", "jd", "weibo"):
            pkg = tmp_path / f"pkg-{platform}"
            args = [
                "--db",
                db,
                "takedown",
                "export",
                "--platform",
                platform,
                "--brand",
                "veloria",
                "--out",
                str(pkg),
            ]
            result = CliRunner().invoke(cli, args)
            if platform not in by_platform:  # nothing confirmed there: one line, nothing written
                assert result.exit_code == 2 and "nothing confirmed" in result.output and not pkg.exists()
                continue
            assert result.exit_code == 0, result.output
            manifest = json.loads((pkg / "manifest.json").read_text(encoding="utf-8"))
            assert manifest["complaints"]
            for c in manifest["complaints"]:
                assert c["links"] <= MAX_LINKS
                with (pkg / c["directory"] / "links.csv").open(encoding="utf-8-sig") as fh:
                    rows = list(csv.DictReader(fh))
                assert {r["right"] for r in rows} == {c["right"]}  # one registered right per complaint
                assert len((pkg / c["directory"] / "urls.txt").read_text().splitlines()) == c["links"]
            assert verify_tree(pkg).ok
            shots = list(pkg.glob("complaints/*/evidence/*/screenshot.png"))
            assert shots, f"no evidence in the {platform} package"
            shots[0].write_bytes(shots[0].read_bytes()[:-10])
            report = verify_tree(pkg)
            assert report.changed == [shots[0].relative_to(pkg).as_posix()]
        # file the taobao complaint holding the original; the platform removes it
        with Session(engine) as s:
            case_id = s.scalars(
                select(TakedownCase.id).where(
                    TakedownCase.platform == "taobao", TakedownCase.links.any(listing_id=original_id)
                )
            ).one()
        _cli(db, "takedown", "submit", str(case_id), "--number", "IPP-E2E-1", "--actor", "lin")
        _cli(db, "takedown", "status", str(case_id), "--set", "removed", "--actor", "lin")
        # the next crawl, a day later: sellers have re-posted removed listings under new item ids
        sb.advance(1)
        _crawl(db, sb.url, photos, "taobao", pages=3)
        now = {(r["platform"], r["item_id"]): r for r in sb.truth()}
        with Session(engine) as s:
            in_case = select(CaseListing.listing_id).where(CaseListing.case_id == case_id)
            case_listings = list(s.scalars(select(Listing).where(Listing.id.in_(in_case))))
            by_item = {lst.item_id: lst for lst in case_listings}
            planted = [
                r["item_id"]
                for (p, _), r in now.items()
                if p == "taobao" and r.get("relisted_from") in by_item and r["status"] == "live"
            ]
            reposted = list(
                s.scalars(select(Listing).where(Listing.platform == "taobao", Listing.item_id.in_(planted)))
            )
            assert reposted, "the crawl found none of the re-posted listings"
            relisted_ids = []
            for new in reposted:
                original = by_item[now[("taobao", new.item_id)]["relisted_from"]]
                assert new.status == "relisted", new.item_id
                earlier = s.get(Listing, new.relisted_from)
                assert earlier is not None and earlier.id in {lst.id for lst in case_listings}
                assert earlier.seller_id == original.seller_id and earlier.status == "removed"
                (decision,) = s.scalars(select(ReviewDecision).where(ReviewDecision.listing_id == new.id))
                note = decision.note or ""
                assert decision.actor == "markwatch" and f"listing {earlier.id}" in note
                assert "same seller" in note and "same photo" in note, note
                relisted_ids.append(new.id)
            # the platform "removed" the whole complaint; the sandbox still shows some of it: flagged
            flagged = [lst for lst in case_listings if "seen_after_takedown" in (lst.extra or {})]
            assert flagged, "no removed listing of the case was flagged as still live"
            assert all(now[(lst.platform, lst.item_id)]["status"] == "live" for lst in flagged)
            really_gone = [
                lst for lst in case_listings if now[(lst.platform, lst.item_id)]["status"] != "live"
            ]
            assert really_gone and not set(really_gone) & set(flagged)
        engine.dispose()
    rows = json.loads(_cli(db, "suspects", "--brand", "veloria", "--format", "json"))
    flags = {r["id"]: r["flags"] for r in rows}
    assert all(flags[i][0].startswith("relisting of #") for i in relisted_ids)
    assert {r["id"] for r in rows[: len(relisted_ids)]} == set(relisted_ids)  # re-listings lead the queue
