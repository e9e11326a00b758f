"""Retail orders: create, list, read, replace, cancel, and the status machine."""

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
