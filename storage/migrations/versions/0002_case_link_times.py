"""case links: when each link was counter-noticed and when its outcome came

Per link, not per case: a platform may act on some links of a complaint and a seller may
counter-notice one link only, and the scorecard counts links (Alibaba's Good-Faith bounds).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_listings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("counter_notice_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_listings", schema=None) as batch_op:
        batch_op.drop_column("counter_notice_at")
        batch_op.drop_column("outcome_at")
