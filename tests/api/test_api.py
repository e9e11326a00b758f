"""The REST API as a client of the hub sees it, over real HTTP, on SQLite and PostgreSQL.

Auth and tenancy, write-only credentials, connecting Flourish, checkout validation, Idempotency-Key, the order's
life (confirm, cancel) and order numbers.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import httpx2

from tests.conftest import FACILITY, Connected, Hub, Sandbox, wait_for

SECRET_KEY = "sk-flourish-9QmV2xT7wLp4"
USERNAME = "budtender.annarbor"


def add_flourish_key(sandbox: Sandbox, key: str = SECRET_KEY, username: str = USERNAME) -> None:
    """A key of our own in the sandbox, distinctive enough that finding it in a response means a leak."""
    with sandbox.state.lock:
        sandbox.state.credentials[key] = (username, True)


def new_store(hub: Hub, name: str = "Great Lakes Ann Arbor", client: httpx2.Client | None = None) -> int:
    answer = (client or hub.api).post("/api/v1/stores", json={"name": name})
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def put_flourish(
    hub: Hub, store_id: int, sandbox: Sandbox, credentials: Any = None, **settings: Any
) -> httpx2.Response:
    body: dict[str, Any] = {
        "settings": {"base_url": sandbox.api_url, "requests_per_second": 1000, **settings},
    }
    if credentials is not None:
        body["credentials"] = credentials
    return hub.api.put(f"/api/v1/stores/{store_id}/integrations/flourish", json=body)


def menu(hub: Hub, store_id: int) -> list[dict[str, Any]]:
    page = hub.api.get(f"/api/v1/stores/{store_id}/products", params={"limit": 200}).json()
    assert page["total"] <= 200
    return list(page["data"])


def stocked(hub: Hub, store_id: int, at_least: int = 1) -> list[dict[str, Any]]:
    found = [p for p in menu(hub, store_id) if p["available_quantity"] >= at_least]
    assert found, f"no product with {at_least} available"
    return found


def order_body(product_id: int, quantity: int = 1, **changes: Any) -> dict[str, Any]:
    return {
        "customer": {
            "first_name": "Ada",
            "last_name": "Stone",
            "date_of_birth": "1990-05-17",
            "phone": "(555) 010-2030",
            "email": "ada@example.com",
        },
        "lines": [{"product_id": product_id, "quantity": quantity}],
        **changes,
    }


def place(hub: Hub, store_id: int, body: dict[str, Any], key: str | None = None) -> httpx2.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return hub.api.post(f"/api/v1/stores/{store_id}/orders", json=body, headers=headers)


def product(hub: Hub, product_id: int) -> dict[str, Any]:
    answer = hub.api.get(f"/api/v1/products/{product_id}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def detail(answer: httpx2.Response) -> str:
    return str(answer.json()["detail"])


# --- auth, OpenAPI ---------------------------------------------------------------------------------------------


def test_every_route_needs_the_organizations_bearer_token_and_the_api_is_documented(hub: Hub):
    schema = hub.api.get("/openapi.json")
    assert schema.status_code == 200
    paths: dict[str, dict[str, Any]] = schema.json()["paths"]
    expected = {
        "/api/v1/stores",
        "/api/v1/stores/{store_id}",
        "/api/v1/stores/{store_id}/products",
        "/api/v1/stores/{store_id}/category-mappings",
        "/api/v1/stores/{store_id}/integrations",
        "/api/v1/stores/{store_id}/integrations/{vendor}",
        "/api/v1/stores/{store_id}/orders",
        "/api/v1/vendors",
        "/api/v1/integrations/{integration_id}",
        "/api/v1/integrations/{integration_id}/locations",
        "/api/v1/integrations/{integration_id}/sync",
        "/api/v1/integrations/{integration_id}/disconnect",
        "/api/v1/integrations/{integration_id}/runs",
        "/api/v1/integrations/{integration_id}/quarantine",
        "/api/v1/integrations/{integration_id}/check",
        "/api/v1/runs/{run_id}",
        "/api/v1/products/{product_id}",
        "/api/v1/orders/{order_id}",
        "/api/v1/orders/{order_id}/confirm",
        "/api/v1/orders/{order_id}/cancel",
        "/api/v1/orders/{order_id}/history",
        "/api/v1/products/{product_id}/history",
        "/api/v1/loyalty/personas/{persona_id}/history",
    }
    assert expected <= set(paths), expected - set(paths)
    assert (
        "post" in paths["/api/v1/stores/{store_id}/orders"]
        and "put" in paths["/api/v1/stores/{store_id}/integrations/{vendor}"]
    )
    for path, operations in paths.items():
        for method, operation in operations.items():
            if path.startswith("/api/v1"):  # /docs offers the Authorize button for every route
                assert operation.get("security"), f"{method.upper()} {path} does not document its bearer token"
    place_order = paths["/api/v1/stores/{store_id}/orders"]["post"]
    assert "idempotency-key" in {p["name"].lower() for p in place_order.get("parameters", [])}
    docs = hub.api.get("/docs")
    assert docs.status_code == 200 and "openapi.json" in docs.text

    store_id = new_store(hub)  # a real store: the answer must be 401 even where a 404 or 422 would follow
    anonymous = hub.client(None)
    wrong = hub.client("cs_this-is-not-a-token")
    basic = httpx2.Client(base_url=hub.server.url, headers={"Authorization": f"Basic {hub.token}"}, timeout=30)
    calls = 0
    for path, operations in paths.items():
        if not path.startswith("/api/v1"):
            continue
        url = re.sub(r"\{vendor\}", "flourish", path)
        url = re.sub(r"\{[a-z_]+\}", str(store_id), url)
        for method in operations:
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for client, why in ((anonymous, "no token"), (wrong, "a wrong token"), (basic, "not a bearer token")):
                answer = client.request(method.upper(), url, json={})
                assert answer.status_code == 401, f"{method.upper()} {path} with {why}: {answer.status_code}"
                assert detail(answer), f"{method.upper()} {path}: a 401 must say what is wrong"
                assert answer.headers.get("www-authenticate", "").lower().startswith("bearer")
                calls += 1
    assert calls >= 3 * 20
    assert "token" in detail(anonymous.get("/api/v1/stores"))
    for client in (anonymous, wrong, basic):
        client.close()
    # The stores were not touched by any of it.
    assert [s["id"] for s in hub.api.get("/api/v1/stores").json()] == [store_id]


def test_another_organizations_records_are_not_found(hub: Hub, flourish: Sandbox, connected: Connected):
    store_id, integration_id = connected.store_id, connected.integration_id
    item = stocked(hub, store_id)[0]
    placed = place(hub, store_id, order_body(item["id"]))
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    run_id = hub.api.get(f"/api/v1/integrations/{integration_id}/runs").json()[0]["id"]
    with hub.db.uow() as uow:
        other = uow.accounts.organization_named("Rival Cannabis LLC")
        token = uow.accounts.issue_token(other.id, "rival")
    rival = hub.client(token)
    own_store = new_store(hub, "Rival Downtown", client=rival)

    nowhere = 987654
    for method, path, body in [
        ("GET", f"/api/v1/stores/{store_id}", None),
        ("PATCH", f"/api/v1/stores/{store_id}", {"name": "Taken over"}),
        ("GET", f"/api/v1/stores/{store_id}/products", None),
        ("GET", f"/api/v1/stores/{store_id}/orders", None),
        ("POST", f"/api/v1/stores/{store_id}/orders", order_body(item["id"])),
        ("GET", f"/api/v1/stores/{store_id}/integrations", None),
        ("GET", f"/api/v1/stores/{store_id}/category-mappings", None),
        ("PUT", f"/api/v1/stores/{store_id}/category-mappings", {"mapping": {"Vapes": "Mine"}}),
        (
            "PUT",
            f"/api/v1/stores/{store_id}/integrations/flourish",
            {"credentials": {"username": "demo", "api_key": "demo-key"}, "settings": {"base_url": flourish.api_url}},
        ),
        ("GET", f"/api/v1/integrations/{integration_id}", None),
        ("GET", f"/api/v1/integrations/{integration_id}/locations", None),
        ("GET", f"/api/v1/integrations/{integration_id}/runs", None),
        ("GET", f"/api/v1/integrations/{integration_id}/quarantine", None),
        ("POST", f"/api/v1/integrations/{integration_id}/sync", {"flow": "menu_sync"}),
        ("POST", f"/api/v1/integrations/{integration_id}/check", None),
        ("GET", f"/api/v1/integrations/{integration_id}/check", None),
        ("POST", f"/api/v1/integrations/{integration_id}/disconnect", None),
        ("GET", f"/api/v1/runs/{run_id}", None),
        ("GET", f"/api/v1/products/{item['id']}", None),
        ("GET", f"/api/v1/orders/{order_id}", None),
        ("GET", f"/api/v1/orders/{order_id}/history", None),
        ("GET", f"/api/v1/products/{item['id']}/history", None),
        ("POST", f"/api/v1/orders/{order_id}/confirm", None),
        ("POST", f"/api/v1/orders/{order_id}/cancel", None),
        ("PATCH", f"/api/v1/orders/{order_id}", {"keep_holding": True}),
    ]:
        answer = rival.request(method, path, json=body)
        assert answer.status_code == 404, f"{method} {path}: {answer.status_code} {answer.text}"
        # Indistinguishable from an id that does not exist: nothing tells the rival the record is there.
        missing = rival.request(method, re.sub(r"/\d+(?=/|$)", f"/{nowhere}", path, count=1), json=body)
        assert missing.status_code == 404 and missing.json() == answer.json(), (path, missing.text)

    # A product of another organization cannot be ordered from one's own store either.
    stolen = rival.post(f"/api/v1/stores/{own_store}/orders", json=order_body(item["id"]))
    assert stolen.status_code == 422, stolen.text
    assert [s["id"] for s in rival.get("/api/v1/stores").json()] == [own_store]
    rival.close()

    # Nothing the rival tried changed anything.
    assert hub.api.get(f"/api/v1/stores/{store_id}").json()["name"] == "Great Lakes Ann Arbor"
    order = hub.order(order_id)
    assert order["status"] == "pending" and order["keep_holding"] is False
    assert hub.api.get(f"/api/v1/stores/{store_id}/category-mappings").json() == {"mapping": {}}
    assert product(hub, item["id"])["held_quantity"] == item["held_quantity"] + 1
    assert len(hub.api.get(f"/api/v1/stores/{store_id}/orders").json()) == 1


# --- connecting Flourish ---------------------------------------------------------------------------------------


def test_credentials_are_write_only_and_kept_when_only_settings_change(hub: Hub, flourish: Sandbox):
    add_flourish_key(flourish)
    store_id = new_store(hub)
    saved = put_flourish(hub, store_id, flourish, {"username": USERNAME, "api_key": SECRET_KEY}, facility_id=FACILITY)
    assert saved.status_code == 200, saved.text
    integration_id = saved.json()["id"]
    answers = {
        "PUT": saved,
        "GET integration": hub.api.get(f"/api/v1/integrations/{integration_id}"),
        "GET integrations": hub.api.get(f"/api/v1/stores/{store_id}/integrations"),
        "GET vendors": hub.api.get("/api/v1/vendors"),
        "GET locations": hub.api.get(f"/api/v1/integrations/{integration_id}/locations"),
    }
    for what, answer in answers.items():
        assert answer.status_code == 200, (what, answer.text)
        assert SECRET_KEY not in answer.text, f"{what} shows the API key"
        assert USERNAME not in answer.text, f"{what} shows the username"
    shown = answers["GET integration"].json()
    assert shown["credentials"]["saved"] is True
    assert set(shown["credentials"]["fields"]) == {"username", "api_key", "webhook_key"}
    listed = answers["GET integrations"].json()
    assert [(i["id"], i["credentials"], i["settings"]) for i in listed] == [
        (integration_id, shown["credentials"], shown["settings"])
    ]  # (schedules move on as the scheduler runs them, so they are not compared)
    assert {loc["id"] for loc in answers["GET locations"].json()} == {"101", "102"}

    # Settings only, no credentials: the saved ones are kept and still work.
    changed = put_flourish(hub, store_id, flourish, facility_id=FACILITY, sync_terpenes=True)
    assert changed.status_code == 200, changed.text
    assert changed.json()["id"] == integration_id
    assert changed.json()["settings"]["sync_terpenes"] is True
    assert changed.json()["credentials"]["saved"] is True
    assert SECRET_KEY not in changed.text
    # A refused change of key keeps the working key and the settings as they were.
    refused = put_flourish(hub, store_id, flourish, {"username": USERNAME, "api_key": "sk-typo"}, sync_orders=True)
    assert refused.status_code == 422, refused.text
    assert hub.api.get(f"/api/v1/integrations/{integration_id}").json()["settings"]["sync_orders"] is False
    run = hub.sync(integration_id)
    assert run["status"] == "succeeded", run
    assert any(p["terpenes"] for p in menu(hub, store_id))
    with hub.db.uow() as uow:
        row = uow.accounts.integration(integration_id)
        assert uow.accounts.config(row).credentials == {"username": USERNAME, "api_key": SECRET_KEY}


def test_connecting_refuses_bad_credentials_and_settings_with_a_clear_message(hub: Hub, flourish: Sandbox):
    store_id = new_store(hub)
    good = {"username": "demo", "api_key": "demo-key"}

    wrong = put_flourish(hub, store_id, flourish, {"username": "demo", "api_key": "not-the-key"})
    assert wrong.status_code == 422, wrong.text
    assert "credentials" in detail(wrong).lower()
    assert "not-the-key" not in wrong.text

    inactive = put_flourish(hub, store_id, flourish, {"username": "demo", "api_key": "inactive-key"})
    assert inactive.status_code == 422, inactive.text
    assert "credentials" in detail(inactive).lower() and "not active" in detail(inactive)

    unknown_vendor = hub.api.put(
        f"/api/v1/stores/{store_id}/integrations/posbuddy", json={"credentials": good, "settings": {}}
    )
    assert unknown_vendor.status_code == 404 and "posbuddy" in detail(unknown_vendor)

    no_facility = put_flourish(hub, store_id, flourish, good, facility_id="999")
    assert no_facility.status_code == 422, no_facility.text
    assert "facility_id" in detail(no_facility) and "999" in detail(no_facility)

    for settings, field in [
        ({"requests_per_second": "fast"}, "requests_per_second"),
        ({"requests_per_second": 0}, "requests_per_second"),
        ({"sync_orders": "sometimes"}, "sync_orders"),
        ({"sync_terpens": True}, "sync_terpens"),
    ]:
        bad = put_flourish(hub, store_id, flourish, good, **settings)
        assert bad.status_code == 422, (settings, bad.text)
        assert field in json.dumps(bad.json()), (settings, bad.text)

    missing_key = put_flourish(hub, store_id, flourish, {"username": "demo"})
    assert missing_key.status_code == 422 and "api_key" in json.dumps(missing_key.json()), missing_key.text

    # None of the refused attempts saved anything, and nothing was scheduled.
    assert hub.api.get(f"/api/v1/stores/{store_id}/integrations").json() == []
    ok = put_flourish(hub, store_id, flourish, good, facility_id=FACILITY)
    assert ok.status_code == 200, ok.text
    assert {s["flow"] for s in ok.json()["schedules"]} == {"menu_sync", "order_status", "reconcile"}
    runs = f"/api/v1/integrations/{ok.json()['id']}/runs?flow=menu_sync"
    first = wait_for(lambda: [r for r in hub.api.get(runs).json() if r["finished_at"]], "the first menu sync")
    assert first[0]["status"] == "succeeded", first

    # A first connection with no credentials at all is refused (not a server error), naming what is missing.
    fresh = new_store(hub, "Great Lakes Lansing")
    no_credentials = put_flourish(hub, fresh, flourish, facility_id=FACILITY)
    assert no_credentials.status_code == 422, no_credentials.text
    assert "credentials" in json.dumps(no_credentials.json()).lower()
    assert hub.api.get(f"/api/v1/stores/{fresh}/integrations").json() == []


# --- checkout --------------------------------------------------------------------------------------------------


def test_checkout_refuses_what_cannot_be_fulfilled_and_holds_nothing(hub: Hub, connected: Connected):
    store_id = connected.store_id
    item = stocked(hub, store_id, at_least=2)[0]
    held_before = item["held_quantity"]
    customer = order_body(item["id"])["customer"]

    def refused(body: dict[str, Any], status: int, *words: str) -> None:
        answer = place(hub, store_id, body)
        assert answer.status_code == status, (body, answer.status_code, answer.text)
        text = json.dumps(answer.json())
        for word in words:
            assert word in text, (word, text)

    refused({"customer": customer, "lines": []}, 422, "lines")
    refused(order_body(99_999_999), 422, "99999999")
    refused(order_body(item["id"], is_medical=True), 422, "medical id")
    refused(order_body(item["id"], fulfillment="delivery"), 422, "address")
    refused(order_body(item["id"], customer={**customer, "phone": "555-0100"}), 422, "phone")
    refused(order_body(item["id"], quantity=0), 422, "quantity")
    refused(order_body(item["id"], customer={**customer, "date_of_birth": None}), 422, "date of birth")
    refused(
        order_body(item["id"], customer={**customer, "date_of_birth": f"{date.today().year - 19}-01-01"}), 422, "21"
    )
    available = item["available_quantity"]
    too_many = place(hub, store_id, order_body(item["id"], quantity=available + 1))
    assert too_many.status_code == 409, too_many.text
    assert item["name"] in detail(too_many) and str(available) in detail(too_many)

    assert product(hub, item["id"])["held_quantity"] == held_before
    assert hub.api.get(f"/api/v1/stores/{store_id}/orders").json() == []

    # The same orders, made right, go through.
    medical = place(
        hub, store_id, order_body(item["id"], is_medical=True, customer={**customer, "medical_id": "MED-1"})
    )
    assert medical.status_code == 201, medical.text
    delivery = place(
        hub,
        store_id,
        order_body(
            item["id"],
            fulfillment="delivery",
            delivery_address={"line1": "2150 Packard St", "city": "Ann Arbor", "state": "MI", "postcode": "48104"},
        ),
    )
    assert delivery.status_code == 201, delivery.text
    assert product(hub, item["id"])["held_quantity"] == held_before + 2


def test_a_line_is_as_large_as_stock_and_limits_allow_and_an_unstorable_one_is_named(hub: Hub, connected: Connected):
    """No cap of its own on a line: 120 of an accessory (no purchase limit counts it) go through when the store has
    them; more than the stock is the stock's answer; a number no column can hold is a 422 naming the line's quantity,
    never a server error."""
    store_id = connected.store_id
    accessory = next(p for p in menu(hub, store_id) if p["category"] == "Accessories" and p["rec_price_cents"])
    with hub.db.uow() as uow:  # the store restocked
        row = uow.catalog.product(accessory["id"])
        assert row is not None
        row.pos_quantity, row.held_quantity = 150, 0

    big = place(hub, store_id, order_body(accessory["id"], quantity=120))
    assert big.status_code == 201, big.text
    assert big.json()["lines"][0]["quantity"] == 120
    assert product(hub, accessory["id"])["available_quantity"] == 30

    beyond = place(hub, store_id, order_body(accessory["id"], quantity=31))
    assert beyond.status_code == 409, beyond.text
    assert accessory["name"] in detail(beyond) and "only 30" in detail(beyond)

    for huge in (10**12, 2**31):
        refused = place(hub, store_id, order_body(accessory["id"], quantity=huge))
        assert refused.status_code == 422, refused.text
        problem = refused.json()["detail"][0]
        assert problem["loc"] == ["body", "lines", 0, "quantity"], problem
        assert "at most 2147483647" in problem["msg"] and "ask for fewer" in problem["msg"], problem
    assert product(hub, accessory["id"])["available_quantity"] == 30


def test_an_idempotency_key_places_one_order_however_often_it_is_sent(hub: Hub, connected: Connected):
    store_id = connected.store_id
    item = stocked(hub, store_id, at_least=3)[0]
    body = order_body(item["id"], quantity=2)
    first = place(hub, store_id, body, key="checkout-7f3a")
    assert first.status_code == 201, first.text
    held = product(hub, item["id"])["held_quantity"]
    assert held == item["held_quantity"] + 2

    again = place(hub, store_id, body, key="checkout-7f3a")
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"] and again.json()["number"] == first.json()["number"]
    assert product(hub, item["id"])["held_quantity"] == held
    assert len(again.json()["holds"]) == 1

    changed = place(hub, store_id, order_body(item["id"], quantity=1), key="checkout-7f3a")
    assert changed.status_code == 422, changed.text
    assert "Idempotency-Key" in detail(changed)
    assert product(hub, item["id"])["held_quantity"] == held

    other = place(hub, store_id, body, key="checkout-8b21")
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert len(hub.api.get(f"/api/v1/stores/{store_id}/orders").json()) == 2


# --- the order's life ------------------------------------------------------------------------------------------


def test_confirm_once_cancel_gives_stock_back_and_ended_orders_stay_ended(
    hub: Hub, flourish: Sandbox, connected: Connected
):
    store_id = connected.store_id
    first, second = stocked(hub, store_id, at_least=2)[:2]

    kept = place(hub, store_id, order_body(first["id"], quantity=2)).json()
    confirmed = hub.api.post(f"/api/v1/orders/{kept['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["status"] in ("confirmed", "submitted")
    twice = hub.api.post(f"/api/v1/orders/{kept['id']}/confirm")
    assert twice.status_code == 409, twice.text
    assert detail(twice)

    dropped = place(hub, store_id, order_body(second["id"], quantity=2)).json()
    assert product(hub, second["id"])["available_quantity"] == second["available_quantity"] - 2
    cancelled = hub.api.post(f"/api/v1/orders/{dropped['id']}/cancel", json={"reason": "shopper changed their mind"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert all(h["released_at"] for h in cancelled.json()["holds"])
    after = product(hub, second["id"])
    assert after["available_quantity"] == second["available_quantity"]
    assert after["held_quantity"] == second["held_quantity"]
    for action in ("cancel", "confirm"):
        again = hub.api.post(f"/api/v1/orders/{dropped['id']}/{action}")
        assert again.status_code == 409, (action, again.text)
    assert product(hub, second["id"])["held_quantity"] == second["held_quantity"]  # not given back twice

    # The confirmed order goes to Flourish; Flourish completes it; then it can no longer be cancelled.
    pos_id = wait_for(lambda: hub.order(kept["id"])["pos_order_id"], "the order to reach Flourish")
    flourish.move(pos_id, "Completed")
    run = hub.sync(connected.integration_id, "order_status")
    assert run["status"] == "succeeded", run
    closed = hub.order(kept["id"])
    assert closed["status"] == "closed"
    assert product(hub, first["id"])["held_quantity"] == first["held_quantity"]
    late = hub.api.post(f"/api/v1/orders/{kept['id']}/cancel")
    assert late.status_code == 409, late.text
    assert hub.order(kept["id"])["status"] == "closed"


def test_order_numbers_are_sequential_unless_the_store_randomizes_them(
    hub: Hub, flourish: Sandbox, connected: Connected
):
    store_id = connected.store_id
    item = stocked(hub, store_id, at_least=8)[0]

    def numbers(count: int) -> list[str]:
        placed = [place(hub, store_id, order_body(item["id"])) for _ in range(count)]
        assert all(p.status_code == 201 for p in placed), [p.text for p in placed]
        return [p.json()["number"] for p in placed]

    assert numbers(3) == ["1001", "1002", "1003"]
    switched = hub.api.patch(f"/api/v1/stores/{store_id}", json={"randomized_order_numbers": True})
    assert switched.status_code == 200 and switched.json()["randomized_order_numbers"] is True
    assert hub.api.get(f"/api/v1/stores/{store_id}").json()["randomized_order_numbers"] is True
    randomized = numbers(4)
    assert len(set(randomized)) == 4
    for number in randomized:
        assert re.fullmatch(r"[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}", number), number
    assert hub.api.patch(f"/api/v1/stores/{store_id}", json={"randomized_order_numbers": False}).status_code == 200
    assert numbers(1) == ["1004"]

    # Another store counts on its own.
    other = hub.api.post("/api/v1/stores", json={"name": "Great Lakes Grand Rapids"}).json()
    assert other["randomized_order_numbers"] is False
    link = hub.api.put(
        f"/api/v1/stores/{other['id']}/integrations/flourish",
        json={
            "credentials": {"username": "demo", "api_key": "demo-key"},
            "settings": {"base_url": flourish.api_url, "facility_id": FACILITY, "requests_per_second": 1000},
        },
    )
    assert link.status_code == 200, link.text
    assert hub.sync(link.json()["id"])["status"] == "succeeded"
    theirs = stocked(hub, other["id"])[0]
    answer = place(hub, other["id"], order_body(theirs["id"]))
    assert answer.status_code == 201 and answer.json()["number"] == "1001", answer.text
