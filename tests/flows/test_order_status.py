"""Statuses from Flourish back to the online order, every 2 minutes, forward only (seed 000's table)."""

from __future__ import annotations

from cannasync.domain.orders import OrderStatus
from cannasync.flows import order_status
from tests.conftest import Connected, Hub, Sandbox
from tests.flows.support import MEDICAL_PATIENT, confirm_and_wait_for_push, place, stocked

DELIVERY = {
    "customer": {"first_name": "Dee", "last_name": "Livery", "phone": "5554443333", "date_of_birth": "1979-11-02"},
    "fulfillment": "delivery",
    "delivery_address": {"line1": "1 Main St", "city": "Ann Arbor", "state": "MI", "postcode": "48104"},
}


def pushed_order(hub: Hub, link: Connected, body: dict) -> dict:
    product = stocked(hub, link)[0]
    order = place(hub, link, {**body, "lines": [{"product_id": product["id"], "quantity": 2}]})
    return confirm_and_wait_for_push(hub, order["id"])


def available(hub: Hub, product_id: int) -> int:
    return int(hub.api.get(f"/api/v1/products/{product_id}").json()["available_quantity"])


def test_the_status_poll_runs_every_two_minutes(hub: Hub, connected: Connected):
    schedules = hub.api.get(f"/api/v1/integrations/{connected.integration_id}").json()["schedules"]
    assert {s["flow"]: s["every_seconds"] for s in schedules} == {
        "menu_sync": 600,
        "order_status": 120,
        "reconcile": 86400,
    }


def test_a_pickup_is_ready_when_packed_and_closed_when_completed(hub: Hub, flourish: Sandbox, connected: Connected):
    order = pushed_order(hub, connected, {"customer": MEDICAL_PATIENT, "is_medical": True})
    product_id = order["lines"][0]["product_id"]
    held = available(hub, product_id)
    flourish.move(order["pos_order_id"], "Packed")
    hub.sync(connected.integration_id, "order_status")
    assert hub.order(order["id"])["status"] == "ready_for_pickup"
    assert available(hub, product_id) == held  # still held: Flourish has not counted the sale yet
    flourish.move(order["pos_order_id"], "Completed")
    run = hub.sync(connected.integration_id, "order_status")
    closed = hub.order(order["id"])
    assert closed["status"] == "closed" and run["counts"]["updated"] == 1
    assert all(h["released_at"] for h in closed["holds"])
    assert available(hub, product_id) == held + 2
    assert [e["to"] for e in closed["history"] if e["kind"] == "status"] == [
        "pending",
        "confirmed",
        "submitted",
        "ready_for_pickup",
        "closed",
    ]


def test_packed_does_not_make_a_delivery_ready_for_pickup(hub: Hub, flourish: Sandbox, connected: Connected):
    order = pushed_order(hub, connected, DELIVERY)
    flourish.move(order["pos_order_id"], "Packed")
    hub.sync(connected.integration_id, "order_status")
    packed = hub.order(order["id"])
    assert (packed["status"], packed["pos_status"]) == ("submitted", "Packed")
    flourish.move(order["pos_order_id"], "Out for Delivery")
    hub.sync(connected.integration_id, "order_status")
    assert hub.order(order["id"])["status"] == "out_for_delivery"
    flourish.move(order["pos_order_id"], "Undeliverable")
    hub.sync(connected.integration_id, "order_status")
    undeliverable = hub.order(order["id"])
    assert undeliverable["status"] == "cancelled" and all(h["released_at"] for h in undeliverable["holds"])


def test_cancelled_in_flourish_cancels_online_and_frees_the_stock(hub: Hub, flourish: Sandbox, connected: Connected):
    order = pushed_order(hub, connected, {"customer": MEDICAL_PATIENT, "is_medical": True})
    product_id = order["lines"][0]["product_id"]
    before = available(hub, product_id)
    flourish.move(order["pos_order_id"], "Cancelled")
    hub.sync(connected.integration_id, "order_status")
    assert hub.order(order["id"])["status"] == "cancelled"
    assert available(hub, product_id) == before + 2


def test_a_late_or_backward_update_is_logged_and_ignored(hub: Hub, flourish: Sandbox, connected: Connected):
    order = pushed_order(hub, connected, {"customer": MEDICAL_PATIENT, "is_medical": True})
    flourish.move(order["pos_order_id"], "Packed")
    hub.sync(connected.integration_id, "order_status")
    # A stale answer arrives after the order moved on (a slow poll, a replayed webhook).
    outcome = order_status.apply_pos_status(hub.db, order["id"], "Submitted", OrderStatus.SUBMITTED)
    assert outcome == "skipped"
    after = hub.order(order["id"])
    assert after["status"] == "ready_for_pickup"
    ignored = [e for e in after["history"] if e["kind"] == "status_ignored"]
    assert ignored and "backwards" in ignored[0]["detail"]
    # The merchant cancelled online; Flourish completing it later does not resurrect the order.
    hub.api.post(f"/api/v1/orders/{order['id']}/cancel")
    flourish.move(order["pos_order_id"], "Completed")
    run = hub.sync(connected.integration_id, "order_status")
    assert hub.order(order["id"])["status"] == "cancelled"
    assert run["counts"]["updated"] == 0
