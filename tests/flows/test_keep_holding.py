"""The "keep holding" switch after a Flowhub push (seed 001, "Fulfilled"): the stock the console says is held is
held. Flowhub deducts stock when the order arrives, so the push ends the hub's hold unless the switch is on; turning
it on later takes the hold again (if the stock is still there), turning it off gives it back. Real HTTP against the
Flowhub sandbox, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.conftest import Connected, Console, FlowhubSandbox, Hub, connect_flowhub
from tests.flows.support import confirm_and_wait_for_push, place, stocked

SHOPPER = {"first_name": "Alex", "last_name": "Kim", "phone": "(555) 300-4000", "date_of_birth": "1990-03-03"}


def available(hub: Hub, product_id: int) -> int:
    return int(hub.api.get(f"/api/v1/products/{product_id}").json()["available_quantity"])


def pushed_order(hub: Hub, link: Connected, product: dict[str, Any], quantity: int) -> dict[str, Any]:
    order = place(hub, link, {"customer": SHOPPER, "lines": [{"product_id": product["id"], "quantity": quantity}]})
    return confirm_and_wait_for_push(hub, order["id"])


def test_the_switch_after_the_push_takes_the_hold_again_and_gives_it_back(hub: Hub, flowhub: FlowhubSandbox):
    link = connect_flowhub(hub, flowhub, sync_orders=True)
    hub.first_sync(link.integration_id)
    product = stocked(hub, link, at_least=4)[0]
    start = available(hub, product["id"])
    order = pushed_order(hub, link, product, 2)
    assert available(hub, product["id"]) == start  # the push released it: Flowhub counts it now

    on = hub.api.patch(f"/api/v1/orders/{order['id']}", json={"keep_holding": True})
    assert on.status_code == 200 and on.json()["keep_holding"] is True
    assert [h["released_at"] for h in on.json()["holds"]].count(None) == 1
    assert available(hub, product["id"]) == start - 2

    again = hub.api.patch(f"/api/v1/orders/{order['id']}", json={"keep_holding": True})  # no double hold
    assert again.status_code == 200 and available(hub, product["id"]) == start - 2

    off = hub.api.patch(f"/api/v1/orders/{order['id']}", json={"keep_holding": False})
    assert off.status_code == 200 and off.json()["keep_holding"] is False
    assert all(h["released_at"] for h in off.json()["holds"])
    assert available(hub, product["id"]) == start


def test_turning_it_on_without_the_stock_says_so_and_changes_nothing(hub: Hub, flowhub: FlowhubSandbox):
    link = connect_flowhub(hub, flowhub, sync_orders=True)
    hub.first_sync(link.integration_id)
    product = stocked(hub, link, at_least=4)[0]
    order = pushed_order(hub, link, product, 2)
    rest = available(hub, product["id"])
    place(hub, link, {"customer": SHOPPER, "lines": [{"product_id": product["id"], "quantity": rest - 1}]})
    assert available(hub, product["id"]) == 1

    refused = hub.api.patch(f"/api/v1/orders/{order['id']}", json={"keep_holding": True})
    assert refused.status_code == 409
    assert "only 1" in refused.json()["detail"] and product["name"] in refused.json()["detail"]
    assert hub.order(order["id"])["keep_holding"] is False
    assert available(hub, product["id"]) == 1


def test_the_console_switch_holds_and_releases_and_says_when_it_cannot(
    hub: Hub, flowhub: FlowhubSandbox, merchant: Console
):
    link = connect_flowhub(hub, flowhub, sync_orders=True)
    hub.first_sync(link.integration_id)
    product = stocked(hub, link, at_least=4)[0]
    start = available(hub, product["id"])
    order = pushed_order(hub, link, product, 2)
    switch = f"/console/orders/{order['id']}/keep-holding"

    on = merchant.post(switch, {"keep_holding": "on"}, headers={"HX-Request": "true"})
    assert on.status_code == 200 and "held again" in on.text and 'badge warn">held' in on.text
    assert available(hub, product["id"]) == start - 2
    off = merchant.post(switch, {}, headers={"HX-Request": "true"})
    assert off.status_code == 200 and "released" in off.text and 'badge warn">held' not in off.text
    assert available(hub, product["id"]) == start

    place(hub, link, {"customer": SHOPPER, "lines": [{"product_id": product["id"], "quantity": start}]})
    short = merchant.post(switch, {"keep_holding": "on"}, headers={"HX-Request": "true"})
    assert short.status_code == 200 and "Not held" in short.text and "only 0" in short.text
    assert 'data-testid="keep-holding" checked' not in short.text
    assert hub.order(order["id"])["keep_holding"] is False
