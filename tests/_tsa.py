"""A time-stamping authority of the tests' own: a CA and a TSA certificate made with the ``openssl``
CLI, and ``openssl ts -reply`` behind a tiny HTTP server on 127.0.0.1."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

OPENSSL = shutil.which("openssl")

CNF = """
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = {cn}
[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ tsa_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = {dir}
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
{certs}
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.5
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _run(*args: str, cwd: Path) -> None:
    assert OPENSSL is not None
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@dataclass
class LocalCA:
    dir: Path

    @property
    def ca(self) -> Path:
        return self.dir / "ca.pem"

    @property
    def tsa_cert(self) -> Path:
        return self.dir / "tsa.pem"

    @property
    def cnf(self) -> Path:
        return self.dir / "openssl.cnf"

    def reply(self, query: bytes) -> bytes:
        """``openssl ts -reply`` for one DER query."""
        with tempfile.TemporaryDirectory(dir=self.dir) as tmp:
            q, r = Path(tmp) / "q.tsq", Path(tmp) / "r.tsr"
            q.write_bytes(query)
            _run("ts", "-reply", "-config", str(self.cnf), "-queryfile", str(q), "-out", str(r), cwd=self.dir)
            return r.read_bytes()


def make_ca(directory: Path, name: str = "markwatch test", *, chain: bool = False) -> LocalCA:
    """A CA and a TSA certificate it issued (EKU timeStamping, critical), made with the openssl CLI.

    With ``chain`` the tokens carry the CA certificate too (OpenSSL then writes the certificate SET
    unsorted, which rfc3161-client's strict reader refuses: OpenSSL checks those tokens).
    """
    directory.mkdir(parents=True, exist_ok=True)
    certs = "certs = $dir/ca.pem" if chain else ""
    cnf = CNF.format(cn=f"{name} CA", dir=directory, certs=certs)
    (directory / "openssl.cnf").write_text(cnf, encoding="utf-8")
    cnf = CNF.format(cn=f"{name} TSA", dir=directory, certs=certs)
    (directory / "tsa.cnf").write_text(cnf, encoding="utf-8")
    (directory / "tsaserial").write_text("01\n", encoding="utf-8")
    d = directory
    _run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days",
         "3650", "-config", "openssl.cnf", "-extensions", "ca_ext", "-set_serial", "1", cwd=d)  # fmt: skip
    _run("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr",
         "-config", "tsa.cnf", cwd=d)  # fmt: skip
    _run("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "2",
         "-days", "3650", "-extfile", "openssl.cnf", "-extensions", "tsa_ext", "-out", "tsa.pem",
         cwd=d)  # fmt: skip
    return LocalCA(directory)


@contextmanager
def serve_tsa(ca: LocalCA) -> Iterator[str]:
    """The TSA at ``http://127.0.0.1:PORT/tsr``; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            query = self.rfile.read(length)
            try:
                body = ca.reply(query)
                code = 200
            except subprocess.CalledProcessError:
                body, code = b"bad query", 400
            self.send_response(code)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsr"
    finally:
        server.shutdown()
        server.server_close()
