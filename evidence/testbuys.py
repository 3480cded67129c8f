"""Test buys: a purchase of a suspect listing, with the order number, payment, delivery and photos.

Photos are copied into a photo store under their SHA-256 (``<sha256>.<ext>``), never under the name
they came with; the row keeps the original name for people to read. A service takes a session and
never commits.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from markwatch.errors import InputError
from storage.evidence_files import test_buys_for
from storage.exports import sha256_file
from storage.models import Listing, TestBuy

#: Kinds of file a test-buy photo may be (anything else is stored as ``.bin``).
EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".pdf", ".tif", ".tiff"})


def store_photo(store: Path, src: Path) -> tuple[str, str]:
    """Copy ``src`` into ``store`` as ``<sha256><ext>``; returns (file name in the store, sha256)."""
    if not src.is_file():
        raise InputError(f"{src}: no such photo file")
    digest = sha256_file(src)
    ext = src.suffix.lower() if src.suffix.lower() in EXTENSIONS else ".bin"
    name = f"{digest}{ext}"
    store.mkdir(parents=True, exist_ok=True)
    target = store / name
    if not target.exists():
        tmp = store / f".{name}.partial"
        shutil.copyfile(src, tmp)
        tmp.replace(target)
    return name, digest


def _photos(store: Path, files: Sequence[Path], stage: str) -> list[dict[str, Any]]:
    out = []
    for f in files:
        name, digest = store_photo(store, Path(f))
        out.append(
            {
                "stage": stage,
                "name": Path(f).name[:200],
                "file": name,
                "path": str((store / name).resolve()),
                "sha256": digest,
            }
        )
    return out


def _clean_text(value: str, what: str, limit: int) -> str:
    text = value.strip()
    if not text or len(text) > limit or any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text):
        raise InputError(f"{what} must be 1-{limit} printable characters")
    return text


def add_test_buy(
    session: Session,
    listing_id: int,
    *,
    order_number: str,
    paid: float,
    at: dt.datetime,
    photos: Sequence[Path] = (),
    notary: str | None = None,
    currency: str = "CNY",
    store: Path,
    actor: str = "markwatch",
) -> TestBuy:
    if session.get(Listing, listing_id) is None:
        raise InputError(f"no listing with id {listing_id}: see `markwatch suspects` for the ids")
    if not math.isfinite(paid) or paid < 0:
        raise InputError(f"paid amount {paid} must be a number of at least 0")
    row = TestBuy(
        listing_id=listing_id,
        order_number=_clean_text(order_number, "the order number", 100),
        paid=float(paid),
        currency=_clean_text(currency, "the currency", 8).upper(),
        ordered_at=at,
        notary=_clean_text(notary, "the notary", 200) if notary else None,
        photos=_photos(store, photos, "order"),
        actor=actor,
    )
    session.add(row)
    session.flush()
    return row


def receive_test_buy(
    session: Session, buy_id: int, *, at: dt.datetime, photos: Sequence[Path] = (), store: Path
) -> TestBuy:
    row = session.get(TestBuy, buy_id)
    if row is None:
        raise InputError(f"no test buy with id {buy_id}: see `markwatch testbuy list`")
    if at < row.ordered_at:
        raise InputError(
            f"received {at:%Y-%m-%d %H:%M} is before the order ({row.ordered_at:%Y-%m-%d %H:%M}): check --at"
        )
    row.received_at = at
    row.photos = [*row.photos, *_photos(store, photos, "receipt")]
    session.flush()
    return row


__all__ = ["add_test_buy", "receive_test_buy", "store_photo", "test_buys_for"]
