"""integrations.last_check: the last account check's report (no secret in it), kept for the console and support

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_check", sa.JSON(), nullable=True))


def downgrade() -> None:
    _drop_columns("integrations", "last_check")


def _drop_columns(table: str, *names: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # A batch drop rebuilds the table, and SQLite refuses to drop a table other rows point at while foreign
        # keys are on (they are, for every connection; see store/db.py). SQLite 3.35+ drops a column in place.
        for name in names:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
        return
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name in names:
            batch_op.drop_column(name)
