"""RFC 3161 trusted timestamps: one token per capture run, over the Merkle root of its manifests.

:func:`stamp_run` asks the configured time-stamping authority (TSA) for a token over the root of the
run's manifest hashes (:mod:`evidence.merkle`) and writes, beside each capture's ``manifest.json``:

* ``timestamp.tsr`` — the TSA's response (DER), the same bytes for every capture of the run;
* ``timestamp.json`` — the manifest's leaf hash, its inclusion proof, the root, the TSA's time;
* ``tsa-ca.pem`` — the CA certificate the token was checked against at capture time.

:func:`check_token` verifies a token (signature, certificate chain at the token's time, the
time-stamping key usage, the message imprint) with ``rfc3161-client``; OpenSSL's
``openssl ts -verify`` checks the same files (see the package's ``VERIFY.md``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence.merkle import root_and_proofs
from evidence.settings import EvidenceSettings
from markwatch.errors import UserError

TOKEN = "timestamp.tsr"
PROOF = "timestamp.json"
CA = "tsa-ca.pem"
#: Files written beside a manifest after it (they cannot be listed in it).
TIMESTAMP_FILES = (TOKEN, PROOF, CA)


class TimestampError(UserError):
    """The time-stamping authority could not be reached or answered with something unusable."""


@dataclass
class RunStamp:
    root: str
    gen_time: dt.datetime  # aware UTC
    tsa_url: str
    token: bytes
    leaves: int


def message_for(root: str) -> bytes:
    """What the TSA signs: the root in hex, as 64 ASCII characters."""
    return root.encode("ascii")


def request_token(settings: EvidenceSettings, message: bytes) -> bytes:
    """POST a time-stamp query for ``message`` (SHA-256) to the TSA; returns its checked response (DER)."""
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder, decode_timestamp_response

    assert settings.tsa_url and settings.tsa_ca_file
    query = (
        TimestampRequestBuilder()
        .data(message)
        .hash_algorithm(HashAlgorithm.SHA256)
        .cert_request(cert_request=True)
        .nonce(nonce=True)
        .build()
    )
    req = urllib.request.Request(
        settings.tsa_url,
        data=query.as_bytes(),
        headers={"Content-Type": "application/timestamp-query", "Accept": "application/timestamp-reply"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=settings.tsa_timeout) as resp:  # http(s): see settings
            body: bytes = resp.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise TimestampError(
            f"the time-stamping authority {settings.tsa_url} did not answer: {exc}"
        ) from None
    try:
        decoded = decode_timestamp_response(body)
    except Exception:  # the Rust parser raises its own types; OpenSSL checks nonce and imprint then
        files = {"q.tsq": query.as_bytes(), "t.tsr": body, "ca.pem": settings.tsa_ca_file.read_bytes()}
        args = ("ts", "-verify", "-queryfile", "q.tsq", "-in", "t.tsr", "-CAfile", "ca.pem")
        done = _openssl(*args, files=files)
        if done is None or done.returncode != 0 or "Verification: OK" not in done.stdout:
            raise TimestampError(
                f"the time-stamping authority {settings.tsa_url} sent no time-stamp response that verifies "
                "for this request"
            ) from None
        return body
    if decoded.tst_info.nonce != query.nonce:
        raise TimestampError(f"the time-stamping authority {settings.tsa_url} answered another request")
    problem = check_token(body, message, settings.tsa_ca_file.read_bytes())
    if problem is not None:
        raise TimestampError(f"the token from {settings.tsa_url} does not verify: {problem}")
    return body


def token_time(token: bytes) -> dt.datetime:
    from rfc3161_client import decode_timestamp_response

    try:
        t = decode_timestamp_response(token).tst_info.gen_time
    except Exception:
        return _openssl_time(token)
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _openssl(*args: str, files: dict[str, bytes]) -> subprocess.CompletedProcess[str] | None:
    """Run ``openssl`` with ``files`` written to a temporary folder (their names as arguments)."""
    exe = shutil.which("openssl")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory(prefix="markwatch-ts-") as tmp:
        for name, data in files.items():
            (Path(tmp) / name).write_bytes(data)
        return subprocess.run([exe, *args], cwd=tmp, capture_output=True, text=True, timeout=60, check=False)


def _openssl_time(token: bytes) -> dt.datetime:
    done = _openssl("ts", "-reply", "-in", "t.tsr", "-text", files={"t.tsr": token})
    if done is None or done.returncode != 0:
        raise TimestampError("the token cannot be read (not an RFC 3161 time-stamp response)")
    m = re.search(r"^Time stamp: (.+?)(?:\.\d+)? GMT$", done.stdout, re.M)
    if m is None:
        raise TimestampError("the token holds no time")
    return dt.datetime.strptime(" ".join(m.group(1).split()), "%b %d %H:%M:%S %Y").replace(tzinfo=dt.UTC)


def _check_with_openssl(token: bytes, message: bytes, ca_pem: bytes) -> str | None:
    files = {"t.tsr": token, "m.txt": message, "ca.pem": ca_pem}
    shown = _openssl("ts", "-reply", "-in", "t.tsr", "-text", files=files)
    if shown is None:
        return "rfc3161-client cannot read the token and no openssl is installed to check it"
    if shown.returncode != 0 or "Time stamp:" not in shown.stdout:
        return "not an RFC 3161 time-stamp response (the token file is damaged or forged)"
    done = _openssl("ts", "-verify", "-data", "m.txt", "-in", "t.tsr", "-CAfile", "ca.pem", files=files)
    assert done is not None
    if done.returncode == 0 and "Verification: OK" in done.stdout:
        return None
    err = done.stderr
    if "message imprint mismatch" in err:
        return f"the token is for another root (OpenSSL: message imprint mismatch; the root is {message!r})"
    if "certificate verify error" in err or "unable to get local issuer" in err:
        return "wrong certificate: the TSA certificate does not chain to the CA given (OpenSSL)"
    last = [line for line in err.splitlines() if line.strip()][-1:] or ["verification failed"]
    return f"the token's signature or certificate does not verify (OpenSSL: {last[0][:160]})"


def check_token(token: bytes, message: bytes, ca_pem: bytes) -> str | None:
    """Why ``token`` is not a valid RFC 3161 token over ``message`` by a TSA under ``ca_pem``, or None."""
    from cryptography import x509
    from rfc3161_client import PKIStatus, VerificationError, VerifierBuilder, decode_timestamp_response

    try:
        resp = decode_timestamp_response(token)
    except Exception:
        # rfc3161-client's strict DER reader refuses some well-formed tokens (OpenSSL's TSA writes the
        # certificate SET unsorted when it includes a chain): OpenSSL itself then decides
        return _check_with_openssl(token, message, ca_pem)
    if resp.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        return f"the TSA refused the request (status {resp.status})"
    imprint = resp.tst_info.message_imprint.message
    if imprint != hashlib.sha256(message).digest():
        return (
            f"the token is for another root (it stamps SHA-256 {imprint.hex()}, expected "
            f"{hashlib.sha256(message).hexdigest()} = SHA-256 of the root "
            f"{message.decode('ascii', 'replace')})"
        )
    try:
        roots = x509.load_pem_x509_certificates(ca_pem)
    except ValueError:
        return "the CA file holds no PEM certificate"
    embedded = [x509.load_der_x509_certificate(c) for c in resp.signed_data.certificates]
    subjects = {r.subject for r in roots}
    if embedded and not any(c.issuer in subjects or c.subject in subjects for c in embedded):
        issuers = "; ".join(sorted({c.issuer.rfc4514_string() for c in embedded}))
        given = "; ".join(r.subject.rfc4514_string() for r in roots)
        return (
            f"wrong certificate: the TSA certificate was issued by {issuers}, not by the CA given ({given})"
        )
    builder = VerifierBuilder()
    for r in roots:
        builder = builder.add_root_certificate(r)
    try:
        builder.build().verify_message(resp, message)
    except VerificationError as exc:
        return f"the token's signature or certificate does not verify ({str(exc)[:160]})"
    except Exception as exc:  # malformed inner structures raise the Rust layer's errors
        return f"the token's signature or certificate does not verify ({type(exc).__name__}: {exc})"
    return None


def stamp_run(settings: EvidenceSettings, directories: Sequence[Path]) -> RunStamp:
    """Timestamp the manifests in ``directories`` once (one token over their Merkle root).

    Writes :data:`TIMESTAMP_FILES` beside each manifest. Raises :class:`TimestampError` when the TSA
    fails (the captures themselves stay, without trusted time).
    """
    from storage.exports import MANIFEST, sha256_file

    if not settings.tsa_url or settings.tsa_ca_file is None:
        raise TimestampError("no time-stamping authority configured")
    if not directories:
        raise TimestampError("nothing to timestamp")
    leaves = [sha256_file(d / MANIFEST) for d in directories]
    root, proofs = root_and_proofs(leaves)
    token = request_token(settings, message_for(root))
    when = token_time(token)
    ca_pem = settings.tsa_ca_file.read_bytes()
    run_id = f"{when:%Y%m%dT%H%M%SZ}-{root[:12]}"
    for directory, leaf, proof in zip(directories, leaves, proofs, strict=True):
        record: dict[str, Any] = {
            "kind": "markwatch-timestamp",
            "run": run_id,
            "leaf": leaf,
            "leaf_of": MANIFEST,
            "proof": [s.as_list() for s in proof],
            "root": root,
            "leaves": len(leaves),
            "message": "the root in hex, 64 ASCII characters (SHA-256 of it is the token's imprint)",
            "gen_time": when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "tsa_url": settings.tsa_url,
            "token": TOKEN,
            "token_sha256": hashlib.sha256(token).hexdigest(),
            "ca": CA,
        }
        (directory / TOKEN).write_bytes(token)
        (directory / CA).write_bytes(ca_pem)
        (directory / PROOF).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return RunStamp(root=root, gen_time=when, tsa_url=settings.tsa_url, token=token, leaves=len(leaves))
