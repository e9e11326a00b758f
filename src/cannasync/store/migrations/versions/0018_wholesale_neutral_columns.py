"""the wholesale bridge's pairs name their sides, not their vendors: pos_* and market_* columns

Revision ID: 0018
Revises: 0017

Each column is renamed in place (``ALTER TABLE … RENAME COLUMN``, which SQLite has done without rebuilding the table
since 3.25, and PostgreSQL always has): no row is copied, and the unique constraints, named after the table and
its first column (``integration_id``), keep their names.
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

#: table → (old name, new name) for each column.
RENAMES: dict[str, tuple[tuple[str, str], ...]] = {
    "wholesale_products": (("flourish_item_id", "pos_item_id"), ("leaflink_product_id", "market_product_id")),
    "wholesale_customers": (
        ("leaflink_customer_id", "market_customer_id"),
        ("flourish_destination_id", "pos_destination_id"),
    ),
    "wholesale_orders": (
        ("leaflink_number", "market_number"),
        ("flourish_order_id", "pos_order_id"),
        ("leaflink_status", "market_status"),
        ("flourish_status", "pos_status"),
    ),
}


def _rename(backwards: bool) -> None:
    for table, columns in RENAMES.items():
        for old, new in columns:
            before, after = (new, old) if backwards else (old, new)
            op.execute(f"ALTER TABLE {table} RENAME COLUMN {before} TO {after}")


def upgrade() -> None:
    _rename(backwards=False)


def downgrade() -> None:
    _rename(backwards=True)
