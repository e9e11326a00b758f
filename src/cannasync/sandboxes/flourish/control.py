"""The control routes (ours, under ``/_sandbox/``): what staff, the warehouse and the counter do.

Control routes (no auth, under ``/_sandbox/``; the hub never calls them)
------------------------------------------------------------------------
``GET health``; ``POST items/{id}/quantity``; ``PATCH items/{id}``; ``DELETE items/{id}``;
``POST retail-orders/{id}/status``; ``GET retail-orders``; ``GET customers``; ``GET|POST|DELETE faults``;
``GET|DELETE requests``; and ``GET art/{item_id}/{kind}.png`` (the image links handed out by the art
route). For the loyalty side:

* ``POST sales`` ``{"facility_id", "customer_id"?, "lines": [{"item_id", "order_qty"?, "unit_price"?}],
  "applied_discounts"?: [{"discount_id", "discount_amount"?, "item_id"?}], "completed_at"?: ISO,
  "is_recreational"?: bool}`` rings up a completed in-store sale → 201 ``{"data": order}``.
* ``POST customers`` (the fields of ``POST /customers/`` plus ``facility_id``) creates a customer as at
  the counter → 201; ``PATCH customers/{id}`` edits one as staff would (the fields ``PUT`` takes, plus
  ``facility_id``), bumping ``last_updated_timestamp`` → 200 ``{"data": customer}``.
* ``GET retail-discounts`` (every facility's); ``POST retail-discounts`` ``{"facility_id",
  "discount_name", "discount_type", "discount_value", "start_date"?, "end_date"?, "start_time"?,
  "end_time"?, "ecommerce_eligible"?}`` → 201 ``{"data": discount}``; ``DELETE retail-discounts/{id}`` →
  204.

For the wholesale side and webhooks:

* ``POST items`` ``{"item_name", "brand" | "brand_id", "retail_price", "sku"?, "item_category"?, "uom"?,
  "active"?, "ecommerce_active"?, "sellable"?, "is_medical"?, …, "stock"?: {"<facility id>":
  sellable_qty}}`` creates an item as staff would (choice 26) → 201 ``{"data": item}``;
  ``PATCH items/{id}`` keeps ``brand``/``brand_id`` consistent (choice 20). Both fire ``item`` webhooks.
* ``POST outbound-orders/{id}/status`` ``{"order_status"}`` moves an order (422 for an unknown status,
  409 for a move the machine does not allow; ``"Canceled"`` is read as Cancelled);
  ``PATCH outbound-orders/{id}`` edits one as staff would (choice 25); ``GET outbound-orders`` (every
  facility's); ``GET destinations``.
* ``GET|POST webhooks/config``; ``GET webhooks`` (the delivery log; ``?wait=<seconds>`` first waits for
  pending deliveries); ``DELETE webhooks`` clears the log.

Faults: ``{"method", "path_prefix", "status", "count", "retry_after"}`` answers the status with
``{"error": "Injected fault"}`` (``after`` lets that many matching requests through first, to break a
read mid-way); ``{"mode": "delay", "delay_seconds"}`` waits before processing;
``{"mode": "timeout_after_commit", "delay_seconds"}`` processes the request fully, then holds the
response back, so a client can time out after Flourish really committed.
Also, shared by the POS sandboxes (``sandboxes/_kit/faults.py``): ``every`` N-th or a seeded ``rate`` of
matching requests, and the modes ``reset``, ``reset_after_commit`` and ``truncate``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cannasync.sandboxes._kit import control as _control
from cannasync.sandboxes._kit.gateway import CONTROL
from cannasync.sandboxes.flourish.customers import parse_customer_body, parse_customer_changes
from cannasync.sandboxes.flourish.discounts import parse_discount_body
from cannasync.sandboxes.flourish.gateway import parse_fault
from cannasync.sandboxes.flourish.items import parse_new_item
from cannasync.sandboxes.flourish.orders import ORDER_STATUSES
from cannasync.sandboxes.flourish.outbound import OUTBOUND_STATUSES, parse_outbound_changes
from cannasync.sandboxes.flourish.sales import parse_sale_body
from cannasync.sandboxes.flourish.wire import JSON, ApiError, canonical, id_value, json_object, one, sandbox_of

if TYPE_CHECKING:
    from cannasync.sandboxes.flourish.state import FlourishSandbox


async def health(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def set_quantity(request: Request) -> Response:
    body = await json_object(request)
    facility_id = body.get("facility_id")
    if isinstance(facility_id, int) and not isinstance(facility_id, bool):
        facility_id = str(facility_id)
    if not isinstance(facility_id, str):
        raise ApiError(422, "facility_id is required")
    sellable, available = body.get("sellable_qty"), body.get("available_qty", body.get("sellable_qty"))
    for quantity in (sellable, available):
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise ApiError(422, "sellable_qty (and available_qty) must be integers >= 0")
    assert isinstance(sellable, int) and isinstance(available, int)
    row = sandbox_of(request).set_quantity(request.path_params["item_id"], facility_id, sellable, available)
    return one(row)


async def patch_item(request: Request) -> Response:
    changes = await json_object(request)
    return one(sandbox_of(request).patch_item(request.path_params["item_id"], changes))


async def delete_item(request: Request) -> Response:
    sandbox_of(request).delete_item(request.path_params["item_id"])
    return Response(status_code=204)


async def create_item(request: Request) -> Response:
    fields, stock = parse_new_item(await json_object(request))
    return one(sandbox_of(request).create_item(fields, stock), status_code=201)


async def move_order(request: Request) -> Response:
    body = await json_object(request)
    status = canonical(body.get("order_status"), ORDER_STATUSES)
    return one(sandbox_of(request).move_order(request.path_params["order_id"], status))


async def all_orders(request: Request) -> Response:
    return JSONResponse({"data": sandbox_of(request).orders()})


async def all_customers(request: Request) -> Response:
    return JSONResponse({"data": sandbox_of(request).customers()})


async def counter_customer(request: Request) -> Response:
    body = await json_object(request)
    facility_id = _optional_facility_field(body)
    fields = parse_customer_body(body)
    return one(sandbox_of(request).create_customer(fields, facility_id), status_code=201)


async def staff_edit_customer(request: Request) -> Response:
    sandbox = sandbox_of(request)
    customer_id = request.path_params["customer_id"]
    sandbox.get_customer(customer_id)
    body = await json_object(request)
    changes = parse_customer_changes(body)
    if "facility_id" in body:
        changes["facility_id"] = _optional_facility_field(body)
    return one(sandbox.update_customer(customer_id, changes))


async def record_sale(request: Request) -> Response:
    parsed = parse_sale_body(await json_object(request))
    return one(sandbox_of(request).record_sale(parsed), status_code=201)


async def all_discounts(request: Request) -> Response:
    return JSONResponse({"data": sandbox_of(request).discounts()})


async def create_discount(request: Request) -> Response:
    fields = parse_discount_body(await json_object(request))
    return one(sandbox_of(request).create_discount(fields), status_code=201)


async def delete_discount(request: Request) -> Response:
    sandbox_of(request).delete_discount(request.path_params["discount_id"])
    return Response(status_code=204)


async def move_outbound(request: Request) -> Response:
    body = await json_object(request)
    raw = body.get("order_status")
    if isinstance(raw, str) and raw.strip().lower() == "canceled":
        raw = "Cancelled"  # the vendor's help pages spell it both ways
    status = canonical(raw, OUTBOUND_STATUSES)
    return one(sandbox_of(request).move_outbound(request.path_params["order_id"], status))


async def staff_edit_outbound(request: Request) -> Response:
    sandbox = sandbox_of(request)
    order_id = request.path_params["order_id"]
    sandbox.get_outbound(order_id)
    changes = parse_outbound_changes(await json_object(request), staff=True)
    return one(sandbox.update_outbound(order_id, None, changes, staff=True))


async def all_outbound(request: Request) -> Response:
    return JSONResponse({"data": sandbox_of(request).outbound_orders()})


async def all_destinations(request: Request) -> Response:
    return JSONResponse({"data": sandbox_of(request).destinations()})


async def get_webhook_config(request: Request) -> Response:
    return one(sandbox_of(request).webhook_config())


async def set_webhook_config(request: Request) -> Response:
    body = await json_object(request)
    if "url" not in body:
        raise ApiError(422, "url is required (null switches webhooks off)")
    url, key = body["url"], body.get("key")
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        raise ApiError(422, "url must be an http(s) URL or null")
    if key is not None and (not isinstance(key, str) or not key):
        raise ApiError(422, "key must be a non-empty string")
    return one(sandbox_of(request).configure_webhooks(url, key))


async def webhook_log(request: Request) -> Response:
    sandbox = sandbox_of(request)
    raw_wait = request.query_params.get("wait")
    if raw_wait:
        try:
            wait = float(raw_wait)
        except ValueError:
            raise ApiError(400, "wait must be a number of seconds") from None
        await asyncio.to_thread(sandbox.wait_for_webhooks, min(max(wait, 0.0), 30.0))
    return JSONResponse({"data": sandbox.webhook_log})


async def clear_webhook_log(request: Request) -> Response:
    sandbox_of(request).clear_webhook_log()
    return Response(status_code=204)


def _optional_facility_field(body: JSON) -> str | None:
    value = body.get("facility_id")
    return None if value is None else id_value(value, "facility_id")


def routes(state: FlourishSandbox) -> list[Route]:
    """Every control route, with the kit's faults and request counts over ``state``'s."""
    return [
        Route(f"{CONTROL}/health", health, methods=["GET"]),
        Route(f"{CONTROL}/items", create_item, methods=["POST"]),
        Route(f"{CONTROL}/items/{{item_id}}/quantity", set_quantity, methods=["POST"]),
        Route(f"{CONTROL}/items/{{item_id}}", patch_item, methods=["PATCH"]),
        Route(f"{CONTROL}/items/{{item_id}}", delete_item, methods=["DELETE"]),
        Route(f"{CONTROL}/retail-orders/{{order_id}}/status", move_order, methods=["POST"]),
        Route(f"{CONTROL}/retail-orders", all_orders, methods=["GET"]),
        Route(f"{CONTROL}/customers", all_customers, methods=["GET"]),
        Route(f"{CONTROL}/customers", counter_customer, methods=["POST"]),
        Route(f"{CONTROL}/customers/{{customer_id}}", staff_edit_customer, methods=["PATCH"]),
        Route(f"{CONTROL}/sales", record_sale, methods=["POST"]),
        Route(f"{CONTROL}/retail-discounts", all_discounts, methods=["GET"]),
        Route(f"{CONTROL}/retail-discounts", create_discount, methods=["POST"]),
        Route(f"{CONTROL}/retail-discounts/{{discount_id}}", delete_discount, methods=["DELETE"]),
        Route(f"{CONTROL}/outbound-orders", all_outbound, methods=["GET"]),
        Route(f"{CONTROL}/outbound-orders/{{order_id}}/status", move_outbound, methods=["POST"]),
        Route(f"{CONTROL}/outbound-orders/{{order_id}}", staff_edit_outbound, methods=["PATCH"]),
        Route(f"{CONTROL}/destinations", all_destinations, methods=["GET"]),
        Route(f"{CONTROL}/webhooks/config", get_webhook_config, methods=["GET"]),
        Route(f"{CONTROL}/webhooks/config", set_webhook_config, methods=["POST"]),
        Route(f"{CONTROL}/webhooks", webhook_log, methods=["GET"]),
        Route(f"{CONTROL}/webhooks", clear_webhook_log, methods=["DELETE"]),
        *_control.control_routes(
            faults=state.faults, counts=state.requests, parse_fault=parse_fault, read_json=json_object
        ),
    ]
