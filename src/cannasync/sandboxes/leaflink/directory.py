"""The company's directory, read-only: ``/companies/``, ``/contacts/``, ``/licenses/``, ``/license-types/`` and
``/product-categories/`` (each with its ``{id}`` record; the lists in general: ``app.py``).

What each record is made of, since LeafLink publishes the shapes but not the data:

* ``/companies/`` (+ ``{id}``): the key's own company ("List companies the requesting user is a staff member
  of"; a key is scoped to one company), ``CompanyResponse``; address from ``COMPANY_ADDRESSES``.
* ``/contacts/`` (+ ``{id}``; filters ``id``, ``first_name``/``last_name`` (+ ``__in``, ``__startswith``),
  ``owner``, ``company_slug``, ``delete``, ``modified__*``, ``created_on__*``): the purchasing contact of each
  of the company's customers (id ``customer id + 30000``): first name from the customer's e-mail
  (``orders@…`` → "Orders"), last name empty (the sandbox knows no names at dispensaries), role
  "Purchasing, <customer name>".
* ``/licenses/`` (+ ``{id}``; filters ``id``, ``number``, ``number__in``, ``company_slug``): the company's
  licence, the one its products carry.
* ``/license-types/`` (+ ``{id}``): the three Michigan types the sandbox's licences use (``LICENSE_TYPES``;
  customers' ``license_type`` 2 is the retailer one).
* ``/product-categories/`` (+ ``{id}``): the catalogue's categories (ids 1-6, the products' ``category``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cannasync.sandboxes.leaflink.catalog import CATEGORIES
from cannasync.sandboxes.leaflink.filters import (
    comma_list,
    id_check,
    int_set,
    name_checks,
    parsed_times,
    slug_check,
)
from cannasync.sandboxes.leaflink.gateway import API, seller
from cannasync.sandboxes.leaflink.paging import one, page
from cannasync.sandboxes.leaflink.sandbox import LeafLinkSandbox
from cannasync.sandboxes.leaflink.values import stamp

JSON = dict[str, Any]

#: Seller companies' addresses (id → address, city, state, zipcode), for ``CompanyResponse``.
COMPANY_ADDRESSES: dict[int, tuple[str, str, str, str]] = {
    1: ("1550 Leonard St NE", "Grand Rapids", "MI", "49505"),
    2: ("2200 S Cedar St", "Lansing", "MI", "48910"),
}
#: ``LicenseType`` records: (id, type, display type, classification).
LICENSE_TYPES: tuple[tuple[int, str, str, str], ...] = (
    (1, "Medical", "Medical", "Provisioning Center"),
    (2, "Recreational", "Adult Use", "Retailer"),
    (3, "Recreational", "Adult Use", "Processor"),
)
#: Michigan's id in LeafLink's state table is not public; the sandbox uses 23 (its place in the alphabet).
MICHIGAN = 23
CONTACT_BASE = 30000


class _Directory:
    def __init__(self, sandbox: LeafLinkSandbox) -> None:
        self.sandbox = sandbox

    def companies(self, company_id: int) -> list[JSON]:
        company = self.sandbox.companies[company_id]
        address, city, state, zipcode = COMPANY_ADDRESSES.get(company_id, ("", "", "MI", ""))
        return [
            {
                "id": company_id,
                "name": company["name"],
                "slug": company["slug"],
                "dba": company["name"],
                "business_license_name": company["name"],
                "business_identifier": "",
                "description": f"{company['name']}, a Michigan cannabis brand house.",
                "announcement": "",
                "address": address,
                "city": city,
                "state": state,
                "zipcode": zipcode,
                "image": f"https://images.leaflink.example/companies/{company_id}/logo.png",
                "buyer": False,
                "seller": True,
                "batch_enabled": True,
                "sts_enabled": False,
                "has_accting": False,
                "hide_attached_packages": False,
                "apply_ancillary_tax": False,
                "apply_arms_length_tax": False,
            }
        ]

    def contacts(self, company_id: int) -> list[JSON]:
        with self.sandbox.lock:
            return [
                {
                    "id": CONTACT_BASE + customer["id"],
                    "created_on": stamp(customer["created_on"]),
                    "modified": stamp(customer["modified"]),
                    "owner": company_id,
                    "first_name": customer["email"].partition("@")[0].replace(".", " ").title()[:30] or "Buyer",
                    "last_name": "",
                    "email": customer["email"],
                    "secondary_email": None,
                    "role": f"Purchasing, {customer['name']}",
                    "description": None,
                    "phone": customer["phone"],
                    "phone_extension": None,
                    "secondary_phone": None,
                    "secondary_phone_extension": None,
                    "delete": False,
                }
                for customer in self.sandbox._customers.values()
                if customer["owner"] == company_id
            ]

    def licenses(self, company_id: int) -> list[JSON]:
        return [dict(self.sandbox.companies[company_id]["license"])]

    @staticmethod
    def license_types() -> list[JSON]:
        created = "2019-01-02T09:00:00.000000-06:00"
        return [
            {
                "id": type_id,
                "type": kind,
                "display_type": display,
                "classification": classification,
                "state": MICHIGAN,
                "state_abbr": "MI",
                "require_ein": False,
                "has_medical_line_items": kind == "Medical",
                "active_for_registration": True,
                "description": None,
                "pre_2018_CA": False,
                "post_2018_CA": False,
                "created_on": created,
                "modified": created,
            }
            for type_id, kind, display, classification in LICENSE_TYPES
        ]

    @staticmethod
    def categories() -> list[JSON]:
        return [
            {
                "id": category_id,
                "name": name,
                "slug": name.lower().replace(" ", "-"),
                "description": f"{name} products.",
            }
            for name, (category_id, *_rest) in sorted(CATEGORIES.items(), key=lambda entry: entry[1][0])
        ]

    # -- endpoints -----------------------------------------------------------------------------------

    async def companies_list(self, request: Request) -> Response:
        return page(request, self.companies(seller(request, self.sandbox.companies)))

    async def company_record(self, request: Request) -> Response:
        return one(self.companies(seller(request, self.sandbox.companies)), request.path_params["id"])

    async def contacts_list(self, request: Request) -> Response:
        company = seller(request, self.sandbox.companies)
        checks = id_check(request) + slug_check(request, self.sandbox, company)
        checks += name_checks(request, "first_name") + name_checks(request, "last_name")
        checks += parsed_times(request, {"modified": "modified", "created_on": "created_on"})
        owners = int_set(request, "owner")
        if owners is not None:
            checks.append(lambda r: r["owner"] in owners)
        deleted = request.query_params.get("delete")
        if deleted:
            checks.append(lambda r: r["delete"] == (deleted.lower() in ("true", "1")))
        return page(request, self.contacts(company), keep=checks)

    async def contact(self, request: Request) -> Response:
        return one(self.contacts(seller(request, self.sandbox.companies)), request.path_params["id"])

    async def licenses_list(self, request: Request) -> Response:
        company = seller(request, self.sandbox.companies)
        checks = id_check(request) + slug_check(request, self.sandbox, company)
        number = request.query_params.get("number")
        if number:
            checks.append(lambda r: r["number"] == number)
        among = comma_list(request, "number__in")
        if among is not None:
            checks.append(lambda r: r["number"] in set(among))
        return page(request, self.licenses(company), keep=checks)

    async def license(self, request: Request) -> Response:
        return one(self.licenses(seller(request, self.sandbox.companies)), request.path_params["id"])

    async def license_types_list(self, request: Request) -> Response:
        seller(request, self.sandbox.companies)
        return page(request, self.license_types())

    async def license_type(self, request: Request) -> Response:
        seller(request, self.sandbox.companies)
        return one(self.license_types(), request.path_params["id"])

    async def categories_list(self, request: Request) -> Response:
        seller(request, self.sandbox.companies)
        return page(request, self.categories())

    async def category(self, request: Request) -> Response:
        seller(request, self.sandbox.companies)
        return one(self.categories(), request.path_params["id"])


def routes(sandbox: LeafLinkSandbox) -> list[Route]:
    d = _Directory(sandbox)
    return [
        Route(f"{API}/companies/", d.companies_list, methods=["GET"]),
        Route(f"{API}/companies/{{id:int}}/", d.company_record, methods=["GET"]),
        Route(f"{API}/contacts/", d.contacts_list, methods=["GET"]),
        Route(f"{API}/contacts/{{id:int}}/", d.contact, methods=["GET"]),
        Route(f"{API}/licenses/", d.licenses_list, methods=["GET"]),
        Route(f"{API}/licenses/{{id:int}}/", d.license, methods=["GET"]),
        Route(f"{API}/license-types/", d.license_types_list, methods=["GET"]),
        Route(f"{API}/license-types/{{id:int}}/", d.license_type, methods=["GET"]),
        Route(f"{API}/product-categories/", d.categories_list, methods=["GET"]),
        Route(f"{API}/product-categories/{{id:int}}/", d.category, methods=["GET"]),
    ]
