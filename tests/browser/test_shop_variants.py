"""A shopper on a phone buys two sizes' worth of choices: a size on a card that groups a product's sizes, and a
weight tier of bulk flower; the cart keeps both lines across a reload, priced as chosen, and the order goes through.
The Alleaves sandbox stands for the POS (it sells bulk flower by weight tier)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_shop import fits_the_screen
from tests.conftest import AlleavesSandbox, Connected, Hub, connect_alleaves
from tests.flows.test_alleaves import items_in


def _money(cents: int) -> str:
    return f"${Decimal(cents) / 100:,.2f}"


@pytest.fixture
def shop(hub: Hub, alleaves: AlleavesSandbox) -> tuple[Connected, dict[str, Any]]:
    """An Alleaves store where two packaged flower items are one product in 3.5g and 7g (renamed at the POS, as a
    store names its sizes), and a bulk flower item sold by weight."""
    items = [i for i in items_in(alleaves, "Retail") if i["quantity_available"] > 40 and i["category"] == "Flower"]
    packaged = [i for i in items if not i["pricing"]["is_tiered"] and i["pricing"]["recreational"]][:2]
    bulk = next(i for i in items if i["pricing"]["is_tiered"])
    assert len(packaged) == 2
    for item, size, price in zip(packaged, ("3.5g", "7g"), (30.0, 55.0), strict=True):
        pricing = {**item["pricing"], "recreational": price, "medical": price}
        alleaves.patch_item(item["item_id"], name=f"Velvet Dusk {size}", brand="Harbor Farms", pricing=pricing)
    alleaves.patch_item(bulk["item_id"], name="Harbor Haze (Bulk)")
    bulk = {**bulk, "name": "Harbor Haze (Bulk)"}
    link = connect_alleaves(hub, alleaves, ("Retail",))
    assert hub.first_sync(link.integration_id)["status"] == "succeeded"
    return link, bulk


def test_a_shopper_picks_a_size_and_a_weight_then_checks_out(phone: Page, shop: tuple[Connected, dict[str, Any]]):
    link, bulk = shop
    tier = next(t for t in bulk["pricing"]["tiers"] if t["label"] == "3.5g")
    tier_cents = round(Decimal(str(tier["price"])) * 100)
    phone.goto(f"/shop/{link.store_id}?q=Velvet+Dusk")
    card = phone.locator(".product-card").filter(has_text="Velvet Dusk")
    expect(card).to_have_count(1)  # two sizes, one card
    expect(card.get_by_role("heading")).to_have_text("Velvet Dusk")
    expect(card.get_by_test_id("card-price")).to_have_text("$30.00")
    card.get_by_label("Size of Velvet Dusk").select_option(label="7g")
    expect(card.get_by_test_id("card-price")).to_have_text("$55.00")
    card.get_by_role("button", name="Add Velvet Dusk 7g to cart").click()
    expect(phone.locator("#cart-button")).to_contain_text("1")
    fits_the_screen(phone)
    screenshot(phone, "shop-sizes-phone")

    phone.goto(f"/shop/{link.store_id}?q=Harbor+Haze")
    phone.locator(".product-card").filter(has_text=bulk["name"]).locator(".card-link").click()
    expect(phone.get_by_role("heading", name=bulk["name"])).to_be_visible()
    weights = phone.get_by_role("group", name="Weight")
    weights.locator("label", has_text="3.5g").click()
    expect(weights.get_by_role("radio", name=re.compile(r"^3\.5g"))).to_be_checked()
    phone.get_by_role("button", name="Add to cart").click()
    expect(phone.get_by_role("status")).to_contain_text("Added 1 to your cart")
    expect(phone.get_by_role("group", name="Weight").get_by_role("radio", name=re.compile(r"^3\.5g"))).to_be_checked()
    fits_the_screen(phone)
    screenshot(phone, "shop-weight-tiers-phone")

    phone.goto(f"/shop/{link.store_id}/cart")
    phone.reload()  # the cart is the cookie's, priced again from the store
    lines = phone.locator(".cart-line")
    expect(lines).to_have_count(2)
    sized = lines.filter(has_text="Velvet Dusk 7g")
    expect(sized.locator(".line-total")).to_have_text("$55.00")
    weighed = lines.filter(has_text=bulk["name"])
    expect(weighed.get_by_test_id("line-tier")).to_have_text("3.5g")
    expect(weighed.locator(".line-total")).to_have_text(_money(tier_cents))
    expect(phone.locator(".summary-card")).to_contain_text(_money(5500 + tier_cents))
    fits_the_screen(phone)
    screenshot(phone, "shop-cart-sizes-and-weights-phone")

    phone.get_by_role("link", name="Checkout").click()
    phone.get_by_label("First name").fill("Sam")
    phone.get_by_label("Last name").fill("Okafor")
    phone.get_by_label("Date of birth").fill("1990-06-01")
    phone.get_by_label("Phone").fill("(734) 555-0142")
    phone.get_by_label("E-mail").fill("sam@example.com")
    phone.get_by_role("button", name="Place order").click()
    expect(phone.get_by_role("heading", name="We've received your order")).to_be_visible()
    summary = phone.locator("main")
    expect(summary).to_contain_text(f"1 × 3.5g at {_money(tier_cents)}")
    expect(summary).to_contain_text("Velvet Dusk 7g")
    fits_the_screen(phone)
