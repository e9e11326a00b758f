"""``cannasync demo``: the Flourish ↔ online store story, told against a local Flourish sandbox.

Everything goes through the hub's public REST API, exactly as a store's website or the admin would use it; the
sandbox's control routes play the dispensary staff moving orders along in Flourish.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from cannasync.cli.servers import BackgroundServer
from cannasync.flows import loyalty
from cannasync.jobs.embedded import EmbeddedWorkers
from cannasync.jobs.runtime import Runtime, configure_logging
from cannasync.sandboxes import alleaves as alleaves_sandbox
from cannasync.sandboxes import flourish as flourish_sandbox
from cannasync.sandboxes import flowhub as flowhub_sandbox
from cannasync.sandboxes import leaflink as leaflink_sandbox
from cannasync.sandboxes import sms as sms_sandbox
from cannasync.settings import Settings
from cannasync.web.site import create_site

FACILITY = "101"
DEMO_EMAIL = "owner@greenleaf.example"
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


class DemoFailed(Exception):
    pass


@dataclass
class Story:
    console: Console
    summary: dict[str, Any] = field(default_factory=lambda: {"steps": []})

    def step(self, title: str) -> None:
        self.console.rule(f"[bold]{title}")
        self.summary["steps"].append(title)

    def say(self, text: str) -> None:
        self.console.print(text)


def _money(cents: int | None) -> str:
    return "—" if cents is None else f"${cents / 100:,.2f}"


def _wait_for(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise DemoFailed(f"timed out waiting for {what}")


def _pushed(hub: httpx2.Client, order_id: int, pos: str) -> dict[str, Any]:
    """The order's detail once the POS has it (the outbox pushes it within seconds of the confirmation)."""
    return dict(
        _wait_for(lambda: (d := _ok(hub.get(f"/api/v1/orders/{order_id}")))["pos_order_id"] and d, f"the {pos} push")
    )


def _first_sync(hub: httpx2.Client, integration_id: int) -> dict[str, int]:
    """The counts of the first menu sync. It is scheduled the moment a location is chosen, so it may be that run
    rather than the one the Sync click asked for (which then found nothing new)."""
    runs = _ok(hub.get(f"/api/v1/integrations/{integration_id}/runs", params={"flow": "menu_sync"}))
    return dict(runs[-1]["counts"] or {})


def _ok(response: httpx2.Response) -> Any:
    if response.status_code >= 400:
        raise DemoFailed(
            f"{response.request.method} {response.request.url.path} → {response.status_code}: {response.text}"
        )
    return response.json()


def _sync_with_progress(story: Story, hub: httpx2.Client, integration_id: int, flow: str) -> dict[str, Any]:
    run_id = _ok(hub.post(f"/api/v1/integrations/{integration_id}/sync", json={"flow": flow}))["run_id"]
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=story.console,
        transient=False,
    ) as progress:
        task = progress.add_task(f"{flow.replace('_', ' ')} run {run_id}", total=None, detail="queued")
        while True:
            run = _ok(hub.get(f"/api/v1/runs/{run_id}"))
            counts = run["counts"] or {}
            detail = f"{run['seen']} records, {run['pages']} pages · " + ", ".join(
                f"{k} {v}" for k, v in counts.items() if v
            )
            progress.update(task, detail=detail)
            if run["status"] in ("succeeded", "failed"):
                progress.update(task, total=1, completed=1)
                break
            time.sleep(0.15)
    if run["status"] != "succeeded":
        raise DemoFailed(f"{flow} failed: {run['error']}")
    return dict(run)


def tell_flourish(story: Story, hub: httpx2.Client, sandbox: httpx2.Client, sandbox_url: str) -> None:
    s: dict[str, Any] = story.summary.setdefault("flourish", {})
    story.step("1. The dispensary opens its store in cannasync")
    store = _ok(hub.post("/api/v1/stores", json={"name": "Green Leaf Downtown", "randomized_order_numbers": False}))
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
    connected = _ok(
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
    chosen = _ok(
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
    _sync_with_progress(story, hub, integration_id, "menu_sync")
    counts = _first_sync(hub, integration_id)
    story.say(
        f"Read the whole catalogue: {counts.get('created', 0)} products created, "
        f"{counts.get('skipped', 0)} left out by Flourish's filters, "
        f"{counts.get('quarantined', 0)} quarantined."
    )
    for record in _ok(hub.get(f"/api/v1/integrations/{integration_id}/quarantine")):
        story.say(f"  quarantined item {record['external_id']}: {record['reason']}")
    again = _sync_with_progress(story, hub, integration_id, "menu_sync")
    story.say(
        f"A second sync right after finds {again['counts'].get('unchanged', 0)} unchanged products and "
        f"writes nothing for them."
    )
    s["menu_sync"] = {"first": counts, "second": again["counts"]}

    products = _ok(hub.get(f"/api/v1/stores/{store['id']}/products", params={"limit": 200}))
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
            _money(p["rec_price_cents"]),
            str(p["available_quantity"]),
        )
    story.console.print(table)
    s["products"] = products["total"]

    story.step("5. Two shoppers check out")
    first, second, third = stocked[0], stocked[1], stocked[2]
    medical = _ok(
        hub.post(
            f"/api/v1/stores/{store['id']}/orders",
            headers={"Idempotency-Key": "demo-order-1"},
            json={
                "customer": MEDICAL_PATIENT,
                "is_medical": True,
                "fulfillment": "pickup",
                "lines": [{"product_id": first["id"], "quantity": 1}],
            },
        )
    )
    window = datetime.now(UTC) + timedelta(hours=3)
    delivery = _ok(
        hub.post(
            f"/api/v1/stores/{store['id']}/orders",
            headers={"Idempotency-Key": "demo-order-2"},
            json={
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
                "window_start": window.isoformat(),
                "window_end": (window + timedelta(hours=1)).isoformat(),
            },
        )
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
    story.say(f"Order #{medical['number']}: medical pickup, {_money(medical['total_cents'])}.")
    story.say(
        f"Order #{delivery['number']}: recreational delivery with two offers and a delivery fee, "
        f"{_money(delivery['subtotal_cents'])} − {_money(delivery['discount_cents'])} + "
        f"{_money(delivery['fees_cents'])} = {_money(delivery['total_cents'])}."
    )
    story.say(
        f"The first shopper's browser retried its checkout: same Idempotency-Key → order "
        f"#{retried.json()['number']} again ({retried.status_code}), not a second order."
    )
    held = _ok(hub.get(f"/api/v1/products/{second['id']}"))
    story.say(
        f"Stock is held at once: {second['name']} had {second['available_quantity']} available, "
        f"now {held['available_quantity']} ({held['held_quantity']} held) until Flourish counts the sale."
    )

    story.step("6. The store confirms both orders; cannasync pushes them to Flourish as Submitted")
    pushed = {}
    for order in (medical, delivery):
        _ok(hub.post(f"/api/v1/orders/{order['id']}/confirm"))
    for order in (medical, delivery):
        pushed[order["id"]] = _pushed(hub, order["id"], "Flourish")
    flourish_orders = {o["id"]: o for o in _ok(sandbox.get("/_sandbox/retail-orders"))["data"]}
    s["orders"] = []
    for detail in pushed.values():
        remote = flourish_orders[detail["pos_order_id"]]
        how = next((e["detail"] for e in detail["history"] if e["kind"] == "push" and "POS order" in e["detail"]), "")
        story.say(
            f"#{detail['number']} → Flourish order [bold]{detail['pos_order_id']}[/] "
            f"({remote['order_status']}, is_recreational={remote['is_recreational']}); {how}. "
            f"Flourish total {_money(round(float(remote['total']) * 100))} = ours "
            f"{_money(detail['total_cents'])}."
        )
        s["orders"].append(
            {
                "number": detail["number"],
                "flourish_order_id": detail["pos_order_id"],
                "our_total_cents": detail["total_cents"],
                "flourish_total_cents": round(float(remote["total"]) * 100),
            }
        )
    customers = {c["id"]: c for c in _ok(sandbox.get("/_sandbox/customers"))["data"]}
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
        _ok(sandbox.post(f"/_sandbox/retail-orders/{pos_id}/status", json={"order_status": status}))
    _sync_with_progress(story, hub, integration_id, "order_status")
    for order in (medical, delivery):
        detail = _ok(hub.get(f"/api/v1/orders/{order['id']}"))
        story.say(
            f"#{detail['number']} ({detail['fulfillment']}): Flourish says {detail['pos_status']!r} → "
            f"[bold]{detail['status'].replace('_', ' ')}[/]"
        )

    story.step("8. Both orders are completed in Flourish; statuses come back every 2 minutes")
    for order in (medical, delivery):
        _ok(
            sandbox.post(
                f"/_sandbox/retail-orders/{pushed[order['id']]['pos_order_id']}/status",
                json={"order_status": "Completed"},
            )
        )
    _sync_with_progress(story, hub, integration_id, "order_status")
    s["statuses"] = {}
    for order in (medical, delivery):
        detail = _ok(hub.get(f"/api/v1/orders/{order['id']}"))
        s["statuses"][detail["number"]] = detail["status"]
        released = [h for h in detail["holds"] if h["released_at"]]
        story.say(
            f"#{detail['number']}: [bold]{detail['status']}[/]; {len(released)} of {len(detail['holds'])} "
            f"holds released, since Flourish's own count now includes the sale."
        )
    if set(s["statuses"].values()) != {"closed"}:
        raise DemoFailed(f"expected every order closed, got {s['statuses']}")


def _reconcile(hub: httpx2.Client, integration_id: int) -> dict[str, Any]:
    run_id = _ok(hub.post(f"/api/v1/integrations/{integration_id}/reconcile"))["run_id"]
    _wait_for(lambda: _ok(hub.get(f"/api/v1/runs/{run_id}"))["status"] in ("succeeded", "failed"), "the reconciliation")
    report = dict(_ok(hub.get(f"/api/v1/integrations/{integration_id}/reconciliation")))
    if report["run"]["id"] != run_id or report["run"]["status"] != "succeeded":
        raise DemoFailed(f"the reconciliation did not succeed: {report['run']}")
    return report


def tell_reconcile(story: Story, hub: httpx2.Client, sandbox: httpx2.Client) -> None:
    """Drift behind the hub's back (stock counted by hand, an item deleted in Flourish), found and repaired."""
    flourish = story.summary["flourish"]
    integration_id, store_id = flourish["integration_id"], flourish["store_id"]
    s: dict[str, Any] = story.summary.setdefault("reconcile", {})
    story.step("8b. Does the store still agree with Flourish? Staff recount one item and delete another in Flourish")
    shown = {
        p["sku"]: p
        for p in _ok(hub.get(f"/api/v1/stores/{store_id}/products", params={"limit": 200}))["data"]
        if p["sku"] and p["visible"]
    }
    page = _ok(
        sandbox.get(
            "/external/api/v1/items/",
            params={"active": "true", "ecommerce_active": "true", "sellable": "true", "limit": 50},
            headers={"x-api-key": "demo-key"},
        )
    )["data"]
    recounted, deleted = [item for item in page if item.get("sku") in shown][:2]
    counted = shown[recounted["sku"]]["pos_quantity"] + 6
    _ok(
        sandbox.post(
            f"/_sandbox/items/{recounted['id']}/quantity", json={"facility_id": FACILITY, "sellable_qty": counted}
        )
    )
    if sandbox.delete(f"/_sandbox/items/{deleted['id']}").status_code != 204:
        raise DemoFailed("the Flourish sandbox did not delete the item")
    story.say(
        f"In Flourish: {shown[recounted['sku']]['name']!r} recounted to {counted}, "
        f"{shown[deleted['sku']]['name']!r} deleted. No sync has run since."
    )
    report = _reconcile(hub, integration_id)
    for difference in report["differences"]:
        story.say(
            f"  • [bold]{difference['kind'].replace('_', ' ')}[/] {difference['label']!r}: "
            f"{difference['explanation']} → {difference['repair']} ({difference['repair_detail']})"
        )
    s["found"] = sorted(d["kind"] for d in report["differences"])
    s["repaired"] = sum(1 for d in report["differences"] if d["repair"] == "repaired")
    again = _reconcile(hub, integration_id)
    s["after"] = len(again["differences"])
    story.say(f"A second reconciliation right after finds {s['after']} differences: the store agrees with Flourish.")


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
    store = _ok(hub.post("/api/v1/stores", json={"name": "Sunset Eastside", "randomized_order_numbers": True}))
    url = f"/api/v1/stores/{store['id']}/integrations/flowhub"
    # The sandbox stands for Flowhub's Auth0 tenant too: the Order Ahead grant is made at its /oauth/token.
    where = {"base_url": sandbox_url, "token_url": f"{sandbox_url}/oauth/token"}
    connected = _ok(hub.put(url, json={"credentials": FLOWHUB_CREDENTIALS, "settings": where}))
    location = connected["locations"][0]
    story.say(f"Checked with Flowhub at once; locations: {', '.join(x['name'] for x in connected['locations'])}.")
    room = hub.put(url, json={"settings": {"location_id": location["id"], "room_id": "Sales Floor"}})
    story.say(
        f"A room name where the Room ID belongs is refused ({room.status_code}): [italic]{room.json()['detail']}[/]"
    )
    chosen = _ok(
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
    _sync_with_progress(story, hub, integration_id, "menu_sync")
    s["menu_sync"] = _first_sync(hub, integration_id)
    products = _ok(hub.get(f"/api/v1/stores/{store['id']}/products", params={"limit": 200}))["data"]
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
    window = datetime.now(UTC) + timedelta(hours=2)
    order = _ok(
        hub.post(
            f"/api/v1/stores/{store['id']}/orders",
            headers={"Idempotency-Key": "demo-flowhub-1"},
            json={
                "customer": DELIVERY_SHOPPER,
                "fulfillment": "delivery",
                "notes": "Leave with the concierge",
                "delivery_address": {"line1": "9 Lake Rd", "city": "Detroit", "state": "MI", "postcode": "48201"},
                "fees": [{"name": "Delivery", "amount_cents": 499}],
                "window_start": window.isoformat(),
                "window_end": (window + timedelta(hours=1)).isoformat(),
                "lines": [{"product_id": product["id"], "quantity": 2}],
            },
        )
    )
    held = _ok(hub.get(f"/api/v1/products/{product['id']}"))
    story.say(
        f"Order #{order['number']} (a random number: this store turned it on), delivery with notes, a "
        f"$4.99 fee and a window; {product['name']} now has {held['available_quantity']} available."
    )

    story.step("12. Confirmed: pushed through Order Ahead, marked fulfilled, and Flowhub's count takes over")
    _ok(hub.post(f"/api/v1/orders/{order['id']}/confirm"))
    detail = _pushed(hub, order["id"], "Flowhub")
    after = _ok(hub.get(f"/api/v1/products/{product['id']}"))
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
        _ok(sandbox.post(f"/_sandbox/orders/{pos_id}/status", json={"status": status}))
        moved = _wait_for(
            lambda ours=ours: (d := _ok(hub.get(f"/api/v1/orders/{order['id']}")))["status"] == ours and d,
            f"the {status} postback",
            10,
        )
        story.say(f"Flowhub {status!r} → [bold]{moved['status'].replace('_', ' ')}[/]")
    s["status"] = moved["status"]
    if moved["status"] != "closed":
        raise DemoFailed(f"the Flowhub order ended {moved['status']}")


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
    store = _ok(hub.post("/api/v1/stores", json={"name": "Evergreen Main St"}))
    url = f"/api/v1/stores/{store['id']}/integrations/alleaves"
    wrong = hub.put(
        url, json={"credentials": {**ALLEAVES_CREDENTIALS, "password": "guess"}, "settings": {"base_url": sandbox_url}}
    )
    story.say(f"A wrong password is refused at once ({wrong.status_code}): [italic]{wrong.json()['detail']}[/]")
    connected = _ok(hub.put(url, json={"credentials": ALLEAVES_CREDENTIALS, "settings": {"base_url": sandbox_url}}))
    story.say("Areas: " + ", ".join(f"{a['name']} ({a['detail']})" for a in connected["locations"]))
    retail = [a["id"] for a in connected["locations"] if a["name"] == "Retail"]
    chosen = _ok(
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
    _sync_with_progress(story, hub, integration_id, "menu_sync")
    counts = _first_sync(hub, integration_id)
    s["menu_sync"] = counts
    every = _ok(hub.get(f"/api/v1/stores/{store['id']}/products", params={"limit": 200, "include_hidden": True}))
    below = [p for p in every["data"] if not p["visible"]]
    story.say(
        f"{counts.get('created', 0)} products; {len(below)} at or below the location's low-quantity "
        f"threshold are kept at 0 and off the menu; {counts.get('left_out_terpenes', 0)} terpene entries "
        f"typed outside the sixteen names were left out; {counts.get('quarantined', 0)} records quarantined."
    )
    tiered = next((p for p in every["data"] if p["price_tiers"] and p["visible"]), None)
    if tiered:
        story.say(
            f"{tiered['name']}: " + ", ".join(f"{t['label']} {_money(t['price_cents'])}" for t in tiered["price_tiers"])
        )
    s["held_off_menu"] = len(below)
    stocked = [p for p in every["data"] if p["visible"] and p["available_quantity"] >= 2]
    if not stocked:
        raise DemoFailed("the Alleaves sandbox has no stocked products")

    story.step("16. A new medical patient orders a delivery for tonight")
    window = datetime.now(UTC) + timedelta(hours=4)
    order = _ok(
        hub.post(
            f"/api/v1/stores/{store['id']}/orders",
            headers={"Idempotency-Key": "demo-alleaves-1"},
            json={
                "customer": NEW_PATIENT,
                "is_medical": True,
                "fulfillment": "delivery",
                "delivery_address": {"line1": "4 Pine St", "city": "Eugene", "state": "OR", "postcode": "97401"},
                "window_start": window.isoformat(),
                "window_end": (window + timedelta(hours=1)).isoformat(),
                "lines": [{"product_id": stocked[0]["id"], "quantity": 1}],
            },
        )
    )
    _ok(hub.post(f"/api/v1/orders/{order['id']}/confirm"))
    detail = _pushed(hub, order["id"], "Alleaves")
    how = next((e["detail"] for e in detail["history"] if e["kind"] == "push" and "POS order" in e["detail"]), "")
    story.say(
        f"#{detail['number']} → Alleaves order [bold]{detail['pos_order_id']}[/] with its delivery window; "
        f"{how} (no medical id or phone matched, so a patient profile was created)."
    )
    s["order"] = {"number": detail["number"], "alleaves_order_id": detail["pos_order_id"]}

    story.step("17. Alleaves moves it along; the 2-minute poll brings each status back, never backwards")
    pos_id = detail["pos_order_id"]
    for status in ("accepted", "in_progress", "ready", "out_for_delivery"):
        _ok(sandbox.post(f"/_sandbox/orders/{pos_id}/status", json={"status": status}))
    _sync_with_progress(story, hub, integration_id, "order_status")
    moving = _ok(hub.get(f"/api/v1/orders/{order['id']}"))
    story.say(f"Alleaves says {moving['pos_status']!r} → [bold]{moving['status'].replace('_', ' ')}[/]")
    _ok(sandbox.post(f"/_sandbox/orders/{pos_id}/status", json={"status": "completed"}))
    _sync_with_progress(story, hub, integration_id, "order_status")
    done = _ok(hub.get(f"/api/v1/orders/{order['id']}"))
    story.say(f"Alleaves says {done['pos_status']!r} → [bold]{done['status']}[/]; the hold is released.")
    s["status"] = done["status"]
    if done["status"] != "closed":
        raise DemoFailed(f"the Alleaves order ended {done['status']}")


def tell_loyalty(
    story: Story, hub: httpx2.Client, flourish: httpx2.Client, texts: httpx2.Client, urls: dict[str, str]
) -> None:
    s: dict[str, Any] = story.summary.setdefault("loyalty", {})
    story.step("18. The group's loyalty program connects to Flourish: Username, Key, Regions, then Connect")
    source_body = {
        "vendor": "flourish_loyalty",
        "name": "Flourish (Michigan)",
        "credentials": {"username": "demo", "api_key": "demo-key"},
        "settings": {"base_url": urls["flourish"], "regions": ["MI"], "requests_per_second": 100},
    }
    refused = hub.post("/api/v1/integrations", json=source_body)
    story.say(
        f"Connect without the age-gate box ticked is refused ({refused.status_code}): "
        f"[italic]{refused.json()['detail']}[/]"
    )
    source_body["settings"]["age_gate_attested"] = True
    source = _ok(hub.post("/api/v1/integrations", json=source_body))["id"]
    gateway = _ok(
        hub.post(
            "/api/v1/integrations",
            json={
                "vendor": "sms",
                "name": "Texts",
                "credentials": {"api_key": "sms-demo-key", "signing_secret": "sms-demo-secret"},
                "settings": {"base_url": urls["sms"]},
            },
        )
    )
    _ok(texts.post("/_sandbox/config", json={"inbound_url": urls["api"] + gateway["inbound_path"]}))
    _ok(hub.patch("/api/v1/loyalty/program", json={"name": "Green Leaf Rewards", "points_per_dollar": 1}))
    story.say("Connected, with an SMS gateway for double opt-ins. Green Leaf Rewards: 1 point per dollar.")

    story.step("19. Shoppers and sales arrive; each Flourish location is mapped to a retail store")
    run = _sync_with_progress(story, hub, source, loyalty.PULL)
    people = _ok(hub.get("/api/v1/loyalty/personas", params={"limit": 200}))
    notes = _ok(hub.get("/api/v1/loyalty/notifications"))
    story.say(
        f"{people['total']} personas, sourced from Flourish. Unmapped stores: "
        + ", ".join(n["location_key"] for n in notes)
    )
    stores = {store["name"]: store["id"] for store in _ok(hub.get("/api/v1/stores"))}
    mapping = next(n for n in notes if n["location_key"] == "101")
    _ok(
        hub.put(
            f"/api/v1/loyalty/store-mappings/{mapping['mapping_id']}", json={"store_id": stores["Green Leaf Downtown"]}
        )
    )
    left = [n["location_key"] for n in _ok(hub.get("/api/v1/loyalty/notifications"))]
    story.say(f"Location 101 → Green Leaf Downtown. Still to map: {', '.join(left)} (nothing from it is lost).")
    s.update(personas=people["total"], pulled=run["counts"], unmapped_after_mapping=left)

    story.step("20. Shoppers who bought in the last 30 days are enrolled; their sales earn points, once each")
    cutoff = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    preview = _ok(hub.post("/api/v1/loyalty/program/dates/preview", json={"enroll_after": cutoff}))
    story.say(
        f"Before saving: would enrol {preview['would_enroll']}, nobody loses membership "
        f"({preview['would_lose_membership']}) or points ({preview['would_lose_points']})."
    )
    _ok(hub.put("/api/v1/loyalty/program/dates", json={"enroll_after": cutoff}))
    pos = httpx2.Client(base_url=urls["api"], auth=("demo", "demo-key"), timeout=30)
    shopper = "70001"
    customer = next(c for c in _ok(flourish.get("/_sandbox/customers"))["data"] if c["id"] == shopper)
    _ok(
        flourish.post(
            "/_sandbox/sales",
            json={
                "facility_id": "101",
                "customer_id": shopper,
                "lines": [{"item_id": "10002", "order_qty": 2, "unit_price": 60}],
            },
        )
    )
    _sync_with_progress(story, hub, source, loyalty.PULL)
    _sync_with_progress(story, hub, source, loyalty.PULL)
    balance = _ok(pos.get(f"/pos/v1/loyalty/customers/{shopper}/rewards"))["balance"]
    story.say(
        f"{customer['first_name']} {customer['last_name']} spent $120 at Ann Arbor: {balance} points (two pulls of "
        "the same sale earned once)."
    )
    s.update(enrolled=preview["would_enroll"], points_before_redemption=balance)

    story.step("21. At the register, Flourish asks what the shopper can redeem and reports the redemption")
    reward = _ok(
        hub.post(
            "/api/v1/loyalty/rewards",
            json={
                "integration_id": source,
                "name": "$5 Off",
                "kind": "flat",
                "value": 5,
                "points_cost": 50,
                "pos_discount_id": "501",
            },
        )
    )
    offer = _ok(pos.get(f"/pos/v1/loyalty/customers/{shopper}/rewards"))
    story.say(
        "Redeemable now: "
        + ", ".join(f"{r['name']} ({r['points_cost']} points)" for r in offer["rewards"] if r["redeemable"])
    )
    redemption = {"customer_id": shopper, "reward_id": reward["id"], "reference": "flourish-txn-88301"}
    charged = _ok(pos.post("/pos/v1/loyalty/redemptions", json=redemption))
    repeated = pos.post("/pos/v1/loyalty/redemptions", json=redemption)
    _ok(
        flourish.post(
            "/_sandbox/sales",
            json={
                "facility_id": "101",
                "customer_id": shopper,
                "lines": [{"item_id": "10002", "order_qty": 1, "unit_price": 0}],
                "applied_discounts": [{"discount_id": "501", "discount_amount": 5}],
            },
        )
    )
    _sync_with_progress(story, hub, source, loyalty.PULL)
    after = _ok(pos.get(f"/pos/v1/loyalty/customers/{shopper}/rewards"))["balance"]
    pos.close()
    story.say(
        f"Redeemed: {balance} → {charged['balance']} points; the POS retried the same redemption "
        f"({repeated.status_code}, not charged again), and the sale that used discount 501 was matched to "
        f"it when it synced: still {after} points."
    )
    s.update(points_after_redemption=after)
    if after != balance - 50:
        raise DemoFailed(f"expected {balance - 50} points after the redemption, got {after}")

    story.step("22. SMS double opt-in for shoppers who bought in the last 2 weeks")
    cutoff = (datetime.now(UTC) - timedelta(days=14)).date().isoformat()
    preview = _ok(
        hub.post(
            "/api/v1/loyalty/program/dates/preview",
            json={
                "enroll_after": (datetime.now(UTC) - timedelta(days=30)).date().isoformat(),
                "sms_opt_in_after": cutoff,
            },
        )
    )
    _ok(
        hub.put(
            "/api/v1/loyalty/program/dates",
            json={
                "enroll_after": (datetime.now(UTC) - timedelta(days=30)).date().isoformat(),
                "sms_opt_in_after": cutoff,
            },
        )
    )
    _sync_with_progress(story, hub, gateway["id"], loyalty.OPT_IN)
    sent = _ok(texts.get("/_sandbox/messages"))["data"]
    reply = _ok(texts.post("/_sandbox/reply", json={"from": sent[0]["to"], "body": "YES"}))
    consent = next(
        p["consent"].get("sms")
        for p in _ok(hub.get("/api/v1/loyalty/personas", params={"limit": 200}))["data"]
        if p["phone"] and f"+1{p['phone']}" == sent[0]["to"]
    )
    story.say(
        f"{len(sent)} opt-in requests texted (preview said {preview['would_request_sms_opt_in']}); "
        f"{sent[0]['to']} replied YES ({reply['status_code']}) → [bold]{consent}[/]."
    )
    s.update(opt_in_requested=len(sent), opt_in_confirmed=consent == "confirmed")
    if consent != "confirmed":
        raise DemoFailed(f"the opt-in reply left the consent {consent}")


def _leaflink_status(leaflink: httpx2.Client, number: str) -> str:
    orders = _ok(leaflink.get("/_sandbox/orders"))
    return str(
        next(o["status"] for o in (orders if isinstance(orders, list) else orders["data"]) if o["number"] == number)
    )


def tell_wholesale(
    story: Story, hub: httpx2.Client, flourish: httpx2.Client, leaflink: httpx2.Client, urls: dict[str, str]
) -> None:
    s: dict[str, Any] = story.summary.setdefault("wholesale", {})
    story.step("23. Wholesale: Flourish facility 101 is bridged with two LeafLink seller accounts")
    stores = {store["name"]: store["id"] for store in _ok(hub.get("/api/v1/stores"))}
    pos = _ok(hub.get(f"/api/v1/stores/{stores['Green Leaf Downtown']}/integrations"))[0]
    _ok(
        hub.patch(
            f"/api/v1/integrations/{pos['id']}",
            json={
                "credentials": {"username": "demo", "api_key": "demo-key", "webhook_key": "flourish-demo-webhook-key"}
            },
        )
    )
    links = {}
    for company, key, brands in (
        (1, "ll-key-company-1", ["Glacier Lake", "North Coast"]),
        (2, "ll-key-company-2", ["Lakeshore Botanicals"]),
    ):
        link = _ok(
            hub.post(
                "/api/v1/integrations",
                json={
                    "vendor": "leaflink",
                    "name": f"LeafLink company {company}",
                    "credentials": {"api_key": key, "webhook_key": "ll-demo-webhook-key"},
                    "settings": {
                        "base_url": f"{urls['leaflink']}/api/v2",
                        "flourish_integration_id": pos["id"],
                        "brands": brands,
                        "create_on": ["submitted", "accepted"],
                        "requests_per_second": 50,
                    },
                },
            )
        )
        links[company] = link
        _ok(
            leaflink.post(
                "/_sandbox/config", json={"webhook_url": urls["api"] + link["inbound_path"], "company_id": company}
            )
        )
        story.say(f"LeafLink company {company} sells {', '.join(brands)}: an item's brand picks its account.")
    integration = _ok(hub.get(f"/api/v1/integrations/{pos['id']}"))
    _ok(
        flourish.post(
            "/_sandbox/webhooks/config",
            json={"url": urls["api"] + integration["inbound_path"], "key": "flourish-demo-webhook-key"},
        )
    )
    s["links"] = {company: link["id"] for company, link in links.items()}

    story.step("24. Flourish items enabled for e-commerce become LeafLink products, listed Available")
    for link in links.values():
        _sync_with_progress(story, hub, link["id"], "wholesale_sync")
    listed = _ok(leaflink.get("/_sandbox/products"))
    bridged = [
        p
        for p in (listed if isinstance(listed, list) else listed["data"])
        if isinstance(p.get("external_ids"), dict) and "flourish" in p["external_ids"]
    ]
    made = {company: sum(1 for p in bridged if p["seller"] == company) for company in links}
    # (counted in LeafLink: the first run, scheduled at connect, may have made them before the Sync click)
    story.say(f"Products listed from Flourish: {made[1]} for company 1, {made[2]} for company 2.")
    s["products_created"] = made

    story.step("25. A stock change in Flourish reaches LeafLink by webhook, in about a second")
    products = _ok(leaflink.get("/_sandbox/products"))
    products = products if isinstance(products, list) else products["data"]
    ours = [
        p
        for p in products
        if isinstance(p.get("external_ids"), dict) and "flourish" in p["external_ids"] and p["seller"] == 1
    ]
    product = ours[0]
    started = time.monotonic()
    _ok(
        flourish.post(
            f"/_sandbox/items/{product['external_ids']['flourish']}/quantity",
            json={"facility_id": "101", "sellable_qty": 42},
        )
    )
    _wait_for(
        lambda: (
            float(
                next(
                    p
                    for p in (lambda r: r if isinstance(r, list) else r["data"])(
                        _ok(leaflink.get("/_sandbox/products"))
                    )
                    if p["id"] == product["id"]
                )["quantity"]
            )
            == 42
        ),
        "the stock webhook",
    )
    lag = round(time.monotonic() - started, 2)
    story.say(f"{product['name']}: 42 in Flourish → 42 in LeafLink after {lag}s (polling is the safety net).")
    s["stock_lag_seconds"] = lag

    story.step("26. A dispensary orders on LeafLink; Flourish fills it; LeafLink follows every step")
    placed = _ok(
        leaflink.post(
            "/_sandbox/orders",
            json={
                "company_id": 1,
                "customer_id": 1008,
                "status": "Submitted",
                "payment_term_code": "net30",
                "lines": [{"product_id": product["id"], "quantity": 4}],
            },
        )
    )
    number = placed["number"]
    pair = _wait_for(
        lambda: next(
            (
                p
                for p in _ok(hub.get(f"/api/v1/integrations/{links[1]['id']}/wholesale-orders"))
                if p["leaflink_number"] == number and p["flourish_order_id"]
            ),
            None,
        ),
        "the Flourish outbound order",
    )
    story.say(
        f"LeafLink order {placed['short_id']} (a new buyer, Net 30) → Flourish outbound order "
        f"[bold]{pair['flourish_order_id']}[/] with payment term {pair['payment_term']!r}."
    )
    for status in ("Partially Allocated", "Allocated", "Shipped"):
        _ok(
            flourish.post(
                f"/_sandbox/outbound-orders/{pair['flourish_order_id']}/status", json={"order_status": status}
            )
        )
        _sync_with_progress(story, hub, links[1]["id"], "wholesale_sync")
        story.say(f"Flourish {status!r} → LeafLink [bold]{_leaflink_status(leaflink, number)}[/]")
    s["order"] = {
        "leaflink_number": number,
        "flourish_order_id": pair["flourish_order_id"],
        "payment_term": pair["payment_term"],
        "leaflink_status": _leaflink_status(leaflink, number),
    }
    if s["order"]["leaflink_status"] != "Shipped":
        raise DemoFailed(f"the LeafLink order ended {s['order']['leaflink_status']}")


def run_demo(settings: Settings, *, once: bool, json_out: bool, items: int, seed: int) -> bool:
    console = Console(stderr=json_out)
    story = Story(console)
    demo_dir = settings.data_dir / "demo"
    shutil.rmtree(demo_dir, ignore_errors=True)
    settings = settings.model_copy(update={"data_dir": demo_dir, "database_url": None, "tick_seconds": 1.0})
    configure_logging("WARNING")
    runtime = Runtime(settings)
    workers = EmbeddedWorkers(runtime.db, workers=settings.workers, tick_seconds=settings.tick_seconds)
    # The same Flourish company serves the store and the loyalty program, with a few weeks of in-store sales.
    flourish_server = BackgroundServer(flourish_sandbox.create_app(items=items, seed=seed, sales=25)).start()
    sms_server = BackgroundServer(sms_sandbox.create_app()).start()
    leaflink_server = BackgroundServer(leaflink_sandbox.create_app(seed=seed)).start()
    flowhub_server = BackgroundServer(flowhub_sandbox.create_app(items=items, seed=seed)).start()
    alleaves_server = BackgroundServer(alleaves_sandbox.create_app(items=items, seed=seed)).start()
    hub_server = BackgroundServer(create_site(runtime.db, workers.dispatcher)).start()
    workers.dispatcher.public_url = hub_server.url
    workers.start()
    password = secrets.token_urlsafe(9)  # a fresh one each run: the demo's database is new each run too
    with runtime.db.uow() as uow:
        org = uow.accounts.organization_named("Green Leaf Cannabis Co.")
        token = uow.accounts.issue_token(org.id, "demo")
        uow.users.set_user(org.id, DEMO_EMAIL, password)
    urls = {
        "console": f"{hub_server.url}/console",
        "api": hub_server.url,
        "docs": f"{hub_server.url}/docs",
        "flourish": f"{flourish_server.url}/external/api",
        "flowhub": flowhub_server.url,
        "alleaves": alleaves_server.url,
        "sms": sms_server.url,
        "leaflink": leaflink_server.url,
    }
    ok = True
    try:
        with (
            httpx2.Client(base_url=hub_server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as hub,
            httpx2.Client(base_url=flourish_server.url, timeout=30) as flourish,
            httpx2.Client(base_url=flowhub_server.url, timeout=30) as flowhub,
            httpx2.Client(base_url=alleaves_server.url, timeout=30) as alleaves,
            httpx2.Client(base_url=sms_server.url, timeout=30) as texts,
            httpx2.Client(base_url=leaflink_server.url, timeout=30) as leaflink,
        ):
            console.print(
                f"[dim]cannasync: {urls['docs']} · Flourish sandbox: {urls['flourish']} · "
                f"Flowhub sandbox: {urls['flowhub']} · Alleaves sandbox: {urls['alleaves']}[/]"
            )
            try:
                tell_flourish(story, hub, flourish, urls["flourish"])
                tell_reconcile(story, hub, flourish)
                tell_flowhub(story, hub, flowhub, urls["flowhub"])
                tell_alleaves(story, hub, alleaves, urls["alleaves"])
                tell_loyalty(story, hub, flourish, texts, urls)
                tell_wholesale(story, hub, flourish, leaflink, urls)
            except DemoFailed as failure:
                ok = False
                story.summary["error"] = str(failure)
                console.print(f"[red bold]The demo stopped:[/] {failure}")
        store_id = story.summary.get("flourish", {}).get("store_id")
        urls["store"] = f"{hub_server.url}/shop/{store_id}" if store_id else f"{hub_server.url}/shop"
        story.summary["ok"] = ok
        story.summary["urls"] = urls
        story.summary["token"] = token
        story.summary["sign_in"] = {"email": DEMO_EMAIL, "password": password}
        if json_out:
            sys.stdout.write(json.dumps(story.summary, indent=2) + "\n")
        else:
            story.step("Done" if ok else "Stopped")
        # Unwrapped, so the addresses and the password can be copied from any terminal width.
        console.print(f"\n[bold]Merchant console:[/] {urls['console']}", soft_wrap=True)
        console.print(f"[bold]Sign in as:[/] {DEMO_EMAIL} / {password}", soft_wrap=True)
        console.print(f"[bold]Online store:[/] {urls['store']}", soft_wrap=True)
        if not once:
            console.print(f"cannasync API: {urls['docs']}  (Authorization: Bearer {token})")
            console.print(f"Flourish sandbox: {urls['flourish']}  (x-api-key: demo-key)")
            console.print(f"Flowhub sandbox: {urls['flowhub']}")
            console.print(f"Alleaves sandbox: {urls['alleaves']}/api/v1  (ALV-1001, demo / demo-pass)\nCtrl-C to stop.")
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
    finally:
        # The API first (no new work), then the workers (runs in flight finish against live vendors), then vendors.
        hub_server.stop()
        workers.stop()
        for server in (flourish_server, flowhub_server, alleaves_server, sms_server, leaflink_server):
            server.stop()
        runtime.close()
    return ok
