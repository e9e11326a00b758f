"""A POS status reaches the order in seconds: Flourish's signed retail_order webhooks at once; a POS that pushes
nothing (Alleaves) by a 15-second poll of its open orders only, while it has any. Timed from the vendor's side:
the status is moved in the sandbox (control route) and nothing else is asked of the hub."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from cannasync.flows import order_status
from cannasync.store.types import utcnow
from tests.conftest import FACILITY, AlleavesSandbox, Connected, Hub, Sandbox, connect_alleaves, wait_for
from tests.flows.support import MEDICAL_PATIENT, confirm_and_wait_for_push, place, stocked

WEBHOOK_KEY = "flourish-demo-webhook-key"
RAE = {"first_name": "Rae", "last_name": "Moss", "phone": "5556667777", "date_of_birth": "1975-08-20"}


def next_poll(hub: Hub, integration_id: int) -> datetime:
    with hub.db.uow() as uow:
        schedule = uow.runs.schedule(integration_id, order_status.FLOW)
        assert schedule is not None and schedule.next_run_at is not None
        return schedule.next_run_at


def seconds_until(hub: Hub, order_id: int, status: str) -> float:
    started = time.monotonic()
    wait_for(lambda: hub.order(order_id)["status"] == status, f"the order to be {status}", timeout=60)
    return time.monotonic() - started


def test_flourish_webhooks_carry_a_status_to_the_order_at_once(hub: Hub, flourish: Sandbox):
    store = hub.api.post("/api/v1/stores", json={"name": "Great Lakes Ann Arbor"}).json()
    answer = hub.api.put(
        f"/api/v1/stores/{store['id']}/integrations/flourish",
        json={
            "credentials": {"username": "demo", "api_key": "demo-key", "webhook_key": WEBHOOK_KEY},
            "settings": {"base_url": flourish.api_url, "facility_id": FACILITY, "sync_orders": True},
        },
    )
    assert answer.status_code == 200, answer.text
    integration = answer.json()
    # As the operator does in Flourish: the webhook URL is the connection's inbound address, signed with the key.
    flourish.control.post(
        "/_sandbox/webhooks/config", json={"url": hub.server.url + integration["inbound_path"], "key": WEBHOOK_KEY}
    ).raise_for_status()

    link = Connected(store["id"], integration["id"])
    assert hub.first_sync(link.integration_id)["status"] == "succeeded"
    product = stocked(hub, link)[0]
    body: dict[str, Any] = {
        "customer": MEDICAL_PATIENT,
        "is_medical": True,
        "lines": [{"product_id": product["id"], "quantity": 1}],
    }
    order = place(hub, link, body)
    pos_id = confirm_and_wait_for_push(hub, order["id"])["pos_order_id"]

    flourish.move(pos_id, "Packed")
    took = seconds_until(hub, order["id"], "ready_for_pickup")
    assert took < 5, f"a webhook took {took:.1f} s to move the order"
    assert hub.order(order["id"])["pos_status"] == "Packed"
    # The POS pushes: its open orders are polled at the usual two minutes only, as a safety net.
    with hub.db.uow() as uow:
        row = uow.accounts.integration(link.integration_id)
        assert row is not None and row.status_pushed_at is not None
    hub.sync(link.integration_id, order_status.FLOW)
    assert next_poll(hub, link.integration_id) > utcnow() + timedelta(seconds=90)

    # A forged webhook (wrong key) moves nothing and is refused.
    forged = hub.client(None).post(
        integration["inbound_path"],
        content=b'{"resource_type":"retail_order","data":{"id":"' + pos_id.encode() + b'","order_status":"Completed"}}',
        headers={"auth-signature": "0" * 64, "Content-Type": "application/json"},
    )
    assert forged.status_code == 401 and hub.order(order["id"])["status"] == "ready_for_pickup"


def test_a_pos_that_pushes_nothing_has_its_open_orders_polled_every_15_seconds(hub: Hub, alleaves: AlleavesSandbox):
    link = connect_alleaves(hub, alleaves, ("Retail",), sync_orders=True)
    assert hub.first_sync(link.integration_id)["status"] == "succeeded"
    hub.first_sync(link.integration_id, order_status.FLOW)
    assert next_poll(hub, link.integration_id) > utcnow() + timedelta(seconds=90)  # no open orders: two minutes
    product = stocked(hub, link)[0]
    order = place(hub, link, {"customer": RAE, "lines": [{"product_id": product["id"], "quantity": 1}]})
    pos_id = confirm_and_wait_for_push(hub, order["id"])["pos_order_id"]
    assert next_poll(hub, link.integration_id) <= utcnow() + order_status.OPEN_ORDERS_INTERVAL

    for step in ("accepted", "in_progress", "ready"):
        alleaves.move(pos_id, step)
    took = seconds_until(hub, order["id"], "ready_for_pickup")
    assert took < 25, f"the poll took {took:.1f} s to see the order ready"
    alleaves.move(pos_id, "completed")
    seconds_until(hub, order["id"], "closed")
    # No open order is left: the next poll is two minutes on again.
    wait_for(lambda: next_poll(hub, link.integration_id) > utcnow() + timedelta(seconds=90), "the two-minute pace")
    runs = hub.api.get(f"/api/v1/integrations/{link.integration_id}/runs", params={"flow": "order_status"}).json()
    assert len(runs) >= 3 and all(run["status"] == "succeeded" for run in runs)
