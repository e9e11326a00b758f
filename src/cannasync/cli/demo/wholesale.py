"""The wholesale story: the Flourish ↔ LeafLink bridge lists products, carries stock and order statuses."""

from __future__ import annotations

import time
from typing import Any

import httpx2

from cannasync.cli.demo.steps import DemoFailed, Story, ok, sync_with_progress, wait_for


def _leaflink_status(leaflink: httpx2.Client, number: str) -> str:
    orders = ok(leaflink.get("/_sandbox/orders"))
    return str(
        next(o["status"] for o in (orders if isinstance(orders, list) else orders["data"]) if o["number"] == number)
    )


def tell_wholesale(
    story: Story, hub: httpx2.Client, flourish: httpx2.Client, leaflink: httpx2.Client, urls: dict[str, str]
) -> None:
    s: dict[str, Any] = story.summary.setdefault("wholesale", {})
    story.step("23. Wholesale: Flourish facility 101 is bridged with two LeafLink seller accounts")
    stores = {store["name"]: store["id"] for store in ok(hub.get("/api/v1/stores"))}
    pos = ok(hub.get(f"/api/v1/stores/{stores['Green Leaf Downtown']}/integrations"))[0]
    ok(
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
        link = ok(
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
        ok(
            leaflink.post(
                "/_sandbox/config", json={"webhook_url": urls["api"] + link["inbound_path"], "company_id": company}
            )
        )
        story.say(f"LeafLink company {company} sells {', '.join(brands)}: an item's brand picks its account.")
    integration = ok(hub.get(f"/api/v1/integrations/{pos['id']}"))
    ok(
        flourish.post(
            "/_sandbox/webhooks/config",
            json={"url": urls["api"] + integration["inbound_path"], "key": "flourish-demo-webhook-key"},
        )
    )
    s["links"] = {company: link["id"] for company, link in links.items()}

    story.step("24. Flourish items enabled for e-commerce become LeafLink products, listed Available")
    for link in links.values():
        sync_with_progress(story, hub, link["id"], "wholesale_sync")
    listed = ok(leaflink.get("/_sandbox/products"))
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
    products = ok(leaflink.get("/_sandbox/products"))
    products = products if isinstance(products, list) else products["data"]
    ours = [
        p
        for p in products
        if isinstance(p.get("external_ids"), dict) and "flourish" in p["external_ids"] and p["seller"] == 1
    ]
    product = ours[0]
    started = time.monotonic()
    ok(
        flourish.post(
            f"/_sandbox/items/{product['external_ids']['flourish']}/quantity",
            json={"facility_id": "101", "sellable_qty": 42},
        )
    )
    wait_for(
        lambda: (
            float(
                next(
                    p
                    for p in (lambda r: r if isinstance(r, list) else r["data"])(ok(leaflink.get("/_sandbox/products")))
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
    placed = ok(
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
    pair = wait_for(
        lambda: next(
            (
                p
                for p in ok(hub.get(f"/api/v1/integrations/{links[1]['id']}/wholesale-orders"))
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
        ok(
            flourish.post(
                f"/_sandbox/outbound-orders/{pair['flourish_order_id']}/status", json={"order_status": status}
            )
        )
        sync_with_progress(story, hub, links[1]["id"], "wholesale_sync")
        story.say(f"Flourish {status!r} → LeafLink [bold]{_leaflink_status(leaflink, number)}[/]")
    s["order"] = {
        "leaflink_number": number,
        "flourish_order_id": pair["flourish_order_id"],
        "payment_term": pair["payment_term"],
        "leaflink_status": _leaflink_status(leaflink, number),
    }
    if s["order"]["leaflink_status"] != "Shipped":
        raise DemoFailed(f"the LeafLink order ended {s['order']['leaflink_status']}")
