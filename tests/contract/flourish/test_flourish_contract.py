"""Flourish's External API as its documentation and its own clients call it, against the sandbox.

One test per route listed in ``shared/reference/vendor-apis.md`` §1 (the Postman collection "Flourish External
API - Docs" and the vendor's WooCommerce plugins), calling it as documented: method, path (the docs write a
trailing slash, the vendor's plugin leaves it off: both are used), ``x-api-key`` and ``FacilityID`` headers, query
filters and bodies. Each asserts the documented status and shape, and each documented filter is shown to filter:
the answer is exactly the records that match, and a value nothing has answers an empty list. ``DOCUMENTED`` lists
every route with the reason when the sandbox does not serve it; ``test_the_route_table_is_complete`` keeps it
equal to what the sandbox serves.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cannasync.cli.servers import BackgroundServer
from cannasync.sandboxes.flourish import FlourishSandbox, create_app
from tests.conftest import wait_for
from tests.contract.conftest import AppSlot

V1 = "/external/api/v1"
V2 = "/external/api/v2"
KEY = {"x-api-key": "demo-key"}
ANN_ARBOR = {"FacilityID": "101"}
AS_OF = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

#: Every route vendor-apis.md §1 lists: (method, path as documented, why the sandbox does not serve it or None).
DOCUMENTED: tuple[tuple[str, str, str | None], ...] = (
    ("GET", "/v1/items/", None),
    ("GET", "/v1/items/{item_id}/", None),
    ("GET", "/v1/items/{item_id}/art/", None),
    ("GET", "/v1/items/{item_id}/itemvariations/", "the sandbox's items have no variations; no connector reads them"),
    ("GET", "/v1/itemvariations/{pk}/", "the sandbox's items have no variations; no connector reads them"),
    ("GET", "/v1/itemclasses/", "items carry no item class in the sandbox; no connector reads them"),
    ("GET", "/v1/itemcategories/", "categories come on each item (item_category); no connector lists them"),
    ("GET", "/v1/brands/", None),
    ("GET", "/v1/brands/{brand_id}/", None),
    ("GET", "/v1/uoms/", None),
    ("GET", "/v1/facilities/", None),
    ("GET", "/v1/facilities/{facility_id}/", None),
    ("GET", "/v1/destinations/", None),
    ("GET", "/v1/destinations/{destination_id}/", None),
    ("POST", "/v1/destinations/", None),
    ("GET", "/v1/sales-reps/", None),
    ("GET", "/v1/vendors/", "supplier records: the sandbox imitates no purchasing; no connector reads them"),
    ("GET", "/v1/packages/", "package-level stock is not kept (item-level quantities only); see /inventory/"),
    ("GET", "/v1/lab-test-results/{id}/", "lab results come on each item (cannabinoids, terpenes); no connector"),
    ("GET", "/v1/inventory/", "package-level inventory (lots, package ids): the sandbox keeps item-level stock"),
    ("GET", "/v1/inventory/summary/", None),
    ("GET", "/v1/inventory/adjustments/", "the sandbox keeps no adjustment history; no connector reads it"),
    ("GET", "/v1/inventorytypes/", "inventory_type is a fixed field of items; no connector lists the types"),
    ("GET", "/v1/customers/", None),
    ("GET", "/v1/customers/{customer_id}/", None),
    ("POST", "/v1/customers/", None),
    ("PUT", "/v1/customers/{customer_id}/", None),
    ("GET", "/v1/retail-orders/", None),
    ("GET", "/v1/retail-orders/{order_id}/", None),
    ("POST", "/v1/retail-orders/", None),
    ("POST", "/v2/retail-orders/", None),
    ("PUT", "/v1/retail-orders/{order_id}/", None),
    (
        "POST",
        "/v1/retail-orders/{order_id}/payment/",
        "no connector records payments: online orders go in unpaid and are paid at the counter",
    ),
    ("GET", "/v1/retail-discounts/", None),
    ("GET", "/v1/retail-discounts/{discount_id}/", None),
    ("GET", "/v1/outbound-orders/", None),
    ("GET", "/v1/outbound-orders/{order_id}/", None),
    ("POST", "/v1/outbound-orders/", None),
    ("PUT", "/v1/outbound-orders/{order_id}/", None),
    ("POST", "/v1/outbound-orders/{order_id}/cancel/", None),  # ours (choice 28), not in the vendor notes
    ("GET", "/v1/package-labels/{package_id}/", "no packages in the sandbox (see /packages/)"),
)


@dataclass
class Flourish:
    url: str
    sandbox: FlourishSandbox
    client: httpx2.Client

    def pages(self, path: str, params: Any = None, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """Every record of a list, following ``meta.next`` as the vendor's plugin does."""
        records: list[dict[str, Any]] = []
        answer = self.client.get(path, params=params, headers=headers)
        while True:
            assert answer.status_code == 200, (path, answer.text)
            body = answer.json()
            assert set(body) == {"data", "meta"} and isinstance(body["data"], list)
            assert len(body["data"]) <= 50
            records += body["data"]
            if not body["meta"]["next"]:
                return records
            answer = self.client.get(body["meta"]["next"], headers=headers)


@pytest.fixture
def flourish(slot_server: tuple[str, AppSlot]) -> Iterator[Flourish]:
    url, slot = slot_server
    app = create_app(items=120, seed=3, sales=40, facilities=3, as_of=AS_OF)
    slot.app = app
    with httpx2.Client(base_url=url, headers=KEY, timeout=10) as client:
        yield Flourish(url, app.state.sandbox, client)
    slot.app = None


def _one(answer: httpx2.Response, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"data"} and isinstance(body["data"], dict)
    return body["data"]


def _ids(records: list[dict[str, Any]]) -> list[str]:
    return [str(record["id"]) for record in records]


# --------------------------------------------------------------------------------------------------
# The table


def test_the_route_table_is_complete(flourish: Flourish) -> None:
    """What the sandbox serves is exactly the routes marked served; the others answer Flourish's 404."""
    served = {
        (method, route.path.removeprefix("/external/api") + "/")
        for route in create_app(items=5).routes
        if isinstance(route, Route) and route.path.startswith("/external/api/")
        for method in (route.methods or set()) - {"HEAD"}
    }

    def shape(path: str) -> str:
        return re.sub(r"\{[^}]+\}", "{}", path)

    documented = {(m, p) for m, p, reason in DOCUMENTED if reason is None}
    assert {(m, shape(p)) for m, p in served} == {(m, shape(p)) for m, p in documented}
    for method, path, reason in DOCUMENTED:
        if reason is not None:
            concrete = path.replace("{item_id}", "10001").replace("{order_id}", "RO-000001")
            concrete = concrete.replace("{pk}", "1").replace("{id}", "1").replace("{package_id}", "1")
            answer = flourish.client.request(method, f"/external/api{concrete}", headers=ANN_ARBOR, json={})
            assert (answer.status_code, answer.json()) == (404, {"error": "Not found"}), (path, reason)


# --------------------------------------------------------------------------------------------------
# Auth and paging (every route)


def test_auth_is_the_api_key_or_legacy_basic(flourish: Flourish) -> None:
    basic = base64.b64encode(b"demo:demo-key").decode()
    with httpx2.Client(base_url=flourish.url, timeout=10) as anonymous:
        assert anonymous.get(f"{V1}/items/", headers=KEY).status_code == 200
        assert anonymous.get(f"{V1}/items/", headers={"Authorization": f"Basic {basic}"}).status_code == 200
        refused = anonymous.get(f"{V1}/items/")
        assert (refused.status_code, refused.json()) == (401, {"error": "Invalid or expired API key"})
        inactive = anonymous.get(f"{V1}/items/", headers={"x-api-key": "inactive-key"})
        assert (inactive.status_code, inactive.json()) == (403, {"error": "API key is not active"})


def test_lists_page_by_offset_and_limit_at_most_50(flourish: Flourish) -> None:
    first = flourish.client.get(f"{V1}/items/", params={"offset": 0, "limit": 500}).json()
    assert len(first["data"]) == 50 and first["meta"]["next"]
    everything = flourish.pages(f"{V1}/items/")
    assert _ids(everything) == _ids(flourish.sandbox.items())
    last = flourish.client.get(f"{V1}/items/", params={"offset": 100, "limit": 50}).json()
    assert len(last["data"]) == 20 and last["meta"]["next"] is None


# --------------------------------------------------------------------------------------------------
# Items


ITEM_FILTERS: tuple[tuple[str, str], ...] = (
    ("item_category", "item_category"),
    ("item_name", "item_name"),
    ("retail_display_name", "retail_display_name"),
    ("inventory_type", "inventory_type"),
    ("uom", "uom"),
    ("strain_name", "strain_name"),
    ("strain_type_name", "strain_type_name"),
    ("item_strain_type_name", "strain_type_name"),
    ("ecommerce_item_name", "ecommerce_item_name"),
    ("ecommerce_category_name", "ecommerce_category_name"),
    ("ecommerce_sub_category_name", "ecommerce_sub_category_name"),
    ("brand_name", "brand"),
    ("brand_id", "brand_id"),
    ("sku", "sku"),
    ("item_id", "id"),
)


@pytest.mark.parametrize(("param", "field"), ITEM_FILTERS)
def test_items_filter_by_each_documented_name(flourish: Flourish, param: str, field: str) -> None:
    items = flourish.sandbox.items()
    value = next(str(item[field]) for item in items if item.get(field))
    expected = [item for item in items if str(item.get(field) or "").lower() == value.lower()]
    assert _ids(flourish.pages(f"{V1}/items/", params={param: value})) == _ids(expected)
    assert flourish.pages(f"{V1}/items/", params={param: "no such value"}) == []


def test_items_filter_by_repeated_item_id_and_sku_as_the_plugin_asks(flourish: Flourish) -> None:
    """The plugin's ``GET /items?item_id=<id>`` and ``?sku=<sku>`` (flourish_item_exists, fetch_product_by_id)."""
    items = flourish.sandbox.items()
    one = flourish.client.get(f"{V1}/items", params={"item_id": items[7]["id"]}).json()["data"]
    assert _ids(one) == [items[7]["id"]]
    by_sku = flourish.client.get(f"{V1}/items", params={"sku": items[9]["sku"]}).json()["data"]
    assert _ids(by_sku) == [items[9]["id"]]
    several = [("item_id", items[i]["id"]) for i in (3, 1, 60)]
    assert _ids(flourish.pages(f"{V1}/items/", params=several)) == [items[i]["id"] for i in (1, 3, 60)]
    skus = [("sku", items[i]["sku"].lower()) for i in (2, 5)]
    assert _ids(flourish.pages(f"{V1}/items/", params=skus)) == [items[i]["id"] for i in (2, 5)]


@pytest.mark.parametrize("flag", ["active", "ecommerce_active", "sellable", "is_medical"])
def test_items_filter_by_each_documented_flag(flourish: Flourish, flag: str) -> None:
    items = flourish.sandbox.items()
    for wanted in (True, False):
        expected = [item for item in items if item.get(flag) is wanted]
        assert _ids(flourish.pages(f"{V1}/items/", params={flag: str(wanted).lower()})) == _ids(expected)
    assert flourish.client.get(f"{V1}/items/", params={flag: "maybe"}).status_code == 400


def test_items_filter_by_last_update_window(flourish: Flourish) -> None:
    items = sorted(flourish.sandbox.items(), key=lambda item: item["last_updated_timestamp"])
    start, end = items[10]["last_updated_timestamp"], items[30]["last_updated_timestamp"]
    expected = [item for item in flourish.sandbox.items() if start <= item["last_updated_timestamp"] <= end]
    window = {"last_updated_timestamp_start": start, "last_updated_timestamp_end": end}
    assert _ids(flourish.pages(f"{V1}/items/", params=window)) == _ids(expected)
    assert 0 < len(expected) < len(items)


@pytest.mark.parametrize("param", ["item_class", "strain_required", "is_external"])
def test_documented_item_filters_on_fields_the_sandbox_items_lack_are_ignored(flourish: Flourish, param: str) -> None:
    """Listed so they are not silently absent: the sandbox's items carry no such field, so there is nothing to
    filter on; like any unknown parameter, the filter is ignored (choice 2)."""
    assert len(flourish.pages(f"{V1}/items/", params={param: "x"})) == len(flourish.sandbox.items())


def test_the_plugins_catalogue_pull(flourish: Flourish) -> None:
    """``GET /items?active=true&ecommerce_active=true&offset=..&limit=50[&brand_name=X&brand_name=Y]``."""
    query = "active=true&ecommerce_active=true&offset=0&limit=50&brand_name=Glacier%20Lake&brand_name=North%20Coast"
    data = flourish.client.get(f"{V1}/items?{query}").json()["data"]
    expected = [
        item
        for item in flourish.sandbox.items()
        if item["active"] and item["ecommerce_active"] and item["brand"] in ("Glacier Lake", "North Coast")
    ]
    assert _ids(data) == _ids(expected) and expected


def test_one_item(flourish: Flourish) -> None:
    item = flourish.sandbox.items()[0]
    body = _one(flourish.client.get(f"{V1}/items/{item['id']}/"))
    for field in ("id", "item_name", "item_description", "sku", "item_category", "retail_price", "price", "uom"):
        assert field in body  # the fields the vendor's plugin reads (FlourishItems.php)
    assert body["id"] == item["id"] and isinstance(body["brand"], str)
    assert flourish.client.get(f"{V1}/items/99999999/").status_code == 404


def test_item_art_links_expire_or_204(flourish: Flourish) -> None:
    with_art = next(item_id for item_id, kinds in flourish.sandbox.art.items() if kinds)
    links = _one(flourish.client.get(f"{V1}/items/{with_art}/art/", params={"expire": "8h"}))
    assert set(links) == {"product", "label", "packaging"} and any(links.values())
    without = next(item["id"] for item in flourish.sandbox.items() if not flourish.sandbox.art.get(item["id"]))
    assert flourish.client.get(f"{V1}/items/{without}/art/", params={"expire": "8h"}).status_code == 204


# --------------------------------------------------------------------------------------------------
# Reference lists: brands, uoms, facilities, sales reps, destinations


def test_brands_and_one_brand(flourish: Flourish) -> None:
    brands = flourish.pages(f"{V1}/brands")
    assert {"Glacier Lake", "North Coast"} <= {b["brand_name"] for b in brands}
    assert _one(flourish.client.get(f"{V1}/brands/{brands[0]['id']}/")) == brands[0]


def test_uoms_are_paged_with_uom_and_description(flourish: Flourish) -> None:
    """``GET /uoms?offset=..&limit=50`` as the plugin pages it (fetch_uoms), rows ``{uom, description}``."""
    uoms = flourish.pages(f"{V1}/uoms", params={"offset": 0, "limit": 50})
    assert [u["uom"] for u in uoms] == ["ea", "g", "kg", "mg", "oz", "lb", "ml", "l"]
    assert all(set(u) == {"uom", "description"} and u["description"] for u in uoms)
    second = flourish.client.get(f"{V1}/uoms/", params={"offset": 2, "limit": 2}).json()
    assert [u["uom"] for u in second["data"]] == ["kg", "mg"] and second["meta"]["next"]
    item_units = {(i["uom"], i["uom_description"]) for i in flourish.sandbox.items()}
    assert item_units <= {(u["uom"], u["description"]) for u in uoms}


def test_facilities_and_one_facility_without_a_facility_header(flourish: Flourish) -> None:
    """``GET /facilities/{id}`` with the API key alone, as the plugins read a facility's settings."""
    facilities = flourish.pages(f"{V1}/facilities", params={"offset": 0, "limit": 50})
    assert _ids(facilities) == ["101", "102", "103"]
    one = _one(flourish.client.get(f"{V1}/facilities/102"))
    assert one == facilities[1] and one["facility_name"] and one["sales_rep_required_for_outbound"] is False
    missing = flourish.client.get(f"{V1}/facilities/999/")
    assert (missing.status_code, missing.json()) == (404, {"error": "Facility 999 not found"})


def test_sales_reps_of_the_facility(flourish: Flourish) -> None:
    reps = flourish.pages(f"{V1}/sales-reps/", headers=ANN_ARBOR)
    assert _ids(reps) == ["801", "802", "803"] and {r["facility_id"] for r in reps} == {"101"}
    assert flourish.client.get(f"{V1}/sales-reps/").status_code == 400  # FacilityID required


def test_destinations_filter_by_license_number_create_and_read(flourish: Flourish) -> None:
    everything = flourish.pages(f"{V1}/destinations/")
    found = flourish.pages(f"{V1}/destinations", params={"license_number": "au-r-000932"})
    assert _ids(found) == ["4002"] and len(everything) == 4
    assert flourish.pages(f"{V1}/destinations", params={"license_number": "AU-R-999999"}) == []
    body = {"name": "Lakeside Wellness", "license_number": "AU-R-004321", "external_id": "LL-2004"}
    created = _one(flourish.client.post(f"{V1}/destinations/", json=body), 201)
    assert _one(flourish.client.get(f"{V1}/destinations/{created['id']}/")) == created
    assert _ids(flourish.pages(f"{V1}/destinations/", params={"external_id": "LL-2004"})) == [created["id"]]


# --------------------------------------------------------------------------------------------------
# Inventory


def test_inventory_summary_as_the_plugin_asks(flourish: Flourish) -> None:
    """``GET /inventory/summary?item_id=1&item_id=2…`` with FacilityID, reading item_id, sku and sellable_qty."""
    stocked = list(flourish.sandbox.stock["101"])
    ids = sorted(stocked[:3], key=int)
    query = "&".join(f"item_id={item_id}" for item_id in ids)
    rows = flourish.client.get(f"{V1}/inventory/summary?{query}", headers=ANN_ARBOR).json()["data"]
    assert [row["item_id"] for row in rows] == ids
    for row in rows:
        assert row["sellable_qty"] == flourish.sandbox.stock["101"][row["item_id"]]["sellable_qty"]
        assert row["sku"]
    too_many = "&".join(f"item_id={i}" for i in range(51))
    assert flourish.client.get(f"{V1}/inventory/summary?{too_many}", headers=ANN_ARBOR).status_code == 400
    assert flourish.client.get(f"{V1}/inventory/summary/").status_code == 400  # FacilityID required


@pytest.mark.parametrize("param", ["group_by", "include_all_items", "has_available_qty", "sku", "lot_number"])
def test_inventory_summary_parameters_the_sandbox_does_not_apply(flourish: Flourish, param: str) -> None:
    """Listed so they are not silently absent: the summary's other documented parameters (grouping, and the
    package filters it shares with ``/inventory/``) are not applied by the sandbox, which keeps no packages
    and one row per item; no connector sends them."""
    everything = flourish.pages(f"{V1}/inventory/summary/", headers=ANN_ARBOR)
    assert flourish.pages(f"{V1}/inventory/summary/", params={param: "x"}, headers=ANN_ARBOR) == everything


# --------------------------------------------------------------------------------------------------
# Customers


CUSTOMER_FILTERS: tuple[tuple[str, str], ...] = (
    ("first_name", "first_name"),
    ("last_name", "last_name"),
    ("dob", "dob"),
    ("state", "state"),
    ("patient_id", "patient_id"),
    ("email", "email"),
)


@pytest.mark.parametrize(("param", "field"), CUSTOMER_FILTERS)
def test_customers_filter_by_each_documented_field(flourish: Flourish, param: str, field: str) -> None:
    customers = flourish.sandbox.customers()
    value = next(str(c[field]) for c in customers if c.get(field))
    expected = [c for c in customers if str(c.get(field) or "").lower() == value.lower()]
    assert _ids(flourish.pages(f"{V1}/customers/", params={param: value})) == _ids(expected)
    assert flourish.pages(f"{V1}/customers/", params={param: "no-such-value"}) == []


def test_customers_filter_by_phone_and_update_window(flourish: Flourish) -> None:
    assert _ids(flourish.pages(f"{V1}/customers/", params={"phone_number": "5550002222"})) == ["70002"]
    assert flourish.pages(f"{V1}/customers/", params={"phone_number": "5559999999"}) == []
    customers = sorted(flourish.sandbox.customers(), key=lambda c: c["last_updated_timestamp"])
    start, end = customers[3]["last_updated_timestamp"], customers[8]["last_updated_timestamp"]
    expected = [c for c in flourish.sandbox.customers() if start <= c["last_updated_timestamp"] <= end]
    window = {"last_updated_timestamp_start": start, "last_updated_timestamp_end": end}
    assert _ids(flourish.pages(f"{V1}/customers/", params=window)) == _ids(expected)
    assert 0 < len(expected) < len(customers)


def test_the_plugins_customer_lookup_create_read_and_update(flourish: Flourish) -> None:
    """``GET /customers?email=…`` then ``POST /customers`` (dob required), as get_or_create_customer_by_email."""
    email = "riley.new@example.com"
    assert flourish.client.get(f"{V1}/customers", params={"email": email}).json()["data"] == []
    body = {
        "first_name": "Riley",
        "last_name": "New",
        "email": email,
        "phone": "5553214321",
        "dob": "1990-02-03",
        "address": [
            {
                "address_line_1": "1 Main St",
                "city": "Ann Arbor",
                "state": "MI",
                "postcode": "48104",
                "country": "United States",
                "type": "billing",
            }
        ],
    }
    assert flourish.client.post(f"{V1}/customers", json={**body, "dob": None}).status_code == 422
    created = _one(flourish.client.post(f"{V1}/customers", json=body), 201)
    assert flourish.client.get(f"{V1}/customers", params={"email": email}).json()["data"][0]["id"] == created["id"]
    assert _one(flourish.client.get(f"{V1}/customers/{created['id']}/"))["email"] == email
    updated = _one(flourish.client.put(f"{V1}/customers/{created['id']}/", json={"is_active": False}))
    assert updated["is_active"] is False and updated["first_name"] == "Riley"


# --------------------------------------------------------------------------------------------------
# Retail orders


def _order_body(flourish: Flourish, reference: str, **extra: Any) -> dict[str, Any]:
    item = next(i for i in flourish.sandbox.items() if i["sellable"] and i["id"] not in flourish.sandbox.malformed)
    return {
        "original_order_id": reference,
        "customer_id": "70001",
        "order_lines": [{"item_id": item["id"], "sku": item["sku"], "order_qty": 2, "unit_price": 25.0}],
        "order_timestamp": "2025-06-01T12:00:00.000Z",
        "order_status": "submitted",
        "is_recreational": True,
        "fulfillment_type": "pickup",
        "expected_pickup_timestamp": "2025-06-01T15:00:00.000Z",
        **extra,
    }


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_create_a_retail_order_as_the_plugin_does(flourish: Flourish, version: str) -> None:
    """``POST /{v1|v2}/retail-orders`` with FacilityID and JSON; the answer is ``{"data": {"id", …}}``."""
    path = f"/external/api/{version}/retail-orders"
    created = _one(flourish.client.post(path, json=_order_body(flourish, "1234"), headers=ANN_ARBOR), 201)
    assert created["id"] and created["order_status"] == "Submitted" and created["facility_id"] == "101"
    delivery = _order_body(
        flourish,
        "1235",
        fulfillment_type="delivery",
        expected_delivery_timestamp="2025-06-01T18:00:00.000Z",
        delivery_address={"address_line_1": "1 Main St", "city": "Ann Arbor", "state": "MI", "postcode": "48104"},
        delivery_fee=5.0,
    )
    assert _one(flourish.client.post(path, json=delivery, headers=ANN_ARBOR), 201)["fulfillment_type"] == "delivery"
    assert flourish.client.post(path, json=_order_body(flourish, "1236")).status_code == 400  # FacilityID


def test_read_one_retail_order_with_the_api_key_alone(flourish: Flourish) -> None:
    """``GET /v1/retail-orders/{id}`` without FacilityID, as the plugin's get_order_by_id."""
    created = _one(
        flourish.client.post(f"{V2}/retail-orders", json=_order_body(flourish, "77"), headers=ANN_ARBOR), 201
    )
    assert _one(flourish.client.get(f"{V1}/retail-orders/{created['id']}")) == created
    assert _one(flourish.client.get(f"{V1}/retail-orders/{created['id']}/", headers=ANN_ARBOR)) == created
    other = flourish.client.get(f"{V1}/retail-orders/{created['id']}/", headers={"FacilityID": "102"})
    assert other.status_code == 404


def test_put_replaces_an_editable_order_but_never_its_status(flourish: Flourish) -> None:
    created = _one(
        flourish.client.post(f"{V2}/retail-orders", json=_order_body(flourish, "88"), headers=ANN_ARBOR), 201
    )
    path = f"{V1}/retail-orders/{created['id']}"
    changed = _one(
        flourish.client.put(path, json=_order_body(flourish, "88", notes="Leave at the door"), headers=ANN_ARBOR)
    )
    assert changed["notes"] == "Leave at the door" and changed["order_status"] == "Submitted"
    refused = flourish.client.put(path, json=_order_body(flourish, "88", order_status="Packed"), headers=ANN_ARBOR)
    assert refused.status_code == 422


def test_the_plugins_cancel_of_a_created_order(flourish: Flourish) -> None:
    """HandlerOrdersCancel.php: read the order; only when Created, ``PUT`` ``{original_order_id, order_timestamp,
    order_status: "Cancelled"}``. The one status change a PUT makes (the conflict is in the sandbox's choice 29)."""
    body = _order_body(flourish, "99", order_status="created")
    created = _one(flourish.client.post(f"{V2}/retail-orders", json=body, headers=ANN_ARBOR), 201)
    assert _one(flourish.client.get(f"{V1}/retail-orders/{created['id']}"))["order_status"] == "Created"
    cancel = {"original_order_id": "99", "order_timestamp": "2025-06-01T12:05:00.000Z", "order_status": "Cancelled"}
    cancelled = _one(flourish.client.put(f"{V1}/retail-orders/{created['id']}", json=cancel, headers=ANN_ARBOR))
    assert cancelled["order_status"] == "Cancelled" and cancelled["cancelled_timestamp"]
    submitted = _one(
        flourish.client.post(f"{V2}/retail-orders", json=_order_body(flourish, "98"), headers=ANN_ARBOR), 201
    )
    kept = flourish.client.put(f"{V1}/retail-orders/{submitted['id']}", json=cancel, headers=ANN_ARBOR)
    assert kept.status_code == 409


def _seed_orders(flourish: Flourish) -> list[dict[str, Any]]:
    """A few API orders beside the seeded sales, so every filter has something to tell apart."""
    post = flourish.client.post
    post(f"{V2}/retail-orders", json=_order_body(flourish, "F-1"), headers=ANN_ARBOR)
    delivery = _order_body(
        flourish,
        "F-2",
        customer_id="70002",
        fulfillment_type="delivery",
        delivery_address={"address_line_1": "1 Main St", "city": "Ann Arbor", "state": "MI", "postcode": "48104"},
    )
    packed = _one(post(f"{V2}/retail-orders", json=delivery, headers=ANN_ARBOR), 201)
    flourish.sandbox.move_order(packed["id"], "Packed")
    post(f"{V2}/retail-orders", json=_order_body(flourish, "F-3", order_status="created"), headers=ANN_ARBOR)
    return flourish.sandbox.orders()


ORDER_FILTERS: tuple[tuple[str, Callable[[dict[str, Any]], Any]], ...] = (
    ("customer_id", lambda o: o["customer_id"]),
    ("order_status", lambda o: o["order_status"]),
    ("order_origin", lambda o: o["order_origin"]),
    ("order_fulfillment_type", lambda o: o["fulfillment_type"]),
    ("order_payment_status", lambda o: o["order_payment_status"]),
    ("order_id", lambda o: o["id"]),
    ("original_order_id", lambda o: o["original_order_id"]),
)


@pytest.mark.parametrize(("param", "value_of"), ORDER_FILTERS, ids=[name for name, _ in ORDER_FILTERS])
def test_retail_orders_filter_by_each_documented_field(
    flourish: Flourish, param: str, value_of: Callable[[dict[str, Any]], Any]
) -> None:
    orders = _seed_orders(flourish)
    value = next(str(value_of(o)) for o in reversed(orders) if value_of(o))
    expected = [o for o in orders if str(value_of(o) or "").lower() == value.lower()]
    assert _ids(flourish.pages(f"{V1}/retail-orders/", params={param: value})) == _ids(expected)
    assert 0 < len(expected) < len(orders)
    assert flourish.pages(f"{V1}/retail-orders/", params={param: "no-such-value"}) == []


def test_retail_orders_filter_by_patient_id(flourish: Flourish) -> None:
    orders = _seed_orders(flourish)
    expected = [o for o in orders if o["customer_id"] == "70001"]  # Jordan Rivera, MED-100200
    assert _ids(flourish.pages(f"{V1}/retail-orders/", params={"patient_id": "MED-100200"})) == _ids(expected)
    assert flourish.pages(f"{V1}/retail-orders/", params={"patient_id": "MED-000000"}) == []


@pytest.mark.parametrize("stage", ["created", "submitted", "packed", "completed"])
def test_retail_orders_filter_by_each_stage_window(flourish: Flourish, stage: str) -> None:
    orders = _seed_orders(flourish)
    field = f"{stage}_timestamp"
    stamps = sorted(o[field] for o in orders if o[field])
    start, end = stamps[0], stamps[-1]
    expected = [o for o in orders if o[field] and start <= o[field] <= end]
    window = {f"{field}_start": start, f"{field}_end": end}
    assert _ids(flourish.pages(f"{V1}/retail-orders/", params=window)) == _ids(expected)
    assert flourish.pages(f"{V1}/retail-orders/", params={f"{field}_start": "2999-01-01"}) == []


@pytest.mark.parametrize("param", ["is_backorder", "is_preorder", "needs_review"])
def test_retail_order_flags_the_sandbox_does_not_keep_are_ignored(flourish: Flourish, param: str) -> None:
    """Listed so they are not silently absent: the sandbox keeps no such flags on orders, so the filters are
    ignored (choice 9); no connector sends them."""
    orders = _seed_orders(flourish)
    assert len(flourish.pages(f"{V1}/retail-orders/", params={param: "true"})) == len(orders)


def test_retail_orders_for_one_facility_or_the_company(flourish: Flourish) -> None:
    orders = _seed_orders(flourish)
    assert _ids(flourish.pages(f"{V1}/retail-orders/")) == _ids(orders)
    at_101 = [o for o in orders if o["facility_id"] == "101"]
    assert _ids(flourish.pages(f"{V1}/retail-orders/", headers=ANN_ARBOR)) == _ids(at_101)
    assert 0 < len(at_101) < len(orders)


def test_retail_discounts_of_the_facility(flourish: Flourish) -> None:
    discounts = flourish.pages(f"{V1}/retail-discounts/", headers=ANN_ARBOR)
    assert _ids(discounts) == [str(n) for n in range(501, 507)]
    for field in ("start_date", "end_date", "start_date_time", "end_date_time", "start_time", "end_time"):
        assert all(field in d for d in discounts)
    assert _one(flourish.client.get(f"{V1}/retail-discounts/502/", headers=ANN_ARBOR)) == discounts[1]
    assert flourish.client.get(f"{V1}/retail-discounts/502/", headers={"FacilityID": "102"}).status_code == 404


# --------------------------------------------------------------------------------------------------
# Outbound (wholesale) orders


def test_outbound_orders_create_read_list_update_and_cancel(flourish: Flourish) -> None:
    item = flourish.sandbox.items()[0]
    body = {
        "original_order_id": "LL-1",
        "destination_id": "4001",
        "sales_rep_id": "801",
        "order_lines": [{"item_id": item["id"], "order_qty": 10, "unit_price": 12.5}],
        "payment_term": "Net 30",
    }
    created = _one(flourish.client.post(f"{V1}/outbound-orders", json=body, headers=ANN_ARBOR), 201)
    assert created["order_status"] == "Created" and created["total"] == 125.0
    path = f"{V1}/outbound-orders/{created['id']}"
    assert _one(flourish.client.get(path, headers=ANN_ARBOR)) == created
    listed = flourish.pages(f"{V1}/outbound-orders/", params={"original_order_id": "LL-1"}, headers=ANN_ARBOR)
    assert _ids(listed) == [created["id"]]
    assert flourish.pages(f"{V1}/outbound-orders/", params={"original_order_id": "LL-2"}, headers=ANN_ARBOR) == []
    assert _ids(flourish.pages(f"{V1}/outbound-orders/", params={"order_status": "created"}, headers=ANN_ARBOR)) == [
        created["id"]
    ]
    updated = _one(flourish.client.put(path, json={"payment_term": "Net 15"}, headers=ANN_ARBOR))
    assert updated["payment_term"] == "Net 15"
    cancelled = _one(flourish.client.post(f"{path}/cancel/", headers=ANN_ARBOR))
    assert cancelled["order_status"] == "Cancelled"
    assert flourish.client.get(path).status_code == 400  # FacilityID required on outbound orders


# --------------------------------------------------------------------------------------------------
# Webhooks (Flourish → us)


def test_webhooks_post_resource_type_and_data_signed_in_hex(flourish: Flourish) -> None:
    """``{"resource_type", "data"}`` with ``auth-signature`` = hex HMAC-SHA256 of the raw body (FlourishWebhook.php)."""
    received: list[tuple[bytes, dict[str, str]]] = []

    async def hook(request: Request) -> Response:
        received.append((await request.body(), dict(request.headers)))
        return Response(status_code=200)

    with BackgroundServer(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as receiver:
        flourish.sandbox.configure_webhooks(f"{receiver.url}/hook", "secret")
        created = _one(
            flourish.client.post(f"{V2}/retail-orders", json=_order_body(flourish, "W-1"), headers=ANN_ARBOR), 201
        )
        wait_for(lambda: received, "the webhook", 10)
    raw, headers = received[0]
    payload = json.loads(raw)
    assert set(payload) == {"resource_type", "data"} and payload["resource_type"] == "retail_order"
    assert payload["data"]["id"] == created["id"]
    assert headers["auth-signature"] == hmac.new(b"secret", raw, hashlib.sha256).hexdigest()
