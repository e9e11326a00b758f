"""The messages each order's shopper was sent (or is about to be): one row per order, event and channel."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cannasync.store.once import insert_once
from cannasync.store.tables import OrderMessage
from cannasync.store.types import utcnow


class ShopperMessages:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, order_id: int, event: str, channel: str, recipient: str, detail: str = "") -> int | None:
        """Record a message to send; its id, or None when this order already has one for the event and channel
        (a status applied twice, by a poll and a webhook at once, tells the shopper once)."""
        inserted = insert_once(
            self.session,
            OrderMessage,
            {
                "order_id": order_id,
                "event": event,
                "channel": channel,
                "recipient": recipient,
                "state": "queued",
                "detail": detail,
                "created_at": utcnow(),
            },
            ["order_id", "event", "channel"],
        )
        if not inserted:
            return None
        return self.session.scalar(
            select(OrderMessage.id).where(
                OrderMessage.order_id == order_id, OrderMessage.event == event, OrderMessage.channel == channel
            )
        )

    def get(self, message_id: int, *, lock: bool = False) -> OrderMessage | None:
        if lock:
            return self.session.scalar(select(OrderMessage).where(OrderMessage.id == message_id).with_for_update())
        return self.session.get(OrderMessage, message_id)

    def for_order(self, order_id: int) -> list[OrderMessage]:
        return list(
            self.session.scalars(
                select(OrderMessage).where(OrderMessage.order_id == order_id).order_by(OrderMessage.id)
            )
        )

    def earlier_queued(self, message: OrderMessage) -> OrderMessage | None:
        """The order's oldest message on the same channel still waiting to go before this one, if any."""
        return self.session.scalar(
            select(OrderMessage)
            .where(
                OrderMessage.order_id == message.order_id,
                OrderMessage.channel == message.channel,
                OrderMessage.id < message.id,
                OrderMessage.state == "queued",
            )
            .order_by(OrderMessage.id)
        )
