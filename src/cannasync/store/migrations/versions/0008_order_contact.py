"""per-order contact: each order keeps the contact details typed with it; customers remember an unbound POS create

Revision ID: 0008
Revises: 0007

Before this revision a checkout that matched an earlier shopper (same phone or e-mail) overwrote that shopper's
name and date of birth, so older orders showed the newer shopper. Existing orders are back-filled from their
customer row as it is now: what they showed until today.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import cannasync.store.types
from cannasync.store.migration_ops import drop_columns

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_BATCH = 1000

_customers = sa.table(
    "customers",
    sa.column("id", _ID),
    sa.column("first_name", sa.String),
    sa.column("last_name", sa.String),
    sa.column("date_of_birth", sa.String),
    sa.column("phone", sa.String),
    sa.column("email", sa.String),
    sa.column("medical_id", sa.String),
    sa.column("medical_id_expiration", sa.String),
)
_orders = sa.table("orders", sa.column("id", _ID), sa.column("customer_id", _ID), sa.column("contact", sa.JSON))


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact", sa.JSON(), nullable=True))
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pos_create_started_at", cannasync.store.types.UTCDateTime(timezone=True), nullable=True)
        )
    _backfill()


def _backfill() -> None:
    connection = op.get_bind()
    after = 0
    while True:
        rows = connection.execute(
            sa.select(_orders.c.id, *(c for c in _customers.c if c.name != "id"))
            .join(_customers, _customers.c.id == _orders.c.customer_id)
            .where(_orders.c.id > after, _orders.c.contact.is_(None))
            .order_by(_orders.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            contact: dict[str, Any] = {key: value for key, value in row._mapping.items() if key != "id"}
            connection.execute(sa.update(_orders).where(_orders.c.id == row.id).values(contact=contact))
        after = rows[-1].id


def downgrade() -> None:
    drop_columns("customers", "pos_create_started_at")
    drop_columns("orders", "contact")
