"""Retail orders: create, list, read, replace, cancel, and the status machine.

* ``GET /retail-orders/`` is "scoped to a single facility with the FacilityID header, or the company as a
  whole": without the header it lists every facility's orders; with it, that facility's (an unknown
  facility is still a 404).
* The retail-order status machine, and PUT only while Created or Submitted, never changing the status,
  except a PUT setting ``order_status`` ``Cancelled`` on a Created order (choice 29).
* Flourish does **not** deduplicate orders by ``original_order_id``; a second POST is a second order
  (retail or outbound).

Loyalty data: customers, sales history, retail discounts
--------------------------------------------------------
What a loyalty platform pulls from Flourish (cannasync issue 5):

* Retail orders double as sales history: a completed in-store sale is an order with ``order_status``
  ``Completed``, ``order_origin`` ``"Flourish"``, ``fulfillment_type`` ``"in-store"``,
  ``order_payment_status`` ``"Paid"``, ``original_order_id`` null, and its ``completed_timestamp``.
  Every order (sale or API-created) carries ``facility_id``, ``customer_id``, ``order_lines`` (``item_id``,
  ``sku``, ``order_qty``, ``unit_price``, ``line_total``, ``line_discount``, ``net_line_total``),
  ``applied_discounts``, ``subtotal``, ``total_discounts``, ``total``, ``completed_timestamp`` and
  ``order_origin``. ``GET /retail-orders/`` filters on ``completed_timestamp_start``/``_end``,
  ``order_status`` and ``order_origin``.

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

8. Order fields beyond the contract: each line carries ``line_total`` (qty × price), ``line_discount``
   and ``net_line_total``; per-status timestamps ``submitted_timestamp``, ``packed_timestamp``,
   ``out_for_delivery_timestamp``, ``completed_timestamp``, ``cancelled_timestamp``,
   ``undeliverable_timestamp`` (null until reached); ``order_payment_status`` is always
   ``Awaiting Payment`` on API-created orders (``Paid`` on in-store sales); ``delivery_contact_no`` and
   ``delivery_email`` are echoed. Ids are ``RO-000001`` upwards, shared across facilities and by
   API-created orders and in-store sales. On API-created orders ``applied_discounts[].discount_id`` is
   the integer sent; on sales it is the retail discount's id, a string (choice 17): compare as strings.
9. ``GET /retail-orders/`` also filters on ``original_order_id`` (exact); ``created_timestamp_start`` and
   ``_end`` are inclusive, like ``submitted_``, ``packed_`` and ``completed_timestamp_start``/``_end`` (an order
   that never reached the stage is left out). ``patient_id`` matches the customer's, ``order_fulfillment_type``
   and ``order_payment_status`` case-insensitively. ``is_backorder``, ``is_preorder`` and ``needs_review``
   are documented but the sandbox keeps no such flags on orders: they are ignored. PUT validates the body
   like POST; a missing ``order_status`` keeps the status.
16. ``GET /retail-orders/`` without ``FacilityID`` lists the whole company in id order. ``order_origin``
    compares case-insensitively; ``completed_timestamp_start``/``_end`` are inclusive and leave out
    orders that never completed. A sale's ``created_timestamp``, ``order_timestamp``,
    ``submitted_timestamp``, ``completed_timestamp`` and ``last_updated_timestamp`` are all the moment of
    the sale (``completed_at``, default now): a back-dated sale recorded later is **not** seen by a
    client that only asks for sales completed since its last pull (a late-arriving sale, as when a
    store's terminal syncs late). ``is_recreational`` defaults to true; seeded medical sales (about 80%
    of a patient's) are false and priced at ``med_price`` where the item has one.
29. Cancelling a retail order through the API: Flourish's own WooCommerce plugin
    (``flourishsoftware/flourish-woocommerce-b2c``, ``src/Handlers/HandlerOrdersCancel.php``) reads the order
    and, only when its ``order_status`` is ``Created``, sends ``PUT /v1/retail-orders/{id}`` with just
    ``{"original_order_id", "order_timestamp", "order_status": "Cancelled"}``; otherwise it notes "Cannot
    cancel in Flourish". The sandbox does the same: a PUT whose ``order_status`` is Cancelled is a cancel
    (the rest of the body is ignored): a Created order becomes Cancelled (a ``retail_order`` webhook fires),
    an order already Cancelled is answered as it is, any other status is a 409. Whether Flourish would
    cancel a Submitted order this way is not public; the sandbox refuses, as the plugin never tries.
    **A conflict between the vendor's sources**, kept on purpose: the public notes (Postman collection
    "Flourish External API - Docs", ``PUT /v1/retail-orders/{id}``) say the PUT is a full replace that
    "cannot change the status", while the vendor's own plugin changes the status with it, in a *partial*
    body. The sandbox follows the plugin for exactly that case (``order_status`` Cancelled, on a Created
    order) and the notes for every other PUT (full replace; another ``order_status`` is a 422). The plugin
    also lets a store choose whether orders are created ``submitted`` ("Ready to Pack", its default) or
    ``created`` ("Draft") (src/Admin/SettingsPage.php, ``order_status``; HandlerOrdersRetail.php sends it):
    only the second kind can later be cancelled through the API.
30. ``GET /retail-orders/{id}/`` without ``FacilityID`` finds the order in any facility, as the vendor's plugin
    reads it (src/API/FlourishAPI.php ``get_order_by_id`` sends only ``x-api-key``); with the header, an
    order of another facility is a 404 and an unknown facility a 404. The writes (``PUT``) still need it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cannasync.sandboxes._kit.values import iso_ms, now
from cannasync.sandboxes.flourish.base import StateBase
from cannasync.sandboxes.flourish.order_bodies import Line, compute_totals, parse_order_body
from cannasync.sandboxes.flourish.wire import (
    JSON,
    V1,
    V2,
    ApiError,
    all_of,
    equals_ci,
    facility_of,
    field_is,
    json_object,
    one,
    page_response,
    paging,
    sandbox_of,
    stamp_after,
    status_stamp_key,
    time_param,
    window,
)

ORDER_STATUSES: tuple[str, ...] = (
    "Created",
    "Submitted",
    "Packed",
    "Out for Delivery",
    "Completed",
    "Cancelled",
    "Undeliverable",
)

EDITABLE_STATUSES = frozenset({"Created", "Submitted"})
FINAL_STATUSES = frozenset({"Completed", "Cancelled", "Undeliverable"})
_FORWARD_MOVES: dict[str, frozenset[str]] = {
    "Created": frozenset({"Submitted"}),
    "Submitted": frozenset({"Packed", "Completed"}),
    "Packed": frozenset({"Out for Delivery", "Completed"}),
    "Out for Delivery": frozenset({"Completed"}),
}


class OrdersMixin(StateBase):
    """Retail orders, API-created and in-store sales alike, by id."""

    def orders(self) -> list[JSON]:
        with self.lock:
            return list(self._orders.values())

    def _check_references(self, parsed: JSON) -> None:
        if parsed["customer_id"] not in self._customers:
            raise ApiError(422, f"Customer {parsed['customer_id']} not found")
        for index, line in enumerate(parsed["order_lines"]):
            if line.item_id not in self._items_by_id:
                raise ApiError(422, f"order_lines[{index}].item_id {line.item_id} not found")

    def _order_body(self, parsed: JSON) -> JSON:
        """The editable part of a stored order, with line rows and totals."""
        lines = [
            line
            if line.sku is not None
            else Line(line.item_id, self._items_by_id[line.item_id]["sku"], line.order_qty, line.unit_price)
            for line in parsed["order_lines"]
        ]
        rows, totals = compute_totals(lines, parsed["applied_discounts"], parsed["delivery_fee"])
        editable = {k: v for k, v in parsed.items() if k not in ("order_status", "order_lines", "applied_discounts")}
        return {
            **editable,
            "order_lines": rows,
            "applied_discounts": [asdict(discount) for discount in parsed["applied_discounts"]],
            **totals,
        }

    def create_order(self, facility_id: str, parsed: JSON) -> JSON:
        with self.lock:
            self._check_references(parsed)
            order_id = f"RO-{self._next_order:06d}"
            self._next_order += 1
            status = parsed["order_status"] or "Created"
            stamp = iso_ms(now())
            order = {
                "id": order_id,
                "facility_id": facility_id,
                "order_status": status,
                "order_origin": "Online",
                "order_payment_status": "Awaiting Payment",
                **self._order_body(parsed),
                "created_timestamp": stamp,
                "last_updated_timestamp": stamp,
                **{status_stamp_key(s): None for s in ORDER_STATUSES[1:]},
            }
            if status == "Submitted":
                order["submitted_timestamp"] = stamp
            self._orders[order_id] = order
            self._emit("retail_order", order)
            return order

    def list_orders(
        self, facility_id: str | None, predicate: Callable[[JSON], bool] | None, offset: int, limit: int
    ) -> tuple[list[JSON], bool]:
        def matches(order: JSON) -> bool:
            if facility_id is not None and order["facility_id"] != facility_id:
                return False
            return predicate is None or predicate(order)

        with self.lock:
            return window(self._orders.values(), matches, offset, limit)

    def get_order(self, order_id: str, facility_id: str | None = None) -> JSON:
        with self.lock:
            return self._order(order_id, facility_id)

    def _order(self, order_id: str, facility_id: str | None) -> JSON:
        order = self._orders.get(order_id)
        if order is None or (facility_id is not None and order["facility_id"] != facility_id):
            raise ApiError(404, f"Retail order {order_id} not found")
        return order

    def replace_order(self, order_id: str, facility_id: str, parsed: JSON) -> JSON:
        """PUT: replace the editable fields while Created or Submitted; the status cannot change."""
        with self.lock:
            old = self._order(order_id, facility_id)
            _check_editable(old)
            if parsed["order_status"] is not None and parsed["order_status"] != old["order_status"]:
                raise ApiError(422, "order_status cannot be changed through the API")
            self._check_references(parsed)
            new = {
                **old,
                **self._order_body(parsed),
                "last_updated_timestamp": stamp_after(old["last_updated_timestamp"]),
            }
            self._orders[order_id] = new
            self._emit("retail_order", new)
            return new

    def cancel_order(self, order_id: str, facility_id: str) -> JSON:
        """A PUT whose ``order_status`` is Cancelled: the one status change the API makes (choice 29)."""
        with self.lock:
            old = self._order(order_id, facility_id)
            if old["order_status"] == "Cancelled":
                return old
            if old["order_status"] != "Created":
                raise ApiError(409, f"Order {order_id} is {old['order_status']}; only a Created order can be cancelled")
            stamp = stamp_after(old["last_updated_timestamp"])
            new = {**old, "order_status": "Cancelled", "last_updated_timestamp": stamp}
            new[status_stamp_key("Cancelled")] = stamp
            self._orders[order_id] = new
            self._emit("retail_order", new)
            return new

    def move_order(self, order_id: str, status: str) -> JSON:
        """Move an order along the status machine, as staff would in the POS."""
        with self.lock:
            old = self._order(order_id, None)
            current = old["order_status"]
            forward = status in _FORWARD_MOVES.get(current, frozenset())
            abandon = status in ("Cancelled", "Undeliverable") and current not in FINAL_STATUSES
            if not (forward or abandon):
                raise ApiError(409, f"Order {order_id} cannot move from {current} to {status}")
            stamp = stamp_after(old["last_updated_timestamp"])
            new = {**old, "order_status": status, "last_updated_timestamp": stamp}
            new[status_stamp_key(status)] = stamp
            self._orders[order_id] = new
            self._emit("retail_order", new)
            return new


def _check_editable(order: JSON) -> None:
    status = order["order_status"]
    if status not in EDITABLE_STATUSES:
        raise ApiError(409, f"Order {order['id']} is {status}; only Created or Submitted orders can be updated")


def _stage_window(field: str, since: str | None, until: str | None) -> list[Callable[[JSON], bool]]:
    """Inclusive bounds on a stage's timestamp; an order that never reached the stage matches neither."""
    checks: list[Callable[[JSON], bool]] = []
    if since:
        checks.append(lambda order: order[field] is not None and order[field] >= since)
    if until:
        checks.append(lambda order: order[field] is not None and order[field] <= until)
    return checks


def _order_predicate(request: Request) -> Callable[[JSON], bool] | None:
    params = request.query_params
    checks: list[Callable[[JSON], bool]] = []
    # ``order_fulfillment_type`` (Delivery | In-Store | Pickup) and ``order_payment_status`` are documented
    # filters (vendor-apis.md §1 "Retail orders"); they read ``fulfillment_type`` (stored lower case, as sent)
    # and ``order_payment_status``, case-insensitively.
    for param, field in (
        ("order_status", "order_status"),
        ("order_origin", "order_origin"),
        ("order_fulfillment_type", "fulfillment_type"),
        ("order_payment_status", "order_payment_status"),
    ):
        check = equals_ci(field, params.get(param))
        if check:
            checks.append(check)
    for stage in ("submitted", "packed"):
        field = f"{stage}_timestamp"
        since, until = time_param(request, f"{field}_start"), time_param(request, f"{field}_end")
        checks.extend(_stage_window(field, since, until))
    for param, field in (
        ("customer_id", "customer_id"),
        ("order_id", "id"),
        ("original_order_id", "original_order_id"),
    ):
        value = params.get(param)
        if value is not None:
            checks.append(field_is(field, value))
    start = time_param(request, "created_timestamp_start")
    if start:
        checks.append(lambda order: order["created_timestamp"] >= start)
    end = time_param(request, "created_timestamp_end")
    if end:
        checks.append(lambda order: order["created_timestamp"] <= end)
    completed_start = time_param(request, "completed_timestamp_start")
    if completed_start:
        checks.append(lambda order: (order["completed_timestamp"] or "") >= completed_start)
    completed_end = time_param(request, "completed_timestamp_end")
    if completed_end:
        checks.append(
            lambda order: order["completed_timestamp"] is not None and order["completed_timestamp"] <= completed_end
        )
    return all_of(checks)


async def create_order(request: Request) -> Response:
    facility_id = facility_of(request)
    parsed = parse_order_body(await json_object(request))
    return one(sandbox_of(request).create_order(facility_id, parsed), status_code=201)


async def list_orders(request: Request) -> Response:
    sandbox = sandbox_of(request)
    facility_id = sandbox.optional_facility(request.headers.get("FacilityID"))
    offset, limit = paging(request)
    predicate = _order_predicate(request)
    patient_id = request.query_params.get("patient_id")
    if patient_id is not None:
        # Documented beside ``customer_id``: the orders of the customer(s) with that medical patient id.
        wanted = patient_id.strip().lower()
        customers = {c["id"] for c in sandbox.customers() if str(c.get("patient_id") or "").lower() == wanted}
        predicate = all_of(
            [check for check in (predicate, lambda order: order["customer_id"] in customers) if check is not None]
        )
    page, more = sandbox.list_orders(facility_id, predicate, offset, limit)
    return page_response(request, page, more, offset, limit)


async def get_order(request: Request) -> Response:
    sandbox = sandbox_of(request)
    # The vendor's plugin reads an order with ``x-api-key`` alone, no FacilityID
    # (flourish-woocommerce-b2c, src/API/FlourishAPI.php get_order_by_id, called by
    # HandlerOrdersCancel.php): the order is found company-wide. A header naming another facility than the
    # order's is a 404, as the list scoped by that header would not show it (choice 30).
    facility_id = sandbox.optional_facility(request.headers.get("FacilityID"))
    return one(sandbox.get_order(request.path_params["order_id"], facility_id))


async def replace_order(request: Request) -> Response:
    sandbox = sandbox_of(request)
    facility_id = facility_of(request)
    order_id = request.path_params["order_id"]
    body = await json_object(request)
    if isinstance(body.get("order_status"), str) and body["order_status"].strip().lower() == "cancelled":
        return one(sandbox.cancel_order(order_id, facility_id))
    # 404 and 409 come before any complaint about the body (``replace_order`` checks again under
    # the lock); any status is parsed so that a change is reported as such.
    _check_editable(sandbox.get_order(order_id, facility_id))
    parsed = parse_order_body(body, statuses=ORDER_STATUSES)
    return one(sandbox.replace_order(order_id, facility_id, parsed))


ROUTES = [
    Route(f"{V2}/retail-orders", create_order, methods=["POST"]),
    # ``POST /v1/retail-orders/`` takes the same JSON (vendor-apis.md §1); v2 adds Flourish's discount engine,
    # which the sandbox does not imitate, so both create alike.
    Route(f"{V1}/retail-orders", create_order, methods=["POST"]),
    Route(f"{V1}/retail-orders", list_orders, methods=["GET"]),
    Route(f"{V1}/retail-orders/{{order_id}}", get_order, methods=["GET"]),
    Route(f"{V1}/retail-orders/{{order_id}}", replace_order, methods=["PUT"]),
]
