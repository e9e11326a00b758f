"""Orders (route 5 of the wire format): created by a client at its token's location, moved along by staff.

5. Orders.

   * ``POST /api/v1/orders`` ``{"external_id", "patient_id", "order_type": "pickup"|"delivery",
     "menu_type": "recreational"|"medical", "lines": [{"item_id", "quantity", "unit_price"}],
     "discount_total", "notes", "delivery": {"address": {"line1", "line2", "city", "state", "postcode"},
     "window_start", "window_end"}}`` → 201 ``{"data": order}``. Rules (422 naming the field unless said
     otherwise): ``external_id`` a non-empty string (our reference); ``patient_id`` required on medical
     orders, optional (absent or null) on recreational ones, and when given an existing patient (422
     ``unknown_patient``); ``lines`` non-empty, each ``item_id`` an existing (422 ``unknown_item``) and
     active (422 ``inactive_item``) item, ``quantity`` a number > 0 (fractions allowed, for grams),
     ``unit_price`` a number >= 0 in dollars; ``discount_total`` a number >= 0 in dollars, default 0, not
     above the subtotal; ``notes`` a string or null. ``delivery`` is required on delivery orders, with
     ``address.line1``, ``address.city``, ``address.state``, ``address.postcode`` (``line2`` optional) and
     ``window_start``/``window_end`` (ISO 8601, end strictly after start); on a pickup order it may be
     absent or null (when given, it is validated the same way and stored).
   * The order: ``order_id`` (``"ORD-000001"``), ``location_id``, ``external_id``, ``patient_id``,
     ``order_type``, ``menu_type``, ``status``, ``lines`` (``[{"item_id", "quantity", "unit_price"}]``),
     ``subtotal`` (Σ quantity × unit_price), ``discount_total``, ``total`` (subtotal − discount_total),
     ``notes``, ``delivery`` (null when not given), ``created_at``, ``updated_at``. Money is computed in
     Decimal and rounded to cents (ROUND_HALF_UP). A new order is ``received``. Orders are **not**
     deduplicated by ``external_id`` (a second POST is a second order) and do not change stock.
   * ``GET /api/v1/orders/{order_id}`` → ``{"data": order}``; 404 ``not_found`` if unknown or another
     location's. ``GET /api/v1/orders?external_id=<ref>`` → the location's orders with that external id
     (exact), paged, in creation order; without ``external_id``, all of the location's orders.
   * Statuses: ``received``, ``accepted``, ``in_progress``, ``ready``, ``out_for_delivery``, ``completed``,
     ``cancelled``, ``rejected``. Staff move orders (here: the control route): pickup received → accepted →
     in_progress → ready → completed; delivery received → accepted → in_progress → ready →
     out_for_delivery → completed; ``cancelled`` from any non-final status; ``rejected`` only from
     ``received``. ``completed``, ``cancelled`` and ``rejected`` are final. Each move sets ``updated_at``.

Control routes (no auth; the hub never calls them): ``POST /_sandbox/orders/{order_id}/status``
``{"status"}`` (409 ``invalid_transition``, 422 ``unknown_status``); ``GET /_sandbox/orders`` (all, full
records).

Choice 2 (beyond the facts; easy to change; not confirmed by Alleaves): patients belong to the organisation
and are visible from both locations (``patients.py``); orders belong to the location of the token that
created them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cannasync.sandboxes._kit.gateway import CONTROL, VendorRoute
from cannasync.sandboxes._kit.values import cents, iso_ms, now, number
from cannasync.sandboxes.alleaves.auth import session
from cannasync.sandboxes.alleaves.errors import ApiError, invalid
from cannasync.sandboxes.alleaves.items import ItemState
from cannasync.sandboxes.alleaves.patients import PatientState
from cannasync.sandboxes.alleaves.wire import (
    API,
    JSON,
    data,
    decimal,
    json_object,
    later,
    optional_str,
    page_response,
    paging,
    parse_iso,
    required_str,
    route,
)

ORDER_STATUSES: tuple[str, ...] = (
    "received",
    "accepted",
    "in_progress",
    "ready",
    "out_for_delivery",
    "completed",
    "cancelled",
    "rejected",
)
FINAL_STATUSES = frozenset({"completed", "cancelled", "rejected"})
_COMMON_MOVES: dict[str, frozenset[str]] = {
    "received": frozenset({"accepted", "rejected"}),
    "accepted": frozenset({"in_progress"}),
    "in_progress": frozenset({"ready"}),
}
#: Order type → status → the statuses it may move on to (besides ``cancelled`` from any non-final status).
FORWARD_MOVES: dict[str, dict[str, frozenset[str]]] = {
    "pickup": {**_COMMON_MOVES, "ready": frozenset({"completed"})},
    "delivery": {
        **_COMMON_MOVES,
        "ready": frozenset({"out_for_delivery"}),
        "out_for_delivery": frozenset({"completed"}),
    },
}
ORDER_TYPES: tuple[str, ...] = ("pickup", "delivery")
MENU_TYPES: tuple[str, ...] = ("recreational", "medical")


# --------------------------------------------------------------------------------------------------
# The create body


def _parse_lines(raw: object) -> list[JSON]:
    if not isinstance(raw, list) or not raw:
        raise invalid("lines must be a non-empty list of {item_id, quantity, unit_price}")
    lines = []
    for index, line in enumerate(raw):
        where = f"lines[{index}]"
        if not isinstance(line, dict):
            raise invalid(f"{where} must be an object")
        item_id = required_str(line, "item_id", f"{where}.")
        quantity = number(line.get("quantity"))
        if quantity is None or quantity <= 0:
            raise invalid(f"{where}.quantity must be a number greater than 0")
        price = number(line.get("unit_price"))
        if price is None or price < 0:
            raise invalid(f"{where}.unit_price must be a number >= 0 (dollars)")
        lines.append({"item_id": item_id, "quantity": quantity, "unit_price": price})
    return lines


def _parse_delivery(raw: object, order_type: str) -> JSON | None:
    if raw is None:
        if order_type == "delivery":
            raise invalid("delivery is required for delivery orders (address, window_start, window_end)")
        return None
    if not isinstance(raw, dict):
        raise invalid("delivery must be an object with address, window_start and window_end")
    address = raw.get("address")
    if not isinstance(address, dict):
        raise invalid("delivery.address is required (line1, city, state, postcode)")
    normalised = {name: required_str(address, name, "delivery.address.") for name in ("line1", "city", "state")}
    normalised["postcode"] = required_str(address, "postcode", "delivery.address.")
    line2 = optional_str(address, "line2", "delivery.address.")
    moments: dict[str, datetime] = {}
    for name in ("window_start", "window_end"):
        moment = parse_iso(raw.get(name))
        if moment is None:
            raise invalid(f"delivery.{name} is required (an ISO 8601 date-time)")
        moments[name] = moment
    if moments["window_end"] <= moments["window_start"]:
        raise invalid("delivery.window_end must be after delivery.window_start")
    return {
        "address": {
            "line1": normalised["line1"],
            "line2": line2,
            "city": normalised["city"],
            "state": normalised["state"],
            "postcode": normalised["postcode"],
        },
        "window_start": raw["window_start"],
        "window_end": raw["window_end"],
    }


def parse_order_body(body: JSON) -> JSON:
    """Validate the shape of a ``POST /api/v1/orders`` body and compute its money; existence checks happen
    against the state. Returns the order fields the client chose (normalised) plus ``subtotal`` and ``total``."""
    external_id = required_str(body, "external_id", hint=" (your reference for the order, a string)")
    order_type = body.get("order_type")
    if order_type not in ORDER_TYPES:
        raise invalid(f"order_type must be one of: {', '.join(ORDER_TYPES)}")
    menu_type = body.get("menu_type")
    if menu_type not in MENU_TYPES:
        raise invalid(f"menu_type must be one of: {', '.join(MENU_TYPES)}")
    patient_id = optional_str(body, "patient_id")
    patient_id = patient_id.strip() if patient_id and patient_id.strip() else None
    if menu_type == "medical" and patient_id is None:
        raise invalid("patient_id is required for medical orders")
    lines = _parse_lines(body.get("lines"))
    raw_discount = body.get("discount_total")
    discount = 0 if raw_discount is None else number(raw_discount)
    if discount is None or discount < 0:
        raise invalid("discount_total must be a number >= 0 (dollars)")
    subtotal = cents(sum((decimal(line["quantity"]) * decimal(line["unit_price"]) for line in lines), Decimal(0)))
    discount_total = cents(decimal(discount))
    if discount_total > subtotal:
        raise invalid(f"discount_total ({discount_total}) must not exceed the subtotal ({subtotal})")
    notes = optional_str(body, "notes")
    delivery = _parse_delivery(body.get("delivery"), order_type)
    return {
        "external_id": external_id,
        "patient_id": patient_id,
        "order_type": order_type,
        "menu_type": menu_type,
        "lines": lines,
        "subtotal": float(subtotal),
        "discount_total": float(discount_total),
        "total": float(subtotal - discount_total),
        "notes": notes,
        "delivery": delivery,
    }


# --------------------------------------------------------------------------------------------------
# State


class OrderState(ItemState, PatientState):
    """Every location's orders (part of ``AlleavesSandbox``); an order names items and patients."""

    _orders: dict[str, JSON]
    _next_order: int

    def _init_orders(self) -> None:
        self._orders = {}
        self._next_order = 1

    def orders(self) -> list[JSON]:
        """Every order of every location, in creation order."""
        with self.lock:
            return list(self._orders.values())

    def create_order(self, location_id: str, parsed: JSON) -> JSON:
        """Store a validated order at ``location_id`` with status ``received``."""
        with self.lock:
            patient_id = parsed["patient_id"]
            if patient_id is not None and patient_id not in self._patients:
                raise ApiError(
                    422,
                    "unknown_patient",
                    f"patient_id {patient_id} does not exist; find or create the patient at /api/v1/patients",
                )
            for index, line in enumerate(parsed["lines"]):
                item = self._items.get(line["item_id"])
                if item is None:
                    raise ApiError(422, "unknown_item", f"lines[{index}].item_id {line['item_id']} does not exist")
                if item.get("active") is not True:
                    raise ApiError(422, "inactive_item", f"lines[{index}].item_id {line['item_id']} is not active")
            order_id = f"ORD-{self._next_order:06d}"
            self._next_order += 1
            stamp = iso_ms(now())
            order = {
                "order_id": order_id,
                "location_id": location_id,
                "external_id": parsed["external_id"],
                "patient_id": patient_id,
                "order_type": parsed["order_type"],
                "menu_type": parsed["menu_type"],
                "status": "received",
                "lines": parsed["lines"],
                "subtotal": parsed["subtotal"],
                "discount_total": parsed["discount_total"],
                "total": parsed["total"],
                "notes": parsed["notes"],
                "delivery": parsed["delivery"],
                "created_at": stamp,
                "updated_at": stamp,
            }
            self._orders[order_id] = order
            return order

    def _order(self, order_id: str, location_id: str | None) -> JSON:
        order = self._orders.get(order_id)
        if order is None or (location_id is not None and order["location_id"] != location_id):
            raise ApiError(404, "not_found", f"Order {order_id} not found")
        return order

    def get_order(self, order_id: str, location_id: str | None = None) -> JSON:
        with self.lock:
            return self._order(order_id, location_id)

    def find_orders(self, location_id: str, external_id: str | None) -> list[JSON]:
        with self.lock:
            return [
                order
                for order in self._orders.values()
                if order["location_id"] == location_id and (external_id is None or order["external_id"] == external_id)
            ]

    def move_order(self, order_id: str, status: str) -> JSON:
        """Move an order along the status machine, as staff would in the POS."""
        with self.lock:
            old = self._order(order_id, None)
            current = old["status"]
            forward = status in FORWARD_MOVES[old["order_type"]].get(current, frozenset())
            cancel = status == "cancelled" and current not in FINAL_STATUSES
            if not (forward or cancel):
                allowed = sorted(FORWARD_MOVES[old["order_type"]].get(current, frozenset()))
                if current not in FINAL_STATUSES:
                    allowed.append("cancelled")
                raise ApiError(
                    409,
                    "invalid_transition",
                    f"Order {order_id} ({old['order_type']}) cannot move from {current} to {status}; "
                    f"allowed: {', '.join(allowed) or 'none (final status)'}",
                )
            new = {**old, "status": status, "updated_at": later(old["updated_at"])}
            self._orders[order_id] = new
            return new


# --------------------------------------------------------------------------------------------------
# Endpoints


def routes(state: OrderState) -> list[VendorRoute]:
    async def create_order(request: Request) -> Response:
        parsed = parse_order_body(await json_object(request))
        return data(state.create_order(session(request).location_id, parsed), status_code=201)

    async def find_orders(request: Request) -> Response:
        page, per_page = paging(request)
        found = state.find_orders(session(request).location_id, request.query_params.get("external_id"))
        return page_response(found, page, per_page)

    async def get_order(request: Request) -> Response:
        return data(state.get_order(request.path_params["order_id"], session(request).location_id))

    return [
        route("POST", f"{API}/orders", create_order),
        route("GET", f"{API}/orders", find_orders),
        route("GET", f"{API}/orders/{{order_id}}", get_order),
    ]


def control(state: OrderState) -> list[Route]:
    async def move_order(request: Request) -> Response:
        body = await json_object(request)
        status = body.get("status")
        if not isinstance(status, str) or status.strip().lower() not in ORDER_STATUSES:
            raise ApiError(422, "unknown_status", f"status must be one of: {', '.join(ORDER_STATUSES)}")
        return data(state.move_order(request.path_params["order_id"], status.strip().lower()))

    async def all_orders(request: Request) -> Response:
        return data(state.orders())

    return [
        Route(f"{CONTROL}/orders/{{order_id}}/status", move_order, methods=["POST"]),
        Route(f"{CONTROL}/orders", all_orders, methods=["GET"]),
    ]
