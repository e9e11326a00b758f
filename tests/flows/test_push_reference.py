"""Issue 12: stores sharing one POS facility never take each other's orders, and a cancel never leaves a live POS
order nobody knows about. Real sandboxes over HTTP, counted from the vendor's side, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import httpx2
import pytest

from cannasync.store.catalog.products import PRODUCT
from tests.conftest import (
    FACILITY,
    AlleavesSandbox,
    Connected,
    Console,
    FlowhubSandbox,
    Hub,
    Sandbox,
    connect_alleaves,
    connect_flourish,
    connect_flowhub,
    wait_for,
)
from tests.flows.support import MEDICAL_PATIENT, place, stocked

FLOURISH_CREATE = "/external/api/v2/retail-orders"
OTHER_SHOPPER = {  # a new Flourish customer for the second store
    "first_name": "Sam",
    "last_name": "Okafor",
    "email": "sam.okafor@example.com",
    "phone": "5558002000",
    "date_of_birth": "1990-02-02",
}
FLOWHUB_PATIENT = {
    "first_name": "Morgan",
    "last_name": "Lee",
    "medical_id": "MI-55-1234",
    "medical_id_expiration": "2030-01-31",
    "date_of_birth": "1981-06-15",
}
FLOWHUB_SHOPPER = {"first_name": "Alex", "last_name": "Kim", "phone": "(555) 300-4000", "date_of_birth": "1990-03-03"}
ALLEAVES_PATIENT = {
    "first_name": "Rae",
    "last_name": "Moss",
    "medical_id": "AL-778899",
    "phone": "5556667777",
    "date_of_birth": "1975-08-20",
}


def _confirm(hub: Hub, order_id: int) -> None:
    answer = hub.api.post(f"/api/v1/orders/{order_id}/confirm")
    assert answer.status_code == 200, answer.text


def _pushed(hub: Hub, order_id: int, timeout: float = 40) -> dict[str, Any]:
    return dict(wait_for(lambda: (o := hub.order(order_id))["pos_order_id"] and o, f"order {order_id}'s push", timeout))


def _two_flourish_stores(hub: Hub, flourish: Sandbox) -> tuple[Connected, Connected]:
    """Two stores, each with its own Flourish integration, both on facility 101 (one company, two shopfronts)."""
    links = []
    for _ in range(2):
        link = connect_flourish(hub, flourish, sync_orders=True, timeout_seconds=0.5)
        assert hub.first_sync(link.integration_id)["status"] == "succeeded"
        links.append(link)
    return links[0], links[1]


def _flourish_lines(order: dict[str, Any]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for line in order["order_lines"]:
        counts[str(line["item_id"])] += int(line["order_qty"])
    return counts


def _pos_item(hub: Hub, link: Connected, product_id: int) -> str:
    """The POS item id the store's product is bound to."""
    with hub.db.uow() as uow:
        return str(uow.bindings.external(link.integration_id, PRODUCT, product_id))


@pytest.mark.parametrize("fault", ["timeout_after_commit", "status_503"])
def test_two_stores_on_one_flourish_facility_never_take_each_others_orders(hub: Hub, flourish: Sandbox, fault: str):
    first, second = _two_flourish_stores(hub, flourish)
    placed = []
    for round_ in range(3):  # both stores number their orders 1001, 1002, 1003: the POS sees each number twice
        for link, shopper, quantity in ((first, MEDICAL_PATIENT, 1), (second, OTHER_SHOPPER, 2)):
            product = stocked(hub, link, count=3)[round_]
            body = {"customer": shopper, "is_medical": shopper is MEDICAL_PATIENT, "lines": []}
            body["lines"] = [{"product_id": product["id"], "quantity": quantity}]
            order = place(hub, link, body)
            if fault == "timeout_after_commit":
                flourish.fault(method="POST", path_prefix=FLOURISH_CREATE, mode=fault, delay_seconds=1.5)
            else:
                flourish.fault(method="POST", path_prefix=FLOURISH_CREATE, status=503)
            _confirm(hub, order["id"])
            placed.append((link, order, product, quantity, shopper))
            _pushed(hub, order["id"])  # one at a time, so each lookup sees every earlier order of the facility

    in_flourish = {o["id"]: o for o in flourish.state.orders()}
    assert len(in_flourish) == len(placed) == 6  # each order exactly once, none lost, none twice
    pos_ids = set()
    for link, order, product, quantity, shopper in placed:
        ours = hub.order(order["id"])
        remote = in_flourish[ours["pos_order_id"]]
        assert _flourish_lines(remote) == {_pos_item(hub, link, product["id"]): quantity}  # its own lines
        assert remote["original_order_id"] == ours.get("push_reference")
        assert ours["status"] == "submitted" and ours["push_error"] is None
        pos_ids.add(ours["pos_order_id"])
        customer = next(c for c in flourish.state.customers() if c["id"] == remote["customer_id"])
        assert customer["first_name"] == shopper["first_name"]
    assert len(pos_ids) == 6


def _flourish_api(flourish: Sandbox) -> httpx2.Client:
    return httpx2.Client(
        base_url=flourish.api_url, headers={"x-api-key": "demo-key", "FacilityID": FACILITY}, timeout=10
    )


def test_a_lookup_refuses_an_order_with_our_reference_but_other_lines(hub: Hub, flourish: Sandbox):
    link = connect_flourish(hub, flourish, sync_orders=True, timeout_seconds=0.5)
    assert hub.first_sync(link.integration_id)["status"] == "succeeded"
    ours_product, other_product = stocked(hub, link, count=2)
    order = place(
        hub,
        link,
        {"customer": MEDICAL_PATIENT, "is_medical": True, "lines": [{"product_id": ours_product["id"], "quantity": 1}]},
    )
    # Somebody else's order already carries our number (and our reference): other item, other quantity.
    customer_id = next(c["id"] for c in flourish.state.customers() if c["first_name"] == "Jordan")
    impostors = []
    with _flourish_api(flourish) as api:
        for reference in (order["number"], f"{order['number']}-S{link.store_id}"):
            body = {
                "original_order_id": reference,
                "customer_id": customer_id,
                "order_status": "submitted",
                "order_lines": [
                    {"item_id": _pos_item(hub, link, other_product["id"]), "order_qty": 3, "unit_price": 9.5}
                ],
            }
            answer = api.post("/v2/retail-orders/", json=body)
            assert answer.status_code == 201, answer.text
            impostors.append(answer.json()["data"]["id"])
    flourish.fault(method="POST", path_prefix=FLOURISH_CREATE, status=503)  # outcome unknown: look it up first
    _confirm(hub, order["id"])
    pushed = _pushed(hub, order["id"])

    assert pushed["pos_order_id"] not in impostors
    remote = next(o for o in flourish.state.orders() if o["id"] == pushed["pos_order_id"])
    assert _flourish_lines(remote) == {_pos_item(hub, link, ours_product["id"]): 1}
    assert len(flourish.state.orders()) == 3  # the two others, untouched, and ours created once
    assert any("is not ours" in e["detail"] and "other lines" in e["detail"] for e in pushed["history"])


def _attention_shown(merchant: Console, hub: Hub, link: Connected, order_id: int) -> None:
    """The staff task is on the order's row in the console's orders list and counted on Health."""
    page = merchant.get(f"/console/stores/{link.store_id}/orders").text
    row = re.search(rf'data-order-id="{order_id}".*?</tr>', page, re.S)
    assert row and 'data-testid="row-attention"' in row.group(0)
    health = merchant.get("/console/health").text
    tile = re.search(r'data-testid="health-tile-staff"><b>(\d+)</b>', health)
    assert tile and int(tile.group(1)) >= 1
    assert f"#{hub.order(order_id)['number']}" in health


def test_cancelling_while_a_slow_create_is_under_way_leaves_staff_a_task(
    hub: Hub, flourish: Sandbox, merchant: Console
):
    link = connect_flourish(hub, flourish, sync_orders=True, timeout_seconds=10)
    assert hub.first_sync(link.integration_id)["status"] == "succeeded"
    product = stocked(hub, link)[0]
    order = place(
        hub,
        link,
        {"customer": MEDICAL_PATIENT, "is_medical": True, "lines": [{"product_id": product["id"], "quantity": 1}]},
    )
    flourish.fault(method="POST", path_prefix=FLOURISH_CREATE, mode="delay", delay_seconds=3)
    _confirm(hub, order["id"])
    # Flourish has the create in hand (it counts a request as it arrives, before the slow answer).
    wait_for(lambda: flourish.requests().get("POST /external/api/v2/retail-orders/") == 1, "the create to be sent")
    cancelled = hub.api.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "shopper changed their mind"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"

    final = wait_for(lambda: (o := hub.order(order["id"])).get("attention") and o, "a task for staff", 30)
    assert final["status"] == "cancelled" and final["pos_order_id"]
    (remote,) = flourish.state.orders()
    # Flourish's API cancels only a Created order; ours went in Submitted, so staff must cancel it there.
    assert remote["id"] == final["pos_order_id"] and remote["order_status"] == "Submitted"
    assert final["pos_order_id"] in final["attention"] and "Created" in final["attention"]
    _attention_shown(merchant, hub, link, order["id"])
    done = merchant.post(f"/console/orders/{order['id']}/attention/done", headers={"HX-Request": "true"})
    assert done.status_code == 200 and hub.order(order["id"])["attention"] is None
    assert "Staff task" not in merchant.get(f"/console/stores/{link.store_id}/orders").text


def test_cancelling_after_an_unknown_outcome_finds_the_pos_order_and_leaves_staff_a_task(
    hub: Hub, flourish: Sandbox, merchant: Console
):
    link = connect_flourish(hub, flourish, sync_orders=True, timeout_seconds=0.5)
    assert hub.first_sync(link.integration_id)["status"] == "succeeded"
    product = stocked(hub, link)[0]
    order = place(
        hub,
        link,
        {"customer": MEDICAL_PATIENT, "is_medical": True, "lines": [{"product_id": product["id"], "quantity": 1}]},
    )
    flourish.fault(method="POST", path_prefix=FLOURISH_CREATE, mode="timeout_after_commit", delay_seconds=1.5)
    _confirm(hub, order["id"])
    wait_for(lambda: hub.order(order["id"])["push_attempts"][0]["outcome_unknown"], "the timeout")
    cancelled = hub.api.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "shopper changed their mind"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"

    final = wait_for(lambda: (o := hub.order(order["id"])).get("attention") and o, "a task for staff", 30)
    (remote,) = flourish.state.orders()  # the timed-out create did reach Flourish, once
    assert final["pos_order_id"] == remote["id"] and remote["order_status"] == "Submitted"
    assert final["status"] == "cancelled" and remote["id"] in final["attention"]
    _attention_shown(merchant, hub, link, order["id"])


def test_two_stores_on_one_flowhub_location_never_take_each_others_orders(hub: Hub, flowhub: FlowhubSandbox):
    links = []
    for _ in range(2):
        link = connect_flowhub(hub, flowhub, sync_orders=True, timeout_seconds=0.5)
        assert hub.first_sync(link.integration_id)["status"] == "succeeded"
        links.append(link)
    placed = []
    for link, shopper in zip(links, (FLOWHUB_PATIENT, FLOWHUB_SHOPPER), strict=True):
        product = stocked(hub, link)[0]
        body = {"customer": shopper, "is_medical": shopper is FLOWHUB_PATIENT}
        order = place(hub, link, {**body, "lines": [{"product_id": product["id"], "quantity": 1}]})
        flowhub.fault(
            method="POST", path_prefix="/order-ahead/v0/create", mode="timeout_after_commit", delay_seconds=1.5
        )
        _confirm(hub, order["id"])
        placed.append((order, _pushed(hub, order["id"])))
    remote = flowhub.orders()
    assert len(remote) == 2 and {o["orderId"] for o in remote} == {p["pos_order_id"] for _, p in placed}
    # Flowhub keeps no reference of ours, and both orders hold the same line: each push found its own order by
    # the shopper's name on the location's sales list, never the other store's.
    for (_, pushed), shopper in zip(placed, (FLOWHUB_PATIENT, FLOWHUB_SHOPPER), strict=True):
        sent = next(o for o in remote if o["orderId"] == pushed["pos_order_id"])
        assert (sent["customer"]["firstName"], sent["customer"]["lastName"]) == (
            shopper["first_name"],
            shopper["last_name"],
        )


def test_a_flowhub_shopper_ordering_the_same_again_gets_a_second_pos_order(hub: Hub, flowhub: FlowhubSandbox):
    """Found by content, the first order is a perfect match for the second (same shopper, same line): it is taken
    by the first order already, so the second push takes only the order its own timed-out create made."""
    link = connect_flowhub(hub, flowhub, sync_orders=True, timeout_seconds=0.5)
    assert hub.first_sync(link.integration_id)["status"] == "succeeded"
    product = stocked(hub, link)[0]
    body = {"customer": FLOWHUB_SHOPPER, "lines": [{"product_id": product["id"], "quantity": 1}]}
    first = place(hub, link, body)
    _confirm(hub, first["id"])
    first_pos = _pushed(hub, first["id"])["pos_order_id"]
    again = place(hub, link, body)
    flowhub.fault(method="POST", path_prefix="/order-ahead/v0/create", mode="timeout_after_commit", delay_seconds=1.5)
    _confirm(hub, again["id"])
    again_pos = _pushed(hub, again["id"])["pos_order_id"]
    assert again_pos != first_pos
    assert sorted(o["orderId"] for o in flowhub.orders()) == sorted([first_pos, again_pos])


def test_two_stores_on_one_alleaves_location_never_take_each_others_orders(hub: Hub, alleaves: AlleavesSandbox):
    links = []
    for _ in range(2):
        link = connect_alleaves(hub, alleaves, ("Retail",), sync_orders=True, timeout_seconds=0.5)
        assert hub.first_sync(link.integration_id)["status"] == "succeeded"
        links.append(link)
    placed = []
    for index, link in enumerate(links):
        product = stocked(hub, link, count=2)[index]
        lines = [{"product_id": product["id"], "quantity": index + 1}]
        order = place(hub, link, {"customer": ALLEAVES_PATIENT, "is_medical": True, "lines": lines})
        alleaves.fault(method="POST", path_prefix="/api/v1/orders", status=503)
        _confirm(hub, order["id"])
        placed.append((link, product, index + 1, _pushed(hub, order["id"])))
    remote = {o["order_id"]: o for o in alleaves.orders()}
    assert len(remote) == 2
    for link, product, quantity, pushed in placed:
        sent = remote[pushed["pos_order_id"]]
        assert sent["external_id"] == pushed["push_reference"]
        assert [(str(line["item_id"]), line["quantity"]) for line in sent["lines"]] == [
            (_pos_item(hub, link, product["id"]), quantity)
        ]


def test_alleaves_cancel_after_an_unknown_outcome_leaves_staff_a_task(
    hub: Hub, alleaves: AlleavesSandbox, merchant: Console
):
    link = connect_alleaves(hub, alleaves, ("Retail",), sync_orders=True, timeout_seconds=0.5)
    assert hub.first_sync(link.integration_id)["status"] == "succeeded"
    product = stocked(hub, link)[0]
    lines = [{"product_id": product["id"], "quantity": 1}]
    order = place(hub, link, {"customer": ALLEAVES_PATIENT, "is_medical": True, "lines": lines})
    alleaves.fault(method="POST", path_prefix="/api/v1/orders", mode="timeout_after_commit", delay_seconds=1.5)
    _confirm(hub, order["id"])
    wait_for(lambda: hub.order(order["id"])["push_attempts"][0]["outcome_unknown"], "the timeout")
    assert hub.api.post(f"/api/v1/orders/{order['id']}/cancel", json={}).json()["status"] == "cancelled"

    final = wait_for(lambda: (o := hub.order(order["id"])).get("attention") and o, "a task for staff", 30)
    (remote,) = alleaves.orders()
    assert final["pos_order_id"] == remote["order_id"] and remote["status"] == "received"
    assert "cannot cancel" in final["attention"]
    _attention_shown(merchant, hub, link, order["id"])
