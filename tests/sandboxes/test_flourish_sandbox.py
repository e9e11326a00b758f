"""The Flourish sandbox, exercised as a client would: over real HTTP against uvicorn on loopback.

Each test asserts something a client of Flourish's External API would notice. The server is the one every
sandbox's tests share (``tests/sandboxes/conftest.py``), with a fresh sandbox plugged in per test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tests.sandboxes.conftest import SlotServer

from cannasync.cli.servers import BackgroundServer
from cannasync.sandboxes import flourish as flourish_module
from cannasync.sandboxes._kit import values as kit_values
from cannasync.sandboxes.flourish import FlourishSandbox, create_app
from cannasync.sandboxes.flourish.catalog import MALFORMED_KINDS, TERPENES

V1 = "/external/api/v1"
V2 = "/external/api/v2"
KEY = {"x-api-key": "demo-key"}
ANN_ARBOR = {"FacilityID": "101"}
GRAND_RAPIDS = {"FacilityID": "102"}


@dataclass
class Running:
    """A running sandbox: its URL, its state (read directly) and an authenticated client."""

    url: str
    sandbox: FlourishSandbox
    client: httpx2.Client

    def get_all(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> list[dict[str, Any]]:
        """Follow ``meta.next`` from ``path`` to the end (sending ``headers`` each time), returning every record."""
        records: list[dict[str, Any]] = []
        response = self.client.get(path, params=params, headers=headers)
        while True:
            assert response.status_code == 200, response.text
            body = response.json()
            records.extend(body["data"])
            if not body["meta"]["next"]:
                return records
            response = self.client.get(body["meta"]["next"], headers=headers)


@pytest.fixture
def start(slot_server: SlotServer) -> Iterator[Callable[..., Running]]:
    """A factory: ``start(items=..., seed=...)`` serves a fresh sandbox (replacing any earlier one)."""
    clients: list[httpx2.Client] = []

    def _start(**options: Any) -> Running:
        app = create_app(**options)
        slot_server.plug(app)
        client = httpx2.Client(base_url=slot_server.url, headers=KEY, timeout=5)
        clients.append(client)
        return Running(slot_server.url, app.state.sandbox, client)

    yield _start
    for client in clients:
        client.close()
    slot_server.plug(None)


@pytest.fixture
def flourish(start: Callable[..., Running]) -> Running:
    return start(items=200, seed=1)


def _sellable_item(running: Running, facility: str = "101") -> dict[str, Any]:
    """A well-formed, active, sellable item stocked at ``facility``."""
    for item in running.sandbox.items():
        if (
            item["id"] not in running.sandbox.malformed_ids
            and item["active"]
            and item["sellable"]
            and item["id"] in running.sandbox.stock[facility]
        ):
            return item
    raise AssertionError("no sellable item")


def _order_body(item_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "original_order_id": "WEB-1001",
        "customer_id": "70002",
        "is_recreational": True,
        "order_status": "submitted",
        "fulfillment_type": "pickup",
        "order_timestamp": "2025-06-01T12:00:00.000Z",
        "order_lines": [{"item_id": item_id, "sku": "X", "order_qty": 2, "unit_price": 25.0}],
    }
    body.update(overrides)
    return body


def _create_order(running: Running, **overrides: Any) -> dict[str, Any]:
    item = _sellable_item(running)
    response = running.client.post(f"{V2}/retail-orders/", json=_order_body(item["id"], **overrides), headers=ANN_ARBOR)
    assert response.status_code == 201, response.text
    return response.json()["data"]


# --------------------------------------------------------------------------------------------------
# Auth, headers, routing


def test_x_api_key_and_legacy_basic_auth_are_both_accepted(flourish: Running) -> None:
    with httpx2.Client(base_url=flourish.url) as anonymous:
        assert anonymous.get(f"{V1}/facilities/", headers=KEY).status_code == 200
        basic = base64.b64encode(b"demo:demo-key").decode()
        response = anonymous.get(f"{V1}/facilities/", headers={"Authorization": f"Basic {basic}"})
        assert response.status_code == 200
        assert [f["id"] for f in response.json()["data"]] == ["101", "102"]


def test_bad_credentials_are_401_and_an_inactive_key_is_403(flourish: Running) -> None:
    invalid = {"error": "Invalid or expired API key"}
    wrong_user = base64.b64encode(b"mallory:demo-key").decode()
    inactive_basic = base64.b64encode(b"demo:inactive-key").decode()
    with httpx2.Client(base_url=flourish.url) as anonymous:
        assert anonymous.get(f"{V1}/items/").status_code == 401
        response = anonymous.get(f"{V1}/items/", headers={"x-api-key": "nope"})
        assert (response.status_code, response.json()) == (401, invalid)
        response = anonymous.get(f"{V1}/items/", headers={"Authorization": f"Basic {wrong_user}"})
        assert (response.status_code, response.json()) == (401, invalid)
        inactive = {"error": "API key is not active"}
        response = anonymous.get(f"{V1}/items/", headers={"x-api-key": "inactive-key"})
        assert (response.status_code, response.json()) == (403, inactive)
        response = anonymous.get(f"{V1}/items/", headers={"Authorization": f"Basic {inactive_basic}"})
        assert response.status_code == 403


def test_custom_credentials_replace_the_defaults(start: Callable[..., Running]) -> None:
    running = start(items=10, credentials={"k-1": ("shop", True)})
    with httpx2.Client(base_url=running.url) as anonymous:
        assert anonymous.get(f"{V1}/items/", headers={"x-api-key": "k-1"}).status_code == 200
        assert anonymous.get(f"{V1}/items/", headers=KEY).status_code == 401


def test_facility_header_is_required_and_must_name_a_known_facility(flourish: Running) -> None:
    client = flourish.client
    for method, path in (
        ("GET", f"{V1}/inventory/summary/"),
        ("POST", f"{V2}/retail-orders/"),
        ("PUT", f"{V1}/retail-orders/RO-000001/"),
        ("GET", f"{V1}/retail-discounts/"),
        ("GET", f"{V1}/retail-discounts/501/"),
    ):
        missing = client.request(method, path, json={})
        assert (missing.status_code, missing.json()) == (400, {"error": "FacilityID header is required"})
        unknown = client.request(method, path, json={}, headers={"FacilityID": "999"})
        assert (unknown.status_code, unknown.json()) == (404, {"error": "Facility 999 not found"})
    # The retail-order list is the exception: without the header it serves the company as a whole, but a
    # header naming an unknown facility is still a 404.
    assert client.get(f"{V1}/retail-orders/").status_code == 200
    unknown = client.get(f"{V1}/retail-orders/", headers={"FacilityID": "999"})
    assert (unknown.status_code, unknown.json()) == (404, {"error": "Facility 999 not found"})
    assert client.get(f"{V1}/retail-orders/", headers={"FacilityID": "103"}).status_code == 404  # opt-in only
    # So is reading one order, as the vendor's plugin does with the API key alone (get_order_by_id); a header
    # is still checked when sent.
    assert client.get(f"{V1}/retail-orders/RO-000001/").json() == {"error": "Retail order RO-000001 not found"}
    unknown = client.get(f"{V1}/retail-orders/RO-000001/", headers={"FacilityID": "999"})
    assert (unknown.status_code, unknown.json()) == (404, {"error": "Facility 999 not found"})


def test_trailing_slash_is_optional_and_never_redirects(flourish: Running) -> None:
    item_id = flourish.sandbox.items()[0]["id"]
    for path in (f"{V1}/items", f"{V1}/items/", f"{V1}/items/{item_id}", f"{V1}/items/{item_id}/"):
        response = flourish.client.get(path)
        assert response.status_code == 200, path
        assert not response.history
    assert flourish.client.get("/_sandbox/health/").json() == {"ok": True}
    assert flourish.client.get("/_sandbox/health").json() == {"ok": True}


def test_unknown_routes_and_records_are_json_404s(flourish: Running) -> None:
    response = flourish.client.get(f"{V1}/no-such-thing/")
    assert (response.status_code, response.json()) == (404, {"error": "Not found"})
    response = flourish.client.get(f"{V1}/items/99999999/")
    assert (response.status_code, response.json()) == (404, {"error": "Item 99999999 not found"})


# --------------------------------------------------------------------------------------------------
# Items


def test_paging_caps_the_limit_at_50_and_walks_the_whole_catalogue_once(flourish: Running) -> None:
    first = flourish.client.get(f"{V1}/items/", params={"limit": 500})
    body = first.json()
    assert len(body["data"]) == 50
    assert body["meta"]["limit"] == 50
    assert body["meta"]["next"].startswith(f"{V1}/items/?")

    ids = [item["id"] for item in flourish.get_all(f"{V1}/items/")]
    assert len(ids) == len(set(ids)) == 200 == len(flourish.sandbox.items())
    assert ids == sorted(ids, key=int)

    last = flourish.client.get(f"{V1}/items/", params={"offset": 150, "limit": 50}).json()
    assert len(last["data"]) == 50
    assert last["meta"]["next"] is None
    assert flourish.client.get(f"{V1}/items/", params={"offset": 500}).json()["data"] == []


def test_paging_rejects_non_integer_offset_and_limit(flourish: Running) -> None:
    for params in ({"limit": "ten"}, {"offset": "x"}, {"limit": 0}, {"offset": -1}):
        response = flourish.client.get(f"{V1}/items/", params=params)
        assert response.status_code == 400
        assert response.json()["error"]


def test_store_filters_select_active_ecommerce_sellable_items(flourish: Running) -> None:
    catalogue = flourish.sandbox.items()
    shown = flourish.get_all(f"{V1}/items", active="true", ecommerce_active="true", sellable="true")
    expected = [i["id"] for i in catalogue if i["active"] and i["ecommerce_active"] and i["sellable"]]
    assert [item["id"] for item in shown] == expected
    assert all(i["active"] and i["ecommerce_active"] and i["sellable"] for i in shown)
    for flag in ("active", "ecommerce_active", "sellable"):
        hidden = flourish.get_all(f"{V1}/items", **{flag: "false"})
        assert hidden, f"the generator hides some items by {flag}"
        assert all(item[flag] is False for item in hidden)
    assert flourish.client.get(f"{V1}/items", params={"active": "yes"}).status_code == 400


def test_category_brand_and_updated_since_filters(flourish: Running) -> None:
    catalogue = flourish.sandbox.items()
    edibles = flourish.get_all(f"{V1}/items", item_category="Edibles")
    assert edibles and {i["item_category"] for i in edibles} == {"Edibles"}

    brands = sorted({i["brand"] for i in catalogue})[:2]
    branded = flourish.client.get(f"{V1}/items", params=[("brand_name", brands[0]), ("brand_name", brands[1])])
    assert {i["brand"] for i in branded.json()["data"]} <= set(brands)
    assert len(flourish.get_all(f"{V1}/items", brand_name=brands)) == sum(i["brand"] in brands for i in catalogue)

    target = catalogue[7]["id"]
    patched = flourish.client.patch(f"/_sandbox/items/{target}", json={"ecommerce_item_name": "New Name"})
    assert patched.status_code == 200
    after = patched.json()["data"]["last_updated_timestamp"]
    since = flourish.get_all(f"{V1}/items", last_updated_timestamp_start=after)
    assert [(i["id"], i["ecommerce_item_name"]) for i in since] == [(target, "New Name")]
    assert flourish.client.get(f"{V1}/items", params={"last_updated_timestamp_start": "soon"}).status_code == 400


def test_items_carry_realistic_detail_in_the_documented_shape(flourish: Running) -> None:
    items = flourish.get_all(f"{V1}/items")
    good = [i for i in items if i["id"] not in flourish.sandbox.malformed_ids]
    for item in good:
        assert isinstance(item["id"], str)
        assert item["item_category"] in {
            "Flower",
            "Pre-Rolls",
            "Vapes",
            "Edibles",
            "Concentrates",
            "Tinctures",
            "Topicals",
            "Accessories",
        }
        assert item["price"] == item["retail_price"] and item["retail_price"] > 0
        assert item["uom"] in {"ea", "g"}
        assert item["created_timestamp"].endswith("Z") and item["created_timestamp"][-5] == "."
        uoms = {c["uom"] for c in item["cannabinoids"]}
        if item["item_category"] in {"Flower", "Pre-Rolls", "Vapes", "Concentrates"}:
            assert uoms == {"%"}
        elif item["item_category"] == "Accessories":
            assert item["cannabinoids"] == [] and item["strain_type_name"] is None
        else:
            assert uoms == {"mg"}
    terpene_names = {t["name"] for i in items for t in i["terpenes"]}
    assert terpene_names & set(TERPENES)
    assert all(t["uom"] == "%" for i in items for t in i["terpenes"])
    assert any(i["price_tiers"] for i in items if i["item_category"] == "Flower")
    assert any(i["ecommerce_item_name"] is None and i["retail_display_name"] for i in good)
    assert any(i["ecommerce_sub_category_name"] for i in good)
    assert any(i["med_price"] is not None for i in good)


def test_malformed_items_are_planted_visible_and_recorded(flourish: Running) -> None:
    sandbox = flourish.sandbox
    assert len(sandbox.malformed_ids) >= 3
    assert set(sandbox.malformed.values()) == set(MALFORMED_KINDS)
    store = {
        i["id"]: i for i in flourish.get_all(f"{V1}/items", active="true", ecommerce_active="true", sellable="true")
    }
    assert sandbox.malformed_ids <= set(store)
    by_kind = {kind: store[item_id] for item_id, kind in sandbox.malformed.items()}
    nameless = by_kind["no_name"]
    assert not nameless["item_name"] and not nameless["retail_display_name"] and not nameless["ecommerce_item_name"]
    assert by_kind["price_not_numeric"]["retail_price"] == "TBD"
    assert by_kind["negative_price"]["retail_price"] < 0
    assert any(isinstance(c["value"], str) for c in by_kind["cannabinoid_not_numeric"]["cannabinoids"])


def test_item_art_returns_time_limited_links_or_204(flourish: Running) -> None:
    sandbox = flourish.sandbox
    with_art = next(i["id"] for i in sandbox.items() if i["id"] in sandbox.art)
    without_art = next(i["id"] for i in sandbox.items() if i["id"] not in sandbox.art)

    response = flourish.client.get(f"{V1}/items/{with_art}/art/", params={"expire": "8h"})
    assert response.status_code == 200
    links = response.json()["data"]
    assert set(links) == {"product", "label", "packaging"} and links["product"]
    image = httpx2.get(links["product"])  # no credentials: the link itself is the permission
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")
    expires = int(links["product"].rsplit("expires=", 1)[1])
    assert 8 * 3600 - 60 < expires - time.time() <= 8 * 3600
    expired = httpx2.get(links["product"].replace(f"expires={expires}", "expires=1000"))
    assert expired.status_code == 403

    empty = flourish.client.get(f"{V1}/items/{without_art}/art/", params={"expire": "8h"})
    assert empty.status_code == 204 and empty.content == b""
    assert flourish.client.get(f"{V1}/items/{with_art}/art/", params={"expire": "soon"}).status_code == 400


# --------------------------------------------------------------------------------------------------
# Inventory


def test_inventory_summary_is_per_facility_and_capped_at_50_ids(flourish: Running) -> None:
    sandbox = flourish.sandbox
    items = sandbox.items()
    only_101 = next(
        i["id"] for i in items[2:] if i["id"] in sandbox.stock["101"] and i["id"] not in sandbox.stock["102"]
    )
    ids = [items[0]["id"], items[1]["id"], only_101, "424242"]
    params = [("item_id", item_id) for item_id in ids]

    for facility in ("101", "102"):
        response = flourish.client.get(f"{V1}/inventory/summary/", params=params, headers={"FacilityID": facility})
        assert response.status_code == 200
        rows = {row["item_id"]: row for row in response.json()["data"]}
        assert "424242" not in rows and len(rows) == 3
        for item_id, row in rows.items():
            stocked = sandbox.stock[facility].get(item_id, {})
            assert row["sellable_qty"] == stocked.get("sellable_qty", 0)
            assert isinstance(row["sellable_qty"], int) and row["sku"]
            assert set(row) == {"item_id", "sku", "item_name", "sellable_qty", "available_qty", "non_available_qty"}
    second = flourish.client.get(f"{V1}/inventory/summary/", params=params, headers=GRAND_RAPIDS).json()["data"]
    assert {row["item_id"]: row["sellable_qty"] for row in second}[only_101] == 0

    fifty = [("item_id", i["id"]) for i in items[:50]]
    assert len(flourish.client.get(f"{V1}/inventory/summary", params=fifty, headers=ANN_ARBOR).json()["data"]) == 50
    too_many = [("item_id", i["id"]) for i in items[:51]]
    response = flourish.client.get(f"{V1}/inventory/summary", params=too_many, headers=ANN_ARBOR)
    assert response.status_code == 400 and "50" in response.json()["error"]


def test_control_route_sets_quantity_without_touching_the_item(flourish: Running) -> None:
    item = _sellable_item(flourish, "102")
    response = flourish.client.post(
        f"/_sandbox/items/{item['id']}/quantity", json={"facility_id": "102", "sellable_qty": 7}
    )
    assert response.status_code == 200
    rows = flourish.client.get(f"{V1}/inventory/summary", params={"item_id": item["id"]}, headers=GRAND_RAPIDS).json()[
        "data"
    ]
    assert (rows[0]["sellable_qty"], rows[0]["available_qty"]) == (7, 7)
    after = flourish.client.get(f"{V1}/items/{item['id']}").json()["data"]
    assert after["last_updated_timestamp"] == item["last_updated_timestamp"]


def test_control_routes_patch_and_delete_items(flourish: Running) -> None:
    item = _sellable_item(flourish)
    flourish.client.patch(f"/_sandbox/items/{item['id']}", json={"sellable": False})
    sellable_ids = {i["id"] for i in flourish.get_all(f"{V1}/items", sellable="true")}
    assert item["id"] not in sellable_ids

    assert flourish.client.delete(f"/_sandbox/items/{item['id']}").status_code == 204
    assert flourish.client.get(f"{V1}/items/{item['id']}/").status_code == 404
    assert len(flourish.get_all(f"{V1}/items")) == 199


# --------------------------------------------------------------------------------------------------
# Customers


def test_customer_lookup_by_patient_id_phone_formats_and_email(flourish: Running) -> None:
    by_patient = flourish.client.get(f"{V1}/customers/", params={"patient_id": "MED-100200"}).json()["data"]
    assert [c["id"] for c in by_patient] == ["70001"]
    for phone in ("(555) 000-1111", "555-000-1111", "+15550001111", "5550001111"):
        found = flourish.client.get(f"{V1}/customers", params={"phone_number": phone}).json()["data"]
        assert [c["id"] for c in found] == ["70001"], phone
    by_email = flourish.client.get(f"{V1}/customers", params={"email": "Casey@Example.com"}).json()["data"]
    assert [(c["id"], c["patient_id"]) for c in by_email] == [("70002", None)]
    # Seeded customers store phones in assorted formats; the lookup still matches on digits.
    formatted = next(c for c in flourish.sandbox.customers() if not c["phone"].isdigit())
    digits = "".join(ch for ch in formatted["phone"] if ch.isdigit())[-10:]
    found = flourish.client.get(f"{V1}/customers", params={"phone_number": digits}).json()["data"]
    assert formatted["id"] in [c["id"] for c in found]

    one = flourish.client.get(f"{V1}/customers/70001/").json()["data"]
    assert one["first_name"] == "Jordan" and one["dob"] == "1985-04-12"


def test_customer_lookup_without_a_match_is_an_empty_page(flourish: Running) -> None:
    body = flourish.client.get(f"{V1}/customers", params={"email": "nobody@example.com"}).json()
    assert body == {"data": [], "meta": {"offset": 0, "limit": 50, "next": None}}
    assert flourish.client.get(f"{V1}/customers/123/").status_code == 404


def test_create_customer_requires_a_dob(flourish: Running) -> None:
    new = {
        "first_name": "Pat",
        "last_name": "Lee",
        "dob": "1990-02-03",
        "email": "pat.lee@example.com",
        "phone": "(555) 123-4567",
        "is_verified": False,
        "address": [{"address_line_1": "1 Main St", "city": "Ann Arbor", "state": "MI", "postcode": "48104"}],
    }
    created = flourish.client.post(f"{V1}/customers/", json=new)
    assert created.status_code == 201
    customer = created.json()["data"]
    assert customer["id"] and customer["email"] == "pat.lee@example.com"
    found = flourish.client.get(f"{V1}/customers", params={"phone_number": "5551234567"}).json()["data"]
    assert [c["id"] for c in found] == [customer["id"]]

    for dob in (None, "03/02/1990", "1990-02-30"):
        body = {**new, "dob": dob} if dob else {k: v for k, v in new.items() if k != "dob"}
        response = flourish.client.post(f"{V1}/customers", json=body)
        assert (response.status_code, response.json()) == (422, {"error": "dob is required (YYYY-MM-DD)"})


# --------------------------------------------------------------------------------------------------
# Retail orders


def test_create_order_then_read_it_back(flourish: Running) -> None:
    order = _create_order(flourish, notes="Leave at counter")
    assert order["id"] == "RO-000001"
    assert (order["order_status"], order["facility_id"], order["order_origin"]) == ("Submitted", "101", "Online")
    assert order["order_lines"][0]["line_total"] == 50.0
    assert (order["subtotal"], order["total_discounts"], order["total"]) == (50.0, 0.0, 50.0)
    assert order["created_timestamp"].endswith("Z") and order["submitted_timestamp"]

    read = flourish.client.get(f"{V1}/retail-orders/{order['id']}/", headers=ANN_ARBOR)
    assert read.json()["data"] == order
    assert flourish.client.get(f"{V1}/retail-orders/{order['id']}", headers=GRAND_RAPIDS).status_code == 404
    listed = flourish.client.get(f"{V1}/retail-orders", params={"original_order_id": "WEB-1001"}, headers=ANN_ARBOR)
    assert [o["id"] for o in listed.json()["data"]] == [order["id"]]
    by_status = flourish.client.get(f"{V1}/retail-orders", params={"order_status": "submitted"}, headers=ANN_ARBOR)
    assert [o["id"] for o in by_status.json()["data"]] == [order["id"]]
    other = flourish.client.get(f"{V1}/retail-orders", headers=GRAND_RAPIDS)
    assert other.json()["data"] == []


def test_created_status_and_delivery_orders(flourish: Running) -> None:
    assert _create_order(flourish, order_status="CREATED")["order_status"] == "Created"
    delivery = _create_order(
        flourish,
        fulfillment_type="delivery",
        delivery_fee=5.0,
        delivery_address={"address_line_1": "9 Elm St", "city": "Ann Arbor", "state": "MI", "postcode": "48103"},
    )
    assert (delivery["fulfillment_type"], delivery["total"]) == ("delivery", 55.0)


def test_order_validation_names_the_problem(flourish: Running) -> None:
    item = _sellable_item(flourish)
    cases = [
        ({"order_lines": [{"item_id": "424242", "order_qty": 1, "unit_price": 1.0}]}, "424242"),
        ({"customer_id": "99"}, "Customer 99"),
        ({"order_status": "Packed"}, "order_status"),
        ({"fulfillment_type": "delivery"}, "delivery_address"),
        ({"order_lines": []}, "order_lines"),
        ({"order_lines": [{"item_id": item["id"], "order_qty": 0, "unit_price": 1.0}]}, "order_qty"),
        ({"original_order_id": None}, "original_order_id"),
    ]
    for override, fragment in cases:
        response = flourish.client.post(
            f"{V2}/retail-orders", json=_order_body(item["id"], **override), headers=ANN_ARBOR
        )
        assert response.status_code == 422, override
        assert fragment in response.json()["error"], (override, response.json())
    assert flourish.sandbox.orders() == []


def test_duplicate_original_order_id_is_just_another_order(flourish: Running) -> None:
    first, second = _create_order(flourish), _create_order(flourish)
    assert first["id"] != second["id"]
    listed = flourish.client.get(f"{V1}/retail-orders", params={"original_order_id": "WEB-1001"}, headers=ANN_ARBOR)
    assert len(listed.json()["data"]) == 2


def test_put_replaces_editable_fields_only_while_created_or_submitted(flourish: Running) -> None:
    order = _create_order(flourish)
    path = f"{V1}/retail-orders/{order['id']}/"
    item = _sellable_item(flourish)
    body = _order_body(
        item["id"], notes="changed", order_lines=[{"item_id": item["id"], "order_qty": 3, "unit_price": 20.0}]
    )

    replaced = flourish.client.put(path, json=body, headers=ANN_ARBOR)
    assert replaced.status_code == 200
    data = replaced.json()["data"]
    assert (data["notes"], data["total"], data["order_status"], data["id"]) == (
        "changed",
        60.0,
        "Submitted",
        order["id"],
    )

    changed_status = flourish.client.put(path, json={**body, "order_status": "Created"}, headers=ANN_ARBOR)
    assert changed_status.status_code == 422
    assert changed_status.json() == {"error": "order_status cannot be changed through the API"}
    assert flourish.client.put(path, json={**body, "order_status": "Packed"}, headers=ANN_ARBOR).status_code == 422

    assert (
        flourish.client.post(
            f"/_sandbox/retail-orders/{order['id']}/status", json={"order_status": "Packed"}
        ).status_code
        == 200
    )
    locked = flourish.client.put(path, json=body, headers=ANN_ARBOR)
    assert locked.status_code == 409
    assert locked.json() == {"error": f"Order {order['id']} is Packed; only Created or Submitted orders can be updated"}


def test_applied_discounts_are_double_counted_like_flourish(flourish: Running) -> None:
    """The quirk the vendor plugin warns about: applied_discounts come off the lines AND the order."""
    items = [i for i in flourish.sandbox.items() if i["id"] not in flourish.sandbox.malformed_ids]
    a, b = items[0]["id"], items[1]["id"]
    discount = {"discount_id": 4, "discount_name": "Custom Line Dollar Discount", "discount_amount": 5.0, "item_id": a}
    true_total = 2 * 20.0 + 10.0 - 5.0

    naive = _create_order(
        flourish,
        order_lines=[
            {"item_id": a, "order_qty": 2, "unit_price": 20.0},
            {"item_id": b, "order_qty": 1, "unit_price": 10.0},
        ],
        applied_discounts=[discount],
    )
    assert naive["subtotal"] == 50.0 and naive["total_discounts"] == 5.0
    assert naive["order_lines"][0]["net_line_total"] == 35.0
    assert naive["total"] == true_total - 5.0

    post_discount = _create_order(
        flourish,
        order_lines=[
            {"item_id": a, "order_qty": 2, "unit_price": 17.5},
            {"item_id": b, "order_qty": 1, "unit_price": 10.0},
        ],
    )
    assert post_discount["total"] == true_total

    # An order-level discount (no item_id) is spread over the lines by their totals, then counted again.
    spread = _create_order(
        flourish,
        order_lines=[
            {"item_id": a, "order_qty": 2, "unit_price": 20.0},
            {"item_id": b, "order_qty": 1, "unit_price": 10.0},
        ],
        applied_discounts=[{**discount, "discount_amount": 6.0, "item_id": None}],
    )
    assert [line["line_discount"] for line in spread["order_lines"]] == [4.8, 1.2]
    assert spread["total"] == 50.0 - 6.0 - 6.0


def test_status_moves_follow_the_machine(flourish: Running) -> None:
    order = _create_order(flourish)
    move = f"/_sandbox/retail-orders/{order['id']}/status"
    for status in ("Packed", "Out for Delivery", "Completed"):
        response = flourish.client.post(move, json={"order_status": status})
        assert response.status_code == 200, response.text
    done = flourish.client.get(f"{V1}/retail-orders/{order['id']}", headers=ANN_ARBOR).json()["data"]
    assert done["order_status"] == "Completed"
    assert done["packed_timestamp"] and done["out_for_delivery_timestamp"] and done["completed_timestamp"]
    for status in ("Packed", "Cancelled"):
        response = flourish.client.post(move, json={"order_status": status})
        assert response.status_code == 409 and "Completed" in response.json()["error"]

    backwards = _create_order(flourish)
    flourish.client.post(f"/_sandbox/retail-orders/{backwards['id']}/status", json={"order_status": "Packed"})
    response = flourish.client.post(
        f"/_sandbox/retail-orders/{backwards['id']}/status", json={"order_status": "Submitted"}
    )
    assert response.status_code == 409
    cancelled = flourish.client.post(
        f"/_sandbox/retail-orders/{backwards['id']}/status", json={"order_status": "Cancelled"}
    )
    assert cancelled.json()["data"]["cancelled_timestamp"]
    all_orders = flourish.client.get("/_sandbox/retail-orders").json()["data"]
    assert [o["order_status"] for o in all_orders] == ["Completed", "Cancelled"]


# --------------------------------------------------------------------------------------------------
# Faults and request counts


def test_injected_status_faults_fire_count_times_with_optional_retry_after(flourish: Running) -> None:
    fault = {"method": "GET", "path_prefix": f"{V1}/items", "status": 429, "count": 2, "retry_after": 3}
    assert flourish.client.post("/_sandbox/faults", json=fault).status_code == 201
    for _ in range(2):
        response = flourish.client.get(f"{V1}/items/")
        assert (response.status_code, response.json()) == (429, {"error": "Injected fault"})
        assert response.headers["Retry-After"] == "3"
    assert flourish.client.get(f"{V1}/items/").status_code == 200

    flourish.client.post("/_sandbox/faults", json={"path_prefix": f"{V2}/retail-orders", "status": 503})
    assert flourish.client.get(f"{V1}/items/").status_code == 200  # other paths are unaffected
    item = _sellable_item(flourish)
    failed = flourish.client.post(f"{V2}/retail-orders/", json=_order_body(item["id"]), headers=ANN_ARBOR)
    assert failed.status_code == 503 and "Retry-After" not in failed.headers
    assert flourish.sandbox.orders() == []

    flourish.client.post("/_sandbox/faults", json={"status": 500, "count": 5})
    assert flourish.client.delete("/_sandbox/faults").status_code == 204
    assert flourish.client.get(f"{V1}/items/").status_code == 200


def test_timeout_after_commit_creates_the_order_although_the_client_times_out(flourish: Running) -> None:
    fault = {
        "mode": "timeout_after_commit",
        "delay_seconds": 1.5,
        "method": "POST",
        "path_prefix": f"{V2}/retail-orders",
    }
    flourish.client.post("/_sandbox/faults", json=fault)
    item = _sellable_item(flourish)
    with pytest.raises(httpx2.TimeoutException):
        flourish.client.post(f"{V2}/retail-orders/", json=_order_body(item["id"]), headers=ANN_ARBOR, timeout=0.3)
    # Flourish committed: a lookup by original_order_id (what the hub must do before retrying) finds it.
    found = flourish.client.get(f"{V1}/retail-orders", params={"original_order_id": "WEB-1001"}, headers=ANN_ARBOR)
    assert len(found.json()["data"]) == 1
    assert flourish.client.get("/_sandbox/requests").json()[f"POST {V2}/retail-orders/"] == 1


def test_delay_fault_slows_the_request_before_processing(flourish: Running) -> None:
    flourish.client.post(
        "/_sandbox/faults", json={"mode": "delay", "delay_seconds": 0.3, "path_prefix": f"{V1}/facilities"}
    )
    started = time.monotonic()
    assert flourish.client.get(f"{V1}/facilities").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_request_counts_are_kept_per_route_template(flourish: Running) -> None:
    flourish.get_all(f"{V1}/items")
    flourish.client.get(f"{V1}/items/10001")
    flourish.client.get(f"{V1}/items/10002/")
    flourish.client.get(f"{V1}/facilities", headers={"x-api-key": "nope"})
    _create_order(flourish)
    counts = flourish.client.get("/_sandbox/requests").json()
    assert counts[f"GET {V1}/items/"] == 4
    assert counts[f"GET {V1}/items/{{item_id}}/"] == 2
    assert counts[f"GET {V1}/facilities/"] == 1
    assert counts[f"POST {V2}/retail-orders/"] == 1
    assert not any(key.startswith(("GET /_sandbox/requests", "POST /_sandbox/faults")) for key in counts)
    assert flourish.client.delete("/_sandbox/requests").status_code == 204
    assert flourish.client.get("/_sandbox/requests").json() == {}


# --------------------------------------------------------------------------------------------------
# Determinism


def test_same_seed_same_catalogue_different_seed_different(start: Callable[..., Running]) -> None:
    def snapshot(seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
        running = start(items=120, seed=seed)
        customers = running.client.get("/_sandbox/customers").json()["data"]
        return running.get_all(f"{V1}/items"), customers, running.sandbox.malformed

    one, again, other = snapshot(7), snapshot(7), snapshot(8)
    assert one == again
    assert one[0] != other[0] and one[1] != other[1]
    for _, customers, _ in (one, other):
        assert {"70001", "70002"} <= {c["id"] for c in customers}


def test_a_large_catalogue_is_built() -> None:
    sandbox = FlourishSandbox(items=10_000, seed=3)
    assert len(sandbox.items()) == 10_000 and len(sandbox.malformed_ids) == 100


# --------------------------------------------------------------------------------------------------
# Loyalty data: customers' home facility and state, incremental pulls, PUT


AS_OF = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
ORDER_FIELDS = {
    "id",
    "facility_id",
    "customer_id",
    "order_status",
    "order_origin",
    "order_lines",
    "applied_discounts",
    "subtotal",
    "total_discounts",
    "total",
    "completed_timestamp",
    "created_timestamp",
    "last_updated_timestamp",
}


def _stamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_customers_carry_a_home_facility_and_a_state(flourish: Running) -> None:
    customers = flourish.get_all(f"{V1}/customers/")
    assert len(customers) == 20 and all("facility_id" in c and "state" in c for c in customers)
    homes = Counter(c["facility_id"] for c in customers)
    assert homes["101"] and homes["102"] and 1 <= homes[None] <= 4
    assert set(homes) == {"101", "102", None}
    states = Counter(c["state"] for c in customers)
    assert set(states) == {"MI", "OH"} and 1 <= states["OH"] <= 4
    assert all(re.fullmatch(r"[A-Z]{2}", c["state"]) for c in customers)
    known = {c["id"]: c["facility_id"] for c in customers if c["id"] in ("70001", "70002")}
    assert known == {"70001": "101", "70002": "102"}
    ohio = flourish.get_all(f"{V1}/customers/", state="oh")
    assert [c["id"] for c in ohio] == [c["id"] for c in customers if c["state"] == "OH"]


def test_customers_can_be_pulled_incrementally_by_last_update(
    flourish: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    everyone = flourish.get_all(f"{V1}/customers/", order_by="last_updated_timestamp", limit=7)
    keys = [(c["last_updated_timestamp"], int(c["id"])) for c in everyone]
    assert keys == sorted(keys) and len(everyone) == 20
    assert [c["id"] for c in flourish.get_all(f"{V1}/customers/")] == [str(70001 + n) for n in range(20)]
    first_page = flourish.client.get(f"{V1}/customers/", params={"order_by": "last_updated_timestamp", "limit": 7})
    assert "order_by=last_updated_timestamp" in first_page.json()["meta"]["next"]

    # Two staff edits in the same millisecond tie; ties come out by id.
    cursor = max(c["last_updated_timestamp"] for c in everyone)
    same_moment = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    monkeypatch.setattr(kit_values, "now", lambda: same_moment)  # the sandboxes' clock
    for customer_id in ("70009", "70004"):
        edited = flourish.client.patch(f"/_sandbox/customers/{customer_id}", json={"email": f"{customer_id}@x.io"})
        assert edited.status_code == 200
        assert edited.json()["data"]["last_updated_timestamp"] == "2030-01-02T03:04:05.678Z"
    monkeypatch.undo()
    put = flourish.client.put(f"{V1}/customers/70002/", json={"phone": "5550009999"})
    assert put.status_code == 200

    changed = flourish.get_all(
        f"{V1}/customers/", order_by="last_updated_timestamp", last_updated_timestamp_start=cursor
    )
    at_cursor = [c["id"] for c in everyone if c["last_updated_timestamp"] == cursor]  # inclusive start
    assert [c["id"] for c in changed] == [*at_cursor, "70002", "70004", "70009"]  # the 2030 tie comes by id
    # Inclusive bounds; a date alone is midnight UTC.
    exactly = flourish.get_all(
        f"{V1}/customers/",
        last_updated_timestamp_start="2030-01-02T03:04:05.678Z",
        last_updated_timestamp_end="2030-01-02T03:04:05.678Z",
    )
    assert [c["id"] for c in exactly] == ["70004", "70009"]
    assert flourish.get_all(f"{V1}/customers/", last_updated_timestamp_end="2030-01-02") == [
        c for c in flourish.get_all(f"{V1}/customers/") if c["last_updated_timestamp"] < "2030-01-02"
    ]
    for params in ({"order_by": "name"}, {"last_updated_timestamp_start": "yesterday"}):
        response = flourish.client.get(f"{V1}/customers/", params=params)
        assert response.status_code == 400 and response.json()["error"]


def test_put_customer_updates_the_given_fields_and_bumps_last_updated(flourish: Running) -> None:
    before = flourish.client.get(f"{V1}/customers/70002/").json()["data"]
    changes = {
        "first_name": "Cassie",
        "email": "cassie.morgan@example.com",
        "phone": "(555) 444-3333",
        "dob": "1992-10-01",
        "state": "OH",
        "patient_id": "MED-777",
        "is_verified": False,
        "facility_id": "101",  # read-only through the API: ignored
        "id": "1",  # ignored
    }
    response = flourish.client.put(f"{V1}/customers/70002", json=changes)
    assert response.status_code == 200
    after = response.json()["data"]
    assert set(response.json()) == {"data"}
    assert (after["first_name"], after["email"], after["dob"], after["state"], after["is_verified"]) == (
        "Cassie",
        "cassie.morgan@example.com",
        "1992-10-01",
        "OH",
        False,
    )
    assert (after["id"], after["last_name"], after["facility_id"]) == ("70002", "Morgan", "102")
    assert after["created_timestamp"] == before["created_timestamp"]
    assert after["last_updated_timestamp"] > before["last_updated_timestamp"]
    assert flourish.client.get(f"{V1}/customers/70002/").json()["data"] == after
    found = flourish.client.get(f"{V1}/customers/", params={"phone_number": "5554443333"}).json()["data"]
    assert [c["id"] for c in found] == ["70002"]

    again = flourish.client.put(f"{V1}/customers/70002/", json={}).json()["data"]  # a save that changes nothing
    assert again["last_updated_timestamp"] > after["last_updated_timestamp"]

    unknown = flourish.client.put(f"{V1}/customers/123/", json={"dob": "bad"})
    assert (unknown.status_code, unknown.json()) == (404, {"error": "Customer 123 not found"})
    for body in ({"dob": "1992-02-30"}, {"dob": "30/09/1992"}, {"dob": None}):
        bad = flourish.client.put(f"{V1}/customers/70002/", json=body)
        assert (bad.status_code, bad.json()) == (422, {"error": "dob must be YYYY-MM-DD"}), body
    for body, fragment in (({"first_name": ""}, "first_name"), ({"is_verified": "yes"}, "is_verified")):
        bad = flourish.client.put(f"{V1}/customers/70002/", json=body)
        assert bad.status_code == 422 and fragment in bad.json()["error"]
    assert flourish.client.get(f"{V1}/customers/70002/").json()["data"] == again
    counts = flourish.client.get("/_sandbox/requests").json()
    assert counts[f"PUT {V1}/customers/{{customer_id}}/"] == 8


def test_api_created_customers_take_the_facility_header_if_sent(flourish: Running) -> None:
    body = {"first_name": "Pat", "last_name": "Lee", "dob": "1990-02-03"}
    plain = flourish.client.post(f"{V1}/customers/", json=body).json()["data"]
    assert plain["facility_id"] is None
    at_102 = flourish.client.post(f"{V1}/customers/", json=body, headers=GRAND_RAPIDS).json()["data"]
    assert at_102["facility_id"] == "102"
    unknown = flourish.client.post(f"{V1}/customers/", json=body, headers={"FacilityID": "999"})
    assert unknown.status_code == 404


# --------------------------------------------------------------------------------------------------
# Loyalty data: sales history, retail discounts, control routes


def test_seeded_sales_history_is_completed_in_store_and_recent(start: Callable[..., Running]) -> None:
    running = start(items=200, seed=1, sales=30, as_of=AS_OF)
    sales = running.get_all(f"{V1}/retail-orders/")
    assert len(sales) == 30
    assert [s["id"] for s in sales] == [f"RO-{n:06d}" for n in range(1, 31)]
    assert [s["completed_timestamp"] for s in sales] == sorted(s["completed_timestamp"] for s in sales)
    assert {s["facility_id"] for s in sales} == {"101", "102"}
    assert [(s["customer_id"], s["facility_id"]) for s in sales if s["customer_id"] in ("70001", "70002")]
    customers = {c["id"] for c in running.sandbox.customers()}
    discounts = {d["id"]: d for d in running.sandbox.discounts()}
    items = {i["id"]: i for i in running.sandbox.items()}
    for sale in sales:
        assert set(sale) >= ORDER_FIELDS
        assert (sale["order_status"], sale["order_origin"], sale["fulfillment_type"]) == (
            "Completed",
            "Flourish",
            "in-store",
        )
        assert sale["customer_id"] in customers and sale["original_order_id"] is None
        assert AS_OF - timedelta(days=60) <= _stamp(sale["completed_timestamp"]) < AS_OF
        assert sale["created_timestamp"] == sale["completed_timestamp"] == sale["last_updated_timestamp"]
        for line in sale["order_lines"]:
            assert line["item_id"] in running.sandbox.stock[sale["facility_id"]]
            assert line["sku"] == items[line["item_id"]]["sku"] and line["item_id"] not in running.sandbox.malformed
            assert line["line_total"] == round(line["order_qty"] * line["unit_price"], 2)
        for applied in sale["applied_discounts"]:
            discount = discounts[applied["discount_id"]]
            assert discount["facility_id"] == sale["facility_id"] and discount["start_time"] is None
            assert applied["discount_name"] == discount["discount_name"]
        # Discounts come off once at the counter (no double counting on in-store sales).
        assert sale["total"] == round(sale["subtotal"] - sale["total_discounts"], 2)
        assert sale["total_discounts"] == round(sum(d["discount_amount"] for d in sale["applied_discounts"]), 2)
    with_discount = [s for s in sales if s["applied_discounts"]]
    assert 3 <= len(with_discount) <= 20
    assert all(s["total_discounts"] > 0 for s in with_discount)

    # Deterministic per seed; only the timestamps follow as_of.
    again = start(items=200, seed=1, sales=30, as_of=AS_OF).get_all(f"{V1}/retail-orders/")
    assert again == sales
    later = start(items=200, seed=1, sales=30, as_of=AS_OF + timedelta(days=3)).get_all(f"{V1}/retail-orders/")
    assert [_stamp(s["completed_timestamp"]) - timedelta(days=3) for s in later] == [
        _stamp(s["completed_timestamp"]) for s in sales
    ]
    strip = ("completed_timestamp", "created_timestamp", "last_updated_timestamp", "order_timestamp")
    strip += ("submitted_timestamp",)
    assert [{k: v for k, v in s.items() if k not in strip} for s in later] == [
        {k: v for k, v in s.items() if k not in strip} for s in sales
    ]
    other_seed = start(items=200, seed=2, sales=30, as_of=AS_OF).get_all(f"{V1}/retail-orders/")
    assert [s["order_lines"] for s in other_seed] != [s["order_lines"] for s in sales]


def test_without_sales_the_order_book_starts_empty(flourish: Running) -> None:
    assert flourish.sandbox.orders() == []
    assert _create_order(flourish)["id"] == "RO-000001"


def test_retail_orders_list_the_company_without_a_facility_and_filter_by_completion(
    start: Callable[..., Running],
) -> None:
    running = start(items=200, seed=1, sales=30, as_of=AS_OF)
    online = _create_order(running)  # RO-000031, Submitted at 101
    company = running.get_all(f"{V1}/retail-orders/")
    assert len(company) == 31 and company[-1]["id"] == online["id"] == "RO-000031"
    by_facility = {f: running.get_all(f"{V1}/retail-orders/", headers={"FacilityID": f}) for f in ("101", "102")}
    assert {o["id"] for o in by_facility["101"]} | {o["id"] for o in by_facility["102"]} == {o["id"] for o in company}
    assert all(o["facility_id"] == "102" for o in by_facility["102"])

    completed = running.get_all(f"{V1}/retail-orders/", order_status="completed")
    assert [o["id"] for o in completed] == [o["id"] for o in company[:30]]
    assert [o["id"] for o in running.get_all(f"{V1}/retail-orders/", order_origin="online")] == ["RO-000031"]

    stamps = [o["completed_timestamp"] for o in completed]
    middle = stamps[10]
    since = running.get_all(f"{V1}/retail-orders/", completed_timestamp_start=middle)
    assert [o["completed_timestamp"] for o in since] == stamps[10:]  # inclusive; never-completed left out
    until = running.get_all(f"{V1}/retail-orders/", completed_timestamp_end=middle)
    assert [o["completed_timestamp"] for o in until] == stamps[:11]
    window = running.get_all(
        f"{V1}/retail-orders/",
        completed_timestamp_start=stamps[3],
        completed_timestamp_end=stamps[5],
        headers=ANN_ARBOR,
    )
    assert [o["id"] for o in window] == [o["id"] for o in completed[3:6] if o["facility_id"] == "101"]
    day = _stamp(stamps[0]).date().isoformat()
    assert running.get_all(f"{V1}/retail-orders/", completed_timestamp_end=day) == []  # midnight UTC
    bad = running.client.get(f"{V1}/retail-orders/", params={"completed_timestamp_start": "last week"})
    assert bad.status_code == 400
    # The single-order route finds an order of any facility without the header (as the vendor's plugin reads
    # it), and only that facility's with it.
    sale = running.client.get(f"{V1}/retail-orders/RO-000001/").json()["data"]
    other = {"101": "102", "102": "101", "103": "101"}[sale["facility_id"]]
    assert running.client.get(f"{V1}/retail-orders/RO-000001/", headers={"FacilityID": other}).status_code == 404


def test_retail_discounts_are_listed_per_facility(flourish: Running) -> None:
    at_101 = flourish.get_all(f"{V1}/retail-discounts/", headers=ANN_ARBOR)
    at_102 = flourish.get_all(f"{V1}/retail-discounts", headers=GRAND_RAPIDS)
    assert [d["id"] for d in at_101] == [str(n) for n in range(501, 507)]
    assert [d["id"] for d in at_102] == [str(n) for n in range(507, 513)]
    assert [d["discount_name"] for d in at_101] == [d["discount_name"] for d in at_102]
    names = {d["discount_name"]: d for d in at_101}
    assert (names["Loyalty $5 Off"]["discount_type"], names["Loyalty $5 Off"]["discount_value"]) == ("Dollar", 5.0)
    assert (names["Loyalty 10% Off"]["discount_type"], names["Loyalty 10% Off"]["discount_value"]) == ("Percent", 10)
    assert (names["Happy Hour 15% Off"]["start_time"], names["Happy Hour 15% Off"]["end_time"]) == ("16:00", "18:00")
    for discount in at_101 + at_102:
        assert set(discount) == {
            "id",
            "discount_name",
            "discount_type",
            "discount_value",
            "start_date",
            "end_date",
            "start_date_time",
            "end_date_time",
            "start_time",
            "end_time",
            "ecommerce_eligible",
            "facility_id",
        }
        assert isinstance(discount["id"], str) and discount["discount_type"] in ("Percent", "Dollar")
        assert isinstance(discount["ecommerce_eligible"], bool)
    online = flourish.get_all(f"{V1}/retail-discounts/", ecommerce_eligible="true", headers=ANN_ARBOR)
    assert online and all(d["ecommerce_eligible"] for d in online) and len(online) < len(at_101)
    page = flourish.client.get(f"{V1}/retail-discounts/", params={"limit": 4}, headers=ANN_ARBOR).json()
    assert len(page["data"]) == 4 and page["meta"]["next"]

    one = flourish.client.get(f"{V1}/retail-discounts/502/", headers=ANN_ARBOR)
    assert one.json() == {"data": names["Loyalty 10% Off"]}
    elsewhere = flourish.client.get(f"{V1}/retail-discounts/502/", headers=GRAND_RAPIDS)
    assert (elsewhere.status_code, elsewhere.json()) == (404, {"error": "Retail discount 502 not found"})
    assert flourish.client.get(f"{V1}/retail-discounts/9999", headers=ANN_ARBOR).status_code == 404


def test_control_sales_compute_totals_once(flourish: Running) -> None:
    items = [
        i
        for i in flourish.sandbox.items()
        if i["id"] not in flourish.sandbox.malformed_ids and i["id"] in flourish.sandbox.stock["101"]
    ]
    a, b = items[0], items[1]
    body = {
        "facility_id": "101",
        "customer_id": "70002",
        "lines": [
            {"item_id": a["id"], "order_qty": 2, "unit_price": 20.0},
            {"item_id": int(b["id"]), "order_qty": 1, "unit_price": 10.0},
        ],
        "applied_discounts": [{"discount_id": "501"}, {"discount_id": 502}],  # $5, then 10% of 50
        "completed_at": "2026-02-20T18:30:00Z",
    }
    response = flourish.client.post("/_sandbox/sales", json=body)
    assert response.status_code == 201, response.text
    sale = response.json()["data"]
    assert (sale["order_status"], sale["order_origin"], sale["facility_id"], sale["customer_id"]) == (
        "Completed",
        "Flourish",
        "101",
        "70002",
    )
    assert sale["completed_timestamp"] == "2026-02-20T18:30:00.000Z"
    assert [(d["discount_id"], d["discount_name"], d["discount_amount"]) for d in sale["applied_discounts"]] == [
        ("501", "Loyalty $5 Off", 5.0),
        ("502", "Loyalty 10% Off", 5.0),
    ]
    assert (sale["subtotal"], sale["total_discounts"], sale["total"]) == (50.0, 10.0, 40.0)
    assert sum(line["net_line_total"] for line in sale["order_lines"]) == 40.0
    assert sale["order_lines"][1]["sku"] == b["sku"]
    read = flourish.client.get(f"{V1}/retail-orders/{sale['id']}/", headers=ANN_ARBOR).json()["data"]
    assert read == sale

    # The same basket pushed through the API with naive applied_discounts comes out short (double counting).
    naive = _create_order(
        flourish,
        order_lines=body["lines"],
        applied_discounts=[{"discount_id": 4, "discount_name": "Custom", "discount_amount": 10.0}],
    )
    assert naive["total"] == 30.0

    # Defaults: anonymous walk-in, quantity 1, the item's retail price, now; an explicit amount is kept.
    walk_in = flourish.client.post(
        "/_sandbox/sales",
        json={"facility_id": 101, "lines": [{"item_id": a["id"]}], "applied_discounts": [{"discount_id": "503"}]},
    ).json()["data"]
    assert walk_in["customer_id"] is None and walk_in["order_lines"][0]["unit_price"] == a["retail_price"]
    assert walk_in["applied_discounts"][0]["discount_amount"] == min(20.0, a["retail_price"])  # capped
    assert walk_in["total"] == round(a["retail_price"] - min(20.0, a["retail_price"]), 2)
    assert _stamp(walk_in["completed_timestamp"]) > datetime.now(UTC) - timedelta(minutes=1)
    explicit = dict(body, applied_discounts=[{"discount_id": "501", "discount_amount": 2.5, "item_id": a["id"]}])
    targeted = flourish.client.post("/_sandbox/sales", json=explicit).json()["data"]
    assert [line["line_discount"] for line in targeted["order_lines"]] == [2.5, 0.0] and targeted["total"] == 47.5

    listed = flourish.get_all(f"{V1}/retail-orders/", order_origin="Flourish")
    assert [o["id"] for o in listed] == [sale["id"], walk_in["id"], targeted["id"]]

    bad_cases = [
        ({"facility_id": "999"}, 404, "Facility 999"),
        ({"customer_id": "12"}, 422, "Customer 12"),
        ({"lines": [{"item_id": "424242"}]}, 422, "424242"),
        ({"lines": []}, 422, "lines"),
        ({"lines": [{"item_id": a["id"], "order_qty": 0}]}, 422, "order_qty"),
        ({"applied_discounts": [{"discount_id": "507"}]}, 422, "facility 102"),
        ({"applied_discounts": [{"discount_id": "9999"}]}, 422, "9999"),
        ({"applied_discounts": [{"discount_id": "501", "item_id": "10"}]}, 422, "not on the sale"),
        ({"completed_at": "yesterday"}, 422, "completed_at"),
    ]
    count = len(flourish.sandbox.orders())
    for override, status, fragment in bad_cases:
        response = flourish.client.post("/_sandbox/sales", json={**body, **override})
        assert response.status_code == status, override
        assert fragment in response.json()["error"], (override, response.json())
    assert len(flourish.sandbox.orders()) == count


def test_control_routes_for_counter_customers_and_discounts(flourish: Running) -> None:
    new = {"first_name": "Lee", "last_name": "Park", "dob": "1988-05-06", "phone": "5556667777", "facility_id": "102"}
    created = flourish.client.post("/_sandbox/customers", json=new)
    assert created.status_code == 201
    customer = created.json()["data"]
    assert (customer["id"], customer["facility_id"]) == ("70021", "102")
    assert flourish.client.get(f"{V1}/customers/70021/").json()["data"] == customer
    assert flourish.client.post("/_sandbox/customers", json={**new, "facility_id": "999"}).status_code == 404
    assert flourish.client.post("/_sandbox/customers", json={**new, "dob": None}).status_code == 422

    edited = flourish.client.patch("/_sandbox/customers/70021", json={"last_name": "Parker", "facility_id": "101"})
    assert edited.status_code == 200
    data = edited.json()["data"]
    assert (data["last_name"], data["facility_id"], data["phone"]) == ("Parker", "101", "5556667777")
    assert data["last_updated_timestamp"] > customer["last_updated_timestamp"]
    assert flourish.client.patch("/_sandbox/customers/70021", json={"dob": "x"}).status_code == 422
    assert flourish.client.patch("/_sandbox/customers/1", json={}).status_code == 404
    assert flourish.client.patch("/_sandbox/customers/70021", json={"facility_id": "999"}).status_code == 404

    discount = {
        "facility_id": "102",
        "discount_name": "Loyalty $15 Off",
        "discount_type": "dollar",
        "discount_value": 15,
        "start_date": "2026-01-01",
    }
    response = flourish.client.post("/_sandbox/retail-discounts", json=discount)
    assert response.status_code == 201
    made = response.json()["data"]
    assert (made["id"], made["discount_type"], made["ecommerce_eligible"], made["end_date"]) == (
        "513",
        "Dollar",
        False,
        None,
    )
    assert made["start_date_time"] == "2026-01-01T00:00:00.000Z"
    listed = flourish.get_all(f"{V1}/retail-discounts/", headers=GRAND_RAPIDS)
    assert listed[-1] == made
    for override, fragment in (
        ({"discount_type": "BOGO"}, "discount_type"),
        ({"discount_type": "Percent", "discount_value": 120}, "discount_value"),
        ({"discount_value": 0}, "discount_value"),
        ({"start_time": "25:00"}, "start_time"),
        ({"end_date": "2026-13-01"}, "end_date"),
        ({"discount_name": ""}, "discount_name"),
    ):
        bad = flourish.client.post("/_sandbox/retail-discounts", json={**discount, **override})
        assert bad.status_code == 422 and fragment in bad.json()["error"], override
    assert flourish.client.post("/_sandbox/retail-discounts", json={**discount, "facility_id": "7"}).status_code == 404

    item = _sellable_item(flourish, "102")
    sale = flourish.client.post(
        "/_sandbox/sales",
        json={"facility_id": "102", "lines": [{"item_id": item["id"]}], "applied_discounts": [{"discount_id": "513"}]},
    ).json()["data"]
    assert flourish.client.delete("/_sandbox/retail-discounts/513").status_code == 204
    assert flourish.client.get(f"{V1}/retail-discounts/513/", headers=GRAND_RAPIDS).status_code == 404
    assert flourish.client.delete("/_sandbox/retail-discounts/513").status_code == 404
    kept = flourish.client.get(f"{V1}/retail-orders/{sale['id']}/", headers=GRAND_RAPIDS).json()["data"]
    assert kept["applied_discounts"] == sale["applied_discounts"]  # past sales keep what they used
    again = flourish.client.post(
        "/_sandbox/sales",
        json={"facility_id": "102", "lines": [{"item_id": item["id"]}], "applied_discounts": [{"discount_id": "513"}]},
    )
    assert again.status_code == 422
    assert flourish.client.post("/_sandbox/retail-discounts", json=discount).json()["data"]["id"] == "514"
    assert len(flourish.client.get("/_sandbox/retail-discounts").json()["data"]) == 13


def test_a_third_facility_is_opt_in_and_leaves_the_rest_unchanged(start: Callable[..., Running]) -> None:
    two = start(items=150, seed=4)
    two_items, two_stock = two.get_all(f"{V1}/items"), two.sandbox.stock
    two_customers = two.sandbox.customers()
    three = start(items=150, seed=4, facilities=3, sales=30, as_of=AS_OF)
    facilities = three.client.get(f"{V1}/facilities/").json()["data"]
    assert [f["id"] for f in facilities] == ["101", "102", "103"]
    assert facilities[2]["facility_name"] == "Great Lakes Provisions - Lansing"
    assert three.get_all(f"{V1}/items") == two_items
    assert {f: three.sandbox.stock[f] for f in ("101", "102")} == two_stock

    summary = three.get_all(f"{V1}/inventory/summary/", headers={"FacilityID": "103"})
    assert len(summary) == len(three.sandbox.stock["103"]) > 50
    assert three.sandbox.malformed_ids <= set(three.sandbox.stock["103"])

    customers = three.sandbox.customers()
    assert any(c["facility_id"] == "103" for c in customers)
    ignore = {"facility_id"}
    assert [{k: v for k, v in c.items() if k not in ignore} for c in customers] == [
        {k: v for k, v in c.items() if k not in ignore} for c in two_customers
    ]
    at_103 = three.get_all(f"{V1}/retail-orders/", headers={"FacilityID": "103"})
    assert at_103 and all(o["facility_id"] == "103" for o in at_103)
    discounts = three.get_all(f"{V1}/retail-discounts/", headers={"FacilityID": "103"})
    assert [d["id"] for d in discounts] == [str(n) for n in range(513, 519)]
    with pytest.raises(ValueError):
        FlourishSandbox(items=5, facilities=4)


# --------------------------------------------------------------------------------------------------
# Wholesale (issue 6): brands, sales reps, destinations


def test_brands_are_listed_and_every_item_carries_a_pair_from_the_list(flourish: Running) -> None:
    brands = flourish.get_all(f"{V1}/brands/", limit=7)
    assert [b["id"] for b in brands] == [str(n) for n in range(301, 318)]
    assert all(set(b) == {"id", "brand_name"} for b in brands)
    names = {b["id"]: b["brand_name"] for b in brands}
    assert (names["315"], names["316"], names["317"]) == ("North Coast Labs", "Glacier Lake", "North Coast")
    first = flourish.client.get(f"{V1}/brands", params={"limit": 7}).json()
    assert len(first["data"]) == 7 and first["meta"]["next"]

    codes = {"Glacier Lake": "GLK", "North Coast": "NCO", "North Coast Labs": "NCL", "Greenhaven Gardens": "GHG"}
    for item in flourish.get_all(f"{V1}/items/"):
        assert names[item["brand_id"]] == item["brand"], item["id"]
        if item["brand"] in codes:
            assert item["sku"].startswith(codes[item["brand"]] + "-"), item["sku"]

    assert flourish.client.get(f"{V1}/brands/316/").json() == {"data": {"id": "316", "brand_name": "Glacier Lake"}}
    missing = flourish.client.get(f"{V1}/brands/999")
    assert (missing.status_code, missing.json()) == (404, {"error": "Brand 999 not found"})
    by_id = flourish.get_all(f"{V1}/items/", brand_id=["316", "317"])
    by_name = flourish.get_all(f"{V1}/items/", brand_name=["glacier lake", "NORTH COAST"])
    assert [i["id"] for i in by_id] == [i["id"] for i in by_name] == sorted(flourish.sandbox.wholesale_items, key=int)


@pytest.mark.parametrize(("items", "seed"), [(200, 1), (120, 3), (60, 5), (250, 42)])
def test_each_wholesale_brand_has_items_on_sale_at_ann_arbor(
    start: Callable[..., Running], items: int, seed: int
) -> None:
    running = start(items=items, seed=seed)
    wholesale = running.sandbox.wholesale_items
    assert sorted(Counter(wholesale.values()).items()) == [("Glacier Lake", 3), ("North Coast", 3)]
    for brand in ("Glacier Lake", "North Coast"):
        listed = running.get_all(f"{V1}/items/", brand_name=brand, active="true", ecommerce_active="true")
        assert sorted(i["id"] for i in listed) == sorted(i for i, b in wholesale.items() if b == brand)
        summary = running.client.get(
            f"{V1}/inventory/summary/", params=[("item_id", i["id"]) for i in listed], headers=ANN_ARBOR
        ).json()["data"]
        assert len(summary) == 3 and all(row["sellable_qty"] > 0 for row in summary)
        for item in listed:
            assert item["sellable"] and item["id"] not in running.sandbox.malformed_ids
            assert isinstance(item["retail_price"], float | int) and item["retail_price"] > 0
            assert brand in (item["retail_display_name"] or brand) and brand in (item["ecommerce_item_name"] or brand)
    # Exact names: "North Coast" is not "North Coast Labs".
    labs = running.get_all(f"{V1}/items/", brand_name="North Coast Labs")
    assert all(i["brand"] == "North Coast Labs" and i["id"] not in wholesale for i in labs)


def test_sales_reps_are_listed_per_facility(start: Callable[..., Running]) -> None:
    running = start(items=20, seed=1, facilities=3)
    reps = {f: running.get_all(f"{V1}/sales-reps/", headers={"FacilityID": f}) for f in ("101", "102", "103")}
    assert [r["id"] for r in reps["101"]] == ["801", "802", "803"]
    assert [r["id"] for r in reps["102"]] == ["804", "805"]
    assert [r["id"] for r in reps["103"]] == ["806", "807"]
    assert reps["101"][0] == {
        "id": "801",
        "first_name": "Dana",
        "last_name": "Whitfield",
        "email": "dana.whitfield@greatlakesprovisions.example",
        "facility_id": "101",
    }
    assert all(r["facility_id"] == f for f, rows in reps.items() for r in rows)
    missing = running.client.get(f"{V1}/sales-reps/")
    assert (missing.status_code, missing.json()) == (400, {"error": "FacilityID header is required"})
    assert running.client.get(f"{V1}/sales-reps", headers={"FacilityID": "999"}).status_code == 404
    page = running.client.get(f"{V1}/sales-reps/", params={"limit": 2}, headers=ANN_ARBOR).json()
    assert len(page["data"]) == 2 and page["meta"]["next"]


DESTINATION = {
    "name": "Lakeside Provisioning",
    "license_number": "AU-R-002001",
    "address": {"address_line_1": "12 Shore Dr", "city": "Holland", "state": "MI", "postcode": "49423", "x": 1},
    "email": "buyer@lakeside.example",
    "phone": "6165550100",
    "external_id": "LL-CUST-7781",
}


def test_destinations_are_listed_filtered_created_and_read(flourish: Running) -> None:
    seeded = flourish.get_all(f"{V1}/destinations/")
    assert [d["id"] for d in seeded] == ["4001", "4002", "4003", "4004"]
    assert seeded[0]["name"] == "Mitten Cannabis Co. - Detroit" and seeded[0]["license_number"] == "AU-R-001204"
    assert all(d["external_id"] is None and d["address"]["state"] == "MI" for d in seeded)
    found = flourish.get_all(f"{V1}/destinations", license_number="au-r-000932")
    assert [d["name"] for d in found] == ["Harbor Light Dispensary"]
    assert flourish.get_all(f"{V1}/destinations", license_number="AU-R-999999") == []

    created = flourish.client.post(f"{V1}/destinations/", json=DESTINATION)
    assert created.status_code == 201, created.text
    destination = created.json()["data"]
    assert destination["id"] == "4005"
    assert destination["address"] == {
        "address_line_1": "12 Shore Dr",
        "address_line_2": None,
        "city": "Holland",
        "state": "MI",
        "postcode": "49423",
        "country": None,
    }
    assert (destination["external_id"], destination["email"], destination["phone"]) == (
        "LL-CUST-7781",
        "buyer@lakeside.example",
        "6165550100",
    )
    assert flourish.client.get(f"{V1}/destinations/4005/").json() == {"data": destination}
    by_external = flourish.get_all(f"{V1}/destinations/", external_id="LL-CUST-7781")
    assert by_external == [destination]
    # No deduplication: the same customer twice is two destinations.
    again = flourish.client.post(f"{V1}/destinations", json={**DESTINATION, "external_id": 7781}).json()["data"]
    assert again["id"] == "4006" and again["external_id"] == "7781"
    assert len(flourish.get_all(f"{V1}/destinations/", license_number="AU-R-002001")) == 2
    assert [d["id"] for d in flourish.client.get("/_sandbox/destinations").json()["data"]][-2:] == ["4005", "4006"]

    missing = flourish.client.get(f"{V1}/destinations/4999/")
    assert (missing.status_code, missing.json()) == (404, {"error": "Destination 4999 not found"})
    for override, fragment in (
        ({"name": ""}, "name"),
        ({"license_number": None}, "license_number"),
        ({"address": "12 Shore Dr"}, "address"),
        ({"address": {"city": 5}}, "address.city"),
        ({"email": 12}, "email"),
    ):
        bad = flourish.client.post(f"{V1}/destinations/", json={**DESTINATION, **override})
        assert bad.status_code == 422 and fragment in bad.json()["error"], override
    assert len(flourish.sandbox.destinations()) == 6


# --------------------------------------------------------------------------------------------------
# Wholesale: outbound orders


def _wholesale_item(running: Running, brand: str = "Glacier Lake") -> dict[str, Any]:
    item_id = next(i for i, b in running.sandbox.wholesale_items.items() if b == brand)
    return running.sandbox.get_item(item_id)


def _outbound_body(running: Running, **overrides: Any) -> dict[str, Any]:
    glacier, north = _wholesale_item(running), _wholesale_item(running, "North Coast")
    body: dict[str, Any] = {
        "original_order_id": "LL-ORDER-5001",
        "destination_id": "4001",
        "sales_rep_id": "801",
        "order_lines": [
            {"item_id": glacier["id"], "order_qty": 10, "unit_price": 12.5},
            {"item_id": int(north["id"]), "order_qty": 4, "unit_price": 30.0},
        ],
        "payment_term": "Net 30",
        "notes": "Deliver to back dock",
        "external_order_number": "LL-5001",
    }
    body.update(overrides)
    return body


def _create_outbound(running: Running, headers: dict[str, str] = ANN_ARBOR, **overrides: Any) -> dict[str, Any]:
    response = running.client.post(f"{V1}/outbound-orders/", json=_outbound_body(running, **overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def test_outbound_order_is_created_read_and_listed(flourish: Running) -> None:
    order = _create_outbound(flourish)
    glacier = _wholesale_item(flourish)
    assert order["id"] == "OB-000001"
    assert (order["facility_id"], order["order_status"], order["payment_term"]) == ("101", "Created", "Net 30")
    assert (order["original_order_id"], order["external_order_number"], order["sales_rep_id"]) == (
        "LL-ORDER-5001",
        "LL-5001",
        "801",
    )
    assert (order["destination_id"], order["destination_name"]) == ("4001", "Mitten Cannabis Co. - Detroit")
    assert order["order_lines"][0] == {
        "item_id": glacier["id"],
        "sku": glacier["sku"],
        "item_name": glacier["item_name"],
        "order_qty": 10,
        "unit_price": 12.5,
        "discount_price": 0,
        "line_total": 125.0,
    }
    assert order["total"] == 245.0 and order["notes"] == "Deliver to back dock"
    assert order["created_timestamp"] == order["last_updated_timestamp"]
    assert order["allocated_timestamp"] is None and order["cancelled_timestamp"] is None

    read = flourish.client.get(f"{V1}/outbound-orders/{order['id']}/", headers=ANN_ARBOR)
    assert read.json() == {"data": order}
    assert flourish.client.get(f"{V1}/outbound-orders/{order['id']}", headers=GRAND_RAPIDS).status_code == 404
    assert flourish.client.get(f"{V1}/outbound-orders/OB-999999/", headers=ANN_ARBOR).json() == {
        "error": "Outbound order OB-999999 not found"
    }
    # Retail orders and outbound orders are separate books.
    assert flourish.get_all(f"{V1}/retail-orders/") == []

    at_102 = _create_outbound(flourish, GRAND_RAPIDS, original_order_id="LL-ORDER-5002", sales_rep_id="804")
    second = _create_outbound(flourish, payment_term=None, sales_rep_id=None)  # no dedup by original_order_id
    assert (at_102["id"], second["id"]) == ("OB-000002", "OB-000003")
    assert second["payment_term"] is None and second["sales_rep_id"] is None

    listed = flourish.get_all(f"{V1}/outbound-orders/", headers=ANN_ARBOR)
    assert [o["id"] for o in listed] == ["OB-000001", "OB-000003"]
    assert [o["id"] for o in flourish.get_all(f"{V1}/outbound-orders", headers=GRAND_RAPIDS)] == ["OB-000002"]
    by_original = flourish.get_all(f"{V1}/outbound-orders/", original_order_id="LL-ORDER-5001", headers=ANN_ARBOR)
    assert [o["id"] for o in by_original] == ["OB-000001", "OB-000003"]
    assert flourish.get_all(f"{V1}/outbound-orders/", order_status="created", headers=ANN_ARBOR) == listed
    assert flourish.get_all(f"{V1}/outbound-orders/", order_status="Shipped", headers=ANN_ARBOR) == []
    bad_status = flourish.client.get(f"{V1}/outbound-orders/", params={"order_status": "Canceled"}, headers=ANN_ARBOR)
    assert bad_status.status_code == 400 and "Cancelled" in bad_status.json()["error"]

    flourish.client.post(f"/_sandbox/outbound-orders/{order['id']}/status", json={"order_status": "Allocated"})
    moved = flourish.client.get(f"{V1}/outbound-orders/{order['id']}", headers=ANN_ARBOR).json()["data"]
    since = flourish.get_all(
        f"{V1}/outbound-orders/", updated_timestamp_start=moved["last_updated_timestamp"], headers=ANN_ARBOR
    )
    assert [o["id"] for o in since] == [order["id"]]  # inclusive
    assert (
        flourish.client.get(
            f"{V1}/outbound-orders/", params={"updated_timestamp_start": "soon"}, headers=ANN_ARBOR
        ).status_code
        == 400
    )
    assert [o["id"] for o in flourish.client.get("/_sandbox/outbound-orders").json()["data"]] == [
        "OB-000001",
        "OB-000002",
        "OB-000003",
    ]


def test_outbound_routes_require_the_facility(flourish: Running) -> None:
    for method, path in (
        ("GET", f"{V1}/outbound-orders/"),
        ("POST", f"{V1}/outbound-orders/"),
        ("GET", f"{V1}/outbound-orders/OB-000001/"),
        ("PUT", f"{V1}/outbound-orders/OB-000001/"),
    ):
        missing = flourish.client.request(method, path, json={})
        assert (missing.status_code, missing.json()) == (400, {"error": "FacilityID header is required"}), path
        unknown = flourish.client.request(method, path, json={}, headers={"FacilityID": "999"})
        assert unknown.status_code == 404, path


def test_outbound_order_validation_names_the_problem(flourish: Running) -> None:
    item = _wholesale_item(flourish)
    cases = [
        ({"original_order_id": None}, 422, "original_order_id"),
        ({"destination_id": None}, 422, "destination (the buyer's details) is required"),
        ({"destination_id": None, "destination": {"license_number": "X"}}, 422, "destination.name"),
        ({"destination_id": None, "destination": "4001"}, 422, "destination must be an object"),
        ({"order_lines": [{"sku": "NO-SUCH-SKU", "order_qty": 1}]}, 422, "sku NO-SUCH-SKU not found"),
        ({"order_lines": [{"order_qty": 1, "unit_price": 1.0}]}, 422, "by sku"),
        ({"order_lines": [{"item_id": item["id"], "order_qty": 1, "discount_price": -2}]}, 422, "discount_price"),
        ({"notes": [{"subject": "x"}]}, 422, "notes[0].note"),
        ({"sales_rep": {"id": "804"}}, 422, "belongs to facility 102"),
        ({"destination_id": "4999"}, 422, "Destination 4999"),
        ({"sales_rep_id": "899"}, 422, "Sales rep 899"),
        ({"sales_rep_id": "804"}, 422, "belongs to facility 102"),
        ({"order_lines": []}, 422, "order_lines"),
        ({"order_lines": [{"item_id": "424242", "order_qty": 1, "unit_price": 1.0}]}, 422, "424242"),
        ({"order_lines": [{"item_id": item["id"], "order_qty": "2", "unit_price": 1.0}]}, 422, "order_qty"),
        ({"order_lines": [{"item_id": item["id"], "order_qty": 2, "unit_price": -1}]}, 422, "unit_price"),
        ({"payment_term": 30}, 422, "payment_term"),
        ({"order_status": "Allocated"}, 422, "order_status"),
    ]
    for override, status, fragment in cases:
        response = flourish.client.post(
            f"{V1}/outbound-orders/", json=_outbound_body(flourish, **override), headers=ANN_ARBOR
        )
        assert response.status_code == status, override
        assert fragment in response.json()["error"], (override, response.json())
    assert flourish.sandbox.outbound_orders() == []
    assert _create_outbound(flourish, order_status="created")["order_status"] == "Created"


def _plugin_outbound_body(running: Running, license_number: str) -> dict[str, Any]:
    """An outbound order exactly as Flourish's B2B plugin builds it (flourish-woocommerce-b2b,
    HandlerOrdersSyncNow.php handle_order_outbound; HandlerOrdersOutbound.php create_destination_object)."""
    glacier, north = _wholesale_item(running), _wholesale_item(running, "North Coast")
    address = {
        "address_line_1": "12 Main St",
        "address_line_2": "",
        "city": "Lansing",
        "state": "MI",
        "zip_code": "48933",
        "country": "United States",
    }
    return {
        "original_order_id": "1042",
        "order_lines": [
            {"sku": glacier["sku"], "order_qty": 10, "unit_price": 12.5, "discount_price": 5.0},
            {"sku": north["sku"], "order_qty": 2.0, "unit_price": 30, "discount_price": 0.0},
        ],
        "destination": {
            "type": "Dispensary",
            "name": "Lansing Leaf",
            "company_email": "buyer@lansingleaf.example",
            "company_phone_number": "5175550100",
            **address,
            "license_number": license_number,
            "billing": address,
            "external_id": 7,
        },
        "order_timestamp": "2026-12-04T15:04:05.000Z",
        "notes": [{"subject": "Customer Note from WooCommerce", "note": "Dock B", "internal_only": False}],
        "sales_rep": {"id": "801"},
    }


def test_outbound_order_as_flourishs_b2b_plugin_sends_it(flourish: Running) -> None:
    before = len(flourish.sandbox.destinations())
    created = flourish.client.post(
        f"{V1}/outbound-orders", json=_plugin_outbound_body(flourish, "AU-R-777001"), headers=ANN_ARBOR
    )
    assert created.status_code == 201, created.text
    order = created.json()["data"]
    # Lines named by SKU alone; the discount is the line's whole discount.
    assert [(line["sku"], line["line_total"]) for line in order["order_lines"]] == [
        (_wholesale_item(flourish)["sku"], 120.0),
        (_wholesale_item(flourish, "North Coast")["sku"], 60.0),
    ]
    assert order["order_lines"][0]["item_id"] == _wholesale_item(flourish)["id"]
    assert (order["total"], order["sales_rep_id"], order["order_timestamp"]) == (
        180.0,
        "801",
        "2026-12-04T15:04:05.000Z",
    )
    assert order["notes"] == [{"subject": "Customer Note from WooCommerce", "note": "Dock B", "internal_only": False}]
    # A destination the plugin describes is made once, then found again by its license number.
    made = flourish.client.get(f"{V1}/destinations/{order['destination_id']}", headers=ANN_ARBOR).json()["data"]
    assert (made["name"], made["license_number"], made["email"], made["external_id"]) == (
        "Lansing Leaf",
        "AU-R-777001",
        "buyer@lansingleaf.example",
        "7",
    )
    assert made["address"]["postcode"] == "48933"
    again = flourish.client.post(
        f"{V1}/outbound-orders", json=_plugin_outbound_body(flourish, "au-r-777001"), headers=ANN_ARBOR
    ).json()["data"]
    assert again["destination_id"] == order["destination_id"]
    known = flourish.client.post(
        f"{V1}/outbound-orders", json=_plugin_outbound_body(flourish, "AU-R-000932"), headers=ANN_ARBOR
    ).json()["data"]
    assert known["destination_name"] == flourish.get_all(f"{V1}/destinations", license_number="AU-R-000932")[0]["name"]
    assert len(flourish.sandbox.destinations()) == before + 1

    # The plugin's PUT sends the whole body again, and ships a still-Created order with order_status "Shipped".
    path = f"{V1}/outbound-orders/{order['id']}"
    body = _plugin_outbound_body(flourish, "AU-R-777001")
    body["order_lines"] = body["order_lines"][:1]
    updated = flourish.client.put(path, json=body, headers=ANN_ARBOR)
    assert updated.status_code == 200, updated.text
    assert (updated.json()["data"]["total"], updated.json()["data"]["order_status"]) == (120.0, "Created")
    shipped = flourish.client.put(path, json={**body, "order_status": "Shipped"}, headers=ANN_ARBOR)
    assert shipped.status_code == 200, shipped.text
    data = shipped.json()["data"]
    assert data["order_status"] == "Shipped" and data["shipped_timestamp"] == data["last_updated_timestamp"]
    assert flourish.client.put(path, json=body, headers=ANN_ARBOR).status_code == 409  # shipped is final

    # The first plugin named a destination it had found by license with its id; its cancel is a PUT too.
    by_id = _plugin_outbound_body(flourish, "ignored")
    by_id["destination"] = {**by_id["destination"], "id": "4002"}
    named = flourish.client.post(f"{V1}/outbound-orders", json=by_id, headers=ANN_ARBOR).json()["data"]
    assert named["destination_id"] == "4002"
    by_id["destination"]["id"] = "4999"
    unknown = flourish.client.post(f"{V1}/outbound-orders", json=by_id, headers=ANN_ARBOR)
    assert (unknown.status_code, unknown.json()) == (422, {"error": "Destination 4999 not found"})
    cancel = {"original_order_id": "1042", "destination": body["destination"], "order_status": "Cancelled"}
    cancelled = flourish.client.put(f"{V1}/outbound-orders/{named['id']}", json=cancel, headers=ANN_ARBOR)
    assert cancelled.status_code == 200 and cancelled.json()["data"]["order_status"] == "Cancelled"
    assert len(flourish.sandbox.destinations()) == before + 1


def test_put_outbound_updates_lines_terms_and_notes_only_while_editable(flourish: Running) -> None:
    order = _create_outbound(flourish)
    path = f"{V1}/outbound-orders/{order['id']}/"
    item = _wholesale_item(flourish, "North Coast")

    terms = flourish.client.put(path, json={"payment_term": "Net 60"}, headers=ANN_ARBOR)
    assert terms.status_code == 200, terms.text
    data = terms.json()["data"]
    assert (data["payment_term"], data["notes"], data["total"]) == ("Net 60", order["notes"], order["total"])
    assert data["last_updated_timestamp"] > order["last_updated_timestamp"]

    lines = [{"item_id": item["id"], "order_qty": 6, "unit_price": 30.0}]
    body = {"order_lines": lines, "notes": None, "original_order_id": "ignored", "destination_id": "4002"}
    replaced = flourish.client.put(path, json=body, headers=ANN_ARBOR).json()["data"]
    assert [(line["item_id"], line["order_qty"]) for line in replaced["order_lines"]] == [(item["id"], 6)]
    assert (replaced["total"], replaced["notes"], replaced["payment_term"]) == (180.0, None, "Net 60")
    assert (replaced["original_order_id"], replaced["destination_id"]) == ("LL-ORDER-5001", "4001")

    same_status = flourish.client.put(path, json={"order_status": "created", "notes": "ok"}, headers=ANN_ARBOR)
    assert same_status.status_code == 200
    changed = flourish.client.put(path, json={"order_status": "Allocated"}, headers=ANN_ARBOR)
    refused = {"error": "order_status cannot be changed through the API (except to Shipped or Cancelled)"}
    assert (changed.status_code, changed.json()) == (422, refused)
    for bad, fragment in (({"order_lines": []}, "order_lines"), ({"sales_rep_id": "805"}, "facility 102")):
        response = flourish.client.put(path, json=bad, headers=ANN_ARBOR)
        assert response.status_code == 422 and fragment in response.json()["error"]
    assert flourish.client.put(path, json={}, headers=GRAND_RAPIDS).status_code == 404

    move = f"/_sandbox/outbound-orders/{order['id']}/status"
    assert flourish.client.post(move, json={"order_status": "Partially Allocated"}).status_code == 200
    still = flourish.client.put(path, json={"payment_term": "Net 90"}, headers=ANN_ARBOR)
    assert still.status_code == 200 and still.json()["data"]["order_status"] == "Partially Allocated"
    assert flourish.client.post(move, json={"order_status": "Allocated"}).status_code == 200
    locked = flourish.client.put(path, json={"payment_term": "Net 7"}, headers=ANN_ARBOR)
    assert locked.status_code == 409
    assert locked.json() == {
        "error": f"Outbound order {order['id']} is Allocated; only Created or Partially Allocated orders can be updated"
    }
    assert flourish.client.put(path, content=b"not json", headers=ANN_ARBOR).status_code == 409  # 409 first
    final = flourish.client.get(path, headers=ANN_ARBOR).json()["data"]
    assert final["payment_term"] == "Net 90"


def test_outbound_status_moves_follow_the_machine(flourish: Running) -> None:
    def move(order_id: str, status: str) -> httpx2.Response:
        return flourish.client.post(f"/_sandbox/outbound-orders/{order_id}/status", json={"order_status": status})

    order = _create_outbound(flourish)
    for status in ("Partially Allocated", "Allocated", "Shipped"):
        response = move(order["id"], status)
        assert response.status_code == 200, response.text
        assert response.json()["data"]["order_status"] == status
    shipped = flourish.client.get(f"{V1}/outbound-orders/{order['id']}/", headers=ANN_ARBOR).json()["data"]
    stamps = [shipped[k] for k in ("partially_allocated_timestamp", "allocated_timestamp", "shipped_timestamp")]
    assert all(stamps) and stamps == sorted(stamps) and shipped["last_updated_timestamp"] == stamps[-1]
    for status in ("Cancelled", "Allocated", "Created"):
        response = move(order["id"], status)
        assert response.status_code == 409 and "Shipped" in response.json()["error"], status

    skipping = _create_outbound(flourish)
    assert move(skipping["id"], "Shipped").status_code == 409  # never ships unallocated
    assert move(skipping["id"], "allocated").json()["data"]["order_status"] == "Allocated"  # skips Partially
    assert move(skipping["id"], "Partially Allocated").status_code == 409  # no going back
    cancelled = move(skipping["id"], "Canceled")  # the help pages' spelling is read as Cancelled
    assert cancelled.json()["data"]["order_status"] == "Cancelled" and cancelled.json()["data"]["cancelled_timestamp"]
    assert move(skipping["id"], "Cancelled").status_code == 409

    unknown = move(skipping["id"], "Completed")
    assert unknown.status_code == 422 and "Partially Allocated" in unknown.json()["error"]
    assert move("OB-999999", "Allocated").status_code == 404
    statuses = [o["order_status"] for o in flourish.get_all(f"{V1}/outbound-orders/", headers=ANN_ARBOR)]
    assert statuses == ["Shipped", "Cancelled"]
    assert [
        o["id"] for o in flourish.get_all(f"{V1}/outbound-orders/", order_status="cancelled", headers=ANN_ARBOR)
    ] == [skipping["id"]]


def test_staff_edit_changes_terms_in_any_status_but_lines_only_while_editable(flourish: Running) -> None:
    order = _create_outbound(flourish)
    path = f"/_sandbox/outbound-orders/{order['id']}"
    edited = flourish.client.patch(path, json={"payment_term": "Consignment", "order_status": "Shipped"})
    assert edited.status_code == 200
    assert (edited.json()["data"]["payment_term"], edited.json()["data"]["order_status"]) == ("Consignment", "Created")
    flourish.client.post(f"{path}/status", json={"order_status": "Allocated"})
    flourish.client.post(f"{path}/status", json={"order_status": "Shipped"})
    late = flourish.client.patch(path, json={"payment_term": "Net 15", "notes": "Invoiced", "sales_rep_id": "802"})
    assert late.status_code == 200
    data = late.json()["data"]
    assert (data["payment_term"], data["notes"], data["sales_rep_id"], data["order_status"]) == (
        "Net 15",
        "Invoiced",
        "802",
        "Shipped",
    )
    lines = [{"item_id": _wholesale_item(flourish)["id"], "order_qty": 1, "unit_price": 1.0}]
    assert flourish.client.patch(path, json={"order_lines": lines}).status_code == 409
    assert flourish.client.patch(path, json={"payment_term": 7}).status_code == 422
    assert flourish.client.patch("/_sandbox/outbound-orders/OB-999999", json={}).status_code == 404
    read = flourish.client.get(f"{V1}/outbound-orders/{order['id']}", headers=ANN_ARBOR).json()["data"]
    assert read == data


def test_payment_terms_are_stored_and_echoed_as_sent(flourish: Running) -> None:
    supported = list(flourish_module.LEAFLINK_PAYMENT_TERMS)
    assert supported == [
        "Cash on Delivery",
        "Consignment",
        "Net 3",
        "Net 7",
        "Net 10",
        "Net 14",
        "Net 15",
        "Net 20",
        "Net 30",
        "Net 60",
        "Net 90",
        "Pre-Payment",
    ]
    for term in [*supported, "Net 45", "COD", ""]:
        order = _create_outbound(flourish, payment_term=term, original_order_id=f"LL-{term}")
        read = flourish.client.get(f"{V1}/outbound-orders/{order['id']}/", headers=ANN_ARBOR).json()["data"]
        assert read["payment_term"] == term
    order = _create_outbound(flourish)
    cleared = flourish.client.put(
        f"{V1}/outbound-orders/{order['id']}/", json={"payment_term": None}, headers=ANN_ARBOR
    ).json()["data"]
    assert cleared["payment_term"] is None


def test_new_routes_are_counted_per_template(flourish: Running) -> None:
    order = _create_outbound(flourish)
    flourish.client.get(f"{V1}/outbound-orders/{order['id']}", headers=ANN_ARBOR)
    flourish.client.put(f"{V1}/outbound-orders/{order['id']}/", json={}, headers=ANN_ARBOR)
    flourish.client.get(f"{V1}/destinations/4001")
    flourish.client.get(f"{V1}/sales-reps/", headers=ANN_ARBOR)
    flourish.client.get(f"{V1}/brands")
    flourish.client.post("/_sandbox/outbound-orders/OB-000001/status", json={"order_status": "Allocated"})
    counts = flourish.client.get("/_sandbox/requests").json()
    assert counts == {
        f"POST {V1}/outbound-orders/": 1,
        f"GET {V1}/outbound-orders/{{order_id}}/": 1,
        f"PUT {V1}/outbound-orders/{{order_id}}/": 1,
        f"GET {V1}/destinations/{{destination_id}}/": 1,
        f"GET {V1}/sales-reps/": 1,
        f"GET {V1}/brands/": 1,
    }


# --------------------------------------------------------------------------------------------------
# Items created by staff; brand consistency


def test_staff_create_items_with_a_brand_and_stock(flourish: Running) -> None:
    body = {
        "item_name": "Glacier Lake Blue Dream 3.5g",
        "brand": "glacier lake",
        "retail_price": 40.0,
        "item_category": "Flower",
        "item_description": "Wholesale flower",
        "stock": {"101": 12},
    }
    created = flourish.client.post("/_sandbox/items", json=body)
    assert created.status_code == 201, created.text
    item = created.json()["data"]
    assert (item["id"], item["brand"], item["brand_id"], item["sku"]) == (
        "10201",
        "Glacier Lake",
        "316",
        "GLK-FL-10201",
    )
    assert (item["active"], item["ecommerce_active"], item["sellable"], item["price"]) == (True, True, True, 40.0)
    assert item["item_description"] == "Wholesale flower" and "stock" not in item
    assert set(item) == set(flourish.sandbox.items()[0])
    assert flourish.client.get(f"{V1}/items/10201/").json()["data"] == item
    since = flourish.get_all(f"{V1}/items/", last_updated_timestamp_start=item["last_updated_timestamp"])
    assert [i["id"] for i in since] == ["10201"]
    rows = flourish.client.get(f"{V1}/inventory/summary/", params={"item_id": "10201"}, headers=ANN_ARBOR).json()
    assert rows["data"][0]["sellable_qty"] == 12

    # Ids never go back, even after a delete.
    assert flourish.client.delete("/_sandbox/items/10201").status_code == 204
    other = flourish.client.post("/_sandbox/items", json={**body, "brand": None, "brand_id": 317, "stock": None})
    assert (other.json()["data"]["id"], other.json()["data"]["brand"]) == ("10202", "North Coast")

    taken = flourish.sandbox.items()[0]["sku"]
    for override, status, fragment in (
        ({"item_name": ""}, 422, "item_name"),
        ({"brand": None}, 422, "brand"),
        ({"brand": "Glacier"}, 422, "brand"),
        ({"brand": "Glacier Lake", "brand_id": "317"}, 422, "brand_id"),
        ({"retail_price": "40"}, 422, "retail_price"),
        ({"ecommerce_active": "yes"}, 422, "ecommerce_active"),
        ({"sku": taken}, 422, taken),
        ({"stock": {"101": -1}}, 422, "stock"),
        ({"stock": {"999": 1}}, 404, "Facility 999"),
    ):
        response = flourish.client.post("/_sandbox/items", json={**body, **override})
        assert response.status_code == status, override
        assert fragment in response.json()["error"], (override, response.json())
    assert len(flourish.sandbox.items()) == 201


def test_staff_brand_edits_keep_brand_and_brand_id_together(flourish: Running) -> None:
    item = _sellable_item(flourish)
    moved = flourish.client.patch(f"/_sandbox/items/{item['id']}", json={"brand_id": "317"}).json()["data"]
    assert (moved["brand"], moved["brand_id"]) == ("North Coast", "317")
    renamed = flourish.client.patch(f"/_sandbox/items/{item['id']}", json={"brand": "GLACIER LAKE"}).json()["data"]
    assert (renamed["brand"], renamed["brand_id"]) == ("Glacier Lake", "316")
    for bad in ({"brand": "Nope"}, {"brand_id": "999"}, {"brand": "Glacier Lake", "brand_id": "301"}):
        assert flourish.client.patch(f"/_sandbox/items/{item['id']}", json=bad).status_code == 422, bad
    assert flourish.sandbox.get_item(item["id"])["brand_id"] == "316"


# --------------------------------------------------------------------------------------------------
# Webhooks (Flourish → subscriber)

WEBHOOK_KEY = "flourish-demo-webhook-key"


@dataclass
class Receiver:
    """A tiny subscriber on its own port: verifies ``auth-signature`` as the vendor plugin does and keeps
    every delivery. It answers 400 without a signature, 403 for a wrong one, else ``status``."""

    url: str
    key: str = WEBHOOK_KEY
    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)

    def reset(self, key: str = WEBHOOK_KEY, status: int = 200) -> None:
        self.key, self.status = key, status
        self.received.clear()

    def events(self) -> list[tuple[str, dict[str, Any]]]:
        assert all(r["verified"] for r in self.received), self.received
        return [(r["payload"]["resource_type"], r["payload"]["data"]) for r in self.received]


@pytest.fixture(scope="module")
def receiver_server(slot_servers: Callable[[], SlotServer]) -> Receiver:
    receiver = Receiver(url="")

    async def hook(request: Request) -> Response:
        raw = await request.body()
        signature = request.headers.get("auth-signature")
        expected = hmac.new(receiver.key.encode(), raw, hashlib.sha256).hexdigest()
        verified = signature is not None and hmac.compare_digest(signature, expected)
        receiver.received.append(
            {
                "payload": json.loads(raw),
                "signature": signature,
                "verified": verified,
                "content_type": request.headers.get("content-type"),
            }
        )
        if signature is None:
            return JSONResponse({"error": "missing signature"}, status_code=400)
        if not verified:
            return JSONResponse({"error": "bad signature"}, status_code=403)
        return JSONResponse({"ok": True}, status_code=receiver.status)

    server = slot_servers()
    server.plug(Starlette(routes=[Route("/hooks/flourish", hook, methods=["POST"])]))
    receiver.url = f"{server.url}/hooks/flourish"
    return receiver


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.reset()
    return receiver_server


def test_webhooks_are_signed_with_a_hex_hmac_and_cover_every_resource(
    start: Callable[..., Running], receiver: Receiver
) -> None:
    running = start(items=200, seed=1, webhook_url=receiver.url)
    sandbox, client = running.sandbox, running.client
    item = _wholesale_item(running)

    client.patch(f"/_sandbox/items/{item['id']}", json={"item_description": "New words"})
    current = sandbox.stock["101"][item["id"]]["sellable_qty"]
    client.post(f"/_sandbox/items/{item['id']}/quantity", json={"facility_id": "101", "sellable_qty": current + 5})
    client.post(f"/_sandbox/items/{item['id']}/quantity", json={"facility_id": "101", "sellable_qty": current + 5})
    retail = _create_order(running)
    client.post(f"/_sandbox/retail-orders/{retail['id']}/status", json={"order_status": "Packed"})
    outbound = _create_outbound(running)
    client.put(f"{V1}/outbound-orders/{outbound['id']}/", json={"payment_term": "Net 14"}, headers=ANN_ARBOR)
    client.post(f"/_sandbox/outbound-orders/{outbound['id']}/status", json={"order_status": "Partially Allocated"})
    client.patch(f"/_sandbox/outbound-orders/{outbound['id']}", json={"payment_term": "Pre-Payment"})
    client.post(f"{V1}/destinations/", json=DESTINATION)  # destinations fire nothing
    assert sandbox.wait_for_webhooks(5)

    events = receiver.events()
    assert [kind for kind, _ in events] == [
        "item",
        "inventory_summary",  # the second, identical quantity fired nothing
        "retail_order",
        "retail_order",
        "order",
        "order",
        "order",
        "order",
    ]
    assert events[0][1]["id"] == item["id"] and events[0][1]["item_description"] == "New words"
    assert events[0][1]["brand"] == "Glacier Lake" and events[0][1]["ecommerce_active"] is True
    assert events[1][1] == {
        "item_id": item["id"],
        "sku": item["sku"],
        "brand": "Glacier Lake",
        "item_name": item["item_name"],
        "facility_id": "101",
        "sellable_qty": current + 5,
        "available_qty": current + 5,
        "non_available_qty": sandbox.stock["101"][item["id"]]["non_available_qty"],
    }
    assert [(d["id"], d["order_status"]) for _, d in events[2:4]] == [
        (retail["id"], "Submitted"),
        (retail["id"], "Packed"),
    ]
    assert events[2][1]["original_order_id"] == "WEB-1001"
    orders = [(d["id"], d["original_order_id"], d["order_status"], d["payment_term"]) for _, d in events[4:]]
    assert orders == [
        (outbound["id"], "LL-ORDER-5001", "Created", "Net 30"),
        (outbound["id"], "LL-ORDER-5001", "Created", "Net 14"),
        (outbound["id"], "LL-ORDER-5001", "Partially Allocated", "Net 14"),
        (outbound["id"], "LL-ORDER-5001", "Partially Allocated", "Pre-Payment"),
    ]
    assert (
        events[-1][1] == running.client.get(f"{V1}/outbound-orders/{outbound['id']}", headers=ANN_ARBOR).json()["data"]
    )
    assert {r["content_type"] for r in receiver.received} == {"application/json"}
    assert all(re.fullmatch(r"[0-9a-f]{64}", r["signature"]) for r in receiver.received)

    log = sandbox.webhook_log
    assert [entry["resource_type"] for entry in log] == [kind for kind, _ in events]
    assert all(entry["status_code"] == 200 and entry["error"] is None and entry["delivered_at"] for entry in log)
    assert [entry["signature"] for entry in log] == [r["signature"] for r in receiver.received]
    assert [entry["id"] for entry in log] == list(range(1, 9))
    assert client.get("/_sandbox/webhooks").json()["data"] == log


def test_webhook_config_failures_are_logged_and_never_retried(flourish: Running, receiver: Receiver) -> None:
    client, sandbox = flourish.client, flourish.sandbox
    item = _sellable_item(flourish)
    client.patch(f"/_sandbox/items/{item['id']}", json={"notes": "before any subscriber"})
    assert sandbox.webhook_log == [] and client.get("/_sandbox/webhooks/config").json()["data"]["url"] is None

    receiver.reset(key="rotated-key")
    config = client.post("/_sandbox/webhooks/config", json={"url": receiver.url, "key": "rotated-key"})
    assert config.json() == {"data": {"url": receiver.url, "key": "rotated-key"}}
    client.patch(f"/_sandbox/items/{item['id']}", json={"item_description": "x"})
    logged = client.get("/_sandbox/webhooks", params={"wait": 5}).json()["data"]
    assert [(e["resource_type"], e["status_code"]) for e in logged] == [("item", 200)]
    assert receiver.events()[0][1]["item_description"] == "x"

    # The subscriber knows another key: it answers 403, which is logged and not retried.
    receiver.reset(key="some-other-key")
    client.patch(f"/_sandbox/items/{item['id']}", json={"item_description": "y"})
    assert sandbox.wait_for_webhooks(5)
    assert [r["verified"] for r in receiver.received] == [False]
    assert (sandbox.webhook_log[-1]["status_code"], sandbox.webhook_log[-1]["error"]) == (403, "HTTP 403")

    receiver.reset(key="rotated-key", status=500)
    _create_outbound(flourish)
    assert sandbox.wait_for_webhooks(5)
    time.sleep(0.2)
    assert len(receiver.received) == 1 and sandbox.webhook_log[-1]["status_code"] == 500

    # Nobody listening: the attempt fails fast and is logged with the reason.
    with BackgroundServer(Starlette()) as gone:
        dead = f"{gone.url}/hooks"
    client.post("/_sandbox/webhooks/config", json={"url": dead})
    assert client.get("/_sandbox/webhooks/config").json()["data"] == {"url": dead, "key": "rotated-key"}
    client.post(f"/_sandbox/items/{item['id']}/quantity", json={"facility_id": "101", "sellable_qty": 999})
    assert sandbox.wait_for_webhooks(5)
    last = sandbox.webhook_log[-1]
    assert (last["resource_type"], last["url"], last["status_code"]) == ("inventory_summary", dead, None)
    assert last["error"]

    assert client.post("/_sandbox/webhooks/config", json={"url": None}).status_code == 200
    count = len(sandbox.webhook_log)
    client.patch(f"/_sandbox/items/{item['id']}", json={"item_description": "z"})
    assert len(sandbox.webhook_log) == count
    assert client.delete("/_sandbox/webhooks").status_code == 204 and sandbox.webhook_log == []
    for bad in ({}, {"url": "ftp://x"}, {"url": receiver.url, "key": ""}):
        assert client.post("/_sandbox/webhooks/config", json=bad).status_code == 422, bad


def test_created_items_fire_item_then_inventory_webhooks(start: Callable[..., Running], receiver: Receiver) -> None:
    running = start(items=30, seed=2, webhook_url=receiver.url, webhook_key="k2")
    receiver.reset(key="k2")
    body = {"item_name": "North Coast Vape", "brand_id": "317", "retail_price": 30, "stock": {"101": 4, "102": 0}}
    item = running.client.post("/_sandbox/items", json=body).json()["data"]
    assert running.sandbox.wait_for_webhooks(5)
    events = receiver.events()
    assert [kind for kind, _ in events] == ["item", "inventory_summary", "inventory_summary"]
    assert events[0][1] == item
    assert [(d["facility_id"], d["sellable_qty"], d["sku"]) for _, d in events[1:]] == [
        ("101", 4, item["sku"]),
        ("102", 0, item["sku"]),
    ]


def test_seeding_fires_no_webhooks(start: Callable[..., Running], receiver: Receiver) -> None:
    running = start(items=60, seed=5, sales=20, facilities=3, webhook_url=receiver.url)
    time.sleep(0.2)
    assert running.sandbox.webhook_log == [] and receiver.received == []


def test_outbound_orders_can_be_cancelled_through_the_api(flourish: Running, receiver: Receiver) -> None:
    flourish.client.post("/_sandbox/webhooks/config", json={"url": receiver.url})
    order = _create_outbound(flourish)
    path = f"{V1}/outbound-orders/{order['id']}/cancel/"
    assert flourish.client.post(path, json={}).status_code == 400  # FacilityID required
    assert flourish.client.post(path, json={}, headers=GRAND_RAPIDS).status_code == 404  # another facility's
    flourish.client.post(f"/_sandbox/outbound-orders/{order['id']}/status", json={"order_status": "Allocated"})
    cancelled = flourish.client.post(path, headers=ANN_ARBOR)  # no body at all is fine
    assert cancelled.status_code == 200, cancelled.text
    data = cancelled.json()["data"]
    assert (data["order_status"], data["allocated_timestamp"] is not None) == ("Cancelled", True)
    assert data["cancelled_timestamp"] == data["last_updated_timestamp"]
    again = flourish.client.post(path, json={}, headers=ANN_ARBOR)
    assert again.status_code == 409 and "Cancelled" in again.json()["error"]

    shipped = _create_outbound(flourish)
    for status in ("Allocated", "Shipped"):
        flourish.client.post(f"/_sandbox/outbound-orders/{shipped['id']}/status", json={"order_status": status})
    late = flourish.client.post(f"{V1}/outbound-orders/{shipped['id']}/cancel", json={}, headers=ANN_ARBOR)
    assert late.status_code == 409 and "Shipped" in late.json()["error"]
    bad_body = flourish.client.post(f"{V1}/outbound-orders/{shipped['id']}/cancel", content=b"{", headers=ANN_ARBOR)
    assert bad_body.status_code == 400

    assert flourish.sandbox.wait_for_webhooks(5)
    statuses = [(d["id"], d["order_status"]) for _, d in receiver.events()]
    assert statuses[-4:] == [
        (order["id"], "Cancelled"),
        (shipped["id"], "Created"),
        (shipped["id"], "Allocated"),
        (shipped["id"], "Shipped"),
    ]
    assert flourish.client.get("/_sandbox/requests").json()[f"POST {V1}/outbound-orders/{{order_id}}/cancel/"] == 6
