"""Stock held for open orders: taken atomically at checkout, given back once when the order ends
(``domain.holds`` says when)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cannasync.domain import catalog as model
from cannasync.domain import holds as hold_rules
from cannasync.domain.orders import OrderStatus
from cannasync.store.catalog.stock import available_sql
from cannasync.store.db import rowcount
from cannasync.store.tables import Hold, Order, Product
from cannasync.store.types import utcnow


class OutOfStock(Exception):
    def __init__(self, product_id: int, name: str, wanted: int, available: int) -> None:
        super().__init__(f"only {available} of {name!r} available, {wanted} requested")
        self.product_id = product_id
        self.name = name
        self.wanted = wanted
        self.available = available


class Holds:
    def __init__(self, session: Session) -> None:
        self.session = session

    def take(self, product_id: int, quantity: int) -> None:
        """Take ``quantity`` out of what is available, atomically; raises OutOfStock when it is not there.

        One conditional UPDATE: the database re-checks the condition under its row lock, so two checkouts racing
        for the last unit cannot both succeed, on PostgreSQL or SQLite. ``record_hold`` says for which order.
        """
        taken = self.session.execute(
            update(Product)
            .where(
                Product.id == product_id,
                Product.visible.is_(True),
                available_sql() >= quantity,
            )
            .values(held_quantity=Product.held_quantity + quantity)
        )
        if rowcount(taken) != 1:
            product = self.session.get(Product, product_id)
            if product is not None:
                self.session.refresh(product)
            name = product.name if product else str(product_id)
            available = model.available_quantity(product.pos_quantity, product.held_quantity) if product else 0
            raise OutOfStock(product_id, name, quantity, available if product and product.visible else 0)

    def record_hold(self, order_id: int, product_id: int, quantity: int) -> None:
        self.session.add(Hold(order_id=order_id, product_id=product_id, quantity=quantity))

    def release_holds(self, order_id: int, reason: str) -> int:
        """Give back what an order holds; safe to call twice (a released hold is never released again)."""
        released = 0
        holds = self.session.scalars(select(Hold).where(Hold.order_id == order_id, Hold.released_at.is_(None)))
        for hold in list(holds):
            claimed = self.session.execute(
                update(Hold)
                .where(Hold.id == hold.id, Hold.released_at.is_(None))
                .values(released_at=utcnow(), release_reason=reason)
            )
            if rowcount(claimed) == 1:
                self.session.execute(
                    update(Product)
                    .where(Product.id == hold.product_id)
                    .values(held_quantity=Product.held_quantity - hold.quantity)
                )
                released += hold.quantity
        self.session.expire_all()
        return released

    def release_for_status(self, order_id: int, status: OrderStatus) -> int:
        """Give back what an order holds when ``status`` ends its holds (``domain.holds``); how much was released."""
        reason = hold_rules.release_on_status(status)
        return self.release_holds(order_id, reason) if reason else 0

    def release_at_push(self, order_id: int, *, counted_at_push: bool, keep_holding: bool) -> int:
        """Give back what a just-pushed order holds when its POS counts the stock from now (``domain.holds``)."""
        reason = hold_rules.release_on_push(counted_at_push=counted_at_push, keep_holding=keep_holding)
        return self.release_holds(order_id, reason) if reason else 0

    def hold_again(self, order_id: int, wanted: Mapping[int, int]) -> None:
        """Hold an order's quantities once more (a store that wants its stock kept after the POS counted it).

        Each product is taken with the same conditional UPDATE as checkout, so it only succeeds if the stock is
        still there; on OutOfStock the caller's transaction must roll back, so no product is left half-held.
        """
        for product_id, quantity in sorted(wanted.items()):
            self.take(product_id, quantity)
            self.record_hold(order_id, product_id, quantity)
        self.session.flush()

    def is_holding(self, order_id: int) -> bool:
        """Whether any of the order's stock is held right now."""
        held = select(Hold.id).where(Hold.order_id == order_id, Hold.released_at.is_(None)).limit(1)
        return self.session.scalar(held) is not None

    def of_order(self, order_id: int) -> list[Hold]:
        return list(self.session.scalars(select(Hold).where(Hold.order_id == order_id).order_by(Hold.id)))

    def open_of_product(self, product_id: int, limit: int = 50) -> list[tuple[Hold, int, str]]:
        """What a product's held count is made of: each open hold with its order's id and number, oldest first."""
        rows = self.session.execute(
            select(Hold, Order.id, Order.number)
            .join(Order, Order.id == Hold.order_id)
            .where(Hold.product_id == product_id, Hold.released_at.is_(None))
            .order_by(Hold.id)
            .limit(limit)
        )
        return [(hold, order_id, number) for hold, order_id, number in rows]
