"""A newcomer on a phone: the age gate (by keyboard, remembered across a reload), then the menu narrowed to
edibles by THC mg per package and searched in the singular."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_shop import fits_the_screen
from tests.conftest import Connected, Hub, Sandbox, connect_flourish


@pytest.fixture
def shop(hub: Hub, flourish: Sandbox) -> Connected:
    link = connect_flourish(hub, flourish, sync_orders=True)
    assert hub.first_sync(link.integration_id)["status"] == "succeeded"
    return link


@pytest.fixture
def newcomer(browser: Browser, hub: Hub) -> Iterator[Page]:
    """A phone that has never been to the shop (no age cookie, unlike the ``phone`` fixture)."""
    context = browser.new_context(
        base_url=hub.server.url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_a_newcomer_passes_the_age_gate_by_keyboard_then_finds_edibles_by_mg(newcomer: Page, shop: Connected) -> None:
    phone = newcomer
    phone.goto(f"/shop/{shop.store_id}?category=Edibles")
    gate = phone.get_by_test_id("age-gate")
    expect(gate.get_by_role("heading", name=re.compile("Are you 21 or older"))).to_be_visible()
    expect(phone.locator(".product-card")).to_have_count(0)
    fits_the_screen(phone)
    screenshot(phone, "shop-age-gate-phone")
    adult = phone.get_by_role("button", name="I'm 21 or older")
    expect(adult).to_be_focused()  # the first answer has the focus: Enter answers it
    phone.keyboard.press("Tab")
    expect(phone.get_by_role("button", name="I'm 18 or older with a medical card")).to_be_focused()
    phone.keyboard.press("Shift+Tab")
    phone.keyboard.press("Enter")
    expect(phone).to_have_url(re.compile(rf"/shop/{shop.store_id}\?category=Edibles$"))  # where they meant to go
    expect(phone.get_by_role("heading", name="Edibles")).to_be_visible()
    phone.reload()
    expect(phone.get_by_test_id("age-gate")).to_have_count(0)  # remembered by this browser
    expect(phone.locator(".product-card").first).to_be_visible()

    # Edibles are measured per package in mg: the potency choices say so, and narrow the menu in place.
    potency = phone.get_by_label("Potency")
    expect(potency.locator("optgroup")).to_have_attribute("label", re.compile("THC per package"))
    potency.select_option("mg100")
    expect(phone).to_have_url(re.compile(r"thc=mg100"))
    expect(phone.locator(".product-card").first).to_be_visible()
    for text in phone.locator(".product-card .potency").all_inner_texts():
        found = re.search(r"([\d.]+)\s*mg", text)
        assert found and 10 < float(found.group(1)) <= 100, text
    phone.get_by_placeholder("Search products, brands or strains").fill("gummy")
    phone.get_by_placeholder("Search products, brands or strains").press("Enter")
    expect(phone).to_have_url(re.compile(r"q=gummy"))
    expect(phone.locator(".product-card").first).to_be_visible()
    names = phone.locator(".product-card").all_inner_texts()
    assert names and all("gumm" in name.lower() for name in names)
    fits_the_screen(phone)
    screenshot(phone, "shop-edibles-by-mg-phone")
