"""A newcomer on a phone: the age gate (by keyboard, remembered across a reload), then the menu narrowed to
edibles by THC mg per package and searched in the singular; a medical patient's answer admits to its own store
only, a 21-and-over answer to every store."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_shop import fits_the_screen
from tests.conftest import Connected, Hub, Sandbox, connect_flourish, connect_flowhub, served_flowhub


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


@pytest.fixture
def adult_use(hub: Hub) -> Iterator[Connected]:
    """A store that sells to adults 21 and over only: Flowhub's menu has no medical prices."""
    with served_flowhub(items=30) as sandbox:
        link = connect_flowhub(hub, sandbox)
        assert hub.first_sync(link.integration_id)["status"] == "succeeded"
        yield link


def test_a_medical_answer_admits_to_its_own_store_only_and_21_to_every_store(
    newcomer: Page, shop: Connected, adult_use: Connected
) -> None:
    phone = newcomer
    medical_button = phone.get_by_role("button", name="I'm 18 or older with a medical card")
    gate = phone.get_by_test_id("age-gate")

    # An 18-20-year-old patient answers at the store that sells medical, and shops there.
    phone.goto(f"/shop/{shop.store_id}")
    expect(gate.get_by_role("heading", name=re.compile("or 18 or older with a medical card"))).to_be_visible()
    medical_button.click()
    expect(phone.locator(".product-card").first).to_be_visible()
    expect(gate).to_have_count(0)

    # The adult-use-only store asks again, without the medical answer, and shows no menu until answered.
    phone.goto(f"/shop/{adult_use.store_id}")
    expect(gate.get_by_role("heading", name="Are you 21 or older?", exact=True)).to_be_visible()
    expect(medical_button).to_have_count(0)
    expect(phone.locator(".product-card")).to_have_count(0)
    phone.reload()
    expect(gate.get_by_role("heading", name="Are you 21 or older?", exact=True)).to_be_visible()
    expect(phone.locator(".product-card")).to_have_count(0)
    phone.get_by_role("button", name="I'm under 21").click()
    expect(phone.get_by_role("heading", name="Sorry, you can't shop here yet")).to_be_visible()
    expect(phone.locator(".product-card")).to_have_count(0)
    phone.goto(f"/shop/{adult_use.store_id}/cart")  # no way round it by another page of the store
    expect(gate).to_be_visible()

    # Their own store still knows them, after a reload too.
    phone.goto(f"/shop/{shop.store_id}")
    phone.reload()
    expect(phone.locator(".product-card").first).to_be_visible()
    expect(gate).to_have_count(0)

    # Another shopper on this phone answers 21 or older once: every store lets them in, reloads included.
    phone.context.clear_cookies()
    phone.goto(f"/shop/{adult_use.store_id}")
    expect(gate).to_be_visible()
    phone.get_by_role("button", name="I'm 21 or older").click()
    expect(phone.locator(".product-card").first).to_be_visible()
    for store_id in (adult_use.store_id, shop.store_id):
        phone.goto(f"/shop/{store_id}")
        phone.reload()
        expect(phone.locator(".product-card").first).to_be_visible()
        expect(gate).to_have_count(0)


@pytest.mark.parametrize("backend", ["sqlite"])  # a page's keyboard path: one database is enough
def test_the_first_tab_on_a_shop_page_is_the_skip_link_and_enter_jumps_to_the_content(
    phone: Page, shop: Connected
) -> None:
    phone.goto(f"/shop/{shop.store_id}")
    skip = phone.get_by_role("link", name="Skip to content")
    expect(skip).not_to_be_in_viewport()  # out of sight until the keyboard reaches it
    phone.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    phone.keyboard.press("Enter")
    main = phone.locator("main")
    expect(main).to_be_focused()
    # The next Tab is inside the content, past the header's links (the store's name, the cart).
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.closest('main') !== null"), phone.evaluate(
        "document.activeElement.outerHTML.slice(0, 200)"
    )


def _dollars(text: str) -> float:
    found = re.search(r"\$([\d,]+\.\d\d)", text)
    assert found, text
    return float(found.group(1).replace(",", ""))


@pytest.mark.parametrize("backend", ["sqlite"])  # the filters' rules are tested on both databases over HTTP
def test_brand_then_price_on_a_phone_narrow_the_cards_and_a_reload_keeps_them(
    phone: Page, hub: Hub, shop: Connected
) -> None:
    listed = hub.api.get(f"/api/v1/stores/{shop.store_id}/products", params={"limit": 200}).json()["data"]
    for_sale = [p for p in listed if p["brand"] and p["rec_price_cents"] and p["available_quantity"] > 0]
    # A brand with something under $20 and something over, so each filter visibly takes cards away.
    brand = next(
        b
        for b in sorted({p["brand"] for p in for_sale})
        if {p["rec_price_cents"] < 2000 for p in for_sale if p["brand"] == b} == {True, False}
    )
    phone.goto(f"/shop/{shop.store_id}")
    cards = phone.locator(".product-card")
    expect(cards.first).to_be_visible()

    phone.get_by_test_id("filter-brand").select_option(brand)
    expect(phone).to_have_url(re.compile(r"brand="))
    expect(cards.locator(".card-brand").first).to_have_text(brand)
    by_brand = cards.count()
    assert by_brand and {t.strip() for t in cards.locator(".card-brand").all_text_contents()} == {brand}

    phone.get_by_test_id("filter-price").select_option(label="Under $20")
    expect(phone).to_have_url(re.compile(r"brand=.*price=lt20|price=lt20.*brand="))
    expect(cards).not_to_have_count(by_brand)

    def all_match() -> None:
        expect(phone.get_by_test_id("filter-brand")).to_have_value(brand)
        expect(phone.get_by_test_id("filter-price")).to_have_value("lt20")
        expect(cards.first).to_be_visible()
        assert {t.strip() for t in cards.locator(".card-brand").all_text_contents()} == {brand}
        prices = [_dollars(text) for text in cards.get_by_test_id("card-price").all_inner_texts()]
        assert prices and all(price < 20 for price in prices), prices
        assert len(prices) < by_brand

    all_match()
    fits_the_screen(phone)
    phone.reload()
    all_match()
    screenshot(phone, "shop-menu-brand-price-phone")
