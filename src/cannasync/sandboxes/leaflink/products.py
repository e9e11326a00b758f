"""Products: ``/products/`` and ``/listing-states/`` (all under ``/api/v2``), and the seller's edits in
LeafLink's UI (a control route).

* ``GET /products/`` filters: ``id``, ``sku`` (comma list, case-insensitive exact), ``name``
  (case-insensitive exact), ``brand`` (id), ``listing_state`` (comma list of names, case-insensitive,
  or ids from ``/listing-states/``), ``archived`` (true: only Archived; false: all but Archived),
  ``external_id_key`` + ``external_id_values`` (comma list), ``modified__gt/gte/lt/lte``,
  ``created_on__*``, ``last_edit__*``. ``fields_include``/``fields_exclude`` (comma lists of top-level
  fields) work on products, orders and customers. The documented filters that name a field of the record
  (``display_name``, ``category``, ``parent__isnull``, …) are DRF lookups on the served record
  (``lookups.py``, on every list); the few documented filters that name no field of the sandbox's
  records are accepted and ignored (``tests/contract/leaflink`` lists them with the reason).
* ``POST /products/`` (ProductCreate) → 201 ProductResponse; ``GET /products/{id}/``; ``PATCH
  /products/{id}/`` (ProductUpdate) → 200 ProductUpdateResponse (the product without
  ``product_data_items``, as that schema has it). A PATCH changes only what it sends: ``listing_state`` is
  never touched unless sent. ``available_inventory`` is writable (ProductUpdate lists it): it sets
  ``quantity = available_inventory + reserved_qty``; sending it with ``quantity`` is a 400.
* Products: every ProductResponse field. ``reserved_qty`` is the sum of the product's line quantities in
  orders that are Submitted or Accepted; ``available_inventory = quantity - reserved_qty`` (may go
  negative when the seller sets a quantity below what is reserved). Orders never change ``quantity``.
  ``listing_state`` is one of Available, Backorder, Internal, Unavailable, Sample, Archived (the schema's
  enum), ``display_listing_state`` the same. ``external_ids`` is an object (keys at most 36 characters);
  a PATCH replaces it wholesale (merge yourself).
* ``GET /listing-states/`` → the paged envelope of ``{"id", "name"}``: 1 Available, 2 Backorder,
  3 Internal, 4 Unavailable, 5 Sample, 6 Archived. **Not in the OpenAPI file** (the vendor notes name the
  route and say the product filter takes its ids); shape and ids are ours.
* ``PATCH products/{id}`` (``listing_state``, ``quantity``, ``description``, ``name``, ``wholesale_price``
  …, as the API's PATCH): the seller edits in LeafLink's UI → fires ``product.updated``.

Choices where LeafLink's public material is silent
--------------------------------------------------
Each is a guess kept easy to change (numbered across the sandbox; the others are beside the code they govern).

8. Product SKUs need not be unique; creating a product never deduplicates. ``POST /products/`` requires
   ``name``, ``sku`` and ``brand`` (one of the company's) and fills the schema's other required fields
   with defaults (listing state Available, unit of measure Unit, prices 0.00, category and sub-category
   of Flower, the company as seller and manufacturer, its licence, strain classification ``na``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cannasync.sandboxes.leaflink.catalog import (
    CATEGORIES,
    LISTING_STATES,
    STRAIN_CLASSIFICATIONS,
    UNITS_OF_MEASURE,
    money,
    quantity_text,
)
from cannasync.sandboxes.leaflink.errors import ApiError, invalid, json_object
from cannasync.sandboxes.leaflink.filters import (
    Check,
    all_of,
    bool_param,
    comma_list,
    external_id_check,
    int_param,
    key_company,
    shaper,
    time_checks,
)
from cannasync.sandboxes.leaflink.gateway import API
from cannasync.sandboxes.leaflink.paging import page
from cannasync.sandboxes.leaflink.records import Records
from cannasync.sandboxes.leaflink.values import (
    ZERO,
    read_boolean,
    read_decimal,
    read_external_ids,
    read_integer,
    read_money,
    read_string,
)

JSON = dict[str, Any]


class Products(Records):
    """Reading, creating and changing products (through the API, or as the seller in LeafLink's UI)."""

    def list_products(self, company_id: int, keep: Callable[[JSON], bool]) -> list[JSON]:
        with self.lock:
            return [self._product_json(p) for p in self._products.values() if p["company_id"] == company_id and keep(p)]

    def product(self, company_id: int | None, product_id: int) -> JSON:
        with self.lock:
            return self._product_json(self._product(company_id, product_id))

    def all_products(self) -> list[JSON]:
        with self.lock:
            return [self._product_json(p) for p in self._products.values()]

    def create_product(self, company_id: int, body: JSON) -> JSON:
        with self.lock:
            fields = self._product_fields(company_id, body, creating=True)
            moment = self._tick()
            product_id = self._next_product
            self._next_product += 1
            name = fields.pop("name")
            product: JSON = {
                "id": product_id,
                "company_id": company_id,
                "created_on": moment,
                "last_edit": moment,
                "modified": moment,
                "name": name,
                "sku": fields.pop("sku"),
                "description": "",
                "quantity": ZERO,
                "unit_multiplier": 1,
                "retail_price": money(0),
                "wholesale_price": money(0),
                "sale_price": money(0),
                "minimum_order": quantity_text(1),
                "maximum_order": None,
                "is_medical_line_item": False,
                "AVAILABLE_FOR_SAMPLES": False,
                "featured": False,
                "tagline": None,
                "allow_fractional_quantities": False,
                "listing_state": "Available",
                "inventory_management": "1",
                "unit_of_measure": "Unit",
                "category": CATEGORIES["Flower"][0],
                "sub_category": CATEGORIES["Flower"][1],
                "brand": fields.pop("brand"),
                "product_line": 0,
                "strain_classification": "na",
                "external_ids": {},
                "show_quantity": True,
                "product_data_items": [],
            }
            product["product_line"] = product["brand"] * 10 + 1
            product.update(fields)
            self._products[product_id] = product
            record = self._product_json(product)
            self._emit(company_id, "product.created", record)
            return record

    def update_product(self, company_id: int | None, product_id: int, body: JSON) -> JSON:
        """PATCH a product (through the API, or as the seller in the UI when ``company_id`` is None)."""
        with self.lock:
            product = self._product(company_id, product_id)
            fields = self._product_fields(product["company_id"], body, creating=False)
            if "available_inventory" in fields:
                if "quantity" in fields:
                    raise ApiError(400, {"non_field_errors": ["Send quantity or available_inventory, not both."]})
                available = fields.pop("available_inventory")
                fields["quantity"] = available + self._reserved.get(product_id, ZERO)
            moment = self._tick()
            updated = {**product, **fields, "modified": moment, "last_edit": moment}
            self._products[product_id] = updated
            self._emit(updated["company_id"], "product.updated", self._product_json(updated))
            return self._product_json(updated, update_response=company_id is not None)

    def _product_fields(self, company_id: int, body: JSON, *, creating: bool) -> JSON:
        """Validate the writable fields of ProductCreate / ProductUpdate (lock held)."""
        fields: JSON = {}
        if creating:
            missing = [name for name in ("name", "sku", "brand") if body.get(name) is None]
            if missing:
                raise ApiError(400, {name: ["This field is required."] for name in missing})
            seller = body.get("seller")
            if seller is not None and read_integer(seller, "seller") != company_id:
                raise invalid("seller", "You can only create products for your own company.")
        for name in ("name", "sku"):
            if name in body:
                value = read_string(body[name], name, max_length=255)
                if not value:
                    raise invalid(name, "This field may not be blank.")
                fields[name] = value
        if "description" in body:
            fields["description"] = read_string(body["description"], "description", nullable=True) or ""
        if "tagline" in body:
            fields["tagline"] = read_string(body["tagline"], "tagline", nullable=True)
        if "brand" in body:
            brand = read_integer(body["brand"], "brand")
            if self.brands.get(brand, {}).get("company") != company_id:
                raise invalid("brand", f'Invalid pk "{brand}" - object does not exist.')
            fields["brand"] = brand
        for name in ("quantity", "available_inventory"):
            if name in body:
                fields[name] = read_decimal(body[name], name, minimum=ZERO if name == "quantity" else None)
        for name in ("retail_price", "wholesale_price", "sale_price"):
            if name in body:
                fields[name] = money(read_money(body[name], name))
        if "listing_state" in body:
            if body["listing_state"] not in LISTING_STATES:
                raise invalid("listing_state", f'"{body["listing_state"]}" is not a valid choice.')
            fields["listing_state"] = body["listing_state"]
        if "unit_of_measure" in body:
            if body["unit_of_measure"] not in UNITS_OF_MEASURE:
                raise invalid("unit_of_measure", f'"{body["unit_of_measure"]}" is not a valid choice.')
            fields["unit_of_measure"] = body["unit_of_measure"]
        if "strain_classification" in body:
            if body["strain_classification"] not in STRAIN_CLASSIFICATIONS:
                raise invalid("strain_classification", f'"{body["strain_classification"]}" is not a valid choice.')
            fields["strain_classification"] = body["strain_classification"]
        if "inventory_management" in body:
            value = str(body["inventory_management"])
            if value not in ("1", "2", "3"):
                raise invalid("inventory_management", f'"{value}" is not a valid choice.')
            fields["inventory_management"] = value
        for name in ("unit_multiplier", "category", "sub_category"):
            if name in body:
                number = read_integer(body[name], name)
                if number < 1:
                    raise invalid(name, "Ensure this value is greater than or equal to 1.")
                fields[name] = number
        for name in ("minimum_order", "maximum_order"):
            if name in body:
                value = body[name]
                fields[name] = (
                    None if value is None and name == "maximum_order" else quantity_text(read_decimal(value, name))
                )
        for name in ("featured", "show_quantity", "AVAILABLE_FOR_SAMPLES", "allow_fractional_quantities"):
            if name in body:
                fields[name] = read_boolean(body[name], name)
        if "external_ids" in body:
            fields["external_ids"] = read_external_ids(body["external_ids"])
        if "product_data_items" in body:
            items = body["product_data_items"]
            if not isinstance(items, list) or not all(isinstance(i, dict) and "spec_type" in i for i in items):
                raise invalid("product_data_items", "Each item needs a spec_type.")
            fields["product_data_items"] = [dict(item) for item in items]
        return fields


def product_filter(request: Request) -> Check:
    checks = time_checks(request, ("modified", "created_on", "last_edit")) + external_id_check(request)
    product_id = int_param(request, "id")
    if product_id is not None:
        checks.append(lambda p: p["id"] == product_id)
    skus = comma_list(request, "sku")
    if skus is not None:
        wanted = {sku.lower() for sku in skus}
        checks.append(lambda p: p["sku"].lower() in wanted)
    name = request.query_params.get("name")
    if name:
        checks.append(lambda p: p["name"].lower() == name.lower())
    brand = int_param(request, "brand")
    if brand is not None:
        checks.append(lambda p: p["brand"] == brand)
    states = comma_list(request, "listing_state")
    if states is not None:
        chosen: set[str] = set()
        for state in states:
            if state.isdigit() and 1 <= int(state) <= len(LISTING_STATES):
                chosen.add(LISTING_STATES[int(state) - 1])
            else:
                match = [s for s in LISTING_STATES if s.lower() == state.lower()]
                if not match:
                    raise invalid(
                        "listing_state", f"Select a valid choice. {state} is not one of the available choices."
                    )
                chosen.add(match[0])
        checks.append(lambda p: p["listing_state"] in chosen)
    archived = bool_param(request, "archived")
    if archived is not None:
        checks.append(lambda p: (p["listing_state"] == "Archived") == archived)
    return all_of(checks)


class _Endpoints:
    def __init__(self, sandbox: Products) -> None:
        self.sandbox = sandbox

    async def list_products(self, request: Request) -> Response:
        records = self.sandbox.list_products(key_company(request), product_filter(request))
        return page(request, records, route="/products/", shape=shaper(request))

    async def create_product(self, request: Request) -> Response:
        body = await json_object(request)
        return JSONResponse(self.sandbox.create_product(key_company(request), body), status_code=201)

    async def get_product(self, request: Request) -> Response:
        record = self.sandbox.product(key_company(request), request.path_params["id"])
        return JSONResponse(shaper(request)(record))

    async def update_product(self, request: Request) -> Response:
        body = await json_object(request)
        return JSONResponse(self.sandbox.update_product(key_company(request), request.path_params["id"], body))

    async def listing_states(self, request: Request) -> Response:
        return page(request, [{"id": index, "name": name} for index, name in enumerate(LISTING_STATES, start=1)])


def routes(sandbox: Products) -> list[Route]:
    api = _Endpoints(sandbox)
    return [
        Route(f"{API}/products/", api.list_products, methods=["GET"]),
        Route(f"{API}/products/", api.create_product, methods=["POST"]),
        Route(f"{API}/products/{{id:int}}/", api.get_product, methods=["GET"]),
        Route(f"{API}/products/{{id:int}}/", api.update_product, methods=["PATCH"]),
        Route(f"{API}/listing-states/", api.listing_states, methods=["GET"]),
    ]
