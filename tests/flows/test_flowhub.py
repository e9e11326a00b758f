"""Flowhub ↔ online store over real HTTP against the Flowhub sandbox (seed 001), on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

import httpx2

from cannasync.vocab import CANONICAL_TERPENES
from tests.conftest import FLOWHUB_CREDENTIALS, Connected, FlowhubSandbox, Hub, connect_flowhub, wait_for
from tests.flows.support import place, stocked

HEADERS = {"clientId": FLOWHUB_CREDENTIALS["client_id"], "key": FLOWHUB_CREDENTIALS["api_key"]}
MED_PATIENT = {
    "first_name": "Morgan",
    "last_name": "Lee",
    "medical_id": "MI-55-1234",
    "medical_id_expiration": "2030-01-31",
    "date_of_birth": "1981-06-15",
}
REC_SHOPPER = {"first_name": "Alex", "last_name": "Kim", "phone": "(555) 300-4000", "date_of_birth": "1990-03-03"}


def inventory(sandbox: FlowhubSandbox, location: str, path: str = "inventory") -> list[dict[str, Any]]:
    answer = httpx2.get(f"{sandbox.api_url}/v0/locations/{location}/{path}", headers=HEADERS, timeout=10)
    return list(answer.json()["data"])


def location_of(hub: Hub, link: Connected) -> str:
    return str(hub.api.get(f"/api/v1/integrations/{link.integration_id}").json()["settings"]["location_id"])


def menu(hub: Hub, link: Connected) -> dict[str, dict[str, Any]]:
    page = hub.api.get(f"/api/v1/stores/{link.store_id}/products", params={"limit": 200}).json()
    assert page["total"] <= 200
    return {p["sku"]: p for p in page["data"]}


def test_connect_checks_every_credential_and_refuses_a_room_name(hub: Hub, flowhub: FlowhubSandbox):
    store = hub.api.post("/api/v1/stores", json={"name": "Checks"}).json()
    url = f"/api/v1/stores/{store['id']}/integrations/flowhub"
    wrong = hub.api.put(
        url, json={"credentials": {**FLOWHUB_CREDENTIALS, "api_key": "nope"}, "settings": flowhub.where}
    )
    assert wrong.status_code == 422 and "credentials" in wrong.json()["detail"]
    bad_token = hub.api.put(
        url,
        json={
            "credentials": {**FLOWHUB_CREDENTIALS, "order_ahead_token": "nope"},
            "settings": {**flowhub.where, "sync_orders": True},
        },
    )
    assert bad_token.status_code == 422 and "order-ahead" in bad_token.json()["detail"].lower()
    room_name = hub.api.put(
        url,
        json={"credentials": FLOWHUB_CREDENTIALS, "settings": {**flowhub.where, "room_id": "Sales Floor"}},
    )
    assert room_name.status_code == 422
    assert "room_id" in room_name.json()["detail"] and "32-character" in room_name.json()["detail"]
    ok = hub.api.put(url, json={"credentials": FLOWHUB_CREDENTIALS, "settings": flowhub.where})
    assert ok.status_code == 200 and len(ok.json()["locations"]) == 2 and ok.json()["schedules"] == []


def test_menu_follows_seed_001(hub: Hub, flowhub: FlowhubSandbox):
    link = connect_flowhub(hub, flowhub)
    run = hub.first_sync(link.integration_id)
    assert run["status"] == "succeeded", run
    items = inventory(flowhub, location_of(hub, link))
    products = menu(hub, link)
    malformed = {str(i) for i in flowhub.state.malformed_ids}
    good = [item for item in items if str(item["productId"]) not in malformed]
    assert len(products) == len(good) and run["counts"]["quarantined"] >= 1
    spellings = {
        "Indica": "Indica",
        "Indica-Dom": "Indica Hybrid",
        "indica hybrid": "Indica Hybrid",
        "hybrid indica": "Indica Hybrid",
        "50/50": "Hybrid",
        "Sativa-Dom": "Sativa Hybrid",
        "hybrid sativa": "Sativa Hybrid",
        "CBD": "CBD",
    }
    seen_greek = False
    for item in good:
        product = products[item["sku"]]
        assert product["category"] == (item["customCategoryName"] or item["type"] or item["category"])
        assert product["subcategory"] == (item["type"] or item["category"])  # map-custom-category is off
        assert product["rec_price_cents"] == item["priceInMinorUnits"]
        if item["speciesName"] in spellings:
            assert product["strain_type"] == spellings[item["speciesName"]]
        assert {t["name"] for t in product["terpenes"]} <= set(CANONICAL_TERPENES)
        greek = {t["name"] for t in item["terpenes"]} & {"α-Pinene", "β-Myrcene", "delta 3 Carene"}
        if greek:
            seen_greek = True
            names = {t["name"] for t in product["terpenes"]}
            assert names & {"Alpha Pinene", "Beta Myrcene", "3-Carene"}
        if item["weightTierInformation"]:
            assert [t["price_cents"] for t in product["price_tiers"]] == [
                t["pricePerUnitInMinorUnits"] for t in item["weightTierInformation"]
            ]
        assert product["images"] == ([item["productPictureURL"]] if item["productPictureURL"] else [])
    assert seen_greek


def test_map_custom_category_to_sub_category(hub: Hub, flowhub: FlowhubSandbox):
    link = connect_flowhub(hub, flowhub, map_custom_category_to_subcategory=True)
    hub.first_sync(link.integration_id)
    products = menu(hub, link)
    custom = [i for i in inventory(flowhub, location_of(hub, link)) if i["customCategoryName"] and i["sku"] in products]
    assert custom
    for item in custom:
        assert products[item["sku"]]["subcategory"] == item["customCategoryName"]
    assert all(p["subcategory"] for p in products.values())  # a subtype is always assigned


def test_room_and_purchase_category_filters(hub: Hub, flowhub: FlowhubSandbox):
    probe = connect_flowhub(hub, flowhub)
    location = location_of(hub, probe)
    by_room = inventory(flowhub, location, "inventoryByRoomsNonZero")
    room = by_room[0]["roomId"]
    in_room = {str(i["productId"]) for i in by_room if i["roomId"] == room}
    link = connect_flowhub(hub, flowhub, room_id=room)
    hub.first_sync(link.integration_id)
    malformed = {str(i) for i in flowhub.state.malformed_ids}
    skus = {i["sku"] for i in by_room if i["roomId"] == room and str(i["productId"]) not in malformed}
    assert set(menu(hub, link)) == skus and 0 < len(skus) <= len(in_room)
    med = connect_flowhub(hub, flowhub, purchase_category="med")
    hub.sync(med.integration_id)
    categories = {i["sku"]: i["purchaseCategory"] for i in inventory(flowhub, location)}
    assert {categories[sku] for sku in menu(hub, med)} <= {"med", "both"}


def test_unticked_fields_keep_the_stores_edits(hub: Hub, flowhub: FlowhubSandbox):
    link = connect_flowhub(hub, flowhub, sync_description=False)
    hub.first_sync(link.integration_id)
    product = next(iter(menu(hub, link).values()))
    item = next(i for i in inventory(flowhub, location_of(hub, link)) if i["sku"] == product["sku"])
    edited = hub.api.patch(
        f"/api/v1/products/{product['id']}", json={"description": "Our own words", "rec_price_cents": 1}
    )
    assert edited.status_code == 200
    flowhub.patch_item(str(item["productId"]), productDescription="Flowhub's new words")
    hub.sync(link.integration_id)
    after = hub.api.get(f"/api/v1/products/{product['id']}").json()
    assert after["description"] == "Our own words"  # description sync is off: the store's edit stays
    assert after["rec_price_cents"] == item["priceInMinorUnits"]  # prices sync is on: Flowhub wins


def test_checkout_needs_a_medical_id_or_a_phone_even_at_the_kiosk(hub: Hub, flowhub: FlowhubSandbox):
    link = connect_flowhub(hub, flowhub, sync_orders=True)
    hub.first_sync(link.integration_id)
    product = stocked(hub, link)[0]
    anonymous = {"first_name": "No", "last_name": "Contact", "email": "nc@example.com", "date_of_birth": "1980-01-01"}
    for fulfillment in ("kiosk", "pickup"):
        refused = hub.api.post(
            f"/api/v1/stores/{link.store_id}/orders",
            json={
                "customer": anonymous,
                "fulfillment": fulfillment,
                "lines": [{"product_id": product["id"], "quantity": 1}],
            },
        )
        assert refused.status_code == 422 and "medical id or a phone" in refused.json()["detail"]
    no_expiry = {**MED_PATIENT, "medical_id_expiration": None}
    refused = hub.api.post(
        f"/api/v1/stores/{link.store_id}/orders",
        json={"customer": no_expiry, "is_medical": True, "lines": [{"product_id": product["id"], "quantity": 1}]},
    )
    assert refused.status_code == 422 and "expiry" in refused.json()["detail"]


def test_pushed_orders_release_their_hold_unless_the_store_keeps_it(hub: Hub, flowhub: FlowhubSandbox):
    link = connect_flowhub(hub, flowhub, sync_orders=True)
    hub.first_sync(link.integration_id)
    product = stocked(hub, link, at_least=4)[0]
    start = product["available_quantity"]
    window = {"window_start": "2026-12-02T17:00:00Z", "window_end": "2026-12-02T18:00:00Z"}
    delivery = place(
        hub,
        link,
        {
            "customer": REC_SHOPPER,
            "fulfillment": "delivery",
            "notes": "Leave with the concierge",
            "delivery_address": {"line1": "9 Lake Rd", "city": "Detroit", "state": "MI", "postcode": "48201"},
            "fees": [{"name": "Delivery", "amount_cents": 499}],
            **window,
            "lines": [{"product_id": product["id"], "quantity": 2}],
        },
    )
    held = place(
        hub,
        link,
        {"customer": MED_PATIENT, "is_medical": True, "lines": [{"product_id": product["id"], "quantity": 1}]},
    )
    assert hub.api.patch(f"/api/v1/orders/{held['id']}", json={"keep_holding": True}).json()["keep_holding"]
    assert hub.api.get(f"/api/v1/products/{product['id']}").json()["available_quantity"] == start - 3
    for order in (delivery, held):
        hub.api.post(f"/api/v1/orders/{order['id']}/confirm")
        wait_for(lambda o=order: hub.order(o["id"])["pos_order_id"], "the push")
    # The delivery's hold ended at the push ("fulfilled"); the kept order still holds its unit.
    assert hub.api.get(f"/api/v1/products/{product['id']}").json()["available_quantity"] == start - 1
    sent = {o["orderId"]: o for o in flowhub.orders()}
    body = sent[hub.order(delivery["id"])["pos_order_id"]]
    assert body["orderType"] == "delivery" and body["customerNote"] == "Leave with the concierge"
    assert body["fees"] == [{"name": "Delivery", "amount": 499}]
    assert body["requestedFulfillmentTimeStart"].startswith("2026-12-02T17:00:00")
    assert body["customer"]["phone"] == "+15553004000"
    assert body["postbackUrl"].startswith(hub.server.url + "/hooks/flowhub/")
    med = sent[hub.order(held["id"])["pos_order_id"]]
    assert (med["customer"]["medId"], med["customer"]["medExp"]) == ("MI-55-1234", "2030-01-31")


def test_postbacks_move_orders_at_once_and_the_poll_catches_what_they_miss(hub: Hub, flowhub: FlowhubSandbox):
    link = connect_flowhub(hub, flowhub, sync_orders=True)
    hub.first_sync(link.integration_id)
    product = stocked(hub, link)[0]
    pickup = place(hub, link, {"customer": REC_SHOPPER, "lines": [{"product_id": product["id"], "quantity": 1}]})
    hub.api.post(f"/api/v1/orders/{pickup['id']}/confirm")
    pos_id = wait_for(lambda: hub.order(pickup["id"])["pos_order_id"], "the push")
    flowhub.move(pos_id, "started")
    flowhub.move(pos_id, "ready")
    wait_for(lambda: hub.order(pickup["id"])["status"] == "ready_for_pickup", "the postback", 10)
    # A postback that never arrives (the hub was unreachable): the 2-minute poll catches it.
    hub.workers.dispatcher.public_url = "http://127.0.0.1:9"  # nothing listens there
    missed = place(hub, link, {"customer": REC_SHOPPER, "lines": [{"product_id": product["id"], "quantity": 1}]})
    hub.api.post(f"/api/v1/orders/{missed['id']}/confirm")
    missed_pos = wait_for(lambda: hub.order(missed["id"])["pos_order_id"], "the push")
    for status in ("started", "ready", "sold"):
        flowhub.move(missed_pos, status)
    time.sleep(0.5)
    assert hub.order(missed["id"])["status"] == "submitted"
    hub.sync(link.integration_id, "order_status")
    assert hub.order(missed["id"])["status"] == "closed"
    # A late postback for an order that moved on is ignored, not applied backwards.
    stale = hub.api.post(
        flowhub.orders()[0]["postbackUrl"].replace(hub.server.url, ""),
        json={"orderId": pos_id, "status": "new", "previousStatus": None},
    )
    assert stale.status_code == 200 and hub.order(pickup["id"])["status"] == "ready_for_pickup"
    forged = hub.api.post(
        f"/hooks/flowhub/{link.integration_id}/not-the-token", json={"orderId": pos_id, "status": "sold"}
    )
    assert forged.status_code == 401 and hub.order(pickup["id"])["status"] == "ready_for_pickup"


def test_a_429_without_retry_after_backs_off_and_loses_nothing(hub: Hub, flowhub: FlowhubSandbox):
    link = connect_flowhub(hub, flowhub, sync_orders=True)
    flowhub.fault(method="GET", path_prefix="/v0/locations/", status=429, count=2)
    run = hub.sync(link.integration_id)
    assert run["status"] == "succeeded"
    assert len(menu(hub, link)) == run["counts"]["created"] + run["counts"]["unchanged"] > 0
    flowhub.control.post("/_sandbox/rate-limit", json={"rps": 3})
    product = stocked(hub, link)[0]
    order = place(hub, link, {"customer": REC_SHOPPER, "lines": [{"product_id": product["id"], "quantity": 1}]})
    hub.api.post(f"/api/v1/orders/{order['id']}/confirm")
    wait_for(lambda: hub.order(order["id"])["pos_order_id"], "the push despite the rate limit", 30)
    assert len(flowhub.orders()) == 1


def test_a_timeout_after_flowhub_created_the_order_never_creates_a_second(hub: Hub, flowhub: FlowhubSandbox):
    link = connect_flowhub(hub, flowhub, sync_orders=True, timeout_seconds=0.5)
    hub.first_sync(link.integration_id)
    product = stocked(hub, link)[0]
    flowhub.fault(method="POST", path_prefix="/order-ahead/v0/create", mode="timeout_after_commit", delay_seconds=2)
    order = place(hub, link, {"customer": REC_SHOPPER, "lines": [{"product_id": product["id"], "quantity": 1}]})
    hub.api.post(f"/api/v1/orders/{order['id']}/confirm")
    pushed = wait_for(lambda: (o := hub.order(order["id"]))["pos_order_id"] and o, "the push", 30)
    assert len(flowhub.orders()) == 1
    assert any("found after an unknown outcome" in e["detail"] for e in pushed["history"])
