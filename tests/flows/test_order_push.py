"""Order push to Flourish through the outbox: exactly once, with the right customer and the right total."""

from __future__ import annotations

import time
from decimal import Decimal

from cannasync.flows.checkout import PUSH_ORDER
from tests.conftest import Connected, Hub, Sandbox, connect_flourish, wait_for
from tests.flows.support import MEDICAL_PATIENT, confirm_and_wait_for_push, place, stocked

CREATE = "POST /external/api/v2/retail-orders/"


def flourish_order(sandbox: Sandbox, pos_id: str) -> dict:
    return next(o for o in sandbox.state.orders() if o["id"] == pos_id)


def test_a_confirmed_medical_order_goes_in_as_submitted_for_the_known_patient(
    hub: Hub, flourish: Sandbox, connected: Connected
):
    product = stocked(hub, connected)[0]
    order = place(
        hub,
        connected,
        {"customer": MEDICAL_PATIENT, "is_medical": True, "lines": [{"product_id": product["id"], "quantity": 2}]},
    )
    assert order["status"] == "pending" and order["pos_order_id"] is None
    pushed = confirm_and_wait_for_push(hub, order["id"])
    remote = flourish_order(flourish, pushed["pos_order_id"])
    assert remote["order_status"] == "Submitted"
    assert remote["original_order_id"] == pushed["push_reference"] == f"{pushed['number']}-S{connected.store_id}"
    assert remote["is_recreational"] is False
    assert remote["customer_id"] == "70001"  # found by patient_id, not created
    assert remote["fulfillment_type"] == "pickup"
    assert pushed["status"] == "submitted"
    assert any("customer by medical_id" in e["detail"] for e in pushed["history"])
    assert len(flourish.state.orders()) == 1 and len(flourish.state.customers()) == 20


def test_customer_lookup_falls_back_to_phone_then_email_then_creates(hub: Hub, flourish: Sandbox):
    link = connect_flourish(hub, flourish, sync_orders=True, require_medical_verification=True)
    hub.first_sync(link.integration_id)
    product = stocked(hub, link)[0]
    dob = {"date_of_birth": "1992-09-30"}
    cases = [
        ({"first_name": "Casey", "last_name": "M", "phone": "+1 (555) 000-2222", **dob}, "phone", "70002"),
        (
            {"first_name": "Casey", "last_name": "M", "phone": "555-999-0000", "email": "CASEY@example.com", **dob},
            "email",
            "70002",
        ),
        (
            {
                "first_name": "Riley",
                "last_name": "New",
                "phone": "555-321-4321",
                "email": "riley@example.com",
                "date_of_birth": "1990-02-03",
            },
            "created",
            None,
        ),
    ]
    for customer, how, expected_id in cases:
        order = place(hub, link, {"customer": customer, "lines": [{"product_id": product["id"], "quantity": 1}]})
        pushed = confirm_and_wait_for_push(hub, order["id"])
        assert any(f"customer by {how}" in e["detail"] for e in pushed["history"]), pushed["history"]
        remote = flourish_order(flourish, pushed["pos_order_id"])
        if expected_id:
            assert remote["customer_id"] == expected_id
        else:
            created = next(c for c in flourish.state.customers() if c["id"] == remote["customer_id"])
            assert (created["first_name"], created["email"], created["dob"]) == (
                "Riley",
                "riley@example.com",
                "1990-02-03",
            )
            assert created["is_verified"] is False  # Require Medical Customer Verification is on
            assert pushed["customer"]["needs_id_verification"] is True
    # The same shopper again: the binding answers, Flourish is not searched or written again.
    before = flourish.requests()
    order = place(hub, link, {"customer": cases[2][0], "lines": [{"product_id": product["id"], "quantity": 1}]})
    pushed = confirm_and_wait_for_push(hub, order["id"])
    after = flourish.requests()
    assert after.get("GET /external/api/v1/customers/", 0) == before.get("GET /external/api/v1/customers/", 0)
    assert after.get("POST /external/api/v1/customers/", 0) == before.get("POST /external/api/v1/customers/", 0)


def test_checkout_asks_for_what_flourish_needs_to_create_the_customer(hub: Hub, connected: Connected):
    product = stocked(hub, connected)[0]
    body = {
        "customer": {"first_name": "No", "last_name": "Birthday", "email": "nobday@example.com"},
        "lines": [{"product_id": product["id"], "quantity": 1}],
    }
    refused = hub.api.post(f"/api/v1/stores/{connected.store_id}/orders", json=body)
    assert refused.status_code == 422 and "date of birth" in refused.json()["detail"]
    body["customer"]["date_of_birth"] = "2010-01-01"
    too_young = hub.api.post(f"/api/v1/stores/{connected.store_id}/orders", json=body)
    assert too_young.status_code == 422 and "21" in too_young.json()["detail"]
    assert hub.api.get(f"/api/v1/products/{product['id']}").json()["held_quantity"] == 0


def test_offers_fees_and_delivery_make_the_same_total_in_flourish(hub: Hub, flourish: Sandbox, connected: Connected):
    first, second, _ = stocked(hub, connected)
    order = place(
        hub,
        connected,
        {
            "customer": {
                "first_name": "Dee",
                "last_name": "Livery",
                "email": "dee@example.com",
                "phone": "5554443333",
                "date_of_birth": "1979-11-02",
            },
            "fulfillment": "delivery",
            "lines": [{"product_id": first["id"], "quantity": 3}, {"product_id": second["id"], "quantity": 1}],
            "offers": [
                {"label": "33% off", "kind": "percent", "value": 33, "line": 0},
                {"label": "$7.77 off", "kind": "amount", "value": 777},
            ],
            "fees": [{"name": "Delivery", "amount_cents": 599}],
            "notes": "Ring twice",
            "delivery_address": {"line1": "1 Main St", "city": "Ann Arbor", "state": "MI", "postcode": "48104"},
            "window_start": "2026-12-01T18:00:00Z",
            "window_end": "2026-12-01T19:00:00Z",
        },
    )
    assert order["discount_cents"] > 0
    pushed = confirm_and_wait_for_push(hub, order["id"])
    remote = flourish_order(flourish, pushed["pos_order_id"])
    assert round(Decimal(str(remote["total"])) * 100) == order["total_cents"]
    assert remote["applied_discounts"] == []
    assert remote["delivery_address"]["address_line_1"] == "1 Main St"
    assert Decimal(str(remote["delivery_fee"])) == Decimal("5.99")
    assert remote["expected_delivery_timestamp"].startswith("2026-12-01T18:00:00")
    assert "Ring twice" in remote["notes"] and "33% off" in remote["notes"]
    assert remote["is_recreational"] is True and remote["fulfillment_type"] == "delivery"


def test_a_timeout_after_flourish_committed_never_creates_a_second_order(hub: Hub, flourish: Sandbox):
    link = connect_flourish(hub, flourish, sync_orders=True, timeout_seconds=0.5)
    hub.first_sync(link.integration_id)
    product = stocked(hub, link)[0]
    flourish.fault(
        method="POST", path_prefix="/external/api/v2/retail-orders", mode="timeout_after_commit", delay_seconds=2
    )
    order = place(
        hub,
        link,
        {"customer": MEDICAL_PATIENT, "is_medical": True, "lines": [{"product_id": product["id"], "quantity": 1}]},
    )
    pushed = confirm_and_wait_for_push(hub, order["id"], timeout=30)
    assert flourish.requests()[CREATE] == 1
    assert [o["original_order_id"] for o in flourish.state.orders()] == [pushed["push_reference"]]
    assert any("found after an unknown outcome" in e["detail"] for e in pushed["history"])
    assert pushed["push_attempts"][0]["outcome_unknown"] is True
    assert pushed["push_error"] is None


def test_an_outage_delays_the_push_and_loses_nothing(hub: Hub, flourish: Sandbox, connected: Connected):
    product = stocked(hub, connected)[0]
    flourish.fault(method="POST", path_prefix="/external/api/v2/retail-orders", status=503, count=1)
    order = place(
        hub,
        connected,
        {"customer": MEDICAL_PATIENT, "is_medical": True, "lines": [{"product_id": product["id"], "quantity": 1}]},
    )
    hub.api.post(f"/api/v1/orders/{order['id']}/confirm")
    failed_once = wait_for(lambda: (o := hub.order(order["id"]))["push_error"] and o, "the first failure")
    assert "503" in failed_once["push_error"] and failed_once["status"] == "confirmed"
    pushed = confirm_pushed = wait_for(lambda: (o := hub.order(order["id"]))["pos_order_id"] and o, "the retry", 30)
    assert confirm_pushed["status"] == "submitted" and pushed["push_error"] is None
    assert len(flourish.state.orders()) == 1


def test_an_order_flourish_refuses_is_reported_not_retried(hub: Hub, flourish: Sandbox, connected: Connected):
    product = stocked(hub, connected)[0]
    flourish.fault(method="POST", path_prefix="/external/api/v2/retail-orders", status=422, count=1)
    order = place(
        hub,
        connected,
        {"customer": MEDICAL_PATIENT, "is_medical": True, "lines": [{"product_id": product["id"], "quantity": 1}]},
    )
    hub.api.post(f"/api/v1/orders/{order['id']}/confirm")
    refused = wait_for(lambda: (o := hub.order(order["id"]))["push_error"] and o, "the refusal")
    assert "Injected fault" in refused["push_error"]
    assert refused["push_attempts"][0]["state"] == "failed"
    time.sleep(2.5)  # longer than the first retry delay: nothing is sent again
    assert flourish.requests()[CREATE] == 1 and flourish.state.orders() == []


def test_orders_stay_in_cannasync_when_sync_orders_is_off(hub: Hub, flourish: Sandbox):
    link = connect_flourish(hub, flourish)  # Sync Orders off by default
    hub.first_sync(link.integration_id)
    product = stocked(hub, link)[0]
    order = place(
        hub,
        link,
        {"customer": MEDICAL_PATIENT, "is_medical": True, "lines": [{"product_id": product["id"], "quantity": 1}]},
    )
    confirmed = hub.api.post(f"/api/v1/orders/{order['id']}/confirm").json()
    time.sleep(0.5)
    assert confirmed["status"] == "confirmed" and confirmed["push_attempts"] == []
    assert hub.order(order["id"])["pos_order_id"] is None and flourish.state.orders() == []


def test_an_order_cancelled_before_its_push_is_never_sent(hub: Hub, flourish: Sandbox, connected: Connected):
    product = stocked(hub, connected)[0]
    # Flourish refuses every create until the shopper has cancelled: the cancel lands between two tries, however
    # short the backoff and however busy the machine.
    flourish.fault(method="POST", path_prefix="/external/api/v2/retail-orders", status=503, count=1_000_000)
    order = place(
        hub,
        connected,
        {"customer": MEDICAL_PATIENT, "is_medical": True, "lines": [{"product_id": product["id"], "quantity": 1}]},
    )
    hub.api.post(f"/api/v1/orders/{order['id']}/confirm")
    wait_for(lambda: hub.order(order["id"])["push_error"], "the first failure")
    cancelled = hub.api.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "shopper changed their mind"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    flourish.control.delete("/_sandbox/faults").raise_for_status()

    def settled() -> bool:
        with hub.db.uow() as uow:
            messages = uow.outbox.for_subject(PUSH_ORDER, order["id"])
            return all(m.state in ("done", "failed", "cancelled") for m in messages)

    wait_for(settled, "the queued push to be closed")
    assert flourish.state.orders() == [] and hub.order(order["id"])["pos_order_id"] is None


def test_an_online_cancel_after_the_push_cancels_an_order_pushed_as_created(hub: Hub, flourish: Sandbox):
    """A store that pushes orders as Created (the vendor plugin's "Draft") gets an online cancel into Flourish too,
    as long as staff have not submitted the order there; one they have submitted is left to them."""
    link = connect_flourish(hub, flourish, sync_orders=True, push_status="created")
    assert hub.first_sync(link.integration_id)["status"] == "succeeded"
    product = stocked(hub, link)[0]
    body = {"customer": MEDICAL_PATIENT, "is_medical": True, "lines": [{"product_id": product["id"], "quantity": 1}]}
    pushed = [confirm_and_wait_for_push(hub, place(hub, link, body)["id"]) for _ in range(2)]
    assert [flourish_order(flourish, p["pos_order_id"])["order_status"] for p in pushed] == ["Created", "Created"]
    flourish.move(pushed[1]["pos_order_id"], "Submitted")  # staff took the second one on in Flourish

    for order in pushed:
        cancelled = hub.api.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "shopper changed their mind"})
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    wait_for(
        lambda: flourish_order(flourish, pushed[0]["pos_order_id"])["order_status"] == "Cancelled",
        "the cancel to reach Flourish",
    )
    done = f"POS order {pushed[0]['pos_order_id']} cancelled in the POS too"
    history = wait_for(lambda: (h := hub.order(pushed[0]["id"])["history"]) and done in str(h) and h, "the record")
    assert hub.order(pushed[0]["id"])["attention"] is None and history
    kept = wait_for(lambda: hub.order(pushed[1]["id"])["attention"], "a task for staff")
    assert pushed[1]["pos_order_id"] in kept and "Submitted" in kept
    assert flourish_order(flourish, pushed[1]["pos_order_id"])["order_status"] == "Submitted"
