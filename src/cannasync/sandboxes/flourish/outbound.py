"""Outbound (wholesale) orders.

Wholesale: brands, sales reps, destinations, outbound orders
------------------------------------------------------------
What the LeafLink ↔ Flourish bridge uses (cannasync issue 6, seed 004):

* Outbound (wholesale) orders, ``FacilityID`` required on every route:
  ``POST /outbound-orders/`` ``{"original_order_id", "destination_id", "sales_rep_id"?, "order_lines":
  [{"item_id", "order_qty", "unit_price", "sku"?}], "payment_term"?, "notes"?,
  "external_order_number"?}`` → 201 ``{"data": order}``; ``GET /outbound-orders/`` (filters
  ``order_status``, ``original_order_id``, ``destination_id``, ``external_order_number``,
  ``updated_timestamp_start``/``_end``); ``GET /outbound-orders/{id}/``; ``PUT /outbound-orders/{id}/``
  (lines, payment term, notes while Created or Partially Allocated; 409 otherwise; never the status);
  ``POST /outbound-orders/{id}/cancel/`` → 200 ``{"data": order}`` in Cancelled (choice 28).
  An order is ``{"id": "OB-000001", "facility_id", "original_order_id", "external_order_number",
  "destination_id", "destination_name", "destination_license_number", "sales_rep_id", "order_status",
  "payment_term", "notes", "order_lines": [{"item_id", "sku", "item_name", "order_qty", "unit_price",
  "line_total"}], "total", "created_timestamp", "last_updated_timestamp",
  "partially_allocated_timestamp", "allocated_timestamp", "shipped_timestamp", "cancelled_timestamp"}``.
* Statuses ``Created``, ``Partially Allocated``, ``Allocated``, ``Shipped``, ``Cancelled`` (choice 23).
  Orders are created ``Created``; the warehouse moves them (control route): Created → Partially
  Allocated or Allocated; Partially Allocated → Allocated; Allocated → Shipped; Cancelled from any
  status but Shipped and Cancelled (which are final). Anything else is a 409.
* Payment terms: ``payment_term`` is a free string on the order (choice 24), stored and echoed exactly
  as sent, null when absent. The terms the bridge maps to LeafLink are ``LEAFLINK_PAYMENT_TERMS``: Cash
  on Delivery, Consignment, Net 3, Net 7, Net 10, Net 14, Net 15, Net 20, Net 30, Net 60, Net 90,
  Pre-Payment; anything else (``"Net 45"``, ``"COD"``) is stored just the same.

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

23. The fifth outbound status is ``Cancelled`` (the vendor notes only say it begins with C; "Canceled" in
    the help pages' tables is taken as the same status). The ``order_status`` filter compares
    case-insensitively and answers 400 for a value that is not one of the five (so a misspelling is
    loud, not an empty list). Moves may skip Partially Allocated (Created → Allocated), never Allocated
    (no Created → Shipped); the status changes only through the control route. A move stamps
    ``<status>_timestamp`` and bumps ``last_updated_timestamp``. Outbound orders never change stock.
24. Outbound create: ``order_status`` may be absent or ``Created`` (anything else → 422); lines are
    validated like retail lines (numbers must be JSON numbers; ``sku`` defaults to the item's);
    ``destination_id`` and every ``item_id`` must exist (422); ``line_total`` = qty × price in cents,
    ``total`` = their sum (no discounts, taxes or fees). ``payment_term``, ``notes`` and
    ``external_order_number`` are strings or null. ``original_order_id`` is not deduplicated.
25. ``PUT /outbound-orders/{id}/`` is a **partial** update, unlike the retail PUT: ``order_lines`` (if
    present, replacing every line), ``payment_term``, ``notes``, ``external_order_number`` and
    ``sales_rep_id`` are changed when present and kept when absent (send ``"payment_term": null`` to
    clear it); ``original_order_id``, ``destination_id`` and the rest are ignored. An unknown id is a
    404, then a non-editable order a 409, both before the body is looked at; an ``order_status`` other
    than the current one is a 422. Every successful PUT bumps ``last_updated_timestamp`` and fires an
    ``order`` webhook, even one that changes nothing. The staff edit (``PATCH
    /_sandbox/outbound-orders/{id}``) takes the same fields, ignores ``order_status``, and may change the
    payment term, notes, external order number and sales rep in **any** status (as back-office staff
    can), the lines only while Created or Partially Allocated (409 otherwise).
28. Cancelling through the API: the vendor notes are silent, yet LeafLink's Rejected, Canceled and
    Combined orders must cancel the Flourish order, so the sandbox serves ``POST
    /outbound-orders/{id}/cancel/`` (``FacilityID`` required; another facility's order is a 404; a body
    is optional and ignored, but must be JSON if sent). It is the same move as the control route's
    Cancelled: allowed from Created, Partially Allocated and Allocated; a Shipped or already Cancelled
    order is a 409 (not idempotent: read the order first when retrying). It fires an ``order`` webhook.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cannasync.sandboxes._kit.values import cents, iso_ms, now
from cannasync.sandboxes.flourish.base import StateBase
from cannasync.sandboxes.flourish.order_bodies import Line, parse_lines
from cannasync.sandboxes.flourish.wire import (
    JSON,
    V1,
    ApiError,
    all_of,
    canonical,
    facility_of,
    field_is,
    id_value,
    json_object,
    money,
    one,
    optional_id,
    optional_str,
    page_response,
    paging,
    sandbox_of,
    stamp_after,
    status_stamp_key,
    time_param,
    window,
)

#: Outbound (wholesale) order statuses. The vendor notes name four and "one more beginning with C";
#: the sandbox takes Cancelled, spelled as on retail orders (choice 23).
OUTBOUND_STATUSES: tuple[str, ...] = ("Created", "Partially Allocated", "Allocated", "Shipped", "Cancelled")
OUTBOUND_EDITABLE = frozenset({"Created", "Partially Allocated"})
OUTBOUND_FINAL = frozenset({"Shipped", "Cancelled"})
_OUTBOUND_FORWARD: dict[str, frozenset[str]] = {
    "Created": frozenset({"Partially Allocated", "Allocated"}),
    "Partially Allocated": frozenset({"Allocated"}),
    "Allocated": frozenset({"Shipped"}),
}

#: The payment terms LeafLink supports (seed 004). Flourish stores any string; this list is for reference.
LEAFLINK_PAYMENT_TERMS: tuple[str, ...] = (
    "Cash on Delivery",
    "Consignment",
    "Net 3",
    "Net 7",
    "Net 10",
    "Net 14",
    "Net 15",
    "Net 20",
    "Net 30",
    "Net 60",
    "Net 90",
    "Pre-Payment",
)


class OutboundMixin(StateBase):
    """Each facility's outbound orders, by id."""

    def outbound_orders(self) -> list[JSON]:
        with self.lock:
            return list(self._outbound.values())

    def _outbound_order(self, order_id: str, facility_id: str | None) -> JSON:
        order = self._outbound.get(order_id)
        if order is None or (facility_id is not None and order["facility_id"] != facility_id):
            raise ApiError(404, f"Outbound order {order_id} not found")
        return order

    def get_outbound(self, order_id: str, facility_id: str | None = None) -> JSON:
        with self.lock:
            return self._outbound_order(order_id, facility_id)

    def list_outbound(
        self, facility_id: str, predicate: Callable[[JSON], bool] | None, offset: int, limit: int
    ) -> tuple[list[JSON], bool]:
        def matches(order: JSON) -> bool:
            return order["facility_id"] == facility_id and (predicate is None or predicate(order))

        with self.lock:
            return window(self._outbound.values(), matches, offset, limit)

    def _check_sales_rep(self, sales_rep_id: str | None, facility_id: str) -> None:
        if sales_rep_id is None:
            return
        rep = self._sales_reps.get(sales_rep_id)
        if rep is None:
            raise ApiError(422, f"Sales rep {sales_rep_id} not found")
        if rep["facility_id"] != facility_id:
            raise ApiError(422, f"Sales rep {sales_rep_id} belongs to facility {rep['facility_id']}")

    def _outbound_lines(self, lines: Sequence[Line]) -> JSON:
        """Line rows (``sku`` and ``item_name`` filled from the item) and the order total."""
        rows = []
        total = Decimal(0)
        for index, line in enumerate(lines):
            item = self._items_by_id.get(line.item_id)
            if item is None:
                raise ApiError(422, f"order_lines[{index}].item_id {line.item_id} not found")
            line_total = cents(Decimal(str(line.order_qty)) * Decimal(str(line.unit_price)))
            total += line_total
            rows.append(
                {
                    "item_id": line.item_id,
                    "sku": line.sku if line.sku is not None else item["sku"],
                    "item_name": item["item_name"],
                    "order_qty": line.order_qty,
                    "unit_price": line.unit_price,
                    "line_total": money(line_total),
                }
            )
        return {"order_lines": rows, "total": money(total)}

    def create_outbound(self, facility_id: str, parsed: JSON) -> JSON:
        """``POST /outbound-orders/``: a new order in Created; fires an ``order`` webhook."""
        with self.lock:
            destination = self._destinations.get(parsed["destination_id"])
            if destination is None:
                raise ApiError(422, f"Destination {parsed['destination_id']} not found")
            self._check_sales_rep(parsed["sales_rep_id"], facility_id)
            lines = self._outbound_lines(parsed["order_lines"])
            order_id = f"OB-{self._next_outbound:06d}"
            self._next_outbound += 1
            stamp = iso_ms(now())
            order = {
                "id": order_id,
                "facility_id": facility_id,
                "original_order_id": parsed["original_order_id"],
                "external_order_number": parsed["external_order_number"],
                "destination_id": destination["id"],
                "destination_name": destination["name"],
                "destination_license_number": destination["license_number"],
                "sales_rep_id": parsed["sales_rep_id"],
                "order_status": "Created",
                "payment_term": parsed["payment_term"],
                "notes": parsed["notes"],
                **lines,
                "created_timestamp": stamp,
                "last_updated_timestamp": stamp,
                **{status_stamp_key(status): None for status in OUTBOUND_STATUSES[1:]},
            }
            self._outbound[order_id] = order
            self._emit("order", order)
            return order

    def update_outbound(self, order_id: str, facility_id: str | None, changes: JSON, *, staff: bool = False) -> JSON:
        """``PUT /outbound-orders/{id}/`` (``staff=False``) or a staff edit (``staff=True``).

        Through the API the order must be Created or Partially Allocated (409) and ``order_status``, if
        sent, must be the current one (422). Staff may edit the payment term, notes, external order number
        and sales rep in any status, the lines only while the order is editable. Every successful write
        bumps ``last_updated_timestamp`` and fires an ``order`` webhook, even one that changes nothing.
        """
        with self.lock:
            old = self._outbound_order(order_id, facility_id)
            editable = old["order_status"] in OUTBOUND_EDITABLE
            if not staff:
                _check_outbound_editable(old)
                wanted = changes.get("order_status")
                if wanted is not None and wanted != old["order_status"]:
                    raise ApiError(422, "order_status cannot be changed through the API")
            elif "order_lines" in changes and not editable:
                _check_outbound_editable(old)
            new = dict(old)
            if "sales_rep_id" in changes:
                self._check_sales_rep(changes["sales_rep_id"], old["facility_id"])
                new["sales_rep_id"] = changes["sales_rep_id"]
            if "order_lines" in changes:
                new.update(self._outbound_lines(changes["order_lines"]))
            for key in ("payment_term", "notes", "external_order_number"):
                if key in changes:
                    new[key] = changes[key]
            new["last_updated_timestamp"] = stamp_after(old["last_updated_timestamp"])
            self._outbound[order_id] = new
            self._emit("order", new)
            return new

    def move_outbound(self, order_id: str, status: str, facility_id: str | None = None) -> JSON:
        """Move an outbound order along its machine, as the warehouse would; fires an ``order`` webhook.

        ``facility_id`` (the API's cancel route) restricts the move to that facility's orders.
        """
        with self.lock:
            old = self._outbound_order(order_id, facility_id)
            current = old["order_status"]
            forward = status in _OUTBOUND_FORWARD.get(current, frozenset())
            cancel = status == "Cancelled" and current not in OUTBOUND_FINAL
            if not (forward or cancel):
                raise ApiError(409, f"Outbound order {order_id} cannot move from {current} to {status}")
            stamp = stamp_after(old["last_updated_timestamp"])
            new = {**old, "order_status": status, "last_updated_timestamp": stamp}
            new[status_stamp_key(status)] = stamp
            self._outbound[order_id] = new
            self._emit("order", new)
            return new


def _check_outbound_editable(order: JSON) -> None:
    status = order["order_status"]
    if status not in OUTBOUND_EDITABLE:
        raise ApiError(
            409, f"Outbound order {order['id']} is {status}; only Created or Partially Allocated orders can be updated"
        )


def _outbound_predicate(request: Request) -> Callable[[JSON], bool] | None:
    params = request.query_params
    checks: list[Callable[[JSON], bool]] = []
    raw_status = params.get("order_status")
    if raw_status is not None:
        try:
            status = canonical(raw_status, OUTBOUND_STATUSES)
        except ApiError as error:
            raise ApiError(400, error.message) from None
        checks.append(field_is("order_status", status))
    for param in ("original_order_id", "destination_id", "external_order_number"):
        value = params.get(param)
        if value is not None:
            checks.append(field_is(param, value))
    start = time_param(request, "updated_timestamp_start")
    if start:
        checks.append(lambda order: order["last_updated_timestamp"] >= start)
    end = time_param(request, "updated_timestamp_end")
    if end:
        checks.append(lambda order: order["last_updated_timestamp"] <= end)
    return all_of(checks)


def _parse_outbound_body(body: JSON) -> JSON:
    """Validate a ``POST /outbound-orders/`` body; existence checks happen against the state."""
    original_order_id = body.get("original_order_id")
    if not isinstance(original_order_id, str) or not original_order_id.strip():
        raise ApiError(422, "original_order_id is required (string)")
    status = body.get("order_status")
    if status is not None and canonical(status, OUTBOUND_STATUSES) != "Created":
        raise ApiError(422, "order_status must be Created (or absent) on a new outbound order")
    return {
        "original_order_id": original_order_id,
        "destination_id": id_value(body.get("destination_id"), "destination_id"),
        "sales_rep_id": optional_id(body, "sales_rep_id"),
        "order_lines": parse_lines(body.get("order_lines")),
        "payment_term": optional_str(body, "payment_term"),
        "notes": optional_str(body, "notes"),
        "external_order_number": optional_str(body, "external_order_number"),
    }


def parse_outbound_changes(body: JSON, *, staff: bool = False) -> JSON:
    """The editable fields present in a ``PUT /outbound-orders/{id}/`` body (or a staff edit), validated.

    Absent fields are kept; other keys (``original_order_id``, ``destination_id``, ``facility_id``, ids and
    timestamps) are ignored. ``order_status`` is parsed (API only) so that an attempted change is a 422.
    """
    changes: JSON = {}
    if "order_lines" in body:
        changes["order_lines"] = parse_lines(body["order_lines"])
    for name in ("payment_term", "notes", "external_order_number"):
        if name in body:
            changes[name] = optional_str(body, name)
    if "sales_rep_id" in body:
        changes["sales_rep_id"] = optional_id(body, "sales_rep_id")
    if not staff and body.get("order_status") is not None:
        changes["order_status"] = canonical(body["order_status"], OUTBOUND_STATUSES)
    return changes


async def create_outbound(request: Request) -> Response:
    facility_id = facility_of(request)
    parsed = _parse_outbound_body(await json_object(request))
    return one(sandbox_of(request).create_outbound(facility_id, parsed), status_code=201)


async def list_outbound(request: Request) -> Response:
    facility_id = facility_of(request)
    offset, limit = paging(request)
    page, more = sandbox_of(request).list_outbound(facility_id, _outbound_predicate(request), offset, limit)
    return page_response(request, page, more, offset, limit)


async def get_outbound(request: Request) -> Response:
    facility_id = facility_of(request)
    return one(sandbox_of(request).get_outbound(request.path_params["order_id"], facility_id))


async def replace_outbound(request: Request) -> Response:
    sandbox = sandbox_of(request)
    facility_id = facility_of(request)
    order_id = request.path_params["order_id"]
    # 404 and 409 come before any complaint about the body (``update_outbound`` checks again).
    _check_outbound_editable(sandbox.get_outbound(order_id, facility_id))
    changes = parse_outbound_changes(await json_object(request))
    return one(sandbox.update_outbound(order_id, facility_id, changes))


async def cancel_outbound(request: Request) -> Response:
    facility_id = facility_of(request)
    if await request.body():
        await json_object(request)  # a body is optional, but if sent it must be JSON; it is ignored
    return one(sandbox_of(request).move_outbound(request.path_params["order_id"], "Cancelled", facility_id))


ROUTES = [
    Route(f"{V1}/outbound-orders", list_outbound, methods=["GET"]),
    Route(f"{V1}/outbound-orders", create_outbound, methods=["POST"]),
    Route(f"{V1}/outbound-orders/{{order_id}}", get_outbound, methods=["GET"]),
    Route(f"{V1}/outbound-orders/{{order_id}}", replace_outbound, methods=["PUT"]),
    Route(f"{V1}/outbound-orders/{{order_id}}/cancel", cancel_outbound, methods=["POST"]),
]
