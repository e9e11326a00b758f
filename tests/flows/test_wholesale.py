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
    # ... made as Flourish's own B2B plugin makes one: described in the order, never by POST /destinations.
    assert not [
        route for route in wholesale.flourish.requests() if route.startswith("POST") and "destinations" in route
    ]
    assert destinations[0]["name"] and destinations[0]["license_number"]
    lines = made[first["number"]]["order_lines"]
    assert {line["item_id"] for line in lines} == {
        next(k for k, v in bridged(wholesale).items() if v["id"] == p) for p in products
    }
    for line in lines:  # sent by SKU, as Flourish's plugin sends them, and read back naming the same item
        url = f"{wholesale.flourish.api_url}/v1/items/{line['item_id']}/"
        item = httpx2.get(url, headers={"x-api-key": "demo-key"})
        assert line["sku"] == item.json()["data"]["sku"]
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


def pair_of(hub: Hub, w: Wholesale, number: str) -> dict[str, Any]:
    pairs = hub.api.get(f"/api/v1/integrations/{w.link_id}/wholesale-orders").json()
    return dict(next(p for p in pairs if p["leaflink_number"] == number))


def move_pos(w: Wholesale, pos_id: str, status: str) -> None:
    answer = w.flourish.control.post(f"/_sandbox/outbound-orders/{pos_id}/status", json={"order_status": status})
    assert answer.status_code == 200, answer.text


def transitions_sent(w: Wholesale) -> int:
    return w.leaflink.requests().get("POST /api/v2/orders-received/{number}/transition/{action}/", 0)


def statuses_seen(w: Wholesale, number: str) -> list[str]:
    """The order's statuses as LeafLink announced them, in order, repeats folded."""
    seen: list[str] = []
    for entry in listing(w.leaflink.control.get("/_sandbox/webhooks")):
        data = entry["body"]["data"]
        if data.get("number") == number and (not seen or seen[-1] != data["status"]):
            seen.append(data["status"])
    return seen


def bridged_order(hub: Hub, w: Wholesale, customer_id: int) -> tuple[str, str]:
    """A LeafLink order placed and bridged: (its number, its Flourish order id)."""
    hub.sync(w.link_id, FLOW)
    products = [p["id"] for p in bridged(w).values()][:1]
    number = place(w, customer_id, products)["number"]
    hub.sync(w.link_id, FLOW)
    return number, next(o["id"] for o in outbound(w) if o["original_order_id"] == number)


def test_a_skipped_flourish_step_walks_leaflink_through_each_offered_transition(hub: Hub, wholesale: Wholesale):
    number, pos_id = bridged_order(hub, wholesale, 1001)
    before = transitions_sent(wholesale)
    move_pos(wholesale, pos_id, "Allocated")  # Created → Allocated, no Partially Allocated in between
    hub.sync(wholesale.link_id, FLOW)
    assert ll_order(wholesale, number)["status"] == "Fulfilled"
    # Accept, then fulfil: two transitions, each one LeafLink offered (a refused one would count here too).
    assert transitions_sent(wholesale) - before == 2
    wait_for(lambda: statuses_seen(wholesale, number)[-2:] == ["Accepted", "Fulfilled"], "LeafLink's webhooks")
    assert "Submitted" in statuses_seen(wholesale, number)
    assert pair_of(hub, wholesale, number)["conflict"] is None
    move_pos(wholesale, pos_id, "Shipped")
    hub.sync(wholesale.link_id, FLOW)
    assert ll_order(wholesale, number)["status"] == "Shipped"
    assert transitions_sent(wholesale) - before == 3


def test_a_transition_that_fails_is_retried_on_the_next_run(hub: Hub, wholesale: Wholesale):
    # Only the Sync button runs the bridge here (no webhook starts one), so each run is one we can look between.
    wholesale.leaflink.control.post("/_sandbox/config", json={"webhook_url": None, "company_id": 1}).raise_for_status()
    wholesale.flourish.control.post("/_sandbox/webhooks/config", json={"url": None}).raise_for_status()
    number, pos_id = bridged_order(hub, wholesale, 1002)

    def fail_once(action: str) -> None:  # a gateway error: LeafLink may or may not have moved; we must look again
        prefix = f"/api/v2/orders-received/{number}/transition/{action}/"
        wholesale.leaflink.fault(method="POST", path_prefix=prefix, status=503, count=1)

    fail_once("accept")
    move_pos(wholesale, pos_id, "Partially Allocated")
    hub.sync(wholesale.link_id, FLOW)
    assert ll_order(wholesale, number)["status"] == "Submitted"
    said = pair_of(hub, wholesale, number)["conflict"]
    hub.sync(wholesale.link_id, FLOW)  # nothing changed in Flourish since: the bridge tries again anyway
    assert ll_order(wholesale, number)["status"] == "Accepted"
    assert "'accept'" in said and "tried again on the next run" in said  # the pair said so in between
    assert pair_of(hub, wholesale, number)["conflict"] is None
    # Part-way along a walk: fulfil goes through, ship fails; the next run ships.
    fail_once("ship")
    move_pos(wholesale, pos_id, "Allocated")
    move_pos(wholesale, pos_id, "Shipped")  # LeafLink's side sees only Shipped
    hub.sync(wholesale.link_id, FLOW)
    assert ll_order(wholesale, number)["status"] == "Fulfilled"
    assert "'ship'" in pair_of(hub, wholesale, number)["conflict"]
    hub.sync(wholesale.link_id, FLOW)
    assert ll_order(wholesale, number)["status"] == "Shipped"
    assert pair_of(hub, wholesale, number)["conflict"] is None
    settled = transitions_sent(wholesale)
    hub.sync(wholesale.link_id, FLOW)
    assert transitions_sent(wholesale) == settled  # converged: nothing more is asked of LeafLink


def test_a_flourish_status_leaflink_has_no_path_to_is_recorded_not_forced(hub: Hub, wholesale: Wholesale):
    number, pos_id = bridged_order(hub, wholesale, 1001)
    move_pos(wholesale, pos_id, "Allocated")
    hub.sync(wholesale.link_id, FLOW)
    assert ll_order(wholesale, number)["status"] == "Fulfilled"
    before = transitions_sent(wholesale)
    move_pos(wholesale, pos_id, "Cancelled")  # a Fulfilled LeafLink order can only ship: no way to reject it
    hub.sync(wholesale.link_id, FLOW)
    assert ll_order(wholesale, number)["status"] == "Fulfilled"
    assert transitions_sent(wholesale) == before  # nothing tried that LeafLink did not offer
    conflict = pair_of(hub, wholesale, number)["conflict"]
    assert "'reject'" in conflict and "fulfilled and offers shipped" in conflict and "left for a person" in conflict


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


def test_combined_orders_are_recreated_in_flourish_with_the_default_settings(hub: Hub, wholesale: Wholesale):
    from cannasync.connectors.leaflink.settings import LeafLinkSettings

    default = LeafLinkSettings().create_on
    hub.api.patch(f"/api/v1/integrations/{wholesale.link_id}", json={"settings": {"create_on": default}})
    hub.sync(wholesale.link_id, FLOW)
    products = [p["id"] for p in bridged(wholesale).values()][:2]
    a = place(wholesale, 1003, products[:1])
    b = place(wholesale, 1003, products[1:2])
    for order in (a, b):  # the seller accepts both, so (with the defaults) both reach Flourish
        moved = wholesale.leaflink.control.post(
            f"/_sandbox/orders/{order['number']}/status", json={"status": "Accepted"}
        )
        assert moved.status_code == 200, moved.text
    hub.sync(wholesale.link_id, FLOW)
    assert {a["number"], b["number"]} <= {o["original_order_id"] for o in outbound(wholesale)}
    combined = wholesale.leaflink.control.post("/_sandbox/orders/combine", json={"numbers": [a["number"], b["number"]]})
    assert combined.status_code == 201, combined.text
    assert combined.json()["status"] == "Submitted"  # not a status the default settings create on
    hub.sync(wholesale.link_id, FLOW)
    made = {o["original_order_id"]: o for o in outbound(wholesale)}
    assert made[a["number"]]["order_status"] == made[b["number"]]["order_status"] == "Cancelled"
    replacement = made[combined.json()["number"]]  # the combined order takes their place in Flourish
    assert replacement["order_status"] == "Created"
    item_of = {str(v["id"]): k for k, v in bridged(wholesale).items()}
    assert {line["item_id"] for line in replacement["order_lines"]} == {item_of[str(p)] for p in products}
    assert pair_of(hub, wholesale, combined.json()["number"])["conflict"] is None


def test_combining_orders_flourish_never_had_waits_for_the_links_statuses(hub: Hub, wholesale: Wholesale):
    hub.api.patch(f"/api/v1/integrations/{wholesale.link_id}", json={"settings": {"create_on": ["accepted"]}})
    hub.sync(wholesale.link_id, FLOW)
    products = [p["id"] for p in bridged(wholesale).values()][:2]
    a = place(wholesale, 1004, products[:1])
    b = place(wholesale, 1004, products[1:2])
    hub.sync(wholesale.link_id, FLOW)  # Submitted: not created, by the link's choice
    combined = wholesale.leaflink.control.post("/_sandbox/orders/combine", json={"numbers": [a["number"], b["number"]]})
    hub.sync(wholesale.link_id, FLOW)
    assert combined.json()["number"] not in {o["original_order_id"] for o in outbound(wholesale)}
    accepted = wholesale.leaflink.control.post(
        f"/_sandbox/orders/{combined.json()['number']}/status", json={"status": "Accepted"}
    )
    assert accepted.status_code == 200, accepted.text
    hub.sync(wholesale.link_id, FLOW)
    assert combined.json()["number"] in {o["original_order_id"] for o in outbound(wholesale)}


def test_a_link_without_its_pos_connection_says_which_one_it_lacks(hub: Hub):
    """The flow names no vendor, yet the run's error still reads in the merchant's words (the registry's titles)."""
    import pytest

    from cannasync.flows import wholesale
    from cannasync.store.accounts import IntegrationConfig

    link = IntegrationConfig(
        id=0,
        organization_id=hub.organization_id,
        store_id=None,
        vendor="leaflink",
        enabled=True,
        credentials={},
        settings={"flourish_integration_id": 987654},  # no such connection in this organization
    )
    with pytest.raises(wholesale.BridgeMisconfigured) as refused:
        wholesale.supplier_for(hub.db, link)
    assert str(refused.value) == "the LeafLink link names no Flourish connection of this organization"
