"""The Flourish story: connect, choose a facility, sync the menu, two shoppers check out, the orders are pushed
and moved along in Flourish."""

from __future__ import annotations

from typing import Any

import httpx2
from rich.table import Table

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

FACILITY = "101"


MEDICAL_PATIENT = {
    "first_name": "Jordan",
    "last_name": "Reyes",
    "medical_id": "MED-100200",
    "phone": "555-000-1111",
    "date_of_birth": "1986-04-12",
}
NEW_SHOPPER = {
    "first_name": "Sam",
    "last_name": "Okafor",
    "email": "sam.okafor@example.com",
    "phone": "(555) 212-9898",
    "date_of_birth": "1994-09-30",
}


def tell_flourish(story: Story, hub: httpx2.Client, sandbox: httpx2.Client, sandbox_url: str) -> None:
    s: dict[str, Any] = story.summary.setdefault("flourish", {})
    story.step("1. The dispensary opens its store in cannasync")
    store = ok(hub.post("/api/v1/stores", json={"name": "Green Leaf Downtown", "randomized_order_numbers": False}))
    story.say(f"Store [bold]{store['name']}[/] (id {store['id']}), sequential order numbers.")
    s["store_id"] = store["id"]

    story.step("2. Store > Integrations > Flourish: enter the username and password, click Save")
    wrong = hub.put(
        f"/api/v1/stores/{store['id']}/integrations/flourish",
        json={
            "credentials": {"username": "demo", "api_key": "not-the-key"},
            "settings": {"base_url": sandbox_url, "requests_per_second": 200},
        },
    )
    story.say(f"A mistyped key is refused at once ({wrong.status_code}): [italic]{wrong.json()['detail']}[/]")
    connected = ok(
        hub.put(
            f"/api/v1/stores/{store['id']}/integrations/flourish",
            json={
                "credentials": {"username": "demo", "api_key": "demo-key"},
                "settings": {"base_url": sandbox_url, "requests_per_second": 200},
            },
        )
    )
    integration_id = connected["id"]
    story.say("The right key is accepted. Nothing syncs until a facility is chosen; Flourish offers:")
    for location in connected["locations"]:
        story.say(f"  • {location['id']}: {location['name']} ({location['detail']})")
    s["integration_id"] = integration_id
    s["facilities"] = [location["id"] for location in connected["locations"]]

    story.step("3. Choose the facility and the options: Sync Orders, terpenes, medical verification")
    chosen = ok(
        hub.put(
            f"/api/v1/stores/{store['id']}/integrations/flourish",
            json={
                "settings": {
                    "facility_id": FACILITY,
                    "sync_orders": True,
                    "sync_terpenes": True,
                    "require_medical_verification": True,
                }
            },
        )
    )
    for schedule in chosen["schedules"]:
        every = schedule["every_seconds"]
        story.say(f"  {schedule['flow']}: every " + (f"{every // 3600} h" if every >= 3600 else f"{every // 60} min"))
    s["facility_id"] = FACILITY

    story.step("4. Menu > Products > Sync")
    sync_with_progress(story, hub, integration_id, "menu_sync")
    counts = first_sync(hub, integration_id)
    story.say(
        f"Read the whole catalogue: {counts.get('created', 0)} products created, "
        f"{counts.get('skipped', 0)} left out by Flourish's filters, "
        f"{counts.get('quarantined', 0)} quarantined."
    )
    for record in ok(hub.get(f"/api/v1/integrations/{integration_id}/quarantine")):
        story.say(f"  quarantined item {record['external_id']}: {record['reason']}")
    again = sync_with_progress(story, hub, integration_id, "menu_sync")
    story.say(
        f"A second sync right after finds {again['counts'].get('unchanged', 0)} unchanged products and "
        f"writes nothing for them."
    )
    s["menu_sync"] = {"first": counts, "second": again["counts"]}

    products = ok(hub.get(f"/api/v1/stores/{store['id']}/products", params={"limit": 200}))
    stocked = [p for p in products["data"] if p["available_quantity"] >= 3 and p["rec_price_cents"]]
    if len(stocked) < 3:
        raise DemoFailed("the sandbox catalogue has too few stocked products for the demo")
    table = Table("product", "category", "strain", "THC", "price", "available", title="A few products")
    for p in stocked[:5]:
        thc = next((c for c in p["cannabinoids"] if c["name"] == "THC"), None)
        table.add_row(
            p["name"],
            p["category"],
            p["strain_type"] or "",
            f"{thc['value']}{thc['unit']}" if thc else "",
            money(p["rec_price_cents"]),
            str(p["available_quantity"]),
        )
    story.console.print(table)
    s["products"] = products["total"]

    story.step("5. Two shoppers check out")
    first, second, third = stocked[0], stocked[1], stocked[2]
    medical = place_order(
        hub,
        store["id"],
        "demo-order-1",
        {
            "customer": MEDICAL_PATIENT,
            "is_medical": True,
            "fulfillment": "pickup",
            "lines": [{"product_id": first["id"], "quantity": 1}],
        },
    )
    delivery = place_order(
        hub,
        store["id"],
        "demo-order-2",
        {
            "customer": NEW_SHOPPER,
            "is_medical": False,
            "fulfillment": "delivery",
            "lines": [{"product_id": second["id"], "quantity": 3}, {"product_id": third["id"], "quantity": 1}],
            "offers": [
                {"label": "50% off " + second["name"], "kind": "percent", "value": 50, "line": 0},
                {"label": "$5 off your first order", "kind": "amount", "value": 500},
            ],
            "fees": [{"name": "Delivery", "amount_cents": 500}],
            "notes": "Gate code 4321",
            "delivery_address": {"line1": "12 Harbor Way", "city": "Oakland", "state": "CA", "postcode": "94607"},
            **delivery_window(hours=3),
        },
    )
    retried = hub.post(
        f"/api/v1/stores/{store['id']}/orders",
        headers={"Idempotency-Key": "demo-order-1"},
        json={
            "customer": MEDICAL_PATIENT,
            "is_medical": True,
            "fulfillment": "pickup",
            "lines": [{"product_id": first["id"], "quantity": 1}],
        },
    )
    story.say(f"Order #{medical['number']}: medical pickup, {money(medical['total_cents'])}.")
    story.say(
        f"Order #{delivery['number']}: recreational delivery with two offers and a delivery fee, "
        f"{money(delivery['subtotal_cents'])} − {money(delivery['discount_cents'])} + "
        f"{money(delivery['fees_cents'])} = {money(delivery['total_cents'])}."
    )
    story.say(
        f"The first shopper's browser retried its checkout: same Idempotency-Key → order "
        f"#{retried.json()['number']} again ({retried.status_code}), not a second order."
    )
    held = ok(hub.get(f"/api/v1/products/{second['id']}"))
    story.say(
        f"Stock is held at once: {second['name']} had {second['available_quantity']} available, "
        f"now {held['available_quantity']} ({held['held_quantity']} held) until Flourish counts the sale."
    )

    story.step("6. The store confirms both orders; cannasync pushes them to Flourish as Submitted")
    pushed = {}
    for order in (medical, delivery):
        ok(hub.post(f"/api/v1/orders/{order['id']}/confirm"))
    for order in (medical, delivery):
        pushed[order["id"]] = wait_for_push(hub, order["id"], "Flourish")
    flourish_orders = {o["id"]: o for o in ok(sandbox.get("/_sandbox/retail-orders"))["data"]}
    s["orders"] = []
    for detail in pushed.values():
        remote = flourish_orders[detail["pos_order_id"]]
        how = next((e["detail"] for e in detail["history"] if e["kind"] == "push" and "POS order" in e["detail"]), "")
        story.say(
            f"#{detail['number']} → Flourish order [bold]{detail['pos_order_id']}[/] "
            f"({remote['order_status']}, is_recreational={remote['is_recreational']}); {how}. "
            f"Flourish total {money(round(float(remote['total']) * 100))} = ours "
            f"{money(detail['total_cents'])}."
        )
        s["orders"].append(
            {
                "number": detail["number"],
                "flourish_order_id": detail["pos_order_id"],
                "our_total_cents": detail["total_cents"],
                "flourish_total_cents": round(float(remote["total"]) * 100),
            }
        )
    customers = {c["id"]: c for c in ok(sandbox.get("/_sandbox/customers"))["data"]}
    new_customer = customers[flourish_orders[pushed[delivery["id"]]["pos_order_id"]]["customer_id"]]
    story.say(
        f"The medical patient was found by patient_id; the new shopper was created in Flourish "
        f"(is_verified={new_customer.get('is_verified')}: ID to check at the counter)."
    )
    online = [o for o in flourish_orders.values() if o.get("original_order_id")]
    if len(online) != 2:
        raise DemoFailed(f"Flourish has {len(online)} online orders, expected exactly 2")

    story.step("7. In Flourish, staff pack the pickup and send the delivery out")
    sandbox_moves = [
        (pushed[medical["id"]]["pos_order_id"], "Packed"),
        (pushed[delivery["id"]]["pos_order_id"], "Packed"),
        (pushed[delivery["id"]]["pos_order_id"], "Out for Delivery"),
    ]
    for pos_id, status in sandbox_moves:
        ok(sandbox.post(f"/_sandbox/retail-orders/{pos_id}/status", json={"order_status": status}))
    sync_with_progress(story, hub, integration_id, "order_status")
    for order in (medical, delivery):
        detail = ok(hub.get(f"/api/v1/orders/{order['id']}"))
        story.say(
            f"#{detail['number']} ({detail['fulfillment']}): Flourish says {detail['pos_status']!r} → "
            f"[bold]{detail['status'].replace('_', ' ')}[/]"
        )

    story.step("8. Both orders are completed in Flourish; statuses come back every 2 minutes")
    for order in (medical, delivery):
        ok(
            sandbox.post(
                f"/_sandbox/retail-orders/{pushed[order['id']]['pos_order_id']}/status",
                json={"order_status": "Completed"},
            )
        )
    sync_with_progress(story, hub, integration_id, "order_status")
    s["statuses"] = {}
    for order in (medical, delivery):
        detail = ok(hub.get(f"/api/v1/orders/{order['id']}"))
        s["statuses"][detail["number"]] = detail["status"]
        released = [h for h in detail["holds"] if h["released_at"]]
        story.say(
            f"#{detail['number']}: [bold]{detail['status']}[/]; {len(released)} of {len(detail['holds'])} "
            f"holds released, since Flourish's own count now includes the sale."
        )
    if set(s["statuses"].values()) != {"closed"}:
        raise DemoFailed(f"expected every order closed, got {s['statuses']}")
