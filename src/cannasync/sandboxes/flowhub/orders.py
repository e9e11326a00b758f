"""Flowhub's Order Ahead orders: create, status, update and asking for a postback again.

What it reproduces (vendor-apis.md §2; yerba-buena/flowhub-client-ts src/resources/order-ahead.ts,
src/types/orders.ts):

* Order Ahead (create, ``orderStatus``, ``PATCH /orders/{orderId}``, ``/orderPostback/{orderId}``;
  src/resources/order-ahead.ts) with postbacks to ``postbackUrl`` on every status change (``postbacks.py``).
  These routes take the Order Ahead bearer alone (``auth.py``).
* Order-ahead creation does **not** deduplicate: a second create of the same body is a second order.

What a body must hold: ``order_body.py`` (choice 8); how an order shows in the v1 sales lists: ``sales.py``.

Choices where Flowhub's public notes are silent
-----------------------------------------------
8. (The rest of choice 8, whose validation is in ``order_body.py``.) Order ids are
   ``OA-000001`` upwards. Creating an order changes no stock (only the quantity control route does). The
   stored order is the body as received plus ``orderId``, ``status``, ``createdAt`` and ``updatedAt``; a
   client sees only the orders created with its own credentials.
9. ``orderStatus/{orderId}`` answers ``{"customerExternalId", "orderId", "status", "updatedAt"}``: the create
   answer's fields (src/types/orders.ts ``OrderResponse``) and when it last changed. An order created before a
   lost answer is found in the location's v1 sales list by what it holds (``sales`` choice 3); the lookup
   route the sandbox once invented (``GET /order-ahead/v0/orders``) is gone.
10. Status machine (moves only through the control route, as staff would in the POS):
    pickup and kiosk: new → started → ready → sold; delivery: new → started → inQueue → inTransit →
    delivered → sold, also started → ready → inQueue. From any non-final status: unableToComplete,
    unableToVerify or deleted. Final: sold, deleted, unableToComplete, unableToVerify. Any other move →
    409; an unknown status name → 422 (names are matched case-insensitively).
15. ``PATCH /orders/{orderId}`` takes the create body again (src/types/orders.ts: ``UpdateOrderParams extends
    CreateOrderParams``), validated the same way, and replaces the order's body; status, location and
    creation time stay. A final order is a 409. It answers like the create (``OrderResponse``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cannasync.sandboxes._kit.gateway import VendorRoute
from cannasync.sandboxes._kit.values import iso_ms, now
from cannasync.sandboxes.flowhub.accounts import Account, caller
from cannasync.sandboxes.flowhub.common import JSON, ApiError, json_object, later_than_stored, route
from cannasync.sandboxes.flowhub.inventory import Inventory
from cannasync.sandboxes.flowhub.order_body import OrderRequest, parse_order_request
from cannasync.sandboxes.flowhub.postbacks import Postbacks

ORDER_STATUSES: tuple[str, ...] = (
    "new",
    "started",
    "ready",
    "inQueue",
    "inTransit",
    "delivered",
    "unableToComplete",
    "unableToVerify",
    "deleted",
    "sold",
)
FINAL_STATUSES = frozenset({"sold", "deleted", "unableToComplete", "unableToVerify"})
ABANDON_STATUSES = frozenset({"unableToComplete", "unableToVerify", "deleted"})
_COUNTER_MOVES: dict[str, frozenset[str]] = {
    "new": frozenset({"started"}),
    "started": frozenset({"ready"}),
    "ready": frozenset({"sold"}),
}
#: Order type → status → the statuses it may move on to (besides the abandon statuses).
FORWARD_MOVES: dict[str, dict[str, frozenset[str]]] = {
    "pickup": _COUNTER_MOVES,
    "kiosk": _COUNTER_MOVES,
    "delivery": {
        "new": frozenset({"started"}),
        "started": frozenset({"ready", "inQueue"}),
        "ready": frozenset({"inQueue"}),
        "inQueue": frozenset({"inTransit"}),
        "inTransit": frozenset({"delivered"}),
        "delivered": frozenset({"sold"}),
    },
}


def canonical_status(value: object) -> str:
    if isinstance(value, str):
        wanted = value.strip().lower()
        for status in ORDER_STATUSES:
            if status.lower() == wanted:
                return status
    raise ApiError(422, f"status must be one of: {', '.join(ORDER_STATUSES)}")


class Orders(Inventory, Postbacks):
    """The sandbox's part that holds the Order Ahead orders and moves them along the status machine."""

    _orders: dict[str, JSON]
    _order_owner: dict[str, str]
    _previous_status: dict[str, str | None]
    _next_order: int

    def _init_orders(self) -> None:
        self._orders = {}
        self._order_owner = {}
        self._previous_status = {}
        self._next_order = 1
        self._init_postbacks()

    def orders(self) -> list[JSON]:
        with self.lock:
            return list(self._orders.values())

    def create_order(self, account: Account, body: JSON, request: OrderRequest) -> JSON:
        """Store a validated order-ahead body as received, with status ``new``; return the response."""
        location_id = account.order_location
        with self.lock:
            self._check_products(location_id, request)
            order_id = f"OA-{self._next_order:06d}"
            self._next_order += 1
            stamp = iso_ms(now())
            self._orders[order_id] = {
                **body,
                "locationId": location_id,
                "orderId": order_id,
                "status": "new",
                "createdAt": stamp,
                "updatedAt": stamp,
            }
            self._order_owner[order_id] = account.client_id
            self._previous_status[order_id] = None
            return {"customerExternalId": request.customer_external_id, "orderId": order_id, "status": "new"}

    def _check_products(self, location_id: str, request: OrderRequest) -> None:
        stocked = self.stock[location_id]
        for product_id in request.product_ids:
            if product_id not in stocked or product_id not in self._products:
                raise ApiError(422, f"Product {product_id} is not available at location {location_id}")

    def update_order(self, account: Account, order_id: str, body: JSON, request: OrderRequest) -> JSON:
        """``PATCH /orders/{orderId}``: the create body again replaces the order's (choice 15)."""
        with self.lock:
            old = self._order(order_id, account)
            if old["status"] in FINAL_STATUSES:
                raise ApiError(409, f"Order {order_id} is {old['status']} and can no longer be changed")
            self._check_products(old["locationId"], request)
            kept = {name: old[name] for name in ("locationId", "orderId", "status", "createdAt")}
            self._orders[order_id] = {**body, **kept, "updatedAt": later_than_stored(old["updatedAt"])}
            return {"customerExternalId": request.customer_external_id, "orderId": order_id, "status": old["status"]}

    def _order(self, order_id: str, account: Account | None) -> JSON:
        order = self._orders.get(order_id)
        if order is None or (account is not None and self._order_owner[order_id] != account.client_id):
            raise ApiError(404, f"Order {order_id} not found")
        return order

    def get_order(self, order_id: str, account: Account | None = None) -> JSON:
        with self.lock:
            return self._order(order_id, account)

    def move_order(self, order_id: str, status: str, *, post_back: bool = True) -> JSON:
        """Move an order along the status machine, as staff would in the POS; posts back the change, unless
        ``post_back`` is false (the postback lost on the way: drift for a reconciliation to find)."""
        with self.lock:
            old = self._order(order_id, None)
            current = old["status"]
            forward = status in FORWARD_MOVES[old["orderType"]].get(current, frozenset())
            abandon = status in ABANDON_STATUSES and current not in FINAL_STATUSES
            if not (forward or abandon):
                raise ApiError(409, f"Order {order_id} cannot move from {current} to {status}")
            new = {**old, "status": status, "updatedAt": later_than_stored(old["updatedAt"])}
            self._orders[order_id] = new
            self._previous_status[order_id] = current
            if post_back:
                self._post_back(new, current)
            return new

    def resend_postback(self, account: Account, order_id: str) -> None:
        with self.lock:
            order = self._order(order_id, account)
            self._post_back(order, self._previous_status[order_id])


def routes(sandbox: Orders) -> list[VendorRoute]:
    async def create_order(request: Request) -> Response:
        account = caller(request)
        body = await json_object(request)
        parsed = parse_order_request(body)
        return JSONResponse(sandbox.create_order(account, body, parsed), status_code=201)

    async def update_order(request: Request) -> Response:
        body = await json_object(request)
        parsed = parse_order_request(body)
        answer = sandbox.update_order(caller(request), request.path_params["orderId"], body, parsed)
        return JSONResponse(answer)

    async def order_status(request: Request) -> Response:
        order = sandbox.get_order(request.path_params["orderId"], caller(request))
        customer = order.get("customer")
        return JSONResponse(
            {
                # Like the create answer (flowhub-client-ts src/types/orders.ts: getStatus → OrderResponse).
                "customerExternalId": customer.get("externalId") if isinstance(customer, dict) else None,
                "orderId": order["orderId"],
                "status": order["status"],
                "updatedAt": order["updatedAt"],
            }
        )

    async def order_postback(request: Request) -> Response:
        sandbox.resend_postback(caller(request), request.path_params["orderId"])
        return Response(status_code=204)

    return [
        route("POST", "/order-ahead/v0/create", create_order, "order_ahead"),
        route("GET", "/order-ahead/v0/orderStatus/{orderId}", order_status, "order_ahead"),
        route("PATCH", "/orders/{orderId}", update_order, "order_ahead"),
        route("POST", "/orderPostback/{orderId}", order_postback, "order_ahead"),
    ]
