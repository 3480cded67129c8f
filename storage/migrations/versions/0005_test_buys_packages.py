"""test buys, and the takedown packages' manifests

``test_buys``: a test purchase of a listing (order number, amount paid, when ordered and received,
the notary, the photos in the photo store by SHA-256). ``evidence_packages``: each exported takedown
package with the SHA-256 of its manifest, so ``evidence verify --against-db`` recognises a package
wherever it was moved.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "test_buys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("order_number", sa.String(length=100), nullable=False),
        sa.Column("paid", sa.Double(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("ordered_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=True),
        sa.Column("notary", sa.String(length=200), nullable=True),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name=op.f("fk_test_buys_listing_id_listings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_buys")),
    )
    op.create_index(op.f("ix_test_buys_listing_id"), "test_buys", ["listing_id"], unique=False)
    op.create_table(
        "evidence_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("directory", sa.Text(), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_evidence_packages_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_packages")),
    )
    op.create_index(op.f("ix_evidence_packages_brand_id"), "evidence_packages", ["brand_id"], unique=False)
    op.create_index(
        op.f("ix_evidence_packages_manifest_sha256"), "evidence_packages", ["manifest_sha256"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_evidence_packages_manifest_sha256"), table_name="evidence_packages")
    op.drop_index(op.f("ix_evidence_packages_brand_id"), table_name="evidence_packages")
    op.drop_table("evidence_packages")
    op.drop_index(op.f("ix_test_buys_listing_id"), table_name="test_buys")
    op.drop_table("test_buys")
