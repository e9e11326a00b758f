"""The Alleaves sandbox, exercised as a client would: over real HTTP against uvicorn on loopback.

Each test asserts something a client of the Alleaves wire format (documented in the modules of
``cannasync.sandboxes.alleaves``) would notice. The server is the sandbox tests' shared one
(``tests/sandboxes/conftest.py``).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from tests.sandboxes.conftest import SlotServer

from cannasync.sandboxes.alleaves import Account, AlleavesSandbox, create_app
from cannasync.sandboxes.alleaves.catalog import CATEGORIES, MALFORMED_KINDS, MISTYPED_TERPENES, TERPENES
from cannasync.sandboxes.alleaves.places import BACK_ROOM, DISPLAY, QUARANTINE, RETAIL, VAULT

API = "/api/v1"
MAIN, RIVERSIDE = "ALV-1001", "ALV-1002"
MAIN_AREAS = [RETAIL, VAULT, QUARANTINE, BACK_ROOM, DISPLAY]
DEMO = {"username": "demo", "password": "demo-pass"}

#: Every item field of the contract, in the order served.
ITEM_FIELDS = [
    "item_id",
    "sku",
    "name",
    "brand",
    "category",
    "subcategory",
    "strain_type",
    "description",
    "active",
    "updated_at",
    "images",
    "pricing",
    "chemical_profile",
    "quantities",
    "quantity_available",
]
#: How stores type terpene values, one pattern per variant the connector must read.
VALUE_VARIANTS = {
    "percent": re.compile(r"^\d+(\.\d+)?%$"),
    "percent_spaced": re.compile(r"^\d+(\.\d+)? %$"),
    "mg_spaced": re.compile(r"^\d+(\.\d+)? mg$"),
    "mg": re.compile(r"^\d+(\.\d+)?mg$"),
    "bare": re.compile(r"^\d+(\.\d+)?$"),
}
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@dataclass
class Running:
    """A running sandbox: its URL, its state (read directly), an anonymous client and a Main St one."""

    url: str
    sandbox: AlleavesSandbox
    anonymous: httpx2.Client
    client: httpx2.Client
    new_client: Callable[[str], httpx2.Client]

    def login(self, location: str = MAIN, username: str = "demo", password: str = "demo-pass") -> dict[str, Any]:
        response = self.anonymous.post(
            f"{API}/auth/token", json={"location_id": location, "username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def items(self, areas: list[str], client: httpx2.Client | None = None, **params: Any) -> httpx2.Response:
        return (client or self.client).get(f"{API}/items", params={"area_id": areas, **params})

    def all_items(self, areas: list[str], client: httpx2.Client | None = None) -> list[dict[str, Any]]:
        """Every page of a listing, 100 at a time."""
        records: list[dict[str, Any]] = []
        page = 1
        while True:
            response = self.items(areas, client, page=page, per_page=100)
            assert response.status_code == 200, response.text
            body = response.json()
            records.extend(body["data"])
            if page >= body["pagination"]["total_pages"]:
                return records
            page += 1

    def create_order(self, client: httpx2.Client | None = None, **overrides: Any) -> dict[str, Any]:
        response = (client or self.client).post(f"{API}/orders", json=order_body(self, **overrides))
        assert response.status_code == 201, response.text
        return response.json()["data"]  # type: ignore[no-any-return]

    def move(self, order_id: str, status: str) -> httpx2.Response:
        return self.anonymous.post(f"/_sandbox/orders/{order_id}/status", json={"status": status})


@pytest.fixture
def start(slot_server: SlotServer) -> Iterator[Callable[..., Running]]:
    """A factory: ``start(items=..., seed=...)`` serves a fresh sandbox (replacing any earlier one), with
    ``client`` logged in as the demo user at Main St unless ``login=False``."""
    url = slot_server.url
    clients: list[httpx2.Client] = []

    def client_for(token: str) -> httpx2.Client:
        client = httpx2.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=5)
        clients.append(client)
        return client

    def _start(*, login: bool = True, **options: Any) -> Running:
        app = create_app(**options)
        slot_server.plug(app)
        anonymous = httpx2.Client(base_url=url, timeout=5)
        clients.append(anonymous)
        running = Running(url, app.state.sandbox, anonymous, anonymous, client_for)
        if login:
            running.client = client_for(running.login()["access_token"])
        return running

    yield _start
    for client in clients:
        client.close()
    slot_server.plug(None)


@pytest.fixture
def alleaves(start: Callable[..., Running]) -> Running:
    return start(items=200, seed=1)


def orderable(running: Running, skip: int = 0) -> str:
    """A well-formed active item in Retail at Main St."""
    rows = running.sandbox.listed_items(MAIN, [RETAIL])
    healthy = [row["item_id"] for row in rows if row["item_id"] not in running.sandbox.malformed_ids]
    return healthy[skip]  # type: ignore[no-any-return]


def order_body(running: Running, **overrides: Any) -> dict[str, Any]:
    """A valid recreational pickup order for the well-known phone-only patient."""
    body: dict[str, Any] = {
        "external_id": "WEB-3001",
        "patient_id": "PAT-00002",
        "order_type": "pickup",
        "menu_type": "recreational",
        "lines": [
            {"item_id": orderable(running), "quantity": 2, "unit_price": 30.0},
            {"item_id": orderable(running, 1), "quantity": 1, "unit_price": 12.5},
        ],
        "discount_total": 0,
        "notes": "Curbside please",
    }
    body.update(overrides)
    return body


def delivery(**overrides: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "address": {
            "line1": "77 Harbor Way",
            "line2": "Apt 4",
            "city": "Vancouver",
            "state": "WA",
            "postcode": "98661",
        },
        "window_start": "2025-06-01T17:00:00Z",
        "window_end": "2025-06-01T18:00:00Z",
    }
    value.update(overrides)
    return value


def error_of(response: httpx2.Response) -> tuple[int, str, str]:
    """``(status, code, message)`` of an error answer, checking the envelope on the way."""
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return response.status_code, body["error"]["code"], body["error"]["message"]


# --------------------------------------------------------------------------------------------------
# Auth


def test_a_token_opens_one_location(alleaves: Running) -> None:
    issued = alleaves.login(RIVERSIDE)
    assert set(issued) == {"access_token", "token_type", "expires_in", "refresh_token", "location_id"}
    assert issued["token_type"] == "Bearer" and issued["expires_in"] == 3600 and issued["location_id"] == RIVERSIDE
    main = alleaves.client.get(f"{API}/location").json()["data"]
    assert main == {
        "location_id": MAIN,
        "name": "Evergreen Dispensary \u2014 Main St",
        "timezone": "America/Los_Angeles",
        "address": {"line1": "412 Main St", "city": "Vancouver", "state": "WA", "postcode": "98660"},
        "low_quantity_threshold": 3,
        "menu_types": ["recreational", "medical"],
    }
    riverside = alleaves.new_client(issued["access_token"]).get(f"{API}/location").json()["data"]
    assert riverside["location_id"] == RIVERSIDE and riverside["low_quantity_threshold"] == 5


def test_bad_credentials_all_look_the_same(alleaves: Running) -> None:
    attempts = [
        {"location_id": MAIN, "username": "nobody", "password": "demo-pass"},
        {"location_id": MAIN, "username": "demo", "password": "wrong"},
        {"location_id": MAIN, "username": "riverside", "password": "riverside-pass"},  # no access to Main St
        {"location_id": "ALV-9999", "username": "demo", "password": "demo-pass"},
    ]
    answers = {error_of(alleaves.anonymous.post(f"{API}/auth/token", json=body)) for body in attempts}
    assert len(answers) == 1
    status, code, _ = answers.pop()
    assert (status, code) == (401, "invalid_credentials")

    for missing in ("location_id", "username", "password"):
        body = {"location_id": MAIN, **DEMO}
        del body[missing]
        status, code, message = error_of(alleaves.anonymous.post(f"{API}/auth/token", json=body))
        assert (status, code) == (422, "validation_error") and missing in message
    suspended = {"location_id": MAIN, "username": "suspended", "password": "suspended-pass"}
    assert error_of(alleaves.anonymous.post(f"{API}/auth/token", json=suspended))[:2] == (403, "account_disabled")
    not_json = alleaves.anonymous.post(f"{API}/auth/token", content=b"location_id=1")
    assert error_of(not_json)[:2] == (400, "invalid_json")


def test_routes_need_a_valid_bearer_token(alleaves: Running) -> None:
    for headers in ({}, {"Authorization": "Basic ZGVtbzpkZW1vLXBhc3M="}, {"Authorization": "Bearer not-a-token"}):
        response = alleaves.anonymous.get(f"{API}/location", headers=headers)
        assert error_of(response)[:2] == (401, "invalid_token"), headers


def test_tokens_expire_and_refresh_tokens_work_once(start: Callable[..., Running]) -> None:
    running = start(items=20, token_ttl_seconds=3)
    issued = running.login()
    assert issued["expires_in"] == 3
    client = running.new_client(issued["access_token"])
    assert client.get(f"{API}/location").status_code == 200
    deadline = time.monotonic() + 30  # the token ends on the sandbox's clock: wait for it, however busy the machine
    while client.get(f"{API}/location").status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert error_of(client.get(f"{API}/location"))[:2] == (401, "token_expired")

    refreshed = running.anonymous.post(f"{API}/auth/refresh", json={"refresh_token": issued["refresh_token"]})
    assert refreshed.status_code == 200 and refreshed.json()["location_id"] == MAIN
    assert refreshed.json()["refresh_token"] != issued["refresh_token"]
    assert running.new_client(refreshed.json()["access_token"]).get(f"{API}/location").status_code == 200
    again = running.anonymous.post(f"{API}/auth/refresh", json={"refresh_token": issued["refresh_token"]})
    assert error_of(again)[:2] == (401, "invalid_refresh_token")
    assert error_of(running.anonymous.post(f"{API}/auth/refresh", json={}))[:2] == (422, "validation_error")


def test_the_control_route_expires_every_access_token(alleaves: Running) -> None:
    issued = alleaves.login(RIVERSIDE)
    assert alleaves.anonymous.post("/_sandbox/tokens/expire").json()["data"]["expired"] == 2
    assert error_of(alleaves.client.get(f"{API}/location"))[:2] == (401, "token_expired")
    fresh = alleaves.anonymous.post(f"{API}/auth/refresh", json={"refresh_token": issued["refresh_token"]}).json()
    assert alleaves.new_client(fresh["access_token"]).get(f"{API}/inventory-areas").status_code == 200


def test_a_token_sees_only_its_own_location(alleaves: Running) -> None:
    riverside = alleaves.new_client(alleaves.login(RIVERSIDE)["access_token"])
    main_areas = alleaves.client.get(f"{API}/inventory-areas").json()["data"]
    assert [(a["area_id"], a["name"], a["sellable"]) for a in main_areas] == [
        (RETAIL, "Retail", True),
        (VAULT, "Vault", True),
        (QUARANTINE, "Quarantine", False),
        (BACK_ROOM, "Back Room", True),
        (DISPLAY, "Display", True),
    ]
    assert [a["area_id"] for a in riverside.get(f"{API}/inventory-areas").json()["data"]] == MAIN_AREAS[:4]
    status, code, message = error_of(alleaves.items([DISPLAY], riverside))
    assert (status, code) == (422, "unknown_area") and DISPLAY in message

    main_ids = {row["item_id"] for row in alleaves.all_items([RETAIL])}
    riverside_ids = {row["item_id"] for row in alleaves.all_items([RETAIL], riverside)}
    assert main_ids != riverside_ids
    assert riverside_ids == {row["item_id"] for row in alleaves.sandbox.listed_items(RIVERSIDE, [RETAIL])}

    order = alleaves.create_order()
    assert error_of(riverside.get(f"{API}/orders/{order['order_id']}"))[:2] == (404, "not_found")
    assert riverside.get(f"{API}/orders", params={"external_id": "WEB-3001"}).json()["data"] == []


# --------------------------------------------------------------------------------------------------
# Items


def test_paging_envelope_and_limits(alleaves: Running) -> None:
    first = alleaves.items([RETAIL]).json()
    total = len(alleaves.sandbox.listed_items(MAIN, [RETAIL]))
    assert first["pagination"] == {"page": 1, "per_page": 50, "total": total, "total_pages": -(-total // 50)}
    assert len(first["data"]) == 50
    pages = [alleaves.items([RETAIL], page=page, per_page=40).json() for page in range(1, total // 40 + 2)]
    ids = [row["item_id"] for body in pages for row in body["data"]]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == total
    beyond = alleaves.items([RETAIL], page=99).json()
    assert beyond["data"] == [] and beyond["pagination"]["total"] == total

    assert len(alleaves.items([RETAIL], per_page=100).json()["data"]) == 100
    for params in ({"per_page": 101}, {"per_page": 0}, {"page": 0}, {"page": "two"}, {"per_page": "1.5"}):
        status, code, message = error_of(alleaves.items([RETAIL], **params))
        assert (status, code) == (400, "invalid_paging") and next(iter(params)) in message
    status, code, _ = error_of(alleaves.client.get(f"{API}/patients", params={"phone": "3605550178", "page": -1}))
    assert (status, code) == (400, "invalid_paging")


def test_areas_are_required_and_only_those_areas_count(alleaves: Running) -> None:
    assert error_of(alleaves.client.get(f"{API}/items"))[:2] == (400, "area_required")
    assert error_of(alleaves.client.get(f"{API}/items", params={"area_id": ""}))[:2] == (400, "area_required")
    status, code, message = error_of(alleaves.items([RETAIL, "AREA-NOPE"]))
    assert (status, code) == (422, "unknown_area") and "AREA-NOPE" in message

    stock = alleaves.sandbox.stock[MAIN]
    retail = alleaves.all_items([RETAIL])
    for row in retail:
        assert row["quantities"] == [{"area_id": RETAIL, "quantity": stock[row["item_id"]][RETAIL]}]
        assert row["quantity_available"] == row["quantities"][0]["quantity"] > 0

    both = alleaves.all_items([VAULT, RETAIL, VAULT])  # order of the location, repeats collapse
    for row in both:
        areas = stock[row["item_id"]]
        assert [q["area_id"] for q in row["quantities"]] == [RETAIL, VAULT]
        assert [q["quantity"] for q in row["quantities"]] == [areas.get(RETAIL, 0), areas.get(VAULT, 0)]
        assert row["quantity_available"] == areas.get(RETAIL, 0) + areas.get(VAULT, 0) > 0
    retail_ids, both_ids = {row["item_id"] for row in retail}, {row["item_id"] for row in both}
    vault_only = both_ids - retail_ids
    assert vault_only and all(set(stock[item_id]) == {VAULT} for item_id in vault_only)

    quarantined = {item_id for item_id, areas in stock.items() if set(areas) == {QUARANTINE}}
    assert quarantined and not quarantined & both_ids
    everywhere = {row["item_id"] for row in alleaves.all_items(MAIN_AREAS)}
    active_quarantined = {i for i in quarantined if alleaves.sandbox.item(i)["active"]}
    assert active_quarantined and active_quarantined <= everywhere

    # Items at or below the threshold are served as they are: zeroing them is the client's job.
    low = [row for row in retail if row["quantity_available"] <= 3]
    assert len(low) >= 2 and all(1 <= row["quantity_available"] <= 3 for row in low)


def test_inactive_items_are_never_listed(alleaves: Running) -> None:
    inactive = [item["item_id"] for item in alleaves.sandbox.items() if not item["active"]]
    stocked = [item_id for item_id in inactive if alleaves.sandbox.stock[MAIN].get(item_id)]
    assert stocked
    listed = {row["item_id"] for row in alleaves.all_items(MAIN_AREAS)}
    assert not listed & set(inactive)
    single = alleaves.client.get(f"{API}/items/{stocked[0]}").json()["data"]
    assert single["active"] is False and [q["area_id"] for q in single["quantities"]] == MAIN_AREAS

    visible = orderable(alleaves)
    alleaves.anonymous.patch(f"/_sandbox/items/{visible}", json={"active": False})
    assert visible not in {row["item_id"] for row in alleaves.all_items([RETAIL])}


def test_items_carry_every_documented_field(alleaves: Running) -> None:
    rows = alleaves.all_items(MAIN_AREAS)
    healthy = [row for row in rows if row["item_id"] not in alleaves.sandbox.malformed_ids]
    categories: Counter[str] = Counter()
    tiered = 0
    for row in healthy:
        assert list(row) == ITEM_FIELDS, row["item_id"]
        assert re.fullmatch(r"ITM-\d{6}", row["item_id"]) and row["active"] is True
        assert ISO_MS.match(row["updated_at"])
        assert isinstance(row["name"], str) and row["name"] and isinstance(row["description"], str)
        assert row["strain_type"] in ("Indica", "Sativa", "Hybrid", "CBD", None)
        assert row["subcategory"] is None or isinstance(row["subcategory"], str)
        categories[row["category"]] += 1
        pricing = row["pricing"]
        assert {"recreational", "medical", "otd_price", "is_tiered"} <= set(pricing)
        assert pricing["recreational"] is not None or pricing["medical"] is not None
        if pricing["otd_price"] is not None:
            assert pricing["otd_price"] > pricing["recreational"] > 0
        if pricing["is_tiered"]:
            tiered += 1
            assert row["category"] == "Flower"
            assert [tier["label"] for tier in pricing["tiers"]] == ["1g", "3.5g", "7g", "14g", "28g"]
            assert [tier["quantity"] for tier in pricing["tiers"]] == [1, 3.5, 7, 14, 28]
            assert all(tier["unit"] == "g" and tier["price"] > 0 for tier in pricing["tiers"])
            assert pricing["tiers"][0]["price"] == pricing["recreational"]
        else:
            assert "tiers" not in pricing
        for entry in row["chemical_profile"]:
            assert set(entry) == {"compound", "kind", "value"} and entry["kind"] in ("cannabinoid", "terpene")
            if entry["kind"] == "cannabinoid":
                assert entry["compound"] in ("THC", "THCA", "CBD", "CBDA", "CBG", "CBN")
                assert re.fullmatch(r"\d+(\.\d+)?(%| mg)", entry["value"])
    assert set(categories) == set(CATEGORIES) and tiered > 0
    assert any(row["pricing"]["otd_price"] is None for row in healthy)
    assert any(row["pricing"]["medical"] is None for row in healthy)


def test_every_terpene_name_and_value_variant_is_present(alleaves: Running) -> None:
    terpenes = [
        entry
        for row in alleaves.all_items([RETAIL])
        if row["item_id"] not in alleaves.sandbox.malformed_ids
        for entry in row["chemical_profile"]
        if entry["kind"] == "terpene"
    ]
    names = {entry["compound"] for entry in terpenes}
    assert set(TERPENES) <= names and set(MISTYPED_TERPENES) <= names
    assert names <= set(TERPENES) | set(MISTYPED_TERPENES)
    for variant, pattern in VALUE_VARIANTS.items():
        assert any(pattern.match(entry["value"]) for entry in terpenes), variant


def test_images_are_absolute_sortable_by_position_and_served(alleaves: Running) -> None:
    rows = [row for row in alleaves.all_items(MAIN_AREAS) if row["item_id"] not in alleaves.sandbox.malformed_ids]
    assert any(not row["images"] for row in rows) and max(len(row["images"]) for row in rows) <= 4
    shuffled = [
        row for row in rows if [i["position"] for i in row["images"]] != sorted(i["position"] for i in row["images"])
    ]
    assert shuffled
    row = shuffled[0]
    ordered = sorted(row["images"], key=lambda image: image["position"])
    assert [image["position"] for image in ordered] == list(range(1, len(ordered) + 1))
    for image in ordered:
        assert image["url"] == f"{alleaves.url}/_sandbox/images/{row['item_id']}/{image['position']}.png"
        response = httpx2.get(image["url"])  # no auth
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    missing = alleaves.anonymous.get(f"/_sandbox/images/{row['item_id']}/9.png")
    assert error_of(missing)[:2] == (404, "not_found")


def test_malformed_records_are_planted_and_listed(alleaves: Running) -> None:
    malformed = alleaves.sandbox.malformed
    assert sorted(malformed.values()) == sorted(MALFORMED_KINDS)
    rows = {row["item_id"]: row for row in alleaves.all_items([RETAIL]) if row["item_id"] in malformed}
    assert set(rows) == set(malformed)
    for item_id, kind in malformed.items():
        row = rows[item_id]
        if kind == "missing_name":
            assert "name" not in row
        elif kind == "price_not_numeric":
            assert row["pricing"]["recreational"] == "call"
        elif kind == "negative_otd_price":
            assert row["pricing"]["otd_price"] < 0
        else:
            assert any("url" not in image for image in row["images"])


def test_single_item_answers_every_area_or_those_asked_for(alleaves: Running) -> None:
    item_id = orderable(alleaves)
    whole = alleaves.client.get(f"{API}/items/{item_id}").json()["data"]
    assert list(whole) == ITEM_FIELDS and [q["area_id"] for q in whole["quantities"]] == MAIN_AREAS
    assert whole["quantity_available"] == sum(q["quantity"] for q in whole["quantities"])
    some = alleaves.client.get(f"{API}/items/{item_id}", params={"area_id": RETAIL}).json()["data"]
    assert some["quantities"] == [q for q in whole["quantities"] if q["area_id"] == RETAIL]
    assert error_of(alleaves.client.get(f"{API}/items/ITM-999999"))[:2] == (404, "not_found")


def test_control_routes_change_stock_thresholds_and_items(alleaves: Running) -> None:
    item_id = orderable(alleaves)
    before = alleaves.client.get(f"{API}/items/{item_id}").json()["data"]
    moved = alleaves.anonymous.post(f"/_sandbox/items/{item_id}/quantity", json={"area_id": VAULT, "quantity": 7})
    assert moved.status_code == 200 and moved.json()["data"]["quantities"][1] == {"area_id": VAULT, "quantity": 7}
    after = alleaves.client.get(f"{API}/items/{item_id}").json()["data"]
    assert after["updated_at"] > before["updated_at"]
    assert after["quantity_available"] == before["quantity_available"] - before["quantities"][1]["quantity"] + 7
    since = alleaves.items([VAULT], updated_since=after["updated_at"]).json()["data"]
    assert [row["item_id"] for row in since] == [item_id]
    assert error_of(alleaves.items([VAULT], updated_since="yesterday"))[:2] == (400, "invalid_query")

    alleaves.anonymous.post(f"/_sandbox/items/{item_id}/quantity", json={"area_id": RETAIL, "quantity": 0})
    alleaves.anonymous.post(f"/_sandbox/items/{item_id}/quantity", json={"area_id": VAULT, "quantity": 0})
    assert item_id not in {row["item_id"] for row in alleaves.all_items(MAIN_AREAS)}
    bad = alleaves.anonymous.post(f"/_sandbox/items/{item_id}/quantity", json={"area_id": RETAIL, "quantity": -1})
    assert bad.status_code == 422

    threshold = alleaves.anonymous.post(f"/_sandbox/locations/{MAIN}/threshold", json={"low_quantity_threshold": 8})
    assert threshold.status_code == 200
    assert alleaves.client.get(f"{API}/location").json()["data"]["low_quantity_threshold"] == 8

    other = orderable(alleaves, 3)
    new_pricing = {"recreational": 40.0, "medical": None, "otd_price": 48.0, "is_tiered": False}
    patched = alleaves.anonymous.patch(f"/_sandbox/items/{other}", json={"pricing": new_pricing, "name": "Renamed"})
    assert patched.status_code == 200
    served = alleaves.client.get(f"{API}/items/{other}").json()["data"]
    assert served["pricing"] == new_pricing and served["name"] == "Renamed"
    assert alleaves.anonymous.patch(f"/_sandbox/items/{other}", json={"quantities": []}).status_code == 422
    assert alleaves.anonymous.delete(f"/_sandbox/items/{other}").status_code == 204
    assert alleaves.client.get(f"{API}/items/{other}").status_code == 404
    assert other not in {row["item_id"] for row in alleaves.all_items(MAIN_AREAS)}


# --------------------------------------------------------------------------------------------------
# Patients


def test_patients_are_found_by_medical_id_or_phone_in_any_format(alleaves: Running) -> None:
    def find(**params: str) -> list[str]:
        response = alleaves.client.get(f"{API}/patients", params=params)
        assert response.status_code == 200, response.text
        assert set(response.json()["pagination"]) == {"page", "per_page", "total", "total_pages"}
        return [patient["patient_id"] for patient in response.json()["data"]]

    assert find(medical_id="WA-MMJ-0042-7781") == ["PAT-00001"]
    assert find(medical_id="  wa-mmj-0042-7781 ") == ["PAT-00001"]
    assert find(medical_id="WA-MMJ-0042") == []
    for phone in ("3605550143", "+1 (360) 555-0143", "13605550143", "360.555.0143"):
        assert find(phone=phone) == ["PAT-00001"], phone
    assert find(phone="(360) 555-0178") == ["PAT-00002"]
    assert find(medical_id="WA-MMJ-0042-7781", phone="3605550178") == []
    phone_only = alleaves.client.get(f"{API}/patients", params={"phone": "3605550178"}).json()["data"][0]
    assert phone_only["medical_id"] is None and phone_only["is_medical"] is False and phone_only["email"] is None

    assert error_of(alleaves.client.get(f"{API}/patients"))[:2] == (400, "missing_parameter")
    assert error_of(alleaves.client.get(f"{API}/patients", params={"phone": "n/a"}))[:2] == (400, "invalid_query")


def test_patients_are_found_by_name_and_date_of_birth_together(alleaves: Running) -> None:
    def find(**params: str) -> list[str]:
        response = alleaves.client.get(f"{API}/patients", params=params)
        assert response.status_code == 200, response.text
        return [patient["patient_id"] for patient in response.json()["data"]]

    dana = {"first_name": "Dana", "last_name": "Whitaker", "date_of_birth": "1979-05-14"}
    assert find(**dana) == ["PAT-00001"]
    assert find(first_name=" dana ", last_name="WHITAKER", date_of_birth="1979-05-14") == ["PAT-00001"]
    assert find(**{**dana, "date_of_birth": "1979-05-15"}) == []
    assert find(**{**dana, "last_name": "Whit"}) == []  # exact, not a prefix
    assert find(**dana, phone="3605550178") == []  # every criterion given must match
    for missing in dana:
        partial = {k: v for k, v in dana.items() if k != missing}
        status, code, message = error_of(alleaves.client.get(f"{API}/patients", params=partial))
        assert (status, code) == (400, "missing_parameter") and missing in message
    bad_date = {**dana, "date_of_birth": "05/14/1979"}
    assert error_of(alleaves.client.get(f"{API}/patients", params=bad_date))[:2] == (400, "invalid_query")


def test_create_patient_validates_and_refuses_a_duplicate_medical_id(alleaves: Running) -> None:
    body = {
        "first_name": "Morgan",
        "last_name": "Reyes",
        "date_of_birth": "1988-03-09",
        "phone": "509-555-0101",
        "email": "morgan@example.com",
        "medical_id": "WA-MMJ-7000-0001",
        "medical_id_expiration": "2026-12-31",
        "is_medical": True,
    }
    created = alleaves.client.post(f"{API}/patients", json=body)
    assert created.status_code == 201
    patient = created.json()["data"]
    assert patient == {"patient_id": "PAT-00021", **body, "created_at": patient["created_at"]}
    found = alleaves.client.get(f"{API}/patients", params={"phone": "5095550101"}).json()["data"]
    assert [p["patient_id"] for p in found] == ["PAT-00021"]

    for missing in ("first_name", "last_name", "date_of_birth"):
        partial = {k: v for k, v in body.items() if k not in (missing, "medical_id")}
        status, code, message = error_of(alleaves.client.post(f"{API}/patients", json=partial))
        assert (status, code) == (422, "validation_error") and missing in message
    bad_date = {**body, "medical_id": None, "date_of_birth": "03/09/1988"}
    assert "date_of_birth" in error_of(alleaves.client.post(f"{API}/patients", json=bad_date))[2]

    duplicate = {**body, "first_name": "Other", "medical_id": "wa-mmj-0042-7781"}
    assert error_of(alleaves.client.post(f"{API}/patients", json=duplicate))[:2] == (409, "duplicate_medical_id")
    minimal = {"first_name": "Lee", "last_name": "Park", "date_of_birth": "2000-01-01"}
    lee = alleaves.client.post(f"{API}/patients", json=minimal).json()["data"]
    assert lee["is_medical"] is False and lee["phone"] is None and lee["patient_id"] == "PAT-00022"


# --------------------------------------------------------------------------------------------------
# Orders


def test_create_an_order_then_read_it_and_find_it_by_external_id(alleaves: Running) -> None:
    first, second = orderable(alleaves), orderable(alleaves, 1)
    stock_before = alleaves.sandbox.listed_items(MAIN, MAIN_AREAS)
    order = alleaves.create_order(
        lines=[
            {"item_id": first, "quantity": 3, "unit_price": 10.335},  # 31.005 → 31.01 (half up)
            {"item_id": second, "quantity": 1.5, "unit_price": 9.99},  # 14.985
        ],
        discount_total=5.5,
    )
    assert re.fullmatch(r"ORD-\d{6}", order["order_id"]) and order["status"] == "received"
    assert (order["subtotal"], order["discount_total"], order["total"]) == (45.99, 5.5, 40.49)
    assert order["external_id"] == "WEB-3001" and order["location_id"] == MAIN
    assert order["lines"][0] == {"item_id": first, "quantity": 3, "unit_price": 10.335}
    assert order["delivery"] is None and order["notes"] == "Curbside please"
    assert ISO_MS.match(order["created_at"]) and order["created_at"] == order["updated_at"]

    assert alleaves.client.get(f"{API}/orders/{order['order_id']}").json() == {"data": order}
    again = alleaves.create_order()  # no dedupe by external_id
    assert again["order_id"] != order["order_id"]
    found = alleaves.client.get(f"{API}/orders", params={"external_id": "WEB-3001"}).json()
    assert [o["order_id"] for o in found["data"]] == [order["order_id"], again["order_id"]]
    assert found["pagination"]["total"] == 2
    assert alleaves.client.get(f"{API}/orders", params={"external_id": "WEB-nope"}).json()["data"] == []
    assert error_of(alleaves.client.get(f"{API}/orders/ORD-999999"))[:2] == (404, "not_found")
    assert alleaves.sandbox.listed_items(MAIN, MAIN_AREAS) == stock_before  # orders move no stock
    assert len(alleaves.anonymous.get("/_sandbox/orders").json()["data"]) == 2


def test_a_delivery_order_carries_its_window(alleaves: Running) -> None:
    order = alleaves.create_order(
        order_type="delivery", menu_type="medical", patient_id="PAT-00001", delivery=delivery()
    )
    assert order["delivery"] == delivery()
    recreational_without_patient = alleaves.create_order(patient_id=None)
    assert recreational_without_patient["patient_id"] is None


@pytest.mark.parametrize(
    ("overrides", "code", "named"),
    [
        ({"external_id": ""}, "validation_error", "external_id"),
        ({"order_type": "curbside"}, "validation_error", "order_type"),
        ({"menu_type": "adult"}, "validation_error", "menu_type"),
        ({"menu_type": "medical", "patient_id": None}, "validation_error", "patient_id"),
        ({"patient_id": "PAT-99999"}, "unknown_patient", "PAT-99999"),
        ({"lines": []}, "validation_error", "lines"),
        ({"lines": [{"item_id": "ITM-999999", "quantity": 1, "unit_price": 1}]}, "unknown_item", "ITM-999999"),
        ({"lines": [{"item_id": "ITM-000001", "quantity": 0, "unit_price": 1}]}, "validation_error", "quantity"),
        ({"lines": [{"item_id": "ITM-000001", "quantity": 1, "unit_price": -1}]}, "validation_error", "unit_price"),
        ({"discount_total": -1}, "validation_error", "discount_total"),
        ({"discount_total": 1000}, "validation_error", "discount_total"),
        ({"order_type": "delivery"}, "validation_error", "delivery"),
        ({"order_type": "delivery", "delivery": delivery(window_end=None)}, "validation_error", "window_end"),
        (
            {"order_type": "delivery", "delivery": delivery(window_end="2025-06-01T16:00:00Z")},
            "validation_error",
            "window_end must be after",
        ),
        (
            {"order_type": "delivery", "delivery": delivery(address={"line1": "1 A St", "city": "X", "state": "WA"})},
            "validation_error",
            "postcode",
        ),
    ],
)
def test_order_validation_names_the_problem(
    alleaves: Running, overrides: dict[str, Any], code: str, named: str
) -> None:
    response = alleaves.client.post(f"{API}/orders", json=order_body(alleaves, **overrides))
    status, got_code, message = error_of(response)
    assert (status, got_code) == (422, code) and named in message
    assert alleaves.sandbox.orders() == []


def test_an_inactive_item_cannot_be_ordered(alleaves: Running) -> None:
    inactive = next(item["item_id"] for item in alleaves.sandbox.items() if not item["active"])
    body = order_body(alleaves, lines=[{"item_id": inactive, "quantity": 1, "unit_price": 5}])
    status, code, message = error_of(alleaves.client.post(f"{API}/orders", json=body))
    assert (status, code) == (422, "inactive_item") and inactive in message


def test_status_moves_follow_the_machine(alleaves: Running) -> None:
    pickup = alleaves.create_order()["order_id"]
    assert error_of(alleaves.move(pickup, "ready"))[:2] == (409, "invalid_transition")
    for status in ("accepted", "in_progress", "ready"):
        assert alleaves.move(pickup, status).json()["data"]["status"] == status
    assert alleaves.move(pickup, "out_for_delivery").status_code == 409  # pickups are not delivered
    assert alleaves.move(pickup, "completed").status_code == 200
    assert alleaves.move(pickup, "cancelled").status_code == 409  # final
    assert alleaves.client.get(f"{API}/orders/{pickup}").json()["data"]["status"] == "completed"

    drop = alleaves.create_order(order_type="delivery", delivery=delivery())["order_id"]
    for status in ("accepted", "in_progress", "ready"):
        alleaves.move(drop, status)
    assert alleaves.move(drop, "completed").status_code == 409  # a delivery goes out first
    assert alleaves.move(drop, "out_for_delivery").status_code == 200
    assert alleaves.move(drop, "completed").json()["data"]["status"] == "completed"

    rejected = alleaves.create_order()["order_id"]
    assert alleaves.move(rejected, "rejected").status_code == 200
    assert alleaves.move(rejected, "accepted").status_code == 409
    late = alleaves.create_order()["order_id"]
    alleaves.move(late, "accepted")
    assert alleaves.move(late, "rejected").status_code == 409  # only from received
    assert alleaves.move(late, "cancelled").json()["data"]["status"] == "cancelled"
    assert error_of(alleaves.move(late, "shipped"))[:2] == (422, "unknown_status")
    assert alleaves.move("ORD-999999", "accepted").status_code == 404


# --------------------------------------------------------------------------------------------------
# Rate limit, faults and request counts


def test_rate_limit_answers_429_with_retry_after_per_token(alleaves: Running) -> None:
    assert alleaves.anonymous.post("/_sandbox/rate-limit", json={"per_minute": 3}).json() == {"per_minute": 3}
    answers = [alleaves.client.get(f"{API}/location") for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert error_of(answers[3])[:2] == (429, "rate_limited")
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 60
    other = alleaves.new_client(alleaves.login()["access_token"])  # another token has its own minute
    assert other.get(f"{API}/location").status_code == 200
    assert alleaves.anonymous.get("/_sandbox/orders").status_code == 200  # control routes are never limited
    alleaves.anonymous.post("/_sandbox/rate-limit", json={"per_minute": None})
    assert alleaves.client.get(f"{API}/location").status_code == 200
    assert alleaves.anonymous.post("/_sandbox/rate-limit", json={"per_minute": 0}).status_code == 422


def test_lowering_the_rate_limit_counts_the_requests_already_made(alleaves: Running) -> None:
    # The token's past minute is kept when the limit changes: a lower limit applies to the very next request.
    assert [alleaves.client.get(f"{API}/location").status_code for _ in range(3)] == [200, 200, 200]
    assert alleaves.anonymous.post("/_sandbox/rate-limit", json={"per_minute": 2}).status_code == 200
    refused = alleaves.client.get(f"{API}/location")
    assert error_of(refused)[:2] == (429, "rate_limited") and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "More than 2 requests in a minute" in error_of(refused)[2]
    assert alleaves.anonymous.post("/_sandbox/rate-limit", json={"per_minute": 4}).status_code == 200
    assert alleaves.client.get(f"{API}/location").status_code == 200  # the refused request did not count


def test_injected_status_faults_fire_after_and_count_times(alleaves: Running) -> None:
    fault = {"method": "GET", "path_prefix": f"{API}/items", "status": 503, "count": 2, "after": 1, "retry_after": 2}
    assert alleaves.anonymous.post("/_sandbox/faults", json=fault).status_code == 201
    answers = [alleaves.items([RETAIL]) for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 503, 503, 200]
    assert error_of(answers[1])[:2] == (503, "injected_fault") and answers[1].headers["Retry-After"] == "2"
    assert alleaves.client.get(f"{API}/location").status_code == 200

    alleaves.anonymous.post("/_sandbox/faults", json={"status": 500, "count": 5})
    assert len(alleaves.anonymous.get("/_sandbox/faults").json()["data"]) == 1
    assert alleaves.anonymous.delete("/_sandbox/faults").status_code == 204
    assert alleaves.client.get(f"{API}/location").status_code == 200
    assert alleaves.anonymous.post("/_sandbox/faults", json={"status": 200}).status_code == 422


def test_timeout_after_commit_creates_the_order_although_the_client_times_out(alleaves: Running) -> None:
    fault = {"mode": "timeout_after_commit", "delay_seconds": 0.8, "method": "POST", "path_prefix": f"{API}/orders"}
    alleaves.anonymous.post("/_sandbox/faults", json=fault)
    with pytest.raises(httpx2.TimeoutException):
        alleaves.client.post(f"{API}/orders", json=order_body(alleaves), timeout=0.3)
    # Alleaves committed: the lookup by external_id (what the hub does before retrying) finds it.
    found = alleaves.client.get(f"{API}/orders", params={"external_id": "WEB-3001"}).json()
    assert found["pagination"]["total"] == 1


def test_request_counts_are_kept_per_route_template(alleaves: Running) -> None:
    alleaves.anonymous.delete("/_sandbox/requests")
    alleaves.items([RETAIL])
    alleaves.items([VAULT])
    alleaves.anonymous.get(f"{API}/location")  # a 401 still counts
    order = alleaves.create_order()
    alleaves.client.get(f"{API}/orders/{order['order_id']}")
    alleaves.anonymous.get(f"{API}/nope")
    assert alleaves.anonymous.get("/_sandbox/requests").json() == {
        "GET /api/v1/items": 2,
        "GET /api/v1/location": 1,
        "POST /api/v1/orders": 1,
        "GET /api/v1/orders/{order_id}": 1,
    }
    assert error_of(alleaves.anonymous.get(f"{API}/nope"))[:2] == (404, "not_found")
    assert error_of(alleaves.client.delete(f"{API}/location"))[:2] == (405, "method_not_allowed")
    assert alleaves.anonymous.delete("/_sandbox/requests").status_code == 204
    assert alleaves.anonymous.get("/_sandbox/requests").json() == {}


# --------------------------------------------------------------------------------------------------
# Determinism and size


def test_same_seed_same_catalogue_different_seed_different(start: Callable[..., Running]) -> None:
    def snapshot(seed: int) -> tuple[bytes, bytes, bytes]:
        running = start(items=120, seed=seed)
        listing = running.items(MAIN_AREAS, per_page=100).content
        patients = running.anonymous.get("/_sandbox/patients").content
        return listing, patients, running.client.get(f"{API}/inventory-areas").content

    one, again, other = snapshot(7), snapshot(7), snapshot(8)
    assert one == again
    assert one[0] != other[0] and one[1] != other[1]
    assert one[2] == other[2]  # locations and areas are the same for every seed


def test_custom_accounts_replace_the_defaults(start: Callable[..., Running]) -> None:
    running = start(items=10, accounts=[Account("alice", "s3cret", (RIVERSIDE,))], login=False)
    assert running.login(RIVERSIDE, "alice", "s3cret")["location_id"] == RIVERSIDE
    demo = running.anonymous.post(f"{API}/auth/token", json={"location_id": MAIN, **DEMO})
    assert demo.status_code == 401


def test_a_large_catalogue_is_built_and_served(start: Callable[..., Running]) -> None:
    running = start(items=10_000, seed=3, rate_limit_per_minute=None)
    assert len(running.sandbox.malformed_ids) == 100
    body = running.items([RETAIL, VAULT], per_page=100).json()
    assert body["pagination"]["total"] > 8000 and len(body["data"]) == 100
    for page in range(2, 12):
        assert len(running.items([RETAIL, VAULT], per_page=100, page=page).json()["data"]) == 100
