"""The Flourish sandbox, exercised as a client would: over real HTTP against uvicorn on loopback.

Each test asserts something a client of Flourish's External API would notice. The small server fixture
lives here for now (it will move to a shared conftest).
"""

from __future__ import annotations

import base64
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from cannasync.sandboxes import flourish as flourish_module
from cannasync.sandboxes.flourish import FlourishSandbox, create_app
from cannasync.sandboxes.flourish_catalog import MALFORMED_KINDS, TERPENES

V1 = "/external/api/v1"
V2 = "/external/api/v2"
KEY = {"x-api-key": "demo-key"}
ANN_ARBOR = {"FacilityID": "101"}
GRAND_RAPIDS = {"FacilityID": "102"}


# --------------------------------------------------------------------------------------------------
# Server fixture


@contextmanager
def serve(app: ASGIApp) -> Iterator[str]:
    """Run ``app`` under uvicorn in a background thread on a free loopback port; yield its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", timeout_graceful_shutdown=3
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="sandbox-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class AppSlot:
    """An ASGI app forwarding to whichever app the current test plugged in.

    One server per module is enough: uvicorn's graceful shutdown alone takes about 0.2 s, which would
    dominate the run if every test started its own server. Each test still gets a fresh sandbox.
    """

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "no sandbox app plugged in"
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, AppSlot]]:
    slot = AppSlot()
    with serve(slot) as url:
        yield url, slot


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
def start(server: tuple[str, AppSlot]) -> Iterator[Callable[..., Running]]:
    """A factory: ``start(items=..., seed=...)`` serves a fresh sandbox (replacing any earlier one)."""
    url, slot = server
    clients: list[httpx2.Client] = []

    def _start(**options: Any) -> Running:
        app = create_app(**options)
        slot.app = app
        client = httpx2.Client(base_url=url, headers=KEY, timeout=5)
        clients.append(client)
        return Running(url, app.state.sandbox, client)

    yield _start
    for client in clients:
        client.close()
    slot.app = None


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
        ("GET", f"{V1}/retail-orders/RO-000001/"),
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


def test_a_large_catalogue_is_built_quickly() -> None:
    started = time.perf_counter()
    sandbox = FlourishSandbox(items=10_000, seed=3)
    assert time.perf_counter() - started < 2.0
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
    monkeypatch.setattr(flourish_module, "_now", lambda: same_moment)
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
    # The single-order route keeps requiring the facility.
    assert running.client.get(f"{V1}/retail-orders/RO-000001/").status_code == 400


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
