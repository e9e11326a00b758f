"""Orders received: ``/orders-received/`` and its transitions (all under ``/api/v2``).

* ``GET /orders-received/`` filters: ``status`` and ``status__not`` (comma lists, case-insensitive, the
  ten lower-case values; another value is a 400), ``number``, ``order_id`` (number or
  ``external_id_seller``), ``external_id_seller``, ``external_id_seller__icontains``, ``brand``,
  ``sales_rep`` (company-staff id), ``customer`` (name or nickname, case-insensitive containment),
  ``buyer`` (buyer company id), ``paid``, ``external_id_key`` + ``external_id_values``, ``modified__*``,
  ``created_on__*``. ``include_children=line_items`` adds ``line_items`` (LineItemResponse objects);
  without it orders carry no lines (``customer`` and ``sales_reps`` are always expanded, as in the
  example).
* ``POST /orders-received/`` (OrderCreate, beta) → 201 with ``line_items``. ``seller`` must be the key's
  company, ``customer.id`` one of its customers, ``status`` Draft or Submitted, ``line_items`` non-empty
  with ``product`` (the company's product id, integer or string), ``quantity`` (> 0),
  ``ordered_unit_price`` and ``sale_price``. Also ``sales_reps`` ``[{"id"}]``, ``payment_term`` (term or
  code), ``selected_payment_option`` ``{"payment_method_id", "payment_term_id"}``, ``external_id_seller``,
  ``external_ids``, ``discount``/``discount_type``, ``tax_amount``/``tax_type``, ``shipping_charge``,
  ``notes``, ``internal_notes``, ``delivery_preferences``. ``manual`` is true on these orders.
* ``GET /orders-received/{number}/`` (``include_children`` as above); ``PATCH`` (OrderUpdate fields, plus
  ``external_id_seller``) → 200 with ``line_items``; ``DELETE`` a Draft → 204 (else 400).
* ``POST /orders-received/{number}/transition/{action}/`` (no body) with ``submit``, ``accept``,
  ``fulfill``, ``cancel``, ``reject``, ``ship``, ``complete`` → 200, the order with ``line_items``. The
  action's target state must be in ``available_transitions``, else 400 ``{"detail": "..."}`` naming the
  status and what is available; an unknown action is a 400 too.

Choices where LeafLink's public material is silent
--------------------------------------------------
Each is a guess kept easy to change (numbered across the sandbox; the others are beside the code they govern).

2. A failed transition is a 400 (DRF's validation error), not a 409; the OpenAPI file documents no error
   answers at all. Error bodies are DRF's.
9. Order PATCH is allowed in every status; line edits only while Draft, Submitted, Backorder or Accepted.
   Every successful write bumps ``modified`` (strictly increasing across the sandbox, so ``modified__gt``
   polling never misses a write) and fires a webhook, even when nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cannasync.sandboxes.leaflink.catalog import order_number
from cannasync.sandboxes.leaflink.errors import ApiError, detail, invalid, json_object
from cannasync.sandboxes.leaflink.filters import (
    Check,
    all_of,
    bool_param,
    comma_list,
    external_id_check,
    includes_lines,
    int_param,
    key_company,
    shaper,
    time_checks,
)
from cannasync.sandboxes.leaflink.gateway import API
from cannasync.sandboxes.leaflink.line_items import LineItems
from cannasync.sandboxes.leaflink.order_fields import OrderFields
from cannasync.sandboxes.leaflink.paging import page
from cannasync.sandboxes.leaflink.states import ACTIONS, STATUSES, TRANSITIONS
from cannasync.sandboxes.leaflink.values import read_integer, read_string

if TYPE_CHECKING:
    from cannasync.sandboxes.leaflink.store import Store

JSON = dict[str, Any]


class Orders(OrderFields, LineItems):
    """Reading, creating, changing, deleting and moving orders through the API."""

    def list_orders(self, company_id: int, keep: Callable[[JSON], bool], *, lines: bool) -> list[JSON]:
        with self.lock:
            chosen = [o for o in self._orders.values() if o["company_id"] == company_id and keep(o)]
            chosen.sort(key=lambda o: (o["created_on"], o["number"]), reverse=True)
            return [self._order_json(o, lines=lines) for o in chosen]

    def order(self, company_id: int | None, number: str, *, lines: bool = True) -> JSON:
        with self.lock:
            return self._order_json(self._order(company_id, number), lines=lines)

    def all_orders(self) -> list[JSON]:
        with self.lock:
            chosen = sorted(self._orders.values(), key=lambda o: (o["created_on"], o["number"]), reverse=True)
            return [self._order_json(o, lines=True) for o in chosen]

    def create_order(self, company_id: int, body: JSON) -> JSON:
        """``POST /orders-received/`` (OrderCreate)."""
        with self.lock:
            missing = [name for name in ("seller", "customer", "status", "line_items") if name not in body]
            if missing:
                raise ApiError(400, {name: ["This field is required."] for name in missing})
            if read_integer(body["seller"], "seller") != company_id:
                raise invalid("seller", "You can only create orders for your own company.")
            customer_ref = body["customer"]
            if not isinstance(customer_ref, dict) or "id" not in customer_ref:
                raise ApiError(400, {"customer": {"id": ["This field is required."]}})
            customer_id = read_integer(customer_ref["id"], "customer")
            customer = self._customers.get(customer_id)
            if customer is None or customer["owner"] != company_id:
                raise invalid("customer", f'Invalid pk "{customer_id}" - object does not exist.')
            if body["status"] not in ("Draft", "Submitted"):
                raise invalid("status", f'"{body["status"]}" is not a valid choice.')
            lines = self._parse_api_lines(company_id, body["line_items"])
            for position, line in enumerate(lines, start=1):
                line.position = line.position or position
            reps = self._check_reps(company_id, body.get("sales_reps", []))
            order = self._order_record(
                number=order_number(self._rng),
                company_id=company_id,
                customer_id=customer_id,
                status=body["status"],
                lines=lines,
                sales_rep_ids=reps,
                term_code=customer["default_term"],
                user=self.api_user(company_id),
                manual=True,
                created=self._tick(),
            )
            self._apply_order_fields(company_id, order, body)
            if "ext_acct_id" in body:
                order["ext_acct_id"] = read_string(body["ext_acct_id"], "ext_acct_id", nullable=True)
            self._store_order(order)
            self._reindex()
            return self._emit_order(order, "order.created")

    def update_order(self, company_id: int, number: str, body: JSON) -> JSON:
        """``PATCH /orders-received/{number}/`` (OrderUpdate)."""
        with self.lock:
            order = self._order(company_id, number)
            changed = dict(order)
            self._apply_order_fields(company_id, changed, body)
            changed["modified"], changed["user"] = self._tick(), self.api_user(company_id)
            self._store_order(changed)
            return self._emit_order(changed)

    def delete_order(self, company_id: int, number: str) -> None:
        with self.lock:
            order = self._order(company_id, number)
            if order["status"] != "Draft":
                raise detail(400, f"Only draft orders can be deleted; this order is {order['status']}.")
            del self._orders[order["number"]]
            for line in order["lines"]:
                self._line_orders.pop(line.id, None)

    def transition(self, company_id: int, number: str, action: str) -> JSON:
        """``POST /orders-received/{number}/transition/{action}/``."""
        with self.lock:
            order = self._order(company_id, number)
            target = ACTIONS.get(action.lower())
            if target is None:
                raise detail(400, f'Unknown transition action "{action}"; use one of: {", ".join(ACTIONS)}.')
            return self._move(order, target, self.api_user(company_id), api=True)

    def _move(self, order: JSON, target: str, user: str, *, api: bool) -> JSON:
        available = TRANSITIONS[order["status"]]
        if target.lower() not in available:
            message = (
                f"Cannot transition order {order['number']} from {order['status']} to {target}; "
                f"available transitions: {', '.join(available) or 'none'}."
            )
            raise detail(400 if api else 409, message)
        moment = self._tick()
        changed = {**order, "status": target, "modified": moment, "user": user}
        if target == "Shipped" and changed["ship_date"] is None:
            changed["ship_date"] = moment
        self._store_order(changed)
        self._reindex()
        return self._emit_order(changed)


def statuses(request: Request, name: str) -> set[str] | None:
    values = comma_list(request, name)
    if values is None:
        return None
    chosen: set[str] = set()
    for value in values:
        match = [s for s in STATUSES if s.lower() == value.lower()]
        if not match:
            raise invalid(name, f"Select a valid choice. {value} is not one of the available choices.")
        chosen.add(match[0])
    return chosen


def order_filter(request: Request, sandbox: Store) -> Check:
    checks = time_checks(request, ("modified", "created_on")) + external_id_check(request)
    wanted = statuses(request, "status")
    if wanted is not None:
        checks.append(lambda o: o["status"] in wanted)
    unwanted = statuses(request, "status__not")
    if unwanted is not None:
        checks.append(lambda o: o["status"] not in unwanted)
    number = request.query_params.get("number")
    if number:
        checks.append(lambda o: o["number"] == number.lower())
    order_id = request.query_params.get("order_id")
    if order_id:
        checks.append(lambda o: order_id.lower() == o["number"] or order_id == o["external_id_seller"])
    seller_id = request.query_params.get("external_id_seller")
    if seller_id:
        checks.append(lambda o: o["external_id_seller"] == seller_id)
    contains = request.query_params.get("external_id_seller__icontains")
    if contains:
        checks.append(lambda o: contains.lower() in (o["external_id_seller"] or "").lower())
    brand = int_param(request, "brand")
    if brand is not None:
        checks.append(lambda o: any(sandbox._products[line.product_id]["brand"] == brand for line in o["lines"]))
    brands = comma_list(request, "brand__in")
    if brands is not None:
        wanted_brands = {int(b) for b in brands if b.isdigit()}
        checks.append(
            lambda o: any(sandbox._products[line.product_id]["brand"] in wanted_brands for line in o["lines"])
        )
    rep = int_param(request, "sales_rep")
    if rep is not None:
        checks.append(lambda o: rep in o["sales_rep_ids"])
    buyer = int_param(request, "buyer")
    if buyer is not None:
        checks.append(lambda o: sandbox._customers[o["customer_id"]]["partner"] == buyer)
    customer = request.query_params.get("customer")
    if customer:
        needle = customer.lower()

        def customer_matches(order: JSON) -> bool:
            record = sandbox._customers[order["customer_id"]]
            return needle in record["name"].lower() or needle in record["nickname"].lower()

        checks.append(customer_matches)
    paid = bool_param(request, "paid")
    if paid is not None:
        checks.append(lambda o: o["paid"] == paid)
    return all_of(checks)


class _Endpoints:
    def __init__(self, sandbox: Orders) -> None:
        self.sandbox = sandbox

    async def list_orders(self, request: Request) -> Response:
        check = order_filter(request, self.sandbox)
        records = self.sandbox.list_orders(key_company(request), check, lines=includes_lines(request))
        return page(request, records, route="/orders-received/", shape=shaper(request))

    async def create_order(self, request: Request) -> Response:
        body = await json_object(request)
        return JSONResponse(self.sandbox.create_order(key_company(request), body), status_code=201)

    async def get_order(self, request: Request) -> Response:
        number = request.path_params["number"]
        record = self.sandbox.order(key_company(request), number, lines=includes_lines(request))
        return JSONResponse(shaper(request)(record))

    async def update_order(self, request: Request) -> Response:
        body = await json_object(request)
        return JSONResponse(self.sandbox.update_order(key_company(request), request.path_params["number"], body))

    async def delete_order(self, request: Request) -> Response:
        self.sandbox.delete_order(key_company(request), request.path_params["number"])
        return Response(status_code=204)

    async def transition(self, request: Request) -> Response:
        number, action = request.path_params["number"], request.path_params["action"]
        return JSONResponse(self.sandbox.transition(key_company(request), number, action))


def routes(sandbox: Orders) -> list[Route]:
    api = _Endpoints(sandbox)
    return [
        Route(f"{API}/orders-received/", api.list_orders, methods=["GET"]),
        Route(f"{API}/orders-received/", api.create_order, methods=["POST"]),
        Route(f"{API}/orders-received/{{number}}/", api.get_order, methods=["GET"]),
        Route(f"{API}/orders-received/{{number}}/", api.update_order, methods=["PATCH"]),
        Route(f"{API}/orders-received/{{number}}/", api.delete_order, methods=["DELETE"]),
        Route(f"{API}/orders-received/{{number}}/transition/{{action}}/", api.transition, methods=["POST"]),
    ]
