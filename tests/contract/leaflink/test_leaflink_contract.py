"""LeafLink Marketplace v2 as its OpenAPI file documents it, against the sandbox.

Every operation of ``leaflink-marketplace-v2.openapi.yml`` is in ``UNSERVED`` with its reason, or served; every
served one is called here as documented (``Authorization: App <key>``, the trailing slash, the documented query
and body), and its answer is validated against the file with the validator of the sandbox tests (the file
repaired where it is broken, and tightened so a missing or extra field fails). Every documented filter of a
served list is shown to filter (exactly the records that match, and nothing for a value no record has), or is
listed in ``IGNORED`` with the reason the sandbox cannot apply it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx2
import pytest
from starlette.routing import Route

from cannasync.sandboxes.leaflink import SLUG_FILTERS, LeafLinkSandbox, create_app
from cannasync.sandboxes.leaflink.lookups import LOOKUPS, RANGES
from tests.contract.conftest import AppSlot
from tests.sandboxes.test_leaflink_sandbox import PRODUCT_CREATE, Validator, raw_spec, template

API = "/api/v2"
AS_OF = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
METHODS = ("get", "post", "put", "patch", "delete")

#: Operations of the file the sandbox does not serve, and why. A path alone covers all its methods.
UNSERVED: dict[str, str] = {
    "/activity-entries/": "CRM activity log: the sandbox keeps no CRM activity; no connector reads or writes it",
    "/activity-entries/{id}/": "CRM activity log (see /activity-entries/)",
    "/batch-documents/": "lab documents are uploads (multipart); the sandbox's batches carry none",
    "/batch-documents/{id}/": "lab documents (see /batch-documents/)",
    "POST /batches/": "batches are read-only in the sandbox (derived from products); no connector writes them",
    "PATCH /batches/{id}/": "batches are read-only in the sandbox",
    "DELETE /batches/{id}/": "batches are read-only in the sandbox",
    "POST /inventory/items/": "inventory items mirror products' quantities; the bridge writes quantities on products",
    "PATCH /inventory/items/{id}/": "inventory items mirror products' quantities (PATCH /products/{id}/ sets them)",
    "POST /contacts/": "contacts are read-only in the sandbox (one per customer); no connector writes CRM records",
    "PATCH /contacts/{id}/": "contacts are read-only in the sandbox",
    "DELETE /contacts/{id}/": "contacts are read-only in the sandbox",
    "/customer-statuses/": "every customer has status 1; the statuses are not listed (no connector reads them)",
    "/customer-statuses/{id}/": "see /customer-statuses/",
    "/customer-tiers/": "every customer has tier 1; the tiers are not listed (no connector reads them)",
    "/customer-tiers/{id}/": "see /customer-tiers/",
    "/credits/": "LeafLink credits: not modelled (every order's credits are 0.00)",
    "/credits/{id}/": "see /credits/",
    "POST /customers/": "customers come from buyers ordering (control route); the bridge only reads them",
    "PATCH /customers/{id}/": "the bridge only reads customers",
    "DELETE /customers/{id}/": "the bridge only reads customers",
    "POST /order-payments/": "payments are read-only (paid orders); the bridge records none",
    "POST /order-sales-reps/": "reps are set on the order (sales_reps in POST/PATCH /orders-received/)",
    "DELETE /order-sales-reps/{id}/": "reps are set on the order (sales_reps in PATCH /orders-received/)",
    "/orders-received/{number}/comments/": "order comments are not modelled; no connector reads them",
    "/orders/{order_number}/delivery-information/": "delivery providers are not modelled (delivery_info is null)",
    "/product-batches/": "product-batch links: each sandbox product has one derived batch (see /batches/)",
    "/product-batches/{id}/": "see /product-batches/",
    "/product-images/": "images are uploads (multipart); products have image_count 0 in the sandbox",
    "/product-images/{id}/": "see /product-images/",
    "/product-lines/": "product lines are ids on products only; no connector reads the list",
    "/product-lines/{id}/": "see /product-lines/",
    "/product-subcategories/": "sub-categories are ids on products only; no connector reads the list",
    "/product-subcategories/{id}/": "see /product-subcategories/",
    "DELETE /products/{id}/": "archiving is a listing_state (PATCH listing_state Archived), as the bridge does",
    "/promocodes/": "promotional codes are not modelled; no connector reads them",
    "/promocodes/{id}/": "see /promocodes/",
    "/reports/": "report downloads are not modelled",
    "/reports/{number}/": "see /reports/",
    "/strains/": "products carry no strains in the sandbox (strains: [])",
    "/strains/{id}/": "see /strains/",
    "/retailer-inventory/": "a retailer's own POS inventory: the sandbox's retailer key only lists its orders",
    "/retailer-inventory/{id}/": "see /retailer-inventory/",
}

PAGING = {"limit", "offset"}
SHAPING = {"fields_include", "fields_exclude"}
_TIMES = ("gt", "gte", "lt", "lte")

#: Documented filters with hand-written semantics in the sandbox (tested one by one below).
HAND_WRITTEN: dict[str, set[str]] = {
    "/products/": {"sku", "id", "name", "brand", "listing_state", "archived", "external_id_key", "external_id_values"}
    | {f"{f}__{op}" for f in ("modified", "created_on", "last_edit") for op in _TIMES},
    "/orders-received/": {
        "status",
        "status__not",
        "number",
        "order_id",
        "external_id_seller",
        "external_id_seller__icontains",
        "brand",
        "brand__in",
        "sales_rep",
        "buyer",
        "customer",
        "paid",
        "external_id_key",
        "external_id_values",
        "include_children",
    }
    | {f"{f}__{op}" for f in ("modified", "created_on") for op in _TIMES},
    "/line-items/": {"id", "product_id", "order", "product__name", "order__customers"}
    | {f"order__{f}__{op}" for f in ("created_on", "modified", "ship_date") for op in ("gte", "lte")},
    "/customers/": {"id", "name", "nickname", "external_id", "archived", "delinquent"}
    | {"external_id_key", "external_id_values"}
    | {f"{f}__{op}" for f in ("modified", "created_on") for op in _TIMES},
    "/brands/": set(),
    "/company-staff/": {"is_active"},
    "/order-event-logs/": {"id", "by", "order"},
    "/batches/": {"id", "owner", "production_batch_number", "products"} | {f"batch_date__{op}" for op in _TIMES},
    "/contacts/": {"id", "owner", "delete"}
    | {f"{n}{s}" for n in ("first_name", "last_name") for s in ("", "__in", "__startswith")}
    | {f"{f}__{op}" for f in ("modified", "created_on") for op in _TIMES},
    "/licenses/": {"id", "number", "number__in"},
    "/inventory/items/": {"product", "include_archived"},
    "/buyer/orders/": {
        "seller",
        "status",
        "number",
        "order_id",
        "external_id_seller",
        "external_id_seller__icontains",
        "brand",
        "brand__in",
        "sales_rep",
        "paid",
        "classification",
        "user",
        "manual",
        "external_id_key",
        "external_id_values",
        "include_children",
    }
    | {f"{f}__{op}" for f in ("modified", "created_on") for op in _TIMES},
}

#: Documented filters the sandbox accepts and does not apply, and why.
IGNORED: dict[str, dict[str, str]] = {
    "/products/": {
        "search": "free-text search whose fields and ranking LeafLink does not document",
        "has_children": "no sandbox product has children (children_count 0): nothing to tell apart",
        "license": "a product's licence is an object, the seller's one licence on every product",
        "license__isnull": "every product carries the seller's licence",
        "license__type": "every product carries the seller's licence",
        "buyer": "in LeafLink it prices for a buyer (price_schedule_price); the sandbox has no price schedules",
        "s2s_connected": "seller-to-seller (Metrc) connections are not modelled",
        "include_children": "images, volume discounts and strains are not kept as children in the sandbox",
    },
    "/orders-received/": {
        "fields_add": "created_by and last_changed_by are not kept",
        "connected_to_metrc": "Metrc packages are not modelled",
        "service_zone": "every customer is in service zone 1",
    },
    "/line-items/": {
        "expand": "product expansion is not served (the sandbox's choice 5)",
        "order__customer__cities": "customer cities are on the customer, not modelled as a line filter",
        "order__customer__managers": "customer managers are on the customer, not modelled as a line filter",
        "order__service_zone": "every customer is in service zone 1",
    },
    "/customers/": {"include_children": "a customer's children (contacts, licences) are served on their own lists"},
    "/buyer/orders/": {
        "fields_add": "created_by is not kept",
        "connected_to_metrc": "Metrc packages are not modelled",
        "service_zone": "every customer is in service zone 1",
    },
}


def _operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in METHODS
        if isinstance(item.get(method), dict)
    }


def _unserved_reason(method: str, path: str) -> str | None:
    return UNSERVED.get(f"{method} {path}") or UNSERVED.get(path) or None


def _served_by_sandbox() -> set[tuple[str, str]]:
    return {
        (method, re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", route.path).removeprefix(API))
        for route in create_app().routes
        if isinstance(route, Route) and route.path.startswith(API)
        for method in (route.methods or set()) - {"HEAD"}
    }


def _same_shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


# --------------------------------------------------------------------------------------------------
# Fixtures


@dataclass
class LeafLink:
    url: str
    sandbox: LeafLinkSandbox
    one: httpx2.Client
    two: httpx2.Client
    retailer: httpx2.Client
    validate: Validator

    def all(
        self, path: str, client: httpx2.Client | None = None, *, check: bool = False, **params: Any
    ) -> list[dict[str, Any]]:
        """Every record of a list, following ``next`` (absolute URLs) as tap-leaflink does. Each page is a DRF
        page; with ``check`` it is validated against the file too (slow: the filter tests leave it off, the
        route tests validate every page)."""
        records: list[dict[str, Any]] = []
        answer = (client or self.one).get(f"{API}{path}", params={"limit": 100, **params})
        while True:
            if check:
                page = self.validate(answer)
            else:
                assert answer.status_code == 200, (path, params, answer.text)
                page = answer.json()
            assert set(page) == {"count", "next", "previous", "results"}
            records += page["results"]
            if not page["next"]:
                assert page["count"] == len(records)
                return records
            answer = (client or self.one).get(page["next"])


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


@pytest.fixture(scope="module")
def clients(slot_server: tuple[str, AppSlot]) -> Iterator[list[httpx2.Client]]:
    """One client per key for the module (making a client costs more than a whole test here)."""
    url, _ = slot_server
    made = [
        httpx2.Client(base_url=url, headers={"Authorization": f"App {key}", "User-Agent": "cannasync-contract"})
        for key in ("ll-key-company-1", "ll-key-company-2", "ll-key-retailer-5005")
    ]
    yield made
    for client in made:
        client.close()


@pytest.fixture
def leaflink(
    slot_server: tuple[str, AppSlot], clients: list[httpx2.Client], validator: Validator
) -> Iterator[LeafLink]:
    url, slot = slot_server
    app = create_app(seed=1, as_of=AS_OF)
    slot.app = app
    yield LeafLink(url, app.state.sandbox, *clients, validator)
    slot.app = None


@functools.cache
def spec() -> dict[str, Any]:
    """LeafLink's OpenAPI file as published (parsed once: it is large)."""
    return raw_spec()


# --------------------------------------------------------------------------------------------------
# The tables


def test_every_operation_of_the_file_is_served_or_listed_with_its_reason(leaflink: LeafLink) -> None:
    operations = _operations(spec())
    served = _served_by_sandbox() - {("GET", "/listing-states/")}  # ours: named by the notes, not in the file
    assert {(m, _same_shape(p)) for m, p in served} <= {(m, _same_shape(p)) for m, p in operations}
    served_shapes = {(m, _same_shape(p)) for m, p in served}
    unserved = {(m, p) for m, p in operations if (m, _same_shape(p)) not in served_shapes}
    missing = {(m, p) for m, p in unserved if _unserved_reason(m, p) is None}
    assert not missing, f"operations neither served nor listed: {sorted(missing)}"
    stale = {key for key in UNSERVED if not _listed_in(key, unserved)}
    assert not stale, f"listed as unserved but served or not in the file: {sorted(stale)}"
    for method, path in sorted(unserved):
        concrete = path.replace("{number}", "00000000-0000-4000-8000-000000000000")
        concrete = re.sub(r"\{[^}]+\}", "1", concrete)
        answer = leaflink.one.request(method, f"{API}{concrete}", json={} if method in ("POST", "PATCH") else None)
        assert answer.status_code in (404, 405), (method, path, answer.status_code)
        if answer.status_code == 405:  # the path is served for other methods
            assert answer.json() == {"detail": f'Method "{method}" not allowed.'}
        else:
            assert answer.json() == {"detail": "Not found."}


def _listed_in(key: str, unserved: set[tuple[str, str]]) -> bool:
    if " " in key:
        method, path = key.split(" ", 1)
        return (method, path) in unserved
    return any(p == key for _, p in unserved)


def test_every_documented_filter_of_a_served_list_filters_or_is_listed() -> None:
    document = spec()
    parameters = document["components"].get("parameters", {})
    lists = sorted(p for m, p in _served_by_sandbox() if m == "GET" and "{" not in p and p != "/listing-states/")
    for path in lists:
        documented: set[str] = set()
        for parameter in document["paths"][path]["get"].get("parameters", []):
            if "$ref" in parameter:
                parameter = parameters[parameter["$ref"].split("/")[-1]]
            documented.add(parameter["name"])
        covered = PAGING | SHAPING | HAND_WRITTEN.get(path, set()) | set(LOOKUPS.get(path, {}))
        covered |= set(RANGES.get(path, {}))
        covered |= set(SLUG_FILTERS) | set(IGNORED.get(path, {})) | {"company_slug"}
        assert documented <= covered, (path, sorted(documented - covered))
        tables: tuple[dict[str, Any], ...] = (HAND_WRITTEN, dict(LOOKUPS), dict(RANGES), IGNORED)
        for table in (set(table.get(path, ())) for table in tables):
            assert table <= documented, (path, sorted(table - documented))  # nothing stale or invented


# --------------------------------------------------------------------------------------------------
# Transport and auth


def test_auth_trailing_slash_and_paging_as_documented(leaflink: LeafLink) -> None:
    with httpx2.Client(base_url=leaflink.url) as anonymous:
        assert anonymous.get(f"{API}/products/", headers={"Authorization": "Token ll-key-company-2"}).status_code == 200
        refused = anonymous.get(f"{API}/products/")
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "App"
    no_slash = leaflink.one.get(f"{API}/products")
    assert no_slash.status_code == 400 and "must end with a slash" in no_slash.json()["detail"]
    first = leaflink.validate(leaflink.one.get(f"{API}/products/", params={"limit": 10}))  # a page
    assert first["count"] == 40 and len(first["results"]) == 10 and first["previous"] is None
    assert first["next"].startswith(leaflink.url) and "offset=10" in first["next"]
    assert [p["id"] for p in leaflink.all("/products/")] == sorted(p["id"] for p in leaflink.all("/products/"))


def test_a_retailer_key_gets_only_its_buyer_orders(leaflink: LeafLink) -> None:
    """Retailers only get ``GET /buyer/orders/`` (developer.leaflink.com/legacy/v2/retailers/api/)."""
    forbidden = leaflink.retailer.get(f"{API}/orders-received/")
    assert (forbidden.status_code, forbidden.json()) == (
        403,
        {"detail": "You do not have permission to perform this action."},
    )
    orders = leaflink.all("/buyer/orders/", leaflink.retailer, check=True, include_children="line_items")
    assert orders and {o["buyer"]["id"] for o in orders} == {"5005"} and all(o["line_items"] for o in orders)
    assert leaflink.all("/buyer/orders/") == []  # a brand that bought nothing


# --------------------------------------------------------------------------------------------------
# Every served operation, called as documented and validated


def _first(leaflink: LeafLink, path: str, key: str = "id") -> Any:
    return leaflink.all(path)[0][key]


def _new_order_body(**extra: Any) -> dict[str, Any]:
    return {
        "seller": 1,
        "customer": {"id": 1002},
        "status": "Draft",
        "external_id_seller": "FL-OUT-1",
        "line_items": [
            {
                "product": "10001",
                "quantity": "24",
                "ordered_unit_price": {"amount": "24.00", "currency": "USD"},
                "sale_price": {"amount": "0.00", "currency": "USD"},
            }
        ],
        "sales_reps": [{"id": 102}],
        "selected_payment_option": {"payment_method_id": 4, "payment_term_id": 4},
        **extra,
    }


READS: tuple[tuple[str, Callable[[LeafLink], str]], ...] = (
    ("/products/{id}/", lambda ll: f"/products/{_first(ll, '/products/')}/"),
    ("/orders-received/{number}/", lambda ll: f"/orders-received/{_first(ll, '/orders-received/', 'number')}/"),
    (
        "/orders-received/{number}/line-items/",
        lambda ll: f"/orders-received/{_first(ll, '/orders-received/', 'number')}/line-items/",
    ),
    (
        "/orders-received/{number}/payments/",
        lambda ll: f"/orders-received/{_first(ll, '/order-payments/', 'order')}/payments/",
    ),
    ("/line-items/{id}/", lambda ll: f"/line-items/{_first(ll, '/line-items/')}/"),
    ("/customers/{id}/", lambda ll: f"/customers/{_first(ll, '/customers/')}/"),
    ("/brands/{id}/", lambda ll: f"/brands/{_first(ll, '/brands/')}/"),
    ("/company-staff/{id}/", lambda ll: f"/company-staff/{_first(ll, '/company-staff/')}/"),
    ("/companies/{id}/", lambda ll: "/companies/1/"),
    ("/order-event-logs/{id}/", lambda ll: f"/order-event-logs/{_first(ll, '/order-event-logs/')}/"),
    ("/order-payments/{id}/", lambda ll: f"/order-payments/{_first(ll, '/order-payments/')}/"),
    ("/order-sales-reps/{id}/", lambda ll: f"/order-sales-reps/{_first(ll, '/order-sales-reps/')}/"),
    ("/batches/{id}/", lambda ll: f"/batches/{_first(ll, '/batches/')}/"),
    ("/contacts/{id}/", lambda ll: f"/contacts/{_first(ll, '/contacts/')}/"),
    ("/licenses/{id}/", lambda ll: f"/licenses/{_first(ll, '/licenses/')}/"),
    ("/license-types/{id}/", lambda ll: f"/license-types/{_first(ll, '/license-types/')}/"),
    ("/product-categories/{id}/", lambda ll: f"/product-categories/{_first(ll, '/product-categories/')}/"),
    ("/inventory/items/{id}/", lambda ll: f"/inventory/items/{_first(ll, '/inventory/items/')}/"),
    ("/inventory/facilities/{id}/", lambda ll: f"/inventory/facilities/{_first(ll, '/inventory/facilities/')}/"),
)


@pytest.mark.parametrize(
    "path",
    sorted(p for m, p in _served_by_sandbox() if m == "GET" and "{" not in p and p != "/listing-states/"),
)
def test_each_list_answers_a_validated_page(leaflink: LeafLink, path: str) -> None:
    client = leaflink.retailer if path == "/buyer/orders/" else leaflink.one
    records = leaflink.all(path, client, check=True)
    assert records, path

    def keys(found: list[dict[str, Any]]) -> set[str]:
        return {str(r.get("id", r.get("number"))) for r in found}

    for other in (leaflink.two,) if path != "/buyer/orders/" else ():
        theirs = leaflink.all(path, other, check=True)
        if path not in ("/license-types/", "/product-categories/"):  # LeafLink-wide lists
            assert not keys(theirs) & keys(records), path  # a key sees its own company's records only


@pytest.mark.parametrize(("documented", "concrete"), READS, ids=[p for p, _ in READS])
def test_each_record_route_answers_a_validated_record(
    leaflink: LeafLink, documented: str, concrete: Callable[[LeafLink], str]
) -> None:
    path = concrete(leaflink)
    assert template(f"{API}{path}").removeprefix(API) == documented
    body = leaflink.validate(leaflink.one.get(f"{API}{path}"))
    assert body
    if not path.startswith(("/license-types/", "/product-categories/")):  # LeafLink-wide records
        assert leaflink.two.get(f"{API}{path}").status_code == 404  # another company's record
    assert ("GET", documented) in _served_by_sandbox()


def test_products_create_and_patch(leaflink: LeafLink) -> None:
    created = leaflink.one.post(f"{API}/products/", json=PRODUCT_CREATE)
    assert created.status_code == 201
    product = leaflink.validate(created)
    patched = leaflink.validate(leaflink.one.patch(f"{API}/products/{product['id']}/", json={"quantity": "80"}))
    assert patched["quantity"] == "80.0000" and patched["listing_state"] == "Available"


def test_orders_create_patch_transition_and_delete(leaflink: LeafLink) -> None:
    created = leaflink.one.post(f"{API}/orders-received/", json=_new_order_body())
    assert created.status_code == 201
    order = leaflink.validate(created)
    number = order["number"]
    patched = leaflink.validate(leaflink.one.patch(f"{API}/orders-received/{number}/", json={"notes": "Dock 3"}))
    assert patched["notes"] == "Dock 3"
    submitted = leaflink.validate(leaflink.one.post(f"{API}/orders-received/{number}/transition/submit/"))
    assert submitted["status"] == "Submitted" and "accepted" in submitted["available_transitions"]
    draft = leaflink.validate(leaflink.one.post(f"{API}/orders-received/", json=_new_order_body()))
    deleted = leaflink.one.delete(f"{API}/orders-received/{draft['number']}/")
    assert deleted.status_code == 204
    assert leaflink.one.get(f"{API}/orders-received/{draft['number']}/").status_code == 404


def test_line_items_create_patch_and_delete(leaflink: LeafLink) -> None:
    order = leaflink.validate(leaflink.one.post(f"{API}/orders-received/", json=_new_order_body()))
    body = {
        "order": order["number"],
        "product": "10002",
        "quantity": "12",
        "ordered_unit_price": {"amount": "30.00", "currency": "USD"},
        "sale_price": {"amount": "28.00", "currency": "USD"},
    }
    created = leaflink.one.post(f"{API}/line-items/", json=body)
    assert created.status_code == 201
    line = leaflink.validate(created)
    assert (
        leaflink.validate(leaflink.one.patch(f"{API}/line-items/{line['id']}/", json={"quantity": "24"}))["quantity"]
        == "24.0000"
    )
    assert leaflink.one.delete(f"{API}/line-items/{line['id']}/").status_code == 204


# --------------------------------------------------------------------------------------------------
# Filters


def _read(value: Any) -> Any:
    """A served value as the test compares it: numbers as Decimal, timestamps as instants."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            pass
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}T.*", value):
            return datetime.fromisoformat(value)
    return value


def _matches(value: Any, lookup: str, raw: str) -> bool:
    """The contract of a DRF lookup, written independently of the sandbox's engine."""
    if lookup == "isnull":
        return (value in (None, "")) == (raw == "true")
    if value is None:
        return False
    if lookup == "in":
        return any(_matches(value, "exact", part) for part in raw.split(","))
    if lookup == "startswith":
        return str(value).lower().startswith(raw.lower())
    if isinstance(value, list):
        return any(_matches(item, lookup, raw) for item in value)
    if lookup == "exact":
        if isinstance(value, bool):
            return value == (raw == "true")
        served, wanted = _read(value), _read(raw)
        if isinstance(served, Decimal) and isinstance(wanted, Decimal):
            return served == wanted
        return str(value).lower() == raw.lower()
    served, bound = _read(value), _read(raw)
    if isinstance(served, date) and not isinstance(served, datetime) and isinstance(bound, datetime):
        bound = bound.date()
    return {"lt": served < bound, "lte": served <= bound, "gt": served > bound, "gte": served >= bound}[lookup]


def _split(parameter: str) -> str:
    head, _, tail = parameter.rpartition("__")
    return tail if head and tail in ("in", "startswith", "isnull", "lt", "lte", "gt", "gte") else "exact"


def _probe(values: list[Any], lookup: str) -> tuple[str, str]:
    """(a value some record matches, a value no record matches) for the lookup."""
    present = [v for v in values if v not in (None, "")]
    if lookup == "isnull":
        return ("true" if len(present) < len(values) else "false"), ("false" if not present else "true")
    if not present:
        return "x", "zz-no-such-value"
    sample = present[len(present) // 2]
    if isinstance(sample, list):
        flat = [item for v in present for item in v]
        sample = flat[0] if flat else 0
    if isinstance(sample, bool):
        return str(sample).lower(), str(not sample).lower() if all(v is sample for v in present) else "x"
    text = str(sample)
    numeric = isinstance(_read(text), Decimal)
    if lookup == "in":
        other = "99999998" if numeric else "zz-other"
        return f"{text},{other}", f"99999999,{other}" if numeric else "zz-no-such-value,zz-other"
    if lookup == "startswith":
        return text[:3], "zz-no-such-prefix"
    if lookup in ("lt", "lte", "gt", "gte"):
        numeric = _read(text)
        if isinstance(numeric, Decimal):
            beyond = "99999999" if lookup in ("gt", "gte") else "-99999999"
        else:
            beyond = "2999-01-01" if lookup in ("gt", "gte") else "1999-01-01"
        return text, beyond
    numeric = _read(text)
    return text, ("99999999" if isinstance(numeric, Decimal) else "zz-no-such-value")


LOOKUP_CASES = sorted((route, parameter) for route, table in LOOKUPS.items() for parameter in table)


@pytest.mark.parametrize(("route", "parameter"), LOOKUP_CASES, ids=[f"{r}{p}" for r, p in LOOKUP_CASES])
def test_each_field_filter_filters(leaflink: LeafLink, route: str, parameter: str) -> None:
    field = LOOKUPS[route][parameter]
    lookup = _split(parameter)
    records = leaflink.all(route)
    key = "number" if route == "/orders-received/" else "id"
    hit, miss = _probe([r.get(field) for r in records], lookup)
    expected = [r[key] for r in records if _matches(r.get(field), lookup, hit)]
    assert [r[key] for r in leaflink.all(route, **{parameter: hit})] == expected, (parameter, hit)
    if miss != "x":
        assert [r[key] for r in leaflink.all(route, **{parameter: miss})] == [
            r[key] for r in records if _matches(r.get(field), lookup, miss)
        ]
        assert len(leaflink.all(route, **{parameter: miss})) < len(records) or not records


RANGE_CASES = sorted((route, parameter) for route, table in RANGES.items() for parameter in table)


@pytest.mark.parametrize(("route", "parameter"), RANGE_CASES, ids=[f"{r}{p}" for r, p in RANGE_CASES])
def test_each_range_filter_filters(leaflink: LeafLink, route: str, parameter: str) -> None:
    field = RANGES[route][parameter]
    records = leaflink.all(route)
    values = sorted({Decimal(r[field]) for r in records})
    low, high = values[0], values[len(values) // 2]
    expected = [r["id"] for r in records if low <= Decimal(r[field]) <= high]
    assert [r["id"] for r in leaflink.all(route, **{parameter: f"{low},{high}"})] == expected
    assert [r["id"] for r in leaflink.all(route, **{parameter: str(high)})] == [
        r["id"] for r in records if Decimal(r[field]) == high
    ]
    assert leaflink.all(route, **{parameter: f"{values[-1] + 1},"}) == []


@pytest.mark.parametrize(
    "route",
    sorted(
        {
            "/products/",
            "/orders-received/",
            "/customers/",
            "/line-items/",
            "/brands/",
            "/company-staff/",
            "/batches/",
            "/contacts/",
            "/licenses/",
        }
    ),
)
def test_company_slug_keeps_all_or_nothing(leaflink: LeafLink, route: str) -> None:
    """A key sees one company: its slug keeps every record, another slug none."""
    everything = leaflink.all(route)
    assert leaflink.all(route, company_slug="great-lakes-growers") == everything
    assert leaflink.all(route, company_slug="lakeshore-botanicals") == []


def _numbers(records: list[dict[str, Any]]) -> list[str]:
    return [r["number"] for r in records]


def test_product_filters(leaflink: LeafLink) -> None:
    products = leaflink.all("/products/")
    sample = products[5]
    assert [p["id"] for p in leaflink.all("/products/", id=sample["id"])] == [sample["id"]]
    skus = f"{products[1]['sku'].lower()},{products[2]['sku']}"
    assert [p["id"] for p in leaflink.all("/products/", sku=skus)] == [products[1]["id"], products[2]["id"]]
    assert [p["id"] for p in leaflink.all("/products/", name=sample["name"].upper())] == [
        p["id"] for p in products if p["name"].lower() == sample["name"].lower()
    ]
    assert [p["id"] for p in leaflink.all("/products/", brand=12)] == [p["id"] for p in products if p["brand"] == 12]
    assert [p["id"] for p in leaflink.all("/products/", listing_state="Backorder,internal")] == [
        p["id"] for p in products if p["listing_state"] in ("Backorder", "Internal")
    ]
    assert [p["id"] for p in leaflink.all("/products/", archived="true")] == [
        p["id"] for p in products if p["listing_state"] == "Archived"
    ]
    assert [p["id"] for p in leaflink.all("/products/", external_id_key="erp", external_id_values="NC-4471")] == [10002]
    for field in ("modified", "created_on", "last_edit"):
        _assert_time_filters(leaflink, "/products/", field, "id")


def _assert_time_filters(leaflink: LeafLink, route: str, field: str, key: str, served: str | None = None) -> None:
    records = leaflink.all(route)
    stamps = sorted({r[served or field] for r in records})
    middle = stamps[len(stamps) // 2]
    for op in _TIMES:
        expected = [r[key] for r in records if _matches(r[served or field], op, middle)]
        assert [r[key] for r in leaflink.all(route, **{f"{field}__{op}": middle})] == expected, (field, op)
    beyond = (datetime.fromisoformat(stamps[-1]) + timedelta(days=1)).isoformat()
    assert leaflink.all(route, **{f"{field}__gt": beyond}) == []


def test_order_filters(leaflink: LeafLink) -> None:
    orders = leaflink.all("/orders-received/", include_children="line_items")
    assert all("line_items" in o for o in orders) and all(
        "line_items" not in o for o in leaflink.all("/orders-received/")
    )
    assert _numbers(leaflink.all("/orders-received/", status="SUBMITTED,accepted")) == [
        o["number"] for o in orders if o["status"] in ("Submitted", "Accepted")
    ]
    assert _numbers(leaflink.all("/orders-received/", status__not="complete")) == [
        o["number"] for o in orders if o["status"] != "Complete"
    ]
    target = orders[3]["number"]
    assert _numbers(leaflink.all("/orders-received/", number=target)) == [target]
    assert _numbers(leaflink.all("/orders-received/", order_id=target)) == [target]
    assert len(leaflink.all("/orders-received/", external_id_seller="INV-1092")) == 1
    assert len(leaflink.all("/orders-received/", external_id_seller__icontains="inv-10")) == 1
    assert leaflink.all("/orders-received/", external_id_seller="INV-0000") == []
    brands = {str(p["id"]): p["brand"] for p in leaflink.all("/products/")}
    for params, brand_ids in (({"brand": 12}, {12}), ({"brand__in": "11,12"}, {11, 12})):
        expected = [o["number"] for o in orders if any(brands[li["product"]] in brand_ids for li in o["line_items"])]
        assert _numbers(leaflink.all("/orders-received/", **params)) == expected and expected
    assert _numbers(leaflink.all("/orders-received/", sales_rep=101)) == [
        o["number"] for o in orders if 101 in [r["id"] for r in o["sales_reps"]]
    ]
    buyer = orders[0]["buyer"]
    assert _numbers(leaflink.all("/orders-received/", buyer=buyer)) == [
        o["number"] for o in orders if o["buyer"] == buyer
    ]
    assert _numbers(leaflink.all("/orders-received/", customer="midtown")) == [
        o["number"] for o in orders if o["customer"]["id"] == 1006
    ]
    assert _numbers(leaflink.all("/orders-received/", paid="true")) == [o["number"] for o in orders if o["paid"]]
    assert leaflink.all("/orders-received/", external_id_key="erp", external_id_values="x") == []
    for field in ("modified", "created_on"):
        _assert_time_filters(leaflink, "/orders-received/", field, "number")


def test_line_item_filters(leaflink: LeafLink) -> None:
    lines = leaflink.all("/line-items/")
    orders = {o["number"]: o for o in leaflink.all("/orders-received/")}
    products = {str(p["id"]): p for p in leaflink.all("/products/")}
    sample = lines[4]
    assert [li["id"] for li in leaflink.all("/line-items/", id=sample["id"])] == [sample["id"]]
    assert [li["id"] for li in leaflink.all("/line-items/", product_id=sample["product"])] == [
        li["id"] for li in lines if li["product"] == sample["product"]
    ]
    assert [li["id"] for li in leaflink.all("/line-items/", order=sample["order"])] == [
        li["id"] for li in lines if li["order"] == sample["order"]
    ]
    name = products[sample["product"]]["name"]
    assert [li["id"] for li in leaflink.all("/line-items/", product__name=name)] == [
        li["id"] for li in lines if products[li["product"]]["name"] == name
    ]
    customer = orders[sample["order"]]["customer"]["id"]
    assert [li["id"] for li in leaflink.all("/line-items/", order__customers=f"{customer},99")] == [
        li["id"] for li in lines if orders[li["order"]]["customer"]["id"] == customer
    ]
    for field in ("created_on", "modified", "ship_date"):
        stamps = sorted(o[field] for o in orders.values() if o[field])
        middle = stamps[len(stamps) // 2]
        for op in ("gte", "lte"):
            expected = [
                li["id"]
                for li in lines
                if orders[li["order"]][field] and _matches(orders[li["order"]][field], op, middle)
            ]
            assert [li["id"] for li in leaflink.all("/line-items/", **{f"order__{field}__{op}": middle})] == expected


def test_customer_filters(leaflink: LeafLink) -> None:
    customers = leaflink.all("/customers/")
    assert [c["id"] for c in leaflink.all("/customers/", id=1006)] == [1006]
    assert [c["id"] for c in leaflink.all("/customers/", nickname="MOTOR CITY REMEDIES - MIDTOWN")] == [1006]
    assert [c["id"] for c in leaflink.all("/customers/", name=customers[2]["name"].lower())] == [customers[2]["id"]]
    assert [c["id"] for c in leaflink.all("/customers/", delinquent="true")] == [1007]
    assert leaflink.all("/customers/", archived="true") == [] and leaflink.all("/customers/", external_id="x") == []
    assert leaflink.all("/customers/", external_id_key="erp", external_id_values="x") == []
    for field in ("modified", "created_on"):
        _assert_time_filters(leaflink, "/customers/", field, "id")


def test_staff_and_event_log_filters(leaflink: LeafLink) -> None:
    assert [s["id"] for s in leaflink.all("/company-staff/", is_active="true")] == [101, 102, 103]
    assert leaflink.all("/company-staff/", is_active="false") == []
    logs = leaflink.all("/order-event-logs/")
    sample = logs[3]
    assert [e["id"] for e in leaflink.all("/order-event-logs/", id=sample["id"])] == [sample["id"]]
    assert [e["id"] for e in leaflink.all("/order-event-logs/", order=sample["order"])] == [
        e["id"] for e in logs if e["order"] == sample["order"]
    ]
    assert [e["id"] for e in leaflink.all("/order-event-logs/", by="whitfield")] == [
        e["id"] for e in logs if "whitfield" in e["author_name"].lower() or "whitfield" in e["by"].lower()
    ]
    assert leaflink.all("/order-event-logs/", by="nobody-at-all") == []


def test_batch_contact_licence_and_inventory_filters(leaflink: LeafLink) -> None:
    batches = leaflink.all("/batches/")
    sample = batches[7]
    assert [b["id"] for b in leaflink.all("/batches/", id=f"{sample['id']},{batches[8]['id']}")] == [
        sample["id"],
        batches[8]["id"],
    ]
    assert len(leaflink.all("/batches/", owner=1)) == len(batches) and leaflink.all("/batches/", owner=2) == []
    number = sample["production_batch_number"]
    assert [b["id"] for b in leaflink.all("/batches/", production_batch_number=number)] == [sample["id"]]
    items = {i["product"]: i for i in leaflink.all("/inventory/items/", include_archived="true")}
    product = next(p for p, i in items.items() if i["batch"] == sample["id"])
    assert [b["id"] for b in leaflink.all("/batches/", products=product)] == [sample["id"]]
    for op in _TIMES:
        expected = [b["id"] for b in batches if _matches(b["batch_date"], op, sample["batch_date"])]
        assert [b["id"] for b in leaflink.all("/batches/", **{f"batch_date__{op}": sample["batch_date"]})] == expected

    contacts = leaflink.all("/contacts/")
    first = contacts[1]
    assert [c["id"] for c in leaflink.all("/contacts/", id=first["id"])] == [first["id"]]
    for suffix, value in (
        ("", first["first_name"]),
        ("__in", f"{first['first_name']},Nobody"),
        ("__startswith", first["first_name"][:2]),
    ):
        wanted = value.lower().split(",") if suffix == "__in" else [value.lower()]
        expected = [
            c["id"]
            for c in contacts
            if (
                c["first_name"].lower().startswith(wanted[0])
                if suffix == "__startswith"
                else c["first_name"].lower() in wanted
            )
        ]
        assert [c["id"] for c in leaflink.all("/contacts/", **{f"first_name{suffix}": value})] == expected
        assert leaflink.all("/contacts/", **{f"last_name{suffix}": "zz"}) == []  # every last name is empty
    assert leaflink.all("/contacts/", owner=2) == [] and len(leaflink.all("/contacts/", owner=1)) == len(contacts)
    assert leaflink.all("/contacts/", delete="true") == [] and leaflink.all("/contacts/", delete="false") == contacts
    for field in ("modified", "created_on"):
        _assert_time_filters(leaflink, "/contacts/", field, "id")

    (licence,) = leaflink.all("/licenses/")
    assert leaflink.all("/licenses/", number=licence["number"]) == [licence]
    assert leaflink.all("/licenses/", number__in=f"X-1,{licence['number']}") == [licence]
    assert leaflink.all("/licenses/", id=licence["id"]) == [licence] and leaflink.all("/licenses/", id=1) == []

    unarchived = leaflink.all("/inventory/items/")
    assert len(unarchived) < len(items) and not any(i["is_archived"] for i in unarchived)
    assert [i["product"] for i in leaflink.all("/inventory/items/", product=10002)] == [10002]


def test_buyer_order_filters(leaflink: LeafLink) -> None:
    client = leaflink.retailer
    orders = leaflink.all("/buyer/orders/", client)
    raw = {o["number"]: o for o in leaflink.sandbox.all_orders()}

    def ids(**params: Any) -> list[str]:
        return [o["id"] for o in leaflink.all("/buyer/orders/", client, **params)]

    sellers = {o["seller"]["id"] for o in orders}
    for seller in sellers:
        assert ids(seller=seller) == [o["id"] for o in orders if o["seller"]["id"] == seller]
        slug = leaflink.sandbox.companies[int(seller)]["slug"]
        assert ids(seller__slug__iexact=slug) == ids(company_slug=slug) == ids(seller=seller)
    assert ids(seller=99) == []
    status = orders[0]["status"]
    assert ids(status=status.lower()) == [o["id"] for o in orders if o["status"] == status]
    assert ids(number=orders[0]["id"]) == ids(order_id=orders[0]["id"]) == [orders[0]["id"]]
    assert ids(external_id_seller="none-such") == [] and ids(external_id_seller__icontains="none-such") == []
    assert ids(paid="true") == [o["id"] for o in orders if raw[o["id"]]["paid"]]
    assert ids(manual="true") == [o["id"] for o in orders if raw[o["id"]]["manual"]]
    assert ids(classification="adult use") == [o["id"] for o in orders if raw[o["id"]]["classification"] == "Adult Use"]
    assert ids(classification="medical") == []
    user = raw[orders[0]["id"]]["user"]
    assert ids(user=user) == [o["id"] for o in orders if user.lower() in raw[o["id"]]["user"].lower()]
    reps_of = {number: [r["id"] for r in order["sales_reps"]] for number, order in raw.items()}
    rep = next(reps_of[o["id"]][0] for o in orders if reps_of[o["id"]])
    assert ids(sales_rep=rep) == [o["id"] for o in orders if rep in reps_of[o["id"]]]
    assert ids(brand=99) == [] and ids(brand__in="98,99") == []
    assert ids(external_id_key="erp", external_id_values="x") == []
    for field, served in (("created_on", "created_on"), ("modified", "last_edited_on")):
        stamps = sorted(o[served] for o in orders)
        for op in _TIMES:
            expected = [o["id"] for o in orders if _matches(o[served], op, stamps[0])]
            assert ids(**{f"{field}__{op}": stamps[0]}) == expected
    shaped = leaflink.all("/buyer/orders/", client, fields_include="id,status")
    assert all(set(o) == {"id", "status"} for o in shaped)


def test_unknown_and_refused_filter_values_are_400s(leaflink: LeafLink) -> None:
    for route, params in (
        ("/customers/", {"tier": "x"}),
        ("/products/", {"category": "flower"}),
        ("/orders-received/", {"status": "lost"}),
        ("/batches/", {"thc": "lots"}),
    ):
        answer = leaflink.one.get(f"{API}{route}", params=params)
        assert answer.status_code == 400 and set(answer.json()) == set(params), (route, answer.text)
