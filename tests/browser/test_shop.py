"""The store in a real browser, on a phone: filter the menu, open a product, add it, check out, follow the order."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.conftest import Connected, Hub, Sandbox, connect_flourish


@pytest.fixture
def shop(hub: Hub, flourish: Sandbox) -> Connected:
    link = connect_flourish(hub, flourish, sync_orders=True, sync_terpenes=True)
    assert hub.first_sync(link.integration_id)["status"] == "succeeded"
    return link


def fits_the_screen(page: Page) -> None:
    """Nothing sticks out sideways: a phone page that scrolls sideways feels broken."""
    width, visible = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width <= visible, f"{page.url} is {width}px wide on a {visible}px screen"


def test_the_menu_on_a_wide_screen(page: Page, shop: Connected) -> None:
    page.goto(f"/shop/{shop.store_id}")
    expect(page.get_by_role("heading", name="Shop the menu")).to_be_visible()
    expect(page.locator(".product-card").first).to_be_visible()
    screenshot(page, "shop-menu")
    page.get_by_placeholder("Search products, brands or strains").press_sequentially("Kush", delay=40)
    expect(page).to_have_url(re.compile(r"q=Kush"))  # searched in place after a pause in typing
    expect(page.locator("#menu-search")).to_be_focused()  # the swap kept the cursor in the box
    names = page.locator(".product-card").all_inner_texts()
    assert names and all("kush" in name.lower() for name in names)


def test_shop_on_a_phone_from_menu_to_order(phone: Page, shop: Connected) -> None:
    phone.goto(f"/shop/{shop.store_id}")
    cards = phone.locator(".product-card")
    expect(cards.first).to_be_visible()
    fits_the_screen(phone)
    screenshot(phone, "shop-menu-phone")

    # Filter: a strain-type chip narrows the menu in place (htmx) and the address follows.
    phone.locator(".strain-chips label", has_text="Indica").first.click()
    expect(phone).to_have_url(re.compile(r"strain=Indica"))
    expect(phone.locator(".strain-pill").first).to_contain_text("Indica")
    phone.get_by_label("Potency").select_option("15-20")
    expect(phone).to_have_url(re.compile(r"strain=Indica.*thc=15-20|thc=15-20.*strain=Indica"))
    expect(phone.locator(".product-card").first).to_be_visible()

    # Open a product and put two in the cart.
    phone.locator(".product-card .card-link").first.click()
    expect(phone.get_by_role("heading", name="Cannabinoids")).to_be_visible()
    expect(phone.get_by_role("heading", name="Terpenes")).to_be_visible()
    phone.get_by_label("Quantity").fill("2")
    phone.get_by_role("button", name="Add to cart").click()
    expect(phone.get_by_text("Added 2 to your cart")).to_be_visible()
    fits_the_screen(phone)
    screenshot(phone, "shop-product")

    # The sticky cart bar shows the count and opens the cart.
    cart_button = phone.locator("#cart-button")
    expect(cart_button).to_contain_text("2")
    box = cart_button.bounding_box()
    assert box is not None and box["y"] + box["height"] > 844 - 90  # at the bottom of the screen
    cart_button.click()
    expect(phone.get_by_role("heading", name="Your cart")).to_be_visible()
    fits_the_screen(phone)
    screenshot(phone, "shop-cart")

    phone.get_by_role("link", name="Checkout").click()
    expect(phone.get_by_role("heading", name="Checkout")).to_be_visible()
    expect(phone.get_by_label("Street address")).to_be_hidden()  # pickup: no address asked
    phone.locator(".segmented label", has_text="Medical patient").click()  # medical prices, card fields
    expect(phone.locator("#summary")).to_contain_text("Medical prices")
    expect(phone.get_by_label("Medical card number")).to_be_visible()
    phone.locator(".segmented label", has_text="Recreational").click()
    expect(phone.locator("#summary")).to_contain_text("Recreational prices")
    expect(phone.get_by_label("Medical card number")).to_be_hidden()
    phone.get_by_label("First name").fill("Sam")
    phone.get_by_label("Last name").fill("Okafor")
    phone.get_by_label("Date of birth").fill("1990-06-01")
    phone.get_by_label("Phone").fill("(734) 555-0142")
    phone.get_by_label("E-mail").fill("sam@example.com")
    fits_the_screen(phone)
    screenshot(phone, "shop-checkout")
    phone.get_by_role("button", name="Place order").click()

    expect(phone.get_by_role("heading", name="We've received your order")).to_be_visible()
    expect(phone).to_have_url(re.compile(rf"/shop/{shop.store_id}/orders/[A-Za-z0-9_-]{{22,}}$"))
    expect(phone.locator("#cart-button")).to_contain_text("0")
    fits_the_screen(phone)
    screenshot(phone, "shop-order")


@pytest.mark.parametrize("backend", ["sqlite"])  # the rules are tested on both databases over HTTP
def test_a_shopper_types_how_many_they_want_and_enter_in_the_cart_changes_it_not_removes_it(
    phone: Page, hub: Hub, shop: Connected
) -> None:
    with hub.db.uow() as uow:
        products, _ = uow.catalog.products(shop.store_id, limit=500)
        accessory = next(p for p in products if p.category == "Accessories" and p.rec_price_cents)
        accessory.pos_quantity, accessory.held_quantity = 150, 0  # the store restocked
        accessory_id, price = accessory.id, accessory.rec_price_cents or 0
    phone.goto(f"/shop/{shop.store_id}/products/{accessory_id}")
    phone.get_by_label("Quantity").fill("120")
    phone.get_by_role("button", name="Add to cart").click()
    expect(phone.get_by_text("Added 120 to your cart")).to_be_visible()

    phone.goto(f"/shop/{shop.store_id}/cart")
    field = phone.get_by_label(re.compile("^Quantity of "))
    expect(field).to_have_value("120")
    field.fill("130")
    field.press("Enter")  # the keyboard's way to say "done": the line changes, it is not removed
    expect(phone.get_by_label("Cart, 130 items")).to_be_visible()
    phone.reload()
    expect(phone.get_by_label(re.compile("^Quantity of "))).to_have_value("130")
    expect(phone.locator(".line-total")).to_have_text(f"${130 * price / 100:,.2f}")
