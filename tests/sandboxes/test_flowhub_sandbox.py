"""The Flowhub sandbox, exercised as a client would: over real HTTP against uvicorn on loopback.

Each test asserts something a client of Flowhub's API would notice. The sandbox is served by the shared slot
server (tests/sandboxes/conftest.py); postbacks go to a second tiny app on another of its servers that records
what it receives.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tests.sandboxes.conftest import SlotServer

from cannasync.sandboxes.flowhub import (
    DEFAULT_ACCOUNT,
    DEFAULT_API_KEY,
    DEFAULT_CLIENT_ID,
    DEFAULT_ORDER_AHEAD_CLIENT_ID,
    DEFAULT_ORDER_AHEAD_TOKEN,
    Account,
    FlowhubSandbox,
    create_app,
)
from cannasync.sandboxes.flowhub.catalog import MALFORMED_KINDS, SPECIES_NAMES, TERPENES

API = {"clientId": DEFAULT_CLIENT_ID, "key": DEFAULT_API_KEY}
#: The Order Ahead grant of the well-known client, as Flowhub's public client sends it to the Auth0 tenant.
GRANT = {
    "client_id": DEFAULT_ORDER_AHEAD_CLIENT_ID,
    "client_secret": DEFAULT_ORDER_AHEAD_TOKEN,
    "audience": "https://api.flowhub.co",
    "grant_type": "client_credentials",
}
EAST, FERNDALE = "loc-eastside", "loc-ferndale"
CREATE = "/order-ahead/v0/create"

#: Every InventoryItem field of the contract.
INVENTORY_FIELDS = (
    "productId",
    "productName",
    "parentProductId",
    "parentProductName",
    "variantId",
    "variantName",
    "sku",
    "brand",
    "category",
    "customCategoryName",
    "type",
    "purchaseCategory",
    "speciesName",
    "strainName",
    "supplierName",
    "tags",
    "effects",
    "cannabinoidInformation",
    "terpenes",
    "priceInMinorUnits",
    "preTaxPriceInPennies",
    "postTaxPriceInPennies",
    "costInMinorUnits",
    "currencyCode",
    "priceProfileName",
    "weightTierInformation",
    "quantity",
    "inventoryUnitOfMeasure",
    "productUnitOfMeasure",
    "productWeight",
    "isSoldByWeight",
    "productDescription",
    "productPictureURL",
    "isMixAndMatch",
    "isStackable",
    "clientId",
    "expirationDate",
    "invoiceNumber",
    "manifestId",
    "nutrients",
    "locationId",
    "locationName",
    "createdAt",
    "productUpdatedAt",
)
CATEGORIES = {"Flower", "Pre-Rolls", "Vape", "Edibles", "Concentrates", "Tinctures", "Topicals", "Accessories"}
CANNABINOIDS = {"THC", "THCA", "CBD", "CBDA", "CBG", "CBN", "CBC"}
ROOM_NAMES = {"Sales Floor", "Vault", "Back Stock", "Quarantine"}


# --------------------------------------------------------------------------------------------------
# Server fixtures


@dataclass
class Receiver:
    """The hub's side of postbacks: records every POST to ``/hooks/{name}`` and answers ``status``."""

    url: str = ""
    status: int = 200
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            self.posts.append((request.path_params["name"], await request.json()))
            return Response(status_code=self.status)

        return Starlette(routes=[Route("/hooks/{name}", hook, methods=["POST"])])


@pytest.fixture(scope="module")
def receiver_server(slot_servers: Callable[[], SlotServer]) -> Receiver:
    receiver = Receiver()
    server = slot_servers()
    server.plug(receiver.app())
    receiver.url = server.url
    return receiver


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.posts.clear()
    receiver_server.status = 200
    return receiver_server


@dataclass
class Running:
    """A running sandbox: its URL, its state (read directly) and two clients (v0/v1 and order-ahead)."""

    url: str
    sandbox: FlowhubSandbox
    client: httpx2.Client
    order_ahead: httpx2.Client

    def inventory(self, location: str = EAST, kind: str = "inventory") -> list[dict[str, Any]]:
        response = self.client.get(f"/v0/locations/{location}/{kind}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"status", "data"} and body["status"] == 200
        return body["data"]  # type: ignore[no-any-return]

    def create_order(self, **overrides: Any) -> dict[str, Any]:
        response = self.order_ahead.post(CREATE, json=order_body(self, **overrides))
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def move(self, order_id: str, status: str) -> httpx2.Response:
        return self.client.post(f"/_sandbox/orders/{order_id}/status", json={"status": status})


@pytest.fixture
def start(slot_server: SlotServer) -> Iterator[Callable[..., Running]]:
    """A factory: ``start(items=..., seed=...)`` serves a fresh sandbox (replacing any earlier one)."""
    url = slot_server.url
    clients: list[httpx2.Client] = []

    def _start(**options: Any) -> Running:
        app = create_app(**options)
        slot_server.plug(app)
        client = httpx2.Client(base_url=url, headers=API, timeout=5)
        order_ahead = httpx2.Client(base_url=url, headers=bearer(url), timeout=5)
        clients.extend((client, order_ahead))
        return Running(url, app.state.sandbox, client, order_ahead)

    yield _start
    for client in clients:
        client.close()
    slot_server.plug(None)


@pytest.fixture
def flowhub(start: Callable[..., Running]) -> Running:
    return start(items=200, seed=1)


def access_token(url: str, grant: dict[str, str] | None = None) -> str:
    answer = httpx2.post(f"{url}/oauth/token", json=grant or GRANT, timeout=5)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def bearer(url: str, grant: dict[str, str] | None = None) -> dict[str, str]:
    """The one header Order Ahead calls carry: a bearer from the client-credentials grant."""
    return {"Authorization": f"Bearer {access_token(url, grant)}"}


def orderable(running: Running, location: str = EAST, skip: int = 0) -> int:
    """A well-formed product in stock at ``location``."""
    rows = running.sandbox.inventory(location, "inventoryNonZero")
    healthy = [row["productId"] for row in rows if row["productId"] not in running.sandbox.malformed_ids]
    return healthy[skip]  # type: ignore[no-any-return]


def order_body(running: Running, **overrides: Any) -> dict[str, Any]:
    """A valid pickup order at Eastside, for the well-known recreational customer."""
    body: dict[str, Any] = {
        "externalCreatedAt": "2025-06-01T12:00:00Z",
        "customer": {
            "firstName": "Sam",
            "lastName": "Okafor",
            "birthDate": "1994-02-11",
            "externalId": "shop-cust-7",
            "email": "sam.okafor@example.com",
            "phone": "+12485550199",
            "medRecOrBoth": "rec",
        },
        "orderItems": [{"productId": orderable(running), "quantityPurchased": 2, "discountNote": ""}],
        "customerNote": "Curbside please",
        "orderType": "pickup",
        "requestedFulfillmentTimeStart": "2025-06-01T16:00:00Z",
        "requestedFulfillmentTimeEnd": "2025-06-01T16:30:00Z",
        "fees": [],
        "loyaltyPointsInPennies": 0,
    }
    body.update(overrides)
    return body


_CUSTOMER: dict[str, Any] = {
    "firstName": "Sam",
    "lastName": "Okafor",
    "birthDate": "1994-02-11",
    "phone": "+12485550199",
}


# --------------------------------------------------------------------------------------------------
# Auth


def test_missing_or_unknown_credentials_are_401(flowhub: Running) -> None:
    path = f"/v0/locations/{EAST}/inventory"
    missing = {"errors": ["Missing clientId or key header"]}
    invalid = {"errors": ["Invalid credentials"]}
    with httpx2.Client(base_url=flowhub.url) as anonymous:
        for headers, expected in (
            ({}, missing),
            ({"clientId": DEFAULT_CLIENT_ID}, missing),
            ({"key": DEFAULT_API_KEY}, missing),
            ({"clientId": DEFAULT_CLIENT_ID, "key": "00000000-0000-0000-0000-000000000000"}, invalid),
            # The Order Ahead Client Id is not a v0/v1 client id.
            ({"clientId": DEFAULT_ORDER_AHEAD_CLIENT_ID, "key": DEFAULT_API_KEY}, invalid),
        ):
            response = anonymous.get(path, headers=headers)
            assert (response.status_code, response.json()) == (401, expected), headers
        assert anonymous.get("/authTest").status_code == 401
        auth_test = anonymous.get("/authTest", headers=API)
        assert (auth_test.status_code, auth_test.text) == (200, "OK")
        health = anonymous.get("/health")
        assert (health.status_code, health.text) == (200, "OK")


def test_a_location_the_client_does_not_own_is_403_and_an_unknown_one_404(start: Callable[..., Running]) -> None:
    eastside_only = Account(
        client_id="11111111-2222-4333-8444-555555555555",
        key="66666666-7777-4888-9999-000000000000",
        order_ahead_client_id="aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
        order_ahead_token="other-token",
        location_ids=(EAST,),
    )
    running = start(items=20, credentials=[DEFAULT_ACCOUNT, eastside_only])
    headers = {"clientId": eastside_only.client_id, "key": eastside_only.key}
    with httpx2.Client(base_url=running.url, headers=headers) as client:
        locations = client.get("/v0/clientsLocations").json()["data"]
        assert [location["locationId"] for location in locations] == [EAST]
        assert client.get(f"/v0/locations/{EAST}/inventory").status_code == 200
        for kind in ("inventory", "inventoryNonZero", "inventoryByRoomsNonZero"):
            response = client.get(f"/v0/locations/{FERNDALE}/{kind}")
            assert (response.status_code, response.json()) == (
                403,
                {"errors": [f"Not authorized for location {FERNDALE}"]},
            )
        unknown = client.get("/v0/locations/loc-nowhere/inventory")
        assert (unknown.status_code, unknown.json()) == (404, {"errors": ["Location loc-nowhere not found"]})
        new_customer = {"name": "Pat Lee", "birthDate": "1990-02-03", "state": "MI", "type": "recCustomer"}
        assert client.post("/v1/customer", params={"store_id": FERNDALE}, json=new_customer).status_code == 403
    grant = {**GRANT, "client_id": eastside_only.order_ahead_client_id, "client_secret": "other-token"}
    with httpx2.Client(base_url=running.url, headers=bearer(running.url, grant)) as client:
        # The documented body names no location: the Order Ahead credential's is used, whatever is sent.
        created = client.post(CREATE, json=order_body(running, locationId=FERNDALE))
        assert created.status_code == 201
        assert running.sandbox.get_order(created.json()["orderId"])["locationId"] == EAST
    # Orders are visible only to the client that created them.
    assert running.order_ahead.get("/order-ahead/v0/orderStatus/OA-000001").status_code == 404


def test_order_ahead_takes_the_bearer_of_the_grant_and_nothing_else(flowhub: Running) -> None:
    body = order_body(flowhub)
    token = flowhub.order_ahead.headers["Authorization"]
    missing, invalid = {"errors": ["Missing access token"]}, {"errors": ["Invalid or expired access token"]}
    old_way = {"errors": ["Order Ahead takes only an Authorization: Bearer access token, not clientId/key"]}
    with httpx2.Client(base_url=flowhub.url) as anonymous:
        for headers, expected in (
            ({}, (401, missing)),
            ({"Authorization": "Bearer wrong"}, (401, invalid)),
            # The client secret is not a token: it only buys one at the tenant.
            ({"Authorization": f"Bearer {DEFAULT_ORDER_AHEAD_TOKEN}"}, (401, invalid)),
            ({"Authorization": token.removeprefix("Bearer ")}, (401, missing)),
            # The old way (the Order Ahead Client Id as clientId, the key, the secret as bearer) is refused, and
            # so is a valid bearer with the API key headers beside it.
            (
                {
                    "clientId": DEFAULT_ORDER_AHEAD_CLIENT_ID,
                    "key": DEFAULT_API_KEY,
                    "Authorization": f"Bearer {DEFAULT_ORDER_AHEAD_TOKEN}",
                },
                (401, old_way),
            ),
            ({**API, "Authorization": token}, (401, old_way)),
        ):
            response = anonymous.post(CREATE, json=body, headers=headers)
            assert (response.status_code, response.json()) == expected, headers
        assert anonymous.get("/order-ahead/v0/orderStatus/OA-000001").status_code == 401
        assert anonymous.post("/orderPostback/OA-000001", headers=API).status_code == 401
        assert flowhub.sandbox.orders() == []
        assert anonymous.post(CREATE, json=body, headers={"Authorization": token}).status_code == 201
        # A bearer is no key to the v0/v1 API.
        assert anonymous.get("/v0/clientsLocations", headers={"Authorization": token}).status_code == 401


def test_the_grant_answers_as_auth0_and_its_tokens_expire(start: Callable[..., Running]) -> None:
    running = start(items=10, token_ttl=600)
    now = [1000.0]
    running.sandbox.tenant.clock = lambda: now[0]  # time moves when the test says so
    issued = httpx2.post(f"{running.url}/oauth/token", json=GRANT).json()
    assert set(issued) == {"access_token", "scope", "expires_in", "token_type"}
    assert (issued["token_type"], issued["expires_in"]) == ("Bearer", 600)
    refused = [
        ({**GRANT, "client_secret": "nope"}, 401, "access_denied"),
        ({**GRANT, "client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_API_KEY}, 401, "access_denied"),
        ({**GRANT, "audience": "https://elsewhere.example"}, 403, "access_denied"),
        ({**GRANT, "grant_type": "password"}, 400, "unsupported_grant_type"),
        ({k: v for k, v in GRANT.items() if k != "client_secret"}, 400, "invalid_request"),
    ]
    for grant, status, error in refused:
        answer = httpx2.post(f"{running.url}/oauth/token", json=grant)
        assert (answer.status_code, answer.json()["error"]) == (status, error), grant
    form = httpx2.post(f"{running.url}/oauth/token", data=GRANT)
    assert form.status_code == 200  # Auth0 takes the grant as a form too
    headers = {"Authorization": f"Bearer {issued['access_token']}"}
    assert httpx2.get(f"{running.url}/order-ahead/v0/orderStatus/OA-1", headers=headers).status_code == 404
    now[0] += 600  # the token's whole lifetime
    expired = httpx2.get(f"{running.url}/order-ahead/v0/orderStatus/OA-1", headers=headers)
    assert (expired.status_code, expired.json()) == (401, {"errors": ["Invalid or expired access token"]})


def test_the_control_route_ends_every_token(flowhub: Running) -> None:
    assert flowhub.order_ahead.get("/order-ahead/v0/orderStatus/OA-1").status_code == 404
    assert flowhub.client.post("/_sandbox/oauth/expire").json() == {"expired": 1}
    assert flowhub.order_ahead.get("/order-ahead/v0/orderStatus/OA-1").status_code == 401


# --------------------------------------------------------------------------------------------------
# Locations and inventory


def test_locations_list_the_clients_stores(flowhub: Running) -> None:
    body = flowhub.client.get("/v0/clientsLocations").json()
    assert body["status"] == 200
    assert [(loc["locationId"], loc["clientId"], loc["timeZone"]) for loc in body["data"]] == [
        (EAST, DEFAULT_CLIENT_ID, "America/Detroit"),
        (FERNDALE, DEFAULT_CLIENT_ID, "America/Detroit"),
    ]
    for location in body["data"]:
        assert location["locationName"] and location["clientName"] and location["importId"] == location["locationId"]
        assert set(location["address"]) == {
            "streetAddress1",
            "streetAddress2",
            "city",
            "state",
            "zip",
            "country",
            "county",
        }
        assert location["address"]["state"] == "Michigan" and location["licenseType"] == ["rec", "med"]
        assert {"email", "phoneNumber", "website", "hoursOfOperation", "locationLogoURL"} <= set(location)


def test_inventory_serves_every_item_with_every_documented_field_in_one_response(flowhub: Running) -> None:
    items = flowhub.inventory(EAST)
    assert len(items) == len(flowhub.sandbox.stock[EAST]) > 150  # all of them, no paging
    assert [item["productId"] for item in items] == sorted(item["productId"] for item in items)
    malformed = flowhub.sandbox.malformed_ids
    for item in items:
        present = set(INVENTORY_FIELDS) - set(item)
        if item["productId"] not in malformed:
            assert not present, (item["productId"], present)
        assert isinstance(item["productId"], int) and isinstance(item["parentProductId"], int)
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", item["variantId"])
        assert item["category"] in CATEGORIES
        assert item["purchaseCategory"] in {"rec", "med", "both"}
        assert (item["locationId"], item["locationName"]) == (EAST, "Sunset Cannabis Co. - Eastside")
        assert isinstance(item["quantity"], int) and item["quantity"] >= 0
        assert item["currencyCode"] == "USD" and item["tags"] is not None and item["effects"] is not None
        assert item["createdAt"].endswith("Z") and item["productUpdatedAt"] >= item["createdAt"]
        picture = item["productPictureURL"]
        assert picture is None or picture == f"{flowhub.url}/_sandbox/images/{item['productId']}.png"
        for value in item["cannabinoidInformation"]:
            assert set(value) == {"name", "lowerRange", "upperRange", "unitOfMeasure", "unitOfMeasureToGramsMultiplier"}
            assert value["name"] in CANNABINOIDS and value["unitOfMeasure"] in {"%", "mg"}
        if item["productId"] in malformed:
            continue
        assert isinstance(item["priceInMinorUnits"], int) and item["priceInMinorUnits"] > 0
        assert item["postTaxPriceInPennies"] > item["preTaxPriceInPennies"] == item["priceInMinorUnits"]
        if item["category"] == "Accessories":
            assert item["speciesName"] is None and item["cannabinoidInformation"] == []
        if item["isSoldByWeight"]:
            assert item["category"] == "Flower" and item["productUnitOfMeasure"] == "g"
            tiers = item["weightTierInformation"]
            assert {"name": tiers[1]["name"], "gramAmount": tiers[1]["gramAmount"]} == {
                "name": "1/8 oz",
                "gramAmount": 3.5,
            }
            assert all(isinstance(tier["pricePerUnitInMinorUnits"], int) for tier in tiers)
        else:
            assert item["weightTierInformation"] == []
    assert any(item["quantity"] == 0 for item in items)
    assert any(item["productPictureURL"] is None for item in items)
    ferndale = flowhub.inventory(FERNDALE)
    assert {item["locationId"] for item in ferndale} == {FERNDALE}
    east_stock = {item["productId"]: item["quantity"] for item in items}
    fern_stock = {item["productId"]: item["quantity"] for item in ferndale}
    assert east_stock != fern_stock and set(fern_stock) != set(east_stock)


def test_inventory_non_zero_leaves_out_items_without_stock(flowhub: Running) -> None:
    everything = flowhub.inventory(EAST)
    non_zero = flowhub.inventory(EAST, "inventoryNonZero")
    assert non_zero == [item for item in everything if item["quantity"] > 0]
    assert len(non_zero) < len(everything)


def test_inventory_by_rooms_has_one_entry_per_room_summing_to_the_item(flowhub: Running) -> None:
    non_zero = {item["productId"]: item for item in flowhub.inventory(EAST, "inventoryNonZero")}
    by_room = flowhub.inventory(EAST, "inventoryByRoomsNonZero")
    sums: Counter[int] = Counter()
    rooms: dict[str, set[str]] = defaultdict(set)
    for entry in by_room:
        assert re.fullmatch(r"[a-z0-9]{32}", entry["roomId"]), entry["roomId"]
        assert entry["roomName"] in ROOM_NAMES and entry["quantity"] > 0
        assert "upc" in entry and (entry["upc"] is None or re.fullmatch(r"\d{12}", entry["upc"]))
        sums[entry["productId"]] += entry["quantity"]
        rooms[entry["roomName"]].add(entry["roomId"])
        assert entry["sku"] == non_zero[entry["productId"]]["sku"]
    assert dict(sums) == {product_id: item["quantity"] for product_id, item in non_zero.items()}
    assert set(rooms) == ROOM_NAMES and all(len(ids) == 1 for ids in rooms.values())
    assert len(by_room) > len(non_zero)  # some items sit in several rooms
    assert "upc" not in non_zero[next(iter(non_zero))]


def test_a_500_item_catalogue_has_every_strain_spelling_and_terpene(start: Callable[..., Running]) -> None:
    running = start(items=500, seed=4)
    items = running.inventory(EAST) + running.inventory(FERNDALE)
    species = {item["speciesName"] for item in items}
    assert set(SPECIES_NAMES) <= species
    assert species - set(SPECIES_NAMES) == {None}
    terpenes = [(t["name"], t["unitOfMeasure"], item["category"]) for item in items for t in item["terpenes"]]
    names = {name for name, _, _ in terpenes}
    assert set(TERPENES) <= names
    assert {"α-Pinene", "β-Myrcene", "delta 3 Carene", "Caryophyllene oxide"} <= names
    assert names - set(TERPENES)  # an unsupported terpene now and then
    assert {unit for _, unit, category in terpenes if category == "Edibles"} == {"mg"}
    assert Counter(unit for _, unit, _ in terpenes).most_common(1)[0][0] == "%"
    unique = {item["productId"]: item for item in items}.values()
    custom = sum(item["customCategoryName"] is not None for item in unique) / len(unique)
    untyped = sum(item["type"] is None for item in unique) / len(unique)
    assert 0.3 < custom < 0.5 and 0.1 < untyped < 0.3
    assert {item["purchaseCategory"] for item in unique} == {"rec", "med", "both"}
    assert {item["category"] for item in unique} == CATEGORIES


def test_malformed_records_are_planted_and_recorded(flowhub: Running) -> None:
    sandbox = flowhub.sandbox
    assert len(sandbox.malformed_ids) >= 3
    assert set(sandbox.malformed.values()) == set(MALFORMED_KINDS)
    served = {item["productId"]: item for item in flowhub.inventory(EAST, "inventoryNonZero")}
    assert sandbox.malformed_ids <= set(served)
    for product_id, kind in sandbox.malformed.items():
        item = served[product_id]
        if kind == "missing_name":
            assert "productName" not in item
        elif kind == "negative_price":
            assert item["priceInMinorUnits"] < 0
        elif kind == "price_is_string":
            assert isinstance(item["priceInMinorUnits"], str)
        else:
            assert any(c["lowerRange"] == "n/a" for c in item["cannabinoidInformation"])


def test_pictures_trailing_slashes_and_unknown_routes(flowhub: Running) -> None:
    picture = next(item["productPictureURL"] for item in flowhub.inventory(EAST) if item["productPictureURL"])
    image = httpx2.get(picture)  # no credentials
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert httpx2.get(f"{flowhub.url}/_sandbox/images/1.png").status_code == 404

    slash = flowhub.client.get("/v0/clientsLocations/")
    assert (slash.status_code, slash.json()) == (404, {"errors": ["Not found"]}) and not slash.history
    assert flowhub.client.get(f"/v0/locations/{EAST}/InventoryNonZero").status_code == 404
    assert flowhub.client.post("/v0/clientsLocations").status_code == 405


def test_rate_limit_answers_429_without_headers_and_recovers(start: Callable[..., Running]) -> None:
    running = start(items=10, rate_limit_rps=5)
    statuses = [running.client.get("/v0/clientsLocations") for _ in range(7)]
    assert [r.status_code for r in statuses] == [200] * 5 + [429] * 2
    limited = statuses[-1]
    assert limited.json() == {"errors": ["Too Many Requests"]}
    assert not {name for name in limited.headers if "retry" in name or "rate" in name or name.startswith("x-")}
    assert running.client.get("/_sandbox/health").status_code == 200  # control routes are never limited
    # Order Ahead calls carry no clientId: they have a bucket of their own, by bearer.
    assert running.order_ahead.get("/order-ahead/v0/orderStatus/OA-1").status_code == 404
    time.sleep(1.05)
    assert running.client.get("/v0/clientsLocations").status_code == 200

    assert running.client.post("/_sandbox/rate-limit", json={"rps": None}).json() == {"rps": None}
    assert {running.client.get("/health").status_code for _ in range(12)} == {200}
    running.client.post("/_sandbox/rate-limit", json={"rps": 2})
    time.sleep(1.05)
    assert [running.client.get("/authTest").status_code for _ in range(3)] == [200, 200, 429]
    assert running.client.post("/_sandbox/rate-limit", json={"rps": "fast"}).status_code == 422


def test_the_default_rate_limit_is_59_in_any_rolling_second(start: Callable[..., Running]) -> None:
    running = start(items=10)
    assert running.client.get("/_sandbox/rate-limit").json() == {"rps": 59.0}
    # The window itself, on a clock of our own (HTTP timing would make the boundary flaky).
    sandbox = running.sandbox
    assert all(sandbox.admit("client-a", now=100.0 + i / 100) for i in range(59))
    assert not sandbox.admit("client-a", now=100.7)
    assert sandbox.admit("client-b", now=100.7)  # per clientId
    assert not sandbox.admit("client-a", now=100.999)
    assert sandbox.admit("client-a", now=101.0)  # the first request has left the window
    assert not sandbox.admit("client-a", now=101.005)


# --------------------------------------------------------------------------------------------------
# Control routes for stock and products


def test_control_routes_change_stock_and_products(flowhub: Running) -> None:
    product_id = orderable(flowhub)
    path = f"/_sandbox/items/{product_id}"
    before = flowhub.inventory(EAST)  # cached now; changes must show through

    assert flowhub.client.post(f"{path}/quantity", json={"locationId": EAST, "quantity": 0}).status_code == 200
    assert product_id not in {i["productId"] for i in flowhub.inventory(EAST, "inventoryNonZero")}
    assert {i["productId"]: i["quantity"] for i in flowhub.inventory(EAST)}[product_id] == 0

    vault = next(i["roomId"] for i in flowhub.inventory(EAST, "inventoryByRoomsNonZero") if i["roomName"] == "Vault")
    flowhub.client.post(f"{path}/quantity", json={"locationId": EAST, "quantity": 5})
    moved = flowhub.client.post(f"{path}/quantity", json={"locationId": EAST, "quantity": 7, "roomId": vault})
    assert moved.json()["data"]["quantity"] == 12
    rooms = {
        (e["roomName"], e["quantity"])
        for e in flowhub.inventory(EAST, "inventoryByRoomsNonZero")
        if e["productId"] == product_id
    }
    assert rooms == {("Sales Floor", 5), ("Vault", 7)}
    bad_room = flowhub.client.post(f"{path}/quantity", json={"locationId": EAST, "quantity": 1, "roomId": "Vault"})
    assert bad_room.status_code == 422

    patched = flowhub.client.patch(path, json={"productName": "Renamed", "priceInMinorUnits": 1234})
    assert patched.status_code == 200
    item = {i["productId"]: i for i in flowhub.inventory(EAST)}[product_id]
    old = {i["productId"]: i for i in before}[product_id]
    assert (item["productName"], item["priceInMinorUnits"]) == ("Renamed", 1234)
    assert item["productUpdatedAt"] > old["productUpdatedAt"]

    assert flowhub.client.delete(path).status_code == 204
    assert product_id not in {i["productId"] for i in flowhub.inventory(EAST)}
    assert len(flowhub.inventory(EAST)) == len(before) - 1
    assert flowhub.client.delete(path).status_code == 404


# --------------------------------------------------------------------------------------------------
# Customers


def test_customers_are_found_by_phone_in_any_format(flowhub: Running) -> None:
    for phone in ("3135550142", "(313) 555-0142", "+13135550142", "1-313-555-0142"):
        body = flowhub.client.get("/v1/customers/findByPhoneNumber", params={"phone_number": phone}).json()
        assert body["total"] == 1, phone
        (found,) = body["customers"]
        assert (found["id"], found["type"], found["medId"]) == ("cus-000001", "medCustomer", "MMJ-4471-2208")
    # Seeded customers store phones as typed at the counter; the lookup still matches on digits.
    formatted = next(c for c in flowhub.sandbox.customers() if c["phone"] and not c["phone"].isdigit())
    digits = re.sub(r"\D", "", formatted["phone"])[-10:]
    found = flowhub.client.get("/v1/customers/findByPhoneNumber", params={"phone_number": digits}).json()
    assert formatted["id"] in [c["id"] for c in found["customers"]]

    nobody = flowhub.client.get("/v1/customers/findByPhoneNumber", params={"phone_number": "9995550000"})
    assert nobody.json() == {"total": 0, "customers": []}
    assert flowhub.client.get("/v1/customers/findByPhoneNumber").status_code == 400

    sam = flowhub.client.get("/v1/customers/cus-000002").json()
    assert (sam["name"], sam["type"], sam["phone"], sam["medId"]) == ("Sam Okafor", "recCustomer", "2485550199", None)
    assert {"id", "createdAt", "updatedAt", "state", "birthDate", "email", "isLoyal", "loyaltyPoints"} <= set(sam)
    missing = flowhub.client.get("/v1/customers/cus-999999")
    assert (missing.status_code, missing.json()) == (404, {"errors": ["Customer cus-999999 not found"]})


def test_create_customer_validates_the_required_fields(flowhub: Running) -> None:
    new = {
        "name": "Pat Lee",
        "birthDate": "1990-02-03",
        "state": "MI",
        "type": "medCustomer",
        "phone": "(734) 555-2020",
        "email": "pat.lee@example.com",
        "medId": "MMJ-1000-2000",
        "medIdExpiration": "2027-01-31",
        "city": "Ypsilanti",
        "zip": "48197",
    }
    created = flowhub.client.post("/v1/customer", params={"store_id": EAST}, json=new)
    assert created.status_code == 201
    customer = created.json()
    assert customer["id"] == "cus-000021" and customer["medId"] == "MMJ-1000-2000"
    assert flowhub.client.get(f"/v1/customers/{customer['id']}").json() == customer
    found = flowhub.client.get("/v1/customers/findByPhoneNumber", params={"phone_number": "7345552020"}).json()
    assert [c["id"] for c in found["customers"]] == [customer["id"]]

    for field_name, value in (
        ("birthDate", "02/03/1990"),
        ("birthDate", None),
        ("name", ""),
        ("state", "Michigan"),
        ("type", "patient"),
        ("type", None),
    ):
        body = {k: v for k, v in new.items() if k != field_name}
        if value is not None:
            body[field_name] = value
        response = flowhub.client.post("/v1/customer", params={"store_id": EAST}, json=body)
        assert response.status_code == 422, (field_name, value)
        assert field_name in response.json()["errors"][0]
    assert flowhub.client.post("/v1/customer", json=new).status_code == 400  # store_id is required
    assert flowhub.client.post("/v1/customer", params={"store_id": "loc-x"}, json=new).status_code == 404


# --------------------------------------------------------------------------------------------------
# Order ahead


def test_create_order_then_read_its_status_and_find_it_in_the_sales_list(flowhub: Running) -> None:
    stock_before = flowhub.inventory(EAST)
    created = flowhub.create_order()
    assert created == {"customerExternalId": "shop-cust-7", "orderId": "OA-000001", "status": "new"}

    status = flowhub.order_ahead.get("/order-ahead/v0/orderStatus/OA-000001").json()
    assert status.keys() == {"customerExternalId", "orderId", "status", "updatedAt"}  # OrderResponse, + updatedAt
    assert (status["orderId"], status["status"]) == ("OA-000001", "new")
    assert status["updatedAt"].endswith("Z")
    unknown = flowhub.order_ahead.get("/order-ahead/v0/orderStatus/OA-999999")
    assert (unknown.status_code, unknown.json()) == (404, {"errors": ["Order OA-999999 not found"]})

    assert status["customerExternalId"] == "shop-cust-7"  # as the create answer has it

    # The location's documented sales list has it, with what a client matches on after a timeout: its lines,
    # customer and creation time (no order reference of ours: the documented Sale has none).
    sales = flowhub.client.get(f"/v1/orders/findByLocationId/{EAST}").json()["orders"]
    (sale,) = [sale for sale in sales if sale["orderId"] == "OA-000001"]
    assert (sale["orderStatus"], sale["fullName"]) == ("pending", "Sam Okafor") and "externalId" not in sale
    assert [(line["productId"], line["quantity"]) for line in sale["itemsInCart"]] == [
        (item["productId"], item["quantityPurchased"]) for item in order_body(flowhub)["orderItems"]
    ]
    elsewhere = flowhub.client.get(f"/v1/orders/findByLocationId/{FERNDALE}").json()["orders"]
    assert not [sale for sale in elsewhere if sale["orderId"] == "OA-000001"]

    (stored,) = flowhub.client.get("/_sandbox/orders").json()["data"]
    assert stored["customerNote"] == "Curbside please" and stored["customer"]["externalId"] == "shop-cust-7"
    assert (stored["orderId"], stored["status"], stored["locationId"]) == ("OA-000001", "new", EAST)
    assert flowhub.inventory(EAST) == stock_before  # orders change no stock

    no_customer_ref = flowhub.create_order(customer={**_CUSTOMER})
    assert no_customer_ref["customerExternalId"] is None


def test_a_second_create_of_the_same_body_is_a_second_order(flowhub: Running) -> None:
    first, second = flowhub.create_order(), flowhub.create_order()
    assert first["orderId"] != second["orderId"]
    sales = flowhub.client.get(f"/v1/orders/findByLocationId/{EAST}").json()["orders"]
    assert {first["orderId"], second["orderId"]} <= {s["orderId"] for s in sales}


def test_order_ahead_validation_names_the_problem(flowhub: Running) -> None:
    carried_elsewhere_only = next(
        product_id for product_id in flowhub.sandbox.stock[FERNDALE] if product_id not in flowhub.sandbox.stock[EAST]
    )
    address = {"street1": "1 Main St", "street2": "", "city": "Detroit", "state": "MI", "zip": "48215"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"customer": {**_CUSTOMER, "phone": None}}, "A medical id or a phone number is required"),
        ({"customer": {**_CUSTOMER, "phone": ""}}, "A medical id or a phone number is required"),
        ({"customer": {**_CUSTOMER, "phone": "248-555-0199"}}, "E.164"),
        ({"customer": {**_CUSTOMER, "phone": "+1248555019"}}, "E.164"),
        ({"customer": {**_CUSTOMER, "medId": "MMJ-1-2"}}, "customer.medExp"),
        ({"customer": {**_CUSTOMER, "medRecOrBoth": "med"}}, "customer.medId"),
        ({"customer": {**_CUSTOMER, "firstName": ""}}, "customer.firstName"),
        ({"customer": {**_CUSTOMER, "birthDate": "02/11/1994"}}, "customer.birthDate"),
        ({"orderItems": [{"productId": 424242, "quantityPurchased": 1}]}, "Product 424242"),
        ({"orderItems": [{"productId": carried_elsewhere_only, "quantityPurchased": 1}]}, str(carried_elsewhere_only)),
        ({"orderItems": [{"productId": orderable(flowhub), "quantityPurchased": 0}]}, str(orderable(flowhub))),
        ({"orderItems": [{"productId": str(orderable(flowhub)), "quantityPurchased": 1}]}, "productId"),
        ({"orderItems": []}, "orderItems"),
        ({"orderType": "shipping"}, "orderType"),
        ({"orderType": "delivery"}, "address"),
        ({"orderType": "delivery", "address": {**address, "zip": ""}}, "address.zip"),
        ({"fees": [{"name": "Delivery", "amount": 4.99}]}, "fees[0].amount"),
        ({"fees": [{"name": "Delivery", "amount": -1}]}, "fees[0].amount"),
        ({"requestedFulfillmentTimeStart": "tomorrow"}, "requestedFulfillmentTimeStart"),
        ({"requestedFulfillmentTimeEnd": "2025-06-01T15:00:00Z"}, "requestedFulfillmentTimeEnd"),
        ({"postbackUrl": "not a url"}, "postbackUrl"),
    ]
    for override, fragment in cases:
        response = flowhub.order_ahead.post(CREATE, json=order_body(flowhub, **override))
        assert response.status_code == 422, (override, response.text)
        (message,) = response.json()["errors"]
        assert fragment in message, (override, message)
    assert flowhub.sandbox.orders() == []

    # What Flowhub accepts: a medical id without a phone; a kiosk order; a delivery with its address and fee.
    patient = {"firstName": "Morgan", "lastName": "Ellis", "birthDate": "1981-07-19", "medId": "MMJ-4471-2208"}
    flowhub.create_order(customer={**patient, "medExp": "2027-03-31", "medRecOrBoth": "med"}, orderType="kiosk")
    flowhub.create_order(orderType="delivery", address=address, fees=[{"name": "Delivery", "amount": 500}])
    assert len(flowhub.sandbox.orders()) == 2


def test_status_moves_follow_the_machine_for_each_order_type(flowhub: Running) -> None:
    pickup = flowhub.create_order()["orderId"]
    assert flowhub.move(pickup, "ready").status_code == 409  # no skipping
    assert flowhub.move(pickup, "inQueue").status_code == 409
    for status in ("started", "ready", "sold"):
        moved = flowhub.move(pickup, status)
        assert moved.status_code == 200 and moved.json()["data"]["status"] == status
    final = flowhub.move(pickup, "deleted")
    assert final.status_code == 409 and final.json() == {"errors": [f"Order {pickup} cannot move from sold to deleted"]}

    delivery = flowhub.create_order(
        orderType="delivery", address={"street1": "9 Elm St", "city": "Detroit", "state": "MI", "zip": "48215"}
    )["orderId"]
    for status in ("started", "inQueue", "inTransit", "delivered"):
        assert flowhub.move(delivery, status).status_code == 200, status
    assert flowhub.move(delivery, "ready").status_code == 409
    assert flowhub.move(delivery, "sold").status_code == 200

    via_ready = flowhub.create_order(
        orderType="delivery", address={"street1": "9 Elm St", "city": "Detroit", "state": "MI", "zip": "48215"}
    )["orderId"]
    for status in ("started", "ready", "inQueue"):
        assert flowhub.move(via_ready, status).status_code == 200, status
    assert flowhub.move(via_ready, "unableToComplete").status_code == 200
    assert flowhub.move(via_ready, "started").status_code == 409

    kiosk = flowhub.create_order(orderType="kiosk")["orderId"]
    assert flowhub.move(kiosk, "UNABLETOVERIFY").json()["data"]["status"] == "unableToVerify"
    assert flowhub.move(kiosk, "onHold").status_code == 422
    assert flowhub.move("OA-999999", "started").status_code == 404
    status = flowhub.order_ahead.get(f"/order-ahead/v0/orderStatus/{delivery}").json()["status"]
    assert status == "sold"


def test_every_status_change_is_posted_back_with_the_previous_status(flowhub: Running, receiver: Receiver) -> None:
    order = flowhub.create_order(postbackUrl=f"{receiver.url}/hooks/a")["orderId"]
    flowhub.create_order()  # without a postbackUrl: nothing is sent for it
    for status in ("started", "ready", "sold"):
        flowhub.move(order, status)
    flowhub.move("OA-000002", "started")
    assert flowhub.sandbox.wait_for_postbacks(5)
    assert [(name, body["status"], body["previousStatus"]) for name, body in receiver.posts] == [
        ("a", "started", "new"),
        ("a", "ready", "started"),
        ("a", "sold", "ready"),
    ]
    last = receiver.posts[-1][1]
    assert set(last) == {"orderId", "status", "previousStatus", "updatedAt"}
    assert last["orderId"] == order
    log = flowhub.client.get("/_sandbox/postbacks").json()["data"]
    assert [(entry["status_code"], entry["error"]) for entry in log] == [(200, None)] * 3

    # POST /orderPostback re-sends the current status.
    assert flowhub.order_ahead.post(f"/orderPostback/{order}").status_code == 204
    assert flowhub.sandbox.wait_for_postbacks(5)
    assert receiver.posts[-1][1] == last
    assert flowhub.order_ahead.post("/orderPostback/OA-000002").status_code == 204  # no URL, nothing sent
    assert flowhub.order_ahead.post("/orderPostback/OA-999999").status_code == 404
    assert flowhub.sandbox.wait_for_postbacks(5) and len(receiver.posts) == 4


def test_failed_postbacks_are_logged_and_not_retried(flowhub: Running, receiver: Receiver) -> None:
    receiver.status = 500
    failing = flowhub.create_order(postbackUrl=f"{receiver.url}/hooks/b")["orderId"]
    unreachable = flowhub.create_order(postbackUrl="http://127.0.0.1:9/hooks/c")["orderId"]
    started = time.monotonic()
    assert flowhub.move(failing, "started").status_code == 200
    assert flowhub.move(unreachable, "started").status_code == 200
    assert time.monotonic() - started < 1  # the control route never waits for the postback
    assert flowhub.sandbox.wait_for_postbacks(5)
    log = flowhub.sandbox.postback_log
    assert [(entry["url"].rsplit("/", 1)[1], entry["status_code"]) for entry in log] == [("b", 500), ("c", None)]
    assert log[1]["error"] and log[1]["body"]["previousStatus"] == "new"
    assert len(receiver.posts) == 1


# --------------------------------------------------------------------------------------------------
# Faults and request counts


def test_injected_status_faults_fire_after_and_count_times(flowhub: Running) -> None:
    inventory = f"/v0/locations/{EAST}/inventory"
    fault = {"method": "GET", "path_prefix": "/v0/locations", "status": 503, "count": 2, "after": 1, "retry_after": 2}
    assert flowhub.client.post("/_sandbox/faults", json=fault).status_code == 201
    responses = [flowhub.client.get(inventory) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 503, 503, 200]
    assert responses[1].json() == {"errors": ["Injected fault"]} and responses[1].headers["Retry-After"] == "2"
    assert flowhub.client.get("/v0/clientsLocations").status_code == 200

    flowhub.client.post("/_sandbox/faults", json={"path_prefix": "/order-ahead/", "status": 500})
    assert flowhub.client.get("/_sandbox/faults").json()["data"][0]["path_prefix"] == "/order-ahead/"
    failed = flowhub.order_ahead.post(CREATE, json=order_body(flowhub))
    assert failed.status_code == 500 and "Retry-After" not in failed.headers
    assert flowhub.sandbox.orders() == []

    flowhub.client.post("/_sandbox/faults", json={"status": 500, "count": 5})
    assert flowhub.client.delete("/_sandbox/faults").status_code == 204
    assert flowhub.client.get(inventory).status_code == 200
    assert flowhub.client.post("/_sandbox/faults", json={"status": 200}).status_code == 422


def test_timeout_after_commit_creates_the_order_although_the_client_times_out(flowhub: Running) -> None:
    fault = {"mode": "timeout_after_commit", "delay_seconds": 1.0, "method": "POST", "path_prefix": CREATE}
    flowhub.client.post("/_sandbox/faults", json=fault)
    with pytest.raises(httpx2.TimeoutException):
        flowhub.order_ahead.post(CREATE, json=order_body(flowhub), timeout=0.3)
    # Flowhub committed: the sales list (what the hub reads before retrying) holds it.
    sales = flowhub.client.get(f"/v1/orders/findByLocationId/{EAST}").json()["orders"]
    assert [sale["orderId"] for sale in sales if sale["orderId"].startswith("OA-")] == ["OA-000001"]


def test_delay_fault_slows_the_request_before_processing(flowhub: Running) -> None:
    flowhub.client.post("/_sandbox/faults", json={"mode": "delay", "delay_seconds": 0.3, "path_prefix": "/authTest"})
    started = time.monotonic()
    assert flowhub.client.get("/authTest").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_request_counts_are_kept_per_route_template(flowhub: Running) -> None:
    flowhub.inventory(EAST)
    flowhub.inventory(FERNDALE)
    flowhub.client.get("/v0/clientsLocations", headers={"key": "nope"})
    flowhub.create_order()
    flowhub.order_ahead.get("/order-ahead/v0/orderStatus/OA-000001")
    counts = flowhub.client.get("/_sandbox/requests").json()
    assert counts == {
        "POST /oauth/token": 1,  # the fixture's grant
        "GET /v0/locations/{locationId}/inventory": 2,
        "GET /v0/clientsLocations": 1,
        "POST /order-ahead/v0/create": 1,
        "GET /order-ahead/v0/orderStatus/{orderId}": 1,
    }
    assert flowhub.client.delete("/_sandbox/requests").status_code == 204
    assert flowhub.client.get("/_sandbox/requests").json() == {}


# --------------------------------------------------------------------------------------------------
# Determinism and size


def test_same_seed_same_catalogue_different_seed_different(start: Callable[..., Running]) -> None:
    def snapshot(seed: int) -> tuple[bytes, bytes, list[dict[str, Any]]]:
        running = start(items=120, seed=seed)
        inventory = running.client.get(f"/v0/locations/{EAST}/inventoryByRoomsNonZero").content
        customers = running.client.get("/_sandbox/customers").content
        return inventory, customers, running.client.get("/v0/clientsLocations").json()["data"]

    one, again, other = snapshot(7), snapshot(7), snapshot(8)
    assert one == again
    assert one[0] != other[0] and one[1] != other[1]
    assert one[2] == other[2]  # locations (and room ids) are the same for every seed


def test_a_large_catalogue_is_built_and_served(start: Callable[..., Running]) -> None:
    running = start(items=10_000, seed=3, rate_limit_rps=None)
    assert len(running.sandbox.malformed_ids) == 100
    # Serialising 10,000 rows takes 4-6 s on a loaded 2-core machine: past the client's usual 5 s, which is not
    # what this test is about, so its reads wait longer.
    running.client.timeout = httpx2.Timeout(60)
    items = running.inventory(EAST)
    assert len(items) == len(running.sandbox.stock[EAST]) > 9000
    running.client.get(f"/v0/locations/{EAST}/inventory")
