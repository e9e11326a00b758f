"""integrations.last_check: the last account check's report (no secret in it), kept for the console and support

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cannasync.store.migration_ops import drop_columns

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_check", sa.JSON(), nullable=True))


def downgrade() -> None:
    drop_columns("integrations", "last_check")
