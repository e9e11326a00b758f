"""The loyalty story: the group's program connects to Flourish, shoppers and sales are pulled, enrolled and earn
points, the register redeems, and an SMS double opt-in is answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2

from cannasync.cli.demo.steps import DemoFailed, Story, ok, sync_with_progress
from cannasync.flows import loyalty


def tell_loyalty(
    story: Story, hub: httpx2.Client, flourish: httpx2.Client, texts: httpx2.Client, urls: dict[str, str]
) -> None:
    s: dict[str, Any] = story.summary.setdefault("loyalty", {})
    story.step("18. The group's loyalty program connects to Flourish: Username, Key, Regions, then Connect")
    source_body: dict[str, Any] = {
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
    source = ok(hub.post("/api/v1/integrations", json=source_body))["id"]
    gateway = ok(
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
    ok(texts.post("/_sandbox/config", json={"inbound_url": urls["api"] + gateway["inbound_path"]}))
    ok(hub.patch("/api/v1/loyalty/program", json={"name": "Green Leaf Rewards", "points_per_dollar": 1}))
    story.say("Connected, with an SMS gateway for double opt-ins. Green Leaf Rewards: 1 point per dollar.")

    story.step("19. Shoppers and sales arrive; each Flourish location is mapped to a retail store")
    run = sync_with_progress(story, hub, source, loyalty.PULL)
    people = ok(hub.get("/api/v1/loyalty/personas", params={"limit": 200}))
    notes = ok(hub.get("/api/v1/loyalty/notifications"))
    story.say(
        f"{people['total']} personas, sourced from Flourish. Unmapped stores: "
        + ", ".join(n["location_key"] for n in notes)
    )
    stores = {store["name"]: store["id"] for store in ok(hub.get("/api/v1/stores"))}
    mapping = next(n for n in notes if n["location_key"] == "101")
    ok(
        hub.put(
            f"/api/v1/loyalty/store-mappings/{mapping['mapping_id']}", json={"store_id": stores["Green Leaf Downtown"]}
        )
    )
    left = [n["location_key"] for n in ok(hub.get("/api/v1/loyalty/notifications"))]
    story.say(f"Location 101 → Green Leaf Downtown. Still to map: {', '.join(left)} (nothing from it is lost).")
    s.update(personas=people["total"], pulled=run["counts"], unmapped_after_mapping=left)

    story.step("20. Shoppers who bought in the last 30 days are enrolled; their sales earn points, once each")
    cutoff = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    preview = ok(hub.post("/api/v1/loyalty/program/dates/preview", json={"enroll_after": cutoff}))
    story.say(
        f"Before saving: would enrol {preview['would_enroll']}, nobody loses membership "
        f"({preview['would_lose_membership']}) or points ({preview['would_lose_points']})."
    )
    ok(hub.put("/api/v1/loyalty/program/dates", json={"enroll_after": cutoff}))
    pos = httpx2.Client(base_url=urls["api"], auth=("demo", "demo-key"), timeout=30)
    shopper = "70001"
    customer = next(c for c in ok(flourish.get("/_sandbox/customers"))["data"] if c["id"] == shopper)
    ok(
        flourish.post(
            "/_sandbox/sales",
            json={
                "facility_id": "101",
                "customer_id": shopper,
                "lines": [{"item_id": "10002", "order_qty": 2, "unit_price": 60}],
            },
        )
    )
    sync_with_progress(story, hub, source, loyalty.PULL)
    sync_with_progress(story, hub, source, loyalty.PULL)
    balance = ok(pos.get(f"/pos/v1/loyalty/customers/{shopper}/rewards"))["balance"]
    story.say(
        f"{customer['first_name']} {customer['last_name']} spent $120 at Ann Arbor: {balance} points (two pulls of "
        "the same sale earned once)."
    )
    s.update(enrolled=preview["would_enroll"], points_before_redemption=balance)

    story.step("21. At the register, Flourish asks what the shopper can redeem and reports the redemption")
    reward = ok(
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
    offer = ok(pos.get(f"/pos/v1/loyalty/customers/{shopper}/rewards"))
    story.say(
        "Redeemable now: "
        + ", ".join(f"{r['name']} ({r['points_cost']} points)" for r in offer["rewards"] if r["redeemable"])
    )
    redemption = {"customer_id": shopper, "reward_id": reward["id"], "reference": "flourish-txn-88301"}
    charged = ok(pos.post("/pos/v1/loyalty/redemptions", json=redemption))
    repeated = pos.post("/pos/v1/loyalty/redemptions", json=redemption)
    ok(
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
    sync_with_progress(story, hub, source, loyalty.PULL)
    after = ok(pos.get(f"/pos/v1/loyalty/customers/{shopper}/rewards"))["balance"]
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
    preview = ok(
        hub.post(
            "/api/v1/loyalty/program/dates/preview",
            json={
                "enroll_after": (datetime.now(UTC) - timedelta(days=30)).date().isoformat(),
                "sms_opt_in_after": cutoff,
            },
        )
    )
    ok(
        hub.put(
            "/api/v1/loyalty/program/dates",
            json={
                "enroll_after": (datetime.now(UTC) - timedelta(days=30)).date().isoformat(),
                "sms_opt_in_after": cutoff,
            },
        )
    )
    sync_with_progress(story, hub, gateway["id"], loyalty.OPT_IN)
    sent = ok(texts.get("/_sandbox/messages"))["data"]
    reply = ok(texts.post("/_sandbox/reply", json={"from": sent[0]["to"], "body": "YES"}))
    consent = next(
        p["consent"].get("sms")
        for p in ok(hub.get("/api/v1/loyalty/personas", params={"limit": 200}))["data"]
        if p["phone"] and f"+1{p['phone']}" == sent[0]["to"]
    )
    story.say(
        f"{len(sent)} opt-in requests texted (preview said {preview['would_request_sms_opt_in']}); "
        f"{sent[0]['to']} replied YES ({reply['status_code']}) → [bold]{consent}[/]."
    )
    s.update(opt_in_requested=len(sent), opt_in_confirmed=consent == "confirmed")
    if consent != "confirmed":
        raise DemoFailed(f"the opt-in reply left the consent {consent}")
