"""The Flourish ↔ LeafLink wholesale bridge (seed 004) over real HTTP against both sandboxes, on both databases."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import httpx2

from tests.conftest import Hub, Wholesale, wait_for

FLOW = "wholesale_sync"


def listing(answer: Any) -> list[dict[str, Any]]:
    body = answer.json()
    return list(body["data"] if isinstance(body, dict) else body)


def ll_products(w: Wholesale) -> dict[str, dict[str, Any]]:
    return {str(p["id"]): p for p in listing(w.leaflink.control.get("/_sandbox/products"))}


def ll_order(w: Wholesale, number: str) -> dict[str, Any]:
    return next(o for o in listing(w.leaflink.control.get("/_sandbox/orders")) if o["number"] == number)


def bridged(w: Wholesale) -> dict[str, dict[str, Any]]:
    """LeafLink products the bridge made, by the Flourish item id they carry."""
    return {
        p["external_ids"]["flourish"]: p
        for p in ll_products(w).values()
        if isinstance(p.get("external_ids"), dict) and "flourish" in p["external_ids"]
    }


def outbound(w: Wholesale) -> list[dict[str, Any]]:
    return listing(w.flourish.control.get("/_sandbox/outbound-orders"))


def place(w: Wholesale, customer_id: int, product_ids: list[str], **extra: Any) -> dict[str, Any]:
    answer = w.leaflink.control.post(
        "/_sandbox/orders",
        json={
            "company_id": 1,
            "customer_id": customer_id,
            "status": "Submitted",
            "lines": [{"product_id": pid, "quantity": 2} for pid in product_ids],
            **extra,
        },
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_flourish_items_become_leaflink_products_and_keep_the_sellers_listing_state(hub: Hub, wholesale: Wholesale):
    run = hub.sync(wholesale.link_id, FLOW)
    assert run["status"] == "succeeded", run
    made = bridged(wholesale)
    wanted = [
        i
        for i in wholesale.flourish.state.items()
        if i["brand"] in ("Glacier Lake", "North Coast") and i["active"] and i["ecommerce_active"] and i["sellable"]
    ]
    assert made and set(made) == {i["id"] for i in wanted}
    item_id, product = next(iter(made.items()))
    assert product["listing_state"] == "Available"
    summary = httpx2.get(
        f"{wholesale.flourish.api_url}/v1/inventory/summary/",
        params={"item_id": item_id},
        headers={"x-api-key": "demo-key", "FacilityID": "101"},
    ).json()["data"]
    sellable = summary[0]["sellable_qty"]
    assert Decimal(product["quantity"]) == sellable
    # The seller hides the listing in LeafLink; stock changes in Flourish; the bridge never touches the state.
    wholesale.leaflink.control.patch(f"/_sandbox/products/{product['id']}", json={"listing_state": "Internal"})
    wholesale.flourish.set_quantity(item_id, 7)
    hub.sync(wholesale.link_id, FLOW)
    after = ll_products(wholesale)[str(product["id"])]
    assert after["listing_state"] == "Internal" and Decimal(after["quantity"]) == 7
    assert hub.sync(wholesale.link_id, FLOW)["counts"]["created"] == 0  # nothing is listed twice


def test_a_flourish_stock_change_reaches_leaflink_within_seconds_by_webhook(hub: Hub, wholesale: Wholesale):
    hub.sync(wholesale.link_id, FLOW)
    item_id, product = next(iter(bridged(wholesale).items()))
    started = time.monotonic()
    wholesale.flourish.set_quantity(item_id, 3)
    wait_for(lambda: Decimal(ll_products(wholesale)[str(product["id"])]["quantity"]) == 3, "the stock webhook", 10)
    lag = time.monotonic() - started
    assert lag < 5, f"stock took {lag:.2f}s to reach LeafLink"
    forged = hub.api.post(f"/hooks/flourish/{wholesale.flourish_integration_id}/nope", json={"resource_type": "item"})
    assert forged.status_code == 401


def test_orders_come_in_with_their_buyer_once_and_go_out_as_transitions(hub: Hub, wholesale: Wholesale):
    hub.sync(wholesale.link_id, FLOW)
    products = [p["id"] for p in bridged(wholesale).values()][:2]
    first = place(wholesale, 1008, products)  # 1008 is new to Flourish
    second = place(wholesale, 1008, products[:1])
    hub.sync(wholesale.link_id, FLOW)
    made = {o["original_order_id"]: o for o in outbound(wholesale)}
    assert {first["number"], second["number"]} <= set(made)
    assert made[first["number"]]["destination_id"] == made[second["number"]]["destination_id"]
    destinations = [
        d
        for d in wholesale.flourish.control.get("/_sandbox/destinations").json()["data"]
        if d.get("external_id") == "leaflink:1008"
    ]
    assert len(destinations) == 1  # a new LeafLink customer becomes a Flourish destination, once
    lines = made[first["number"]]["order_lines"]
    assert {line["item_id"] for line in lines} == {
        next(k for k, v in bridged(wholesale).items() if v["id"] == p) for p in products
    }
    ll_lines = {str(line["product"]): line for line in ll_order(wholesale, first["number"])["line_items"]}
    item_of = {str(v["id"]): k for k, v in bridged(wholesale).items()}
    for line in lines:  # the buyer's price in LeafLink is the price of the Flourish line
        product = next(pid for pid, item in item_of.items() if item == line["item_id"])
        assert Decimal(str(line["unit_price"])) == Decimal(ll_lines[product]["ordered_unit_price"]["amount"]) > 0
    # Flourish allocates, then ships: LeafLink follows through its own transitions.
    pos_id = made[first["number"]]["id"]
    for status, expected in (("Partially Allocated", "Accepted"), ("Allocated", "Fulfilled"), ("Shipped", "Shipped")):
        wholesale.flourish.control.post(f"/_sandbox/outbound-orders/{pos_id}/status", json={"order_status": status})
        hub.sync(wholesale.link_id, FLOW)
        order = next(
            o for o in listing(wholesale.leaflink.control.get("/_sandbox/orders")) if o["number"] == first["number"]
        )
        assert order["status"] == expected


def test_a_transition_leaflink_does_not_allow_is_recorded_not_forced(hub: Hub, wholesale: Wholesale):
    hub.sync(wholesale.link_id, FLOW)
    products = [p["id"] for p in bridged(wholesale).values()][:1]
    order = place(wholesale, 1001, products)
    hub.sync(wholesale.link_id, FLOW)
    pos_id = next(o["id"] for o in outbound(wholesale) if o["original_order_id"] == order["number"])
    wholesale.flourish.control.post(f"/_sandbox/outbound-orders/{pos_id}/status", json={"order_status": "Allocated"})
    hub.sync(wholesale.link_id, FLOW)
    ll = next(o for o in listing(wholesale.leaflink.control.get("/_sandbox/orders")) if o["number"] == order["number"])
    assert ll["status"] == "Submitted"  # fulfil is not available from Submitted: nothing forced
    pairs = hub.api.get(f"/api/v1/integrations/{wholesale.link_id}/wholesale-orders").json()
    conflict = next(p for p in pairs if p["leaflink_number"] == order["number"])["conflict"]
    assert "fulfill" in conflict and "left for a person" in conflict


def test_rejected_cancelled_and_combined_orders_cancel_in_flourish(hub: Hub, wholesale: Wholesale):
    hub.sync(wholesale.link_id, FLOW)
    products = [p["id"] for p in bridged(wholesale).values()][:2]
    rejected = place(wholesale, 1001, products[:1])
    cancelled = place(wholesale, 1002, products[:1])
    a = place(wholesale, 1003, products[:1])
    b = place(wholesale, 1003, products[1:2])
    hub.sync(wholesale.link_id, FLOW)
    wholesale.leaflink.control.post(f"/_sandbox/orders/{rejected['number']}/status", json={"status": "Rejected"})
    wholesale.leaflink.control.post(f"/_sandbox/orders/{cancelled['number']}/cancel")
    combined = wholesale.leaflink.control.post("/_sandbox/orders/combine", json={"numbers": [a["number"], b["number"]]})
    assert combined.status_code == 201, combined.text
    hub.sync(wholesale.link_id, FLOW)
    status = {o["original_order_id"]: o["order_status"] for o in outbound(wholesale)}
    for number in (rejected["number"], cancelled["number"], a["number"], b["number"]):
        assert status[number] == "Cancelled", number
    assert status[combined.json()["number"]] == "Created"  # the combined order takes their place


def test_buyer_line_edits_update_flourish_and_never_flow_back(hub: Hub, wholesale: Wholesale):
    hub.sync(wholesale.link_id, FLOW)
    products = [p["id"] for p in bridged(wholesale).values()][:2]
    order = place(wholesale, 1001, products[:1])
    hub.sync(wholesale.link_id, FLOW)
    edited = wholesale.leaflink.control.patch(
        f"/_sandbox/orders/{order['number']}",
        json={"lines": [{"product_id": products[0], "quantity": 5}, {"product_id": products[1], "quantity": 1}]},
    )
    assert edited.status_code == 200, edited.text
    hub.sync(wholesale.link_id, FLOW)
    pos = next(o for o in outbound(wholesale) if o["original_order_id"] == order["number"])
    assert sorted(float(line["order_qty"]) for line in pos["order_lines"]) == [1.0, 5.0]
    before = wholesale.leaflink.requests()
    hub.sync(wholesale.link_id, FLOW)
    after = wholesale.leaflink.requests()
    assert after.get("POST /api/v2/line-items/", 0) == before.get("POST /api/v2/line-items/", 0)
    assert after.get("PATCH /api/v2/line-items/{id}/", 0) == before.get("PATCH /api/v2/line-items/{id}/", 0)


def test_payment_terms_travel_both_ways_and_an_unsupported_one_is_reported(hub: Hub, wholesale: Wholesale):
    hub.sync(wholesale.link_id, FLOW)
    products = [p["id"] for p in bridged(wholesale).values()][:1]
    net30 = place(wholesale, 1001, products, payment_term_code="net30")
    odd = place(wholesale, 1002, products, payment_term_code="llf")
    hub.sync(wholesale.link_id, FLOW)
    made = {o["original_order_id"]: o for o in outbound(wholesale)}
    assert made[net30["number"]]["payment_term"] == "Net 30"
    assert made[odd["number"]]["payment_term"] is None
    pairs = {
        p["leaflink_number"]: p
        for p in hub.api.get(f"/api/v1/integrations/{wholesale.link_id}/wholesale-orders").json()
    }
    assert "LeafLink Financial" in pairs[odd["number"]]["conflict"]
    wholesale.flourish.control.patch(
        f"/_sandbox/outbound-orders/{made[net30['number']]['id']}", json={"payment_term": "Net 15"}
    )
    hub.sync(wholesale.link_id, FLOW)
    ll = next(o for o in listing(wholesale.leaflink.control.get("/_sandbox/orders")) if o["number"] == net30["number"])
    assert ll["payment_term"] == "Net 15"


def test_orders_route_to_facilities_by_sales_rep(hub: Hub, wholesale: Wholesale):
    hub.api.patch(
        f"/api/v1/integrations/{wholesale.link_id}", json={"settings": {"sales_rep_facilities": {"102": "102"}}}
    )
    hub.sync(wholesale.link_id, FLOW)
    products = [p["id"] for p in bridged(wholesale).values()][:1]
    routed = place(wholesale, 1001, products, sales_rep_id=102)
    default = place(wholesale, 1002, products, sales_rep_id=101)
    hub.sync(wholesale.link_id, FLOW)
    facility = {o["original_order_id"]: o["facility_id"] for o in outbound(wholesale)}
    assert (facility[routed["number"]], facility[default["number"]]) == ("102", "101")


def test_leaflink_webhooks_are_verified_and_deduplicated(hub: Hub, wholesale: Wholesale):
    import base64
    import hashlib
    import hmac
    import json

    path = hub.api.get(f"/api/v1/integrations/{wholesale.link_id}").json()["inbound_path"]
    body = json.dumps({"event": "order.updated", "data": {"number": "x"}}).encode()
    good = base64.b64encode(hmac.new(b"ll-demo-webhook-key", body, hashlib.sha256).digest()).decode()
    assert hub.api.post(path, content=body, headers={"LL-Signature": "bad"}).status_code == 401
    first = hub.api.post(path, content=body, headers={"LL-Signature": good, "Content-Type": "application/json"})
    again = hub.api.post(path, content=body, headers={"LL-Signature": good, "Content-Type": "application/json"})
    assert first.json()["outcome"] == "bridge run" and again.json()["outcome"] == "duplicate"


def test_an_items_brand_picks_the_account_and_each_link_keeps_its_own_rules(hub: Hub, wholesale: Wholesale):
    second = hub.api.post(
        "/api/v1/integrations",
        json={
            "vendor": "leaflink",
            "name": "LeafLink - Lakeshore Botanicals",
            "credentials": {"api_key": "ll-key-company-2"},
            "settings": {
                "base_url": f"{wholesale.leaflink.server.url}/api/v2",
                "flourish_integration_id": wholesale.flourish_integration_id,
                "brands": ["Lakeshore Botanicals"],
                "descriptions_from_flourish": False,
                "requests_per_second": 1000,
            },
        },
    )
    assert second.status_code == 201, second.text
    hub.sync(wholesale.link_id, FLOW)
    hub.sync(second.json()["id"], FLOW)
    brand_of = {i["id"]: i["brand"] for i in wholesale.flourish.state.items()}
    by_company: dict[int, set[str]] = {1: set(), 2: set()}
    for product in ll_products(wholesale).values():
        if isinstance(product.get("external_ids"), dict) and "flourish" in product["external_ids"]:
            by_company[product["seller"]].add(brand_of[product["external_ids"]["flourish"]])
    assert by_company == {1: {"Glacier Lake", "North Coast"}, 2: {"Lakeshore Botanicals"}}
    # Descriptions: Flourish decides for company 1, not for company 2.
    lakeshore = next(
        i["id"]
        for i in wholesale.flourish.state.items()
        if i["brand"] == "Lakeshore Botanicals" and i["id"] in bridged(wholesale)
    )
    glacier = next(
        i["id"]
        for i in wholesale.flourish.state.items()
        if i["brand"] == "Glacier Lake" and i["id"] in bridged(wholesale)
    )
    for item in (lakeshore, glacier):
        wholesale.flourish.patch_item(item, item_description="Rewritten in Flourish")
    hub.sync(wholesale.link_id, FLOW)
    hub.sync(second.json()["id"], FLOW)
    assert bridged(wholesale)[glacier]["description"] == "Rewritten in Flourish"
    assert bridged(wholesale)[lakeshore]["description"] != "Rewritten in Flourish"


def test_the_bridges_own_writes_do_not_come_back_as_changes(hub: Hub, wholesale: Wholesale):
    hub.sync(wholesale.link_id, FLOW)
    products = [p["id"] for p in bridged(wholesale).values()][:1]
    order = place(wholesale, 1001, products)
    hub.sync(wholesale.link_id, FLOW)
    pos_id = next(o["id"] for o in outbound(wholesale) if o["original_order_id"] == order["number"])
    wholesale.flourish.control.post(
        f"/_sandbox/outbound-orders/{pos_id}/status", json={"order_status": "Partially Allocated"}
    )
    hub.sync(wholesale.link_id, FLOW)  # accepts in LeafLink, which fires a webhook and bumps modified
    wait_for(
        lambda: (
            hub.api.get(f"/api/v1/integrations/{wholesale.link_id}/runs", params={"flow": FLOW, "limit": 1}).json()[0][
                "status"
            ]
            not in ("queued", "running")
        ),
        "the webhook's run",
    )
    before = (wholesale.leaflink.requests(), wholesale.flourish.requests())
    run = hub.sync(wholesale.link_id, FLOW)
    after = (wholesale.leaflink.requests(), wholesale.flourish.requests())
    writes = [k for k in {**after[0], **after[1]} if k.split()[0] in ("POST", "PATCH", "PUT")]
    for key in writes:
        assert after[0].get(key, 0) + after[1].get(key, 0) == before[0].get(key, 0) + before[1].get(key, 0), key
    assert run["counts"]["created"] == 0


def test_cancelled_in_flourish_rejects_the_leaflink_order(hub: Hub, wholesale: Wholesale):
    hub.sync(wholesale.link_id, FLOW)
    products = [p["id"] for p in bridged(wholesale).values()][:1]
    order = place(wholesale, 1002, products)
    hub.sync(wholesale.link_id, FLOW)
    pos_id = next(o["id"] for o in outbound(wholesale) if o["original_order_id"] == order["number"])
    wholesale.flourish.control.post(f"/_sandbox/outbound-orders/{pos_id}/status", json={"order_status": "Cancelled"})
    hub.sync(wholesale.link_id, FLOW)
    assert ll_order(wholesale, order["number"])["status"] == "Rejected"


def test_a_payment_term_changed_in_leaflink_reaches_flourish(hub: Hub, wholesale: Wholesale):
    hub.sync(wholesale.link_id, FLOW)
    products = [p["id"] for p in bridged(wholesale).values()][:1]
    order = place(wholesale, 1001, products, payment_term_code="net30")
    hub.sync(wholesale.link_id, FLOW)
    wholesale.leaflink.control.patch(f"/_sandbox/orders/{order['number']}", json={"payment_term_code": "cod"})
    hub.sync(wholesale.link_id, FLOW)
    pos = next(o for o in outbound(wholesale) if o["original_order_id"] == order["number"])
    assert pos["payment_term"] == "Cash on Delivery"
    hub.sync(wholesale.link_id, FLOW)
    assert ll_order(wholesale, order["number"])["payment_term"] == "COD"  # no ping-pong back
