"""Outbound (wholesale) orders.

Wholesale: brands, sales reps, destinations, outbound orders
------------------------------------------------------------
What the LeafLink ↔ Flourish bridge uses (cannasync issue 6, seed 004):

* Outbound (wholesale) orders, ``FacilityID`` required on every route:
  ``POST /outbound-orders/`` with the body Flourish's B2B plugin sends (``outbound_bodies.py``:
  ``original_order_id``, ``destination`` details, ``order_lines`` by ``sku``, ``notes``, ``sales_rep``,
  ``order_timestamp``) plus ``payment_term``? and ``external_order_number``? → 201 ``{"data": order}``;
  ``GET /outbound-orders/`` (filters ``order_status``, ``original_order_id``, ``destination_id``,
  ``external_order_number``, ``updated_timestamp_start``/``_end``); ``GET /outbound-orders/{id}/``;
  ``PUT /outbound-orders/{id}/`` (lines, payment term, notes, sales rep while Created or Partially
  Allocated; 409 otherwise; the status only to Shipped or Cancelled, choice 34 in ``outbound_bodies.py``);
  ``POST /outbound-orders/{id}/cancel/`` → 200 ``{"data": order}`` in Cancelled (choice 28).
  An order is ``{"id": "OB-000001", "facility_id", "original_order_id", "external_order_number",
  "destination_id", "destination_name", "destination_license_number", "sales_rep_id", "order_status",
  "payment_term", "notes", "order_timestamp", "order_lines": [{"item_id", "sku", "item_name", "order_qty",
  "unit_price", "discount_price", "line_total"}], "total", "created_timestamp", "last_updated_timestamp",
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
    validated like retail lines (numbers must be JSON numbers; see choice 33 for ``sku`` and prices);
    the destination and every item must exist (422; choice 32 for a ``destination`` object); ``total``
    = the sum of ``line_total`` in cents (no taxes or fees). ``payment_term``, ``notes`` and
    ``external_order_number`` are strings or null. ``original_order_id`` is not deduplicated.
25. ``PUT /outbound-orders/{id}/`` is a **partial** update, unlike the retail PUT: ``order_lines`` (if
    present, replacing every line), ``payment_term``, ``notes``, ``external_order_number`` and
    the sales rep (``sales_rep`` or ``sales_rep_id``) are changed when present and kept when absent (send
    ``"payment_term": null`` to clear it); ``original_order_id``, ``destination``, ``destination_id``,
    ``order_timestamp`` and the rest are ignored (the plugin sends them all again on every PUT). An unknown id is a
    404, then a non-editable order a 409, both before the body is looked at; an ``order_status`` other
    than the current one, Shipped or Cancelled (choice 34) is a 422. Every successful PUT bumps
    ``last_updated_timestamp`` and fires an ``order`` webhook, even one that changes nothing. The staff edit (``PATCH
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
from cannasync.sandboxes.flourish.outbound_bodies import (
    PUT_MOVES,
    OutboundLine,
    parse_destination_details,
    parse_notes,
    parse_outbound_lines,
    parse_sales_rep,
)
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
    optional_str,
    page_response,
    paging,
    parse_iso,
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

    def _line_item(self, index: int, line: OutboundLine) -> JSON:
        """The item a line names: by ``item_id``, else by ``sku`` (the plugin's way; choice 33)."""
        where = f"order_lines[{index}]"
        if line.item_id is not None:
            item = self._items_by_id.get(line.item_id)
            if item is None:
                raise ApiError(422, f"{where}.item_id {line.item_id} not found")
            if line.sku is not None and line.sku != item["sku"]:
                raise ApiError(422, f"{where}.sku {line.sku} is not the sku of item {line.item_id}")
            return item
        found = next((item for item in self._items_by_id.values() if item["sku"] == line.sku), None)
        if found is None:
            raise ApiError(422, f"{where}.sku {line.sku} not found")
        return found

    def _outbound_lines(self, lines: Sequence[OutboundLine]) -> JSON:
        """Line rows (``sku``, ``item_name`` and a missing price filled from the item) and the order total."""
        rows = []
        total = Decimal(0)
        for index, line in enumerate(lines):
            item = self._line_item(index, line)
            price = line.unit_price
            if price is None:
                price = item.get("wholesale_price") or item.get("retail_price") or item.get("price") or 0
            gross = Decimal(str(line.order_qty)) * Decimal(str(price))
            line_total = cents(max(Decimal(0), gross - Decimal(str(line.discount_price))))
            total += line_total
            rows.append(
                {
                    "item_id": item["id"],
                    "sku": item["sku"],
                    "item_name": item["item_name"],
                    "order_qty": line.order_qty,
                    "unit_price": price,
                    "discount_price": line.discount_price,
                    "line_total": money(line_total),
                }
            )
        return {"order_lines": rows, "total": money(total)}

    def create_outbound(self, facility_id: str, parsed: JSON) -> JSON:
        """``POST /outbound-orders/``: a new order in Created; fires an ``order`` webhook."""
        with self.lock:
            if parsed["destination"] is not None:
                destination = self.destination_for_order(parsed["destination"])
            else:
                known = self._destinations.get(parsed["destination_id"])
                if known is None:
                    raise ApiError(422, f"Destination {parsed['destination_id']} not found")
                destination = known
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
                "order_timestamp": parsed["order_timestamp"],
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
            moves_to: str | None = None
            if not staff:
                _check_outbound_editable(old)
                wanted = changes.get("order_status")
                if wanted in PUT_MOVES:
                    moves_to = wanted  # the B2B plugin's way to ship or cancel (choice 34)
                elif wanted is not None and wanted != old["order_status"]:
                    raise ApiError(
                        422, "order_status cannot be changed through the API (except to Shipped or Cancelled)"
                    )
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
            if moves_to is not None:
                new["order_status"] = moves_to
                new[status_stamp_key(moves_to)] = new["last_updated_timestamp"]
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
    destination = body.get("destination")
    if destination is None and body.get("destination_id") is None:
        raise ApiError(422, "destination (the buyer's details) is required")
    order_timestamp = optional_str(body, "order_timestamp")
    if order_timestamp:
        parse_iso(order_timestamp, "order_timestamp", status=422)
    return {
        "original_order_id": original_order_id,
        "destination": None if destination is None else parse_destination_details(destination),
        "destination_id": None if destination is not None else id_value(body.get("destination_id"), "destination_id"),
        "sales_rep_id": parse_sales_rep(body)[1],
        "order_lines": parse_outbound_lines(body.get("order_lines")),
        "payment_term": optional_str(body, "payment_term"),
        "notes": parse_notes(body),
        "order_timestamp": order_timestamp,
        "external_order_number": optional_str(body, "external_order_number"),
    }


def parse_outbound_changes(body: JSON, *, staff: bool = False) -> JSON:
    """The editable fields present in a ``PUT /outbound-orders/{id}/`` body (or a staff edit), validated.

    Absent fields are kept; other keys (``original_order_id``, ``destination_id``, ``facility_id``, ids and
    timestamps) are ignored. ``order_status`` is parsed (API only) so that an attempted change is a 422.
    """
    changes: JSON = {}
    if "order_lines" in body:
        changes["order_lines"] = parse_outbound_lines(body["order_lines"])
    for name in ("payment_term", "external_order_number"):
        if name in body:
            changes[name] = optional_str(body, name)
    if "notes" in body:
        changes["notes"] = parse_notes(body)
    names_rep, rep = parse_sales_rep(body)
    if names_rep:
        changes["sales_rep_id"] = rep
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
