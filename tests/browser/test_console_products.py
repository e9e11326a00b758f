"""The Products screen in a real browser: Sync with live progress then the counts, filters narrowing the table, and
the category mapping the console suggests, saved on a phone and seen in the shop at once."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_shop import fits_the_screen
from tests.conftest import Connected, FlowhubSandbox, Hub, Sandbox, connect_flowhub


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


def test_the_suggested_category_mapping_is_saved_on_a_phone_and_the_shop_shows_it_at_once(
    phone: Page, hub: Hub, flowhub: FlowhubSandbox
):
    """Flowhub's free-form categories give a shopper "Gummy" and "Gummies" side by side; the console suggests one
    "Edibles" for both, the operator saves it, and the shop's chips change without waiting for a sync."""
    link = connect_flowhub(hub, flowhub)
    assert hub.first_sync(link.integration_id)["status"] == "succeeded"
    with hub.db.uow() as uow:
        runs_before = len(uow.runs.recent(link.integration_id, "menu_sync"))

    shopper = phone.context.new_page()
    shopper.goto(f"/shop/{link.store_id}")
    chips = shopper.locator(".category-chips .chip")
    expect(chips.filter(has_text=re.compile(r"^Gummy\b"))).to_have_count(1)  # the near-duplicates a shopper sees
    expect(chips.filter(has_text=re.compile(r"^Gummies\b"))).to_have_count(1)

    sign_in(phone, hub)
    phone.goto(f"/console/stores/{link.store_id}/products")
    table = phone.get_by_test_id("category-map")
    gummy, gummies = (
        table.get_by_label("Menu category for Gummy", exact=True),
        table.get_by_label("Menu category for Gummies", exact=True),
    )
    expect(gummy).to_have_value("Edibles")  # suggested: singular and plural, one shopper category
    expect(gummies).to_have_value("Edibles")
    expect(
        table.locator("tr.suggested", has=phone.get_by_label("Menu category for Gummy", exact=True)).get_by_test_id(
            "suggested"
        )
    ).to_be_visible()
    expect(table.get_by_test_id("suggestion-count")).to_be_visible()
    table.get_by_role("button", name="Save mapping").click()
    expect(table.get_by_role("status")).to_contain_text("moved to their new category now")
    expect(table.get_by_test_id("suggested")).to_have_count(0)  # every suggestion is the store's own mapping now
    screenshot(phone, "products-category-map-phone")
    fits_the_screen(phone)

    # The shop, without a sync: one Edibles chip, no Gummy or Gummies.
    shopper.reload()
    expect(chips.filter(has_text=re.compile(r"^Edibles\b"))).to_have_count(1)
    expect(chips.filter(has_text=re.compile(r"^Gumm"))).to_have_count(0)
    screenshot(shopper, "shop-menu-shopper-categories-phone")
    with hub.db.uow() as uow:
        assert len(uow.runs.recent(link.integration_id, "menu_sync")) == runs_before  # no sync ran for it

    # A reload of the console keeps the saved mapping.
    phone.reload()
    expect(gummy).to_have_value("Edibles")
    expect(gummies).to_have_value("Edibles")
    expect(table.get_by_test_id("suggested")).to_have_count(0)
    shopper.close()
