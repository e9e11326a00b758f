"""What the store may still sell, in SQL: the one place a query writes ``domain.catalog.available_quantity``."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import ColumnElement, and_

from cannasync.store.tables import Product

#: Available quantities at or below this (and above zero) count as low stock on the products screen.
LOW_STOCK = 5

StockLevel = Literal["in", "out", "low"]


def available_sql(entity: Any = Product) -> ColumnElement[int]:
    """``domain.catalog.available_quantity`` in SQL, the one place the store writes it: what the POS can sell less
    what open orders hold (a row at or below 0 is sold out)."""
    difference: ColumnElement[int] = entity.pos_quantity - entity.held_quantity
    return difference


def stock_condition(stock: StockLevel, low_stock: int) -> ColumnElement[bool]:
    available = available_sql()
    if stock == "out":
        return available <= 0
    if stock == "low":
        return and_(available > 0, available <= low_stock)
    return available > 0
