"""Reconciliation against the sandboxes: drift injected behind the hub's back is found, explained, repaired once.

Each test injects drift through a sandbox control route (stock changed, an item deleted, an order completed with
no webhook, a push whose answer was lost) and reconciles through the API, as the console's button does. A second
reconciliation right after must find nothing.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from cannasync.store.catalog.products import PRODUCT
from tests.conftest import (
    AlleavesSandbox,
    Connected,
    Console,
    FlowhubSandbox,
    Hub,
    Sandbox,
    Wholesale,
    connect_alleaves,
    connect_flowhub,
    connect_loyalty,
    wait_for,
)
from tests.flows.support import MEDICAL_PATIENT, confirm_and_wait_for_push, place, stocked
from tests.flows.test_alleaves import areas, items_in, menu
from tests.flows.test_wholesale import (
    bridged,
    bridged_order,
    ll_order,
    ll_products,
    move_pos,
    outbound,
    pair_of,
    transitions_sent,
)

FLOURISH_ORDERS = "/external/api/v1/retail-orders"


def reconcile(hub: Hub, link: Connected | int) -> dict[str, Any]:
    """Reconcile now (the API's button) and return the report: the run and its differences."""
    integration_id = link if isinstance(link, int) else link.integration_id
    answer = hub.api.post(f"/api/v1/integrations/{integration_id}/reconcile")
    assert answer.status_code == 202, answer.text
    run_id = answer.json()["run_id"]
    wait_for(lambda: hub.api.get(f"/api/v1/runs/{run_id}").json()["status"] in ("succeeded", "failed"), f"run {run_id}")
    report = hub.api.get(f"/api/v1/integrations/{integration_id}/reconciliation").json()
    assert report["run"]["id"] == run_id and report["run"]["status"] == "succeeded", report["run"]
    return dict(report)


def external_id(hub: Hub, link: Connected, product_id: int) -> str:
    with hub.db.uow() as uow:
        return str(uow.bindings.external(link.integration_id, PRODUCT, product_id))


def push_state(hub: Hub, order_id: int) -> str | None:
    with hub.db.uow() as uow:
        return next((m.state for m in uow.outbox.for_subject("push_order", order_id)), None)


def product(hub: Hub, product_id: int) -> dict[str, Any]:
    return dict(hub.api.get(f"/api/v1/products/{product_id}").json())


def drift_metric(hub: Hub) -> dict[tuple[str, str], float]:
    text = hub.api.get("/metrics").text
    return {
        (sample.labels["kind"], sample.labels["repair"]): sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "cannasync_drift_differences"
        for sample in family.samples
    }


def test_stock_changed_and_an_item_deleted_behind_our_back(
    hub: Hub, flourish: Sandbox, connected: Connected, merchant: Console
):
    changed, deleted = stocked(hub, connected, count=2)
    price = changed["rec_price_cents"]
    edited = hub.api.patch(f"/api/v1/products/{changed['id']}", json={"rec_price_cents": price + 100})
    assert edited.status_code == 200, edited.text  # the store edits a price Flourish owns
    flourish.set_quantity(external_id(hub, connected, changed["id"]), changed["pos_quantity"] + 7)
    flourish.control.delete(f"/_sandbox/items/{external_id(hub, connected, deleted['id'])}").raise_for_status()

    report = reconcile(hub, connected)

    found = {d["kind"]: d for d in report["differences"]}
    assert sorted(found) == ["gone_from_pos", "price", "quantity"]
    edit = found["price"]
    assert (edit["ours"]["rec_price_cents"], edit["theirs"]["rec_price_cents"]) == (price + 100, price)
    assert edit["cause"] == "store_edited" and "the store (API)" in edit["explanation"]
    quantity = found["quantity"]
    assert quantity["subject_id"] == changed["id"]
    assert quantity["ours"]["pos_quantity"] == changed["pos_quantity"]
    assert quantity["theirs"]["sellable"] == changed["pos_quantity"] + 7
    assert quantity["cause"] == "pos_changed" and quantity["since"] and "last menu sync" in quantity["explanation"]
    assert quantity["repair"] == "repaired"
    assert found["gone_from_pos"]["subject_id"] == deleted["id"] and found["gone_from_pos"]["repair"] == "repaired"
    assert report["run"]["counts"]["differences"] == 3 and report["run"]["counts"]["drift_quantity"] == 1
    # Repaired: the store now sells what the POS counts, at its price, and no longer shows what it stopped selling.
    assert product(hub, changed["id"])["pos_quantity"] == changed["pos_quantity"] + 7
    assert product(hub, changed["id"])["rec_price_cents"] == price
    assert product(hub, deleted["id"])["visible"] is False
    assert drift_metric(hub) == {
        ("gone_from_pos", "repaired"): 1,
        ("price", "repaired"): 1,
        ("quantity", "repaired"): 1,
    }
    # The product's history says who changed what, and which run: "why did it show that?" has an answer.
    repaired, by_store = hub.api.get(f"/api/v1/products/{changed['id']}/history").json()[:2]
    assert repaired["flow"] == "reconcile" and repaired["run_id"] == report["run"]["id"]
    assert repaired["changes"]["pos_quantity"] == {"from": changed["pos_quantity"], "to": changed["pos_quantity"] + 7}
    assert repaired["changes"]["rec_price_cents"] == {"from": price + 100, "to": price}
    assert by_store["by"] == "the store (API)" and by_store["run_id"] is None
    [hidden] = hub.api.get(f"/api/v1/products/{deleted['id']}/history").json()
    assert hidden["changes"] == {"visible": {"from": True, "to": False}} and hidden["flow"] == "reconcile"
    # The console's Health shows the last reconciliation and its differences, and reconciles again on a press.
    assert 'hx-get="/console/health/reconciliation"' in merchant.get("/console/health").text
    fragment = merchant.get("/console/health/reconciliation").text
    assert sorted(re.findall(r'data-testid="drift-row" data-kind="([a-z_]+)"', fragment)) == [
        "gone_from_pos",
        "price",
        "quantity",
    ]
    assert changed["name"] in fragment and "repaired" in fragment
    pressed = merchant.post(f"/console/integrations/{connected.integration_id}/reconcile")
    assert pressed.status_code == 200 and 'data-testid="reconciliation"' in pressed.text
    agrees = wait_for(
        lambda: "reconciliation-agrees" in (text := merchant.get("/console/health/reconciliation").text) and text,
        "the second reconciliation",
    )
    assert "drift-row" not in agrees
    assert hub.api.get(f"/api/v1/integrations/{connected.integration_id}/reconciliation").json()["differences"] == []
    assert drift_metric(hub) == {}


def test_an_order_completed_in_the_pos_with_no_word_to_us(hub: Hub, flourish: Sandbox, connected: Connected):
    item = stocked(hub, connected)[0]
    order = place(hub, connected, {"customer": MEDICAL_PATIENT, "is_medical": True, "lines": [
        {"product_id": item["id"], "quantity": 2}]})  # fmt: skip
    pushed = confirm_and_wait_for_push(hub, order["id"])
    flourish.move(pushed["pos_order_id"], "Completed")

    report = reconcile(hub, connected)

    [behind] = report["differences"]
    assert behind["kind"] == "status_behind" and behind["subject_id"] == order["id"]
    assert behind["ours"] == {"status": "submitted", "pos_order_id": pushed["pos_order_id"], "held": 2}
    assert behind["theirs"]["status"] == "closed" and behind["cause"] == "not_polled"
    assert "holds released" in behind["repair_detail"]
    closed = hub.order(order["id"])
    assert closed["status"] == "closed" and all(hold["released_at"] for hold in closed["holds"])
    assert reconcile(hub, connected)["differences"] == []


def test_a_push_whose_answer_was_lost_is_taken_exactly_once(hub: Hub, flourish: Sandbox, connected: Connected):
    # The POS creates the order and the answer is lost; the retry's lookup is then refused, so the push gives up
    # with the order in the POS and none on ours.
    flourish.fault(method="POST", path_prefix="/external/api/v2/retail-orders", mode="reset_after_commit")
    flourish.fault(method="GET", path_prefix=FLOURISH_ORDERS, status=400)
    item = stocked(hub, connected)[0]
    order = place(hub, connected, {"customer": MEDICAL_PATIENT, "is_medical": True, "lines": [
        {"product_id": item["id"], "quantity": 1}]})  # fmt: skip
    assert hub.api.post(f"/api/v1/orders/{order['id']}/confirm").status_code == 200
    wait_for(lambda: push_state(hub, order["id"]) == "failed", "the push to give up")
    reference = f"{order['number']}-S{connected.store_id}"
    in_pos = [o for o in flourish.state.orders() if o["original_order_id"] == reference]
    assert len(in_pos) == 1 and hub.order(order["id"])["pos_order_id"] is None

    report = reconcile(hub, connected)

    print([(d["kind"], d["label"], d["ours"], d["theirs"]) for d in report["differences"]])
    [lost] = report["differences"]
    assert lost["kind"] == "order_not_recorded" and lost["cause"] == "lost_push_answer"
    assert lost["theirs"]["pos_order_ids"] == [str(in_pos[0]["id"])] and lost["repair"] == "repaired"
    taken = wait_for(lambda: (o := hub.order(order["id"]))["pos_order_id"] and o, "the push to take it")
    assert taken["pos_order_id"] == str(in_pos[0]["id"]) and taken["status"] == "submitted"
    assert [o["id"] for o in flourish.state.orders() if o["original_order_id"] == reference] == [in_pos[0]["id"]]
    assert reconcile(hub, connected)["differences"] == []


def test_a_flowhub_postback_lost(hub: Hub, flowhub: FlowhubSandbox):
    link = connect_flowhub(hub, flowhub, sync_orders=True)
    assert hub.sync(link.integration_id)["status"] == "succeeded"
    item = stocked(hub, link)[0]
    customer = {"first_name": "Ana", "last_name": "Lost", "phone": "5551230000", "date_of_birth": "1980-01-01"}
    order = place(hub, link, {"customer": customer, "lines": [{"product_id": item["id"], "quantity": 1}]})
    pushed = confirm_and_wait_for_push(hub, order["id"])
    for status in ("started", "ready", "sold"):  # served at the counter; every postback lost on the way
        flowhub.control.post(
            f"/_sandbox/orders/{pushed['pos_order_id']}/status", json={"status": status, "postback": False}
        ).raise_for_status()

    report = reconcile(hub, link)

    [behind] = report["differences"]
    assert (behind["kind"], behind["cause"], behind["repair"]) == ("status_behind", "missed_webhook", "repaired")
    assert hub.order(order["id"])["status"] == "closed"
    assert flowhub.state.postback_log == []
    assert reconcile(hub, link)["differences"] == []


def test_alleaves_a_price_the_store_owns_is_explained_not_repaired(hub: Hub, alleaves: AlleavesSandbox):
    link = connect_alleaves(hub, alleaves, ("Retail",), sync_prices=False)
    assert hub.sync(link.integration_id)["status"] == "succeeded"
    shown = {sku: p for sku, p in menu(hub, link).items() if p["visible"]}
    repriced, restocked = [item for item in items_in(alleaves, "Retail") if item["sku"] in shown][:2]
    pricing = repriced["pricing"]
    alleaves.patch_item(repriced["item_id"], pricing={**pricing, "recreational": 999.0, "otd_price": None})
    alleaves.set_quantity(restocked["item_id"], shown[restocked["sku"]]["pos_quantity"] + 40, areas(alleaves)["Retail"])

    report = reconcile(hub, link)

    found = {d["kind"]: d for d in report["differences"]}
    assert sorted(found) == ["price", "quantity"]
    price = found["price"]
    assert price["theirs"]["rec_price_cents"] == 99900 and price["ours"]["rec_price_cents"] != 99900
    assert (price["cause"], price["repair"]) == ("store_owned", "none")
    assert found["quantity"]["repair"] == "repaired"
    assert menu(hub, link)[restocked["sku"]]["pos_quantity"] == shown[restocked["sku"]]["pos_quantity"] + 40
    assert menu(hub, link)[repriced["sku"]]["rec_price_cents"] == shown[repriced["sku"]]["rec_price_cents"]
    # By design it stays a difference (the store keeps its price), and nothing else is left.
    assert [(d["kind"], d["repair"]) for d in reconcile(hub, link)["differences"]] == [("price", "none")]


def test_what_needs_a_person_is_listed_and_stale_holds_are_released(hub: Hub, flourish: Sandbox, connected: Connected):
    broken, held = stocked(hub, connected, count=2)
    flourish.patch_item(external_id(hub, connected, broken["id"]), retail_price="twelve dollars")
    order = place(hub, connected, {"customer": MEDICAL_PATIENT, "is_medical": True, "lines": [
        {"product_id": held["id"], "quantity": 2}]})  # fmt: skip
    pushed = confirm_and_wait_for_push(hub, order["id"])
    with hub.db.uow() as uow:  # closed on our side by some path that forgot its holds
        row = uow.orders.get(order["id"])
        assert row is not None
        row.status = "closed"

    report = reconcile(hub, connected)

    found = {d["kind"]: d for d in report["differences"]}
    assert sorted(found) == ["stale_hold", "unreadable"]
    unreadable = found["unreadable"]
    assert unreadable["subject_id"] == broken["id"] and unreadable["cause"] == "quarantined"
    assert unreadable["repair"] == "needs_person" and "retail_price" in unreadable["explanation"]
    stale = found["stale_hold"]
    assert (stale["subject_id"], stale["ours"]["held"], stale["repair"]) == (order["id"], 2, "repaired")
    assert all(hold["released_at"] for hold in hub.order(order["id"])["holds"])
    assert product(hub, held["id"])["available_quantity"] == held["available_quantity"]
    assert pushed["pos_order_id"]
    # The unreadable record is still there for a person; the hold was released once and is not found again.
    assert [d["kind"] for d in reconcile(hub, connected)["differences"]] == ["unreadable"]


def test_loyalty_a_customer_not_pulled_and_a_sale_the_pull_passed(hub: Hub, loyalty_flourish: Sandbox):
    source = connect_loyalty(hub, loyalty_flourish)
    first = hub.sync(source, "loyalty_pull")
    with hub.db.uow() as uow:
        row = uow.accounts.integration(source)
        assert row is not None
        read_to = datetime.fromisoformat(row.sync_state["sales_since"])
    # A shopper signed up at the counter, and a sale from a till that was offline, rung up with its own earlier time.
    loyalty_flourish.control.post(
        "/_sandbox/customers",
        json={"first_name": "Counter", "last_name": "Signup", "dob": "1985-05-05", "phone": "5552223333",
              "facility_id": "101"},
    ).raise_for_status()  # fmt: skip
    item = next(i for i in loyalty_flourish.state.items() if i["id"] not in loyalty_flourish.state.malformed_ids)
    late = loyalty_flourish.control.post(
        "/_sandbox/sales",
        json={"facility_id": "101", "customer_id": "70002", "completed_at": (read_to - timedelta(hours=2)).isoformat(),
              "lines": [{"item_id": item["id"], "order_qty": 1, "unit_price": 30.0}]},
    )  # fmt: skip
    assert late.status_code == 201, late.text

    report = reconcile(hub, source)

    found = {d["kind"]: d for d in report["differences"]}
    assert sorted(found) == ["sale_missing", "shopper_missing"]
    assert found["shopper_missing"]["cause"] == "not_pulled" and found["shopper_missing"]["repair"] == "repaired"
    missing = found["sale_missing"]
    assert missing["external_id"] == str(late.json()["data"]["id"]) and missing["cause"] == "passed_by_pull"
    # The repair sends the pull back over what it passed and runs it now; the sale is then read exactly once.
    wait_for(
        lambda: any(
            run["id"] > first["id"] and run["status"] == "succeeded"
            for run in hub.api.get(f"/api/v1/integrations/{source}/runs", params={"flow": "loyalty_pull"}).json()
        ),
        "the loyalty pull the repair asked for",
    )
    with hub.db.uow() as uow:
        assert uow.drift.sales(source, [missing["external_id"]]) == {missing["external_id"]: uow.loyalty.linked(
            source, "70002")[0].id}  # fmt: skip
    assert reconcile(hub, source)["differences"] == []


def test_wholesale_a_stock_change_whose_webhook_was_lost(hub: Hub, wholesale: Wholesale):
    # Neither vendor announces anything here, so no webhook can start a bridge run that carries the change to
    # LeafLink before the reconciliation looks (under load, LeafLink's echoes of the first run's writes arrived
    # after the bridge looked idle and did just that).
    wholesale.leaflink.control.post("/_sandbox/config", json={"webhook_url": None, "company_id": 1}).raise_for_status()
    wholesale.flourish.control.post("/_sandbox/webhooks/config", json={"url": None}).raise_for_status()
    first = hub.sync(wholesale.link_id, "wholesale_sync")

    def settled() -> bool:  # no bridge run under way or queued to follow, so none can carry the change by chance
        with hub.db.uow() as uow:
            schedule = uow.runs.schedule(wholesale.link_id, "wholesale_sync")
            idle = uow.runs.active(wholesale.link_id, "wholesale_sync") is None
            return bool(schedule and not schedule.follow_up and idle)

    wait_for(settled, "the bridge to be idle")
    item_id, listed = next(iter(bridged(wholesale).items()))
    wholesale.flourish.set_quantity(item_id, 3)

    report = reconcile(hub, wholesale.link_id)

    kinds = {d["kind"] for d in report["differences"]}
    assert kinds <= {"wholesale_stock", "wholesale_conflict"}  # the seeded orders' conflicts are left for a person
    [lost] = [d for d in report["differences"] if d["kind"] == "wholesale_stock"]
    assert (lost["cause"], lost["repair"]) == ("missed_webhook", "repaired")
    assert lost["external_id"] == item_id and lost["theirs"] == {"sellable": 3}
    assert all(d["repair"] == "needs_person" for d in report["differences"] if d["kind"] == "wholesale_conflict")
    # The repair is the bridge's own run, made due now: LeafLink gets the quantity.
    wait_for(lambda: Decimal(ll_products(wholesale)[str(listed["id"])]["quantity"]) == 3, "the bridge's run")
    runs = hub.api.get(f"/api/v1/integrations/{wholesale.link_id}/runs", params={"flow": "wholesale_sync"}).json()
    assert runs[0]["id"] > first["id"]
    wait_for(settled, "the bridge to be idle")
    after = reconcile(hub, wholesale.link_id)["differences"]
    assert {d["kind"] for d in after} <= {"wholesale_conflict"}


def test_wholesale_order_statuses_that_drifted_apart_are_carried_across_once(hub: Hub, wholesale: Wholesale):
    # Both vendors' webhooks are lost from here on: only the Sync button and the reconciliation's repair run the
    # bridge, so each difference is there to be found, and each repair can be counted.
    wholesale.leaflink.control.post("/_sandbox/config", json={"webhook_url": None, "company_id": 1}).raise_for_status()
    wholesale.flourish.control.post("/_sandbox/webhooks/config", json={"url": None}).raise_for_status()
    allocated, allocated_pos = bridged_order(hub, wholesale, 1001)
    withdrawn, withdrawn_pos = bridged_order(hub, wholesale, 1002)
    wait_for(lambda: bridge_idle(hub, wholesale), "the bridge to be idle")
    before = pair_of(hub, wholesale, allocated)
    assert (before["leaflink_status"], ll_order(wholesale, allocated)["status"]) == ("submitted", "Submitted")
    transitions, cancels = transitions_sent(wholesale), flourish_cancels(wholesale)
    # Staff allocate one order in Flourish; the buyer withdraws the other in LeafLink. Neither side hears of it.
    move_pos(wholesale, allocated_pos, "Partially Allocated")
    wholesale.leaflink.control.post(f"/_sandbox/orders/{withdrawn}/cancel").raise_for_status()

    report = reconcile(hub, wholesale.link_id)

    found = {d["label"]: d for d in report["differences"] if d["kind"] == "wholesale_status"}
    assert set(found) == {f"order {allocated}", f"order {withdrawn}"}, report["differences"]
    pos_moved = found[f"order {allocated}"]
    assert pos_moved["ours"] == {"leaflink": "submitted", "flourish": before["flourish_status"]}
    assert pos_moved["theirs"] == {"leaflink": "submitted", "flourish": "Partially Allocated"}
    assert (pos_moved["cause"], pos_moved["repair"]) == ("missed_webhook", "repaired")
    assert (
        f"the POS moved its outbound order from {before['flourish_status']} to Partially Allocated"
        in (pos_moved["explanation"])
    )
    assert pos_moved["since"]
    market_moved = found[f"order {withdrawn}"]
    assert (market_moved["ours"]["leaflink"], market_moved["theirs"]["leaflink"]) == ("submitted", "cancelled")
    assert "the marketplace moved it from submitted to cancelled" in market_moved["explanation"]
    # Found by reading only: nothing was sent to either vendor by the reconciliation itself.
    assert transitions_sent(wholesale) == transitions and flourish_cancels(wholesale) == cancels

    # The repair is the bridge's own run: LeafLink accepts the allocated order, Flourish cancels the withdrawn one.
    wait_for(lambda: ll_order(wholesale, allocated)["status"] == "Accepted", "the bridge to accept in LeafLink")
    wait_for(lambda: outbound_status(wholesale, withdrawn_pos) == "Cancelled", "the bridge to cancel in Flourish")
    wait_for(lambda: bridge_idle(hub, wholesale), "the bridge to be idle")
    assert transitions_sent(wholesale) == transitions + 1  # one accept, exactly once
    assert flourish_cancels(wholesale) == cancels + 1
    assert pair_of(hub, wholesale, allocated)["leaflink_status"] == "accepted"
    after = reconcile(hub, wholesale.link_id)["differences"]
    assert [d for d in after if d["kind"] != "wholesale_conflict"] == []  # (the seeded orders' conflicts stay)
    assert transitions_sent(wholesale) == transitions + 1 and flourish_cancels(wholesale) == cancels + 1


def bridge_idle(hub: Hub, w: Wholesale) -> bool:
    """No bridge run under way or queued to follow, so none can carry a change by chance."""
    with hub.db.uow() as uow:
        schedule = uow.runs.schedule(w.link_id, "wholesale_sync")
        return bool(schedule and not schedule.follow_up and uow.runs.active(w.link_id, "wholesale_sync") is None)


def flourish_cancels(w: Wholesale) -> int:
    """Writes to Flourish's outbound orders: the bridge cancels with a PUT (as Flourish's plugins do), or the
    cancel route once an order is allocated; this scenario writes nothing else to them."""
    calls = w.flourish.requests()
    return calls.get("PUT /external/api/v1/outbound-orders/{order_id}/", 0) + calls.get(
        "POST /external/api/v1/outbound-orders/{order_id}/cancel/", 0
    )


def outbound_status(w: Wholesale, pos_id: str) -> str:
    return str(next(o["order_status"] for o in outbound(w) if str(o["id"]) == str(pos_id)))


def test_loyalty_a_profile_the_pos_changed_dates_from_the_personas_history(hub: Hub, loyalty_flourish: Sandbox):
    source = connect_loyalty(hub, loyalty_flourish)  # Sync Personas off: the persona keeps its own contact
    hub.first_sync(source, "loyalty_pull")
    loyalty_flourish.control.patch("/_sandbox/customers/70002", json={"email": "casey.elsewhere@example.com"})

    report = reconcile(hub, source)

    [changed] = [d for d in report["differences"] if d["kind"] == "profile"]
    assert changed["external_id"] == "70002" and (changed["cause"], changed["repair"]) == ("personas_off", "none")
    persona_id = changed["subject_id"]
    # Since when ours has been so: the persona's last change, from its history (the pull that made it).
    last = hub.api.get(f"/api/v1/loyalty/personas/{persona_id}/history").json()[0]
    assert last["flow"] == "loyalty_pull" and changed["since"] == last["at"]
    assert [d["kind"] for d in reconcile(hub, source)["differences"]] == ["profile"]  # by design, until switched on
