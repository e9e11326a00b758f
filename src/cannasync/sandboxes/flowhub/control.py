"""The Flowhub sandbox's control routes: ours, not Flowhub's, for tests, the demo and the benches.

Control routes (no auth, under ``/_sandbox/``, never rate-limited; the hub never calls them)
-------------------------------------------------------------------------------------------
``GET health``; ``POST oauth/expire`` (ends every access token now);
``POST items/{productId}/quantity`` ``{"locationId", "quantity", "roomId"?}``;
``PATCH items/{productId}`` (fields to merge; bumps ``productUpdatedAt``); ``DELETE items/{productId}``;
``POST orders/{orderId}/status`` ``{"status", "postback"?}`` (``postback: false`` moves it without posting
back: a lost callback); ``GET orders``; ``GET customers``; ``GET|POST|DELETE
faults``; ``GET|DELETE requests``; ``GET postbacks``; ``GET|POST rate-limit`` ``{"rps": 20}`` (null
disables); and ``GET images/{productId}.png`` (what ``productPictureURL`` points at). Faults:
``{"method", "path_prefix", "status", "count", "retry_after"}`` answers the status with
``{"errors": ["Injected fault"]}`` (``after`` lets that many matching requests through first, to break a
sequence mid-way); ``{"mode": "delay", "delay_seconds"}`` waits before processing;
``{"mode": "timeout_after_commit", "delay_seconds"}`` processes the request fully, then holds the response
back, so a client can time out after Flowhub really committed.
Also, shared by the POS sandboxes (``sandboxes/_kit/faults.py``): ``every`` N-th or a seeded ``rate`` of
matching requests, and the modes ``reset``, ``reset_after_commit`` and ``truncate``.

The faults and request-count routes are the sandbox kit's (``sandboxes/_kit/control.py``); where faults fire
and what is counted: choices 13 and 14 (``app.py``). The product pictures are the one control route counted as
a request (choice 14).
"""

from __future__ import annotations

import zlib

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cannasync.sandboxes._kit import faults as _faults
from cannasync.sandboxes._kit.control import control_routes
from cannasync.sandboxes._kit.faults import Fault
from cannasync.sandboxes._kit.gateway import CONTROL, VendorRoute
from cannasync.sandboxes._kit.values import integer, png
from cannasync.sandboxes.flowhub.common import JSON, ApiError, data, json_object, route
from cannasync.sandboxes.flowhub.orders import canonical_status
from cannasync.sandboxes.flowhub.state import FlowhubSandbox


def parse_fault(body: JSON) -> Fault:
    """Validate a ``POST /_sandbox/faults`` body (the kinds and fields: sandboxes/_kit/faults.py)."""
    return _faults.parse_fault(body, default_prefix="/", invalid=lambda message: ApiError(422, message))


def _path_product_id(request: Request) -> int:
    raw = request.path_params["productId"]
    if not raw.isdigit():
        raise ApiError(404, f"Product {raw} not found")
    return int(raw)


def image_route(sandbox: FlowhubSandbox) -> VendorRoute:
    """``GET /_sandbox/images/{productId}.png``: a product's picture, a 1x1 PNG of its own colour (choice 5)."""

    async def image(request: Request) -> Response:
        filename: str = request.path_params["filename"]
        stem = filename.removesuffix(".png")
        if not filename.endswith(".png") or not stem.isdigit() or not sandbox.has_picture(int(stem)):
            raise ApiError(404, "Not found")
        shade = zlib.crc32(f"flowhub/{stem}".encode())
        rgb = (shade & 0xFF, (shade >> 8) & 0xFF, (shade >> 16) & 0xFF)
        return Response(png(rgb), media_type="image/png", headers={"Cache-Control": "public, max-age=300"})

    return route("GET", f"{CONTROL}/images/{{filename}}", image, "none")


def routes(sandbox: FlowhubSandbox) -> list[Route]:
    """Every control route but the pictures (``image_route``)."""

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def expire_tokens(request: Request) -> Response:
        return JSONResponse({"expired": sandbox.tenant.expire_all()})

    async def set_quantity(request: Request) -> Response:
        body = await json_object(request)
        location_id = body.get("locationId")
        if not isinstance(location_id, str) or not location_id:
            raise ApiError(422, "locationId is required")
        quantity = integer(body.get("quantity"))
        if quantity is None or quantity < 0:
            raise ApiError(422, "quantity must be an integer >= 0")
        room_id = body.get("roomId")
        if room_id is not None and not isinstance(room_id, str):
            raise ApiError(422, "roomId must be a string")
        return data(sandbox.set_quantity(_path_product_id(request), location_id, quantity, room_id))

    async def patch_item(request: Request) -> Response:
        changes = await json_object(request)
        return data(sandbox.patch_product(_path_product_id(request), changes))

    async def delete_item(request: Request) -> Response:
        sandbox.delete_product(_path_product_id(request))
        return Response(status_code=204)

    async def move_order(request: Request) -> Response:
        body = await json_object(request)
        status = canonical_status(body.get("status"))
        post_back = body.get("postback", True)
        if not isinstance(post_back, bool):
            raise ApiError(422, "postback must be true or false")
        return data(sandbox.move_order(request.path_params["orderId"], status, post_back=post_back))

    async def all_orders(request: Request) -> Response:
        return data(sandbox.orders())

    async def all_customers(request: Request) -> Response:
        return data(sandbox.customers())

    async def postbacks(request: Request) -> Response:
        return data(sandbox.postback_log)

    async def get_rate_limit(request: Request) -> Response:
        return JSONResponse({"rps": sandbox.rate_limit_rps})

    async def set_rate_limit(request: Request) -> Response:
        body = await json_object(request)
        if "rps" not in body:
            raise ApiError(422, "rps is required (a number, or null to disable the limit)")
        sandbox.set_rate_limit(body["rps"])
        return JSONResponse({"rps": sandbox.rate_limit_rps})

    return [
        Route(f"{CONTROL}/health", health, methods=["GET"]),
        Route(f"{CONTROL}/oauth/expire", expire_tokens, methods=["POST"]),
        Route(f"{CONTROL}/items/{{productId}}/quantity", set_quantity, methods=["POST"]),
        Route(f"{CONTROL}/items/{{productId}}", patch_item, methods=["PATCH"]),
        Route(f"{CONTROL}/items/{{productId}}", delete_item, methods=["DELETE"]),
        Route(f"{CONTROL}/orders/{{orderId}}/status", move_order, methods=["POST"]),
        Route(f"{CONTROL}/orders", all_orders, methods=["GET"]),
        Route(f"{CONTROL}/customers", all_customers, methods=["GET"]),
        Route(f"{CONTROL}/postbacks", postbacks, methods=["GET"]),
        *control_routes(faults=sandbox.faults, counts=sandbox.requests, parse_fault=parse_fault, read_json=json_object),
        Route(f"{CONTROL}/rate-limit", get_rate_limit, methods=["GET"]),
        Route(f"{CONTROL}/rate-limit", set_rate_limit, methods=["POST"]),
    ]
