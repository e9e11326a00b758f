"""Flowhub's v1 customers: list, find by phone, get, create and update.

What it reproduces (vendor-apis.md §2 "Customers (v1, Swagger ``orders-api.yaml``)"): v1 customers
(``GET /v1/customers/``, ``findByPhoneNumber``, get, create, ``PUT /v1/customer/{id}?store_id=``). The list is
served with the trailing slash the public client sends, ``GET /v1/customers/`` (src/resources/orders.ts); the
form without it is a 404 (``app.py``).

The customers themselves (the two well-known ones and the seeded others): ``customer_data.py``.

Choices where Flowhub's public notes are silent
-----------------------------------------------
7. Customers: ids are ``cus-NNNNNN``. ``findByPhoneNumber`` answers ``{"total": n, "customers": [...]}``,
   comparing digits only and ignoring a leading US country code ``1``; a missing ``phone_number`` or one
   without digits is a 400. ``POST /v1/customer`` requires ``store_id`` (400 when missing; 404/403 like a
   path location) and the body fields ``birthDate`` (YYYY-MM-DD), ``name``, ``state`` (two letters) and
   ``type`` (``medCustomer``/``recCustomer``): 422 naming the field. ``medIdExpiration`` must be
   YYYY-MM-DD when given; a ``medCustomer`` without ``medId`` is accepted. Creating never checks for
   duplicates. Every customer field is present (null when unknown). Customers are shared by every
   configured client (there is one by default); ``store_id`` on ``GET /v1/customers/{id}`` is optional.
16. ``GET /v1/customers/`` answers ``{"total", "customers"}`` like ``findByPhoneNumber`` (the Swagger file
    declares a single customer; the public client notes it is unverified). ``page`` (1-based), ``page_size``
    (default 100), ``order_by`` (by ``createdAt``) and ``created_*``/``updated_*`` (YYYY-MM-DD, inclusive; a
    timestamp is a 404 as on the sales lists). ``PUT /v1/customer/{id}?store_id=`` validates like the create
    (``store_id`` required) and replaces the customer's fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cannasync.sandboxes._kit.gateway import VendorRoute
from cannasync.sandboxes._kit.values import digits, iso_ms, now, number
from cannasync.sandboxes.flowhub.accounts import caller
from cannasync.sandboxes.flowhub.common import (
    JSON,
    ApiError,
    is_date,
    json_object,
    later_than_stored,
    optional_str,
    page_number,
    required_str,
    route,
)
from cannasync.sandboxes.flowhub.customer_data import customer_record
from cannasync.sandboxes.flowhub.locations import Locations
from cannasync.sandboxes.flowhub.sales import MAX_PAGE_SIZE

_CUSTOMER_OPTIONAL_STRINGS: tuple[str, ...] = (
    "email",
    "phone",
    "medId",
    "city",
    "zip",
    "streetAddress1",
    "streetAddress2",
    "country",
    "stateId",
)


def parse_customer_body(body: JSON) -> JSON:
    """Validate a ``POST /v1/customer`` body; return the fields to store."""
    if not is_date(body.get("birthDate")):
        raise ApiError(422, "birthDate is required (YYYY-MM-DD)")
    fields: JSON = {"birthDate": body["birthDate"], "name": required_str(body, "name")}
    state = body.get("state")
    if not isinstance(state, str) or not re.fullmatch(r"[A-Za-z]{2}", state.strip()):
        raise ApiError(422, "state is required (two letters)")
    fields["state"] = state.strip().upper()
    if body.get("type") not in ("medCustomer", "recCustomer"):
        raise ApiError(422, "type is required (medCustomer or recCustomer)")
    fields["type"] = body["type"]
    for name in _CUSTOMER_OPTIONAL_STRINGS:
        value = optional_str(body, name)
        if value is not None:
            fields[name] = value
    for name in ("medIdExpiration", "stateIdExpiration"):
        value = body.get(name)
        if value is not None:
            if not is_date(value):
                raise ApiError(422, f"{name} must be YYYY-MM-DD")
            fields[name] = value
    for name in ("isLoyal", "consentsToPromotionalEmail", "consentsToPromotionalSMS"):
        value = body.get(name)
        if value is not None:
            if not isinstance(value, bool):
                raise ApiError(422, f"{name} must be a boolean")
            fields[name] = value
    points = body.get("loyaltyPoints")
    if points is not None:
        if number(points) is None or points < 0:
            raise ApiError(422, "loyaltyPoints must be a number >= 0")
        fields["loyaltyPoints"] = points
    groups = body.get("groups")
    if groups is not None:
        if not isinstance(groups, list) or not all(isinstance(group, dict) for group in groups):
            raise ApiError(422, "groups must be a list of objects")
        fields["groups"] = groups
    return fields


class Customers(Locations):
    """The sandbox's part that holds the customers (shared by every configured client, choice 7)."""

    _customers: dict[str, JSON]
    _next_customer: int

    def _init_customers(self, seeded: Sequence[JSON]) -> None:
        self._customers = {c["id"]: c for c in seeded}
        self._next_customer = len(self._customers) + 1

    def customers(self) -> list[JSON]:
        with self.lock:
            return list(self._customers.values())

    def find_customers_by_phone(self, phone: str) -> list[JSON]:
        wanted = digits(phone)
        if not wanted:
            raise ApiError(400, "phone_number must contain digits")
        with self.lock:
            return [c for c in self._customers.values() if c.get("phone") and digits(c["phone"]) == wanted]

    def get_customer(self, customer_id: str) -> JSON:
        with self.lock:
            customer = self._customers.get(customer_id)
            if customer is None:
                raise ApiError(404, f"Customer {customer_id} not found")
            return customer

    def list_customers(self, params: Mapping[str, str]) -> JSON:
        """``GET /v1/customers/``: ``{"total", "customers"}`` filtered and paged by ``params`` (choice 16)."""
        bounds = {}
        for name in ("created_after", "created_before", "updated_after", "updated_before"):
            value = params.get(name)
            if value is not None and not is_date(value):
                raise ApiError(404, f"{name} must be in format yyyy-mm-dd")
            bounds[name] = value
        page = page_number(params.get("page"), "page", 10**9, 1)
        size = page_number(params.get("page_size"), "page_size", MAX_PAGE_SIZE, 100)
        order_by = params.get("order_by", "asc")
        if order_by not in ("asc", "desc"):
            raise ApiError(400, "order_by must be asc or desc")

        def within(customer: JSON) -> bool:
            created, updated = str(customer["createdAt"])[:10], str(customer["updatedAt"])[:10]
            return (
                (bounds["created_after"] is None or created >= bounds["created_after"])
                and (bounds["created_before"] is None or created <= bounds["created_before"])
                and (bounds["updated_after"] is None or updated >= bounds["updated_after"])
                and (bounds["updated_before"] is None or updated <= bounds["updated_before"])
            )

        with self.lock:
            found = [customer for customer in self._customers.values() if within(customer)]
        found.sort(key=lambda customer: (str(customer["createdAt"]), str(customer["id"])), reverse=order_by == "desc")
        start = (page - 1) * size
        return {"total": len(found), "customers": found[start : start + size]}

    def update_customer(self, customer_id: str, fields: JSON) -> JSON:
        """``PUT /v1/customer/{id}``: the body's fields replace the customer's (the write body of a create)."""
        with self.lock:
            old = self._customers.get(customer_id)
            if old is None:
                raise ApiError(404, f"Customer {customer_id} not found")
            new = {
                **customer_record(customer_id, fields, old["createdAt"]),
                "updatedAt": later_than_stored(old["updatedAt"]),
            }
            self._customers[customer_id] = new
            return new

    def create_customer(self, fields: JSON) -> JSON:
        with self.lock:
            customer_id = f"cus-{self._next_customer:06d}"
            self._next_customer += 1
            customer = customer_record(customer_id, fields, iso_ms(now()))
            self._customers[customer_id] = customer
            return customer


def routes(sandbox: Customers) -> list[VendorRoute]:
    async def list_customers(request: Request) -> Response:
        return JSONResponse(sandbox.list_customers(request.query_params))

    async def find_customers(request: Request) -> Response:
        phone = request.query_params.get("phone_number")
        if phone is None or not phone.strip():
            raise ApiError(400, "phone_number is required")
        found = sandbox.find_customers_by_phone(phone)
        return JSONResponse({"total": len(found), "customers": found})

    async def get_customer(request: Request) -> Response:
        store_id = request.query_params.get("store_id")
        if store_id:
            sandbox.location(caller(request), store_id)
        return JSONResponse(sandbox.get_customer(request.path_params["customerId"]))

    def store(request: Request) -> None:
        store_id = request.query_params.get("store_id")
        if not store_id:
            raise ApiError(400, "store_id is required")
        sandbox.location(caller(request), store_id)

    async def create_customer(request: Request) -> Response:
        store(request)
        fields = parse_customer_body(await json_object(request))
        return JSONResponse(sandbox.create_customer(fields), status_code=201)

    async def update_customer(request: Request) -> Response:
        store(request)
        fields = parse_customer_body(await json_object(request))
        return JSONResponse(sandbox.update_customer(request.path_params["customerId"], fields))

    return [
        route("GET", "/v1/customers/", list_customers, "api"),
        route("GET", "/v1/customers/findByPhoneNumber", find_customers, "api"),
        route("GET", "/v1/customers/{customerId}", get_customer, "api"),
        route("POST", "/v1/customer", create_customer, "api"),
        route("PUT", "/v1/customer/{customerId}", update_customer, "api"),
    ]
