"""Customers (the dispensaries a seller sells to), brands and company staff: ``/customers/``, ``/brands/``,
``/company-staff/`` (under ``/api/v2``); a new dispensary starting to buy (a control route).

* ``GET /customers/`` (filters ``id``, ``name``, ``nickname``, ``external_id``, ``archived``,
  ``delinquent``, ``external_id_key`` + ``external_id_values``, ``modified__*``, ``created_on__*``) and
  ``GET /customers/{id}/``: CustomerResponse. ``GET /brands/``, ``/brands/{id}/``; ``GET
  /company-staff/``, ``/company-staff/{id}/`` (the sales reps).
* ``POST customers`` ``{"company_id", "name", "nickname"?, "license_number"?, "email"?, "phone"?,
  "address"?, "city"?, "zipcode"?, "state"?}``: a new dispensary starts buying → 201 the customer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cannasync.sandboxes.leaflink.errors import detail, not_found
from cannasync.sandboxes.leaflink.filters import (
    Check,
    all_of,
    bool_param,
    equals_ci,
    int_param,
    key_company,
    shaper,
    time_checks,
)
from cannasync.sandboxes.leaflink.gateway import API
from cannasync.sandboxes.leaflink.paging import page
from cannasync.sandboxes.leaflink.records import Records

JSON = dict[str, Any]


class Customers(Records):
    """Reading customers, and a new dispensary starting to buy (a control route)."""

    def list_customers(self, company_id: int, keep: Callable[[JSON], bool]) -> list[JSON]:
        with self.lock:
            return [self._customer_json(c) for c in self._customers.values() if c["owner"] == company_id and keep(c)]

    def customer(self, company_id: int, customer_id: int) -> JSON:
        with self.lock:
            customer = self._customers.get(customer_id)
            if customer is None or customer["owner"] != company_id:
                raise not_found()
            return self._customer_json(customer)

    def all_customers(self) -> list[JSON]:
        with self.lock:
            return [self._customer_json(c) for c in self._customers.values()]

    def new_customer(self, body: JSON) -> JSON:
        """A new dispensary starts buying from a seller (``POST /_sandbox/customers``)."""
        with self.lock:
            company_id = body.get("company_id")
            if company_id not in self.companies:
                raise detail(422, "company_id must name a seller company (1 or 2)")
            name = body.get("name")
            if not isinstance(name, str) or not name.strip():
                raise detail(422, "name is required")
            texts: dict[str, str] = {}
            for field in ("nickname", "license_number", "email", "phone", "address", "city", "zipcode", "state"):
                value = body.get(field)
                if value is not None and not isinstance(value, str):
                    raise detail(422, f"{field} must be a string")
                texts[field] = value or ""
            if len(texts["zipcode"]) > 6:
                raise detail(422, "zipcode must be at most 6 characters")
            partner = self._next_partner
            self._next_partner += 1
            slug = re.sub(r"[^a-z0-9]+", "", name.lower())[:20] or "buyer"
            self._buyers[partner] = (
                partner,
                name.strip(),
                texts["nickname"],
                texts["license_number"] or f"AU-R-{partner:06d}",
                texts["address"] or "1 Main St",
                texts["city"] or "Detroit",
                texts["zipcode"] or "48201",
                texts["email"] or f"orders@{slug}.example",
                texts["phone"] or f"313555{partner % 10000:04d}",
            )
            customer_id = self._next_customer[company_id]
            self._next_customer[company_id] += 1
            customer = self._new_customer(customer_id, company_id, partner, "net30", self._tick(), delinquent=False)
            if texts["state"]:
                customer["state"] = texts["state"]
            self._customers[customer_id] = customer
            return self._customer_json(customer)


def customer_filter(request: Request) -> Check:
    checks = time_checks(request, ("modified", "created_on"))
    if request.query_params.get("external_id_key") or request.query_params.get("external_id_values"):
        checks.append(lambda c: False)  # no seeded customer carries external_ids
    customer_id = int_param(request, "id")
    if customer_id is not None:
        checks.append(lambda c: c["id"] == customer_id)
    for name in ("name", "nickname"):
        value = request.query_params.get(name)
        if value:
            checks.append(equals_ci(name, value))
    if request.query_params.get("external_id"):
        checks.append(lambda c: False)
    archived = bool_param(request, "archived")
    if archived:
        checks.append(lambda c: False)
    delinquent = bool_param(request, "delinquent")
    if delinquent is not None:
        checks.append(lambda c: c["delinquent"] == delinquent)
    return all_of(checks)


class _Endpoints:
    def __init__(self, sandbox: Customers) -> None:
        self.sandbox = sandbox

    async def list_customers(self, request: Request) -> Response:
        records = self.sandbox.list_customers(key_company(request), customer_filter(request))
        return page(request, records, route="/customers/", shape=shaper(request))

    async def get_customer(self, request: Request) -> Response:
        record = self.sandbox.customer(key_company(request), request.path_params["id"])
        return JSONResponse(shaper(request)(record))

    async def list_brands(self, request: Request) -> Response:
        company = key_company(request)
        brands = [dict(b) for b in self.sandbox.brands.values() if b["company"] == company]
        return page(request, brands, route="/brands/")

    async def get_brand(self, request: Request) -> Response:
        brand = self.sandbox.brands.get(request.path_params["id"])
        if brand is None or brand["company"] != key_company(request):
            raise not_found()
        return JSONResponse(dict(brand))

    async def list_staff(self, request: Request) -> Response:
        company = key_company(request)
        active = bool_param(request, "is_active")
        staff = [
            dict(s)
            for s in self.sandbox.staff.values()
            if s["company"] == company and (active is None or s["is_active"] == active)
        ]
        return page(request, staff, route="/company-staff/")

    async def get_staff(self, request: Request) -> Response:
        member = self.sandbox.staff.get(request.path_params["id"])
        if member is None or member["company"] != key_company(request):
            raise not_found()
        return JSONResponse(dict(member))


def routes(sandbox: Customers) -> list[Route]:
    api = _Endpoints(sandbox)
    return [
        Route(f"{API}/customers/", api.list_customers, methods=["GET"]),
        Route(f"{API}/customers/{{id:int}}/", api.get_customer, methods=["GET"]),
        Route(f"{API}/brands/", api.list_brands, methods=["GET"]),
        Route(f"{API}/brands/{{id:int}}/", api.get_brand, methods=["GET"]),
        Route(f"{API}/company-staff/", api.list_staff, methods=["GET"]),
        Route(f"{API}/company-staff/{{id:int}}/", api.get_staff, methods=["GET"]),
    ]
