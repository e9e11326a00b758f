"""The reconciliation story: drift injected in Flourish is found, explained and repaired."""

from __future__ import annotations

from typing import Any

import httpx2

from cannasync.cli.demo.flourish import FACILITY
from cannasync.cli.demo.steps import DemoFailed, Story, ok, wait_for


def _reconcile(hub: httpx2.Client, integration_id: int) -> dict[str, Any]:
    run_id = ok(hub.post(f"/api/v1/integrations/{integration_id}/reconcile"))["run_id"]
    wait_for(lambda: ok(hub.get(f"/api/v1/runs/{run_id}"))["status"] in ("succeeded", "failed"), "the reconciliation")
    report = dict(ok(hub.get(f"/api/v1/integrations/{integration_id}/reconciliation")))
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
        for p in ok(hub.get(f"/api/v1/stores/{store_id}/products", params={"limit": 200}))["data"]
        if p["sku"] and p["visible"]
    }
    page = ok(
        sandbox.get(
            "/external/api/v1/items/",
            params={"active": "true", "ecommerce_active": "true", "sellable": "true", "limit": 50},
            headers={"x-api-key": "demo-key"},
        )
    )["data"]
    recounted, deleted = [item for item in page if item.get("sku") in shown][:2]
    counted = shown[recounted["sku"]]["pos_quantity"] + 6
    ok(
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
    # "Why does the store show this count?": the product's history names the run that changed it.
    product_id = shown[recounted["sku"]]["id"]
    latest = ok(hub.get(f"/api/v1/products/{product_id}/history"))[0]
    moved = latest["changes"]["pos_quantity"]
    story.say(
        f"Its history: count {moved['from']} → {moved['to']}, by {latest['by']} "
        f"(GET /api/v1/products/{product_id}/history; the console's product slide-out shows the same)."
    )
    s["history_by"] = latest["flow"]
    again = _reconcile(hub, integration_id)
    s["after"] = len(again["differences"])
    story.say(f"A second reconciliation right after finds {s['after']} differences: the store agrees with Flourish.")
    tell_account_check(story, hub, integration_id)


def tell_account_check(story: Story, hub: httpx2.Client, integration_id: int) -> None:
    """The read-only account check over the API, on the saved connection (what `cannasync doctor` does)."""
    story.step("8c. Before trusting an account with orders: check it with reads only (POST …/check)")
    report = ok(hub.post(f"/api/v1/integrations/{integration_id}/check"))
    for finding in report["findings"]:
        story.say(f"  • [{finding['status']}] {finding['check']}: {finding['summary']}")
    writes = [call for call in report["calls"] if call["method"] != "GET"]
    verdict = "usable" if report["usable"] else "NOT usable"
    story.say(f"Verdict: {verdict}; {len(report['calls'])} calls, {len(writes)} of them writes; no secret in it.")
    story.summary["reconcile"]["account_check"] = {"usable": report["usable"], "writes": len(writes)}
