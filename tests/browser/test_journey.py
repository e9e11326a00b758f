"""The whole journey of issue 7 in one browser, with no API shortcuts: a merchant signs in, connects Flourish and
chooses a facility, syncs from the products page; a shopper checks out in the store; the merchant confirms the
order, sees the Flourish order id, and both the console and the shopper's page follow Flourish's status."""

from __future__ import annotations

import re

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.conftest import FACILITY, Hub, Sandbox


def connect_flourish(page: Page, flourish: Sandbox) -> None:
    card = page.locator("article[data-vendor=flourish]")
    card.get_by_label("Flourish username").fill("demo")
    card.get_by_label("Flourish external API key").fill("demo-key")
    card.locator("summary", has_text="Advanced").click()
    card.get_by_label("Base URL").fill(flourish.api_url)
    card.locator("summary", has_text="Settings").click()
    card.get_by_label("Sync orders").check()
    card.get_by_role("button", name="Connect Flourish").click()
    card = page.locator("article[data-vendor=flourish]")
    card.get_by_test_id("choice").select_option(FACILITY)
    card.get_by_role("button", name="Save").click()
    expect(page.locator("article[data-vendor=flourish]").get_by_test_id("state")).to_have_text("Connected")


def shop_and_check_out(shopper: Page, store_url: str) -> str:
    shopper.goto(store_url)
    shopper.locator(".product-card .card-link").first.click()
    shopper.get_by_role("button", name="Add to cart").click()
    shopper.locator("#cart-button").click()
    shopper.get_by_role("link", name="Checkout").click()
    shopper.get_by_label("First name").fill("Riley")
    shopper.get_by_label("Last name").fill("Schultz")
    shopper.get_by_label("Date of birth").fill("1991-02-03")
    shopper.get_by_label("Phone").fill("(734) 555-0199")
    shopper.get_by_label("E-mail").fill("riley@example.com")
    shopper.get_by_role("button", name="Place order").click()
    expect(shopper.get_by_role("heading", name="We've received your order")).to_be_visible()
    number = shopper.get_by_text(re.compile(r"Order #\d+")).first.inner_text()
    return number.split("#")[1].strip()


def test_from_sign_in_to_an_order_that_follows_flourish(
    page: Page, context: BrowserContext, hub: Hub, flourish: Sandbox
):
    sign_in(page, hub)
    page.get_by_label("Store name").fill("Great Lakes Ann Arbor")
    page.get_by_role("button", name="Add store").click()
    connect_flourish(page, flourish)

    page.get_by_role("link", name="Products").click()
    panel = page.get_by_test_id("sync-panel")
    expect(panel).to_have_attribute("data-status", "succeeded", timeout=30_000)  # the first sync, on choosing
    page.get_by_role("button", name="Sync now").click()
    expect(panel).to_have_attribute("data-status", "succeeded", timeout=30_000)
    expect(panel.locator("[data-count=unchanged] b")).not_to_have_text("0")
    expect(page.get_by_test_id("product-row").first).to_be_visible()

    with page.expect_popup() as opened:
        page.get_by_role("link", name="Online store ↗").click()
    shopper = opened.value
    number = shop_and_check_out(shopper, shopper.url)

    page.get_by_role("link", name="Orders").click()
    row = page.get_by_test_id("order-row").filter(has_text=f"#{number}")
    row.click()
    detail = page.get_by_test_id("order-detail")
    expect(detail.get_by_test_id("order-status")).to_have_text("Pending")
    detail.get_by_role("button", name="Confirm order").click()
    pos_order_id = detail.get_by_test_id("pos-order-id").locator("code")
    expect(pos_order_id).to_be_visible(timeout=20_000)
    flourish_id = pos_order_id.inner_text()
    in_flourish = [o for o in flourish.state.orders() if o["id"] == flourish_id]
    assert len(flourish.state.orders()) == 1 and len(in_flourish) == 1  # one online order, one Flourish order
    expect(shopper.get_by_role("heading", name="Being prepared")).to_be_visible(timeout=15_000)

    flourish.move(flourish_id, "Packed")
    hub.sync(hub_integration(hub), "order_status")
    expect(shopper.get_by_role("heading", name="Ready for pickup", exact=True)).to_be_visible(timeout=15_000)
    screenshot(shopper, "shop-order-ready")  # the amber hero, checked by axe like every main page

    flourish.move(flourish_id, "Completed")
    hub.sync(hub_integration(hub), "order_status")  # what the 2-minute status schedule does
    expect(detail.get_by_test_id("order-status")).to_have_text("Closed", timeout=15_000)
    # The shopper's page follows by itself.
    expect(shopper.get_by_role("heading", name="Completed", exact=True)).to_be_visible(timeout=15_000)


def hub_integration(hub: Hub) -> int:
    with hub.db.uow() as uow:
        (store,) = uow.accounts.stores(hub.organization_id)
        integration = uow.accounts.integration_for(store.id, "flourish")
        assert integration is not None
        return integration.id
