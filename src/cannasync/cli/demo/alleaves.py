"""The Alleaves story: a third store connects and syncs (OTD prices, tiers), a new medical patient's delivery is
pushed, and the status poll brings it to closed."""

from __future__ import annotations

from typing import Any

import httpx2

from cannasync.cli.demo.steps import (
    DemoFailed,
    Story,
    delivery_window,
    first_sync,
    money,
    ok,
    place_order,
    sync_with_progress,
    wait_for_push,
)

ALLEAVES_CREDENTIALS = {"location_id": "ALV-1001", "username": "demo", "password": "demo-pass"}
NEW_PATIENT = {
    "first_name": "Rae",
    "last_name": "Moss",
    "medical_id": "AL-778899",
    "phone": "(555) 666-7777",
    "date_of_birth": "1975-08-20",
    "medical_id_expiration": "2031-05-31",
}


def tell_alleaves(story: Story, hub: httpx2.Client, sandbox: httpx2.Client, sandbox_url: str) -> None:
    s: dict[str, Any] = story.summary.setdefault("alleaves", {})
    story.step("14. A third store runs Alleaves: Location ID, Username, Password, then the areas to sell from")
    store = ok(hub.post("/api/v1/stores", json={"name": "Evergreen Main St"}))
    url = f"/api/v1/stores/{store['id']}/integrations/alleaves"
    wrong = hub.put(
        url, json={"credentials": {**ALLEAVES_CREDENTIALS, "password": "guess"}, "settings": {"base_url": sandbox_url}}
    )
    story.say(f"A wrong password is refused at once ({wrong.status_code}): [italic]{wrong.json()['detail']}[/]")
    connected = ok(hub.put(url, json={"credentials": ALLEAVES_CREDENTIALS, "settings": {"base_url": sandbox_url}}))
    story.say("Areas: " + ", ".join(f"{a['name']} ({a['detail']})" for a in connected["locations"]))
    retail = [a["id"] for a in connected["locations"] if a["name"] == "Retail"]
    chosen = ok(
        hub.put(
            url,
            json={
                "settings": {
                    "area_ids": retail,
                    "otd_pricing": True,
                    "sync_terpenes": True,
                    "sync_orders": True,
                    "requests_per_second": 50,
                }
            },
        )
    )
    integration_id = chosen["id"]
    story.say("Retail chosen; out-the-door pricing, terpene sync and Sync Orders on.")
    s.update(store_id=store["id"], integration_id=integration_id, areas=retail)

    story.step("15. First Alleaves sync: OTD prices, deli-style tiers, all images, the low-quantity threshold")
    sync_with_progress(story, hub, integration_id, "menu_sync")
    counts = first_sync(hub, integration_id)
    s["menu_sync"] = counts
    every = ok(hub.get(f"/api/v1/stores/{store['id']}/products", params={"limit": 200, "include_hidden": True}))
    below = [p for p in every["data"] if not p["visible"]]
    story.say(
        f"{counts.get('created', 0)} products; {len(below)} at or below the location's low-quantity "
        f"threshold are kept at 0 and off the menu; {counts.get('left_out_terpenes', 0)} terpene entries "
        f"typed outside the sixteen names were left out; {counts.get('quarantined', 0)} records quarantined."
    )
    tiered = next((p for p in every["data"] if p["price_tiers"] and p["visible"]), None)
    if tiered:
        story.say(
            f"{tiered['name']}: " + ", ".join(f"{t['label']} {money(t['price_cents'])}" for t in tiered["price_tiers"])
        )
    s["held_off_menu"] = len(below)
    stocked = [p for p in every["data"] if p["visible"] and p["available_quantity"] >= 2]
    if not stocked:
        raise DemoFailed("the Alleaves sandbox has no stocked products")

    story.step("16. A new medical patient orders a delivery for tonight")
    order = place_order(
        hub,
        store["id"],
        "demo-alleaves-1",
        {
            "customer": NEW_PATIENT,
            "is_medical": True,
            "fulfillment": "delivery",
            "delivery_address": {"line1": "4 Pine St", "city": "Eugene", "state": "OR", "postcode": "97401"},
            **delivery_window(hours=4),
            "lines": [{"product_id": stocked[0]["id"], "quantity": 1}],
        },
    )
    ok(hub.post(f"/api/v1/orders/{order['id']}/confirm"))
    detail = wait_for_push(hub, order["id"], "Alleaves")
    how = next((e["detail"] for e in detail["history"] if e["kind"] == "push" and "POS order" in e["detail"]), "")
    story.say(
        f"#{detail['number']} → Alleaves order [bold]{detail['pos_order_id']}[/] with its delivery window; "
        f"{how} (no medical id or phone matched, so a patient profile was created)."
    )
    s["order"] = {"number": detail["number"], "alleaves_order_id": detail["pos_order_id"]}

    story.step("17. Alleaves moves it along; the 2-minute poll brings each status back, never backwards")
    pos_id = detail["pos_order_id"]
    for status in ("accepted", "in_progress", "ready", "out_for_delivery"):
        ok(sandbox.post(f"/_sandbox/orders/{pos_id}/status", json={"status": status}))
    sync_with_progress(story, hub, integration_id, "order_status")
    moving = ok(hub.get(f"/api/v1/orders/{order['id']}"))
    story.say(f"Alleaves says {moving['pos_status']!r} → [bold]{moving['status'].replace('_', ' ')}[/]")
    ok(sandbox.post(f"/_sandbox/orders/{pos_id}/status", json={"status": "completed"}))
    sync_with_progress(story, hub, integration_id, "order_status")
    done = ok(hub.get(f"/api/v1/orders/{order['id']}"))
    story.say(f"Alleaves says {done['pos_status']!r} → [bold]{done['status']}[/]; the hold is released.")
    s["status"] = done["status"]
    if done["status"] != "closed":
        raise DemoFailed(f"the Alleaves order ended {done['status']}")
