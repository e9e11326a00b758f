"""sizes and weight tiers: each product's variant key (sizes of one product are one card on the menu) and the
weight tier an order line was sold by

Revision ID: 0017
Revises: 0016

The key of the products already synced is worked out here, with the same rule the sync uses
(``domain.variants.variant_key``), so a store's menu groups its sizes at once, not only as products change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cannasync.domain.variants import variant_key

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Not in a batch (see 0013): SQLite adds these in place, where a batch would rebuild tables others point at.
    op.add_column("products", sa.Column("variant_key", sa.String(length=32), nullable=True))
    op.add_column("order_lines", sa.Column("tier_label", sa.String(length=100), nullable=True))
    op.add_column("order_lines", sa.Column("tier_quantity", sa.String(length=40), nullable=True))
    op.add_column("order_lines", sa.Column("tier_unit", sa.String(length=8), nullable=True))
    products = sa.table(
        "products",
        sa.column("id", _ID),
        sa.column("name"),
        sa.column("brand"),
        sa.column("pos_category"),
        sa.column("variant_key"),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(products.c.id, products.c.name, products.c.brand, products.c.pos_category)).all()
    keyed = [
        {"row_id": row_id, "key": key}
        for row_id, name, brand, category in rows
        if (key := variant_key(name, brand, category)) is not None
    ]
    if keyed:
        bind.execute(
            products.update().where(products.c.id == sa.bindparam("row_id")).values(variant_key=sa.bindparam("key")),
            keyed,
        )
    op.create_index("ix_products_store_variant", "products", ["store_id", "variant_key", "visible"])


def downgrade() -> None:
    op.drop_index("ix_products_store_variant", table_name="products")
    for column in ("tier_unit", "tier_quantity", "tier_label"):
        op.drop_column("order_lines", column)
    op.drop_column("products", "variant_key")
