"""Workflow state in typed columns: the review reason, sightings after a takedown, the removal proof.

Until now the analyst's ``--reason`` and the ``seen_after_takedown`` flag lived in ``listings.extra``
beside the crawled attributes, and a re-crawl that saw any change replaced ``extra`` whole: both were
lost. They move to columns of their own (data migrated both ways); ``extra`` keeps crawled attributes
only. ``gone_proof`` says what proved a removal (rows already gone become ``legacy``).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: ``extra`` keys that were analyst or workflow state.
MOVED = ("reason", "seen_after_takedown")

_listings = sa.table(
    "listings",
    sa.column("id", sa.Integer),
    sa.column("extra", sa.JSON),
    sa.column("gone_at", sa.DateTime),
    sa.column("review_reason", sa.String),
    sa.column("seen_after_takedown_count", sa.Integer),
    sa.column("seen_after_takedown_first_at", sa.DateTime),
    sa.column("seen_after_takedown_at", sa.DateTime),
    sa.column("seen_after_takedown_status", sa.String),
    sa.column("seen_after_takedown_run_id", sa.Integer),
    sa.column("gone_proof", sa.String),
)


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("review_reason", sa.String(length=40), nullable=True),
        sa.Column("seen_after_takedown_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("seen_after_takedown_first_at", sa.DateTime(), nullable=True),
        sa.Column("seen_after_takedown_at", sa.DateTime(), nullable=True),
        sa.Column("seen_after_takedown_status", sa.String(length=20), nullable=True),
        # the run's number as a record, no foreign key (SQLite cannot add one without copying the table)
        sa.Column("seen_after_takedown_run_id", sa.Integer(), nullable=True),
        sa.Column("gone_proof", sa.String(length=20), nullable=True),
        sa.Column("gone_proof_detail", sa.Text(), nullable=True),
    ]


def _when(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        return None


def _has_moved_keys(extra: Any) -> bool:
    return isinstance(extra, dict) and any(k in extra for k in MOVED)


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: a batch copy of ``listings`` on SQLite would drop the table,
    # and with foreign keys on, dropping it deletes (cascades to) every observation, image and review.
    for column in _columns():
        op.add_column("listings", column)
    op.create_index("ix_listings_seen_after_takedown_run_id", "listings", ["seen_after_takedown_run_id"])

    conn = op.get_bind()
    conn.execute(sa.update(_listings).where(_listings.c.gone_at.is_not(None)).values(gone_proof="legacy"))
    updates = []
    for lid, extra in conn.execute(sa.select(_listings.c.id, _listings.c.extra)):
        if not _has_moved_keys(extra):
            continue
        rest = {k: v for k, v in extra.items() if k not in MOVED}
        row: dict[str, Any] = {"lid": lid, "extra": rest}
        reason = extra.get("reason")
        row["review_reason"] = str(reason)[:40] if reason else None
        flag = extra.get("seen_after_takedown")
        if isinstance(flag, dict):
            at = _when(flag.get("at"))
            row["seen_after_takedown_count"] = 1 if at else 0
            row["seen_after_takedown_at"] = at
            row["seen_after_takedown_first_at"] = _when(flag.get("first_at")) or at
            status = flag.get("status")
            row["seen_after_takedown_status"] = str(status)[:20] if status else None
            run = flag.get("run_id")
            row["seen_after_takedown_run_id"] = run if isinstance(run, int) else None
        else:
            row.update(
                seen_after_takedown_count=0,
                seen_after_takedown_at=None,
                seen_after_takedown_first_at=None,
                seen_after_takedown_status=None,
                seen_after_takedown_run_id=None,
            )
        updates.append(row)
    if updates:
        conn.execute(
            sa.update(_listings)
            .where(_listings.c.id == sa.bindparam("lid"))
            .values(
                extra=sa.bindparam("extra"),
                review_reason=sa.bindparam("review_reason"),
                seen_after_takedown_count=sa.bindparam("seen_after_takedown_count"),
                seen_after_takedown_at=sa.bindparam("seen_after_takedown_at"),
                seen_after_takedown_first_at=sa.bindparam("seen_after_takedown_first_at"),
                seen_after_takedown_status=sa.bindparam("seen_after_takedown_status"),
                seen_after_takedown_run_id=sa.bindparam("seen_after_takedown_run_id"),
            ),
            updates,
        )


def downgrade() -> None:
    conn = op.get_bind()
    cols = _listings.c
    rows = conn.execute(
        sa.select(
            cols.id,
            cols.extra,
            cols.review_reason,
            cols.seen_after_takedown_at,
            cols.seen_after_takedown_first_at,
            cols.seen_after_takedown_status,
            cols.seen_after_takedown_run_id,
        ).where(sa.or_(cols.review_reason.is_not(None), cols.seen_after_takedown_at.is_not(None)))
    ).all()
    updates = []
    for lid, extra, reason, at, first_at, status, run_id in rows:
        back = dict(extra or {})
        if reason:
            back["reason"] = reason
        if at is not None:
            back["seen_after_takedown"] = {
                "run_id": run_id,
                "at": at.isoformat(timespec="seconds"),
                "status": status,
                "first_at": (first_at or at).isoformat(timespec="seconds"),
            }
        updates.append({"lid": lid, "extra": back})
    if updates:
        conn.execute(
            sa.update(_listings)
            .where(_listings.c.id == sa.bindparam("lid"))
            .values(extra=sa.bindparam("extra")),
            updates,
        )
    op.drop_index("ix_listings_seen_after_takedown_run_id", table_name="listings")
    for column in reversed(_columns()):  # native DROP COLUMN (SQLite 3.35+): no copy of the table
        op.drop_column("listings", column.name)
