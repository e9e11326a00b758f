"""The sandbox's control routes (ours, not LeafLink's): tests, the demo and the benches drive the sandbox
through them.

Control routes (no auth, under ``/_sandbox/``, never rate-limited; the hub never calls them)
-------------------------------------------------------------------------------------------
Answers are plain JSON (orders always with ``line_items``); errors ``{"detail"}`` with 404, 409 (a move the
machine does not allow) or 422 (a bad body).

* ``GET health``; ``GET orders`` / ``GET products`` / ``GET customers`` (every company, as served).
* ``POST orders``, ``PATCH orders/{number}``, ``POST orders/combine``, ``POST orders/{number}/cancel``,
  ``POST orders/{number}/status``: the buyer's and the seller's actions (``marketplace.py``).
* ``PATCH products/{id}``: the seller edits a product (``products.py``); ``POST customers``: a new
  dispensary (``customers.py``).
* ``GET|POST config`` ``{"webhook_url", "company_id"?, "webhook_key"?}`` (no ``company_id``: every company;
  a null URL stops webhooks); ``GET|DELETE webhooks`` (the log); ``GET|POST|DELETE faults``; ``GET|DELETE
  requests``; ``GET|POST rate-limit`` ``{"per_minute": n}`` (null disables).

Faults: ``{"method", "path_prefix", "status", "count", "retry_after", "after"}`` answers the status with
``{"detail": "Injected fault"}`` (``after`` lets that many matching requests through first);
``{"mode": "delay", "delay_seconds"}`` waits before processing; ``{"mode": "timeout_after_commit",
"delay_seconds"}`` processes the request fully, then holds the response back. The other kinds (a reset before
or after the work, an answer cut off mid-body, a steady rate) are those of every sandbox
(``sandboxes/_kit/faults.py``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from cannasync.sandboxes._kit import faults as _faults
from cannasync.sandboxes._kit.control import control_routes
from cannasync.sandboxes._kit.faults import Fault
from cannasync.sandboxes._kit.gateway import CONTROL
from cannasync.sandboxes.leaflink.errors import ApiError, control_body, detail
from cannasync.sandboxes.leaflink.gateway import API
from cannasync.sandboxes.leaflink.sandbox import LeafLinkSandbox

JSON = dict[str, Any]


def parse_fault(body: JSON) -> Fault:
    """Validate a ``POST /_sandbox/faults`` body (the kinds and fields: sandboxes/_kit/faults.py)."""
    return _faults.parse_fault(body, default_prefix=f"{API}/", invalid=lambda message: detail(422, message))


class _Control:
    def __init__(self, sandbox: LeafLinkSandbox) -> None:
        self.sandbox = sandbox

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "seed": self.sandbox.seed})

    async def all_orders(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.all_orders())

    async def buyer_order(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.buyer_order(await control_body(request)), status_code=201)

    async def edit_order(self, request: Request) -> Response:
        body = await control_body(request)
        return JSONResponse(self.sandbox.edit_order(request.path_params["number"], body))

    async def combine(self, request: Request) -> Response:
        body = await control_body(request)
        return JSONResponse(self.sandbox.combine(body.get("numbers")), status_code=201)

    async def buyer_cancel(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.buyer_cancel(request.path_params["number"]))

    async def seller_move(self, request: Request) -> Response:
        body = await control_body(request)
        return JSONResponse(self.sandbox.seller_move(request.path_params["number"], body.get("status")))

    async def all_products(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.all_products())

    async def seller_edit_product(self, request: Request) -> Response:
        body = await control_body(request)
        try:
            return JSONResponse(self.sandbox.update_product(None, request.path_params["id"], body))
        except ApiError as error:
            if error.status == 400:
                raise ApiError(422, error.body) from None
            raise

    async def all_customers(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.all_customers())

    async def new_customer(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.new_customer(await control_body(request)), status_code=201)

    async def webhooks(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.webhook_log)

    async def clear_webhooks(self, request: Request) -> Response:
        self.sandbox.clear_webhook_log()
        return Response(status_code=204)

    async def get_config(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.config())

    async def set_config(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.configure(await control_body(request)))

    async def get_rate_limit(self, request: Request) -> Response:
        return JSONResponse({"per_minute": self.sandbox.rate_limit_per_minute})

    async def set_rate_limit(self, request: Request) -> Response:
        body = await control_body(request)
        if "per_minute" not in body:
            raise detail(422, "per_minute is required (an integer >= 1, or null)")
        self.sandbox.set_rate_limit(body["per_minute"])
        return JSONResponse({"per_minute": self.sandbox.rate_limit_per_minute})


def routes(sandbox: LeafLinkSandbox) -> list[BaseRoute]:
    api = _Control(sandbox)
    return [
        Route(f"{CONTROL}/health", api.health, methods=["GET"]),
        Route(f"{CONTROL}/orders", api.all_orders, methods=["GET"]),
        Route(f"{CONTROL}/orders", api.buyer_order, methods=["POST"]),
        Route(f"{CONTROL}/orders/combine", api.combine, methods=["POST"]),
        Route(f"{CONTROL}/orders/{{number}}", api.edit_order, methods=["PATCH"]),
        Route(f"{CONTROL}/orders/{{number}}/cancel", api.buyer_cancel, methods=["POST"]),
        Route(f"{CONTROL}/orders/{{number}}/status", api.seller_move, methods=["POST"]),
        Route(f"{CONTROL}/products", api.all_products, methods=["GET"]),
        Route(f"{CONTROL}/products/{{id:int}}", api.seller_edit_product, methods=["PATCH"]),
        Route(f"{CONTROL}/customers", api.all_customers, methods=["GET"]),
        Route(f"{CONTROL}/customers", api.new_customer, methods=["POST"]),
        Route(f"{CONTROL}/webhooks", api.webhooks, methods=["GET"]),
        Route(f"{CONTROL}/webhooks", api.clear_webhooks, methods=["DELETE"]),
        Route(f"{CONTROL}/config", api.get_config, methods=["GET"]),
        Route(f"{CONTROL}/config", api.set_config, methods=["POST"]),
        Route(f"{CONTROL}/rate-limit", api.get_rate_limit, methods=["GET"]),
        Route(f"{CONTROL}/rate-limit", api.set_rate_limit, methods=["POST"]),
        # Faults (the kinds are every sandbox's: sandboxes/_kit/faults.py) and request counts, answered as
        # plain JSON like every control route here.
        *control_routes(
            faults=sandbox.faults,
            counts=sandbox.requests,
            parse_fault=parse_fault,
            read_json=control_body,
            envelope=False,
        ),
    ]
