"""The Orders screen in a real browser: open an order's slide-out, confirm it, watch the Flourish order id arrive
and the status follow Flourish; then the Health screen."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.conftest import Connected, Hub, Sandbox
from tests.flows.support import MEDICAL_PATIENT, place, stocked


def test_confirm_an_order_and_follow_it_into_flourish(page: Page, hub: Hub, flourish: Sandbox, connected: Connected):
    products = stocked(hub, connected, count=3)
    for i, shopper in enumerate(
        [
            {"first_name": "Ada", "last_name": "Stone", "phone": "5550102030", "date_of_birth": "1990-05-17"},
            {"first_name": "Sam", "last_name": "Okafor", "email": "sam@example.com", "date_of_birth": "1988-01-09"},
        ]
    ):
        place(hub, connected, {"customer": shopper, "lines": [{"product_id": products[i]["id"], "quantity": 1}]})
    order = place(
        hub,
        connected,
        {
            "customer": MEDICAL_PATIENT,
            "is_medical": True,
            "lines": [
                {"product_id": products[0]["id"], "quantity": 2},
                {"product_id": products[2]["id"], "quantity": 1},
            ],
            "offers": [{"label": "First-time patient 10%", "kind": "percent", "value": "10"}],
            "fees": [{"name": "Bag fee", "amount_cents": 10}],
            "notes": "Please have it ready by 5",
        },
    )
    sign_in(page, hub)
    page.goto(f"/console/stores/{connected.store_id}/orders")
    expect(page.get_by_test_id("order-row")).to_have_count(3)
    screenshot(page, "orders")

    row = page.locator(f"[data-testid=order-row][data-order-id='{order['id']}']")
    row.click()
    detail = page.get_by_test_id("order-detail")
    expect(detail.get_by_role("dialog")).to_be_visible()
    expect(detail.get_by_test_id("order-status")).to_have_text("Pending")
    expect(detail).to_contain_text("MED-100200")
    screenshot(page, "order-detail-pending")

    detail.get_by_role("button", name="Confirm order").click()
    pos_order_id = detail.get_by_test_id("pos-order-id").locator("code")
    expect(pos_order_id).to_be_visible(timeout=15_000)  # the slide-out refreshes itself until the id arrives
    flourish_id = pos_order_id.inner_text()
    assert flourish_id == hub.order(order["id"])["pos_order_id"]
    expect(detail.get_by_test_id("order-status")).to_have_text("Submitted")
    expect(row.get_by_test_id("row-pos-order-id")).to_have_text(flourish_id)  # the list follows too
    screenshot(page, "order-detail")

    flourish.move(flourish_id, "Completed")
    hub.sync(connected.integration_id, "order_status")
    expect(detail.get_by_test_id("order-status")).to_have_text("Closed", timeout=10_000)
    expect(detail.get_by_test_id("pos-status")).to_have_text("Completed")
    expect(row.get_by_test_id("row-status")).to_have_text("Closed")

    page.locator("#slideout .slideout").evaluate("panel => panel.scrollTo(0, panel.scrollHeight)")
    expect(detail.get_by_test_id("history")).to_contain_text("in the POS as " + flourish_id)
    screenshot(page, "order-detail-history")

    page.keyboard.press("Escape")
    expect(page.get_by_test_id("order-detail")).to_have_count(0)
    expect(row).to_be_focused()  # back where the merchant was, though Confirm re-rendered the row

    # Flourish starts refusing the key: the next menu sync fails and Health turns that row red.
    flourish.fault(method="GET", path_prefix="/external/api/v1/items", status=401, count=50)
    assert hub.sync(connected.integration_id)["status"] == "failed"
    page.goto("/console/health")
    menu = page.locator("[data-testid=health-row][data-flow=menu_sync]")
    expect(menu).to_have_attribute("data-state", "bad")
    expect(menu.get_by_test_id("health-reason")).to_have_text("The last run failed")
    menu.get_by_text("Recent runs").click()
    screenshot(page, "health")
