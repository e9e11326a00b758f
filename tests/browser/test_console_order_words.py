"""What the order and Health screens say, checked as a merchant reads them: tab counts that follow Confirm and
Cancel, a push that timed out and then went through says "Done" and nothing else, a delivery order's ID check
says "at delivery", phones read as phones, and Health names the opt-in flow and its interval as people write."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.conftest import Hub, Sandbox, connect_flourish, connect_sms
from tests.flows.support import place, stocked

DELIVERY = {
    "customer": {
        "first_name": "Dee",
        "last_name": "Livery",
        "email": "dee@example.com",
        "phone": "5554443333",
        "date_of_birth": "1979-11-02",
    },
    "fulfillment": "delivery",
    "delivery_address": {"line1": "1 Main St", "city": "Ann Arbor", "state": "MI", "postcode": "48104"},
    "window_start": "2026-12-01T18:00:00Z",
    "window_end": "2026-12-01T19:00:00Z",
}


def tab_count(page: Page, status: str) -> str:
    return page.get_by_test_id(f"tab-{status}").locator(".tab-count").inner_text()


def test_counts_pushes_id_checks_and_phones_read_right(page: Page, hub: Hub, flourish: Sandbox, sms: Sandbox):
    link = connect_flourish(hub, flourish, sync_orders=True, require_medical_verification=True, timeout_seconds=0.5)
    assert hub.first_sync(link.integration_id)["status"] == "succeeded"
    connect_sms(hub, sms)
    first, second, _ = stocked(hub, link)
    delivery = place(hub, link, {**DELIVERY, "lines": [{"product_id": first["id"], "quantity": 1}]})
    pickup = place(
        hub,
        link,
        {
            "customer": {
                "first_name": "Sam",
                "last_name": "Okafor",
                "phone": "5550102030",
                "date_of_birth": "1988-01-09",
            },
            "lines": [{"product_id": second["id"], "quantity": 1}],
        },
    )
    # Flourish takes the order but answers too late once: the hub looks it up and finds it (no second order).
    flourish.fault(
        method="POST", path_prefix="/external/api/v2/retail-orders", mode="timeout_after_commit", delay_seconds=2
    )
    sign_in(page, hub)
    page.goto(f"/console/stores/{link.store_id}/orders")
    expect(page.get_by_test_id("tab-pending").locator(".tab-count")).to_have_text("2")

    page.locator(f"[data-testid=order-row][data-order-id='{delivery['id']}']").click()
    detail = page.get_by_test_id("order-detail")
    expect(detail).to_contain_text("(555) 444-3333")
    detail.get_by_role("button", name="Confirm order").click()
    expect(page.get_by_test_id("tab-pending").locator(".tab-count")).to_have_text("1")  # no reload needed
    expect(detail.get_by_test_id("pos-order-id").locator("code")).to_be_visible(timeout=30_000)
    attempts = detail.get_by_test_id("push-attempts")
    expect(attempts).to_contain_text("Done")
    expect(attempts).not_to_contain_text("outcome unknown")  # the order was found: the outcome is known
    assert hub.order(delivery["id"])["push_attempts"][0]["outcome_unknown"] is True  # it did time out once
    expect(detail.get_by_test_id("needs-verification")).to_have_text("Verify ID at delivery")
    screenshot(page, "order-detail-delivery")
    page.keyboard.press("Escape")

    page.locator(f"[data-testid=order-row][data-order-id='{pickup['id']}']").click()
    detail = page.get_by_test_id("order-detail")
    expect(detail).to_contain_text("(555) 010-2030")
    detail.locator("summary", has_text="Cancel order").click()
    detail.get_by_label("Reason").fill("customer called to cancel")
    detail.get_by_role("button", name="Cancel this order").click()
    expect(detail.get_by_test_id("order-status")).to_have_text("Cancelled")
    expect(page.get_by_test_id("tab-pending").locator(".tab-count")).to_have_text("0")
    expect(page.get_by_test_id("tab-cancelled").locator(".tab-count")).to_have_text("1")
    counts = {status: tab_count(page, status) for status in ("all", "pending", "cancelled")}
    page.reload()
    assert {status: tab_count(page, status) for status in counts} == counts  # what a reload shows, already shown

    page.goto("/console/health")
    opt_in = page.locator("[data-testid=health-row][data-flow=sms_opt_in]")
    expect(opt_in).to_contain_text("SMS opt-in")
    expect(opt_in).to_contain_text("every 24 h")
    expect(opt_in).not_to_contain_text("0 min")
