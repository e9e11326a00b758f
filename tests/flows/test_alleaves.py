"""Alleaves ↔ online store over real HTTP against the Alleaves sandbox (seed 003), on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx2

from cannasync.vocab import CANONICAL_TERPENES
from tests.conftest import ALLEAVES_CREDENTIALS, AlleavesSandbox, Connected, Hub, connect_alleaves, wait_for
from tests.flows.support import place, stocked

MED_PATIENT = {
    "first_name": "Rae",
    "last_name": "Moss",
    "medical_id": "AL-778899",
    "phone": "5556667777",
    "date_of_birth": "1975-08-20",
}


def vendor(sandbox: AlleavesSandbox, path: str, **params: Any) -> Any:
    """Ask the sandbox as a client would (token, then the call)."""
    with httpx2.Client(base_url=sandbox.api_url, timeout=10) as client:
        token = client.post("/api/v1/auth/token", json=ALLEAVES_CREDENTIALS).json()["access_token"]
        return client.get(path, params=params, headers={"Authorization": f"Bearer {token}"}).json()


def areas(sandbox: AlleavesSandbox) -> dict[str, str]:
    return {area["name"]: area["area_id"] for area in vendor(sandbox, "/api/v1/inventory-areas")["data"]}


def items_in(sandbox: AlleavesSandbox, *names: str) -> list[dict[str, Any]]:
    ids = [areas(sandbox)[name] for name in names]
    found, page = [], 1
    while True:
        answer = vendor(sandbox, "/api/v1/items", area_id=ids, page=page, per_page=100)
        found += answer["data"]
        if page >= answer["pagination"]["total_pages"]:
            return found
        page += 1


def menu(hub: Hub, link: Connected, **params: Any) -> dict[str, dict[str, Any]]:
    page = hub.api.get(f"/api/v1/stores/{link.store_id}/products", params={"limit": 200, **params}).json()
    return {p["sku"]: p for p in page["data"]}


def threshold(sandbox: AlleavesSandbox) -> int:
    return int(vendor(sandbox, "/api/v1/location")["data"]["low_quantity_threshold"])


def test_connect_checks_the_login_and_offers_the_areas(hub: Hub, alleaves: AlleavesSandbox):
    store = hub.api.post("/api/v1/stores", json={"name": "Checks"}).json()
    url = f"/api/v1/stores/{store['id']}/integrations/alleaves"
    wrong = hub.api.put(
        url,
        json={"credentials": {**ALLEAVES_CREDENTIALS, "password": "nope"}, "settings": {"base_url": alleaves.api_url}},
    )
    assert wrong.status_code == 422 and "credentials" in wrong.json()["detail"]
    ok = hub.api.put(url, json={"credentials": ALLEAVES_CREDENTIALS, "settings": {"base_url": alleaves.api_url}})
    assert ok.status_code == 200 and ok.json()["schedules"] == []  # nothing syncs until areas are chosen
    assert {"Retail", "Vault", "Quarantine"} <= {loc["name"] for loc in ok.json()["locations"]}
    unknown = hub.api.put(url, json={"settings": {"area_ids": ["AREA-NOPE"]}})
    assert unknown.status_code == 422 and "AREA-NOPE" in unknown.json()["detail"]


def test_menu_reads_only_the_chosen_areas_and_follows_seed_003(hub: Hub, alleaves: AlleavesSandbox):
    link = connect_alleaves(hub, alleaves, ("Retail",))
    run = hub.first_sync(link.integration_id)
    assert run["status"] == "succeeded", run
    limit = threshold(alleaves)
    items = [i for i in items_in(alleaves, "Retail") if i["item_id"] not in alleaves.state.malformed_ids]
    shown = menu(hub, link)
    hidden = menu(hub, link, include_hidden=True)
    for item in items:
        product = hidden[item["sku"]]
        if item["quantity_available"] <= limit:
            # At or below the location's low-quantity threshold: quantity 0 and off the menu.
            assert product["pos_quantity"] == 0 and product["visible"] is False and item["sku"] not in shown
        else:
            assert product["pos_quantity"] == int(item["quantity_available"]) and item["sku"] in shown
        pricing = item["pricing"]
        assert product["rec_price_cents"] == round(Decimal(str(pricing["recreational"])) * 100)
        if pricing["is_tiered"]:
            assert [t["label"] for t in product["price_tiers"]] == [t["label"] for t in pricing["tiers"]]
        expected_images = [i["url"] for i in sorted(item["images"], key=lambda image: image["position"])]
        assert product["images"] == expected_images
        assert product["terpenes"] == []  # terpene sync is off by default
    vault_only = {i["sku"] for i in items_in(alleaves, "Vault")} - {i["sku"] for i in items}
    assert vault_only and not vault_only & set(hidden)
    assert any(i["quantity_available"] <= limit for i in items) and run["counts"]["quarantined"] >= 1


def test_otd_pricing_uses_the_out_the_door_price(hub: Hub, alleaves: AlleavesSandbox):
    link = connect_alleaves(hub, alleaves, ("Retail",), otd_pricing=True)
    run = hub.first_sync(link.integration_id)
    products = menu(hub, link, include_hidden=True)
    without_otd = 0
    for item in items_in(alleaves, "Retail"):
        if item["sku"] not in products:
            continue
        pricing = item["pricing"]
        if pricing["otd_price"] is None:  # no OTD price yet: the menu-type prices, and counted
            without_otd += 1
            assert products[item["sku"]]["rec_price_cents"] == round(Decimal(str(pricing["recreational"])) * 100)
            continue
        otd = round(Decimal(str(pricing["otd_price"])) * 100)
        assert products[item["sku"]]["rec_price_cents"] == otd == products[item["sku"]]["med_price_cents"]
    assert run["counts"].get("left_out_otd_price", 0) == without_otd


def test_with_price_sync_off_existing_prices_stay_and_new_products_get_one(hub: Hub, alleaves: AlleavesSandbox):
    link = connect_alleaves(hub, alleaves, ("Retail",), sync_prices=False)
    hub.first_sync(link.integration_id)
    item = next(i for i in items_in(alleaves, "Retail") if i["sku"] in menu(hub, link))
    before = menu(hub, link)[item["sku"]]["rec_price_cents"]
    alleaves.patch_item(item["item_id"], pricing={**item["pricing"], "recreational": 999.0})
    hub.sync(link.integration_id)
    assert menu(hub, link)[item["sku"]]["rec_price_cents"] == before
    assert all(p["rec_price_cents"] for p in menu(hub, link).values())  # every product got a price on creation


def test_terpenes_only_the_sixteen_exact_names_with_their_units(hub: Hub, alleaves: AlleavesSandbox):
    link = connect_alleaves(hub, alleaves, ("Retail", "Vault"), sync_terpenes=True)
    run = hub.first_sync(link.integration_id)
    assert run["counts"].get("left_out_terpenes", 0) > 0  # misspelt and off-list names are counted
    products = menu(hub, link, include_hidden=True)
    checked = 0
    for item in items_in(alleaves, "Retail", "Vault"):
        if item["sku"] not in products:
            continue
        typed = {e["compound"]: e["value"] for e in item["chemical_profile"] if e["kind"] == "terpene"}
        shown = {t["name"]: t for t in products[item["sku"]]["terpenes"]}
        assert set(shown) == {name for name in typed if name in CANONICAL_TERPENES}
        for name, terpene in shown.items():
            value = typed[name].replace(" ", "")
            unit = "%" if value.endswith("%") else "mg"
            assert terpene["unit"] == unit
            assert Decimal(terpene["value"]) == Decimal(value.rstrip("%").removesuffix("mg"))
            checked += 1
    assert checked > 10


def test_medical_patients_are_found_by_medical_id_then_phone_then_created(hub: Hub, alleaves: AlleavesSandbox):
    link = connect_alleaves(hub, alleaves, ("Retail",), sync_orders=True)
    hub.first_sync(link.integration_id)
    product = stocked(hub, link)[0]
    known = next(p for p in alleaves.patients() if p.get("medical_id") and p.get("phone"))
    phone_only = next(p for p in alleaves.patients() if not p.get("medical_id") and p.get("phone"))
    cases = [
        (
            {"first_name": "X", "last_name": "Y", "medical_id": known["medical_id"], "date_of_birth": "1970-01-01"},
            known["patient_id"],
        ),
        (
            {
                "first_name": "X",
                "last_name": "Y",
                "medical_id": "AL-NEW-1",
                "phone": phone_only["phone"],
                "date_of_birth": "1970-01-01",
            },
            phone_only["patient_id"],
        ),
        (MED_PATIENT, None),
    ]
    before = len(alleaves.patients())
    for customer, expected in cases:
        order = place(
            hub,
            link,
            {"customer": customer, "is_medical": True, "lines": [{"product_id": product["id"], "quantity": 1}]},
        )
        hub.api.post(f"/api/v1/orders/{order['id']}/confirm")
        pos_id = wait_for(lambda o=order: hub.order(o["id"])["pos_order_id"], "the push")
        sent = next(o for o in alleaves.orders() if o["order_id"] == pos_id)
        assert sent["menu_type"] == "medical"
        if expected:
            assert sent["patient_id"] == expected
        else:
            created = next(p for p in alleaves.patients() if p["patient_id"] == sent["patient_id"])
            assert created["medical_id"] == "AL-778899" and created["date_of_birth"] == "1975-08-20"
    assert len(alleaves.patients()) == before + 1


def test_delivery_orders_carry_their_window_and_total(hub: Hub, alleaves: AlleavesSandbox):
    link = connect_alleaves(hub, alleaves, ("Retail",), sync_orders=True)
    hub.first_sync(link.integration_id)
    product = stocked(hub, link)[0]
    body = {
        "customer": MED_PATIENT,
        "fulfillment": "delivery",
        "delivery_address": {"line1": "4 Pine St", "city": "Eugene", "state": "OR", "postcode": "97401"},
        "offers": [{"label": "10% off", "kind": "percent", "value": 10}],
        "lines": [{"product_id": product["id"], "quantity": 2}],
    }
    refused = hub.api.post(f"/api/v1/stores/{link.store_id}/orders", json=body)
    assert refused.status_code == 422 and "window" in refused.json()["detail"]
    order = place(hub, link, {**body, "window_start": "2026-12-03T20:00:00Z", "window_end": "2026-12-03T21:00:00Z"})
    hub.api.post(f"/api/v1/orders/{order['id']}/confirm")
    pos_id = wait_for(lambda: hub.order(order["id"])["pos_order_id"], "the push")
    sent = next(o for o in alleaves.orders() if o["order_id"] == pos_id)
    assert sent["order_type"] == "delivery"
    assert sent["delivery"]["window_start"].startswith("2026-12-03T20:00:00")
    assert sent["delivery"]["window_end"].startswith("2026-12-03T21:00:00")
    assert round(Decimal(str(sent["total"])) * 100) == order["total_cents"]


def test_statuses_are_polled_and_never_go_backwards(hub: Hub, alleaves: AlleavesSandbox):
    link = connect_alleaves(hub, alleaves, ("Retail",), sync_orders=True)
    hub.first_sync(link.integration_id)
    product = stocked(hub, link)[0]
    order = place(hub, link, {"customer": MED_PATIENT, "lines": [{"product_id": product["id"], "quantity": 1}]})
    hub.api.post(f"/api/v1/orders/{order['id']}/confirm")
    pos_id = wait_for(lambda: hub.order(order["id"])["pos_order_id"], "the push")
    for status in ("accepted", "in_progress", "ready"):
        alleaves.move(pos_id, status)
    hub.sync(link.integration_id, "order_status")
    assert hub.order(order["id"])["status"] == "ready_for_pickup"
    alleaves.move(pos_id, "completed")
    hub.sync(link.integration_id, "order_status")
    closed = hub.order(order["id"])
    assert closed["status"] == "closed" and all(h["released_at"] for h in closed["holds"])


def test_an_expired_token_is_refreshed_and_a_timeout_never_duplicates(hub: Hub, alleaves: AlleavesSandbox):
    link = connect_alleaves(hub, alleaves, ("Retail",), sync_orders=True, timeout_seconds=0.5)
    hub.first_sync(link.integration_id)
    alleaves.control.post("/_sandbox/tokens/expire").raise_for_status()
    run = hub.sync(link.integration_id)
    assert run["status"] == "succeeded", run
    product = stocked(hub, link)[0]
    alleaves.fault(method="POST", path_prefix="/api/v1/orders", mode="timeout_after_commit", delay_seconds=2)
    order = place(hub, link, {"customer": MED_PATIENT, "lines": [{"product_id": product["id"], "quantity": 1}]})
    hub.api.post(f"/api/v1/orders/{order['id']}/confirm")
    pushed = wait_for(lambda: (o := hub.order(order["id"]))["pos_order_id"] and o, "the push", 30)
    assert len(alleaves.orders()) == 1
    assert any("found after an unknown outcome" in e["detail"] for e in pushed["history"])
