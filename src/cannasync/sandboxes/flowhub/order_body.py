"""What an Order Ahead create (or update) body must hold, checked before the sandbox looks anything up.

What it reproduces (vendor-apis.md §2; yerba-buena/flowhub-client-ts src/types/orders.ts ``CreateOrderParams``):

* Flowhub's rule that every order-ahead order carries a medical id or a phone number.

Choices where Flowhub's public notes are silent
-----------------------------------------------
8. Order-ahead create: the body of vendor-apis.md §2. It has no order-level ``externalId`` (flowhub-client-ts
   src/types/orders.ts ``CreateOrderParams``: only ``customer.externalId``); one sent anyway is kept in the
   stored body like any unknown field and never echoed (no documented answer, Sale or postback carries one).
   The location is the Order Ahead credential's; a ``locationId`` sent anyway is ignored. ``orderType`` is
   required.
   Validation answers 422 with one message naming the field: ``orderItems`` a non-empty list;
   ``productId`` a JSON integer carried at the location (any quantity, "Product <id> is not available at
   location <id>"); ``quantityPurchased`` a number > 0 (fractions allowed, for grams); ``customer`` with
   ``firstName``, ``lastName``, ``birthDate``; ``customer.phone`` ``+1`` and 10 digits when given;
   ``medId`` or ``phone`` ("A medical id or a phone number is required"); ``medExp`` (YYYY-MM-DD) with
   ``medId``; ``medRecOrBoth`` one of med/rec/both, and ``med`` needs a ``medId``; delivery needs
   ``address`` with ``street1``, ``city``, ``state``, ``zip``; ``fees[].amount`` an integer >= 0 (pennies);
   ``requestedFulfillmentTimeStart``/``End``, ``externalCreatedAt`` ISO 8601 (End >= Start);
   ``postbackUrl`` an http(s) URL; ``loyaltyPointsInPennies`` an integer >= 0. (Whether a product is carried
   at the location is checked against the stock: ``orders.py``, which holds the rest of this choice.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from cannasync.sandboxes._kit.values import integer, number
from cannasync.sandboxes.flowhub.common import JSON, ApiError, is_date, optional_str, parse_iso, required_str

ORDER_TYPES: tuple[str, ...] = ("pickup", "delivery", "kiosk")


@dataclass(frozen=True)
class OrderRequest:
    """What the sandbox needs from a validated order-ahead body (the body itself is stored as received)."""

    order_type: str
    product_ids: tuple[int, ...]
    customer_external_id: str | None


def _parse_order_items(raw: object) -> tuple[int, ...]:
    if not isinstance(raw, list) or not raw:
        raise ApiError(422, "orderItems must be a non-empty list")
    product_ids = []
    for index, line in enumerate(raw):
        where = f"orderItems[{index}]"
        if not isinstance(line, dict):
            raise ApiError(422, f"{where} must be an object")
        product_id = integer(line.get("productId"))
        if product_id is None:
            raise ApiError(422, f"{where}.productId must be a number")
        quantity = number(line.get("quantityPurchased"))
        if quantity is None or quantity <= 0:
            raise ApiError(422, f"{where}.quantityPurchased for product {product_id} must be greater than 0")
        optional_str(line, "discountNote", f"{where}.")
        product_ids.append(product_id)
    return tuple(product_ids)


def _parse_order_customer(raw: object) -> str | None:
    """Validate ``customer``; return its ``externalId``."""
    if not isinstance(raw, dict):
        raise ApiError(422, "customer is required")
    where = "customer."
    required_str(raw, "firstName", where)
    required_str(raw, "lastName", where)
    if not is_date(raw.get("birthDate")):
        raise ApiError(422, "customer.birthDate is required (YYYY-MM-DD)")
    for name in ("email", "externalId"):
        optional_str(raw, name, where)
    phone = optional_str(raw, "phone", where)
    if phone and not re.fullmatch(r"\+1\d{10}", phone):
        raise ApiError(422, "customer.phone must be E.164: +1 followed by 10 digits")
    med_id = optional_str(raw, "medId", where)
    kind = raw.get("medRecOrBoth")
    if kind is not None and kind not in ("med", "rec", "both"):
        raise ApiError(422, "customer.medRecOrBoth must be one of: med, rec, both")
    if not med_id and not phone:
        raise ApiError(422, "A medical id or a phone number is required")
    if kind == "med" and not med_id:
        raise ApiError(422, "customer.medId is required for medical orders")
    if med_id and not is_date(raw.get("medExp")):
        raise ApiError(422, "customer.medExp is required with customer.medId (YYYY-MM-DD)")
    external_id = raw.get("externalId")
    return external_id if isinstance(external_id, str) else None


def _parse_fees(raw: object) -> None:
    if raw is None:
        return
    if not isinstance(raw, list):
        raise ApiError(422, "fees must be a list")
    for index, fee in enumerate(raw):
        if not isinstance(fee, dict):
            raise ApiError(422, f"fees[{index}] must be an object")
        required_str(fee, "name", f"fees[{index}].")
        amount = integer(fee.get("amount"))
        if amount is None or amount < 0:
            raise ApiError(422, f"fees[{index}].amount must be an integer number of pennies >= 0")


def parse_order_request(body: JSON) -> OrderRequest:
    """Validate the shape of an order-ahead create body; existence checks happen against the state.

    The documented body has no ``locationId`` (vendor-apis.md §2; flowhub-client-ts src/types/orders.ts
    ``CreateOrderParams``): the location is the Order Ahead credential's. One sent anyway is ignored.
    """
    order_type = body.get("orderType")
    if order_type not in ORDER_TYPES:
        raise ApiError(422, f"orderType must be one of: {', '.join(ORDER_TYPES)}")
    product_ids = _parse_order_items(body.get("orderItems"))
    customer_external_id = _parse_order_customer(body.get("customer"))
    address = body.get("address")
    if address is not None and not isinstance(address, dict):
        raise ApiError(422, "address must be an object")
    if order_type == "delivery":
        if not address:
            raise ApiError(422, "address is required for delivery orders")
        for name in ("street1", "city", "state", "zip"):
            value = address.get(name)
            if not isinstance(value, str) or not value.strip():
                raise ApiError(422, f"address.{name} is required for delivery orders")
    _parse_fees(body.get("fees"))
    window: dict[str, datetime] = {}
    for name in ("externalCreatedAt", "requestedFulfillmentTimeStart", "requestedFulfillmentTimeEnd"):
        if body.get(name) not in (None, ""):
            window[name] = parse_iso(body[name], name)
    start, end = window.get("requestedFulfillmentTimeStart"), window.get("requestedFulfillmentTimeEnd")
    if start is not None and end is not None and end < start:
        raise ApiError(422, "requestedFulfillmentTimeEnd must not be before requestedFulfillmentTimeStart")
    postback = optional_str(body, "postbackUrl")
    if postback and not re.match(r"^https?://[^\s/]+", postback):
        raise ApiError(422, "postbackUrl must be an http(s) URL")
    for name in ("customerId", "cartDiscountNote", "customerNote"):
        optional_str(body, name)
    points = body.get("loyaltyPointsInPennies")
    if points is not None and (integer(points) is None or points < 0):
        raise ApiError(422, "loyaltyPointsInPennies must be an integer >= 0")
    return OrderRequest(order_type, product_ids, customer_external_id)
