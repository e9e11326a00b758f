"""The shopper's order page: where the order is now, in words, how it got there, and the messages the shopper was
sent about it; it refreshes itself.

Its address is the order's random ``page_key`` (the checkout form's key for a shop order), so an order page cannot
be found by counting; a shopper who lost the link finds it again with the order lookup (lookup.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cannasync.api import views
from cannasync.api.deps import Db
from cannasync.domain.orders import Fulfillment, OrderStatus
from cannasync.flows import shopper_messages
from cannasync.store.tables import Order, OrderEvent, OrderMessage
from cannasync.web.shop import frame
from cannasync.web.shop.checkout_form import valid_key

router = APIRouter(route_class=frame.ShopRoute, include_in_schema=False)

#: Seconds between the order page's checks while the order is still moving.
POLL_SECONDS = 4

#: Each status as the shopper reads it: (what happened, what it means for them).
HEADLINES: dict[OrderStatus, tuple[str, str]] = {
    OrderStatus.PENDING: ("We've received your order", "The store will confirm it in a few minutes."),
    OrderStatus.CONFIRMED: ("Confirmed", "The store has accepted your order and will start on it shortly."),
    OrderStatus.SUBMITTED: ("Being prepared", "Your order is being picked and packed."),
    OrderStatus.READY_FOR_PICKUP: ("Ready for pickup", "Come by the store with a valid photo ID."),
    OrderStatus.OUT_FOR_DELIVERY: ("Out for delivery", "Your driver is on the way. Have a valid photo ID ready."),
    OrderStatus.CLOSED: ("Completed", "Thank you for shopping with us."),
    OrderStatus.CANCELLED: ("Cancelled", "This order was cancelled and nothing is being held for you."),
}


@dataclass(frozen=True, slots=True)
class Step:
    label: str
    state: str  # "done", "current" or "todo"


@dataclass(frozen=True, slots=True)
class Moment:
    title: str
    at: str


def _zone(store: frame.StoreInfo) -> ZoneInfo:
    try:
        return ZoneInfo(store.timezone)
    except ZoneInfoNotFoundError:
        return ZoneInfo("UTC")


def local_time(value: datetime, zone: ZoneInfo) -> str:
    """'Tue 3:05 PM' in the store's time, which is the clock the shopper will walk in by."""
    return value.astimezone(zone).strftime("%a %-I:%M %p")


def steps(status: OrderStatus, fulfillment: Fulfillment) -> list[Step]:
    """The happy path, with where the order is on it (a cancelled order shows none of it)."""
    handover = OrderStatus.OUT_FOR_DELIVERY if fulfillment == Fulfillment.DELIVERY else OrderStatus.READY_FOR_PICKUP
    path = [OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.SUBMITTED, handover, OrderStatus.CLOSED]
    labels = ["Received", "Confirmed", "Preparing", HEADLINES[handover][0], "Completed"]
    if status not in path:
        return []
    at = path.index(status)
    return [
        Step(label, "done" if i < at or status == OrderStatus.CLOSED else "current" if i == at else "todo")
        for i, label in enumerate(labels)
    ]


def timeline(events: list[OrderEvent], zone: ZoneInfo) -> list[Moment]:
    """Status changes only, newest first: pushes, notes and ignored POS updates are the merchant's business."""
    moments = []
    for event in events:
        if event.kind == "status" and event.to_status in set(OrderStatus):
            title, _ = HEADLINES[OrderStatus(str(event.to_status))]
            moments.append(Moment(title, local_time(event.at, zone)))
    return moments[::-1]


def cancel_reason(events: list[OrderEvent]) -> str:
    """Why the order was cancelled, as the shopper's message said it (the POS's own word means nothing to them)."""
    for event in reversed(events):
        if event.kind == "status" and event.to_status == OrderStatus.CANCELLED.value:
            return shopper_messages.POS_CANCELLED if event.source == "pos" else event.detail
    return ""


@dataclass(frozen=True, slots=True)
class Found:
    store: frame.StoreInfo
    order: Order
    events: list[OrderEvent]
    messages: list[OrderMessage]


def _find(db: Db, store_id: int, reference: str) -> Found:
    with db.uow() as uow:
        store = frame.storefront(uow, store_id)
        order = uow.orders.by_page_key(store_id, reference) if valid_key(reference) else None
        if order is None:
            raise frame.PageNotFound("order", store)
        _ = order.lines  # loaded while the session is open: the template reads them after it closes
        return Found(store, order, uow.orders.events(order.id), uow.messages.for_order(order.id))


def _context(found: Found, reference: str) -> dict[str, Any]:
    store, order, events = found.store, found.order, found.events
    status = OrderStatus(order.status)
    zone = _zone(store)
    title, detail = HEADLINES[status]
    reason = cancel_reason(events) if status == OrderStatus.CANCELLED else ""
    return {
        "order": order,
        "contact": views.contact(order),  # this order's own contact, never a later shopper's
        "status": status,
        "title": title,
        "detail": detail,
        "reason": reason[:1].upper() + reason[1:],
        # What the shopper was told, and where (masked): "Text to (•••) •••-0142 · Order received · sent 3:05 PM".
        "sent_messages": [shopper_messages.shown(row, store.timezone) for row in found.messages],
        "steps": steps(status, Fulfillment(order.fulfillment)),
        "moments": timeline(events, zone),
        "placed": local_time(order.placed_at, zone),
        "window": (
            f"{local_time(order.window_start, zone)} – {order.window_end.astimezone(zone).strftime('%-I:%M %p')}"
            if order.window_start and order.window_end
            else None
        ),
        "poll": POLL_SECONDS if status.is_open else None,
        "status_url": f"/shop/{store.id}/orders/{reference}/status",
    }


@router.get("/shop/{store_id}/orders/{reference}", response_class=HTMLResponse)
def order_page(request: Request, store_id: int, reference: str, db: Db) -> HTMLResponse:
    found = _find(db, store_id, reference)
    response = frame.page(request, "shop/order.html", found.store, **_context(found, reference))
    response.headers["Cache-Control"] = "no-store"  # the page holds the shopper's details
    return response


@router.get("/shop/{store_id}/orders/{reference}/status", response_class=HTMLResponse)
def order_status(request: Request, store_id: int, reference: str, db: Db) -> HTMLResponse:
    """The part of the order page that changes, for its poll; it stops polling once the order has ended."""
    found = _find(db, store_id, reference)
    response = frame.page(request, "shop/order_status.html", found.store, **_context(found, reference))
    response.headers["Cache-Control"] = "no-store"
    return response
