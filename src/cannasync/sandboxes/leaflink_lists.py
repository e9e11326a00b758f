"""The LeafLink sandbox's read-only lists: every other GET route of LeafLink's OpenAPI file
(``leaflink-marketplace-v2.openapi.yml``), served from the records the sandbox already holds.

Each list is a DRF page (``{"count", "next", "previous", "results"}``, ``limit``/``offset`` as everywhere in the
sandbox) and each record its schema in the file; ``tests/sandboxes/test_leaflink_sandbox.py`` validates every
answer against it. What each record is made of, since LeafLink publishes the shapes but not the data:

* ``/companies/`` (+ ``{id}``): the key's own company ("List companies the requesting user is a staff member
  of"; a key is scoped to one company), ``CompanyResponse``; address from ``COMPANY_ADDRESSES``.
* ``/order-event-logs/`` (+ ``{id}``; filters ``id``, ``by``, ``order``), in the brand-side "Orders read"
  permission set: per order a ``created`` event at ``created_on`` by the buyer, and, once the order has left
  Draft, an event for its current status at ``modified`` by the order's last editor (``user``). It is the
  order's history as far as the sandbox keeps one (the sandbox stores no per-step log; choice L1).
* ``/order-payments/`` (+ ``{id}``, and ``/orders-received/{number}/payments/`` as a bare array, as the file
  has it), "Orders read": one payment of the whole total per paid order, dated ``paid_date``, its
  ``payment_type`` from the order's payment method (Cash → cash, Check → check, Wire Transfer → wire, ACH →
  ach), recorded by the company's first staff member.
* ``/order-sales-reps/`` (+ ``{id}``), "Orders read": one ``{id, order, rep, created_on}`` per sales rep on
  an order.
* ``/batches/`` (+ ``{id}``; filters ``id``, ``owner``, ``company_slug``, ``production_batch_number``,
  ``products``, ``batch_date__*``): one batch per product (id ``800000 + product id``), its THC from the
  product's ``product_data_items``; ``/inventory/items/`` names the same batch.
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
* ``/inventory/items/`` (+ ``{id}``; filters ``product``, ``include_archived``): one item per product (same
  id) at the company's LeafLink facility, its ``quantity`` and ``reserved_qty``; Archived products only with
  ``include_archived=true``. ``/inventory/facilities/`` (+ ``{id}``) lists that facility.
* ``/buyer/orders/`` (the filters of ``/orders-received/``, read on the same stored orders, plus ``seller``,
  ``seller__slug__iexact``/``company_slug`` (the seller's slug), ``classification``, ``user`` (containment),
  ``manual``; ``include_children=line_items``, ``fields_include``/``fields_exclude``): "retailers only get ``GET
  /buyer/orders/``" (vendor-apis.md §4, from /legacy/v2/retailers/api/). A retailer's key (default
  ``ll-key-retailer-5005``, Good Vibrations Dispensary, buyer 5005) sees the orders it placed with every
  seller, as ``BuyerOrderResponse``; a brand's key sees the orders its company placed as a buyer (none in
  the sandbox: an empty page). A retailer's key on any brand-side route is a 403 (DRF's "You do not have
  permission to perform this action.").

Ids are stable across reads: derived from the record they come from (the order number's last hex digits, a
product or customer id), never from a position in a list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# leaflink.py imports this module only when it builds its routes, so importing it here is no cycle.
from cannasync.sandboxes.leaflink import (
    _COMPARISONS,
    LEAFLINK_TZ,
    SLUG_FILTERS,
    LeafLinkSandbox,
    _all,
    _bool_param,
    _comma,
    _detail,
    _includes_lines,
    _invalid,
    _lookups,
    _not_found,
    _order_filter,
    _parse_time,
    _shaper,
    stamp,
)
from cannasync.sandboxes.leaflink import _page as drf_page
from cannasync.sandboxes.leaflink_catalog import CATEGORIES, PAYMENT_METHODS, TERMS_BY_CODE, money, quantity_text

JSON = dict[str, Any]
Check = Callable[[JSON], bool]

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
#: Order status → the ``event_type`` of ``OrderEventLog`` that records reaching it.
STATUS_EVENTS: dict[str, str] = {
    "Submitted": "submitted",
    "Accepted": "accepted",
    "Backorder": "backordered",
    "Fulfilled": "fulfilled",
    "Shipped": "shipped",
    "Complete": "completed",
    "Rejected": "rejected",
    "Combined": "combined",
    "Cancelled": "cancelled",
}
PAYMENT_TYPES: dict[str, str] = {"Cash": "cash", "Check": "check", "Wire Transfer": "wire", "ACH": "ach"}
FORBIDDEN = "You do not have permission to perform this action."
BATCH_BASE = 800000
CONTACT_BASE = 30000


def _serial(number: str, index: int = 0) -> int:
    """A stable integer id for the ``index``-th record derived from an order (its UUID's last 7 hex digits)."""
    return int(number.replace("-", "")[-7:], 16) * 10 + index


class Lists:
    """The read-only routes; each reads the sandbox's records under its lock and pages them."""

    def __init__(self, sandbox: LeafLinkSandbox) -> None:
        self.sandbox = sandbox

    # -- helpers -----------------------------------------------------------------------------------------

    @staticmethod
    def _company(request: Request) -> int:
        return int(request.scope["sandbox.company"])

    def _seller(self, request: Request) -> int:
        """The key's company, which must be a seller: a retailer's key gets only /buyer/orders/."""
        company = self._company(request)
        if company not in self.sandbox.companies:
            raise _detail(403, FORBIDDEN)
        return company

    @staticmethod
    def _one(records: Iterable[JSON], record_id: object) -> JSONResponse:
        for record in records:
            if str(record["id"]) == str(record_id):
                return JSONResponse(record)
        raise _not_found()

    @staticmethod
    def _page(request: Request, records: list[JSON], checks: list[Check] | None = None) -> Response:
        keep = _all(checks or [])
        return drf_page(request, [record for record in records if keep(record)])

    # -- records -----------------------------------------------------------------------------------------

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

    def _orders(self, keep: Callable[[JSON], bool]) -> list[JSON]:
        """Stored orders (raw records) that ``keep`` accepts, newest first; call with the lock held."""
        chosen = [order for order in self.sandbox._orders.values() if keep(order)]
        chosen.sort(key=lambda o: (o["created_on"], o["number"]), reverse=True)
        return chosen

    def _author(self, username: str, order: JSON) -> str:
        for member in self.sandbox.staff.values():
            if member["username"] == username:
                return str(member["display_name"])
        company = self.sandbox.companies[order["company_id"]]
        if username == self.sandbox.api_user(order["company_id"]):
            return f"{company['name']} API"
        return str(self.sandbox._customers[order["customer_id"]]["name"])

    def event_logs(self, company_id: int) -> list[JSON]:
        records: list[JSON] = []
        with self.sandbox.lock:
            for order in self._orders(lambda o: o["company_id"] == company_id):
                buyer = self.sandbox._customers[order["customer_id"]]
                created = stamp(order["created_on"])
                records.append(
                    {
                        "id": _serial(order["number"]),
                        "order": order["number"],
                        "author_name": buyer["name"],
                        "by": buyer["email"],
                        "event_type": "created",
                        "description": "Order created",
                        "created_on": created,
                        "modified": created,
                        "timestamp": created,
                        "changed_fields": {},
                        "source": "api" if order["manual"] else "app",
                        "source_detail": "",
                    }
                )
                event = STATUS_EVENTS.get(order["status"])
                if event is not None:
                    moved = stamp(order["modified"])
                    records.append(
                        {
                            "id": _serial(order["number"], 1),
                            "order": order["number"],
                            "author_name": self._author(order["user"], order),
                            "by": order["user"],
                            "event_type": event,
                            "description": f"Order {order['status'].lower()}",
                            "created_on": moved,
                            "modified": moved,
                            "timestamp": moved,
                            "changed_fields": {"status": order["status"]},
                            "source": "api" if order["user"] == self.sandbox.api_user(company_id) else "app",
                            "source_detail": "",
                        }
                    )
        return records

    def payments(self, company_id: int, number: str | None = None) -> list[JSON]:
        records: list[JSON] = []
        with self.sandbox.lock:
            recorder = min(sid for sid, s in self.sandbox.staff.items() if s["company"] == company_id)
            staff = self.sandbox.staff[recorder]
            for order in self._orders(lambda o: o["company_id"] == company_id and o["paid"]):
                if number is not None and order["number"] != number.lower():
                    continue
                _, total = self.sandbox._totals(order)
                term = TERMS_BY_CODE.get(order["term_code"]) if order["term_code"] else None
                method = PAYMENT_METHODS[term.method_id] if term else None
                paid_on = order["paid_date"] or order["modified"].date().isoformat()
                paid_at = datetime.combine(datetime.fromisoformat(paid_on).date(), time(12), LEAFLINK_TZ)
                records.append(
                    {
                        "id": _serial(order["number"]),
                        "created_on": stamp(order["modified"]),
                        "modified": stamp(order["modified"]),
                        "order": order["number"],
                        "recorded_by": staff["user"],
                        "recorder_name": staff["display_name"],
                        "total": money(total),
                        "payment_date": stamp(paid_at),
                        "reason": "",
                        "payment_type": PAYMENT_TYPES.get(method or "", "other"),
                    }
                )
        return records

    def order_sales_reps(self, company_id: int) -> list[JSON]:
        with self.sandbox.lock:
            return [
                {
                    "id": _serial(order["number"], index),
                    "order": order["number"],
                    "rep": rep,
                    "created_on": stamp(order["created_on"]),
                }
                for order in self._orders(lambda o: o["company_id"] == company_id)
                for index, rep in enumerate(order["sales_rep_ids"])
            ]

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

    def buyer_orders(self, buyer_id: int, *, lines: bool, keep: Check) -> list[JSON]:
        records: list[JSON] = []
        with self.sandbox.lock:
            for order in self._orders(
                lambda o: self.sandbox._customers[o["customer_id"]]["partner"] == buyer_id and keep(o)
            ):
                customer = self.sandbox._customers[order["customer_id"]]
                company = self.sandbox.companies[order["company_id"]]
                address, city, state, zipcode = COMPANY_ADDRESSES.get(company["id"], ("", "", "MI", ""))
                tax, total = self.sandbox._totals(order)
                subtotal = sum((line.quantity * line.price for line in order["lines"]), Decimal(0))
                term = TERMS_BY_CODE.get(order["term_code"]) if order["term_code"] else None
                licence = company["license"]
                record: JSON = {
                    "id": order["number"],
                    "short_id": order["number"][-8:],
                    "status": order["status"],
                    "type": "received",
                    "buyer": {
                        "id": str(buyer_id),
                        "name": customer["name"],
                        "address": customer["address"],
                        "unit_number": "",
                        "city": customer["city"],
                        "state": customer["state"],
                        "zip": customer["zipcode"],
                        "email": customer["email"],
                        "phone": customer["phone"],
                        "licenses": [
                            {
                                "id": str(buyer_id),
                                "number": customer["license_number"],
                                "type": "Adult Use",
                                "classification": "Retailer",
                            }
                        ],
                    },
                    "seller": {
                        "id": str(company["id"]),
                        "name": company["name"],
                        "address": address,
                        "unit_number": "",
                        "city": city,
                        "state": state,
                        "zip": zipcode,
                        "phone": "",
                        "licenses": [
                            {
                                "id": str(licence["id"]),
                                "number": licence["number"],
                                "type": licence["display_type"],
                                "classification": licence["classification"],
                            }
                        ],
                    },
                    "source": "api" if order["manual"] else "marketplace",
                    "created_on": stamp(order["created_on"]),
                    "last_edited_on": stamp(order["modified"]),
                    "currency": "USD",
                    "subtotal": float(subtotal),
                    "shipping_charge": float(order["shipping"]),
                    "discount": float(order["discount"]),
                    "tax": float(tax),
                    "total": float(total),
                    "payable_to": {
                        "name": company["name"],
                        "address": address,
                        "city": city,
                        "state": state,
                        "zip": zipcode,
                    },
                    "payment_term": term.term if term else "",
                    "payment_methods": [PAYMENT_METHODS[term.method_id]] if term else [],
                    "shipping_details": order["shipping_details"] or "",
                    "is_delivered": order["status"] == "Complete",
                    "notes": order["notes"] or "",
                    "sales_reps": [
                        str(self.sandbox.staff[sid]["display_name"])
                        for sid in order["sales_rep_ids"]
                        if sid in self.sandbox.staff
                    ],
                    "delivery_address": {
                        "address": customer["address"],
                        "unit_number": "",
                        "city": customer["city"],
                        "state": customer["state"],
                        "zipcode": customer["zipcode"],
                    },
                }
                # Dates the order does not have yet are left out rather than null: the schema does not allow null.
                if order["payment_due_date"]:
                    record["payment_due_date"] = order["payment_due_date"].date().isoformat()
                if order["ship_date"]:
                    record["ship_date"] = stamp(order["ship_date"])
                if lines:
                    record["line_items"] = [self._buyer_line(line) for line in order["lines"]]
                records.append(record)
        return records

    def _buyer_line(self, line: Any) -> JSON:
        product = self.sandbox._products.get(line.product_id)
        if product is None:
            return {
                "quantity": int(line.quantity),
                "price": float(line.price),
                "total": float(line.quantity * line.price),
                "sold_by": "",
            }
        brand = self.sandbox.brands.get(product["brand"], {})
        category = next(
            (
                {"id": cid, "name": name, "slug": name.lower(), "description": f"{name} products."}
                for name, (cid, *_rest) in CATEGORIES.items()
                if cid == product["category"]
            ),
            None,
        )
        item: JSON = {
            "product": {
                "id": str(product["id"]),
                "sku": product["sku"],
                "name": product["name"],
                "brand": {"id": str(product["brand"]), "name": str(brand.get("name", ""))},
                "unit_of_measure": product["unit_of_measure"],
                "unit_denomination": "1",
                "base_unit_of_measure": product["unit_of_measure"],
                "base_units_per_unit": 1,
                "sold_in_multiples": product["unit_multiplier"] > 1,
                "units_per_case": int(product["unit_multiplier"]),
            },
            "quantity": int(line.quantity),
            "sold_by": "Case" if product["unit_multiplier"] > 1 else "Unit",
            "price": float(line.price),
            "total": float(line.quantity * line.price),
        }
        if category is not None:
            item["product"]["category"] = category
        return item


# --------------------------------------------------------------------------------------------------
# Filters


def _ints(request: Request, name: str) -> set[int] | None:
    values = _comma(request, name)
    if values is None:
        return None
    try:
        return {int(value) for value in values}
    except ValueError:
        raise _invalid(name, "Enter a whole number.") from None


def _name_checks(request: Request, field: str) -> list[Check]:
    checks: list[Check] = []
    exact = request.query_params.get(field)
    if exact:
        checks.append(lambda r: str(r[field]).lower() == exact.lower())
    among = _comma(request, f"{field}__in")
    if among is not None:
        wanted = {value.lower() for value in among}
        checks.append(lambda r: str(r[field]).lower() in wanted)
    start = request.query_params.get(f"{field}__startswith")
    if start:
        checks.append(lambda r: str(r[field]).lower().startswith(start.lower()))
    return checks


def _time_check(field: str, compare: Callable[[datetime, datetime], bool], bound: datetime) -> Check:
    return lambda record: compare(datetime.fromisoformat(record[field]), bound)


def _parsed_times(request: Request, fields: Mapping[str, str]) -> list[Check]:
    """``<param>__gt/gte/lt/lte`` (param → the record field it reads, already served as an ISO string)."""
    checks: list[Check] = []
    for param, field in fields.items():
        for suffix, compare in _COMPARISONS.items():
            name = f"{param}__{suffix}"
            raw = request.query_params.get(name)
            if raw:
                checks.append(_time_check(field, compare, _parse_time(raw, name)))
    return checks


def _date_check(compare: Callable[[str, str], bool], bound: str) -> Check:
    return lambda record: compare(record["batch_date"], bound)


def _id_check(request: Request, name: str = "id", field: str = "id") -> list[Check]:
    wanted = _ints(request, name)
    return [] if wanted is None else [lambda r: int(r[field]) in wanted]


def _slug_check(request: Request, sandbox: LeafLinkSandbox, company_id: int) -> list[Check]:
    slug = request.query_params.get("company_slug")
    if not slug:
        return []
    matches = sandbox.companies[company_id]["slug"] == slug.lower()
    return [lambda r: matches]


# --------------------------------------------------------------------------------------------------
# Endpoints


class Endpoints(Lists):
    async def companies_list(self, request: Request) -> Response:
        return self._page(request, self.companies(self._seller(request)))

    async def company(self, request: Request) -> Response:
        return self._one(self.companies(self._seller(request)), request.path_params["id"])

    async def event_logs_list(self, request: Request) -> Response:
        records = self.event_logs(self._seller(request))
        checks = _id_check(request)
        by = request.query_params.get("by")
        if by:
            needle = by.lower()
            checks.append(lambda r: needle in r["by"].lower() or needle in r["author_name"].lower())
        order = request.query_params.get("order")
        if order:
            checks.append(lambda r: r["order"] == order.lower())
        return self._page(request, records, checks)

    async def event_log(self, request: Request) -> Response:
        return self._one(self.event_logs(self._seller(request)), request.path_params["id"])

    async def payments_list(self, request: Request) -> Response:
        return self._page(request, self.payments(self._seller(request)))

    async def payment(self, request: Request) -> Response:
        return self._one(self.payments(self._seller(request)), request.path_params["id"])

    async def order_payments(self, request: Request) -> Response:
        company = self._seller(request)
        number = request.path_params["number"]
        self.sandbox.order(company, number, lines=False)  # 404 for an order the key cannot see
        return JSONResponse(self.payments(company, number))

    async def sales_reps_list(self, request: Request) -> Response:
        return self._page(request, self.order_sales_reps(self._seller(request)))

    async def sales_rep(self, request: Request) -> Response:
        return self._one(self.order_sales_reps(self._seller(request)), request.path_params["id"])

    async def batches_list(self, request: Request) -> Response:
        company = self._seller(request)
        checks = _id_check(request) + _slug_check(request, self.sandbox, company)
        owners = _ints(request, "owner")
        if owners is not None:
            checks.append(lambda r: int(r["owner"]) in owners)
        numbers = request.query_params.get("production_batch_number")
        if numbers:
            wanted = {value.strip() for value in numbers.split(",")}
            checks.append(lambda r: r["production_batch_number"] in wanted)
        products = _ints(request, "products")
        if products is not None:
            checks.append(lambda r: bool(products & set(r["products"])))
        for suffix, compare in (("gt", str.__gt__), ("gte", str.__ge__), ("lt", str.__lt__), ("lte", str.__le__)):
            bound = request.query_params.get(f"batch_date__{suffix}")
            if bound:
                checks.append(_date_check(compare, bound[:10]))
        chosen = [_public_batch(r) for r in self.batches(company) if _all_pass(checks, r)]
        return self._page(request, _lookups(request, "/batches/", chosen))

    async def batch(self, request: Request) -> Response:
        return self._one([_public_batch(r) for r in self.batches(self._seller(request))], request.path_params["id"])

    async def contacts_list(self, request: Request) -> Response:
        company = self._seller(request)
        checks = _id_check(request) + _slug_check(request, self.sandbox, company)
        checks += _name_checks(request, "first_name") + _name_checks(request, "last_name")
        checks += _parsed_times(request, {"modified": "modified", "created_on": "created_on"})
        owners = _ints(request, "owner")
        if owners is not None:
            checks.append(lambda r: r["owner"] in owners)
        deleted = request.query_params.get("delete")
        if deleted:
            checks.append(lambda r: r["delete"] == (deleted.lower() in ("true", "1")))
        return self._page(request, self.contacts(company), checks)

    async def contact(self, request: Request) -> Response:
        return self._one(self.contacts(self._seller(request)), request.path_params["id"])

    async def licenses_list(self, request: Request) -> Response:
        company = self._seller(request)
        checks = _id_check(request) + _slug_check(request, self.sandbox, company)
        number = request.query_params.get("number")
        if number:
            checks.append(lambda r: r["number"] == number)
        among = _comma(request, "number__in")
        if among is not None:
            checks.append(lambda r: r["number"] in set(among))
        return self._page(request, self.licenses(company), checks)

    async def license(self, request: Request) -> Response:
        return self._one(self.licenses(self._seller(request)), request.path_params["id"])

    async def license_types_list(self, request: Request) -> Response:
        self._seller(request)
        return self._page(request, self.license_types())

    async def license_type(self, request: Request) -> Response:
        self._seller(request)
        return self._one(self.license_types(), request.path_params["id"])

    async def categories_list(self, request: Request) -> Response:
        self._seller(request)
        return self._page(request, self.categories())

    async def category(self, request: Request) -> Response:
        self._seller(request)
        return self._one(self.categories(), request.path_params["id"])

    async def inventory_list(self, request: Request) -> Response:
        company = self._seller(request)
        checks: list[Check] = []
        if not _bool_param(request, "include_archived"):
            checks.append(lambda r: not r["is_archived"])
        product = request.query_params.get("product")
        if product:
            checks.append(lambda r: str(r["product"]) == product.strip())
        return self._page(request, self.inventory_items(company), checks)

    async def inventory_item(self, request: Request) -> Response:
        return self._one(self.inventory_items(self._seller(request)), request.path_params["id"])

    async def facilities_list(self, request: Request) -> Response:
        return self._page(request, self.facilities(self._seller(request)))

    async def facility(self, request: Request) -> Response:
        return self._one(self.facilities(self._seller(request)), request.path_params["id"])

    async def buyer_orders_list(self, request: Request) -> Response:
        # The buyer's filters are the seller's (``/orders-received/``) read from the other side: the same
        # hand-written filter runs on the stored orders, plus ``seller`` and the seller's slug.
        keep = _order_filter(request, self.sandbox)
        sellers = _ints(request, "seller")
        slugs = {request.query_params[name].lower() for name in SLUG_FILTERS if request.query_params.get(name)}
        flags = {name: request.query_params.get(name) for name in ("classification", "user", "manual")}

        def wanted(order: JSON) -> bool:
            seller = self.sandbox.companies[order["company_id"]]
            return (
                keep(order)
                and (sellers is None or order["company_id"] in sellers)
                and all(slug == seller["slug"] for slug in slugs)
                and (not flags["classification"] or order["classification"].lower() == flags["classification"].lower())
                and (not flags["user"] or flags["user"].lower() in order["user"].lower())
                and (not flags["manual"] or order["manual"] == (flags["manual"].lower() in ("true", "1")))
            )

        records = self.buyer_orders(self._company(request), lines=_includes_lines(request), keep=wanted)
        return drf_page(request, records, _shaper(request))


def _all_pass(checks: list[Check], record: JSON) -> bool:
    return all(check(record) for check in checks)


def _public_batch(record: JSON) -> JSON:
    """A batch as served: ``products`` is kept for the filter only (BatchResponse has no such field)."""
    return {key: value for key, value in record.items() if key != "products"}


def routes(api_root: str, sandbox: LeafLinkSandbox) -> list[Route]:
    """The vendor routes this module serves, under ``api_root`` (``/api/v2``)."""
    e = Endpoints(sandbox)
    table: list[tuple[str, Callable[[Request], Any]]] = [
        ("/companies/", e.companies_list),
        ("/companies/{id:int}/", e.company),
        ("/order-event-logs/", e.event_logs_list),
        ("/order-event-logs/{id:int}/", e.event_log),
        ("/order-payments/", e.payments_list),
        ("/order-payments/{id:int}/", e.payment),
        ("/orders-received/{number}/payments/", e.order_payments),
        ("/order-sales-reps/", e.sales_reps_list),
        ("/order-sales-reps/{id:int}/", e.sales_rep),
        ("/batches/", e.batches_list),
        ("/batches/{id:int}/", e.batch),
        ("/contacts/", e.contacts_list),
        ("/contacts/{id:int}/", e.contact),
        ("/licenses/", e.licenses_list),
        ("/licenses/{id:int}/", e.license),
        ("/license-types/", e.license_types_list),
        ("/license-types/{id:int}/", e.license_type),
        ("/product-categories/", e.categories_list),
        ("/product-categories/{id:int}/", e.category),
        ("/inventory/items/", e.inventory_list),
        ("/inventory/items/{id:int}/", e.inventory_item),
        ("/inventory/facilities/", e.facilities_list),
        ("/inventory/facilities/{id:int}/", e.facility),
        ("/buyer/orders/", e.buyer_orders_list),
    ]
    return [Route(f"{api_root}{path}", endpoint, methods=["GET"]) for path, endpoint in table]
