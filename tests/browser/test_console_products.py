"""The Products screen in a real browser: Sync with live progress then the counts, and filters narrowing the table."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.conftest import Connected, Hub, Sandbox


def test_sync_shows_live_progress_then_the_counts(page: Page, hub: Hub, flourish: Sandbox, connected: Connected):
    sign_in(page, hub)
    page.goto(f"/console/stores/{connected.store_id}/products")
    panel = page.get_by_test_id("sync-panel")
    expect(panel).to_have_attribute("data-status", "succeeded")  # the last run's counts, on load
    expect(panel.get_by_test_id("run-counts")).to_be_visible()
    expect(panel).to_contain_text("Last sync")

    # Flourish answers slowly for a few pages, so the run can be watched while it reads.
    flourish.fault(method="GET", path_prefix="/external/api/v1/items", mode="delay", delay_seconds=1.2, count=3)
    page.get_by_role("button", name="Sync now").click()
    expect(panel).to_have_attribute("data-status", re.compile("queued|running"))
    expect(page.get_by_test_id("run-status")).to_have_text("Running", timeout=10_000)
    expect(page.get_by_test_id("run-seen")).not_to_have_text("0", timeout=10_000)
    screenshot(page, "products-syncing")
    expect(panel).to_have_attribute("data-status", "succeeded", timeout=20_000)
    expect(panel.locator("[data-count=unchanged] b")).not_to_have_text("0")
    expect(panel.locator("[data-count=created] b")).to_have_text("0")
    expect(page.get_by_role("button", name="Sync now")).to_be_enabled()
    screenshot(page, "products")


def test_filters_narrow_the_table(page: Page, hub: Hub, connected: Connected):
    sign_in(page, hub)
    page.goto(f"/console/stores/{connected.store_id}/products")
    table = page.locator("#product-table")
    total = int(table.get_attribute("data-total") or 0)
    assert total > 50
    expect(page.get_by_test_id("product-row")).to_have_count(50)
    first_name = page.get_by_test_id("product-row").nth(5).locator(".strong").inner_text()
    page.get_by_test_id("search").fill(first_name)
    expect(page.locator("#product-table")).not_to_have_attribute("data-total", str(total))
    expect(page.get_by_test_id("product-row").first).to_contain_text(first_name)
    assert "q=" in page.url  # the filtered view has an address of its own
    page.get_by_test_id("search").fill("")
    expect(page.locator("#product-table")).to_have_attribute("data-total", str(total))
    page.get_by_test_id("filter-stock").select_option("in")
    expect(page.get_by_test_id("product-row").first).to_be_visible()
    category = page.get_by_test_id("filter-category").locator("option").nth(1).inner_text()
    page.get_by_test_id("filter-category").select_option(category)
    rows = page.get_by_test_id("product-row")
    expect(rows.filter(has_not=page.locator("td:nth-child(3)", has_text=category))).to_have_count(0)
    expect(rows.first).to_be_visible()
    assert "category=" in page.url
