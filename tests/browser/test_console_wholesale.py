"""The Wholesale pages in a real browser: an account's link and rules, routing tables, orders on both sides."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.conftest import Hub, Wholesale


def _listing(body: Any) -> list[dict[str, Any]]:
    return list(body["data"] if isinstance(body, dict) else body)


def test_links_rules_routing_and_order_pairs(page: Page, hub: Hub, wholesale: Wholesale):
    hub.sync(wholesale.link_id, "wholesale_sync")
    product = next(
        p["id"]
        for p in _listing(wholesale.leaflink.control.get("/_sandbox/products").json())
        if isinstance(p.get("external_ids"), dict) and "flourish" in p["external_ids"]
    )
    placed = wholesale.leaflink.control.post(
        "/_sandbox/orders",
        json={
            "company_id": 1,
            "customer_id": 1001,
            "status": "Submitted",
            "lines": [{"product_id": product, "quantity": 2}],
        },
    ).json()
    hub.sync(wholesale.link_id, "wholesale_sync")
    sign_in(page, hub)

    page.goto("/console/wholesale")
    expect(page).to_have_title("Accounts & rules · Wholesale · cannasync")  # each tab its own title
    card = page.locator(f"#link-{wholesale.link_id}")
    expect(card.get_by_test_id("link-state")).to_have_text("Linked")
    inventory = card.get_by_role("switch", name="Inventory levels follow Flourish")
    expect(inventory).to_be_checked()
    expect(card.get_by_text("Off: you manage quantities in LeafLink")).to_be_hidden()
    inventory.uncheck()
    expect(card.get_by_text("Off: you manage quantities in LeafLink")).to_be_visible()  # says what off means
    card.get_by_role("button", name="Save").click()
    card = page.locator(f"#link-{wholesale.link_id}")
    expect(card.get_by_text("Saved. The next sync follows these settings.")).to_be_visible()
    expect(card.get_by_role("switch", name="Inventory levels follow Flourish")).not_to_be_checked()
    screenshot(page, "wholesale")

    tabs = page.get_by_role("navigation", name="Wholesale")
    tabs.get_by_role("link", name="Routing").click()
    expect(page).to_have_title("Routing · Wholesale · cannasync")
    page.get_by_label("New sales rep").first.fill("102")
    page.get_by_label("Facility for the new rep").first.fill("102")
    page.get_by_role("button", name="Save sales reps").click()
    expect(page.get_by_text("sales rep routing saved")).to_be_visible()
    screenshot(page, "wholesale-routing")

    tabs.get_by_role("link", name="Orders").click()
    expect(page).to_have_title("Orders · Wholesale · cannasync")
    row = page.locator(f'tr[data-order="{placed["number"]}"]')
    expect(row.get_by_test_id("leaflink-status")).to_be_visible()
    expect(row.get_by_test_id("flourish-status")).to_be_visible()
    screenshot(page, "wholesale-orders")
