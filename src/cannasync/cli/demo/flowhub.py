"""The Flowhub story: a second store connects, syncs, refuses an order Flowhub would refuse, pushes one through
Order Ahead and follows its status postbacks."""

from __future__ import annotations

from typing import Any

import httpx2

from cannasync.cli.demo.steps import (
    DemoFailed,
    Story,
    delivery_window,
    first_sync,
    ok,
    place_order,
    sync_with_progress,
    wait_for,
    wait_for_push,
)

FLOWHUB_CREDENTIALS = {
    "client_id": "3f7c1a52-0d7e-4b8a-9a51-6f2d1c0e9b11",
    "api_key": "9b1d6c2e-7a44-4f0e-8c3b-5e2a7d9f1c20",
    "order_ahead_client_id": "c0ffee00-1234-4abc-9def-00000000a11e",
    "order_ahead_token": "oa-demo-token",
}
DELIVERY_SHOPPER = {"first_name": "Alex", "last_name": "Kim", "phone": "(555) 300-4000", "date_of_birth": "1990-03-03"}


def tell_flowhub(story: Story, hub: httpx2.Client, sandbox: httpx2.Client, sandbox_url: str) -> None:
    s: dict[str, Any] = story.summary.setdefault("flowhub", {})
    story.step("9. A second store runs Flowhub: API Key, Client ID, Order Ahead Client Id and Token")
    store = ok(hub.post("/api/v1/stores", json={"name": "Sunset Eastside", "randomized_order_numbers": True}))
    url = f"/api/v1/stores/{store['id']}/integrations/flowhub"
    # The sandbox stands for Flowhub's Auth0 tenant too: the Order Ahead grant is made at its /oauth/token.
    where = {"base_url": sandbox_url, "token_url": f"{sandbox_url}/oauth/token"}
    connected = ok(hub.put(url, json={"credentials": FLOWHUB_CREDENTIALS, "settings": where}))
    location = connected["locations"][0]
    story.say(f"Checked with Flowhub at once; locations: {', '.join(x['name'] for x in connected['locations'])}.")
    room = hub.put(url, json={"settings": {"location_id": location["id"], "room_id": "Sales Floor"}})
    story.say(
        f"A room name where the Room ID belongs is refused ({room.status_code}): [italic]{room.json()['detail']}[/]"
    )
    chosen = ok(
        hub.put(
            url,
            json={
                "settings": {
                    "location_id": location["id"],
                    "sync_orders": True,
                    "sync_description": False,
                    "requests_per_second": 40,
                }
            },
        )
    )
    integration_id = chosen["id"]
    s.update(store_id=store["id"], integration_id=integration_id, location_id=location["id"])

    story.step("10. First Flowhub sync (custom category → type → category, Greek terpene names, 50/50 strains)")
    sync_with_progress(story, hub, integration_id, "menu_sync")
    s["menu_sync"] = first_sync(hub, integration_id)
    products = ok(hub.get(f"/api/v1/stores/{store['id']}/products", params={"limit": 200}))["data"]
    terpy = next((p for p in products if p["terpenes"]), None)
    if terpy:
        story.say(
            f"{terpy['name']}: {terpy['category']} / {terpy['subcategory']}, {terpy['strain_type']}, "
            f"terpenes " + ", ".join(f"{t['name']} {t['value']}{t['unit']}" for t in terpy["terpenes"][:3])
        )
    stocked = [p for p in products if p["available_quantity"] >= 3 and p["rec_price_cents"]]
    if not stocked:
        raise DemoFailed("the Flowhub sandbox has no stocked products")
    product = stocked[0]

    story.step("11. Flowhub needs a medical id or a phone on every order, kiosk included")
    refused = hub.post(
        f"/api/v1/stores/{store['id']}/orders",
        json={
            "customer": {"first_name": "Walk", "last_name": "In", "date_of_birth": "1985-05-05"},
            "fulfillment": "kiosk",
            "lines": [{"product_id": product["id"], "quantity": 1}],
        },
    )
    story.say(
        f"A kiosk order with neither is refused at checkout ({refused.status_code}): "
        f"[italic]{refused.json()['detail']}[/]"
    )
    order = place_order(
        hub,
        store["id"],
        "demo-flowhub-1",
        {
            "customer": DELIVERY_SHOPPER,
            "fulfillment": "delivery",
            "notes": "Leave with the concierge",
            "delivery_address": {"line1": "9 Lake Rd", "city": "Detroit", "state": "MI", "postcode": "48201"},
            "fees": [{"name": "Delivery", "amount_cents": 499}],
            **delivery_window(hours=2),
            "lines": [{"product_id": product["id"], "quantity": 2}],
        },
    )
    held = ok(hub.get(f"/api/v1/products/{product['id']}"))
    story.say(
        f"Order #{order['number']} (a random number: this store turned it on), delivery with notes, a "
        f"$4.99 fee and a window; {product['name']} now has {held['available_quantity']} available."
    )

    story.step("12. Confirmed: pushed through Order Ahead, marked fulfilled, and Flowhub's count takes over")
    ok(hub.post(f"/api/v1/orders/{order['id']}/confirm"))
    detail = wait_for_push(hub, order["id"], "Flowhub")
    after = ok(hub.get(f"/api/v1/products/{product['id']}"))
    story.say(
        f"#{detail['number']} → Flowhub order [bold]{detail['pos_order_id']}[/]; its hold is released "
        f"({after['available_quantity']} available again, as Flowhub now counts it)."
    )
    s["order"] = {"number": detail["number"], "flowhub_order_id": detail["pos_order_id"]}

    story.step("13. Flowhub posts every status change back at once (no waiting for the 2-minute poll)")
    pos_id = detail["pos_order_id"]
    for status, ours in (
        ("started", "submitted"),
        ("inQueue", "submitted"),
        ("inTransit", "out_for_delivery"),
        ("delivered", "closed"),
    ):
        ok(sandbox.post(f"/_sandbox/orders/{pos_id}/status", json={"status": status}))

        def reached(ours: str = ours) -> dict[str, Any] | None:
            current = ok(hub.get(f"/api/v1/orders/{order['id']}"))
            return current if current["status"] == ours else None

        moved = wait_for(reached, f"the {status} postback", 10)
        story.say(f"Flowhub {status!r} → [bold]{moved['status'].replace('_', ' ')}[/]")
    s["status"] = moved["status"]
    if moved["status"] != "closed":
        raise DemoFailed(f"the Flowhub order ended {moved['status']}")
