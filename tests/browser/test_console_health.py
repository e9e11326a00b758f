"""Health in a real browser: a failing push and quarantined records are there after a reload, their tiles lead to
them and each item to where it is fixed, a run opens its detail with the vendor calls; and on a phone, Pause."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.conftest import Connected, Hub, Sandbox, wait_for
from tests.flows.support import MEDICAL_PATIENT, place, stocked


def test_a_failing_push_and_quarantined_records_are_listed_linked_and_a_run_opens(
    page: Page, hub: Hub, flourish: Sandbox, connected: Connected
):
    flourish.fault(method="POST", path_prefix="/external/api/v2/retail-orders", status=503, count=1_000_000)
    product = stocked(hub, connected)[0]
    order = place(
        hub,
        connected,
        {"customer": MEDICAL_PATIENT, "is_medical": True, "lines": [{"product_id": product["id"], "quantity": 1}]},
    )
    hub.api.post(f"/api/v1/orders/{order['id']}/confirm")
    wait_for(lambda: hub.order(order["id"])["push_error"], "the push's first failure")

    sign_in(page, hub)
    page.goto("/console/health")
    page.reload()  # what Health shows comes from the database, not from what this page saw happen
    pushes = page.get_by_test_id("health-section-pushes")
    expect(pushes).to_contain_text(f"Order #{order['number']}")
    expect(pushes).to_contain_text("retrying")
    quarantined = page.get_by_test_id("health-section-quarantine")
    expect(quarantined).to_be_visible()
    screenshot(page, "health-problems")

    # Reconciliation is a section of its own, loaded with the page: the connection is there to reconcile.
    reconciliation = page.get_by_test_id("reconciliation")
    expect(reconciliation.get_by_role("heading", name="Reconciliation")).to_be_visible()
    card = reconciliation.locator(f"[data-testid=reconciliation-card][data-integration='{connected.integration_id}']")
    expect(card.get_by_test_id("reconcile-button")).to_be_enabled()
    card.scroll_into_view_if_needed()
    screenshot(page, "health-reconciliation")

    # The tile leads to its list, and the list to the place where it is fixed.
    page.get_by_test_id("health-tile-pushes").click()
    expect(page).to_have_url(re.compile(r"#problem-pushes$"))
    pushes.get_by_role("link", name=re.compile(f"Order #{order['number']}")).click()
    expect(page).to_have_url(re.compile(rf"/orders\?order={order['id']}"))
    expect(page.get_by_role("dialog")).to_contain_text(f"#{order['number']}")

    page.goto("/console/health")
    page.get_by_test_id("health-tile-quarantine").click()
    quarantined.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/products#quarantine-{connected.integration_id}$"))
    expect(page.get_by_test_id("quarantine")).to_be_visible()

    # A run opens its detail: what it did and the vendor calls it made.
    page.goto("/console/health")
    page.locator("[data-testid=health-row][data-flow=menu_sync]").get_by_test_id("run-link").click()
    expect(page.get_by_test_id("run-detail")).to_contain_text("Menu sync")
    expect(page.get_by_test_id("run-call").first).to_contain_text("GET v1/items")
    screenshot(page, "health-run-detail")


def test_pause_a_flow_on_a_phone(phone: Page, hub: Hub, connected: Connected):
    sign_in(phone, hub)
    phone.goto("/console/health")
    row = phone.locator("[data-testid=health-row][data-flow=order_status]")
    row.get_by_test_id("flow-pause").click()
    expect(phone.get_by_role("status")).to_contain_text("Paused")
    phone.reload()
    expect(row).to_have_attribute("data-state", "paused")
    expect(row.get_by_test_id("flow-resume")).to_be_visible()
    expect(phone.get_by_test_id("health-tally")).to_be_visible()
    screenshot(phone, "health-phone")


def test_recent_runs_scroll_inside_their_box_on_a_phone(phone: Page, hub: Hub, connected: Connected):
    """The nested "Recent runs" table is wider than a phone: it scrolls in its own box, the page does not."""
    sign_in(phone, hub)
    phone.goto("/console/health")
    row = phone.locator("[data-testid=health-row][data-flow=menu_sync]")
    row.get_by_text(re.compile(r"Recent runs \(\d+\)")).click()
    runs = row.locator("table.runs")
    expect(runs.locator("tbody tr").first).to_be_visible()
    page_width, screen = phone.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert page_width <= screen, f"the Health page is {page_width}px wide on a {screen}px screen"
    box = runs.evaluate("table => [table.scrollWidth, table.clientWidth, getComputedStyle(table).overflowX]")
    assert box[0] > box[1] and box[2] == "auto", f"the runs table does not scroll in its box: {box}"
    # Scrolled to its end inside its box, the table's last column is on the screen.
    left, right = runs.evaluate(
        "table => { table.scrollLeft = table.scrollWidth; const r = table.querySelector('th:last-child')"
        ".getBoundingClientRect(); return [r.left, r.right] }"
    )
    assert left >= 0 and right <= screen, f"the last column is at {left}-{right}px on a {screen}px screen"
    screenshot(phone, "health-recent-runs-phone")
