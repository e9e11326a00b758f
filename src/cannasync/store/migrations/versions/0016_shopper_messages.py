"""the shopper stays informed: order messages by SMS and e-mail (each store turns each channel on), a link for
every order's page, and when a POS last pushed an order status (so its open orders need no tight poll)

Revision ID: 0016
Revises: 0015

Shop orders already had a page, at the random key of the checkout form that placed them (kept, prefixed, as the
order's Idempotency-Key); ``page_key`` holds that key for them, and a fresh random one for every other order, so
an order placed over the API has a page (and a link in its messages) too.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

import cannasync.store.types
from cannasync.store.migration_ops import drop_columns

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = cannasync.store.types.UTCDateTime(timezone=True)
#: The shop's prefix on the Idempotency-Key of the orders it places (web/shop/checkout_form.py, KEY_PREFIX).
_SHOP_PREFIX = "shop-"


def upgrade() -> None:
    # Not in a batch (see 0013): SQLite adds these in place, where a batch would rebuild tables others point at.
    op.add_column("stores", sa.Column("order_sms_enabled", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("stores", sa.Column("order_email_enabled", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("integrations", sa.Column("status_pushed_at", _AT, nullable=True))
    op.add_column("orders", sa.Column("page_key", sa.String(length=64), nullable=True))
    orders = sa.table("orders", sa.column("id", _ID), sa.column("idempotency_key"), sa.column("page_key"))
    bind = op.get_bind()
    rows = bind.execute(sa.select(orders.c.id, orders.c.idempotency_key)).all()
    for order_id, key in rows:
        page_key = key[len(_SHOP_PREFIX) :] if key and key.startswith(_SHOP_PREFIX) else secrets.token_urlsafe(24)
        bind.execute(orders.update().where(orders.c.id == order_id).values(page_key=page_key))
    # An index, not a constraint: SQLite creates it in place (a new constraint would rebuild `orders`).
    op.create_index("ix_orders_page_key", "orders", ["page_key"], unique=True)
    op.create_table(
        "order_messages",
        sa.Column("id", _ID, nullable=False),
        sa.Column("order_id", _ID, nullable=False),
        sa.Column("event", sa.String(length=30), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("gateway_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("sent_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_messages_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_messages")),
        sa.UniqueConstraint("order_id", "event", "channel", name=op.f("uq_order_messages_order_id")),
    )


def downgrade() -> None:
    op.drop_table("order_messages")
    op.drop_index("ix_orders_page_key", table_name="orders")
    drop_columns("orders", "page_key")
    drop_columns("integrations", "status_pushed_at")
    drop_columns("stores", "order_email_enabled", "order_sms_enabled")
