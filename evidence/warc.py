"""The page's web archive: every response the browser loaded, as WARC request/response records (warcio).

Playwright hands over bodies decoded (no ``Content-Encoding``), so each response record carries the
decoded body with its ``Content-Length`` and the original encoding noted in ``X-Markwatch-Decoded``.
Headers are what the browser exposes to pages; cookies are never among them, so no secret is archived.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WARC = "page.warc.gz"
DROP_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length", "set-cookie", "cookie"})


@dataclass
class Exchange:
    """One request and what came back."""

    url: str
    method: str
    request_headers: dict[str, str]
    status: int
    status_text: str
    headers: list[tuple[str, str]]
    body: bytes
    at: dt.datetime  # aware UTC
    resource_type: str = ""
    request_body: bytes | None = None


@dataclass
class ArchivedResponse:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class WarcSummary:
    records: int = 0
    responses: int = 0
    bytes: int = 0
    urls: list[str] = field(default_factory=list)


def write_warc(path: Path, exchanges: Iterable[Exchange], info: dict[str, Any]) -> WarcSummary:
    """Write ``exchanges`` (in the order they came) to a gzipped WARC at ``path``."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    summary = WarcSummary()
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {k: str(v) for k, v in info.items()}))
        summary.records += 1
        for ex in exchanges:
            when = ex.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            headers = [(k, v) for k, v in ex.headers if k.lower() not in DROP_HEADERS]
            encoding = next((v for k, v in ex.headers if k.lower() == "content-encoding"), None)
            if encoding:
                headers.append(("X-Markwatch-Decoded", encoding))
            headers.append(("Content-Length", str(len(ex.body))))
            http = StatusAndHeaders(f"{ex.status} {ex.status_text}".strip(), headers, protocol="HTTP/1.1")
            response = writer.create_warc_record(
                ex.url,
                "response",
                payload=io.BytesIO(ex.body),
                length=len(ex.body),
                http_headers=http,
                warc_headers_dict={"WARC-Date": when},
            )
            target = _request_target(ex.url)
            req_headers = [(k, v) for k, v in ex.request_headers.items() if k.lower() not in DROP_HEADERS]
            body = ex.request_body or b""
            req_http = StatusAndHeaders(f"{ex.method} {target} HTTP/1.1", req_headers, is_http_request=True)
            request = writer.create_warc_record(
                ex.url,
                "request",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=req_http,
                warc_headers_dict={"WARC-Date": when},
            )
            writer.write_request_response_pair(request, response)
            summary.records += 2
            summary.responses += 1
            summary.bytes += len(ex.body)
            summary.urls.append(ex.url)
    return summary


def _request_target(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def read_records(path: Path) -> Iterator[tuple[str, str, Any]]:
    """(WARC-Type, target URI, record) for each record of the WARC at ``path``."""
    from warcio.archiveiterator import ArchiveIterator

    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            yield record.rec_type, record.rec_headers.get_header("WARC-Target-URI") or "", record


def responses(path: Path) -> dict[str, ArchivedResponse]:
    """The archived responses by URL (the first one for a URL wins, as the page first saw it)."""
    out: dict[str, ArchivedResponse] = {}
    for kind, uri, record in read_records(path):
        if kind != "response" or uri in out:
            continue
        http = record.http_headers
        status = int((http.get_statuscode() or "0").split()[0]) if http is not None else 200
        headers = list(http.headers) if http is not None else []
        out[uri] = ArchivedResponse(uri, status, headers, record.content_stream().read())
    return out
