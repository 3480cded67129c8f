"""Index the foreign keys that had none (listings.relisted_from, the crawl-run references).

Without them every delete of a listing or crawl run scanned whole tables to check the references:
dropping or pruning 20,000 listings on SQLite took a minute (quadratic in the rows).

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_listings_relisted_from", "listings", "relisted_from"),
    ("ix_listings_last_run_id", "listings", "last_run_id"),
    ("ix_observations_run_id", "observations", "run_id"),
    ("ix_match_results_run_id", "match_results", "run_id"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _column in INDEXES:
        op.drop_index(name, table_name=table)
