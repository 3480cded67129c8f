"""Trusted time and verification without a browser: a local RFC 3161 TSA (``openssl ts -reply`` with a
test CA made by the ``openssl`` CLI), the Merkle tree, ``evidence verify`` on a run, on a moved copy and
on an exported package, each kind of tampering named, and ``VERIFY.md``'s OpenSSL commands run."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crawler.cli import cli
from evidence.merkle import root_and_proofs, root_from_proof, shell_commands
from evidence.settings import EvidenceSettings, load_settings
from evidence.timestamp import stamp_run
from markwatch.errors import ConfigError
from storage.exports import sha256_file, write_manifest
from storage.models import Evidence, EvidencePackage
from storage.models import TestBuy as Buy
from storage.review import set_status
from tests._tsa import OPENSSL, LocalCA, make_ca, serve_tsa
from tests.test_review_helpers import T0, add_listings, brand_row, ids_of, record, sqlite_db

__all__ = ["sqlite_db"]

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="the openssl CLI is not installed")


@pytest.fixture(scope="module")
def cas(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalCA, LocalCA]:
    base = tmp_path_factory.mktemp("ca")
    return make_ca(base / "good"), make_ca(base / "other", "impostor")


@pytest.fixture(scope="module")
def tsa(cas: tuple[LocalCA, LocalCA]) -> Iterator[EvidenceSettings]:
    with serve_tsa(cas[0]) as url:
        yield EvidenceSettings(tsa_url=url, tsa_ca_file=cas[0].ca)


def _capture(root: Path, n: int, lid: int | None = None) -> Path:
    """A capture folder as evidence.capture lays it out (no browser needed)."""
    d = root / f"L{lid or n}-20261120T090000Z"
    d.mkdir(parents=True)
    (d / "screenshot.png").write_bytes(b"\x89PNG band and page " + str(n).encode())
    (d / "page.html").write_text(f"<html><body>VELORIA 高仿 {n}</body></html>", encoding="utf-8")
    (d / "page.warc.gz").write_bytes(b"warc " + str(n).encode())
    (d / "video.webm").write_bytes(b"webm video " * 100 + str(n).encode())
    (d / "capture-log.json").write_text("{}", encoding="utf-8")
    write_manifest(
        d,
        {
            "kind": "evidence-capture",
            "listing": {"id": lid or n},
            "captured_at": T0.isoformat() + "Z",
        },
    )
    return d


def _verify(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["evidence", "verify", *args])
    return result.exit_code, result.output


# --- the tree ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13])
def test_every_proof_leads_to_the_root(n: int) -> None:
    import hashlib

    leaves = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(n)]
    root, proofs = root_and_proofs(leaves)
    for leaf, proof in zip(leaves, proofs, strict=True):
        assert root_from_proof(leaf, [s.as_list() for s in proof]) == root
    if n > 1:  # a proof of one leaf does not fit another
        assert root_from_proof(leaves[1], [s.as_list() for s in proofs[0]]) != root


def test_shell_commands_compute_the_same_root(tmp_path: Path) -> None:
    import hashlib

    files = [tmp_path / f"m{i}.json" for i in range(3)]
    for i, f in enumerate(files):
        f.write_text(f"manifest {i}", encoding="utf-8")
    leaves = [hashlib.sha256(f.read_bytes()).hexdigest() for f in files]
    root, proofs = root_and_proofs(leaves)
    script = "\n".join([*shell_commands(files[2].name, [s.as_list() for s in proofs[2]]), 'echo "$h"'])
    done = subprocess.run(["sh", "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == root


# --- settings ----------------------------------------------------------------------------------------


def test_settings_file_and_environment(tmp_path: Path, cas: tuple[LocalCA, LocalCA]) -> None:
    f = tmp_path / "settings.yaml"
    f.write_text(f"evidence:\n  tsa_url: https://tsa.example/tsr\n  tsa_ca_file: {cas[0].ca}\n", "utf-8")
    got = load_settings(f, {})
    assert got.tsa_url == "https://tsa.example/tsr" and got.has_tsa
    env = {"MARKWATCH_TSA_URL": "http://127.0.0.1:9/tsr", "MARKWATCH_TSA_CA": str(cas[1].ca)}
    assert load_settings(f, env).tsa_url == "http://127.0.0.1:9/tsr"
    assert not load_settings(None, {}).has_tsa
    f.write_text("evidence:\n  tsa_ulr: https://tsa.example/tsr\n", "utf-8")
    with pytest.raises(ConfigError, match="did you mean tsa_url"):
        load_settings(f, {})
    with pytest.raises(ConfigError, match="tsa_ca_file"):
        load_settings(None, {"MARKWATCH_TSA_URL": "https://tsa.example/tsr"})
    with pytest.raises(ConfigError, match="not an http"):
        load_settings(None, {"MARKWATCH_TSA_URL": "file:///etc/passwd", "MARKWATCH_TSA_CA": str(cas[0].ca)})


# --- a run, timestamped, and each kind of tampering ----------------------------------------------------


@pytest.fixture
def run(tmp_path: Path, tsa: EvidenceSettings) -> Path:
    out = tmp_path / "evidence"
    dirs = [_capture(out, i) for i in range(1, 4)]
    stamp = stamp_run(tsa, dirs)
    assert stamp.leaves == 3 and len(stamp.root) == 64
    return out


def test_a_timestamped_run_verifies(run: Path) -> None:
    code, out = _verify(str(run))
    assert code == 0, out
    assert out.count("timestamp OK") == 3 and "3 timestamp(s) verify" in out
    record = json.loads((run / "L1-20261120T090000Z" / "timestamp.json").read_text(encoding="utf-8"))
    assert record["leaves"] == 3 and record["leaf"] == sha256_file(run / "L1-20261120T090000Z/manifest.json")


def test_a_changed_file_fails(run: Path) -> None:
    html = run / "L2-20261120T090000Z" / "page.html"
    html.write_text(html.read_text(encoding="utf-8").replace("高仿", "正品"), encoding="utf-8")
    code, out = _verify(str(run))
    assert code == 1 and "CHANGED  L2-20261120T090000Z/page.html" in out


def test_a_changed_manifest_fails(run: Path) -> None:
    d = run / "L2-20261120T090000Z"
    html = d / "page.html"
    html.write_text("<html>rewritten</html>", encoding="utf-8")
    data = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    data["files"]["page.html"] = sha256_file(html)  # a manifest rewritten to match
    (d / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    code, out = _verify(str(run))
    assert code == 1
    assert "L2-20261120T090000Z/manifest.json: changed since it was timestamped" in out


def test_a_forged_token_fails(run: Path) -> None:
    token = run / "L3-20261120T090000Z" / "timestamp.tsr"
    data = bytearray(token.read_bytes())
    data[-20] ^= 0x01  # inside the signature
    token.write_bytes(bytes(data))
    code, out = _verify(str(run))
    assert code == 1
    assert "L3-20261120T090000Z/timestamp.tsr: the token's signature or certificate does not verify" in out


def test_a_token_for_another_root_fails(run: Path, tsa: EvidenceSettings, tmp_path: Path) -> None:
    other = [_capture(tmp_path / "elsewhere", 9)]
    stamp_run(tsa, other)
    shutil.copy2(other[0] / "timestamp.tsr", run / "L1-20261120T090000Z" / "timestamp.tsr")
    code, out = _verify(str(run))
    assert code == 1 and "L1-20261120T090000Z/timestamp.tsr: the token is for another root" in out


def test_a_wrong_certificate_fails(run: Path, cas: tuple[LocalCA, LocalCA]) -> None:
    code, out = _verify(str(run), "--ca", str(cas[1].ca))
    assert code == 1 and out.count("wrong certificate") == 3
    # the CA kept with a token swapped for another: the token no longer verifies
    shutil.copy2(cas[1].ca, run / "L1-20261120T090000Z" / "tsa-ca.pem")
    code, out = _verify(str(run))
    assert code == 1 and "L1-20261120T090000Z/timestamp.tsr: wrong certificate" in out


def test_a_forged_token_from_another_tsa_fails(
    run: Path, cas: tuple[LocalCA, LocalCA], tmp_path: Path
) -> None:
    # an impostor TSA stamps the same root: right imprint, wrong signer
    record = json.loads((run / "L1-20261120T090000Z" / "timestamp.json").read_text(encoding="utf-8"))
    with serve_tsa(cas[1]) as url:
        from evidence.timestamp import message_for, request_token

        impostor = EvidenceSettings(tsa_url=url, tsa_ca_file=cas[1].ca)
        token = request_token(impostor, message_for(record["root"]))
    (run / "L1-20261120T090000Z" / "timestamp.tsr").write_bytes(token)
    code, out = _verify(str(run), "--ca", str(cas[0].ca))
    assert code == 1 and "L1-20261120T090000Z/timestamp.tsr: wrong certificate" in out


def test_verify_works_on_a_moved_copy(run: Path, tmp_path: Path) -> None:
    moved = tmp_path / "usb" / "copy"
    shutil.copytree(run, moved)
    shutil.rmtree(run)
    code, out = _verify(str(moved))
    assert code == 0 and "3 timestamp(s) verify" in out, out


def test_without_a_tsa_the_capture_says_it_has_no_trusted_time(tmp_path: Path) -> None:
    out = tmp_path / "e"
    _capture(out, 1)
    code, text = _verify(str(out))
    assert code == 0 and "1 capture(s) have no trusted timestamp" in text


# --- the database, a package, VERIFY.md -----------------------------------------------------------------


def _db_captures(s: Session, root: Path, ids: list[int], tsa: EvidenceSettings) -> list[Path]:
    dirs = []
    for lid in ids:
        d = _capture(root, lid, lid)
        s.add(
            Evidence(
                listing_id=lid,
                captured_at=T0,
                url=f"https://item.taobao.com/item.htm?id={lid}",
                state="live",
                directory=str(d),
                files={p.name: sha256_file(p) for p in d.iterdir() if p.name != "manifest.json"},
                manifest_sha256=sha256_file(d / "manifest.json"),
            )
        )
        dirs.append(d)
    s.flush()
    stamp_run(tsa, dirs)
    return dirs


def test_against_db_on_a_moved_copy_and_when_nothing_matches(
    sqlite_db: Engine, tmp_path: Path, tsa: EvidenceSettings
) -> None:
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        recs = [record("1"), record("2")]
        ids = ids_of(add_listings(s, bid, recs), recs)
        _db_captures(s, tmp_path / "ev", ids, tsa)
    db = str(sqlite_db.url)
    moved = tmp_path / "moved"
    shutil.move(str(tmp_path / "ev"), moved)
    result = CliRunner().invoke(cli, ["--db", db, "evidence", "verify", str(moved), "--against-db"])
    assert result.exit_code == 0, result.output
    assert "2 manifest(s) matched the database" in result.output
    # captures the database never recorded: verify fails and says so (it used to say "all verify")
    stranger = tmp_path / "stranger"
    _capture(stranger, 7)
    result = CliRunner().invoke(cli, ["--db", db, "evidence", "verify", str(stranger), "--against-db"])
    assert result.exit_code == 1
    assert "NOTHING MATCHED" in result.output and "NOT IN DB" in result.output
    # and a folder without any manifest is one line, exit 2
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(cli, ["evidence", "verify", str(tmp_path / "empty")])
    assert result.exit_code == 2 and "no manifest.json" in result.output


def _package(sqlite_db: Engine, tmp_path: Path, tsa: EvidenceSettings, *extra: str) -> tuple[Path, list[int]]:
    photo = tmp_path / "order page.png"
    photo.write_bytes(b"\x89PNG order page")
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        recs = [record("1"), record("2"), record("3")]
        ids = ids_of(add_listings(s, bid, recs), recs)
        set_status(s, ids, "confirmed", actor="lin", at=T0)
        _db_captures(s, tmp_path / "ev", ids, tsa)
    db = str(sqlite_db.url)
    store = tmp_path / "store"
    r = CliRunner().invoke(
        cli,
        ["--db", db, "testbuy", "add", str(ids[0]), "--order", "3021556677", "--paid", "299",
         "--at", "2026-11-20", "--photo", str(photo), "--notary", "徐汇公证处", "--store", str(store)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    out = tmp_path / "pkg"
    args = ["--db", db, "takedown", "export", "--platform", "taobao", "--brand", "veloria", "--out", str(out)]
    r = CliRunner().invoke(cli, [*args, *extra])
    assert r.exit_code == 0, r.output
    assert "MB per link" in r.output and "VERIFY.md" in r.output
    return out, ids


def test_package_carries_tokens_proofs_warcs_videos_and_test_buys(
    sqlite_db: Engine, tmp_path: Path, tsa: EvidenceSettings
) -> None:
    pkg, ids = _package(sqlite_db, tmp_path, tsa)
    captures = sorted(p.parent for p in pkg.rglob("timestamp.tsr"))
    assert len(captures) == 3
    for d in captures:
        assert {"page.warc.gz", "video.webm", "timestamp.json", "tsa-ca.pem", "manifest.json"} <= {
            p.name for p in d.iterdir()
        }
    checklist = (pkg / "checklist.md").read_text(encoding="utf-8")
    assert "test-buy report with order number: included for 1 test buy(s)" in checklist
    buys = next(pkg.rglob("testbuys.csv")).read_text(encoding="utf-8-sig")
    assert "3021556677" in buys and "徐汇公证处" in buys
    photo = next(pkg.rglob("testbuys/*.png"))
    assert re.fullmatch(r"[0-9a-f]{64}\.png", photo.name)
    # verify works inside the package, and the package's manifest is in the database
    code, out = _verify(str(pkg))
    assert code == 0 and "3 timestamp(s) verify" in out, out
    with Session(sqlite_db) as s:
        row = s.scalars(select(EvidencePackage)).one()
        assert row.manifest_sha256 == sha256_file(pkg / "manifest.json") and row.bytes > 0
        assert s.scalars(select(Buy)).one().listing_id == ids[0]
    moved = tmp_path / "sent" / "pkg"
    shutil.copytree(pkg, moved)
    r = CliRunner().invoke(
        cli, ["--db", str(sqlite_db.url), "evidence", "verify", str(moved), "--against-db"]
    )
    assert r.exit_code == 0, r.output
    assert "4 manifest(s) matched the database" in r.output  # the package's and its three captures'


def test_verify_md_commands_pass_with_openssl_alone(
    sqlite_db: Engine, tmp_path: Path, tsa: EvidenceSettings
) -> None:
    pkg, _ = _package(sqlite_db, tmp_path, tsa)
    text = (pkg / "VERIFY.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    assert len(blocks) == 4  # sha256sum -c, then one per capture
    script = "set -e\n" + "\n".join(blocks)
    done = subprocess.run(["bash", "-c", script], cwd=pkg, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("Verification: OK") == 3 and done.stdout.count("inclusion proof: OK") == 3
    assert "FAILED" not in done.stdout
    # the same commands fail on a changed manifest
    manifest = next(pkg.rglob("evidence/*/manifest.json"))
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("evidence-capture", "x"), "utf-8")
    done = subprocess.run(["bash", "-c", script], cwd=pkg, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0


def test_no_video_leaves_videos_out_but_verifies(
    sqlite_db: Engine, tmp_path: Path, tsa: EvidenceSettings
) -> None:
    pkg, _ = _package(sqlite_db, tmp_path, tsa, "--no-video")
    assert not list(pkg.rglob("video.webm"))
    data = json.loads((pkg / "manifest.json").read_text(encoding="utf-8"))
    assert len(data["omitted"]) == 3
    code, out = _verify(str(pkg))
    assert code == 0 and out.count("left out") == 3, out
    assert "Videos left out of this package (3" in (pkg / "VERIFY.md").read_text(encoding="utf-8")


def test_testbuy_receive_and_history(sqlite_db: Engine, tmp_path: Path) -> None:
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        ids = ids_of(add_listings(s, bid, [record("1")]), [record("1")])
    db = str(sqlite_db.url)
    store = tmp_path / "store"
    photo = tmp_path / "../../etc-passwd.jpg"
    photo = tmp_path / "parcel.JPG"
    photo.write_bytes(b"jpeg parcel")
    r = CliRunner().invoke(
        cli, ["--db", db, "testbuy", "add", str(ids[0]), "--order", "A-1", "--paid", "88.5", "--at",
              "2026-11-20T09:30", "--store", str(store)]
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(
        cli, ["--db", db, "testbuy", "receive", "1", "--at", "2026-11-19", "--store", str(store)]
    )
    assert r.exit_code == 2 and "before the order" in r.output
    r = CliRunner().invoke(
        cli,
        [
            "--db",
            db,
            "testbuy",
            "receive",
            "1",
            "--at",
            "2026-11-24",
            "--photo",
            str(photo),
            "--store",
            str(store),
        ],
    )
    assert r.exit_code == 0, r.output
    assert [p.name for p in store.iterdir()] == [f"{sha256_file(photo)}.jpg"]
    r = CliRunner().invoke(cli, ["--db", db, "review", str(ids[0]), "--history"])
    assert r.exit_code == 0, r.output
    assert "test buy 1" in r.output and "order A-1" in r.output and "received 2026-11-24" in r.output
    r = CliRunner().invoke(
        cli, ["--db", db, "testbuy", "add", "999", "--order", "x", "--paid", "1", "--at", "2026-11-20"]
    )
    assert r.exit_code == 2 and "no listing with id 999" in r.output
    r = CliRunner().invoke(
        cli,
        ["--db", db, "testbuy", "add", str(ids[0]), "--order", "x", "--paid", "nan", "--at", "2026-11-20"],
    )
    assert r.exit_code == 2


def test_a_tsa_that_sends_its_chain_is_checked_by_openssl(
    tmp_path: Path, cas: tuple[LocalCA, LocalCA]
) -> None:
    chained = make_ca(tmp_path / "chained", "chained", chain=True)
    with serve_tsa(chained) as url:
        settings = EvidenceSettings(tsa_url=url, tsa_ca_file=chained.ca)
        out = tmp_path / "e"
        stamp_run(settings, [_capture(out, 1), _capture(out, 2)])
    code, text = _verify(str(out))
    assert code == 0 and "2 timestamp(s) verify" in text, text
    code, text = _verify(str(out), "--ca", str(cas[1].ca))
    assert code == 1 and "wrong certificate" in text
    manifest = out / "L1-20261120T090000Z" / "manifest.json"
    other = tmp_path / "other"
    with serve_tsa(chained) as url:
        stamp_run(EvidenceSettings(tsa_url=url, tsa_ca_file=chained.ca), [_capture(other, 5)])
    shutil.copy2(other / "L5-20261120T090000Z" / "timestamp.tsr", manifest.parent / "timestamp.tsr")
    code, text = _verify(str(out))
    assert code == 1 and "L1-20261120T090000Z/timestamp.tsr: the token is for another root" in text


def test_the_openssl_path_names_what_broke(run: Path, cas: tuple[LocalCA, LocalCA]) -> None:
    from evidence.timestamp import _check_with_openssl, _openssl_time, message_for, token_time

    d = run / "L1-20261120T090000Z"
    token = (d / "timestamp.tsr").read_bytes()
    root = json.loads((d / "timestamp.json").read_text(encoding="utf-8"))["root"]
    good = cas[0].ca.read_bytes()
    assert _check_with_openssl(token, message_for(root), good) is None
    assert "another root" in str(_check_with_openssl(token, message_for("0" * 64), good))
    assert "wrong certificate" in str(_check_with_openssl(token, message_for(root), cas[1].ca.read_bytes()))
    assert "not an RFC 3161" in str(_check_with_openssl(b"garbage", message_for(root), good))
    assert _openssl_time(token) == token_time(token).replace(microsecond=0)


def test_a_doctored_proof_never_reaches_verify_md(
    sqlite_db: Engine, tmp_path: Path, tsa: EvidenceSettings
) -> None:
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        recs = [record("1")]
        ids = ids_of(add_listings(s, bid, recs), recs)
        set_status(s, ids, "confirmed", actor="lin", at=T0)
        (d,) = _db_captures(s, tmp_path / "ev", ids, tsa)
    proof = d / "timestamp.json"
    data = json.loads(proof.read_text(encoding="utf-8"))
    data["proof"] = [["R", '"; touch /tmp/pwned-by-markwatch; "']]
    proof.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "pkg"
    args = ["--db", str(sqlite_db.url), "takedown", "export", "--platform", "taobao", "--brand", "veloria"]
    r = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert r.exit_code == 2 and "timestamp record is damaged" in r.output and not out.exists()


def test_a_token_older_than_the_capture_it_stamps_fails(tmp_path: Path, tsa: EvidenceSettings) -> None:
    d = tmp_path / "e" / "L1-20301120T090000Z"
    d.mkdir(parents=True)
    (d / "page.html").write_text("<html>later</html>", encoding="utf-8")
    write_manifest(d, {"kind": "evidence-capture", "captured_at": "2030-11-20T09:00:00Z"})
    stamp_run(tsa, [d])
    code, out = _verify(str(tmp_path / "e"))
    assert code == 1 and "is before the capture time 2030-11-20 09:00:00Z" in out


def test_show_prints_where_the_files_are(sqlite_db: Engine, tmp_path: Path, tsa: EvidenceSettings) -> None:
    with Session(sqlite_db) as s, s.begin():
        bid = brand_row(s)
        ids = ids_of(add_listings(s, bid, [record("1")]), [record("1")])
        (d,) = _db_captures(s, tmp_path / "ev", ids, tsa)
        eid = s.scalars(select(Evidence.id)).one()
    db = str(sqlite_db.url)
    r = CliRunner().invoke(cli, ["--db", db, "evidence", "show", str(eid)])
    assert r.exit_code == 0, r.output
    assert f"folder: {d}" in r.output and sha256_file(d / "page.html") in r.output
    assert "trusted time: none" in r.output  # the row was written without the CLI's timestamp note
    shutil.move(str(d), tmp_path / "moved")
    r = CliRunner().invoke(cli, ["--db", db, "evidence", "show", str(eid)])
    assert r.exit_code == 0 and "MISSING: give --dir" in r.output
    r = CliRunner().invoke(cli, ["--db", db, "evidence", "show", "999"])
    assert r.exit_code == 2 and "no capture with id 999" in r.output
