"""Store settings and what they change, in a real browser: an operator edits the store (time zone, address,
hours) and sees its time zone applied after a reload; the online-order settings (Randomized Order Number, pickup and
delivery, a delivery minimum) are kept and change what the shop offers; "+ Add store" adds a second store; a shopper
on a phone is told about purchase limits and stock instead of a silent no-op."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.conftest import Connected, Hub
from tests.flows.support import place, stocked

# The rules these pages show are tested on both databases in tests/api/test_stores.py; the browser paths run on
# SQLite only, to keep the browser run short.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

SHOPPER = {"first_name": "Ada", "last_name": "Stone", "phone": "5550102030", "date_of_birth": "1990-05-17"}


def test_edit_store_settings_and_see_the_time_zone_applied_after_a_reload(
    page: Page, hub: Hub, connected: Connected
) -> None:
    product = stocked(hub, connected, count=1)[0]
    order = place(hub, connected, {"customer": SHOPPER, "lines": [{"product_id": product["id"], "quantity": 1}]})
    sign_in(page, hub)
    page.goto(f"/console/stores/{connected.store_id}/integrations")
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Store settings")).to_be_visible()

    page.get_by_label("Time zone").select_option("Pacific/Honolulu")
    page.get_by_label("Street").fill("2150 Packard St")
    page.get_by_label("City").fill("Ann Arbor")
    page.get_by_label("State").fill("MI")
    page.get_by_label("ZIP code").fill("48104")
    page.get_by_label("Phone").fill("734 555 0199")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        page.get_by_label(f"Open on {day}").check()
    page.get_by_label("Sunday closes").fill("18:00")
    page.get_by_label("Delivery fee ($)").fill("4.50")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")

    page.reload()
    expect(page.get_by_label("Time zone")).to_have_value("Pacific/Honolulu")
    expect(page.get_by_label("Phone")).to_have_value("(734) 555-0199")
    expect(page.get_by_label("Sunday closes")).to_have_value("18:00")
    expect(page.get_by_test_id("limits-adult_use")).to_contain_text("15 g of concentrate")  # Michigan's
    screenshot(page, "console-store-settings")

    # The console's times follow the store's zone: the order's placed time reads in Hawaiian time.
    page.get_by_role("link", name="Orders").click()
    page.locator(f"[data-testid=order-row][data-order-id='{order['id']}']").click()
    expect(page.locator("#slideout")).to_contain_text(re.compile(r"Placed .* \d{4}-\d\d-\d\d \d\d:\d\d:\d\d HST"))

    # The shop shows the address, the hours in the store's own time, and whether it is open now.
    page.goto(f"/shop/{connected.store_id}")
    info = page.get_by_test_id("store-info")
    expect(info).to_contain_text("2150 Packard St")
    expect(info).to_contain_text(re.compile(r"Open now · until (9 PM|6 PM)|Closed · opens"))
    expect(info).to_contain_text("Pacific/Honolulu")
    screenshot(page, "shop-menu-store-info")


def test_order_settings_are_kept_and_change_the_shop_and_a_second_store_is_added(
    page: Page, hub: Hub, connected: Connected
) -> None:
    product = stocked(hub, connected, count=1)[0]
    sign_in(page, hub)
    page.goto(f"/console/stores/{connected.store_id}/settings")
    randomized = page.get_by_label("Randomized Order Number")
    pickup = page.get_by_label("Pickup", exact=True)
    delivery = page.get_by_label("Delivery", exact=True)
    minimum = page.get_by_label("Delivery minimum ($)")
    expect(randomized).not_to_be_checked()
    expect(pickup).to_be_checked()
    randomized.check()
    pickup.uncheck()  # delivery only
    delivery.check()
    minimum.fill("500")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    page.reload()
    expect(randomized).to_be_checked()
    expect(pickup).not_to_be_checked()
    expect(delivery).to_be_checked()
    expect(minimum).to_have_value("500.00")
    screenshot(page, "console-store-order-settings")

    # The shop offers delivery only, says the minimum, and refuses an order under it with the minimum and the total.
    shopper = page.context.new_page()
    shopper.goto(f"/shop/{connected.store_id}/products/{product['id']}")
    expect(shopper.locator(".shop-name")).to_contain_text("Delivery")
    expect(shopper.locator(".shop-name")).not_to_contain_text("Pickup")
    shopper.get_by_role("button", name="Add to cart").click()
    expect(shopper.get_by_text("Added 1 to your cart")).to_be_visible()
    shopper.goto(f"/shop/{connected.store_id}/checkout")
    expect(shopper.locator("input[name=fulfillment][value=pickup]")).to_have_count(0)
    expect(shopper.locator("input[name=fulfillment][value=delivery]")).to_be_checked()
    expect(shopper.locator("label", has=shopper.locator("input[value=delivery]"))).to_contain_text("$500.00 minimum")
    shopper.get_by_label("First name").fill("Ada")
    shopper.get_by_label("Last name").fill("Stone")
    shopper.get_by_label("Phone").fill("5550102030")
    shopper.get_by_label("Date of birth").fill("1990-05-17")
    shopper.get_by_label("Street address").fill("500 S State St")
    shopper.get_by_label("City").fill("Ann Arbor")
    shopper.get_by_label("State").fill("MI")
    shopper.get_by_label("ZIP").fill("48109")
    shopper.get_by_label("Day").fill((date.today() + timedelta(days=2)).isoformat())
    shopper.get_by_label("Time").select_option(index=1)
    shopper.get_by_role("button", name="Place order").click()
    refusal = shopper.get_by_role("alert").first
    expect(refusal).to_contain_text(re.compile(r"delivery orders start at \$500\.00 of products; this one is \$", re.I))
    screenshot(shopper, "shop-checkout-under-delivery-minimum")

    # The operator drops the minimum; the shopper's same order goes through, numbered at random, not 1001.
    page.get_by_label("Delivery minimum ($)").fill("")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    shopper.get_by_role("button", name="Place order").click()
    expect(shopper).to_have_url(re.compile(rf"/shop/{connected.store_id}/orders/"))
    shopper.reload()
    number = (shopper.locator(".status-hero .hero-eyebrow").text_content() or "").strip()
    assert re.fullmatch(r"Order #[A-Z0-9]{8}", number) and not re.fullmatch(r"Order #\d+", number), number
    shopper.close()

    # "+ Add store": a second store, listed beside the first, after a reload too.
    page.get_by_role("link", name="+ Add store").click()
    expect(page.get_by_role("heading", name="Add a store")).to_be_visible()
    page.get_by_label("Store name").fill("Great Lakes Lansing")
    page.get_by_role("button", name="Add store").click()
    expect(page.get_by_role("heading", name="Integrations")).to_be_visible()
    page.reload()
    stores = page.locator("#store-switch option")
    expect(stores).to_have_text(["Great Lakes Ann Arbor", "Great Lakes Lansing"])
    expect(page.locator("#store-switch")).to_have_value(re.compile(r"\d+"))
    expect(page.locator("#store-switch option:checked")).to_have_text("Great Lakes Lansing")


def test_a_phone_shopper_is_told_about_limits_and_stock(phone: Page, hub: Hub, connected: Connected) -> None:
    url = f"/api/v1/stores/{connected.store_id}"
    hub.api.patch(url, json={"address": {"state": "MI"}, "limit_overrides": {"adult_use": {"concentrate": 2}}})
    products = hub.api.get(f"{url}/products", params={"limit": 200}).json()["data"]
    cart = next(
        p for p in products if p["net_weight"] == "1" and "Cart 1g" in p["name"] and p["available_quantity"] >= 5
    )

    # Three 1 g cartridges: over the store's 2 g, within Michigan's medical limits, so the cart takes them and
    # says who may check out; a recreational checkout is refused with the limit and by how much.
    phone.goto(f"/shop/{connected.store_id}/products/{cart['id']}")
    phone.get_by_label("Quantity").fill("3")
    phone.get_by_role("button", name="Add to cart").click()
    expect(phone.get_by_text("Added 3 to your cart")).to_be_visible()
    phone.goto(f"/shop/{connected.store_id}/cart")
    message = "This order is over this store's limit of 2 g of concentrate by 1 g."
    expect(phone.get_by_test_id("limit-error")).to_have_text(message)
    expect(phone.get_by_test_id("medical-only")).to_be_visible()
    screenshot(phone, "shop-cart-over-limit")
    phone.get_by_role("link", name="Checkout").click()
    phone.get_by_label("First name").fill("Ada")
    phone.get_by_label("Last name").fill("Stone")
    phone.get_by_label("Phone").fill("5550102030")
    phone.get_by_label("Date of birth").fill("1990-05-17")
    phone.get_by_role("button", name="Place order").click()
    expect(phone.get_by_role("alert").first).to_have_text(message)
    phone.reload()  # the refusal is the cart's state, not a flash: it is still said after a reload
    phone.goto(f"/shop/{connected.store_id}/cart")
    expect(phone.get_by_test_id("limit-error")).to_have_text(message)
    phone.get_by_role("button", name="Remove").click()
    expect(phone.get_by_text("Your cart is empty")).to_be_visible()

    # A product with 2 left: the first + adds, the next two say so and show no tick.
    no_limit = ("Accessories", "Gear", "Topicals", "Balms & Lotions")  # counts towards no purchase limit
    few = next(p for p in products if 3 <= p["available_quantity"] <= 200 and p["category"] in no_limit)
    place(
        hub,
        connected,
        {"customer": SHOPPER, "lines": [{"product_id": few["id"], "quantity": few["available_quantity"] - 2}]},
    )
    phone.goto(f"/shop/{connected.store_id}?q={quote(few['name'][:30])}")
    card = phone.locator(".product-card", has_text=few["name"]).first
    add = card.get_by_role("button", name=f"Add {few['name']} to cart")
    add.click()
    expect(phone.locator("#cart-button")).to_contain_text("1")
    add.click()
    expect(phone.locator("#cart-button")).to_contain_text("2")
    expect(card.locator("form")).not_to_have_class(re.compile("added"))  # the second add's tick has faded
    add.click()
    expect(phone.get_by_test_id("cart-toast")).to_have_text("You already have all 2 in your cart.")
    assert "added" not in (card.locator("form").get_attribute("class") or "")  # no false tick
    expect(phone.locator("#cart-button")).to_contain_text("2")
    phone.reload()
    expect(phone.locator("#cart-button")).to_contain_text("2")
    phone.goto(f"/shop/{connected.store_id}/products/{few['id']}")
    expect(phone.get_by_test_id("all-in-cart")).to_contain_text("You already have all 2 in your cart")
