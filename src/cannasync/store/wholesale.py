"""The wholesale bridge's pairs: products, buyers and orders on both sides, and webhook receipts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cannasync.store.tables import WebhookReceipt, WholesaleCustomer, WholesaleOrder, WholesaleProduct


class Wholesale:
    def __init__(self, session: Session) -> None:
        self.session = session

    def product_for_item(self, integration_id: int, item_id: str) -> WholesaleProduct | None:
        return self.session.scalar(
            select(WholesaleProduct).where(
                WholesaleProduct.integration_id == integration_id, WholesaleProduct.flourish_item_id == item_id
            )
        )

    def item_for_product(self, integration_id: int, product_id: str) -> str | None:
        return self.session.scalar(
            select(WholesaleProduct.flourish_item_id).where(
                WholesaleProduct.integration_id == integration_id, WholesaleProduct.leaflink_product_id == product_id
            )
        )

    def pair_product(self, integration_id: int, item_id: str, product_id: str) -> WholesaleProduct:
        pair = WholesaleProduct(integration_id=integration_id, flourish_item_id=item_id, leaflink_product_id=product_id)
        self.session.add(pair)
        self.session.flush()
        return pair

    def destination_for(self, integration_id: int, customer_id: str) -> str | None:
        return self.session.scalar(
            select(WholesaleCustomer.flourish_destination_id).where(
                WholesaleCustomer.integration_id == integration_id,
                WholesaleCustomer.leaflink_customer_id == customer_id,
            )
        )

    def pair_customer(self, integration_id: int, customer_id: str, destination_id: str) -> None:
        self.session.add(
            WholesaleCustomer(
                integration_id=integration_id, leaflink_customer_id=customer_id, flourish_destination_id=destination_id
            )
        )
        self.session.flush()

    def order(self, integration_id: int, number: str) -> WholesaleOrder | None:
        return self.session.scalar(
            select(WholesaleOrder).where(
                WholesaleOrder.integration_id == integration_id, WholesaleOrder.leaflink_number == number
            )
        )

    def orders(self, integration_id: int) -> list[WholesaleOrder]:
        return list(
            self.session.scalars(
                select(WholesaleOrder)
                .where(WholesaleOrder.integration_id == integration_id)
                .order_by(WholesaleOrder.id)
            )
        )

    def add_order(self, integration_id: int, number: str, status: str) -> WholesaleOrder:
        pair = WholesaleOrder(integration_id=integration_id, leaflink_number=number, leaflink_status=status)
        self.session.add(pair)
        self.session.flush()
        return pair

    def first_receipt(self, integration_id: int, digest: str) -> bool:
        """Record a webhook body; False when this exact body was handled before (a redelivery)."""
        try:
            with self.session.begin_nested():
                self.session.add(WebhookReceipt(integration_id=integration_id, digest=digest))
        except IntegrityError:
            return False
        return True
