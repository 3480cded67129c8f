"""Contact ids per seller (WeChat, QQ, mobile), so that sellers sharing one are linked across platforms.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seller_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("seller_id", sa.String(length=100), nullable=False),
        sa.Column("seller_ref", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("found", sa.String(length=100), nullable=True),
        sa.Column("field", sa.String(length=20), nullable=True),
        sa.Column("listing_id", sa.Integer(), nullable=True),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_ref"],
            ["sellers.id"],
            name=op.f("fk_seller_contacts_seller_ref_sellers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_seller_contacts_listing_id_listings"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_contacts")),
        sa.UniqueConstraint(
            "platform", "seller_id", "kind", "value", name=op.f("uq_seller_contacts_platform")
        ),
    )
    op.create_index("ix_seller_contacts_kind_value", "seller_contacts", ["kind", "value"])
    op.create_index(op.f("ix_seller_contacts_seller_ref"), "seller_contacts", ["seller_ref"])
    op.create_index(op.f("ix_seller_contacts_listing_id"), "seller_contacts", ["listing_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_seller_contacts_listing_id"), table_name="seller_contacts")
    op.drop_index(op.f("ix_seller_contacts_seller_ref"), table_name="seller_contacts")
    op.drop_index("ix_seller_contacts_kind_value", table_name="seller_contacts")
    op.drop_table("seller_contacts")
