"""Holds under concurrent checkouts: parallel requests over HTTP never take more than is available."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx2

from tests.conftest import Connected, Hub, Sandbox
from tests.flows.support import stocked

SHOPPER = {"first_name": "Pat", "last_name": "Parallel", "phone": "5551230000", "date_of_birth": "1980-01-01"}


def item_id_of(sandbox: Sandbox, sku: str) -> str:
    return next(i["id"] for i in sandbox.state.items() if i["sku"] == sku)


def test_parallel_checkouts_never_oversell(hub: Hub, flourish: Sandbox, connected: Connected):
    product = stocked(hub, connected)[0]
    flourish.set_quantity(item_id_of(flourish, product["sku"]), 5)
    hub.sync(connected.integration_id)
    assert hub.api.get(f"/api/v1/products/{product['id']}").json()["available_quantity"] == 5

    def checkout(_: int) -> int:
        with hub.client(hub.token) as client:
            return client.post(
                f"/api/v1/stores/{connected.store_id}/orders",
                json={"customer": SHOPPER, "lines": [{"product_id": product["id"], "quantity": 1}]},
            ).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(checkout, range(24)))
    assert answers.count(201) == 5 and answers.count(409) == 19, answers
    after = hub.api.get(f"/api/v1/products/{product['id']}").json()
    assert (after["held_quantity"], after["available_quantity"]) == (5, 0)
    orders = hub.api.get(f"/api/v1/stores/{connected.store_id}/orders", params={"limit": 100}).json()
    assert len(orders) == 5 and len({o["number"] for o in orders}) == 5


def test_a_retried_checkout_with_one_idempotency_key_places_one_order(hub: Hub, connected: Connected):
    product = stocked(hub, connected)[0]
    body = {"customer": SHOPPER, "lines": [{"product_id": product["id"], "quantity": 2}]}

    def checkout(_: int) -> httpx2.Response:
        with hub.client(hub.token) as client:
            return client.post(
                f"/api/v1/stores/{connected.store_id}/orders", json=body, headers={"Idempotency-Key": "checkout-7f3a"}
            )

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(checkout, range(8)))
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
    after = hub.api.get(f"/api/v1/products/{product['id']}").json()
    assert after["held_quantity"] == 2
