"""The red Cancelled hero on the shopper's order page, on a phone: an order cancelled at the POS and one cancelled by
the store's staff each show it with the reason the shopper's message gives, and pass axe's contrast check (text on
the red hero at least 4.5:1). The Alleaves sandbox is the POS; its status is moved with its control route."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_shop import fits_the_screen
from tests.conftest import AlleavesSandbox, Hub, connect_alleaves
from tests.flows.support import confirm_and_wait_for_push, place, stocked

PATIENT = {"first_name": "Rae", "last_name": "Moss", "phone": "5556667777", "date_of_birth": "1975-08-20"}


def _hero_is_red(phone: Page) -> None:
    hero = phone.locator(".status-hero")
    expect(hero).to_have_class(re.compile(r"\bstatus-cancelled\b"))
    # The hero's own colour, not the page's: a dark red under light text.
    found = re.search(r"rgb\((\d+), (\d+), (\d+)\)", hero.evaluate("h => getComputedStyle(h).backgroundImage"))
    assert found, "the hero has no colour of its own"
    red, green, blue = (int(part) for part in found.groups())
    assert red > 2 * green and red > 2 * blue, f"the hero is rgb({red}, {green}, {blue}), not red"


def test_a_cancelled_order_shows_the_red_hero_with_its_reason(phone: Page, hub: Hub, alleaves: AlleavesSandbox):
    link = connect_alleaves(hub, alleaves, ("Retail",), sync_orders=True)
    assert hub.first_sync(link.integration_id)["status"] == "succeeded"
    product = stocked(hub, link, count=1)[0]
    line = {"product_id": product["id"], "quantity": 1}

    # Cancelled at the POS: the hub reads the status back, the page says so in the shopper's words.
    at_pos = place(hub, link, {"customer": PATIENT, "lines": [line]})
    pushed = confirm_and_wait_for_push(hub, at_pos["id"])
    alleaves.move(pushed["pos_order_id"], "cancelled")
    hub.sync(link.integration_id, "order_status")
    phone.goto(at_pos["shopper_page"])
    expect(phone.get_by_role("heading", name="Cancelled")).to_be_visible()
    expect(phone.get_by_test_id("cancel-reason")).to_contain_text("Reason:")
    _hero_is_red(phone)
    phone.reload()
    expect(phone.get_by_role("heading", name="Cancelled")).to_be_visible()
    fits_the_screen(phone)
    screenshot(phone, "shop-order-cancelled-phone")  # axe: no serious violation, contrast on the red included

    # Cancelled by staff with a reason: the page gives that reason.
    by_staff = place(hub, link, {"customer": PATIENT, "lines": [line]})
    answer = hub.api.post(f"/api/v1/orders/{by_staff['id']}/cancel", json={"reason": "the store closed early today"})
    assert answer.status_code == 200, answer.text
    phone.goto(by_staff["shopper_page"])
    expect(phone.get_by_role("heading", name="Cancelled")).to_be_visible()
    expect(phone.get_by_test_id("cancel-reason")).to_have_text("Reason: The store closed early today")
    _hero_is_red(phone)
    screenshot(phone, "shop-order-cancelled-by-staff-phone")
