"""The shopper's order page: where the order is now, in words, and how it got there; it refreshes itself.

Its address is the checkout's random key (see checkout.py), so an order page cannot be found by counting.
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
from cannasync.store.tables import Order, OrderEvent
from cannasync.web.shop import frame
from cannasync.web.shop.checkout_form import KEY_PREFIX, valid_key

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


def _find(db: Db, store_id: int, reference: str) -> tuple[frame.StoreInfo, Order, list[OrderEvent]]:
    with db.uow() as uow:
        store = frame.storefront(uow, store_id)
        order = uow.orders.by_idempotency_key(store_id, KEY_PREFIX + reference) if valid_key(reference) else None
        if order is None:
            raise frame.PageNotFound("order", store)
        _ = order.lines  # loaded while the session is open: the template reads them after it closes
        return store, order, uow.orders.events(order.id)


def _context(store: frame.StoreInfo, order: Order, events: list[OrderEvent], reference: str) -> dict[str, Any]:
    status = OrderStatus(order.status)
    zone = _zone(store)
    title, detail = HEADLINES[status]
    return {
        "order": order,
        "contact": views.contact(order),  # this order's own contact, never a later shopper's
        "status": status,
        "title": title,
        "detail": detail,
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
    store, order, events = _find(db, store_id, reference)
    response = frame.page(request, "shop/order.html", store, **_context(store, order, events, reference))
    response.headers["Cache-Control"] = "no-store"  # the page holds the shopper's details
    return response


@router.get("/shop/{store_id}/orders/{reference}/status", response_class=HTMLResponse)
def order_status(request: Request, store_id: int, reference: str, db: Db) -> HTMLResponse:
    """The part of the order page that changes, for its poll; it stops polling once the order has ended."""
    store, order, events = _find(db, store_id, reference)
    response = frame.page(request, "shop/order_status.html", store, **_context(store, order, events, reference))
    response.headers["Cache-Control"] = "no-store"
    return response
