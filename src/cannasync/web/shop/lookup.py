"""Find my order: a shopper who lost their order page's link gives the order number and the phone or e-mail they
ordered with, and is taken to the page.

The answer reveals nothing else: a number that does not exist, a number that is someone else's, a phone nobody
ordered with all get the same "not found", with the same status and words. The pair must match the contact typed
with that very order (``orders.contact``), never the store's customer record, so a shopper who shares a phone
with another can never be led to the other's order by their own details plus a guessed number.

Guessing is throttled like the console's sign-in (store/throttle.py, 15 minutes): five wrong tries per order
number, five per phone or e-mail (against someone who knows a shopper's phone and counts through order numbers)
and twenty per address; a throttled try is refused before anything is looked up.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cannasync.api import views
from cannasync.api.deps import Db
from cannasync.domain.customers import InvalidCustomer, normalise_email, normalise_phone
from cannasync.flows.shopper_messages import order_page_path
from cannasync.store.tables import Order
from cannasync.store.types import utcnow
from cannasync.store.uow import Database
from cannasync.web.shop import frame

router = APIRouter(route_class=frame.ShopRoute, include_in_schema=False)

#: Wrong tries allowed in the throttle's window, per scope (each scope at most 10 characters: the table's column).
LIMITS = {"lookup_no": 5, "lookup_to": 5, "lookup_ip": 20}
NOT_FOUND = (
    "We couldn't find an order with that number and phone or e-mail. Check both (they must be the ones you "
    "ordered with) and try again."
)


def _page(
    request: Request,
    db: Database,
    store_id: int,
    *,
    number: str = "",
    contact: str = "",
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    with db.uow() as uow:
        store = frame.storefront(uow, store_id)
    return frame.page(
        request,
        "shop/find_order.html",
        store,
        status_code=status_code,
        number=number,
        contact=contact,
        error=error,
    )


def _number(raw: str) -> str:
    """'#1001 ' → '1001'; random numbers are upper case (K7Q2M9XD), so case does not matter."""
    return raw.strip().lstrip("#").strip().upper()


def _matches(order: Order, phone: str | None, email: str | None) -> bool:
    contact = views.contact(order)  # the contact typed with this order, not a later shopper's
    if phone is not None:
        return bool(contact.get("phone")) and contact["phone"] == phone
    return bool(contact.get("email")) and str(contact["email"]).lower() == email


@router.get("/shop/{store_id}/find-order", response_class=HTMLResponse)
def find_order_page(request: Request, store_id: int, db: Db) -> HTMLResponse:
    return _page(request, db, store_id)


@router.post("/shop/{store_id}/find-order", response_model=None)
def find_order(
    request: Request,
    store_id: int,
    db: Db,
    number: Annotated[str, Form(max_length=100)] = "",
    contact: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    """A POST, so the phone or e-mail never sits in an address bar, a history or a server log."""
    wanted = _number(number)
    if not wanted or not contact.strip():
        message = "Enter your order number and the phone number or e-mail you ordered with."
        return _page(request, db, store_id, number=number, contact=contact, error=message, status_code=422)
    try:
        email = normalise_email(contact) if "@" in contact else None
        phone = None if email else normalise_phone(contact)
    except InvalidCustomer:
        message = "Enter the phone number (10 digits) or the e-mail address you ordered with."
        return _page(request, db, store_id, number=number, contact=contact, error=message, status_code=422)
    who = phone or email or ""
    keys = [
        ("lookup_no", f"{store_id}:{wanted}"),
        ("lookup_to", f"{store_id}:{who}"),
        ("lookup_ip", request.client.host if request.client else "unknown"),
    ]
    with db.uow() as uow:
        frame.storefront(uow, store_id)  # an unknown store is the store's 404, not a lookup
        until = uow.throttle.until(keys, LIMITS)
        if until is None:
            order = uow.orders.by_number(store_id, wanted)
            found = order is not None and order.page_key is not None and _matches(order, phone, email)
            if found:
                assert order is not None and order.page_key is not None
                target = order_page_path(store_id, order.page_key)
                uow.throttle.forgive(*keys[0])
                uow.throttle.forgive(*keys[1])
            else:
                uow.throttle.record(keys)
    if until is not None:
        minutes = max(1, math.ceil((until - utcnow()).total_seconds() / 60))
        message = f"Too many tries. Wait {minutes} minute{'s' if minutes > 1 else ''} and try again."
        page = _page(request, db, store_id, number=number, contact=contact, error=message, status_code=429)
        page.headers["Retry-After"] = str(minutes * 60)
        return page
    if not found:
        return _page(request, db, store_id, number=number, contact=contact, error=NOT_FOUND, status_code=404)
    return RedirectResponse(target, status_code=303)
