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

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone_chosen", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("address", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("hours", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("pickup_enabled", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column("delivery_enabled", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column("delivery_fee_cents", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("delivery_minimum_cents", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("limit_overrides", sa.JSON(), nullable=True))
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("base_category", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("net_weight", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("net_weight_unit", sa.String(length=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("net_weight_unit")
        batch_op.drop_column("net_weight")
        batch_op.drop_column("base_category")
    with op.batch_alter_table("stores", schema=None) as batch_op:
        for name in (
            "limit_overrides",
            "delivery_minimum_cents",
            "delivery_fee_cents",
            "delivery_enabled",
            "pickup_enabled",
            "hours",
            "phone",
            "address",
            "timezone_chosen",
        ):
            batch_op.drop_column(name)
