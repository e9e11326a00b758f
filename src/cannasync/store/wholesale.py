"""The wholesale bridge's pairs: products, buyers and orders on both sides, and webhook receipts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cannasync.store.once import get_or_create, insert_once
from cannasync.store.tables import WebhookReceipt, WholesaleCustomer, WholesaleOrder, WholesaleProduct


class Wholesale:
    def __init__(self, session: Session) -> None:
        self.session = session

    def product_for_item(self, integration_id: int, item_id: str) -> WholesaleProduct | None:
        return self.session.scalar(
            select(WholesaleProduct).where(
                WholesaleProduct.integration_id == integration_id, WholesaleProduct.pos_item_id == item_id
            )
        )

    def item_for_product(self, integration_id: int, product_id: str) -> str | None:
        return self.session.scalar(
            select(WholesaleProduct.pos_item_id).where(
                WholesaleProduct.integration_id == integration_id, WholesaleProduct.market_product_id == product_id
            )
        )

    def pair_product(self, integration_id: int, item_id: str, product_id: str) -> WholesaleProduct:
        """The item's pair; an item paired already (by a run racing this one) keeps the product it has."""
        pair, _ = get_or_create(
            self.session,
            WholesaleProduct,
            {"integration_id": integration_id, "pos_item_id": item_id},
            {"market_product_id": product_id},
        )
        return pair

    def pair_customer(self, integration_id: int, customer_id: str, destination_id: str) -> str:
        """The buyer's destination: this one, or the one a racing run paired first."""
        pair, _ = get_or_create(
            self.session,
            WholesaleCustomer,
            {"integration_id": integration_id, "market_customer_id": customer_id},
            {"pos_destination_id": destination_id},
        )
        return pair.pos_destination_id

    def order(self, integration_id: int, number: str) -> WholesaleOrder | None:
        return self.session.scalar(
            select(WholesaleOrder).where(
                WholesaleOrder.integration_id == integration_id, WholesaleOrder.market_number == number
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
        """The order's pair, new with this status unless a racing run made it first."""
        pair, _ = get_or_create(
            self.session,
            WholesaleOrder,
            {"integration_id": integration_id, "market_number": number},
            {"market_status": status},
        )
        return pair

    def first_receipt(self, integration_id: int, digest: str) -> bool:
        """Record a webhook body; False when this exact body was handled before (a redelivery)."""
        return insert_once(
            self.session,
            WebhookReceipt,
            {"integration_id": integration_id, "digest": digest},
            ["integration_id", "digest"],
        )

    # --- console reads (web/console/wholesale.py) ---
    def order_pairs(
        self, integration_ids: Sequence[int], *, limit: int, offset: int, conflicts_only: bool = False
    ) -> tuple[list[WholesaleOrder], int]:
        """A page of order pairs of these links, most recently changed first; and how many there are."""
        query = select(WholesaleOrder).where(WholesaleOrder.integration_id.in_(list(integration_ids)))
        if conflicts_only:
            query = query.where(WholesaleOrder.conflict.is_not(None))
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self.session.scalars(
            query.order_by(WholesaleOrder.updated_at.desc(), WholesaleOrder.id.desc()).limit(limit).offset(offset)
        )
        return list(rows), total

    def link_counts(self, integration_ids: Sequence[int]) -> dict[int, tuple[int, int, int]]:
        """integration id → (products bridged, order pairs, pairs with a conflict left for a person)."""
        ids = list(integration_ids)
        products = {
            integration_id: int(count)
            for integration_id, count in self.session.execute(
                select(WholesaleProduct.integration_id, func.count())
                .where(WholesaleProduct.integration_id.in_(ids))
                .group_by(WholesaleProduct.integration_id)
            )
        }
        orders = {
            integration_id: (int(total), int(conflicts or 0))
            for integration_id, total, conflicts in self.session.execute(
                select(
                    WholesaleOrder.integration_id,
                    func.count(),
                    func.count(WholesaleOrder.conflict),
                )
                .where(WholesaleOrder.integration_id.in_(ids))
                .group_by(WholesaleOrder.integration_id)
            )
        }
        return {i: (products.get(i, 0), *orders.get(i, (0, 0))) for i in ids}
