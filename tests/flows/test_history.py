"""Per-record history of orders and personas over the API, on SQLite and PostgreSQL: every change the hub made,
with who made it (which run, which webhook, which person), so "why is this order closed?" or "where did this phone
number come from?" has an answer.

The changes are made the ways they happen in a store: the API confirms an order, the outbox pushes it, Flowhub
posts statuses back, one status postback is lost and a reconciliation finds it; a loyalty pull brings a POS
customer and a later POS edit, a shopper signs up, the store edits the signup, and an SMS reply confirms it.
"""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import FlowhubSandbox, Hub, Sandbox, connect_flowhub, connect_loyalty, connect_sms, wait_for
from tests.flows.support import stocked
from tests.flows.test_flowhub import REC_SHOPPER
from tests.flows.test_loyalty import PULL, persona_of
from tests.flows.test_reconcile import reconcile


def history(hub: Hub, path: str) -> list[dict[str, Any]]:
    answer = hub.api.get(f"/api/v1/{path}/history")
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def moved(entries: list[dict[str, Any]], field: str, to: Any) -> dict[str, Any]:
    """The change that set ``field`` to ``to`` (exactly one)."""
    [found] = [e for e in entries if field in e["changes"] and e["changes"][field]["to"] == to]
    return found


def test_an_orders_history_names_the_person_the_push_the_webhook_and_the_run(hub: Hub, flowhub: FlowhubSandbox):
    link = connect_flowhub(hub, flowhub, sync_orders=True)
    hub.first_sync(link.integration_id)
    product = stocked(hub, link)[0]
    order = hub.api.post(
        f"/api/v1/stores/{link.store_id}/orders",
        json={"customer": REC_SHOPPER, "lines": [{"product_id": product["id"], "quantity": 1}]},
    ).json()
    assert hub.api.post(f"/api/v1/orders/{order['id']}/confirm").status_code == 200
    pos_id = wait_for(lambda: hub.order(order["id"])["pos_order_id"], "the push")
    flowhub.move(pos_id, "started")
    flowhub.move(pos_id, "ready")  # Flowhub posts each status back at once
    wait_for(lambda: hub.order(order["id"])["status"] == "ready_for_pickup", "the postback")
    # Sold at the counter, and that postback is lost: the reconciliation finds and applies it.
    flowhub.control.post(f"/_sandbox/orders/{pos_id}/status", json={"status": "sold", "postback": False})
    report = reconcile(hub, link)

    entries = history(hub, f"orders/{order['id']}")

    assert moved(entries, "status", "confirmed")["by"] == "the store (API)"
    pushed = moved(entries, "pos_order_id", pos_id)
    assert pushed["by"].startswith("push order (outbox message ") and pushed["run_id"] is None
    ready = moved(entries, "status", "ready_for_pickup")
    assert ready["by"] == "Flowhub status postback (webhook)" and ready["changes"]["pos_status"]["to"] == "ready"
    closed = entries[0]  # newest first
    assert closed["changes"]["status"] == {"from": "ready_for_pickup", "to": "closed"}
    assert (closed["flow"], closed["run_id"], closed["trigger"]) == ("reconcile", report["run"]["id"], "manual")
    assert closed["by"] == f"reconcile run {report['run']['id']} (manual)"
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)
    # Nobody else's order, and no order that is not there.
    assert hub.api.get("/api/v1/orders/999999/history").status_code == 404
    assert hub.client(None).get(f"/api/v1/orders/{order['id']}/history").status_code == 401


def test_a_personas_history_names_the_pull_the_signup_the_person_and_the_sms_reply(
    hub: Hub, loyalty_flourish: Sandbox, sms: Sandbox
):
    source = connect_loyalty(hub, loyalty_flourish)
    connect_sms(hub, sms)
    first = hub.first_sync(source, PULL)  # connecting starts the first pull
    hub.api.patch(f"/api/v1/integrations/{source}", json={"settings": {"sync_personas": True}})
    time.sleep(0.01)  # an edit stamped after the switch (the POS's precision is a millisecond)
    loyalty_flourish.control.patch("/_sandbox/customers/70002", json={"email": "casey.new@example.com"})
    hub.sync(source, PULL)  # (saving the switch may have started a pull that carries the edit already)
    casey = persona_of(hub, "70002")

    entries = history(hub, f"loyalty/personas/{casey['id']}")

    created = entries[-1]  # oldest
    assert created["changes"]["sourced_from"] == {"from": None, "to": "Flourish"}
    assert created["run_id"] == first["id"] and created["flow"] == "loyalty_pull"
    copied = moved(entries, "email", "casey.new@example.com")
    assert copied["flow"] == "loyalty_pull" and copied["run_id"] > first["id"]
    assert copied["by"] == f"loyalty pull run {copied['run_id']} ({copied['trigger']})"

    # A signup (Sync Personas is on, but the sandbox's Flourish knows nobody with this phone or e-mail yet, so
    # the persona stays the store's to edit until the push links it).
    hub.api.patch(f"/api/v1/integrations/{source}", json={"settings": {"sync_personas": False}})
    signed = hub.api.post(
        "/api/v1/loyalty/signup",
        json={"first_name": "Nia", "last_name": "Vale", "phone": "555-404-5050", "email": "nia@example.com",
              "date_of_birth": "1991-01-01", "sms_opt_in": True},
    ).json()  # fmt: skip
    edited = hub.api.patch(f"/api/v1/loyalty/personas/{signed['id']}", json={"email": "nia.vale@example.com"})
    assert edited.status_code == 200, edited.text
    sent = wait_for(lambda: sms.control.get("/_sandbox/messages").json()["data"], "the opt-in request")
    reply = sms.control.post("/_sandbox/reply", json={"from": sent[0]["to"], "body": "YES"}).json()
    assert reply["status_code"] == 200, reply

    nia = history(hub, f"loyalty/personas/{signed['id']}")

    made = nia[-1]
    assert made["by"] == "the signup form (API)" and made["changes"]["phone"] == {"from": None, "to": "5554045050"}
    assert moved(nia, "enrolled_via", "signup form")["by"] == "the signup form (API)"
    assert moved(nia, "sms_consent", "pending")["by"] == "the signup form (API)"
    assert moved(nia, "email", "nia.vale@example.com")["by"] == "the store (API)"
    asked = moved(nia, "sms_consent", "requested")
    assert asked["flow"] == "sms_opt_in" and asked["run_id"] is not None
    confirmed = moved(nia, "sms_consent", "confirmed")
    assert confirmed["changes"]["sms_consent"]["from"] == "requested"
    assert confirmed["by"] == "a reply through the SMS gateway (webhook)"
    assert hub.api.get("/api/v1/loyalty/personas/999999/history").status_code == 404
