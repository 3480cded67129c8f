"""``markwatch testbuy add|receive|list``: test purchases of suspect listings, with their photos."""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

import click
from sqlalchemy.orm import Session

from crawler.cli.common import AppContext, pass_app
from crawler.cli.review import default_actor
from markwatch.errors import UserError

#: Where test-buy photos are kept (``<sha256>.<ext>``) unless --store is given.
DEFAULT_STORE = "testbuy-photos"


def _when(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"--at {text!r}: use a date (2026-11-20) or a time (2026-11-20T09:30)") from None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _store(store: Path | None) -> Path:
    return store or Path(os.environ.get("MARKWATCH_TESTBUY_DIR") or DEFAULT_STORE)


store_option = click.option(
    "--store",
    type=click.Path(path_type=Path, file_okay=False),
    help=f"Photo store folder (env MARKWATCH_TESTBUY_DIR; default ./{DEFAULT_STORE}); photos are copied "
    "in under their SHA-256.",
)
photo_option = click.option(
    "--photo",
    "photos",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="A photo or scan (order page, payment, parcel, product); repeatable.",
)


@click.group("testbuy")
def testbuy() -> None:
    """Test buys: the order, the payment, the delivery and their photos, for takedown packages."""


@testbuy.command("add")
@click.argument("listing_id", type=int)
@click.option("--order", "order_number", required=True, help="The platform's order number.")
@click.option("--paid", required=True, type=float, help="Amount paid.")
@click.option("--currency", default="CNY", show_default=True, help="Currency of the amount.")
@click.option("--at", "at", required=True, help="When ordered (UTC): 2026-11-20 or 2026-11-20T09:30.")
@click.option("--notary", help="The notary office that witnessed the purchase, if any.")
@photo_option
@store_option
@click.option("--actor", default=default_actor, show_default="$MARKWATCH_ACTOR or $USER", help="Who bought.")
@pass_app
def add(
    app: AppContext,
    listing_id: int,
    order_number: str,
    paid: float,
    currency: str,
    at: str,
    notary: str | None,
    photos: tuple[Path, ...],
    store: Path | None,
    actor: str,
) -> None:
    """Record a test buy of LISTING_ID; its photos are copied into the photo store.

    \b
    Example:
        markwatch testbuy add 12 --order 3021556677 --paid 299 --at 2026-11-20 --photo order.png
        markwatch testbuy add 12 --order 3021556678 --paid 299 --at 2026-11-21 --notary "Xuhui Notary"
    """
    from evidence.testbuys import add_test_buy

    if not math.isfinite(paid):
        raise UserError(f"--paid {paid}: give the amount paid as a number")
    with Session(app.engine()) as session, session.begin():
        row = add_test_buy(
            session,
            listing_id,
            order_number=order_number,
            paid=paid,
            currency=currency,
            at=_when(at),
            photos=photos,
            notary=notary,
            store=_store(store),
            actor=actor,
        )
        buy_id = row.id
    click.echo(f"test buy {buy_id} of listing {listing_id}: order {order_number}, {len(photos)} photo(s)")


@testbuy.command("receive")
@click.argument("buy_id", type=int)
@click.option("--at", "at", required=True, help="When the parcel came (UTC).")
@photo_option
@store_option
@pass_app
def receive(app: AppContext, buy_id: int, at: str, photos: tuple[Path, ...], store: Path | None) -> None:
    """Record that test buy BUY_ID arrived, with photos of the parcel and the product.

    \b
    Example:
        markwatch testbuy receive 3 --at 2026-11-24 --photo parcel.jpg --photo product.jpg
    """
    from evidence.testbuys import receive_test_buy

    with Session(app.engine()) as session, session.begin():
        row = receive_test_buy(session, buy_id, at=_when(at), photos=photos, store=_store(store))
        listing_id = row.listing_id
    click.echo(f"test buy {buy_id} of listing {listing_id}: received, {len(photos)} photo(s) added")


@testbuy.command("list")
@click.argument("listing_ids", nargs=-1, type=int)
@pass_app
def list_buys(app: AppContext, listing_ids: tuple[int, ...]) -> None:
    """The test buys of LISTING_IDS (all when none is given).

    \b
    Example:
        markwatch testbuy list 12
    """
    from sqlalchemy import select

    from storage.models import TestBuy

    with Session(app.engine()) as session:
        q = select(TestBuy).order_by(TestBuy.ordered_at, TestBuy.id)
        if listing_ids:
            q = q.where(TestBuy.listing_id.in_(listing_ids))
        rows = list(session.scalars(q))
        if not rows:
            click.echo("no test buys")
        for b in rows:
            click.echo(describe(b))


def describe(b: object) -> str:
    from storage.models import TestBuy

    assert isinstance(b, TestBuy)
    got = f"received {b.received_at:%Y-%m-%d}" if b.received_at else "not received yet"
    notary = f", notary {b.notary}" if b.notary else ""
    return (
        f"test buy {b.id} of listing {b.listing_id}: order {b.order_number}, paid {b.paid:g} {b.currency}, "
        f"ordered {b.ordered_at:%Y-%m-%d}, {got}{notary}, {len(b.photos or [])} photo(s)"
    )


def register(group: click.Group) -> None:
    group.add_command(testbuy)
