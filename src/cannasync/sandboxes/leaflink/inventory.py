"""Inventory, read-only: ``/batches/``, ``/inventory/items/`` and ``/inventory/facilities/`` (each with its
``{id}`` record; the lists in general: ``app.py``).

What each record is made of, since LeafLink publishes the shapes but not the data:

* ``/batches/`` (+ ``{id}``; filters ``id``, ``owner``, ``company_slug``, ``production_batch_number``,
  ``products``, ``batch_date__*``): one batch per product (id ``800000 + product id``), its THC from the
  product's ``product_data_items``; ``/inventory/items/`` names the same batch.
* ``/inventory/items/`` (+ ``{id}``; filters ``product``, ``include_archived``): one item per product (same
  id) at the company's LeafLink facility, its ``quantity`` and ``reserved_qty``; Archived products only with
  ``include_archived=true``. ``/inventory/facilities/`` (+ ``{id}``) lists that facility.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cannasync.sandboxes.leaflink.catalog import quantity_text
from cannasync.sandboxes.leaflink.filters import Check, bool_param, id_check, int_set, slug_check
from cannasync.sandboxes.leaflink.gateway import API, seller
from cannasync.sandboxes.leaflink.paging import one, page
from cannasync.sandboxes.leaflink.sandbox import LeafLinkSandbox

JSON = dict[str, Any]

BATCH_BASE = 800000


class _Inventory:
    def __init__(self, sandbox: LeafLinkSandbox) -> None:
        self.sandbox = sandbox

    def batches(self, company_id: int) -> list[JSON]:
        records: list[JSON] = []
        with self.sandbox.lock:
            for product in self.sandbox._products.values():
                if product["company_id"] != company_id:
                    continue
                specs = {item["spec_type"]: item for item in product["product_data_items"]}
                thc = specs.get("thc")
                value = str(Decimal(str(thc["decimal_value"])).quantize(Decimal("0.01"))) if thc else "0.00"
                records.append(
                    {
                        "id": BATCH_BASE + product["id"],
                        "owner": str(company_id),
                        "production_batch_number": f"{product['sku']}-B1",
                        "batch_date": product["created_on"].date().isoformat(),
                        "thc": value,
                        "thca": "0.00",
                        "total_thc": value,
                        "cbd": "0.00",
                        "cbda": "0.00",
                        "cbg": "0.00",
                        "cbn": "0.00",
                        "total_cannabinoids": value,
                        "documents": [],
                        "cannabinoid_unit": thc["dosage_unit"] if thc else "%",
                        "testing_source": "",
                        "is_from_api": False,
                        "products": [product["id"]],
                    }
                )
        return records

    def inventory_items(self, company_id: int) -> list[JSON]:
        facility = self.sandbox.companies[company_id]["facility_id"]
        with self.sandbox.lock:
            return [
                {
                    "id": product["id"],
                    "facility": facility,
                    "inventory": product["id"],
                    "product": product["id"],
                    "quantity": float(product["quantity"]),
                    "quantity_in_product_uom": quantity_text(product["quantity"]),
                    "reserved_qty": quantity_text(self.sandbox._reserved.get(product["id"], Decimal(0))),
                    "reserved_qty_in_product_uom": quantity_text(self.sandbox._reserved.get(product["id"], Decimal(0))),
                    "batch": BATCH_BASE + product["id"],
                    "is_archived": product["listing_state"] == "Archived",
                }
                for product in self.sandbox._products.values()
                if product["company_id"] == company_id
            ]

    def facilities(self, company_id: int) -> list[JSON]:
        company = self.sandbox.companies[company_id]
        return [{"id": company["facility_id"], "name": f"{company['name']} - Main"}]

    # -- endpoints -----------------------------------------------------------------------------------

    async def batches_list(self, request: Request) -> Response:
        company = seller(request, self.sandbox.companies)
        checks = id_check(request) + slug_check(request, self.sandbox, company)
        owners = int_set(request, "owner")
        if owners is not None:
            checks.append(lambda r: int(r["owner"]) in owners)
        numbers = request.query_params.get("production_batch_number")
        if numbers:
            wanted = {value.strip() for value in numbers.split(",")}
            checks.append(lambda r: r["production_batch_number"] in wanted)
        products = int_set(request, "products")
        if products is not None:
            checks.append(lambda r: bool(products & set(r["products"])))
        for suffix, compare in (("gt", str.__gt__), ("gte", str.__ge__), ("lt", str.__lt__), ("lte", str.__le__)):
            bound = request.query_params.get(f"batch_date__{suffix}")
            if bound:
                checks.append(_date_check(compare, bound[:10]))
        return page(request, self.batches(company), keep=checks, route="/batches/", shape=_public_batch)

    async def batch(self, request: Request) -> Response:
        return one(
            [_public_batch(r) for r in self.batches(seller(request, self.sandbox.companies))], request.path_params["id"]
        )

    async def inventory_list(self, request: Request) -> Response:
        company = seller(request, self.sandbox.companies)
        checks: list[Check] = []
        if not bool_param(request, "include_archived"):
            checks.append(lambda r: not r["is_archived"])
        product = request.query_params.get("product")
        if product:
            checks.append(lambda r: str(r["product"]) == product.strip())
        return page(request, self.inventory_items(company), keep=checks)

    async def inventory_item(self, request: Request) -> Response:
        return one(self.inventory_items(seller(request, self.sandbox.companies)), request.path_params["id"])

    async def facilities_list(self, request: Request) -> Response:
        return page(request, self.facilities(seller(request, self.sandbox.companies)))

    async def facility(self, request: Request) -> Response:
        return one(self.facilities(seller(request, self.sandbox.companies)), request.path_params["id"])


def _date_check(compare: Callable[[str, str], bool], bound: str) -> Check:
    return lambda record: compare(record["batch_date"], bound)


def _public_batch(record: JSON) -> JSON:
    """A batch as served: ``products`` is kept for the filter only (BatchResponse has no such field)."""
    return {key: value for key, value in record.items() if key != "products"}


def routes(sandbox: LeafLinkSandbox) -> list[Route]:
    i = _Inventory(sandbox)
    return [
        Route(f"{API}/batches/", i.batches_list, methods=["GET"]),
        Route(f"{API}/batches/{{id:int}}/", i.batch, methods=["GET"]),
        Route(f"{API}/inventory/items/", i.inventory_list, methods=["GET"]),
        Route(f"{API}/inventory/items/{{id:int}}/", i.inventory_item, methods=["GET"]),
        Route(f"{API}/inventory/facilities/", i.facilities_list, methods=["GET"]),
        Route(f"{API}/inventory/facilities/{{id:int}}/", i.facility, methods=["GET"]),
    ]
