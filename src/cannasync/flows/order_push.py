"""Order push: each confirmed order into the POS exactly once, through the outbox.

Exactly once, even when a call times out after the POS created the order: a message whose last attempt had an
unknown outcome first looks the order up (by our reference, or by content where the POS keeps none), and only
creates it when the POS has none that is ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import structlog

from cannasync.connectors.base import (
    Address,
    CancelRefused,
    Connector,
    CustomerDirectory,
    HoldRelease,
    OrderCanceller,
    OrderSink,
    PlacedOrder,
    PosOffer,
    PosOrder,
    PosOrderLine,
)
from cannasync.connectors.http import AuthenticationFailed, OutcomeUnknown, Rejected, Unavailable, VendorError
from cannasync.domain.orders import Fee, Fulfillment, OrderStatus
from cannasync.domain.sync import MappingError
from cannasync.domain.variants import stock_units
from cannasync.flows import customers, order_status
from cannasync.flows.checkout import PUSH_ORDER, apply_status, queue_pos_cancel, tier_quantity
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.catalog.products import PRODUCT
from cannasync.store.tables import Order
from cannasync.store.uow import Database, UnitOfWork

log = structlog.get_logger(__name__)


def _pos_order(
    uow: UnitOfWork, order: Order, integration: IntegrationConfig, customer_pos_id: str | None, callback: str | None
) -> PosOrder:
    product_ids = [line.product_id for line in order.lines]
    pos_ids = uow.bindings.externals(integration.id, PRODUCT, product_ids)
    by_position = {line.position: line for line in order.lines}
    lines = []
    for line in order.lines:
        if line.product_id not in pos_ids:
            raise MappingError(f"{line.name!r} is not bound to a POS item")
        product = uow.catalog.product(line.product_id)
        lines.append(
            PosOrderLine(
                pos_item_id=pos_ids[line.product_id],
                sku=product.sku if product else None,
                name=line.name,
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
                discount_cents=line.discount_cents,
                tier_quantity=tier_quantity(line),
                tier_unit=line.tier_unit,
            )
        )
    offers = [
        PosOffer(
            label=offer.label,
            amount_cents=offer.amount_cents,
            pos_item_id=pos_ids.get(by_position[offer.line_position].product_id)
            if offer.line_position is not None and offer.line_position in by_position
            else None,
        )
        for offer in order.offers
    ]
    address = order.delivery_address
    return PosOrder(
        reference=order.push_reference or reference_for(order.store_id, order.number),
        customer_pos_id=customer_pos_id,
        customer=customers.contact_of(order),  # what this order's shopper typed, not the shared row
        fulfillment=Fulfillment(order.fulfillment),
        is_medical=order.is_medical,
        placed_at=order.placed_at,
        lines=lines,
        offers=offers,
        fees=[Fee(fee["name"], int(fee["amount_cents"])) for fee in order.fees],
        notes=order.notes,
        delivery_address=Address(
            line1=address.get("line1", ""),
            line2=address.get("line2", ""),
            city=address.get("city", ""),
            state=address.get("state", ""),
            postcode=address.get("postcode", ""),
        )
        if address
        else None,
        window_start=order.window_start,
        window_end=order.window_end,
        total_cents=order.total_cents,
        customer_reference=str(order.customer_id),
        status_callback_url=callback,
    )


def push(
    db: Database,
    connector: Connector,
    integration: IntegrationConfig,
    message_id: int,
    status_callback_url: str | None = None,
) -> str:
    """Send one outbox message; returns what happened (pushed, found, cancelled, skipped, retry, failed).

    ``status_callback_url`` is where a POS that pushes status changes should send them for this integration.
    A message for an order cancelled meanwhile makes sure no live POS order is left behind unknown: it looks up
    what an unknown outcome may have created, cancels the POS order where its API can, and otherwise leaves a
    task for staff on the order (``attention``).
    """
    assert isinstance(connector, OrderSink)
    with db.uow() as uow:
        message = uow.outbox.get(message_id)
        assert message is not None and message.kind == PUSH_ORDER
        order = uow.orders.get(message.subject_id, lock=True)
        assert order is not None
        if order.push_reference is None:
            order.push_reference = reference_for(order.store_id, order.number)
        cancelled = order.status == OrderStatus.CANCELLED.value
        if cancelled and order.pos_order_id:
            pos_id = order.pos_order_id
        elif cancelled and message.outcome_unknown:
            pos_id = None  # an earlier attempt may have created it: look it up below, then cancel it
        elif order.pos_order_id or order.status != OrderStatus.CONFIRMED.value:
            uow.outbox.done(message, {"skipped": f"order is {order.status}", "pos_order_id": order.pos_order_id})
            return "skipped"
        else:
            pos_id = None
        look_first = message.outcome_unknown
        order_id, reference, placed_at = order.id, order.push_reference, order.placed_at
        customer_id, is_medical = order.customer_id, order.is_medical
        contact = customers.contact_of(order)
        queued_at = message.created_at
    if cancelled and pos_id:
        return _cancel_in_pos(db, connector, message_id, order_id, pos_id)
    try:
        pos_id = (
            _find_ours(db, connector, integration, order_id, reference, placed_at, queued_at) if look_first else None
        )
        how = "found after an unknown outcome" if pos_id else "created"
        if pos_id is None and cancelled:
            with db.uow() as uow:
                message = uow.outbox.get(message_id)
                assert message is not None
                uow.outbox.done(message, {"skipped": "order is cancelled", "pos_order_id": None})
                uow.orders.record(order_id, "push", "hub", "cancelled before it reached the POS: nothing to cancel")
            return "skipped"
        if pos_id is None:
            customer_pos_id: str | None = None
            found_by = "the POS, from the order"
            if isinstance(connector, CustomerDirectory):
                customer_pos_id, found_by = customers.resolve(
                    db,
                    connector,
                    integration,
                    customer_id,
                    contact,
                    is_medical=is_medical,
                    require_verification=connector.options.require_medical_verification,
                )
            with db.uow() as uow:
                order = uow.orders.get(order_id)
                assert order is not None
                pos_order = _pos_order(uow, order, integration, customer_pos_id, status_callback_url)
            pos_id = connector.create_order(pos_order)
            how = f"created (customer by {found_by})"
    except (Rejected, MappingError) as error:
        return _give_up(db, message_id, str(error))
    except (Unavailable, AuthenticationFailed) as error:
        return _retry(db, message_id, error)
    with db.uow() as uow:
        message = uow.outbox.get(message_id)
        order = uow.orders.get(order_id, lock=True)
        assert message is not None and order is not None
        order.pos_order_id = pos_id
        order.push_error = None
        uow.orders.record(order.id, "push", "hub", f"POS order {pos_id} {how}")
        if order.status == OrderStatus.CONFIRMED.value:
            apply_status(uow, order, OrderStatus.SUBMITTED, "hub", f"in the POS as {pos_id}")
            order_status.poll_soon(uow, integration.id)  # its shopper now waits on the POS
            counted_at_push = connector.traits.hold_release == HoldRelease.ON_PUSH
            uow.holds.release_at_push(order.id, counted_at_push=counted_at_push, keep_holding=order.keep_holding)
        elif order.status == OrderStatus.CANCELLED.value:
            # Cancelled while the create was under way: the POS order is live. Cancel it there next.
            queue_pos_cancel(uow, order)
        uow.outbox.done(message, {"pos_order_id": pos_id})
    log.info("order_pushed", order_id=order_id, pos_order_id=pos_id, how=how)
    return "pushed" if how != "found after an unknown outcome" else "found"


def reference_for(store_id: int, number: str) -> str:
    """Our reference in the POS: order numbers are per store, and two stores can share one POS facility."""
    return f"{number}-S{store_id}"


# A POS order created before the push was queued cannot be ours (minutes allow for the POS's clock).
_CLOCK_SKEW = timedelta(minutes=5)


def _find_ours(
    db: Database,
    connector: OrderSink,
    integration: IntegrationConfig,
    order_id: int,
    reference: str,
    placed_at: datetime,
    queued_at: datetime,
) -> str | None:
    """The POS order an earlier attempt created, if any: our reference is not proof enough (another system, or
    an order pushed before references were unique, may share it), so its content must be ours too."""
    found = connector.find_orders(reference, placed_at)
    if not found:
        return None
    with db.uow() as uow:
        order = uow.orders.get(order_id)
        assert order is not None
        pos_ids = uow.bindings.externals(integration.id, PRODUCT, [line.product_id for line in order.lines])
        quantities: dict[str, Decimal] = {}  # in the POS's units: a weight tier's grams
        for line in order.lines:
            key = pos_ids.get(line.product_id, f"(unbound product {line.product_id})")
            quantities[key] = quantities.get(key, Decimal(0)) + stock_units(line.quantity, tier_quantity(line))
        goods = sum(line.quantity * line.unit_price_cents - line.discount_cents for line in order.lines)
        ours = _Ours(
            quantities=quantities,
            goods_cents=goods,
            customer_pos_id=uow.bindings.external(integration.id, customers.CUSTOMER, order.customer_id),
            customer_name=_name_key(order.contact),
            queued_at=queued_at,
        )
        refused = []
        for placed in found:
            problem = _not_ours(placed, ours)
            if problem is None:
                taken_by = uow.orders.by_pos_order_id(integration.id, placed.pos_order_id)
                if taken_by is None or taken_by == order_id:
                    return placed.pos_order_id
                problem = f"order {taken_by}'s"
            if placed.reference is not None:  # a candidate found by content alone is only a candidate: no note
                refused.append(f"{placed.pos_order_id} ({problem})")
        if refused:
            uow.orders.record(
                order_id,
                "push",
                "hub",
                f"POS order {', '.join(refused)} carries our reference {reference} but is not ours: not taken",
            )
    return None


@dataclass(frozen=True)
class _Ours:
    """What the order we pushed is, in the terms a POS lookup can tell."""

    quantities: dict[str, Decimal]
    goods_cents: int
    customer_pos_id: str | None
    customer_name: str | None
    queued_at: datetime


def _name_key(contact: Mapping[str, Any] | None) -> str | None:
    """A person's name as compared with a POS's: its words, case-folded (``"Ben  ORTIZ"`` is ``"ben ortiz"``)."""
    if not contact:
        return None
    words = " ".join(str(contact.get(part) or "") for part in ("first_name", "last_name")).split()
    return " ".join(words).casefold() or None


def _not_ours(placed: PlacedOrder, ours: _Ours) -> str | None:
    """Why the POS order is not the one we sent, or None when everything the POS tells agrees with ours."""
    if placed.created_at is not None and placed.created_at < ours.queued_at - _CLOCK_SKEW:
        return "created before this order was queued"
    if placed.quantities is not None and placed.quantities != ours.quantities:
        return "other lines"
    if placed.goods_cents is not None and placed.goods_cents != ours.goods_cents:
        return "another total"
    # The POS's customer id is proof when both sides know one; else the name the POS shows (when its lookup has no id).
    if placed.customer_pos_id is not None and ours.customer_pos_id is not None:
        return "another customer" if placed.customer_pos_id != ours.customer_pos_id else None
    if placed.customer_name is not None and ours.customer_name is not None:
        return "another customer" if _name_key({"first_name": placed.customer_name}) != ours.customer_name else None
    return None


def _cancel_in_pos(db: Database, connector: Connector, message_id: int, order_id: int, pos_id: str) -> str:
    """Cancel the live POS order of a cancelled order; what the POS API cannot do becomes a task for staff."""
    problem: str | None = None
    try:
        if isinstance(connector, OrderCanceller):
            connector.cancel_order(pos_id)
        else:
            problem = "this POS's API cannot cancel an order"
    except (CancelRefused, Rejected) as error:
        problem = str(error)
    except (Unavailable, AuthenticationFailed) as error:
        return _retry(db, message_id, error)
    with db.uow() as uow:
        message = uow.outbox.get(message_id)
        order = uow.orders.get(order_id, lock=True)
        assert message is not None and order is not None
        order.push_error = None
        if problem is None:
            order.attention = None
            uow.orders.record(order_id, "push", "hub", f"POS order {pos_id} cancelled in the POS too")
            uow.outbox.done(message, {"pos_order_id": pos_id, "cancelled": True})
        else:
            order.attention = f"Cancel order {pos_id} in the POS: it is still live there ({problem})"
            uow.orders.record(order_id, "attention", "hub", order.attention)
            uow.outbox.done(message, {"pos_order_id": pos_id, "cancelled": False, "staff_task": problem})
    log.info("order_cancel_in_pos", order_id=order_id, pos_order_id=pos_id, problem=problem)
    return "cancelled" if problem is None else "staff_task"


def _retry(db: Database, message_id: int, error: VendorError) -> str:
    """Try again later, and keep trying: an outage or a bad credential delays a push, never drops it."""
    unknown = isinstance(error, OutcomeUnknown)
    with db.uow() as uow:
        message = uow.outbox.get(message_id)
        assert message is not None
        uow.outbox.retry_later(message, str(error), outcome_unknown=unknown)
        order = uow.orders.get(message.subject_id)
        if order:
            order.push_error = f"will retry: {error}"
            uow.orders.record(order.id, "push_failed", "hub", f"attempt {message.attempts}: {error}")
    log.warning("order_push_retry", message_id=message_id, error=str(error), outcome_unknown=unknown)
    return "retry"


def _give_up(db: Database, message_id: int, reason: str) -> str:
    with db.uow() as uow:
        message = uow.outbox.get(message_id)
        assert message is not None
        message.attempts += 1
        uow.outbox.fail(message, reason)
        order = uow.orders.get(message.subject_id)
        if order:
            order.push_error = reason
            uow.orders.record(order.id, "push_failed", "hub", f"the POS refused the order: {reason}")
    log.warning("order_push_refused", message_id=message_id, reason=reason)
    return "failed"
