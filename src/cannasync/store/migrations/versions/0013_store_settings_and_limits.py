"""store settings (address, phone, hours, pickup/delivery, delivery fee and minimum, purchase-limit overrides) and
each product's net weight, which purchase limits count

Revision ID: 0013
Revises: 0012

A store's time zone was always kept; ``timezone_chosen`` now says whether a person chose it, so a POS location's
own time zone may fill it until someone does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cannasync.store.migration_ops import drop_columns

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not in a batch: on SQLite a batch that adds a column with a server default rebuilds the table, and dropping
    # the old `stores` deletes every order, product and schedule of the store through their ON DELETE CASCADE
    # (foreign keys are on for every connection, store/db.py). SQLite adds these columns in place.
    for column in (
        sa.Column("timezone_chosen", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("address", sa.JSON(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("hours", sa.JSON(), nullable=True),
        sa.Column("pickup_enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("delivery_enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("delivery_fee_cents", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("delivery_minimum_cents", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("limit_overrides", sa.JSON(), nullable=True),
    ):
        op.add_column("stores", column)
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("base_category", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("net_weight", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("net_weight_unit", sa.String(length=4), nullable=True))


def downgrade() -> None:
    drop_columns("products", "net_weight_unit", "net_weight", "base_category")
    drop_columns(
        "stores",
        "limit_overrides",
        "delivery_minimum_cents",
        "delivery_fee_cents",
        "delivery_enabled",
        "pickup_enabled",
        "hours",
        "phone",
        "address",
        "timezone_chosen",
    )
