"""Store settings over the API, on both databases: what a store says about itself, what its orders are held to
(pickup or delivery, the delivery fee and minimum, purchase limits), and the POS location's time zone."""

from __future__ import annotations

from typing import Any

from tests.conftest import Connected, FlowhubSandbox, Hub, Sandbox, connect_flowhub, connect_sms
from tests.flows.support import MEDICAL_PATIENT, stocked

HOURS = {"mon": {"open": "09:00", "close": "21:00"}, "sat": {"open": "10:00", "close": "02:00"}}
SHOPPER = {"first_name": "Ada", "last_name": "Byron", "phone": "3135550100", "date_of_birth": "1980-01-01"}


def test_settings_are_kept_and_bad_ones_are_refused_naming_the_field(hub: Hub) -> None:
    created = hub.api.post(
        "/api/v1/stores",
        json={
            "name": "Evergreen Main St",
            "address": {"line1": "412 Main St", "city": "Vancouver", "state": "wa", "postcode": "98660"},
            "phone": "(360) 555-0142",
            "hours": HOURS,
            "delivery_fee_cents": 500,
        },
    )
    assert created.status_code == 201, created.text
    store = created.json()
    assert store["address"]["state"] == "WA" and store["phone"] == "3605550142" and store["hours"] == HOURS
    assert store["timezone_chosen"] is False  # left for the POS location's own
    limits = store["purchase_limits"]
    assert limits["state_name"] == "Washington"
    assert {row["key"]: row["amount"] for row in limits["adult_use"]}["concentrate"] == "7"
    url = f"/api/v1/stores/{store['id']}"

    changed = hub.api.patch(
        url, json={"timezone": "America/Los_Angeles", "limit_overrides": {"adult_use": {"concentrate": 3}}}
    ).json()
    assert changed["timezone_chosen"] is True
    row = next(r for r in changed["purchase_limits"]["adult_use"] if r["key"] == "concentrate")
    assert (row["amount"], row["state_amount"], row["label"]) == ("3", "7", "3 g of concentrate")
    assert hub.api.get(url).json()["purchase_limits"]["overrides"] == {"adult_use": {"concentrate": "3"}}

    for body, words in (
        ({"hours": {"mon": {"open": "9am", "close": "21:00"}}}, "mon open must be a 24-hour time"),
        ({"hours": {"funday": None}}, "is not a weekday"),
        ({"limit_overrides": {"adult_use": {"edibles": 10}}}, "'edibles' is not one of WA's adult_use limits"),
        ({"phone": "555"}, "phone: give a 10-digit phone number"),
        ({"name": None}, "name: cannot be null"),
        ({"timezone": "Mars/Olympus"}, "is not a time zone name"),
        ({"delivery_fee_cents": -1}, "greater than or equal to 0"),
    ):
        answer = hub.api.patch(url, json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert words in answer.text, (body, answer.text)
    assert hub.api.patch(url, json={"address": None}).json()["purchase_limits"]["adult_use"] == []


def _concentrate(hub: Hub, link: Connected) -> dict[str, Any]:
    products = hub.api.get(f"/api/v1/stores/{link.store_id}/products", params={"limit": 200}).json()["data"]
    found = [
        p
        for p in products
        if p["net_weight"] == "1" and p["available_quantity"] >= 3 and "1g" in p["name"] and "Cart" in p["name"]
    ]
    assert found, "the Flourish sandbox sells 1 g cartridges"
    return found[0]


def test_orders_are_held_to_the_limits_the_fulfilment_and_the_delivery_minimum(hub: Hub, connected: Connected) -> None:
    url = f"/api/v1/stores/{connected.store_id}"
    hub.api.patch(url, json={"address": {"state": "MI"}, "limit_overrides": {"adult_use": {"concentrate": 2}}})
    cart = _concentrate(hub, connected)
    orders = f"{url}/orders"
    over = {"customer": SHOPPER, "lines": [{"product_id": cart["id"], "quantity": 3}]}
    refused = hub.api.post(orders, json=over)
    assert refused.status_code == 422, refused.text
    assert refused.json() == {"detail": "This order is over this store's limit of 2 g of concentrate by 1 g."}
    # A medical patient is held to Michigan's medical limits, which the store did not lower.
    medical = hub.api.post(orders, json={**over, "customer": MEDICAL_PATIENT, "is_medical": True})
    assert medical.status_code == 201, medical.text

    flower = stocked(hub, connected, count=1)[0]
    delivery = {
        "customer": SHOPPER,
        "lines": [{"product_id": flower["id"], "quantity": 1}],
        "fulfillment": "delivery",
        "delivery_address": {"line1": "9 Lake Rd", "city": "Detroit", "state": "MI", "postcode": "48201"},
    }
    hub.api.patch(url, json={"delivery_fee_cents": 500, "delivery_minimum_cents": 100_000_00})
    short = hub.api.post(orders, json=delivery)
    assert short.status_code == 422 and "delivery orders start at $100,000.00 of products" in short.text
    hub.api.patch(url, json={"delivery_minimum_cents": 0})
    placed = hub.api.post(orders, json=delivery).json()
    assert {"name": "Delivery", "amount_cents": 500} in placed["fees"]
    assert placed["total_cents"] == placed["subtotal_cents"] + 500

    hub.api.patch(url, json={"pickup_enabled": False})
    pickup = hub.api.post(orders, json={**delivery, "fulfillment": "pickup"})
    assert pickup.status_code == 422 and "does not take pickup orders online" in pickup.text


def test_a_store_takes_its_flowhub_locations_time_zone_until_a_person_chooses_one(
    hub: Hub, flowhub: FlowhubSandbox
) -> None:
    link = connect_flowhub(hub, flowhub)
    store = hub.api.get(f"/api/v1/stores/{link.store_id}").json()
    # Flowhub's location says "timeZone": "America/Detroit" and "state": "Michigan".
    assert store["timezone"] == "America/Detroit" and store["timezone_chosen"] is False
    assert store["address"] == {"state": "MI"} and store["purchase_limits"]["state_name"] == "Michigan"
    hub.api.patch(f"/api/v1/stores/{link.store_id}", json={"timezone": "America/Chicago"})
    again = hub.api.put(
        f"/api/v1/stores/{link.store_id}/integrations/flowhub", json={"settings": {"requests_per_second": 999}}
    )
    assert again.status_code == 200, again.text
    assert hub.api.get(f"/api/v1/stores/{link.store_id}").json()["timezone"] == "America/Chicago"


def test_order_messages_are_off_until_the_store_turns_each_channel_on_and_it_says_what_they_need(
    hub: Hub, sms: Sandbox
) -> None:
    store = hub.api.post("/api/v1/stores", json={"name": "Downtown"}).json()
    assert (store["order_sms_enabled"], store["order_email_enabled"]) == (False, False)
    assert store["order_channels_ready"] == {"sms": False, "email": False}
    url = f"/api/v1/stores/{store['id']}"
    turned = hub.api.patch(url, json={"order_sms_enabled": True})
    assert turned.status_code == 200 and turned.json()["order_sms_enabled"] is True
    assert turned.json()["order_email_enabled"] is False
    wrongs = ({"order_email_enabled": "yes"}, {"order_sms_enabled": 1}, {"order_sms_enabled": None})
    for wrong in (*wrongs, {"delivery_fee_cents": True}):  # true is no number of cents (found by the fuzzer)
        refused = hub.api.patch(url, json=wrong)
        assert refused.status_code == 422 and next(iter(wrong)) in refused.text, refused.text
    # Texts need the organization's SMS gateway; e-mails the SMTP server of the notification settings.
    connect_sms(hub, sms)
    assert hub.api.get(url).json()["order_channels_ready"] == {"sms": True, "email": False}
    settings = {"smtp_host": "127.0.0.1", "smtp_port": 2525, "smtp_security": "none", "email_from": "a@b.example"}
    assert hub.api.put("/api/v1/notification-settings", json=settings).status_code == 200
    kept = hub.api.get(url).json()
    assert kept["order_channels_ready"] == {"sms": True, "email": True} and kept["order_sms_enabled"] is True
    created = hub.api.post("/api/v1/stores", json={"name": "Uptown", "order_email_enabled": True}).json()
    assert created["order_email_enabled"] is True and created["order_sms_enabled"] is False
