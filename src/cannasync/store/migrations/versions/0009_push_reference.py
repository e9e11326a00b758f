"""order push: a reference unique across stores, and a staff task on the order

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("push_reference", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("attention", sa.Text(), nullable=True))
    # A push already tried (or being tried) was sent with the bare order number: its lookup after an unknown
    # outcome must ask for that number, not for the new reference, or it would create the order a second time.
    op.execute(
        sa.text(
            "UPDATE orders SET push_reference = number WHERE id IN ("
            " SELECT subject_id FROM outbox WHERE kind = 'push_order'"
            " AND (state = 'sending' OR (state = 'pending' AND attempts > 0)))"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("attention")
        batch_op.drop_column("push_reference")
