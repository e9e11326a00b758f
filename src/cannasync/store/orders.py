"""Orders, their customers and their history."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cannasync.domain.customers import CustomerDetails
from cannasync.store.tables import Customer, Order, OrderEvent, Store


class Orders:
    def __init__(self, session: Session) -> None:
        self.session = session

    def next_sequence(self, store_id: int) -> int:
        """The store's next sequential order number, taken atomically (the row update serialises callers)."""
        value: int | None = self.session.scalar(
            update(Store)
            .where(Store.id == store_id)
            .values(last_order_sequence=Store.last_order_sequence + 1)
            .returning(Store.last_order_sequence)  # one round trip, not an UPDATE and a SELECT
        )
        assert value is not None
        return value

    def number_taken(self, store_id: int, number: str) -> bool:
        return (
            self.session.scalar(select(Order.id).where(Order.store_id == store_id, Order.number == number)) is not None
        )

    def by_pos_order_id(self, integration_id: int, pos_order_id: str) -> int | None:
        return self.session.scalar(
            select(Order.id).where(Order.integration_id == integration_id, Order.pos_order_id == pos_order_id)
        )

    def by_idempotency_key(self, store_id: int, key: str) -> Order | None:
        return self.session.scalar(select(Order).where(Order.store_id == store_id, Order.idempotency_key == key))

    def by_page_key(self, store_id: int, page_key: str) -> Order | None:
        """The order whose shopper page is ``/shop/<store_id>/orders/<page_key>``."""
        return self.session.scalar(select(Order).where(Order.page_key == page_key, Order.store_id == store_id))

    def by_number(self, store_id: int, number: str) -> Order | None:
        return self.session.scalar(select(Order).where(Order.store_id == store_id, Order.number == number))

    def get(self, order_id: int, *, lock: bool = False) -> Order | None:
        if lock:
            return self.session.scalar(select(Order).where(Order.id == order_id).with_for_update(of=Order))
        return self.session.get(Order, order_id)

    def for_store(self, store_id: int, *, status: str | None = None, limit: int = 50, offset: int = 0) -> list[Order]:
        query = select(Order).where(Order.store_id == store_id)
        if status:
            query = query.where(Order.status == status)
        return list(self.session.scalars(query.order_by(Order.id.desc()).limit(limit).offset(offset)).unique())

    def needing_attention(self, organization_id: int) -> list[Order]:
        """The organization's orders that carry a task for staff (e.g. a live POS order to cancel by hand)."""
        query = (
            select(Order)
            .join(Store, Store.id == Order.store_id)
            .where(Store.organization_id == organization_id, Order.attention.is_not(None))
            .order_by(Order.id)
        )
        return list(self.session.scalars(query).unique())

    def awaiting_pos_status(self, integration_id: int, statuses: Sequence[str]) -> list[int]:
        return list(
            self.session.scalars(
                select(Order.id)
                .where(
                    Order.integration_id == integration_id,
                    Order.pos_order_id.is_not(None),
                    Order.status.in_(list(statuses)),
                )
                .order_by(Order.id)
            )
        )

    def record(
        self,
        order_id: int,
        kind: str,
        source: str,
        detail: str = "",
        *,
        from_status: str | None = None,
        to_status: str | None = None,
    ) -> None:
        self.session.add(
            OrderEvent(
                order_id=order_id,
                kind=kind,
                source=source,
                detail=detail,
                from_status=from_status,
                to_status=to_status,
            )
        )

    def events(self, order_id: int) -> list[OrderEvent]:
        return list(
            self.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id))
        )

    # --- customers ---
    def match_customer(self, store_id: int, details: CustomerDetails) -> Customer | None:
        """The store's own record of this shopper, by medical id, phone or email, in that order."""
        for column, value in (
            (Customer.medical_id, details.medical_id),
            (Customer.phone, details.phone),
            (Customer.email, details.email),
        ):
            if value:
                found = self.session.scalar(
                    select(Customer).where(Customer.store_id == store_id, column == value).order_by(Customer.id)
                )
                if found is not None:
                    return found
        return None

    def save_customer(self, store_id: int, details: CustomerDetails) -> Customer:
        """The shopper's match key: the matched record with its empty fields filled, or a new one.

        A match never rewrites what is already there: two shoppers may share a phone or an e-mail, and each
        order keeps its own contact (``contact_record``), so an earlier order never shows a later shopper.
        Customers have no unique key to insert against (a phone may be shared), so the match is serialised on the
        store's row, which the order number takes next anyway: two checkouts at once never make two records.
        """
        self.session.execute(select(Store.id).where(Store.id == store_id).with_for_update())
        customer = self.match_customer(store_id, details)
        if customer is None:
            customer = Customer(store_id=store_id, first_name=details.first_name, last_name=details.last_name)
            self.session.add(customer)
        record = contact_record(details)
        for field, value in record.items():
            if value and not getattr(customer, field):
                setattr(customer, field, value)
        self.session.flush()
        return customer


#: The fields of a contact, as an order keeps it and a customer row holds it.
CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "phone",
    "email",
    "medical_id",
    "medical_id_expiration",
)


def contact_record(details: CustomerDetails) -> dict[str, str | None]:
    """The contact typed with an order, as stored on it (dates as YYYY-MM-DD)."""
    return {
        "first_name": details.first_name,
        "last_name": details.last_name,
        "date_of_birth": details.date_of_birth.isoformat() if details.date_of_birth else None,
        "phone": details.phone,
        "email": details.email,
        "medical_id": details.medical_id,
        "medical_id_expiration": details.medical_id_expiration.isoformat() if details.medical_id_expiration else None,
    }
